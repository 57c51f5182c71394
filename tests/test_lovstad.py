"""A third municipality's model (examples/lovstad), written with no change to the
engine: its own services, columns, provider attributes, days of decisions, holiday
calendar and time bands are declared in the model."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from engine.testing import find_test_files, run_file
from tests.harness import names_in_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/lovstad"


def test_its_hand_computed_cases_pass():
    results = [r for path in find_test_files([EXAMPLE]) for r in run_file(path)]
    assert len(results) >= 25
    failed = [(r.name, r.error, r.failures) for r in results if not r.passed]
    assert not failed, failed


def test_it_checks_clean_and_runs_on_its_data_with_nothing_rejected(tmp_path):
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(EXAMPLE / "model.yaml")])
    assert checked.exit_code == 0 and "inga problem" in checked.output, checked.output
    out = tmp_path / "out"
    result = runner.invoke(
        main,
        ["run", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data"),
         "--month", "2024-12", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # 0: clean, nothing rejected
    assert "avvisade 0" in result.output and "warning" not in result.output
    assert "summa                             224\u00a0315,84" in result.output


def test_nothing_in_the_engine_is_written_for_it():
    """The model's own names (services, columns, entities, bands) are nowhere in engine/."""
    own = {
        "lovstad", "matdistribution", "boendestod", "portioner", "dygnet_runt",
        "momsregistrerad", "beslutsdag", "tidsband", "storhelg", "frånvarotrappa",
    }  # fmt: skip
    assert not names_in_engine(EXAMPLE / "model.yaml", own)


def test_the_declarations_in_the_docs_check_and_read_their_table(tmp_path):
    """The `vocabulary:` example of docs/language.md: it checks clean, and its own table
    is read with its declared columns (and a bad date in it is a rejected row)."""
    from engine.api import load, load_dataset

    text = (ROOT / "docs/language.md").read_text(encoding="utf-8")
    section = text[text.index("## Declaring the data") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n\n")]
    model = tmp_path / "model.yaml"
    model.write_text(
        "model: d\ntitle: d\n" + block + "definitions:\n  matbeställning:\n"
        "    sen: levererad > 2024-12-20\n",
        encoding="utf-8",
    )
    checked, warnings = load(model)
    assert not warnings
    data = tmp_path / "data"
    data.mkdir()
    (data / "providers.csv").write_text(
        "provider_id,name,ownership,dygnet_runt\nP1,A,private,true\n", encoding="utf-8"
    )
    (data / "customers.csv").write_text("customer_id,district\nK1,Centrum\n", encoding="utf-8")
    (data / "matbeställningar.csv").write_text(
        "order_id,customer_id,levererad\nM1,K1,2024-12-21\nM2,K1,21 dec\n", encoding="utf-8"
    )
    dataset, _ = load_dataset(checked, data)
    assert dataset.tables["matbeställningar"]["order_id"].to_list() == ["M1"]
    [reject] = dataset.rejects_frame().to_dicts()
    assert (reject["file"], reject["row"], reject["column"]) == (
        "matbeställningar.csv",
        3,
        "levererad",
    )


def test_an_unknown_name_says_how_to_declare_a_column(tmp_path):
    """… or to define it: the docs' `sum(visits.minutes where counted)` reads a
    definition `minutes` of the model's own, and an author who copied it was told
    only to declare a column."""
    from tests.harness import diagnostics

    [error] = diagnostics(tmp_path, "portioner * 2", "visit")
    assert error.message == "unknown name `portioner`"
    assert error.hint == (
        "to compute it, define it: definitions: {visit: {portioner: …}}; if `portioner` is "
        "a column of visits in the data, declare it: vocabulary: {columns: {visits: "
        "{portioner: {type: …}}}}"
    )


def test_a_test_file_can_expect_values_of_any_entity_by_its_key(tmp_path):
    """`output:` takes `customers`, `providers`, or any entity with a one-column key by
    its name (here the visit's own definitions); a wrong value fails, and a section that
    is not an entity is a located failure that lists the sections there are."""
    head = (EXAMPLE / "tests/lovstad_test.yaml").read_text(encoding="utf-8").split("tests:")[0]
    head = head.replace("model: ../model.yaml", f"model: {EXAMPLE / 'model.yaml'}")
    case = """
  - name: {name}
    month: 2024-12
    input:
      visits: [{{ visit_id: V1, start: 2024-12-02 18:30, end: 2024-12-02 19:30 }}]
    output:
      {section}:
        V1: {{ tidsersättning: {amount} }}
"""
    path = tmp_path / "sections_test.yaml"
    path.write_text(
        head
        + "tests:"
        + case.format(name="rätt", section="visit", amount=450)
        + case.format(name="fel belopp", section="visit", amount=451)
        + case.format(name="okänd del", section="besök", amount=450),
        encoding="utf-8",
    )
    right, wrong, unknown = run_file(path)
    assert right.passed, right.failures
    assert wrong.failures == [
        "line 38: tidsersättning for V1: expected 451.00 SEK, got 450.00 SEK"
    ], wrong.failures
    assert len(unknown.failures) == 1
    assert "`besök` is not an output section" in unknown.failures[0]
    assert "premium_claim" in unknown.failures[0] and "visit" in unknown.failures[0]


def test_a_column_read_only_on_days_as_rows_is_read_from_its_table(tmp_path):
    """Before: a decisions column that only a `days` entity read was neither loaded nor
    kept, and the run stopped with a Polars error (found by Örebro's §3.5.3 days)."""
    model = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    model = model.replace(
        "  beslutsdag:\n    # Frånvarotrappan",
        "  beslutsdag:\n    dagtimmar: coalesce(hours_per_month, 0 h) / days_in_month\n"
        "    # Frånvarotrappan",
        1,
    ).replace(
        "  customer_month:\n    tid:",
        "  customer_month:\n    timmar_per_månad: sum(beslutsdagar.dagtimmar)\n    tid:",
        1,
    )
    (tmp_path / "model.yaml").write_text(model, encoding="utf-8")
    head = (EXAMPLE / "tests/lovstad_test.yaml").read_text(encoding="utf-8").split("tests:")[0]
    head = head.replace("model: ../model.yaml", "model: model.yaml").replace(
        "start_date: 2024-01-01, granted_minutes: 3100 }",
        "start_date: 2024-12-11, granted_minutes: 3100, hours_per_month: 62 }",
    )
    path = tmp_path / "days_test.yaml"
    path.write_text(
        head
        + """tests:
  - name: 21 dagar av 62 timmar i månaden
    month: 2024-12
    output:
      customers:
        K1: { timmar_per_månad: 42 h }   # 62 h / 31 × 21 dagar (11–31 december)
""",
        encoding="utf-8",
    )
    [case] = run_file(path)
    assert case.passed, (case.error, case.failures)


def test_explain_shows_a_visits_minutes_in_each_time_band():
    """Before, the explanation of a visit's time payment listed the band rates and not
    the minutes in each band, the one thing a provider disputing it must see: W00001,
    Sunday 1 December 21:30–21:50, is 20 minutes of `helg` (the weekend comes before
    the evening and the night)."""
    result = CliRunner().invoke(
        main,
        ["explain", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data"),
         "--month", "2024-12", "--customer", "L001"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.output.split("(visit W00001)   Bilaga 2")[1].split("(visit W00002)")[0]
    shown = dict(re.findall(r'minutes_in\(tidsband, "(\w+)"\) = (\d+ min)', first))
    assert shown == {"dag": "0 min", "kväll": "0 min", "natt": "0 min", "helg": "20 min",
                     "storhelg": "0 min"}  # fmt: skip


CHRISTMAS_NEXT_YEAR = """\
model: {model}
defaults:
  input:
    providers: [{{ provider_id: P1, name: Dygnet Runt AB, ownership: private, dygnet_runt: true,
                   momsregistrerad: false }}]
    customers: [{{ customer_id: K1, district: Centrum }}]
    decisions: [{{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,
                   start_date: 2024-01-01, granted_minutes: 3100 }}]
  columns:
    visits: {{ customer_id: K1, provider_id: P1, staff_id: S1, staff_role: care, service: omsorg,
              registration: tag, clock_adjusted: false, declined: false }}
tests:
  - name: julafton 2025, med en kalender för 2024
    month: 2025-12
    input:
      visits: [{{ visit_id: V1, start: 2025-12-24 09:00, end: 2025-12-24 10:00 }}]
    output:
      customers: {{ K1: {{ hemtjänst: 420 }} }}{warnings}
"""


def test_a_calendar_of_an_earlier_year_is_warned_of(tmp_path):
    """Lovstad's storhelg lists the holidays of 2024 only. Christmas Eve 2025 is then no
    storhelg: an hour is paid at the day's 420 kr, not 640 kr, and the run said nothing
    (exit 0). It now warns (`stale-calendar`, at the list) and exits 5; a model test of
    such a month must expect the warning."""
    for warnings, passes in (("", False), ("\n    warnings: [stale-calendar]", True)):
        path = tmp_path / "jul_test.yaml"
        path.write_text(
            CHRISTMAS_NEXT_YEAR.format(
                model=ROOT / "examples/lovstad/model.yaml", warnings=warnings
            ),
            encoding="utf-8",
        )
        [result] = run_file(path)
        said = "\n".join(result.failures + [result.error or ""])
        assert result.passed == passes, said
        warned = "the run warned [stale-calendar] `storhelg`, its list from 2024-01-01, has "
        assert (f"{warned}no date in 2025: no day of 2025 is in it; give the year its dates"
                in said) != passes  # fmt: skip


def test_explain_shows_what_a_rounding_made_of_its_value(tmp_path):
    """A visit's weekend minutes rounded up to a quarter: W00001's 20 minutes are paid
    as 30 (30 × 520 kr/h = 260 kr). The tree showed the 20 minutes and the 260 kr, not
    the 30 the amount is made of."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: lovstad-kvart\nextends: {EXAMPLE / 'model.yaml'}\ndefinitions:\n  visit:\n"
        '    tidsersättning: ceil(minutes_in(tidsband, "helg"), 15 min) * timpris["helg"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["explain", "--lang", "en", str(model), "--data", str(EXAMPLE / "data"), "--month", "2024-12",
         "--customer", "L001"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    paid = "tidsersättning = 260.00 SEK   (visit W00001)"
    assert paid in result.output, result.output
    after = result.output.split(paid)[1].split("(visit W00002)")[0]
    assert 'ceil(minutes_in(tidsband, "helg"), 15 min) = 30 min (0.50 h)' in after, after
    assert 'minutes_in(tidsband, "helg") = 20 min' in after


def test_a_bands_misspelt_calendar_is_one_error_where_it_is_written(tmp_path):
    """`calendar: storhelgg` was an error at each of the five `minutes_in(tidsband, …)`
    of the formulas, none at the band and none saying what was meant."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: lovstad-stavfel\nextends: {EXAMPLE / 'model.yaml'}\nparameters:\n"
        "  tidsband:\n    values:\n      2024-01-01:\n"
        "        - { name: storhelg, calendar: storhelgg }\n"
        '        - { name: helg, from: "fri 19:00", to: "mon 07:00" }\n'
        '        - { name: natt, from: "22:00", to: "07:00" }\n'
        '        - { name: kväll, from: "19:00", to: "22:00" }\n'
        "        - { name: dag }\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert result.output.count("error[") == 1, result.output
    assert (
        f"{model}:7:39: error[unknown-name]: a band of `tidsband` names the calendar "
        "`storhelgg`, which is not a list parameter of dates"
    ) in result.output
    assert "hint: did you mean `storhelg`?" in result.output
