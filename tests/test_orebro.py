"""The Örebro model end to end: clean check, its test cases, explain, and the workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
from click.testing import CliRunner

from engine.cli import main
from engine.testing import find_test_files, run_file

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules/orebro")
DATA = str(ROOT / "tests/fixtures/orebro")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_check_is_clean_for_two_price_years():
    code, out = invoke(
        "check", RULES, "--month", "2024-03", "--month", "2024-04", "--month", "2025-04"
    )
    assert code == 0, out


def test_model_has_at_least_forty_passing_cases():
    results = [r for f in find_test_files([ROOT / "rules/orebro"]) for r in run_file(f)]
    assert len(results) >= 40
    assert all(r.passed for r in results), [r.name for r in results if not r.passed]


def test_explain_reduced_level_shows_the_control_level_reasoning():
    code, out = invoke("explain", RULES, "--data", DATA, "--month", "2024-03", "--customer", "K2")
    assert code == 0, out
    for expected in (
        "omsorg = 8 024.80 SEK   [nivårelaterad]",
        "nivåbelopp[förort_landsort, 11] = 20 062.00 SEK",
        "utförd_tid = 240 min (4.00 h)",
        "beviljad_nivåtid = 2 580 min (43.00 h)",
        "utförandegrad = 9.30 %   §4.1.2",
        "kontrollfaktor = 40.00 %   §4.1.2",
    ):
        assert expected in out, expected


def test_workbook_specification_equals_the_customer_lines(tmp_path):
    out = tmp_path / "out"
    code, text = invoke("run", RULES, "--data", DATA, "--month", "2024-03", "--out", str(out))
    assert code == 0, text
    book = openpyxl.load_workbook(out / "payments.xlsx")
    spec = book["Specifikation"]
    by_provider: dict[str, int] = {}
    separate = 0
    for row in spec.iter_rows(min_row=3, values_only=True):
        by_provider[row[1]] = by_provider.get(row[1], 0) + round(row[4] * 100)
        separate += row[5] != "ja"
    lines = pl.read_parquet(out / "statement_lines.parquet")
    assert (
        set(by_provider) == set(lines["provider_id"].unique().to_list()) == set(book.sheetnames[1:])
    )
    for provider, total_ore in by_provider.items():
        sheet = book[provider]
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        customer_lines, summary = rows[:-1], rows[-1]
        assert summary[0] == "Summa"
        assert (
            sum(round(r[6] * 100) for r in customer_lines) == total_ore == round(summary[6] * 100)
        )
        expected = lines.filter(pl.col("provider_id") == provider)["amount"].sum()
        assert total_ore == round(expected * 100)
    assert separate >= 1  # the effect premium is paid outside the invoice


def test_effect_premium_is_reported_apart(tmp_path):
    out = tmp_path / "out"
    invoke("run", RULES, "--data", DATA, "--month", "2024-03", "--out", str(out))
    totals = pl.read_csv(out / "provider_totals.csv")
    premium = totals.filter(pl.col("category") == "effektpremie (utbetalas separat)")
    assert premium["amount"].to_list() == [1944.0]  # (3 240 − 1 944) × 1.5, level 4 → 3
