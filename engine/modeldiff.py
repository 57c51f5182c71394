"""What changed between two versions of a model, in words a committee paper can quote."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from engine import types as t
from engine.model import Model, Parameter, Rule
from engine.phrases import say


@dataclass
class Change:
    kind: str  # 'parameter' | 'rule'
    name: str
    what: str  # 'added' | 'removed' | 'changed'
    lines: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "change": self.what, "details": self.lines}


def _show(value: Any, unit: str = "", under: str = "", inclusive: bool = False) -> str:
    """A value in the parameter's own unit, as written in the rule file (10 %, 450 SEK/h);
    a step table's bounds in theirs (`under`: a count, a duration, a share)."""
    if isinstance(value, Decimal):
        num, den = t.unit_factor(unit)
        shown = (value * den / num).quantize(Decimal("0.0001")).normalize()
        label = unit if unit in t.UNITS else ""
        return f"{shown:f}" + (f" {label}" if label else "")
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{_key(k)}: {_show(v, unit)}" for k, v in sorted(value.items())) + "}"
        )
    if isinstance(value, list) and all(isinstance(b, tuple) and len(b) == 2 for b in value):
        word = "up_to" if inclusive else "under"
        return (
            "[" + ", ".join(f"{word} {_show(u, under)} → {_show(v, unit)}" for u, v in value) + "]"
        )
    if isinstance(value, list):  # e.g. a zone's districts
        return "[" + ", ".join(_show(v, unit) for v in value) + "]"
    return str(value)


def _shown(param: Parameter, value: Any) -> str:
    """A value of `param` as its rule file writes it: in the parameter's unit, the
    bounds of its brackets in theirs. The values of a new parameter and a table's
    cells were shown in the engine's own units (a rate of 480 SEK/h as 8, 24 h as
    1440, a count bound of 6 as 600 %)."""
    under = param.under_unit or (
        t.display_unit(param.bracket_type) if isinstance(param.bracket_type, t.Num) else ""
    )
    return _show(value, param.unit, under, param.inclusive)


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
            value = _shown(old, before)
            lines.append(say(lang, "diff.removed_value", day=day.isoformat(), value=value))
        elif day not in old_values:
            value = _shown(new, after)
            lines.append(say(lang, "diff.new_value", day=day.isoformat(), value=value))
        elif before != after:
            if isinstance(before, dict) and isinstance(after, dict):
                for key in sorted(set(before) | set(after)):
                    if before.get(key) != after.get(key):
                        cell = "/".join(key)
                        a, b = _show(before.get(key), old.unit), _show(after.get(key), new.unit)
                        lines.append(
                            say(lang, "diff.cell", day=day.isoformat(), cell=cell, old=a, new=b)
                        )
            else:
                a, b = _shown(old, before), _shown(new, after)
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
    return lines


def _field(lang: str, field: str, old: object, new: object) -> str:
    return say(lang, "diff.field", field=say(lang, f"field.{field}"), old=old, new=new)


def _versions(rule: Rule) -> list[str]:
    out = []
    for v in rule.versions:
        period = ""
        if v.valid_from or v.valid_to:
            period = f" ({_day(v.valid_from) or '…'} – {_day(v.valid_to) or '…'})"
        out.append(" ".join(v.formula.split()) + period)
    return out


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _rule_lines(old: Rule, new: Rule, lang: str) -> list[str]:
    lines = []
    before, after = _versions(old), _versions(new)
    if before != after:
        lines.append(_field(lang, "formula", " | ".join(before), " | ".join(after)))
    none = say(lang, "diff.none")
    for field in ("category", "source", "entity", "reason"):
        a, b = getattr(old, field), getattr(new, field)
        if a != b:  # a rule with no source had `None` in a committee paper
            lines.append(_field(lang, field, none if a is None else a, none if b is None else b))
    return lines


def _rule(lang: str, rule: Rule) -> str:
    formulas = " | ".join(_versions(rule))
    return say(lang, "diff.rule", kind=rule.kind, entity=rule.entity, formulas=formulas)


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
                    [f"{d.start.isoformat()}: {_shown(b, d.value)}" for d in b.values],
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
    return changes


def render(changes: list[Change], old: Model, new: Model, lang: str = "en") -> str:
    """The changes for a terminal: a heading, then each change (in Swedish, as the
    sentence of `sentences_sv` without its details) with its details below it."""
    if not changes:
        return say(lang, "diff.same", old=old.id, new=new.id) + "\n"
    versions = {"old_version": old.version, "new_version": new.version}
    lines = [say(lang, "diff.header", old=old.id, new=new.id, **versions), ""]
    for change in changes:
        if lang == "sv":
            lines.append("- " + sentences_sv([replace(change, lines=[])])[0])
        else:
            lines.append(f"- {change.kind} `{change.name}` {change.what}")
        lines.extend(f"    {line}" for line in change.lines)
    return "\n".join(lines) + "\n"


KINDS_SV = {"parameter": "Parametern", "rule": "Regeln", "zones": "Zonerna"}
VERBS_SV = {"added": "tillkommer", "removed": "tas bort", "changed": "ändras"}


def sentences_sv(changes: list[Change]) -> list[str]:
    """Each change as one Swedish sentence for a committee report."""
    out = []
    for change in changes:
        name = "" if change.kind == "zones" else f" `{change.name}`"
        text = f"{KINDS_SV.get(change.kind, change.kind)}{name} "
        text += VERBS_SV.get(change.what, change.what)
        out.append(text + (": " + "; ".join(change.lines) if change.lines else ""))
    return out
