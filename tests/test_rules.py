"""Every model test file (rules/*/tests, examples/*/tests) runs as pytest items."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.testing import find_test_files, run_file

ROOT = Path(__file__).resolve().parent.parent
FILES = find_test_files([p for p in (ROOT / "rules", ROOT / "examples") if p.exists()])
CASES = [(f, r) for f in FILES for r in run_file(f)]


@pytest.mark.parametrize(
    ("file", "result"), CASES, ids=[f"{f.relative_to(ROOT)}:{r.span.line}" for f, r in CASES]
)
def test_model_case(file, result):
    assert result.passed, "\n".join(result.failures + ([result.error] if result.error else []))


def test_there_are_model_tests():
    assert len(CASES) >= 10
