"""``python -m tuning``: see :mod:`tuning.cli`."""

from __future__ import annotations

import sys

from tuning.cli import main

if __name__ == "__main__":
    sys.exit(main())
