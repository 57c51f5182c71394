"""The `carepay` command's entry point: a Ctrl-C while the engine is still being
loaded (Polars takes a moment to import), while the command line is being read,
or after a command's own handling has ended, ends quietly with status 130 and a
true sentence, instead of a Python traceback, click's "Aborted!" with status 1,
or a death by signal."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from typing import Any


def run() -> None:
    try:
        try:
            main = _loaded_cli()
            status = _invoke(main)
        finally:  # the command is over: a later Ctrl-C can change nothing
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if _pending() and _written():  # put off past the output's swap into place
            raise KeyboardInterrupt
    except KeyboardInterrupt:  # before a command's own handling starts, or as it ends
        print(_interrupted(), file=sys.stderr)
        sys.exit(130)
    sys.exit(status)


def _loaded_cli() -> Any:
    """The command line, imported whole before a Ctrl-C is acted on: an interrupt that
    lands inside Polars' native module while it loads came out of it as a `TypeError:
    expected a message argument` with a traceback (seen in tests/test_trust.py's
    Ctrl-C at start-up). The import takes a fraction of a second; the Ctrl-C is then
    taken as if it came right after."""
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: pressed.append(number))
    try:
        from engine.cli import main
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
    return main


def _invoke(main: Any) -> int:
    """Run the click group outside its standalone mode, so that a Ctrl-C it catches
    comes back to us as itself rather than as "Aborted!" with status 1."""
    import click

    signal.signal(signal.SIGINT, _interrupt)
    try:
        result = main.main(standalone_mode=False)
    except click.exceptions.Abort as abort:
        raise KeyboardInterrupt from abort
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except OSError as error:  # the reader closed the pipe (`carepay … | head`)
        if error.errno != errno.EPIPE:
            raise
        _silence_stdout()
        return 1
    return result if isinstance(result, int) else 0


# where a Ctrl-C cannot stop the command: Python runs a weak reference's callback or an
# object's `__del__` as the object goes, and prints an exception raised there as
# "Exception ignored in: …" with a traceback, and goes on (seen at the end of a run in
# tests/test_trust.py's Ctrl-C at six moments)
_FINALIZERS = ("_weakrefset.py", "weakref.py")
# … and the weak reference callback by which the import system drops a module's lock
# (`_get_module_lock.<locals>.cb`), seen as a run's last objects went
_FINALIZER_CALLBACKS = (("<frozen importlib._bootstrap>", "cb"),)


def _interrupt(number: int, frame: Any) -> None:
    """A Ctrl-C as Python's own: KeyboardInterrupt where the command is — but one that
    lands in a finalizer, which cannot stop it, is given again a moment later, where it
    can."""
    if frame is not None and _in_finalizer(frame):
        _put_off(number)
        return
    _set_pending(False)
    raise KeyboardInterrupt


def _put_off(number: int) -> None:
    """Give the signal again in 10 ms; until then the output is not swapped into place
    (`reports.INTERRUPT_PENDING`): a run whose Ctrl-C was put off ended complete, exit 0,
    its new output in place (seen in tests/test_trust.py's run stopped midway)."""
    _set_pending(True)
    again = threading.Timer(0.01, os.kill, (os.getpid(), number))
    again.daemon = True
    again.start()


def _set_pending(pending: bool) -> None:
    reports = sys.modules.get("engine.reports")
    if reports is not None:
        reports.INTERRUPT_PENDING[:] = [1] if pending else []


def _pending() -> bool:
    reports = sys.modules.get("engine.reports")
    return bool(reports is not None and reports.INTERRUPT_PENDING)


def _written() -> list[Any]:
    """The output directories swapped into place: a Ctrl-C put off past that says so
    (`_interrupted`). A command that wrote no such directory (a letter file) and was
    not stopped ended complete, and says nothing false about what it wrote."""
    return getattr(sys.modules.get("engine.reports"), "WRITTEN", None) or []


def _in_finalizer(frame: Any) -> bool:
    code = frame.f_code
    return (
        code.co_name == "__del__"
        or code.co_filename.endswith(_FINALIZERS)
        or (code.co_filename, code.co_name) in _FINALIZER_CALLBACKS
        or _IN_POLARS in code.co_filename
    )


# … nor in Polars' own Python, which its Rust calls back (a column's dtypes read as
# `Series._from_pyseries`): a KeyboardInterrupt there is a Rust panic, printed with a
# traceback and a stack backtrace (seen in tests/test_trust.py's Ctrl-C at six moments)
_IN_POLARS = f"{os.sep}polars{os.sep}"


def _silence_stdout() -> None:
    """Python flushes stdout once more as it exits; into a closed pipe that would
    print a complaint after the reader has gone (the recipe of Python's `signal` docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _interrupted() -> str:
    written = _written()
    if written:
        return f"interrupted after the new output was complete in {written[-1]}"
    return "interrupted: nothing was written"
