"""Hagby, a model written from docs/language.md alone: home care paid by the time
granted, day by day of each decision (`by: days`), less the days in hospital after the
third (its absences by their reason); executed time under 70 % of it paid less by the
shortfall (each visit rounded up to 5 minutes); evening and weekend supplements; safety
alarms per day; a provider's training hours from a table of its own that may be left
out, paid also to a provider with no customer that month. Its code lists replace
carepay's (services, absence reasons, forms of ownership) and its export names its
columns its own way (`data/columns.yaml`). Each amount computed by hand. What it
found: a scenario moving every customer a level down, on a model that pays by no
level, stopped on the data ("`decisions` has no column `level`", with a hint to rename
it in columns.yaml); with the column there, it would have moved the levels and changed
nothing."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.api import load
from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

HAGBY = Path(__file__).resolve().parent / "fixtures/hagby"
DATA = ["--data", str(HAGBY / "data")]
MARCH = [
    ("P1", "", "utbildning", "2000.00"),
    ("P1", "K1", "avdrag", "-7087.83"),
    ("P1", "K1", "helg", "60.00"),
    ("P1", "K1", "kväll", "53.33"),
    ("P1", "K1", "omsorg", "11610.00"),
    ("P1", "K2", "helg", "1620.00"),
    ("P1", "K2", "kväll", "320.00"),
    ("P1", "K2", "larm", "240.00"),
    ("P1", "K2", "omsorg", "17860.00"),
    ("P2", "K3", "avdrag", "-7360.17"),
    ("P2", "K3", "kväll", "4.00"),
    ("P2", "K3", "omsorg", "11180.00"),
    ("P3", "", "utbildning", "800.00"),
]


def test_march_by_hand_from_the_exports_own_column_names(tmp_path: Path) -> None:
    """K1 (tätort, 430 kr/h), 60 min a day: in hospital 10–16 March, days 1–3 paid and
    13–16 not: 27 days, 27 h, 11 610 kr. Executed V1 42 → 45, V2 40, V3 58 → 60 (V4 of 2
    minutes and the declined V5 not counted): 145 min against 70 % × 1 620 = 1 134, so
    989 min × 430 / 60 = 7 087,83 less; evening 40 min × 80 / 60 = 53,33; Saturday's V3
    60 min × 60 / 60 = 60. K2 (landsbygd, 470 kr/h), 120 min a day from 11 March: its
    hospital stay from 5 March makes 11 and 12 March days 7 and 8, not paid: 19 days,
    38 h, 17 860; two Saturdays of 780 and 840 min, 1 620 ≥ 70 % × 2 280 = 1 596: no
    deduction; evening 2 × 120 min = 320, weekend 27 h = 1 620; its alarm 1–20 March,
    20 × 12 = 240. K3 (tätort): 15 days × 40 + 16 × 60 (a new decision from the 16th) =
    1 560 min, 26 h, 11 180; V8 63 → 65 min, 1 092 − 65 = 1 027 min, 7 360,17 less; 3
    evening minutes, 4,00. Training: P1 6 + 6 h, at most 10: 2 000; P3, no customer this
    month, 4 h: 800; P2's of 28 February not in March. In all 31 299,33 kr."""
    paid, _ = run_and_read(HAGBY, [*DATA, "--month", "2027-03"], tmp_path / "o")
    assert paid == MARCH
    assert sum(int(amount.replace(".", "")) for *_, amount in paid) == 3129933


def test_hagbys_hand_computed_cases() -> None:
    assert_cases_pass(HAGBY, 9)


def test_the_same_tables_as_one_workbook_pay_the_same(tmp_path: Path) -> None:
    """The export as one workbook of typed cells (dates, dates and times, whole
    numbers), its columns named by the columns.yaml beside it: the same lines."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in sorted((HAGBY / "data").glob("*.csv")):
        sheet = book.create_sheet(table.stem)
        with table.open(encoding="utf-8") as rows:
            for i, row in enumerate(csv.reader(rows, delimiter=";")):
                sheet.append([_typed(v) if i else v for v in row])
    book.save(tmp_path / "export.xlsx")
    shutil.copy(HAGBY / "data/columns.yaml", tmp_path / "columns.yaml")
    args = ["--data", str(tmp_path / "export.xlsx"), "--month", "2027-03"]
    paid, _ = run_and_read(HAGBY, args, tmp_path / "o")
    assert paid == MARCH


def _typed(value: str) -> object:
    if len(value) == 16 and value[10] == " ":
        return dt.datetime.fromisoformat(value)
    if len(value) == 10 and value[4] == "-":
        return dt.date.fromisoformat(value)
    return int(value) if value.isdigit() else (value or None)


def test_without_the_training_file_the_run_pays_none_and_says_so(tmp_path: Path) -> None:
    """`utbildningar` is `optional: true`: without its file the month pays no training
    (2 800 kr less) and ends with status 5, to be reviewed before paying."""
    data = tmp_path / "data"
    shutil.copytree(HAGBY / "data", data)
    (data / "utbildningar.csv").unlink()
    args = ["run", str(HAGBY), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 5, ran.output
    assert _total_said(ran.output) == "28 499,33"


def test_a_hospital_stay_with_a_reason_not_in_its_list_is_rejected(tmp_path: Path) -> None:
    """Hagby's reasons replace carepay's: `Sjukhus` is no reason of its list, and the
    row is rejected with the one meant, never read as a day at home. K2's two hospital
    days are then paid (2 × 120 min × 470 / 60 = 1 880 kr more), and its 2 520 granted
    minutes ask 1 764 executed: 144 short, 1 128 kr less; 752 kr more in all, exit 3 to
    review."""
    data = tmp_path / "data"
    shutil.copytree(HAGBY / "data", data)
    absences = data / "absences.csv"
    absences.write_text(absences.read_text("utf-8").replace("12;sjukhus", "12;Sjukhus"), "utf-8")
    args = ["run", str(HAGBY), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 3, ran.output
    assert "`Sjukhus` is not a known reason (code list `absence_reason`)" in ran.output
    assert "did you mean `sjukhus`?" in ran.output
    assert _total_said(ran.output) == "32 051,33"


def _total_said(output: str) -> str:
    """The run's total as its summary says it (`summa   31 299,33`)."""
    (line,) = [
        line for line in output.replace("\u00a0", " ").splitlines() if line.startswith("summa ")
    ]
    return line.removeprefix("summa").strip()


def _extending(tmp_path: Path, body: str) -> Path:
    """A model extending Hagby's by `body` (its own lines after `extends:`)."""
    model = tmp_path / "scenario.yaml"
    model.write_text(f"model: hagby-antagande\nextends: {HAGBY / 'model.yaml'}\n{body}", "utf-8")
    return model


def _scenario(tmp_path: Path, assumption: str) -> Path:
    return _extending(tmp_path, f"assumptions:\n{assumption}")


def _refused(model: Path) -> str:
    """What `carepay check` says of a model it refuses."""
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    return ran.output


def test_private_providers_registering_shorter_visits_by_hand(tmp_path: Path) -> None:
    """Private providers (Hagby's own `privat`) register visits 20 % shorter: P1's K1
    executes 35 + 35 + 50 = 120 min (25 less: 179,17 more deducted), 8 evening and 10
    weekend minutes fewer (10,67 and 10,00): −199,83; K2's Saturdays end at 18:24 and
    18:12, 625 + 675 = 1 300 min (rounded up to 5), 296 short of 1 596 (2 318,67 less),
    no evening minutes (−320), 320 weekend minutes fewer (−320): −2 958,67. In all
    −3 158,50; P2 (kommunal) unchanged."""
    scenario = _scenario(
        tmp_path,
        "  kortare:\n    description: Privata utförare registrerar 20 % kortare besök\n"
        "    scale_visit_time: 0.8\n    where: { ownership: privat }\n",
    )
    ran = CliRunner().invoke(
        main, ["compare", str(HAGBY), str(scenario), *DATA, "--month", "2027-03"]
    )
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "7 av 8 besök tar 0,8 × sin tid" in said
    assert "P1                26 675,50        23 517,00        −3 158,50    −11,8" in said
    assert "P2                 3 823,83         3 823,83             0,00      0,0" in said


def test_an_assumption_on_a_column_no_rule_reads_is_an_error_at_its_line(tmp_path: Path) -> None:
    """Moving every customer a level down, in a model that pays by the time granted:
    it stopped on the data ("`decisions` has no column `level`", hinting at columns.yaml)
    and, with the column there, moved the levels and changed nothing. An error at the
    assumption, whatever the data."""
    said = _refused(
        _scenario(tmp_path, "  nivå_ned:\n    description: en nivå lägre\n    move_level: -1\n")
    )
    assert "scenario.yaml:4:3: error[changes-nothing]: assumption `nivå_ned`: `move_level`" in said
    assert "changes decisions.level, which no rule of the model reads" in said


def test_hagbys_vocabulary_is_its_own() -> None:
    own = {"hagby", "sjukhus", "korttid", "sjukhustrappa", "utbildningar", "utbildningstak"}
    assert not names_in_engine(HAGBY / "model.yaml", own)


def test_a_letter_shows_the_months_value_of_a_parameter(tmp_path: Path) -> None:
    """A sentence could show a field or a definition, not a parameter: Hagby's "högst
    {utbildningstak} i månaden à {utbildningspris}" was `unknown-name`, and the 70 % of
    its deduction had to be typed into the sentence, to go stale when the rule changes.
    A parameter of one value shows its value that month as it is written; a table's
    value is named by a definition (the error says so)."""
    args = ["explain", str(HAGBY), *DATA, "--month", "2027-03", "--provider", "P1", "--letter"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "det som saknas till 70 %, 16,48 h, dras av: −7 087,83 kr (§3)." in said
    assert "- Utbildning 10 h (högst 10 h i månaden) à 200,00 kr/h: 2 000,00 kr (§6)." in said
    said = _refused(
        _extending(
            tmp_path,
            "payments:\n  omsorg:\n    label: Omsorg\n    entity: customer_month\n"
            "    category: omsorg\n    formula: beviljad_tid * timpris[zone]\n"
            '    letter: "Omsorg à {timpris}: {belopp}"\n',
        )
    )
    assert "the letter of `omsorg` shows `{timpris}`, a table parameter" in said
    assert "hint: define the value the sentence means on customer_month (e.g. `pris: " in said


DAILY_CAP = """\
parameters:
  dagtak:
    unit: h
    values: { 2027-01-01: 4 }
vocabulary:
  entities:
    beslutsdag:
      relations:
        besök: { entity: visit, keys: [customer_id, provider_id] }
definitions:
  beslutsdag:
    dagens_tid: sum(besök.tid where counted and service == "omsorg" and date(start) == beslutsdag.day)
    räknad_tid: if service == "omsorg" then min(dagens_tid, dagtak) else 0 min
  customer_month:
    utförd_tid: sum(beslutsdagar.räknad_tid)
"""


def test_a_cap_per_day_of_executed_time_by_hand(tmp_path: Path) -> None:
    """At most 4 h of a day's visits count as executed: a day of a decision related to
    its customer's visits, compared in the sum's filter (`date(start) ==
    beslutsdag.day`). K2's two Saturdays of 780 and 840 min count 240 each: 480 min
    against 70 % × 2 280 = 1 596, so 1 116 min × 470 / 60 = 8 742,00 kr less. K1's and
    K3's days are under 4 h: unchanged. March: 31 299,33 − 8 742,00 = 22 557,33 kr, and
    the interpreter (explain) says K2's executed time is the run's."""
    capped = _extending(tmp_path, DAILY_CAP)
    args = [str(capped), *DATA, "--month", "2027-03"]
    ran = CliRunner().invoke(main, ["run", *args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    assert _total_said(ran.output) == "22 557,33"
    with (tmp_path / "o/statement_lines.csv").open(encoding="utf-8") as file:
        lines = list(csv.DictReader(file))
    k2 = [r["amount_kr"] for r in lines if (r["customer_id"], r["payment"]) == ("K2", "avdrag")]
    assert k2 == ["-8742.00"]
    told = CliRunner().invoke(main, ["explain", "--lang", "en", *args, "--customer", "K2"]).output
    assert "│  └─ utförd_tid = 480 min (8.00 h)" in told


def test_a_relation_on_a_definition_says_keys_are_columns(tmp_path: Path) -> None:
    """A day of a decision related to the day's visits by `day: date(start)`, a visit's
    definition: "joins on `day`, which `visit` rows do not have", with no hint, where
    the visit has a `day` (computed). A key is a column of the data on both sides."""
    said = _refused(
        _extending(
            tmp_path,
            "vocabulary:\n  entities:\n    beslutsdag:\n      relations:\n"
            "        dagens_besök: { entity: visit, keys: [customer_id, provider_id, day] }\n"
            "definitions:\n  visit:\n    day: date(start)\n",
        )
    )
    assert "joins on `day`, which `visit` rows do not have" in said
    assert "hint: a relation joins on columns of the data both sides have, not on a " in said
    assert "compare the rest in the aggregation's filter, e.g. `count(dagens_besök where " in said


def test_the_outer_rows_field_named_alone_in_a_filter_is_hinted_at(tmp_path: Path) -> None:
    """`date(start) == day` in the filter of a day's visits meant the day's own `day`:
    "unknown name `day`" hinted at declaring a column `day` of the visits."""
    said = _refused(_extending(tmp_path, DAILY_CAP.replace("== beslutsdag.day)", "== day)")))
    assert "error[unknown-name]: unknown name `day`" in said
    assert (
        "hint: in an aggregation's `where`, a name is the visit row's; the beslutsdag row's "
        "own is `beslutsdag.day`" in said
    )


def test_a_table_given_for_a_date_by_an_extending_file_is_named_where_it_lacks_a_key(
    tmp_path: Path,
) -> None:
    """A variant giving `timpris` for 2027-01-01 as `{tätort: 450}` replaces the date's
    whole table: landsbygd is no longer in it. The check warned at Hagby's formula,
    hinting to add the key — to Hagby's file, which was right. It names the line of
    the extending file that gave the table."""
    variant = _extending(
        tmp_path, "parameters:\n  timpris:\n    values: { 2027-01-01: { tätort: 450 } }\n"
    )
    ran = CliRunner().invoke(main, ["check", str(variant)])
    said = ran.output
    assert "warning[lookup-domain]: `timpris` (from 2027-01-01) has no `zone` for 1 value" in said
    assert (
        f"hint: the table from 2027-01-01 is the one {variant}:5:27 gives, in place of the "
        "whole of the extended model's for that date: give landsbygd there too" in said
    )


HAGBY_EVENING = 'sum(visits.kvällstid where counted and service == "omsorg")'


def test_a_definition_given_as_its_formula_alone_keeps_its_label_and_source(
    tmp_path: Path,
) -> None:
    """The daily cap's `utförd_tid: sum(beslutsdagar.räknad_tid)` replaced Hagby's
    definition whole: its label (the payment file's word for it) and its source §3 were
    gone — `carepay diff` said "källa: §3 → ingen". It changes the formula, as a
    payment's `formula:` does, and keeps the rest; and a label given to a definition
    Hagby writes as its formula alone keeps that formula."""
    variant = _extending(tmp_path, DAILY_CAP)
    checked, _ = load(variant)
    rule = checked.model.rules["utförd_tid"]
    assert (rule.label, rule.source) == ("Utförd tid", "§3")
    said = CliRunner().invoke(main, ["diff", str(HAGBY), str(variant)]).output
    changed = said[said.index("- Regeln `utförd_tid` ändras") :].splitlines()[1:3]
    assert changed[0].startswith("    formel: sum(visits.tid where counted")
    assert not changed[1].startswith("    ")  # no other line: label and source unchanged
    labelled = _extending(
        tmp_path, "definitions:\n  customer_month:\n    kvällsminuter:\n      label: Kvällstid\n"
    )  # Hagby writes it as its formula alone: "needs `formula`"
    checked, _ = load(labelled)
    rule = checked.model.rules["kvällsminuter"]
    assert rule.label == "Kvällstid"
    assert [v.formula for v in rule.versions] == [HAGBY_EVENING]
    no_weekends = _extending(tmp_path, "definitions:\n  visit:\n    helgbesök: false\n")
    checked, _ = load(no_weekends)  # a formula YAML reads as a yes or no keeps them too
    assert checked.model.rules["helgbesök"].source == "§4"


def test_the_docs_daily_cap_is_the_one_computed_by_hand() -> None:
    """docs/language.md shows the cap per day as `test_a_cap_per_day_of_executed_time_by_hand`
    runs it, word for word."""
    docs = (HAGBY.parent.parent.parent / "docs/language.md").read_text(encoding="utf-8")
    assert f"```yaml\n{DAILY_CAP}```" in docs
