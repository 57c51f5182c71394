"""Vretby, a model written from docs/language.md alone: a municipality that pays by
its region's common model (`tests/fixtures/vretby/lan`, which it `extends:`) with its
own changes. The region pays home care by executed time until March 2027 and by
granted time from April (`versions:` with a quantity each), at an hourly price indexed
each April and rounded to whole kronor (`indexation:`); a supplement for night and
storhelg minutes from April 2027 (`valid_from:`, time bands with a calendar); relief by
bands of granted hours (`up_to:`). Vretby adds a service (`codes: add:`), a column with
a default, a visit by two staff counted twice (a definition replaced), its own hourly
price from July (a dated value merged past the indexation) and a fee per safety visit.
Each amount computed by hand. What it found: a file extending the region's model with
`unit: SEK/min` read the region's `400` (written in SEK/h) as 400 SEK/min and paid 69
800 kr for a March worth 4 900, without a word; and a run with several reasons to review
named only the first ("slutstatus 4: inget besök räknat"), the calendar without the
year's dates found only by the run after the fix."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

VRETBY = Path(__file__).resolve().parent / "fixtures/vretby"
DATA = ["--data", str(VRETBY / "data")]
COLUMNS = ("month", "provider_id", "customer_id", "payment", "quantity", "amount_kr")


def _total(lines: list[tuple[str, ...]]) -> int:
    return sum(int(line[-1].replace(".", "")) for line in lines)


def test_march_by_hand(tmp_path: Path) -> None:
    """Executed time at 400 kr/h. K1 with P1: V1 45 min, V2 60 min by two staff counts
    120 (V3 declined): 165 min = 2,75 h, 1 100 kr; no night supplement before April (V2
    has 30 night minutes). K2 with P1: V4 60 min, 400 kr; relief 10 h, in the band up to
    16 h: 3 800 kr. K1 with P2: two safety visits, 90 kr. In all 5 390 kr."""
    paid, _ = run_and_read(VRETBY, [*DATA, "--month", "2027-03"], tmp_path / "o", COLUMNS)
    assert paid == [
        ("2027-03", "P1", "K1", "hemtjänst", "2.75", "1100.00"),
        ("2027-03", "P1", "K2", "avlösning", "", "3800.00"),
        ("2027-03", "P1", "K2", "hemtjänst", "1.0", "400.00"),
        ("2027-03", "P2", "K1", "trygghet", "2.0", "90.00"),
    ]
    assert _total(paid) == 539000


def test_april_by_hand(tmp_path: Path) -> None:
    """Granted time at the indexed price: 400 × (1 + (2,7 − 0,5)/100) = 408,80, rounded to
    409 kr/h. K1: 10 h, 4 090 kr; V7 on Good Friday 60 storhelg minutes at 100 % and V8
    90 night minutes at 50 % (its second staff member adds no supplement): 105 min = 1,75
    h × 409 = 715,75. K2: 5 h, 2 045 kr; V9 06:00–07:30, 60 night minutes at 50 %: 0,5
    h, 204,50; relief 3 800. One safety visit, 45. In all 10 900,25 kr."""
    paid, _ = run_and_read(VRETBY, [*DATA, "--month", "2027-04"], tmp_path / "o", COLUMNS)
    assert paid == [
        ("2027-04", "P1", "K1", "hemtjänst", "10.0", "4090.00"),
        ("2027-04", "P1", "K1", "ob", "1.75", "715.75"),
        ("2027-04", "P1", "K2", "avlösning", "", "3800.00"),
        ("2027-04", "P1", "K2", "hemtjänst", "5.0", "2045.00"),
        ("2027-04", "P1", "K2", "ob", "0.5", "204.50"),
        ("2027-04", "P2", "K1", "trygghet", "1.0", "45.00"),
    ]
    assert _total(paid) == 1090025


def test_a_range_pays_each_month_by_its_own_rules(tmp_path: Path) -> None:
    """March to July in one run: March by executed time at 400 (5 390), April 10 900,25,
    May and June granted time at 409 with no visits (4 090 + 2 045 + 3 800 = 9 935 each),
    July by Vretby's own 420 kr/h from 1 July, not the region's indexed 409: K1 10 h
    4 200, 90 night minutes across midnight 0,75 h 315; K2 5 h 2 100; relief 3 800
    (10 415). In all 46 575,25 kr; May and June counted no visit, so exit 4."""
    out = tmp_path / "o"
    args = ["run", str(VRETBY), *DATA, "--month", "2027-03", "--to", "2027-07", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 4, ran.output
    lines = (out / "statement_lines.csv").read_text("utf-8").splitlines()
    july = sorted(line for line in lines if line.startswith("2027-07"))
    assert july == [
        "2027-07,P1,K1,hemtjänst,,omsorg,10.0,h,4200.00,§2",
        "2027-07,P1,K1,ob,,omsorg,0.75,h,315.00,§3",
        "2027-07,P1,K2,avlösning,,avlösning,,,3800.00,§4",
        "2027-07,P1,K2,hemtjänst,,omsorg,5.0,h,2100.00,§2",
    ]
    totals = {}
    for line in lines[1:]:
        month, *_, amount, _source = line.split(",")
        totals[month] = totals.get(month, 0) + int(amount.replace(".", ""))
    assert totals == {
        "2027-03": 539000,
        "2027-04": 1090025,
        "2027-05": 993500,
        "2027-06": 993500,
        "2027-07": 1041500,
    }


def test_vretbys_hand_computed_cases() -> None:
    assert_cases_pass(VRETBY, 10)


def test_july_compared_with_the_rules_of_march(tmp_path: Path) -> None:
    """`--a-as-of 2027-03-01` pays July by March's rules and values: executed time
    (K1's V11, 90 min: 1,5 h × 400 = 600), no night supplement, relief 3 800: 4 400 kr
    against July's own 10 415."""
    args = ["compare", str(VRETBY), str(VRETBY), "--a-as-of", "2027-03-01", *DATA]
    ran = CliRunner().invoke(main, [*args, "--month", "2027-07"])
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "A = vretby (regler per 2027-03-01)   B = vretby" in said
    assert "summa              4 400,00        10 415,00         6 015,00   +136,7" in said


def test_a_date_before_the_model_names_the_as_of_option() -> None:
    """A date to compare as of before every value said "check --month", where the month
    was right and the date given to `--a-as-of` was not."""
    args = ["compare", str(VRETBY), str(VRETBY), "--a-as-of", "2026-12-01", *DATA]
    ran = CliRunner().invoke(main, [*args, "--month", "2027-07"])
    assert ran.exit_code == 1, ran.output
    assert "the model's values begin on 2027-01-01" in ran.output
    assert "hint: check the date it is compared as of (--a-as-of or --b-as-of 2026-12-01)" in (
        ran.output
    )


def test_a_year_without_its_index_stops_the_run(tmp_path: Path) -> None:
    """April 2028 is indexed from Vretby's 420 of July 2027, by an index the model does
    not give for 2028: an error at the factor, never last year's index again."""
    args = ["run", str(VRETBY), *DATA, "--month", "2028-04", "--out", str(tmp_path / "o")]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 1, ran.output
    assert "error[no-value-in-force]: the indexation of `timpris` on 2028-04-01 has no value" in (
        ran.output
    )
    assert "`krav`'s latest value is from 2027-04-01; `lpi`'s latest value is from 2027-04-01" in (
        ran.output
    )  # which of the factor's parameters lacks the year's value: it named none
    assert not (tmp_path / "o").exists()


def test_an_index_that_makes_a_factor_of_zero_or_less_stops_the_run(tmp_path: Path) -> None:
    """An index typed −150 for 1.50: 1 + (−150 − 0,5)/100 = −0,505, and April paid every
    hour of home care at −202 kr, a month's total of 315,50 kr, without a word."""
    model = _extending(tmp_path, "  lpi:\n    values: { 2027-04-01: -150 }\n")
    args = ["run", str(model), *DATA, "--month", "2027-04", "--out", str(tmp_path / "o")]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 1, ran.output
    assert (
        "error[bad-value]: the indexation of `timpris` on 2027-04-01 has the factor -0.505: "
        "its values would become negative"
    ) in ran.output
    assert "hint: check the values it is computed from: krav 0.5 (2027-04-01), lpi -150" in (
        ran.output
    )
    assert not (tmp_path / "o").exists()


def test_every_reason_to_review_is_named(tmp_path: Path) -> None:
    """January 2028 counts no visit (exit 4) and its storhelg calendar has no date of 2028:
    the last line named the first alone, and the calendar was found by the run after the
    visits were mended."""
    args = ["run", str(VRETBY), *DATA, "--month", "2028-01", "--out", str(tmp_path / "o")]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 4, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "warning[stale-calendar]: `storhelg`, its list from 2027-01-01, has no date in 2028" in (
        said
    )
    assert (
        "slutstatus 4: inget besök räknat i 2028-01; 1 varning om en kalender utan datum för "
        "månadens år (utdata är skrivna; granska innan ni betalar)"
    ) in said


def _extending(tmp: Path, parameter: str) -> Path:
    """A model extending a copy of the region's with `parameter` (YAML lines)."""
    shutil.copytree(VRETBY / "lan", tmp / "lan")
    model = tmp / "variant.yaml"
    model.write_text(f"model: variant\nextends: lan\nparameters:\n{parameter}", "utf-8")
    return model


def test_a_unit_changed_by_an_extending_file_with_the_parents_numbers_is_an_error(
    tmp_path: Path,
) -> None:
    """`unit: SEK/min` over the region's `400` (written in SEK/h) read it as 400 SEK/min:
    March, worth 4 900 kr by the region's rules, was paid 69 800 kr without a word."""
    model = _extending(tmp_path, "  timpris:\n    unit: SEK/min\n")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert (
        "variant.yaml:5:11: error[unit-mismatch]: `timpris`'s unit is changed to SEK/min here, "
        "but its values from 2027-01-01 (lan/model.yaml:20) are numbers written in SEK/h: "
        "they would be read as SEK/min"
    ) in ran.output
    assert "hint: give the values of 2027-01-01 again here, in SEK/min, or keep the unit SEK/h" in (
        ran.output
    )


def test_a_unit_changed_with_its_values_given_again_or_written_with_units_is_read(
    tmp_path: Path,
) -> None:
    """The value given again in the new unit, or the parent's written with its unit
    (`"400 SEK/h"`, converted: 6,67 kr a minute), pay March by the region's rules alone:
    105 min × 400 kr/h = 700, 400, relief 3 800 (no safety visits: the region has no
    such service, and rejects them)."""
    again = _extending(
        tmp_path / "a", "  timpris:\n    unit: SEK/min\n    values: { 2027-01-01: 6.6666666667 }\n"
    )
    region = tmp_path / "b" / "lan" / "model.yaml"
    written = _extending(tmp_path / "b", "  timpris:\n    unit: SEK/min\n")
    text = region.read_text("utf-8")
    region.write_text(text.replace("2027-01-01: 400 }", '2027-01-01: "400 SEK/h" }'), "utf-8")
    for model in (again, written):
        out = tmp_path / model.parent.name / "o"
        args = ["run", str(model), *DATA, "--month", "2027-03", "--out", str(out)]
        ran = CliRunner().invoke(main, args)
        assert ran.exit_code == 3, ran.output  # Vretby's safety visits: not the region's
        lines = rows_of(
            out / "statement_lines.csv", "provider_id", "customer_id", "payment", "amount_kr"
        )
        assert lines == [
            ("P1", "K1", "hemtjänst", "700.00"),
            ("P1", "K2", "avlösning", "3800.00"),
            ("P1", "K2", "hemtjänst", "400.00"),
        ]


def test_vretbys_vocabulary_is_its_own() -> None:
    own = {"vretby", "personaltid", "trygghetsbesök", "trygghetspris"}
    assert not names_in_engine(VRETBY / "model.yaml", own)


def test_the_differences_from_the_region_are_said_in_the_rule_files_words() -> None:
    """`carepay diff` of the region's model and Vretby's: the dated value merged, the
    definition replaced, the code and the column added — its default as the file writes
    it (it said `default: False`, Python's word)."""
    ran = CliRunner().invoke(main, ["diff", str(VRETBY / "lan"), str(VRETBY)])
    assert ran.exit_code == 0, ran.output
    said = ran.output
    assert "- Parametern `timpris` ändras\n    nytt värde från 2027-07-01: 420 SEK/h\n" in said
    assert (
        '    formel: sum(visits.minuter where counted and service == "omsorg") → '
        'sum(visits.personaltid where counted and service == "omsorg")\n'
    ) in said
    assert "- Kodlistan `service` ändras\n    läggs till: trygghetsbesök\n" in said
    assert (
        "- Kolumnen `visits.dubbelbemanning` tillkommer\n    bool, default: false, nullable: false"
    ) in said


def test_a_band_table_given_a_number_by_an_extending_file_says_how_it_is_written(
    tmp_path: Path,
) -> None:
    """The region's relief bands (`up_to:`) given `3000` from July: the hint showed an
    `under:` bracket alone."""
    model = _extending(tmp_path, "  avlösningsbelopp:\n    values: { 2027-07-01: 3000 }\n")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert "error[schema]: step table `avlösningsbelopp` needs a list of brackets" in ran.output
    assert "[{up_to: 12 h, value: 5200}, …]" in ran.output


def test_the_studio_shows_and_edits_vretbys_own_price_in_the_regions_unit(tmp_path: Path) -> None:
    """Vretby's file gives `timpris` its July value alone: the studio's panel showed 420
    with no unit (the region's file declares SEK/h); an edit to 430 pays July what a run
    of the edited file pays: 10 h + 5 h + 0,75 h at 430 = 6 772,50, relief 3 800."""
    from engine.workspace import edit, open_workspace, parameter_panel, set_value

    shutil.copytree(VRETBY, tmp_path / "vretby", ignore=shutil.ignore_patterns("data"))
    ws = open_workspace(tmp_path / "vretby", VRETBY / "data", [date(2027, 7, 1)])
    panel = {p["name"]: p for p in parameter_panel(ws, {})}
    assert set(panel) == {"timpris", "trygghetspris"}  # the region's are not Vretby's to edit
    assert (panel["timpris"]["unit"], panel["timpris"]["source"]) == ("SEK/h", "§2")
    assert [v["text"] for v in panel["timpris"]["values"]] == ["420"]
    july = panel["timpris"]["values"][0]["path"]
    text = set_value(ws, {}, "model.yaml", "timpris", july, "430")
    answer = edit(ws, {"model.yaml": text})
    assert answer["ok"], answer["diagnostics"]
    assert answer["results"]["total"]["edited_ore"] == 677250 + 380000
    assert answer["results"]["total"]["saved_ore"] == 1041500


def test_the_manifest_records_the_values_in_force_as_the_rule_files_write_them(
    tmp_path: Path,
) -> None:
    """April 2027's record: the price indexed and rounded, 409 SEK/h — it held
    `6.816666666666666666666666667`, the engine's kronor a minute —, the relief bands
    with their bounds and whether a bound is in its band, shares in per cent, the time
    bands as written (their place in the rule file was there too)."""
    out = tmp_path / "o"
    args = ["run", str(VRETBY), *DATA, "--month", "2027-04", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["parameters_in_force"]["2027-04"] == {
        "avlösningsbelopp": [["up_to 8 h", "2000 SEK"], ["up_to 16 h", "3800 SEK"]],
        "krav": "0.5",
        "lpi": "2.7",
        "nattillägg": "50 %",
        "storhelg": [
            "2027-01-01",
            "2027-01-06",
            "2027-04-02",
            "2027-04-05",
            "2027-06-25",
            "2027-12-24",
            "2027-12-25",
        ],
        "storhelgstillägg": "100 %",
        "tidsband": ["storhelg (calendar storhelg)", "natt 22:00–07:00", "dag"],
        "timpris": "409 SEK/h",
        "trygghetspris": "45 SEK",
    }
    assert CliRunner().invoke(main, ["verify", str(out)]).exit_code == 0


def test_a_yes_or_no_a_date_and_a_text_are_recorded_as_such(tmp_path: Path) -> None:
    """A yes or no is JSON's own (the words of a writer of Python were near: `True`)."""
    model = _extending(
        tmp_path,
        "  bonus_på:\n    unit: bool\n    values: { 2027-01-01: true }\n"
        "  införd:\n    unit: date\n    values: { 2027-01-01: 2027-02-15 }\n"
        "  tjänster:\n    kind: list\n    unit: text\n    values: { 2027-01-01: [omsorg] }\n",
    )
    out = tmp_path / "o"
    args = ["run", str(model), *DATA, "--month", "2027-04", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 3  # the region rejects Vretby's service
    recorded = json.loads((out / "manifest.json").read_text("utf-8"))["parameters_in_force"]
    april = recorded["2027-04"]
    assert (april["bonus_på"], april["införd"], april["tjänster"]) == (
        True,
        "2027-02-15",
        ["omsorg"],
    )


def test_explain_says_how_an_indexed_price_came_about(tmp_path: Path) -> None:
    """A provider disputing April saw `timpris = 409.00 SEK/h` with nothing of the 400
    kr it was indexed from. The region's price indexed twice (the region's own model,
    with an index for 2028: 409 × 1,025 = 419,225, rounded to 419) says each step."""
    args = ["explain", "--lang", "en", str(VRETBY), *DATA, "--month", "2027-04", "--customer", "K1"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    assert (
        "└─ timpris = 409.00 SEK/h   [parameter]   §2\n"
        "     indexed: 400 SEK/h given from 2027-01-01, × 1.022 on 2027-04-01, rounded to 1\n"
    ) in ran.output
    model = tmp_path / "lan" / "model.yaml"
    shutil.copytree(VRETBY / "lan", tmp_path / "lan")
    text = model.read_text("utf-8")
    text = text.replace(
        "values: { 2027-04-01: 2.7 }", "values: { 2027-04-01: 2.7, 2028-04-01: 3.0 }"
    )
    text = text.replace(
        "values: { 2027-04-01: 0.5 }", "values: { 2027-04-01: 0.5, 2028-04-01: 0.5 }"
    )
    model.write_text(text, "utf-8")
    data = tmp_path / "data"
    shutil.copytree(VRETBY / "data", data)
    (data / "visits.csv").write_text(
        "visit_id,customer_id,provider_id,staff_id,service,start,end,declined\n"
        "V1,K1,P1,S1,omsorg,2028-04-03 08:00,2028-04-03 09:00,false\n",
        "utf-8",
    )
    args = ["explain", "--lang", "en", str(model), "--data", str(data), "--month", "2028-04"]
    args += ["--customer", "K1"]
    ran = CliRunner().invoke(main, [*args, "--format", "json"])
    assert ran.exit_code == 0, ran.output
    trees = [line["tree"] for line in json.loads(ran.output)["lines"]]
    price = next(use for use in trees[0]["uses"] if use["name"] == "timpris")
    assert price["display"] == "419.00 SEK/h"
    assert price["indexed"] == (
        "400 SEK/h given from 2027-01-01, × 1.022 on 2027-04-01, rounded to 1, "
        "× 1.025 on 2028-04-01, rounded to 1"
    )


PARAMETER_CASES = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: Centrum }}]
    providers: [{{ provider_id: P1, name: A, ownership: private }}]
    decisions:
      - {{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg, start_date: 2027-01-01, granted_minutes: 600 }}
  columns:
    visits: {{ customer_id: K1, provider_id: P1, staff_id: S1, service: omsorg, declined: false }}
tests:
  - name: april
    month: 2027-04
    input:
      visits: [{{ visit_id: V1, start: 2027-04-03 10:00, end: 2027-04-03 11:00 }}]
    output:
      customers:
        K1: {{ timpris: 409 }}
      parameters:
        timpris: 408.80
        timpriss: 409
        nattillägg: 50 min
        tidsband: natt
"""


def test_a_case_expects_a_parameters_value_in_force_by_its_name(tmp_path: Path) -> None:
    """A price after its indexation could be checked only through an amount it paid, and
    `timpris` expected of a customer said only that it is no definition there. Under
    `parameters:` each is compared as the month has it: the unrounded 408,80 fails, a
    misspelt name says the one meant, a unit of another kind fails, and time bands are
    no value to expect."""
    ran = CliRunner().invoke(
        main,
        ["test", str(_case_file(tmp_path, PARAMETER_CASES.format(model=VRETBY / "model.yaml")))],
    )
    assert ran.exit_code == 1, ran.output
    said = ran.output
    for line in (
        "`timpris` is not a definition, payment or field of customer_month: it is a parameter, "
        "whose value in force a case expects under `parameters:` (timpris: …)",
        "line 19: timpris: expected 408.80 SEK/h, got 409.00 SEK/h",
        "line 20: `timpriss` is not a parameter of the model; did you mean `timpris`?",
        "line 21: `50 min` is duration, but `nattillägg` is ratio",
        "line 22: `tidsband` is a bands parameter: expect what the model pays by it",
    ):
        assert line in said, said


def _case_file(tmp: Path, text: str) -> Path:
    path = tmp / "cases_test.yaml"
    path.write_text(text, "utf-8")
    return path


def test_an_indexed_value_is_rounded_half_up_whatever_the_models_rounding(tmp_path: Path) -> None:
    """April 2028: Vretby's 420 × (1 + (3,0 − 0,5)/100) = 430,50, rounded to 431 kr/h —
    a half up, also in a model rounding its amounts half to even (docs/language.md)."""
    model = tmp_path / "index2028.yaml"
    model.write_text(
        f"model: index2028\nextends: {VRETBY}\n"
        "rounding: { to: 0.01, mode: half_even }\n"
        "parameters:\n"
        "  lpi: { values: { 2028-04-01: 3.0 } }\n"
        "  krav: { values: { 2028-04-01: 0.5 } }\n",
        "utf-8",
    )
    out = tmp_path / "o"
    args = ["run", str(model), *DATA, "--month", "2028-04", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 4, ran.output  # no visits in April 2028; a stale calendar too
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["parameters_in_force"]["2028-04"]["timpris"] == "431 SEK/h"


def test_a_comparisons_workbook_tells_the_regions_file_from_vretbys(tmp_path: Path) -> None:
    """`Filer och data` of a comparison named the files `model.yaml, model.yaml`: which is
    the region's, a committee paper could not say. And a model compared with itself as in
    force on another date was said to differ in no rule or parameter."""
    import openpyxl

    out = tmp_path / "cmp"
    args = ["compare", str(VRETBY), str(VRETBY), "--a-as-of", "2027-03-01", *DATA]
    ran = CliRunner().invoke(main, [*args, "--month", "2027-07", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    about = openpyxl.load_workbook(out / "comparison.xlsx").worksheets[0]
    cells = {row[0]: row[1] for row in about.iter_rows(values_only=True) if row[0]}
    changed = [row[1] for row in about.iter_rows(values_only=True) if row[0] == "Ändring"]
    assert cells["Filer och data"].startswith(
        "A: lan/model.yaml, vretby/model.yaml (version 2027); "
        "B: lan/model.yaml, vretby/model.yaml (version 2027); data: "
    )
    # the same rule files, but not the same rules in force: it said that none differ
    assert changed == [
        "A räknas i varje månad med de regler och värden som gällde 2027-03-01.",
        "Parametern `timpris`: 400 SEK/h i A, 420 SEK/h i B (2027-07).",
        "Parametern `lpi`: inget värde i A, 2,7 i B (2027-07).",
        "Parametern `krav`: inget värde i A, 0,5 i B (2027-07).",
        "Regeln `hemtjänst`: utförd_tid * timpris i A, beviljad_tid * timpris i B (2027-07).",
        "Regeln `ob`: inte i kraft i A, ob_tid * timpris i B (2027-07).",
    ]
    report = (out / "report.html").read_text("utf-8")
    assert "Inga regler eller parametrar skiljer sig" not in report
    assert "Parametern `timpris`: 400 SEK/h i A, 420 SEK/h i B (2027-07)." in report


def test_an_exclusion_added_by_an_extending_file_comes_after_the_parents(tmp_path: Path) -> None:
    """An exclusion of short visits added to the region's, whose own `avböjt` is given a
    new reason: the declined 30-minute V3 is `avböjt` (the parent's, first, in its place)
    and the 45-minute V1 `kort`."""
    shutil.copytree(VRETBY / "lan", tmp_path / "lan")
    model = tmp_path / "variant.yaml"
    model.write_text(
        "model: variant\nextends: lan\nexclusions:\n"
        "  kort: { when: minuter < 50 min, reason: för kort besök }\n"
        "  avböjt: { reason: kunden sa nej }\n",
        "utf-8",
    )
    out = tmp_path / "o"
    args = ["run", str(model), *DATA, "--month", "2027-03", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 3  # Vretby's own service: rejected
    assert rows_of(out / "exclusions.csv", "visit_id", "rule", "reason") == [
        ("V1", "kort", "för kort besök"),
        ("V3", "avböjt", "kunden sa nej"),
    ]


def rows_of(path: Path, *columns: str) -> list[tuple[str, ...]]:
    """Columns of a CSV output as sorted rows of text."""
    return sorted(pl.read_csv(path, infer_schema=False).select(columns).fill_null("").rows())


def test_a_date_to_compare_as_of_outside_the_years_carepay_runs_is_refused(tmp_path: Path) -> None:
    """`--a-as-of 9999-12-31` stopped in a traceback (an indexation date of the year
    10 000), where `--month 9999-12` is refused; the API's `load` refuses it too."""
    from engine.api import load
    from engine.diagnostics import EngineError

    args = ["compare", str(VRETBY), str(VRETBY), "--a-as-of", "9999-12-31", *DATA]
    ran = CliRunner().invoke(main, [*args, "--month", "2027-07"])
    assert ran.exit_code == 2, ran.output
    assert "`9999-12-31` is outside the dates carepay runs (1900-01-01 to 2199-12-31)" in (
        ran.output
    )
    with pytest.raises(EngineError, match="outside the dates carepay runs"):
        load(VRETBY / "model.yaml", ["2027-07"], as_of=date(9999, 12, 31))


@pytest.mark.parametrize(
    ("written", "meant"), [("LAN", "lan"), ("lan/model.yml", "lan/model.yaml")]
)
def test_extends_naming_no_file_says_the_one_beside_it_meant(
    tmp_path: Path, written: str, meant: str
) -> None:
    shutil.copytree(VRETBY / "lan", tmp_path / "lan")
    model = tmp_path / "variant.yaml"
    model.write_text(f"model: variant\nextends: {written}\n", "utf-8")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert f"error[bad-extends]: the model `{written}` it extends does not exist" in ran.output
    assert f"hint: did you mean `{(tmp_path / meant).as_posix()}`?" in ran.output


def test_the_payment_file_lists_the_values_each_month_was_paid_by(tmp_path: Path) -> None:
    """A price after its indexation (409 kr/h in April, Vretby's 420 in July) stood in no
    sheet of payments.xlsx, nor in a provider's own file: a controller could not check it,
    nor a provider disputing a month see it."""
    import openpyxl

    out = tmp_path / "o"
    args = ["run", str(VRETBY), *DATA, "--month", "2027-04", "--to", "2027-07", "--out", str(out)]
    CliRunner().invoke(main, [*args, "--per-provider"])
    for book in (out / "payments.xlsx", out / "payments_P2.xlsx"):
        sheet = openpyxl.load_workbook(book)["Parametrar"]
        rows = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
        prices = [(row[0], row[3]) for row in rows if row[1] == "timpris"]
        assert prices == [
            ("2027-04", "409 SEK/h"),
            ("2027-05", "409 SEK/h"),
            ("2027-06", "409 SEK/h"),
            ("2027-07", "420 SEK/h"),
        ]
        bands = next(row for row in rows if row[1] == "avlösningsbelopp" and row[0] == "2027-07")
        assert bands[3:] == (
            "[up_to 8 h → 2\u00a0000 SEK, up_to 16 h → 3\u00a0800 SEK]",
            None,
            "§4",
        )


@pytest.mark.parametrize(
    ("brackets", "said"),
    [
        (
            "[{ up_to: 16 h, value: 3800 }, { up_to: 8 h, value: 2000 }]",
            "variant.yaml:5:67: error[schema]: brackets must be in increasing order of `up_to`",
        ),
        (
            "[{ up_to: 8 h, value: 2000 }, { up_to: 50 %, value: 3800 }]",
            "variant.yaml:5:66: error[unit-mismatch]: all brackets must use the same unit for "
            "`up_to`",
        ),
    ],
)
def test_up_to_brackets_out_of_order_or_of_another_unit_are_said_at_the_bound(
    tmp_path: Path, brackets: str, said: str
) -> None:
    """Both stopped `carepay check` with a KeyError: the error was placed at `under:`,
    which a table written `up_to:` does not have."""
    model = _extending(tmp_path, f"  avlösningsbelopp:\n    values: {{ 2027-07-01: {brackets} }}\n")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert said in ran.output, ran.output
    assert "1 error" in ran.output


def test_a_goal_seek_of_a_bound_says_it_in_the_unit_the_rule_file_writes(tmp_path: Path) -> None:
    """The first relief bound sought for a total of 10 000 kr: none reaches it (K2's 10
    hours pay 3 800 up to a bound below 10 h, 2 000 from 10 h), and the nearest total,
    9 100,25, is said with the bound as the rule file writes bounds, `10 h` — it said
    `600 min`."""
    args = ["simulate", str(VRETBY), *DATA, "--month", "2027-04"]
    ran = CliRunner().invoke(
        main, [*args, "--solve", "avlösningsbelopp[1].up_to", "--target", "10 000 kr"]
    )
    assert ran.exit_code == 0, ran.output
    assert ran.output.replace("\u00a0", " ").startswith(
        "avlösningsbelopp[1].up_to=10 h ger 9 100,25 kr (mål 10 000,00 kr;"
    )


def test_a_goal_seek_nothing_brings_nearer_says_the_models_own_value(tmp_path: Path) -> None:
    """100 kr less by the first relief bound: moving it pays the same or 1 800 kr less,
    so the model's own 8 h is the nearest. Örebro's control level sought 1 000 kr lower
    was said as `kontrollnivåer[2].under=40.737588 % ger …` — a value that changed
    nothing, read as the answer."""
    args = ["simulate", str(VRETBY), *DATA, "--month", "2027-04"]
    ran = CliRunner().invoke(
        main, [*args, "--solve", "avlösningsbelopp[1].up_to", "--target", "-100 kr"]
    )
    assert ran.exit_code == 0, ran.output
    assert ran.output.replace("\u00a0", " ").startswith(
        "inget värde av avlösningsbelopp[1].up_to kommer närmare målet 10 800,25 kr än "
        "modellens eget: avlösningsbelopp[1].up_to=8 h ger 10 900,25 kr ("
    )


def test_explain_says_how_an_indexed_step_tables_amounts_came_about() -> None:
    """Örebro's relief bands (§3.1.4), indexed in April 2024 (§4.6): 5 200 × 1,044 =
    5 428,80 → 5 429 kr for up to 12 hours. The brackets stood with their new amounts
    alone."""
    root = VRETBY.parents[2]
    args = ["explain", "--lang", "en", str(root / "rules/orebro")]
    args += ["--data", str(root / "examples/orebro")]
    ran = CliRunner().invoke(main, [*args, "--month", "2024-05", "--customer", "K000036"])
    assert ran.exit_code == 0, ran.output
    assert "up_to 720 min (12.00 h) → 5 429.00 SEK" in ran.output
    assert (
        "indexed: the brackets' 5200, 6900, 8600, 10300 SEK given from 2023-04-01, "
        "× 1.044 on 2024-04-01, rounded to 1"
    ) in ran.output
