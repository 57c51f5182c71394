"""A system's report export begins with its title and date above the column names:
each of the table's columns was a `missing-column` error, none saying why. The lines
above the first that names two of the table's columns are skipped and said
(`title-rows`), and the rows keep the file's line numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from engine.api import load, load_dataset, parse_month, run_model

FJALLBY = Path(__file__).resolve().parent / "fixtures/fjallby"


def _run(data: Path):  # type: ignore[no-untyped-def]
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    return run_model(checked, dataset, [month])


def test_a_reports_title_lines_above_the_header_are_skipped_and_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    """A system's report export begins with its title and date: each of the table's
    columns was a `missing-column` error (eight of them), none saying why. The lines
    above the first that names the table's columns are skipped, and said; the rows keep
    the file's numbers (V11, line 12 of the export, is now line 15)."""
    data = tmp_path / "data"
    shutil.copytree(FJALLBY / "data", data)
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    title = "Besöksrapport november 2026\nUtskriven 2026-12-01;;\n\n"
    (data / "visits.csv").write_text(title + visits, encoding="utf-8")
    result = _run(data)
    assert int(result.lines["amount_ore"].sum()) == 391675  # as without the title
    [told] = [w for w in result.dataset.rejects if w["id"] == "V11"]  # type: ignore[union-attr]
    assert told["row"] == 15
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    _, warnings = load_dataset(checked, data)
    [said] = [w for w in warnings if w.code == "title-rows"]
    assert said.message == (
        "visits.csv begins with 3 lines above its column names, skipped: "
        "`Besöksrapport november 2026`"
    )


def test_a_sheets_title_rows_are_skipped_as_a_files_are(tmp_path: Path) -> None:
    import csv as csv_module

    book = openpyxl.Workbook()
    for i, table in enumerate(("providers", "customers", "visits")):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = table
        if table == "visits":
            sheet.append(["Besöksrapport november 2026"])
            sheet.append([])
        text = (FJALLBY / "data" / f"{table}.csv").read_text(encoding="utf-8")
        for row in csv_module.reader(text.splitlines()):
            sheet.append(row)
    book.save(tmp_path / "data.xlsx")
    result = _run(tmp_path / "data.xlsx")
    assert int(result.lines["amount_ore"].sum()) == 391675
    [told] = [w for w in result.dataset.rejects if w["id"] == "V11"]  # type: ignore[union-attr]
    assert (told["file"], told["row"]) == ("data.xlsx!visits", 14)


def test_the_column_names_again_in_a_file_are_one_rejected_row(tmp_path: Path) -> None:
    """Two months' exports joined into one file: the second's header was a data row
    with a bad value in every column — six warnings (`start` is not a date and time,
    customer `customer_id` is not in the customers table …). It is one rejected row
    now, that says what it is; the rows after it are read as any other."""
    data = tmp_path / "data"
    shutil.copytree(FJALLBY / "data", data)
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    again = visits.replace("\nV", "\nW")  # the same visits under other ids
    (data / "visits.csv").write_text(visits + again, encoding="utf-8")
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    dataset, warnings = load_dataset(checked, data)
    header = [r for r in dataset.rejects if r["row"] == 14]
    assert [(r["code"], r["reason"]) for r in header] == [
        ("repeated-header", "the row is the column names again")
    ]
    assert not [w for w in warnings if "customer_id` is not in" in w.message]
    assert int(run_model(checked, dataset, [month]).lines["amount_ore"].sum()) == 2 * 391675
    from engine.reports import rejected_why

    assert rejected_why(header[0]) == "raden är kolumnnamnen igen (två exporter i en fil?)"
