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


def _tight(fig) -> str:  # type: ignore[no-untyped-def]
    """The chart as matplotlib cuts it itself (`bbox_inches="tight"`)."""
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _comparable(svg: str) -> str:
    """Clip paths are named by a hash of their box's digits, which the last bits of a
    float change; a zero may be written `-0`. Neither changes the picture."""
    import re

    return re.sub(r"\bp[0-9a-f]{10}\b", "clip", svg).replace("-0 ", "0 ")


LONG = [f"Hemtjänst i Lövstad område {i} AB" for i in range(30)]
CHARTS = {
    "paired bars": lambda c: c.paired_bars(
        LONG, [1e5 * i for i in range(30)], [9e4 * i for i in range(30)], "A", "B", "Per utförare"
    ),
    "change bars": lambda c: c.change_bars(
        LONG, [(-1) ** i * 1e4 * i for i in range(30)], "Ändring"
    ),
    "histogram": lambda c: c.histogram([-3.0, 1.5, 2.0, 40.25], "Fördelning", "kr"),
    "curve": lambda c: c.curve(
        [f"{p} %" for p in range(13)], [1e6 + p for p in range(13)], "Svep", "nivå", 1e6
    ),
    "waterfall": lambda c: c.waterfall(
        ["en ändring", "en mycket lång ändring av reglerna"], [5e4, -2e4], 1e6, "Steg"
    ),
}


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_is_cut_where_matplotlib_cuts_it(name, monkeypatch):
    """`charts._svg` finds the box around what is drawn by one layout instead of
    savefig's `bbox_inches="tight"` (which draws the figure once more to find it): the
    same picture, long labels, a legend above the axes and bar labels included."""
    from engine import charts

    ours = CHARTS[name](charts)
    monkeypatch.setattr(charts, "_svg", _tight)
    theirs = CHARTS[name](charts)
    assert "viewBox" in ours
    assert _comparable(ours) == _comparable(theirs)


@pytest.fixture
def painter():  # type: ignore[no-untyped-def]
    """A drawing process of this test's own (`charts.prepare`), stopped after it."""
    from engine import charts

    charts._painter = None
    charts.prepare()
    yield charts._painter
    assert charts._painter is not None
    charts._painter.stop()
    charts._painter = None


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_drawn_by_the_drawing_process_is_the_chart_drawn_here(name, painter):
    """`prepare` starts a second process that draws the charts (matplotlib holds the
    interpreter while it lays a chart out); what it draws is the same bytes."""
    from engine import charts

    assert painter.working
    apart = CHARTS[name](charts)
    assert painter.drawn == 1  # it was drawn there
    painter.working = False  # now drawn here
    here = CHARTS[name](charts)
    assert apart.startswith("<svg") and apart == here


def test_columns_and_decimals_reach_the_drawing_process_as_plain_values(painter):
    import polars as pl

    from engine import charts

    labels = pl.Series(["Omsorg Nord", "<Söder>"])
    apart = charts.paired_bars(labels, pl.Series([1234.5, 99.0]), [1000, 250.25], "A", "B", "T")
    assert painter.drawn == 1 and "&lt;Söder&gt;" in apart
    painter.working = False
    assert apart == charts.paired_bars(["Omsorg Nord", "<Söder>"], [1234.5, 99], [1000, 250.25],
                                       "A", "B", "T")  # fmt: skip


def test_a_chart_is_drawn_here_when_the_drawing_process_has_died(painter):
    from engine import charts

    painter.process.kill()
    painter.process.wait()
    svg = CHARTS["curve"](charts)
    assert svg.startswith("<svg") and not painter.working


def test_a_chart_that_cannot_be_drawn_fails_here_as_it_would_without_the_process(painter):
    """The process answers that it failed; the chart is drawn here, where the error
    is the caller's to see, and the process draws the next one."""
    from engine import charts

    with pytest.raises(TypeError, match="NoneType"):
        charts.waterfall(["a change"], [1.0], None, "T")  # no start
    assert painter.working and painter.drawn == 0
    assert CHARTS["curve"](charts).startswith("<svg") and painter.drawn == 1


def test_a_drawing_process_that_prints_before_it_is_ready_is_not_used(monkeypatch):
    """A start-up script that prints (a `sitecustomize`, say) writes before the
    process's greeting: the process is not asked, and the chart is drawn here
    rather than waited for."""
    from engine import charts

    monkeypatch.setattr(charts, "_painter", None)
    real = charts.subprocess.Popen

    def noisy(command, **kwargs):  # type: ignore[no-untyped-def]  # a print, then the server
        script = "import sys; sys.stdout.write('hello from a start-up script' * 9); " + command[-1]
        return real([*command[:-1], script], **kwargs)

    monkeypatch.setattr(charts.subprocess, "Popen", noisy)
    charts.prepare()
    painter = charts._painter
    assert painter is not None
    svg = CHARTS["curve"](charts)
    assert svg.startswith("<svg") and not painter.working and painter.drawn == 0
    painter.stop()


def test_the_drawing_process_runs_this_engine_not_one_in_the_working_directory(
    tmp_path, monkeypatch
):
    """A command run from a directory that holds another `engine` package (a user's
    own, another checkout) still has its charts drawn by this one."""
    from engine import charts

    other = tmp_path / "engine"
    other.mkdir()
    (other / "__init__.py").write_text("")
    (other / "charts.py").write_text("def serve():\n    print('not carepay')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(charts, "_painter", None)
    charts.prepare()
    painter = charts._painter
    assert painter is not None
    assert CHARTS["histogram"](charts).startswith("<svg") and painter.drawn == 1
    painter.stop()


def test_a_change_of_nothing_has_one_tick_at_zero_not_seven():
    """Älvsbacka compared with a variant that changed no amount: the chart per zone had
    an axis from −0,06 to 0,06 kr, each tick labelled "0" (seven of them)."""
    import re

    from engine import charts

    svg = charts.change_bars(["glesbygd", "tätort"], [0.0, 0.0], "Förändring per zon (kr)")
    ticks = re.findall(r"<g id=\"xtick_\d+\">.*?>([^<>]*)</text>", svg, re.S)
    assert ticks == ["0"], ticks
