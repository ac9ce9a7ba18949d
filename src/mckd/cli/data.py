"""``mckd data``: build a dataset directory (labeled pools, unlabeled pool, dev, test)."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """Build a dataset directory from a treebank or a task's source files.

  mckd data craft --treebank trees.txt --index index.tsv --out data/craft
      the paper's CRAFT protocol: the original 67 articles, trees with more than one token
      (21,121 sentences), seeded random 50/10/40 train/dev/test, labeled pools of 250 and 50
      (nested) from train, the rest of train unlabeled.
  mckd data treebank wsj_23.mrg --out data/wsj23 --labeled 50,250 --split 0.5,0.1,0.4
      the same for any PTB-style file (one tree per line or multi-line trees).
  mckd data ptb --dir treebank_3/ --out data/ptb
      the paper's Penn Treebank protocol on your LDC copy (LDC99T42; the folder holding
      parsed/mrg/wsj/SS/*.mrg, a folder of section folders, or a flat folder of wsj_SSNN.mrg):
      sections 02-21 train, 22 dev, 23 test; labeled pools of 250 and 50 (nested) and 20,000
      unlabeled sentences (--unlabeled) drawn from train; sentences empty after removing
      -NONE- dropped and counted.
  mckd data atis --dir atis/ --out data/atis
      ATIS slot filling from your copy: train/ valid/ test/ folders with seq.in, seq.out and
      label, or train.jsonl / valid.jsonl / test.jsonl; pools as for SNIPS.
  mckd data snips --dir snips/ --out data/snips
      slot filling: SNIPS train.jsonl / valid.jsonl / test.jsonl (Goo et al. split); labeled
      pools of 250 and 50 and the unlabeled pool from train, dev = valid, test = test.
  mckd data top --dir top/ --out data/top
      TOP semantic parsing from eval.jsonl / test.jsonl (no train file): labeled pools, dev
      (--dev-size, default 500) and the unlabeled pool from eval, test = test.

The directory holds dataset.json (protocol, seed, counts, source sha256, what was dropped and
why) and labeled_<k>.jsonl, unlabeled.jsonl, dev.jsonl, test.jsonl. unlabeled.jsonl keeps its
gold for simulated teachers and analyses; no step trains on it."""


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, e.g. 50,250; got {text!r}") from None


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise argparse.ArgumentTypeError(
            f"expected train,dev,test fractions, e.g. 0.5,0.1,0.4; got {text!r}")
    return values


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True,
                   help="output dataset directory (new, empty, or a dataset to overwrite)")
    p.add_argument("--seed", type=int, default=13, help="split seed (default 13)")
    p.add_argument("--labeled", type=_ints, default=(50, 250), metavar="K,K",
                   help="labeled pool sizes, nested (default 50,250)")
    p.add_argument("--split", type=_fractions, default=(0.5, 0.1, 0.4), metavar="TR,DEV,TEST",
                   help="train/dev/test fractions (default 0.5,0.1,0.4)")
    p.add_argument("--skip-malformed", action="store_true",
                   help="skip malformed trees (counted in dataset.json) instead of stopping")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("data", help="build a dataset directory (CRAFT, PTB, ATIS, SNIPS, TOP)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = p.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    craft = kinds.add_parser("craft", help="the paper's CRAFT protocol")
    craft.add_argument("--treebank", required=True, help="CRAFT trees.txt (one tree per line)")
    craft.add_argument("--index", required=True, help="CRAFT index.tsv for that trees.txt")
    _common(craft)
    tb = kinds.add_parser("treebank", help="any PTB-style treebank file")
    tb.add_argument("treebank", help="treebank file")
    tb.add_argument("--name", help="dataset name and id prefix (default: the file's stem)")
    tb.add_argument("--min-tokens", type=int, default=2, help="drop shorter trees (default 2)")
    tb.add_argument("--max-tokens", type=int, default=None,
                    help="drop longer trees (default: keep all)")
    _common(tb)
    ptb = kinds.add_parser("ptb", help="the paper's Penn Treebank protocol (your LDC copy)")
    ptb.add_argument("--dir", required=True,
                     help="Treebank-3 root (holding parsed/mrg/wsj/SS/*.mrg), a folder of "
                          "section folders, or a flat folder of wsj_SSNN.mrg files")
    _pools(ptb)
    ptb.add_argument("--unlabeled", type=int, default=20_000,
                     help="unlabeled sentences drawn from the rest of train (default 20000)")
    ptb.add_argument("--skip-malformed", action="store_true",
                     help="skip malformed trees (counted in dataset.json) instead of stopping")
    atis = kinds.add_parser("atis", help="ATIS slot filling from your copy (paper-style pools)")
    atis.add_argument("--dir", required=True,
                      help="folder with train/ valid/ test/ (seq.in, seq.out, label) or "
                           "train.jsonl, valid.jsonl, test.jsonl")
    _pools(atis)
    snips = kinds.add_parser("snips", help="SNIPS slot filling (paper-style pools)")
    snips.add_argument("--dir", required=True,
                       help="folder with SNIPS train.jsonl, valid.jsonl, test.jsonl")
    _pools(snips)
    top = kinds.add_parser("top", help="TOP semantic parsing (pools from eval, test = test)")
    top.add_argument("--dir", required=True, help="folder with TOP eval.jsonl and test.jsonl")
    top.add_argument("--dev-size", type=int, default=500,
                     help="eval trees held out as dev after the labeled pools (default 500)")
    _pools(top)
    return p


def _pools(p: argparse.ArgumentParser) -> None:
    """Options of the kinds whose source files come already split (no --split)."""
    p.add_argument("--out", required=True,
                   help="output dataset directory (new, empty, or a dataset to overwrite)")
    p.add_argument("--seed", type=int, default=13, help="shuffle seed (default 13)")
    p.add_argument("--labeled", type=_ints, default=(50, 250), metavar="K,K",
                   help="labeled pool sizes, nested (default 50,250)")


def run(args: argparse.Namespace) -> int:
    if args.kind in ("snips", "top", "ptb", "atis"):
        return _run_presplit(args)
    on_error = "skip" if args.skip_malformed else "raise"
    if args.kind == "craft":
        from mckd.tasks.constituency.craft import prepare_craft

        info = prepare_craft(args.treebank, args.index, args.out, seed=args.seed,
                             labeled=args.labeled, split=args.split, on_error=on_error)
    else:
        from mckd.tasks.constituency.prepare import prepare_treebank

        info = prepare_treebank(args.treebank, args.out, seed=args.seed, labeled=args.labeled,
                                split=args.split, min_tokens=args.min_tokens,
                                max_tokens=args.max_tokens, on_error=on_error, name=args.name)
    print(_summary(info, args.out))
    return 0


def _run_presplit(args: argparse.Namespace) -> int:
    if args.kind == "ptb":
        from mckd.tasks.constituency.ptb import prepare_ptb

        info = prepare_ptb(args.dir, args.out, seed=args.seed, labeled=args.labeled,
                           unlabeled=args.unlabeled,
                           on_error="skip" if args.skip_malformed else "raise")
    elif args.kind == "atis":
        from mckd.tasks.slots.atis import prepare_atis

        info = prepare_atis(args.dir, args.out, seed=args.seed, labeled=args.labeled)
    elif args.kind == "snips":
        from mckd.tasks.slots.prepare import prepare_snips

        info = prepare_snips(args.dir, args.out, seed=args.seed, labeled=args.labeled)
    else:
        from mckd.tasks.top.prepare import prepare_top

        info = prepare_top(args.dir, args.out, seed=args.seed, labeled=args.labeled,
                           dev_size=args.dev_size)
    print(_summary(info, args.out))
    return 0


def _summary(info: dict[str, Any], out: str) -> str:
    counts = info["counts"]
    head = (f"{info['name']}: {counts['sentences']:,} sentences "
            f"(train {counts['train']:,}, dev {counts['dev']:,}, test {counts['test']:,})")
    lines = [head]
    if "paper_reports" in info:
        lines[0] += f"; the paper reports {info['paper_reports']['sentences']:,}"
    for entry in info["files"].values():
        lines.append(f"  {entry['path']:<20} {entry['rows']:>7,}")
    if "train_not_drawn" in counts:
        lines.append(f"  train not drawn      {counts['train_not_drawn']:>7,} (in no file)")
    for reason, n in info["dropped"].items():
        lines.append(f"  dropped {n:,}: {reason}")
    missing = info.get("sections", {}).get("missing_train_sections")
    if missing:
        lines.append(f"  warning: train sections missing from this copy: {_ranges(missing)}")
    if "complete_copy_counts" in info:
        full = info["complete_copy_counts"]
        lines.append(f"  (a complete copy gives train {full['train']:,}, dev {full['dev']:,}, "
                     f"test {full['test']:,})")
    lines.append(f"wrote {out}/ (protocol, seed and sources in dataset.json)")
    return "\n".join(lines)


def _ranges(sections: list[str]) -> str:
    """``["04", "05", "06", "09"]`` -> ``"04-06, 09"``."""
    runs: list[list[int]] = []
    for n in sorted(int(s) for s in sections):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a:02d}" if a == b else f"{a:02d}-{b:02d}" for a, b in runs)
