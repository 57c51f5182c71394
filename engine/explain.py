"""A customer-month's payments as a tree a provider can follow: each value, its
formula, the values it used (recursively) and the document section it implements.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine import types as t
from engine.interpret import Trace
from engine.money import snap
from engine.phrases import figure, say


def format_value(
    value: Any,
    typ: t.Type,
    under_type: t.Type | None = None,
    up_to: bool = False,
    lang: str = "en",
) -> str:
    """A value as a reader expects it: 1 234.50 SEK, 270 min (4.5 h), 40 %; in Swedish
    (`lang` "sv") 1 234,50 kr and 4,5 h. A step table's brackets as the model writes
    them, `under` or `up_to` (a bound its bracket holds: `up_to 4 h → 900`, which read
    `under 4 h` while 4 h was paid 900)."""
    if value is None:
        return say(lang, "explain.no_value")
    if isinstance(value, bool):
        return say(lang, "explain.true" if value else "explain.false")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list) and isinstance(typ, t.ListOf):  # a list parameter: a calendar
        return ", ".join(format_value(item, typ.item, lang=lang) for item in value)
    if isinstance(value, list):  # a step table: its brackets
        return ", ".join(
            f"{'up_to' if up_to else 'under'} {format_value(u, under_type or t.NUMBER, lang=lang)}"
            f" → {format_value(v, typ, lang=lang)}"
            for u, v in value
        )
    if isinstance(typ, t.Time) and isinstance(value, Decimal | int | float):
        return clock_text(Decimal(value))
    if not isinstance(value, Decimal):
        return str(value)
    kronor = say(lang, "explain.kronor")
    if isinstance(typ, t.Num):
        if typ.money == 1 and typ.time == 0:
            return f"{number_text(value, 2, lang)} {kronor}"
        if typ.money == 0 and typ.time == 1:
            return f"{number_text(value, lang=lang)} min ({number_text(value / 60, 2, lang)} h)"
        if typ.money == 1 and typ.time == -1:
            return f"{number_text(value * 60, 2, lang)} {kronor}/h"
        if typ.dimensionless and typ.percent:
            return f"{number_text(value * 100, 2, lang)} %"
    return number_text(value, lang=lang)


def clock_text(minutes: Decimal) -> str:
    """A time of day held as minutes after midnight as a clock shows it: 1 350 is
    `22:30`, with seconds where it has them (`22:30:30`)."""
    seconds = int(snap(minutes * 60).to_integral_value())
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def exact_amount(value: Decimal, lang: str = "en") -> str:
    """An amount before rounding, every decimal shown (903.105 SEK, not 903.10 or
    903.11): a reader checks the rounding against it."""
    value = snap(value).normalize()
    if value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(Decimal("0.01"))
    return f"{figure(lang, f'{value:,f}')} {say(lang, 'explain.kronor')}"


def number_text(value: Decimal, places: int | None = None, lang: str = "en") -> str:
    """A number with spaces between thousands, its own decimals (or `places`); a
    decimal comma in Swedish."""
    value = snap(value)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    elif value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    return figure(lang, f"{value:,f}")


def render_tree(traces: list[Trace], header: str, lang: str = "en") -> str:
    """The traces as an indented tree; a value shown once is not expanded again. The
    words around the model's names and formulas, and the numbers, in `lang`."""
    lines = [header, ""]
    shown: set[int] = set()
    for trace in traces:
        lines.extend(_render(trace, "", True, shown, lang, top=True))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _label(trace: Trace, lang: str) -> str:
    if trace.kind == "note":
        return trace.name
    value = format_value(trace.value, trace.type, trace.under_type, trace.up_to, lang)
    text = f"{trace.name} = {value}"
    if _says_more(trace.label, trace.name):  # the words of the payment file and the letter
        text = f"{trace.label}: {text}"
    if trace.row:
        text += f"   ({trace.row})"
    if trace.category:
        text += f"   [{trace.category}]"
    if trace.kind == "aggregate" and trace.rows is not None:
        left_out = (
            say(lang, "explain.without_value", count=trace.without_value)
            if trace.without_value
            else ""
        )
        text += "   " + say(lang, "explain.rows", count=trace.rows, left_out=left_out)
    # before rounding, where rounding changed it: float noise (12 739.99…94) snaps to the
    # amount paid, and was shown as "before rounding 12 740.00 SEK" beside 12 740.00 SEK
    if trace.kind == "payment" and _rounded_away(trace.raw, trace.value):
        amount = exact_amount(trace.raw, lang)
        text += "   " + say(lang, "explain.before_rounding", amount=amount)
    if trace.kind == "parameter":
        text += "   " + say(lang, "explain.parameter")
    if trace.source:
        text += f"   {trace.source}"
    return text


def _says_more(label: str | None, name: str) -> bool:
    """Whether a rule's label says more than its name (`Momskompensation` does not)."""
    return label is not None and label.casefold().replace(" ", "_") not in ("", name.casefold())


def _rounded_away(raw: Any, value: Any) -> bool:
    """Whether rounding changed an amount (its noise snapped away first, as rounding does)."""
    if not isinstance(raw, Decimal) or not isinstance(value, Decimal):
        return raw is not None and raw != value
    return snap(raw) != value


def _render(
    trace: Trace, prefix: str, last: bool, shown: set[int], lang: str, top: bool = False
) -> list[str]:
    branch = "" if top else ("└─ " if last else "├─ ")
    if (trace.formula or trace.uses) and id(trace) in shown:
        return [prefix + branch + _label(trace, lang) + "   " + say(lang, "explain.see_above")]
    shown.add(id(trace))
    lines = [prefix + branch + _label(trace, lang)]
    inner = prefix + ("" if top else ("   " if last else "│  "))
    if trace.formula:
        formula = " ".join(trace.formula.split())
        label = say(lang, "explain.indexed" if trace.kind == "parameter" else "explain.formula")
        lines.append(inner + ("│ " if trace.uses else "  ") + label + formula)
    for i, use in enumerate(trace.uses):
        lines.extend(_render(use, inner, i == len(trace.uses) - 1, shown, lang))
    return lines


def to_json(trace: Trace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": trace.name,
        "kind": trace.kind,
        **({"label": trace.label} if trace.label else {}),
        "value": _json_value(trace.value),
        "display": format_value(trace.value, trace.type, trace.under_type, trace.up_to),
    }
    if trace.formula:  # a parameter's: how its value in force was indexed
        out["indexed" if trace.kind == "parameter" else "formula"] = trace.formula
    if trace.source:
        out["source"] = trace.source
    if trace.row:
        out["row"] = trace.row  # which row of an aggregation: "visit V17"
    if trace.rows is not None:
        out["rows"] = trace.rows
    if trace.without_value:
        out["rows_without_value"] = trace.without_value
    if trace.uses:
        out["uses"] = [to_json(u) for u in trace.uses]
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{snap(value).normalize():f}"  # 10, never 1E+1
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):  # a step table's brackets as pairs, a calendar's dates
        return [_json_value(list(item) if isinstance(item, tuple) else item) for item in value]
    return value


def render_json(
    heading: str,
    month: date,
    customer: str | None,
    rows: list[tuple[Any, list[Trace]]],
    provider: str | None = None,
) -> str:
    """One customer's month (or a provider's own payments: `customer` None) as JSON:
    every payment line with its customer, provider, month and category, the exact
    amount and the amount rounded to the öre, and the tree of values behind it."""
    lines = []
    for row, traces in rows:
        values = row.values
        for trace in traces:
            exact = trace.raw if trace.raw is not None else trace.value
            lines.append(
                {
                    "customer_id": customer,
                    "provider_id": values.get("provider_id"),
                    "month": f"{month:%Y-%m}",
                    "payment": trace.name,
                    **({"label": trace.label} if trace.label else {}),
                    # the row as statement_lines.csv names it (`T1`), and as explain shows it
                    **(
                        {"row": row.key, "row_label": row.label}
                        if getattr(row, "label", "")
                        else {}
                    ),
                    "category": trace.category,
                    "exact": _json_value(exact),
                    "amount": _json_value(trace.value),
                    "tree": to_json(trace),
                }
            )
    title, *assumed = heading.split("\n")  # a scenario's assumptions, each a line after
    document: dict[str, Any] = {
        "model": title,
        **({"assumed": [a.removeprefix("assumed: ") for a in assumed]} if assumed else {}),
        "customer_id": customer,
        "month": f"{month:%Y-%m}",
        "lines": lines,
    }
    if provider is not None:
        document["provider_id"] = provider
    return json.dumps(document, ensure_ascii=False, indent=2)
