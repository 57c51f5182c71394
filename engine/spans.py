"""Computations over a row's start–end that look beyond the row: whether a visit
overlaps another (one sort per key, a running maximum), and how its minutes fall into
time bands (cut at the bands' boundaries, exploded, grouped back). Each result is a
column that stands in for the call in the formula."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from engine import ast
from engine.frames import changes_in, elapsed, minutes_of_day
from engine.model import Band, band_boundaries
from engine.plan import Plan, Step

if TYPE_CHECKING:
    from engine.compile import Compiler


# Encoding (group, time) in one Int64 makes the overlap search one sort of one integer
# column, and lets one running maximum over the whole sorted frame restart at every
# group: the group's code in the high bits, the time since the frame's first start
# in the low ones.
_BITS = 62


def calls_to(func: str, steps: list[Step]) -> Iterator[ast.Call]:
    """Every call of `func` (`overlaps`, `minutes_in`) in the steps' formulas."""
    for step in steps:
        for tree in (step.tree, step.quantity):
            for node in tree.walk() if tree is not None else ():
                if isinstance(node, ast.Call) and node.func == func:
                    yield node


def precompute_overlaps(
    compiler: Compiler,
    steps: list[Step],
    frame: pl.DataFrame,
    neighbours: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Each `overlaps(…)` whose keys are plain columns of the frame, computed once by
    sorting (keys, start) and comparing neighbours: several times faster than a window
    per group on millions of visits. `neighbours` are rows of the months on either side
    that the month's rows are compared with too. The result column stands in for the
    call."""
    if frame.height == 0 or not {"start", "end"} <= set(frame.columns):
        return frame
    calls: list[tuple[ast.Call, tuple[str, ...]]] = []
    for node in calls_to("overlaps", steps):
        if id(node) in compiler.agg_columns:
            continue
        exprs = [compiler.expr(a) for a in node.args]
        names = [k.meta.output_name(raise_if_undetermined=False) for k in exprs]
        if any(n is None or n not in frame.columns for n in names):
            continue  # keys computed by the model: the window version handles them
        calls.append((node, tuple(str(n) for n in names)))
    found = overlaps_of(frame, [keys for _, keys in calls], neighbours)
    for node, keys in calls:
        flags = found[keys]
        if flags is not None:  # else the window version computes it
            column = f"__agg_overlaps_{len(compiler.agg_columns)}"
            frame = frame.with_columns(flags.alias(column))
            compiler.agg_columns[id(node)] = column
    return frame


def overlaps_of(
    month: pl.DataFrame, key_sets: list[tuple[str, ...]], neighbours: pl.DataFrame | None
) -> dict[tuple[str, ...], pl.Series | None]:
    """Which rows of `month` overlap another row with the same keys, for each key set
    (None where the times cannot be packed). Neighbours' rows count where they have
    the keys' columns."""
    usable = neighbours is not None and neighbours.height > 0
    beside = [k for k in key_sets if usable and set(k) <= set(neighbours.columns)]  # type: ignore[union-attr]
    alone = [k for k in key_sets if k not in beside]
    return {
        **_overlaps_together(month, alone, None),
        **_overlaps_together(month, beside, neighbours),
    }


def _overlaps_together(
    month: pl.DataFrame, key_sets: list[tuple[str, ...]], neighbours: pl.DataFrame | None
) -> dict[tuple[str, ...], pl.Series | None]:
    """The key sets' overlaps over the month's rows and the neighbours': each key coded
    once, and a key set that holds another's keys looked for only among the rows that
    one found (two visits of the same staff and customer that meet are two visits of
    the same staff that meet)."""
    if not key_sets:
        return {}
    columns = list(dict.fromkeys(k for keys in key_sets for k in keys))
    frame = _rows(month, columns, neighbours)
    # every key coded in one pass, the columns side by side on the cores
    coded = frame.select(_code(frame, k).alias(k) for k in columns)
    codes = dict(zip(columns, coded.iter_columns(), strict=True))
    found: dict[frozenset[str], pl.Series] = {}
    out: dict[tuple[str, ...], pl.Series | None] = {}
    for keys in sorted(dict.fromkeys(key_sets), key=len):
        among = [flags for done, flags in found.items() if done <= set(keys)]
        flags = _flags(frame, list(keys), codes, among)
        if flags is not None:
            found[frozenset(keys)] = flags
        out[keys] = flags.head(month.height) if flags is not None else None
    return out


def _rows(month: pl.DataFrame, keys: list[str], neighbours: pl.DataFrame | None) -> pl.DataFrame:
    """The keys, start and end of the month's rows, then of the neighbours' rows."""
    own = month.select(*keys, "start", "end")
    if neighbours is None:
        return own
    others = neighbours.select(*keys, "start", "end").cast(own.schema)
    return pl.concat([own, others])


def _overlaps_by_sorting(
    month: pl.DataFrame, keys: list[str], neighbours: pl.DataFrame | None
) -> pl.Series | None:
    """Which rows of `month` overlap another row with the same keys (or a neighbouring
    month's row); None when the times cannot be packed."""
    return overlaps_of(month, [tuple(keys)], neighbours)[tuple(keys)]


def _flags(
    frame: pl.DataFrame, keys: list[str], codes: dict[str, pl.Series], among: list[pl.Series]
) -> pl.Series | None:
    """For each row of `frame`, whether it overlaps another row with the same keys,
    looking only at rows flagged in every one of `among`: the keys become one integer
    code, packed with the start into one Int64, sorted once; a row overlaps when it
    starts before the latest end of the rows before it in its group, or ends after the
    next row starts."""
    coded = frame.select("start", "end").with_columns(
        *(codes[key].alias(f"__k{j}") for j, key in enumerate(keys)),
        *(flags.alias(f"__among{j}") for j, flags in enumerate(among)),
    )
    valid = pl.col("end") > pl.col("start")
    for j in range(len(keys)):
        valid = valid & pl.col(f"__k{j}").is_not_null()
    for j in range(len(among)):
        valid = valid & pl.col(f"__among{j}")
    rows = coded.lazy().with_row_index("__i").filter(valid)
    packing = _packing(rows, len(keys))
    if packing is None:
        return None
    if packing.rows == 0:
        return pl.Series("overlaps", [False] * frame.height, dtype=pl.Boolean)
    # Packed times compare within a group as the times do, and a row of an earlier group
    # always ends before a later group's rows start (each time is below the unit), so
    # neither comparison needs the group: the latest end before a row is of its own
    # group whenever it is late enough to matter, and so is the next row's start.
    start, end = pl.col("__packed"), pl.col("__packed_end")
    earlier_end = end.cum_max().shift(1)
    hit = (start < earlier_end).fill_null(False) | (start.shift(-1) < end).fill_null(False)
    overlapping = (  # one query: the valid rows' three columns made, sorted, compared
        rows.select("__i", *packing.columns())
        .sort("__packed")
        .filter(hit)
        .select("__i")
        .collect()["__i"]
    )
    return pl.zeros(frame.height, pl.Boolean, eager=True).scatter(overlapping, True)


@dataclass(frozen=True)
class _Packing:
    """How the valid rows' keys (`__k0` …, already coded) and times become one Int64
    each: the keys' sizes (each key's largest code + 1), the times' scale (1 µs, or
    1 s when every time is whole and microseconds would not fit) and the unit a
    group's times stay below."""

    rows: int
    sizes: tuple[int, ...]
    scale: int
    unit: int

    def columns(self) -> list[pl.Expr]:
        """`__packed` = group · unit + start and `__packed_end` = group · unit + end,
        the times counted from the first start."""
        group = pl.lit(0, dtype=pl.Int64)
        for j, size in enumerate(self.sizes):
            group = group * size + pl.col(f"__k{j}")
        since = [time // self.scale for time in _since_first_start()]
        return [
            (group * self.unit + since[0]).alias("__packed"),
            (group * self.unit + since[1]).alias("__packed_end"),
        ]


def _packing(rows: pl.LazyFrame, keys: int) -> _Packing | None:
    """The packing of the rows, from one pass over them (their count, each key's
    largest code, the first start and the last end); None when even seconds do not
    fit in 62 bits (the caller falls back to a window per group)."""
    found = rows.select(
        pl.len().alias("rows"),
        *(pl.col(f"__k{j}").max().alias(f"__k{j}") for j in range(keys)),
        (pl.col("end").max() - pl.col("start").min()).dt.total_microseconds().alias("span"),
    ).collect()
    if found["rows"][0] == 0:
        return _Packing(0, (), 1, 1)
    sizes = tuple(int(found[f"__k{j}"][0] or 0) + 1 for j in range(keys))
    size = math.prod(sizes)
    scale = 1
    span = int(found["span"][0] or 0) + 1
    if size.bit_length() + span.bit_length() > _BITS:
        since = _since_first_start()
        whole = rows.select(((since[0] % 1_000_000 == 0) & (since[1] % 1_000_000 == 0)).all())
        if not whole.collect().item():
            return None
        scale, span = 1_000_000, span // 1_000_000 + 1
        if size.bit_length() + span.bit_length() > _BITS:
            return None
    return _Packing(found["rows"][0], sizes, scale, 1 << span.bit_length())


def _since_first_start() -> list[pl.Expr]:
    """Each row's start and end in microseconds since the first start of the rows."""
    first = pl.col("start").min()
    return [(pl.col(c) - first).dt.total_microseconds() for c in ("start", "end")]


def _code(frame: pl.DataFrame, key: str) -> pl.Expr:
    """The key as a small whole number, equal for equal values (which number does not
    matter: only neighbours of one group are compared), in 32 bits: a month's codes of
    three keys are held at once (at 10 M visits, 40 MB each instead of 80 MB)."""
    dtype = frame.schema[key]
    if isinstance(dtype, pl.Enum):  # a party's ids as the run numbers them
        return pl.col(key).to_physical().cast(pl.UInt32)
    if dtype == pl.String:  # categories of its own: numbered from 0
        own = pl.Categorical(pl.Categories.random())
        return pl.col(key).cast(own).to_physical().cast(pl.UInt32)
    return pl.col(key).rank("dense").cast(pl.UInt32)


def precompute_bands(compiler: Compiler, steps: list[Step], frame: pl.DataFrame) -> pl.DataFrame:
    """Each `minutes_in(bands, "name")`: the minutes of every band computed once per
    band parameter, by cutting start–end at the bands' boundaries (a few pieces per
    row, exploded and grouped back), each piece going to the first band holding its
    midpoint. The result column stands in for the call."""
    calls: dict[str, list[ast.Call]] = {}
    for node in calls_to("minutes_in", steps):
        assert isinstance(node.args[0], ast.Name)
        calls.setdefault(node.args[0].name, []).append(node)
    for name, nodes in calls.items():
        bands: list[Band] = compiler.plan.params.get(name) or []
        minutes = _band_minutes(frame, bands, compiler.plan)
        for node in nodes:
            band = node.args[1]
            assert isinstance(band, ast.String)
            column = f"__agg_band_{len(compiler.agg_columns)}"
            frame = frame.with_columns(minutes[band.value].alias(column))
            compiler.agg_columns[id(node)] = column
    return frame


def _band_minutes(frame: pl.DataFrame, bands: list[Band], plan: Plan) -> pl.DataFrame:
    """One column per band: the minutes of each row's start–end in it."""
    names = [b.name for b in bands]
    start, end = pl.col("start"), pl.col("end")
    day = start.dt.truncate("1d")
    points = [start, end] + [
        pl.min_horizontal(pl.max_horizontal(day + pl.duration(days=k, minutes=m), start), end)
        for k in (0, 1, 2)
        for m in band_boundaries(bands)
    ]
    p, q = pl.col("__p"), pl.col("__q")
    pieces = (
        frame.lazy()
        .select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
            pl.concat_list(points).alias("__p"),
        )
        .explode("__p")
        .drop_nulls("__p")
        .sort("__row", "__p")
        .with_columns(p.shift(-1).over("__row").alias("__q"))
        .filter(q > p)
        .with_columns(
            elapsed(q, p, changes_in(frame, ["start", "end"])).alias("__minutes"),
            (p + pl.duration(microseconds=(q - p).dt.total_microseconds() // 2)).alias("__mid"),
        )
    )
    which: Any = pl.lit(None, dtype=pl.String)
    for band in reversed(bands):
        which = (
            pl.when(_in_band(band, pl.col("__mid"), plan)).then(pl.lit(band.name)).otherwise(which)
        )
    grouped = (
        pieces.with_columns(which.alias("__band"))
        .group_by("__row", "__band")
        .agg(pl.col("__minutes").sum())
        .collect()
    )
    rows = pl.DataFrame({"__row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    valid = frame.select((start.is_not_null() & end.is_not_null()).alias("v"))["v"]
    out = {}
    for band_name in names:
        per_row = (
            rows.join(
                grouped.filter(pl.col("__band") == band_name).select("__row", "__minutes"),
                on="__row",
                how="left",
            )
            .sort("__row")["__minutes"]
            .fill_null(0.0)
        )
        out[band_name] = pl.Series(band_name, per_row).zip_with(
            valid, pl.Series([None] * frame.height, dtype=pl.Float64)
        )
    return pl.DataFrame(out) if out else pl.DataFrame()


def _in_band(band: Band, moment: pl.Expr, plan: Plan) -> pl.Expr:
    """Is the moment in the band (its calendar, days and window)? See `Band`."""
    inside: pl.Expr = pl.lit(True)
    if band.calendar:
        dates = pl.Series(list(plan.params.get(band.calendar) or []), dtype=pl.Date)
        inside = moment.dt.date().is_in(dates.implode())
    of_day = minutes_of_day(moment)
    weekday = moment.dt.weekday()
    if band.weekly and band.start is not None and band.end is not None:
        inside = inside & _cyclic((weekday - 1) * 1440 + of_day, band.start, band.end)
    elif band.start is not None and band.end is not None:
        window = _cyclic(of_day, band.start, band.end)
        if band.days:
            days = list(band.days)
            opened = (
                weekday.is_in(days)
                if band.start < band.end
                else pl.when(of_day >= band.start)
                .then(weekday.is_in(days))
                .otherwise(((weekday - 2) % 7 + 1).is_in(days))
            )
            window = window & opened
        inside = inside & window
    elif band.days:
        inside = inside & weekday.is_in(list(band.days))
    return inside


def _cyclic(x: pl.Expr, start: int, end: int) -> pl.Expr:
    if start < end:
        return (x >= start) & (x < end)
    if start > end:
        return (x >= start) | (x < end)
    return pl.lit(True)
