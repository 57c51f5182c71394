"""The `carepay` command's entry point: a Ctrl-C while the engine is still being
loaded (Polars takes a moment to import), or after a command's own handling has
ended, ends quietly with status 130 and a true sentence, instead of a Python
traceback or a death by signal."""

from __future__ import annotations

import signal
import sys


def run() -> None:
    try:
        try:
            from engine.cli import main

            main()
        finally:  # the command is over: a later Ctrl-C can change nothing
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # before a command's own handling starts, or as it ends
        print(_interrupted(), file=sys.stderr)
        sys.exit(130)


def _interrupted() -> str:
    reports = sys.modules.get("engine.reports")
    written = getattr(reports, "WRITTEN", None)
    if written:
        return f"interrupted after the new output was complete in {written[-1]}"
    return "interrupted: nothing was written"
