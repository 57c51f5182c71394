"""The `carepay` command's entry point: a Ctrl-C while the engine is still being
loaded (Polars takes a moment to import) ends quietly with status 130, like one
during a command, instead of printing a Python traceback."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from engine.cli import main

        main()
    except KeyboardInterrupt:  # before a command's own handling starts, or after it ends
        print("interrupted: nothing was written", file=sys.stderr)
        sys.exit(130)
