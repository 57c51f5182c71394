"""The provider's letter: one customer's month in plain Swedish — each payment as a
sentence with its figures and its §, the visits that were not counted and why, and
the month's total — as text or as an HTML page that prints on A4.

The words are the model's: a payment's `letter:` is a sentence with placeholders
(`{utförd_tid}`, a field or definition of its entity; `{belopp}`, the amount;
`{antal}`, the line's quantity), so each municipality words its own letters. A
payment without one gets a plain sentence: its label and its amount."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from engine import swedish
from engine import types as t
from engine.api import RunResult, load, load_dataset, run_model
from engine.catalog import MonthRule, Vocabulary
from engine.data import RECORD, key_text
from engine.explain import clock_text
from engine.plan import month_bounds
from engine.reports import VISIT_COLUMN, rejected_why, row_key

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
AMOUNT, QUANTITY = "belopp", "antal"  # placeholders every letter sentence may use


@dataclass
class Sentence:
    text: str
    amount_ore: int
    source: str
    outside_invoice: bool = False
    no_value: bool = False  # the formula had no value: nothing was paid (the run warned)
    row: str = ""  # the paid row's key (a claim, a delivery): two such lines read alike


@dataclass
class NotCounted:
    visit: str
    start: Any
    staff: str
    minutes: Any
    reason: str
    source: str


@dataclass
class Letter:
    """One customer's month with a provider, or (`customer` None) the provider's own
    payments of the month — a VAT compensation, a minimum guarantee — that are no
    customer's, with the provider's whole payment for the month (`provider_total_ore`)."""

    title: str
    month: str
    provider: str
    provider_name: str
    customer: str | None
    sentences: list[Sentence] = field(default_factory=list)
    not_counted: list[NotCounted] = field(default_factory=list)
    # the customer's other rows of the month rejected as read (a decision): what an
    # amount may lack, said where the provider reads the amount (`_rejected_rows`)
    rejected: list[str] = field(default_factory=list)
    provider_total_ore: int = 0
    registered: int | None = None  # the month's visits of the customer with the provider

    @property
    def total_ore(self) -> int:
        return sum(s.amount_ore for s in self.sentences)

    @property
    def customers_ore(self) -> int:
        """What the provider's customers' letters pay (the provider's own letter)."""
        return self.provider_total_ore - self.total_ore


# ----------------------------------------------------------------------------- Swedish numbers


def kronor(ore: int) -> str:
    """`1 234,56 kr`, with a true minus sign (−) and a no-break space between thousands."""
    return swedish.kronor(ore) + " kr"


# a duration's unit as a Swedish sentence writes it (a rule file may write `5 days`)
SWEDISH_UNITS = {"minutes": "min", "minuter": "min", "hours": "h", "timmar": "h", "tim": "h",
                 "day": "dagar", "days": "dagar", "dag": "dagar"}  # fmt: skip


def shown(value: Any, typ: t.Type, written_in: str = "") -> str:
    """A value as a sentence shows it: 6 532,00 kr, 205 min, 24,4 %, 2024-03-01; a
    duration of a column written in hours (or days) as its column writes it, 4 h."""
    if value is None:
        return "(saknas)"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(typ, t.Time):  # minutes after midnight: 22:30, not 1 350
        return clock_text(Decimal(str(value)))
    number = Decimal(str(value))
    if isinstance(typ, t.Num) and typ.money == 1 and typ.time == 0:
        return swedish.number(number, "#,##0.00") + " kr"
    if isinstance(typ, t.Num) and typ.time == 1 and typ.money == 0 and written_in:
        num, den = t.unit_factor(written_in)
        count = number * den / num
        word = SWEDISH_UNITS.get(written_in, written_in)
        return (
            swedish.number(count, "#,##0.##")
            + f" {'dag' if count == 1 and word == 'dagar' else word}"
        )
    if isinstance(typ, t.Num) and typ.time == 1 and typ.money == 0:
        return swedish.number(number, "#,##0.#") + " min"
    if isinstance(typ, t.Num) and typ.money == 1 and typ.time == -1:
        return swedish.number(number * 60, "#,##0.00") + " kr/h"
    if isinstance(typ, t.Num) and typ.percent:
        return swedish.number(number * 100, "#,##0.#") + " %"
    return swedish.number(number, "#,##0.##")


# ----------------------------------------------------------------------------- gathering


def letters_of(
    model: str | Path,
    data: str | Path,
    months: list[date],
    customer: str | None = None,
    provider: str | None = None,
    everything: bool = False,
) -> list[Letter]:
    """The letters for a customer's months, or for every customer of a provider: the
    months are run as `carepay run` runs them, so the figures are the payment's."""
    checked, _ = load(model, months)
    dataset, _ = load_dataset(checked, data)
    return letters(run_model(checked, dataset, months), customer, provider, everything)


def letters(
    result: RunResult,
    customer: str | None = None,
    provider: str | None = None,
    everything: bool = False,
) -> list[Letter]:
    """A letter for each customer-month of the run (one customer's, or every customer
    of one provider), in the order month, provider, customer; for a provider's letters
    (no `customer`), after its customers' the provider's own payments of the month,
    which are no customer's (before, a provider's letters left out its VAT
    compensation, and summed to less than it was paid). With `everything`, the
    payments that came to 0 kr are sentences too."""
    model = result.checked.model
    roles = model.vocabulary.roles
    providers = result.providers  # computed once: its rows and columns belong together
    names = dict(zip(providers["provider_id"], providers["name"], strict=True))
    parties = ["month", "customer_id", "provider_id"]
    lines = result.lines.partition_by(parties, as_dict=True)
    not_counted = result.not_counted.partition_by(parties, as_dict=True)
    rejected, providers_own = _rejects_by_party(result)
    placing = _placing_rules(model.vocabulary)
    own_payments = any(r.entity == roles.provider_month for r in model.payments)
    paid = result.lines.group_by("month", "provider_id").agg(pl.col("amount_ore").sum())
    whole = {(m, p): int(o) for m, p, o in paid.iter_rows()}
    out: list[Letter] = []
    written: set[tuple[str, Any]] = set()  # (month, provider) with a customer's letter
    for month in result.months:
        label = f"{month.plan.month:%Y-%m}"
        chosen = pl.lit(True) if provider is None else pl.col("provider_id") == provider
        ours = chosen if customer is None else chosen & (pl.col("customer_id") == customer)
        frame = month.frames[roles.customer_month].filter(ours)
        registered = _registered(month.frames.get(roles.registration))
        looked_up = _MonthNames(result, month)
        first = len(out)
        for row in frame.sort("provider_id", "customer_id").iter_rows(named=True):
            key = (label, row["customer_id"], row["provider_id"])
            letter = _addressed(model.title, label, row, names, row["customer_id"])
            if registered is not None:
                letter.registered = registered.get((str(key[1]), str(key[2])), 0)
            letter.sentences = _sentences(
                looked_up, roles.customer_month, row, lines.get(key), everything
            )
            letter.not_counted = _visits(not_counted.get(key))
            letter.rejected = _rejected_rows(
                rejected.get(key[1], []), placing, month.plan.month, key[2]
            )
            out.append(letter)
            written.add((label, row["provider_id"]))
        alone = _rows_alone_letters(looked_up, lines, names, (customer, provider), everything)
        written.update((label, letter.provider) for letter in alone)
        out[first:] = sorted(
            [*out[first:], *alone], key=lambda x: (str(x.provider), str(x.customer))
        )
        if customer is not None:
            continue
        months_own = month.frames.get(roles.provider_month)
        rows = [] if months_own is None else list(months_own.filter(chosen).iter_rows(named=True))
        held = {row["provider_id"] for row in rows}
        # a provider paid per row of no customer (a fee per score, per agreement) that
        # has no provider-month this month: its letter is of those rows alone (it had
        # none, and the provider was said to be paid nothing)
        rows += [
            {"provider_id": p}
            for m, c, p in lines
            if m == label and c is None and p not in held and provider in (None, p)
        ]
        for row in sorted(rows, key=lambda r: str(r["provider_id"])):
            key = (label, None, row["provider_id"])
            letter = _addressed(model.title, label, row, names, None)
            letter.provider_total_ore = whole.get((label, row["provider_id"]), 0)
            of = roles.provider_month if row["provider_id"] in held else ""  # "": rows alone
            letter.sentences = _sentences(looked_up, of, row, lines.get(key), everything)
            letter.rejected = _rejected_rows(
                providers_own.get(row["provider_id"], []), placing, month.plan.month, key[2]
            )
            # a model paying providers on their own closes the month of a provider with
            # customers' letters with the whole month, also where its own payments came
            # to nothing (a fine of 0 kr: the March letters said nowhere what March paid)
            closing = own_payments and (label, row["provider_id"]) in written
            if letter.sentences or letter.rejected or closing:
                out.append(letter)
    return out


def _rows_alone_letters(
    looked_up: _MonthNames,
    lines: dict[Any, pl.DataFrame],
    names: dict[str, Any],
    chosen: tuple[str | None, str | None],
    everything: bool,
) -> list[Letter]:
    """Letters for a customer and provider of the month paid per row alone (a stay at a
    short-term home, an escort), with no customer-month of their own: the home was paid
    for the customer's stays, and no letter said so — `--provider` said it had no
    customer. Each such line is a sentence."""
    month, result = looked_up.month, looked_up.result
    label, title = f"{month.plan.month:%Y-%m}", result.checked.model.title
    frame = month.frames[result.roles.customer_month]
    pairs = {(str(c), str(p)) for c, p in frame.select("customer_id", "provider_id").iter_rows()}
    customer, provider = chosen
    registered = _registered(month.frames.get(result.roles.registration))
    out = []
    for key in sorted((k for k in lines if k[0] == label and k[1] is not None), key=str):
        _, c, p = key
        if (str(c), str(p)) in pairs or customer not in (None, c) or provider not in (None, p):
            continue
        row = {"provider_id": p, "customer_id": c}
        letter = _addressed(title, label, row, names, c)
        if registered is not None:  # none, as a rule: "no visits were registered"
            letter.registered = registered.get((str(c), str(p)), 0)
        letter.sentences = _sentences(looked_up, "", row, lines[key], everything)
        if letter.sentences:
            out.append(letter)
    return out


def _registered(visits: pl.DataFrame | None) -> dict[tuple[str, str], int] | None:
    """The month's visits per customer and provider (None where the run kept none)."""
    if visits is None or not {"customer_id", "provider_id"} <= set(visits.columns):
        return None
    counts = visits.group_by(
        pl.col("customer_id").cast(pl.String), pl.col("provider_id").cast(pl.String)
    ).len()
    return {(c, p): n for c, p, n in counts.iter_rows()}


def _addressed(
    title: str, month: str, row: dict[str, Any], names: dict[str, Any], customer: str | None
) -> Letter:
    """A letter with its heading: the month, the provider (by name) and the customer."""
    provider = row["provider_id"]
    return Letter(title, month, provider, str(names.get(provider, "")), customer)


@dataclass
class _MonthNames:
    """What the sentences of one month's letters look up, found once for all of them
    (not once per letter): the types of an entity's names, and the rows of an entity
    paid per row (an escort) by the key its lines name (`row`), whose fields its
    sentence shows (`{datum}`)."""

    result: RunResult
    month: Any
    types: dict[str, dict[str, t.Type]] = field(default_factory=dict)
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def types_of(self, entity: str) -> dict[str, t.Type]:
        if entity not in self.types:
            self.types[entity] = _types(self.result, entity) if entity else {}
        return self.types[entity]

    def units_of(self, entity: str) -> dict[str, str]:
        """The entity's duration columns written in another unit than minutes (a
        respite's `timmar` in h), by name: a sentence shows them so."""
        if not entity:
            return {}
        fields = self.result.checked.model.vocabulary.fields(entity)
        return {
            name: column.unit
            for name, column in fields.items()
            if t.DURATION.same_dimension(column.type) and t.unit_factor(column.unit) != (1, 1)
        }

    @cached_property
    def parameters(self) -> dict[str, tuple[Any, t.Type, str]]:
        """The month's values of the model's parameters of one value (after indexation),
        with their type and the unit they are written in: a sentence shows `{timpris}`
        as `409,00 kr/h` and `{tak}` as `10 h`."""
        params = self.month.plan.params
        return {
            name: (params.get(name), param.type, param.unit or "")
            for name, param in self.result.checked.model.parameters.items()
            if param.kind == "scalar"
        }

    def paid_rows(self, entity: str) -> dict[str, dict[str, Any]]:
        if entity not in self.rows:
            frame = self.month.frames.get(entity)
            vocabulary = self.result.checked.model.vocabulary
            key = row_key(vocabulary, entity, frame.columns) if frame is not None else []
            named = frame.with_columns(key_text(key).alias("__row")) if key else None
            self.rows[entity] = (
                {str(r["__row"]): r for r in named.iter_rows(named=True)}
                if named is not None
                else {}
            )
        return self.rows[entity]


def _sentences(
    looked_up: _MonthNames,
    own: str,
    row: dict[str, Any],
    lines: pl.DataFrame | None,
    everything: bool,
) -> list[Sentence]:
    """The payments of the row of `own` (a customer-month, or a provider-month; "": a
    provider's rows alone) in the model's order: its own (from the row, so a payment of
    0 kr can be shown) and the other entities' lines for the same parties (an effect
    premium; a provider's fee per agreement of a table of the model's own)."""
    model = looked_up.result.checked.model
    day = model.in_force_on(looked_up.month.plan.month)
    types = looked_up.types_of(own)
    out = []
    for rule in model.payments:
        if rule.entity == own:
            version = rule.version_on(day)
            if version is None:
                continue
            found = [
                {
                    "amount_ore": row.get(f"__ore_{rule.name}"),
                    "quantity": row.get(f"__qty_{rule.name}"),
                    "unit": rule.unit,
                    "category": rule.category,
                    "source": version.source or rule.source,
                }
            ]
        else:
            found = [] if lines is None else lines.filter(pl.col("payment") == rule.name).to_dicts()
        for line in found:
            amount = line["amount_ore"]
            if amount == 0 and not everything:
                continue
            paid = str(line.get("row") or "")
            text = (
                _sentence(
                    rule,
                    looked_up.paid_rows(rule.entity).get(paid, {}),
                    line,
                    looked_up.types_of(rule.entity),
                    looked_up.units_of(rule.entity),
                    looked_up.parameters,
                )
                if rule.entity != own and paid
                else _sentence(
                    rule, row, line, types, looked_up.units_of(own), looked_up.parameters
                )
            )
            out.append(
                Sentence(
                    text,
                    int(amount or 0),
                    line["source"] or "",
                    line["category"] in model.outside_invoice,
                    amount is None,
                    line.get("row") or "",
                )
            )
    return out


def _sentence(
    rule: Any,
    row: dict[str, Any],
    line: dict[str, Any],
    types: dict[str, t.Type],
    units: dict[str, str],
    parameters: dict[str, tuple[Any, t.Type, str]],
) -> str:
    template = rule.letter or f"{rule.shown_as}: {{{AMOUNT}}}"

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name == AMOUNT:
            amount = line["amount_ore"]
            return kronor(int(amount)) if amount is not None else "(inget värde)"
        if name == QUANTITY:
            quantity = line["quantity"]
            unit = f" {line['unit']}" if line["unit"] else ""
            if quantity is None:
                return "—"
            return swedish.number(Decimal(str(quantity)), "#,##0.##") + unit
        if name not in row and name in parameters:
            value, typ, written_in = parameters[name]
            return shown(value, typ, written_in)
        return shown(row.get(name), types.get(name, t.UNKNOWN), units.get(name, ""))

    return PLACEHOLDER.sub(fill, template)


def _types(result: RunResult, entity: str) -> dict[str, t.Type]:
    vocabulary = result.checked.model.vocabulary
    types = {name: column.type for name, column in vocabulary.fields(entity).items()}
    return types | dict(result.checked.rule_types)


Rejects = dict[str, list[dict[str, Any]]]


def _rejects_by_party(result: RunResult) -> tuple[Rejects, Rejects]:
    """The rows rejected as read of tables other than the registrations' (whose rows
    are among the visits not counted), by the customer they name, and those naming a
    provider and no customer (a contract of a table of the model's own) by provider:
    gathered once for all of a provider's letters."""
    customers: Rejects = {}
    providers: Rejects = {}
    registrations = result.checked.model.vocabulary.registrations
    for reject in result.dataset.rejects if result.dataset is not None else ():
        if reject["table"] == registrations:
            continue
        if reject["customer_id"] is not None:
            customers.setdefault(reject["customer_id"], []).append(reject)
        elif reject["provider_id"] is not None:
            providers.setdefault(reject["provider_id"], []).append(reject)
    return customers, providers


def _placing_rules(vocabulary: Vocabulary) -> dict[str, list[MonthRule]]:
    """Per table, the month rules of its entities that place a row by its own values (a
    moment, a date, a period)."""
    rules: dict[str, list[MonthRule]] = {}
    for entity in vocabulary.entities.values():
        if entity.table is not None and entity.month.by in ("moment", "date", "period"):
            rules.setdefault(entity.table, []).append(entity.month)
    return rules


def _rejected_rows(
    rejects: list[dict[str, Any]], placing: dict[str, list[MonthRule]], month: date, provider: str
) -> list[str]:
    """A customer's `rejects` (`_rejects_by_party`: a decision, an absence; or the
    provider's own, a contract) that may be the month's — of this provider or of none
    — each as `decisions.csv rad 5 (B7): why`: a rejected decision paid its customer
    nothing, and the letter did not say why. A row may be the month's where a month
    rule of its table places it there or cannot tell (its values empty), or where no
    rule places its table's rows (the customers')."""
    first, last, _ = month_bounds(month)
    out = []
    for reject in rejects:
        rules = placing.get(reject["table"], [])
        record = reject.get(RECORD) or {}
        if reject["provider_id"] not in (provider, None) or not (
            not rules or any(r.places(record, first, last) is not False for r in rules)
        ):
            continue
        row = f"{reject['file']} rad {reject['row']}"
        own = reject["id"] not in (None, reject["customer_id"], reject["provider_id"])
        named = f" ({reject['id']})" if own else ""
        out.append(f"{row}{named}: {rejected_why(reject)}")
    return out


def _visits(frame: pl.DataFrame | None) -> list[NotCounted]:
    """The customer-month's visits not counted (RunResult.not_counted), by time."""
    if frame is None:
        return []
    return [
        NotCounted(
            str(r[VISIT_COLUMN]),
            r["start"],
            str(r["staff_id"] or ""),
            r["minutes"],
            str(r["reason"]),
            str(r["source"] or ""),
        )
        for r in frame.sort("start", VISIT_COLUMN, nulls_last=True).iter_rows(named=True)
    ]


# ----------------------------------------------------------------------------- rendering


def render_text(found: list[Letter]) -> str:
    return "\n\f\n".join(_text(letter) for letter in found) + "\n"


OWN = "utförarens egna ersättningar, som inte hör till någon kund"  # the provider's letter


def all_counted(letter: Letter) -> str:
    """What a customer's letter says of its visits when none was set aside: that all
    were counted, or — a month of an escort alone, of a decision and no visit — that
    there were none ("all registered visits were counted" of a month with none)."""
    if letter.registered == 0:
        return "Inga besök registrerades denna månad."
    return "Alla registrerade besök räknades."


def nothing_paid(letter: Letter) -> str:
    """What a letter with no payment says: of the customer, or of the provider's own."""
    if letter.customer is None:
        return "Inga egna ersättningar eller avdrag denna månad."
    return "Ingen ersättning betalas för kunden denna månad."


def whole_month(letter: Letter) -> str:
    """The provider's letter's last word: what the month pays the provider in all."""
    return (
        f"Utförarens hela ersättning för {swedish.month(letter.month)}: "
        f"{kronor(letter.provider_total_ore)} (kundernas brev {kronor(letter.customers_ore)} "
        f"och detta brev {kronor(letter.total_ore)})."
    )


def _text(letter: Letter) -> str:
    lines = [
        letter.title,
        f"Ersättning för {swedish.month(letter.month)}",
        f"Utförare: {letter.provider_name} ({letter.provider})",
        f"Kund: {letter.customer}" if letter.customer is not None else f"Gäller: {OWN}",
        "",
    ]
    if not letter.sentences:
        lines.append(nothing_paid(letter))
    for sentence in letter.sentences:
        lines.append(f"- {sentence.text}{cited(sentence.source)}.{_note(sentence)}")
    lines += ["", f"Summa för månaden: {kronor(letter.total_ore)}", ""]
    if letter.customer is None:
        lines.append(whole_month(letter))
    elif letter.not_counted:
        lines.append("Besök som inte räknades:")
        for visit in letter.not_counted:
            lines.append(f"- {_visit(visit)}")
    else:
        lines.append(all_counted(letter))
    if letter.rejected:
        lines += ["", _rejected_heading(letter) + ":", *(f"- {r}" for r in letter.rejected)]
    return "\n".join(lines)


def _rejected_heading(letter: Letter) -> str:
    """The heading of a letter's rows rejected as read (`_rejected_rows`)."""
    if letter.customer is None:
        return "Rader för utföraren som avvisades när indata lästes"
    return "Andra rader för kunden som avvisades när indata lästes"


def _note(sentence: Sentence) -> str:
    row = f" Gäller {sentence.row}." if sentence.row else ""
    if sentence.no_value:
        return row + " Beloppet kunde inte räknas ut och betalas inte (körningen varnar)."
    return row + (" Betalas ut separat, inte på fakturan." if sentence.outside_invoice else "")


def _visit(visit: NotCounted) -> str:
    when = shown(visit.start, t.DATETIME) if visit.start is not None else ""
    minutes = shown(visit.minutes, t.DURATION) if visit.minutes is not None else ""
    staff = f", personal {visit.staff}" if visit.staff else ""
    return f"{when} ({minutes}{staff}), besök {visit.visit}: {visit.reason}{cited(visit.source)}"


def cited(source: str) -> str:
    """The rule's section after a sentence, ` (§4.1.2)`; nothing for a rule that names
    none (a letter read `375,00 kr ().`)."""
    return f" ({source})" if source else ""


def render_html(found: list[Letter]) -> str:
    from jinja2 import Environment, select_autoescape

    environment = Environment(autoescape=select_autoescape(default=True))
    template = environment.from_string(HTML)
    return template.render(
        letters=found,
        kronor=kronor,
        visit=_visit,
        note=_note,
        cited=cited,
        month=swedish.month,
        own=OWN,
        whole_month=whole_month,
        nothing_paid=nothing_paid,
        all_counted=all_counted,
        rejected=_rejected_heading,
    )


HTML = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Ersättning {{ month(letters[0].month) if letters else "" }}</title>
<style>
  @page { size: A4; margin: 20mm; }
  body { font-family: sans-serif; font-size: 11pt; line-height: 1.4; max-width: 170mm; }
  section { page-break-after: always; break-after: page; }
  section:last-child { page-break-after: auto; break-after: auto; }
  h1 { font-size: 14pt; margin-bottom: 0; }
  .who { margin: 0.2em 0 1em; color: #333; }
  .total { font-weight: bold; margin-top: 1em; }
  .amount { white-space: nowrap; }
  .apart { color: #555; font-style: italic; }
  ul { padding-left: 1.2em; }
</style>
</head>
<body>
{% for letter in letters %}
<section>
  <h1>Ersättning för {{ month(letter.month) }}</h1>
  <p class="who">{{ letter.title }}<br>
    Utförare: {{ letter.provider_name }} ({{ letter.provider }})<br>
    {% if letter.customer is none %}Gäller: {{ own }}{% else %}Kund: {{ letter.customer }}{% endif %}</p>
  {% if letter.sentences %}
  <ul>
  {% for s in letter.sentences %}
    <li>{{ s.text }}{{ cited(s.source) }}.<span class="apart">{{ note(s) }}</span></li>
  {% endfor %}
  </ul>
  {% else %}
  <p>{{ nothing_paid(letter) }}</p>
  {% endif %}
  <p class="total">Summa för månaden: <span class="amount">{{ kronor(letter.total_ore) }}</span></p>
  {% if letter.customer is none %}
  <p>{{ whole_month(letter) }}</p>
  {% elif letter.not_counted %}
  <h2>Besök som inte räknades</h2>
  <ul>
  {% for v in letter.not_counted %}<li>{{ visit(v) }}</li>{% endfor %}
  </ul>
  {% else %}
  <p>{{ all_counted(letter) }}</p>
  {% endif %}
  {% if letter.rejected %}
  <h2>{{ rejected(letter) }}</h2>
  <ul>
  {% for row in letter.rejected %}<li>{{ row }}</li>{% endfor %}
  </ul>
  {% endif %}
</section>
{% endfor %}
</body>
</html>
"""
