"""A value dated within a month is first paid for the next month — a month is paid by
what is in force on its first day — and the run of that month says so. A new model
author wrote `timpris: {2026-01-01: 450, 2026-11-15: 500}` for a price from 15
November; November paid every visit 450 kr/h, in silence, and December 500."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.api import load, parse_month, run_model
from engine.data import dataset_from_rows

ROOT = Path(__file__).resolve().parent.parent

MODEL = """\
model: mitt-i-manaden
title: Ett pris från mitten av månaden
parameters:
  timpris:
    unit: SEK/h
    values: {{ 2026-01-01: 450, {change}: 500 }}
{indexation}definitions:
  visit:
    besökstid: end - start
payments:
  tid:
    entity: customer_month
    category: tid
{payment}
"""
PLAIN = "    formula: sum(visits.besökstid where counted) * timpris\n"
VERSIONS = (
    "    versions:\n"
    "      - valid_to: {end}\n"
    "        formula: sum(visits.besökstid where counted) * timpris\n"
    "      - valid_from: {start}\n"
    "        formula: sum(visits.besökstid where counted) * timpris * 2\n"
)
INDEXED = "    indexation: {{ factor: 1.02, from: 2027-04-{day} }}\n"

ROWS = {
    "customers": [{"customer_id": "K1", "district": "Centrum"}],
    "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
    "visits": [
        {"visit_id": "V1", "customer_id": "K1", "provider_id": "P1", "service": "omsorg",
         "start": "2026-11-20 08:00", "end": "2026-11-20 09:00"},
    ],
}  # fmt: skip


def _model(tmp: Path, change: str = "2026-11-15", payment: str = PLAIN, **kw: str) -> Path:
    path = tmp / "model.yaml"
    defaults = {"indexation": ""}
    text = MODEL.format(change=change, payment=payment, **{**defaults, **kw})
    path.write_text(text.replace("{{", "{").replace("}}", "}"), encoding="utf-8")
    return path


def _said(path: Path, month: str) -> list[tuple[int, str]]:
    months = [parse_month(month)]
    checked, _ = load(path, months)
    result = run_model(checked, dataset_from_rows(ROWS), months)
    found = [w for w in result.warnings if w.code == "value-changes-in-month"]
    return [(w.span.line if w.span else 0, w.message) for w in found]


def test_a_price_from_the_15th_is_paid_from_the_next_month_and_the_run_says_so(tmp_path):
    """Hand-computed: V1 on 20 November, 1 h: 450,00 kr (the value of 1 November), not
    500 kr; the run names the value and the month it is first paid for."""
    path = _model(tmp_path)
    months = [parse_month("2026-11")]
    checked, _ = load(path, months)
    result = run_model(checked, dataset_from_rows(ROWS), months)
    assert int(result.lines["amount_ore"].sum()) == 45000
    assert _said(path, "2026-11") == [
        (6, "`timpris` changes on 2026-11-15, within 2026-11, which is paid with its value "
            "in force on 2026-11-01: the new value is first paid for 2026-12"),
    ]  # fmt: skip
    [warning] = [w for w in result.warnings if w.code == "value-changes-in-month"]
    assert warning.hint == (
        "date it 2026-11-01 to pay all of 2026-11 by it, or 2026-12-01 to say that it starts then"
    )
    assert not result.incomplete()  # told, not a value missing: exit 0, not 5


@pytest.mark.parametrize(
    ("change", "month"),
    [("2026-11-01", "2026-11"), ("2026-12-01", "2026-11"), ("2026-11-15", "2026-12"),
     ("2026-11-15", "2026-10")],
)  # fmt: skip
def test_a_value_from_a_months_first_day_or_another_month_is_not_told(tmp_path, change, month):
    assert _said(_model(tmp_path, change), month) == []


def test_a_model_run_as_of_a_date_is_not_told(tmp_path):
    """A model as in force on one date (`compare --a-as-of`) pays every month by that
    date's values: no month's first day counts."""
    months = [parse_month("2026-11")]
    checked, _ = load(_model(tmp_path), months, as_of=date(2026, 11, 30))
    result = run_model(checked, dataset_from_rows(ROWS), months)
    assert not [w for w in result.warnings if w.code == "value-changes-in-month"]
    assert int(result.lines["amount_ore"].sum()) == 50000  # 1 h × the value of 30 November


def test_a_rule_version_from_within_the_month_is_told(tmp_path):
    versions = VERSIONS.format(end="2026-11-14", start="2026-11-15")
    said = _said(_model(tmp_path, "2026-12-01", versions), "2026-11")
    assert [m for _, m in said] == [
        "`tid` has a version from 2026-11-15, within 2026-11, which is paid by the version "
        "in force on 2026-11-01: the new one is first used for 2026-12"
    ]


@pytest.mark.parametrize(("day", "told"), [("15", True), ("01", False)])
def test_an_indexation_within_the_month_is_told(tmp_path, day, told):
    path = _model(tmp_path, indexation=INDEXED.format(day=day))
    said = _said(path, "2027-04")
    assert bool(said) is told
    if told:
        assert "`timpris` changes on 2027-04-15, within 2027-04" in said[0][1]


def test_norrtaljes_price_from_mid_july_is_told_in_july_only():
    """rules/norrtalje: omsorgstaxa from 2022-07-15 (its test file: July pays 472 kr/h,
    August 480 kr/h)."""
    from engine.checker import changes_in_month

    checked, _ = load(ROOT / "rules/norrtalje")
    told = {m: changes_in_month(checked, date(2022, m, 1)) for m in (6, 7, 8)}
    assert [len(told[m]) for m in (6, 7, 8)] == [0, 1, 0]
    assert told[7][0].span is not None and told[7][0].span.line == 70
