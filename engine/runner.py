"""A payment run as a job that can be checked years later.

Örebro's rules give providers 14 days to dispute a month and keep the right to
reclaim wrongly paid amounts (§4.7, §5). So every run writes, next to its outputs,
`manifest.json`: what was run (model files and input files with their SHA-256), the
months, the values in force, what was rejected and excluded, and the SHA-256 of every
output. `verify` re-runs the job from the manifest and says whether every output is
the same, naming what differs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl

from engine import __version__, ast, monthly
from engine import types as t
from engine.api import (
    RunResult,
    load,
    load_dataset,
    months_between,
    provider_table,
    registrations_matter,
    run_model,
    with_paid_providers,
)
from engine.catalog import Vocabulary, base_vocabulary, schemas_dir
from engine.catalog import tables as base_tables
from engine.checker import CheckedModel
from engine.coverage import never_fired
from engine.data import Dataset, headers_directory
from engine.diagnostics import Diagnostic, EngineError
from engine.headers import COLUMNS_FILE
from engine.model import Rule
from engine.modeldiff import recorded_value, values_in_words
from engine.monthly import MonthFacts, month_bounds, month_facts
from engine.phrases import say
from engine.progress import SILENT, Stages, each, timed
from engine.reports import rejected_why, write_atomically, write_tables
from engine.workbook import (
    PARAMETER_ROWS,
    REJECTED_ROWS,
    PaymentFile,
    provider_file_names,
    sheet_column,
    write_payment_file,
)

MANIFEST = "manifest.json"
KEY_VARIABLE = "CAREPAY_PSEUDONYM_KEY"


@dataclass
class Job:
    """What a run was asked to do: enough to do it again."""

    model: str
    data: str
    first: str  # YYYY-MM
    last: str
    formats: list[str] = field(default_factory=lambda: ["csv", "parquet", "xlsx"])
    strict: bool = False
    pseudonymise: bool = False
    per_provider: bool = False  # also payments_<provider>.xlsx, one to send to each provider
    csv_dialect: str = "standard"  # or "excel-sv" (reports.CSV_DIALECTS)

    @property
    def months(self) -> list[date]:
        return months_between(_month(self.first), _month(self.last))


def _month(text: str) -> date:
    year, month = text.split("-")[:2]
    return date(int(year), int(month), 1)


@dataclass
class Conservation:
    """Every input visit once: counted, excluded, rejected, taken out by a scenario's
    assumption, or outside the months run."""

    input: int
    rejected: int
    removed_by_assumptions: int
    outside_months: int
    counted: int
    excluded: int
    problems: list[str] = field(default_factory=list)
    # rows of the model's own tables in none of the months run, by table: a date typed
    # in the wrong year is a row no month pays, and is told (not an error: an export
    # may hold other months too)
    own_outside: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        accounted = (
            self.rejected
            + self.removed_by_assumptions
            + self.outside_months
            + self.counted
            + self.excluded
        )
        return not self.problems and accounted == self.input


@dataclass
class Outcome:
    """A finished run: its result (the months' tables; their entity frames are let go
    before the outputs are written), data, account of the visits and manifest."""

    result: RunResult
    dataset: Dataset
    conservation: Conservation
    coverage: pl.DataFrame
    manifest: dict[str, Any]
    warnings: list[Diagnostic]
    facts: list[MonthFacts]  # what the outputs need of each month (its frames may be gone)


def flagged_counts(result: RunResult) -> dict[str, int]:
    """The visits each flag rule marked for a controller to look at, in the model's
    order of its flags (those that marked none left out)."""
    flags = result.flags
    if flags.height == 0:
        return {}
    counts = dict(flags.group_by("rule").len().iter_rows())
    return {r.name: counts[r.name] for r in result.checked.model.flags if r.name in counts}


# ----------------------------------------------------------------------------- exit status

# What a finished run's exit status tells a batch script (docs/cli.md): 0 clean; 3
# written, but rows were rejected; 4 written, but a month counted no visit at all (no
# visits in the data, or every one rejected or excluded) or had no decision in force
# (of a model that reads them: the wrong month's export); 5 written, but values were
# missing where an amount needed them (a payment with no value for some rows, an
# aggregation that left out rows with no value, rows in no customer's or provider's
# month, a table that may be left out not in the data). 1 is an error (nothing written), 2 a
# usage mistake, 130 an interruption.
EXIT_CLEAN, EXIT_REJECTED, EXIT_NOTHING_COUNTED, EXIT_INCOMPLETE = 0, 3, 4, 5


def exit_status(outcome: Outcome, lang: str = "en") -> tuple[int, str]:
    """The exit status of a written run, and why, in words of `lang`.

    Where several statuses apply the first of 4, 3 and 5 is the run's, and the reason
    names every one: "no visit counted" alone read as the only thing to mend where a
    calendar had no date of the year too, found only by the run after the fix."""
    reasons = _exit_reasons(outcome, lang)
    if not reasons:
        return EXIT_CLEAN, say(lang, "exit.clean")
    return reasons[0][0], "; ".join(why for _, why in reasons)


def _exit_reasons(outcome: Outcome, lang: str) -> list[tuple[int, str]]:
    """Each status that applies to a written run, with why, most pressing first."""
    reasons: list[tuple[int, str]] = []
    empty = [f"{facts.month:%Y-%m}" for facts in outcome.facts if not facts.counted]
    if not registrations_matter(outcome.result.checked):
        empty = []
    if empty:
        reasons.append((EXIT_NOTHING_COUNTED, say(lang, "exit.empty", months=", ".join(empty))))
    # visits counted, but the decisions the model reads had no row in force that month
    undecided = [
        w.where
        for w in outcome.result.warnings
        if w.code == "empty-month" and w.where and w.where not in empty
    ]
    if undecided:
        months = ", ".join(undecided)
        reasons.append((EXIT_NOTHING_COUNTED, say(lang, "exit.undecided", months=months)))
    rejected = sum(outcome.dataset.rejected_counts().values())
    if rejected:
        reasons.append((EXIT_REJECTED, say(lang, "exit.rejected", count=rejected)))
    incomplete = outcome.result.incomplete()
    if incomplete:
        reasons.append((EXIT_INCOMPLETE, _incomplete_reason(lang, incomplete)))
    return reasons


# warnings of exit 5 that are not of values missing where an amount needed them, each
# said in words of its own: "1 warning of values missing" read as a wrong value where
# a whole file of attendance was not in the data
_REVIEW_PHRASES = {
    "missing-table": "exit.missing_table",
    "unpaired-rows": "exit.unpaired",
    "stale-calendar": "exit.stale_calendar",
}


def _incomplete_reason(lang: str, incomplete: list[Diagnostic]) -> str:
    """Why a run exits 5, each kind of warning by its own words, in `lang`."""
    values = [w for w in incomplete if w.code not in _REVIEW_PHRASES]
    parts = [say(lang, "exit.incomplete", count=len(values))] if values else []
    for code, phrase in _REVIEW_PHRASES.items():
        count = sum(1 for w in incomplete if w.code == code)
        if count:
            parts.append(say(lang, phrase, count=count))
    return "; ".join(parts)


# ----------------------------------------------------------------------------- running


def execute(
    job: Job,
    out: Path,
    stages: Stages = SILENT,
    key: bytes | None = None,
) -> Outcome:
    """Run the job and write its outputs and manifest to `out`, all or nothing;
    `stages` hears of each stage as it begins (the terminal's progress)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    months = job.months
    stages.stage("rules")
    checked, warnings = load(job.model, months)
    timings["load_and_check"] = time.perf_counter() - clock
    clock = time.perf_counter()
    secret = (key if key is not None else pseudonym_key()) if job.pseudonymise else None
    stages.stage("data")
    pseudonymise = (lambda customer: pseudonym(customer, secret)) if secret else None
    columns = _customer_columns(checked)
    if monthly.applies(checked, job.data, months):  # data too big to hold whole
        parts = monthly.run_by_month(
            checked, job.data, months, columns, job.strict, pseudonymise, stages, timings
        )
        result, dataset, facts, outside = parts.result, parts.dataset, parts.facts, parts.outside
        own_outside = None
        result.warnings[:0] = warnings + parts.warnings
        timings.update((f"read_data_{phase}", s) for phase, s in dataset.timings.items())
    else:
        dataset, data_warnings = load_dataset(checked, job.data, job.strict, pseudonymise)
        timings["read_data"] = time.perf_counter() - clock
        # its phases: decode, convert_and_check, references
        timings.update((f"read_data_{phase}", s) for phase, s in dataset.timings.items())
        clock = time.perf_counter()
        by_month = partial(each, stages, "evaluate", label=lambda m: {"month": f"{m:%Y-%m}"})
        # one month of data without a scenario: the visits' table goes once the month's
        # frames are made (compile.evaluate), its months' visits counted before
        alone = len(months) == 1 and not checked.model.assumptions
        placed = _placed(checked, dataset, months) if alone else None
        # the rows of the months run, before the visits' table goes (an entity over it)
        own_outside = _own_outside(checked, dataset, months) if alone else None
        result = run_model(checked, dataset, months, by_month, let_go=alone)
        result.warnings[:0] = warnings + data_warnings
        timings["evaluate"] = time.perf_counter() - clock
        if placed is None:  # counted in the data as the model ran on it (a scenario's)
            placed = _placed(checked, result.dataset or dataset, months)
        with timed(timings, "account_for_visits"):  # each month's visits checked
            facts, outside = _facts(result, placed, columns)
    empty = [w for w in result.warnings if w.code == "empty-month"]
    unsure = empty + result.incomplete()
    if job.strict and unsure:
        raise EngineError([replace(w, severity="error") for w in unsure])
    # its phases, all months together: frames, aggregations, overlaps_and_bands, rules, lines
    timings.update((f"evaluate_{phase}", seconds) for phase, seconds in result.timings.items())
    stages.stage("account")
    with timed(timings, "account_for_visits"):  # and the months' facts added up
        conservation = account(result, dataset, facts, outside, own_outside)
    if not conservation.balanced:
        raise EngineError(
            [
                Diagnostic(
                    "internal",
                    "the run does not account for every visit exactly once: "
                    + "; ".join(conservation.problems or [str(asdict(conservation))]),
                    hint="this is a bug in carepay; please report it with the data",
                )
            ]
        )
    coverage = _summed_coverage([f.coverage for f in facts])
    manifest = _manifest(job, result, dataset, conservation, coverage)
    # the outputs are made of the months' tables and facts, not of the entities' frames:
    # those (2 GB at 10 M visits) go before the outputs are written
    for month in result.months:
        month.frames = {}
    clock = time.perf_counter()
    stages.stage("write")

    def write(directory: Path) -> None:
        phases: dict[str, float] = {}
        _write_outputs(directory, job, result, dataset, coverage, facts, phases)
        manifest["outputs"] = _hashes(directory)
        timings["write"] = time.perf_counter() - clock
        timings.update((f"write_{phase}", seconds) for phase, seconds in phases.items())
        manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
        write_manifest(directory, manifest)

    write_atomically(out, write)
    return Outcome(result, dataset, conservation, coverage, manifest, result.warnings, facts)


def _customer_columns(checked: Any) -> list[str]:
    """The customer-month columns payments.xlsx shows."""
    return list(
        dict.fromkeys(["customer_id", "provider_id", *checked.model.customer_columns.values()])
    )


Placed = tuple[list[int], int]  # each month's registrations in the data, and all of them


def _placed(checked: CheckedModel, dataset: Dataset, months: list[date]) -> Placed:
    """Each month's registrations in the data, and the data's registrations."""
    vocabulary = checked.model.vocabulary
    (moment,) = vocabulary.entities[vocabulary.roles.registration].month.columns
    visits = dataset.tables.get(vocabulary.registrations)
    if visits is None or visits.height == 0:
        return [0] * len(months), 0
    counts = visits.select(
        pl.col(moment).is_between(*month_bounds(month), closed="left").sum().alias(str(i))
        for i, month in enumerate(months)
    ).row(0)
    return [int(n) for n in counts], visits.height


def _facts(result: RunResult, placed: Placed, columns: list[str]) -> tuple[list[MonthFacts], int]:
    """Each month's facts from a run on the whole data, and the visits of the data
    outside the months run."""
    per_month, total = placed
    facts = [
        month_facts(result, month, count, columns)
        for month, count in zip(result.months, per_month, strict=True)
    ]
    return facts, total - sum(f.placed for f in facts)


def _summed_coverage(months: list[pl.DataFrame]) -> pl.DataFrame:
    """Rule coverage summed over the months, rules in the order first met."""
    if len(months) == 1:
        return months[0]
    stacked = pl.concat(months)
    return (
        stacked.group_by("rule", "branch", maintain_order=True)
        .agg(pl.exclude("evaluated", "fired").first(), pl.col("evaluated", "fired").sum())
        .select(stacked.columns)
    )


def _write_outputs(
    directory: Path,
    job: Job,
    result: RunResult,
    dataset: Dataset,
    coverage: pl.DataFrame,
    facts: list[MonthFacts],
    timings: dict[str, float] | None = None,
) -> None:
    """The run's tables (CSV, Parquet) and its payment files; `timings` gathers the
    seconds of each (`tables`, `workbooks`)."""
    formats = tuple(job.formats)
    named = {
        "statement_lines": result.lines,
        "exclusions": result.exclusions,
        "flags": result.flags,
        "indicators": result.indicators,
        "provider_totals": result.totals,
        "rejects": dataset.rejects_frame(),
        "coverage": coverage,
    }
    with timed(timings, "tables"):
        write_tables(directory, named, formats, job.csv_dialect)
    if "xlsx" not in formats:
        return
    with timed(timings, "workbooks"):
        payments = payment_file(result, facts, dataset)
        write_payment_file(directory / "payments.xlsx", payments)
        if job.per_provider:
            providers = sorted(_providers_told(payments, dataset, result))
            for provider, name in provider_file_names(providers).items():
                write_payment_file(directory / name, payments.for_provider(provider))


def _providers_told(payments: PaymentFile, dataset: Dataset, result: RunResult) -> set[str]:
    """The providers a file of their own is written for: those paid, and those of the
    data with a row rejected (a provider whose every contract was rejected is paid
    nothing, and is told why)."""
    paid = set(payments.lines["provider_id"].unique().to_list())
    key = result.checked.model.vocabulary.parties["provider"].key
    known = provider_table(result.checked, dataset)
    ids = set(known[key].cast(pl.String).to_list()) if known is not None else set()
    rejected = {p for p in payments.rejected["provider_id"].to_list() if p is not None}
    return paid | (rejected & ids)


def payment_file(
    result: RunResult, facts: list[MonthFacts], dataset: Dataset | None = None
) -> PaymentFile:
    """What payments.xlsx shows, gathered from the run's months (and the rows of the
    `dataset` rejected as read)."""
    model = result.checked.model
    shown = [sheet_column(heading) for heading in model.customer_columns]
    customers = [
        f.customers.select(
            pl.lit(f"{f.month:%Y-%m}").alias("month"),
            "customer_id",
            "provider_id",
            *(
                pl.col(name).alias(column)
                for name, column in zip(model.customer_columns.values(), shown, strict=True)
                if name in f.customers.columns
            ),
        )
        for f in facts
        if f.customers.width
    ]
    columns = ["month", "customer_id", "provider_id", *shown]
    providers = with_paid_providers(
        pl.concat([f.providers for f in facts]),
        result.lines,
        provider_table(result.checked, result.dataset),
    )
    return PaymentFile(
        title=f"{model.title} — {', '.join(f'{m.plan.month:%Y-%m}' for m in result.months)}",
        lines=result.lines,
        providers=providers,
        customers=pl.concat(customers, how="diagonal_relaxed")
        if customers
        else pl.DataFrame(schema={c: pl.String for c in columns}),
        not_counted=pl.concat([f.not_counted for f in facts], how="diagonal_relaxed"),
        flagged=pl.concat([f.flagged for f in facts], how="diagonal_relaxed")
        if model.flags
        else None,
        labels={r.name: r.shown_as for r in model.payments},
        customer_payments=[
            r.name
            for r in model.payments
            if _of_a_customer(model.vocabulary, r.entity)
            and any(r.version_on(model.in_force_on(m.plan.month)) for m in result.months)
        ],
        column_types=dict(result.checked.customer_column_types),
        outside_invoice=tuple(model.outside_invoice),
        additive=frozenset(r.name for r in model.payments if _quantities_add_up(r, result.checked)),
        rejected=_rejected_rows(dataset),
        parameters=_parameters_in_words(result),
    )


def _parameters_in_words(result: RunResult) -> pl.DataFrame:
    """Each month's parameter values in force, a row per value (a table's per cell), in
    the model's order and the words of its rule files (`409 SEK/h`, `50 %`)."""
    model = result.checked.model
    rows = [
        (f"{m.plan.month:%Y-%m}", name, cell, value, param.description, param.source or "")
        for m in result.months
        for name, param in model.parameters.items()
        if name in m.plan.params
        for cell, value in values_in_words(param, m.plan.params[name])
    ]
    return pl.DataFrame(rows, schema=PARAMETER_ROWS, orient="row")


def _quantities_add_up(rule: Rule, checked: CheckedModel) -> bool:
    """Whether the quantities of a payment's lines — each version's — add up (hours,
    days), so that the specification shows their sum; a share does not."""
    trees = [q.tree for q in rule.quantities]
    return bool(trees) and all(t is not None and _adds_up(t, checked.type_of(t)) for t in trees)


def _of_a_customer(vocabulary: Vocabulary, entity: str) -> bool:
    """Whether a payment's lines are a customer's: those of the customer-month, and
    those per row of an entity of a customer (an escort, an effect premium's claim),
    which the customer's row of *Kunder* sums with the others."""
    found = vocabulary.entities.get(entity)
    return entity == vocabulary.roles.customer_month or (
        found is not None and "customer" in found.parties
    )


def _rejected_rows(dataset: Dataset | None) -> pl.DataFrame:
    """The rows rejected as read, each with why in Swedish, for the payment file."""
    rejects = dataset.rejects if dataset is not None else []
    rows = [{**r, "why": rejected_why(r)} for r in rejects]
    return pl.DataFrame(rows, schema=REJECTED_ROWS)


def _adds_up(tree: ast.Node, typ: t.Type) -> bool:
    """Whether a payment's quantities add up across customers: time, counts, and a
    quantity given in a unit (`minutes / 1 h`, hours) do; a share (utförandegrad)
    does not."""
    if isinstance(tree, ast.BinOp) and tree.op == "/" and isinstance(tree.right, ast.Quantity):
        return True
    return isinstance(typ, t.Num) and not typ.percent and bool(typ.time or typ.integer)


def _hashes(directory: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name: {"sha256": sha256(path), "bytes": path.stat().st_size}
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != MANIFEST
    }


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """The one way a manifest.json is written (runs, studies, generated data)."""
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def write_generated_manifest(directory: Path, job: dict[str, Any]) -> None:
    """The manifest of `carepay generate`'s output (no timestamp: the same command
    writes the same files), so that a later run may replace the directory."""
    manifest = {"carepay": __version__, "kind": "generate", "job": job}
    manifest["outputs"] = _hashes(directory)
    write_manifest(directory, manifest)


def foreign_entries(directory: Path) -> list[str]:
    """What in an existing output directory carepay did not write: everything, unless
    its manifest.json is carepay's; else the entries its manifest does not list."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        listed = set(manifest["outputs"]) if "carepay" in manifest else None
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    entries = sorted(p.name for p in directory.iterdir())
    if listed is None:
        return [e for e in entries if e != MANIFEST] or entries
    return [e for e in entries if e != MANIFEST and e not in listed]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- conservation


def conserve(result: RunResult, dataset: Dataset, months: list[date]) -> Conservation:
    """The account of a run on the whole data (`account`)."""
    placed = _placed(result.checked, result.dataset or dataset, months)
    facts, outside = _facts(result, placed, _customer_columns(result.checked))
    return account(result, dataset, facts, outside)


def account(
    result: RunResult,
    dataset: Dataset,
    facts: list[MonthFacts],
    outside: int,
    own_outside: dict[str, int] | None = None,
) -> Conservation:
    """Count every input visit into exactly one place: each month's visits are the
    data's visits of the month, counted or excluded, each once (`MonthFacts.problems`),
    and the rest are rejected, taken out by an assumption or outside the months run."""
    table = result.checked.model.vocabulary.registrations
    return Conservation(
        input=dataset.input_rows.get(table, 0),
        rejected=dataset.rejected(table),
        removed_by_assumptions=sum(a.removed for a in result.assumptions),
        outside_months=outside,
        counted=sum(f.counted for f in facts),
        excluded=sum(f.visits - f.counted for f in facts),
        problems=[problem for f in facts for problem in f.problems],
        own_outside=own_outside
        if own_outside is not None
        else _own_outside(result.checked, dataset, [m.plan.month for m in result.months]),
    )


def _own_outside(checked: CheckedModel, dataset: Dataset, months: list[date]) -> dict[str, int]:
    """How many rows of each of the model's own tables, placed in a month by a date, a
    moment or a period, are in none of the months run (where any are); and of each
    entity of the model's own over one of carepay's tables, by the entity's name
    (visits paid in the month they are reported: one reported next month, or never)."""
    base = set(base_tables())
    base_entities = set(base_vocabulary().entities)
    out = {}
    for name, entity in checked.model.vocabulary.entities.items():
        rule, frame = entity.month, dataset.tables.get(entity.table or "")
        if name in base_entities or frame is None or frame.height == 0 or not months:
            continue
        if rule.by in ("moment", "date"):
            (column,) = rule.columns
            value = pl.col(column).cast(pl.Datetime("us"))
            inside = [value.is_between(*month_bounds(m), closed="left") for m in months]
        elif rule.by == "period":
            start, end = (pl.col(c).cast(pl.Datetime("us")) for c in rule.columns)
            inside = [
                (start < month_bounds(m)[1]) & (end.is_null() | (end >= month_bounds(m)[0]))
                for m in months
            ]
        else:
            continue
        outside = frame.select((~pl.any_horizontal(inside)).fill_null(True).sum()).item()
        if outside:
            out[name if entity.table in base else entity.table or ""] = int(outside)
    return out


# ----------------------------------------------------------------------------- pseudonyms


def pseudonym_key() -> bytes:
    value = os.environ.get(KEY_VARIABLE, "")
    if len(value) < 16:
        raise EngineError(
            [
                Diagnostic(
                    "bad-value",
                    f"--pseudonymise needs a secret key of at least 16 characters in {KEY_VARIABLE}",
                    hint="keep the key apart from the outputs; the same key gives the same "
                    "pseudonyms, so months can be compared",
                )
            ]
        )
    return value.encode("utf-8")


def pseudonym(customer: str, key: bytes) -> str:
    """A keyed hash (HMAC-SHA-256) of the identifier: stable for one key, and not
    reversible or guessable without it, even for personal identity numbers."""
    return "PS-" + hmac.new(key, customer.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


# ----------------------------------------------------------------------------- manifest


def _manifest(
    job: Job,
    result: RunResult,
    dataset: Dataset,
    conservation: Conservation,
    coverage: pl.DataFrame,
) -> dict[str, Any]:
    model = result.checked.model
    dead = never_fired(coverage)
    return {
        "carepay": __version__,
        "carepay_build": build(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": asdict(job),
        "model": {
            "id": model.id,
            "title": model.title,
            "version": model.version,
            "files": _file_hashes(model.files),
        },
        "inputs": _inputs(Path(job.data), dataset),
        "not_read": _not_read(Path(job.data), dataset),
        "months": [m.plan.month.strftime("%Y-%m") for m in result.months],
        "parameters_in_force": {
            m.plan.month.strftime("%Y-%m"): {
                name: recorded_value(model.parameters[name], value)
                for name, value in sorted(m.plan.params.items())
            }
            for m in result.months
        },
        "assumptions": [str(a) for a in result.assumptions],
        "counts": {
            "visits": asdict(conservation) | {"balanced": conservation.balanced},
            "rejected_rows": dataset.rejected_counts(),
            "flagged_visits": flagged_counts(result),
            "statement_lines": result.lines.height,
            "total_ore": int(result.lines["amount_ore"].sum() or 0),
            "values_missing": len(result.incomplete()),
        },
        # what the run said (the model's, the data's and the evaluation's warnings): the
        # record of a payment keeps what a controller was told before paying; sorted, as
        # a run a month at a time says the same in another order
        "warnings": sorted(
            (
                {"code": w.code, "where": str(w.span) if w.span else w.where, "message": w.message}
                for w in result.warnings
            ),
            key=lambda w: (w["code"], w["where"] or "", w["message"]),
        ),
        "coverage": {
            "rules": coverage.filter(pl.col("branch") == "")["rule"].to_list(),
            "never_fired": [
                f"{row['rule']} {row['branch']}".strip() for row in dead.iter_rows(named=True)
            ],
        },
    }


def _file_hashes(files: list[str]) -> list[dict[str, str]]:
    return [{"path": _absolute(f), "sha256": sha256(Path(f))} for f in files]


def _absolute(path: str | Path) -> str:
    return str(Path(path).resolve())


def _inputs(data: Path, dataset: Dataset) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if data.is_file():
        out.append(
            {
                "path": _absolute(data),
                "sha256": sha256(data),
                "rows": dict(sorted(dataset.input_rows.items())),
            }
        )
    for table, origin in sorted(dataset.origins.items()):
        path = data / origin
        if path.is_file() and table not in dataset.unread:
            out.append(
                {
                    "table": table,
                    "path": _absolute(path),
                    "sha256": sha256(path),
                    "rows": dataset.input_rows.get(table, 0),
                }
            )
    beside = headers_directory(data)  # the data's own column names decide what is read
    names = beside / COLUMNS_FILE if beside is not None else None
    if names is not None and names.is_file():
        out.append({"table": None, "path": _absolute(names), "sha256": sha256(names)})
    return out


def _not_read(data: Path, dataset: Dataset) -> list[dict[str, str]]:
    """The data's tables the model does not use, which the run did not read
    (`api.unused_tables`): named, so that nobody wonders where their rows went."""
    return [
        {"table": table, "path": _absolute(data / dataset.origins[table])}
        if data.is_dir() and table in dataset.origins
        else {"table": table}
        for table in dataset.unread
    ]


# ----------------------------------------------------------------------------- verify


def verify(
    out: Path, key: bytes | None = None, lang: str = "en"
) -> tuple[list[str], dict[str, Any]]:
    """Re-run the job in `out`'s manifest; what differs (nothing when all is the same),
    each line in `lang` ("sv": Swedish)."""
    path = out / MANIFEST
    if not path.is_file():
        raise EngineError(
            [
                Diagnostic(
                    "file-not-found",
                    f"{out} has no {MANIFEST}",
                    hint="verify a directory written by `carepay run`",
                )
            ]
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise EngineError(
            [Diagnostic("bad-value", f"{path} is not a carepay manifest ({error})")]
        ) from None
    unfit = manifest_problem(manifest)
    if unfit is not None:
        raise EngineError([Diagnostic("bad-value", f"{path} {unfit}", hint=_UNFIT_HINT)])
    study = manifest.get("kind", "run") != "run"
    job = None if study else Job(**manifest["job"])
    models = manifest["models"] if study else [manifest["model"]]
    inputs = manifest["inputs"]
    differences = []

    def said(key: str, **values: object) -> None:
        differences.append(say(lang, key, **values))

    other_build = manifest.get("carepay") != __version__ or (
        manifest.get("carepay_build", build()) != build()
    )
    if manifest.get("carepay") != __version__:
        said("verify.other_version", then=manifest.get("carepay"), now=__version__)
    elif manifest.get("carepay_build", build()) != build():  # older manifests have none
        said("verify.other_build", now=__version__)
    files = [("verify.model_file", f) for m in models for f in m["files"]]
    files += [("verify.input", f) for f in inputs]
    before_files = len(differences)
    for kind, entry in files:
        file = Path(entry["path"])
        if not file.is_file():
            said("verify.file_missing", kind=say(lang, kind), file=file)
        elif sha256(file) != entry["sha256"]:
            said("verify.file_changed", kind=say(lang, kind), file=file)
    files_changed = len(differences) > before_files
    listed = (
        set(manifest.get("outputs", {})) if isinstance(manifest.get("outputs"), dict) else set()
    )
    for extra in sorted(p.name for p in out.iterdir() if p.name not in listed | {MANIFEST}):
        said("verify.unlisted", name=extra, out=out)
    if job is None:  # a study: its inputs and outputs are checked, not re-run
        for name, entry in sorted(manifest.get("outputs", {}).items()):
            file = out / name
            if not file.is_file():
                said("verify.output_missing", name=name, out=out)
            elif sha256(file) != entry["sha256"]:
                said("verify.output_edited", name=name, out=out)
        return differences, manifest
    with tempfile.TemporaryDirectory(prefix="carepay-verify-") as scratch:
        again = Path(scratch) / "out"
        try:
            execute(job, again, key=key)
        except EngineError as error:
            said("verify.not_repeated", why="; ".join(d.message for d in error.diagnostics[:3]))
            return differences, manifest
        now = _hashes(again)
        recomputed = json.loads((again / MANIFEST).read_text(encoding="utf-8"))
    # where a file the run read has changed, the manifest's figures differ because of it;
    # another build may record them otherwise (a price as 409 SEK/h, not 6.8166… SEK a
    # minute): "edited after the run?" of each sent a controller looking for who had
    why = say(
        lang,
        "verify.why_file"
        if files_changed
        else "verify.why_build"
        if other_build
        else "verify.why_edited",
    )
    for field_path in manifest_differences(manifest, recomputed):
        said("verify.manifest_field", field=field_path, why=why)
    before = manifest.get("outputs", {})
    before_outputs = len(differences)
    for name in sorted(set(before) | set(now)):
        if name not in now:
            said("verify.no_longer", name=name)
        elif name not in before:
            said("verify.new", name=name)
        elif before[name]["sha256"] != now[name]["sha256"]:
            said("verify.output_differs", name=name)
        elif not (out / name).is_file():
            said("verify.output_missing", name=name, out=out)
        elif sha256(out / name) != before[name]["sha256"]:
            said("verify.output_changed", name=name, out=out)
    unsaid = "carepay_build" not in manifest and manifest.get("carepay") == __version__
    if unsaid and len(differences) > before_outputs:  # an output differs: say why it may
        differences.insert(0, say(lang, "verify.no_build"))
    return differences, manifest


_UNFIT_HINT = "verify a directory as `carepay run`, `compare` or `simulate --out` wrote it"


def manifest_problem(manifest: Any) -> str | None:
    """What makes `manifest` no description of a job `verify` can repeat
    (`schemas/manifest.schema.json`), in a reader's words; None when it is one. A month
    `2024-13`, a model path of `null` or a manifest that was a list stopped `verify`
    with a traceback, and a `csv_dialect` of `weird` was verified."""
    if isinstance(manifest, dict) and manifest.get("kind") == "generate":
        return "was written by `carepay generate`: it describes data, not a run to repeat"
    unfit = _schema_problem(manifest)
    return f"is not a carepay manifest: {unfit}" if unfit is not None else None


def _schema_problem(manifest: Any) -> str | None:
    """The first way `manifest` differs from the schema, in a reader's words."""
    schema = json.loads((schemas_dir() / "manifest.schema.json").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(manifest)
    )
    if error is None:
        return None
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    at = f"`{where.lstrip('.')}`" if where else "the manifest"
    shown = json.dumps(error.instance, ensure_ascii=False)
    shown = shown if len(shown) <= 40 else shown[:37] + "…"
    match error.validator:
        case "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            return f"{at} has no `{missing[0]}`"
        case "type":
            return f"{at} is {shown}, not {_JSON_KINDS.get(str(error.validator_value), error.validator_value)}"
        case "enum":
            allowed = ", ".join(str(v) for v in error.validator_value)
            return f"{at} is {shown}, not one of {allowed}"
        case "pattern" if error.validator_value.startswith("^\\d{4}"):
            return f"{at} is {shown}, not a month (YYYY-MM)"
        case "pattern":
            return f"{at} is {shown}, not a SHA-256 (64 hexadecimal digits)"
        case "additionalProperties":
            extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
            return f"{at} has `{extra[0]}`, which a run's job does not hold"
    return f"{at} is {shown}, which a manifest does not hold there"


_JSON_KINDS = {
    "string": "a text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


# Manifest fields a repeated run need not give again: when and how fast, and the
# outputs (compared file by file above).
UNREPEATED = frozenset({"created", "timings_s", "outputs", "carepay", "carepay_build"})
# (the version and build that wrote it are compared first, in words)


@cache
def build() -> str:
    """A fingerprint of this carepay's code and vocabulary (the engine's files and the
    schemas it reads): a run repeated by `verify` with another build can differ in an
    output's form (a column added to rejects.csv) with the same version number."""
    digest = hashlib.sha256()
    roots = [Path(__file__).resolve().parent, schemas_dir()]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".lark", ".json", ".html", ".js"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def manifest_differences(stated: Any, recomputed: Any, path: str = "") -> list[str]:
    """The dotted paths where a manifest differs from the one a repeated run writes
    (`counts.total_ore`, `parameters_in_force.2024-01.larmbelopp`), at most 20."""
    found: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(found) >= 20:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if not where and key in UNREPEATED:
                    continue
                walk(a.get(key), b.get(key), f"{where}.{key}" if where else str(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            found.append(where or "(the whole manifest)")

    walk(stated, recomputed, path)
    return found


# ----------------------------------------------------------------------------- studies


@dataclass
class Study:
    """What a comparison, simulation, sweep or attribution was run on: recorded in the
    manifest of its output directory so that a committee paper can cite it exactly."""

    kind: str  # 'compare' | 'simulate' | 'sweep' | 'attribution'
    models: list[Any]  # CheckedModel of A (and B)
    data: Path
    dataset: Dataset
    months: list[date]
    overrides: list[str] = field(default_factory=list)


def write_study_manifest(directory: Path, study: Study) -> None:
    """The manifest of a study's output directory (written last, inside the staging
    directory, so it lists every output)."""
    manifest = {
        "carepay": __version__,
        "carepay_build": build(),
        "kind": study.kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": [
            {
                "id": checked.model.id,
                "files": _file_hashes(checked.model.files),
            }
            for checked in study.models
        ],
        "inputs": _inputs(study.data, study.dataset),
        "not_read": _not_read(study.data, study.dataset),
        "months": [f"{m:%Y-%m}" for m in study.months],
        "overrides": study.overrides,
        "rejected_rows": study.dataset.rejected_counts(),
        "outputs": _hashes(directory),
    }
    write_manifest(directory, manifest)
