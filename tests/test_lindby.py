"""Lindby, a model written from docs/language.md alone: omsorg by level for the days of
each decision, a fee per visit by two staff on a line of its own (visits payable), an
effect premium per level lowered per application (premium claims payable, paid outside
the invoice) when the customer's decision history shows the lower level in the period
and no application came in the twelve months before, and the payment file's customer
columns. Each amount computed by hand. What it found: a model test expecting a payment
made per row (a visit's fee, a claim's premium) under `customers` compared it with
0 kr, so a case expecting 0 passed whatever was paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import assert_case_says, assert_cases_pass, names_in_engine, run_and_read

LINDBY = Path(__file__).resolve().parent / "fixtures/lindby"
MODEL = LINDBY / "model.yaml"
ARGS = ["--data", str(LINDBY / "data"), "--month", "2027-04"]


def test_april_by_hand(tmp_path: Path) -> None:
    """K1 with P1 at level 3 all month: 6 000; two visits by two staff, 150 each; C1
    shows level 5 lowered to 3 from 1 March, no application since 10 February 2026:
    2 × 3 000. K2 with P2: level 4 to the 15th and 2 from the 16th: 4 000 + 2 000; C2
    lowered it two levels, but C3 came on 1 September 2026, within twelve months: 0.
    In all 18 300 kr, of which 6 000 paid outside the invoice."""
    columns = ("provider_id", "customer_id", "payment", "row", "amount_kr")
    paid, _ = run_and_read(MODEL, ARGS, tmp_path / "out", columns)
    assert paid == [
        ("P1", "K1", "dubbelbemanning", "V1", "150.00"),
        ("P1", "K1", "dubbelbemanning", "V3", "150.00"),
        ("P1", "K1", "effektpremie", "C1", "6000.00"),
        ("P1", "K1", "omsorg", "", "6000.00"),
        ("P2", "K2", "omsorg", "", "6000.00"),
    ]


def test_a_claim_listed_twice_is_paid_once(tmp_path: Path) -> None:
    """C1 exported twice (the same application on two rows): it was paid twice, 12 000
    kr outside the invoice, exit 0 and not a word — a table of claims had no key. The
    second row is rejected (`duplicate-id`, exit 3) and C1 is paid its 2 × 3 000 once."""
    import shutil

    import polars as pl
    from click.testing import CliRunner

    from engine.cli import main

    data = tmp_path / "data"
    shutil.copytree(LINDBY / "data", data)
    claims = data / "premium_claims.csv"
    lines = claims.read_text(encoding="utf-8").splitlines()
    claims.write_text("\n".join([*lines, lines[2]]) + "\n", encoding="utf-8")  # C1 again
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        main, ["run", str(MODEL), "--data", str(data), "--month", "2027-04", "--out", str(out)]
    )
    assert ran.exit_code == 3, ran.output
    paid = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    premiums = paid.filter(pl.col("payment") == "effektpremie")
    assert premiums.select("row", "amount_kr").rows() == [("C1", "6000.00")]
    rejected = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejected.select("table", "row", "id", "code").rows() == [
        ("premium_claims", "6", "C1", "duplicate-id")
    ]


def test_lindbys_hand_computed_cases() -> None:
    assert_cases_pass(LINDBY, 5)


CASES = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: Centrum }}]
    providers: [{{ provider_id: P1, name: Lindby Vård AB, ownership: private }}]
    decisions: [{{ decision_id: B2, customer_id: K1, provider_id: P1, service: omsorg, start_date: 2027-03-01, level: 3 }}]
  columns:
    visits: {{ customer_id: K1, provider_id: P1 }}
tests:
  - name: per besök under kunden
    month: 2027-04
    input:
      visits:
        - {{ visit_id: V1, service: dubbelbemanning, start: 2027-04-02 08:00, end: 2027-04-02 08:45 }}
    output:
      {section}
"""


@pytest.mark.parametrize(
    ("section", "said"),
    [
        ("customers: { K1: { dubbelbemanning: 150 } }", "1 godkända, 0 underkända"),
        ("providers: { P1: { dubbelbemanning: 150, omsorg: 6000 } }", "1 godkända, 0 underkända"),
        ("customers: { K1: { dubbelbemanning: 0 } }", "expected 0.00 SEK, got 150.00 SEK"),
        ("visit: { V1: { omsorg: 0 } }", "`omsorg` is paid per customer_month, not per visit"),
    ],
)
def test_a_payment_per_row_is_compared_with_what_was_paid(
    tmp_path: Path, section: str, said: str
) -> None:
    """`customers: {K1: {dubbelbemanning: 150}}` failed with "got 0.00 SEK", and
    `dubbelbemanning: 0` passed, though 150 kr was paid to K1 on V1's line; so did
    `omsorg: 0` expected of a visit, which has no such payment."""
    assert_case_says(tmp_path, CASES.format(model=MODEL, section=section), said)


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"lindby", "premiekarens", "premie_per_nivå", "sänkt_nivå_visad", "nivåsteg"}
    assert not names_in_engine(MODEL, own)
