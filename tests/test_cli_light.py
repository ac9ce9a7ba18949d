"""`import mckd` and `mckd --help` stay fast: they must not import torch or transformers."""

from __future__ import annotations

import subprocess
import sys


def test_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from mckd.cli.main import build_parser\n"
        "try:\n"
        "    build_parser().parse_args(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'openai') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_console_script_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "mckd.cli.main", "--help"],
                         capture_output=True, text=True, check=True)
    assert "usage: mckd" in out.stdout
