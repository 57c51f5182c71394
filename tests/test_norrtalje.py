"""The Norrtälje model, its scenarios, and one dataset through two municipalities' models."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.api import parse_month, run
from engine.cli import main
from engine.diagnostics import EngineError
from engine.testing import find_test_files, run_file

ROOT = Path(__file__).resolve().parent.parent
ORE_DATA = ROOT / "tests/fixtures/orebro"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_model_is_clean_before_and_after_june_2021():
    code, out = invoke(
        "check", str(ROOT / "rules/norrtalje"), "--month", "2020-05", "--month", "2022-03"
    )
    assert code == 0, out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_every_scenario_is_clean_and_says_what_it_models(scenario):
    code, out = invoke("check", str(scenario), "--month", "2022-03")
    assert code == 0, out
    header = scenario.read_text(encoding="utf-8").split("\nmodel:")[0]
    assert "SCENARIO:" in header and ("Källa:" in header or "Norrtälje" in header)


def test_model_and_scenarios_have_at_least_thirty_passing_cases():
    files = find_test_files([ROOT / "rules/norrtalje", ROOT / "scenarios"])
    results = [r for f in files for r in run_file(f)]
    assert len(results) >= 30
    assert all(r.passed for r in results), [r.name for r in results if not r.passed]
    tested = {Path(f).name.removesuffix("_test.yaml") for f in files}
    assert {s.stem for s in SCENARIOS} <= tested  # every scenario has its own cases


def _accounts_for_every_visit(result) -> None:
    for month in result.months:
        visits = month.frames["visit"]
        excluded = month.exclusions["visit_id"].to_list()
        assert len(excluded) == len(set(excluded))
        assert set(excluded) <= set(visits["visit_id"].to_list())
        counted = visits.filter(pl.col("counted"))["visit_id"].to_list()
        assert len(counted) + len(excluded) == visits.height
        assert not set(counted) & set(excluded)


def test_one_dataset_through_the_orebro_and_the_norrtalje_model():
    month = parse_month("2024-03")
    orebro = run(ROOT / "rules/orebro", ORE_DATA, month)
    norrtalje = run(ROOT / "scenarios/norrtalje_med_orebros_distrikt.yaml", ORE_DATA, month)
    for result in (orebro, norrtalje):
        _accounts_for_every_visit(result)
        assert result.lines.height > 0
    assert orebro.visit_counts()["visits"] == norrtalje.visit_counts()["visits"] == 8
    zones = (
        norrtalje.months[0]
        .frames["customer_month"]
        .select("district", "zone")
        .unique()
        .sort("district")
    )
    assert dict(zones.iter_rows()) == {
        "City norr": "tätort",
        "City söder": "tätort",
        "Norr": "landsbygd",
        "Öster": "skärgård",
    }


def test_an_unmapped_district_is_an_error_that_names_it():
    with pytest.raises(EngineError) as caught:
        run(ROOT / "rules/norrtalje", ORE_DATA, parse_month("2024-03"))
    [problem] = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert problem.code == "unmapped-district"
    for district in ("City norr", "City söder", "Norr", "Öster"):
        assert district in problem.message


def test_run_reports_follow_up_figures_next_to_payments(tmp_path):
    out = tmp_path / "out"
    code, text = invoke(
        "run",
        str(ROOT / "scenarios/norrtalje_med_orebros_distrikt.yaml"),
        "--data",
        str(ORE_DATA),
        "--month",
        "2024-03",
        "--out",
        str(out),
    )
    # Örebro's data has no absences or journals, which Norrtälje reads: read as empty,
    # to be reviewed (exit 5)
    assert code == 5, text
    assert "warning[missing-table]: the data has no `journals` table, which the model reads" in (
        text
    )
    assert "uppföljning (betalas inte):" in text
    assert "utförd_andel_av_beviljad" in text and "avböjda_besök" in text
    indicators = pl.read_csv(out / "indicators.csv")
    assert {"utförd_andel_av_beviljad", "avböjda_besök"} <= set(indicators["indicator"].to_list())


def test_a_journal_exported_twice_is_listed_once(tmp_path):
    """K1's nurse journal on two rows alike in every column (one export repeating the
    row): Norrtälje's listing, a month's amount per journal (1 500 kr in tätort), was
    paid twice — 3 000 kr, exit 0, a warning of overlapping journals its only word.
    The later row is rejected (`duplicate-row`, exit 3) and K1 is listed once."""
    data = tmp_path / "data"
    data.mkdir()
    tables = {
        "providers": "provider_id,name,ownership\nP1,Omsorg i Roslagen AB,private\n",
        "customers": "customer_id,district\nK1,Norrtälje stad\n",
        "decisions": "decision_id,customer_id,provider_id,service,start_date,end_date,"
        "granted_minutes\nB1,K1,P1,omsorg,2021-01-01,,600\n",
        "visits": "visit_id,customer_id,provider_id,staff_id,staff_role,service,start,end,"
        "registration,clock_adjusted,declined\n"
        "V1,K1,P1,S1,care,omsorg,2022-03-02 08:00,2022-03-02 09:00,tag,false,false\n",
        "absences": "customer_id,start_date,end_date,reason\n",
        "journals": "customer_id,provider_id,profession,start_date,end_date\n"
        + "K1,P1,nurse,2021-01-01,\n" * 2,
    }
    for name, text in tables.items():
        (data / f"{name}.csv").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, text = invoke(
        "run", str(ROOT / "rules/norrtalje"), "--data", str(data), "--month", "2022-03",
        "--out", str(out),
    )  # fmt: skip
    assert code == 3, text
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    listed = lines.filter(pl.col("payment") == "listning")
    assert listed.select("customer_id", "quantity", "amount_kr").rows() == [
        ("K1", "1.0", "1500.00")
    ]
    rejected = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejected.select("table", "row", "code").rows() == [("journals", "3", "duplicate-row")]
