"""The plan for one month: which rule versions and parameter values are in force,
and in which order each entity's rules are computed. Both back ends follow it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from engine import ast
from engine import types as t
from engine.checker import CheckedModel, ColumnRef, RuleRef, check_in_force
from engine.diagnostics import Diagnostics
from engine.model import DatedValue, Parameter, Rule
from engine.money import round_to
from engine.phrases import figure, say
from engine.source import Span

COUNTED = "counted"  # the pseudo-rule that sets `counted` and `excluded_by` on visits


@dataclass(frozen=True)
class Step:
    name: str
    rule: Rule | None  # None for the `counted` pseudo-rule
    tree: ast.Node | None
    quantity: ast.Node | None = None


@dataclass
class Plan:
    checked: CheckedModel
    month: date
    month_end: date
    days_in_month: int
    params: dict[str, Any]  # parameter -> value in force on the first day of the month
    order: dict[str, list[list[Step]]] = field(default_factory=dict)  # entity -> layers of steps
    indexed: dict[str, Indexed] = field(default_factory=dict)  # how indexed values came about

    @property
    def in_force(self) -> date:
        """The date whose rule versions and values the month uses (its first day, or
        the model's `as_of`)."""
        return self.checked.model.in_force_on(self.month)

    @property
    def context(self) -> dict[str, Any]:
        return {
            "month_start": self.month,
            "month_end": self.month_end,
            "days_in_month": Decimal(self.days_in_month),
        }

    def steps(self, entity: str) -> list[Step]:
        return [s for layer in self.order.get(entity, []) for s in layer]

    def exclusion_steps(self) -> list[Step]:
        """The exclusions in force, in the order the model writes them: the first that
        applies is a visit's reason (not the order their dependencies compute them in)."""
        written = {rule.name: i for i, rule in enumerate(self.checked.model.exclusions)}
        steps = [
            s
            for s in self.steps(self.checked.model.vocabulary.roles.registration)
            if s.rule is not None and s.rule.kind == "exclusion"
        ]
        return sorted(steps, key=lambda s: written[s.name])

    def payments(self) -> list[Step]:
        return [
            s
            for entity in self.checked.model.vocabulary.order
            for s in self.steps(entity)
            if s.rule is not None and s.rule.kind == "payment"
        ]


def month_bounds(month: date) -> tuple[date, date, int]:
    days = calendar.monthrange(month.year, month.month)[1]
    start = month.replace(day=1)
    return start, start + timedelta(days=days - 1), days


def _local_deps(checked: CheckedModel, step: Step, names: set[str], entity: str) -> set[str]:
    deps: set[str] = set()
    trees = [t for t in (step.tree, step.quantity) if t is not None]
    for tree in trees:
        for node in tree.walk():
            ref = checked.refs.get(id(node))
            if isinstance(ref, RuleRef) and ref.name in names:
                deps.add(ref.name)
            elif (
                isinstance(ref, ColumnRef)
                and ref.name in ("counted", "excluded_by")
                and entity == checked.model.vocabulary.roles.registration
            ):
                deps.add(COUNTED)
    return deps


@dataclass(frozen=True)
class Indexed:
    """How a parameter's value in force came from its last given value, for `explain`:
    a price of 409 SEK/h stood there with nothing of the 400 it was indexed from."""

    start: date  # the date of the value given
    given: Any  # that value (a table's cells, a step table's brackets)
    steps: tuple[tuple[date, Decimal], ...]  # each indexation date and its factor
    round_step: Decimal | None


def indexation_words(
    plan: Plan, param: Parameter, key: tuple[str, ...] | None = None, lang: str = "en"
) -> str | None:
    """How the value in force (a table's cell by `key`) was indexed, in the parameter's
    unit: `400 SEK/h given from 2027-01-01 × 1.022 on 2027-04-01, rounded to 1` (in
    Swedish, `lang` "sv": `400 SEK/h från 2027-01-01 × 1,022 den 2027-04-01, avrundat
    till 1`); None where it was not (or a study set the cell)."""
    indexed = plan.indexed.get(param.name)
    if indexed is None:
        return None
    given = indexed.given
    if key is not None:
        if not isinstance(given, dict) or key in param.pinned:
            return None
        given = given.get(key)
    label = f" {param.unit}" if param.unit in t.UNITS else ""
    start = indexed.start.isoformat()

    if isinstance(given, list) and all(isinstance(b, tuple) for b in given):
        if param.pinned:  # a bracket's amount set by a study is no longer indexed
            return None
        amounts = ", ".join(
            figure(lang, f"{_written(amount, param.unit):f}") for _, amount in given
        )
        words = [say(lang, "explain.brackets_given", amount=amounts + label, day=start)]
    elif isinstance(given, Decimal):
        amount = figure(lang, f"{_written(given, param.unit):f}") + label
        words = [say(lang, "explain.given", amount=amount, day=start)]
    else:
        return None
    rounded = (
        ""
        if indexed.round_step is None
        else say(lang, "explain.rounded", step=figure(lang, f"{indexed.round_step:f}"))
    )
    for when, factor in indexed.steps:
        on = say(
            lang,
            "explain.indexed_on",
            factor=figure(lang, f"{factor.normalize():f}"),
            day=when.isoformat(),
        )
        words.append(on + rounded)
    return ", ".join(words)


def _written(value: Decimal, unit: str) -> Decimal:
    """An internal value in its parameter's unit, to the millionth: 409, not 6.8166…"""
    return t.to_written(value, unit).quantize(Decimal("1e-6")).normalize()


def value_in_force(
    checked: CheckedModel,
    param: Parameter,
    day: date,
    diags: Diagnostics,
    trail: dict[str, Indexed] | None = None,
) -> Any:
    """The parameter's value on `day`: the latest given value, indexed by each
    indexation date after it (Örebro §4.6: B = A × (1 + (p − y)/100)); where it was
    indexed, how, into `trail`."""
    dated = param.value_on(day)
    if dated is None:
        return None
    value = dated.value
    index = param.indexation
    if index is None or index.tree is None:
        return value
    since = dated.start
    steps = []
    for when in index.dates(dated.start, day):
        factor = _factor(checked, index.tree, when, since)
        if factor is None:
            stale = _stale_in_factor(checked, index.tree, when, since)
            diags.error(
                "no-value-in-force",
                f"the indexation of `{param.name}` on {when.isoformat()} has no value"
                + (f": {stale}" if stale else ""),
                index.span,
                hint="each parameter of the factor needs a value dated after the previous "
                "indexation, on or before this one (last year's index is not reused)",
            )
            return None
        if factor <= 0:  # an index typed −150 for 1.50 made every price negative
            diags.error(
                "bad-value",
                f"the indexation of `{param.name}` on {when.isoformat()} has the factor "
                f"{factor.normalize():f}: its values would become "
                + ("0" if factor == 0 else "negative"),
                index.span,
                hint="check the values it is computed from: "
                + _factor_values(checked, index.tree, when),
            )
            return None
        value = _scaled(value, factor, index.round_step, param.unit)
        steps.append((when, factor))
        since = when
    if steps and trail is not None:
        trail[param.name] = Indexed(dated.start, dated.value, tuple(steps), index.round_step)
    return _with_pinned(value, param.pinned)


def _with_later_days(param: Parameter, value: Any, month_end: date) -> Any:
    """A calendar's list in force, with the days after the month that the lists in
    force on those days hold: a visit of New Year's Eve ending at 00:30 has minutes of
    New Year's Day, a holiday by the next year's list (`values: {2025-01-01: […]}`),
    which was not in force on the month's first day."""
    later = [
        day
        for dated in param.values
        for day in dated.value or []
        if isinstance(day, date) and day > month_end and param.value_on(day) is dated
    ]
    known = set(value or [])
    return [*(value or []), *sorted(d for d in set(later) if d not in known)]


def _with_pinned(value: Any, pinned: dict[Any, Any]) -> Any:
    """The indexed value with the cells a study set put back as they were set."""
    if not pinned:
        return value
    if isinstance(value, dict):
        return {key: pinned.get(key, cell) for key, cell in value.items()}
    if isinstance(value, list):  # step brackets: the amount of a bracket set
        return [(bound, pinned.get(i, cell)) for i, (bound, cell) in enumerate(value)]
    return value


def _factor_parameters(
    checked: CheckedModel, node: ast.Node, when: date
) -> list[tuple[str, DatedValue | None]]:
    """The parameters a factor names, each with its value in force on `when`."""
    names = sorted({n.name for n in node.walk() if isinstance(n, ast.Name)})
    return [(name, checked.model.parameters[name].value_on(when)) for name in names]


def _factor_values(checked: CheckedModel, node: ast.Node, when: date) -> str:
    """The values a factor on `when` is computed from, with their dates: `lpi -150
    (2027-04-01), krav 0.5 (2027-04-01)`."""
    return ", ".join(
        f"{name} {dated.value.normalize():f} ({dated.start.isoformat()})"
        for name, dated in _factor_parameters(checked, node, when)
        if dated is not None and isinstance(dated.value, Decimal)
    )


def _stale_in_factor(checked: CheckedModel, node: ast.Node, when: date, since: date) -> str:
    """Which parameters of a factor have no value dated after `since`, on or before
    `when`, and where their latest is: "has no value" named none of them."""
    said = []
    for name, dated in _factor_parameters(checked, node, when):
        if dated is None:
            said.append(f"`{name}` has no value by then")
        elif dated.start <= since:
            said.append(f"`{name}`'s latest value is from {dated.start.isoformat()}")
    return "; ".join(said)


def _factor(checked: CheckedModel, node: ast.Node, when: date, since: date) -> Decimal | None:
    """The factor on `when`, from parameter values dated after `since` (fresh ones)."""
    match node:
        case ast.Quantity():
            return checked.literals[id(node)]
        case ast.Name(name=name):
            dated = checked.model.parameters[name].value_on(when)
            return dated.value if dated is not None and dated.start > since else None
        case ast.Neg(operand=operand):
            inner = _factor(checked, operand, when, since)
            return None if inner is None else -inner
        case ast.BinOp(op=op, left=left, right=right):
            a, b = _factor(checked, left, when, since), _factor(checked, right, when, since)
            if a is None or b is None or (op == "/" and b == 0):
                return None
            results = {"+": a + b, "-": a - b, "*": a * b}
            return a / b if op == "/" else results[op]
    return None


def _scaled(value: Any, factor: Decimal, step: Decimal | None, unit: str) -> Any:
    """`value` × `factor`, rounded (with `round:`) in the parameter's own unit: a
    rate in SEK/h is rounded in SEK/h, not in the SEK per minute it is stored in."""
    if isinstance(value, dict):
        return {key: _scaled(cell, factor, step, unit) for key, cell in value.items()}
    if isinstance(value, list):  # step brackets: the amounts, not the bounds
        return [(bound, _scaled(cell, factor, step, unit)) for bound, cell in value]
    if not isinstance(value, Decimal):
        return value
    scaled = value * factor
    if step is None:
        return scaled
    return t.from_written(round_to(t.to_written(scaled, unit), step, "half_up"), unit)


def make_plan(checked: CheckedModel, month: date, diags: Diagnostics) -> Plan:
    """Pick what is in force on the first day of `month` and order it; errors go to `diags`."""
    model = checked.model
    start, end, days = month_bounds(month)
    in_force = model.in_force_on(start)
    check_in_force(checked, in_force, diags)
    params = {}
    indexed: dict[str, Indexed] = {}
    for name, param in model.parameters.items():
        value = value_in_force(checked, param, in_force, diags, indexed)
        if value is not None and param.kind == "list" and model.as_of is None:
            value = _with_later_days(param, value, end)
        if value is not None:
            params[name] = value
    plan = Plan(checked, start, end, days, params, indexed=indexed)
    registration = model.vocabulary.roles.registration
    for entity in model.vocabulary.order:
        steps = [
            Step(rule.name, rule, version.tree, quantity.tree if quantity else None)
            for rule in model.rules_on(entity)
            if (version := rule.version_on(in_force)) is not None
            for quantity in [rule.quantity_of(version)]
        ]
        if entity == registration:
            steps.append(Step(COUNTED, None, None))
        names = {s.name for s in steps}
        deps = {s.name: _local_deps(checked, s, names, entity) for s in steps}
        if entity == registration:
            deps[COUNTED] = {
                s.name for s in steps if s.rule is not None and s.rule.kind == "exclusion"
            }
        plan.order[entity] = _layers(steps, deps, diags)
    return plan


def _span_of(step: Step) -> Span | None:
    return step.rule.span if step.rule is not None else None


def _layers(steps: list[Step], deps: dict[str, set[str]], diags: Diagnostics) -> list[list[Step]]:
    """Group steps into layers whose members depend only on earlier layers."""
    by_name = {s.name: s for s in steps}
    done: set[str] = set()
    layers: list[list[Step]] = []
    remaining = [s.name for s in steps]
    while remaining:
        ready = [n for n in remaining if deps[n] <= done]
        if not ready:
            diags.error(
                "cycle",
                "these rules depend on each other in a circle (through `counted`): "
                + ", ".join(sorted(remaining)),
                _span_of(by_name[remaining[0]]),
            )
            return layers
        layers.append([by_name[n] for n in ready])
        done |= set(ready)
        remaining = [n for n in remaining if n not in done]
    return layers
