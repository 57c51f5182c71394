"""The Örebro model end to end: clean check, its test cases, explain, and the workbook."""

from __future__ import annotations

from pathlib import Path

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
    code, out = invoke(
        "explain", "--lang", "en", RULES, "--data", DATA, "--month", "2024-03", "--customer", "K2"
    )
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


def test_effect_premium_is_reported_apart(tmp_path):
    out = tmp_path / "out"
    invoke("run", RULES, "--data", DATA, "--month", "2024-03", "--out", str(out))
    totals = pl.read_csv(out / "provider_totals.csv")
    premium = totals.filter(pl.col("category") == "effektpremie (utbetalas separat)")
    assert premium["amount_kr"].to_list() == [1944.0]  # (3 240 − 1 944) × 1.5, level 4 → 3


def test_the_vat_compensation_of_a_private_provider_is_explained_as_it_is_paid(tmp_path):
    """§4.1.3: a private provider is compensated 6 % of its invoiceable amounts. P03 in
    the bundled sample's March: 6 % × 396 483,59 kr = 23 789,0154, paid 23 789,02 kr —
    the same line the run pays. It could not be explained before (`explain` took only
    --customer)."""
    sample = str(ROOT / "examples/orebro")
    args = ["--data", sample, "--month", "2024-03"]
    explained = CliRunner().invoke(
        main, ["explain", "--lang", "en", RULES, *args, "--provider", "P03"]
    )
    assert explained.exit_code == 0, explained.output
    lines = explained.output.splitlines()
    assert (
        "momskompensation = 23 789.02 SEK   [momskompensation]   (before rounding "
        "23 789.0154 SEK)   §4.1.3"
    ) in lines
    assert "└─ sum(customers.fakturerbart) = 396 483.59 SEK   (30 rows)" in lines
    out = tmp_path / "o"
    ran = CliRunner().invoke(main, ["run", RULES, *args, "--out", str(out), "--format", "csv"])
    assert ran.exit_code in (0, 3), ran.output
    totals = pl.read_csv(out / "provider_totals.csv")
    paid = totals.filter(
        (pl.col("provider_id") == "P03") & (pl.col("category") == "momskompensation")
    )
    assert paid["amount_kr"].to_list() == [23789.02]
