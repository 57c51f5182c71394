"""The rows of the workbooks' tables, written column by column (`engine.sheetcells`),
read back as Excel's readers see them: each kind of value in its cell, text from the
data made inert, each text stored once, the same bytes for the same content."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import sheetcells, workbook
from engine.reports import made_ahead
from engine.workbook import write_comparison_workbook

ABOUT = [("A", "rules/orebro"), ("B", "scenario")]

TEXTS = [  # (what the data holds, what the cell shows)
    ("plain", "plain"),
    ("Åsa Öberg §4.7", "Åsa Öberg §4.7"),
    ("", None),  # an empty text is a cell with no value, as XlsxWriter writes it
    (None, None),
    ("=1+1", "'=1+1"),  # never a formula
    ('=HYPERLINK("http://example.invalid","x")', '\'=HYPERLINK("http://example.invalid","x")'),
    ("+46", "'+46"),
    ("-5", "'-5"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("a\x1b[31mb", "a\\x1b[31mb"),  # a control character shown, not sent
    ("\rx", "\\x0dx"),
    ('a & <b> "c"', 'a & <b> "c"'),
    ("  spaced  ", "  spaced  "),
    ("two\nlines", "two\nlines"),
    ("x" * 32_767, "x" * 32_767),  # as much as an Excel cell holds
    ("y" * 40_000, "y" * 32_766 + "…"),  # cut to fit, and seen to be cut
]
NUMBERS = [  # (value, Float64 column) -> cell
    (1.5, 1.5),
    (0.1 + 0.2, 0.1 + 0.2),  # every digit kept
    (1e16, 1e16),
    (-2.5e-7, -2.5e-7),
    (None, None),
    (math.nan, None),  # not a number: no value
    (math.inf, None),
]


def _written(tmp_path: Path, frame: pl.DataFrame) -> list[tuple[object, ...]]:
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    sheet = openpyxl.load_workbook(path)["Utförare"]
    rows = list(sheet.iter_rows(min_row=4, max_row=3 + frame.height, values_only=True))
    return rows


def test_text_cells_show_the_text_made_inert(tmp_path: Path) -> None:
    frame = pl.DataFrame({"name": [text for text, _ in TEXTS]}, schema={"name": pl.String})
    shown = [row[0] for row in _written(tmp_path, frame)]
    for (text, expected), cell in zip(TEXTS, shown, strict=True):
        assert cell == expected, (text or "")[:40]  # long texts named by their start


def test_number_cells_hold_the_number(tmp_path: Path) -> None:
    frame = pl.DataFrame({"value": [v for v, _ in NUMBERS]}, schema={"value": pl.Float64})
    shown = [row[0] for row in _written(tmp_path, frame)]
    assert shown == [expected for _, expected in NUMBERS]


def test_whole_numbers_dates_times_and_yes_no(tmp_path: Path) -> None:
    """A date or a time is Excel's serial number: days since 1899-12-30 and the time
    of day as a fraction (the column's format, where it has one, shows it as a date)."""
    frame = pl.DataFrame(
        {
            "customers": [7, None],
            "on": [dt.date(2024, 3, 1), dt.date(1900, 3, 1)],
            "at": [dt.datetime(2024, 3, 30, 7, 20), dt.datetime(2024, 2, 29, 23, 59, 30)],
            "paid": [True, False],
        }
    )
    assert _written(tmp_path, frame) == [
        (7, 45352, 45381 + (7 * 60 + 20) / 1440, True),
        (None, 61, 45351 + (23 * 3600 + 59 * 60 + 30) / 86400, False),
    ]


@pytest.mark.parametrize("reader", ["openpyxl", "fastexcel"])
def test_a_missing_value_leaves_its_cell_empty_and_the_next_ones_in_their_columns(
    tmp_path: Path, reader: str
) -> None:
    """The cells name no reference (`r="B4"`): a reader places each after the one
    before, so a row with no value in a column still has that column's (empty) cell,
    styled or not, and the values after it stay in their own columns."""
    frame = pl.DataFrame(
        {
            "provider_id": ["P1", None, "P3"],
            "name": [None, "b", None],  # text: no style
            "amount_a_ore": [100, None, 300],  # money: a style
            "note": ["x", None, "z"],
        }
    )
    rows = _read_back(tmp_path, frame, reader)
    assert rows == [("P1", None, 1.0, "x"), (None, "b", None, None), ("P3", None, 3.0, "z")]


@pytest.mark.parametrize("reader", ["openpyxl", "fastexcel"])
def test_a_number_that_is_not_finite_leaves_its_cell_empty_and_the_next_in_place(
    tmp_path: Path, reader: str
) -> None:
    """A number column with no missing value but a NaN or an infinity (no value to
    write) still has its cell in that row, so the next column's value stays put."""
    frame = pl.DataFrame({"value": [1.5, math.nan, math.inf], "note": ["x", "y", "z"]})
    rows = _read_back(tmp_path, frame, reader)
    # fastexcel reads a column of numbers and a total row's text as text
    assert [(None if v is None else float(v), note) for v, note in rows] == [
        (1.5, "x"),
        (None, "y"),
        (None, "z"),
    ]


def _read_back(tmp_path: Path, frame: pl.DataFrame, reader: str) -> list[tuple[object, ...]]:
    """The frame's rows as `reader` reads them from the comparison workbook."""
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    if reader == "openpyxl":
        sheet = openpyxl.load_workbook(path)["Utförare"]
        last = 3 + frame.height
        return list(sheet.iter_rows(min_row=4, max_row=last, max_col=frame.width, values_only=True))
    import fastexcel

    table = fastexcel.read_excel(path).load_sheet_by_name("Utförare", header_row=2)
    return list(table.to_polars().head(frame.height).iter_rows())


def test_money_is_kronor_with_its_format_and_summed_in_the_total_row(tmp_path: Path) -> None:
    frame = pl.DataFrame({"provider_id": ["P1", "P2"], "amount_a_ore": [123456, 1]})
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    sheet = openpyxl.load_workbook(path)["Utförare"]
    assert [(c.value, c.number_format) for c in sheet["B"][3:5]] == [
        (1234.56, '#,##0.00 "kr"'),
        (0.01, '#,##0.00 "kr"'),
    ]
    assert sheet["A6"].value == "Summa" and sheet["B6"].value == "=SUBTOTAL(109,[A (kr)])"
    values = openpyxl.load_workbook(path, data_only=True)["Utförare"]
    assert (
        values["B6"].value == 1234.56 + 0.01
    )  # the total row's value, for non-calculating readers


def test_each_text_is_stored_once_and_the_same_content_gives_the_same_bytes(
    tmp_path: Path,
) -> None:
    frame = pl.DataFrame({"provider_id": ["P1", "P2", "P1", "P1"], "name": ["a", "P1", "a", "b"]})
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    for path in (first, second):
        write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as book:
        table = book.read("xl/sharedStrings.xml").decode()
    assert table.count("<t>P1</t>") == 1 and table.count("<t>a</t>") == 1
    assert 'count="' in table and f'uniqueCount="{table.count("<si>")}"' in table


def test_an_empty_table_keeps_its_header_and_total_row(tmp_path: Path) -> None:
    frame = pl.DataFrame(schema={"provider_id": pl.String, "amount_a_ore": pl.Int64})
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    sheet = openpyxl.load_workbook(path)["Utförare"]
    assert [c.value for c in sheet[3]] == ["Utförare", "A (kr)"]
    assert sheet["A5"].value == "Summa" and sheet["A4"].value is None


def test_more_rows_than_a_sheet_holds_go_on_to_further_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel's sheet holds 1 048 576 rows; a table longer than `TABLE_ROWS` is split
    over sheets, every row kept (XlsxWriter alone left such a table out)."""
    monkeypatch.setattr(workbook, "TABLE_ROWS", 2)
    frame = pl.DataFrame({"provider_id": ["P1", "P2", "P3", "P4", "P5"], "amount_a_ore": [1] * 5})
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, ABOUT)
    book = openpyxl.load_workbook(path)
    parts = ["Utförare (del 1 av 3)", "Utförare (del 2 av 3)", "Utförare (del 3 av 3)"]
    assert book.sheetnames == ["Om jämförelsen", *parts]
    shown = [
        row[0]
        for name in parts
        for row in book[name].iter_rows(min_row=4, values_only=True)
        if row[0] != "Summa"
    ]
    assert shown == ["P1", "P2", "P3", "P4", "P5"]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def test_a_table_written_in_pieces_is_the_table_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet's rows are made and compressed a piece at a time; the pieces join into
    exactly the XML of the whole (row numbers go on, each text is stored once)."""
    frame = pl.DataFrame(
        {
            "provider_id": ["P1", "P2", "P1", None, "P3"],
            "amount_a_ore": [100, None, 250, 300, 400],
            "diff_pct": [0.5, 1.0, None, 2.0, 0.25],
        }
    )
    whole, pieces = tmp_path / "whole.xlsx", tmp_path / "pieces.xlsx"
    write_comparison_workbook(whole, {"compare_providers": frame}, ABOUT)
    monkeypatch.setattr(sheetcells, "ROWS_A_PIECE", 2)
    write_comparison_workbook(pieces, {"compare_providers": frame}, ABOUT)
    assert _parts(pieces) == _parts(whole)
    sheet = openpyxl.load_workbook(pieces)["Utförare"]
    rows = list(sheet.iter_rows(min_row=4, max_row=9, values_only=True))
    assert [r[:2] for r in rows] == [
        ("P1", 1.0), ("P2", None), ("P1", 2.5), (None, 3.0), ("P3", 4.0),
        ("Summa", "=SUBTOTAL(109,[A (kr)])"),
    ]  # fmt: skip


def test_a_sheet_that_may_pass_two_gigabytes_is_written_in_the_zip64_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written piece by piece, a zip entry's size is not known when it is begun: one
    that may pass 2 GiB is begun in the Zip64 format (else Python's zipfile stops at
    2 GiB), and one that cannot, in the plain format older programs read."""
    frame = pl.DataFrame({"provider_id": ["P1", "P2"], "amount_a_ore": [1, 2]})
    plain, large = tmp_path / "plain.xlsx", tmp_path / "large.xlsx"
    write_comparison_workbook(plain, {"compare_providers": frame}, ABOUT)
    monkeypatch.setattr(workbook, "MOST_BYTES_A_CELL", 2**31)
    write_comparison_workbook(large, {"compare_providers": frame}, ABOUT)

    def zip64_entries(path: Path) -> set[str]:
        data = path.read_bytes()
        with zipfile.ZipFile(path) as book:
            out = set()
            for info in book.infolist():
                start = info.header_offset
                name_length, extra_length = int.from_bytes(data[start + 26 : start + 28], "little"), int.from_bytes(data[start + 28 : start + 30], "little")  # fmt: skip
                extra = data[start + 30 + name_length : start + 30 + name_length + extra_length]
                if extra[:2] == b"\x01\x00":  # the Zip64 extra field's id
                    out.add(info.filename)
            return out

    assert zip64_entries(plain) == set()
    assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= zip64_entries(large)
    assert _parts(large) == _parts(plain)  # the same content
    sheet = openpyxl.load_workbook(large)["Utförare"]
    assert [c.value for c in sheet[4]] == ["P1", 0.01]


def test_pieces_made_ahead_come_in_order_and_a_failure_reaches_the_writer() -> None:
    assert list(made_ahead(iter([b"a", b"", b"c"]))) == [b"a", b"", b"c"]

    def failing() -> Iterator[bytes]:
        yield b"a"
        raise ValueError("the second piece cannot be made")

    with pytest.raises(ValueError, match="second piece"):
        list(made_ahead(failing()))


TEXT_COLUMNS = st.lists(  # one table's text columns: a few texts, repeated, some missing
    st.lists(st.sampled_from(["a", "b", "P1", "Åsa", "", None]), min_size=3, max_size=3),
    min_size=1,
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(tables=st.lists(TEXT_COLUMNS, min_size=1, max_size=3))
def test_each_text_gets_the_number_of_its_first_appearance(tables: list[list[list]]) -> None:
    """Texts are numbered in the order they first appear — a table's columns one under
    the other, tables in the order written, after the texts already in the table — and
    a text seen before keeps its number; every text given is counted as a reference."""
    strings = sheetcells.SharedStrings(b'<sst count="1" uniqueCount="1"><si><t>T</t></si></sst>')
    numbers: dict[str, int] = {}
    references = 1
    for columns in tables:
        frame = pl.DataFrame({f"c{i}": c for i, c in enumerate(columns)}, schema={
            f"c{i}": pl.String for i in range(len(columns))})  # fmt: skip
        found = strings.indexes(frame)
        for i, column in enumerate(columns):
            for text in column:
                if text is not None:
                    numbers.setdefault(text, len(numbers) + 1)
                    references += 1
            expected = [None if t is None else numbers[t] for t in column]
            assert found[f"c{i}"].to_list() == expected
    assert (strings.size, strings.references) == (len(numbers) + 1, references)
    table = strings.xml().decode()
    assert f'count="{references}" uniqueCount="{len(numbers) + 1}"' in table
    assert table.count("<si>") == len(numbers) + 1
