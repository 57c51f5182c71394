"""The command line: exit codes, output, and never a traceback for a user mistake."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "examples/hemtjanst/model.yaml")
DATA = str(ROOT / "examples/hemtjanst/data")
FIVE = str(ROOT / "tests/fixtures/five_mistakes.yaml")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    output = result.output
    assert "Traceback" not in output
    return result.exit_code, output


def test_check_clean_model():
    code, out = invoke("check", MODEL, "--month", "2024-02")
    assert code == 0
    assert "inga problem" in out


def test_check_counts_model_files_and_sends_a_test_file_to_test(tmp_path):
    """`carepay check scenarios` checked fourteen models and said "1 sökväg kontrollerad";
    a model test file given to `check` was three schema errors (`title` missing,
    `defaults` unknown, the model path not an id), and beside a model in a directory it
    made the directory fail."""
    code, out = invoke("check", str(ROOT / "scenarios"))
    assert code == 0 and "ok: 14 modellfiler kontrollerade, inga problem" in out, out
    test_file = ROOT / "examples/lovstad/tests/lovstad_test.yaml"
    code, out = invoke("check", str(test_file))
    assert code == 1
    assert f"{test_file} is a model test file, not a model" in out
    assert f"hint: run it with `carepay test {test_file}`" in out
    assert "error[schema]" in out and out.count("error[") == 1
    both = tmp_path / "both"
    both.mkdir()
    (both / "model.yaml").write_text((ROOT / "examples/lovstad/model.yaml").read_text("utf-8"))
    (both / "model_test.yaml").write_text(test_file.read_text("utf-8"))
    code, out = invoke("check", str(both))
    assert code == 0 and "ok: 1 modellfil kontrollerad, inga problem" in out, out


def test_check_five_mistakes_reports_five_located_errors():
    code, out = invoke("check", FIVE)
    assert code == 1
    located = [line for line in out.splitlines() if line.startswith(FIVE) and "error[" in line]
    assert [line.split(": ")[1] for line in located] == [
        "error[unit-mismatch]",
        "error[unknown-name]",
        "error[unknown-value]",
        "error[syntax]",
        "error[schema]",
    ]
    assert [line.split(":")[1:3] for line in located] == [
        ["21", "16"],
        ["22", "14"],
        ["23", "49"],
        ["24", "48"],
        ["30", "5"],
    ]
    assert "did you mean `utförd_tid`?" in out
    assert out.rstrip().endswith("5 errors")


def test_check_json_format():
    code, out = invoke("check", FIVE, "--format", "json")
    assert code == 1
    items = json.loads(out)
    assert len(items) == 5
    assert {"code", "message", "file", "line", "column"} <= set(items[0])


def test_check_month_without_values_in_force():
    """A month before the model's first values was one error per parameter and rule
    (five here, ten for a model of nine parameters): now one, with the date the
    values begin."""
    code, out = invoke("check", MODEL, "--month", "2023-06")
    assert code == 1
    assert out.count("error[no-value-in-force]") == 1
    assert (
        "none of the 5 parameters the rules use has a value on 2023-06-01: the model's "
        "values begin on 2024-01-01"
    ) in out


def test_usage_error_exits_2():
    code, out = invoke("run", MODEL, "--data", DATA, "--month", "2024-13", "--out", "x")
    assert code == 2
    assert "is not a month" in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--month", "2024-01", "--month", "2024-02"],
            "give the first with --month and the last with --to",
        ),
        (["--month", "2024-01", "--format", "csv", "--format", "xlsx"], "--format csv,xlsx"),
        (["--month=2024-01", "--to", "2024-02", "--to=2024-03"], "--to is given more than once"),
    ],
)
def test_an_option_of_one_value_given_twice_is_a_usage_error(tmp_path, args, said):
    """Click kept the last: `--month 2024-01 --month 2024-02` paid February alone,
    exit 0, where two months were asked for."""
    out = tmp_path / "out"
    code, text = invoke("run", MODEL, "--data", DATA, *args, "--out", str(out))
    assert code == 2
    assert "is given more than once" in text and said in text
    assert not out.exists()


def test_a_flag_given_twice_is_harmless(tmp_path):
    out = tmp_path / "out"
    code, _ = invoke("run", MODEL, "--data", DATA, "--month", "2024-01", "--out", str(out),
                     "--strict", "--strict")  # fmt: skip
    assert code == 0 and (out / "manifest.json").exists()


def test_run_writes_outputs_and_totals_match_lines(tmp_path):
    out = tmp_path / "out"
    code, text = invoke(
        "run", MODEL, "--data", DATA, "--month", "2024-01", "--to", "2024-02", "--out", str(out)
    )
    assert code == 0, text
    assert (
        "besök i indata 349 = räknade 329 + ej räknade 20 + avvisade 0  (varje besök redovisat en gång)"
        in text
    )
    for name in ("statement_lines", "exclusions", "provider_totals"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    lines = pl.read_parquet(out / "statement_lines.parquet")
    totals = pl.read_parquet(out / "provider_totals.parquet")
    assert lines["amount_kr"].sum() == totals["amount_kr"].sum()
    book = openpyxl.load_workbook(out / "payments.xlsx", data_only=True)

    def amounts(sheet: str, column: str) -> int:
        rows = list(book[sheet].iter_rows(min_row=3, values_only=True))
        at = rows[0].index(column)
        return sum(round(r[at] * 100) for r in rows[1:] if r[0] != "Summa")

    spec_ore, lines_ore = amounts("Specifikation", "Belopp"), amounts("Rader", "Belopp")
    assert spec_ore == lines_ore == round(lines["amount_kr"].sum() * 100)
    assert str(lines["amount_kr"].dtype).startswith("Decimal")


def test_run_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "out"
    assert invoke("run", MODEL, "--data", DATA, "--month", "2024-01", "--out", str(out))[0] == 0
    code, text = invoke("run", MODEL, "--data", DATA, "--month", "2024-01", "--out", str(out))
    assert code == 1 and "--force" in text
    assert (
        invoke("run", MODEL, "--data", DATA, "--month", "2024-01", "--out", str(out), "--force")[0]
        == 0
    )


def test_run_with_broken_model_prints_diagnostics(tmp_path):
    code, out = invoke(
        "run", FIVE, "--data", DATA, "--month", "2024-01", "--out", str(tmp_path / "o")
    )
    assert code == 1
    assert "error[unit-mismatch]" in out
    assert not (tmp_path / "o").exists()


def test_explain_shows_formula_values_and_source():
    code, out = invoke(
        "explain", "--lang", "en", MODEL, "--data", DATA, "--month", "2024-02", "--customer", "K003"
    )
    assert code == 0, out
    assert "omsorg = 2 640.00 SEK   [nivårelaterad]   §3.1, §4.1" in out
    assert "kontrollfaktor = 40.00 %   §4.1" in out
    assert "utförandegrad = 10.00 %" in out
    assert "formula: utförd_tid / nivåminuter[nivå]" in out


def test_explain_matches_run(tmp_path):
    """The interpreter behind `explain` pays what the vectorized `run` pays."""
    out = tmp_path / "out"
    invoke("run", MODEL, "--data", DATA, "--month", "2024-02", "--out", str(out))
    lines = pl.read_csv(out / "statement_lines.csv")
    for customer in lines["customer_id"].unique().to_list():
        code, text = invoke(
            "explain",
            MODEL,
            "--data",
            DATA,
            "--month",
            "2024-02",
            "--customer",
            customer,
            "--format",
            "json",
        )
        assert code == 0, text
        document = json.loads(text)
        assert (document["customer_id"], document["month"]) == (customer, "2024-02")
        explained = {
            (line["provider_id"], line["payment"]): Decimal(line["amount"])
            for line in document["lines"]
        }
        paid = {
            (row["provider_id"], row["payment"]): Decimal(str(row["amount_kr"])).quantize(
                Decimal("0.01")
            )
            for row in lines.filter(pl.col("customer_id") == customer).iter_rows(named=True)
        }
        # exact to the öre, keyed by provider and payment: every line, nothing extra
        assert {k: v for k, v in explained.items() if v != 0} == paid


def test_explain_shows_three_rows_of_a_sum_or_every_one_with_rows_all():
    """A provider disputing one visit of a payment summed over ten could see three of
    them: `--rows all` explains every one, and the tree says how to get them."""
    args = ["explain", "--lang", "en", MODEL, "--data", DATA, "--month", "2024-02"]
    args += ["--customer", "K001"]
    code, out = invoke(*args)
    assert code == 0, out
    assert "└─ … and 7 more rows" in out
    assert out.rstrip().endswith("(--rows all explains every row)")
    code, out = invoke(*args, "--rows", "all")
    assert code == 0, out
    visits = re.findall(r"─ minutes = (\d+) min .*\(visit (\w+)\)", out)
    assert len({visit for _, visit in visits}) == 10
    assert sum(int(minutes) for minutes, _ in visits) == 305  # the sum's value
    assert "more rows" not in out and "--rows all" not in out
    code, out = invoke(*args, "--rows", "4")
    assert "└─ … and 6 more rows" in out
    code, out = invoke(*args, "--rows", "alla visits")
    assert code == 2 and "`alla visits` is no number of rows: write e.g. 10, or all" in out


def test_explain_shows_a_column_read_twice_once(tmp_path):
    """`if service == "x" then … else if service == "omsorg" then …` read `service`
    twice, and the tree showed `service = omsorg` twice under the visit's value."""
    model = tmp_path / "m.yaml"
    model.write_text(
        f"model: m\nextends: {MODEL}\ndefinitions:\n  visit:\n    pris: |\n"
        '      if service == "service" then 1 SEK else if service == "omsorg" then 2 SEK'
        " else 0 SEK\npayments:\n  besök:\n    entity: customer_month\n"
        "    category: extra\n    formula: sum(visits.pris)\n",
        encoding="utf-8",
    )
    args = ["explain", "--lang", "en", str(model), "--data", DATA, "--month", "2024-02"]
    args += ["--customer", "K001"]
    code, out = invoke(*args)
    assert code == 0, out
    tree = out[out.index("besök = 20.00 SEK") :]
    first_visit = tree[: tree.index("(visit V", tree.index("(visit V") + 1)]
    assert first_visit.count("service = omsorg") == 1, first_visit


def test_explain_unknown_customer():
    code, out = invoke("explain", MODEL, "--data", DATA, "--month", "2024-02", "--customer", "NOPE")
    assert code == 1
    assert "customer `NOPE` has no decisions or visits in 2024-02" in out


def test_explain_takes_an_id_copied_with_spaces_around_it():
    """` K003 ` (copied from a sheet) was "customer ` K003 ` has no decisions or visits",
    though the data's ids are read without their spaces: the same tree as `K003`."""
    code, plain = invoke(
        "explain", "--lang", "en", MODEL, "--data", DATA, "--month", "2024-02", "--customer", "K003"
    )
    assert code == 0, plain
    args = ["explain", "--lang", "en", MODEL, "--data", DATA, "--month", "2024-02"]
    args += ["--customer", " K003\t"]
    code, spaced = invoke(*args)
    assert code == 0 and spaced == plain, spaced
    args = ["explain", "--lang", "en", MODEL, "--data", DATA, "--month", "2024-02"]
    args += ["--provider", " P1 ", "--all"]
    code, own = invoke(*args)
    assert code == 0 and "Provider P1 " in own, own


def test_test_command():
    code, out = invoke("test", str(ROOT / "examples/hemtjanst/tests"))
    assert code == 0
    assert out.strip().endswith("12 godkända, 0 underkända")


@pytest.mark.parametrize(
    "command",
    ["check", "run", "explain", "test", "generate", "compare", "simulate", "diff", "verify"],
)
def test_every_command_has_help_with_an_example(command):
    code, out = invoke(command, "--help")
    assert code == 0
    assert "Example" in out
