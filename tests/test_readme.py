"""The README's two set-up commands stay in sync with CI and the shipped files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", quick, flags=re.S)]


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    blocks = _bash_blocks()
    assert len(blocks) == 2, blocks
    demo, tests = blocks
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci, "the README's test command must be what .ci/run calls"
    assert "torch==2.13.0" in demo  # an unpinned torch pulls gigabytes of CUDA packages


def test_demo_command_points_at_files_that_exist():
    demo = _bash_blocks()[0]
    for token in demo.split():
        if token.endswith((".yaml", ".yml")):
            assert (ROOT / token).exists(), token
