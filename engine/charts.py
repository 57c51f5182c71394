"""Charts as inline SVG, drawn with matplotlib: a report that embeds them needs no
network, no JavaScript and prints as sharply as it shows.

Every function takes plain numbers (SEK, not öre) and labels, and returns an `<svg>`
element as text. Labels come from input data; matplotlib writes them as escaped XML
text, so a provider called `<script>` is shown, never run.

A command that writes a report starts a second Python process to draw its charts
(`prepare`): matplotlib holds the interpreter while it lays a chart out, and the
command's tables and workbook, written meanwhile, need it too. The charts are the
same bytes drawn either way; where the process cannot start or fails, a chart is
drawn here.
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from engine import swedish

A_COLOUR = "#4c72b0"  # model A, and "before"
B_COLOUR = "#dd8452"  # model B, and "after"
GAIN_COLOUR = "#55a868"
LOSS_COLOUR = "#c44e52"
SVG_DPI = 72  # matplotlib draws SVG at 72 dots an inch: a figure made so is laid out as drawn


def _figure_class() -> Any:
    """matplotlib's Figure, set up once. Figures are made without pyplot: no global
    state to close, and a second less of imports for a report."""
    import matplotlib

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: searchable, small, selectable
            "svg.hashsalt": "carepay",  # the same chart gives the same file
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib.figure import Figure

    return Figure


class _Painter:
    """A second Python process that draws charts on request: a chart's name and
    arguments go to it pickled, its SVG comes back (each message its length first).
    One request at a time (a lock). A chart it fails to draw is drawn here, where the
    error is the caller's to see; a process that is gone is not asked again."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lock = threading.Lock()
        self.working = True
        self.greeted = False  # its greeting read: what it writes next is answers
        self.drawn = 0  # charts it has drawn

    def draw(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """The chart drawn by the process, or None when it is not."""
        with self.lock:
            if not self.working:
                return None
            try:
                assert self.process.stdin is not None and self.process.stdout is not None
                if not self.greeted:  # anything else first (a start-up script's print)
                    self.greeted = self.process.stdout.read(len(GREETING)) == GREETING
                    if not self.greeted:
                        raise EOFError
                _send(self.process.stdin, (name, _plain(args), _plain(kwargs)))
                answer = _received(self.process.stdout)
            except (OSError, EOFError, pickle.PickleError, struct.error, AttributeError):
                answer = None
            if not (isinstance(answer, tuple) and len(answer) == 2):
                self.stop()  # the process is gone or garbled: not asked again
                return None
            if answer[0] != "svg":
                return None  # it failed: drawn here
            self.drawn += 1
            return str(answer[1])

    def stop(self) -> None:
        """Ends the process: its input closed, it finishes and exits."""
        self.working = False
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


_painter: _Painter | None = None


def prepare() -> None:
    """Start the process that draws this command's charts, for a command that will
    draw them after work that keeps this one busy (reading, evaluating, writing its
    tables): matplotlib's import (0.4-0.6 s) and the drawing (0.1-0.2 s a chart) then
    run beside it on the second core. `compare --out` at 1 M visits: see
    docs/architecture.md. Where no process can be started, matplotlib is loaded in a
    second thread here instead (a chart drawn before it is loaded waits for it,
    Python's import lock), not as a daemon: a command that stops early waits for the
    import to end rather than exit in the middle of it."""
    global _painter
    if _painter is not None and _painter.working:
        return
    root = str(Path(__file__).resolve().parent.parent)  # where `engine` is found
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
    try:
        process = subprocess.Popen(
            # -P: not the working directory first on the path, where another `engine`
            # package may be (the user's own, or another checkout's)
            [sys.executable, "-P", "-c", "from engine.charts import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
    except OSError:
        threading.Thread(target=_figure_class, name="charts").start()
        return
    _painter = _Painter(process)
    atexit.register(_painter.stop)


def serve() -> None:
    """The drawing process: loads matplotlib, then draws each chart asked for on its
    input until the input ends."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")  # the answers' own stream:
    sys.stdout = sys.stderr  # nothing printed by the way can garble them
    requests = sys.stdin.buffer
    _figure_class()
    answers.write(GREETING)  # what came before it was not carepay's
    answers.flush()
    while True:
        try:
            name, args, kwargs = _received(requests)
        except EOFError:
            return
        try:
            answer: tuple[str, str] = ("svg", _DRAWINGS[name](*args, **kwargs))
        except Exception as error:  # noqa: BLE001  (drawn again by the asker, who sees it)
            answer = ("failed", repr(error))
        _send(answers, answer)


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


GREETING = b"carepay charts\n"  # the drawing process's first words, once it is ready
LONGEST = 1 << 30  # a message longer than this is garbled, not waited for


def _received(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    size = struct.unpack("<Q", head)[0]
    if size > LONGEST:
        raise EOFError
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301  (our own process's messages)


def _plain(value: Any) -> Any:
    """Arguments as plain Python values (a column of numbers as a list), so that the
    drawing process needs nothing but matplotlib to read them."""
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) or hasattr(value, "to_list"):
        return [_plain(v) for v in value]
    return value


_DRAWINGS: dict[str, Callable[..., str]] = {}


def _drawn_apart(draw: Callable[..., str]) -> Callable[..., str]:
    """A chart function that asks the drawing process first (when `prepare` started
    one) and draws here when it cannot."""
    _DRAWINGS[draw.__name__] = draw

    @functools.wraps(draw)
    def chart(*args: Any, **kwargs: Any) -> str:
        painter = _painter
        if painter is not None:
            svg = painter.draw(draw.__name__, args, kwargs)
            if svg is not None:
                return svg
        return draw(*args, **kwargs)

    return chart


def _svg(fig: Any) -> str:
    """The figure as SVG, cut to what is drawn (with matplotlib's padding). The box is
    found by laying the figure out once, without drawing; `bbox_inches="tight"` ran a
    whole draw for it, then a second layout: a comparison's five charts at 1 M visits
    0.72-0.87 s against 0.63-0.79 s this way (same process, alternating), the same
    picture."""
    import matplotlib
    from matplotlib.backends.backend_svg import RendererSVG

    width, height = fig.get_size_inches() * SVG_DPI
    layout = RendererSVG(width, height, io.StringIO())
    box = fig.get_tightbbox(layout).padded(matplotlib.rcParams["savefig.pad_inches"])
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches=box, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML


def _sek_axis(axis: Any) -> None:
    """Whole kronor, the Swedish way. Ticks at whole kronor only: a comparison with no
    change drew an axis of −0,06 … 0,06 kr labelled "0 0 0 0 0 0 0"."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(FuncFormatter(lambda v, _: swedish.number(round(v), "#,##0")))


def _figure(rows: int = 1, width: float = 8.0, height: float = 3.6) -> tuple[Any, Any]:
    fig = _figure_class()(figsize=(width, height), dpi=SVG_DPI)
    return fig, fig.subplots(rows, 1)


@_drawn_apart
def paired_bars(
    labels: Sequence[str],
    a: Sequence[float],
    b: Sequence[float],
    label_a: str,
    label_b: str,
    title: str,
    unit: str = "kr",
) -> str:
    """A beside B for each label (per provider, per zone …)."""
    height = max(2.6, 0.32 * len(labels) + 1.2)
    fig, ax = _figure(height=height)
    positions = list(range(len(labels)))
    ax.barh([p - 0.2 for p in positions], a, height=0.4, color=A_COLOUR, label=label_a)
    ax.barh([p + 0.2 for p in positions], b, height=0.4, color=B_COLOUR, label=label_b)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    _sek_axis(ax.xaxis)
    ax.set_xlabel(unit)
    ax.set_title(title, loc="left", pad=24)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, borderaxespad=0.2)
    return _svg(fig)


@_drawn_apart
def change_bars(labels: Sequence[str], diff: Sequence[float], title: str) -> str:
    """B − A for each label, gains and losses in their own colours."""
    height = max(2.4, 0.3 * len(labels) + 1.2)
    fig, ax = _figure(height=height)
    colours = [GAIN_COLOUR if d >= 0 else LOSS_COLOUR for d in diff]
    bars = ax.barh(list(range(len(labels))), diff, color=colours)
    ax.bar_label(  # each bar's value, as a committee reads it: +1 234 kr
        bars,
        labels=[swedish.kronor(round(d * 100), signed=True)[:-3] for d in diff],
        padding=3,
        fontsize=8,
    )
    ax.margins(x=0.15)
    ax.set_yticks(list(range(len(labels))), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.8)
    _sek_axis(ax.xaxis)
    ax.set_xlabel("B − A (kr)")
    ax.set_title(title, loc="left")
    return _svg(fig)


@_drawn_apart
def histogram(values: Sequence[float], title: str, xlabel: str) -> str:
    """How the per-customer change is spread; the zero line marks 'unchanged'."""
    fig, ax = _figure()
    if values:
        ax.hist(values, bins=min(40, max(5, len(set(values)))), color=B_COLOUR, edgecolor="white")
    ax.axvline(0, color="#333", linewidth=0.8)
    _sek_axis(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("kundmånader")
    ax.set_title(title, loc="left")
    return _svg(fig)


@_drawn_apart
def curve(
    xs: Sequence[str],
    totals: Sequence[float],
    title: str,
    xlabel: str,
    baseline: float | None = None,
) -> str:
    """Total cost for each value of a swept parameter, with the unchanged model as a line."""
    fig, ax = _figure()
    positions = list(range(len(xs)))
    ax.plot(positions, totals, marker="o", color=B_COLOUR, label="summa")
    if baseline is not None:
        ax.axhline(baseline, color=A_COLOUR, linestyle="--", label="oförändrad modell")
    ax.set_xticks(positions, xs, rotation=45 if len(xs) > 8 else 0, ha="right")
    _sek_axis(ax.yaxis)
    ax.set_ylabel("kr")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False)
    return _svg(fig)


@_drawn_apart
def lines(
    xs: Sequence[str], series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str
) -> str:
    """One line per series (e.g. each provider's change) over the same x values."""
    fig, ax = _figure(height=4.0)
    positions = list(range(len(xs)))
    for name, ys in series.items():
        ax.plot(positions, ys, marker=".", label=name)
    ax.axhline(0, color="#333", linewidth=0.8)
    ax.set_xticks(positions, xs, rotation=45 if len(xs) > 8 else 0, ha="right")
    _sek_axis(ax.yaxis)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8, ncol=2 if len(series) > 8 else 1, loc="best")
    return _svg(fig)


@_drawn_apart
def waterfall(labels: Sequence[str], steps: Sequence[float], start: float, title: str) -> str:
    """From A's total, each change's part in turn, to B's total."""
    fig, ax = _figure(height=3.8)
    level = start
    names = ["A", *labels, "B"]
    ax.bar(0, start, color=A_COLOUR)
    for i, step in enumerate(steps, start=1):
        bottom = level if step >= 0 else level + step
        ax.bar(i, abs(step), bottom=bottom, color=GAIN_COLOUR if step >= 0 else LOSS_COLOUR)
        level += step
    ax.bar(len(names) - 1, level, color=B_COLOUR)
    low = min([start, level, *_running(start, steps)])
    high = max([start, level, *_running(start, steps)])
    margin = (high - low) * 0.25 or abs(high) * 0.05 or 1
    ax.set_ylim(max(0, low - margin) if low >= 0 else low - margin, high + margin)
    ax.set_xticks(range(len(names)), [_short(n) for n in names], rotation=20, ha="right")
    _sek_axis(ax.yaxis)
    ax.set_ylabel("kr")
    ax.set_title(title, loc="left")
    return _svg(fig)


def _running(start: float, steps: Sequence[float]) -> list[float]:
    out, level = [], start
    for step in steps:
        level += step
        out.append(level)
    return out


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
