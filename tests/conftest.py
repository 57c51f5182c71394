"""Shared test plumbing: the fuzz tests count the cases they try, and the suite prints
the counts at the end (so a reader sees how much was tried, not just that it passed);
hostile files made the same way in several tests."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

TRIED: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIED:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(TRIED.items()))
        terminalreporter.write_line(f"fuzzing and property cases tried: {counts}")


def damaged(path: Path) -> None:
    """A Parquet file whose header reads but whose first pages do not decode: a
    thousand bytes after its magic number scrambled."""
    data = bytearray(path.read_bytes())
    for i in range(200, 1200):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))


# The suite runs on every core (pytest -n auto): a model test file's cases are run in
# the suite's own processes, not in processes of their own beside them (which made the
# model tests 14 s slower). tests/test_model_test_workers.py runs them in processes.
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("CAREPAY_WORKERS", "1")
