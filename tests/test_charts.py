"""A chart drawn while matplotlib is still loading in the background (`charts.prepare`,
called by `compare --out` and `simulate --out` before their runs) is the chart drawn
without it, byte for byte: the drawing waits for the import to finish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DRAW = """
import sys
from engine import charts
if sys.argv[1] == "prepared":
    charts.prepare()  # and draw at once, while the import may be under way
svg = charts.paired_bars(["Omsorg Nord", "<Söder>"], [1234.5, 99], [1000, 250.25], "A", "B", "Per utförare")
svg += charts.change_bars(["Omsorg Nord", "<Söder>"], [-234.5, 151.25], "Skillnad")
sys.stdout.write(svg)
"""


def _drawn(how: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", DRAW, how], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.parametrize("attempt", range(3))
def test_a_chart_drawn_while_its_library_loads_is_the_chart_drawn_after(attempt):
    prepared, plain = _drawn("prepared"), _drawn("plain")
    assert prepared.startswith("<svg") and "&lt;Söder&gt;" in prepared
    assert prepared == plain
