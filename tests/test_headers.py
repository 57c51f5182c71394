"""A data directory's `columns.yaml` names the data's own columns once (a municipality's
export says `kund`, not `customer_id`), instead of every month's files being renamed
by hand; before, the CLI could not read such an export at all (`missing-column`), and
only the Python API took a mapping. Each mistake in the file is an error at its line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples/hemtjanst/model.yaml"
NAMES = "visits:\n  besöks_id: visit_id\n  kund: customer_id\n  utförare: provider_id\n"


def _export(tmp_path: Path, names: str | None) -> Path:
    """The bundled example's data with the visits' ids named as an export names them,
    and one visit of a customer who does not exist (file row 4)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples/hemtjanst/data", data)
    visits = data / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace(
        "visit_id,customer_id,provider_id,staff_id", "besöks_id,kund,utförare,personal"
    )
    lines[3] = lines[3].replace(",K001,", ",K999,", 1)
    visits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if names is not None:
        (data / "columns.yaml").write_text(names, encoding="utf-8")
    return data


def _run(data: Path, out: Path) -> tuple[int, str]:
    args = ["run", str(MODEL), "--data", str(data), "--month", "2024-01", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    return ran.exit_code, ran.output


def test_the_datas_own_column_names_pay_as_carepays(tmp_path: Path):
    """The same payments as the example's own files (58 250 kr in January, with the one
    visit of an unknown customer set aside), the rejected row placed at the export's
    own column, and columns.yaml among the run's inputs (verify sees it change)."""
    code, output = _run(_export(tmp_path, NAMES), tmp_path / "out")
    assert code == 3, output  # the visit of K999 rejected
    assert re.search(r"\nsumma +58.250,00\n", output), output
    assert "visits.csv:kund (customer_id): warning[rejected-rows]: 1 row rejected" in output
    rejects = (tmp_path / "out/rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith("visits,visits.csv,4,V00003,K999,P2,kund (customer_id),K999,"), (
        rejects
    )
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    assert any(i["path"].endswith("columns.yaml") for i in manifest["inputs"])
    names = tmp_path / "data/columns.yaml"
    names.write_text(NAMES.replace("kund: customer_id", "kund: customer_id  # kund-id"), "utf-8")
    verified = CliRunner().invoke(main, ["verify", "--lang", "en", str(tmp_path / "out")])
    assert verified.exit_code == 1 and "columns.yaml has changed since the run" in verified.output


def test_without_the_file_the_export_says_where_to_name_them(tmp_path: Path):
    code, output = _run(_export(tmp_path, None), tmp_path / "out")
    assert code == 1, output
    assert "error[missing-column]: `visits` has no column `customer_id`" in output
    assert "say so in columns.yaml beside the tables: visits: {<its name>: customer_id}" in output


@pytest.mark.parametrize(
    ("names", "where", "message"),
    [
        ("visit:\n  kund: customer_id\n", ":1", "columns.yaml: there is no table `visit`"),
        (NAMES.replace("kund: customer_id", "kund: customr_id"), ":3",
         "columns.yaml: `kund: customr_id`: `visits` has no column `customr_id`"),
        (NAMES + "  klient: customer_id\n", ":5",
         "columns.yaml: `kund` and `klient` are both named `customer_id` of visits"),
        ("visits: [kund]\n", "", "columns.yaml gives, per table, the data's column and"),
        ("visits:\n  kund: customer_id\n   utförare: provider_id\n", ":3:",
         "columns.yaml is not valid YAML"),
    ],
    ids=["an unknown table", "an unknown column", "two for one", "not a mapping", "bad YAML"],
)  # fmt: skip
def test_a_mistake_in_the_names_is_an_error_at_its_line(tmp_path, names, where, message):
    code, output = _run(_export(tmp_path, names), tmp_path / "out")
    assert code == 1, output
    assert f"columns.yaml{where}" in output and message in output, output
    assert "Traceback" not in output
    if "customr_id" in names:
        assert "did you mean `customer_id`?" in output


@pytest.mark.parametrize("file", ["visits", "Besök"])
def test_a_year_read_a_month_at_a_time_uses_the_names_too(tmp_path: Path, file: str):
    """Parquet visits over two months are read a month at a time, and their repeated
    ids are looked for over the whole file first: with the data's own names that look
    found no `visit_id` column, and the visit seen twice ended the run in an internal
    error ("a visit is in the month twice"). Now it is rejected, at the export's name
    — also in a file named as the export names it (`Besök: visits`)."""
    import polars as pl

    data = tmp_path / "data"
    data.mkdir()
    for csv in (ROOT / "examples/hemtjanst/data").glob("*.csv"):
        frame = pl.read_csv(csv, infer_schema=False)
        if csv.stem == "visits":
            frame = frame.rename({"visit_id": "besöks_id", "start": "starttid"})
            frame = pl.concat([frame, frame.head(1)])  # the first visit again, at the end
        frame.write_parquet(data / f"{file if csv.stem == 'visits' else csv.stem}.parquet")
    named = f"{file}: visits\n" if file != "visits" else ""
    (data / "columns.yaml").write_text(f"{named}visits: {{besöks_id: visit_id, starttid: start}}\n")
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(data), "--month", "2024-01", "--to", "2024-02"]
    ran = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert ran.exit_code == 3, ran.output
    assert f"{file}.parquet:besöks_id (visit_id): warning[rejected-rows]: 1 row rejected: " in (
        ran.output
    )
    rejects = (out / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith(
        f"visits,{file}.parquet,350,V00001,K001,P2,besöks_id (visit_id),V00001,"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "read_data_duplicates" in manifest["timings_s"]  # read a month at a time


def test_a_column_and_its_new_name_both_in_the_file_is_an_error(tmp_path: Path):
    """`kund` renamed to `customer_id` in a file that also has `customer_id`: which to
    read cannot be guessed (a Polars traceback before)."""
    data = _export(tmp_path, NAMES)
    visits = data / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",customer_id"] + [line + ",K001" for line in lines[1:]]
    visits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = _run(data, tmp_path / "out")
    assert code == 1, output
    assert (
        "visits.csv: error[duplicate-column]: `visits` has both `kund` and `customer_id`, and "
        "the data's column names say `kund` is `customer_id`"
    ) in output
    assert "Traceback" not in output


def test_names_saved_in_windows_1252(tmp_path: Path):
    """A columns.yaml saved by a Swedish Windows editor (`besöks_id` in Windows-1252)
    is read as the CSV files are (a UnicodeDecodeError traceback otherwise)."""
    data = _export(tmp_path, None)
    (data / "columns.yaml").write_bytes(NAMES.encode("cp1252"))
    code, output = _run(data, tmp_path / "out")
    assert code == 3 and re.search(r"\nsumma +58.250,00\n", output), output


def test_a_name_that_names_no_column_is_warned_of(tmp_path: Path):
    """`persnal: staff_id` where the export says `personal`: the rename did nothing, and
    the model's column would be missing or its default, in silence."""
    names = NAMES + "  persnal: staff_id\n"
    code, output = _run(_export(tmp_path, names), tmp_path / "out")
    assert (
        "visits.csv: warning[missing-column]: the data's column names give `persnal` as "
        "`staff_id`, but `visits` has no column `persnal`\n   = hint: did you mean `personal`?"
    ) in output, output


def test_a_heading_with_spaces_around_it_or_its_o_in_two_characters_is_named(tmp_path: Path):
    """An export heading ` besöks_id ` (spaces around it) and `kund` whose ö… — here the
    heading `utförare` written with `o` and a combining diaeresis, as a Mac keeps it —
    are the names columns.yaml gives, as carepay's own names are matched: the spaced one
    was "no column `besöks_id`" beside an undeclared column shown as `besöks_id`. The
    same payments; a name in another case is warned of with the heading meant."""
    data = _export(tmp_path, NAMES)
    visits = data / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("besöks_id,", " besöks_id ,").replace("utförare", "utfo\u0308rare")
    visits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = _run(data, tmp_path / "out")
    assert code == 3, output  # the visit of K999 rejected, as with the headings unspaced
    assert re.search(r"\nsumma +58.250,00\n", output), output
    (data / "columns.yaml").write_text(NAMES.replace("kund:", "Kund:"), "utf-8")
    code, output = _run(data, tmp_path / "again")
    assert ("`visits` has no column `Kund`\n   = hint: did you mean `kund`?") in output, output


def test_frames_handed_to_the_api_are_told_of_columns_not_the_file():
    """A frame with its own column name is told to name it with `columns=` (the file
    beside the tables is no help to a program that has none)."""
    import polars as pl

    from engine.api import load, load_dataset, parse_month
    from engine.diagnostics import EngineError

    folder = ROOT / "examples/hemtjanst/data"
    month = parse_month("2024-01")
    checked, _ = load(MODEL, [month])
    tables = ("customers", "providers", "decisions", "visits")
    frames = {n: pl.read_csv(folder / f"{n}.csv", infer_schema=False) for n in tables}
    frames["visits"] = frames["visits"].rename({"customer_id": "kund"})
    with pytest.raises(EngineError) as raised:
        load_dataset(checked, frames)
    [missing] = [d for d in raised.value.diagnostics if d.code == "missing-column"]
    assert missing.hint == (
        'if the data names it otherwise, say so in columns={"visits": {"<its name>": '
        '"customer_id"}}'
    )


def test_names_that_are_no_names_are_refused_unread(tmp_path: Path):
    """A value that is a list, here one made of aliases the way a "billion laughs" file
    is: refused at its line, never turned into text (nine levels of it held the run for
    good, growing in memory); and a file too large to be a list of names is not read."""
    levels = ['  a: &a ["x", "x", "x"]'] + [
        f"  {n}: &{n} [*{p}, *{p}, *{p}]" for p, n in zip("abc", "bcd", strict=True)
    ]
    names = "visits:\n" + "\n".join(levels) + "\n  kund: *d\n"
    code, output = _run(_export(tmp_path, names), tmp_path / "out")
    assert code == 1, output
    assert "columns.yaml:6: error[schema]: columns.yaml: an entry of `visits` is the data's " in (
        output
    )
    big = tmp_path / "big"
    code, output = _run(_export(big, "#" + "x" * 1_000_001 + "\n"), big / "out")
    assert code == 1 and "columns.yaml is 1,000,003 bytes; it names columns" in output, output


def test_a_name_given_twice_is_an_error(tmp_path: Path):
    """`kund` given twice: YAML keeps the last in silence, which would read the
    providers' ids as the customers'."""
    code, output = _run(_export(tmp_path, NAMES + "  kund: provider_id\n"), tmp_path / "out")
    assert code == 1, output
    assert (
        "columns.yaml:5:3: error[duplicate-key]: columns.yaml: `kund` is given twice; which "
        "one is meant cannot be guessed"
    ) in output, output


def test_a_workbooks_own_column_names_are_named_beside_it(tmp_path: Path):
    """A workbook's sheets head their columns as the export names them too, and
    `columns.yaml` could not be given for one: `--data export.xlsx` with `besöks_id`,
    `kund` and `utförare` stopped (`missing-column`), pointing to a file "beside the
    tables" that was not read. The file beside the workbook is read as beside a folder's
    files — a report's title above a sheet's headings found by the export's names — the
    rejected row placed at the export's own column, the file among the run's inputs."""
    import polars as pl
    import xlsxwriter

    data = _export(tmp_path, None)
    book = tmp_path / "book"
    book.mkdir()
    with xlsxwriter.Workbook(book / "export.xlsx") as workbook:
        for csv in sorted(data.glob("*.csv")):
            frame = pl.read_csv(csv, infer_schema=False)
            sheet = workbook.add_worksheet(csv.stem)
            sheet.write(0, 0, f"Export av {csv.stem} 2024-02-01")  # a title above
            frame.write_excel(workbook, worksheet=csv.stem, position="A3", autofit=False)
    unnamed = tmp_path / "unnamed"
    code, output = _run(book / "export.xlsx", unnamed)
    assert code != 0 and "missing-column" in output, output
    assert "say so in columns.yaml beside the workbook: visits: {<its name>: visit_id}" in output
    (book / "columns.yaml").write_text(NAMES, encoding="utf-8")
    code, output = _run(book / "export.xlsx", tmp_path / "out")
    assert code == 3, output  # the visit of K999 rejected, as from the folder
    assert re.search(r"\nsumma +58.250,00\n", output), output
    rejects = (tmp_path / "out/rejects.csv").read_text(encoding="utf-8").splitlines()
    assert ",kund (customer_id),K999," in rejects[1], rejects
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in manifest["inputs"]] == [
        str((book / "export.xlsx").resolve()),
        str((book / "columns.yaml").resolve()),
    ]


HAGBY = ROOT / "tests/fixtures/hagby"
FILES = "Besök: visits\nBeslut: decisions\nKunder: customers\nUtförare: providers\n"


def _hagby_as_named(tmp_path: Path) -> Path:
    """Hagby's data with four of its tables' files named as its export names them."""
    data = tmp_path / "data"
    shutil.copytree(HAGBY / "data", data)
    for table, theirs in [("visits", "Besök"), ("decisions", "Beslut"), ("customers", "Kunder"),
                          ("providers", "Utförare")]:  # fmt: skip
        (data / f"{table}.csv").rename(data / f"{theirs}.csv")
    names = data / "columns.yaml"
    names.write_text(FILES + names.read_text("utf-8"), "utf-8")
    return data


def test_a_tables_file_or_sheet_named_as_the_export_names_it(tmp_path: Path):
    """An export names its files (and a workbook its sheets) as its system does —
    `Besök.csv`, a sheet `Beslut` — and every month's files had to be renamed by hand:
    `missing-table`. `Besök: visits` in columns.yaml names the file once. Hagby's March,
    31 299,33 kr, from files and from one workbook so named; the run's inputs are the
    files as named, and `verify` finds them."""
    import openpyxl

    data = _hagby_as_named(tmp_path)
    args = ["run", str(HAGBY), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert re.search(r"\nsumma +31.299,33\n", ran.output), ran.output
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    read = sorted(Path(i["path"]).name for i in manifest["inputs"])
    assert read == ["Beslut.csv", "Besök.csv", "Kunder.csv", "Utförare.csv", "absences.csv",
                    "columns.yaml", "utbildningar.csv"]  # fmt: skip
    verified = CliRunner().invoke(main, ["verify", str(tmp_path / "out")])
    assert verified.exit_code == 0, verified.output
    book, sheets = tmp_path / "book", openpyxl.Workbook()
    book.mkdir()
    sheets.remove(sheets.active)
    for table in sorted(data.glob("*.csv")):
        sheet = sheets.create_sheet(table.stem)
        for row in table.read_text("utf-8").splitlines():
            sheet.append(row.split(";"))
    sheets.save(book / "export.xlsx")
    shutil.copy(data / "columns.yaml", book / "columns.yaml")
    args = ["run", str(HAGBY), "--data", str(book / "export.xlsx"), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "from_book")])
    assert ran.exit_code == 0, ran.output
    assert re.search(r"\nsumma +31.299,33\n", ran.output), ran.output


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ("Besök: visitz\n", "columns.yaml:1: error[unknown-name]: columns.yaml: `Besök: "
         "visitz`: there is no table `visitz`\n   = hint: did you mean `visits`?"),
        ("visits: decisions\n", "columns.yaml:1: error[schema]: columns.yaml: `visits: "
         "decisions`: `visits` is the name of another table"),
        ("Besök: visits\nbesok: visits\n", "columns.yaml:2: error[schema]: columns.yaml: "
         "`Besök` and `besok` are both named the file of `visits`"),
    ],
)  # fmt: skip
def test_a_mistake_in_a_files_name_is_an_error_at_its_line(tmp_path: Path, names, said):
    """A table that is none, a name that is another table's (its rows would be read as
    this one's), or two names for one table (which file is meant?)."""
    data = _hagby_as_named(tmp_path)
    (data / "columns.yaml").write_text(names, "utf-8")
    args = ["run", str(HAGBY), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 1, ran.output
    assert said in ran.output, ran.output


def test_a_table_missing_says_it_may_be_named_in_columns_yaml(tmp_path: Path):
    data = _hagby_as_named(tmp_path)
    (data / "columns.yaml").write_text("Besök: visits\n", "utf-8")
    args = ["run", str(HAGBY), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 1, ran.output
    assert (
        "the data has no `decisions` table, which the model needs\n   = hint: add decisions.csv"
        " (or .parquet, or a sheet named decisions); where the export names it otherwise, say"
        " so in columns.yaml: `<its name>: decisions`"
    ) in ran.output, ran.output
