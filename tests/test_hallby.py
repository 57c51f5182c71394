"""Hallby, a model written from docs/language.md alone: a visit is paid in the month it
is reported, not the month it was made — an entity of the model's own over carepay's
visits table, placed in a month by `reported_at` — and not at all when reported more
than 60 days after it. What it found: read a month at a time (Parquet, several
months), March lost a February visit reported in March and April one of March's
reported in April; a visit reported after the months run, or never, went unsaid; and
`check` warned that `reported_at` could be empty on rows that a month holds by it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine import monthly
from engine.api import load, parse_month
from engine.cli import main

HALLBY = Path(__file__).resolve().parent / "fixtures/hallby"
MODEL = HALLBY / "model.yaml"


def _run(tmp_path: Path, data: Path, *months: str) -> tuple[int, str, list[tuple[str, ...]]]:
    out = tmp_path / "out"
    span = ["--month", months[0], "--to", months[-1]]
    args = ["run", str(MODEL), "--data", str(data), *span, "--out", str(out), "--force"]
    ran = CliRunner().invoke(main, args)
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    return ran.exit_code, ran.output, lines.select("month", "customer_id", "amount_kr").rows()


def _as_parquet(tmp_path: Path) -> Path:
    data = tmp_path / "parquet"
    data.mkdir()
    for file in (HALLBY / "data").glob("*.csv"):
        frame = pl.read_csv(file, try_parse_dates=True)
        frame.write_parquet(data / f"{file.stem}.parquet")
    return data


def test_march_by_hand(tmp_path: Path) -> None:
    """K1: V1 (27 February, reported 2 March) and V2 (5 March), 60 min each at 450 kr/h
    = 900,00. V3 is reported in April, V4 (1 December) 99 days after it, V5 never; K2
    is paid nothing. The run says that two rows of `rapport` are in no month run."""
    code, output, lines = _run(tmp_path, HALLBY / "data", "2027-03")
    assert code == 0, output
    assert lines == [("2027-03", "K1", "900.00")]
    assert "rader i ingen av månaderna (betalas inte nu): rapport 2" in output


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_two_months_pay_each_visit_in_the_month_it_was_reported(tmp_path: Path, kind: str) -> None:
    """Read a month at a time (Parquet, two months) March paid 450,00 and April nothing:
    each month's part of the visits file was chosen by the visits' start."""
    data = HALLBY / "data" if kind == "csv" else _as_parquet(tmp_path)
    code, output, lines = _run(tmp_path, data, "2027-03", "2027-04")
    assert lines == [("2027-03", "K1", "900.00"), ("2027-04", "K1", "450.00")], output
    assert "rader i ingen av månaderna (betalas inte nu): rapport 1" in output  # V5


def test_such_a_model_reads_its_visits_whole(tmp_path: Path) -> None:
    months = [parse_month("2027-03"), parse_month("2027-04")]
    checked, _ = load(MODEL, months)
    assert not monthly.applies(checked, _as_parquet(tmp_path), months)


def test_a_column_that_places_the_rows_is_never_empty_on_them() -> None:
    """`date(reported_at) <= …` on a `rapport`: a row with no `reported_at` is in no
    month, so `check` has nothing to warn of (it warned `nullable-comparison`)."""
    ran = CliRunner().invoke(main, ["check", str(MODEL)])
    assert ran.exit_code == 0, ran.output
    assert "nullable-comparison" not in ran.output
