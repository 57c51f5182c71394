"""Columns without a heading. An export whose lines end in separators (`a;b;;`, as
many systems and Excel's "CSV (semicolon)" write them) has empty columns with no
name: two of them stopped the run ("visits.csv has the column `` more than once"),
one gave a warning whose hint was to declare a column without a name. Empty, they are
left out without a word; holding values, they are said (`headingless-column`)."""

from __future__ import annotations

import csv as csv_module
import shutil
from pathlib import Path

import openpyxl
import pytest

from engine.api import load, load_dataset, parse_month, run_model

FJALLBY = Path(__file__).resolve().parent / "fixtures/fjallby"
TOTAL_ORE = 391675  # the fixture's month, as without the extra columns


def _read(data: Path):  # type: ignore[no-untyped-def]
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    dataset, warnings = load_dataset(checked, data)
    result = run_model(checked, dataset, [month])
    return int(result.lines["amount_ore"].sum()), [w for w in warnings if "column" in w.code]


def _visits_with(tmp_path: Path, header_end: str, row_end: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FJALLBY / "data", data)
    lines = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + header_end] + [line + row_end for line in lines[1:]]
    (data / "visits.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return data


@pytest.mark.parametrize(
    ("header_end", "row_end"),
    [(",", ","), (",,", ",,"), (",,,", ",, ,")],  # one, two, three empty columns
    ids=["one", "two", "three with a blank"],
)
def test_empty_columns_without_a_heading_are_left_out_without_a_word(
    tmp_path: Path, header_end: str, row_end: str
) -> None:
    total, said = _read(_visits_with(tmp_path, header_end, row_end))
    assert (total, said) == (TOTAL_ORE, [])


def test_a_column_without_a_heading_holding_values_is_said_with_its_first_value(
    tmp_path: Path,
) -> None:
    data = _visits_with(tmp_path, ",,", ",,")
    lines = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    lines[3] += "tolk"  # the fourth line, data row 3, holds a value in the last column
    (data / "visits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    width = len(lines[0].split(","))
    total, [said] = _read(data)
    assert total == TOTAL_ORE
    assert said.code == "headingless-column"
    assert said.message == (
        f"column {width} of visits.csv has no heading but holds 1 value "
        "(the first `tolk`, on row 4): it was not read"
    )


def test_a_sheets_columns_without_a_heading_are_read_as_a_files(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for i, table in enumerate(("providers", "customers", "visits")):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = table
        text = (FJALLBY / "data" / f"{table}.csv").read_text(encoding="utf-8")
        for n, row in enumerate(csv_module.reader(text.splitlines())):
            extra = [None, None, "x" if table == "visits" and n == 2 else None]
            sheet.append(row + extra)  # two empty columns, and one holding a value
        sheet.cell(row=1, column=len(row) + 3).number_format = "0.00"
    book.save(tmp_path / "data.xlsx")
    total, [said] = _read(tmp_path / "data.xlsx")
    assert total == TOTAL_ORE
    assert said.message.startswith("column ")
    assert said.message.endswith(
        "of sheet visits has no heading but holds 1 value (the first `x`, on row 3): "
        "it was not read"
    )


@pytest.mark.parametrize(
    ("header_end", "row_end"),
    [(",", ""), ("", ","), ("", ",,"), (",", ",,")],
    ids=["the header alone", "the rows alone", "the rows twice", "one and two"],
)
def test_a_separator_at_the_end_of_the_header_or_the_rows_alone_loses_nothing(
    tmp_path: Path, header_end: str, row_end: str
) -> None:
    """Every row was rejected as ragged ("the row has 9 fields, the header has 8"): what
    differs is empty, so the rows are read."""
    total, said = _read(_visits_with(tmp_path, header_end, row_end))
    assert (total, said) == (TOTAL_ORE, [])


def test_a_row_whose_extra_field_holds_a_value_is_still_ragged(tmp_path: Path) -> None:
    data = _visits_with(tmp_path, "", ",")
    lines = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    lines[2] += "tolk"  # data row 2 has a ninth field with a value: which column is it?
    (data / "visits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    [reject] = [r for r in dataset.rejects if r["code"] == "ragged-row"]
    assert (reject["row"], reject["reason"]) == (3, "the row has 9 fields, the header has 8")
