"""What changed between two versions of a model, in words a committee paper can quote."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, TypeGuard

from engine import types as t
from engine.ast import clock
from engine.catalog import Column, MonthRule, Relation, Table, Vocabulary, range_words
from engine.checker import CheckedModel
from engine.diagnostics import Diagnostics
from engine.model import Assumption, Band, DataRequirement, Model, Parameter, Rule, RuleVersion
from engine.phrases import say
from engine.plan import value_in_force
from engine.swedish import number


@dataclass
class Change:
    kind: str  # 'parameter' | 'rule' | 'zones' | 'codes' | 'table' | 'column' | 'entity'
    name: str
    what: str  # 'added' | 'removed' | 'changed'
    lines: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "change": self.what, "details": self.lines}


def _show(
    value: Any,
    unit: str = "",
    under: str = "",
    inclusive: bool = False,
    lang: str = "en",
    places: Decimal = Decimal("0.0001"),
) -> str:
    """A value in the parameter's own unit, as written in the rule file (10 %, 450 SEK/h);
    a step table's bounds in theirs (`under`: a count, a duration, a share)."""
    if isinstance(value, Decimal) and unit == "ratio":  # a share, as a reader writes it
        return _show(value, "%", lang=lang, places=places)
    if isinstance(value, Decimal):
        num, den = t.unit_factor(unit)
        shown = (value * den / num).quantize(places).normalize()
        label = unit if unit in t.UNITS else ""
        # in Swedish words a Swedish number (`2,7`, `21 168`): a committee report said 2.7
        text = number(shown, "#,##0.############") if lang == "sv" else f"{shown:f}"
        return text + (f" {label}" if label else "")
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{_key(k)}: {_show(v, unit, lang=lang)}" for k, v in sorted(value.items()))
            + "}"
        )
    if isinstance(value, list) and all(isinstance(b, tuple) and len(b) == 2 for b in value):
        word = "up_to" if inclusive else "under"
        return (
            "["
            + ", ".join(
                f"{word} {_show(u, under, lang=lang)} → {_show(v, unit, lang=lang)}"
                for u, v in value
            )
            + "]"
        )
    if isinstance(value, list):  # e.g. a zone's districts
        return "[" + ", ".join(_show(v, unit, lang=lang) for v in value) + "]"
    if isinstance(value, Band):
        return _band(value, lang)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


DAYS = {
    "en": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "sv": ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
}


def _band(band: Band, lang: str, named: bool = True) -> str:
    """A time band as its rule file writes it: `helg fri 19:00–mon 07:00`, `natt
    22:00–07:00`, `röd (calendar röda_dagar)`, `dag` (the rest). It showed as
    `Band(name='helg', start=6900, end=420, days=(), weekly=True, calendar=None)`."""
    days = DAYS.get(lang, DAYS["en"])
    parts = [band.name] if named else []
    if band.calendar:
        parts.append(say(lang, "diff.calendar", name=band.calendar))
    if band.days:
        parts.append(",".join(days[d - 1] for d in band.days))
    if band.start is not None and band.end is not None:
        if band.weekly:
            start, end = divmod(band.start, 1440), divmod(band.end, 1440)
            parts.append(f"{days[start[0]]} {clock(start[1])}–{days[end[0]]} {clock(end[1])}")
        else:
            parts.append(f"{clock(band.start)}–{clock(band.end)}")
    return " ".join(parts)  # a band with no bounds takes what the bands above leave


def _shown(param: Parameter, value: Any, lang: str = "en") -> str:
    """A value of `param` as its rule file writes it: in the parameter's unit, the
    bounds of its brackets in theirs. The values of a new parameter and a table's
    cells were shown in the engine's own units (a rate of 480 SEK/h as 8, 24 h as
    1440, a count bound of 6 as 600 %)."""
    return _show(value, param.unit, param.bounds_unit, param.inclusive, lang)


# a value in force as a record holds it: exact, where `diff` shows four decimals
_RECORDED = Decimal("1e-12")


def recorded_value(param: Parameter, value: Any) -> Any:
    """A parameter's value in force as its rule file writes it, shaped for JSON (the
    run's manifest): `431 SEK/h`, `50 %`, a table's cells so by their keys, a step
    table's brackets as [`under` or `up_to` its bound, value] each in its unit, a
    calendar's dates, a time band as written (`natt 22:00–07:00`). The manifest held
    the engine's own units — a price of 431 SEK/h as `7.183333333333333333333333333`,
    8 h as `480` — and a band's place in the rule file."""
    if isinstance(value, dict):
        return {_cell_key(k): recorded_value(param, v) for k, v in value.items()}
    if _bands(value) and value:
        return [_band(band, "en") for band in value]
    if isinstance(value, list) and value and all(isinstance(b, tuple) for b in value):
        under = param.bounds_unit
        shown = partial(_show, places=_RECORDED)
        return [
            [f"{param.bound_word} {shown(bound, under)}", shown(amount, param.unit)]
            for bound, amount in value
        ]
    if isinstance(value, list):
        return [recorded_value(param, item) for item in value]
    if isinstance(value, bool):  # a yes or no: JSON's own (`str` said `True`)
        return value
    return _show(value, param.unit, places=_RECORDED)


def _cell_key(key: Any) -> str:
    """A table cell's keys as a record and the payment file write them: `tätort, 12`."""
    return ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def values_in_words(param: Parameter, value: Any) -> list[tuple[str, str]]:
    """A parameter's value in force as a Swedish reader writes it, one (cell, value)
    pair per row of the payment file's *Parametrar*: a table's cells by their keys
    (`tätort, 12`, `22 099 SEK`), any other value whole (`409 SEK/h`, a step table's
    brackets, a calendar's dates, its time bands)."""
    if isinstance(value, bool):
        return [("", "ja" if value else "nej")]
    if isinstance(value, dict):
        return [(_cell_key(k), _show(v, param.unit, lang="sv")) for k, v in value.items()]
    return [("", _shown(param, value, "sv"))]


def _cell(param: Parameter, table: dict[Any, Any], key: Any, lang: str) -> str:
    """A table's cell as written, or that the table does not list it — and what its
    `otherwise:` then gives (a district added to a travel fee: it showed `None`)."""
    if key in table:
        return _show(table[key], param.unit, lang=lang)
    if param.has_otherwise:
        return say(lang, "diff.unlisted_otherwise", value=_show(param.otherwise, param.unit))
    return say(lang, "diff.unlisted")


def _key(key: Any) -> str:
    """A table key as written: `tätort/3` for (zone, level), `tätort` for a zone."""
    return "/".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def _param_lines(old: Parameter, new: Parameter, lang: str) -> list[str]:
    lines = []
    old_values = {d.start: d.value for d in old.values}
    new_values = {d.start: d.value for d in new.values}
    for day in sorted(set(old_values) | set(new_values)):
        before, after = old_values.get(day), new_values.get(day)
        if day not in new_values:
            value = _shown(old, before, lang)
            lines.append(say(lang, "diff.removed_value", day=day.isoformat(), value=value))
        elif day not in old_values:
            value = _shown(new, after, lang)
            lines.append(say(lang, "diff.new_value", day=day.isoformat(), value=value))
        elif before != after:
            if isinstance(before, dict) and isinstance(after, dict):
                for key in sorted(set(before) | set(after)):
                    if before.get(key) != after.get(key):
                        cell = "/".join(key)
                        a, b = _cell(old, before, key, lang), _cell(new, after, key, lang)
                        lines.append(
                            say(lang, "diff.cell", day=day.isoformat(), cell=cell, old=a, new=b)
                        )
            elif _bands(before) and _bands(after):
                lines += _band_lines(lang, day, before, after)
            elif _is_list(before) and _is_list(after):
                lines += _list_lines(lang, day, before, after, old.unit)
            else:
                a, b = _shown(old, before, lang), _shown(new, after, lang)
                lines.append(say(lang, "diff.value", day=day.isoformat(), old=a, new=b))
    if old.unit != new.unit:
        lines.append(_field(lang, "unit", old.unit, new.unit))
    if (old.indexation is None) != (new.indexation is None) or (
        old.indexation and new.indexation and old.indexation.formula != new.indexation.formula
    ):
        none = say(lang, "diff.none")
        a = old.indexation.formula if old.indexation else none
        b = new.indexation.formula if new.indexation else none
        lines.append(_field(lang, "indexation", a, b))
    if old.inclusive != new.inclusive:  # 20 % is in the bracket `up_to: 20 %`, not `under:`
        a, b = old.bound_word, new.bound_word
        lines.append(_field(lang, "brackets", a, b))
    for word in ("minimum", "maximum"):  # what a value may be: a study's value refused
        a, b = (_bound_shown(p, word, lang) for p in (old, new))
        if getattr(old, word) != getattr(new, word) or a != b:
            lines.append(_field(lang, word, a, b))
    if (old.has_otherwise, old.otherwise) != (new.has_otherwise, new.otherwise):
        # a key the table lacks: the run stopped (lookup-miss), or it pays this value
        a, b = (_show(p.otherwise, p.unit) if p.has_otherwise else say(lang, "diff.none")
                for p in (old, new))  # fmt: skip
        lines.append(_field(lang, "otherwise", a, b))
    return lines


def _bound_shown(param: Parameter, word: str, lang: str) -> str:
    """A parameter's `minimum:` or `maximum:` as written; 0 where an amount, a rate
    or a time is at least 0 without one."""
    written = getattr(param, f"{word}_written")
    if written is None and getattr(param, word) is not None:
        return f"0 {param.unit}"
    return written or say(lang, "diff.none")


def _bands(value: Any) -> TypeGuard[list[Band]]:
    return isinstance(value, list) and all(isinstance(v, Band) for v in value)


def _is_list(value: Any) -> TypeGuard[list[Any]]:
    """A list of items (a calendar's dates, a zone's districts), not of brackets."""
    return isinstance(value, list) and not any(isinstance(v, tuple) for v in value)


def _band_lines(lang: str, day: date, before: list[Band], after: list[Band]) -> list[str]:
    """Each band that changed, by name, and the order where it changed (the first band
    listed that covers a minute takes it)."""
    old, new = {b.name: b for b in before}, {b.name: b for b in after}
    none = say(lang, "diff.none")
    lines = [
        say(
            lang,
            "diff.cell",
            day=day.isoformat(),
            cell=name,
            old=_bounds(lang, old[name]) if name in old else none,
            new=_bounds(lang, new[name]) if name in new else none,
        )  # fmt: skip
        for name in [*old, *(n for n in new if n not in old)]
        if old.get(name) != new.get(name)
    ]
    order = ([b.name for b in before if b.name in new], [b.name for b in after if b.name in old])
    if order[0] != order[1]:
        a, b = ", ".join(order[0]), ", ".join(order[1])
        lines.append(say(lang, "diff.order", day=day.isoformat(), old=a, new=b))
    return lines


def _bounds(lang: str, band: Band) -> str:
    """A band's bounds without its name, or that it takes the rest of the week."""
    return _band(band, lang, named=False) or say(lang, "diff.rest")


def _list_lines(lang: str, day: date, before: list[Any], after: list[Any], unit: str) -> list[str]:
    """What a list gains and loses (a holiday calendar: `läggs till 2025-06-06`), rather
    than both lists whole."""
    added = [_show(v, unit) for v in after if v not in before]
    removed = [_show(v, unit) for v in before if v not in after]
    lines = []
    if added:
        lines.append(say(lang, "diff.added", day=day.isoformat(), items=", ".join(added)))
    if removed:
        lines.append(say(lang, "diff.removed", day=day.isoformat(), items=", ".join(removed)))
    if not lines:  # the same items in another order
        a, b = _show(before, unit), _show(after, unit)
        lines.append(say(lang, "diff.value", day=day.isoformat(), old=a, new=b))
    return lines


def _field(lang: str, field: str, old: object, new: object) -> str:
    return say(lang, "diff.field", field=say(lang, f"field.{field}"), old=old, new=new)


def _versions(rule: Rule) -> list[str]:
    return [_formula(v.formula, v) for v in rule.versions]


def _quantities(rule: Rule) -> list[str]:
    """The formulas of a payment's quantity: its own, and each version's (dated)."""
    own = [" ".join(rule.quantity.formula.split())] if rule.quantity else []
    return own + [_formula(v.quantity.formula, v) for v in rule.versions if v.quantity]


def _formula(text: str, version: RuleVersion) -> str:
    """A formula on one line, with the dates of its version where it has any."""
    period = ""
    if version.valid_from or version.valid_to:
        period = f" ({_day(version.valid_from) or '…'} – {_day(version.valid_to) or '…'})"
    return " ".join(text.split()) + period


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _rule_lines(old: Rule, new: Rule, lang: str) -> list[str]:
    lines = []
    before, after = _versions(old), _versions(new)
    if before != after:
        lines.append(_field(lang, "formula", " | ".join(before), " | ".join(after)))
    none = say(lang, "diff.none")
    counted, recounted = _quantities(old), _quantities(new)
    if counted != recounted:  # what a line's quantity says, as the letters and sheets show it
        a, b = " | ".join(counted) or none, " | ".join(recounted) or none
        lines.append(_field(lang, "quantity", a, b))
    for field in ("category", "source", "entity", "reason"):
        a, b = getattr(old, field), getattr(new, field)
        if a != b:  # a rule with no source had `None` in a committee paper
            lines.append(_field(lang, field, none if a is None else a, none if b is None else b))
    return lines


def _rule(lang: str, rule: Rule) -> str:
    formulas = " | ".join(_versions(rule))
    kind = say(lang, f"rule.{rule.kind}")
    return say(lang, "diff.rule", kind=kind, entity=rule.entity, formulas=formulas)


def diff_models(old: Model, new: Model, lang: str = "en") -> list[Change]:
    """What differs between two models, each change's details in `lang`."""
    changes: list[Change] = []
    for name in sorted(set(old.parameters) | set(new.parameters)):
        a, b = old.parameters.get(name), new.parameters.get(name)
        if a is None and b is not None:
            changes.append(
                Change(
                    "parameter",
                    name,
                    "added",
                    [f"{d.start.isoformat()}: {_shown(b, d.value, lang)}" for d in b.values],
                )
            )
        elif b is None and a is not None:
            changes.append(Change("parameter", name, "removed", []))
        elif a is not None and b is not None and (lines := _param_lines(a, b, lang)):
            changes.append(Change("parameter", name, "changed", lines))
    for name in sorted(set(old.rules) | set(new.rules)):
        ra, rb = old.rules.get(name), new.rules.get(name)
        if ra is None and rb is not None:
            changes.append(
                Change(
                    "rule",
                    name,
                    "added",
                    [_rule(lang, rb)]
                    + ([f"{say(lang, 'field.source')}: {rb.source}"] if rb.source else []),
                )
            )
        elif rb is None and ra is not None:
            changes.append(
                Change(
                    "rule",
                    name,
                    "removed",
                    [_rule(lang, ra)],
                )
            )
        elif ra is not None and rb is not None and (lines := _rule_lines(ra, rb, lang)):
            changes.append(Change("rule", name, "changed", lines))
    if old.zones != new.zones:
        changes.append(
            Change("zones", "zones", "changed", [f"{_show(old.zones)} → {_show(new.zones)}"])
        )
    return (
        changes
        + _payment_changes(old, new, lang)
        + _vocabulary_changes(old.vocabulary, new.vocabulary, lang)
    )


def _payment_changes(old: Model, new: Model, lang: str = "en") -> list[Change]:
    """What else decides what is paid: each line's rounding, the categories paid apart
    from the invoice, the rows the data requirements reject, and a scenario's
    assumptions about the data. Two models differing only in one of them were said to
    "compute the same" (a rounding to whole kronor, 0,42 kr apart; a scenario's
    shorter visits, a few kronor)."""
    out = []
    before, after = _rounding(old, lang), _rounding(new, lang)
    if before != after:
        out.append(Change("rounding", "rounding", "changed", [f"{before} → {after}"]))
    if sorted(old.outside_invoice) != sorted(new.outside_invoice):
        shown = (f"[{', '.join(sorted(m.outside_invoice))}]" for m in (old, new))
        out.append(Change("outside_invoice", "outside_invoice", "changed", [" → ".join(shown)]))
    worded = (
        ("requirement", _worded(old.data_requirements, _requirement),
         _worded(new.data_requirements, _requirement)),
        ("assumption", _worded(old.assumptions, _assumption),
         _worded(new.assumptions, _assumption)),
    )  # fmt: skip
    for kind, a, b in worded:
        for name in sorted(set(a) | set(b)):
            was, now = a.get(name), b.get(name)
            if was == now:
                continue
            what = "added" if was is None else "removed" if now is None else "changed"
            lines = [now or ""] if was is None else [was] if now is None else [f"{was} → {now}"]
            out.append(Change(kind, name, what, lines))
    return out


def _worded(items: list[Any], words: Any) -> dict[str, str]:
    return {item.name: words(item) for item in items}


def _rounding(model: Model, lang: str = "en") -> str:
    """`to 0.01 SEK, half away from zero (half_up)`, in words of `lang`."""
    step = model.rounding.step.normalize()
    shown = number(step, "#,##0.######") if lang == "sv" else f"{step:f}"
    mode = say(lang, f"diff.rounding.{model.rounding.mode}")
    return say(lang, "diff.rounding", step=shown, mode=mode, name=model.rounding.mode)


def _requirement(requirement: DataRequirement) -> str:
    """`omsorgsbeslutet har … (decisions, where: {service: omsorg}, any_of: [level, …])`."""
    parts = [requirement.table]
    if requirement.where:
        parts.append(f"where: {{{_where(requirement.where)}}}")
    parts.append(f"any_of: [{', '.join(requirement.any_of)}]")
    return f"{requirement.reason} ({', '.join(parts)})"


def _assumption(assumption: Assumption) -> str:
    """`Privata utförare … (scale_visit_time: 0.85, where: {ownership: private})`: the
    author's words, then the assumption as its file writes it."""
    amount = f"{assumption.amount.normalize():f}"
    if assumption.kind == "drop_visits_shorter_than":
        amount += " min"
    parts = [f"{assumption.kind}: {amount}"]
    if assumption.where:
        parts.append(f"where: {{{_where(assumption.where)}}}")
    if assumption.share != 1:
        parts.append(f"share: {(assumption.share * 100).normalize():f} %, seed: {assumption.seed}")
    return f"{assumption.description} ({', '.join(parts)})"


def _where(where: dict[str, list[Any]]) -> str:
    def value(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    return ", ".join(
        f"{c}: {value(v[0]) if len(v) == 1 else '[' + ', '.join(map(value, v)) + ']'}"
        for c, v in sorted(where.items())
    )


def _vocabulary_changes(old: Vocabulary, new: Vocabulary, lang: str) -> list[Change]:
    """What the two models declare of the data differently: a code one accepts and the
    other rejects decides which rows are paid, as a parameter decides how much (two
    models differing in a code list alone were said to compute the same)."""
    changes = []
    for name in sorted(set(old.codes) | set(new.codes)):
        before, after = set(old.codes.get(name, ())), set(new.codes.get(name, ()))
        lines = [
            say(lang, phrase, items=", ".join(sorted(items)))
            for phrase, items in (("diff.codes_added", after - before),
                                  ("diff.codes_removed", before - after))
            if items
        ]  # fmt: skip
        if lines:
            changes.append(Change("codes", name, "changed", lines))
    for name in sorted(set(old.tables) | set(new.tables)):
        a, b = old.tables.get(name), new.tables.get(name)
        if a is None or b is None:
            changes.append(Change("table", name, "added" if a is None else "removed", []))
            continue
        told = table_changes(a, b)
        if told:
            changes.append(Change("table", name, "changed", told))
        for column in sorted(set(a.columns) | set(b.columns)):
            ca, cb = a.columns.get(column), b.columns.get(column)
            if ca is not None and cb is not None and declared_column(ca) == declared_column(cb):
                continue
            what = "added" if ca is None else "removed" if cb is None else "changed"
            shown = [column_words(c) for c in (ca, cb) if c is not None]
            changes.append(Change("column", f"{name}.{column}", what, [" → ".join(shown)]))
    for name in sorted(set(old.entities) | set(new.entities)):
        ea, eb = old.entities.get(name), new.entities.get(name)
        if ea is None or eb is None:
            changes.append(Change("entity", name, "added" if ea is None else "removed", []))
            continue
        lines = [] if ea.month == eb.month else [f"month: {_month(ea.month)} → {_month(eb.month)}"]
        for field, old_value, new_value in (
            ("table", ea.table, eb.table),
            ("key", ea.key, eb.key),
            ("parties", ea.parties, eb.parties),
            ("overlapping", ea.overlapping, eb.overlapping),  # pairs warned of, or not
        ):
            if old_value != new_value:  # whose rows, which rows: what is paid by them
                shown = [
                    f"[{', '.join(v)}]" if isinstance(v, tuple) else str(v)
                    for v in (old_value, new_value)
                ]
                lines.append(f"{field}: {shown[0]} → {shown[1]}")
        relations = {r.name: r for r in ea.relations}, {r.name: r for r in eb.relations}
        for relation in sorted(set(relations[0]) | set(relations[1])):
            was, now = relations[0].get(relation), relations[1].get(relation)
            if was is not None and now is not None and was != now:
                # the same name joining otherwise (keys [] relates every row to every row)
                lines.append(f"relations: {relation} {_relation(was)} → {_relation(now)}")
            elif was is None or now is None:
                found = now or was
                assert found is not None
                sign = "+" if now is not None else "−"
                lines.append(f"relations: {sign} {relation} {_relation(found)}")
        if (name in old.payable) != (name in new.payable):  # its rows paid one by one, or not
            lines.append(f"payable: {name in old.payable} → {name in new.payable}".lower())
        if lines:
            changes.append(Change("entity", name, "changed", lines))
    return changes


def table_changes(a: Table, b: Table) -> list[str]:
    """What a table says of its rows that decides which are read — its key (which rows
    are one row twice), whether its file may be missing, times in order, the longest a
    row lasts, its periods — as the rule file writes it, where the two differ: two
    models differing in `max_hours:` alone were said to compute the same."""

    def order(table: Table) -> str:
        columns = [pair[0] for pair in table.in_order] + [p[1] for p in table.in_order[-1:]]
        return f"[{', '.join(columns)}]" if columns else "–"

    def periods(table: Table) -> str:
        shown = [f"{{start: {start}, end: {end}}}" for start, end in table.periods]
        return ", ".join(shown) or "–"

    told = []
    if a.key != b.key:
        told.append("key: " + " → ".join(f"[{', '.join(k)}]" for k in (a.key, b.key)))
    if a.optional != b.optional:  # a missing file: no rows, or an error
        told.append(f"optional: {a.optional} → {b.optional}".lower())
    if a.unique_rows != b.unique_rows:  # a row alike to an earlier one: read, or rejected
        told.append(f"may_repeat: {not a.unique_rows} → {not b.unique_rows}".lower())
    for field, shown in (
        ("in_order", order),
        ("max_hours", lambda t: "–" if t.max_hours is None else str(t.max_hours)),
        ("period", periods),
    ):
        if shown(a) != shown(b):
            told.append(f"{field}: {shown(a)} → {shown(b)}")
    return told


def _relation(relation: Relation) -> str:
    """A relation as the rule file writes it: `{entity: decision, keys: [customer_id]}`."""
    return f"{{entity: {relation.entity}, keys: [{', '.join(relation.keys)}]}}"


def declared_column(column: Column) -> tuple[Any, ...]:
    """A column as declared; its code list by name (a code list changed is one change)."""
    values = None if column.codes else getattr(column.type, "values", None)
    bounds = (column.minimum, column.maximum)
    return (
        column.kind,
        column.unit,
        column.nullable,
        bounds,
        column.codes,
        values,
        column.default,
        column.references,
    )


def column_words(column: Column) -> str:
    """A column in the rule file's words: `integer 1–10, nullable: false`, `number (min)
    at least 0` (a range with one bound read `0–`)."""
    text = column.kind + (f" ({column.unit})" if column.unit else "")
    if column.minimum is not None or column.maximum is not None:
        text += f" {range_words(column, unit=False)}"
    if column.codes:
        text += f", codes: {column.codes}"
    elif values := getattr(column.type, "values", None):
        text += f", values: [{', '.join(values)}]"
    if column.default is not None:
        default = column.default
        text += f", default: {str(default).lower() if isinstance(default, bool) else default}"
    if column.references is not None:
        text += f", references: {column.references}"
    return text + ("" if column.nullable else ", nullable: false")


def _month(rule: MonthRule) -> str:
    """A month rule as the rule file writes it: `{by: date, column: datum}` (it was
    `by date datum`, in no one's words)."""
    match rule.by:
        case "moment" | "date":
            return f"{{by: {rule.by}, column: {rule.columns[0]}}}"
        case "period":
            return f"{{by: period, start: {rule.columns[0]}, end: {rule.columns[1]}}}"
        case "pairs" | "days":
            of = ", ".join(rule.of)
            return f"{{by: {rule.by}, of: {'[' + of + ']' if rule.by == 'pairs' else of}}}"
    return f"{{by: {rule.by}}}"


def render(changes: list[Change], old: Model, new: Model, lang: str = "en") -> str:
    """The changes for a terminal: a heading, then each change (in Swedish, as the
    sentence of `sentences_sv` without its details) with its details below it."""
    if not changes:
        return say(lang, "diff.same", old=old.id, new=new.id) + "\n"
    versions = {  # "(2025)" after the id; nothing where the model names no version
        "old_version": f" ({old.version})" if old.version else "",
        "new_version": f" ({new.version})" if new.version else "",
    }
    lines = [say(lang, "diff.header", old=old.id, new=new.id, **versions), ""]
    for change in changes:
        if lang == "sv":
            lines.append("- " + sentences_sv([replace(change, lines=[])])[0])
        else:
            name = "" if change.kind in UNNAMED else f" `{change.name}`"
            lines.append(f"- {change.kind.replace('_', ' ')}{name} {change.what}")
        lines.extend(f"    {line}" for line in change.lines)
    return "\n".join(lines) + "\n"


KINDS_SV = {
    "parameter": "Parametern",
    "rule": "Regeln",
    "zones": "Zonerna",
    "codes": "Kodlistan",
    "table": "Tabellen",
    "column": "Kolumnen",
    "entity": "Entiteten",
    "rounding": "Avrundningen",
    "outside_invoice": "Kategorierna som betalas utanför fakturan",
    "requirement": "Datakravet",
    "assumption": "Antagandet",
}
VERBS_SV = {"added": "tillkommer", "removed": "tas bort", "changed": "ändras"}


UNNAMED = {"zones", "rounding", "outside_invoice"}  # one of its kind: no name to say


def sentences_sv(changes: list[Change]) -> list[str]:
    """Each change as one Swedish sentence for a committee report."""
    out = []
    for change in changes:
        name = "" if change.kind in UNNAMED else f" `{change.name}`"
        text = f"{KINDS_SV.get(change.kind, change.kind)}{name} "
        text += VERBS_SV.get(change.what, change.what)
        out.append(text + (": " + "; ".join(change.lines) if change.lines else ""))
    return out


def in_force_sentences(a: CheckedModel, b: CheckedModel, months: list[date]) -> list[str]:
    """Where A or B is run as in force on a date (`compare --a-as-of`): the rules and
    parameter values in force that differ between the two in the months compared, one
    Swedish sentence each with its months. Their rule files may be the same, and the
    report said that no rule or parameter differs of March's rules against July's."""
    said: dict[str, list[str]] = {}
    for month in months:
        day_a, day_b = a.model.in_force_on(month), b.model.in_force_on(month)
        if day_a == day_b:
            continue
        for sentence in _differing_in_force(a, b, day_a, day_b):
            said.setdefault(sentence, []).append(f"{month:%Y-%m}")
    return [f"{sentence} ({', '.join(when)})." for sentence, when in said.items()]


def _differing_in_force(a: CheckedModel, b: CheckedModel, day_a: date, day_b: date) -> list[str]:
    out = []
    for name, param in a.model.parameters.items():
        other = b.model.parameters.get(name)
        if other is None:
            continue
        value_a = value_in_force(a, param, day_a, Diagnostics())
        value_b = value_in_force(b, other, day_b, Diagnostics())
        if value_a != value_b:
            out.append(f"Parametern `{name}`: {_in_force_values(param, other, value_a, value_b)}")
    for name, rule in a.model.rules.items():
        other_rule = b.model.rules.get(name)
        if other_rule is None:
            continue
        formula_a, formula_b = _formula_on(rule, day_a), _formula_on(other_rule, day_b)
        if formula_a != formula_b:
            out.append(f"Regeln `{name}`: {formula_a} i A, {formula_b} i B")
    return out


def _formula_on(rule: Rule, day: date) -> str:
    """A rule's formula in force on `day`, on one line, or that none is."""
    version = rule.version_on(day)
    return " ".join(version.formula.split()) if version else "inte i kraft"


def _in_force_values(param: Parameter, other: Parameter, value_a: Any, value_b: Any) -> str:
    """Two values in force of a parameter, in its unit; of a table its cells that differ
    (the first three, and how many)."""
    none = "inget värde"
    if isinstance(value_a, dict) and isinstance(value_b, dict):
        keys = [k for k in sorted(set(value_a) | set(value_b)) if value_a.get(k) != value_b.get(k)]
        cells = [
            f"{_key(k)} {_cell(param, value_a, k, 'sv')} i A, {_cell(other, value_b, k, 'sv')} i B"
            for k in keys[:3]
        ]
        more = f" och {len(keys) - 3} celler till" if len(keys) > 3 else ""
        return "; ".join(cells) + more
    shown_a = none if value_a is None else _shown(param, value_a, "sv")
    shown_b = none if value_b is None else _shown(other, value_b, "sv")
    return f"{shown_a} i A, {shown_b} i B"
