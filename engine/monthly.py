"""A run a month at a time, for data too big to hold whole.

A year of a whole country's visits (about 20 M a month) does not fit in memory at
once, and a payment run needs one month of them at a time. So when a run covers more
than one month, or its visits file is very large, the visits are read and checked a
month at a time (with the rows of the neighbouring months that can overlap the
month's, Örebro §4.7), the month is evaluated, and only what the run's outputs need
of it is kept (`MonthFacts`) before the next month is read. The rows of months not
run are read and checked in slices, so that they are rejected and accounted for as
in a run that reads the whole file. Ids seen twice are found over the whole file
first (a hash of each id, 8 bytes a row), so a visit id repeated in another month is
rejected as it is when the file is read whole.

Everything a run writes is the same either way: the same rows in the same order,
the same rejects, the same amounts (tests/test_monthly.py). Not done a month at a
time: data given as CSV files, a workbook or frames in memory (read whole, as
before), a model with assumptions (a scenario changing the data), whose
accounting is over the whole data, and a model with an entity of its own over the
visits' table placed in a month otherwise than the visits are (by the day each was
reported), whose month holds visits of other months.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from engine.api import (
    MonthResult,
    RunResult,
    data_needs,
    engine_columns,
    rejection_consequences,
    run_model,
    unused_tables,
)
from engine.checker import CheckedModel
from engine.coverage import rule_coverage
from engine.data import (
    Dataset,
    Problem,
    Window,
    converted,
    damage,
    duplicate_rows,
    empty_table,
    has_duplicates,
    ids_as_text,
    load_data,
    schema_of,
    table_file,
    warn_rejected,
)
from engine.diagnostics import Diagnostic, Diagnostics
from engine.headers import read_headers
from engine.progress import SILENT, Stages, timed
from engine.reports import VISIT_COLUMN

# A visits file with more rows than this is read a month at a time even for one month.
MONTH_AT_A_TIME_ROWS = 30_000_000
SLICE_ROWS = 20_000_000  # rows of the file read at once for the months not run


@dataclass
class MonthFacts:
    """What the run's outputs need of a month once its frames are let go."""

    month: date
    visits: int  # the month's registrations evaluated
    counted: int
    placed: int  # the month's registrations in the data the model ran on
    problems: list[str]  # what does not add up (a bug in carepay if any)
    not_counted: pl.DataFrame  # the visits not counted, with what a provider needs to find them
    flagged: pl.DataFrame  # the visits flagged for a controller to look at, likewise
    customers: pl.DataFrame  # the customer-month frame's id columns and payments' columns
    providers: pl.DataFrame  # provider_id, name
    coverage: pl.DataFrame


def month_facts(
    result: RunResult, month: MonthResult, placed: int, customer_columns: list[str]
) -> MonthFacts:
    """A month's facts from its frames (`placed`: its registrations in the data)."""
    roles = result.roles
    vocabulary = result.checked.model.vocabulary
    key = vocabulary.registration_key
    frame = month.frames[roles.registration]
    (moment,) = vocabulary.entities[roles.registration].month.columns
    label = f"{month.plan.month:%Y-%m}"
    counted = int(frame["counted"].sum() or 0) if "counted" in frame.columns else 0
    problems = _exclusions_problems(label, frame, key, month.exclusions[VISIT_COLUMN])
    if counted + month.exclusions.height != frame.height:
        problems.append(f"{label}: counted + excluded ≠ visits")
    if has_duplicates(frame[key]):
        problems.append(f"{label}: a visit is in the month twice")
    first, after = month_bounds(month.plan.month)
    if frame.height and not frame[moment].is_between(first, after, closed="left").all():
        problems.append(f"{label}: a visit of another month is in the month")
    if placed != frame.height:
        problems.append(f"{label}: visits of the month are missing from the month's frame")
    customer_month = month.frames.get(roles.customer_month)
    customers = (
        ids_as_text(
            customer_month.select([c for c in customer_columns if c in customer_month.columns])
        )
        if customer_month is not None
        else pl.DataFrame()
    )
    return MonthFacts(
        month=month.plan.month,
        visits=frame.height,
        counted=counted,
        placed=placed,
        problems=problems,
        not_counted=_not_counted(result, month),
        flagged=_flagged(result, month),
        customers=customers,
        providers=ids_as_text(month.frames[roles.provider_month].select("provider_id", "name")),
        coverage=rule_coverage([(month.plan, month.frames)]),
    )


def _not_counted(result: RunResult, month: MonthResult) -> pl.DataFrame:
    one = RunResult(result.checked, [month], dataset=result.dataset)
    return one.not_counted


def _flagged(result: RunResult, month: MonthResult) -> pl.DataFrame:
    return RunResult(result.checked, [month], dataset=result.dataset).flagged


def _exclusions_problems(
    label: str, frame: pl.DataFrame, key: str, excluded_ids: pl.Series
) -> list[str]:
    """The month's exclusions must be exactly its visits not counted. Checked by
    comparing the two short sorted lists (a few per cent of the visits), not by
    looking every excluded id up among all the month's ids; only when they differ are
    the ids searched, to say how."""
    counted = pl.col("counted").fill_null(False) if "counted" in frame.columns else pl.lit(False)
    not_counted = frame.filter(~counted)[key]
    if excluded_ids.len() == not_counted.len() and excluded_ids.sort().equals(
        not_counted.sort(), check_names=False, check_dtypes=False
    ):
        return []
    problems = []
    if has_duplicates(excluded_ids):
        problems.append(f"{label}: a visit excluded twice")
    if excluded_ids.len() and not excluded_ids.is_in(frame[key].implode()).all():
        problems.append(f"{label}: an excluded visit not in the month")
    return problems or [f"{label}: the excluded visits are not the month's visits not counted"]


def registrations_file(checked: CheckedModel, data: str | Path) -> Path | None:
    """The visits' Parquet file of a data directory (the only kind read in parts)."""
    vocabulary = checked.model.vocabulary
    table = vocabulary.registrations
    directory = Path(data)
    if not directory.is_dir():
        return None
    headers = read_headers(directory, vocabulary.tables, Diagnostics())  # said when read
    named = headers.files.get(table) if headers is not None else None
    parquet = table_file(directory, table, "parquet", named)
    if not parquet.is_file() or table_file(directory, table, "csv", named).exists():
        return None
    return parquet


def applies(checked: CheckedModel, data: object, months: list[date]) -> bool:
    """Whether a run reads its visits a month at a time: several months, or a visits
    file too big for one; data in Parquet files, and no assumptions."""
    if not isinstance(data, str | Path) or checked.model.assumptions:
        return False
    file = registrations_file(checked, data)
    if file is None:
        return False
    try:
        scan = pl.scan_parquet(file)
        rows = scan.select(pl.len()).collect().item()
        schema = schema_of(scan)
    except (pl.exceptions.PolarsError, OSError):
        return False  # reported when the file is read whole
    if not _parts_choosable(checked, schema):
        return False  # read whole, where each column's type is reported
    if _placed_otherwise(checked):
        return False  # its month's rows are not the month's part of the file
    return len(months) > 1 or rows > MONTH_AT_A_TIME_ROWS


def _placed_otherwise(checked: CheckedModel) -> list[str]:
    """The model's entities over the visits' table that a month holds by another rule
    than the visits' own — visits paid in the month they are reported
    (`{by: moment, column: reported_at}`): a month's part of the file, chosen by the
    visits' start, would leave out a February visit reported in March."""
    vocabulary = checked.model.vocabulary
    own = vocabulary.entities[vocabulary.roles.registration]
    return [
        name
        for name, entity in vocabulary.entities.items()
        if entity.table == vocabulary.registrations
        and name != vocabulary.roles.registration
        and (entity.month.by, entity.month.columns) != (own.month.by, own.month.columns)
    ]


# The types a part of the visits is chosen by (their month columns) and their ids are
# compared in (their keys) before the part is read: a column of another type (bytes
# that may not be text, durations) is read with the whole file, which reports it.
_CHOOSABLE = (pl.String, pl.Date, pl.Datetime, pl.Categorical, pl.Enum, pl.Null)


def _parts_choosable(checked: CheckedModel, schema: pl.Schema) -> bool:
    vocabulary = checked.model.vocabulary
    table = vocabulary.tables[vocabulary.registrations]
    month = vocabulary.entities[vocabulary.roles.registration].month.columns
    columns = {*table.key, *month, "end"}
    return all(
        dtype.is_numeric() or isinstance(dtype, _CHOOSABLE)
        for name, dtype in schema.items()
        if name.strip() in columns
    )


# The tables a month keeps for the run's outputs, put on disk until every month is run.
SPILLED = {
    MonthResult: ("lines", "exclusions", "flags", "indicators"),
    MonthFacts: ("not_counted", "flagged", "customers"),
}


class Spill:
    """Each month's kept tables (statement lines, exclusions, the visits not counted)
    written to disk as the month ends and read back once every month is run: a year
    of a country's is one to two gigabytes, which every later month's evaluation
    would otherwise be held beside."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.put: list[tuple[object, str, Path, pl.Schema]] = []

    def keep(self, holder: MonthResult | MonthFacts) -> None:
        for name in SPILLED[type(holder)]:
            frame: pl.DataFrame = getattr(holder, name)
            path = self.directory / f"{len(self.put)}.parquet"
            frame.write_parquet(path, compression="lz4", statistics=False)
            self.put.append((holder, name, path, frame.schema))
            setattr(holder, name, frame.clear())

    def read_back(self) -> None:
        for holder, name, path, schema in self.put:
            setattr(holder, name, pl.read_parquet(path).cast(schema))
            path.unlink()
        self.put = []


@contextmanager
def spill() -> Iterator[Spill]:
    with tempfile.TemporaryDirectory(prefix="carepay-months-") as directory:
        yield Spill(Path(directory))


@dataclass
class Months:
    """A run read and evaluated a month at a time: the months' results (without their
    frames), the data as read (the visits' table itself not kept), the facts of each
    month, and the visits outside the months run."""

    result: RunResult
    dataset: Dataset
    facts: list[MonthFacts]
    outside: int
    warnings: list[Diagnostic] = field(default_factory=list)


def run_by_month(
    checked: CheckedModel,
    data: str | Path,
    months: list[date],
    customer_columns: list[str],
    strict: bool = False,
    pseudonym: Callable[[str], str] | None = None,
    stages: Stages = SILENT,
    timings: dict[str, float] | None = None,
) -> Months:
    """Read, check and evaluate the data a month at a time (see the module's doc)."""
    timings = timings if timings is not None else {}
    vocabulary = checked.model.vocabulary
    name = vocabulary.registrations
    table = vocabulary.tables[name]
    file = registrations_file(checked, data)
    assert file is not None
    diags = Diagnostics()
    settings = dict(
        strict=strict,
        zones=checked.model.zones,
        requirements=checked.model.data_requirements,
        model_id=checked.model.id,
        known=vocabulary.tables,
        pseudonym=pseudonym,
        keep=engine_columns(vocabulary),
    )
    needs = data_needs(checked)
    with timed(timings, "read_data"):
        others = [t for t in vocabulary.tables if t != name]
        unused = unused_tables(vocabulary, needs)
        base = load_data(data, needs, diags, only=others, unused=unused, **settings)  # type: ignore[arg-type]
        diags.raise_if_errors()
        scan = pl.scan_parquet(file)
        own = {theirs: ours for ours, theirs in base.headers.get(name, {}).items()}
        if own:  # the data's own column names (columns.yaml), as every part is read
            scan = scan.rename(own, strict=False)
        schema = schema_of(scan)
        with timed(timings, "read_data_duplicates"):
            try:
                duplicates = duplicate_rows(scan, table, schema, row_offset=1)
            except (pl.exceptions.ComputeError, OSError) as error:  # damaged past its header
                diags.error("bad-value", f"cannot read {name}: {damage(error)}", where=str(file))
            diags.raise_if_errors()
    (moment,) = vocabulary.entities[vocabulary.roles.registration].month.columns
    start = table.columns[moment]
    end = table.columns.get("end")
    run = RunResult(checked, [])
    facts: list[MonthFacts] = []
    rejects: list[dict[str, object]] = []
    problems: list[Problem] = []
    rejected_customers: dict[str, list[int]] = {}
    input_rows = 0
    seen: dict[tuple[str, str, str | None], Diagnostic] = {}

    def read_part(window: Window) -> Dataset:
        nonlocal input_rows
        part_diags = Diagnostics()
        with timed(timings, "read_data"):
            part = load_data(
                data,
                needs,
                part_diags,
                only=[name],
                given=base,
                window=window,
                **settings,  # type: ignore[arg-type]
            )
        part_diags.raise_if_errors()
        for diagnostic in part_diags:  # the same warning of every part once
            seen.setdefault((diagnostic.code, diagnostic.message, diagnostic.where), diagnostic)
        rejects.extend(part.rejects[len(base.rejects) :])
        problems.extend(part.problems.get(name, []))
        for customer, rows in part.rejected_customers.get(name, {}).items():
            rejected_customers.setdefault(customer, []).extend(rows)
        input_rows += part.input_rows.get(name, 0)
        for phase, seconds in part.timings.items():
            base.timings[phase] = base.timings.get(phase, 0.0) + seconds
        return part

    def evaluate_month(month: date, spilled: Spill) -> None:
        """Read, check and run one month; keep its facts, put its tables on disk."""
        first, after = month_bounds(month)
        window = Window(
            name,
            select=lambda schema, first=first, after=after: _month_rows(  # type: ignore[misc]
                schema, start, end, first, after
            ),
            owned=pl.col(moment).is_between(first, after, closed="left"),
            duplicates=duplicates,
        )
        part = read_part(window)
        placed = int(part.tables[name].select(window.owned.sum()).item())
        with timed(timings, "evaluate"):
            one = run_model(checked, part, [month], let_go=True)
        for phase, seconds in one.timings.items():
            run.timings[phase] = run.timings.get(phase, 0.0) + seconds
        run.warnings += [  # a month's warning said again by the next (a calendar's) once
            w for w in one.warnings if w.code != "follows-rejection" and w not in run.warnings
        ]
        (month_result,) = one.months
        with timed(timings, "account_for_visits"):
            facts.append(month_facts(one, month_result, placed, customer_columns))
        run.checked = one.checked
        month_result.frames = {}  # let the month's frames go before the next is read
        run.months.append(month_result)
        spilled.keep(month_result)
        spilled.keep(facts[-1])
        stages.advance(month=f"{next_month(month):%Y-%m}")

    stages.stage("evaluate", total=len(months), month=f"{months[0]:%Y-%m}")
    with spill() as spilled:
        for month in months:
            evaluate_month(month, spilled)
        spilled.read_back()
    stages.stage("data")
    outside = 0
    total = scan.select(pl.len()).collect().item()
    first_run, after_run = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    for offset in range(0, total, SLICE_ROWS):
        window = Window(
            name,
            select=lambda schema: ~_between(converted(schema, start), first_run, after_run),
            owned=~_between(pl.col(moment), first_run, after_run),
            duplicates=duplicates,
            rows=(offset, SLICE_ROWS),
        )
        outside += read_part(window).tables[name].height
    dataset = Dataset(
        tables={**base.tables, name: empty_table(table)},
        origins=base.origins,
        row_offset=base.row_offset,
        input_rows={
            t: (input_rows if t == name else base.input_rows.get(t, 0))
            for t in vocabulary.tables
            if t == name or t in base.input_rows
        },
        rejects=base.rejects + sorted(rejects, key=lambda r: int(r["row"])),  # type: ignore[call-overload]
        rejected_ids=base.rejected_ids,
        rejected_customers={**base.rejected_customers, name: rejected_customers},
        timings=base.timings,
        unread=base.unread,
        headers=base.headers,
    )
    warnings = list(diags) + list(seen.values())
    rejected = Diagnostics()
    warn_rejected(dataset, name, sorted(problems, key=lambda p: p.index), rejected)
    warnings += list(rejected)
    run.warnings += rejection_consequences(run, dataset)
    return Months(run, dataset, facts, outside, warnings)


def _between(moment: pl.Expr, first: datetime, after: datetime) -> pl.Expr:
    return moment.is_between(first, after, closed="left").fill_null(False)


def _month_rows(
    schema: pl.Schema, start: object, end: object, first: datetime, after: datetime
) -> pl.Expr:
    """The month's registrations, and those of the months either side that can
    overlap one of them (as `frames.neighbour_registrations` chooses them)."""
    begins = converted(schema, start)  # type: ignore[arg-type]
    rows = begins.is_between(first, after, closed="left")
    if end is not None and end.name in schema:  # type: ignore[attr-defined]
        ends = converted(schema, end)  # type: ignore[arg-type]
        rows = (
            rows
            | ((begins < first) & (ends > first))
            | begins.is_between(after, after + timedelta(days=1), closed="left")
        )
    return rows.fill_null(False)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first moment of the month and the first moment after it."""
    return (
        datetime.combine(month, datetime.min.time()),
        datetime.combine(next_month(month), datetime.min.time()),
    )
