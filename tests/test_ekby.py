"""A twelfth municipality's model (examples/ekby), written from docs/language.md alone:
granted hours less the days in hospital, executed hours where under 75 % was executed,
an alarm per day, each escort paid on a line of its own, a start bonus for a customer
new to the provider and a quality bonus from a table of scores; rounded down. Writing it
found that a municipality whose export leaves `declined` empty (a visit not declined)
had every such visit rejected, with no way for the model to say what an empty cell
means (declaring the column again was "already has a column"); that a payment per row
needs `payable: true`, which no page told, while the error said only to sum the rows;
that a payable entity belonging to no provider stopped the run inside Polars; and that
a payment per visit paid the visits the exclusions set aside, without a word."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import failed_model_cases, names_in_engine, paid_per_category
from tests.test_workbook import _rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/ekby"


def _checked_variant(tmp_path: Path, text: str) -> Any:
    """`carepay check` of a variant of Ekby's model (its text changed by a test)."""
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["check", str(model)])


def test_its_hand_computed_cases_pass():
    failed = failed_model_cases(EXAMPLE, 15)
    assert not failed, failed


def _paid(output: str) -> dict[tuple[str, str], str]:
    return paid_per_category(output, ("P1", "P2", "P3"))


def test_its_sample_month_pays_what_was_computed_by_hand(tmp_path):
    """October 2026 (31 days). K1 (P1, tätort): 31 h less 3 days in hospital = 28 h;
    22 h executed ≥ 75 % × 28 h, so 28 h × 455 = 12 740,00; the alarm from the 11th,
    21 × 9,50 = 199,50 (V3 declined is not counted). K2 (P2, landsbygd): 20 h × 16/31
    = 10,32 h, 4 h executed < 7,74 h: 4 × 490 = 1 960,00, new with P2 on the 16th:
    1 500,00, an escort of 2,5 h × 380 = 950,00. K3 (P1): 40 h × 20/31, 20 h executed
    ≥ 19,35 h: 800/31 × 455 = 11 741,935… → 11 741,93 (down); an escort 1,75 h =
    665,00 (September's is not paid). P1 scored 85: 2 % × (12 740,00 + 11 741,93) =
    489,6386 → 489,63; P2 scored 70: none. In all 30 246,06 kr."""
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(EXAMPLE / "model.yaml")])
    assert checked.exit_code == 0 and "inga problem" in checked.output, checked.output
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    result = runner.invoke(main, [*args, "--month", "2026-10", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output  # the empty `declined` cells: no rejects
    assert "räknade 5 + ej räknade 1 + avvisade 0" in result.output
    assert _paid(result.output) == {
        ("P1", "bonus"): "489,63",
        ("P1", "hemtjänst"): "24\u00a0481,93",
        ("P1", "larm"): "199,50",
        ("P1", "ledsagning"): "665,00",
        ("P2", "hemtjänst"): "1\u00a0960,00",
        ("P2", "ledsagning"): "950,00",
        ("P2", "startbonus"): "1\u00a0500,00",
    }
    assert "30\u00a0246,06" in result.output
    lines = (tmp_path / "o/statement_lines.csv").read_text(encoding="utf-8")
    assert "2026-10,P2,K2,ledsagning,L1,ledsagning,2.5,h,950.00,§4" in lines
    # the customer's row of *Kunder* holds the escorts paid per row too: K2's sum was
    # 3 460,00 (hemtjänst and start bonus), while K2 brought P2 4 410,00
    rows = {r["Kund"]: r for r in _rows(tmp_path / "o/payments.xlsx", "Kunder")}
    assert (rows["K2"]["ledsagning"], rows["K2"]["Summa"]) == (950, 4410)
    assert (rows["K3"]["ledsagning"], rows["K3"]["Summa"]) == (665, 12406.93)
    assert (rows["K1"]["ledsagning"], rows["K1"]["Summa"]) == (0, 12939.5)


def test_nothing_in_the_engine_is_written_for_it():
    own = {"ekby", "ledsagningar", "kvalitet", "sjukhusdagar", "mätning", "startbonus"}
    assert not names_in_engine(EXAMPLE / "model.yaml", own)


MODEL = """\
model: kolumner
title: kolumner
vocabulary:
  columns:
    visits:
{declared}
definitions:
  visit:
    minuter: end - start
payments:
  omsorg:
    entity: customer_month
    category: omsorg
    formula: sum(visits.minuter where counted and {where}) * 6 SEK/min
exclusions:
  avböjt: {{ when: "coalesce(declined, false)", reason: avböjt }}
"""

VISITS = (
    "visit_id,customer_id,provider_id,service,start,end,declined{extra}\n"
    "V1,K1,P1,omsorg,2026-10-01 08:00,2026-10-01 09:00,false{v1}\n"
    "V2,K1,P1,omsorg,2026-10-02 08:00,2026-10-02 09:00,{v2}\n"
    "V3,K1,P1,omsorg,2026-10-03 08:00,2026-10-03 09:00,true{v1}\n"
)


def _month(
    tmp_path: Path, declared: str, where: str = "true", v2: str = "", extra: str = ""
) -> tuple[int, str]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "customers.csv").write_text("customer_id,district\nK1,Centrum\n", encoding="utf-8")
    (data / "providers.csv").write_text(
        "provider_id,name,ownership\nP1,Ek AB,private\n", encoding="utf-8"
    )
    (data / "decisions.csv").write_text(
        "decision_id,customer_id,provider_id,service,start_date\nD1,K1,P1,omsorg,2026-01-01\n",
        encoding="utf-8",
    )
    visits = VISITS.format(extra=",registration" if extra else "", v1=extra, v2=v2)
    (data / "visits.csv").write_text(visits, encoding="utf-8")
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.format(declared=declared, where=where), encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2026-10", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--force"])
    return result.exit_code, result.output


def test_an_export_that_leaves_declined_empty_may_say_so(tmp_path: Path):
    """V2's `declined` is empty: a visit not declined, as the export writes it. carepay's
    `declined` may not be empty, so V2 was rejected, its hour unpaid (exit 3), and the
    model could not say otherwise: declaring the column `nullable: true` was an error
    ("`visits` already has a column `declined`"). Now V1 and V2 are paid, 2 × 60 min ×
    6 kr = 720 kr, V3 declined is not."""
    code, output = _month(tmp_path, "      declined: { type: bool, nullable: true }")
    assert code == 0, output
    assert "räknade 2 + ej räknade 1 + avvisade 0" in output
    assert re.search(r"P1\s+omsorg\s+720,00", output), output
    # without the declaration the empty cell is still a rejected row, as carepay's own
    code, output = _month(tmp_path, "      clock_adjusted: { nullable: true }")
    assert code == 3, output
    assert "räknade 1 + ej räknade 1 + avvisade 1" in output
    assert "`declined` is empty" in output


def test_a_column_older_files_lack_may_have_a_default(tmp_path: Path):
    """A model that reads `registration` of an export without such a column: every run
    stopped on a missing column, and `default:` could not be declared for a column of
    carepay's. Declared `{default: tag}`, each visit is a tag visit: the manual ones (none)
    are left out, 2 × 60 min × 6 kr = 720 kr."""
    code, output = _month(
        tmp_path,
        "      registration: { default: tag }",
        where='registration != "manual"',
        v2="false",
    )
    assert code == 0, output
    assert re.search(r"P1\s+omsorg\s+720,00", output), output
    # a file that has the column is read as it is: V1 and V3 manual, V2 tag
    code, output = _month(
        tmp_path, "      registration: { default: tag }", where='registration != "manual"',
        v2="false,tag", extra=",manual",
    )  # fmt: skip
    assert code == 0, output
    assert re.search(r"P1\s+omsorg\s+360,00", output), output


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("      customer_id: { nullable: true }",
         "`visits.customer_id` is a column carepay needs in every file of `visits` (an id, a "
         "party, or a date placing a row in a month): it cannot be declared again"),
        ("      declined: { type: text, nullable: true }",
         "`visits.declined` is already a bool column: its kind cannot change"),
        ("      declined: { nullable: true, values: [ja, nej] }",
         "not its `values`"),
        ("      registration: { default: tagg }",
         "the default `tagg` is not a value of `visits.registration`: tag, lock, manual"),
        ("      declined: { default: nej }",
         "the default `nej` is not a value of `visits.declined` (a bool column)"),
    ],
)  # fmt: skip
def test_what_a_model_cannot_change_of_carepays_column_is_an_error_at_its_line(
    tmp_path: Path, declared: str, message: str
):
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.format(declared=declared, where="true"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert re.search(r"model\.yaml:6:\d+: error\[schema\]", result.output), result.output


PER_ROW = """\
model: per-rad
title: per rad
vocabulary:
  entities:
{entities}
payments:
  avgift: {{ entity: {entity}, category: avgift, formula: {formula} }}
exclusions:
  avböjt: {{ when: "coalesce(declined, false)", reason: avböjt }}
"""


def _per_row(tmp_path: Path, entities: str, entity: str, formula: str = "10 SEK") -> Path:
    model = tmp_path / "per_rad.yaml"
    text = PER_ROW.format(entities=entities, entity=entity, formula=formula)
    model.write_text(text, encoding="utf-8")
    return model


def test_a_payment_per_row_tells_how_to_declare_it(tmp_path: Path):
    """The error said "sum the … values in a customer_month payment" and no page said
    that an entity may be declared `payable: true`."""
    model = _per_row(tmp_path, "    customer_month: {}", "visit")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert (
        "`visit` is not an entity a payment is made per (those are: customer_month, "
        "premium_claim, provider_month)"
    ) in result.output
    assert "declare it payable: vocabulary: {entities: {visit: {payable: true}}}" in (result.output)


def test_a_payable_entity_of_no_provider_is_an_error_not_a_traceback(tmp_path: Path):
    """`outage` declared payable checked clean and the run stopped inside Polars
    ("unable to find column provider_id")."""
    model = _per_row(tmp_path, "    outage: { payable: true }", "outage")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert re.search(
        r"per_rad\.yaml:5:\d+: error\[schema\]: entity `outage` is payable, but its rows "
        r"belong to no provider",
        result.output,
    ), result.output


def test_a_payment_per_visit_that_pays_the_visits_set_aside_is_warned_of(tmp_path: Path):
    """A fee per visit paid V3, which its customer declined and the exclusions output
    lists as not counted: 3 × 10 kr, without a word. `check` warns now, and a fee that
    reads `counted` pays 2 × 10 kr."""
    fee = _per_row(tmp_path, "    visit: { payable: true }", "visit")
    result = CliRunner().invoke(main, ["check", str(fee)])
    assert result.exit_code == 0, result.output
    assert "warning[excluded-rows-paid]: `avgift` pays every visit, also those the " in (
        result.output
    )
    assert "exclusions set aside (`avböjt`)" in result.output
    _month(tmp_path, "      declined: { nullable: true }", v2="false")  # writes the data
    args = ["--data", str(tmp_path / "data"), "--month", "2026-10", "--force"]
    paid = CliRunner().invoke(main, ["run", str(fee), *args, "--out", str(tmp_path / "a")])
    assert re.search(r"P1\s+avgift\s+30,00", paid.output), paid.output  # as the model says
    counted = _per_row(
        tmp_path, "    visit: { payable: true }", "visit", '"if counted then 10 SEK else 0 SEK"'
    )
    checked = CliRunner().invoke(main, ["check", str(counted)])
    assert "excluded-rows-paid" not in checked.output, checked.output
    paid = CliRunner().invoke(main, ["run", str(counted), *args, "--out", str(tmp_path / "b")])
    assert re.search(r"P1\s+avgift\s+20,00", paid.output), paid.output


def test_a_letter_to_a_provider_with_no_customer_says_why_there_is_none():
    """P3 has a quality score and no customer: its bonus is 2 % of nothing. The letter
    said "provider `P3` has no decisions or visits", as if it were not in the data;
    with --all it is the provider's own letter of 0 kr."""
    args = ["explain", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    args += ["--month", "2026-10", "--provider", "P3", "--letter"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith(
        "error: provider `P3` has no customer from 2026-10 to 2026-10, and no payment of its "
        "own came to more than 0 kr (--all writes a letter of those of 0 kr)"
    ), result.output
    everything = CliRunner().invoke(main, [*args, "--all"])
    assert everything.exit_code == 0, everything.output
    assert "Utförare: Nystart Vård AB (P3)" in everything.output
    assert "- kvalitetsbonus: 0,00 kr (§6)." in everything.output


@pytest.mark.parametrize(
    ("example", "month", "table", "column", "paid"),
    [
        # L1's 950 kr went unpaid, exit 0: its row was in no month
        ("ekby", "2026-10", "ledsagningar", "datum", "950,00"),
        # Bergsjö reads no end date in a formula: its decisions were all open, exit 0
        ("bergsjo", "2025-03", "decisions", "end_date", None),
    ],
)
def test_a_file_without_the_column_that_places_its_rows_in_a_month_is_an_error(
    tmp_path: Path, example: str, month: str, table: str, column: str, paid: str | None
):
    """A file read without the date its entity's month rule reads was read as if every
    cell were empty: an escort without `datum` belonged to no month and was not paid; a
    decisions or absences file without `end_date` made every period open, in silence.
    The column is required of the file now (a cell may still be empty where allowed)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / example / "data", data)
    path = data / f"{table}.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    frame.drop(column).write_csv(path)
    model = ROOT / "examples" / example / "model.yaml"
    args = ["run", str(model), "--data", str(data), "--month", month]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert f"{table}.csv: error[missing-column]: `{table}` has no column `{column}`" in (
        result.output
    )
    if paid:
        assert paid not in result.output


def test_diff_tells_an_entity_made_payable_and_a_column_of_carepays_declared(tmp_path: Path):
    """`carepay diff` said nothing of an entity whose rows became paid one by one."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    old = text.replace("      payable: true\n", "", 1).replace(
        "      declined: { type: bool, nullable: true, description: Tom cell betyder inte avböjt }\n",
        "      x: { type: integer }\n",
    )
    old = old.replace(
        "  ledsagning:\n    entity: ledsagning\n    category: ledsagning\n    formula: timmar * "
        'ledsagningspris\n    letter: "Ledsagning {datum}, {antal}: {belopp}"\n'
        '    quantity: timmar / 1 h\n    unit: h\n    source: "§4"\n',
        "",
    )
    before = tmp_path / "model.yaml"
    before.write_text(old, encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(before), str(EXAMPLE / "model.yaml")])
    assert result.exit_code == 0, result.output
    assert "- Entiteten `ledsagning` ändras\n    payable: false → true" in result.output
    assert "- Kolumnen `visits.declined` ändras\n    bool, nullable: false → bool" in result.output
    assert "- Regeln `ledsagning` tillkommer" in result.output


def test_explain_of_a_customer_paid_only_for_an_escort_says_where_the_payment_is(
    tmp_path: Path,
):
    """K4 has no decision or visit, one escort of 2 h with P1: 760,00 kr. explain said
    "No payment: every payment rule came to 0 kr" above the escort's payment."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    with (data / "customers.csv").open("a", encoding="utf-8") as f:
        f.write("K4,Centrum\n")
    with (data / "ledsagningar.csv").open("a", encoding="utf-8") as f:
        f.write("L9,K4,P1,2026-10-05,2\n")
    args = ["explain", "--lang", "en", str(EXAMPLE / "model.yaml"), "--data", str(data)]
    args += ["--month", "2026-10"]
    result = CliRunner().invoke(main, [*args, "--customer", "K4"])
    assert result.exit_code == 0, result.output
    assert (
        "No payment of the customer's month: every such rule came to 0 kr (--all shows them); "
        "the payments of its rows follow."
    ) in result.output
    assert "ledsagning = 760.00 SEK   [ledsagning]" in result.output


@pytest.mark.parametrize("entity", ["visit", "ledsagning"])
def test_an_indicator_of_an_entity_no_output_holds_is_an_error(tmp_path: Path, entity: str):
    """An indicator per visit or per escort checked clean and was in no output: the
    indicators are written per customer-month and provider-month."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "exclusions:",
        f"indicators:\n  figur:\n    entity: {entity}\n    formula: 1\nexclusions:",
        1,
    )
    result = _checked_variant(tmp_path, text)
    assert result.exit_code == 1, result.output
    assert (
        "error[type-mismatch]: an indicator is a figure per customer-month or provider-month, "
        f"not per {entity}"
    ) in result.output


def test_a_misspelt_category_outside_the_invoice_is_an_error(tmp_path: Path):
    """`outside_invoice: [bonuss]` moved nothing off the invoice, and checked clean."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "rounding: { to: 0.01, mode: down }\n",
        "rounding: { to: 0.01, mode: down }\noutside_invoice: [bonuss]\n",
    )
    result = _checked_variant(tmp_path, text)
    assert result.exit_code == 1, result.output
    assert (
        "error[unknown-name]: no payment has the category `bonuss`, so `outside_invoice:` "
        "moves nothing off the invoice"
    ) in result.output
    assert "did you mean `bonus`?" in result.output
    right = _checked_variant(tmp_path, text.replace("[bonuss]", "[bonus]"))
    assert right.exit_code == 0, right.output


def test_the_studio_explains_a_customer_paid_only_per_row(tmp_path: Path):
    """The studio's tree for K4 (one escort, no decision or visit) was the model's
    heading alone above the escort's tree."""
    import shutil
    from datetime import date

    from engine.workspace import explanation, open_workspace

    folder = tmp_path / "ekby"
    shutil.copytree(EXAMPLE, folder)
    with (folder / "data/customers.csv").open("a", encoding="utf-8") as f:
        f.write("K4,Centrum\n")
    with (folder / "data/ledsagningar.csv").open("a", encoding="utf-8") as f:
        f.write("L9,K4,P1,2026-10-05,2\n")
    ws = open_workspace(folder, folder / "data", [date(2026, 10, 1)])
    shown = explanation(ws, "K4", date(2026, 10, 1))
    assert shown["tree"].count("modell ekby-hemtjanst (2026)") == 1, shown["tree"]
    assert "ledsagning = 760,00 kr" in shown["tree"]  # in Swedish, as the studio's page
    assert "- Ledsagning 2026-10-05, 2 h: 760,00 kr (§4). Gäller L9." in shown["letter"]


def test_a_letter_of_a_month_without_visits_says_there_were_none(tmp_path: Path):
    """K3's September: a decision in force and one escort, no visit. The letter said
    "Alla registrerade besök räknades." (all registered visits were counted) of a month
    with none."""
    args = ["explain", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    args += ["--month", "2026-09", "--to", "2026-10", "--customer", "K3", "--letter"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    september, october = result.output.split("\f")
    assert "Inga besök registrerades denna månad." in september
    assert "Alla registrerade besök räknades." not in september
    assert "Alla registrerade besök räknades." in october
    html = tmp_path / "brev.html"
    CliRunner().invoke(main, [*args, "--out", str(html)])
    assert "<p>Inga besök registrerades denna månad.</p>" in html.read_text(encoding="utf-8")


def test_a_letter_sentence_of_a_payment_per_row_shows_the_rows_fields(tmp_path: Path):
    """`letter: "Ledsagning {datum}, {antal}: {belopp}"` was an error, `datum` said to be
    no field of the escort; the sentence now shows the escort's own date and hours. A
    payment per journal (journals have no key to find a row by) still may not."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    assert 'letter: "Ledsagning {datum}, {antal}: {belopp}"' in text
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    args = ["explain", str(model), "--data", str(EXAMPLE / "data"), "--month", "2026-10"]
    result = CliRunner().invoke(main, [*args, "--customer", "K2", "--letter"])
    assert result.exit_code == 0, result.output
    assert "- Ledsagning 2026-10-22, 2,5 h: 950,00 kr (§4). Gäller L1." in result.output
    journal = text.replace(
        "    customer_month:\n      month: { by: pairs",
        "    journal: { payable: true }\n    customer_month:\n      month: { by: pairs",
    ).replace(
        "exclusions:",
        "  hsl:\n    entity: journal\n    category: hsl\n    formula: 10 SEK\n"
        '    letter: "HSL {profession}: {belopp}"\nexclusions:',
        1,
    )
    checked = _checked_variant(tmp_path, journal)
    assert checked.exit_code == 1, checked.output
    assert (
        "the letter of `hsl`, a payment per journal row, shows `{profession}`: its rows have "
        "no key to find them by"
    ) in checked.output


def test_a_provider_paid_only_per_row_of_its_own_gets_its_letter_and_name(tmp_path: Path):
    """A fee per quality score (10 kr a point) paid per row to P3, who has no customer and,
    without `provider_month` made of the scores, no provider-month: P3 was paid
    900,00 kr, its letter said it had no payment above 0 kr, and the workbook's
    *Fakturaunderlag* had no name for it."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      parties: [provider]\n", "      parties: [provider]\n      payable: true\n"
    )
    text = text.replace("      month: { by: pairs, of: [customer_month, mätning] }\n", "")
    text = text.replace(
        "exclusions:",
        "  mätavgift:\n    entity: mätning\n    category: mätning\n    formula: poäng * 10 SEK\n"
        '    source: "§7"\nexclusions:',
        1,
    )
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    args = [str(model), "--data", str(EXAMPLE / "data"), "--month", "2026-10"]
    letter = CliRunner().invoke(main, ["explain", *args, "--provider", "P3", "--letter"])
    assert letter.exit_code == 0, letter.output
    assert "Utförare: Nystart Vård AB (P3)" in letter.output
    assert "- mätavgift: 900,00 kr (§7). Gäller 2026-10-01." in letter.output
    assert "Utförarens hela ersättning för oktober 2026: 900,00 kr" in letter.output
    ran = CliRunner().invoke(main, ["run", *args, "--out", str(tmp_path / "o")])
    # its score is in no provider-month, so the quality bonus read from it is not
    # computed for P3: named, exit 5 (it exited 0 with only `check`'s warning)
    assert ran.exit_code == 5, ran.output
    assert "1 mätning row of 2026-10 is in no provider_month (mätning P3, 2026-10-01)" in (
        ran.output
    )
    rows = _rows(tmp_path / "o/payments.xlsx", "Fakturaunderlag")
    assert ("P3", "Nystart Vård AB") in [(r["Utförare"], r["Namn"]) for r in rows]
