"""Each entity's rows for a month, from the input tables by the vocabulary's month
rules (a moment, a period, a date, all rows, pairs of other entities' rows, or one row
per day of a period), with the customer's and provider's fields the model reads."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, assert_never

import numpy as np
import polars as pl

from engine import types as t
from engine.catalog import DAY, DAY_NUMBER, ZONE, Entity, Vocabulary, read_iso
from engine.clock import MOMENTS, ClockChange, changes_near
from engine.plan import Plan


def _in_month(entity: Entity, frame: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The rows of an input table that belong to the month, by the entity's rule."""
    rule = entity.month
    match rule.by:
        case "moment":
            start = datetime.combine(plan.month, datetime.min.time())
            stop = datetime.combine(plan.month_end + timedelta(days=1), datetime.min.time())
            column = pl.col(rule.columns[0])
            return frame.filter((column >= start) & (column < stop))
        case "period":
            first, last = (pl.col(c) for c in rule.columns)
            return frame.filter((first <= plan.month_end) & (last.is_null() | (last >= plan.month)))
        case "date":
            return frame.filter(pl.col(rule.columns[0]).is_between(plan.month, plan.month_end))
        case "all":
            return frame
        case "pairs" | "days":
            raise AssertionError(f"{entity.name} has no rows of its own table")
        case _:
            assert_never(rule.by)


def neighbour_registrations(plan: Plan, tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The registrations of the months on either side that can overlap one of this
    month's (Örebro §4.7 at a month end): those that began before the month and end
    after it began, and those that begin in the day after it (a registration lasts at
    most a day). `overlaps` compares the month's rows with these too; they are not
    rows of the month."""
    vocabulary = plan.checked.model.vocabulary
    frame = tables.get(vocabulary.registrations)
    if frame is None or not {"start", "end"} <= set(frame.columns):
        return None
    first = datetime.combine(plan.month, datetime.min.time())
    after = datetime.combine(plan.month_end + timedelta(days=1), datetime.min.time())
    start, end = pl.col("start"), pl.col("end")
    return frame.filter(
        ((start < first) & (end > first)) | ((start >= after) & (start < after + timedelta(days=1)))
    )


# Columns kept besides the vocabulary's keys and month columns, for reports and explain.
REPORTED_COLUMNS = frozenset({"claim_id", "period_start", "period_end", "start", "end"})


def _projected(frame: pl.DataFrame, read: set[str], kept: frozenset[str]) -> pl.DataFrame:
    """Only the columns the model reads (and those always kept): filtering a month
    out of a table then copies a third of the data, not all of it."""
    wanted = kept | REPORTED_COLUMNS | read
    if all(c in wanted for c in frame.columns):
        return frame
    return frame.select([c for c in frame.columns if c in wanted])


def _party_columns(
    vocabulary: Vocabulary, entity: Entity, read: set[str], everything: bool
) -> dict[str, list[tuple[str, str]]]:
    """Per party of the entity, the (column, frame column) pairs to join: the party's
    fields the model reads (all of them for a pairs entity, which reports describe),
    and `customer.x` / `provider.x` attributes."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name in entity.parties:
        fields = entity.party_fields.get(name, vocabulary.parties[name].fields)
        wanted = [(f, f) for f in fields if everything or f in read]
        prefix = f"{name}."
        wanted += [(r[len(prefix) :], r) for r in sorted(read) if r.startswith(prefix)]
        if wanted:
            out[name] = wanted
    return out


def joins_parties(plan: Plan, entity: Entity) -> bool:
    """Whether the entity's frame has its customer's or provider's fields joined."""
    read = plan.checked.columns.get(entity.name, set())
    wanted = _party_columns(plan.checked.model.vocabulary, entity, read, entity.month.by == "pairs")
    return bool(wanted)


def _with_parties(
    plan: Plan,
    frame: pl.DataFrame,
    entity: Entity,
    tables: dict[str, pl.DataFrame],
) -> pl.DataFrame:
    """The customer's and provider's fields the model reads, joined by their keys (a
    join on every visit of a month costs time, so only where read)."""
    vocabulary = plan.checked.model.vocabulary
    read = plan.checked.columns.get(entity.name, set())
    wanted = _party_columns(vocabulary, entity, read, entity.month.by == "pairs")
    zones = {d: zone for zone, districts in plan.checked.model.zones.items() for d in districts}
    for party_name, columns in wanted.items():
        party = vocabulary.parties[party_name]
        if party.key not in frame.columns:
            continue
        frame = frame.drop([alias for _, alias in columns if alias in frame.columns])
        source = tables[party.table]
        exprs = [pl.col(party.key)]
        for column, alias in columns:
            if column == ZONE:
                district = pl.col("district").replace_strict(
                    zones, default=None, return_dtype=pl.String
                )
                exprs.append(district.alias(alias))
            else:
                exprs.append(pl.col(column).alias(alias))
        frame = frame.join(source.select(exprs), on=party.key, how="left")
    return frame


def _days(periods: pl.DataFrame, source: Entity, plan: Plan) -> pl.DataFrame:
    """One row per day of the month in each period (an absence, a decision), with the
    day and its number within the period (day 1 is the period's first day, also when
    that was in an earlier month): a date range exploded, no loop per row."""
    first, last = (pl.col(c) for c in source.month.columns)
    # days as whole numbers (a date is its day number): ranges of integers are made
    # about twice as fast as ranges of dates
    begin = pl.max_horizontal(first, pl.lit(plan.month)).cast(pl.Int32)
    end = pl.min_horizontal(last.fill_null(pl.lit(plan.month_end)), pl.lit(plan.month_end))
    days = pl.int_ranges(begin, end.cast(pl.Int32) + 1, dtype=pl.Int32)
    return (  # as one query: 0.21 s instead of 0.35 s for a month of 234 000 decisions
        periods.lazy()
        .with_columns(days.alias(DAY))
        .explode(DAY)
        .drop_nulls(DAY)
        .with_columns(pl.col(DAY).cast(pl.Date))
        .with_columns(((pl.col(DAY) - first).dt.total_days() + 1).cast(pl.Int64).alias(DAY_NUMBER))
        .collect()
    )


def pairs_frame(
    plan: Plan,
    entity: Entity,
    frames: Mapping[str, pl.DataFrame],
    tables: dict[str, pl.DataFrame],
    known: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """A pairs entity's rows: every pair of its keys among the rows of the entities it
    pairs, in order, with its parties' fields. `known` holds an entity's pairs found
    already (its rows grouped on the keys for an aggregation: a group-by's groups are
    its pairs, and finding them again is a pass over ten million visits)."""
    keys = list(entity.key)
    known = known or {}
    rows = (
        pl.concat(
            [
                known[e].lazy().select(keys)
                if e in known
                else frames[e].lazy().select(keys).unique()
                for e in entity.month.of
            ]
        )
        .unique()
        .sort(keys[::-1])
        .collect()
    )
    return _with_parties(plan, rows, entity, tables)


def deferrable_pairs(vocabulary: Vocabulary) -> frozenset[str]:
    """The pairs entities whose rows may be made at their turn in the evaluation (from
    the group-bys of their aggregations) rather than with the other base frames: all
    but those whose rows another kind of entity is made from (the days of a period).
    Pairs of pairs (provider-months of customer-months) are made in order, each after
    the entity it pairs."""
    sources = {
        e
        for entity in vocabulary.entities.values()
        if entity.month.by != "pairs"
        for e in entity.month.of
    }
    return frozenset(
        name
        for name, entity in vocabulary.entities.items()
        if entity.month.by == "pairs" and name not in sources
    )


def base_frames(
    plan: Plan, tables: dict[str, pl.DataFrame], deferred: Collection[str] = ()
) -> dict[str, pl.DataFrame]:
    """Each entity's rows for the month, by its month rule, with the fields of its
    customer and provider that the model reads joined in; not those `deferred` (pairs
    entities made later by `pairs_frame`)."""
    vocabulary = plan.checked.model.vocabulary
    read = plan.checked.columns
    kept = vocabulary.kept_columns()
    frames: dict[str, pl.DataFrame] = {}
    for name in vocabulary.order:
        entity = vocabulary.entities[name]
        if name in deferred:
            continue
        if entity.month.by == "pairs":
            frames[name] = pairs_frame(plan, entity, frames, tables)
            continue
        if entity.month.by == "days":
            periods = _projected(frames[entity.month.of[0]], read.get(name, set()), kept)
            rows = _days(periods, vocabulary.entities[entity.month.of[0]], plan)
        else:
            assert entity.table is not None
            wanted = set(read.get(name, set()))
            for days in vocabulary.days_of(name):  # columns read on its days as rows
                wanted |= read.get(days, set())
            table = _projected(tables[entity.table], wanted, kept)
            rows = _in_month(entity, table, plan)
        frames[name] = _with_parties(plan, rows, entity, tables)
    return frames


def polars_type(typ: t.Type) -> pl.DataType:
    """The Polars type a value of the language's type is held in."""
    match typ:
        case t.Num():
            return pl.Float64()
        case t.Bool():
            return pl.Boolean()
        case t.Date():
            return pl.Date()
        case t.DateTime():
            return pl.Datetime("us")
        case t.Time():
            return pl.Float64()  # minutes after midnight
    return pl.String()


def where_values(values: Sequence[Any], dtype: pl.DataType) -> pl.Series:
    """`where:`'s values (a data requirement's, an assumption's) as a column of `dtype`
    holds them, to compare with `is_in` (`check` has said which none can be:
    `catalog.where_value`). A date and time as text, or ids written as numbers and as
    text in one list, stopped the run with a traceback."""
    if dtype == pl.Date:
        return pl.Series([read_iso(v, date.fromisoformat) for v in values], dtype=dtype)
    if isinstance(dtype, pl.Datetime):
        return pl.Series([read_iso(v, datetime.fromisoformat) for v in values], dtype=dtype)
    if dtype == pl.String:
        return pl.Series([str(v) for v in values], dtype=dtype)
    return pl.Series(values, strict=False).cast(dtype, strict=False)


def in_minutes(duration: pl.Expr) -> pl.Expr:
    """A Polars duration as the language holds one: minutes, with fractions."""
    return duration.dt.total_microseconds() / 60_000_000


def minutes_of_day(moment: pl.Expr) -> pl.Expr:
    """Minutes after midnight of a date and time."""
    return in_minutes(moment - moment.dt.truncate("1d"))


def in_pieces(frame: pl.DataFrame) -> pl.DataFrame:
    """The same frame with every column held as a real series cut into the same
    pieces as its first column.

    A frame read from a file's row groups is in pieces (182 for 10 M visits). A column
    added whole beside them (an aggregation's, a constant) makes the next expression
    over the frame copy every one of its columns into one piece (at 10 M visits 1 s,
    and the frame held twice meanwhile); cut to match, the added column is views of
    its own buffer, and nothing is copied. Polars 2.1 also keeps a constant column
    (all null, or a literal) as a "scalar column", and some kernels then return one
    row instead of a whole column (see `Compiler._compare`): a real series sidesteps
    that."""
    lengths = _piece_lengths(frame)
    columns = [frame.get_column(c) for c in frame.columns]
    if len(lengths) > 1:
        columns = [_cut(column, lengths) for column in columns]
    return pl.DataFrame(columns)


def _piece_lengths(frame: pl.DataFrame) -> list[int]:
    if frame.width == 0:
        return []
    first = frame.get_column(frame.columns[0])
    return [first.len()] if first.n_chunks() == 1 else [c.len() for c in first.get_chunks()]


def _cut(column: pl.Series, lengths: list[int]) -> pl.Series:
    if column.n_chunks() > 1:
        if [c.len() for c in column.get_chunks()] == lengths:
            return column
        column = column.rechunk()
    pieces, offset = [], 0
    for length in lengths:
        pieces.append(column.slice(offset, length))
        offset += length
    return pl.concat(pieces, rechunk=False)


def elapsed(
    later: pl.Expr, earlier: pl.Expr, changes: Sequence[ClockChange] | None = None
) -> pl.Expr:
    """`elapsed_minutes` on columns. `changes` are all the clock changes the values can
    lie across (those between a frame's first and last date and time: none outside
    March and October, and a comparison or two within); None stands for every one,
    found by a binary search per value."""
    if changes is None:
        return elapsed_microseconds(later, earlier) / 60_000_000
    wall = (later - earlier).dt.total_microseconds() / 60_000_000
    for change in changes:
        crossed = (later >= change.at).cast(pl.Int8) - (earlier >= change.at).cast(pl.Int8)
        wall = wall - crossed.cast(pl.Float64) * change.minutes
    return wall


# Each function of clock times below reads each of its arguments once, in one batch:
# written as expressions, a time moved by a duration read its moment six times over,
# and a window of such times (`minutes_within(start_date + 20 h, …)`) grew to gigabytes.
_CHANGE_MICROS = np.array(MOMENTS, dtype="datetime64[us]").astype(np.int64)
_CHANGE_LIST: list[int] = _CHANGE_MICROS.tolist()
_MINUTE = 60_000_000


def _micros(moment: pl.Expr) -> pl.Expr:
    return moment.cast(pl.Datetime("us")).cast(pl.Int64)


# a batch whose times lie across at most this many clock changes is told summer from
# winter by a comparison with each, not by a search among all of them
_CHANGES_COMPARED = 8


def _summer_of(micros: pl.Series) -> pl.Series:
    """`clock.summer_minutes` of clock times held as microseconds (null stays null).
    A month's times lie across a change or two: the minutes are those before the
    first time plus a comparison with each change up to the last (a search among
    every change of a century for each of 10 M visits took 0.4 s, this 0.07 s)."""
    moments = micros.to_frame("moment")
    moment = pl.col("moment")
    first, last = moments.select(moment.min().alias("first"), moment.max().alias("last")).row(0)
    if first is None:  # no time at all
        return pl.repeat(None, len(micros), dtype=pl.Int64, eager=True)
    low = bisect.bisect_right(_CHANGE_LIST, first)
    high = bisect.bisect_right(_CHANGE_LIST, last)
    if high - low <= _CHANGES_COMPARED:
        return moments.select(_summer_across(low, high)).to_series()
    found = np.searchsorted(_CHANGE_MICROS, micros.fill_null(0).to_numpy(), side="right")
    minutes = pl.Series(found % 2 * 60, dtype=pl.Int64)
    return minutes.zip_with(micros.is_not_null(), pl.Series([None] * len(micros), dtype=pl.Int64))


def _summer_across(low: int, high: int) -> pl.Expr:
    """The summer minutes of `moment`, a time after change `low - 1` and before change
    `high` (by their places in `_CHANGE_LIST`): the minutes at change `low - 1`, on or
    back by each change from `low` the time has reached."""
    moment = pl.col("moment")
    # a literal alone would be one row, and a missing time 0 minutes
    minutes: pl.Expr = pl.when(moment.is_not_null()).then(pl.lit(low % 2 * 60, dtype=pl.Int64))
    for k in range(low, high):  # March's change moves the clock on, October's back
        minutes = minutes + (moment >= _CHANGE_LIST[k]).cast(pl.Int64) * (-60 if k % 2 else 60)
    return minutes


def _batch(fields: dict[str, pl.Expr], function: Any, dtype: pl.DataType) -> pl.Expr:
    together = pl.struct([expr.alias(name) for name, expr in fields.items()])
    return together.map_batches(function, return_dtype=dtype, is_elementwise=True)


def elapsed_microseconds(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """`elapsed` in whole microseconds, for moving a time by a share of it exactly."""

    def passed(pair: pl.Series) -> pl.Series:
        a, b = pair.struct.field("a"), pair.struct.field("b")
        return (a - b) - (_summer_of(a) - _summer_of(b)) * _MINUTE

    return _batch({"a": _micros(later), "b": _micros(earlier)}, passed, pl.Int64())


def clock_after(moment: pl.Expr, microseconds: pl.Expr) -> pl.Expr:
    """What a Swedish clock shows `microseconds` after it showed `moment` (an hour
    more across March's change night, an hour less across October's): on a scale of
    winter time, summer time runs from each change's 02:00 to the next."""

    def shown(pair: pl.Series) -> pl.Series:
        t, d = pair.struct.field("t"), pair.struct.field("d")
        winter = t - _summer_of(t) * _MINUTE + d
        return (winter + _summer_of(winter + 60 * _MINUTE) * _MINUTE).cast(pl.Datetime("us"))

    return _batch(
        {"t": _micros(moment), "d": microseconds.cast(pl.Int64)}, shown, pl.Datetime("us")
    )


def changes_in(
    frame: pl.DataFrame, columns: Sequence[str], margin_days: int = 3
) -> list[ClockChange]:
    """The clock changes within `margin_days` of the frame's dates and times in
    `columns` (a visit's day before and two days after are looked at by windows)."""
    if frame.height == 0 or not columns:
        return []
    bounds = frame.select(
        pl.min_horizontal(pl.col(c).min().cast(pl.Datetime("us")) for c in columns).alias("lo"),
        pl.max_horizontal(pl.col(c).max().cast(pl.Datetime("us")) for c in columns).alias("hi"),
    ).row(0)
    if bounds[0] is None:
        return []
    return changes_near(bounds[0], bounds[1], timedelta(days=margin_days))
