"""Entry point of the ``mckd`` command.

Each subcommand lives in its own module ``mckd.cli.<name>`` exposing
``add_parser(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``. Those modules
must import only light things at module level so ``mckd --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mckd import __version__
from mckd.core.errors import MckdError, RecoverableError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ("data", "plan", "run", "report", "predict", "export")

EXIT_USER_ERROR = 2
EXIT_RECOVERABLE = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mckd",
        description="Multistage Collaborative Knowledge Distillation from a large language model.",
    )
    parser.add_argument("--version", action="version", version=f"mckd {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"mckd.cli.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("httpx", "httpx2", "openai"):  # they log every request at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "Matplotlib is building the font cache" (a WARNING, once per machine) and missing-font
    # notes say nothing about the run
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    try:
        return int(args._run(args) or 0)
    except MckdError as exc:
        print(f"mckd: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except RecoverableError as exc:
        print(f"mckd: stopped: {exc}\nFinished work is saved; rerun the same command to continue.",
              file=sys.stderr)
        return EXIT_RECOVERABLE
    except KeyboardInterrupt:
        print("\nmckd: interrupted; finished work is saved, rerun the same command to continue.",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
