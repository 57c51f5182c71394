"""A payment computed from visits the exclusions set aside is never quiet: Fjällby,
written from docs/language.md alone, summed `sum(visits.besöksersättning)` without
`where counted`, and a visit cancelled in time was listed in the exclusions output as
not counted — and paid, 30 min × 450 kr/h = 225 kr, with no word at check or run.
`check` now warns at the aggregation (`excluded-rows-paid`) unless its filter or its
field reads `counted` (or `excluded_by`), which says what the model means."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.api import load, parse_month, run_model
from engine.data import dataset_from_rows

MODEL = """\
model: fjallby-utdrag
title: Fjällby (utdrag)
vocabulary:
  columns:
    visits:
      status: {{type: text, values: [utförd, avbokad], nullable: false}}
parameters:
  timpris: {{unit: SEK/h, values: {{2026-01-01: 450}}}}
definitions:
  visit:
    ersatt_tid: if status == "utförd" then end - start else 30 min
    besöksersättning: ersatt_tid * timpris
    bara_räknade: if counted then besöksersättning else 0 SEK
  customer_month:
    antal: {indicator}
{exclusions}payments:
  tid:
    entity: customer_month
    category: tid
    formula: {formula}
"""

EXCLUSION = """\
exclusions:
  avbokat_i_tid:
    when: status == "avbokad"
    reason: avbokat i tid
"""

ROWS = {
    "customers": [{"customer_id": "F1", "district": "Centrum"}],
    "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
    "visits": [
        {"visit_id": "V1", "customer_id": "F1", "provider_id": "P1", "service": "omsorg",
         "start": "2026-11-02 08:00", "end": "2026-11-02 09:00", "status": "utförd"},
        {"visit_id": "V2", "customer_id": "F1", "provider_id": "P1", "service": "omsorg",
         "start": "2026-11-03 08:00", "end": "2026-11-03 09:00", "status": "avbokad"},
    ],
}  # fmt: skip

SUM = "sum(visits.besöksersättning)"

# (payment formula, the indicator (a definition no payment reads), exclusions?,
#  the columns of the warnings on the formula's line 24, what their hint begins with)
CASES = [
    (SUM, "count(visits)", True, [14], "add `where counted`"),
    ('sum(visits.besöksersättning where service == "omsorg")', "0", True, [14],
     "add `and counted` to its `where`"),
    (f"count(visits) * 1 SEK + {SUM}", "0", True, [14, 38], "add `where counted`"),
    ("sum(visits.besöksersättning where counted)", "count(visits)", True, [], ""),
    ("sum(visits.bara_räknade)", "0", True, [], ""),  # its field reads `counted`
    ('sum(visits.besöksersättning where excluded_by != "avbokat_i_tid")', "0", True, [], ""),
    ("sum(visits.besöksersättning where counted or not counted)", "0", True, [], ""),
    (SUM, "0", False, [], ""),  # nothing is set aside
]  # fmt: skip


def _model(tmp: Path, formula: str, indicator: str, exclusions: bool) -> Path:
    path = tmp / "model.yaml"
    text = MODEL.format(
        formula=formula, indicator=indicator, exclusions=EXCLUSION if exclusions else ""
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("formula", "indicator", "exclusions", "columns", "hint"), CASES)
def test_a_payment_from_the_visits_set_aside_is_warned_of_at_its_aggregation(
    tmp_path: Path, formula: str, indicator: str, exclusions: bool, columns: list[int], hint: str
) -> None:
    _, warnings = load(_model(tmp_path, formula, indicator, exclusions))
    found = [d for d in warnings if d.code == "excluded-rows-paid"]
    # the indicator no payment reads is not named
    assert [(d.span.line, d.span.col) for d in found if d.span] == [(24, c) for c in columns]
    for warning in found:
        assert warning.severity == "warning"
        assert "exclusions set aside (`avbokat_i_tid`)" in warning.message
        assert "the payment `tid` is computed from it" in warning.message
        assert (warning.hint or "").startswith(hint)


@pytest.mark.parametrize(
    ("formula", "paid"),
    [(SUM, Decimal("675.00")), ("sum(visits.besöksersättning where counted)", Decimal("450.00"))],
)
def test_what_the_warning_is_about(tmp_path: Path, formula: str, paid: Decimal) -> None:
    """Hand-computed: V1 executed 1 h × 450 kr/h = 450 kr; V2 cancelled in time and set
    aside, yet 30 min × 450 kr/h = 225 kr more where the sum does not ask `counted`."""
    month = parse_month("2026-11")
    checked, _ = load(_model(tmp_path, formula, "0", True), [month])
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    result = run_model(checked, data, [month])
    assert result.exclusions["visit_id"].to_list() == ["V2"]  # listed as not counted
    assert Decimal(int(result.lines["amount_ore"].sum())) / 100 == paid
