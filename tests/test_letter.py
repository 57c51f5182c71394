"""The provider's letter (`carepay explain --letter`): one customer's month in plain
Swedish, each payment a sentence in the model's own words with its §, the visits not
counted and the total — hand-computed from Örebro's rules (seed 003) on the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import types as t
from engine.cli import main
from engine.letter import OWN, kronor, shown

ROOT = Path(__file__).resolve().parent.parent
RULES, DATA = str(ROOT / "rules/orebro"), str(ROOT / "tests/fixtures/orebro")


def _explain(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["explain", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_the_letter_of_a_reduced_month_says_why_in_swedish() -> None:
    """K2, level 11 in förort/landsort, March 2024. Nivåbeloppet 20 062 kr (§3.1.1);
    executed 240 min: V2 (4 h), while V3 (2 h) was corrected 8 days after the visit and
    is not counted (§4.3.2); the level's time is 2 580 min (43 h), so utförandegrad
    240 / 2 580 = 9,3 % is under 20 %: 40 % of the level amount (§4.1.2) = 8 024,80 kr.
    Trygghetslarm 310 kr (§3.1.5). Total 8 334,80 kr."""
    code, text = _explain(RULES, "--data", DATA, "--month", "2024-03", "--customer", "K2",
                          "--letter")  # fmt: skip
    assert code == 0, text
    assert text.splitlines()[:4] == [
        "Ersättning inom omvårdnad, Örebro kommun",
        "Ersättning för mars 2024",  # the month in words (it read 2024-03)
        "Utförare: Omsorg Privat AB (P1)",
        "Kund: K2",
    ]
    assert (
        "- Omsorg enligt nivå 11, 31 dagar: utförd tid 240 min av beviljade 2\xa0580 min "
        "(utförandegrad 9,3 %) ger kontrollfaktor 40 %, så ersättningen är 40 % av "
        "nivåbeloppet 20\xa0062,00 kr, alltså 8\xa0024,80 kr (§3.1.1, §4, §4.1.2)."
    ) in text
    assert "- Trygghetslarm, månadsbeloppet för dagarna med larmbeslut: 310,00 kr (§3.1.5)." in text
    assert "Summa för månaden: 8\xa0334,80 kr" in text
    assert (
        "- 2024-03-06 08:00 (120 min, personal S2), besök V3: rättad senare än fem dagar "
        "efter besöket (§4.3.2)"
    ) in text


def test_the_letter_as_a_page_that_prints_on_a4(tmp_path: Path) -> None:
    out = tmp_path / "brev.html"
    code, text = _explain(RULES, "--data", DATA, "--month", "2024-03", "--customer", "K2",
                          "--letter", "--out", str(out))  # fmt: skip
    assert code == 0 and f"1 brev skrivet till {out}" in text
    page = out.read_text(encoding="utf-8")
    assert '<html lang="sv">' in page and "@page { size: A4;" in page
    assert "Content-Security-Policy" in page and "http" not in page.split("<body>")[1]
    assert "alltså 8\xa0024,80 kr (§3.1.1, §4, §4.1.2)." in page
    assert 'Summa för månaden: <span class="amount">8\xa0334,80 kr</span>' in page
    assert "besök V3: rättad senare än fem dagar efter besöket (§4.3.2)" in page


def test_a_letter_for_each_customer_of_a_provider_and_month(tmp_path: Path) -> None:
    out = tmp_path / "P1.txt"
    code, text = _explain(RULES, "--data", DATA, "--month", "2024-02", "--to", "2024-03",
                          "--provider", "P1", "--letter", "--out", str(out))  # fmt: skip
    assert code == 0, text
    letters = out.read_text(encoding="utf-8").split("\f")
    heads = [[line for line in page.splitlines()
              if line.startswith(("Ersättning för", "Kund:", "Gäller:"))]
             for page in letters]  # fmt: skip
    assert all(len(h) == 2 for h in heads)
    assert {h[0] for h in heads} == {"Ersättning för februari 2024", "Ersättning för mars 2024"}
    assert all("Utförare: Omsorg Privat AB (P1)" in page for page in letters)
    assert ["Ersättning för mars 2024", "Kund: K2"] in heads
    own = ["Ersättning för mars 2024", f"Gäller: {OWN}"]
    assert heads.index(own) == len(heads) - 1  # after the month's customers


def test_a_providers_letters_end_with_its_own_payments_and_its_whole_month(tmp_path: Path) -> None:
    """P1 is private: §4.1.3 pays it 6 % of its invoiceable amounts, 40 510,80 kr in
    March (omsorg 21 168 + 8 024,80 + 2 268, avlösning 6 900, larm 310, vak 1 840), so
    2 430,648 → 2 430,65 kr — a payment of no customer's, which no letter showed: P1's
    letters summed to 42 454,80 kr of the 44 885,45 kr it was paid (with K4's effect
    premium, 1 944 kr, paid apart)."""
    code, text = _explain(RULES, "--data", DATA, "--month", "2024-03", "--provider", "P1",
                          "--letter")  # fmt: skip
    assert code == 0, text
    last = text.split("\f")[-1]
    assert f"Gäller: {OWN}" in last
    assert "- Momskompensation: 2\xa0430,65 kr (§4.1.3)." in last
    assert (
        "Utförarens hela ersättning för mars 2024: 44\xa0885,45 kr (kundernas brev "
        "42\xa0454,80 kr och detta brev 2\xa0430,65 kr)."
    ) in last
    assert "besök" not in last  # visits are the customers'
    page = tmp_path / "P1.html"  # the page that prints says the same
    _explain(RULES, "--data", DATA, "--month", "2024-03", "--provider", "P1", "--letter",
             "--out", str(page))  # fmt: skip
    last_page = page.read_text(encoding="utf-8").split("<section>")[-1]
    assert f"Gäller: {OWN}</p>" in last_page and "Momskompensation: 2\xa0430,65 kr" in last_page
    assert "<p>Utförarens hela ersättning för mars 2024: 44\xa0885,45 kr" in last_page
    code, text = _explain(RULES, "--data", DATA, "--month", "2024-03", "--customer", "K2",
                          "--letter")  # fmt: skip
    assert OWN not in text  # one customer's letter is that customer's alone


def test_a_payment_without_its_own_words_gets_a_plain_sentence() -> None:
    example = ROOT / "examples/hemtjanst"
    code, text = _explain(str(example / "model.yaml"), "--data", str(example / "data"),
                          "--month", "2024-02", "--customer", "K003", "--letter")  # fmt: skip
    assert code == 0, text
    assert "- Omsorg enligt nivå: " in text and "kr (§3.1, §4.1)." in text


@pytest.mark.parametrize(
    ("letter", "entity", "code", "message"),
    [
        ("Utförd tid {utförd_tyd}: {belopp}", "customer_month", "unknown-name",
         "the letter of `ny` shows `{utförd_tyd}`, which is no field or definition of "
         "customer_month"),
        # a payment per claim shows the claim's own fields (`{from_level}`), not others
        ("Premie för {from_levl}: {belopp}", "premium_claim", "unknown-name",
         "the letter of `ny` shows `{from_levl}`, which is no field or definition of "
         "premium_claim"),
        # the provider read the sentence and no amount
        ("Omsorg för {omsorgsdagar} dagar.", "customer_month", "bad-letter",
         "the letter of `ny` does not show its amount, `{belopp}`: each payment's sentence "
         "tells the provider what it pays"),
        # `{antal}` of a payment without `quantity:` read "—"
        ("Besök {antal}: {belopp}", "customer_month", "missing-quantity",
         "the letter of `ny` shows `{antal}`, but `ny` has no `quantity:` to show there"),
        # printed as written: "Nivå {11}: …", "Nivå {omsorgsnivå: …"
        ("Nivå {{omsorgsnivå}}: {belopp}", "customer_month", "bad-letter",
         "the letter of `ny` has a brace that opens or closes no placeholder"),
        ("Nivå {omsorgsnivå: {belopp}", "customer_month", "bad-letter",
         "the letter of `ny` has a brace that opens or closes no placeholder"),
        ("Nivå {}: {belopp}", "customer_month", "bad-letter",
         "the letter of `ny` has a brace that opens or closes no placeholder"),
    ],
    ids=["a misspelt name", "a name on an entity other than the customer-month",
         "no amount", "a quantity the payment lacks", "doubled braces", "an unclosed brace",
         "empty braces"],
)  # fmt: skip
def test_a_letter_placeholder_that_is_no_name_is_a_located_error(
    tmp_path: Path, letter: str, entity: str, code: str, message: str
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"model: s\ntitle: S\nextends: {ROOT / 'rules/orebro/omvardnad.yaml'}\npayments:\n"
        f"  ny:\n    entity: {entity}\n    category: c\n    formula: 0 SEK\n"
        f'    letter: "{letter}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(scenario)])
    assert result.exit_code == 1
    assert f"s.yaml:9:13: error[{code}]: {message}" in result.output
    assert result.output.count("error[") == 1, result.output


def test_a_quantity_of_0_is_shown_in_the_letter(tmp_path: Path) -> None:
    """A payment whose quantity is 0 h read "Jour —: 100,00 kr"; it is "Jour 0 h"."""
    example = ROOT / "examples/hemtjanst"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"model: s\ntitle: S\nextends: {example / 'model.yaml'}\npayments:\n"
        "  jour:\n    entity: customer_month\n    category: c\n    formula: 100 SEK\n"
        '    quantity: 0 h / 1 h\n    unit: h\n    letter: "Jour {antal}: {belopp}"\n',
        encoding="utf-8",
    )
    code, text = _explain(str(scenario), "--data", str(example / "data"),
                          "--month", "2024-02", "--customer", "K003", "--letter")  # fmt: skip
    assert code == 0, text
    assert "- Jour 0 h: 100,00 kr." in text


def test_swedish_numbers_in_letters() -> None:
    assert kronor(123456) == "1\xa0234,56 kr"
    assert kronor(-50) == "−0,50 kr"  # a true minus sign
    assert shown(0.244, t.RATIO) == "24,4 %"
    assert shown(205, t.DURATION) == "205 min"
    assert shown(None, t.MONEY) == "(saknas)"
    # a duration written in days (a parameter `5 days`, a column of days) in Swedish: it
    # read "5 days" in a Swedish letter
    assert [shown(d * 1440, t.DURATION, "days") for d in (1, 5)] == ["1 dag", "5 dagar"]
    assert shown(90, t.DURATION, "timmar") == "1,5 h"


def test_a_month_paid_nothing_says_so_and_all_shows_why() -> None:
    """K1 in February 2024 has a level 12 decision but no visit: 0 min of 2 940 min is
    under 20 % … and with nothing executed the control factor is 0 % (§4.1.2)."""
    args = (RULES, "--data", DATA, "--month", "2024-02", "--customer", "K1", "--letter")
    code, text = _explain(*args)
    assert code == 0 and "Ingen ersättning betalas för kunden denna månad." in text
    code, text = _explain(*args, "--all")
    assert code == 0
    assert (
        "- Omsorg enligt nivå 12, 29 dagar: utförd tid 0 min av beviljade 2\xa0940 min "
        "(utförandegrad 0 %) ger kontrollfaktor 0 %, så ersättningen är 0 % av "
        "nivåbeloppet 21\xa0168,00 kr, alltså 0,00 kr (§3.1.1, §4, §4.1.2)."
    ) in text


def test_a_run_names_each_provider_by_its_own_name_every_time() -> None:
    """Before: `RunResult.providers` took unique rows without keeping their order, so
    two reads of it could pair a provider's id with another provider's name (a letter
    to P1 named "Kommunens hemtjänst", which is P2)."""
    from engine.api import load, load_dataset, parse_month, run_model

    checked, _ = load(RULES)
    dataset, _ = load_dataset(checked, DATA)
    months = [parse_month("2024-02"), parse_month("2024-03")]
    result = run_model(checked, dataset, months)
    for _ in range(20):
        pairs = dict(zip(result.providers["provider_id"], result.providers["name"], strict=True))
        assert pairs == {"P1": "Omsorg Privat AB", "P2": "Kommunens hemtjänst"}


def test_a_rule_without_a_source_is_cited_by_nothing(tmp_path: Path) -> None:
    """Bergsjö's model with its `source:` lines taken out: each sentence ended
    `2 016,00 kr ().` and the visit not counted `… kortare än fem minuter ()`, in the
    letter that goes to the provider; the visit's length read `()` too, since the
    model calls its minutes `minuter` (the letter took a definition named `minutes`). K1, March 2025: (60 + 132 + 60) min weighted ×
    480 kr/h = 2 016,00 kr and one night patrol, 95,00 kr (tests/test_bergsjo.py)."""
    example = ROOT / "examples/bergsjo"
    text = (example / "model.yaml").read_text(encoding="utf-8")
    model = tmp_path / "model.yaml"
    model.write_text(
        "\n".join(line for line in text.splitlines() if not line.strip().startswith("source:")),
        encoding="utf-8",
    )
    page = tmp_path / "brev.html"
    said = ""
    for out in (["--out", str(page)], []):  # the page, then the text
        code, said = _explain(str(model), "--data", str(example / "data"), "--month", "2025-03",
                              "--customer", "K1", "--letter", *out)  # fmt: skip
        assert code == 0, said
    assert "- Hemtjänst, utförd tid: 2\xa0016,00 kr." in said.splitlines()
    assert "- nattpatrull: 95,00 kr." in said.splitlines()
    assert said.rstrip().endswith(
        "- 2025-03-06 09:00 (4 min), besök V4: besöket var kortare än fem minuter"
    )
    assert "()" not in said
    html = page.read_text(encoding="utf-8")
    assert "<li>Hemtjänst, utförd tid: 2\xa0016,00 kr.<span" in html and "()" not in html


def test_the_providers_own_letter_speaks_in_the_models_words(tmp_path: Path) -> None:
    """A provider-month payment's `letter:` may name the provider-month's fields and
    definitions (the letter is the provider's month); it was an unknown-name error."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: orebro-brev\nextends: {RULES}\npayments:\n  momskompensation:\n"
        '    letter: "Momskompensation till {name}, 6 % av det fakturerbara: {belopp}"\n',
        encoding="utf-8",
    )
    code, text = _explain(str(model), "--data", DATA, "--month", "2024-03", "--provider", "P1",
                          "--letter")  # fmt: skip
    assert code == 0, text
    assert (
        "- Momskompensation till Omsorg Privat AB, 6 % av det fakturerbara: 2\xa0430,65 kr "
        "(§4.1.3)."
    ) in text
