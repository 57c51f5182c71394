"""Ängsby, a model written from docs/language.md alone: service paid per insats
registered on a visit (a table of the model's own naming its visit), a visit with no
insats excluded, a rural zone's supplement, a distance supplement from a customer's own
column (an empty distance within), VAT compensation to private providers, and a monthly
guarantee to every provider under contract, with or without customers (the providers'
months made of contracts too). The export names its columns in Swedish
(`columns.yaml`). Each amount computed by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

ROOT = Path(__file__).resolve().parent.parent
ANGSBY = ROOT / "tests/fixtures/angsby"
MODEL = ANGSBY / "model.yaml"
ARGS = ["--data", str(ANGSBY / "data"), "--month", "2027-03"]


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 (Centrum, 3 km) with P1: städ 350 + tvätt 150. K2 (Skogen, rural, 14 km) with
    P1: städ and inköp 550 + inköp 200 = 750, 10 % = 75, two visits far away 50. K3
    (Sjön, rural, no distance) with P2: städ 350, 35; its tvätt visit has no insats.
    P1, private under contract: 1 375 for its customers, 6 % = 82,50, and 5 000 −
    1 375 = 3 625 guaranteed. P3, private under contract with no customer: 5 000. In
    all 10 467,50."""
    paid, out = run_and_read(MODEL, ARGS, tmp_path / "out")
    assert paid == [
        ("P1", "", "garanti", "3625.00"),
        ("P1", "", "moms", "82.50"),
        ("P1", "K1", "insatsersättning", "500.00"),
        ("P1", "K2", "insatsersättning", "750.00"),
        ("P1", "K2", "landsbygd", "75.00"),
        ("P1", "K2", "resa", "50.00"),
        ("P2", "K3", "insatsersättning", "350.00"),
        ("P2", "K3", "landsbygd", "35.00"),
        ("P3", "", "garanti", "5000.00"),
    ]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False)
    assert excluded.select("visit_id", "rule").rows() == [("V6", "utan_insats")]


def test_angsbys_hand_computed_cases() -> None:
    assert_cases_pass(ANGSBY, 7)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('zone == "landsbygd"', 'zone == "landsbyggd"'), 'did you mean "landsbygd"?'),
        (('zone == "landsbygd"', 'customer.zone in ["landsbygd", "tätortt"]'), '"tätortt"'),
        (("zones: { tätort: [Centrum, Norr], landsbygd: [Skogen, Sjön] }", ""), "names no zones"),
    ],
)
def test_a_zone_the_model_does_not_name_is_an_error(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    """`zone == "landsbyggd"` paid no rural supplement (10 428,00 kr instead of
    10 467,50), exit 0, though `service == "omsorgg"` is an error; so did a model whose
    `zones:` line was lost, where every zone is empty."""
    text = MODEL.read_text("utf-8").replace(*change)
    assert text != MODEL.read_text("utf-8")
    path = tmp_path / "model.yaml"
    path.write_text(text.replace("$schema=../../../schemas", f"$schema={ROOT}/schemas"), "utf-8")
    ran = CliRunner().invoke(main, ["check", str(path)])
    assert ran.exit_code != 0, ran.output
    assert "error[unknown-value]" in ran.output and said in ran.output, ran.output


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"angsby", "avtalsperiod", "insatspris", "insatsbelopp", "garantibelopp", "utan_insats"}
    assert not names_in_engine(MODEL, own)
