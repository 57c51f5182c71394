"""Swedish Excel input: the bundled Örebro sample as one workbook — dates as Excel
dates, numbers as numbers, as a source system exports it — gives the same payments,
to the öre, as its CSV files (read by the calamine reader, fastexcel)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from click.testing import CliRunner

from engine.cli import main
from engine.diagnostics import Diagnostic

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
    from engine.catalog import tables

    sheets, _ = _read_workbook(book, Diagnostics(), tables())
    assert sorted(loads) == ["customers", "empty", "providers"]
    # the column with no heading and no value is left out (test_headingless_columns.py)
    assert sheets["customers"].columns == ["customer_id", "district", "note"]
    assert sheets["customers"].rows() == [("K1", "Norr", "x"), ("K2", None, None)]
    assert sheets["providers"].columns == ["provider_id", "name"]
    assert sheets["providers"].height == 0
    assert "empty" not in sheets


# --------------------------------------------------------------- formulas never calculated

NORRTALJE = Path(__file__).resolve().parent.parent / "rules/norrtalje"
SHEETS = {
    "providers": [["provider_id", "name", "ownership"], ["P1", "Omsorg AB", "private"]],
    "customers": [["customer_id", "district"], ["K1", "Norrtälje stad"]],
    "visits": [["visit_id", "customer_id", "provider_id", "service", "start", "end",
                "staff_role", "declined"]],
}  # fmt: skip
HEADER = ["decision_id", "customer_id", "provider_id", "service", "start_date", "end_date",
          "granted_minutes"]  # fmt: skip


def _decisions_workbook(path: Path, writer: str, formula: str, saved: object) -> None:
    """Norrtälje's data as one workbook, B1's granted minutes a formula: written by
    openpyxl (no value saved), by XlsxWriter (a 0 saved and every formula to be
    calculated on opening), or as Excel saves it (`excel`: the value saved, nothing to
    calculate — XlsxWriter's file with its flag taken out)."""
    if writer == "openpyxl":
        import openpyxl

        book = openpyxl.Workbook()
        book.active.title = "decisions"
        for title in SHEETS:
            book.create_sheet(title)
        for title, rows in {**SHEETS, "decisions": [HEADER]}.items():
            for row in rows:
                book[title].append(row)
        book["decisions"].append(["B1", "K1", "P1", "omsorg", "2021-01-01", None, formula])
        book.save(path)
        return
    book = xlsxwriter.Workbook(path)
    for title, rows in {**SHEETS, "decisions": [HEADER]}.items():
        sheet = book.add_worksheet(title)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        if title == "decisions":
            sheet.write_row(1, 0, ["B1", "K1", "P1", "omsorg", "2021-01-01"])
            sheet.write_formula(1, 6, formula, None, saved)
    book.close()
    if writer == "excel":
        import zipfile

        parts = {}
        with zipfile.ZipFile(path) as old:
            parts = {name: old.read(name) for name in old.namelist()}
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
        with zipfile.ZipFile(path, "w") as new:
            for name, data in parts.items():
                new.writestr(name, data)


@pytest.mark.parametrize(
    ("writer", "formula", "saved", "paid", "rejected"),
    [
        ("openpyxl", "=10*60", None, 0, "`=10*60` is a formula whose value was never calculated"),
        ("xlsxwriter", "=10*60", 0, 0, "`=10*60` is a formula whose value was never calculated"),
        ("excel", "=10*60", 600, 472000, None),  # 10 h × 472 kr/h
    ],
)  # fmt: skip
def test_a_formula_never_calculated_is_a_rejected_row_not_an_empty_value(
    tmp_path: Path, writer: str, formula: str, saved: object, paid: int, rejected: str | None
) -> None:
    """B1's `granted_minutes` written `=10*60` by a program that does not calculate was
    read as empty — Norrtälje's `coalesce(granted_minutes, 0 min)` paid the decision
    nothing — or as the 0 XlsxWriter saves, in silence. Now the row is rejected naming
    the formula; a value Excel saved is read as before."""
    data = tmp_path / "data.xlsx"
    _decisions_workbook(data, writer, formula, saved)
    out = tmp_path / "out"
    args = ["run", str(NORRTALJE), "--data", str(data), "--month", "2022-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code in (3, 4), ran.output  # rejected; or no visit counted
    lines = pl.read_csv(out / "statement_lines.csv", schema_overrides={"amount_kr": pl.String})
    assert sum(int(a.replace(".", "")) for a in lines["amount_kr"]) == paid  # öre, exactly
    rejects = pl.read_csv(out / "rejects.csv")
    if rejected is None:
        assert rejects.height == 0, rejects
    else:
        assert rejects.select("row", "id", "column", "reason").rows() == [
            (2, "B1", "granted_minutes", rejected)
        ]


@pytest.mark.parametrize(
    ("cell", "stale", "found"),
    [
        (b'<c r="G2"><f>10*60</f><v /></c>', False, [(1, 6, "=10*60")]),  # openpyxl
        (b'<c r="G2"><f>10*60</f><v>600</v></c>', False, []),  # Excel saved its value
        (b'<c r="G2"><f>10*60</f><v>0</v></c>', True, [(1, 6, "=10*60")]),  # to calculate
        (b'<c r="G2" t="str"><f>IF(A2="","","x")</f><v></v></c>', False, []),  # empty text
        (b'<c r="AB10" s="1"><f t="shared" si="0"/></c>', False, [(9, 27, "=…")]),
        (b'<c r="C3"><f>A3&amp;B3</f></c>', False, [(2, 2, "=A3&B3")]),
    ],
)
def test_which_formula_cells_have_no_value_saved(cell: bytes, stale: bool, found: list) -> None:
    from engine.sheetxml import formula_cells

    sheet = b"<sheetData><row>" + cell + b'<c r="H2"><v>1</v></c></row></sheetData>'
    assert list(formula_cells(sheet, stale)) == found


def _customers_tillagg(
    tmp_path: Path, declared: str, rows: list[list[object]], formats: dict[str, str]
) -> tuple[dict[str, object], list[Diagnostic]]:
    """The example model with a customer's own `tillägg` column (`declared`), and a
    workbook of customers with these `rows` (cells formatted as in `formats`): the
    column as read, by customer, and what the reading said."""
    import openpyxl

    from engine.api import load
    from engine.data import load_data
    from engine.diagnostics import Diagnostics

    model = tmp_path / "model.yaml"
    source = (ROOT / "examples/hemtjanst/model.yaml").read_text(encoding="utf-8")
    declaring = f"  columns:\n    customers: {{tillägg: {declared}}}\n"
    model.write_text(
        source.replace("  columns:\n", declaring, 1).replace(
            "  customer_month:\n", "  customer_month:\n    t: customer.tillägg\n", 1
        ),
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "customers"
    for row in [["customer_id", "district", "tillägg"], *rows]:
        sheet.append(row)
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    data = tmp_path / "data.xlsx"
    book.save(data)
    checked, _ = load(model)
    diags = Diagnostics()
    known = checked.model.vocabulary.tables
    dataset = load_data(data, {"customers": {"tillägg"}}, diags, known=known, only=["customers"])
    read = dict(dataset.tables["customers"].select("customer_id", "tillägg").iter_rows())
    return read, list(diags)


def test_a_number_shown_as_a_percentage_is_read_as_shown_in_a_per_cent_column(
    tmp_path: Path,
) -> None:
    """A customer's own `tillägg: {type: number, unit: "%"}` in a workbook: a cell shown
    as 10 % holds 0,1, and was read as 0,1 % — a supplement a hundredth of the one
    meant, in silence. A number formatted as a percentage is now read as shown (10 %,
    12,5 %); one written 10 in a plain cell is 10 %, as in a CSV file."""
    shares, diags = _customers_tillagg(
        tmp_path,
        '{type: number, unit: "%"}',
        [["K1", "Centrum", 0.1], ["K2", "Norrby", 0.125], ["K3", "Centrum", 10]],
        {"C2": "0%", "C3": '0.0" "%'},
    )
    assert shares == {"K1": 0.1, "K2": 0.125, "K3": 0.1}, [d.render() for d in diags]


def test_a_number_cell_with_three_decimals_is_read_and_a_text_cell_like_it_is_rejected(
    tmp_path: Path,
) -> None:
    """The reader gives a number cell's value as text: 1,125 as `1.125`, which in a text
    cell (a system writing its numbers as text) may be a Danish export's 1 125 and is
    read as neither. The number cell is a number, read as 1,125; the text cell `1.200`
    is rejected with both readings; 12.5 in a plain number cell is read as it is."""
    rows = [["K1", "Centrum", 1.125], ["K2", "Norrby", "1.200"], ["K3", "Centrum", 12.5],
            ["K4", "Centrum", -2.25]]  # fmt: skip
    read, diags = _customers_tillagg(tmp_path, "{type: number}", rows, {})
    assert read == {"K1": 1.125, "K3": 12.5, "K4": -2.25}, [d.render() for d in diags]
    [rejected] = [d for d in diags if d.code == "rejected-rows"]
    assert rejected.message == "1 row rejected: `1.200` may be 1,2 or 1200"


def test_a_number_shown_as_a_percentage_in_a_column_of_minutes_is_rejected(
    tmp_path: Path,
) -> None:
    """Granted minutes typed as 600 in a cell formatted as a percentage show as 600 %
    and hold 6: the decision was paid 6 minutes, in silence — a sheet was searched for
    such cells only where its table has a column in per cent. Every sheet with a column
    of numbers is: the cell is read as shown, `600 %`, no number of minutes, and its
    row rejected; the same number in a plain cell is read."""
    import openpyxl

    data = tmp_path / "data.xlsx"
    _as_workbook(ROOT / "examples/hemtjanst/data", data)
    book = openpyxl.load_workbook(data)
    decisions = book["Decisions"]
    column = [c.value for c in decisions[1]].index("granted_minutes") + 1
    shown = decisions.cell(row=2, column=column)
    assert shown.value == 600  # B001-1, K001's omsorg decision
    shown.value, shown.number_format = 6, "0%"  # as Excel keeps 600 typed in a % cell
    book.save(data)
    from engine.api import load, load_dataset

    checked, _ = load(ROOT / "examples/hemtjanst/model.yaml")
    dataset, _ = load_dataset(checked, data)
    rejected = [(r["table"], r["row"], r["column"], r["value"]) for r in dataset.rejects]
    assert rejected == [("decisions", 2, "granted_minutes", "600 %")]
    kept = dataset.tables["decisions"]
    assert "B001-1" not in kept["decision_id"].to_list() and kept.height > 0


def test_rows_hidden_in_excel_are_read_and_said(tmp_path: Path) -> None:
    """A controller hid V3 and V4 (row 4 and 5 of the visits sheet) in Excel to leave
    them out: they were read and paid as any other, in silence. They still are — a
    sheet's rows are its data — and the run says which rows were hidden."""
    import csv as csv_module

    import openpyxl

    fjallby = ROOT / "tests/fixtures/fjallby"
    book = openpyxl.Workbook()
    for i, table in enumerate(("providers", "customers", "visits")):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = table
        text = (fjallby / "data" / f"{table}.csv").read_text(encoding="utf-8")
        for row in csv_module.reader(text.splitlines()):
            sheet.append(row)
    book["visits"].row_dimensions[4].hidden = True
    book["visits"].row_dimensions[5].hidden = True
    book.save(tmp_path / "data.xlsx")
    args = ["run", str(fjallby / "model.yaml"), "--data", str(tmp_path / "data.xlsx")]
    ran = CliRunner().invoke(main, [*args, "--month", "2026-11", "--out", str(tmp_path / "out")])
    assert ran.exit_code == 3, ran.output  # V11's cancellation without its time
    assert (
        "data.xlsx!visits: warning[hidden-rows]: 2 rows of data.xlsx!visits are hidden in "
        "Excel, and read as any other: rows 4, 5"
    ) in ran.output
    lines = pl.read_csv(
        tmp_path / "out/statement_lines.csv", schema_overrides={"amount_kr": pl.String}
    )
    assert sum(int(a.replace(".", "")) for a in lines["amount_kr"]) == 391675  # all paid
