"""A fourth municipality's model (examples/bergsjo), written from docs/language.md alone
with no change to the engine: hourly pay weighted by time bands, per staff member and
up to a share of the granted hours, a night patrol per visit, travel time in the
countryside and a provider deduction for visits registered by hand. Writing it found
that a sum passed over a visit with an empty cell silently (tests/test_skipped_missing.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from engine.cli import main
from engine.testing import find_test_files, run_file
from tests.harness import names_in_engine
from tests.test_workbook import _rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/bergsjo"


def test_its_hand_computed_cases_pass():
    results = [r for path in find_test_files([EXAMPLE]) for r in run_file(path)]
    assert len(results) >= 14
    failed = [(r.name, r.error, r.failures) for r in results if not r.passed]
    assert not failed, failed


def test_its_sample_month_pays_what_was_computed_by_hand(tmp_path):
    """K1: (60 + 132 + 60) min weighted × 480 kr/h = 2 016,00 and one night patrol
    95,00 (the visit of 4 minutes is not counted); K2 in the countryside: 105 min ×
    510 kr/h = 892,50 and 35 min of travel × 300 kr/h = 175,00; P2 registered one of
    its two visits by hand (50 % > 10 %): −2 % × 892,50 = −17,85. In all 3 160,65 kr."""
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(EXAMPLE / "model.yaml")])
    assert checked.exit_code == 0 and "inga problem" in checked.output, checked.output
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    result = runner.invoke(main, [*args, "--month", "2025-03", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output  # clean: nothing rejected, nothing missing
    assert "warning" not in result.output
    assert "räknade 6 + ej räknade 1 + avvisade 0" in result.output
    lines = {
        (row[0], row[1]): row[2]
        for row in (re.split(r"\s{2,}", line.strip()) for line in result.output.splitlines())
        if len(row) == 3 and row[0] in ("P1", "P2")
    }
    assert lines == {
        ("P1", "hemtjänst"): "2\u00a0016,00",
        ("P1", "nattpatrull"): "95,00",
        ("P2", "avdrag"): "\u221217,85",
        ("P2", "hemtjänst"): "892,50",
        ("P2", "resor"): "175,00",
    }
    assert "3\u00a0160,65" in result.output
    # the visit not counted, as the provider's workbook shows it: its minutes were
    # empty, read from a definition named `minutes` (this model calls it `minuter`)
    [row] = _rows(tmp_path / "o/payments.xlsx", "Ej räknade besök")
    assert (row["Besök"], row["Minuter"], row["Regel"]) == ("V4", 4, "för_kort")
    # the invoice sheet's note is this model's, not Örebro's "(§5) … (§5.1), t.ex. effektpremie"
    book = openpyxl.load_workbook(tmp_path / "o/payments.xlsx")
    notes = [c.value for c in book["Fakturaunderlag"]["A"] if isinstance(c.value, str)]
    assert notes[-1].endswith("Modellen betalar inget utanför fakturan.")
    assert "§" not in notes[-1]


def test_nothing_in_the_engine_is_written_for_it():
    """The model's own names (services, columns, bands, rules) are nowhere in engine/."""
    own = {"bergsjo", "nattpatrull", "antal_personal", "restid", "takandel", "påslag"}
    assert not names_in_engine(EXAMPLE / "model.yaml", own)


def test_a_provider_can_see_how_its_deduction_was_reached():
    """P2 registered one of its two visits by hand: 50 % > 10 %, so 2 % of its
    customers' hemtjänst (K2: 892,50 kr) is deducted, −17,85 kr. A provider-level
    payment could not be explained at all (`explain` took only --customer)."""
    args = ["explain", "--lang", "en", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    result = CliRunner().invoke(main, [*args, "--month", "2025-03", "--provider", "P2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == (
        "Provider P2 (Bergsjö kommun), 2025-03: its own payments "
        "(each customer's: explain --customer)"
    )
    assert (
        "Avdrag för manuell registrering: manuell_registrering = -17.85 SEK   [avdrag]   §6"
        in lines
    )
    for shown in ("├─ manuell_andel = 50.00 %", "│  ├─ besök_totalt = 2", "│  └─ besök_manuella = 1",
                  "└─ sum(customers.hemtjänst) = 892.50 SEK   (1 row)"):  # fmt: skip
        assert shown in lines, shown
    # which visit was registered by hand, not only how many (before: the count alone)
    manual = lines.index(
        '│     └─ count(visits where counted and registration == "manual") = 1   (1 row)'
    )
    assert lines[manual + 1] == "│        └─ visit V7"
    as_json = CliRunner().invoke(
        main, [*args, "--month", "2025-03", "--provider", "P2", "--format", "json"]
    )
    document = json.loads(as_json.output)
    assert document["provider_id"] == "P2" and document["customer_id"] is None
    customers = document["lines"][0]["tree"]["uses"][-1]  # sum(customers.hemtjänst)
    assert customers["uses"][0]["row"] == "customer_month K2, P2"  # (it had no row)
    assert [(line["payment"], line["amount"]) for line in document["lines"]] == [
        ("manuell_registrering", "-17.85")
    ]
    both = CliRunner().invoke(main, [*args, "--month", "2025-03", "--provider", "P2",
                                     "--customer", "K2"])  # fmt: skip
    assert both.exit_code == 2 and "--customer" in both.output
    unknown = CliRunner().invoke(main, [*args, "--month", "2025-03", "--provider", "P9"])
    assert unknown.exit_code == 1 and "provider `P9` has no customers in 2025-03" in unknown.output
