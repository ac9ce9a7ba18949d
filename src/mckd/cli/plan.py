"""``mckd plan``: what the teacher step will send and cost, before anything is sent."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = """Show what labeling with the configured teacher will take, without sending anything:
the number of requests, how many the request ledger already answers, prompt tokens (counted
with the teacher's tokenizer when it has one, else estimated as the larger of words and
punctuation marks and characters/4), completion tokens (estimated from the gold targets'
lengths; the upper bound if every answer used max_tokens), the cost at the prices in
teacher.openai.budget, and one fully rendered prompt.

Overrides use dotted keys after CONFIG, as for `mckd run`:
  mckd plan examples/craft-demo.yaml teacher.backend=openai teacher.openai.model=gpt-4o-mini \\
      teacher.openai.budget.usd_per_million_prompt_tokens=0.15 \\
      teacher.openai.budget.usd_per_million_completion_tokens=0.6"""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("plan", help="count requests, tokens and cost of the teacher step "
                       "without sending anything", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="run config (YAML), e.g. examples/craft-demo.yaml")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. teacher.openai.prompt.num_demos=10")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from mckd.pipeline.config_checks import load_run_config
    from mckd.pipeline.data import load_run_data
    from mckd.pipeline.steps import build_plan
    from mckd.tasks import get_task
    from mckd.teachers.plan import plan_labeling

    config = load_run_config(args.config, args.overrides)
    task = get_task(config.task.name, **config.task.options)
    data = load_run_data(config, task)
    step = build_plan(config, data).teacher
    plan = plan_labeling(task, config.teacher, demos=data.splits["labeled"],
                         inputs=data.unlabeled + data.test, seed=step.seed)
    if args.json:
        print(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_plan(plan.as_dict(), unlabeled=len(data.unlabeled), test=len(data.test)))
    return 0


def format_plan(plan: dict[str, Any], *, unlabeled: int, test: int) -> str:
    """The plan as the lines ``mckd plan`` prints."""
    model = f" {plan['model']}" if plan["model"] else ""
    lines = [f"teacher: {plan['backend']}{model}",
             f"inputs to label: {plan['inputs']:,} (unlabeled {unlabeled:,} + test {test:,})"]
    if plan["backend"] not in ("openai", "transformers"):
        return "\n".join(lines + _other_backend(plan))
    lines += [
        f"requests: {plan['requests']:,}; already answered in the ledger {plan['ledger']}: "
        f"{plan['cached']:,}; to send: {plan['to_send']:,}",
        f"prompt tokens to send: {plan['prompt_tokens']:,} ({plan['token_counter']})",
        f"completion tokens to send: ~{plan['completion_tokens']:,} estimated from the gold "
        f"targets' lengths; at most {plan['completion_tokens_max']:,}",
    ]
    if plan["cost_usd"] is not None:
        prices = plan["prices"]
        lines.append(f"cost: ~${plan['cost_usd']:,.2f}, at most ${plan['cost_usd_max']:,.2f} "
                     f"(${prices['usd_per_million_prompt_tokens']} / "
                     f"${prices['usd_per_million_completion_tokens']} per million prompt / "
                     "completion tokens)")
    elif plan["backend"] == "openai":
        lines.append("cost: unknown; set teacher.openai.budget.usd_per_million_prompt_tokens "
                     "and usd_per_million_completion_tokens to your provider's prices")
    packing = plan["packing"]
    if packing.get("trimmed"):
        lines.append(f"demos dropped to fit the context: {packing['demos_dropped']:,} in "
                     f"{packing['trimmed']:,} prompts")
    if plan["sample_prompt"] is not None:
        rule = "-" * 72
        lines += [f"sample prompt (input {plan['sample_id']}):", rule, plan["sample_prompt"],
                  rule]
    lines.append("nothing was sent.")
    return "\n".join(lines)


def _other_backend(plan: dict[str, Any]) -> list[str]:
    details = plan["details"]
    if plan["backend"] == "replay":
        report = details["report"]
        lines = [f"replay file: {details['path']} ({details['records']:,} labels, joined by "
                 f"{details['join']})",
                 f"joined: {report['joined']:,}; without a label (recorded as invalid): "
                 f"{report['unjoined']:,}; file records no input uses: "
                 f"{report['unused_records']:,}"]
        lines += [f"  no label: {ex['id']}: {ex['source']}" for ex in report["unjoined_examples"]]
        return lines + ["no requests, no cost."]
    return [f"{details.get('note', 'no requests')}."]
