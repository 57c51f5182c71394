"""Progress on long work, by stage: the runner names each stage (reading the rules,
reading and checking the data, evaluating each month, accounting for the visits,
writing) and a month or a sweep value as it goes; the terminal shows it with rich,
in the reader's language, on the error stream and only when that is a terminal.
A run with no terminal (a batch job, a test) gets `SILENT`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from engine.phrases import say

T = TypeVar("T")


class Stages(Protocol):
    def stage(self, key: str, total: int | None = None, **values: object) -> None:
        """A new stage begins (`key` names its phrase, `stage.<key>`)."""

    def advance(self, **values: object) -> None:
        """One step of the current stage is done; `values` relabel it."""


class Silent:
    def stage(self, key: str, total: int | None = None, **values: object) -> None:
        return None

    def advance(self, **values: object) -> None:
        return None


SILENT = Silent()


def each(
    stages: Stages, key: str, items: Iterable[T], label: Callable[[T], dict[str, object]]
) -> Iterator[T]:
    """The items one by one, each shown as a step of the stage `key`."""
    items = list(items)
    for index, item in enumerate(items):
        if index == 0:
            stages.stage(key, total=len(items), **label(item))
        yield item
        following = items[index + 1] if index + 1 < len(items) else item
        stages.advance(**label(following))


class TerminalStages:
    """Stages as rich draws them: a spinner and the stage's name, and a bar with
    `n/N` and the time when the stage has steps (months, sweep values)."""

    def __init__(self, lang: str, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.lang = lang
        self.key = ""
        self.task: Any = None
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[steps]}"),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=True,
        )

    def __enter__(self) -> TerminalStages:
        self.bar.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.bar.stop()

    def stage(self, key: str, total: int | None = None, **values: object) -> None:
        if self.task is not None:
            self.bar.update(self.task, visible=False)
        self.key = key
        self.task = self.bar.add_task(
            say(self.lang, f"stage.{key}", **values), total=total, steps=_steps(0, total)
        )

    def advance(self, **values: object) -> None:
        if self.task is None:
            return
        label = say(self.lang, f"stage.{self.key}", **values) if values else None
        task = self.bar.tasks[-1]
        steps = _steps(int(task.completed) + 1, task.total)
        self.bar.update(self.task, advance=1, description=label, steps=steps)


def _steps(done: int, total: float | None) -> str:
    """`2/12` for a stage of steps; nothing for a stage that is one piece of work."""
    return f"{done}/{int(total)}" if total else ""


class _Quiet:
    def __enter__(self) -> Silent:
        return SILENT

    def __exit__(self, *args: object) -> None:
        return None


def on_terminal(lang: str) -> Any:
    """A context giving `TerminalStages` on a terminal, `SILENT` elsewhere."""
    return TerminalStages(lang) if sys.stderr.isatty() else _Quiet()


@contextmanager
def timed(timings: dict[str, float] | None, phase: str) -> Iterator[None]:
    """Adds the seconds spent in the block to `timings[phase]` (the manifest's
    `timings_s`), when there are timings to keep."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
