"""The Python API: what the command line (and any other program) calls.

Every function raises `EngineError` carrying all diagnostics when the user's
input is wrong, and never anything else for a user mistake.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine import ast
from engine.aggregate import (
    skipped_in_filters,
    skipped_missing,
    stops_in_filters,
    unknown_filters,
)
from engine.assumptions import Applied, apply_assumptions, needed_columns
from engine.catalog import ZONE, Column, Entity, Relation, Roles, Table, Vocabulary
from engine.checker import (
    CheckedModel,
    changes_in_month,
    check,
    stale_calendars,
    tables_read,
)
from engine.clock import elapsed_minutes
from engine.compile import compiler_for, evaluate, numbering_pays
from engine.data import (
    RECORD,
    ZONES_TABLE,
    Dataset,
    Frames,
    columns_read,
    headers_directory,
    ids_as_text,
    load_data,
    zones_with_data,
)
from engine.diagnostics import Diagnostic, Diagnostics, EngineError, sorted_diagnostics
from engine.explain import number_text
from engine.frames import (
    REPORTED_COLUMNS,
    base_frames,
    changes_in,
    elapsed,
    neighbour_registrations,
)
from engine.headers import COLUMNS_FILE, Headers, read_headers
from engine.interpret import ROWS_SHOWN, Interpreter, PeerSource, Row, Trace, row_name
from engine.loader import is_test_file, load_model
from engine.model import DataRequirement
from engine.names import naming_columns, ore_column, raw_column
from engine.phrases import say
from engine.plan import Plan, make_plan, month_bounds
from engine.progress import timed
from engine.reports import (
    EXCLUSION_SCHEMA,
    VISIT_COLUMN,
    exclusions,
    flags,
    indicators,
    provider_totals,
    rejected_reason,
    row_key,
    statement_lines,
)
from engine.spans import calls_to

# The months a run can name: wide enough for any payment, narrow enough that a month,
# its neighbours and a year of indexation are dates Python and Polars can hold.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def parse_month(text: str) -> date:
    """'2024-11' -> 2024-11-01; an EngineError for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-01)?", text.strip())
    if match and 1 <= int(match.group(2)) <= 12:
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise EngineError(
                [
                    Diagnostic(
                        "bad-value",
                        f"`{text}` is outside the months carepay runs "
                        f"({FIRST_YEAR}-01 to {LAST_YEAR}-12)",
                        hint="check the year",
                    )
                ]
            )
        return date(year, int(match.group(2)), 1)
    raise EngineError(
        [
            Diagnostic(
                "bad-value",
                f"`{text}` is not a month",
                hint="write YYYY-MM, e.g. 2024-11",
            )
        ]
    )


def months_between(first: date, last: date | None) -> list[date]:
    last = last or first
    if last < first:
        raise EngineError(
            [Diagnostic("bad-value", f"--to {last:%Y-%m} is before the first month {first:%Y-%m}")]
        )
    out, current = [], first
    while current <= last:
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def load(
    path: str | Path,
    months: Sequence[date | str] | None = None,
    as_of: date | None = None,
    texts: Mapping[Path, str] | None = None,
) -> tuple[CheckedModel, list[Diagnostic]]:
    """Load and check a model; raise EngineError if it has errors, return its warnings.
    With `as_of`, every month uses the rules and values in force on that date; `texts`
    are rule files as being edited, read instead of the disk (by resolved path)."""
    if as_of is not None and not FIRST_YEAR <= as_of.year <= LAST_YEAR:
        raise EngineError(
            [
                Diagnostic(
                    "bad-value",
                    f"{as_of.isoformat()} is outside the dates carepay runs "
                    f"({FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31)",
                    hint="check the year",
                )
            ]
        )
    diags = Diagnostics()
    model = load_model(path, diags, texts)
    if model is None:
        diags.raise_if_errors()
        raise EngineError([Diagnostic("file-not-found", f"cannot load {path}")])
    model.as_of = as_of
    checked = check(model, diags, [_month(m) for m in months or []])
    diags.raise_if_errors()
    return checked, list(diags)


def check_files(paths: list[Path], months: list[date] | None = None) -> list[Diagnostic]:
    """Every diagnostic for every model file given (directories: each *.yaml in them)."""
    return check_model_files(paths, months)[0]


def check_model_files(
    paths: list[Path], months: list[date] | None = None
) -> tuple[list[Diagnostic], int]:
    """Every diagnostic for every model file given, and how many model files they were."""
    diags = Diagnostics()
    files = expand_model_paths(paths, diags)
    for path in files:
        model = load_model(path, diags)
        if model is not None:
            check(model, diags, months or [])
    return sorted_diagnostics(diags), len(files)


def expand_model_paths(paths: list[Path], diags: Diagnostics) -> list[Path]:
    """The model files named, a directory's *.yaml but its test files (a model and its
    tests side by side); a test file named on its own is an error that says how it is
    run (it was three schema errors: `title` missing, `defaults` unknown …)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if not p.name.startswith("_"))
            models = [p for p in found if not is_test_file(p)]
            if not models:
                diags.error("file-not-found", f"{path} holds no model files (*.yaml)")
            out.extend(models)
        elif path.exists() and path.suffix in (".yaml", ".yml") and is_test_file(path):
            diags.error(
                "schema",
                f"{path} is a model test file, not a model",
                where=str(path),
                hint=f"run it with `carepay test {path}`",
            )
        elif path.exists():
            out.append(path)
        else:
            diags.error("file-not-found", f"no such file: {path}")
    return out


def data_needs(checked: CheckedModel) -> dict[str, set[str]]:
    """Tables (and columns) the model reads; customers and providers always."""
    vocabulary = checked.model.vocabulary
    needs: dict[str, set[str]] = {p.table: set() for p in vocabulary.parties.values()}
    placed = {"district", ZONE}  # a customer's zone is its district's
    fields = {c.rpartition(".")[2] for columns in checked.columns.values() for c in columns}
    if checked.model.zones or fields & placed:  # the zones place each customer by its district
        needs[vocabulary.parties["customer"].table].add("district")
    for entity, columns in checked.columns.items():
        table = vocabulary.table_of(entity)
        if table:
            needs.setdefault(table, set()).update(c for c in columns if "." not in c)
        for column in columns:
            party, _, name = column.partition(".")
            if name and party in vocabulary.parties:  # customer.x: a column of customers
                needs[vocabulary.parties[party].table].add(name)
    for info in checked.aggs.values():
        table = vocabulary.table_of(info.relation.entity)
        if table:
            needs.setdefault(table, set())
    for assumption in checked.model.assumptions:
        for table, columns in needed_columns(vocabulary, assumption).items():
            needs.setdefault(table, set()).update(columns)
    for requirement in checked.model.data_requirements:
        needs.setdefault(requirement.table, set()).update(requirement.any_of)
    for name in list(needs):  # a table whose rows a read table's column names, by its key
        read = vocabulary.tables.get(name)
        for declared in read.columns.values() if read is not None else ():
            if declared.references is not None and declared.references in vocabulary.tables:
                needs.setdefault(declared.references, set())
    return needs


def registrations_matter(checked: CheckedModel) -> bool:
    """Whether the visits can change an amount: a rule, aggregation, exclusion,
    assumption or data requirement reads them, or a customer's or provider's month is
    made of their pairs. A model of alarm call-outs and monthly fees alone has months
    with no visits by design, and no month of it is empty for having none."""
    registrations = checked.model.vocabulary.registrations
    return registrations in data_needs(checked) or _visits_paired_only(checked) is not None


def _visits_paired_only(checked: CheckedModel) -> str | None:
    """The entity whose month is made of the visits' pairs where no formula reads
    the visits (they change an amount only by making its rows), else None."""
    vocabulary = checked.model.vocabulary
    if vocabulary.registrations in data_needs(checked):
        return None
    registration = vocabulary.roles.registration
    return next(
        (
            e.name
            for e in vocabulary.entities.values()
            if e.month.by == "pairs" and registration in e.month.of
        ),
        None,
    )


def unused_tables(vocabulary: Vocabulary, needs: Mapping[str, set[str]]) -> frozenset[str]:
    """The tables no rule, aggregation, assumption or data requirement reads (`needs`),
    but for those the engine reads for every model: the parties, the registrations
    (every visit is accounted for) and `zones` (it places districts for a model by its
    id). Such a table is not read, as a column no rule reads is not: it cannot change
    an amount, so a mistake in it is not the run's to reject (the bench's core at 1 M
    visits read four, absences, journals, outages and premium claims: 10 ms of 80)."""
    engine = {p.table for p in vocabulary.parties.values()} | {
        vocabulary.registrations,
        ZONES_TABLE,
    }
    return frozenset(vocabulary.tables) - set(needs) - engine


def load_dataset(
    checked: CheckedModel,
    data: str | Path | Frames,
    strict: bool = False,
    pseudonym: Callable[[str], str] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[Dataset, list[Diagnostic]]:
    """The data, validated for this model: a directory of CSV or Parquet files, one
    workbook, or frames in memory (`{"visits": frame, …}`, Polars data or lazy frames;
    a lazy frame is collected in the columns the run uses only). `columns` maps the
    data's own column names to the model's, per table. Rows with problems are
    rejected (listed in `dataset.rejects`, each problem kind a warning); `strict` makes
    them errors. With `pseudonym`, customer ids are replaced as the tables are read,
    before any check, so no message, reject or output can carry an original id."""
    diags = Diagnostics()
    needs = data_needs(checked)
    dataset = load_data(
        data,
        needs,
        diags,
        strict=strict,
        zones=checked.model.zones,
        requirements=checked.model.data_requirements,
        model_id=checked.model.id,
        known=checked.model.vocabulary.tables,
        pseudonym=pseudonym,
        columns=columns,
        keep=engine_columns(checked.model.vocabulary),
        unused=unused_tables(checked.model.vocabulary, needs),
    )
    diags.raise_if_errors()
    return dataset, list(diags)


@dataclass(frozen=True)
class ColumnContract:
    """One column a model's data must (or may) have, as the reader checks it."""

    name: str
    column: Column
    required: bool  # the file must have the column (else `missing-column`)
    read_by_rules: bool  # a formula, exclusion, requirement or assumption reads it


@dataclass(frozen=True)
class TableContract:
    """One table a run reads: whether its file must be there, and its columns read."""

    table: Table
    required: bool  # without its file the run stops (`missing-table`)
    columns: list[ColumnContract]
    # may be left out, but the model reads it: without its file the run says so, exit 5
    reviewed_if_missing: bool = False
    # the model's data requirements of its rows: a row lacking what one asks is rejected
    requirements: tuple[DataRequirement, ...] = ()


def data_contract(checked: CheckedModel) -> list[TableContract]:
    """What a model reads from the data, table by table and column by column, decided
    as the reader decides it (`data_needs`, `unused_tables`, `data.columns_read`): the
    export a municipality asks of its system. A column read for every model (an id,
    a date placing a row in a month) is listed although no formula reads it."""
    vocabulary = checked.model.vocabulary
    needs = data_needs(checked)
    unused = unused_tables(vocabulary, needs)
    keep = engine_columns(vocabulary)
    requirements = list(checked.model.data_requirements)
    out = []
    for name, table in vocabulary.tables.items():
        if name in unused:
            continue
        needed = needs.get(name) or set()
        read = columns_read(name, table, needs.get(name), keep, requirements)
        columns = [
            ColumnContract(
                column,
                spec,
                column in table.required or (column in needed and spec.default is None),
                column in needed,
            )
            for column, spec in table.columns.items()
            if column in read
        ]
        read_by_model = name in needs
        out.append(
            TableContract(
                table,
                read_by_model and not table.optional,
                columns,
                read_by_model and table.optional,
                tuple(r for r in requirements if r.table == name),
            )
        )
    return out


def data_headers(checked: CheckedModel, data: Path) -> tuple[Headers | None, Path | None]:
    """What the `columns.yaml` of the data at `data` (a directory, or beside a workbook)
    says of the export's own names for the model's tables and columns, and its path
    (None, None without one); a mistake in it is an error, as a run says it."""
    beside = headers_directory(data)
    diags = Diagnostics()
    headers = read_headers(beside, checked.model.vocabulary.tables, diags) if beside else None
    diags.raise_if_errors()
    if headers is None or beside is None:
        return None, None
    return headers, beside / COLUMNS_FILE


def engine_columns(vocabulary: Vocabulary) -> frozenset[str]:
    """The columns read from the data for every model, whether or not a formula reads
    them: ids and keys, the dates that place a row in a month, what reports show."""
    return vocabulary.kept_columns() | REPORTED_COLUMNS


def provider_table(checked: CheckedModel, dataset: Dataset | None) -> pl.DataFrame | None:
    """The data's table of providers (the provider party's), where there is a dataset."""
    table = checked.model.vocabulary.parties["provider"].table
    return dataset.tables.get(table) if dataset is not None else None


def with_paid_providers(
    known: pl.DataFrame, lines: pl.DataFrame, table: pl.DataFrame | None
) -> pl.DataFrame:
    """The providers of the months' provider-months (id and name), and those paid by
    lines of no provider-month — a fee per row of a table of the model's own for a
    provider with no customer — named from the providers' table: such a provider's
    letter and workbook rows had no name, its letter none at all."""
    known = known.unique("provider_id", keep="first", maintain_order=True)
    paid = lines["provider_id"].unique()
    missing = paid.filter(~paid.is_in(known["provider_id"].implode()))
    if missing.is_empty() or table is None or "name" not in table.columns:
        return known
    extra = ids_as_text(table.select("provider_id", "name")).filter(
        pl.col("provider_id").is_in(missing.implode())
    )
    return pl.concat([known, extra]).unique("provider_id", keep="first", maintain_order=True)


def with_data_zones(checked: CheckedModel, dataset: Dataset) -> CheckedModel:
    """The model with the districts the data's `zones` table places in its zones."""
    diags = Diagnostics()
    zones = zones_with_data(checked.model.zones, dataset, checked.model.id, diags)
    diags.raise_if_errors()
    if zones == checked.model.zones:
        return checked
    model = copy.copy(checked.model)
    model.zones = zones
    return replace(checked, model=model)


@dataclass
class MonthResult:
    plan: Plan
    frames: dict[str, pl.DataFrame]
    lines: pl.DataFrame
    exclusions: pl.DataFrame
    missing: dict[str, int]
    flags: pl.DataFrame
    indicators: pl.DataFrame


@dataclass
class RunResult:
    checked: CheckedModel
    months: list[MonthResult]
    warnings: list[Diagnostic] = field(default_factory=list)
    assumptions: list[Applied] = field(default_factory=list)  # what a scenario changed in the data
    dataset: Dataset | None = None  # the data the model ran on (after any assumptions)
    # seconds of each phase of evaluation, all months together (the manifest's timings)
    timings: dict[str, float] = field(default_factory=dict)
    numbered: bool = True  # the run's tables had the parties' ids numbered
    # per month and entity: a `min`/`max` that skipped an argument, a comparison left
    # unknown (a run reusing this one's frames keeps those of the entities it keeps)
    unsure: dict[date, dict[str, list[Diagnostic]]] = field(default_factory=dict)

    def incomplete(self) -> list[Diagnostic]:
        """The warnings of values missing where an amount needed them: a payment with
        no value for some rows (`bad-value` from the evaluation: the data's bad values
        are rejected rows), an aggregation that left out rows with no value, a `min` or
        `max` that skipped an argument with none, a comparison that was unknown (the
        run's `skipped-argument` and `nullable-comparison`, which name the month, not
        the check's, which say only that it can be). A run with any exits 5; a model
        test must expect them."""
        paid_nothing = any(month.missing for month in self.months)
        return [
            w
            for w in self.warnings
            if w.code in ("skipped-missing", "stale-calendar", "missing-table")
            or (
                w.code in ("skipped-argument", "nullable-comparison", "unpaired-rows")
                and w.where is not None
            )
            or (paid_nothing and w.code == "bad-value" and w.span is not None)
        ]

    def _stacked(self, table: str) -> pl.DataFrame:
        """One of the per-month tables, all months after one another."""
        return pl.concat([getattr(m, table) for m in self.months])

    @property
    def roles(self) -> Roles:
        return self.checked.model.vocabulary.roles

    @property
    def lines(self) -> pl.DataFrame:
        return self._stacked("lines")

    @property
    def exclusions(self) -> pl.DataFrame:
        return self._stacked("exclusions")

    @property
    def not_counted(self) -> pl.DataFrame:
        """Every visit not counted (the exclusions, all months) with what a provider
        needs to find it: its start, staff, service and minutes (empty where the data
        has no such column). The minutes are the visit's own, from its start to its
        end: they were a model's definition named `minutes`, empty in the letters and
        workbooks of a model that calls it `minuter` or has none."""
        moment = self._registration_moment()
        excluded = pl.col("excluded_by").is_not_null()  # as `exclusions` has them
        parts = [self._with_visit_details(m, m.exclusions, moment, excluded) for m in self.months]
        parts.append(self._rejected_registrations(moment))
        return pl.concat(parts, how="diagonal_relaxed")

    @property
    def flagged(self) -> pl.DataFrame:
        """Every visit a flag rule marked for a controller to look at (all months), as
        `not_counted` has its visits: with its start, staff, service and minutes."""
        moment = self._registration_moment()
        parts = [self._with_visit_details(m, m.flags, moment) for m in self.months]
        return pl.concat(parts, how="diagonal_relaxed").select(list(REJECTED_SCHEMA))

    def _registration_moment(self) -> str | None:
        registration = self.checked.model.vocabulary.entities[self.roles.registration]
        return registration.month.columns[0] if registration.month.columns else None

    def _with_visit_details(
        self,
        month: MonthResult,
        rows: pl.DataFrame,
        moment: str | None,
        among: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """Rows naming a month's visits by id (its exclusions or flags) with each
        visit's start, staff, service and minutes; the visits looked among are those
        `among` keeps (all the month's, by default: a big month's few flagged ones
        are found by their ids)."""
        key = self.checked.model.vocabulary.entities[self.roles.registration].key[0]
        shown = {"start": moment, "staff_id": "staff_id", "service": "service"}
        visits = month.frames[self.roles.registration]
        if among is None:
            among = pl.col(key).is_in(rows[VISIT_COLUMN].implode())
        if rows.height == 0:  # none: no look at a big month's visits
            visits = visits.head(0)
        elif among.meta.root_names()[0] in visits.columns:
            visits = visits.filter(among)
        details = visits.select(
            pl.col(key).alias(VISIT_COLUMN),
            *(
                (pl.col(c) if c in visits.columns else pl.lit(None)).alias(alias)
                for alias, c in shown.items()
            ),
            _visit_minutes(visits, moment).alias("minutes"),
        )
        return rows.join(details, on=VISIT_COLUMN, how="left")

    def _rejected_registrations(self, moment: str | None) -> pl.DataFrame:
        """The registrations rejected as read whose start is in a month of the run, as
        `not_counted` has its visits, with why in Swedish (`reports.rejected_reason`): a
        provider's letter said "every registered visit was counted" of a month one of
        whose visits was rejected, and its workbook did not show the visit at all. A row
        whose start could not be read has no month; it is in rejects.csv."""
        vocabulary = self.checked.model.vocabulary
        rule = vocabulary.entities[self.roles.registration].month
        bounds = [(f"{m.plan.month:%Y-%m}", *month_bounds(m.plan.month)[:2]) for m in self.months]
        rows = []
        for reject in self.dataset.rejects if self.dataset is not None and moment else ():
            if reject["table"] != vocabulary.registrations:
                continue
            record = reject.get(RECORD) or {}
            start = record.get(moment)
            label = next((m for m, first, last in bounds if rule.places(record, first, last)), None)
            if label is None:
                continue
            rows.append(
                {
                    "month": label,
                    VISIT_COLUMN: reject["id"],
                    "customer_id": reject["customer_id"],
                    "provider_id": reject["provider_id"],
                    "rule": None,
                    "reason": rejected_reason(reject),
                    "source": None,
                    "start": start,
                    "staff_id": record.get("staff_id"),
                    "service": record.get("service"),
                    "minutes": _minutes_between(start, record.get("end")),
                }
            )
        return pl.DataFrame(rows, schema=REJECTED_SCHEMA)

    @property
    def providers(self) -> pl.DataFrame:
        return with_paid_providers(
            pl.concat(
                [
                    ids_as_text(m.frames[self.roles.provider_month].select("provider_id", "name"))
                    for m in self.months
                ]
            ),
            self.lines,
            provider_table(self.checked, self.dataset),
        )

    @property
    def indicators(self) -> pl.DataFrame:
        return self._stacked("indicators")

    @property
    def flags(self) -> pl.DataFrame:
        return self._stacked("flags")

    @property
    def totals(self) -> pl.DataFrame:
        return provider_totals(self.lines)

    def visit_counts(self) -> dict[str, int]:
        visits = sum(m.frames[self.roles.registration].height for m in self.months)
        excluded = sum(m.exclusions.height for m in self.months)
        return {"visits": visits, "counted": visits - excluded, "excluded": excluded}


def plan_month(checked: CheckedModel, month: date) -> Plan:
    diags = Diagnostics()
    plan = make_plan(checked, month, diags)
    diags.raise_if_errors()
    return plan


REJECTED_SCHEMA: dict[str, Any] = {
    **EXCLUSION_SCHEMA,
    "start": pl.Datetime("us"),
    "staff_id": pl.String,
    "service": pl.String,
    "minutes": pl.Float64,
}


def _minutes_between(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return float(elapsed_minutes(start, end))
    return None


def _visit_minutes(visits: pl.DataFrame, moment: str | None) -> pl.Expr:
    """A registration's minutes from its start to its end (`end - start`, as a rule
    reads them), where it has both; else the model's `minutes`, or none."""
    if moment is not None and {moment, "end"} <= set(visits.columns):
        return elapsed(pl.col("end"), pl.col(moment), changes_in(visits, [moment, "end"]))
    return pl.col("minutes") if "minutes" in visits.columns else pl.lit(None)


def run_model(
    checked: CheckedModel,
    dataset: Dataset,
    months: Sequence[date | str],
    progress: Callable[[list[date]], Iterable[date]] = iter,
    reuse: RunResult | None = None,
    changed: frozenset[str] = frozenset(),
    let_go: bool = False,
) -> RunResult:
    """Every month of the model on the dataset (as the model's assumptions, if any, say
    the data would be: a changed copy, never the input).

    `reuse`, an earlier run of the same model on the same data and months, with
    `changed`, the parameters that differ since, lets rules that use none of them
    keep their values (sweeps, goal seek and attribution run many such variants).
    `let_go` (one month, read for this run alone) lets the registrations' table go
    from the dataset once the month's frames are made (`compile.evaluate`)."""
    assert not let_go or len(months) == 1
    wanted = [_month(m) for m in months]  # a user of the API may write '2024-02'
    checked = with_data_zones(checked, dataset)
    if reuse is not None and reuse.dataset is not None:
        dataset, applied = reuse.dataset, reuse.assumptions
    else:
        dataset, applied = apply_assumptions(
            checked.model.vocabulary, checked.model.assumptions, dataset
        )
    result = RunResult(checked, [], assumptions=applied, dataset=dataset)
    result.warnings += [w for assumed in applied for w in assumed.warnings]  # a value of no row
    earlier = {m.plan.month: m.frames for m in reuse.months} if reuse is not None else {}
    plans = {month: plan_month(checked, month) for month in wanted}
    stale = {(d.message, str(d.span)): d for m in wanted for d in stale_calendars(checked, m)}
    result.warnings += list(stale.values())  # once a calendar and year
    result.warnings += [d for m in wanted for d in changes_in_month(checked, m)]
    # a run that takes frames from an earlier one numbers its ids as that one did
    result.numbered = reuse.numbered if reuse is not None else numbering_pays(list(plans.values()))
    # a table the model does not read is empty by design, whether or not its file is there
    unread = set(dataset.unread) | unused_tables(checked.model.vocabulary, data_needs(checked))
    if not registrations_matter(checked):  # no visit changes an amount: none is no gap
        unread.add(checked.model.vocabulary.registrations)
    with timed(result.timings, "encode_ids"):
        tables = dataset.for_evaluation(numbered=result.numbered)
    if let_go:  # the run's own tables alone hold the month now (`evaluate` lets them go)
        dataset.tables.pop(checked.model.vocabulary.registrations, None)
        dataset.forget_evaluation()
    for month in progress(wanted):
        plan = plans[month]
        # the values the month could not compute, by entity (those a reuse keeps too)
        unsure = dict(reuse.unsure.get(month, {})) if reuse is not None else {}
        frames = evaluate(plan, tables, earlier.get(month), changed, result.timings, let_go, unsure)
        result.unsure[month] = unsure
        order = checked.model.vocabulary.order
        result.warnings += [w for entity in order for w in unsure.get(entity, [])]
        with timed(result.timings, "lines"):
            lines, missing = statement_lines(plan, frames)
            result.months.append(
                MonthResult(
                    plan,
                    frames,
                    lines,
                    exclusions(plan, frames),
                    missing,
                    flags(plan, frames),
                    indicators(plan, frames),
                )
            )
        for d in stale_calendars(checked, month, _band_reach(plan, frames)):
            if (d.message, str(d.span)) not in stale:  # a year after the month's own
                stale[(d.message, str(d.span))] = d
                result.warnings.append(d)
        result.warnings += skipped_missing(plan, frames, compiler_for(plan))
        result.warnings += unknown_filters(plan, frames, compiler_for(plan))
        result.warnings += skipped_in_filters(plan, frames, compiler_for(plan))
        stopped = stops_in_filters(plan, frames, compiler_for(plan))
        stopped += amounts_beyond_exact(checked, frames, month)
        if stopped:
            raise EngineError(stopped)
        unmapped = _unmapped_districts(checked, frames, month)
        if unmapped:
            raise EngineError(unmapped)
        result.warnings += _empty_month(
            checked.model.vocabulary,
            frames,
            lines,
            month,
            unread,
            dataset.rejected,
            paired_only=_visits_paired_only(checked),
        )
        result.warnings += _overlapping_periods(checked.model.vocabulary, frames, month)
        result.warnings += _unpaired_rows(checked, frames, month)
        result.warnings += _looked_up_in_vain(checked, frames, month)
        for payment, count in missing.items():
            rows = _rows_without_value(checked, frames, payment)
            result.warnings.append(
                Diagnostic(
                    "bad-value",
                    f"`{payment}` had no value for {count} row{'s' if count != 1 else ''} in "
                    f"{month:%Y-%m} ({rows}); nothing was paid for them",
                    checked.model.rules[payment].span,
                    severity="warning",
                    hint="a table look-up found no key, or a value the formula needs is missing; `carepay explain` shows which",
                )
            )
    result.warnings += rejection_consequences(result, dataset)
    return result


def _band_reach(plan: Plan, frames: Mapping[str, pl.DataFrame]) -> dict[str, date]:
    """For each calendar a time band of the month reads, the last day a row split into
    the bands has a minute of: a visit of 31 December may end in the next year."""
    reach: dict[str, date] = {}
    for entity in plan.order:
        frame = frames.get(entity)
        calls = list(calls_to("minutes_in", plan.steps(entity)))
        if frame is None or not calls or "end" not in frame.columns:
            continue
        # a visit ending at midnight has no minute of the next day
        last = frame.select((pl.col("end") - pl.duration(microseconds=1)).max()).item()
        if last is None:
            continue
        day = last.date() if isinstance(last, datetime) else last
        for node in calls:
            assert isinstance(node.args[0], ast.Name)
            for band in plan.params.get(node.args[0].name) or []:
                if band.calendar:
                    reach[band.calendar] = max(reach.get(band.calendar, day), day)
    return reach


LARGEST_AMOUNT = 10_000_000_000  # kr: a line above it is a mistake (see `amounts_beyond_exact`)


def amounts_beyond_exact(
    checked: CheckedModel, frames: dict[str, pl.DataFrame], month: date
) -> list[Diagnostic]:
    """Payments of more than ten billion kronor on a line (or less than minus that): no
    municipality pays one, and beyond it the vectorized run's binary numbers no longer
    hold every öre — a price of 9 999 999 999 999 kr/h paid 103 833 333 334 712,96 kr
    where the exact sum is ,95, and one of 10^15 kr/h stopped the run with a Polars
    traceback. A price or a value of the data is wrong: the run stops, naming them."""
    out = []
    for rule in checked.model.payments:
        frame = frames.get(rule.entity)
        column = raw_column(rule.name)
        if frame is None or column not in frame.columns:
            continue
        beyond = frame.filter(pl.col(column).abs() > LARGEST_AMOUNT)
        if beyond.height == 0:
            continue
        entity = checked.model.vocabulary.entities[rule.entity]
        key = [k for k in entity.key if k in frame.columns]
        rows = ids_as_text(beyond.head(MAX_NAMED_ROWS).select(key)).iter_rows() if key else []
        named = "; ".join(row_name(entity.name, row) for row in rows) or f"{beyond.height} rows"
        named += " …" if key and beyond.height > MAX_NAMED_ROWS else ""
        largest = number_text(
            Decimal(repr(float(beyond.select(pl.col(column).abs().max()).item())))
        )
        out.append(
            Diagnostic(
                "amount-too-large",
                f"`{rule.name}` reaches {largest} kr on a line, in {beyond.height} "
                f"row{'s' if beyond.height != 1 else ''} of {month:%Y-%m} ({named}): above "
                f"{number_text(Decimal(LARGEST_AMOUNT))} kr, which no payment reaches and beyond "
                "which carepay cannot compute every öre",
                rule.span,
                hint="a price or a value of the data is far too large; `carepay explain` "
                "shows what the amount is made of",
            )
        )
    return out


def _rows_without_value(
    checked: CheckedModel, frames: dict[str, pl.DataFrame], payment: str
) -> str:
    """The first rows a payment had no value for, by their key (`customer_month K2,
    P1`, `insats C, 2025-03-06`): a warning that said only how many sent the controller
    to look through every customer with `explain`."""
    entity = checked.model.vocabulary.entities[checked.model.rules[payment].entity]
    frame = frames[entity.name]
    key = [k for k in entity.key if k in frame.columns]
    missing = frame.filter(pl.col(ore_column(payment)).is_null())
    if not key or missing.height == 0:
        return f"{missing.height} {entity.name}"
    shown = ids_as_text(missing.head(MAX_NAMED_ROWS).select(key)).iter_rows()
    named = "; ".join(row_name(entity.name, row) for row in shown)
    return named + (" …" if missing.height > MAX_NAMED_ROWS else "")


MAX_NAMED_ROWS = 3  # rows named in a warning about a payment's missing values


def _empty_month(
    vocabulary: Vocabulary,
    frames: dict[str, pl.DataFrame],
    lines: pl.DataFrame,
    month: date,
    unread: Collection[str] = (),
    rejected: Callable[[str], int] = lambda table: 0,
    paired_only: str | None = None,
) -> list[Diagnostic]:
    """A month with no visits (or no decisions) in the data is nearly always the wrong
    month or a missing file, and still pays every fixed amount: say so loudly. A table
    the model does not use (`unread`) is empty by design, and its emptiness means
    nothing: a model paying executed visits alone was told its month had "no decisions
    in force".
    Where the table had rows `rejected`, the month may have lost its rows to them: it
    said "has no visits in the data" of a month whose two visits were both rejected."""
    lacking, lost = [], []
    for entity, words in (
        (vocabulary.roles.registration, vocabulary.registrations),
        (vocabulary.roles.decision, "decisions in force"),
    ):
        table = vocabulary.table_of(entity)
        if frames[entity].height == 0 and table not in unread:
            lacking.append(f"no {words}")
            if table is not None and rejected(table):
                count = rejected(table)
                lost.append(
                    f"{count} {'row' if count == 1 else 'rows'} of {table} "
                    + ("was" if count == 1 else "were")
                    + " rejected"
                )
    if not lacking:
        return []
    paid = int(lines["amount_ore"].sum() or 0) if lines.height else 0
    where = " to count" if lost else " in the data"
    hint = "check --month and that every table's file is there; --strict makes this an error"
    if lost:
        hint = f"{' and '.join(lost)} (rejects.csv): if they are this month's, correct them; {hint}"
    elif paired_only and frames[vocabulary.roles.registration].height == 0:
        hint = (
            f"{hint}; no formula reads the {vocabulary.registrations}: if the model pays none, "
            f"leave {vocabulary.roles.registration} out of {paired_only}'s month rule "
            f"(`of:`), and a month without them is no gap"
        )
    return [
        Diagnostic(
            "empty-month",
            f"{month:%Y-%m} has {' and '.join(lacking)}{where}, yet pays "
            + f"{paid / 100:,.2f} SEK".replace(",", " "),
            where=f"{month:%Y-%m}",
            severity="warning",
            hint=hint,
        )
    ]


def _overlapping_periods(
    vocabulary: Vocabulary, frames: Mapping[str, pl.DataFrame], month: date
) -> list[Diagnostic]:
    """Rows of an entity of periods that should not be in force on the same day
    (`overlapping:` in entities.json, or a model's entity): decisions of one customer,
    provider and service — a decision that replaces another registered before the other
    is ended, whose granted time, summed over the decisions, is counted twice (a month
    paid double by granted hours, or a control factor halved) — and journals of one
    customer, provider and profession (a listing fee paid twice). Said, with the pairs;
    two that both hold are the model's to sum."""
    out = []
    for entity in vocabulary.entities.values():
        frame = frames.get(entity.name)
        if not entity.overlapping or entity.month.by != "period" or frame is None:
            continue
        pairs = _overlapping_pairs(vocabulary, entity, frame, month)
        if pairs:
            out.append(_overlapping_said(vocabulary, entity, pairs, month))
    return out


def _overlapping_pairs(
    vocabulary: Vocabulary, entity: Entity, frame: pl.DataFrame, month: date
) -> list[tuple[str, ...]]:
    """Each pair of rows with the same `overlapping` values in force on a common day of
    the month: the values, and the two rows by their key (by their first day where the
    table has none of one column)."""
    keys, (first, last) = list(entity.overlapping), entity.month.columns
    if frame.height < 2 or not {*keys, first, last} <= set(frame.columns):
        return []
    table = vocabulary.tables.get(entity.table or "")
    key = table.key[0] if table is not None and len(table.key) == 1 else None
    if key is not None and key not in frame.columns:
        return []
    end = month_bounds(month)[1]  # the last day is a day in force too
    named = pl.col(key).cast(pl.String) if key else pl.lit("from ") + pl.col(first).cast(pl.String)
    rows = frame.select(*keys, pl.col(first), pl.col(last), named.alias("__row")).with_columns(
        pl.col(last).fill_null(end).clip(upper_bound=end)
    )
    rows = rows.with_row_index("__i").filter(pl.len().over(keys) > 1)
    if rows.height == 0:
        return []
    pairs = ids_as_text(  # the ids as the data writes them, joined as the run holds them
        rows.join(rows, on=keys, suffix="_b")
        .filter(
            _earlier(first, "__row", "__i")  # the earlier row first, however the file is ordered
            & (pl.col(first) <= pl.col(f"{last}_b"))
            & (pl.col(f"{first}_b") <= pl.col(last))
        )
        .sort(*keys, "__row", "__row_b")
    )
    return [
        tuple(str(v) for v in row) for row in pairs.select(*keys, "__row", "__row_b").iter_rows()
    ]


def _unpaired_rows(
    checked: CheckedModel, frames: Mapping[str, pl.DataFrame], month: date
) -> list[Diagnostic]:
    """The rows of the month that a formula reads through a relation of a pairs entity
    and that are in no row of it (`check` warned they could be: `unpaired-rows`): a
    contract of a provider with no customer that month, where the provider's month is
    made of its customers alone, is paid nothing by the guarantee that reads it. Named,
    and the run exits 5, as for any value missing where an amount needed it."""
    vocabulary = checked.model.vocabulary
    out = []
    for pairs, relation in checked.unpaired:
        entity = vocabulary.entities[pairs]
        rows, parents = frames.get(relation.entity), frames.get(pairs)
        keys = list(relation.keys)
        if rows is None or parents is None:
            continue
        alone = rows.join(parents.select(keys).unique(), on=keys, how="anti")
        if alone.height == 0:
            continue
        key = naming_columns(vocabulary, relation.entity, alone.columns)
        shown = ids_as_text(alone.head(MAX_NAMED_ROWS).select(key)).iter_rows()
        named = "; ".join(row_name(relation.entity, row) for row in shown)
        named += " …" if alone.height > MAX_NAMED_ROWS else ""
        plural = "s" if alone.height != 1 else ""
        sources = ", ".join(entity.month.of)
        out.append(
            Diagnostic(
                "unpaired-rows",
                f"{alone.height} {relation.entity} row{plural} of {month:%Y-%m} "
                f"{'is' if alone.height == 1 else 'are'} in no {entity.name} ({named}): "
                f"no row of {sources} has {'its' if alone.height == 1 else 'their'} "
                f"{', '.join(keys)}, so `{relation.name}` pays nothing by "
                f"{'it' if alone.height == 1 else 'them'}",
                where=f"{month:%Y-%m}",
                severity="warning",
                hint=f"make {entity.name}'s rows from {relation.entity} too: entities: "
                f"{{{entity.name}: {{month: {{by: pairs, of: [{sources}, {relation.entity}]}}}}}}",
            )
        )
    return out


def _looked_up_in_vain(
    checked: CheckedModel, frames: Mapping[str, pl.DataFrame], month: date
) -> list[Diagnostic]:
    """Rows whose relation to a table read whole (`{by: all}`: a staff list, a price
    list of the model's own) finds no row of it, where a formula reads the relation:
    what the model reads there is as if the table said nothing of them. Sjöhamn's
    visit by a staff member missing from the staff list (or misspelt there) paid no
    language supplement, in silence. A warning naming the values; a column declared
    with `references:` makes such rows rejected rows instead."""
    vocabulary = checked.model.vocabulary
    read = {info.relation for info in checked.aggs.values()}
    # `not any(insatser)`, `count(insatser) == 0`: the model asks whether there are any
    # (Granby excludes a visit without its insatser, with its reason): no warning
    asked = {
        info.relation
        for info in checked.aggs.values()
        if info.func in ("any", "count") and info.condition is None and info.field is None
    }
    out = []
    for entity in vocabulary.entities.values():
        for relation in entity.relations:
            target = vocabulary.entities.get(relation.entity)
            rows, listed = frames.get(entity.name), frames.get(relation.entity)
            keys = list(relation.keys)
            if (
                relation not in read - asked
                or target is None
                or target.month.by != "all"
                or not keys
                or rows is None
                or listed is None
                or not rows.height
                or not set(keys) <= set(rows.columns) & set(listed.columns)
            ):
                continue
            named = ids_as_text(rows.select(keys)).drop_nulls()
            alone = named.join(
                ids_as_text(listed.select(keys)).unique(), on=keys, how="anti", nulls_equal=False
            )
            if alone.height:
                out.append(_said_in_vain(entity, relation, target, alone, month))
    return out


def _said_in_vain(
    entity: Entity, relation: Relation, target: Entity, alone: pl.DataFrame, month: date
) -> Diagnostic:
    values = alone.unique(maintain_order=True)
    shown = "; ".join(", ".join(str(v) for v in row) for row in values.head(8).iter_rows())
    more = f" and {values.height - 8} more" if values.height > 8 else ""
    keys = ", ".join(relation.keys)
    plural = "s" if alone.height != 1 else ""
    table = target.table or target.name
    return Diagnostic(
        "looked-up-in-vain",
        f"{alone.height} {entity.name} row{plural} of {month:%Y-%m} "
        f"{'names' if alone.height == 1 else 'name'} a {keys} that no row of {table} has "
        f"({shown}{more}): `{relation.name}` finds nothing for "
        f"{'it' if alone.height == 1 else 'them'}, as if {table} said nothing of "
        f"{'it' if alone.height == 1 else 'them'}",
        where=f"{month:%Y-%m}",
        severity="warning",
        hint=f"add the missing rows to {table}, or correct the {keys}; if every {keys} must "
        f"be in {table}, declare it so, and such rows are rejected with their reason: "
        f"vocabulary: {{columns: {{{entity.table or entity.name}: {{{relation.keys[0]}: "
        f"{{references: {table}}}}}}}}}",
    )


def _earlier(*columns: str) -> pl.Expr:
    """Whether a row of a pair (its `columns`) comes before the other (`…_b`), column by
    column: a pair is said the same way whichever of its rows a file lists first."""
    before, same = pl.lit(False), pl.lit(True)
    for name in columns:
        ours, theirs = pl.col(name), pl.col(f"{name}_b")
        before = before | (same & (ours < theirs))
        same = same & (ours == theirs)
    return before


def _overlapping_said(
    vocabulary: Vocabulary, entity: Entity, pairs: list[tuple[str, ...]], month: date
) -> Diagnostic:
    decisions = entity.name == vocabulary.roles.decision
    words = [
        {"customer_id": "customer", "provider_id": "provider"}.get(k, k) for k in entity.overlapping
    ]
    said = ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]
    shown = [f"{', '.join(p[:-2])}: {p[-2]} and {p[-1]}" for p in pairs[:8]]
    more = f" and {len(pairs) - 8} more" if len(pairs) > 8 else ""
    count = len(pairs)
    end = entity.month.columns[1]
    return Diagnostic(
        "overlapping-decisions" if decisions else "overlapping-periods",
        f"{month:%Y-%m} has {count} pair{'s' if count != 1 else ''} of {entity.table} of one "
        f"{said} in force on the same days: " + "; ".join(shown) + more,
        where=f"{month:%Y-%m}",
        severity="warning",
        hint=(
            "a decision that replaces another ends the day before it starts: correct "
            "the earlier one's end_date, or the customer's granted time is counted twice "
            "where the model sums it; if both hold, nothing"
            if decisions
            else f"a row that replaces another ends the day before it starts: correct the "
            f"earlier one's {end}, or what the model pays per row is paid for both; if both "
            "hold, nothing"
        ),
    )


def rejection_consequences(result: RunResult, dataset: Dataset) -> list[Diagnostic]:
    """Visits excluded for customers that have a rejected row in another table: the
    exclusion may follow from the rejection (a decision rejected for a formatted amount
    leaves its visits 'not granted'), so the summary links the two."""
    registrations = result.checked.model.vocabulary.registrations
    owners = {
        table: rows for table, rows in dataset.rejected_customers.items() if table != registrations
    }
    if not owners or not result.months:
        return []
    excluded = pl.concat([m.exclusions for m in result.months])
    reads = {r.name: tables_read(result.checked, r.name) for r in result.checked.model.exclusions}
    out = []
    for table, by_customer in sorted(owners.items()):
        reading = [rule for rule, tables in reads.items() if table in tables]
        hit = excluded.filter(
            pl.col("customer_id").is_in(list(by_customer)) & pl.col("rule").is_in(reading)
        )
        if hit.height == 0:
            continue
        rules = hit.group_by("rule").len().sort("rule")
        counted = ", ".join(f"`{rule}` {n}" for rule, n in rules.iter_rows())
        customers = sorted(set(hit["customer_id"].to_list()))
        rows = sorted({row for c in customers for row in by_customer[c]})
        shown = ", ".join(str(r) for r in rows[:8]) + (" …" if len(rows) > 8 else "")
        out.append(
            Diagnostic(
                "follows-rejection",
                f"{hit.height} excluded visit{'s' if hit.height != 1 else ''} ({counted}) "
                f"belong{'s' if hit.height == 1 else ''} to {len(customers)} customer{'s' if len(customers) != 1 else ''} "
                f"whose {table} rows were rejected ({dataset.origins.get(table, table)} rows "
                f"{shown}): the exclusions may follow from the rejection",
                where=dataset.origins.get(table, table),
                severity="warning",
                hint="correct those rows (see rejects.csv) and run again",
            )
        )
    return out


def _unmapped_districts(
    checked: CheckedModel, frames: dict[str, pl.DataFrame], month: date
) -> list[Diagnostic]:
    """Customers whose district is in none of the model's zones: an error, because a
    missing zone would silently pay nothing (never a guessed default zone)."""
    if not checked.model.zones:
        return []
    unmapped = frames[checked.model.vocabulary.roles.customer_month].filter(
        pl.col("zone").is_null()
    )
    if unmapped.height == 0:
        return []
    districts = sorted({str(d) for d in unmapped["district"].to_list()})
    return [
        Diagnostic(
            "unmapped-district",
            f"{unmapped.height} customer-month{'s' if unmapped.height != 1 else ''} in {month:%Y-%m} "
            f"{'have' if unmapped.height != 1 else 'has'} a district in no zone: {', '.join(districts)}",
            where="customers:district",
            hint="add each district to one of the model's zones ("
            + ", ".join(checked.model.zones)
            + ") under `zones:`, in the model or in a scenario that extends it",
        )
    ]


def run(
    model: str | Path,
    data: str | Path | Frames,
    first: date | str,
    last: date | str | None = None,
    progress: Callable[[list[date]], Iterable[date]] = iter,
    columns: Mapping[str, Mapping[str, str]] | None = None,
) -> RunResult:
    """Load and check the model, read and check the data (files or frames in memory,
    see `load_dataset`), and run the months from `first` to `last` (dates, or months
    written as on the command line, `"2024-02"`)."""
    months = months_between(_month(first), None if last is None else _month(last))
    checked, warnings = load(model, months)
    dataset, data_warnings = load_dataset(checked, data, columns=columns)
    result = run_model(checked, dataset, months, progress)
    result.warnings[:0] = warnings + data_warnings
    return result


def _month(value: date | str) -> date:
    """A month given to the API: a date (its month), or text as `--month` takes it."""
    if isinstance(value, str):
        return parse_month(value)
    if not isinstance(value, date):
        raise EngineError(
            [Diagnostic("bad-value", f"`{value!r}` is no month: give a date or 'YYYY-MM'")]
        )
    return value


# ----------------------------------------------------------------------------- explain


def rows_with_relations(
    vocabulary: Vocabulary, frames: dict[str, pl.DataFrame], entity: str, frame: pl.DataFrame
) -> list[Row]:
    """Interpreter rows for `frame`, each with its related rows (recursively)."""
    out = []
    for values in frame.to_dicts():
        row = Row(entity, values)
        for relation in vocabulary.entities[entity].relations:
            child = frames[relation.entity]
            for key in relation.keys:
                child = child.filter(pl.col(key) == values[key])
            row.children[relation.name] = rows_with_relations(
                vocabulary, frames, relation.entity, child
            )
        out.append(row)
    return out


def peers_of_month(
    plan: Plan, tables: dict[str, pl.DataFrame], frames: dict[str, pl.DataFrame] | None = None
) -> PeerSource:
    """What `overlaps` compares a registration with in the interpreter: the month's
    rows (`frames`, made here when not given) and the neighbouring months' rows that
    can overlap them, as the compiler does."""
    registration = plan.checked.model.vocabulary.roles.registration
    frames = frames if frames is not None else base_frames(plan, tables)
    return frame_peers(frames, (registration, neighbour_registrations(plan, tables)))


def frame_peers(
    frames: dict[str, pl.DataFrame], neighbours: tuple[str, pl.DataFrame | None] | None = None
) -> PeerSource:
    """Rows of an entity's frame with given key values (what `overlaps` compares with),
    and for the registration entity the neighbouring months' rows that can overlap."""

    compared = dict(frames)  # the registrations with their neighbours, joined once
    if neighbours is not None and neighbours[1] is not None:
        entity, extra = neighbours[0], neighbours[1]
        own = frames[entity]
        extra = extra.select([c for c in own.columns if c in extra.columns])
        compared[entity] = pl.concat([own, extra], how="diagonal_relaxed")

    def peers(entity: str, keys: tuple[str, ...], values: tuple[Any, ...]) -> list[dict[str, Any]]:
        frame = compared[entity]
        for key, value in zip(keys, values, strict=True):
            frame = frame.filter(pl.col(key) == value)
        return frame.to_dicts()

    return peers


def customer_rows(
    plan: Plan, dataset: Dataset, customer: str, frames: dict[str, pl.DataFrame] | None = None
) -> list[Row]:
    """The customer-month rows of one customer (one per provider), with related rows."""
    frames = frames if frames is not None else base_frames(plan, dataset.tables)
    vocabulary = plan.checked.model.vocabulary
    entity = vocabulary.roles.customer_month
    chosen = frames[entity].filter(pl.col("customer_id") == customer)
    return rows_with_relations(vocabulary, frames, entity, chosen)


def explain(
    model: str | Path,
    data: str | Path,
    month: date,
    customer: str | None,
    everything: bool = False,
    provider: str | None = None,
    rows: int | None = ROWS_SHOWN,
    lang: str = "en",
) -> tuple[str, list[tuple[Row, list[Trace]]]]:
    """The payments of a customer's month — or, with `provider` instead, of a
    provider's own month — traced (those that pay something, or all of them with
    `everything`; the first `rows` rows of each aggregation, or every one with None);
    and the model's heading. The notes and the heading in `lang` ("sv": Swedish)."""
    checked, _ = load(model, [month])
    dataset, _ = load_dataset(checked, data)
    if customer is None:
        assert provider is not None
        return explain_provider_loaded(checked, dataset, month, provider, everything, rows, lang)
    return explain_loaded(checked, dataset, month, customer, everything, rows, lang)


def explain_loaded(
    checked: CheckedModel,
    dataset: Dataset,
    month: date,
    customer: str,
    everything: bool = False,
    rows_shown: int | None = ROWS_SHOWN,
    lang: str = "en",
) -> tuple[str, list[tuple[Row, list[Trace]]]]:
    """`explain` on a model and data already loaded (the studio loads them once): the
    data as the model's assumptions say it would be, as a run pays it."""
    checked = with_data_zones(checked, dataset)
    dataset, applied = _as_assumed(checked, dataset)
    plan = plan_month(checked, month)
    frames = base_frames(plan, dataset.tables)  # the rows and the peers of `overlaps`
    rows = customer_rows(plan, dataset, customer, frames)
    if not rows:  # a customer has a month when any row of theirs has
        raise EngineError(
            [
                Diagnostic(
                    "unknown-reference",
                    f"customer `{customer}` has no decisions or visits in {month:%Y-%m}",
                    hint="check the customer id and the month",
                )
            ]
        )
    entity = checked.model.vocabulary.roles.customer_month
    traced = _traced(plan, dataset, frames, entity, rows, everything, rows_shown, lang)
    for other, found in _payable_rows_of_customer(plan, frames, customer, lang).items():
        shown = _traced(plan, dataset, frames, other, found, everything, rows_shown, lang)
        traced += [(row, traces) for row, traces in shown if traces or everything]
    return _heading(checked, applied, lang), traced


def _as_assumed(checked: CheckedModel, dataset: Dataset) -> tuple[Dataset, list[Applied]]:
    """The data as a scenario's assumptions say it would be (a copy), as `run_model`
    takes it: explained without them, a scenario's tree showed the visits as
    registered, beside a run and a letter paying them shortened."""
    model = checked.model
    return apply_assumptions(model.vocabulary, model.assumptions, dataset)


def _payable_rows_of_customer(
    plan: Plan, frames: dict[str, pl.DataFrame], customer: str, lang: str = "en"
) -> dict[str, list[Row]]:
    """The customer's rows of the month in every other entity with payments of its own
    (an effect premium per claim, a fee per delivery), each named by its key: they are
    on the customer's statement and letter, and explain left them out."""
    vocabulary = plan.checked.model.vocabulary
    roles = vocabulary.roles
    out = {}
    for name in vocabulary.order:
        frame = frames.get(name)
        if (
            name not in vocabulary.payable
            or name in (roles.customer_month, roles.provider_month)
            or frame is None
            or "customer_id" not in frame.columns
        ):
            continue
        chosen = frame.filter(pl.col("customer_id") == customer)
        rows = rows_with_relations(vocabulary, frames, name, chosen)
        key = row_key(vocabulary, name, frame.columns) or list(vocabulary.entities[name].key)
        kind = vocabulary.entities[name].labels.get(lang, name)
        for row in rows:  # as the statement line's `row` names it
            row.label = row_name(name, (row.values.get(k) for k in key))
            row.key = ", ".join(str(row.values.get(k)) for k in key)
            row.kind = kind
        out[name] = rows
    return out


def explain_provider_loaded(
    checked: CheckedModel,
    dataset: Dataset,
    month: date,
    provider: str,
    everything: bool = False,
    rows_shown: int | None = ROWS_SHOWN,
    lang: str = "en",
) -> tuple[str, list[tuple[Row, list[Trace]]]]:
    """The provider's own payments of a month (a deduction, a supplement, VAT
    compensation: `provider_month` payments), traced as a customer's are: a provider
    disputing a deduction had no way to see how it was reached."""
    checked = with_data_zones(checked, dataset)
    dataset, applied = _as_assumed(checked, dataset)
    plan = plan_month(checked, month)
    entity = checked.model.vocabulary.roles.provider_month
    frames = base_frames(plan, dataset.tables)
    chosen = frames[entity].filter(pl.col("provider_id") == provider)
    rows = rows_with_relations(checked.model.vocabulary, frames, entity, chosen)
    if not rows:
        paid = _customers_paid_per_row(checked.model.vocabulary, frames, provider)
        hint = "check the provider id and the month"
        if paid:  # a short-term home paid per stay: its payments are its customers' rows
            hint = (
                f"it is paid per row for {', '.join(paid[:5])}{' …' if len(paid) > 5 else ''}: "
                f"explain them with --customer {paid[0]}, or write the letters with --letter"
            )
        raise EngineError(
            [
                Diagnostic(
                    "unknown-reference",
                    f"provider `{provider}` has no customers in {month:%Y-%m}",
                    hint=hint,
                )
            ]
        )
    traced = _traced(plan, dataset, frames, entity, rows, everything, rows_shown, lang)
    return _heading(checked, applied, lang), traced


def _customers_paid_per_row(
    vocabulary: Vocabulary, frames: Mapping[str, pl.DataFrame], provider: str
) -> list[str]:
    """The customers whose rows of a payable entity belong to the provider this month."""
    found: set[str] = set()
    for name in vocabulary.payable:
        frame = frames.get(name)
        if frame is None or not {"customer_id", "provider_id"} <= set(frame.columns):
            continue
        mine = ids_as_text(frame.select("customer_id", "provider_id"))
        mine = mine.filter(pl.col("provider_id") == provider)
        found.update(str(c) for c in mine["customer_id"].drop_nulls())
    return sorted(found)


def _traced(
    plan: Plan,
    dataset: Dataset,
    frames: dict[str, pl.DataFrame],
    entity: str,
    rows: list[Row],
    everything: bool,
    rows_shown: int | None = ROWS_SHOWN,
    lang: str = "en",
) -> list[tuple[Row, list[Trace]]]:
    """Each row's payments on `entity`, traced (those that pay something, or all); the
    month's `frames` serve the rows and `overlaps` (they were made twice)."""
    peers = peers_of_month(plan, dataset.tables, frames)
    interpreter = Interpreter(plan, peers, rows_shown, lang)
    out = []
    for row in rows:
        traces = []
        for step in plan.steps(entity):
            if step.rule is not None and step.rule.kind == "payment":
                amount = interpreter.rule(row, step.name)
                if everything or amount is None or amount != 0:
                    traces.append(row.traces[step.name])
        out.append((row, traces))
    return out


def _heading(checked: CheckedModel, applied: Sequence[Applied] = (), lang: str = "en") -> str:
    """The model, and what its assumptions changed in the data explained."""
    model = checked.model
    title = f"{model.title} — {say(lang, 'explain.model', id=model.id)}"
    title += f" ({model.version})" if model.version else ""
    assumed = (say(lang, "explain.assumed", what=a.words(lang)) for a in applied)
    return "\n".join([title, *assumed])
