"""Tuna, a model written from docs/language.md alone: a municipality that pays alarm
call-outs from a table of its own the alarm centre exports (`larm`: when the alarm
came, when the staff arrived, when they left; `{by: moment}`, `payable: true`,
`references:`), a fixed amount per call-out halved where the staff came more than 30
minutes after the alarm, the time at the customer's rounded up to five minutes with a
night supplement (`minutes_within` of its own columns), a monthly subscription for an
alarm decision's days, and a data requirement that rejects a call-out with no arrival.
It pays no visit. Each amount computed by hand, the nights the clocks move among them.
What it found: every month of a model that pays no visit ended in exit 4 ("inget besök
räknat") and an `empty-month` warning; and `check` warned that a comparison of the
arrival could be unknown where the data requirement rejects every row without one."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

TUNA = Path(__file__).resolve().parent / "fixtures/tuna"
MODEL = TUNA / "model.yaml"
DATA = ["--data", str(TUNA / "data")]
COLUMNS = ("provider_id", "customer_id", "payment", "row", "quantity", "amount_kr")
PAIRS = "month: { by: pairs, of: [decision, utryckning] }"


def _model_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of Tuna's model in `tmp_path` with `old` replaced once by `new`."""
    text = MODEL.read_text("utf-8")
    assert old in text
    model = tmp_path / "model.yaml"
    model.write_text(text.replace(old, new, 1), "utf-8")
    return model


def test_october_by_hand(tmp_path: Path) -> None:
    """K1 (P1): L1 in 20 minutes, 21 at the customer's → 25: 400 + 200; L2 in 35
    minutes, half: 200, 25 minutes 200 + 22 of night 44; L5 on 31 October 23:50 (left
    after midnight, October's by its alarm), 400 + 200 + 25 of night 50; a whole month's
    subscription 310: 2 004. K2 (P1): L3 on the night the clocks went back, 02:10 to
    03:05, 115 minutes that passed (55 on the clock): 400 + 920 + 230; its decision from
    the 11th, 21 days: 210: 1 760. K3 (P2): L4 in 31 minutes, half: 200, 29 → 30
    minutes 240; its decision to the 15th, 15 days: 150: 590. In all 4 354 kr, exit 0."""
    paid, _ = run_and_read(MODEL, [*DATA, "--month", "2026-10"], tmp_path / "out", COLUMNS)
    assert paid == [
        ("P1", "K1", "larm", "", "", "310.00"),
        ("P1", "K1", "tidsersättning", "L1", "0.4167", "200.00"),
        ("P1", "K1", "tidsersättning", "L2", "0.4167", "244.00"),
        ("P1", "K1", "tidsersättning", "L5", "0.4167", "250.00"),
        ("P1", "K1", "utryckning", "L1", "", "400.00"),
        ("P1", "K1", "utryckning", "L2", "", "200.00"),
        ("P1", "K1", "utryckning", "L5", "", "400.00"),
        ("P1", "K2", "larm", "", "", "210.00"),
        ("P1", "K2", "tidsersättning", "L3", "1.9167", "1150.00"),
        ("P1", "K2", "utryckning", "L3", "", "400.00"),
        ("P2", "K3", "larm", "", "", "150.00"),
        ("P2", "K3", "tidsersättning", "L4", "0.5", "240.00"),
        ("P2", "K3", "utryckning", "L4", "", "200.00"),
    ]


def test_tunas_hand_computed_cases() -> None:
    assert_cases_pass(TUNA, 7)


def test_a_model_that_pays_no_visit_has_no_month_empty_of_them(tmp_path: Path) -> None:
    """Tuna's months have no visits, by design: its every run ended in exit 4, "inget
    besök räknat i 2026-10", and warned that the month "has no visits in the data".
    A model whose amounts no visit can change — no formula reads them, no month is made
    of their pairs — ends in 0. One whose customers' months are made of the visits'
    pairs too still says it (a visits file lost would lose those months), with how to
    say that it pays none."""
    args = ["run", str(MODEL), *DATA, "--month", "2026-10", "--out", str(tmp_path / "a")]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    assert "empty-month" not in ran.output
    paired = _model_with(tmp_path, PAIRS, "month: { by: pairs, of: [visit, decision, utryckning] }")
    args = ["run", str(paired), *DATA, "--month", "2026-10", "--out", str(tmp_path / "b")]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 4, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "2026-10 has no visits in the data, yet pays 4 354.00 SEK" in said
    assert (
        "no formula reads the visits: if the model pays none, leave visit out of "
        "customer_month's month rule (`of:`)"
    ) in said


def test_a_column_every_row_must_have_is_never_empty_to_check(tmp_path: Path) -> None:
    """`inställelse <= inställelsetid` — the arrival less the alarm — was warned of as
    unknown where the arrival is empty (`nullable-comparison`), though the model's data
    requirement rejects every call-out without one. Without the requirement it is."""
    ran = CliRunner().invoke(main, ["check", str(MODEL)])
    assert ran.exit_code == 0 and "nullable-comparison" not in ran.output, ran.output
    loose = _model_with(tmp_path, "    any_of: [ankomst]\n", "    any_of: [ankomst, klar]\n")
    ran = CliRunner().invoke(main, ["check", str(loose)])
    assert "warning[nullable-comparison]: `inställelse` has no value where `ankomst`" in ran.output


def test_explain_of_the_night_the_clocks_went_back() -> None:
    args = [str(MODEL), *DATA, "--month", "2026-10", "--customer", "K2"]
    ran = CliRunner().invoke(main, ["explain", "--lang", "en", *args])
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "tid_hos_kund = 115 min (1.92 h)" in said
    assert "the clocks went back from 03:00 to 02:00 on 2026-10-25: 55 min on the clock" in said


def test_tunas_vocabulary_is_its_own() -> None:
    own = {"tuna", "utryckning", "utryckningar", "ankomst", "larmtid", "inställelse"}
    assert not names_in_engine(MODEL, own)


def test_times_out_of_order_are_rejected_rows(tmp_path: Path) -> None:
    """An arrival typed before the alarm (08:31 for 09:00) paid the call-out as in time,
    400 kr where 31 minutes pay 200, and 720 kr for 89 minutes at the customer's; a
    departure before the arrival (13:41 for 14:20) paid −280 kr: exit 0. The table says
    its times follow one another (`in_order: [larmtid, ankomst, klar]`), and each such
    row is rejected with its reason, exit 3 — as a visit ending before it starts is."""
    data = tmp_path / "data"
    shutil.copytree(TUNA / "data", data)
    text = (data / "larm.csv").read_text("utf-8")
    text = text.replace("2026-10-03 14:20,2026-10-03 14:41", "2026-10-03 14:20,2026-10-03 13:41")
    text = text.replace("2026-10-12 09:00,2026-10-12 09:31", "2026-10-12 09:00,2026-10-12 08:31")
    (data / "larm.csv").write_text(text, "utf-8")
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        main, ["run", str(MODEL), "--data", str(data), "--month", "2026-10", "--out", str(out)]
    )
    assert ran.exit_code == 3, ran.output
    assert "`ankomst` 2026-10-12 08:31:00 is before `larmtid` 2026-10-12 09:00:00" in ran.output
    assert "`klar` 2026-10-03 13:41:00 is before `ankomst` 2026-10-03 14:20:00" in ran.output
    lines = list(csv.DictReader((out / "statement_lines.csv").open(encoding="utf-8")))
    assert {line["row"] for line in lines} == {"", "L2", "L3", "L5"}
    assert all(not line["amount_kr"].startswith("-") for line in lines)


def test_in_order_names_columns_of_times(tmp_path: Path) -> None:
    for written, said in [
        ("in_order: [larmtid, ankomst, klart]", "its `in_order` `klart` is not one of its columns"),
        (
            "in_order: [larmtid, larm_id]",
            "its `in_order` `larm_id` is a text column, not one of dates",
        ),
    ]:
        model = _model_with(tmp_path, "in_order: [larmtid, ankomst, klar]", written)
        ran = CliRunner().invoke(main, ["check", str(model)])
        assert ran.exit_code == 1 and f"table `larm`: {said}" in ran.output, ran.output


def test_a_call_out_longer_than_the_table_allows_is_a_rejected_row(tmp_path: Path) -> None:
    """A departure typed 22 days late (25 October for 3 October) paid 516 hours at the
    customer's, 255 154 kr in all, with exit 0: the table's `max_hours: 12` rejects a
    row lasting longer from its alarm to its departure, exit 3, as a visit longer than
    a day is rejected."""
    data = tmp_path / "data"
    shutil.copytree(TUNA / "data", data)
    text = (data / "larm.csv").read_text("utf-8")
    text = text.replace("2026-10-03 14:20,2026-10-03 14:41", "2026-10-03 14:20,2026-10-25 02:30")
    (data / "larm.csv").write_text(text, "utf-8")
    args = ["run", str(MODEL), "--data", str(data), "--month", "2026-10"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 3, ran.output
    assert "`larmtid` to `klar` is 516.5 h, more than 12 h" in ran.output
    model = _model_with(tmp_path, "      in_order: [larmtid, ankomst, klar]", "")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert "table `larm`: `max_hours` is how long a row may last" in ran.output
