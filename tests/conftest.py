"""Shared test plumbing: the fuzz tests count the cases they try, and the suite prints
the counts at the end (so a reader sees how much was tried, not just that it passed)."""

from __future__ import annotations

from collections import Counter

import pytest

TRIED: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIED:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(TRIED.items()))
        terminalreporter.write_line(f"fuzzing and property cases tried: {counts}")
