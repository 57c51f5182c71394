"""Mossby, a model written from docs/language.md alone: omsorg per executed hour until
March 2027 and per granted hour from April (a payment's `versions:`), less the granted
time of the days in hospital (`days_covered` of the absences); an alarm's monthly amount;
home health care's listing fee per day of enrolment by the journal's profession; a
rehab visit paid when the rehab team ordered it (`ordered_by`) on a day its decision is
in force; a start-up fee for a new customer (the decision history) that ends with June
(`valid_to:`); a study that extends the model and assumes shorter visits of the providers
under one contract form (a providers' column of the model's own). Each amount computed
by hand. What it found: a model test expecting a payment or definition not in force in
its month was told only "got 0.00 SEK", or "has 1 rows this month; cannot read"; and a
code that differs from the list's only in case (`lov` for `LOV`) was given no "did you
mean"."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_case_says, assert_cases_pass, names_in_engine, run_and_read

MOSSBY = Path(__file__).resolve().parent / "fixtures/mossby"
MODEL = MOSSBY / "model.yaml"
STUDY = MOSSBY / "scenarios/lov_kortare_besok.yaml"
DATA = ["--data", str(MOSSBY / "data")]
COLUMNS = ("provider_id", "customer_id", "payment", "quantity", "amount_kr")


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 with P1: V1 90 min and V3 300 min counted, V2 of 3 min not: 6,5 h × 420 =
    2 730, and the alarm's 180. K2 new with P2 from 10 March: 2 h × 420 = 840 and the
    start-up fee of 1 000. K3: a nurse's journal from 5 March, 27 days × 45 = 1 215, and
    one rehab visit ordered by the rehab team, 350. In all 6 315 kr."""
    paid, _ = run_and_read(MODEL, [*DATA, "--month", "2027-03"], tmp_path / "out", COLUMNS)
    assert paid == [
        ("P1", "K1", "omsorg", "6.5", "2730.00"),
        ("P1", "K1", "trygghetslarm", "", "180.00"),
        ("P1", "K3", "listning", "", "1215.00"),
        ("P1", "K3", "rehab", "1.0", "350.00"),
        ("P2", "K2", "omsorg", "2.0", "840.00"),
        ("P2", "K2", "startbidrag", "", "1000.00"),
    ]


def test_april_by_hand(tmp_path: Path) -> None:
    """From April the granted hours at 430 kr/h. K1: 20 h less 5 days of 30 in hospital,
    20 × 25 / 30 × 430 = 7 166,67, and 180. K2: 31 h × 430 = 13 330, no fee (his decision
    began in March). K3: the nurse 1–10 April, 10 × 45, the district nurse from the
    11th, 20 × 30: 1 050; the rehab visit was ordered by the region: nothing. In all
    21 726,67 kr."""
    paid, _ = run_and_read(MODEL, [*DATA, "--month", "2027-04"], tmp_path / "out", COLUMNS)
    amounts = [(p, c, n, kr) for p, c, n, _, kr in paid]
    assert amounts == [
        ("P1", "K1", "omsorg", "7166.67"),
        ("P1", "K1", "trygghetslarm", "180.00"),
        ("P1", "K3", "listning", "1050.00"),
        ("P2", "K2", "omsorg", "13330.00"),
    ]


def test_july_pays_no_start_up_fee(tmp_path: Path) -> None:
    """K4's first decision starts 1 July, after the fee's last month: 10 h × 430 = 4 300
    and no fee. (No visit in July: the run warns and exits 4, as any empty month.)"""
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        main, ["run", str(MODEL), *DATA, "--month", "2027-07", "--out", str(out)]
    )
    assert ran.exit_code == 4, ran.output
    assert "yet pays 27 340.00 SEK" in ran.output  # 8 600 + 180 + 13 330 + 930 + 4 300
    lines = (out / "statement_lines.csv").read_text("utf-8")
    assert "startbidrag" not in lines and ",K4," in lines


def test_a_study_extends_it_with_an_assumption_on_its_own_column(tmp_path: Path) -> None:
    """P2, under LOV, registers V4 half as long: 1 h × 420 = 420 in March, not 840; from
    April 450 kr/h: K1 20 × 25 / 30 × 450 = 7 500, K2 31 × 450 = 13 950. March 5 895 and
    April 22 680: 28 575 kr."""
    args = [*DATA, "--month", "2027-03", "--to", "2027-04"]
    paid, _ = run_and_read(STUDY, args, tmp_path / "out", ("customer_id", "payment", "amount_kr"))
    assert ("K2", "omsorg", "420.00") in paid and ("K2", "omsorg", "13950.00") in paid
    assert ("K1", "omsorg", "7500.00") in paid
    assert sum(int(kr.replace(".", "")) for _, _, kr in paid) == 2857500


def test_mossbys_hand_computed_cases() -> None:
    assert_cases_pass(MOSSBY, 11)


NOT_IN_FORCE = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K4, district: Centrum }}]
    providers: [{{ provider_id: P2, name: Mossomsorg AB, ownership: private, avtal: LOV }}]
    decisions: [{{ decision_id: B6, customer_id: K4, provider_id: P2, service: omsorg, start_date: 2027-07-01, hours_per_month: 10 }}]
tests:
  - name: juli
    month: 2027-07
    output:
      customers:
        K4: {{ {expected} }}
    warnings: [empty-month]
"""


@pytest.mark.parametrize(
    ("expected", "said"),
    [
        (
            "startbidrag: 1000",
            "expected 1 000.00 SEK, got 0.00 SEK: `startbidrag` is not in force in 2027-07 "
            "(to 2027-06-30)",
        ),
        ("startbidrag: 0, omsorg: 4300", "1 godkända, 0 underkända"),
        ("tillägg: 5", "`tillägg` is not in force in 2027-07 (from 2027-08-01): it has no value"),
    ],
)
def test_a_case_is_told_that_a_rule_is_not_in_force(
    tmp_path: Path, expected: str, said: str
) -> None:
    """A case of July expecting the start-up fee, which ended with June, was told "got
    0.00 SEK"; one expecting a definition that begins in August, "K4 has 1 rows this
    month; cannot read `tillägg`"."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: mossby-tillagg\nextends: {MODEL}\ndefinitions:\n  customer_month:\n"
        "    tillägg: { formula: 5 SEK, valid_from: 2027-08-01 }\n",
        "utf-8",
    )
    assert_case_says(tmp_path, NOT_IN_FORCE.format(model=model, expected=expected), said)


ELSEWHERE = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: Centrum }}]
    providers: [{{ provider_id: P1, name: Mossby kommun hemtjänst, ownership: municipal, avtal: upphandlad }}]
    decisions: [{{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg, start_date: 2027-01-01, hours_per_month: 20 }}]
    visits: [{{ visit_id: V1, customer_id: K1, provider_id: P1, service: omsorg, start: 2027-03-02 08:00, end: 2027-03-02 09:00 }}]
tests:
  - name: mars
    month: 2027-03
    output:
      {section}
"""


@pytest.mark.parametrize(
    ("section", "said"),
    [
        (
            "customers: { K1: { minuter: 60 min } }",
            "`minuter` is a definition of visit: expect it under `visit` by the row's key",
        ),
        (
            "visit: { V1: { utförd_tid: 1 h } }",
            "`utförd_tid` is a definition of customer_month: expect it under `customers`",
        ),
        ("visit: { V1: { minuter: 60 min } }", "1 godkända, 0 underkända"),
        ("customers: { K1: { utförd_tid: 1 h } }", "1 godkända, 0 underkända"),
    ],
)
def test_a_definition_expected_of_another_entity_says_where_it_is(
    tmp_path: Path, section: str, said: str
) -> None:
    """A visit's `minuter` expected of the customer's month failed with "K1 has 1 rows
    this month; cannot read `minuter`"."""
    assert_case_says(tmp_path, ELSEWHERE.format(model=MODEL, section=section), said)


def test_a_code_in_another_case_is_offered_the_code(tmp_path: Path) -> None:
    """`lov` for `LOV` — in a study's `where:`, a formula and a providers' file — was
    not offered `LOV`: three letters in another case are no spelling match."""
    study = tmp_path / "study.yaml"
    study.write_text(STUDY.read_text("utf-8").replace("avtal: LOV", "avtal: lov"), "utf-8")
    study.write_text(study.read_text("utf-8").replace("../model.yaml", str(MODEL)), "utf-8")
    ran = CliRunner().invoke(main, ["check", str(study)])
    assert "`lov` is not a known avtal" in ran.output and "did you mean `LOV`?" in ran.output
    model = tmp_path / "model.yaml"
    formula = "if provider.avtal == 'lov' then 100 SEK else 0 SEK"
    model.write_text(
        f"model: mossby-lov\nextends: {MODEL}\npayments:\n  lovtillägg:\n"
        f'    entity: customer_month\n    category: omsorg\n    formula: "{formula}"\n',
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert 'did you mean "LOV"?' in ran.output, ran.output
    data = tmp_path / "data"
    data.mkdir()
    for table in (MOSSBY / "data").iterdir():
        text = table.read_text("utf-8")
        (data / table.name).write_text(text.replace("private,LOV", "private,lov"), "utf-8")
    ran = CliRunner().invoke(
        main,
        [
            "run",
            str(MODEL),
            "--data",
            str(data),
            "--month",
            "2027-03",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert "`lov` is not a known avtal" in ran.output
    assert "did you mean `LOV`? the list is the model's own" in ran.output


@pytest.mark.parametrize("hours", ["99999999999", "745"])
def test_more_hours_than_a_month_holds_are_a_rejected_row(tmp_path: Path, hours: str) -> None:
    """K1's decision of 99 999 999 999 hours a month (a number typed into the wrong
    cell) paid 35 833 333 353 850 kr over March and April, exit 0; a month holds 744
    hours. The row is rejected for its value alone — not also as a decision "without
    hours", which the model's data requirement said of it before."""
    data = tmp_path / "data"
    data.mkdir()
    for table in (MOSSBY / "data").iterdir():
        text = table.read_text("utf-8").replace("2027-01-01,,20,", f"2027-01-01,,{hours},")
        (data / table.name).write_text(text, "utf-8")
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(data), "--month", "2027-04", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert f"`{hours}` is outside the range of `hours_per_month` (0–744 h)" in ran.output
    assert "saknar beviljade timmar" not in ran.output
    summa = "summa" + " " * 25 + "14\u00a0560,00"  # April without K1's omsorg: 21 726,67 − 7 166,67
    assert summa in ran.output


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("1 200 min", "the column is in h: write 20 for 1 200 min"),
        ("2 dagar", "the column is in h: write 48 for 2 dagar"),
        ("20 kr", "the column holds duration in h, and kr is money (SEK)"),
    ],
)
def test_hours_written_in_another_unit_are_told_the_number(
    tmp_path: Path, written: str, hint: str
) -> None:
    """`1 200 min` in the decisions' hours per month is rejected, as any unit other than
    the column's; its hint was to write a number without a power of ten."""
    data = tmp_path / "data"
    data.mkdir()
    for table in (MOSSBY / "data").iterdir():
        text = table.read_text("utf-8").replace("2027-01-01,,20,", f'2027-01-01,,"{written}",')
        (data / table.name).write_text(text, "utf-8")
    args = [
        "run",
        str(MODEL),
        "--data",
        str(data),
        "--month",
        "2027-04",
        "--out",
        str(tmp_path / "o"),
    ]
    ran = CliRunner().invoke(main, args)
    assert f"`{written}` is not a number" in ran.output
    assert f"hint: {hint}; row 2" in ran.output, ran.output


def test_generated_data_meets_its_data_requirement(tmp_path: Path) -> None:
    """`generate --model` wrote the profile's omsorg decisions with granted minutes and
    no `hours_per_month`, which Mossby's data requirement needs: all 174 were rejected
    and the sample paid no omsorg. Each is given hours drawn from the table's own (the
    relief decisions' 12 or 16)."""
    data, out = tmp_path / "data", tmp_path / "out"
    made = CliRunner().invoke(
        main,
        ["generate", "--profile", "orebro", "--customers", "60", "--start", "2027-04"]
        + ["--model", str(MODEL), "--out", str(data), "--seed", "7"],
    )
    assert made.exit_code == 0, made.output
    decisions = pl.read_csv(data / "decisions.csv", infer_schema=False)
    omsorg = decisions.filter(pl.col("service") == "omsorg")
    assert omsorg.height > 0
    assert set(omsorg["hours_per_month"].to_list()) <= {"12", "16", "20", "24"}
    ran = CliRunner().invoke(
        main, ["run", str(MODEL), "--data", str(data), "--month", "2027-04", "--out", str(out)]
    )
    assert "saknar beviljade timmar" not in ran.output, ran.output
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejects.filter(pl.col("table") == "decisions").height == 0
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    assert lines.filter(pl.col("payment") == "omsorg").height >= omsorg["customer_id"].n_unique()


def test_a_line_per_journal_says_which_enrolment_it_pays(tmp_path: Path) -> None:
    """Paid per journal, K3's two enrolments of April were two lines "listning" with
    nothing to tell them apart (a journal has no id): each is named by the day it
    starts, on the line, in the letter ("Gäller 2027-04-11.") and in explain. 1–10
    April with the nurse, 10 × 45; from the 11th with the district nurse, 20 × 45."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: mossby-per-journal\nextends: {MODEL}\n"
        "vocabulary: {entities: {journal: {payable: true}}}\n"
        "payments:\n  per_journal:\n    entity: journal\n    category: hemsjukvård\n"
        "    formula: days_active(start_date, end_date) * 45 SEK\n",
        "utf-8",
    )
    args = [*DATA, "--month", "2027-04"]
    columns = ("customer_id", "payment", "row", "amount_kr")
    paid, _ = run_and_read(model, args, tmp_path / "out", columns)
    assert [line for line in paid if line[1] == "per_journal"] == [
        ("K3", "per_journal", "2027-03-05", "450.00"),
        ("K3", "per_journal", "2027-04-11", "900.00"),
    ]
    letter = CliRunner().invoke(
        main, ["explain", str(model), *args, "--customer", "K3", "--letter"]
    )
    assert "per_journal: 900,00 kr. Gäller 2027-04-11." in letter.output, letter.output


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"mossby", "startbidrag", "sjukhusavdrag", "listningsavgift", "rehabbesök", "avtal"}
    assert not names_in_engine(MODEL, own)
