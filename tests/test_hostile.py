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

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.loader import MAX_RULE_FILE_BYTES
from tests.conftest import TRIED

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


@pytest.fixture()
def place(tmp_path: Path) -> Place:
    shutil.copytree(EXAMPLE, tmp_path / "hemtjanst")
    model = tmp_path / "hemtjanst/model.yaml"
    data = tmp_path / "hemtjanst/data"
    earlier = tmp_path / "earlier"
    code, output = _run("run", str(model), "--data", str(data), *MONTH, "--out", str(earlier))
    assert code == 0, output
    return Place(tmp_path, model, data, earlier)


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
         lambda p: _out(p, p.root / "second"), 0, "statement lines written"),
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
         "is not a whole number"),
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
    Case("a name in decomposed Unicode", "rule file", _decomposed_name, 0, "no problems"),
    Case("a misspelt entity is one error, not one per rule", "rule file",
         lambda p: ["check", str(_scenario(p, "definitions:\n  customer_mont:\n"
                                              "    a: 1\n    b: a + 1\n    c: b + 1\n"))],
         1, "= hint: did you mean `customer_month`?\n\n1 error",
         never_says="`b` is computed per"),
    Case("blank lines are not rows, and later rows keep their line", "data", _blank_lines, 3,
         "not a date and time\n   = hint: rows 11;", never_says="is empty"),
    Case("an ANSI escape in a provider's name", "data",
         lambda p: _data_cell(p, "providers", "name", "Omsorg \x1b[31mRÖD\x1b[0m AB"), 0,
         "statement lines written", never_says="\x1b["),
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
