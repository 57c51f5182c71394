"""Swedish Excel input: the bundled Örebro sample as one workbook — dates as Excel
dates, numbers as numbers, as a source system exports it — gives the same payments,
to the öre, as its CSV files (read by the calamine reader, fastexcel)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples/orebro"
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _as_workbook(source: Path, target: Path) -> None:
    """Each CSV file a sheet, each cell typed as Excel would type it."""
    book = xlsxwriter.Workbook(str(target))
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for path in sorted(source.glob("*.csv")):
        sheet = book.add_worksheet(path.stem.capitalize())  # `Visits`: any case will do
        frame = pl.read_csv(path, infer_schema_length=0)
        if "start" in frame.columns:  # the visits of the month the test runs, and its edges
            frame = frame.filter(pl.col("start").str.slice(0, 7).is_in(["2024-02", "2024-03"]))
        sheet.write_row(0, 0, frame.columns)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if MOMENT.match(value):
                    when = datetime.fromisoformat(value)
                    sheet.write_datetime(r, c, when, day if len(value) == 10 else moment)
                elif NUMBER.match(value) and not frame.columns[c].endswith("_id"):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, value)
    book.close()


def _totals(data: Path, out: Path) -> pl.DataFrame:
    result = CliRunner().invoke(
        main, ["run", "rules/orebro", "--data", str(data), "--month", "2024-03", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return pl.read_csv(out / "provider_totals.csv").sort("provider_id", "category")


def test_the_sample_as_one_workbook_pays_what_its_csv_files_pay(tmp_path: Path) -> None:
    workbook = tmp_path / "orebro.xlsx"
    _as_workbook(SAMPLE, workbook)
    from_csv = _totals(SAMPLE, tmp_path / "csv")
    from_xlsx = _totals(workbook, tmp_path / "xlsx")
    assert from_xlsx.equals(from_csv)
    assert from_csv["amount_kr"].sum() > 0


def test_each_sheet_is_read_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The header was read apart, and calamine parsed the whole sheet for it: the
    sample's visits 0.31 s of 0.71 s. Each sheet is read once now, header and rows
    the same as before."""
    import fastexcel

    from engine.data import _read_workbook
    from engine.diagnostics import Diagnostics

    book = tmp_path / "data.xlsx"
    with xlsxwriter.Workbook(str(book)) as written:
        one = written.add_worksheet("customers")
        one.write_row(0, 0, [" customer_id", "district", None, "note"])
        one.write_row(1, 0, ["K1", "Norr", None, "x"])
        one.write_row(2, 0, ["K2", None, None, None])
        written.add_worksheet("empty")
        only = written.add_worksheet("providers")
        only.write_row(0, 0, ["provider_id", "name"])
    loads = []
    real = fastexcel.ExcelReader.load_sheet

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(args[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", counted)
    sheets = _read_workbook(book, Diagnostics())
    assert sorted(loads) == ["customers", "empty", "providers"]
    assert sheets["customers"].columns == ["customer_id", "district", "column_3", "note"]
    assert sheets["customers"].rows() == [("K1", "Norr", None, "x"), ("K2", None, None, None)]
    assert sheets["providers"].columns == ["provider_id", "name"]
    assert sheets["providers"].height == 0
    assert "empty" not in sheets
