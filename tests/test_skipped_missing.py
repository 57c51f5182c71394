"""An aggregation that passes over rows with no value is never quiet: a visit whose
`antal_personal` is empty added nothing to `sum(visits.personaltid)`, the customer was
paid for half the time, and the run said nothing and exited 0 (found by writing a
third municipality's model, Bergsjö, from docs/language.md alone). Now the run warns
(`skipped-missing`) naming the rows and the empty columns, exits 5, and `--strict`
refuses; a value the model makes missing itself is left out as it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.api import load, parse_month, run_model
from engine.cli import main
from engine.data import dataset_from_rows
from tests.harness import csv_folder

MODEL = """\
model: bergsjo-utdrag
title: Bergsjö (utdrag)
zones: {{tätort: [Centrum]}}
vocabulary:
  columns:
    visits:
      antal_personal: {{type: integer, minimum: 1, maximum: 3}}
      akut: {{type: bool}}
      planerad: {{type: bool, nullable: false}}
parameters:
  timpris: {{unit: SEK/h, values: {{2025-01-01: 480}}}}
definitions:
  visit:
    minuter: end - start
    personaltid: minuter * antal_personal
    minst_en: minuter * coalesce(antal_personal, 1)
    bara_dubbel: if coalesce(antal_personal, 1) > 1 then minuter else missing
  customer_month:
    x: {formula}
payments:
  hemtjänst:
    entity: customer_month
    category: hemtjänst
    formula: {payment}
"""

ROWS = {
    "customers": [{"customer_id": "K1", "district": "Centrum"}],
    "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
    "decisions": [
        {"decision_id": "D1", "customer_id": "K1", "provider_id": "P1", "service": "omsorg",
         "start_date": "2025-01-01", "granted_minutes": "600"},
        {"decision_id": "D2", "customer_id": "K1", "provider_id": "P1",
         "service": "trygghetslarm", "start_date": "2025-01-01", "granted_minutes": ""},
    ],
    "visits": [
        {"visit_id": "V1", "customer_id": "K1", "provider_id": "P1", "service": "omsorg",
         "start": "2025-03-04 09:00", "end": "2025-03-04 09:30", "antal_personal": "2"},
        {"visit_id": "V2", "customer_id": "K1", "provider_id": "P1", "service": "omsorg",
         "start": "2025-03-05 09:00", "end": "2025-03-05 10:00", "antal_personal": ""},
        {"visit_id": "V3", "customer_id": "K1", "provider_id": "P1",
         "service": "palliativt_vak", "start": "2025-03-06 22:00", "end": "2025-03-06 23:00",
         "antal_personal": ""},
    ],
}  # fmt: skip

EMPTY = "(`antal_personal` empty)"
CASES = [
    # (x, its value, the warning's message or None)
    (
        "sum(visits.personaltid)",
        60,
        "2 visit rows of 2025-03 had no value of `personaltid` and each added nothing to "
        f"the sum (in `x`): visit_id V2 {EMPTY}; visit_id V3 {EMPTY}",
    ),
    (
        'sum(visits.personaltid where service == "omsorg")',
        60,
        "1 visit row of 2025-03 had no value of `personaltid` and added nothing to the sum "
        f"(in `x`): visit_id V2 {EMPTY}",
    ),
    (
        "max(visits.antal_personal)",
        2,
        "2 visit rows of 2025-03 had no value of `antal_personal` and each was left out of "
        f"the largest (in `x`): visit_id V2 {EMPTY}; visit_id V3 {EMPTY}",
    ),
    (
        "sum(decisions.granted_minutes)",
        600,
        "1 decision row of 2025-03 had no value of `granted_minutes` and added nothing to "
        "the sum (in `x`): decision_id D2 (`granted_minutes` empty)",
    ),
    # a filter naming the outer row (tested on the pairs) was not looked at: exit 0
    (
        'sum(visits.personaltid where customer_month.customer.district == "Centrum")',
        60,
        "2 visit rows of 2025-03 had no value of `personaltid` and each added nothing to "
        f"the sum (in `x`): visit_id V2 {EMPTY}; visit_id V3 {EMPTY}",
    ),
    (
        'sum(visits.personaltid where service == "omsorg" and provider_id == '
        "customer_month.provider_id)",
        60,
        "1 visit row of 2025-03 had no value of `personaltid` and added nothing to the sum "
        f"(in `x`): visit_id V2 {EMPTY}",
    ),
    # the filter leaves the empty rows out: nothing is passed over
    ('sum(decisions.granted_minutes where service == "omsorg")', 600, None),
    ("sum(visits.personaltid where coalesce(antal_personal, 1) > 1)", 60, None),
    # the model says what an empty value means
    ("sum(visits.minst_en)", 180, None),
    # the model makes the value missing itself, and means it to be left out
    ("sum(visits.bara_dubbel)", 30, None),
    ("max(visits.bara_dubbel)", 30, None),
    # counting values is what `count(rows.field)` means
    ("count(visits.antal_personal)", 1, None),
]


def _model(tmp_path: Path, formula: str, payment: str = "0 SEK") -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(MODEL.format(formula=formula, payment=payment), encoding="utf-8")
    return path


@pytest.mark.parametrize(("formula", "value", "message"), CASES, ids=[c[0] for c in CASES])
def test_an_aggregation_passing_over_a_missing_value_is_named(tmp_path, formula, value, message):
    month = parse_month("2025-03")
    checked, _ = load(_model(tmp_path, formula), [month])
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    result = run_model(checked, data, [month])
    assert result.months[0].frames["customer_month"]["x"].to_list() == [value]
    skipped = [w for w in result.warnings if w.code == "skipped-missing"]
    assert [w.message for w in skipped] == ([message] if message else [])
    if message:
        [warning] = skipped
        assert warning.severity == "warning"
        assert warning.span is not None and warning.span.line == 19  # the line of `x`
        assert "coalesce(" in (warning.hint or "")


# The model makes a value missing on some rows, and an empty cell makes it missing on
# others: those were passed over in silence, exit 0 (Örebro paid a relief decision
# without its hours 0 kr: its share of the month reads a `min` over no rows, which the
# `min(end_date, …)` around it stands in for, and the run took all of it as meant).
BY_DESIGN = MODEL.replace(
    "  customer_month:\n",
    '    med_tak: min(personaltid, if service == "palliativt_vak" then 45 min else missing)\n'
    '    korta_utom: if service == "omsorg" and minuter < 45 min then missing else personaltid\n'
    "  customer_month:\n",
)
BY_DESIGN_CASES = [
    # V1 60 min, V3 45 (`min` skips a missing argument), V2 none: an empty cell
    ("sum(visits.med_tak)", 105, ["V2"]),
    # V1 (30 min of omsorg) is missing as the model says; V2 and V3 by an empty cell
    ("sum(visits.korta_utom)", 0, ["V2", "V3"]),
]


@pytest.mark.parametrize(("formula", "value", "named"), BY_DESIGN_CASES)
def test_a_value_missing_by_an_empty_cell_is_named_beside_one_missing_by_design(
    tmp_path, formula, value, named
):
    month = parse_month("2025-03")
    path = tmp_path / "model.yaml"
    path.write_text(BY_DESIGN.format(formula=formula, payment="0 SEK"), encoding="utf-8")
    checked, _ = load(path, [month])
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    result = run_model(checked, data, [month])
    assert result.months[0].frames["customer_month"]["x"].to_list() == [value]
    [warning] = [w for w in result.warnings if w.code == "skipped-missing"]
    field = formula.removeprefix("sum(visits.").removesuffix(")")
    rows = "; ".join(f"visit_id {v} {EMPTY}" for v in named)
    assert warning.message == (
        f"{len(named)} visit row{'s' if len(named) > 1 else ''} of 2025-03 had no value of "
        f"`{field}` and {'each ' if len(named) > 1 else ''}added nothing to the sum "
        f"(in `x`): {rows}"
    )


def _data(tmp_path: Path) -> Path:
    """ROWS as files; a decisions file has its `end_date` column (empty: open)."""
    decisions = [{**row, "end_date": row.get("end_date", "")} for row in ROWS["decisions"]]
    return csv_folder(tmp_path, {**ROWS, "decisions": decisions})


@pytest.mark.parametrize(
    ("formula", "payment"),
    [
        # the customer's time: 30 min × 2 staff, and nothing for the hour of V2
        ('sum(visits.personaltid where service == "omsorg")', "x * timpris"),
        # a payment with no value (a division by a zero from the data) was exit 0 too
        ("sum(decisions.granted_minutes where service == \"ledsagning\")",
         "1000 SEK * (sum(visits.minuter) / x)"),
    ],
    ids=["an aggregation passed over a row", "a payment had no value"],
)  # fmt: skip
def test_the_run_exits_5_and_strict_refuses(tmp_path, formula, payment):
    args = ["run", str(_model(tmp_path, formula, payment)), "--data", str(_data(tmp_path))]
    args += ["--month", "2025-03"]
    runner = CliRunner()
    ran = runner.invoke(main, [*args, "--out", str(tmp_path / "out")], catch_exceptions=False)
    assert ran.exit_code == 5, ran.output
    assert "slutstatus 5: 1 varning om värden som saknades där ett belopp behövde dem" in ran.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["values_missing"] == 1  # written, to be reviewed: on record
    assert {w["code"] for w in manifest["warnings"]} & {"skipped-missing", "bad-value"}
    strict = runner.invoke(main, [*args, "--out", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1, strict.output
    assert "error[skipped-missing]" in strict.output or "error[bad-value]" in strict.output
    assert not (tmp_path / "strict").exists()


MODEL_TEST = """\
model: model.yaml
defaults:
  input:
    customers: [{customer_id: K1, district: Centrum}]
    providers: [{provider_id: P1, name: Omsorg AB, ownership: private}]
  columns:
    visits: {customer_id: K1, provider_id: P1, service: omsorg}
tests:
  - name: en tom cell
    month: 2025-03
    input:
      visits:
        - {visit_id: V1, start: 2025-03-04 09:00, end: 2025-03-04 10:00, antal_personal: 1}
        - {visit_id: V2, start: 2025-03-05 09:00, end: 2025-03-05 10:00, antal_personal: null}
WARNINGS    output:
      customers:
        K1: {hemtjänst: EXPECTED}
"""


def _model_test(  # type: ignore[no-untyped-def]
    tmp_path: Path, expected: int, warnings: str = "", payment: str = "x * timpris"
):
    """`carepay test` on one case: a visit of an hour with one staff member, and one of
    an hour whose `antal_personal` is empty, expecting `expected` kr for the month."""
    _model(tmp_path, 'sum(visits.personaltid where service == "omsorg")', payment)
    path = tmp_path / "m_test.yaml"
    text = MODEL_TEST.replace("WARNINGS", warnings).replace("EXPECTED", str(expected))
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["test", str(path)])


def test_a_failing_model_test_shows_what_the_run_warned(tmp_path):
    # a payment reading the decisions, in a month with none: the run warns of that too
    ran = _model_test(tmp_path, expected=960, payment="x * timpris + count(decisions) * 1 SEK")
    assert ran.exit_code == 1
    assert "expected 960.00 SEK, got 480.00 SEK" in ran.output
    assert "the run warned [skipped-missing] 1 visit row of 2025-03" in ran.output
    assert "the run warned: [empty-month]" in ran.output  # and what else it said


def test_check_warns_where_a_definition_with_no_value_decides(tmp_path):
    """`personaltid` is missing where `antal_personal` is empty: a comparison of it is
    unknown there, and a visit the author meant to count is silently not counted."""
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    diags = Diagnostics()
    model = load_model(_model(tmp_path, "count(visits where personaltid > 45 min)"), diags)
    assert model is not None
    check(model, diags)
    [warning] = [d for d in diags if d.code == "nullable-comparison"]
    assert warning.message == (
        "`personaltid` has no value where `antal_personal` is empty, and there `>` is "
        "unknown, which counts as false"
    )
    assert warning.hint == (
        "say what an empty `antal_personal` means: coalesce(antal_personal, …) where it "
        "is read, or coalesce(personaltid > …, false) here"
    )
    diags = Diagnostics()
    model = load_model(_model(tmp_path, "count(visits where minst_en > 45 min)"), diags)
    assert model is not None
    check(model, diags)
    assert [d for d in diags if d.severity == "warning"] == []


UNKNOWN_CONDITIONS = [
    # (x, the warning, or None)
    ("count(visits where akut)",
     "`akut` can be empty, and where it is the `where` is unknown, which counts as false"),
    ("count(visits where not akut)",
     "`not akut` is unknown where `akut` is empty, and an unknown `where` counts as false"),
    ("count(visits where planerad and akut)",
     "`planerad and akut` is unknown where `akut` is empty, and an unknown `where` counts "
     "as false"),
    ("count(visits where coalesce(akut, false))", None),
    ("count(visits where planerad)", None),  # declared never empty
    ("if count(visits where not planerad) > 0 then 1 else 0", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("formula", "message"), UNKNOWN_CONDITIONS, ids=[c[0] for c in UNKNOWN_CONDITIONS]
)
def test_check_warns_where_a_yes_or_no_that_can_be_empty_decides(tmp_path, formula, message):
    """`where akut`, `if not akut`: unknown where the cell is empty, and so false — the
    visit neither counted as urgent nor as not urgent."""
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    diags = Diagnostics()
    model = load_model(_model(tmp_path, formula), diags)
    assert model is not None
    check(model, diags)
    assert not diags.errors, [d.render() for d in diags.errors]
    warnings = [d.message for d in diags if d.severity == "warning"]
    assert warnings == ([message] if message else [])


def test_explain_counts_the_rows_left_out(tmp_path):
    """A provider disputing the month sees that the hour of V2 was not counted, and why."""
    model = _model(tmp_path, 'sum(visits.personaltid where service == "omsorg")', "x * timpris")
    args = ["explain", "--lang", "en", str(model), "--data", str(_data(tmp_path))]
    args += ["--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--customer", "K1"], catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert "hemtjänst = 480.00 SEK" in ran.output
    assert (
        'sum(visits.personaltid where service == "omsorg") = 60 min (1.00 h)   '
        "(2 rows, 1 with no value left out)"
    ) in ran.output, ran.output
    assert "personaltid = (no value)   (visit V2)" in ran.output


def test_compare_and_simulate_say_what_was_set_aside_and_left_out(tmp_path):
    """Before, both said nothing of the rows rejected or the values missing: an analyst
    compared totals that left out part of the month without knowing it."""
    model = _model(tmp_path, 'sum(visits.personaltid where service == "omsorg")', "x * timpris")
    data = _data(tmp_path)
    visits = data / "visits.csv"
    visits.write_text(
        visits.read_text(encoding="utf-8")
        + "V4,K1,P1,Omsorg,2025-03-07 09:00,2025-03-07 10:00,1\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    common = ["--data", str(data), "--month", "2025-03"]
    for args in (
        ["compare", str(model), str(model)],
        ["simulate", str(model), "--set", "timpris=500"],
    ):
        ran = runner.invoke(main, [*args, *common], catch_exceptions=False)
        assert ran.exit_code == 0, ran.output
        assert ran.output.count("warning[rejected-rows]: 1 row rejected: `Omsorg`") == 1
        assert ran.output.count("warning[skipped-missing]: 1 visit row of 2025-03") == 1


def test_the_studio_marks_what_the_run_left_out(tmp_path):
    """An edit's answer carries the run's warnings beside the checker's, so the editor
    underlines the sum that passed over an empty cell."""
    from engine.workspace import edit, open_workspace

    model = _model(tmp_path, 'sum(visits.personaltid where service == "omsorg")', "x * timpris")
    ws = open_workspace(model, _data(tmp_path), [parse_month("2025-03")])
    answer = edit(ws, {"model.yaml": model.read_text(encoding="utf-8")})
    [skipped] = [d for d in answer["diagnostics"] if d["code"] == "skipped-missing"]
    assert skipped["severity"] == "warning"
    assert (skipped["file"], skipped["line"]) == ("model.yaml", 19)
    assert "visit_id V2 (`antal_personal` empty)" in skipped["message"]


def test_a_model_test_cannot_bless_an_amount_short_of_a_value(tmp_path):
    """A case whose expected amount is what the run paid after passing over an empty
    cell fails unless it expects the warning: a hand computation that skipped the same
    visit would otherwise pass in silence."""
    ran = _model_test(tmp_path, expected=480)
    assert ran.exit_code == 1, ran.output
    assert "the run warned [skipped-missing] 1 visit row of 2025-03" in ran.output
    assert "expect it: warnings: [skipped-missing]" in ran.output
    ran = _model_test(tmp_path, expected=480, warnings="    warnings: [skipped-missing]\n")
    assert ran.exit_code == 0, ran.output
