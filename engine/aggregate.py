"""Aggregations: `sum(visits.minutes where counted)` and the like, one `group_by` per
relation on the child's frame, joined to the parent; a filter that names the parent's
own fields (`visit.service`) joins only the columns it reads; an aggregation over no
rows takes the registry's empty value, typed."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

import polars as pl

from engine import ast
from engine import types as t
from engine.builtins import BUILTINS, SKIPS_MISSING
from engine.catalog import Entity, Relation
from engine.checker import (
    AggInfo,
    CheckedModel,
    ColumnRef,
    OuterRef,
    RuleRef,
    clamp_hint,
    formula_text,
    said_unknown,
    skipped_then,
)
from engine.diagnostics import Diagnostic
from engine.frames import in_pieces, polars_type
from engine.money import COMPARE_DECIMALS
from engine.names import clamps, looked_up, lookups_that_can_miss, naming_columns
from engine.plan import Plan, Step


def aggregations(checked: CheckedModel, steps: list[Step]) -> list[tuple[int, AggInfo]]:
    found: dict[int, AggInfo] = {}
    for step in steps:
        for tree in (step.tree, step.quantity):
            if tree is None:
                continue
            for node in tree.walk():
                if id(node) in checked.aggs:
                    found[id(node)] = checked.aggs[id(node)]
    return list(found.items())


def _outer_columns(checked: CheckedModel, infos: list[AggInfo]) -> list[str]:
    """Fields of the aggregating entity that the filters use (`visit.service`)."""
    names = {
        name
        for info in infos
        if info.condition is not None
        for name in _outer_names(checked, info.condition)
    }
    return sorted(names)


def _outer_names(checked: CheckedModel, node: ast.Node) -> set[str]:
    """The aggregating row's own fields that a filter (or a part of one) names."""
    return {
        ref.name for part in node.walk() if isinstance(ref := checked.refs.get(id(part)), OuterRef)
    }


def _agg_expr(
    info: AggInfo, condition: pl.Expr | None, month: tuple[date, date]
) -> tuple[pl.Expr, Any]:
    """(aggregate expression, value where there are no rows)."""
    field = pl.col(info.field.name) if info.field is not None else None  # type: ignore[union-attr]

    def rows(expr: pl.Expr | None) -> pl.Expr:
        # rows outside the filter become missing values rather than being dropped: sum,
        # count, min, max, any and all skip a missing value as they skip a dropped row,
        # and Polars' group-by takes its fast path for a column with missing values,
        # where a filter within each group takes the general one (10 M visits, two
        # filtered sums grouped by customer and provider: 0.30-0.35 s -> 0.24-0.25 s)
        assert expr is not None
        return pl.when(condition).then(expr) if condition is not None else expr

    def kept_rows(expr: pl.Expr | None) -> pl.Expr:  # the rows the filter keeps, alone
        assert expr is not None
        return expr.filter(condition) if condition is not None else expr

    empty = BUILTINS[info.func].empty
    default = float(empty) if type(empty) is int else empty  # numbers are floats here
    match info.func, field:
        case "days_covered", None:
            return _days_covered(info, condition, month), default
        case "sum", f if f is not None:
            return rows(f).sum(), default
        case "count", None:
            rows_counted = condition.sum() if condition is not None else pl.len()
            return rows_counted.cast(pl.Float64), default
        case "count", f:
            return rows(f).count().cast(pl.Float64), default
        case "count_distinct", f if f is not None:
            # counted among the kept rows: masked, each group's missing values would be
            # dropped before counting (Örebro's decision days: 0.21 s -> 0.36 s)
            return kept_rows(f).drop_nulls().n_unique().cast(pl.Float64), default
        case "any", None:
            return (condition.sum() if condition is not None else pl.len()) > 0, default
        case "any", f:
            return rows(f).any(), default
        case "all", f if f is not None:
            return rows(f).all(), default
        case "min", f if f is not None:
            return rows(f).min(), default
        case "max", f if f is not None:
            return rows(f).max(), default
    raise AssertionError(info.func)


# The aggregation columns stay in the entity's frame (under this prefix, named by
# their place and what they compute), so that a re-evaluation with other parameter
# values takes them as they were when nothing they read has changed.
KEPT = "__kept_agg_"


def _alias(number: int, i: int, info: AggInfo) -> str:
    """Its place among the entity's aggregations and a fingerprint of what it is: a
    column kept from an earlier evaluation is only ever taken for the same one."""
    what = repr((info.func, info.relation.name, info.field, info.condition, info.period))
    return f"{KEPT}{number}_{i}_{hashlib.sha1(what.encode()).hexdigest()[:12]}"


Compiled = Callable[[ast.Node], pl.Expr]
Named = list[tuple[str, tuple[int, AggInfo]]]  # (column, (node id, aggregation))


def _by_relation(aggs: list[tuple[int, AggInfo]]) -> list[tuple[Relation, Named]]:
    """The aggregations grouped by relation and named, in a fixed order (a column's
    name holds its relation's place: the same aggregations get the same names in
    every pass)."""
    items_of: dict[str, list[tuple[int, AggInfo]]] = {}
    for node_id, info in aggs:
        items_of.setdefault(info.relation.name, []).append((node_id, info))
    return [
        (
            items[0][1].relation,
            [(_alias(number, i, info), (node_id, info)) for i, (node_id, info) in enumerate(items)],
        )
        for number, items in enumerate(items_of.values())
    ]


@dataclass
class _Relation:
    """One relation's aggregations, compiled: the columns they become, each one's
    expression, filter, value over no rows and type."""

    relation: Relation
    named: Named
    exprs: list[pl.Expr]
    conditions: dict[str, pl.Expr | None]
    defaults: dict[str, Any]
    dtypes: dict[str, pl.DataType]


def _compiled(plan: Plan, relation: Relation, named: Named, compile_on: Compiled) -> _Relation:
    """The relation's aggregations as expressions on its rows (`compile_on` compiles a
    filter); compiled only where they are computed, not where a sweep keeps them."""
    month = (plan.month, plan.month_end)
    prepared = _Relation(relation, named, [], {}, {}, {})
    for alias, (node_id, info) in named:
        # the filter stays inside the aggregation: Polars evaluates it per group
        # in the same pass (a column first would cost a pass over every row)
        condition = compile_on(info.condition) if info.condition is not None else None
        prepared.conditions[alias] = condition
        expr, default = _agg_expr(info, condition, month)
        prepared.exprs.append(expr.alias(alias))
        prepared.defaults[alias] = default
        prepared.dtypes[alias] = polars_type(plan.checked.types.get(node_id, t.UNKNOWN))
    return prepared


def _grouped(plan: Plan, child: pl.DataFrame, prepared: _Relation) -> pl.DataFrame:
    """The related rows grouped on the relation's keys, a column per aggregation."""
    relation, exprs = prepared.relation, prepared.exprs
    covered = {
        a: (info, prepared.conditions[a])
        for a, (_, info) in prepared.named
        if info.func == "days_covered"
    }
    if covered:
        month = (plan.month, plan.month_end)
        child, exprs = _with_days_covered(child, relation.keys, covered, exprs, month)
    # as a query: Polars' optimiser takes the filters' shared parts once and its
    # streaming engine groups on both cores (the eager `group_by` does neither:
    # 10 M visits, four filtered sums, 1.2 s eager against 0.55 s)
    return child.lazy().group_by(list(relation.keys)).agg(exprs).collect()


@dataclass
class Ahead:
    """Aggregations compiled and grouped before their entity's rows were made
    (`group_ahead`), by relation name."""

    compiled: dict[str, _Relation]
    grouped: dict[str, pl.DataFrame]

    def pairs(self) -> dict[str, pl.DataFrame]:
        """The groups found, by the entity grouped: its pairs of keys."""
        return {self.compiled[n].relation.entity: g for n, g in self.grouped.items()}


def group_ahead(
    plan: Plan,
    frames: Mapping[str, pl.DataFrame],
    aggs: list[tuple[int, AggInfo]],
    compiler_for: Callable[[str], Compiled],
    entity: Entity,
) -> Ahead:
    """For a pairs entity whose rows are not made yet: each relation to one of the
    entities it pairs, on the pairs' own keys and with no filter on the pair's fields,
    grouped. Its groups are that entity's pairs, so the rows are made from them
    (`frames.pairs_frame`) and `add_aggregations` takes the values as they are: the
    related rows are grouped once, not once for the pairs and once for the values."""
    ahead = Ahead({}, {})
    for relation, named in _by_relation(aggs):
        child = frames.get(relation.entity)
        if (
            child is None
            or child.height == 0
            or relation.entity not in entity.month.of
            or set(relation.keys) != set(entity.key)
            or _outer_columns(plan.checked, [info for _, (_, info) in named])
        ):
            continue
        prepared = _compiled(plan, relation, named, compiler_for(relation.entity))
        ahead.compiled[relation.name] = prepared
        ahead.grouped[relation.name] = _grouped(plan, child, prepared)
    return ahead


def add_aggregations(
    plan: Plan,
    frame: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    aggs: list[tuple[int, AggInfo]],
    compiler_for: Callable[[str], Compiled],
    reusable: Callable[[AggInfo], bool] | None = None,
    ahead: Ahead | None = None,
) -> tuple[pl.DataFrame, dict[int, str]]:
    """One column per aggregation of the entity's formulas: one `group_by` per relation
    on the child's frame, joined to the parent (`compiler_for(child)` compiles a
    `where` filter on the child's rows). A relation whose aggregations are all in the
    frame already and `reusable` (nothing they read has changed) is not grouped again;
    one grouped `ahead` (`group_ahead`) is taken as it was grouped."""
    columns: dict[int, str] = {}
    for relation, named in _by_relation(aggs):
        aliases = [a for a, _ in named]
        columns.update((node_id, a) for a, (node_id, _) in named)
        if reusable and all(a in frame.columns and reusable(info) for a, (_, info) in named):
            continue
        frame = frame.drop([a for a in aliases if a in frame.columns])
        prepared = ahead.compiled.get(relation.name) if ahead else None
        if prepared is None:
            prepared = _compiled(plan, relation, named, compiler_for(relation.entity))
        exprs, defaults, dtypes = prepared.exprs, prepared.defaults, prepared.dtypes
        child = frames[relation.entity]
        if child.height == 0:  # nothing to aggregate: every row gets the empty value
            frame = frame.with_columns(
                pl.lit(d, dtype=dtypes[a]).alias(a) for a, d in defaults.items()
            )
            continue
        outer = _outer_columns(plan.checked, [info for _, (_, info) in named])
        if not outer and not relation.keys:  # the same for every row: computed once
            values = child.select(exprs)
            frame = frame.with_columns(
                pl.lit(values[c][0], dtype=values.schema[c]).alias(c) for c in values.columns
            )
        elif not outer:
            grouped = ahead.grouped.get(relation.name) if ahead else None
            if grouped is None:
                grouped = _grouped(plan, child, prepared)
            frame = _joined(frame, grouped, list(relation.keys))
        else:
            compile_on = compiler_for(relation.entity)
            frame = _each_row_paired(plan.checked, frame, child, prepared, outer, compile_on)
        frame = in_pieces(frame).with_columns(
            pl.col(a).fill_null(d).cast(dtypes[a]) if d is not None else pl.col(a).cast(dtypes[a])
            for a, d in defaults.items()
        )
    return frame, columns


def _joined(frame: pl.DataFrame, grouped: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The frame with the grouped values of its keys beside its own columns: the join
    is made on the keys alone and its values added as columns, since a join of the
    whole frame would copy each of its columns (two gigabytes for a national month's
    visits)."""
    values = frame.select(keys).join(grouped, on=keys, how="left", maintain_order="left")
    return frame.with_columns(values.drop(keys))


def _each_row_paired(
    checked: CheckedModel,
    frame: pl.DataFrame,
    child: pl.DataFrame,
    prepared: _Relation,
    outer: list[str],
    compile_on: Compiled,
) -> pl.DataFrame:
    """A relation whose filters name the row's own fields: each row paired with its
    related rows (`_correlated`), those of an `any(… where …)` with parts of its own
    filtered by them first (`_own_parts_first`)."""
    keys, exprs = prepared.relation.keys, prepared.exprs
    existence = {  # `any(… where …)`: does a matching pair exist
        a: c
        for a, (_, info) in prepared.named
        if info.func == "any" and info.field is None and (c := prepared.conditions[a]) is not None
    }
    own_first = _own_parts_first(checked, prepared.named, set(existence), compile_on)
    moved = {a for _, paired in own_first for a in paired}
    left = [e for e in exprs if e.meta.output_name() not in moved]
    if left:
        kept = {a: c for a, c in existence.items() if a not in moved}
        frame = _correlated(frame, child, keys, outer, left, kept)
    for own, paired in own_first:
        wanted = [e for e in exprs if e.meta.output_name() in paired]
        frame = _correlated(frame, child.filter(own), keys, outer, wanted, paired)
    return frame


def _conjuncts(node: ast.Node) -> list[ast.Node]:
    """The parts of `a and b and …`, each of which must hold."""
    if isinstance(node, ast.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _own_parts_first(
    checked: CheckedModel, named: Named, existence: set[str], compile_on: Compiled
) -> list[tuple[pl.Expr, dict[str, pl.Expr]]]:
    """The `any(… where …)` whose filter has parts that read only the related row's own
    fields (`särskilt_avtal and start_date <= date(visit.start)`): those parts filter
    the related rows before they are paired, the rest is tested on the pairs. Grouped
    by that filter, as (filter, {column: the pairs' condition}). A row is kept where
    the whole filter holds, as before (`and` of missing and false is false, of missing
    and true missing: neither holds). Örebro's decisions under a special agreement
    are 206 of 234 000: its test no longer runs on 22 M visit–decision pairs (10 M
    visits: 1.05-1.11 s -> 0.95-1.07 s for the visits' two conditions)."""
    groups: dict[str, tuple[pl.Expr, dict[str, pl.Expr]]] = {}
    for alias, (_, info) in named:
        if alias not in existence or info.condition is None:
            continue
        parts = _conjuncts(info.condition)
        own = [p for p in parts if not _outer_names(checked, p)]
        if not own:
            continue
        paired = [p for p in parts if _outer_names(checked, p)]
        own_filter = _all_of([compile_on(p) for p in own])
        condition = _all_of([compile_on(p) for p in paired])
        groups.setdefault(str(own_filter), (own_filter, {}))[1][alias] = condition
    return list(groups.values())


def _all_of(conditions: list[pl.Expr]) -> pl.Expr:
    return reduce(operator.and_, conditions) if conditions else pl.lit(True)


CORRELATED_ROWS = 4_000_000  # rows whose related rows are paired with them at once


def _correlated(
    frame: pl.DataFrame,
    child: pl.DataFrame,
    keys: tuple[str, ...],
    outer: list[str],
    exprs: list[pl.Expr],
    existence: dict[str, pl.Expr],
) -> pl.DataFrame:
    """Aggregations whose filter names the row's own fields (`visit.start`): each row
    gets its own related rows (joined on the keys, or all of them for a relation
    without keys). Only the columns the filters read are joined; an `any(… where …)`
    becomes "does a matching pair exist", with no grouping at all: every such
    condition is evaluated in one pass over the pairs, which keeps the pairs where any
    holds (a query per condition read the pairs, cached, once more each: Örebro's two
    on 10 M visits, 2.0 s -> 1.35 s)."""
    used = set(keys)
    for expr in exprs:
        used |= set(expr.meta.root_names())
    child = child.select([c for c in child.columns if c in used] or child.columns[:1])
    parent = frame.with_row_index("__row").select(
        "__row", *keys, *[pl.col(c).alias(f"__outer_{c}") for c in outer]
    )
    rest = [e for e in exprs if e.meta.output_name() not in existence]
    slices = []  # a slice of the rows at a time: a national month has 48 M visit–decision pairs
    for offset in range(0, max(frame.height, 1), CORRELATED_ROWS):
        some = parent.lazy().slice(offset, CORRELATED_ROWS)
        pairs = (
            child.lazy().join(some, on=list(keys), how="inner")
            if keys
            else child.lazy().join(some, how="cross")
        )
        queries = []
        if existence:  # the pairs where any condition holds, each condition's flag beside
            conditions = [c.alias(a) for a, c in existence.items()]
            queries.append(
                pairs.select("__row", *conditions).filter(pl.any_horizontal(list(existence)))
            )
        if rest:
            queries.append(pairs.group_by("__row").agg(rest))
        slices.append(pl.collect_all(queries))  # the pairs joined once for all of them
    found = [pl.concat(parts) for parts in zip(*slices, strict=True)]
    if existence:
        held = found[0]
        frame = frame.with_columns(
            pl.zeros(frame.height, pl.Boolean, eager=True)
            .scatter(held.filter(pl.col(a))["__row"], True)
            .alias(a)
            for a in existence
        )
    if rest:  # each row's values put in its place (a join would copy every column of the frame)
        grouped = found[-1]
        frame = frame.with_columns(
            pl.repeat(None, frame.height, dtype=grouped.schema[c], eager=True)
            .scatter(grouped["__row"], grouped[c])
            .alias(c)
            for c in grouped.columns
            if c != "__row"
        )
    return frame


def _with_days_covered(
    child: pl.DataFrame,
    keys: tuple[str, ...],
    covered: dict[str, tuple[AggInfo, pl.Expr | None]],
    exprs: list[pl.Expr],
    month: tuple[date, date],
) -> tuple[pl.DataFrame, list[pl.Expr]]:
    """`days_covered(…)` as a plain sum: each row's days of the month that its period
    adds to the periods before it in its group (sorted by start; a running maximum of
    the ends), computed once for the whole frame. Sorting inside each group of a
    `group_by` cost 0.7 s on 230 000 decisions; this is one sort."""
    by_alias = {e.meta.output_name(): e for e in exprs}
    for alias, (info, condition) in covered.items():
        begin, end, keep = _days_of_month(info, condition, month)
        parts = (
            child.with_row_index("__r")
            .select("__r", *keys, begin.alias("__b"), end.alias("__e"), keep.alias("__keep"))
            .filter(pl.col("__keep"))
            .sort([*keys, "__b"])
        )
        before = _latest_end_before(list(keys))
        from_day = pl.max_horizontal(pl.col("__b"), before + 1).fill_null(pl.col("__b"))
        days = parts.select(
            "__r", pl.max_horizontal(pl.col("__e") - from_day + 1, pl.lit(0)).alias("__days")
        )
        column = f"__days_{alias}"
        added = pl.zeros(child.height, pl.Int64, eager=True).scatter(days["__r"], days["__days"])
        child = child.with_columns(added.alias(column))
        by_alias[alias] = pl.col(column).sum().cast(pl.Float64).alias(alias)
    return child, list(by_alias.values())


def _latest_end_before(keys: list[str]) -> pl.Expr:
    """For each row of periods sorted by keys and first day: the latest last day
    (`__e`, a day of the month, 0–30) among the rows before it with the same keys.
    One running maximum over the whole frame, each group's days lifted above the
    groups before it (its number times 32), instead of a window per group (Örebro's
    114 000 decision periods of a month: 0.21 s -> 0.006 s). A group's first row gets
    a day below 0, from the group before: no day of the month comes after it."""
    group = pl.struct(keys).rle_id().cast(pl.Int64)
    lifted = group * 32 + pl.col("__e")
    return lifted.cum_max().shift(1) - group * 32


def _days_of_month(
    info: AggInfo, condition: pl.Expr | None, month: tuple[date, date]
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A period's first and last day as day numbers of the month (0 is the 1st), and
    whether it counts (it meets the month and the filter holds)."""
    first, last = (pl.col(c) for c in info.period)
    month_start, month_end = month
    begin = (pl.max_horizontal(first, pl.lit(month_start)) - pl.lit(month_start)).dt.total_days()
    end = (
        pl.min_horizontal(last.fill_null(pl.lit(month_end)), pl.lit(month_end))
        - pl.lit(month_start)
    ).dt.total_days()
    keep = begin <= end
    if condition is not None:
        keep = keep & condition.fill_null(False)
    return begin, end, keep


def _days_covered(info: AggInfo, condition: pl.Expr | None, month: tuple[date, date]) -> pl.Expr:
    """The union of the group's periods, in days of the month: sorted by start, each
    period adds the days after the latest end before it (a running maximum). Used
    where the filter names the aggregating row's own fields, or there are no keys;
    otherwise `_with_days_covered` computes it for all groups at once."""
    begin, end, keep = _days_of_month(info, condition, month)
    order = begin.filter(keep).arg_sort()
    starts, ends = begin.filter(keep).gather(order), end.filter(keep).gather(order)
    before = ends.cum_max().shift(1)
    from_day = pl.max_horizontal(starts, before + 1).fill_null(starts)
    return pl.max_horizontal(ends - from_day + 1, pl.lit(0)).sum().cast(pl.Float64)


SKIPPED_EXAMPLES = 5


def skipped_missing(
    plan: Plan, frames: Mapping[str, pl.DataFrame], compiler_for: Callable[[str], Compiled]
) -> list[Diagnostic]:
    """A warning per aggregation that left out related rows whose field has no value
    (`sum(visits.x)` over a visit whose `x` is computed from an empty cell adds
    nothing): the rows are named, with the empty columns the field is computed from.
    A field with no missing value (a count Polars keeps: no pass over the rows) is the
    usual case and costs nothing; a field that is a payment is warned about already
    (`had no value`); where the filter names the aggregating row (`visit.service`), on
    the pairs of each row and its related rows."""
    found: list[Diagnostic] = []
    checked = plan.checked
    for entity in checked.model.vocabulary.order:
        for rule, node, info in _aggregation_nodes(checked, plan.steps(entity)):
            child = frames.get(info.relation.entity)
            field = info.field.name if isinstance(info.field, ColumnRef | RuleRef) else None
            if (
                info.func not in SKIPS_MISSING
                or child is None
                or field is None
                or field not in child.columns
                or child[field].null_count() == 0
                or _is_payment(checked, field)
            ):
                continue
            # the columns to show empty: those the field can have no value through
            possible = checked.missing_from.get(field, frozenset())
            sources = set(possible) or _sources(plan, info.relation.entity, field)
            empty = pl.col(field).is_null()
            if field in checked.missing_by_design:  # where an empty cell made it so
                blank = [c for c in possible if c in child.columns]
                if not blank:
                    continue
                empty = empty & pl.any_horizontal(pl.col(c).is_null() for c in blank)
            condition = (
                compiler_for(info.relation.entity)(info.condition) if info.condition else None
            )
            skipped = empty & condition if condition is not None else empty
            outer = _outer_columns(checked, [info])
            rows = _rows_where(child, frames.get(entity), info, outer, skipped)
            if rows.height:
                found.append(_skipped(plan, rule, node, info, field, sources, rows))
    return found


def unknown_filters(
    plan: Plan, frames: Mapping[str, pl.DataFrame], compiler_for: Callable[[str], Compiled]
) -> list[Diagnostic]:
    """A warning per aggregation whose `where` was unknown on related rows because of
    an empty value (`sum(visits.minuter where akut)` over a visit whose `akut` is empty:
    the filter is unknown, which counts as false, and the visit adds nothing), naming
    the rows, as the check warned it could (`nullable-comparison`). A filter naming the
    aggregating row (`visit.customer.tolk`) is tested on the pairs of each row and its
    related rows, as the run tests it, and names the related rows."""
    found: list[Diagnostic] = []
    unknowns = plan.checked.unknowns
    for f in _filtered(plan, frames, compiler_for, lambda c: bool(_marked(unknowns, c))):
        flagged = _marked(unknowns, f.condition)
        unknown = f.expr(f.condition).is_null() & pl.any_horizontal(
            [f.expr(n).is_null() for n in flagged]
        )
        rows = _rows_where(f.child, frames.get(f.entity), f.info, f.outer, unknown)
        if rows.height:
            found.append(_unknown_filter(plan, f.rule, f.info, flagged, rows))
    return found


def _marked(nodes: Container[int], condition: ast.Node) -> list[ast.Node]:
    """The nodes of a filter that the check marked (by id)."""
    return [n for n in condition.walk() if id(n) in nodes]


@dataclass(frozen=True)
class _Filter:
    """An aggregation's `where` over the month's related rows, ready to be tested: the
    entity and rule it is written in, the related rows, the filter compiled on them and
    the aggregating row's columns it names."""

    entity: str
    rule: str
    info: AggInfo
    condition: ast.Node
    child: pl.DataFrame
    expr: Compiled
    outer: list[str]


def _filtered(
    plan: Plan,
    frames: Mapping[str, pl.DataFrame],
    compiler_for: Callable[[str], Compiled],
    holds: Callable[[ast.Node], bool],
) -> Iterator[_Filter]:
    """Each aggregation with a `where` over related rows the month has whose filter
    `holds` what a check looks for (a comparison that can be unknown, a look-up that
    can miss …); compiled only then."""
    checked = plan.checked
    for entity in checked.model.vocabulary.order:
        for rule, _, info in _aggregation_nodes(checked, plan.steps(entity)):
            child = frames.get(info.relation.entity)
            condition = info.condition
            if condition is None or child is None or not holds(condition):
                continue
            expr = compiler_for(info.relation.entity)
            outer = _outer_columns(checked, [info])
            yield _Filter(entity, rule, info, condition, child, expr, outer)


def skipped_in_filters(
    plan: Plan, frames: Mapping[str, pl.DataFrame], compiler_for: Callable[[str], Compiled]
) -> list[Diagnostic]:
    """A warning per `min`, `max` or `clamp` in an aggregation's `where` that skipped an
    argument with no value on related rows, as the check warned it could
    (`skipped-argument`), naming them as one in a rule's own formula is named: `count(visits
    where max(staff, 1) >= 2)` counted a visit with no staff count as one of one, and
    the run said nothing and exited 0."""
    found: list[Diagnostic] = []
    skipping = plan.checked.skipping
    for f in _filtered(plan, frames, compiler_for, lambda c: bool(_marked(skipping, c))):
        for node, path in _taken(f.condition, f.expr):
            if id(node) not in skipping:
                continue
            args, why = skipping[id(node)]
            empty = path & pl.any_horizontal([f.expr(a).is_null() for a in args])
            rows = _rows_where(f.child, frames.get(f.entity), f.info, f.outer, empty)
            if rows.height:
                assert isinstance(node, ast.Call)
                found.append(_skipped_in_filter(plan, f.rule, f.info, node, args[0], why, rows))
    return found


def _skipped_in_filter(
    plan: Plan,
    rule: str,
    info: AggInfo,
    call: ast.Call,
    arg: ast.Node,
    why: frozenset[str],
    rows: pl.DataFrame,
) -> Diagnostic:
    entity = info.relation.entity
    ids = naming_columns(plan.checked.model.vocabulary, entity, rows.columns)
    shown = "; ".join(
        ", ".join(f"{c} {v}" for c, v in row.items())
        for row in rows.head(SKIPPED_EXAMPLES).select(ids).to_dicts()
    )
    more = f" and {rows.height - SKIPPED_EXAMPLES} more" if rows.height > SKIPPED_EXAMPLES else ""
    plural = "s" if rows.height != 1 else ""
    return Diagnostic(
        "skipped-argument",
        f"`{formula_text(call)}` {skipped_then(call, arg, ran=True)} where "
        f"`{formula_text(arg)}` had no value, for {rows.height} {entity} row{plural} of "
        f"{plan.month:%Y-%m} (in the filter of `{_aggregation_words(info)}`, in `{rule}`; "
        f"{' or '.join(sorted(why))}): {shown}{more}",
        arg.span,
        hint=f"say what no value means: coalesce({formula_text(arg)}, …), or give the rows "
        "their values",
        severity="warning",
        where=f"{plan.month:%Y-%m}",  # of the run, not the check
    )


def stops_in_filters(
    plan: Plan, frames: Mapping[str, pl.DataFrame], compiler_for: Callable[[str], Compiled]
) -> list[Diagnostic]:
    """An error per look-up that missed, and per `clamp` whose lower bound was above
    its upper, in an aggregation's `where` on related rows, as in a rule's own formula:
    `count(visits where tid >= minsta_tid[service])` over a service the table lacks was
    false, and paid 0 in silence; `explain` stopped at such a clamp, and the run
    counted by the upper bound. On an `if`'s branch, where the `if` leads to it."""
    found: list[Diagnostic] = []
    checked = plan.checked

    def can_stop(condition: ast.Node) -> bool:
        return bool(lookups_that_can_miss(checked, condition) or clamps(condition))

    for f in _filtered(plan, frames, compiler_for, can_stop):
        misses = {id(n) for n in lookups_that_can_miss(checked, f.condition)}
        for node, path in _taken(f.condition, f.expr):
            if id(node) in misses:
                stopped = path & missed(node, f.expr)
            elif isinstance(node, ast.Call) and node.func == "clamp":
                stopped = path & inverted(node, f.expr)
            else:
                continue
            rows = _rows_where(f.child, frames.get(f.entity), f.info, f.outer, stopped)
            if rows.height:
                found.append(_stopped(plan, f.rule, f.info, node, rows, f.outer, f.expr))
    return found


def missed(node: ast.Node, expr: Compiled) -> pl.Expr:
    """True where a look-up (or a `step`) had every key and found no value: a row the
    model declares nothing for, never to be paid as 0."""
    _, keys = looked_up(node)
    present = pl.all_horizontal([expr(k).is_not_null() for k in keys])
    return present & expr(node).is_null()


def inverted(call: ast.Call, expr: Compiled) -> pl.Expr:
    """True where a `clamp` had a value to limit and its lower bound above its upper
    (compared as `>` compares)."""
    x, low, high = (expr(a) for a in call.args)
    low, high = low.round(COMPARE_DECIMALS), high.round(COMPARE_DECIMALS)
    # a constant on the left of a comparison (`250.125 > coalesce(granted_minutes, 15
    # min) * timpris` over decisions without granted minutes) gives one row in Polars 2.1,
    # where the right side turns out constant at run time: the run stopped with
    # `cannot-compute`; constants go on the right, as `Compiler._compare` puts them
    constant_low = not low.meta.root_names() and bool(high.meta.root_names())
    above = high < low if constant_low else low > high
    return x.is_not_null() & above.fill_null(False)


def _taken(tree: ast.Node, expr: Compiled) -> list[tuple[ast.Node, pl.Expr]]:
    """Each node of a filter with where it is evaluated: everywhere, but on an `if`'s
    branch where the condition leads to it (as the interpreter takes it)."""
    out: list[tuple[ast.Node, pl.Expr]] = []

    def visit(node: ast.Node, path: pl.Expr) -> None:
        out.append((node, path))
        if isinstance(node, ast.If):
            cond = expr(node.cond).fill_null(False)
            visit(node.cond, path)
            visit(node.then, path & cond)
            visit(node.otherwise, path & ~cond)
            return
        for child in node.children():
            visit(child, path)

    visit(tree, pl.lit(True))
    return out


def _stopped(
    plan: Plan,
    rule: str,
    info: AggInfo,
    node: ast.Node,
    rows: pl.DataFrame,
    outer: list[str],
    expr: Compiled,
) -> Diagnostic:
    """The rows named by their key, with the keys looked up or both bounds of the
    clamp, where they read the related row alone."""
    checked, entity = plan.checked, info.relation.entity
    ids = naming_columns(checked.model.vocabulary, entity, rows.columns)
    clamp = isinstance(node, ast.Call) and node.func == "clamp"
    name, looked = looked_up(node) if not clamp else ("", ())
    values = list(node.args[1:]) if isinstance(node, ast.Call) and clamp else list(looked)
    typ = checked.type_of(values[0]) if clamp else t.UNKNOWN
    shown_values = [] if outer else [expr(v).alias(f"__v_{i}") for i, v in enumerate(values)]
    labels: list[str] = []
    if not clamp:
        param = checked.model.parameters[name]
        labels = list(param.keys) if param.kind != "steps" else ["value"]

    def one(row: dict[str, Any]) -> str:
        who = ", ".join(f"{c} {row[c]}" for c in ids)
        if not shown_values:
            return who
        if clamp:
            low, high = (t.quantity_text(row[f"__v_{i}"], typ) for i in (0, 1))
            return f"{who}: {low} above {high}"
        return f"{who}: " + ", ".join(f"{k} {row[f'__v_{i}']}" for i, k in enumerate(labels))

    examples = rows.head(SKIPPED_EXAMPLES).select([*ids, *shown_values]).to_dicts()
    more = f" and {rows.height - SKIPPED_EXAMPLES} more" if rows.height > SKIPPED_EXAMPLES else ""
    plural = "s" if rows.height != 1 else ""
    where = (
        f"{rows.height} {entity} row{plural} of {plan.month:%Y-%m} (in the filter of "
        f"`{_aggregation_words(info)}`, in `{rule}`): "
        + "; ".join(one(row) for row in examples)
        + more
    )
    if isinstance(node, ast.Call) and clamp:
        return Diagnostic(
            "clamp-bounds",
            f"`{formula_text(node)}` has its lower bound above its upper for {where}",
            node.span,
            hint=clamp_hint(node),
        )
    return Diagnostic(
        "lookup-miss",
        f"`{name}` has no value for {where}",
        node.span,
        hint=f"add the keys to `{name}`, give it `otherwise:` (its value for keys it does "
        "not list), use coalesce, or make it a step table",
    )


def _rows_where(
    child: pl.DataFrame,
    parent: pl.DataFrame | None,
    info: AggInfo,
    outer: list[str],
    holds: pl.Expr,
) -> pl.DataFrame:
    """The related rows of the month's parents on which `holds` holds: paired with each
    parent where the filter names the parent's fields (`outer`), else as they are."""
    if outer:
        return _paired_rows_where(child, parent, info, outer, holds)
    return _of_parents(child.filter(holds), info, parent)


def _paired_rows_where(
    child: pl.DataFrame,
    parent: pl.DataFrame | None,
    info: AggInfo,
    outer: list[str],
    holds: pl.Expr,
) -> pl.DataFrame:
    """The related rows on which `holds` holds, paired with one of the month's rows,
    each once, where the aggregation's filter names that row's fields: a staff row
    whose language is empty, paired with a visit to a customer whose need of an
    interpreter is empty, leaves the filter unknown."""
    keys = list(info.relation.keys)
    if parent is None or parent.height == 0 or child.height == 0:
        return child.head(0)
    outer_columns = [pl.col(c).alias(f"__outer_{c}") for c in outer if c in parent.columns]
    parents = parent.select(*keys, *outer_columns)
    pairs = child.join(parents, on=keys, how="inner") if keys else child.join(parents, how="cross")
    return pairs.filter(holds).select(child.columns).unique(maintain_order=True)


def _of_parents(rows: pl.DataFrame, info: AggInfo, parent: pl.DataFrame | None) -> pl.DataFrame:
    """The related rows that belong to a row of the month's parents (an aggregation
    reads no others)."""
    keys = list(info.relation.keys)
    if rows.height and keys and parent is not None:
        return rows.join(parent.select(keys).unique(), on=keys, how="semi")
    return rows


def _unknown_filter(
    plan: Plan, rule: str, info: AggInfo, flagged: list[ast.Node], rows: pl.DataFrame
) -> Diagnostic:
    checked, entity = plan.checked, info.relation.entity
    ids = naming_columns(checked.model.vocabulary, entity, rows.columns)
    shown = "; ".join(
        ", ".join(f"{c} {v}" for c, v in row.items())
        for row in rows.head(SKIPPED_EXAMPLES).select(ids).to_dicts()
    )
    more = f" and {rows.height - SKIPPED_EXAMPLES} more" if rows.height > SKIPPED_EXAMPLES else ""
    empty = sorted({c for n in flagged for c in checked.unknowns[id(n)]})
    reasons = sorted({r for n in flagged for r in checked.unknown_reasons.get(id(n), ())})
    assert info.condition is not None
    plural = "s" if rows.height != 1 else ""
    return Diagnostic(
        "nullable-comparison",
        f"the filter `{formula_text(info.condition)}` was unknown, which counts as false, for "
        f"{rows.height} {entity} row{plural} of {plan.month:%Y-%m}, left out of "
        f"`{_aggregation_words(info)}` (in `{rule}`; {said_unknown(empty, reasons)}): "
        f"{shown}{more}",
        info.condition.span,
        severity="warning",
        hint="say what an empty value means with coalesce, or give the rows their values",
        where=f"{plan.month:%Y-%m}",  # of the run, not the check
    )


def _aggregation_words(info: AggInfo) -> str:
    """`count(visits)`, `sum(visits.minuter)`: the aggregation without its filter."""
    field = f".{info.field.name}" if isinstance(info.field, ColumnRef | RuleRef) else ""
    return f"{info.func}({info.relation.name}{field})"


def _aggregation_nodes(
    checked: CheckedModel, steps: list[Step]
) -> list[tuple[str, ast.Node, AggInfo]]:
    """Each aggregation of the steps once, with the rule it is written in."""
    seen: dict[int, tuple[str, ast.Node, AggInfo]] = {}
    for step in steps:
        for tree in (step.tree, step.quantity):
            for node in tree.walk() if tree is not None else ():
                if id(node) in checked.aggs and id(node) not in seen:
                    seen[id(node)] = (step.name, node, checked.aggs[id(node)])
    return list(seen.values())


def _is_payment(checked: CheckedModel, name: str) -> bool:
    rule = checked.model.rules.get(name)
    return rule is not None and rule.kind == "payment"


def _skipped(
    plan: Plan,
    rule: str,
    node: ast.Node,
    info: AggInfo,
    field: str,
    columns: set[str],
    rows: pl.DataFrame,
) -> Diagnostic:
    checked, entity = plan.checked, info.relation.entity
    ids = naming_columns(checked.model.vocabulary, entity, rows.columns)
    sources = [c for c in sorted(columns) if c in rows.columns]
    shown = []
    for row in rows.head(SKIPPED_EXAMPLES).select([*ids, *sources]).to_dicts():
        who = ", ".join(f"{c} {row[c]}" for c in ids)
        blanks = [f"`{c}`" for c in sources if row[c] is None]
        shown.append(f"{who} ({', '.join(blanks)} empty)" if blanks else who)
    more = f" and {rows.height - SKIPPED_EXAMPLES} more" if rows.height > SKIPPED_EXAMPLES else ""
    what = {"sum": "added nothing to the sum", "min": "was left out of the smallest",
            "max": "was left out of the largest", "any": "counted as false",
            "all": "was left out"}[info.func]  # fmt: skip
    plural = "s" if rows.height != 1 else ""
    blank = next((c for c in sources if rows[c].null_count()), None)
    fix = f"coalesce({blank}, …)" if blank else f"coalesce({field}, …)"
    return Diagnostic(
        "skipped-missing",
        f"{rows.height} {entity} row{plural} of {plan.month:%Y-%m} had no value of `{field}` "
        f"and {'each ' if rows.height != 1 else ''}{what} (in `{rule}`): {'; '.join(shown)}{more}",
        node.span,
        severity="warning",
        hint=f"say what an empty value means where `{field}` is read ({fix}), or declare "
        "the column `nullable: false` so that such rows are rejected with their reason",
    )


def _sources(plan: Plan, entity: str, name: str) -> set[str]:
    """The data columns of `entity` that `name` (a column, or a rule in force and the
    rules it reads) is computed from: those a row with no value shows empty."""
    steps = {step.name: step for step in plan.steps(entity)}
    rules, seen, columns = [name], set(), set()
    while rules:
        current = rules.pop()
        if current in seen:
            continue
        seen.add(current)
        step = steps.get(current)
        if step is None:  # a column
            columns.add(current)
            continue
        for part in step.tree.walk() if step.tree is not None else ():
            ref = plan.checked.refs.get(id(part))
            if isinstance(ref, ColumnRef) and ref.entity == entity:
                columns.add(ref.name)
            elif isinstance(ref, RuleRef):
                rules.append(ref.name)
    return columns
