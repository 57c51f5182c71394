"""Hostile input and careless use, one named case per row: each asserts its exit
status, that no Python traceback is printed, that the message says what is wrong
(and where), and that the inputs and an earlier output are intact afterwards.

The suite prints how many cases it tried, by kind (tests/conftest.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.loader import MAX_RULE_FILE_BYTES
from tests.conftest import TRIED, damaged

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/hemtjanst"
MONTH = ["--month", "2024-02"]


@dataclass
class Place:
    """A scratch copy of the example model and data, and an earlier carepay output."""

    root: Path
    model: Path
    data: Path
    earlier: Path

    def digest(self) -> str:
        """One hash over every file of the model, the data and the earlier output."""
        h = hashlib.sha256()
        for folder in (self.model.parent, self.data, self.earlier):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    h.update(str(path.relative_to(self.root)).encode())
                    h.update(path.read_bytes())
        return h.hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example and an earlier output of it, made once and copied for each case."""
    root = tmp_path_factory.mktemp("template")
    shutil.copytree(EXAMPLE, root / "hemtjanst")
    code, output = _run(
        "run", str(root / "hemtjanst/model.yaml"), "--data", str(root / "hemtjanst/data"),
        *MONTH, "--out", str(root / "earlier"),
    )  # fmt: skip
    assert code == 0, output
    return root


@pytest.fixture()
def place(template: Path, tmp_path: Path) -> Place:
    root = tmp_path / "place"
    shutil.copytree(template, root, symlinks=True)
    return Place(root, root / "hemtjanst/model.yaml", root / "hemtjanst/data", root / "earlier")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{type(result.exception).__name__}: {result.exception}")
    return result.exit_code, result.output


def _rule_file(place: Place, name: str, text: str | bytes) -> Path:
    path = place.root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _extending(place: Place, target: str) -> list[str]:
    path = _rule_file(place, "scenario.yaml", f"model: s\ntitle: S\nextends: {target}\n")
    return ["check", str(path)]


def _alias_bomb(place: Place) -> list[str]:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = _rule_file(place, "bomb.yaml", "model: b\ntitle: B\n" + "\n".join(lines) + "\n")
    return ["check", str(path)]


def _deep(place: Place) -> list[str]:
    body = "x: " + "[" * 300 + "]" * 300 + "\n"
    return ["check", str(_rule_file(place, "deep.yaml", "model: d\ntitle: D\n" + body))]


def _large(place: Place) -> list[str]:
    body = "# " + "x" * 100 + "\n"
    text = "model: l\ntitle: L\n" + body * (MAX_RULE_FILE_BYTES // len(body) + 10)
    return ["check", str(_rule_file(place, "large.yaml", text))]


def _fifo(place: Place) -> list[str]:
    path = place.root / "pipe.yaml"
    os.mkfifo(path)
    return ["check", str(path)]


def _out(place: Place, out: Path | str, *extra: str) -> list[str]:
    return ["run", str(place.model), "--data", str(place.data), *MONTH, "--out", str(out), *extra]


def _with_user_file(place: Place) -> list[str]:
    (place.earlier / "anteckningar.txt").write_text("mina", encoding="utf-8")
    return _out(place, place.earlier, "--force")


def _user_directory(place: Place) -> list[str]:
    folder = place.root / "mitt"
    folder.mkdir()
    (folder / "budget.xlsx").write_bytes(b"not carepay's")
    return _out(place, folder, "--force")


def _file_as_out(place: Place) -> list[str]:
    return _out(place, place.root / "hemtjanst/model.yaml", "--force")


def _scenario(place: Place, body: str) -> Path:
    """A scenario of the example model with `body` added (YAML at the top level)."""
    text = f"model: s\ntitle: S\nextends: {place.model}\n{body}"
    return _rule_file(place, "scenario.yaml", text)


def _definition(place: Place, formula: str) -> list[str]:
    path = _scenario(place, f"definitions:\n  customer_month:\n    x: '{formula}'\n")
    return ["run", str(path), "--data", str(place.data), *MONTH, "--out", str(place.root / "o")]


def _value(place: Place, value: str) -> list[str]:
    path = _scenario(place, f"parameters:\n  larmbelopp:\n    values: {{2024-01-01: {value}}}\n")
    return ["check", str(path)]


def _data_cell(place: Place, table: str, column: str, value: str) -> list[str]:
    import polars as pl

    path = place.data / f"{table}.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    first = pl.int_range(pl.len()) == 0
    frame = frame.with_columns(
        pl.when(first).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    frame.write_csv(path)
    return _out(place, place.root / "o")


def _list_column(place: Place) -> list[str]:
    import polars as pl

    customers = pl.read_csv(place.data / "customers.csv")
    customers.with_columns(pl.concat_list("district").alias("district")).write_parquet(
        place.data / "customers.parquet"
    )
    (place.data / "customers.csv").unlink()
    return _out(place, place.root / "o")


def _damaged_visits(place: Place) -> list[str]:
    args = _as_parquet(place, "visits", "visit_id", lambda c: c)
    damaged(place.data / "visits.parquet")
    return args


def _blank_lines(place: Place) -> list[str]:
    """Blank lines in visits.csv, and a bad time on the row after them (line 11)."""
    path = place.data / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[8].split(",")
    fields[lines[0].split(",").index("end")] = "inte en tid"
    lines[8] = ",".join(fields)
    lines[4:4] = ["", " "]  # the bad row is now line 11
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return _out(place, place.root / "o")


def _megabyte_value(place: Place) -> list[str]:
    path = place.data / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[lines[0].split(",").index("service")] = "x" * 1_000_000
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _out(place, place.root / "o")


def _decomposed_name(place: Place) -> list[str]:
    import unicodedata

    name = unicodedata.normalize("NFD", "utförd_extra")
    body = f"definitions:\n  customer_month:\n    {name}: 1\n    summa: utförd_extra + 1\n"
    return ["check", str(_scenario(place, body))]


def _two_kinds_of_bad_end(place: Place) -> list[str]:
    """One visit that ends before it starts, one that lasts 30 hours."""
    path = place.data / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first, second = lines[1].split(","), lines[2].split(",")  # 1 and 2 January
    first[header.index("end")] = "2024-01-01 00:00"  # before its start, 09:15
    second[header.index("start")] = "2024-01-01 17:00"
    second[header.index("end")] = "2024-01-02 23:59"  # 31 hours
    lines[1:3] = [",".join(first), ",".join(second)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _out(place, place.root / "o")


def _nul_in_header(place: Place) -> list[str]:
    path = place.data / "visits.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("visit_id", "visit\x00_id", 1))
    return _out(place, place.root / "o")


def _edit(place: Place, name: str, change: Callable[[str], str]) -> list[str]:
    """The data file `name` with its text changed, and a run over the data."""
    path = place.data / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return _out(place, place.root / "o")


def _edit_bytes(place: Place, name: str, content: bytes) -> list[str]:
    (place.data / name).write_bytes(content)
    return _out(place, place.root / "o")


def _replace_line(text: str, index: int, line: str) -> str:
    lines = text.splitlines()
    lines[index] = line
    return "\n".join(lines) + "\n"


def _as_parquet(
    place: Place, table: str, column: str, change: Callable[[pl.Expr], pl.Expr]
) -> list[str]:
    """The table as a Parquet file, one column changed (to a Parquet type)."""
    path = place.data / f"{table}.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    frame.with_columns(change(pl.col(column))).write_parquet(path.with_suffix(".parquet"))
    path.unlink()
    return _out(place, place.root / "o")


def _as_workbook(
    place: Place, change: Callable[[str, list[list[object]]], str | None]
) -> list[str]:
    """The data as one XLSX workbook: `change` may alter a table's rows and returns
    its sheet's name (None leaves the table out)."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for path in sorted(place.data.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows: list[list[object]] = [list(r) for r in csv.reader(handle)]
        name = change(path.stem, rows)
        if name is not None:
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
    target = place.root / "data.xlsx"
    book.save(target)
    return ["run", str(place.model), "--data", str(target), *MONTH, "--out", str(place.root / "o")]


def _unchanged(name: str, rows: list[list[object]]) -> str:
    return name


def _sheet_named(table: str, new: str | None) -> Callable[[str, list[list[object]]], str | None]:
    return lambda name, rows: new if name == table else name


def _header_twice(name: str, rows: list[list[object]]) -> str:
    if name == "visits":
        rows[0][-1] = rows[0][0]
    return name


def _real_dates(name: str, rows: list[list[object]]) -> str:
    """Start and end as the spreadsheet's own date-times, not text."""
    from datetime import datetime

    if name == "visits":
        for row in rows[1:]:
            row[7] = datetime.fromisoformat(str(row[7]))
            row[8] = datetime.fromisoformat(str(row[8]))
    return name


def _command(place: Place, command: str, *args: str) -> list[str]:
    return [command, str(place.model), "--data", str(place.data), *args]


def _verify_after(place: Place, change: Callable[[Path], None]) -> list[str]:
    change(place.earlier)
    return ["verify", str(place.earlier)]


def _manifest_edit(path: Path, old: str, new: str) -> None:
    manifest = path / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    assert old in text, old
    manifest.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rules(place: Place, body: str) -> list[str]:
    return ["check", str(_scenario(place, body))]


@dataclass
class Case:
    name: str
    kind: str
    args: Callable[[Place], list[str]]
    status: int
    says: str
    never_says: str = "\x00"  # text that must not appear (e.g. content of a foreign file)


CASES = [
    # ---- --out never destroys what carepay did not write
    Case("out equals the data directory", "out", lambda p: _out(p, p.data, "--force"), 1,
         "is the input"),
    Case("out is a parent of the data", "out", lambda p: _out(p, p.root / "hemtjanst", "--force"),
         1, "contains the input"),
    Case("out is the root of everything", "out", lambda p: _out(p, p.root, "--force"), 1,
         "contains the input"),
    Case("out is the model file", "out", _file_as_out, 1, "is the input"),
    Case("out is an ordinary file", "out",
         lambda p: _out(p, _rule_file(p, "notes.txt", "x"), "--force"), 1, "is a file"),
    Case("out holds a user's files", "out", _user_directory, 1,
         "holds files carepay did not write (budget.xlsx)"),
    Case("an earlier output with a user's file added", "out", _with_user_file, 1,
         "holds files carepay did not write (anteckningar.txt)"),
    Case("an earlier output without --force", "out", lambda p: _out(p, p.earlier), 1,
         "already exists; use --force"),
    Case("an earlier output replaced with --force", "out",
         lambda p: _out(p, p.root / "second"), 0, "specifikationsrader skrivna"),
    Case("out is a mount point", "out", lambda p: _out(p, "/proc", "--force"), 1,
         "is a mount point; carepay replaces its output directory as a whole"),
    Case("out below a file", "out", lambda p: _out(p, p.model / "out"), 1,
         "which is a file, not a directory"),
    Case("compare into the data", "out",
         lambda p: ["compare", str(p.model), str(p.model), "--data", str(p.data), *MONTH,
                    "--out", str(p.data.parent), "--force"], 1, "contains the input"),
    Case("simulate into the model's folder", "out",
         lambda p: ["simulate", str(p.model), "--data", str(p.data), *MONTH,
                    "--set", "larmbelopp=300", "--out", str(p.model.parent), "--force"], 1,
         "contains the input"),
    Case("generate over a user's folder", "out",
         lambda p: ["generate", "--profile", "orebro", "--customers", "5",
                    "--out", str(p.data), "--force"], 1, "carepay did not write"),
    # ---- rule files: only regular .yaml files, within limits, never echoed
    Case("extends the environment", "rule file", lambda p: _extending(p, "/proc/self/environ"),
         1, "is not a rule file", never_says="PATH="),
    Case("extends the password file", "rule file", lambda p: _extending(p, "/etc/passwd"), 1,
         "is not a rule file", never_says="root:"),
    Case("extends a text file", "rule file",
         lambda p: _extending(p, str(_rule_file(p, "secret.txt", "model: hemligt\n"))), 1,
         "is not a rule file", never_says="hemligt"),
    Case("extends /dev/zero", "rule file", lambda p: _extending(p, "/dev/zero"), 1,
         "is not a rule file"),
    Case("check /dev/zero", "rule file", lambda p: ["check", "/dev/zero"], 1,
         "is not a rule file"),
    Case("check a named pipe", "rule file", _fifo, 1, "is not a regular file"),
    Case("an alias bomb", "rule file", _alias_bomb, 1, "YAML aliases (*name) are not supported"),
    Case("nesting 300 deep", "rule file", _deep, 1, "nested more than 64 levels deep"),
    Case("a rule file over the size limit", "rule file", _large, 1, "is larger than 4 MB"),
    Case("a rule file that is not UTF-8", "rule file",
         lambda p: ["check", str(_rule_file(p, "latin1.yaml", "model: \xe5\n".encode("latin-1")))],
         1, "is not UTF-8"),
    Case("an empty rule file", "rule file",
         lambda p: ["check", str(_rule_file(p, "empty.yaml", ""))], 1, "error"),
    Case("more than 500 rules", "rule file",
         lambda p: ["check", str(_scenario(p, "payments:\n" + "".join(
             f"  p{i}:\n    entity: customer_month\n    category: c\n    formula: {i} SEK\n"
             for i in range(2000))))], 1, "more than 500 definitions, payments"),
    Case("a parameter of 30 000 values", "rule file",
         lambda p: ["check", str(_scenario(p, "parameters:\n  stor:\n    unit: SEK\n"
                    "    keys: [a]\n    values:\n      2024-01-01: {"
                    + ", ".join(f"k{i}: {i}" for i in range(30000)) + "}\n"))], 1,
         "a parameter has at most 20000"),
    # ---- values and formulas that no amount or calendar holds
    Case("a parameter value .nan", "rule file", lambda p: _value(p, ".nan"), 1,
         "is not a number carepay computes with"),
    Case("a parameter value .inf", "rule file", lambda p: _value(p, ".inf"), 1,
         "is not a number carepay computes with"),
    Case("a parameter value of 10^29", "rule file", lambda p: _value(p, "1" + "0" * 29), 1,
         "is not a number carepay computes with"),
    Case("a literal of 10^29", "formula", lambda p: _definition(p, "1" + "0" * 29 + " SEK"), 1,
         "larger than any amount carepay computes with"),
    Case("add_months by a hundred million", "formula",
         lambda p: _definition(p, "add_months(month_start, 100000000)"), 1,
         "cannot be computed in 2024-02"),
    Case("a date ten billion days on", "formula",
         lambda p: _definition(p, "month_start + 10000000000 days"), 1,
         "`10000000000 days` is longer than any time carepay computes with (at most 1 000 years)"),
    Case("a date ten thousand days on a million times", "formula",
         lambda p: _definition(p, "month_start + 10000 days * 1000000"), 1,
         "cannot be computed in 2024-02"),
    Case("500 nested if", "formula",
         lambda p: _definition(p, "if true then " * 500 + "1" + " else 0" * 500), 1,
         "nested more than 100 levels deep"),
    Case("a sum of 2 000 terms", "formula", lambda p: _definition(p, " + ".join(["1"] * 2000)),
         1, "nested more than 100 levels deep"),
    Case("20 000 unary minus", "formula", lambda p: _definition(p, "-" * 20000 + "1"), 1,
         "nested more than 100 levels deep"),
    # ---- command line
    Case("the month 0000-01", "command line",
         lambda p: ["run", str(p.model), "--data", str(p.data), "--month", "0000-01",
                    "--out", str(p.root / "o")], 2, "outside the months carepay runs"),
    Case("the month 9999-12", "command line",
         lambda p: ["run", str(p.model), "--data", str(p.data), "--month", "9999-12",
                    "--out", str(p.root / "o")], 2, "outside the months carepay runs"),
    Case("a reversed sweep", "command line",
         lambda p: ["simulate", str(p.model), "--data", str(p.data), *MONTH,
                    "--sweep", "larmbelopp=300:200:10"], 1, "it must go up from START to STOP"),
    # ---- data
    Case("1e300 as a level", "data", lambda p: _data_cell(p, "decisions", "level", "1e300"), 3,
         "`1e300` is outside the range of `level` (1–5)"),  # it was "not a whole number"
    Case("NaN as granted minutes", "data",
         lambda p: _data_cell(p, "decisions", "level", "NaN"), 3, "is not a whole number"),
    Case("a Parquet column of lists", "data", _list_column, 1, "holds lists or records"),
    Case("an end before the start and a visit over a day are two warnings", "data",
         _two_kinds_of_bad_end, 3, "(--strict stops instead)\n\nvisits.csv:end: warning",
         never_says="and others like it"),
    Case("a NUL byte in a header", "data", _nul_in_header, 1,
         "has a control character in the column name `visit\\x00_id`", never_says="\x00"),
    Case("a megabyte in one cell", "data", _megabyte_value, 3, "… (1000000 characters)",
         never_says="x" * 200),
    Case("a name in decomposed Unicode", "rule file", _decomposed_name, 0, "inga problem"),
    Case("a misspelt entity is one error, not one per rule", "rule file",
         lambda p: ["check", str(_scenario(p, "definitions:\n  customer_mont:\n"
                                              "    a: 1\n    b: a + 1\n    c: b + 1\n"))],
         1, "= hint: did you mean `customer_month`?\n\n1 error",
         never_says="`b` is computed per"),
    Case("blank lines are not rows, and later rows keep their line", "data", _blank_lines, 3,
         "not a date and time\n   = hint: write times as YYYY-MM-DD HH:MM (or with T, seconds "
         "and their fraction, or an instant's offset from UTC: 2024-03-01T07:30:00Z); row 11;",
         never_says="is empty"),
    Case("an ANSI escape in a provider's name", "data",
         lambda p: _data_cell(p, "providers", "name", "Omsorg \x1b[31mRÖD\x1b[0m AB"), 0,
         "specifikationsrader skrivna", never_says="\x1b["),
    # ---- the shape of a data file
    Case("visits.csv separated by semicolons", "data",
         lambda p: _edit(p, "visits.csv", lambda t: t.replace(",", ";")), 0,
         "specifikationsrader skrivna"),
    Case("providers.csv in Windows-1252, as Swedish Excel saves it", "data",
         lambda p: _edit_bytes(p, "providers.csv",
                               (p.data / "providers.csv").read_text().encode("cp1252")),
         0, "specifikationsrader skrivna"),
    Case("providers.csv with a byte neither UTF-8 nor Windows-1252 knows", "data",
         lambda p: _edit_bytes(p, "providers.csv",
                               (p.data / "providers.csv").read_bytes() + b"P9,Omsorg \x81,private\n"),
         1, "cannot read providers: the file is not text in UTF-8 or Windows-1252 (byte 0x81"),
    Case("a byte-order mark before the header", "data",
         lambda p: _edit(p, "visits.csv", lambda t: "\ufeff" + t), 0, "specifikationsrader skrivna"),
    Case("Windows line ends", "data",
         lambda p: _edit(p, "visits.csv", lambda t: t.replace("\n", "\r\n")), 0,
         "specifikationsrader skrivna"),
    Case("visits.csv with a header and no rows", "data",
         lambda p: _edit(p, "visits.csv", lambda t: t.splitlines()[0] + "\n"), 4,
         "2024-02 has no visits in the data"),
    Case("an empty visits.csv", "data", lambda p: _edit_bytes(p, "visits.csv", b""), 1,
         "visits.csv"),
    Case("a quote that is never closed", "data",
         lambda p: _edit(p, "visits.csv", lambda t: _replace_line(t, 5, 'V9,"K001,P2')), 1,
         "visits.csv"),
    Case("a row with a field too many", "data",
         lambda p: _edit(p, "visits.csv",
                         lambda t: _replace_line(t, 3, t.splitlines()[3] + ",extra")), 3,
         "visits.csv: warning[rejected-rows]: 1 row rejected: the row has 14 fields, the header "
         "has 13", never_says="`declined`"),
    Case("a row with fields missing", "data",
         lambda p: _edit(p, "visits.csv", lambda t: _replace_line(t, 3, "V00003,K001")), 3,
         "1 row rejected: the row has 2 fields, the header has 13\n   = hint: a separator too "
         "many or too few in this row; row 4;",
         never_says="is empty"),
    Case("a required column missing", "data",
         lambda p: _edit(p, "visits.csv", lambda t: t.replace(",end,", ",slut,", 1)), 1,
         "no column `end`"),
    Case("a column the model does not know", "data",
         lambda p: _edit(p, "customers.csv", lambda t: "\n".join(
             line + (",okänd" if i == 0 else ",x") for i, line in enumerate(t.splitlines()))
             + "\n"), 0, "specifikationsrader skrivna"),
    Case("a column named twice", "data",
         lambda p: _edit(p, "customers.csv", lambda t: "\n".join(
             line + (",district" if i == 0 else ",x") for i, line in enumerate(t.splitlines()))
             + "\n"), 1, "district"),
    Case("one visit id twice", "data",
         lambda p: _edit(p, "visits.csv", lambda t: _replace_line(
             t, 2, "V00001" + t.splitlines()[2][6:])), 3, "visits.csv:visit_id"),
    Case("both visits.csv and visits.parquet", "data",
         lambda p: (shutil.copy(p.data / "visits.csv", p.data / "visits.parquet"),
                    _out(p, p.root / "o"))[1], 1, "visits"),
    Case("a directory named visits.csv", "data",
         lambda p: ((p.data / "visits.csv").unlink(), (p.data / "visits.csv").mkdir(),
                    _out(p, p.root / "o"))[2], 1, "visits"),
    Case("visits.csv a link to itself", "data",
         lambda p: ((p.data / "visits.csv").unlink(),
                    (p.data / "visits.csv").symlink_to(p.data / "visits.csv"),
                    _out(p, p.root / "o"))[2], 1, "visits.csv"),
    Case("the data directory does not exist", "data",
         lambda p: ["run", str(p.model), "--data", str(p.root / "saknas"), *MONTH,
                    "--out", str(p.root / "o")], 2, "does not exist"),
    Case("the data is a text file", "data",
         lambda p: ["run", str(p.model), "--data", str(p.model), *MONTH,
                    "--out", str(p.root / "o")], 1, "model.yaml"),
    Case("visits in Parquet, all text", "data",
         lambda p: _as_parquet(p, "visits", "visit_id", lambda c: c), 0, "specifikationsrader skrivna"),
    Case("levels as whole numbers in Parquet", "data",
         lambda p: _as_parquet(p, "decisions", "level", lambda c: c.cast(pl.Int64)), 0,
         "specifikationsrader skrivna"),
    Case("levels as decimals in Parquet", "data",
         lambda p: _as_parquet(p, "decisions", "level", lambda c: c.cast(pl.Float64)), 0,
         "specifikationsrader skrivna"),
    Case("a level of 2.5 in Parquet", "data",
         lambda p: _as_parquet(p, "decisions", "level", lambda c: c.cast(pl.Float64) + 0.5), 3,
         "decisions.parquet:level: warning[rejected-rows]"),
    Case("granted minutes as decimals in Parquet", "data",
         lambda p: _as_parquet(p, "decisions", "granted_minutes", lambda c: c.cast(pl.Float64)), 0,
         "specifikationsrader skrivna"),
    Case("a decision's start as a Parquet date", "data",
         lambda p: _as_parquet(p, "decisions", "start_date", lambda c: c.str.to_date()), 0,
         "specifikationsrader skrivna"),
    Case("a decision's start as whole numbers (20240301) in Parquet", "data",
         lambda p: _as_parquet(p, "decisions", "start_date",
                               lambda c: c.str.replace_all("-", "").cast(pl.Int64)), 4,
         "decisions.parquet:start_date: warning[rejected-rows]"),  # every one: none in force
    Case("districts as bytes, one not UTF-8, in Parquet", "data",
         lambda p: _as_parquet(p, "customers", "district",
                               lambda c: pl.when(pl.int_range(pl.len()) == 0)
                               .then(pl.lit(b"\xff\xfe")).otherwise(c.cast(pl.Binary))
                               .alias("district")), 3,
         "customers.parquet:district: warning[rejected-rows]"),
    # (in a column of minutes or hours a duration is that many: tests/test_alvsbacka.py)
    Case("a Parquet column of durations where no duration belongs", "data",
         lambda p: _as_parquet(p, "decisions", "level",
                               lambda c: pl.duration(minutes=pl.int_range(pl.len()))
                               .alias("level")), 1,
         "column `level` of decisions.parquet holds durations"),
    Case("a Parquet file damaged in its pages", "data", _damaged_visits, 1,
         "cannot read visits: parquet"),
    Case("a truncated Parquet file", "data",
         lambda p: (_as_parquet(p, "visits", "visit_id", lambda c: c),
                    (p.data / "visits.parquet").write_bytes(
                        (p.data / "visits.parquet").read_bytes()[:300]),
                    _out(p, p.root / "o"))[2], 1, "visits.parquet"),
    Case("a CSV file named .parquet", "data",
         lambda p: ((p.data / "visits.csv").rename(p.data / "visits.parquet"),
                    _out(p, p.root / "o"))[1], 1, "visits.parquet"),
    # ---- data as one XLSX workbook
    Case("a workbook of all tables", "data", lambda p: _as_workbook(p, _unchanged), 0,
         "specifikationsrader skrivna"),
    Case("a workbook with start and end as spreadsheet dates", "data",
         lambda p: _as_workbook(p, _real_dates), 0, "specifikationsrader skrivna"),
    Case("a workbook with a header twice", "data", lambda p: _as_workbook(p, _header_twice),
         1, "visit_id"),
    Case("a workbook without the visits sheet", "data",
         lambda p: _as_workbook(p, _sheet_named("visits", None)), 1, "visits"),
    Case("a workbook's sheet named ' Visits '", "data",
         lambda p: _as_workbook(p, _sheet_named("visits", " Visits ")), 0,
         "specifikationsrader skrivna"),
    Case("a workbook's sheet named visit", "data",
         lambda p: _as_workbook(p, _sheet_named("visits", "visit")), 1,
         "found `visit`: did you mean `visits`?"),
    Case("a file named Visits.csv", "data",
         lambda p: ((p.data / "visits.csv").rename(p.data / "Visits.csv"),
                    _out(p, p.root / "o"))[1], 1,
         "found `Visits.csv`: table names are exact, rename it `visits`"),
    Case("a workbook that is not a zip", "data",
         lambda p: (_rule_file(p, "data.xlsx", "inte en arbetsbok"),
                    ["run", str(p.model), "--data", str(p.root / "data.xlsx"), *MONTH,
                     "--out", str(p.root / "o")])[1], 1, "data.xlsx"),
    # ---- the command line
    Case("the month 2024-2", "command line",
         lambda p: _command(p, "run", "--month", "2024-2", "--out", str(p.root / "o")), 0,
         "2024-02"),
    Case("the month februari", "command line",
         lambda p: _command(p, "run", "--month", "februari", "--out", str(p.root / "o")), 2,
         "--month"),
    Case("--to before --month", "command line",
         lambda p: _command(p, "run", "--month", "2024-03", "--to", "2024-01",
                            "--out", str(p.root / "o")), 1,
         "--to 2024-01 is before the first month 2024-03"),
    Case("a model that does not exist", "command line",
         lambda p: ["check", str(p.root / "saknas.yaml")], 1, "no such file"),
    Case("a folder without model.yaml as the model", "command line",
         lambda p: ["check", str(p.data)], 1, "holds no model files (*.yaml)"),
    Case("--set an unknown parameter", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--set", "larmbelop=300"), 1,
         "larmbelopp"),
    Case("--set a value that is no number", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--set", "larmbelopp=mycket"), 1,
         "larmbelopp"),
    Case("--set in the wrong unit", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--set", "larmbelopp=300 min"), 1, "SEK"),
    Case("--set without a value", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--set", "larmbelopp"), 1, "NAME=VALUE"),
    Case("--sweep without a step", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--sweep", "larmbelopp=100:300"), 1,
         "START:STOP:STEP"),
    Case("--sweep with a step of 0", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--sweep", "larmbelopp=100:300:0"), 1,
         "by a STEP above 0"),
    Case("--sweep of a million points", "command line",
         lambda p: _command(p, "simulate", *MONTH, "--sweep", "larmbelopp=0:1000000:1"), 1,
         "points"),
    Case("explain a customer who is not in the data", "command line",
         lambda p: _command(p, "explain", *MONTH, "--customer", "K999"), 1, "K999"),
    Case("explain as XML", "command line",
         lambda p: _command(p, "explain", *MONTH, "--customer", "K001", "--format", "xml"), 2,
         "--format"),
    Case("a letter for a customer and a provider at once", "command line",
         lambda p: _command(p, "explain", *MONTH, "--customer", "K001", "--provider", "P1",
                            "--letter"), 2, "for one --customer or for each customer of a"),
    Case("a letter as a PDF", "command line",
         lambda p: _command(p, "explain", *MONTH, "--customer", "K001", "--letter",
                            "--out", str(p.root / "brev.pdf")), 2, "a .html or .txt file"),
    Case("a letter to a provider that is not in the data", "command line",
         lambda p: _command(p, "explain", *MONTH, "--provider", "P9", "--letter"), 1,
         "provider `P9` has no customer from 2024-02 to 2024-02, and no payment of its own "
         "came to more than 0 kr"),
    Case("--provider and --customer without --letter", "command line",
         lambda p: _command(p, "explain", *MONTH, "--provider", "P1", "--customer", "K001"), 2,
         "a provider's own payments (--provider); --to and --out go with --letter"),
    Case("an unknown CSV dialect", "command line",
         lambda p: _command(p, "run", *MONTH, "--out", str(p.root / "o"),
                            "--csv-dialect", "excel-de"), 2, "--csv-dialect"),
    Case("verify a folder without a manifest", "command line",
         lambda p: ["verify", str(p.data)], 1, "manifest.json"),
    Case("generate no customers", "command line",
         lambda p: ["generate", "--profile", "orebro", "--customers", "0",
                    "--out", str(p.root / "g")], 2, "--customers"),
    Case("generate minus three customers", "command line",
         lambda p: ["generate", "--profile", "orebro", "--customers", "-3",
                    "--out", str(p.root / "g")], 2, "--customers"),
    Case("an unknown command", "command line", lambda p: ["betala", str(p.model)], 2,
         "No such command"),
    Case("compare as of a date that is none", "command line",
         lambda p: ["compare", str(p.model), str(p.model), "--data", str(p.data), *MONTH,
                    "--a-as-of", "2024-02-30"], 2, "--a-as-of"),
    # ---- rule files and scenarios
    Case("a key twice in one mapping", "rule file",
         lambda p: _rules(p, "parameters:\n  larmbelopp:\n    values: {2024-01-01: 1}\n"
                             "  larmbelopp:\n    values: {2024-01-01: 2}\n"), 1, "twice"),
    Case("a tab in the indentation", "rule file",
         lambda p: _rules(p, "definitions:\n\tcustomer_month:\n    x: 1\n"), 1, "scenario.yaml:"),
    Case("an unknown top-level key", "rule file", lambda p: _rules(p, "paramters: {}\n"), 1,
         "parameters"),
    Case("a payment without an entity", "rule file",
         lambda p: _rules(p, "payments:\n  ny:\n    category: c\n    formula: 1 SEK\n"), 1,
         "entity"),
    Case("an unknown function", "formula", lambda p: _definition(p, "avrunda(1)"), 1,
         "avrunda"),
    Case("kronor plus minutes", "formula", lambda p: _definition(p, "1 SEK + 1 min"), 1,
         "SEK"),
    Case("a definition that uses itself through another", "formula",
         lambda p: _rules(p, "definitions:\n  customer_month:\n    a: b + 1\n    b: a + 1\n"), 1,
         "cycle"),
    Case("a scenario that extends itself", "rule file",
         lambda p: _extending(p, str(p.root / "scenario.yaml")), 1, "scenario.yaml"),
    Case("a scenario that extends a file that is not there", "rule file",
         lambda p: _extending(p, str(p.root / "saknas.yaml")), 1, "saknas.yaml"),
    Case("a date that is no date in a parameter", "rule file",
         lambda p: _rules(p, "parameters:\n  larmbelopp:\n    values: {2024-13-01: 300}\n"), 1,
         "2024-13-01"),
    Case("a rounding mode that does not exist", "rule file",
         lambda p: _rules(p, "rounding: {to: 0.01, mode: uppåt}\n"), 1, "uppåt"),
    Case("a definition named counted", "rule file",
         lambda p: _rules(p, "definitions:\n  visit:\n    counted: true\n"), 1, "counted"),
    Case("a definition named visit_id", "rule file",
         lambda p: _rules(p, "definitions:\n  visit:\n    visit_id: 1\n"), 1, "visit_id"),
    Case("a text that is never closed", "formula", lambda p: _definition(p, '"öppen'), 1,
         "scenario.yaml:"),
    Case("an if without else", "formula", lambda p: _definition(p, "if true then 1"), 1,
         "else"),
    Case("text compared with a number", "formula", lambda p: _definition(p, '"a" > 1'), 1,
         "scenario.yaml:"),
    Case("an empty formula", "formula", lambda p: _definition(p, ""), 1, "scenario.yaml:"),
    Case("division by the literal 0", "formula", lambda p: _definition(p, "1 / 0"), 1,
         "scenario.yaml:6:13: error[division-by-zero]: division by 0"),
    # ---- a tampered output
    Case("verify a manifest whose total was raised", "tampering",
         lambda p: _verify_after(p, lambda out: _manifest_edit(
             out, '"total_ore": ', '"total_ore": 1')), 1, "total_ore"),
    Case("verify an output with a file added", "tampering",
         lambda p: _verify_after(p, lambda out: (out / "extra.csv").write_text("x")), 1,
         "extra.csv"),
    Case("verify an output with a line deleted", "tampering",
         lambda p: _verify_after(p, lambda out: (out / "statement_lines.csv").write_text(
             "\n".join((out / "statement_lines.csv").read_text().splitlines()[:-1]) + "\n")),
         1, "statement_lines.csv"),
    Case("verify a manifest that is not JSON", "tampering",
         lambda p: _verify_after(p, lambda out: (out / "manifest.json").write_text("{")), 1,
         "manifest.json"),
    Case("verify an output whose manifest was deleted", "tampering",
         lambda p: _verify_after(p, lambda out: (out / "manifest.json").unlink()), 1,
         "manifest.json"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(place: Place, case: Case) -> None:
    TRIED[f"hostile cases ({case.kind})"] += 1
    args = case.args(place)  # the case's own files are made first
    before = place.digest()
    started = time.monotonic()
    status, output = _run(*args)
    assert time.monotonic() - started < 10, "took too long"
    assert status == case.status, output
    assert "Traceback" not in output
    assert case.says in output, output
    assert case.never_says not in output, output
    assert place.digest() == before, "an input or the earlier output changed"


@pytest.mark.parametrize(
    ("errno", "words"),
    [(28, "No space left on device"), (30, "Read-only file system"), (13, "Permission denied")],
    ids=["disk full", "read-only file system", "permission denied"],
)
def test_a_write_that_fails_is_a_message_and_the_earlier_output_stays(
    place: Place, monkeypatch: pytest.MonkeyPatch, errno: int, words: str
) -> None:
    """Before: a full disk or a read-only file system ended in a traceback."""
    from engine import runner

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(errno, words, str(place.earlier / "statement_lines.csv"))

    TRIED["hostile cases (environment)"] += 1
    monkeypatch.setattr(runner, "write_tables", failing)
    before = place.digest()
    status, output = _run(*_out(place, place.earlier, "--force"))
    assert status == 1 and "Traceback" not in output
    assert f"cannot read or write {place.earlier / 'statement_lines.csv'}: {words}" in output
    assert place.digest() == before
    assert sorted(p.name for p in place.root.iterdir() if p.name.startswith(".")) == []


# ----------------------------------------------------------------------------- every column
# One bad value in the first row of each column of each table. A value the column
# cannot hold rejects the row, with a warning located at the table and column (exit
# 3) — or, where a key is renamed, at the rows that refer to it; a value the column
# can hold runs clean (exit 0) with no warning about the column.

VALUES = {
    "empty": "",
    "blank": "   ",
    "text": "inte ett värde",
    "negative": "-5",
    "1e17": "1e17",
    "inf": "inf",
    "impossible date": "2024-13-45",
    "escape": "\x1b[2J",
    "unknown": "Z999",
    "zero": "0",
}
ANY_TEXT = set(VALUES) - {"empty", "blank"}
MISSING = {"empty", "blank"}
NONE: set[str] = set()
ACCEPTED = {  # the values each column can hold, by its schema
    "visits.visit_id": ANY_TEXT,
    "visits.customer_id": NONE,  # must be a customer
    "visits.provider_id": NONE,
    "visits.staff_id": ANY_TEXT,
    "visits.staff_role": NONE,  # a code list
    "visits.service": NONE,
    "visits.profession": MISSING,  # optional, a code list
    "visits.start": NONE,
    "visits.end": NONE,
    "visits.registration": NONE,
    "visits.reported_at": MISSING,
    "visits.clock_adjusted": {"zero"},  # 0 is false
    "visits.declined": {"zero"},
    "decisions.decision_id": ANY_TEXT,
    "decisions.customer_id": NONE,
    "decisions.provider_id": NONE,
    "decisions.service": NONE,
    "decisions.start_date": NONE,
    "decisions.end_date": MISSING,
    "decisions.end_reason": MISSING,
    "decisions.level": NONE,  # 1–29, and the model requires a level on omsorg
    "decisions.granted_minutes": MISSING | {"zero"},  # at least 0
    "decisions.hours_per_month": MISSING | {"zero"},
    "decisions.profession": MISSING,
    "decisions.ordered_by": MISSING,
    "decisions.received_on": MISSING,
    "decisions.special_amount": MISSING | {"zero", "negative"},  # a correction may be negative
    "customers.customer_id": NONE,  # the customer's visits and decisions lose their customer
    "customers.district": NONE,  # must lie in a zone
    "providers.provider_id": NONE,
    "providers.name": ANY_TEXT,
    "providers.ownership": NONE,
}
UNREAD = {  # columns the example model never reads: not read, so any value passes
    "visits.staff_id",
    "visits.staff_role",
    "visits.profession",
    "visits.registration",
    "visits.declined",
    "decisions.end_reason",
    "decisions.hours_per_month",
    "decisions.profession",
    "decisions.ordered_by",
    "decisions.received_on",
    "decisions.special_amount",
}
REFERRED = {  # a renamed key is reported where it is referred to
    "customers.customer_id": "decisions.csv:customer_id: warning[rejected-rows]",
    "providers.provider_id": "decisions.csv:provider_id: warning[rejected-rows]",
}
CELLS = [(column, value) for column in ACCEPTED for value in VALUES]


@pytest.mark.parametrize(("column", "value"), CELLS, ids=[f"{c} = {v}" for c, v in CELLS])
def test_a_bad_value_in_any_column(place: Place, column: str, value: str) -> None:
    TRIED["hostile cases (data, one per column and value)"] += 1
    table, name = column.split(".")
    args = [*_data_cell(place, table, name, VALUES[value]), "--format", "csv"]  # the data's part
    before = place.digest()
    status, output = _run(*args)
    assert "Traceback" not in output and "\x1b" not in output
    own = f"{table}.csv:{name}: warning[rejected-rows]"
    if value in ACCEPTED[column] or column in UNREAD:
        assert (status, own in output) == (0, False), output
    else:
        assert status == 3, output
        assert REFERRED.get(column, own) in output, output
    assert place.digest() == before


def test_the_unread_columns_are_those_the_example_model_does_not_read() -> None:
    """UNREAD is what the engine decides, not a list kept by hand: a column the model
    reads is checked in every cell of the grid above."""
    from engine.api import data_needs, engine_columns, load
    from engine.data import columns_read

    checked, _ = load(EXAMPLE / "model.yaml")
    vocabulary = checked.model.vocabulary
    needs, keep = data_needs(checked), engine_columns(vocabulary)
    requirements = list(checked.model.data_requirements)
    unread = {
        f"{name}.{column}"
        for name, table in vocabulary.tables.items()
        for column in set(table.columns)
        - columns_read(name, table, needs.get(name), keep, requirements)
    }
    assert unread & set(ACCEPTED) == UNREAD


# ---- values far beyond any paid: a date a formula makes past what a calendar holds

OREBRO = ["--data", str(ROOT / "examples/orebro"), *MONTH]
# Örebro's late corrections with a frist a hundred million times its own (5 days):
# a date beyond what a calendar holds, where Polars panicked ("out-of-range date")
FAR_RULE = """model: far
title: Far
extends: {rules}
exclusions:
  sen_rättelse:
    when: coalesce(date(reported_at) > date(start) + rättelsefrist * 100000000 + förlängning, false)
    reason: rättad sent
    source: "§4.3.2"
"""
# the same in an aggregation's filter: Polars' error named the engine's own columns
FAR_FILTER = """model: far
title: Far
extends: {rules}
definitions:
  visit:
    förlängning:
      formula: |
        coalesce(max(outages.avbrottsdagar
                     where start_date <= date(visit.start) + rättelsefrist * 20000000000),
                 0 days)
      source: "§4.3.2"
"""


def _far(tmp_path: Path, text: str) -> str:
    path = tmp_path / "far.yaml"
    path.write_text(text.format(rules=ROOT / "rules/orebro"), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "scenario, said",
    [
        (FAR_RULE, "far.yaml:5:3: error[cannot-compute]: `sen_rättelse` cannot be computed"),
        (FAR_FILTER, "far.yaml:6:5: error[cannot-compute]: `förlängning` cannot be computed"),
    ],
)
def test_a_date_beyond_the_calendar_is_a_located_error(
    tmp_path: Path, scenario: str, said: str
) -> None:
    """Both stopped the run with a traceback (a Polars panic; an error escaping the
    aggregation)."""
    status, output = _run("run", _far(tmp_path, scenario), *OREBRO, "--out", str(tmp_path / "o"))
    assert status == 1, output
    assert f"{said} in 2024-02: a date beyond what a calendar holds" in output, output
    assert not (tmp_path / "o").exists()


def test_a_time_longer_than_a_thousand_years_is_no_value() -> None:
    """`--set 'rättelsefrist=200000000 days'` went beyond the calendar (a traceback)."""
    rules = str(ROOT / "rules/orebro")
    status, output = _run("simulate", rules, *OREBRO, "--set", "rättelsefrist=200000000 days")
    assert status == 1, output
    assert (
        "error[bad-value]: --set rättelsefrist=200000000 days: `200000000 days` is longer "
        "than any time carepay computes with (at most 1 000 years)"
    ) in output, output


def test_a_goal_seek_stops_where_its_dates_go_beyond_the_calendar(tmp_path: Path) -> None:
    """Late corrections with a frist a hundred thousand times the parameter: the goal
    seek's bracket doubles the parameter until a date goes beyond the calendar (1 280
    days: 128 000 000 days after the visit), which stopped it with a traceback; that is
    the bracket's end instead, and no shorter frist pays 3 % less."""
    scenario = _far(tmp_path, FAR_RULE.replace("100000000", "100000"))
    args = ["simulate", scenario, *OREBRO, "--solve", "rättelsefrist", "--target", "-3 %"]
    status, output = _run(*args)
    assert status == 1, output
    assert "error[bad-value]: no value of `rättelsefrist` reaches that total" in output, output
