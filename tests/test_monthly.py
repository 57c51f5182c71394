"""A run a month at a time (engine/monthly.py) writes what a run on the whole data
writes: every output byte for byte, the same manifest, the same warnings; on data
with the problems a month boundary can hide (a visit id repeated in another month, a
visit with no start, visits of months not run, a blank row), and with the months not
run read in several slices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from engine import monthly, runner
from engine.api import load
from engine.catalog import tables
from engine.data import duplicate_rows
from engine.diagnostics import EngineError
from engine.generate import generate, write
from engine.runner import Job, execute, manifest_differences
from tests.conftest import damaged

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of visits in Parquet, with rows wrong in the ways a month at a
    time could get wrong."""
    directory = tmp_path_factory.mktemp("monthly") / "data"
    write(generate("orebro", 120, 3, 3, date(2024, 1, 1)), directory, "parquet")
    visits = pl.read_parquet(directory / "visits.parquet")
    january = visits.filter(pl.col("start").dt.month() == 1).height
    ids, starts, ends, customers = (
        visits[c].to_list() for c in ("visit_id", "start", "end", "customer_id")
    )
    ids[january + 10] = ids[5]  # a January id again in February: the later row is rejected
    ids[-3] = ids[january + 20]  # and a February id again in March
    starts[7] = None  # no start: in no month, rejected
    ends[8] = starts[8] - timedelta(hours=1)  # ends before it starts
    customers[9] = "K999999"  # no such customer
    starts[11], ends[11] = datetime(2024, 5, 3, 10), datetime(2024, 5, 3, 11)  # after the run
    starts[12], ends[12] = datetime(2023, 6, 3, 10), datetime(2023, 6, 3, 11)  # before it
    ends[13] = starts[13] + timedelta(hours=30)  # longer than a day
    visits = visits.with_columns(
        pl.Series("visit_id", ids),
        pl.Series("start", starts, dtype=visits["start"].dtype),
        pl.Series("end", ends, dtype=visits["end"].dtype),
        pl.Series("customer_id", customers),
    )
    blank = pl.DataFrame([pl.Series(c, [None], dtype=visits[c].dtype) for c in visits.columns])
    pl.concat([visits.slice(0, 30), blank, visits.slice(30)]).write_parquet(
        directory / "visits.parquet"
    )
    return directory


@dataclass
class Both:
    month: runner.Outcome
    whole: runner.Outcome
    month_dir: Path
    whole_dir: Path


def _both(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: Path,
    model: str,
    first: str,
    last: str,
) -> Both:
    outcomes = {}
    for mode in ("month", "whole"):
        by_month = mode == "month"
        monkeypatch.setattr(runner.monthly, "applies", lambda *_, by_month=by_month: by_month)
        outcomes[mode] = execute(Job(str(ROOT / model), str(data), first, last), tmp_path / mode)
    return Both(outcomes["month"], outcomes["whole"], tmp_path / "month", tmp_path / "whole")


def _same_outputs(both: Both) -> None:
    names = sorted(p.name for p in both.whole_dir.iterdir())
    assert names == sorted(p.name for p in both.month_dir.iterdir())
    for name in names:
        if name != "manifest.json":
            month, whole = (
                (both.month_dir / name).read_bytes(),
                (both.whole_dir / name).read_bytes(),
            )
            assert month == whole, name
    manifests = [
        json.loads((d / "manifest.json").read_text()) for d in (both.month_dir, both.whole_dir)
    ]
    assert manifest_differences(*manifests) == []
    assert sorted((w.code, w.message, w.where) for w in both.month.warnings) == sorted(
        (w.code, w.message, w.where) for w in both.whole.warnings
    )
    assert both.month.conservation == both.whole.conservation
    assert both.month.conservation.balanced


def test_three_months_a_month_at_a_time_write_what_the_whole_data_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    both = _both(tmp_path, monkeypatch, hostile, "rules/orebro", "2024-01", "2024-03")
    _same_outputs(both)  # the manifests too: the tables Örebro does not use, unread alike
    manifest = json.loads((both.month_dir / "manifest.json").read_text())
    assert [t["table"] for t in manifest["not_read"]] == ["absences", "journals"]
    conservation = both.month.conservation
    # two ids seen before, no start, an end before the start, no such customer, over a day
    assert (conservation.rejected, conservation.outside_months) == (6, 2)
    rejects = pl.read_csv(both.month_dir / "rejects.csv")
    repeated = rejects.filter(pl.col("code") == "duplicate-id")
    visits = pl.read_parquet(hostile / "visits.parquet").with_row_index()
    assert repeated.height == 2
    for row, value, reason in repeated.select("row", "value", "reason").iter_rows():
        rows = visits.filter(pl.col("visit_id") == value)["index"].to_list()
        assert len(rows) == 2 and row == rows[1] + 1  # the later row, by its file row
        assert reason == f"`visit_id` {value} appears more than once (first on row {rows[0] + 1})"
    assert all(m.frames == {} for m in both.month.result.months)  # let go month by month
    # the rejected visits with a start in the months are among the visits not counted
    # (byte for byte as the whole data's workbook); the one with no start is in no month
    sheet = openpyxl.load_workbook(both.month_dir / "payments.xlsx")["Ej räknade besök"]
    reasons = [row[8] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert sum(str(r).startswith("raden avvisades när indata lästes") for r in reasons) == 5


def test_one_month_of_a_longer_file_with_the_rest_read_in_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    monkeypatch.setattr(monthly, "SLICE_ROWS", 5_000)  # the months not run in several slices
    both = _both(tmp_path, monkeypatch, hostile, "rules/orebro", "2024-02", "2024-02")
    _same_outputs(both)
    assert both.month.conservation.outside_months > 2 * 5_000


def test_a_visits_file_with_columns_named_like_carepays_row_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    """An export's own columns `__row` and `__i` beside the visits: read a month at a
    time, the run writes what the whole data's run writes (the row places carepay adds
    to a file's columns took the name `__row`, and stopped this run with a traceback,
    "cannot add row_index with name '__row'")."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(hostile, data)
    visits = pl.read_parquet(data / "visits.parquet")
    given = pl.col("visit_id").is_not_null()  # the blank row stays blank
    own = [pl.when(given).then(pl.lit(v)).alias(name) for name, v in (("__row", "x"), ("__i", "y"))]
    visits.with_columns(own).write_parquet(data / "visits.parquet")
    both = _both(tmp_path, monkeypatch, data, "rules/orebro", "2024-01", "2024-03")
    _same_outputs(both)
    assert (both.month.conservation.rejected, both.month.conservation.outside_months) == (6, 2)


def test_another_model_on_the_same_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    _same_outputs(_both(tmp_path, monkeypatch, hostile, "rules/norrtalje", "2024-01", "2024-03"))


def test_which_runs_go_a_month_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    checked, _ = load(ROOT / "rules/orebro")
    january, february = date(2024, 1, 1), date(2024, 2, 1)
    assert monthly.applies(checked, hostile, [january, february])
    assert not monthly.applies(checked, hostile, [january])  # one month of a small file
    monkeypatch.setattr(monthly, "MONTH_AT_A_TIME_ROWS", 1_000)
    assert monthly.applies(checked, hostile, [january])  # one month of a big file
    assert not monthly.applies(checked, ROOT / "examples/orebro", [january, february])  # CSV
    assert not monthly.applies(checked, {"visits": pl.DataFrame()}, [january, february])
    scenario, _ = load(ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml")
    assert scenario.model.assumptions  # a scenario that changes the data: read whole
    assert not monthly.applies(scenario, hostile, [january, february])


def _visits_changed(tmp_path: Path, hostile: Path, column: str, change: pl.Expr) -> Path:
    """The hostile data with one column of the visits made anew."""
    data = tmp_path / "data"
    data.mkdir()
    for file in hostile.glob("*.parquet"):
        frame = pl.read_parquet(file)
        if file.stem == "visits":
            frame = frame.with_columns(change.alias(column))
        frame.write_parquet(data / file.name)
    return data


MONTHS = [date(2024, 1, 1), date(2024, 2, 1)]


def test_visits_starting_at_durations_are_read_whole_and_reported(
    tmp_path: Path, hostile: Path
) -> None:
    """Before: the month-at-a-time reader chose each month's rows by the raw `start`,
    compared durations with dates and stopped with a traceback; now a file whose
    months or ids cannot choose a part is read whole, where the type is an error."""
    data = _visits_changed(tmp_path, hostile, "start", pl.duration(minutes=pl.int_range(pl.len())))
    checked, _ = load(ROOT / "rules/orebro")
    assert not monthly.applies(checked, data, MONTHS)
    with pytest.raises(EngineError) as caught:
        execute(Job(str(ROOT / "rules/orebro"), str(data), "2024-01", "2024-02"), tmp_path / "o")
    assert "column `start` of visits.parquet holds durations" in str(caught.value)


def test_visit_ids_as_bytes_one_not_utf8_are_read_whole_and_rejected(
    tmp_path: Path, hostile: Path
) -> None:
    """Before: a visit id of bytes that were not UTF-8 stopped the month-at-a-time
    reader's search for ids seen twice with a traceback (`invalid utf8`)."""
    bad = pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(b"\xff"))
    data = _visits_changed(
        tmp_path, hostile, "visit_id", bad.otherwise(pl.col("visit_id").cast(pl.Binary))
    )
    checked, _ = load(ROOT / "rules/orebro")
    assert not monthly.applies(checked, data, MONTHS)
    outcome = execute(
        Job(str(ROOT / "rules/orebro"), str(data), "2024-01", "2024-02"), tmp_path / "o"
    )
    whole = execute(
        Job(str(ROOT / "rules/orebro"), str(hostile), "2024-01", "2024-02"), tmp_path / "w"
    )
    # the same rows rejected as from the ids as text: the one of bytes is read as `ÿ`
    assert outcome.manifest["counts"]["rejected_rows"] == whole.manifest["counts"]["rejected_rows"]


def test_a_visits_file_damaged_in_its_pages_is_named_not_a_crash(
    tmp_path: Path, hostile: Path
) -> None:
    """Before: a month at a time, the search for ids seen twice decoded the damaged
    page and stopped with a traceback (read whole, the same file was a traceback too)."""
    data = _visits_changed(tmp_path, hostile, "visit_id", pl.col("visit_id"))
    damaged(data / "visits.parquet")
    checked, _ = load(ROOT / "rules/orebro")
    assert monthly.applies(checked, data, MONTHS)
    for months in (("2024-01", "2024-02"), ("2024-02", "2024-02")):  # by month, whole
        with pytest.raises(EngineError) as caught:
            execute(Job(str(ROOT / "rules/orebro"), str(data), *months), tmp_path / "o")
        assert "cannot read visits: parquet" in str(caught.value)


@pytest.mark.parametrize("slice_rows", [2, 10_000_000])  # ids read a slice at a time
@pytest.mark.parametrize(
    "ids, expected",
    [
        (["a", "b", "c"], []),
        (["a", "b", "c", "d", "e"], []),  # rising: no hash sorted
        (["a", "b", "a", "a"], [(2, "a", 1), (3, "a", 1)]),
        (["a", "b", "c", "c"], [(3, "c", 3)]),  # rising but for the last
        (["a", "b", "b", "c"], [(2, "b", 2)]),  # the same id either side of a slice's end
        (["a", "c", "b", "d"], []),  # out of order, none twice
        ([" a", "a ", None, None, "b"], [(1, "a", 1)]),  # as converted: stripped; no id is none
        (["x", "", "", "x"], [(3, "x", 1)]),  # blank is no id
    ],
)
def test_ids_seen_twice_over_the_whole_file(
    ids: list[str | None],
    expected: list[tuple[int, str, int]],
    slice_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine import data

    monkeypatch.setattr(data, "HASHED_ROWS", slice_rows)
    frame = pl.LazyFrame({"visit_id": ids}, schema={"visit_id": pl.String})
    found = duplicate_rows(frame, tables()["visits"], frame.collect_schema(), row_offset=1)
    assert sorted(found.select(data.ROW, "value", "first").iter_rows()) == expected


def test_related_rows_paired_a_slice_at_a_time_give_the_same_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`any(… where …)` over a row's own related rows (a visit's decisions) is computed
    a slice of rows at a time, so a national month's pairs are never all in memory;
    slices of 997 visits give every frame of the run as one slice does."""
    from engine import aggregate
    from engine.api import load_dataset, run_model

    months = [date(2024, 2, 1)]
    checked, _ = load(ROOT / "rules/orebro", months)
    dataset, _ = load_dataset(checked, ROOT / "examples/orebro")
    whole = run_model(checked, dataset, months).months[0]
    monkeypatch.setattr(aggregate, "CORRELATED_ROWS", 997)
    sliced = run_model(checked, dataset, months).months[0]
    assert whole.frames.keys() == sliced.frames.keys()
    for entity, frame in whole.frames.items():
        assert sliced.frames[entity].equals(frame), entity
    assert sliced.lines.equals(whole.lines) and sliced.exclusions.equals(whole.exclusions)
    assert sliced.exclusions.height > 0


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame({"customer_id": ["K1", None], "amount_ore": [12_345, -1]}),
        pl.DataFrame({"start": [datetime(2024, 1, 31, 23, 59, 59, 999_999)], "x": [None]}),
        pl.DataFrame({"minutes": [float("nan"), -0.0, 1e300]}),
        pl.DataFrame(schema={"visit_id": pl.String, "minutes": pl.Float64}),  # no rows
    ],
)
def test_a_months_tables_put_on_disk_come_back_the_same(
    tmp_path: Path, frame: pl.DataFrame
) -> None:
    facts = monthly.MonthFacts(
        date(2024, 1, 1),
        0,
        0,
        0,
        [],
        frame,
        frame.tail(1),
        frame.head(1),
        pl.DataFrame(),
        pl.DataFrame(),
    )
    spilled = monthly.Spill(tmp_path)
    spilled.keep(facts)
    assert facts.not_counted.height == 0 and facts.not_counted.schema == frame.schema
    assert len(list(tmp_path.iterdir())) == 3  # the visits not counted, flagged; customers
    spilled.read_back()
    assert facts.not_counted.schema == frame.schema
    assert facts.not_counted.equals(frame, null_equal=True)
    assert facts.flagged.equals(frame.tail(1), null_equal=True)
    assert facts.customers.equals(frame.head(1), null_equal=True)
    assert list(tmp_path.iterdir()) == []


def test_earlier_months_tables_are_on_disk_while_a_month_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    held: list[int] = []  # rows of earlier months' tables in memory as each month ends
    keep = monthly.Spill.keep

    def counting(self: monthly.Spill, holder: object) -> None:
        held.append(sum(getattr(h, n).height for h, n, _, _ in self.put))
        keep(self, holder)  # type: ignore[arg-type]

    monkeypatch.setattr(monthly.Spill, "keep", counting)
    monkeypatch.setattr(runner.monthly, "applies", lambda *_: True)
    outcome = execute(Job(str(ROOT / "rules/orebro"), str(hostile), "2024-01", "2024-03"), tmp_path)
    assert len(held) == 6 and held == [0] * 6  # lines … and facts of three months
    assert sum(m.lines.height for m in outcome.result.months) > 0  # read back for the outputs


def test_a_month_run_alone_lets_the_visits_table_go_and_computes_the_same() -> None:
    from engine.api import load_dataset, run_model

    months = [date(2024, 2, 1)]
    checked, _ = load(ROOT / "rules/orebro", months)
    kept, _ = load_dataset(checked, ROOT / "examples/orebro")
    released, _ = load_dataset(checked, ROOT / "examples/orebro")
    whole = run_model(checked, kept, months).months[0]
    alone = run_model(checked, released, months, let_go=True).months[0]
    assert "visits" in kept.tables and "visits" not in released.tables
    for entity, frame in whole.frames.items():
        assert alone.frames[entity].equals(frame), entity
    assert alone.lines.equals(whole.lines) and alone.exclusions.equals(whole.exclusions)


def test_a_days_frame_holds_the_columns_its_rules_read_not_every_column_of_its_periods() -> None:
    """A national month's decision days are 15 M rows: a column of text more is 240 MB."""
    from engine.api import load_dataset, run_model

    months = [date(2024, 2, 1)]
    checked, _ = load(ROOT / "rules/orebro", months)
    dataset, _ = load_dataset(checked, ROOT / "examples/orebro")
    frames = run_model(checked, dataset, months).months[0].frames
    assert {"zone", "ownership", "hours_per_month"} <= set(frames["decision"].columns)
    assert not {"zone", "ownership", "hours_per_month"} & set(frames["beslutsdag"].columns)
    assert {"decision_id", "customer_id", "day", "day_number"} <= set(frames["beslutsdag"].columns)


def test_a_one_month_run_lets_the_visits_table_go_and_accounts_as_before(tmp_path: Path) -> None:
    """`carepay run` on one month lets the visits' table go once the month's frames
    are made (counting the month's visits first): the same account as a run that
    keeps it."""
    from engine.api import load_dataset, run_model

    months = [date(2024, 2, 1)]
    job = Job(str(ROOT / "rules/orebro"), str(ROOT / "examples/orebro"), "2024-02", "2024-02")
    outcome = execute(job, tmp_path / "out")
    assert "visits" not in outcome.dataset.tables
    checked, _ = load(ROOT / "rules/orebro", months)
    dataset, _ = load_dataset(checked, ROOT / "examples/orebro")
    kept = runner.conserve(run_model(checked, dataset, months), dataset, months)
    assert outcome.conservation == kept
    assert kept.balanced and kept.outside_months > 0 and kept.counted > 0


def test_a_run_lets_the_entities_frames_go_before_writing_its_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outputs are made of the months' tables and facts; the entities' frames (2 GB
    at 10 M visits, held while the workbook was written) are let go first."""
    held: list[int] = []
    write_outputs = runner._write_outputs

    def writing(directory: Path, job: Job, result: Any, *rest: Any) -> None:
        held.extend(len(month.frames) for month in result.months)
        write_outputs(directory, job, result, *rest)

    monkeypatch.setattr(runner, "_write_outputs", writing)
    job = Job(str(ROOT / "rules/orebro"), str(ROOT / "examples/orebro"), "2024-01", "2024-02")
    outcome = execute(job, tmp_path / "out")
    assert held == [0, 0]
    lines = pl.read_csv(tmp_path / "out/statement_lines.csv")
    assert lines.height == outcome.result.lines.height > 0
    assert (tmp_path / "out/payments.xlsx").is_file()


def test_a_months_rows_are_chosen_by_the_parquet_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: Path
) -> None:
    """The month's filter reaches the Parquet scan, so row groups of other months are
    skipped unread: a renaming of nothing, or a scan asked its schema, kept it above
    the scan and a month of a year's visits decoded the whole year (8 s, now 3 s)."""
    from engine import data

    plans: list[str] = []
    decoded = data._decoded

    def looking(source: data.Source, read: set[str] | None) -> Any:
        if isinstance(source, pl.LazyFrame) and "visit_id" in source.collect_schema():
            plans.append(source.explain())
        return decoded(source, read)

    monkeypatch.setattr(data, "_decoded", looking)
    monkeypatch.setattr(runner.monthly, "applies", lambda *_: True)
    execute(Job(str(ROOT / "rules/orebro"), str(hostile), "2024-01", "2024-02"), tmp_path)
    parts = [p for p in plans if "is_between" in p and data.ROW in p]
    assert len(parts) == 3  # two months, and the rows of other months in one slice
    for plan in parts:
        scan = plan[plan.index("Parquet SCAN") :]
        assert "SELECTION:" in scan and "is_between" in scan, plan
    assert "SLICE:" in parts[-1][parts[-1].index("Parquet SCAN") :]
