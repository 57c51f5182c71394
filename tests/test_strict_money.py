"""No silent wrong amount (issue 12): each case here paid a wrong amount, crashed or
said nothing on the engine before it, and each is exact to the öre."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import ROWS, csv_folder, evaluate, same

D = Decimal

NO_DECISIONS = {**copy.deepcopy(ROWS), "decisions": []}

# Aggregates over no rows are typed and comparable in both back ends (a month where the
# customer has visits but no decision rows): before, the vectorized run crashed.
EMPTY_AGGREGATES = [
    ("if max(decisions.granted_minutes) > 0 min then 1 SEK else 2 SEK", D(2), "money (SEK)"),
    ("if min(decisions.granted_minutes) == 0 min then 1 SEK else 2 SEK", D(2), "money (SEK)"),
    ("max(decisions.granted_minutes) == 0 min", None, "true/false"),
    ("coalesce(max(decisions.granted_minutes), 0 min) == 0 min", True, "true/false"),
    ("min(decisions.level)", None, "count"),
    ("max(decisions.start_date)", None, "date"),
    ("coalesce(max(decisions.start_date), month_start)", date(2024, 2, 1), "date"),
    ("sum(decisions.granted_minutes) + 10 min", D(10), "duration"),
    ("count(decisions) + 1", D(1), "count"),
    ("any(decisions)", False, "true/false"),
    ("all(visits.counted) and not any(decisions)", True, "true/false"),
]


@pytest.mark.parametrize(
    ("formula", "expected", "type_name"), EMPTY_AGGREGATES, ids=[c[0] for c in EMPTY_AGGREGATES]
)
def test_aggregates_over_no_rows(tmp_path, formula, expected, type_name):
    from engine import types as t

    result = evaluate(tmp_path, formula, "customer_month", rows=NO_DECISIONS)
    assert t.describe(result.type) == type_name
    assert same(result.compiled, expected), f"compiled {result.compiled!r}"
    assert same(result.interpreted, expected), f"interpreted {result.interpreted!r}"


# A look-up of a key the table does not list, with no `otherwise:`, stops the run at the
# formula, naming the rows and the keys (before: missing, then summed as 0 and paid 0).
LOOKUP_MISSES = [
    ("nivåbelopp[zone, level + 1]", "level 4", "decision_id B1"),
    ("nivåbelopp[zone, level / 2]", "level 1.5", "decision_id B1"),
    ('if service == "omsorg" then nivåbelopp[zone, 9] else 0 SEK', "level 9", "B1"),
]


def test_a_step_without_a_value_above_every_bracket_stops_the_run(tmp_path):
    """`step(x, table)` with x above every bracket and no third argument: before, it was
    missing and summed as 0 (Örebro's avlösning over 24 h paid nothing, silently)."""
    from engine.diagnostics import EngineError
    from tests.harness import FORMULA_LINE

    with pytest.raises(EngineError) as raised:
        evaluate(tmp_path, "step(granted_minutes / 1 h * 10 %, kontrollnivåer)", "decision")
    [error] = raised.value.diagnostics
    assert error.code == "lookup-miss"
    assert error.message == (
        "`kontrollnivåer` has no bracket for 1 decision row of 2024-02 (in `x`): "
        "decision_id B1: value 100 %"
    )
    assert error.span is not None and error.span.line == FORMULA_LINE


@pytest.mark.parametrize(("formula", "keys", "row"), LOOKUP_MISSES)
def test_lookup_miss_is_a_located_error(tmp_path, formula, keys, row):
    from engine.diagnostics import EngineError
    from tests.harness import FORMULA_LINE

    with pytest.raises(EngineError) as raised:
        evaluate(tmp_path, formula, "decision")
    [error] = raised.value.diagnostics
    assert error.code == "lookup-miss"
    assert "`nivåbelopp` has no value for 1 decision row of 2024-02 (in `x`)" in error.message
    assert keys in error.message and row in error.message
    assert error.span is not None and error.span.line == FORMULA_LINE


def _warnings(tmp_path, formula: str, entity: str = "decision") -> list:
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model
    from tests.harness import write_model

    diags = Diagnostics()
    model = load_model(write_model(tmp_path, formula, entity), diags)
    assert model is not None
    check(model, diags)
    assert not diags.errors, [d.render() for d in diags.errors]
    return [d for d in diags if d.severity == "warning"]


def test_check_reports_a_zone_a_table_does_not_cover(tmp_path):
    """A price list by zone lacking one of the model's zones checked clean and stopped
    the run (lookup-miss) at the first customer there; `check` now says so, as it does
    for a code list or a level."""
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    path = tmp_path / "model.yaml"
    path.write_text(
        "model: m\ntitle: T\nzones: {tätort: [Centrum], glesbygd: [Skären]}\n"
        "parameters:\n  pris: {unit: SEK, keys: [zone], values: {2025-01-01: {tätort: 100}}}\n"
        "payments:\n  p: {entity: customer_month, category: c, formula: 'pris[zone]'}\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    check(load_model(path, diags), diags)
    [warning] = [d for d in diags if d.severity == "warning"]
    assert warning.code == "lookup-domain"
    assert warning.message == (
        "`pris` (from 2025-01-01) has no `zone` for 1 value that `zone` can take: glesbygd"
    )
    path.write_text(path.read_text("utf-8").replace("{tätort: 100}", "{tätort: 100, glesbygd: 1}"))
    diags = Diagnostics()
    check(load_model(path, diags), diags)
    assert not list(diags)


def test_check_reports_keys_a_table_does_not_cover(tmp_path):
    """`level` is 1–29 by the decisions schema; `nivåbelopp` lists 1–3."""
    [warning] = _warnings(tmp_path, "nivåbelopp[zone, level]")
    assert warning.code == "lookup-domain"
    assert warning.message == (
        "`nivåbelopp` (from 2024-01-01) has no `level` for 26 values that `level` can "
        "take: 4, 5, 6, 7, 8, 9, 10, 11 …"
    )


@pytest.mark.parametrize(
    "formula",
    [
        "coalesce(nivåbelopp[zone, level], 0 SEK)",
        "if coalesce(level, 99) <= 3 then nivåbelopp[zone, level] else 0 SEK",
        "avlösning[level]",  # has `otherwise:`
    ],
)
def test_no_domain_warning_where_the_model_says_what_a_miss_means(tmp_path, formula):
    assert _warnings(tmp_path, formula) == []


@pytest.mark.parametrize(
    ("formula", "op"),
    [
        ('end_reason != "death"', "!="),
        ('end_reason not in ["death"]', "not in"),
        ("end_date > 2024-03-01", ">"),
        ("level < 3", "<"),
    ],
)
def test_check_warns_where_an_empty_value_decides(tmp_path, formula, op):
    [warning] = _warnings(tmp_path, formula)
    assert warning.code == "nullable-comparison"
    assert f"where it is `{op}` is unknown, which counts as false" in warning.message


# A value computed from a column that can be empty has no value where it is: before,
# only the column itself, compared as it is, was warned about.
COMPUTED = [
    ("add_months(end_date, 1) > 2024-03-01", "`add_months(end_date, 1)`", "`end_date` is"),
    ("granted_minutes * 2 >= 60 min", "`granted_minutes * 2`", "`granted_minutes` is"),
    ("round(special_amount) < 1000 SEK", "`round(special_amount)`", "`special_amount` is"),
    (
        "granted_minutes / 1 h * special_amount > 0 SEK",
        "`granted_minutes / 1 h * special_amount`",
        "`granted_minutes`, `special_amount` are",
    ),
    ("max(end_date, start_date) > 2024-03-01", None, None),  # one argument is enough
    ("coalesce(granted_minutes, 0 min) * 2 >= 60 min", None, None),
    ("granted_minutes > 0 min", "`granted_minutes`", None),  # the column, as before
    # the branch taken where the condition holds has what the condition compares
    # (the condition is the one warned about: an empty value takes the else branch)
    (
        "(if granted_minutes > 0 min then granted_minutes * 2 else 0 min) >= 60 min",
        "`granted_minutes`",
        None,
    ),
    (
        '(if service == "omsorg" then granted_minutes * 2 else 0 min) >= 60 min',
        '`if service == "omsorg" then granted_minutes * 2 else 0 min`',
        "`granted_minutes` is",
    ),
]


@pytest.mark.parametrize(("formula", "shown", "empty"), COMPUTED, ids=[c[0] for c in COMPUTED])
def test_check_warns_where_a_value_computed_from_an_empty_one_decides(
    tmp_path, formula, shown, empty
):
    warnings = _warnings(tmp_path, formula)
    if shown is None:
        assert warnings == []
        return
    [warning] = warnings
    assert warning.code == "nullable-comparison"
    if empty is None:  # the column itself, as before
        assert warning.message.startswith(shown + " can be empty")
        return
    assert warning.message.startswith(f"{shown} has no value where {empty} empty, and there")
    assert "coalesce(" in (warning.hint or "")


def test_an_aggregation_of_empty_values_still_has_one(tmp_path):
    """A sum passes over an empty value (and the run warns: `skipped-missing`), so
    it has a value to compare; only its own fields' filters are looked at."""
    formula = "sum(decisions.granted_minutes) > 0 min and max(decisions.level) > 0"
    assert _warnings(tmp_path, formula, "customer_month") == []


@pytest.mark.parametrize(
    "formula",
    [
        'coalesce(end_reason, "") != "death"',
        "coalesce(end_date > 2024-03-01, false)",
        'end_reason == "death"',  # an empty value is not "death": false is right
        'service != "omsorg"',  # never empty
    ],
)
def test_no_nullable_warning_where_the_model_says(tmp_path, formula):
    assert _warnings(tmp_path, formula) == []


MINIMAL = """\
model: m
title: m
parameters:
{parameter}
payments:
  p:
    entity: customer_month
    category: c
    formula: 1 SEK
"""

BAD_PARAMETERS = [
    (  # the `%` forgotten on one bracket: read as 5 000 %
        """  kontrollnivåer:
    unit: "%"
    values: {2024-01-01: [{under: 20 %, value: 40 %}, {under: 50, value: 70 %}]}""",
        "`under: 50` has no unit, and `kontrollnivåer` is in %",
        6,
    ),
    (
        """  kontrollnivåer:
    unit: "%"
    values: {2024-01-01: [{under: 20, value: 40}, {under: 40, value: 70}]}""",
        "`under: 20` has no unit, and `kontrollnivåer` is in %",
        6,
    ),
    (
        """  timpris:
    unit: SEK/h
    values: {2024-01-01: 450, 2025-01-01: "460 SEK/h"}""",
        "`timpris` mixes numbers with a unit (`460 SEK/h`) and without (`450`)",
        6,
    ),
    (
        """  nivåbelopp:
    unit: SEK
    keys: [level]
    values: {2024-01-01: {1: 1500 SEK, 2: 3000}}""",
        "`nivåbelopp` mixes numbers with a unit (`1500 SEK`) and without (`3000`)",
        7,
    ),
]


def _loading_errors(tmp_path: Path, parameter: str) -> list[Any]:
    """The errors of loading `MINIMAL` with `parameter`."""
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    path = tmp_path / "m.yaml"
    path.write_text(MINIMAL.format(parameter=parameter), encoding="utf-8")
    diags = Diagnostics()
    load_model(path, diags)
    return diags.errors


@pytest.mark.parametrize(("parameter", "message", "line"), BAD_PARAMETERS)
def test_parameter_values_need_their_unit_throughout(tmp_path, parameter, message, line):
    error = _loading_errors(tmp_path, parameter)[0]
    assert (error.code, error.message) == ("missing-unit", message)
    assert error.span is not None and error.span.line == line


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ("{2024-01-01: 2.5}", "`2.5` is not a whole number, and `minst_kunder` is a count"),
        ("{2024-01-01: 3}", None),
    ],
)
def test_a_count_parameter_is_a_whole_number(tmp_path, values, error):
    """A count of 2.5 customers was taken as written (a level of 2.5 to look up missed
    at the run instead of at the line that wrote it); `--set` reads values the same way."""
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    path = tmp_path / "m.yaml"
    parameter = f"  minst_kunder:\n    unit: count\n    values: {values}"
    path.write_text(MINIMAL.format(parameter=parameter), encoding="utf-8")
    diags = Diagnostics()
    load_model(path, diags)
    assert [(d.message, d.span.line if d.span else 0) for d in diags.errors] == (
        [(error, 6)] if error else []
    )


RESERVED = """\
model: m
title: m
definitions:
  {entity}:
    {name}: {formula}
payments:
  p:
    entity: customer_month
    category: c
    formula: 1 SEK
"""


@pytest.mark.parametrize(
    ("entity", "name", "formula", "taken"),
    [
        ("customer_month", "zone", '"landsbygd"', "a field of customer_month"),
        ("visit", "counted", "true", "a field of visit"),
        ("visit", "visit_id", '"V"', "a field of visit"),
        ("decision", "month_start", "2024-01-01", "a value every formula can read"),
        ("customer_month", "visits", "1", "the list of related rows of customer_month"),
    ],
)
def test_a_definition_cannot_hide_a_field(tmp_path, entity, name, formula, taken):
    """Before, a definition `zone` silently replaced the customer's zone everywhere."""
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    path = tmp_path / "m.yaml"
    path.write_text(RESERVED.format(entity=entity, name=name, formula=formula), encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None
    check(model, diags)
    [error] = [e for e in diags.errors if e.code == "reserved-name"]
    assert error.message.startswith(f"`{name}` is already {taken}")
    assert error.span is not None and error.span.line == 5


@pytest.mark.parametrize(
    ("formula", "then", "otherwise"),
    [
        (
            'if level > 2 or zone == "tätort" then 1 SEK else 2 SEK',
            'level > 2 or zone == "tätort"',
            'not (level > 2 or zone == "tätort")',
        ),
        ("if clock_adjusted then 1 SEK else 2 SEK", "clock_adjusted", "not clock_adjusted"),
    ],
)
def test_coverage_writes_the_else_side_as_the_negation(tmp_path, formula, then, otherwise):
    """Before: the else side of `if a or b` read `not a or b`."""
    from engine.api import parse_month, run_model
    from engine.checker import check
    from engine.coverage import rule_coverage
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model
    from tests.harness import dataset, write_model

    entity = "decision" if "level" in formula else "visit"
    diags = Diagnostics()
    model = load_model(write_model(tmp_path, formula, entity), diags)
    assert model is not None
    checked = check(model, diags)
    result = run_model(checked, dataset(), [parse_month("2024-02")])
    coverage = rule_coverage((m.plan, m.frames) for m in result.months)
    import polars as pl

    sides = coverage.filter((pl.col("rule") == "x") & (pl.col("branch") != ""))
    assert sides["condition"].to_list() == [then, otherwise]


def test_explain_shows_the_exact_amount_before_rounding():
    """Before: 903.105 was shown "before rounding 903.10" (rounded half-even)."""
    from engine import types as t
    from engine.explain import render_tree
    from engine.interpret import Trace

    trace = Trace("omsorg", "payment", D("903.11"), t.MONEY, raw=D("903.105"))
    assert "omsorg = 903.11 SEK   (before rounding 903.105 SEK)" in render_tree([trace], "")
    trace = Trace("omsorg", "payment", D("903.10"), t.MONEY, raw=D("903.1"))
    assert "(before rounding 903.10 SEK)" not in render_tree([trace], "")  # equal: not shown


@pytest.mark.parametrize(
    ("raw", "paid", "shown"),
    [
        ("903.105", "903.11", "(before rounding 903.105 SEK)"),
        ("12739.99999", "12740.00", "(before rounding 12 739.99999 SEK)"),
        ("12739.9999999999999999999999994400", "12740.00", None),  # noise: as paid
        ("-17.855", "-17.86", "(before rounding -17.855 SEK)"),
    ],
)
def test_before_rounding_is_shown_where_rounding_changed_the_amount(raw, paid, shown):
    """Ekby's hemtjänst of 12 740,00 kr read "(before rounding 12 740.00 SEK)": a sum of
    hours times a price held float noise (…99994), which rounding snaps away first."""
    from engine import types as t
    from engine.explain import render_tree
    from engine.interpret import Trace

    tree = render_tree([Trace("omsorg", "payment", D(paid), t.MONEY, raw=D(raw))], "")
    if shown is None:
        assert "before rounding" not in tree
    else:
        assert shown in tree


def test_explain_json_names_customer_provider_month_and_both_amounts():
    """A customer with two providers keeps both lines (before: keyed by payment name)."""
    import json
    from types import SimpleNamespace

    from engine import types as t
    from engine.explain import render_json
    from engine.interpret import Trace

    rows = [
        (
            SimpleNamespace(values={"provider_id": provider}),
            [Trace("omsorg", "payment", amount, t.MONEY, raw=raw, category="nivå")],
        )
        for provider, amount, raw in (("P1", D("903.11"), D("903.105")), ("P2", D(10), D(10)))
    ]
    document = json.loads(render_json("m", date(2024, 3, 1), "K1", rows))
    assert document["customer_id"] == "K1" and document["month"] == "2024-03"
    assert [
        (line["provider_id"], line["payment"], line["exact"], line["amount"], line["category"])
        for line in document["lines"]
    ] == [("P1", "omsorg", "903.105", "903.11", "nivå"), ("P2", "omsorg", "10", "10", "nivå")]


def test_model_tests_see_the_data_as_run_does(tmp_path):
    """Before: `carepay test` skipped the model's data requirements and zones, so a test
    passed on a decision that `carepay run` rejects."""
    from pathlib import Path

    from engine.testing import run_file

    root = Path(__file__).resolve().parent.parent
    case = tmp_path / "krav_test.yaml"
    case.write_text(
        f"model: {root / 'rules/orebro/omvardnad.yaml'}\n"
        "defaults:\n"
        "  input:\n"
        "    providers: [{ provider_id: P1, name: A, ownership: private }]\n"
        "    customers: [{ customer_id: K1, district: City norr }]\n"
        "tests:\n"
        "  - name: omsorgsbeslut utan nivå, tid eller belopp\n"
        "    month: 2024-03\n"
        "    input:\n"
        "      decisions:\n"
        "        - { decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,"
        " start_date: 2024-01-01 }\n"
        "    output:\n"
        "      customers:\n"
        "        K1: { omsorg: 0 }\n"
        "  - name: samma rad, med felet väntat\n"
        "    month: 2024-03\n"
        "    input:\n"
        "      decisions:\n"
        "        - { decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,"
        " start_date: 2024-01-01 }\n"
        "    errors: [{ code: missing-value, where: 'decisions:1:level' }]\n"
        "  - name: en kund i ett distrikt utan zon\n"
        "    month: 2024-03\n"
        "    input:\n"
        "      customers: [{ customer_id: K1, district: Atlantis }]\n"
        "      decisions:\n"
        "        - { decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,"
        " start_date: 2024-01-01, level: 3 }\n"
        "    output:\n"
        "      customers:\n"
        "        K1: { omsorg: 0 }\n",
        encoding="utf-8",
    )
    first, second, third = run_file(case)
    assert not first.passed and "varken nivå, beviljad tid eller avtalat belopp" in (
        first.error or ""
    )
    assert second.passed, second.failures
    assert not third.passed and "Atlantis" in (third.error or "")


def _sample_copy(tmp_path):
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(root / "examples/orebro", data)
    return root, data


def _run(*args: str):
    from click.testing import CliRunner

    from engine.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_month_without_data_is_loud_and_strict_refuses(tmp_path):
    """Before: --month 2025-02 on the sample paid 202 312.48 SEK of fixed amounts, exit 0."""
    root, data = _sample_copy(tmp_path)
    args = ["run", str(root / "rules/orebro"), "--data", str(data), "--month", "2025-02"]
    code, out = _run(*args, "--out", str(tmp_path / "out"))
    assert code == 4
    # (202 312.48 SEK before every price was indexed, #14 item 8)
    assert "2025-02 has no visits in the data, yet pays 205 163.18 SEK" in out
    assert "slutstatus 4: inget besök räknat i 2025-02" in out
    code, out = _run(*args, "--out", str(tmp_path / "strict"), "--strict")
    assert code == 1 and "error[empty-month]" in out
    assert not (tmp_path / "strict").exists()


def test_a_month_with_visits_and_no_decision_in_force_exits_4(tmp_path):
    """A decisions export of the wrong month: the visits were paid, every granted fee was
    0 kr, the run warned and exited 0 — a batch script paid it."""
    model = tmp_path / "model.yaml"
    model.write_text(
        "model: m\ntitle: m\npayments:\n"
        "  tid: { entity: customer_month, category: tid,"
        " formula: count(visits where counted) * 100 SEK }\n"
        "  larm: { entity: customer_month, category: larm, formula: if any(decisions where"
        ' service == "trygghetslarm") then 300 SEK else 0 SEK }\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    data.mkdir()
    tables = {
        "customers": "customer_id,district\nK1,Centrum\n",
        "providers": "provider_id,name,ownership\nP1,A,private\n",
        "visits": "visit_id,customer_id,provider_id,service,start,end\n"
        "V1,K1,P1,omsorg,2025-03-04 09:00,2025-03-04 10:00\n",
        "decisions": "decision_id,customer_id,provider_id,service,start_date,end_date\n"
        "D1,K1,P1,trygghetslarm,2025-01-01,2025-02-28\n",
    }
    for name, text in tables.items():
        (data / f"{name}.csv").write_text(text, encoding="utf-8")
    args = ["run", str(model), "--data", str(data), "--month", "2025-03"]
    code, out = _run(*args, "--out", str(tmp_path / "out"))
    assert code == 4, out
    assert "2025-03 has no decisions in force in the data, yet pays 100.00 SEK" in out
    assert "slutstatus 4: inga beslut i kraft i 2025-03" in out
    february = [*args[:-1], "2025-02", "--out", str(tmp_path / "feb")]
    code, out = _run(*february)
    assert code == 4 and "inget besök räknat i 2025-02" in out  # no visit comes first


def test_a_month_whose_visits_were_all_rejected_is_not_said_to_have_none(tmp_path):
    """A month whose two visits were both rejected "has no visits in the data": it had
    two. It now has none to count, and the hint names the rejected rows; a visit that
    ends "before" it starts in the hour the clocks go back says why it may seem so."""
    from tests.test_data import MODEL, write

    data = write(
        tmp_path,
        visits=(
            "visit_id,customer_id,provider_id,staff_id,staff_role,service,start,end,"
            "registration,reported_at,clock_adjusted,declined\n"
            "V1,K1,P1,S1,care,omsorg,2024-10-27 02:40,2024-10-27 02:10,tag,,false,false\n"
            "V2,K2,P1,S1,care,omsorg,2024-10-28 08:00,2024-10-28 07:00,tag,,false,false\n"
        ),
    )
    args = ["run", str(MODEL), "--data", str(data), "--month", "2024-10"]
    code, out = _run(*args, "--out", str(tmp_path / "out"))
    assert code == 4, out
    assert "2024-10 has no visits to count, yet pays" in out
    assert "hint: 2 rows of visits were rejected (rejects.csv): if they are this month's" in out
    assert "has no visits in the data" not in out
    repeated = out.split("`end` 2024-10-27 02:10:00 is before `start` 2024-10-27 02:40:00")[1]
    assert repeated.split("\n")[1].startswith(
        "   = hint: the clocks went back at 03:00 on 2024-10-27, so 02:00–03:00 came twice"
    )
    other = out.split("`end` 2024-10-28 07:00:00 is before")[1]
    assert "clocks" not in other.split("\n")[1]


def test_exit_status_tells_clean_from_rejected(tmp_path):
    root, data = _sample_copy(tmp_path)
    args = ["run", str(root / "rules/orebro"), "--data", str(data), "--month", "2024-02"]
    code, _ = _run(*args, "--out", str(tmp_path / "clean"))
    assert code == 0
    lines = (data / "decisions.csv").read_text(encoding="utf-8").splitlines()
    # an omsorg decision with a level that is not a number: rejected
    index, row = next(
        (i, line) for i, line in enumerate(lines) if ",omsorg,2023" in line and ",12," in line
    )
    lines[index] = row.replace(",12,", ",tolv,", 1)
    (data / "decisions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = _run(*args, "--out", str(tmp_path / "rejected"))
    assert code == 3, out
    assert "slutstatus 3: 1 rad avvisad" in out
    # its customer's visits are now not granted, and the summary says why
    assert "warning[follows-rejection]" in out
    assert f"whose decisions rows were rejected (decisions.csv rows {index + 1})" in out
    assert "`ej_beviljad`" in out


INDEXED = """\
model: m
title: m
parameters:
  opi: {unit: number, values: {2024-04-01: 5.4}}
  krav: {unit: number, values: {2024-04-01: 1.0}}
  timpris:
    unit: SEK/h
    values: {2023-04-01: 376.7625}
    indexation: {factor: 1 + (opi - krav) / 100, from: 2024-04-01, round: 1}
  avgift:
    unit: SEK
    values: {2023-04-01: 40.61}
    indexation: {factor: 1 + (opi - krav) / 100, from: 2024-04-01, round: 0.1}
payments:
  p:
    entity: customer_month
    category: c
    formula: 1 h * timpris + avgift
"""


def test_indexation_rounds_in_the_parameters_own_unit(tmp_path):
    """376.7625 SEK/h × 1.044 = 393.340... SEK/h, rounded to 393 SEK/h (before: to whole
    SEK per minute, 24 × 60 = 1 440 SEK/h). 40.61 SEK × 1.044 = 42.39684 SEK → 42.4 SEK
    (`round: 0.1`). A share is not indexed (`tests/test_loader.py`)."""
    from engine.checker import check
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model
    from engine.plan import value_in_force

    path = tmp_path / "m.yaml"
    path.write_text(INDEXED, encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None
    checked = check(model, diags)
    assert not diags.errors
    day = date(2024, 4, 1)
    rate = value_in_force(checked, model.parameters["timpris"], day, diags)
    fee = value_in_force(checked, model.parameters["avgift"], day, diags)
    assert rate * 60 == D(393)
    assert fee == D("42.4")


# `min` and `max` of values skip one with no value and take the others: a cap that is a
# `max` over no rows (a customer with visits but no decision) or computed from an empty
# cell silently did not apply — `min(utförd, tak)` paid every minute, with no word from
# `check` or the run. Dates are left alone (an empty end is an open one).
SKIPPED_ARGUMENTS = [
    (
        "min(sum(visits.minutes), max(decisions.granted_minutes))",
        "customer_month",
        "`min(sum(visits.minutes), max(decisions.granted_minutes))` skips "
        "`max(decisions.granted_minutes)` where it has no value "
        "(when `max(decisions.granted_minutes)` is over no rows) and is then the smallest of the "
        "others",
    ),
    (
        'max(sum(visits.minutes) - max(decisions.granted_minutes where service == "omsorg"), 0 min)',
        "customer_month",
        "`max(sum(visits.minutes) - max(decisions.granted_minutes where …), 0 min)` skips "
        "`sum(visits.minutes) - max(decisions.granted_minutes where …)` where it has no value "
        "(when `max(decisions.granted_minutes where …)` is over no rows) and is then the largest "
        "of the others",
    ),
    (
        "min(granted_minutes * 2, 60 min)",
        "decision",
        "`min(granted_minutes * 2, 60 min)` skips `granted_minutes * 2` where it has no value "
        "(when `granted_minutes` is empty) and is then the smallest of the others",
    ),
    (  # through a definition, and past an `if` that asks about other rows
        "if any(visits) then min(sum(visits.minutes), coalesce(max(decisions.level), 1) * 60 min"
        " + max(decisions.granted_minutes)) else 0 min",
        "customer_month",
        "(when `max(decisions.granted_minutes)` is over no rows)",
    ),
    (  # a share capped at 100 % is 100 % where nothing is granted: x / 0 has no value
        "min(100 %, sum(visits.minutes) / sum(decisions.granted_minutes))",
        "customer_month",
        "(when `sum(decisions.granted_minutes)` is 0) and is then the smallest of the others",
    ),
    (
        "max(special_amount / granted_minutes * 60 min, 0 SEK)",
        "decision",
        "(when `granted_minutes` is 0 or `granted_minutes` is empty or `special_amount` is empty)",
    ),
]


@pytest.mark.parametrize(
    ("formula", "entity", "message"), SKIPPED_ARGUMENTS, ids=[c[0] for c in SKIPPED_ARGUMENTS]
)
def test_check_warns_where_min_or_max_skips_an_argument(tmp_path, formula, entity, message):
    [warning] = _warnings(tmp_path, formula, entity)
    assert warning.code == "skipped-argument"
    assert message in warning.message
    assert (warning.hint or "").startswith("say what no value means: coalesce(")


@pytest.mark.parametrize(
    ("formula", "entity"),
    [
        ("min(end_date, start_date + 30 days)", "decision"),  # an empty end is open
        ("min(coalesce(granted_minutes, 0 min), 60 min)", "decision"),
        (
            "min(sum(visits.minutes), coalesce(max(decisions.granted_minutes), 0 min))",
            "customer_month",
        ),
        (  # the `if` asks whether there are decision rows
            "if any(decisions) then min(sum(visits.minutes), max(decisions.granted_minutes))"
            " else 0 min",
            "customer_month",
        ),
        ("min(sum(visits.minutes), if true then 60 min else missing)", "customer_month"),
        ("max(sum(decisions.granted_minutes), 60 min)", "customer_month"),  # never missing
        (  # the `if` asks about the divisor, on either branch
            "if sum(decisions.granted_minutes) == 0 min then 0 % "
            "else min(100 %, sum(visits.minutes) / sum(decisions.granted_minutes))",
            "customer_month",
        ),
        (
            "if sum(decisions.granted_minutes) > 0 min "
            "then min(100 %, sum(visits.minutes) / sum(decisions.granted_minutes)) else 0 %",
            "customer_month",
        ),
        ("min(100 %, sum(visits.minutes) / 600 min)", "customer_month"),  # a written divisor
        ("min(100 %, sum(visits.minutes) / (days_in_month * 1 days))", "customer_month"),
    ],
)
def test_no_skipped_argument_warning_where_the_model_says(tmp_path, formula, entity):
    assert _warnings(tmp_path, formula, entity) == []


def test_a_cap_over_no_rows_is_paid_uncapped_as_the_docs_say(tmp_path):
    """What the warning is about: the customer has visits (60 min) and no decision, and
    the `min` is the visits' minutes alone, in both back ends."""
    from tests.harness import evaluate

    formula = "min(sum(visits.minutes), max(decisions.granted_minutes))"
    result = evaluate(tmp_path, formula, "customer_month", rows=NO_DECISIONS)
    assert same(result.compiled, D(result.interpreted))
    assert result.interpreted == sum_of_visit_minutes(NO_DECISIONS)


def sum_of_visit_minutes(rows) -> Decimal:
    from datetime import datetime

    total = Decimal(0)
    for visit in rows["visits"]:
        start = datetime.fromisoformat(visit["start"])
        end = datetime.fromisoformat(visit["end"])
        total += Decimal(int((end - start).total_seconds()) // 60)
    return total


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (6000.0, "min", "value 6000 min (100 h)"),  # a band of hours: the hours beside
        (95.0, "min", "value 95 min (1.58 h)"),
        (1.0, "%", "value 100 %"),
        (None, "min", "value None min"),  # no value: nothing to convert
    ],
)
def test_a_missed_brackets_value_is_shown_in_hours_too(value, unit, shown):
    """Sjöby's `step(beviljade_timmar, månadsbelopp)` with brackets `up_to: 80 h` and
    100 h granted said "value 6000 min": the controller had to convert to find the
    bracket missing. The minutes stay (the unit durations are counted in)."""
    from engine.compile import _miss_example

    factor = (100, 1) if unit == "%" else (1, 1)
    row = {"customer_id": "S1", "__key_0": value}
    assert (
        _miss_example(row, ["customer_id"], ("value",), unit, factor) == f"customer_id S1: {shown}"
    )


ROUNDED = """\
model: avrundning
title: avrundning
rounding: {{ to: 0.01, mode: {mode} }}
payments:  # to a tenth of an öre, written with a fourth decimal (17.855 SEK: 17 855?)
  avdrag: {{ entity: customer_month, category: a, formula: -17.8550 SEK * count(visits) }}
  tillagg: {{ entity: customer_month, category: b, formula: 17.8550 SEK * count(visits) }}
"""


@pytest.mark.parametrize(
    ("mode", "deduction", "supplement"),
    [("half_up", "-17.86", "17.86"), ("half_even", "-17.86", "17.86"),
     ("down", "-17.85", "17.85")],
)  # fmt: skip
def test_a_deduction_is_rounded_as_docs_language_md_says(tmp_path, mode, deduction, supplement):
    """`down` is towards zero, `half_up` half away from zero, for a deduction too; the
    run's statement line (Polars) and explain (exact decimals) alike."""
    model = tmp_path / "m.yaml"
    model.write_text(ROUNDED.format(mode=mode), encoding="utf-8")
    data = csv_folder(
        tmp_path,
        {
            "customers": [{"customer_id": "K1", "district": "Centrum"}],
            "providers": [{"provider_id": "P1", "name": "A", "ownership": "private"}],
            "visits": [{"visit_id": "V1", "customer_id": "K1", "provider_id": "P1",
                        "service": "omsorg", "start": "2026-10-01 08:00",
                        "end": "2026-10-01 09:00"}],
        },
    )  # fmt: skip
    args = ["--data", str(data), "--month", "2026-10"]
    ran = CliRunner().invoke(main, ["run", str(model), *args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    lines = (tmp_path / "o/statement_lines.csv").read_text(encoding="utf-8")
    assert f",avdrag,,a,,,{deduction}," in lines and f",tillagg,,b,,,{supplement}," in lines
    explained = CliRunner().invoke(
        main, ["explain", "--lang", "en", str(model), *args, "--customer", "K1"]
    )
    assert f"avdrag = {deduction} SEK" in explained.output, explained.output
    assert f"tillagg = {supplement} SEK" in explained.output


@pytest.mark.parametrize(
    ("to", "said"),
    [
        # `to: 0.001` rounded −17,855 to −17,855 and then, keeping the line in öre, a
        # second time to −17,86: the docs promise each line one rounding
        ("0.001", "`rounding: to: 0.001` is not a whole number of öre"),
        # YAML's infinity stopped `check` with a traceback (InvalidOperation)
        (".inf", "`rounding: to: inf` is no amount to round to"),
        (".nan", "`rounding: to: nan` is no amount to round to"),
    ],
)
def test_a_rounding_to_no_whole_number_of_ore_is_an_error(tmp_path, to, said):
    model = tmp_path / "m.yaml"
    model.write_text(ROUNDED.format(mode="half_up").replace("0.01", to), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert f"m.yaml:3:17: error[schema]: {said}" in result.output


def test_a_unit_without_a_quantity_is_warned_of(tmp_path):
    """`unit: besök` with no `quantity:` checked clean, and every line said `besök`
    beside an empty quantity."""
    model = tmp_path / "m.yaml"
    model.write_text(
        "model: q\ntitle: q\npayments:\n  a: { entity: customer_month, category: a, "
        "formula: 10 SEK * count(visits), unit: besök }\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 0, result.output
    assert (
        "m.yaml:4:3: warning[missing-quantity]: `unit: besök` labels the line's quantity, but "
        "`a` has no `quantity:`"
    ) in result.output


# A parameter's range: an amount, a rate or a time is at least 0 unless the parameter
# declares its `minimum:`; `maximum:` bounds it above. Before, `-455` typed for a price
# paid every hour backwards, exit 0, and `--set`, `--sweep` and the studio took any
# value. Each case: the parameter, the error's code and message (None: it loads), line.
PARAMETER_RANGES = [
    ("  timpris:\n    unit: SEK/h\n    values: {2024-01-01: -455}",
     ("out-of-range", "`-455` is below 0, and `timpris` is rate (SEK/h)"), 6),
    ("  timpris:\n    unit: SEK/h\n    minimum: -500\n    values: {2024-01-01: -455}", None, 0),
    ("  timpris:\n    unit: SEK/h\n    minimum: -400 SEK/h\n    values: {2024-01-01: -455}",
     ("out-of-range", "`-455` is below the least value of `timpris` (-400 SEK/h)"), 7),
    ("  frist:\n    unit: days\n    values: {2024-01-01: -5}",
     ("out-of-range", "`-5` is below 0, and `frist` is duration"), 6),
    ("  andel:\n    unit: \"%\"\n    values: {2024-01-01: -5}", None, 0),  # a share may fall
    ("  andel:\n    unit: \"%\"\n    maximum: 100\n    values: {2024-01-01: 120}",
     ("out-of-range", "`120` is above the most `andel` may be (100 %)"), 7),
    ("  belopp:\n    unit: SEK\n    keys: [zone]\n    values: {2024-01-01: {tätort: 10, landsbygd: -1}}",
     ("out-of-range", "`-1` is below 0, and `belopp` is money (SEK)"), 7),
    ("  belopp:\n    unit: SEK\n    keys: [zone]\n    otherwise: -5\n    values: {2024-01-01: {tätort: 10}}",
     ("out-of-range", "`-5` is below 0, and `belopp` is money (SEK)"), 7),
    ("  trappa:\n    unit: SEK\n    values: {2024-01-01: [{under: 10 h, value: 5}, {under: 20 h, value: -5}]}",
     ("out-of-range", "`-5` is below 0, and `trappa` is money (SEK)"), 6),
    ("  timpris:\n    unit: SEK/h\n    minimum: 10 min\n    values: {2024-01-01: 455}",
     ("unit-mismatch", "`minimum: 10 min` is duration, but `timpris` is rate (SEK/h)"), 6),
    ("  timpris:\n    unit: SEK/h\n    minimum: 500\n    maximum: 400\n    values: {2024-01-01: 455}",
     ("schema", "`timpris` may be at most 400 SEK/h, less than its least value 500 SEK/h"), 7),
    ("  namn:\n    unit: text\n    minimum: 1\n    values: {2024-01-01: a}",
     ("schema", "`minimum:` bounds a parameter of numbers; `namn` is not one"), 6),
]  # fmt: skip


@pytest.mark.parametrize(("parameter", "error", "line"), PARAMETER_RANGES)
def test_a_parameters_values_are_within_its_range(tmp_path, parameter, error, line):
    errors = _loading_errors(tmp_path, parameter)
    if error is None:
        assert not errors, [e.render() for e in errors]
        return
    found = errors[0]
    assert (found.code, found.message) == error, found.render()
    assert found.span is not None and found.span.line == line, found.render()


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--set", "vak_timpris=-450 kr/h"], "--set vak_timpris=-450 kr/h: `-450 kr/h` is below 0"),
        (["--sweep", "vak_timpris=-100:100:50 kr/h"], "--sweep vak_timpris=-100 kr/h: `-100 kr/h`"),
    ],
)
def test_a_study_sets_no_value_below_a_parameters_range(option, said):
    """`--set` and `--sweep` read a value as the rule file's own: a negative hourly
    rate is refused before any run, named by the option the user wrote."""
    root = Path(__file__).resolve().parent.parent
    args = ["simulate", str(root / "rules/orebro"), "--data", str(root / "examples/orebro")]
    args += ["--month", "2024-02"]
    ran = CliRunner().invoke(main, [*args, *option])
    assert ran.exit_code == 1 and "error[out-of-range]: " + said in ran.output, ran.output


def test_diff_says_a_parameters_changed_range(tmp_path):
    """A range declared (a rate allowed below 0, and a most) changes which values a
    study may set: `carepay diff` says so, the implicit least value 0 as such."""
    text = MINIMAL.format(parameter="  timpris:\n    unit: SEK/h\n    values: {2024-01-01: 455}")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    ranged = "    unit: SEK/h\n    minimum: -50\n    maximum: 900 SEK/h\n"
    new.write_text(text.replace("    unit: SEK/h\n", ranged), encoding="utf-8")
    diffed = CliRunner().invoke(main, ["diff", str(old), str(new)])
    said = "- Parametern `timpris` ändras\n    minst: 0 SEK/h → -50 SEK/h\n    högst: ingen → 900 SEK/h"
    assert said in diffed.output, diffed.output


@pytest.mark.parametrize(
    ("written", "error"),
    [
        ("0.8", "`0.8` in `andel` (unit: %) is 0.8 %, not 80 %"),  # a fraction, per cents
        ('"0,06"', "`0,06` in `andel` (unit: %) is 0.06 %, not 6 %"),
        ('"0.8 %"', None),  # a small share written with its sign
        ("80", None),
        ("0", None),
    ],
)
def test_a_fraction_written_bare_in_a_per_cent_parameter(tmp_path, written, error):
    """Per cents are written as plain numbers in a `unit: "%"` parameter, so 0.8 was
    0.8 % — where 80 % was meant, a hundredth of the share paid, with exit 0. A plain
    number between 0 and 1 there is an error at its line; a share that small is
    written with its sign."""
    parameter = f'  andel:\n    unit: "%"\n    values: {{2024-01-01: {written}}}'
    errors = _loading_errors(tmp_path, parameter)
    if error is None:
        assert not errors, [e.render() for e in errors]
    else:
        assert [(e.code, e.message, e.span and e.span.line) for e in errors] == [
            ("unit-mismatch", error, 6)
        ]


def test_a_study_sets_no_fraction_for_a_per_cent():
    """`--set momssats=0,06` (Örebro's VAT compensation, 6 %) was 0.06 %: refused."""
    root = Path(__file__).resolve().parent.parent
    args = ["simulate", str(root / "rules/orebro"), "--data", str(root / "examples/orebro")]
    ran = CliRunner().invoke(main, [*args, "--month", "2024-02", "--set", "momssats=0,06"])
    said = "--set momssats=0,06: `0,06` in `momssats` (unit: %) is 0.06 %, not 6 %"
    assert ran.exit_code == 1 and said in ran.output, ran.output


def test_a_goal_seek_stays_within_a_parameters_range():
    """Örebro's `kontrollnivåer` are 0-100 % of the level amount: a goal seek for a
    total no value within them reaches says so, and names the range it kept to (it
    named only that values below 0 are not tried)."""
    root = Path(__file__).resolve().parent.parent
    args = ["simulate", str(root / "rules/orebro"), "--data", str(root / "examples/orebro")]
    args += ["--month", "2024-02", "--solve", "kontrollnivåer[2].value", "--target", "+50 %"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 1, ran.output
    assert "no value of `kontrollnivåer[2].value` reaches that total" in ran.output
    assert "`kontrollnivåer` is at least 0 % and at most 100 %" in ran.output, ran.output
