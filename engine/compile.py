"""The vectorized back end: formulas -> Polars expressions, evaluated per entity.

Each entity is one DataFrame; its rules become columns, layer by layer as the
plan orders them. Aggregations are one `group_by` per relation on the child's
frame, joined to the parent. No Python runs per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import polars as pl

from engine import ast
from engine import types as t
from engine.aggregate import (
    Ahead,
    add_aggregations,
    aggregations,
    group_ahead,
    inverted,
    missed,
)
from engine.builtins import ROUNDING_FUNCTIONS
from engine.checker import (
    AggInfo,
    CheckedModel,
    ColumnRef,
    ContextRef,
    OuterRef,
    ParamRef,
    RuleRef,
    clamp_hint,
    formula_text,
    round_decimals,
    round_multiple,
    said_unknown,
    skipped_then,
)
from engine.clock import ClockChange
from engine.diagnostics import Diagnostic, EngineError
from engine.frames import (
    base_frames,
    changes_in,
    clock_after,
    deferrable_pairs,
    elapsed,
    in_minutes,
    in_pieces,
    joins_parties,
    minutes_of_day,
    neighbour_registrations,
    pairs_frame,
    polars_type,
)
from engine.money import COMPARE_DECIMALS, POLARS_MODES, SNAP_DECIMALS
from engine.names import (
    CLAMP_PREFIX,
    MISS_PREFIX,
    SKIP_PREFIX,
    UNKNOWN_PREFIX,
    branch_column,
    branch_nodes,
    clamp_column,
    clamps,
    looked_up,
    lookups_that_can_miss,
    miss_column,
    naming_columns,
    ore_column,
    raw_column,
    skip_column,
    unknown_column,
)
from engine.plan import Plan, Step
from engine.progress import timed
from engine.reevaluate import computed_columns, depends, unchanged, with_dependents
from engine.spans import calls_to, precompute_bands, precompute_overlaps

KEY_SEPARATOR = "\x1f"
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


# ----------------------------------------------------------------------------- expressions


def _lit(value: Any, typ: t.Type) -> pl.Expr:
    if value is None:
        return pl.lit(None, dtype=polars_type(typ))
    if isinstance(value, Decimal):
        return pl.lit(float(value), dtype=pl.Float64)
    if isinstance(typ, t.Text):
        return pl.lit(value, dtype=pl.String)
    return pl.lit(value)


def snap(expr: pl.Expr, decimals: int = SNAP_DECIMALS) -> pl.Expr:
    return expr.round(decimals)


def round_half(expr: pl.Expr, step: float, mode: str) -> pl.Expr:
    """`expr` rounded to a multiple of `step` by the named mode, after snapping (see money.py)."""
    units = snap(expr) / step
    units = snap(units, 4)
    if mode == "down":
        rounded = pl.when(units >= 0).then(units.floor()).otherwise(units.ceil())
    elif mode in ("floor", "ceiling"):
        exact = snap(snap(expr) / step, COMPARE_DECIMALS)  # 2.9999999 stays below 3
        rounded = exact.floor() if mode == "floor" else exact.ceil()
    else:
        rounded = units.round(0, mode=POLARS_MODES[mode])  # type: ignore[arg-type]
    return rounded * step


class Compiler:
    """Compiles the formulas of one entity in one month to expressions on its frame."""

    def __init__(
        self,
        plan: Plan,
        entity: str,
        agg_columns: dict[int, str],
        whole: bool = False,
        dated: tuple[list[ClockChange], set[str]] | None = None,
    ):
        self.plan = plan
        self.checked: CheckedModel = plan.checked
        self.entity = entity
        self.agg_columns = agg_columns
        # look-ups computed once as columns of the frame (`_with_lookups`), by node
        self.lookup_columns: dict[int, str] = {}
        # its expressions run over a frame's whole columns (the entity's rules), never
        # within the groups of a group-by (a filter of an aggregation): a column's
        # smallest and largest value are then the frame's
        self.whole = whole
        # the clock changes near the frame's dates and times, and the columns holding
        # them: a difference of two such columns looks only at those (`clock.elapsed`)
        self.dated = dated

    def type_of(self, node: ast.Node) -> t.Type:
        return self.checked.type_of(node)

    def _no_change_reached(self, moment: pl.Expr, duration: ast.Node) -> bool:
        """A column of the frame's moved by a constant of at most two days, where no
        clock change is near its dates and times: the clock's arithmetic is the plain."""
        if self.clock_changes(moment) != [] or not self.is_constant(duration):
            return False
        minutes = pl.select(self.expr(duration)).item()
        return minutes is not None and abs(minutes) <= 2 * 1440

    def clock_changes(self, *moments: pl.Expr) -> list[ClockChange] | None:
        """The clock changes the moments can lie across: those near the frame's
        dates and times where every moment is one of its columns, else None (all)."""
        if self.dated is None:
            return None
        changes, columns = self.dated
        for moment in moments:
            if not moment.meta.is_column() or moment.meta.output_name() not in columns:
                return None
        return changes

    def expr(self, node: ast.Node) -> pl.Expr:
        match node:
            case ast.Quantity():
                return pl.lit(float(self.checked.literals[id(node)]), dtype=pl.Float64)
            case ast.DateLit(value=v):
                return pl.lit(v, dtype=pl.Date)
            case ast.TimeLit(minutes=m):
                return pl.lit(float(m), dtype=pl.Float64)
            case ast.Missing():
                return pl.lit(None)
            case ast.String(value=v):
                return pl.lit(v, dtype=pl.String)
            case ast.BoolLit(value=v):
                return pl.lit(v, dtype=pl.Boolean)
            case ast.Name():
                return self._name(node)
            case ast.Neg(operand=a):
                return -self.expr(a)
            case ast.BinOp():
                return self._binop(node)
            case ast.Compare():
                return self._compare(node)
            case ast.In():
                return self._in(node)
            case ast.And(left=a, right=b):
                return self.expr(a) & self.expr(b)
            case ast.Or(left=a, right=b):
                return self.expr(a) | self.expr(b)
            case ast.Not(operand=a):
                return ~self.expr(a)
            case ast.If(cond=c, then=a, otherwise=b):
                return pl.when(self.expr(c)).then(self.expr(a)).otherwise(self.expr(b))
            case ast.Lookup():
                if id(node) in self.lookup_columns:
                    return pl.col(self.lookup_columns[id(node)])
                return self._lookup(node)
            case ast.Attr():
                return self._name(node)
            case ast.Call():
                if id(node) in self.agg_columns:
                    return pl.col(self.agg_columns[id(node)])
                return IMPLEMENTATIONS[node.func](self, node)
        raise AssertionError(f"cannot compile {node!r}")

    def _name(self, node: ast.Name | ast.Attr) -> pl.Expr:
        ref = self.checked.refs[id(node)]
        match ref:
            case ColumnRef(name=n) | RuleRef(name=n):
                return pl.col(n)
            case OuterRef(name=n):
                return pl.col(f"__outer_{n}")
            case ParamRef(name=n):
                return _lit(self.plan.params.get(n), self.type_of(node))
            case ContextRef(name=n):
                return _lit(self.plan.context[n], self.type_of(node))
        raise AssertionError(ref)

    def _binop(self, node: ast.BinOp) -> pl.Expr:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        a, b = self.expr(node.left), self.expr(node.right)
        if isinstance(lt, t.Date) and isinstance(rt, t.Num) and self.type_of(node) == t.DATE:
            # whole days added to the day's number: a date plus a duration took 0.05 s
            # for 10 M visits, the number 0.02 s (Polars goes through a moment)
            days = (b / 1440).round(0).cast(pl.Int64)
            number = a.cast(pl.Int64) + days if node.op == "+" else a.cast(pl.Int64) - days
            return number.cast(pl.Date)
        if isinstance(lt, t.Date) and isinstance(rt, t.Num):
            a = _as_datetime(a, lt)
            lt = t.DATETIME
        if isinstance(lt, t.DateTime) and isinstance(rt, t.Num):  # the time that passes
            micros = (b * 60_000_000).round(0).cast(pl.Int64)
            micros = micros if node.op == "+" else -micros
            if self._no_change_reached(a, node.right):
                return a + pl.duration(microseconds=micros)
            return clock_after(a, micros)
        if isinstance(lt, t.Date) and isinstance(rt, t.Date):  # whole days, as a calendar counts
            return in_minutes(_as_datetime(a, lt) - _as_datetime(b, rt))
        if isinstance(lt, t.Date | t.DateTime):
            changes = self.clock_changes(a, b)
            return elapsed(_as_datetime(a, lt), _as_datetime(b, rt), changes)
        match node.op:
            case "+":
                return a + b
            case "-":
                return a - b
            case "*":
                return a * b
            case "/":
                return pl.when(b != 0).then(a / b).otherwise(None)
        raise AssertionError(node.op)

    def _compare(self, node: ast.Compare) -> pl.Expr:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        a, b = self.expr(node.left), self.expr(node.right)
        if isinstance(lt, t.Num):
            a, b = snap(a, COMPARE_DECIMALS), snap(b, COMPARE_DECIMALS)
        elif isinstance(lt, t.Date | t.DateTime) and type(lt) is not type(rt):
            a, b = _as_datetime(a, lt), _as_datetime(b, rt)
        op = node.op
        if self.is_constant(node.left) and not self.is_constant(node.right):
            # Polars 2.1 returns one row for `literal < expr` when expr turns out constant
            # at run time (an all-null column coalesced with a literal); `expr > literal`
            # is computed correctly, so constants go on the right.
            a, b, op = b, a, FLIPPED[op]
        match op:
            case "==":
                return a == b
            case "!=":
                return a != b
            case "<":
                return a < b
            case "<=":
                return a <= b
            case ">":
                return a > b
            case ">=":
                return a >= b
        raise AssertionError(node.op)

    def is_constant(self, node: ast.Node) -> bool:
        """True when `node` reads no column, rule or aggregate: the same on every row."""
        for sub in node.walk():
            if id(sub) in self.agg_columns or isinstance(
                self.checked.refs.get(id(sub)), ColumnRef | RuleRef | OuterRef
            ):
                return False
        return True

    def _in(self, node: ast.In) -> pl.Expr:
        operand = self.expr(node.operand)
        typ = self.type_of(node.operand)
        if not isinstance(node.items, ast.ListLit):  # a list parameter, in force this month
            assert isinstance(node.items, ast.Name)
            listed = list(self.plan.params.get(node.items.name) or [])
            if isinstance(typ, t.Num):
                operand = snap(operand, COMPARE_DECIMALS)
                listed = [round(float(v), COMPARE_DECIMALS) for v in listed]
            values = pl.Series(listed, dtype=polars_type(typ))
            found = pl.when(operand.is_null()).then(None).otherwise(operand.is_in(values.implode()))
            return ~found if node.negated else found
        items: list[Any]
        if isinstance(typ, t.Num):
            operand = snap(operand, COMPARE_DECIMALS)
            items = [
                float(self.checked.literals[id(i)]) if isinstance(i, ast.Quantity) else None
                for i in node.items.items
            ]
        else:
            items = [_literal_value(i) for i in node.items.items]
        if any(v is None for v in items) or not all(
            isinstance(i, ast.Quantity | ast.String | ast.BoolLit | ast.DateLit)
            for i in node.items.items
        ):
            parts = [
                self._compare(ast.Compare(node.span, "==", node.operand, i))
                for i in node.items.items
            ]
            found = pl.any_horizontal(parts) if parts else pl.lit(False)
        else:
            if isinstance(typ, t.Num):
                items = [round(float(v), COMPARE_DECIMALS) for v in items]
            found = (
                operand.is_in(items)
                if items
                else pl.when(operand.is_null()).then(None).otherwise(False)
            )
        return ~found if node.negated else found

    def _lookup(self, node: ast.Lookup) -> pl.Expr:
        assert isinstance(node.table, ast.Name)
        param = self.checked.model.parameters[node.table.name]
        table = self.plan.params.get(param.name) or {}
        parts = []
        for key, key_type in zip(node.keys, param.key_types, strict=True):
            value = self.expr(key)
            if isinstance(key_type, t.Num):
                value = snap(value.cast(pl.Float64), COMPARE_DECIMALS)
                value = (
                    pl.when(value == value.floor())
                    .then(value.cast(pl.Int64).cast(pl.String))
                    .otherwise(None)
                )
            parts.append(value.cast(pl.String))
        joined = parts[0] if len(parts) == 1 else pl.concat_str(parts, separator=KEY_SEPARATOR)
        mapping = {
            KEY_SEPARATOR.join(k): (float(v) if isinstance(v, Decimal) else v)
            for k, v in table.items()
        }
        dtype = polars_type(param.type)
        otherwise = param.otherwise if param.has_otherwise else None
        default = pl.lit(float(otherwise) if isinstance(otherwise, Decimal) else otherwise)
        if not mapping:
            return default.cast(dtype)
        found = joined.replace_strict(mapping, default=None, return_dtype=dtype)
        if not param.has_otherwise:
            return found
        # keys present but not in the table take the declared value
        present = pl.all_horizontal([self.expr(k).is_not_null() for k in node.keys])
        return pl.when(found.is_null() & present).then(default.cast(dtype)).otherwise(found)


def _literal_value(node: ast.Node) -> Any:
    match node:
        case ast.String(value=v) | ast.BoolLit(value=v) | ast.DateLit(value=v):
            return v
    return None


def _as_datetime(expr: pl.Expr, typ: t.Type) -> pl.Expr:
    return expr.cast(pl.Datetime("us")) if isinstance(typ, t.Date) else expr


# ----------------------------------------------------------------------------- builtins


def _args(c: Compiler, node: ast.Call) -> list[pl.Expr]:
    return [c.expr(a) for a in node.args]


def _min(c: Compiler, node: ast.Call) -> pl.Expr:
    return pl.min_horizontal(_args(c, node))


def _max(c: Compiler, node: ast.Call) -> pl.Expr:
    return pl.max_horizontal(_args(c, node))


def _round(c: Compiler, node: ast.Call) -> pl.Expr:
    """round, floor and ceil: in the unit the value is shown in, or to a multiple."""
    mode = ROUNDING_FUNCTIONS[node.func]
    value = c.expr(node.args[0])
    multiple = round_multiple(c.checked, node)
    if multiple is not None:
        return round_half(value / float(multiple), 1.0, mode) * float(multiple)
    if len(node.args) == 2 and isinstance(node.args[1], ast.Name):  # a parameter's multiple
        step = c.expr(node.args[1])
        return round_half(value / step, 1.0, mode) * step
    num, den = t.display_factor(c.type_of(node.args[0]))
    shown = round_half(value * (num / den), 10.0 ** -round_decimals(node), mode)
    return shown * (den / num)


def _time_of_day(c: Compiler, node: ast.Call) -> pl.Expr:
    moment = c.expr(node.args[0])
    return minutes_of_day(moment)


def _weekday(c: Compiler, node: ast.Call) -> pl.Expr:
    return c.expr(node.args[0]).dt.weekday().cast(pl.Float64)


def _minutes(expr: pl.Expr) -> pl.Expr:
    return pl.duration(microseconds=(expr * 60_000_000).round(0).cast(pl.Int64))


def _minutes_within(c: Compiler, node: ast.Call) -> pl.Expr:
    """Overlap of start–end with the daily window on each day the period can touch
    (the day before its start to two days after: visits are at most a day long)."""
    start, end, first, last = _args(c, node)
    changes = c.clock_changes(start, end)  # the windows are within days of the period
    length = pl.when(last > first).then(last - first).otherwise(last - first + 1440)
    day = start.dt.truncate("1d")
    parts = []
    for k in (-1, 0, 1, 2):
        opens = day + pl.duration(days=k) + _minutes(first)
        closes = opens + _minutes(length)
        overlap = elapsed(pl.min_horizontal(end, closes), pl.max_horizontal(start, opens), changes)
        parts.append(pl.max_horizontal(overlap, pl.lit(0.0)))
    total = pl.sum_horizontal(parts)
    valid = start.is_not_null() & end.is_not_null() & first.is_not_null() & last.is_not_null()
    return pl.when(valid).then(total)


def _clamp(c: Compiler, node: ast.Call) -> pl.Expr:
    x, low, high = _args(c, node)
    return (
        pl.when(x.is_null())
        .then(None)
        .otherwise(pl.min_horizontal(pl.max_horizontal(x, low), high))
    )


def _abs(c: Compiler, node: ast.Call) -> pl.Expr:
    return c.expr(node.args[0]).abs()


def _coalesce(c: Compiler, node: ast.Call) -> pl.Expr:
    return pl.coalesce(_args(c, node))


def _step(c: Compiler, node: ast.Call) -> pl.Expr:
    x = snap(c.expr(node.args[0]), COMPARE_DECIMALS)
    assert isinstance(node.args[1], ast.Name)
    brackets = c.plan.params.get(node.args[1].name) or []
    otherwise = c.expr(node.args[2]) if len(node.args) == 3 else pl.lit(None, dtype=pl.Float64)
    chain: Any = pl.when(x.is_null()).then(pl.lit(None, dtype=pl.Float64))
    inclusive = c.checked.model.parameters[node.args[1].name].inclusive
    for under, value in brackets:
        bound = round(float(under), COMPARE_DECIMALS)
        chain = chain.when(x <= bound if inclusive else x < bound).then(pl.lit(float(value)))
    return chain.otherwise(otherwise)


def _days_active(c: Compiler, node: ast.Call) -> pl.Expr:
    start, end = _args(c, node)
    first = pl.max_horizontal(start, pl.lit(c.plan.month))
    last = pl.min_horizontal(end.fill_null(pl.lit(c.plan.month_end)), pl.lit(c.plan.month_end))
    days = (last - first).dt.total_days() + 1
    return (
        pl.when(start.is_null())
        .then(None)
        .otherwise(pl.max_horizontal(days, pl.lit(0)).cast(pl.Float64))
    )


def _date(c: Compiler, node: ast.Call) -> pl.Expr:
    value = c.expr(node.args[0])
    return value.dt.date() if isinstance(c.type_of(node.args[0]), t.DateTime) else value


def _overlapping_visits(c: Compiler, node: ast.Call) -> pl.Expr:
    """Per group of equal keys, sorted by start: a visit overlaps another when an earlier
    one ends after it starts, or the next one starts before it ends."""
    keys = [c.expr(a) for a in node.args]
    valid = pl.col("end") > pl.col("start")
    for key in keys:
        valid = valid & key.is_not_null()
    start = pl.when(valid).then(pl.col("start"))
    end = pl.when(valid).then(pl.col("end"))
    earlier_end = end.cum_max().shift(1).over(keys, order_by=start)
    next_start = start.shift(-1).over(keys, order_by=start)
    return valid & ((start < earlier_end).fill_null(False) | (next_start < end).fill_null(False))


def _add_months(c: Compiler, node: ast.Call) -> pl.Expr:
    """The date n calendar months later. Over a whole column, by a calendar: each day
    from its earliest date to its latest moved once, and each row's looked up by its
    distance from the earliest (Polars' `offset_by` on every row of Örebro's 6.9 M
    decision days at 10 M visits took 0.17 s, the calendar 0.02 s)."""
    value = c.expr(node.args[0])
    months = f"{_months(c, node.args[1])}mo"
    if not c.whole or not value.meta.root_names():  # within groups, or one date
        return value.dt.offset_by(months)
    first = value.min().fill_null(pl.lit(date(1970, 1, 1)))  # no dates: nothing looked up
    calendar = pl.date_range(first, value.max().fill_null(first), "1d").dt.offset_by(months)
    return calendar.gather(value.cast(pl.Int32) - first.cast(pl.Int32))


def _months(c: Compiler, node: ast.Node) -> int:
    """The number of months of `add_months`: written out, or of the month's parameters
    (the checker let through only a whole count of them, the same on every row)."""
    constant = c.expr(node)
    assert not constant.meta.root_names(), "a number of months read from a row"
    return int(round(pl.select(constant).item()))


def _aggregate_only(c: Compiler, node: ast.Call) -> pl.Expr:
    raise AssertionError(f"{node.func} is computed by group_by")


IMPLEMENTATIONS = {
    "sum": _aggregate_only,
    "days_covered": _aggregate_only,
    "count": _aggregate_only,
    "count_distinct": _aggregate_only,
    "any": _aggregate_only,
    "all": _aggregate_only,
    "min": _min,
    "max": _max,
    "round": _round,
    "floor": _round,
    "ceil": _round,
    "time_of_day": _time_of_day,
    "weekday": _weekday,
    "minutes_within": _minutes_within,
    "minutes_in": _aggregate_only,  # computed once per band parameter (_precompute_bands)
    "clamp": _clamp,
    "abs": _abs,
    "coalesce": _coalesce,
    "step": _step,
    "days_active": _days_active,
    "date": _date,
    "overlaps": _overlapping_visits,
    "add_months": _add_months,
}


# ----------------------------------------------------------------------------- evaluation


def _branch_columns(compiler: Compiler, step: Step) -> list[pl.Expr]:
    """For each `if` of the rule, a column per side that is true where that side was
    taken (rule coverage: which conditions ever decided anything on this data)."""
    if step.tree is None or step.rule is None:
        return []
    numbers = {
        id(node): i for i, node in enumerate(branch_nodes(step.tree, set(compiler.agg_columns)), 1)
    }
    out: list[pl.Expr] = []

    def visit(node: ast.Node, path: pl.Expr) -> None:
        if id(node) in compiler.agg_columns:
            return
        if isinstance(node, ast.If) and id(node) in numbers:
            cond = compiler.expr(node.cond).fill_null(False)
            number = numbers[id(node)]
            out.append((path & cond).alias(branch_column(step.name, number, "then")))
            out.append((path & ~cond).alias(branch_column(step.name, number, "else")))
            visit(node.then, path & cond)
            visit(node.otherwise, path & ~cond)
            return
        for child in node.children():
            visit(child, path)

    visit(step.tree, pl.lit(True))
    return out


def _miss_columns(compiler: Compiler, step: Step) -> list[pl.Expr]:
    """For each look-up that can miss, a column that is true where the formula took
    the look-up with every key present and the table has no such key: such a row has
    no value the model declared, and the run must stop rather than pay it as 0."""
    if step.tree is None or step.rule is None:
        return []
    misses = {
        id(node): i for i, node in enumerate(lookups_that_can_miss(compiler.checked, step.tree), 1)
    }
    if not misses:
        return []
    out: list[pl.Expr] = []
    for node, path, _ in _placed(compiler, step.tree):
        if id(node) in misses:
            missing = path & missed(node, compiler.expr)
            out.append(missing.alias(miss_column(step.name, misses[id(node)])))
    return out


Placed = tuple[ast.Node, pl.Expr, "ast.Node | None"]


def _placed(compiler: Compiler, tree: ast.Node, decision: ast.Node | None = None) -> list[Placed]:
    """Each node of a formula outside its aggregations, in order, with where it is
    evaluated — true on the rows whose `if`s lead to it — and the condition it is part
    of (the nearest `if`'s, or `decision` at the top): what a check of one node's rows
    needs (a look-up that missed, a `min` that skipped, a comparison left unknown)."""
    out: list[Placed] = []

    def visit(node: ast.Node, path: pl.Expr, deciding: ast.Node | None) -> None:
        if id(node) in compiler.agg_columns:
            return
        out.append((node, path, deciding))
        if isinstance(node, ast.If):
            cond = compiler.expr(node.cond).fill_null(False)
            visit(node.cond, path, node.cond)
            visit(node.then, path & cond, deciding)
            visit(node.otherwise, path & ~cond, deciding)
            return
        for child in node.children():
            visit(child, path, deciding)

    visit(tree, pl.lit(True), decision)
    return out


def _clamp_columns(compiler: Compiler, step: Step) -> list[pl.Expr]:
    """For each `clamp`, a column true where the formula took it with its lower bound
    above its upper: "at least 85 % of the granted time, at most 110 %" cannot both
    hold, and which one the model means is for its author to say (a flag's too: the
    interpreter stops at it alike)."""
    if step.tree is None or step.rule is None:
        return []
    numbers = {id(node): i for i, node in enumerate(clamps(step.tree), 1)}
    out: list[pl.Expr] = []
    for node, path, _ in _placed(compiler, step.tree) if numbers else ():
        if id(node) in numbers:
            assert isinstance(node, ast.Call)
            limits = path & inverted(node, compiler.expr)
            out.append(limits.alias(clamp_column(step.name, numbers[id(node)])))
    return out


def _clamp_inversions(
    compiler: Compiler, steps: list[Step], frame: pl.DataFrame, entity: str
) -> list[Diagnostic]:
    """A located error per `clamp` whose lower bound was above its upper on some rows,
    with up to five of them and both bounds."""
    found: list[Diagnostic] = []
    ids = naming_columns(compiler.checked.model.vocabulary, entity, frame.columns)
    for step in steps:
        if step.tree is None or step.rule is None:
            continue
        for number, node in enumerate(clamps(step.tree), 1):
            column = clamp_column(step.name, number)
            rows = frame.filter(pl.col(column)) if column in frame.columns else frame.clear()
            if rows.height == 0:
                continue
            _, low, high = node.args
            typ = compiler.type_of(low)
            bounds = [compiler.expr(a).alias(f"__bound_{i}") for i, a in enumerate((low, high))]
            shown = "; ".join(
                f"{', '.join(f'{c} {row[c]}' for c in ids)}: "
                f"{t.quantity_text(row['__bound_0'], typ)} above "
                f"{t.quantity_text(row['__bound_1'], typ)}"
                for row in rows.head(5).select([*ids, *bounds]).to_dicts()
            )
            more = f" and {rows.height - 5} more" if rows.height > 5 else ""
            found.append(
                Diagnostic(
                    "clamp-bounds",
                    f"`{formula_text(node)}` has its lower bound above its upper for "
                    f"{rows.height} {entity} row{'s' if rows.height != 1 else ''} of "
                    f"{compiler.plan.month:%Y-%m} (in `{step.name}`): {shown}{more}",
                    node.span,
                    hint=clamp_hint(node),
                )
            )
    return found


def _skipping_calls(checked: CheckedModel, step: Step) -> list[ast.Call]:
    """The rule's `min`/`max` calls the check warned can skip an argument, in order."""
    found: list[ast.Call] = []
    for tree in (step.tree, step.quantity):
        for node in tree.walk() if tree is not None else ():
            if isinstance(node, ast.Call) and id(node) in checked.skipping:
                found.append(node)
    return found


def _skip_columns(compiler: Compiler, step: Step) -> list[pl.Expr]:
    """For each `min`/`max` that can skip an argument with no value (`skipped-argument`),
    a column true where the formula took it and an argument had none: `max(0,
    customer.avstånd_km - 10)` paid a customer with no distance 0 kr of travel, the
    check's warning the only word of it. No such call (the bundled models have none),
    no column."""
    if step.rule is None or not compiler.checked.skipping or step.rule.kind == "flag":
        return []  # a flag pays nothing
    calls = {id(node): i for i, node in enumerate(_skipping_calls(compiler.checked, step), 1)}
    if not calls:
        return []
    out: list[pl.Expr] = []
    for tree in (step.tree, step.quantity):
        for node, path, _ in _placed(compiler, tree) if tree is not None else ():
            if id(node) in calls:
                args, _ = compiler.checked.skipping[id(node)]
                empty = pl.any_horizontal([compiler.expr(a).is_null() for a in args])
                out.append((path & empty).alias(skip_column(step.name, calls[id(node)])))
    return out


def _unknown_nodes(compiler: Compiler, step: Step) -> list[tuple[ast.Node, ast.Node, pl.Expr]]:
    """Each comparison or condition the check warned can be unknown (`nullable-comparison`)
    with the condition it decides — the `if`'s, or the rule's own yes or no (an
    exclusion's `when`) — and where that is evaluated. Unknown inside `a and b` where `a`
    is false decides nothing; only an unknown decision is the row's loss."""
    unknowns = compiler.checked.unknowns
    found: list[tuple[ast.Node, ast.Node, pl.Expr]] = []
    root = step.tree
    if step.rule is None or root is None or not unknowns or step.rule.kind == "flag":
        return found  # a flag pays nothing: a visit it missed is the check's warning alone
    is_bool = isinstance(compiler.checked.rule_types.get(step.name), t.Bool)
    for node, path, decision in _placed(compiler, root, root if is_bool else None):
        if id(node) in unknowns and decision is not None:
            found.append((node, decision, path))
    return found


def _unknown_columns(compiler: Compiler, step: Step) -> list[pl.Expr]:
    """A column per comparison that can be unknown, true where it was and so left its
    decision unknown — counted as false: `if customer.avstånd_km > 10 then … else 0 SEK`
    paid a customer with no distance 0 kr, the check's warning the only word of it."""
    out = []
    for number, (node, decision, path) in enumerate(_unknown_nodes(compiler, step), 1):
        unknown = compiler.expr(node).is_null() & compiler.expr(decision).is_null()
        out.append((path & unknown).alias(unknown_column(step.name, number)))
    return out


def _unsure(
    compiler: Compiler, steps: list[Step], frame: pl.DataFrame, entity: str
) -> list[Diagnostic]:
    """A warning per `min`/`max` that skipped an argument with no value, and per
    comparison or condition that was unknown (and so counted as false), on rows of
    this month, naming them: the run exits 5, and a model test must expect them."""
    checked = compiler.checked

    def calls(step: Step) -> list[ast.Node]:
        return list(_skipping_calls(checked, step))

    def comparisons(step: Step) -> list[ast.Node]:
        return [node for node, _, _ in _unknown_nodes(compiler, step)]

    skipped = _flagged_rows(frame, steps, calls, skip_column) if checked.skipping else ()
    unknown = _flagged_rows(frame, steps, comparisons, unknown_column) if checked.unknowns else ()
    return [_skipped_warning(compiler, entity, *found) for found in skipped] + [
        _unknown_warning(compiler, entity, *found) for found in unknown
    ]


def _unknown_warning(
    compiler: Compiler, entity: str, step: Step, node: ast.Node, rows: pl.DataFrame
) -> Diagnostic:
    checked = compiler.checked
    why = said_unknown(checked.unknowns[id(node)], checked.unknown_reasons.get(id(node), ()))
    plural = "s" if rows.height != 1 else ""
    return Diagnostic(
        "nullable-comparison",
        f"`{formula_text(node)}` was unknown, which counts as false, for "
        f"{rows.height} {entity} row{plural} of {compiler.plan.month:%Y-%m} (in "
        f"`{step.name}`; {why}): {_named_rows(rows, entity, compiler)}",
        node.span,
        hint="say what an empty value means with coalesce, or give the rows their values",
        severity="warning",
        where=f"{compiler.plan.month:%Y-%m}",  # of the run, not the check
    )


def _flagged_rows(
    frame: pl.DataFrame,
    steps: list[Step],
    nodes: Callable[[Step], list[ast.Node]],
    column: Callable[[str, int], str],
) -> Iterator[tuple[Step, ast.Node, pl.DataFrame]]:
    """Each node of the steps (`nodes`) whose helper column (`column`, by rule and the
    node's number) is true on some rows, with those rows."""
    for step in steps:
        for number, node in enumerate(nodes(step), 1):
            name = column(step.name, number)
            rows = frame.filter(pl.col(name)) if name in frame.columns else frame.clear()
            if rows.height:
                yield step, node, rows


def _named_rows(rows: pl.DataFrame, entity: str, compiler: Compiler) -> str:
    """The first three rows by their key (`visit V7`, `customer_month K2, P1`)."""
    ids = naming_columns(compiler.checked.model.vocabulary, entity, rows.columns)
    shown = rows.head(3).select(ids).iter_rows()  # an Enum of ids gives its text
    named = "; ".join(f"{entity} {', '.join(map(str, row))}" for row in shown)
    return named + (" …" if rows.height > 3 else "")


def _skipped_warning(
    compiler: Compiler, entity: str, step: Step, node: ast.Node, rows: pl.DataFrame
) -> Diagnostic:
    assert isinstance(node, ast.Call)
    args, why = compiler.checked.skipping[id(node)]
    return Diagnostic(
        "skipped-argument",
        f"`{formula_text(node)}` {skipped_then(node, args[0], ran=True)} where "
        f"`{formula_text(args[0])}` had no value, for {rows.height} "
        f"{entity} row{'s' if rows.height != 1 else ''} of {compiler.plan.month:%Y-%m} "
        f"(in `{step.name}`; {' or '.join(sorted(why))}): {_named_rows(rows, entity, compiler)}",
        args[0].span,
        hint=f"say what no value means: coalesce({formula_text(args[0])}, …), or give the "
        "rows their values",
        severity="warning",
        where=f"{compiler.plan.month:%Y-%m}",  # of the run, not the check
    )


def _lookup_misses(
    compiler: Compiler, steps: list[Step], frame: pl.DataFrame, entity: str
) -> list[Diagnostic]:
    """A located error per look-up that missed, with up to five of its rows."""
    found: list[Diagnostic] = []
    ids = naming_columns(compiler.checked.model.vocabulary, entity, frame.columns)
    for step in steps:
        if step.tree is None or step.rule is None:
            continue
        for number, node in enumerate(lookups_that_can_miss(compiler.checked, step.tree), 1):
            column = miss_column(step.name, number)
            if column not in frame.columns:
                continue
            rows = frame.filter(pl.col(column))
            if rows.height == 0:
                continue
            name, key_nodes = looked_up(node)
            param = compiler.checked.model.parameters[name]
            keys = [compiler.expr(k).alias(f"__key_{i}") for i, k in enumerate(key_nodes)]
            examples = rows.head(5).select([*ids, *keys]).to_dicts()
            stepped = param.kind == "steps"
            labels = param.keys if not stepped else ("value",)
            key_type = compiler.type_of(key_nodes[0])
            unit = t.display_unit(key_type) if stepped else ""
            factor = t.display_factor(key_type) if stepped else (1, 1)
            shown = "; ".join(_miss_example(e, ids, labels, unit, factor) for e in examples)
            more = f" and {rows.height - 5} more" if rows.height > 5 else ""
            found.append(
                Diagnostic(
                    "lookup-miss",
                    f"`{param.name}` has no {'bracket' if stepped else 'value'} for "
                    f"{rows.height} {entity} row{'s' if rows.height != 1 else ''} of "
                    f"{compiler.plan.month:%Y-%m} (in `{step.name}`): {shown}{more}",
                    node.span,
                    hint=f"add a bracket to `{param.name}`, or give `step` a third argument: "
                    "the value above every bracket"
                    if stepped
                    else f"add the keys to `{param.name}`, give it `otherwise:` (its value "
                    "for keys it does not list), or make it a step table",
                )
            )
    return found


def _miss_example(
    row: dict[str, Any],
    ids: list[str],
    keys: tuple[str, ...],
    unit: str = "",
    factor: tuple[int, int] = (1, 1),
) -> str:
    """`decision_id B1: level 4`, a value shown in its unit (`value 100 %`)."""
    who = ", ".join(f"{c} {row[c]}" for c in ids)
    parts = []
    for i, k in enumerate(keys):
        value = row[f"__key_{i}"]
        if isinstance(value, float):
            value = round(value * factor[0] / factor[1], 6)
        minutes = unit == "min" and isinstance(value, int | float)
        hours = f" ({_key_text(round(value / 60, 2))} h)" if minutes else ""
        parts.append(f"{k} {_key_text(value)}{' ' + unit if unit else ''}{hours}")
    return f"{who}: {', '.join(parts)}"


def _key_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _step_columns(compiler: Compiler, step: Step, plan: Plan) -> list[pl.Expr]:
    if step.rule is None:  # `counted`
        flags = {s.name: pl.col(s.name).fill_null(False) for s in plan.exclusion_steps()}
        hit: Any = pl.lit(None, dtype=pl.String)
        for i, (name, flag) in enumerate(flags.items()):  # the first that holds
            hit = (pl.when(flag) if i == 0 else hit.when(flag)).then(pl.lit(name))
        if flags:
            hit = hit.otherwise(pl.lit(None, dtype=pl.String))
        # counted: no exclusion holds (the flags, not the rule names: 10 M visits'
        # texts compared again cost 0.07 s)
        counted = ~pl.any_horizontal(list(flags.values())) if flags else pl.lit(True)
        return [hit.alias("excluded_by"), counted.alias("counted")]
    assert step.tree is not None
    expr = compiler.expr(step.tree)
    branches = (
        _branch_columns(compiler, step)
        + _miss_columns(compiler, step)
        + _clamp_columns(compiler, step)
        + _skip_columns(compiler, step)
        + _unknown_columns(compiler, step)
    )
    if step.rule.kind != "payment":
        return [expr.alias(step.name), *branches]
    rounding = plan.checked.model.rounding
    # not strict: an amount beyond an öre's reach of Int64 is a null here, and the run
    # stops on it with its rows (`api.amounts_beyond_exact`), never a Polars traceback
    ore = (
        (round_half(expr, float(rounding.step), rounding.mode) * 100)
        .round(0)
        .cast(pl.Int64, strict=False)
    )
    out = [
        expr.alias(raw_column(step.name)),
        ore.alias(ore_column(step.name)),
        (ore / 100).alias(step.name),
    ]
    if step.quantity is not None:
        out.append(compiler.expr(step.quantity).alias(f"__qty_{step.name}"))
    return out + branches


# What Polars raises for a value it cannot compute: an error, or a panic (a date beyond
# what a calendar holds, `date(start) + frist * 100000000 + förlängning`, panicked
# inside Polars and stopped the run with a traceback)
UNCOMPUTABLE = (pl.exceptions.PolarsError, pl.exceptions.PanicException)


def _cannot_compute(
    compiler: Compiler, layer: list[Step], frame: pl.DataFrame, error: BaseException
) -> Diagnostic:
    """The rule of a layer that Polars could not compute (each tried alone), located."""
    failing = layer[0]
    for step in layer:
        try:
            frame.with_columns(_step_columns(compiler, step, compiler.plan))
        except UNCOMPUTABLE as own:
            failing, error = step, own
            break
    return _uncomputable(compiler.plan, failing, error)


def _uncomputable(plan: Plan, failing: Step, error: BaseException) -> Diagnostic:
    """`cannot-compute` for a rule, with why."""
    reason = _why_uncomputable(error)
    rule = failing.rule
    return Diagnostic(
        "cannot-compute",
        f"`{failing.name}` cannot be computed in {plan.month:%Y-%m}: {reason[:300]}",
        rule.span if rule is not None else None,
        hint="a date or an amount in the formula goes beyond what a calendar or a number holds",
    )


def _why_uncomputable(error: BaseException) -> str:
    """Polars' first line of why, or for a date beyond a calendar (a panic, or a
    conversion naming the engine's own columns) words a model's author reads."""
    said = str(error).strip()
    first = said.splitlines()[0] if said else type(error).__name__
    if re.search(r"out-of-range date|to `(date|datetime)[^`]*` failed", first):
        return "a date beyond what a calendar holds"
    return first


def _aggregation_uncomputable(
    plan: Plan,
    steps: list[Step],
    frame: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    error: BaseException,
) -> Diagnostic:
    """The rule whose aggregation Polars could not compute (each rule's aggregations
    tried alone), located — else the entity's first rule: a date in a filter beyond the
    calendar (`start_date <= date(visit.start) + frist * 20000000000`) stopped the run
    with a traceback."""
    for step in steps:
        own = aggregations(plan.checked, [step])
        if not own:
            continue
        try:
            add_aggregations(plan, frame, frames, own, compiler_for(plan), None, None)
        except UNCOMPUTABLE as found:
            return _uncomputable(plan, step, found)
    return _uncomputable(plan, steps[0], error)


def _rule_layers(compiler: Compiler, plan: Plan, entity: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The entity's rules, layer by layer (a layer reads only the layers before it)."""
    for layer in plan.order[entity]:
        lookups = _layer_lookups(compiler, layer)
        try:
            looked = _with_lookups(compiler, lookups, frame)
            columns = [c for step in layer for c in _step_columns(compiler, step, plan)]
            frame = in_pieces(looked.with_columns(columns))
        except UNCOMPUTABLE as error:
            for node in lookups:  # each rule tried alone, as written, to find the one
                compiler.lookup_columns.pop(id(node), None)
            raise EngineError([_cannot_compute(compiler, layer, frame, error)]) from None
    return frame


LOOKUP_PREFIX = "__agg_lookup_"  # dropped with the other helpers once the rules are done


def _layer_lookups(compiler: Compiler, layer: list[Step]) -> list[ast.Lookup]:
    """The look-ups of the layer's formulas that read the row (a look-up by constant
    keys is a constant), outside aggregations (computed on other rows), inner ones
    before those whose keys hold them."""
    found: list[ast.Lookup] = []

    def visit(node: ast.Node) -> None:
        if id(node) in compiler.agg_columns:
            return
        for child in node.children():
            visit(child)
        if isinstance(node, ast.Lookup) and not compiler.is_constant(node):
            found.append(node)

    for step in layer:
        for tree in (step.tree, step.quantity):
            if tree is not None:
                visit(tree)
    return found


def _with_lookups(
    compiler: Compiler, lookups: list[ast.Lookup], frame: pl.DataFrame
) -> pl.DataFrame:
    """The frame with each look-up's value as a column, which the rules then read: a
    payment's formula is computed for its raw value, its öre and the check for a key
    the table lacks, and a look-up (a map built from the parameter's table, a key
    made of text) was the larger part of each (the bench's core at 1 M visits: its
    customer-months' rules 8.1 -> 6.6 ms, the look-up made once instead of four
    times). A look-up whose keys hold another is computed after it."""
    pending = list(lookups)
    while pending:
        waiting = {id(node) for node in pending}
        ready = [
            node
            for node in pending
            if not any(id(sub) in waiting for key in node.keys for sub in key.walk())
        ]
        columns = []
        for node in ready:
            name = f"{LOOKUP_PREFIX}{len(compiler.lookup_columns)}"
            columns.append(compiler._lookup(node).alias(name))
            compiler.lookup_columns[id(node)] = name
        frame = frame.with_columns(columns)
        pending = [node for node in pending if node not in ready]
    return frame


def compiler_for(plan: Plan) -> Callable[[str], Callable[[ast.Node], pl.Expr]]:
    """Compiles a `where` filter on a related entity's rows."""
    return lambda child: Compiler(plan, child, {}).expr


def _pairs_from_groups(
    plan: Plan,
    entity: str,
    wanted: list[tuple[int, AggInfo]],
    frames: dict[str, pl.DataFrame],
    tables: dict[str, pl.DataFrame],
    timings: dict[str, float] | None,
) -> Ahead:
    """A pairs entity's frame made from the group-bys of its aggregations, which are
    kept for `add_aggregations` (`aggregate.group_ahead`)."""
    described = plan.checked.model.vocabulary.entities[entity]
    with timed(timings, "aggregations"):
        ahead = group_ahead(plan, frames, wanted, compiler_for(plan), described)
    with timed(timings, "frames"):
        frames[entity] = in_pieces(pairs_frame(plan, described, frames, tables, ahead.pairs()))
    return ahead


def numbering_pays(plans: list[Plan]) -> bool:
    """Whether the run should number the parties' ids (`Dataset.for_evaluation`): when
    its months hash the registrations' customer and provider ids more than once —
    grouped for two entities, joined to other rows, sorted for `overlaps(…)` or joined
    to their parties' fields. Numbering is itself about one such pass over the ids
    (0.25 s for 10 M visits); the passes after it work on numbers. Measured at 10 M
    visits: the bench's core (one group-by) evaluates in 0.80 s unnumbered against
    1.03 s numbered; Norrtälje's model (visits grouped by customer and by provider)
    in 3.44 s numbered against 3.77 s, 0.24 GB smaller; Örebro's in 7.1 s against
    7.9 s, 0.14 GB smaller."""
    return any(_registration_passes(plan) > 1 for plan in plans)


def _registration_passes(plan: Plan) -> int:
    """How many times the month groups, joins or sorts the registrations by party."""
    vocabulary = plan.checked.model.vocabulary
    registration = vocabulary.roles.registration
    keys = {party.key for party in vocabulary.parties.values()}
    passes = set()
    for entity in vocabulary.order:
        steps = plan.steps(entity)
        for _, info in aggregations(plan.checked, steps):
            relation = info.relation
            joined = entity == registration and bool(relation.keys)  # a visit's own rows
            grouped = relation.entity == registration and bool(keys & set(relation.keys))
            if joined or grouped:
                passes.add((entity, relation.name))
        if entity == registration:
            if _calls_overlaps(steps):
                passes.add((entity, "overlaps"))
            if joins_parties(plan, vocabulary.entities[entity]):
                passes.add((entity, "parties"))
    return len(passes)


def _dated(frame: pl.DataFrame) -> tuple[list[ClockChange], set[str]]:
    """The frame's columns of dates and times, and the clock changes near them."""
    columns = {n for n, d in frame.schema.items() if isinstance(d, pl.Datetime | pl.Date)}
    return changes_in(frame, sorted(columns)), columns


def _overlap_neighbours(plan: Plan, tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The neighbouring months' registrations that can overlap the month's, where the
    registrations' rules call `overlaps(…)` (nothing else reads them): a model without
    it no longer filters every visit for them (the bench's core: 1 ms at 1 M visits, 7 ms
    at 10 M)."""
    registration = plan.checked.model.vocabulary.roles.registration
    if not _calls_overlaps(plan.steps(registration)):
        return None
    return neighbour_registrations(plan, tables)


def _calls_overlaps(steps: list[Step]) -> bool:
    return next(calls_to("overlaps", steps), None) is not None


def evaluate(
    plan: Plan,
    tables: dict[str, pl.DataFrame],
    reuse: dict[str, pl.DataFrame] | None = None,
    changed: frozenset[str] = frozenset(),
    timings: dict[str, float] | None = None,
    let_go: bool = False,
    warnings: dict[str, list[Diagnostic]] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every entity's frame with a column per rule in force (payments: raw, öre, SEK);
    into `warnings`, where given, by entity evaluated, each `min`/`max` that skipped an
    argument with no value and each comparison left unknown (an entity `reuse` keeps
    keeps the warnings given of it before).

    With `reuse` (the frames of an earlier evaluation of the same model on the same
    data) and `changed` (the parameters that differ since), an entity whose rules use
    none of them, and whose related entities were reused too, is taken as it was: a
    sweep of a control level re-evaluates customer-months, not ten million visits.
    `timings` gathers the seconds of each phase: `frames`, `aggregations`,
    `overlaps_and_bands`, `rules`.

    With `let_go` the registrations' table is taken out of `tables` once the month's
    frames are made (a run a month at a time needs it no more): the visits' frame
    shares its columns with the table until an added column makes Polars copy the
    frame, and holding both through that copy doubled a national month's visits."""
    recomputed: set[str] = set()
    changed = with_dependents(plan, changed)
    vocabulary = plan.checked.model.vocabulary
    deferred: frozenset[str] = frozenset()
    if reuse is not None:
        frames = dict(reuse)
    else:
        deferred = deferrable_pairs(vocabulary)
        with timed(timings, "frames"):
            frames = {n: in_pieces(f) for n, f in base_frames(plan, tables, deferred).items()}
    registration = vocabulary.roles.registration
    kept_neighbours = None  # the neighbouring months' registrations, taken before the table goes
    if let_go:
        kept_neighbours = _overlap_neighbours(plan, tables)
        tables.pop(vocabulary.registrations, None)
    for entity in vocabulary.order:
        steps = plan.steps(entity)
        wanted = aggregations(plan.checked, steps)
        ahead = None
        if entity in deferred:  # its rows are the groups of its aggregations' group-bys
            ahead = _pairs_from_groups(plan, entity, wanted, frames, tables, timings)
        if not steps:
            continue
        if reuse is not None and not depends(plan, entity, steps, changed, recomputed):
            continue
        recomputed.add(entity)
        if reuse is not None:  # start again from the entity's base columns
            frames[entity] = frames[entity].drop(computed_columns(steps, frames[entity]))
        with timed(timings, "aggregations"):
            frame = frames[entity]
            if all(info.relation.entity != entity for _, info in wanted):
                del frames[entity]  # not held twice if an added column copies the frame
            try:
                frame, agg_columns = add_aggregations(
                    plan,
                    frame,
                    frames,
                    wanted,
                    compiler_for(plan),
                    partial(unchanged, plan, changed, recomputed) if reuse is not None else None,
                    ahead,
                )
            except UNCOMPUTABLE as error:
                found = _aggregation_uncomputable(plan, steps, frame, frames, error)
                raise EngineError([found]) from None
            frame = in_pieces(frame)
            frames[entity] = frame
        compiler = Compiler(plan, entity, agg_columns, whole=True, dated=_dated(frame))
        with timed(timings, "overlaps_and_bands"):
            neighbours = None
            if entity == registration:  # looked for only where the visits are evaluated
                neighbours = kept_neighbours if let_go else _overlap_neighbours(plan, tables)
            frame = precompute_overlaps(compiler, steps, frame, neighbours)
            frame = in_pieces(precompute_bands(compiler, steps, frame))
        with timed(timings, "rules"):
            frame = _rule_layers(compiler, plan, entity, frame)
        misses = _lookup_misses(compiler, steps, frame, entity)
        misses += _clamp_inversions(compiler, steps, frame, entity)
        if misses:
            raise EngineError(misses)
        if warnings is not None:
            warnings[entity] = _unsure(compiler, steps, frame, entity)
        helpers = [
            c
            for c in frame.columns
            if c.startswith(("__agg_", MISS_PREFIX, CLAMP_PREFIX, SKIP_PREFIX, UNKNOWN_PREFIX))
        ]
        frames[entity] = frame.drop(helpers) if helpers else frame
    assert set(vocabulary.entities) >= set(frames)
    return frames
