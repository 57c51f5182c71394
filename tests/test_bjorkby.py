"""Björkby, a model written from docs/language.md alone: omsorg per hour with
supplements per time band (great holidays from a calendar of two years, a weekly span
for the weekend, night, evening), hand registrations counted on an outage's day only,
staff booked twice flagged, an alarm amount raised by an index, relief in bands of
hours, a district nurse's enrolment days counted once, every line in whole kronor
rounded down. Each amount computed by hand. What it found: an indexation's `round: 2`,
meant as two decimals, rounded to a multiple of two kronor; and `sum(visits.a +
visits.b)` was told only that `sum` needs a list of related rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

BJORKBY = Path(__file__).resolve().parent / "fixtures/bjorkby"
MODEL = BJORKBY / "model.yaml"
ARGS = ["--data", str(BJORKBY / "data"), "--month", "2027-12"]


def test_december_by_hand(tmp_path: Path) -> None:
    """K1 with P1: 920 (Friday 18–20, an hour of weekend) + 810 (Christmas Eve 90 min)
    + 490 (Tuesday 21:30–22:30) + 540 (New Year's night) + 315 (by hand on the outage's
    day; the one of 8 December not counted) = 3 075, and the alarm from the 11th,
    260,50 × 21/31 → 176. K2 with P1: 500, and the alarm all month, 260. K1 with P2: 22
    days enrolled, 880, and a nurse's visit, 300. K3 with P2: relief of 14 h from the
    16th, 6 900 × 16/31 → 3 561. In all 8 752 kr."""
    paid, out = run_and_read(MODEL, ARGS, tmp_path / "out")
    assert paid == [
        ("P1", "K1", "larm", "176.00"),
        ("P1", "K1", "omsorg", "3075.00"),
        ("P1", "K2", "larm", "260.00"),
        ("P1", "K2", "omsorg", "500.00"),
        ("P2", "K1", "listning", "880.00"),
        ("P2", "K1", "sjuksköterska", "300.00"),
        ("P2", "K3", "avlösning", "3561.00"),
    ]
    flagged = pl.read_csv(out / "flags.csv", infer_schema=False)
    assert sorted(flagged["visit_id"].to_list()) == ["V1", "V7"]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False)
    assert excluded.select("visit_id", "rule").rows() == [("V5", "manuell_utan_avbrott")]


def test_bjorkbys_hand_computed_cases() -> None:
    assert_cases_pass(BJORKBY, 9)


def _larm_rounded(tmp_path: Path, step: str) -> tuple[int, str]:
    path = tmp_path / "variant.yaml"
    path.write_text(
        f"model: bjorkby-round\ntitle: V\nextends: {MODEL}\nparameters:\n  larmbelopp:\n"
        f"    indexation: {{factor: 1 + larmindex / 100, from: 2027-01-01, round: {step}}}\n",
        "utf-8",
    )
    args = ["explain", "--lang", "en", str(path), *ARGS, "--customer", "K2"]
    ran = CliRunner().invoke(main, args)
    return ran.exit_code, ran.output


@pytest.mark.parametrize(
    ("step", "value"),
    [("0.01", "260.50"), ("1", "261.00"), ('"2 SEK"', "260.00"), ("0.05", "260.50")],
)
def test_an_indexation_rounds_to_a_multiple(tmp_path: Path, step: str, value: str) -> None:
    """250 kr raised by 4,2 % is 260,50: to öre 260,50, to whole kronor 261, to a
    multiple of two kronor, said with the unit, 260."""
    code, said = _larm_rounded(tmp_path, step)
    assert code == 0, said
    assert f"larmbelopp = {value} SEK" in said


def test_an_indexations_round_two_is_no_count_of_decimals(tmp_path: Path) -> None:
    """`round: 2`, meant as two decimals (as `round(x, 2)` in a formula), rounded 260,50
    kr to 260 kr, a multiple of two kronor, without a word."""
    code, said = _larm_rounded(tmp_path, "2")
    assert code != 0
    assert "error[bad-value]: `round: 2` rounds each indexed value of `larmbelopp` to a " in said
    assert '"2 SEK"' in said and "0.01 rounds to two decimals" in said


@pytest.mark.parametrize("step", [".inf", ".nan"])
def test_an_indexations_round_to_no_number_is_an_error(tmp_path: Path, step: str) -> None:
    """YAML's infinity (or not-a-number) as the multiple stopped `explain` and `run`
    with a traceback (InvalidOperation), `.nan` already at `check`."""
    code, said = _larm_rounded(tmp_path, step)
    assert code != 0 and "Traceback" not in said, said
    assert f"error[bad-value]: `round: {step[1:]}` is no multiple to round `larmbelopp` to" in said


def test_an_aggregation_of_two_fields_says_to_name_their_sum(tmp_path: Path) -> None:
    """`sum(visits.grundbelopp + visits.ob where …)` was told "`sum` needs a list of
    related rows here": it says to define the row's value on the visit and sum that."""
    text = MODEL.read_text("utf-8").replace(
        "sum(visits.besöksbelopp where", "sum(visits.grundbelopp + visits.ob where"
    )
    path = tmp_path / "model.yaml"
    path.write_text(text, "utf-8")
    ran = CliRunner().invoke(main, ["check", str(path)])
    assert ran.exit_code != 0
    assert (
        "`sum` takes one field of the related rows, not `visits.grundbelopp + visits.ob`"
        in ran.output
    )
    assert "under `definitions: {visit: …}` write `name: grundbelopp + ob`" in ran.output


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"bjorkby", "larmindex", "listningsdag", "besöksbelopp", "avlösningsbelopp"}
    assert not names_in_engine(MODEL, own)


def test_a_time_bands_calendar_with_no_list_in_force_stops_the_run(tmp_path: Path) -> None:
    """With its 2027 list gone, `storhelg` had no value in December 2027: Christmas Eve
    was in no calendar, its visit paid as a weekday's, 8 532 kr instead of 8 752, exit 0,
    while the same list read by `in` stopped the run (`no-value-in-force`)."""
    lines = MODEL.read_text("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if "2027-01-01: [2027-01-01, 2027-04-02" not in line]
    assert len(kept) == len(lines) - 1
    path = tmp_path / "model.yaml"
    path.write_text("".join(kept), "utf-8")
    ran = CliRunner().invoke(main, ["run", str(path), *ARGS, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 1, ran.output
    assert (
        "error[no-value-in-force]: `storhelg` has no value on 2027-12-01, which the band "
        "`storhelg` of `tidsband` needs" in ran.output
    )
