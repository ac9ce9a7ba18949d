"""``python -m mckd ...`` = the ``mckd`` command (also what launchers such as ``torchrun -m
mckd`` and ``accelerate launch -m mckd`` start)."""

import sys

from mckd.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
