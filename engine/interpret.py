"""The scalar back end: one row at a time, in exact `decimal.Decimal`.

It gives the same answers as the vectorized compiler (a property test holds the
two together) and records every value it computes, so `explain` can show a
provider why a customer's month came to what it did. Nulls follow Kleene logic:
a missing value makes arithmetic missing, `and`/`or` use three-valued logic,
and an `if` whose condition is missing takes the `else` branch.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from engine import ast
from engine import types as t
from engine.builtins import BUILTINS, ROUNDING_FUNCTIONS, SKIPS_MISSING
from engine.checker import (
    AggInfo,
    CheckedModel,
    ColumnRef,
    ContextRef,
    OuterRef,
    ParamRef,
    RuleRef,
    clamp_hint,
    fields_of,
    formula_text,
    round_decimals,
    round_multiple,
)
from engine.clock import ClockChange, changes_between, clock_after, elapsed_minutes
from engine.diagnostics import Diagnostic, EngineError
from engine.model import Band, band_boundaries, cyclic
from engine.money import COMPARE_DECIMALS, CONTEXT, round_to, snap
from engine.names import naming_columns
from engine.phrases import figure, say
from engine.plan import COUNTED, Plan, indexation_words

ROWS_SHOWN = 3  # rows of an aggregation explained, unless `explain --rows` says otherwise


@dataclass
class Row:
    """One entity row: its field values, and its related rows by relation name."""

    entity: str
    values: dict[str, Any]
    children: dict[str, list[Row]] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)
    traces: dict[str, Trace] = field(default_factory=dict)
    label: str = ""  # its entity and key (`leverans L1`), where rows of several are shown
    key: str = ""  # its key as a statement line's `row` writes it (`L1`; `A, 2025-03-04`)
    kind: str = ""  # its entity as the reader says it (`ansökan om effektpremie`)


@dataclass
class Trace:
    """How one value came about: the formula, what it used, and the rule's source."""

    name: str
    kind: str  # 'definition' | 'payment' | 'exclusion' | 'field' | 'parameter' | 'aggregate' | 'context'
    value: Any
    type: t.Type
    formula: str | None = None
    source: str | None = None
    uses: list[Trace] = field(default_factory=list)
    rows: int | None = None  # aggregates: how many rows were aggregated
    without_value: int = 0  # aggregates: how many of them had no value, and were left out
    raw: Any = None  # payments: the amount before rounding
    category: str | None = None  # payments: the invoice category
    under_type: t.Type | None = None  # step tables: the type of the brackets' `under`
    row: str | None = None  # which row of an aggregation, e.g. "visit V17"
    up_to: bool = False  # step tables: brackets written `up_to:` (x at or below), not `under:`
    label: str | None = None  # a rule's `label:`: the words the payment file and letters use


def _same(a: Trace, b: Trace) -> bool:
    """The same trace, or the same plain value read again (a column, a parameter)."""
    if a is b:
        return True
    plain = ("field", "parameter", "context")
    return (
        a.kind == b.kind
        and a.kind in plain
        and not a.uses
        and not b.uses
        and (a.name, a.row, a.value, a.type) == (b.name, b.row, b.value, b.type)
    )


def to_decimal(value: Any) -> Any:
    """Data values as the interpreter holds them (floats become exact decimals)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    return value


PeerSource = Callable[[str, tuple[str, ...], tuple[Any, ...]], list[dict[str, Any]]]


def no_peers(entity: str, keys: tuple[str, ...], values: tuple[Any, ...]) -> list[dict[str, Any]]:
    return []


class Interpreter:
    """`peers(entity, keys, values)` gives the rows of an entity with those key values;
    `overlaps` compares a visit with them (the caller decides where they come from)."""

    def __init__(
        self,
        plan: Plan,
        peers: PeerSource = no_peers,
        rows: int | None = ROWS_SHOWN,
        lang: str = "en",
    ):
        self.plan = plan
        self.lang = lang  # of the notes the trace says in words (explain's tree)
        self.rows_shown = rows  # of each aggregation, explained; None: every one
        self.peers = peers
        self.checked: CheckedModel = plan.checked
        self.vocabulary = plan.checked.model.vocabulary
        self.registration = self.vocabulary.roles.registration  # has `counted`, `excluded_by`
        self._uses: list[list[Trace]] = []
        self._outer: list[Row] = []  # rows whose aggregation filter is being evaluated
        self._aggregated_rows: list[Row] = []
        self.steps = {e: {s.name: s for s in plan.steps(e)} for e in plan.order}
        self._formulas = {id(s.tree) for e in self.steps.values() for s in e.values() if s.tree}

    # ---- rules

    def rule(self, row: Row, name: str) -> Any:
        """The value of rule `name` on `row` (payments: the rounded amount)."""
        if name in row.computed:
            self._note(row.traces[name])
            return row.computed[name]
        step = self.steps[row.entity][name]
        self._uses.append([])
        raw = None
        value: Any
        if step.rule is None:
            value = self._counted(row)
            said = say(self.lang, "explain.no_exclusion")
            trace = Trace(name, "definition", value, t.BOOL, formula=said)
        else:
            assert step.tree is not None
            try:
                value = self.eval(step.tree, row)
            except (OverflowError, ValueError) as error:  # a date beyond the calendar
                raise EngineError(
                    [
                        Diagnostic(
                            "cannot-compute",
                            f"`{name}` cannot be computed in {self.plan.month:%Y-%m}: {error}",
                            step.rule.span,
                            hint="a date or an amount in the formula goes beyond what a "
                            "calendar or a number holds",
                        )
                    ]
                ) from None
            version = step.rule.version_on(self.plan.in_force)
            source = (version.source if version else None) or step.rule.source
            if step.rule.kind == "payment":
                raw = value
                value = self.round_amount(value)
            trace = Trace(
                name,
                step.rule.kind,
                value,
                self.checked.rule_types.get(name, t.UNKNOWN),
                formula=version.formula.strip() if version else None,
                source=source,
                raw=raw,
                category=step.rule.category,
                label=step.rule.label,
            )
        trace.uses = self._uses.pop()
        row.computed[name] = value
        row.traces[name] = trace
        self._note(trace)
        return value

    def round_amount(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        rounding = self.checked.model.rounding
        return round_to(value, rounding.step, rounding.mode)

    def _counted(self, row: Row) -> bool:
        excluded = None
        for step in self.plan.exclusion_steps():
            if self.rule(row, step.name) is True:
                excluded = step.name
                break
        row.computed["excluded_by"] = excluded
        return excluded is None

    def _note_clock_changes(self, earlier: datetime, later: datetime, passed: Decimal) -> None:
        """Where the minutes that passed are not the clock's, the night it moved."""
        first, last = min(earlier, later), max(earlier, later)
        on_the_clock = later - earlier
        if passed == Decimal(int(on_the_clock.total_seconds() * 1_000_000)) / 60_000_000:
            return
        for change in changes_between(first, last):
            if first < change.at <= last:
                said = _clock_change_said(change, on_the_clock, passed, self.lang)
                self._note(Trace(said, "note", None, t.UNKNOWN))

    def _note(self, trace: Trace) -> None:
        """`trace` among the values the current rule used, once: a column read by two
        conditions (`if status == "utförd" … else if status == "uteblivet" …`) showed
        `status = avbokad` twice."""
        if self._uses and all(not _same(u, trace) for u in self._uses[-1]):
            self._uses[-1].append(trace)

    # ---- expressions

    def eval(self, node: ast.Node, row: Row) -> Any:
        match node:
            case ast.Quantity():
                return self.checked.literals[id(node)]
            case ast.TimeLit(minutes=m):
                return Decimal(m)
            case ast.Missing():
                return None
            case ast.DateLit(value=v) | ast.String(value=v) | ast.BoolLit(value=v):
                return v
            case ast.Name():
                return self._name(node, row)
            case ast.Neg(operand=a):
                value = self.eval(a, row)
                return None if value is None else -value
            case ast.BinOp():
                return self._binop(node, row)
            case ast.Compare():
                return self._compare(node.op, node.left, node.right, row)
            case ast.In():
                return self._in(node, row)
            case ast.And(left=a, right=b):
                return _and(self.eval(a, row), self.eval(b, row))
            case ast.Or(left=a, right=b):
                return _or(self.eval(a, row), self.eval(b, row))
            case ast.Not(operand=a):
                value = self.eval(a, row)
                return None if value is None else not value
            case ast.If(cond=c, then=a, otherwise=b):
                # only the branch taken is evaluated, so the trace shows what mattered
                decided = self.eval(c, row)
                if decided is None:  # as the run warns (nullable-comparison)
                    said = say(self.lang, "explain.unknown_condition", formula=formula_text(c))
                    self._note(Trace(said, "note", None, t.UNKNOWN))
                return self.eval(a, row) if decided is True else self.eval(b, row)
            case ast.Lookup():
                return self._lookup(node, row)
            case ast.Attr() if isinstance(self.checked.refs.get(id(node)), ColumnRef):
                return self._name(node, row)  # provider.x, customer.x: a joined column
            case ast.Attr():  # a field of the aggregating row, inside a `where` filter
                ref = self.checked.refs[id(node)]
                assert isinstance(ref, OuterRef)
                value = to_decimal(self._outer[-1].values.get(ref.name))
                self._note(
                    Trace(f"{ref.entity}.{ref.name}", "field", value, self.checked.type_of(node))
                )
                return value
            case ast.Call():
                if id(node) in self.checked.aggs:
                    return self._aggregate(node, self.checked.aggs[id(node)], row)
                if node.func in SHOWN_CALLS and id(node) not in self._formulas:
                    return self._shown_call(node, row)  # (a whole formula: the rule's line)
                return IMPLEMENTATIONS[node.func](self, node, row)
        raise AssertionError(f"cannot evaluate {node!r}")

    def _shown_call(self, node: ast.Call, row: Row) -> Any:
        """A function whose value a reader cannot see from its arguments (the minutes of
        a visit in a time band, a decision's days in the month, a step table's bracket)
        traced as a line of its own, its arguments under it: the explanation of an OB
        supplement showed the rates and not the minutes in each band."""
        self._uses.append([])
        value = IMPLEMENTATIONS[node.func](self, node, row)
        trace = Trace(formula_text(node), "call", value, self.checked.type_of(node))
        trace.uses = self._uses.pop()
        self._note(trace)
        return value

    def _name(self, node: ast.Name | ast.Attr, row: Row) -> Any:
        ref = self.checked.refs[id(node)]
        match ref:
            case ColumnRef(name=n):
                if n in ("counted", "excluded_by") and row.entity == self.registration:
                    self.rule(row, COUNTED)
                    return row.computed["counted" if n == "counted" else "excluded_by"]
                value = to_decimal(row.values.get(n))
                self._note(Trace(n, "field", value, self.checked.type_of(node)))
                return value
            case RuleRef(name=n):
                return self.rule(row, n)
            case ParamRef(name=n):
                value = self.plan.params.get(n)
                param = self.checked.model.parameters[n]
                self._note(
                    Trace(
                        n,
                        "parameter",
                        value,
                        self.checked.type_of(node),
                        formula=indexation_words(self.plan, param, lang=self.lang),
                        source=param.source,
                    )
                )
                return value
            case ContextRef(name=n):
                value = self.plan.context[n]
                self._note(Trace(n, "context", value, self.checked.type_of(node)))
                return value
        raise AssertionError(ref)

    def _binop(self, node: ast.BinOp, row: Row) -> Any:
        a, b = self.eval(node.left, row), self.eval(node.right, row)
        if a is None or b is None:
            return None
        lt = self.checked.type_of(node.left)
        if isinstance(lt, t.Date) and isinstance(b, Decimal):
            if self.checked.type_of(node) == t.DATE:  # a whole number of days
                days = timedelta(days=int(b / 1440))
                return a + days if node.op == "+" else a - days
            a, lt = _as_datetime(a), t.DATETIME
        if isinstance(lt, t.DateTime) and isinstance(b, Decimal):  # the time that passes
            return clock_after(a, b if node.op == "+" else -b)
        if isinstance(lt, t.Date) and isinstance(self.checked.type_of(node.right), t.Date):
            return minutes_between(_as_datetime(b), _as_datetime(a))  # whole days
        if isinstance(lt, t.Date | t.DateTime):
            earlier, later = _as_datetime(b), _as_datetime(a)
            passed = elapsed_minutes(earlier, later)
            self._note_clock_changes(earlier, later, passed)
            return passed
        match node.op:
            case "+":
                return CONTEXT.add(a, b)
            case "-":
                return CONTEXT.subtract(a, b)
            case "*":
                return CONTEXT.multiply(a, b)
            case "/":
                return None if b == 0 else CONTEXT.divide(a, b)
        raise AssertionError(node.op)

    def _compare(self, op: str, left: ast.Node, right: ast.Node, row: Row) -> Any:
        a, b = self.eval(left, row), self.eval(right, row)
        if a is None or b is None:
            return None
        if isinstance(a, Decimal):
            a, b = snap(a, COMPARE_DECIMALS), snap(b, COMPARE_DECIMALS)
        elif isinstance(a, date) and type(a) is not type(b):
            a, b = _as_datetime(a), _as_datetime(b)
        return COMPARISONS[op](a, b)

    def _in(self, node: ast.In, row: Row) -> Any:
        if not isinstance(node.items, ast.ListLit):  # a list parameter
            value = self.eval(node.operand, row)
            listed = self.eval(node.items, row) or []
            if value is None:
                return None
            found = any(
                snap(value, COMPARE_DECIMALS) == snap(v, COMPARE_DECIMALS)
                if isinstance(value, Decimal)
                else value == v
                for v in listed
            )
            return found != node.negated
        result: Any = False
        for item in node.items.items:
            result = _or(result, self._compare("==", node.operand, item, row))
        if not node.items.items and self.eval(node.operand, row) is None:
            result = None
        return None if result is None else (not result if node.negated else result)

    def _lookup(self, node: ast.Lookup, row: Row) -> Any:
        assert isinstance(node.table, ast.Name)
        param = self.checked.model.parameters[node.table.name]
        parts = []
        for key, key_type in zip(node.keys, param.key_types, strict=True):
            value = self.eval(key, row)
            if value is None:
                return None
            if isinstance(key_type, t.Num):
                value = snap(value, COMPARE_DECIMALS)
                if value != value.to_integral_value():
                    return param.otherwise
                value = str(int(value))
            parts.append(str(value))
        table = self.plan.params.get(param.name) or {}
        result = table.get(tuple(parts))
        if result is None and param.has_otherwise:
            result = param.otherwise
        self._note(
            Trace(
                f"{param.name}[{', '.join(parts)}]",
                "parameter",
                result,
                param.type,
                formula=indexation_words(self.plan, param, tuple(parts), self.lang),
                source=param.source,
            )
        )
        return result

    def _aggregate(self, node: ast.Call, info: AggInfo, row: Row) -> Any:
        rows = row.children.get(info.relation.name, [])
        self._outer.append(row)
        read: dict[int, list[Trace]] = {}  # by row: what the filter read on it
        left_out: list[Row] = []
        if info.condition is not None:
            kept: list[Row] = []
            for child in rows:
                self._uses.append([])
                (kept if self.eval(info.condition, child) is True else left_out).append(child)
                read[id(child)] = self._uses.pop()
            rows = kept
        self._outer.pop()
        self._uses.append([])
        values = [self._field(r, info) for r in rows] if info.field is not None else None
        self._aggregated_rows = rows
        shown = self._row_traces(self._uses.pop(), info)
        if info.field is None and self._filter_reads_computed_or_outer(info):
            shown = self._counted_rows(info, rows, left_out, read)
        present = [v for v in values if v is not None] if values is not None else None
        result = self._aggregated(info, rows, present)
        text = _call_text(node)
        typ = self.checked.type_of(node)
        trace = Trace(text, "aggregate", result, typ, rows=len(rows), uses=shown)
        if values is not None and info.func in SKIPS_MISSING:  # as the run warns (skipped-missing)
            trace.without_value = len(values) - len(present or [])
        self._note(trace)
        return result

    def _aggregated(self, info: AggInfo, rows: list[Row], present: list[Any] | None) -> Any:
        """The aggregation's value; over no rows (or no values) the registry's empty one."""
        if not rows or (present is not None and not present and info.func != "count"):
            empty = BUILTINS[info.func].empty
            return Decimal(empty) if type(empty) is int else empty
        match info.func:
            case "days_covered":
                return _days_covered(rows, info.period, self.plan.month, self.plan.month_end)
            case "sum":
                return sum(present or [], Decimal(0))
            case "count":
                return Decimal(len(rows) if present is None else len(present))
            case "count_distinct":
                return Decimal(len(set(present or [])))
            case "any":
                return present is None or any(v is True for v in present)
            case "all":
                return all(v is True for v in present or [])
            case "min":
                return min(present or [])
            case "max":
                return max(present or [])
        raise AssertionError(info.func)

    def _row_traces(self, traces: list[Trace], info: AggInfo) -> list[Trace]:
        """The first few rows aggregated, the rest counted, not listed: for a computed
        value (a decision's share of the level amount) each row's own explanation; for
        a column its value on each row; for rows counted, which rows (a provider's
        supplement by its customers in a zone said `count(customers where …) = 1` and
        not which customer)."""
        rows = self._aggregated_rows

        def named(row: Row) -> str:
            return self._related_row_name(info, row)

        if isinstance(info.field, RuleRef):
            shown = [t for t in traces if t.kind in ("definition", "payment")]
            for trace, row in zip(shown, rows, strict=False):
                trace.row = named(row)
        elif isinstance(info.field, ColumnRef):
            column = fields_of(self.vocabulary, info.relation.entity).get(info.field.name)
            typ = column.type if column is not None else t.UNKNOWN
            shown = [
                Trace(info.field.name, "field", self._field(row, info), typ, row=named(row))
                for row in rows
            ]
        elif info.func == "days_covered":  # each row's period, and its days in the month
            shown = [Trace(self._period_text(info, row), "note", None, t.UNKNOWN) for row in rows]
        else:
            shown = [Trace(named(row), "note", None, t.UNKNOWN) for row in rows]
        return self._limited(shown)

    def _period_text(self, info: AggInfo, row: Row) -> str:
        """A row of `days_covered` with its period: `stay T1: 2027-03-20 – 2027-04-05,
        12 days of the month` (it said `stay T1`, and a provider asking which days
        counted was not told)."""
        start, end = (row.values.get(c) for c in info.period)
        first, last = self.plan.month, self.plan.month_end
        days = _days_covered([row], info.period, first, last)
        until = end if end is not None else say(self.lang, "explain.open")
        name = self._related_row_name(info, row)
        return say(self.lang, "explain.period", row=name, start=start, until=until, count=days)

    def _related_row_name(self, info: AggInfo, row: Row) -> str:
        """A row of the aggregation's relation, named by its entity's key (`visit V7`)."""
        child = self.checked.model.vocabulary.entities[info.relation.entity]
        return row_name(child.name, (row.values.get(k) for k in child.key))

    def _limited(self, shown: list[Trace]) -> list[Trace]:
        """The first rows of an aggregation (`--rows`), the rest counted, not listed."""
        limit = self.rows_shown
        if limit is None or len(shown) <= limit:
            return shown
        said = say(self.lang, "explain.more_rows", count=len(shown) - limit)
        more = Trace(said, "note", None, t.UNKNOWN)
        return [*shown[:limit], more]

    def _filter_reads_computed_or_outer(self, info: AggInfo) -> bool:
        """Whether the filter reads a value the model computes on the rows (`same_language`)
        or compares them with the outer row (`language == visit.customer.language`): what
        the rows' names alone do not show."""
        if info.condition is None:
            return False
        refs = (self.checked.refs.get(id(n)) for n in info.condition.walk())
        return any(isinstance(r, RuleRef | OuterRef) for r in refs)

    def _counted_rows(
        self, info: AggInfo, kept: list[Row], left_out: list[Row], read: dict[int, list[Trace]]
    ) -> list[Trace]:
        """Rows counted by a filter on values the model computes, each with what the
        filter read on it, and — where every row is asked for — the rows it left out, with
        the same: a provider asking why a visit earned no supplement sees
        `same_language = false` and why. Otherwise those are counted, not listed."""

        def named(row: Row, suffix: str = "") -> Trace:
            name = self._related_row_name(info, row) + suffix
            return Trace(name, "note", None, t.UNKNOWN, uses=read.get(id(row), []))

        if self.rows_shown is None:  # every row asked for: those left out too, and why
            return [named(r) for r in kept] + [
                named(r, say(self.lang, "explain.left_out_by_filter")) for r in left_out
            ]
        shown = self._limited([named(r) for r in kept])
        if left_out:  # counted, not listed: a count of nurse visits lists no care visit
            said = say(self.lang, "explain.rows_left_out", count=len(left_out))
            shown.append(Trace(said, "note", None, t.UNKNOWN))
        return shown

    def _field(self, row: Row, info: AggInfo) -> Any:
        ref = info.field
        if isinstance(ref, RuleRef):
            return self.rule(row, ref.name)
        assert isinstance(ref, ColumnRef)
        if ref.name in ("counted", "excluded_by") and row.entity == self.registration:
            self.rule(row, COUNTED)
            return row.computed[ref.name]
        return to_decimal(row.values.get(ref.name))


# Functions traced on a line of their own (`Interpreter._shown_call`): the others'
# values can be read off their arguments (`min`, `coalesce` …). A rounding cannot, in
# general — to a multiple, in the unit a value is shown in —: a visit's 60.3 minutes
# rounded up paid 61 × 7 kr, and the tree showed only the 60.3. Nor can a `clamp`,
# whose bounds are often computed (`granted * 110 %`): the tree showed 1 020 min
# executed, 900 min granted and 110 %, and not the 990 min paid.
SHOWN_CALLS = frozenset(
    {"minutes_in", "minutes_within", "days_active", "step", "overlaps", "weekday"}
    | {"time_of_day", "add_months", "round", "ceil", "floor", "clamp"}
)


def row_name(entity: str, key: Iterable[Any]) -> str:
    """A row as explain and the warnings name it: its entity and its key's values
    (`visit V7`, `customer_month K2, P1`, `insats A, 2025-03-04`)."""
    return f"{entity} {', '.join(str(v) for v in key)}".strip()


SHOWN_CONDITION = 60  # characters: a longer filter is in the formula line above


def _call_text(node: ast.Call) -> str:
    arg = node.args[0]
    inner = arg.value if isinstance(arg, ast.Filtered) else arg
    text = (
        f"{inner.target.name}.{inner.name}"
        if isinstance(inner, ast.Attr) and isinstance(inner.target, ast.Name)
        else (inner.name if isinstance(inner, ast.Name) else "…")
    )
    if not isinstance(arg, ast.Filtered):
        return f"{node.func}({text})"
    condition = formula_text(arg.condition)  # told apart from the formula's other counts
    shown = condition if len(condition) <= SHOWN_CONDITION else "…"
    return f"{node.func}({text} where {shown})"


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time())


def _and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# ----------------------------------------------------------------------------- builtins


def _args(i: Interpreter, node: ast.Call, row: Row) -> list[Any]:
    return [i.eval(a, row) for a in node.args]


def _min(i: Interpreter, node: ast.Call, row: Row) -> Any:
    present = [v for v in _args(i, node, row) if v is not None]
    return min(present) if present else None


def _max(i: Interpreter, node: ast.Call, row: Row) -> Any:
    present = [v for v in _args(i, node, row) if v is not None]
    return max(present) if present else None


def _round(i: Interpreter, node: ast.Call, row: Row) -> Any:
    """round (half away from zero), floor and ceil, in the unit the value is shown in
    (SEK/h, %), or to a multiple of a written quantity: `round(tid, 15 min)`."""
    mode = ROUNDING_FUNCTIONS[node.func]
    value = i.eval(node.args[0], row)
    if value is None:
        return None
    multiple = round_multiple(i.checked, node)
    if multiple is None and len(node.args) == 2 and isinstance(node.args[1], ast.Name):
        multiple = i.eval(node.args[1], row)  # a parameter's multiple
    if multiple is not None:
        return round_to(value / multiple, Decimal(1), mode) * multiple
    num, den = t.display_factor(i.checked.type_of(node.args[0]))
    shown = round_to(value * num / den, Decimal(1).scaleb(-round_decimals(node)), mode)
    return shown * den / num


def _time_of_day(i: Interpreter, node: ast.Call, row: Row) -> Any:
    moment = i.eval(node.args[0], row)
    return None if moment is None else of_day(moment)


def of_day(moment: datetime) -> Decimal:
    """Minutes after midnight."""
    return minutes_between(datetime.combine(moment.date(), time(0)), moment)


def _weekday(i: Interpreter, node: ast.Call, row: Row) -> Any:
    day = i.eval(node.args[0], row)
    return None if day is None else Decimal(day.isoweekday())


def _clock_change_said(
    change: ClockChange, on_the_clock: timedelta, passed: Decimal, lang: str
) -> str:
    """Why a difference of two clock times is not what the clock's faces say."""
    moved = "explain.clock_forward" if change.minutes > 0 else "explain.clock_back"
    shown = Decimal(int(on_the_clock.total_seconds())) / 60
    shown_text, passed_text = (figure(lang, f"{m.normalize():f}") for m in (shown, passed))
    return say(lang, moved, day=change.at.date(), shown=shown_text, passed=passed_text)


def minutes_between(a: datetime, b: datetime) -> Decimal:
    delta = b - a
    micro = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micro) / 60_000_000


def _minutes_within(i: Interpreter, node: ast.Call, row: Row) -> Any:
    start, end, first, last = _args(i, node, row)
    if start is None or end is None or first is None or last is None:
        return None
    length = last - first if last > first else last - first + 1440
    day = datetime.combine(start.date(), time(0))
    total = Decimal(0)
    for k in (-1, 0, 1, 2):
        opens = day + timedelta(days=k) + _span(first)
        closes = opens + _span(length)
        overlap = elapsed_minutes(max(start, opens), min(end, closes))
        total += max(overlap, Decimal(0))
    return total


def _minutes_in(i: Interpreter, node: ast.Call, row: Row) -> Any:
    """The row's start–end cut at every band boundary; each piece goes to the first
    band (in the order listed) that holds its midpoint."""
    bands_node, band_node = node.args
    assert isinstance(bands_node, ast.Name) and isinstance(band_node, ast.String)
    bands: list[Band] = i.plan.params.get(bands_node.name) or []
    start, end = row.values.get("start"), row.values.get("end")
    if start is None or end is None:
        return None
    calendars = {b.calendar: set(i.plan.params.get(b.calendar) or []) for b in bands if b.calendar}
    day = datetime.combine(start.date(), time(0))
    points = {start, end}
    for k in (0, 1, 2):
        for minute in band_boundaries(bands):
            moment = day + timedelta(days=k, minutes=minute)
            points.add(min(max(moment, start), end))
    ordered = sorted(points)
    total = Decimal(0)
    for a, b in zip(ordered, ordered[1:], strict=False):
        middle = a + (b - a) // 2
        first = next((band for band in bands if _in_band(band, middle, calendars)), None)
        if first is not None and first.name == band_node.value:
            total += elapsed_minutes(a, b)
    return total


def _in_band(band: Band, moment: datetime, calendars: dict[str, set[Any]]) -> bool:
    inside = True
    if band.calendar:
        inside = moment.date() in calendars[band.calendar]
    minute = of_day(moment)
    weekday = moment.isoweekday()
    if band.weekly and band.start is not None and band.end is not None:
        inside = inside and cyclic(float((weekday - 1) * 1440 + minute), band.start, band.end)
    elif band.start is not None and band.end is not None:
        window = cyclic(float(minute), band.start, band.end)
        if band.days:
            opened = (
                weekday if band.start < band.end or minute >= band.start else (weekday - 2) % 7 + 1
            )
            window = window and opened in band.days
        inside = inside and window
    elif band.days:
        inside = inside and weekday in band.days
    return inside


def _span(minutes: Decimal) -> timedelta:
    return timedelta(microseconds=int(round(minutes * 60_000_000)))


def _clamp(i: Interpreter, node: ast.Call, row: Row) -> Any:
    x, low, high = _args(i, node, row)
    if x is None:
        return None
    if (
        low is not None
        and high is not None
        and snap(low, COMPARE_DECIMALS) > snap(high, COMPARE_DECIMALS)
    ):  # as the run stops: which bound wins is the model's to say
        typ = i.checked.type_of(node.args[1])
        ids = naming_columns(i.checked.model.vocabulary, row.entity, row.values)
        named = [f"{c} {row.values[c]}" for c in ids]
        raise EngineError(
            [
                Diagnostic(
                    "clamp-bounds",
                    f"`{formula_text(node)}` has its lower bound above its upper for 1 "
                    f"{row.entity} row of {i.plan.month:%Y-%m}: {', '.join(named)}: "
                    f"{t.quantity_text(low, typ)} above {t.quantity_text(high, typ)}",
                    node.span,
                    hint=clamp_hint(node),
                )
            ]
        )
    if low is not None:
        x = max(x, low)
    if high is not None:
        x = min(x, high)
    return x


def _abs(i: Interpreter, node: ast.Call, row: Row) -> Any:
    value = i.eval(node.args[0], row)
    return None if value is None else abs(value)


def _coalesce(i: Interpreter, node: ast.Call, row: Row) -> Any:
    return next((v for v in _args(i, node, row) if v is not None), None)


def _step(i: Interpreter, node: ast.Call, row: Row) -> Any:
    x = i.eval(node.args[0], row)
    assert isinstance(node.args[1], ast.Name)
    name = node.args[1].name
    brackets = i.plan.params.get(name) or []
    otherwise = i.eval(node.args[2], row) if len(node.args) == 3 else None
    param = i.checked.model.parameters[name]
    if x is None:
        return None
    x = snap(x, COMPARE_DECIMALS)
    result = otherwise
    for under, value in brackets:
        bound = snap(under, COMPARE_DECIMALS)
        if x <= bound if param.inclusive else x < bound:
            result = value
            break
    i._note(
        Trace(
            name,
            "parameter",
            [(u, v) for u, v in brackets],
            param.type,
            formula=indexation_words(i.plan, param, lang=i.lang),
            source=param.source,
            under_type=param.bracket_type,
            up_to=param.inclusive,
        )
    )
    return result


def _days_active(i: Interpreter, node: ast.Call, row: Row) -> Any:
    start, end = _args(i, node, row)
    if start is None:
        return None
    first = max(start, i.plan.month)
    last = min(end or i.plan.month_end, i.plan.month_end)
    return Decimal(max((last - first).days + 1, 0))


def _date(i: Interpreter, node: ast.Call, row: Row) -> Any:
    value = i.eval(node.args[0], row)
    return value.date() if isinstance(value, datetime) else value


def _overlaps(i: Interpreter, node: ast.Call, row: Row) -> Any:
    keys = tuple(a.name for a in node.args if isinstance(a, ast.Name))
    values = tuple(row.values.get(k) for k in keys)
    start, end = row.values.get("start"), row.values.get("end")
    if any(v is None for v in values) or start is None or end is None or not end > start:
        return False
    key = i.vocabulary.registration_key
    for peer in i.peers(i.registration, keys, values):
        if peer.get(key) == row.values.get(key):
            continue
        p_start, p_end = peer.get("start"), peer.get("end")
        if p_start is None or p_end is None:
            continue
        if p_start < p_end and p_start < end and start < p_end:
            return True
    return False


def _add_months(i: Interpreter, node: ast.Call, row: Row) -> Any:
    day = i.eval(node.args[0], row)
    months = int(i.eval(node.args[1], row))
    if day is None:
        return None
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _days_covered(rows: list[Row], period: tuple[str, ...], first: date, last: date) -> Decimal:
    """Days of the month in at least one of the rows' periods."""
    days: set[date] = set()
    for row in rows:
        start, end = (row.values.get(c) for c in period)
        if start is None:
            continue
        day, stop = max(start, first), min(end or last, last)
        while day <= stop:
            days.add(day)
            day += timedelta(days=1)
    return Decimal(len(days))


def _aggregate_only(i: Interpreter, node: ast.Call, row: Row) -> Any:
    raise AssertionError(f"{node.func} without related rows")


IMPLEMENTATIONS: dict[str, Callable[[Interpreter, ast.Call, Row], Any]] = {
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
    "minutes_in": _minutes_in,
    "clamp": _clamp,
    "abs": _abs,
    "coalesce": _coalesce,
    "step": _step,
    "days_active": _days_active,
    "date": _date,
    "overlaps": _overlaps,
    "add_months": _add_months,
}
