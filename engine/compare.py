"""Two models (or a model and a changed copy) on the same data, loaded once: what
changes, for whom. Every figure is in whole öre, so differences add up exactly.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine import types as t
from engine.api import (
    RunResult,
    data_needs,
    engine_columns,
    load,
    load_dataset,
    provider_table,
    run_model,
    unused_tables,
)
from engine.assumptions import Applied
from engine.catalog import Column, merged_tables
from engine.checker import CheckedModel, codes_hint
from engine.data import Dataset, columns_read, ids_as_text, load_data, zones_with_data
from engine.diagnostics import Diagnostic, Diagnostics, EngineError, closest
from engine.loader import setting_value, split_quantity
from engine.model import DataRequirement, Parameter
from engine.modeldiff import column_words, declared_column, table_changes
from engine.swedish import AMBIGUOUS_POINT

KEYS = ["month", "provider_id", "customer_id"]
HOUR_BANDS = [(0, 10), (10, 25), (25, 50), (50, 80), (80, 10_000)]


@dataclass
class Comparison:
    label_a: str
    label_b: str
    customers: pl.DataFrame  # month, provider, customer, attributes, amount_a, amount_b, diff (öre)
    categories: pl.DataFrame  # month, provider, category, amount_a, amount_b, diff
    providers: pl.DataFrame  # provider_id, amount_a, amount_b, diff, diff_pct
    granted_time: str | None = None  # the model's name of the granted time (`hours_band`)
    applied: list[tuple[str, Applied]] = field(default_factory=list)  # ("A" or "B", what)

    @property
    def assumptions(self) -> list[str]:
        """The data assumptions of A or B, applied, in English (for scripts)."""
        return self.assumption_words("en")

    def assumption_words(self, lang: str) -> list[str]:
        """What each assumption of A or B changed, in `lang`."""
        return [f"{side}: {applied.words(lang)}" for side, applied in self.applied]

    def counts(self) -> dict[str, int]:
        diff = self.customers.filter(pl.col("customer_id").is_not_null())["diff_ore"]
        return {
            "more": int((diff > 0).sum()),
            "less": int((diff < 0).sum()),
            "same": int((diff == 0).sum()),
        }

    def by(self, column: str) -> pl.DataFrame:
        return _totals(self.customers.group_by(column)).sort(column, nulls_last=True)

    def distribution(self) -> dict[str, float]:
        diff = self.customers.filter(pl.col("customer_id").is_not_null())["diff_ore"] / 100
        return {f"p{q}": float(diff.quantile(q / 100, "nearest") or 0) for q in (5, 25, 50, 75, 95)}

    def extremes(self, n: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The n customer-months that gain the most and the n that lose the most: only
        those that gain, and only those that lose (a month where no one loses has no
        largest losses, not the smallest gains)."""
        ordered = self.customers.sort("diff_ore")
        gains = ordered.filter(pl.col("diff_ore") > 0).tail(n).reverse()
        return gains, ordered.filter(pl.col("diff_ore") < 0).head(n)


def _totals(grouped: pl.dataframe.group_by.GroupBy) -> pl.DataFrame:
    return grouped.agg(
        pl.col("amount_a_ore").sum(),
        pl.col("amount_b_ore").sum(),
        pl.col("diff_ore").sum(),
        pl.col("customer_id").count().alias("customers"),  # not a provider's own lines
    ).with_columns(
        pl.when(pl.col("amount_a_ore") != 0)
        .then((pl.col("diff_ore") / pl.col("amount_a_ore") * 100).round(2))
        .otherwise(None)
        .alias("diff_pct")
    )


def _both_checked(
    path_a: Path,
    path_b: Path,
    months: list[date],
    as_of: tuple[date | None, date | None],
    checked: Callable[[], object] | None,
) -> tuple[CheckedModel, CheckedModel, list[Diagnostic]]:
    checked_a, warnings_a = load(path_a, months, as_of[0])
    checked_b, warnings_b = load(path_b, months, as_of[1])
    if checked is not None:
        checked()
    return checked_a, checked_b, [*warnings_a, *warnings_b]


def _read_once(
    checked_a: CheckedModel,
    checked_b: CheckedModel,
    data: Path,
    pseudonym: Callable[[str], str] | None,
    placing: bool = False,
) -> tuple[Dataset, list[Diagnostic]]:
    """The data read once for both models: the tables and columns either reads; with
    `placing`, a customer of a district in neither model's zones rejected, as each
    model's own run rejects it (`_unplaced_districts`)."""
    needs = data_needs(checked_a)
    for table, columns in data_needs(checked_b).items():
        needs.setdefault(table, set()).update(columns)
    diags = Diagnostics()
    requirements = _once([*checked_a.model.data_requirements, *checked_b.model.data_requirements])
    known = merged_tables(checked_a.model.vocabulary.tables, checked_b.model.vocabulary.tables)
    keep = engine_columns(checked_a.model.vocabulary) | engine_columns(checked_b.model.vocabulary)
    dataset = load_data(
        data,
        needs,
        diags,
        zones=checked_a.model.zones if placing else None,
        requirements=requirements,
        model_id=checked_a.model.id if placing else None,
        known=known,
        pseudonym=pseudonym,
        keep=keep,
        unused=unused_tables(checked_a.model.vocabulary, needs)
        & unused_tables(checked_b.model.vocabulary, needs),
    )
    diags.raise_if_errors()
    return dataset, list(diags)


def load_each(
    path_a: Path,
    path_b: Path,
    data: Path,
    months: list[date],
    as_of: tuple[date | None, date | None] = (None, None),
    pseudonym: Callable[[str], str] | None = None,
    checked: Callable[[], object] | None = None,
) -> tuple[CheckedModel, CheckedModel, Dataset, Dataset, list[Diagnostic]]:
    """Both models checked (each as in force on its `as_of` date, where one is given) and
    the data read for each: once, with what either needs, where the two read it alike
    (`_read_once`); by each model's own rules where they do not (`reading_differences`),
    so that each side pays what its own run pays — read once with the first model's
    rules, a variant rejecting attendance over 5 hours was paid 6 549,05 kr where its
    own run pays 5 349,05, and the two were said to pay the same. The warnings of both
    (the models' and the data's: rejected rows). `checked` is called between checking
    and reading: a command that will draw charts starts loading their library there,
    while Polars reads (checking a model is Python's work, which the import would
    slow)."""
    checked_a, checked_b, warnings = _both_checked(path_a, path_b, months, as_of, checked)
    differences = reading_differences(checked_a, checked_b)
    if not differences:
        dataset, read = _read_once(checked_a, checked_b, data, pseudonym)
        unplaced = _unplaced_districts(checked_a, checked_b, dataset)
        differences = _alone(unplaced[0] ^ unplaced[1])
        differences += rejected_for_one(checked_a, checked_b, dataset)
        if not differences:
            if unplaced[0]:  # both reject its customers, as their own runs do
                dataset, read = _read_once(checked_a, checked_b, data, pseudonym, placing=True)
            return checked_a, checked_b, dataset, dataset, distinct([*warnings, *read])
    dataset_a, read_a = load_dataset(checked_a, data, pseudonym=pseudonym)
    dataset_b, read_b = load_dataset(checked_b, data, pseudonym=pseudonym)
    told = Diagnostic(
        "read-differently",
        "the two models read the data differently, so each reads it by its own rules "
        "(a row one of them rejects is paid by the other as its own run pays it): "
        + "; ".join(differences),
        severity="warning",
    )
    return checked_a, checked_b, dataset_a, dataset_b, distinct([*warnings, *read_a, *read_b, told])


def rejected_for_one(a: CheckedModel, b: CheckedModel, dataset: Dataset) -> list[str]:
    """The columns of rejected rows that one model checks and the other does not (one
    it alone declares or reads): the other's own run keeps such a row and pays it. The
    data read once for both rejected a customer for a distance only B declares, and A
    was paid 3 000 kr less than its own run pays."""
    alone = _checked_alone(a, b)
    named: dict[str, set[str]] = {}  # table -> the columns its rejected rows name
    for reject in dataset.rejects if alone else ():  # one pass over the rejected rows
        named.setdefault(reject["table"], set()).update(str(reject["column"]).split(", "))
    out = []
    for table, columns in alone.items():
        rejected = {c for c in columns if dataset.header(table, c) in named.get(table, ())}
        if rejected:
            out.append(f"`{table}`: checked by one model alone: " + ", ".join(sorted(rejected)))
    return out


def _checked_alone(a: CheckedModel, b: CheckedModel) -> dict[str, set[str]]:
    """Per table, the columns one model's reading checks and the other's does not."""
    checked = [_checked_columns(a), _checked_columns(b)]
    names = set(checked[0]) | set(checked[1])
    alone = {n: checked[0].get(n, set()) ^ checked[1].get(n, set()) for n in names}
    return {n: columns for n, columns in alone.items() if columns}


def _checked_columns(m: CheckedModel) -> dict[str, set[str]]:
    """Per table of the model's vocabulary, the columns its reading decodes and checks."""
    needs, keep = data_needs(m), engine_columns(m.model.vocabulary)
    requirements = list(m.model.data_requirements)
    return {
        name: columns_read(name, table, needs.get(name), keep, requirements)
        for name, table in m.model.vocabulary.tables.items()
    }


def _unplaced_districts(
    a: CheckedModel, b: CheckedModel, dataset: Dataset
) -> tuple[set[str], set[str]]:
    """The customers' districts each model places in none of its zones (nor does the
    data's `zones` table for it): a run rejects their customers. The data was read once
    with no zones, so a customer one of the two rejects was paid by both — and where
    both rejected it, the comparison stopped with an error its runs do not make."""
    customers = dataset.tables.get(_customers(a))
    if customers is None or "district" not in customers.columns:  # neither has zones
        return set(), set()
    found = customers["district"].drop_nulls().unique().to_list()
    out = []
    for m in (a, b):
        diags = Diagnostics()  # a contradicting `zones` row: the run's own error, later
        zones = zones_with_data(m.model.zones, dataset, m.model.id, diags)
        out.append({str(d) for d in found if d not in _placed(zones)} if zones else set())
    return out[0], out[1]


def _customers(checked: CheckedModel) -> str:
    return checked.model.vocabulary.parties["customer"].table


def districts_differences(a: CheckedModel, b: CheckedModel) -> list[str]:
    """A district in the zones of one model alone: a customer there is rejected by the
    other's run (a `zones` table in the data may place it for both, so this is what
    the models write, not yet what the data holds)."""
    if bool(a.model.zones) != bool(b.model.zones):  # one rejects a district in none
        return ["`customers`: zones in one model alone (its run rejects a district in none)"]
    return _alone(_placed(a.model.zones) ^ _placed(b.model.zones))


def _alone(districts: set[str]) -> list[str]:
    """The difference of reading said, where there is one."""
    if not districts:
        return []
    return [
        "`customers`: a district in a zone of one model alone (its customers the other "
        "rejects): " + ", ".join(sorted(districts))
    ]


def _placed(zones: dict[str, list[str]]) -> set[str]:
    return {district for districts in zones.values() for district in districts}


def reading_differences(a: CheckedModel, b: CheckedModel) -> list[str]:
    """How two models read a table both read differently — its key, a file that may be
    missing, times in order, the longest a row lasts, its periods, a column's range,
    code list (or its codes), emptiness or default where either checks the column, a
    data requirement — each as `diff` says it."""
    needs_a, needs_b = data_needs(a), data_needs(b)
    tables_a, tables_b = a.model.vocabulary.tables, b.model.vocabulary.tables
    checked_a, checked_b = _checked_columns(a), _checked_columns(b)
    out = []
    for name in sorted(set(needs_a) & set(needs_b)):
        table_a, table_b = tables_a.get(name), tables_b.get(name)
        if table_a is None or table_b is None:
            continue
        told = table_changes(table_a, table_b)
        # the columns either checks, not only those its rules read: a customer's table
        # is checked whole, and a key or a period's end is checked where no rule reads it
        read = (checked_a[name] | checked_b[name]) & set(table_a.columns) & set(table_b.columns)
        for column in sorted(read):
            column_a, column_b = table_a.columns[column], table_b.columns[column]
            if declared_column(column_a) != declared_column(column_b):
                told.append(f"{column}: {column_words(column_a)} → {column_words(column_b)}")
            elif codes := _codes_changed(column_a, column_b):
                told.append(f"{column}: codes {codes}")
        required = [
            {_requirement_key(r) for r in m.model.data_requirements if r.table == name}
            for m in (a, b)
        ]
        if required[0] != required[1]:
            told.append("data_requirements")
        out += [f"`{name}`: {line}" for line in told]
    return out


def _codes_changed(a: Column, b: Column) -> str:
    """The codes one column's list has and the other's lacks (`+ c; − d`): a code list
    is declared by name, and a list of one model with a code added was read with the
    codes of both, so the other paid a customer its own run rejects."""
    codes_a = getattr(a.type, "values", None) or ()
    codes_b = getattr(b.type, "values", None) or ()
    added = [c for c in codes_b if c not in codes_a]
    removed = [c for c in codes_a if c not in codes_b]
    return "; ".join(
        sign + " " + ", ".join(codes) for sign, codes in (("+", added), ("−", removed)) if codes
    )


def _once(requirements: list[DataRequirement]) -> list[DataRequirement]:
    """Each data requirement once: a model compared with its own variant checked the
    same requirement twice, and each row lacking it was "1 row rejected: … (and others
    like it)"."""

    kept: dict[tuple[Any, ...], DataRequirement] = {}
    for requirement in requirements:
        kept.setdefault(_requirement_key(requirement), requirement)
    return list(kept.values())


def _requirement_key(r: DataRequirement) -> tuple[Any, ...]:
    """A data requirement by what it asks of which rows (its name aside)."""
    where = tuple(sorted((column, repr(values)) for column, values in r.where.items()))
    return (r.table, tuple(r.any_of), where, r.reason)


def distinct(warnings: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each warning once (a model compared with itself, or with a scenario extending
    it, warns twice of the same place)."""
    return list({w.render(): w for w in warnings}.values())


def customer_attributes(
    dataset: Dataset, result: RunResult, granted: RunResult | None = None
) -> pl.DataFrame:
    """Who each customer-month is: zone, district, provider ownership, level (the
    highest of its decisions'), and the band of its granted hours — the model's own
    `specification: granted_time:` (of `granted`, else of `result`), none where the
    model names none. The band was the sum of `granted_minutes` of decisions of
    `omsorg` and `service`: a model granting `hours_per_month` had every customer in
    0–10 h, and the day-weighted time the report's heading promised was not it."""
    frames = []
    roles = result.roles
    for month in result.months:
        cm = ids_as_text(
            month.frames[roles.customer_month].select(
                "customer_id", "provider_id", "district", "zone", "ownership"
            )
        )
        levels = ids_as_text(  # grouped by the run's numbered ids, named in text after
            month.frames[roles.decision]
            .group_by("customer_id", "provider_id")
            .agg(pl.col("level").max())
        )
        frames.append(
            cm.join(levels, on=["customer_id", "provider_id"], how="left").with_columns(
                pl.lit(month.plan.month.strftime("%Y-%m")).alias("month")
            )
        )
    attributes = pl.concat(frames, how="diagonal_relaxed")
    hours = _granted_hours(granted if granted is not None else result)
    if hours is None:
        attributes = attributes.with_columns(pl.lit(None, dtype=pl.Float64).alias("granted_hours"))
    else:
        attributes = attributes.join(hours, on=KEYS, how="left")
    band = pl.lit(None, dtype=pl.String)
    for low, high in reversed(HOUR_BANDS):
        label = f"{low}–{high} h" if high < 10_000 else f"{low}+ h"
        band = (
            pl.when((pl.col("granted_hours") >= low) & (pl.col("granted_hours") < high))
            .then(pl.lit(label))
            .otherwise(band)
        )
    return attributes.with_columns(band.alias("hours_band"))


def _granted_hours(result: RunResult) -> pl.DataFrame | None:
    """Each customer-month's granted hours, as its model names them (`granted_time`)."""
    name = result.checked.model.granted_time
    if name is None:
        return None
    parts = []
    for month in result.months:
        frame = month.frames[result.roles.customer_month]
        if name not in frame.columns:
            return None
        parts.append(
            ids_as_text(
                frame.select(
                    pl.lit(month.plan.month.strftime("%Y-%m")).alias("month"),
                    "provider_id",
                    "customer_id",
                    (pl.col(name).cast(pl.Float64) / 60).alias("granted_hours"),
                )
            )
        )
    return pl.concat(parts).unique(subset=KEYS)


def _customer_months(result: RunResult) -> pl.DataFrame:
    """Every customer-month of a run (month, provider, customer), paid or not."""
    frames = [
        ids_as_text(month.frames[result.roles.customer_month].select("provider_id", "customer_id"))
        .with_columns(pl.lit(month.plan.month.strftime("%Y-%m")).alias("month"))
        .select(KEYS)
        for month in result.months
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(KEYS, pl.String))


def _with_provider_ownership(
    customers: pl.DataFrame, attributes: pl.DataFrame, listed: pl.DataFrame | None
) -> pl.DataFrame:
    """A provider's own lines (a supplement, VAT compensation) have no customer, and so
    had no ownership: "per driftform" put a private provider's 300 kr under "(per
    utförare, eller saknas)". The provider's ownership is its customers', or its row's
    in the providers' table (a short-term home paid per stay has no customer-month)."""
    owners = attributes.select("provider_id", pl.col("ownership").alias("_owner")).unique(
        "provider_id"
    )
    providers = ids_as_text(listed) if listed is not None else pl.DataFrame()
    if {"provider_id", "ownership"} <= set(providers.columns):
        table = providers.select("provider_id", pl.col("ownership").alias("_listed"))
        owners = owners.join(table, on="provider_id", how="full", coalesce=True).select(
            "provider_id", pl.coalesce("_owner", "_listed").alias("_owner")
        )
    return (
        customers.join(owners, on="provider_id", how="left")
        .with_columns(pl.col("ownership").fill_null(pl.col("_owner")))
        .drop("_owner")
    )


def compare_results(
    a: RunResult, b: RunResult, dataset: Dataset, label_a: str, label_b: str
) -> Comparison:
    def per(result: RunResult, keys: list[str], name: str) -> pl.DataFrame:
        # provider-level lines (VAT compensation) form a row with no customer
        return result.lines.group_by(keys).agg(pl.col("amount_ore").sum().alias(name))

    customers = per(a, KEYS, "amount_a_ore").join(
        per(b, KEYS, "amount_b_ore"), on=KEYS, how="full", coalesce=True, nulls_equal=True
    )
    customers = customers.with_columns(
        pl.col("amount_a_ore").fill_null(0), pl.col("amount_b_ore").fill_null(0)
    )
    customers = customers.with_columns(
        (pl.col("amount_b_ore") - pl.col("amount_a_ore")).alias("diff_ore")
    )
    declared = a if a.checked.model.granted_time is not None else b
    attributes = customer_attributes(dataset, a, declared).unique(subset=KEYS)
    every = pl.concat([attributes.select(KEYS), _customer_months(b)]).unique()
    customers = every.join(customers, on=KEYS, how="full", coalesce=True, nulls_equal=True)
    customers = customers.with_columns(pl.col("^amount_._ore|diff_ore$").fill_null(0))
    customers = customers.join(attributes, on=KEYS, how="left").sort(KEYS, nulls_last=True)
    customers = _with_provider_ownership(customers, attributes, provider_table(a.checked, dataset))
    category_keys = ["month", "provider_id", "category"]
    categories = per(a, category_keys, "amount_a_ore").join(
        per(b, category_keys, "amount_b_ore"), on=category_keys, how="full", coalesce=True
    )
    categories = categories.with_columns(
        pl.col("amount_a_ore").fill_null(0), pl.col("amount_b_ore").fill_null(0)
    )
    categories = categories.with_columns(
        (pl.col("amount_b_ore") - pl.col("amount_a_ore")).alias("diff_ore")
    ).sort(category_keys)
    # provider totals include every line (provider-level payments such as VAT compensation too)
    totals_a = a.lines.group_by("provider_id").agg(pl.col("amount_ore").sum().alias("amount_a_ore"))
    totals_b = b.lines.group_by("provider_id").agg(pl.col("amount_ore").sum().alias("amount_b_ore"))
    providers = totals_a.join(totals_b, on="provider_id", how="full", coalesce=True).with_columns(
        pl.col("amount_a_ore").fill_null(0), pl.col("amount_b_ore").fill_null(0)
    )
    providers = providers.with_columns(
        (pl.col("amount_b_ore") - pl.col("amount_a_ore")).alias("diff_ore")
    )
    providers = providers.with_columns(
        pl.when(pl.col("amount_a_ore") != 0)
        .then((pl.col("diff_ore") / pl.col("amount_a_ore") * 100).round(2))
        .otherwise(None)
        .alias("diff_pct")
    ).sort("provider_id")
    names = pl.concat([a.providers, b.providers]).unique("provider_id", keep="first")
    providers = providers.join(names, on="provider_id", how="left").select(
        "provider_id", "name", pl.exclude("provider_id", "name")
    )
    granted_time = declared.checked.model.granted_time
    applied = [("A", x) for x in a.assumptions] + [("B", x) for x in b.assumptions]
    return Comparison(label_a, label_b, customers, categories, providers, granted_time, applied)


def compare(path_a: Path, path_b: Path, data: Path, months: list[date]) -> Comparison:
    checked_a, checked_b, dataset_a, dataset_b, _ = load_each(path_a, path_b, data, months)
    a = run_model(checked_a, dataset_a, months)
    b = run_model(checked_b, dataset_b, months)
    return compare_results(a, b, dataset_a, label(checked_a), label(checked_b))


def label(checked: CheckedModel) -> str:
    """How a comparison names a model: its id, and the date its rules are taken from
    when that is not each month's own."""
    model = checked.model
    return model.id + (f" (regler per {model.as_of.isoformat()})" if model.as_of else "")


def labels(a: CheckedModel, b: CheckedModel) -> tuple[str, str]:
    """Labels that tell A from B: two versions of one model with the same id are told
    apart by their versions, else by their files."""
    first, second = label(a), label(b)
    for tell in (lambda m: m.version, lambda m: Path(m.files[0]).name if m.files else ""):
        if first != second:
            break
        x, y = tell(a.model), tell(b.model)
        if x != y:
            first, second = f"{first} ({x})", f"{second} ({y})"
    if first == second:
        first, second = f"A: {first}", f"B: {second}"
    return first, second


# ----------------------------------------------------------------------------- what-ifs

_SETTING = re.compile(
    r"^\s*([^\[\].=\s]+)\s*(?:\[([^\]]*)\])?\s*(?:\.(under|up_to|value))?\s*=\s*(.+?)\s*$"
)


@dataclass(frozen=True)
class Target:
    """What a setting names: a scalar, a table cell, or a step bracket's bound or value."""

    param: Parameter
    key: tuple[str, ...] | None = None  # a table cell
    index: int | None = None  # a step bracket, from 0
    part: str | None = None  # "under" | "value"
    new_cell: bool = False  # a cell the table does not list, of keys the model knows

    @property
    def whole(self) -> bool:
        """Whether it holds whole numbers only (a count): a goal seek steps by one."""
        typ = self.param.bracket_type if self.part == "under" else self.param.type
        return typ == t.COUNT

    @property
    def unit(self) -> str:
        """The unit its value is written in (a bracket bound: the brackets' own, as the
        rule file writes the first: `10 h`, where a goal seek said `600 min`)."""
        if self.part == "under":  # a count's bounds (`under: count`) have no unit to write
            unit = self.param.bounds_unit
            return unit if unit in t.UNITS else ""
        return self.param.unit


def _bad(code: str, message: str, hint: str | None = None) -> EngineError:
    return EngineError([Diagnostic(code, message, hint=hint)])


def resolve_target(checked: CheckedModel, target: str) -> Target:
    """`timpris`, `nivåbelopp[tätort, 12]` or `kontrollnivåer[2].under`, checked against
    the model: every mistake is a message with a hint, never a traceback."""
    match = _SETTING.match(f"{target}=0")
    if not match:
        raise _bad(
            "bad-value",
            f"`{target}` is not a parameter or a cell of one",
            "write NAME, NAME[key, key] or NAME[2].under",
        )
    name, keys, written, _ = match.groups()
    part = "under" if written == "up_to" else written  # a bracket's bound
    param = checked.model.parameters.get(name)
    if param is None:
        close = difflib.get_close_matches(name, list(checked.model.parameters), n=1)
        raise _bad(
            "unknown-name",
            f"the model has no parameter `{name}`",
            f"did you mean `{close[0]}`?" if close else None,
        )
    if param.kind == "scalar":
        if keys is not None or part is not None:
            raise _bad("bad-lookup", f"`{name}` is one value, not a table", f"write {name}=VALUE")
        return Target(param)
    if param.kind == "table":
        return _table_cell(checked, param, keys, part)
    if param.kind in ("list", "bands"):  # dates or bands, no number to set
        what = "a list of dates" if param.kind == "list" else "time bands"
        raise _bad(
            "bad-lookup",
            f"`{name}` is {what}, which a study cannot set: it sets a number, a cell of a "
            "table or a bracket of a step table",
            f"write the changed `{name}` in a scenario, a model file that `extends:` this "
            "one, and run it with --scenario",
        )
    if written in ("under", "up_to") and param.kind == "steps" and written != param.bound_word:
        # the bound of `up_to: 9 h` holds 9 h, of `under: 9 h` not: the word the table
        # does not use was taken for the one it does, and 9 h paid by the other bracket
        holds = "is in" if param.inclusive else "is not in"
        raise _bad(
            "bad-lookup",
            f"`{name}`'s brackets are written `{param.bound_word}:` (a bound {holds} its "
            f"bracket), not `{written}:`",
            f"write {name}[{keys}].{param.bound_word}=VALUE",
        )
    return _bracket(param, keys, part)


def _table_cell(
    checked: CheckedModel, param: Parameter, keys: str | None, part: str | None
) -> Target:
    """The cell a setting names: one the table lists, or one it does not whose keys are
    each a value the model knows for its key — a district of its zones, a zone, a code
    of a code list of that name — so that a study can give a district the table leaves
    to `otherwise:` a value of its own (`tillägg[Norrby]=30`); a key no row can have
    (`Norby`) would change nothing, and is an error with the one meant."""
    cell = f"{param.name}[{', '.join(param.keys)}]"
    if keys is None or part is not None:
        raise _bad("bad-lookup", f"`{param.name}` is a table: name a cell", f"write {cell}=VALUE")
    key = tuple(k.strip().strip("\"'") for k in keys.split(","))
    if len(key) != len(param.keys):
        raise _bad(
            "bad-lookup",
            f"`{param.name}` has {len(param.keys)} key(s) ({', '.join(param.keys)}), "
            f"but {len(key)} were given",
            f"write {cell}=VALUE",
        )
    listed = {k for dated in param.values for k in (dated.value or {})}
    if key in listed:
        return Target(param, key=key)
    known = [
        {k[i] for k in listed} | checked.model.key_values(name) for i, name in enumerate(param.keys)
    ]
    wrong = [(i, k) for i, k in enumerate(key) if k not in known[i]]
    if not wrong:
        return Target(param, key=key, new_cell=True)
    i, value = wrong[0]
    close = closest(value, sorted(known[i]))
    shown = ", ".join(sorted(known[i])[:12]) + (" …" if len(known[i]) > 12 else "")
    raise _bad(
        "bad-lookup",
        f"`{param.name}` has no cell [{', '.join(key)}]: `{value}` is no {param.keys[i]} "
        "the model knows",
        f"did you mean `{close}`?" if close else f"{param.keys[i]}: {shown}",
    )


def _bracket(param: Parameter, keys: str | None, part: str | None) -> Target:
    usage = f"write {param.name}[2].{param.bound_word}=VALUE or {param.name}[2].value=VALUE"
    if keys is None or part is None or not keys.strip().isdigit():
        raise _bad("bad-lookup", f"`{param.name}` is a step table: name a bracket", usage)
    count = max((len(d.value or []) for d in param.values), default=0)
    index = int(keys) - 1
    if not 0 <= index < count:
        raise _bad("bad-lookup", f"`{param.name}` has no bracket {keys}", f"brackets 1–{count}")
    return Target(param, index=index, part=part)


def dates_replaced(checked: CheckedModel, setting: str, months: list[date]) -> list[date]:
    """The starts of the parameter's dated values that the months run are paid by, where
    there are several (an indexation on 1 February in a run of January to March):
    `--set` gives each month the one value set, which the reader of the comparison
    should be told. Empty where the months share one value."""
    param = resolve_target(checked, setting.partition("=")[0]).param
    used = {
        dated.start
        for month in months
        if (dated := param.value_on(checked.model.in_force_on(month))) is not None
    }
    return sorted(used) if len(used) > 1 else []


def with_setting(checked: CheckedModel, setting: str, option: str = "--set") -> CheckedModel:
    """A copy of the model with one parameter changed on every date:
    `timpris=480`, `nivåbelopp[tätort, 12]=22000`, `kontrollnivåer[2].under=50 %`.
    The value is read and checked as the rule file's own values are; a mistake is
    told as of `option` (a value of `--sweep` is no `--set` the user wrote)."""
    match = _SETTING.match(setting)
    if not match:
        raise _bad(
            "bad-value",
            f"`{setting}` is not a setting",
            "write NAME=VALUE, NAME[key, key]=VALUE or NAME[2].under=VALUE",
        )
    text = match.group(4)
    target = resolve_target(checked, setting.partition("=")[0])
    value, errors = setting_value(target.param, text, target.part)
    if errors:
        raise EngineError([replace(e, message=f"{option} {setting}: {e.message}") for e in errors])
    if target.param.name in checked.multiples and isinstance(value, Decimal) and value <= 0:
        raise _bad(
            "bad-value",
            f"{option} {setting}: `{target.param.name}` is what a rule rounds to a multiple of, "
            "and a multiple is above zero",
            f"set {target.param.name} to a value above 0",
        )
    if target.param.name in checked.nonzero and isinstance(value, Decimal) and value == 0:
        raise _bad(
            "division-by-zero",
            f"{option} {setting}: a formula divides by `{target.param.name}`, and by 0 no row "
            "would have a value",
            f"set {target.param.name} to a value other than 0",
        )
    codes = checked.codes.get(target.param.name)
    if codes is not None and isinstance(value, str) and value not in codes:
        raise _bad(
            "unknown-value",
            f"{option} {setting}: a formula compares `{target.param.name}` with a column that is "
            f'never "{value}"',
            codes_hint(value, tuple(sorted(codes))),
        )
    model = copy.copy(checked.model)
    model.parameters = dict(model.parameters)
    param = copy.copy(target.param)  # its indexation shared: the checker typed its formula
    param.values = copy.deepcopy(target.param.values)
    model.parameters[param.name] = param
    for dated in param.values:
        dated.value = _changed(target, dated.value, value, f"{option} {setting}")
    if param.indexation is not None:  # the value set is the value, not a base to index
        if target.key is not None:  # the other cells are indexed as before
            param.pinned = {**param.pinned, target.key: value}
        elif target.index is not None and target.part != "under":  # bounds are not indexed
            param.pinned = {**param.pinned, target.index: value}
        elif target.index is None:
            param.indexation = None
    return replace(checked, model=model)


def _changed(target: Target, old: Any, value: Any, setting: str) -> Any:
    if target.key is not None:
        return {**old, target.key: value} if target.key in old or target.new_cell else old
    if target.index is None:
        return value
    if target.index >= len(old):
        return old
    brackets = list(old)
    under, result = brackets[target.index]
    brackets[target.index] = (value, result) if target.part == "under" else (under, value)
    bounds = [b for b, _ in brackets]
    if any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
        bound = target.param.bound_word
        raise _bad(
            "bad-value",
            f"{setting}: the brackets of `{target.param.name}` would no longer be in "
            f"increasing order of `{bound}`",
            f"each bracket's `{bound}` must be above the one before it",
        )
    return brackets


def one_change_a_cell(checked: CheckedModel, changes: list[tuple[str, str]]) -> None:
    """Stop where two changes (`--set`, `--sweep`, `--solve`, each with its text) give
    one parameter, or one cell of it, two values: the later replaced the earlier without
    a word — `--set vak_timpris=1000 kr/h --set vak_timpris=460 kr/h` compared the model
    with itself, and a sweep of a cell also set left the setting out."""
    seen: list[tuple[str, Target]] = []
    for option, text in changes:
        cell = text.partition("=")[0].strip()
        target = resolve_target(checked, cell)
        for earlier, other in seen:
            if other.param.name == target.param.name and (
                _whole_parameter(other) or _whole_parameter(target) or _cell(other) == _cell(target)
            ):
                raise _bad(
                    "bad-value",
                    f"{earlier} and {option} {text} both change `{target.param.name}`"
                    + ("" if _whole_parameter(target) else f" ({cell})"),
                    "give a parameter, or a cell of one, one value: the later would replace "
                    "the earlier",
                )
        seen.append((f"{option} {text}", target))


def _whole_parameter(target: Target) -> bool:
    return target.key is None and target.index is None


def _cell(target: Target) -> tuple[Any, ...]:
    return (target.key, target.index, target.part)


def parameter_name(target: str) -> str:
    """The parameter a setting target names: `kontrollnivåer[2].under` → kontrollnivåer."""
    match = _SETTING.match(f"{target}=0")
    return match.group(1) if match else target


MAX_SWEEP_POINTS = 1000


def sweep_values(spec: str) -> tuple[str, list[str]]:
    """`PARAM=START:STOP:STEP` (units allowed: `kontrollnivåer[2].under=25 %:85 %:5 %`)."""
    target, _, values = spec.partition("=")
    parts = [p.strip() for p in values.split(":")]
    if len(parts) != 3:
        raise EngineError(
            [
                Diagnostic(
                    "bad-value",
                    f"`{spec}` is not a sweep",
                    hint="write PARAM=START:STOP:STEP, e.g. timpris=400:500:10",
                )
            ]
        )
    written = [q[1] for q in map(split_quantity, parts) if q is not None and q[1]]
    unit = written[0] if written else ""  # START's, or the first written (`400:500:50 kr/h`)
    start, stop, step = (_as_written(p, unit) for p in parts)
    if start is None or stop is None or step is None:
        raise EngineError(
            [
                Diagnostic(
                    "bad-value",
                    f"`{spec}` is not a sweep",
                    hint="START, STOP and STEP are numbers"
                    + (f" in {unit}, or in a unit of its kind" if unit else ""),
                )
            ]
        )
    if step <= 0 or stop < start:
        raise _bad(
            "bad-value",
            f"`{spec}` is not a sweep: it must go up from START to STOP by a STEP above 0",
            "e.g. timpris=400:500:10",
        )
    if (stop - start) / step > MAX_SWEEP_POINTS:
        raise _bad(
            "bad-value",
            f"`{spec}` has {int((stop - start) / step) + 1} points; a sweep has at most "
            f"{MAX_SWEEP_POINTS}",
            "take a larger step",
        )
    out, current = [], start
    while current <= stop + step / 1000:
        out.append(f"{_read_back(f'{current.normalize():f}')}{' ' + unit if unit else ''}")
        current += step
    return target.strip(), out


def _as_written(text: str, unit: str) -> Decimal | None:
    """A sweep's START, STOP or STEP in the unit START is written in (`400 SEK/h`): a
    number without a unit is in it, one in another unit of its kind (`8 SEK/min`) is
    converted, one of another kind is no value. Stepping the numbers as written keeps
    `400:500:50 SEK/h` at 400, 450 and 500 kr an hour: they were converted to the
    internal kronor a minute and shown again as an hour's (6.67 "SEK/h"), so a sweep of
    the hourly price swept a sixtieth of it."""
    parts = split_quantity(text)
    if parts is None:
        return None
    number, own = parts
    if own is None or own == unit:
        return number
    if own not in t.UNITS or unit not in t.UNITS or t.UNITS[own][0] != t.UNITS[unit][0]:
        return None
    return t.to_written(t.from_written(number, own), unit)


# ----------------------------------------------------------------------------- goal seek


def current_value(checked: CheckedModel, target: str, day: date) -> tuple[Decimal, str]:
    """The value a setting target has on `day`, in the unit it is written in."""
    resolved = resolve_target(checked, target)
    param = resolved.param
    dated = param.value_on(day)
    if dated is None:
        raise _bad("no-value-in-force", f"`{param.name}` has no value on {day.isoformat()}")
    value = dated.value
    if resolved.key is not None:
        value = value.get(resolved.key)
    elif resolved.index is not None:
        under, result = value[resolved.index]
        value = under if resolved.part == "under" else result
    if not isinstance(value, Decimal):
        raise _bad(
            "bad-value",
            f"`{target}` is not a number, so no value of it can be solved for",
            "solve for an amount, a rate, a time or a share",
        )
    unit = resolved.unit
    return t.to_written(value, unit), unit


# what a value too far from any paid makes a run stop with: a side of a goal seek's
# bracket goes no further than the last value that ran
BEYOND_WHAT_IS_PAID = frozenset({"amount-too-large", "cannot-compute"})


def solve(
    checked: CheckedModel,
    dataset: Dataset,
    months: list[date],
    target: str,
    goal_ore: int,
    iterations: int = 60,
) -> tuple[str, int, int]:
    """The value of `target` whose run totals `goal_ore` (to the öre where a value does,
    else the nearest: the total jumps in steps of whole öre or more): bracket by
    doubling, then bisect. Returns the setting
    that reaches it, written with its unit (`kontrollnivåer[2].under=49.6104 %`), the
    total and the number of runs."""
    start, unit = current_value(checked, target, months[0])
    # a count is sought among whole numbers: 4,5 days is no value to set
    resolved = resolve_target(checked, target)
    resolution = Decimal(1) if resolved.whole else SOLVE_DECIMALS
    runs = 0
    first: RunResult | None = None
    changed = frozenset({parameter_name(target)})

    def total(value: Decimal) -> int:
        nonlocal runs, first
        runs += 1
        variant = with_setting(checked, f"{target}={written(value, unit)}")
        result = run_model(variant, dataset, months, reuse=first, changed=changed)
        first = first or result
        return int(result.lines["amount_ore"].sum() or 0)

    def valid(candidate: Decimal, towards: Decimal) -> Decimal:
        """The candidate, or the nearest value halfway back towards a valid one that
        the model accepts (a bracket's bound stays between its neighbours). A value
        does not cross 0 from the model's own: a price of 380 kr/h was solved to
        −6 713 kr/h, an amount no municipality pays."""
        if start * candidate < 0:
            candidate = Decimal(0)
        for _ in range(40):
            try:
                with_setting(checked, f"{target}={written(candidate, unit)}")
                return candidate
            except EngineError:
                candidate = ((candidate + towards) / 2).quantize(resolution)
        return towards

    def gives(value: Decimal, amount: int) -> bool:
        """Whether the model accepts the value and its run totals `amount`."""
        try:
            with_setting(checked, f"{target}={written(value, unit)}")
        except EngineError:
            return False
        return total(value) == amount

    def computable(value: Decimal) -> int | None:
        """The total, or None where the value makes a line too large to pay to the
        öre (`amount-too-large`) or a date beyond the calendar (`cannot-compute`: a
        frist a formula multiplies, doubled): the doubling went past every sensible
        value, and the goal seek stopped with that run's error."""
        try:
            return total(value)
        except EngineError as error:
            if any(d.code in BEYOND_WHAT_IS_PAID for d in error.diagnostics):
                return None
            raise

    low, high = start, start
    f_low = f_high = own = total(start)
    step = abs(start) or Decimal(1)
    ends = {"low": False, "high": False}  # a side that can go no further
    while not (min(f_low, f_high) <= goal_ore <= max(f_low, f_high)) and runs < iterations:
        step *= 2
        new_low = low if ends["low"] else valid(start - step, low)
        new_high = high if ends["high"] else valid(start + step, high)
        if (new_low, new_high) == (low, high):
            break  # neither side can go further
        if new_low != low:
            found = computable(new_low)
            ends["low"] = found is None
            if found is not None:
                low, f_low = new_low, found
        if new_high != high:
            found = computable(new_high)
            ends["high"] = found is None
            if found is not None:
                high, f_high = new_high, found
    if not (min(f_low, f_high) <= goal_ore <= max(f_low, f_high)):
        raise EngineError(
            [
                Diagnostic(
                    "bad-value",
                    f"no value of `{target}` reaches that total",
                    hint="the total may not depend on it, or not far enough"
                    + (" (values below 0 are not tried)" if start > 0 else "")
                    + (" (values above 0 are not tried)" if start < 0 else "")
                    + _range_said(resolved.param),
                )
            ]
        )
    while runs < iterations and abs(high - low) > resolution:
        middle = ((low + high) / 2).quantize(resolution)
        f_middle = total(middle)
        if f_middle == goal_ore:  # not 1 öre off where a value reaches it exactly
            simplest = _simplest(middle, resolution, unit, lambda value: gives(value, goal_ore))
            return f"{target}={written(simplest, unit)}", f_middle, runs
        if (f_middle < goal_ore) == (f_low < goal_ore):
            low, f_low = middle, f_middle
        else:
            high, f_high = middle, f_middle
    best, f_best = (
        (low, f_low) if abs(f_low - goal_ore) <= abs(f_high - goal_ore) else (high, f_high)
    )
    # the nearest total, by the value written with the fewest decimals that gives it —
    # the model's own where nothing comes nearer: `40.737588 %` was said to reach the
    # total 40 % pays, and a reader took it for a change
    best = (
        start
        if f_best == own
        else _simplest(best, resolution, unit, lambda value: gives(value, f_best))
    )
    return f"{target}={written(best, unit)}", f_best, runs


def _range_said(param: Parameter) -> str:
    """The range a goal seek stayed within, where the parameter declares one."""
    bounds = [
        f"{word} {written}"
        for word, written in (
            ("at least", param.minimum_written),
            ("at most", param.maximum_written),
        )
        if written is not None
    ]
    return f"; `{param.name}` is {' and '.join(bounds)}" if bounds else ""


def _simplest(
    value: Decimal, resolution: Decimal, unit: str, reaches: Callable[[Decimal], bool]
) -> Decimal:
    """Of the values that reach the target, the one written with the fewest decimals
    near `value`: the total moves in whole öre (or kronor), so a range of values reaches
    it, and a goal seek that gave 19 183,959961 kr where 19 184 kr does as well gave a
    reader a number to round by hand and run again. Tried from whole units (whole per
    cents of a share) up, one run each, until one reaches it."""
    places = 2 if unit == "ratio" else 0  # a share is written in per cent
    step = Decimal(1).scaleb(-places)
    while step > resolution:
        candidate = value.quantize(step)
        if candidate != value and reaches(candidate):
            return candidate
        step /= 10
    return value


# ----------------------------------------------------------------------------- attribution


SOLVE_DECIMALS = Decimal("0.000001")  # goal seek finds a value to six decimals of its unit


def written(value: Decimal, unit: str) -> str:
    """A value as a setting writes it, with its unit and at most six decimals:
    `49.6104 %`, `480 SEK/h`; a share (`unit: ratio`) in per cent, as a reader says
    it — a goal seek's `tillägg=0.131791` is `13.1791 %`."""
    if unit == "ratio":
        return written(value * 100, "%")
    number = _read_back(f"{value.quantize(SOLVE_DECIMALS).normalize():f}")
    return f"{number} {unit}" if unit and unit not in t.UNIT_WORDS else number


def _read_back(number: str) -> str:
    """`391.875` as `391.8750`: a value carepay writes as a setting (a goal seek's
    answer, a sweep's point) reads back as the number it is, not as a price written
    with a point before three digits, which is refused (`swedish.point_in_price`)."""
    return f"{number}0" if AMBIGUOUS_POINT.fullmatch(number) else number


def provider_totals_ore(result: RunResult) -> dict[str, int]:
    return {
        p: int(v)
        for p, v in result.lines.group_by("provider_id").agg(pl.col("amount_ore").sum()).iter_rows()
    }


@dataclass(frozen=True)
class ScenarioChange:
    """A scenario as one of the changes being attributed: the model it makes."""

    label: str
    checked: CheckedModel


def scenario_change(path: Path, checked: CheckedModel) -> ScenarioChange:
    return ScenarioChange(f"--scenario {path.name}", checked)


def attribute(
    checked: CheckedModel,
    dataset: Dataset,
    months: list[date],
    settings: list[str],
    progress: Callable[[], object] = lambda: None,
    scenarios: list[ScenarioChange] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Split each provider's difference into the part of each change: a scenario (first,
    when there is one) and each setting, applied one at a time in the order given (the
    parts telescope, so they add up exactly), and, for at most six changes, as Shapley
    values (the average over every order), rounded to whole öre so that they too add up
    exactly. A setting applies on top of the scenario where both are in."""
    from itertools import combinations
    from math import factorial

    scenario = scenarios[0] if scenarios else None
    labels = ([scenario.label] if scenario else []) + settings
    offset = 1 if scenario else 0
    cache: dict[frozenset[int], dict[str, int]] = {}
    first_run: dict[bool, RunResult] = {}  # per base model, the first run, reused by others

    def totals(subset: frozenset[int]) -> dict[str, int]:
        if subset not in cache:
            with_scenario = scenario is not None and 0 in subset
            variant = scenario.checked if scenario is not None and with_scenario else checked
            picked = [i - offset for i in sorted(subset) if i >= offset]
            for i in picked:
                variant = with_setting(variant, settings[i])
            changed = frozenset(parameter_name(settings[i].partition("=")[0]) for i in picked)
            reuse = first_run.get(with_scenario)
            result = run_model(variant, dataset, months, reuse=reuse, changed=changed)
            if reuse is None and not picked:
                first_run[with_scenario] = result
            cache[subset] = provider_totals_ore(result)
            progress()
        return cache[subset]

    if scenario is not None:
        totals(frozenset({0}))  # the scenario's own run first: the others reuse it
    n = len(labels)
    everything = frozenset(range(n))
    providers = sorted(set(totals(frozenset())) | set(totals(everything)))
    rows = []
    applied: frozenset[int] = frozenset()
    for i, setting in enumerate(labels):
        before, after = totals(applied), totals(applied | {i})
        applied = applied | {i}
        rows.append(
            {
                "order": i + 1,
                "change": setting,
                **{p: after.get(p, 0) - before.get(p, 0) for p in providers},
            }
        )
    sequential = pl.DataFrame(rows)
    if n > 6:
        return sequential, None
    shapley_rows = []
    exact: dict[str, list[Decimal]] = {p: [] for p in providers}
    for i in range(n):
        others = [j for j in range(n) if j != i]
        value = {p: Decimal(0) for p in providers}
        for size in range(n):
            weight = Decimal(factorial(size) * factorial(n - size - 1)) / factorial(n)
            for subset in combinations(others, size):
                base, plus = totals(frozenset(subset)), totals(frozenset(subset) | {i})
                for p in providers:
                    value[p] += weight * (plus.get(p, 0) - base.get(p, 0))
        for p in providers:
            exact[p].append(value[p])
    rounded = {
        p: _round_keeping_sum(
            exact[p], totals(everything).get(p, 0) - totals(frozenset()).get(p, 0)
        )
        for p in providers
    }
    for i, setting in enumerate(labels):
        shapley_rows.append({"change": setting, **{p: rounded[p][i] for p in providers}})
    return sequential, pl.DataFrame(shapley_rows)


def _round_keeping_sum(values: list[Decimal], total: int) -> list[int]:
    """Whole öre that add up to `total`: floor each, then give the remainder to the
    largest fractions (largest-remainder rounding)."""
    floors = [math.floor(v) for v in values]  # (Decimal's // truncates towards zero)
    remainder = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(remainder, 0)]:
        floors[i] += 1
    return floors


# ----------------------------------------------------------------------------- sweep


def sweep(
    checked: CheckedModel,
    dataset: Dataset,
    months: list[date],
    target: str,
    values: list[str],
    base_total_ore: int,
    progress: Callable[[Iterable[str]], Iterable[str]] = iter,
) -> pl.DataFrame:
    """One row per value of `target`: the total, each provider's total and the change
    from the unchanged model, in öre. The data is read once for all values."""
    rows = []
    first: RunResult | None = None
    changed = frozenset({parameter_name(target)})
    # every value read and checked before the first run: a value the model refuses is
    # said before any work, not after the values before it ran
    models = [with_setting(checked, f"{target}={value}", "--sweep") for value in values]
    for value, model in zip(progress(values), models, strict=True):
        variant = run_model(
            model,
            dataset,
            months,
            reuse=first,
            changed=changed,
        )
        first = first or variant
        row: dict[str, object] = {
            "value": value,
            "total_ore": int(variant.lines["amount_ore"].sum() or 0),
        }
        row.update({f"{p}_ore": v for p, v in sorted(provider_totals_ore(variant).items())})
        rows.append(row)
    table = pl.DataFrame(rows).fill_null(0)
    return table.with_columns((pl.col("total_ore") - base_total_ore).alias("diff_ore"))
