"""Kvarnby, a model written from docs/language.md alone: omsorg per day of a decision
by level (days as rows), a hospital stay's first three days paid and a short-term
stay's none, a provider change in the month, a start-up fee for a customer new to a
provider (its history, six months back), delegated health care per visit rounded up and
with a weekend and holiday supplement (a calendar), visits during a hospital stay
excluded, and a provider's continuity bonus (distinct staff per customer). Each amount
computed by hand. What it found: `explain` of a formula reading a calendar stopped with
a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
KVARNBY = ROOT / "tests/fixtures/kvarnby"
MODEL = KVARNBY / "model.yaml"
ARGS = ["--data", str(KVARNBY / "data"), "--month", "2027-03"]


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 (level 3) in hospital 10–16 March: 10–12 paid, 27 × 450 = 12 150; HSL 15 + 25
    (Saturday, +30 %) + 45 (Good Friday, +30 %) + 30 (Easter Monday, +30 %) + 30 min at
    400 kr/h = 1 166,67. K2 (level 2) changes from P1 to P2 on the 15th: P1 14 × 300,
    P2 17 days less 20–22 March in short-term care, 14 × 300, and 1 000 to P2 as new.
    K3 (level 5) in hospital 26 February–5 March: 1–5 March are days 4–8, 26 × 800 =
    20 800; its visits of 1–4 March excluded, five of 30 min = 1 000. K4 back with P1
    after B6 ended 31 August 2026: 31 × 150 and 1 000. P1's customer K1 met 3 staff: 2 %
    of 21 000 = 420; P2's K3 met 5: none. In all 50 586,67."""
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(MODEL), *ARGS, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    paid = sorted(
        lines.select("provider_id", "customer_id", "payment", "amount_kr").fill_null("").rows()
    )
    assert paid == [
        ("P1", "", "kontinuitet", "420.00"),
        ("P1", "K1", "hsl", "1166.67"),
        ("P1", "K1", "omsorg", "12150.00"),
        ("P1", "K2", "omsorg", "4200.00"),
        ("P1", "K4", "omsorg", "4650.00"),
        ("P1", "K4", "uppstart", "1000.00"),
        ("P2", "K2", "omsorg", "4200.00"),
        ("P2", "K2", "uppstart", "1000.00"),
        ("P2", "K3", "hsl", "1000.00"),
        ("P2", "K3", "omsorg", "20800.00"),
    ]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False)
    assert sorted(excluded.select("visit_id", "rule").rows()) == [
        ("V06", "felregistrering"),
        *[(f"V{n:02d}", "under_sjukhusvistelse") for n in range(7, 11)],
    ]


def test_kvarnbys_hand_computed_cases() -> None:
    ran = CliRunner().invoke(main, ["test", str(KVARNBY / "tests")])
    assert ran.exit_code == 0, ran.output
    assert "10 godkända, 0 underkända" in ran.output


def test_explain_shows_a_calendar_as_its_dates() -> None:
    """`explain` of a visit's `date(start) in helgdagar` stopped with a traceback
    (`cannot unpack non-iterable datetime.date object`): a list parameter's value was
    shown as a step table's brackets."""
    ran = CliRunner().invoke(main, ["explain", str(MODEL), *ARGS, "--customer", "K1"])
    assert ran.exit_code == 0, ran.output
    assert "helgdagar = 2027-01-01, 2027-01-06, 2027-03-26, 2027-03-29," in ran.output


def test_explains_json_gives_a_calendar_as_its_dates() -> None:
    """`explain --format json` stopped with the same traceback."""
    args = ["explain", str(MODEL), *ARGS, "--customer", "K1", "--format", "json", "--all"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    values = []

    def find(node: object) -> None:
        if isinstance(node, dict):
            if node.get("name") == "helgdagar":
                values.append(node["value"])
            for inner in node.values():
                find(inner)
        elif isinstance(node, list):
            for inner in node:
                find(inner)

    find(json.loads(ran.output))
    assert values
    assert values[0][:4] == ["2027-01-01", "2027-01-06", "2027-03-26", "2027-03-29"]


@pytest.mark.parametrize(
    ("model", "data", "month", "setting"),
    [
        (MODEL, KVARNBY / "data", "2027-03", "helgdagar[1].under=3"),
        (MODEL, KVARNBY / "data", "2027-03", "helgdagar=[2027-03-26]"),
        (
            ROOT / "examples/alvsbacka",
            ROOT / "examples/alvsbacka/data",
            "2026-12",
            "tidsband[1].value=3",
        ),
    ],
)
def test_a_study_cannot_set_a_calendar_or_time_bands(
    model: Path, data: Path, month: str, setting: str
) -> None:
    """`--set 'helgdagar[1].under=3'` stopped with a traceback (a calendar's date taken
    for a step table's bracket), and `--set helgdagar=…` said "`helgdagar` is a step
    table: name a bracket". Both say what it is, and where to change it."""
    args = ["simulate", str(model), "--data", str(data), "--month", month, "--set", setting]
    ran = CliRunner().invoke(main, args)
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    assert ran.exit_code != 0
    name = setting.partition("[")[0].partition("=")[0]
    assert f"`{name}` is {'a list of dates' if name == 'helgdagar' else 'time bands'}" in ran.output
    assert "--scenario" in ran.output
