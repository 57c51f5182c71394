"""A comparison with an empty value is unknown, and unknown counts as false — as the
check warns (`nullable-comparison`: "can be empty"). At run time that was the only word:
`if customer.avstånd_km > 10 then … else 0 SEK` paid a customer whose distance was empty
0 kr, exit 0. The run now names the rows where such a comparison left its decision
unknown (an `if`'s condition, an exclusion's `when`, a yes-or-no definition) and exits
5; a comparison that decided nothing (`false and unknown` is false) is not named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.api import load, parse_month, run_model
from engine.cli import main
from engine.data import dataset_from_rows
from tests.test_skipped_argument import HEAD, ROWS, _write

MODEL = (
    HEAD
    + """\
definitions:
  visit:
    ja: {visit}
  customer_month:
    resa: {formula}
exclusions:
  e:
    when: {when}
    reason: utesluten
payments:
  ersättning:
    entity: customer_month
    category: ersättning
    formula: resa + count(visits where counted) * 1 SEK
"""
)

FAR = "if customer.avstånd_km > 10 then 5 SEK else 0 SEK"
LONG = "count(visits where end - start > 45 min)"
SHARE = f"count(visits) / {LONG}"
UNKNOWN_SHARE = (
    "`count(visits) / count(visits where …) >= 1` was unknown, which counts as false, for 1 "
    "customer_month row of 2025-03 (in `resa`; `count(visits where …)` is 0): customer_month "
    "K1, P1"
)
CASES = [
    # (customer_month's `resa`, visit's yes-or-no `ja`, the exclusion's `when`,
    #  resa of K1 and K2, the visits counted, the run's warnings)
    (FAR, "true", "false", [0, 5], ["V1", "V2"],
     ["`customer.avstånd_km > 10` was unknown, which counts as false, for 1 customer_month "
      "row of 2025-03 (in `resa`; `avstånd_km` empty): customer_month K1, P1"]),
    # a yes-or-no of its own: V1 has no `tak`
    ("0 SEK", "tak > 40 min", "false", [0, 0], ["V1", "V2"],
     ["`tak > 40 min` was unknown, which counts as false, for 1 visit row of 2025-03 (in "
      "`ja`; `tak` empty): visit V1"]),
    # an exclusion's `when`: V1 is not excluded (V2's cap of 45 minutes is)
    ("0 SEK", "true", "tak < 50 min", [0, 0], ["V1"],
     ["`tak < 50 min` was unknown, which counts as false, for 1 visit row of 2025-03 (in "
      "`e`; `tak` empty): visit V1"]),
    # an aggregation's filter: V1 is left out of the count
    ("count(visits where tak > 40 min) * 1 SEK", "true", "false", [0, 1], ["V1", "V2"],
     ["the filter `tak > 40 min` was unknown, which counts as false, for 1 visit row of "
      "2025-03, left out of `count(visits)` (in `resa`; `tak` empty): visit_id V1"]),
    # the pairs of a row with each of its related rows: K2's V2 (a cap of 45 minutes) is
    # counted by its own part, K1's V1 (no cap, no distance) left out, and named
    ("count(visits where tak > 40 min or customer_month.customer.avstånd_km > 10) * 1 SEK",
     "true", "false", [0, 1], ["V1", "V2"],
     ["the filter `tak > 40 min or customer_month.customer.avstånd_km > 10` was unknown, which "
      "counts as false, for 1 visit row of 2025-03, left out of `count(visits)` (in `resa`; "
      "`avstånd_km`, `tak` empty): visit_id V1"]),
    # decided without it: V1 is omsorg, so `service == "service" and …` is false
    ("0 SEK", 'service == "service" and tak > 40 min', "false", [0, 0], ["V1", "V2"], []),
    # on no row the `if` took: K1's month has one visit
    (f"if count(visits) > 1 then ({FAR}) else 0 SEK", "true", "false", [0, 0], ["V1", "V2"],
     []),
    # the model says what an empty value means: no warning in the check or the run
    ("if coalesce(customer.avstånd_km, 0) > 10 then 5 SEK else 0 SEK", "true", "false",
     [0, 5], ["V1", "V2"], []),
    # a division by a value of the data that is 0: K1 has no visit over 45 minutes (a
    # customer paused all month divided by no paid time took the other branch, exit 0)
    (f"if {SHARE} >= 1 then 5 SEK else 0 SEK", "true", "false", [0, 5], ["V1", "V2"],
     ["`count(visits) / count(visits where …) >= 1` was unknown, which counts as false, for "
      "1 customer_month row of 2025-03 (in `resa`; `count(visits where …)` is 0): "
      "customer_month K1, P1"]),
    # in an aggregation's filter: V1 lasts 30 minutes, and is left out
    ("count(visits where 60 min / (end - start - 30 min) > 1) * 1 SEK", "true", "false",
     [0, 1], ["V1", "V2"],
     ["the filter `60 min / (end - start - 30 min) > 1` was unknown, which counts as false, "
      "for 1 visit row of 2025-03, left out of `count(visits)` (in `resa`; "
      "`end - start - 30 min` is 0): visit_id V1"]),
    # the other side of an `and` asks about it: false there, whatever the share is
    (f"if {LONG} > 0 and {SHARE} >= 1 then 5 SEK else 0 SEK", "true", "false", [0, 5],
     ["V1", "V2"], []),
    # asked first: the model says what no such visit means
    (f"if {LONG} == 0 then 0 SEK else (if {SHARE} >= 1 then 5 SEK else 0 SEK)", "true",
     "false", [0, 5], ["V1", "V2"], []),
    # asked, but not so that the 0 is kept out: the check takes the ask on trust, and K1
    # took the other branch with no word (a mutant of Norrtälje's avdrag_under_80, whose
    # customer paused all month was paid without a warning, exit 0)
    (f"if {LONG} >= 0 and {SHARE} >= 1 then 5 SEK else 0 SEK", "true", "false", [0, 5],
     ["V1", "V2"], [UNKNOWN_SHARE]),
    (f"if {LONG} < 0 then 0 SEK else (if {SHARE} >= 1 then 5 SEK else 0 SEK)", "true",
     "false", [0, 5], ["V1", "V2"], [UNKNOWN_SHARE]),
]  # fmt: skip


def _model(tmp_path: Path, formula: str, visit: str, when: str) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(MODEL.format(formula=formula, visit=visit, when=when), encoding="utf-8")
    return path


@pytest.mark.parametrize(("formula", "visit", "when", "resa", "counted", "said"), CASES)
def test_an_unknown_decision_is_named_where_it_was_made(
    tmp_path, formula, visit, when, resa, counted, said
):
    month = parse_month("2025-03")
    checked, _ = load(_model(tmp_path, formula, visit, when), [month])
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    result = run_model(checked, data, [month])
    frames = result.months[0].frames
    assert frames["customer_month"].sort("customer_id")["resa"].to_list() == resa
    visits = frames["visit"].filter("counted").sort("visit_id")
    assert visits["visit_id"].cast(str).to_list() == counted
    warned = [w for w in result.warnings if w.code == "nullable-comparison" and w.where]
    assert [w.message for w in warned] == said
    assert result.incomplete() == warned
    assert not any(c.startswith("__unknown__") for f in frames.values() for c in f.columns)


def test_a_flag_pays_nothing_and_is_not_named(tmp_path):
    """A flag's `when` decides no amount: where it is unknown the check warns, and the
    run does not exit 5 for it."""
    text = MODEL.format(formula="0 SEK", visit="true", when="false")
    text = text.replace(
        "exclusions:", "flags:\n  f:\n    when: tak < 50 min\n    reason: titta\nexclusions:"
    )
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    month = parse_month("2025-03")
    checked, warnings = load(path, [month])
    assert [w.code for w in warnings] == ["nullable-comparison"]  # the check's
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    result = run_model(checked, data, [month])
    assert result.incomplete() == []
    assert result.months[0].flags["visit_id"].cast(str).to_list() == ["V2"]


def test_the_run_exits_5(tmp_path):
    model = _model(tmp_path, FAR, "true", "false")
    args = ["run", str(model), "--data", str(_write(tmp_path)), "--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 5, ran.output
    assert "was unknown, which counts as false, for 1 customer_month row" in ran.output


def test_a_run_reusing_another_keeps_the_warnings_of_what_it_keeps(tmp_path):
    """A sweep or a studio edit evaluates again only the rules a changed parameter
    reaches: the warnings of the entities it kept were lost with their evaluation."""
    text = MODEL.format(formula=FAR.replace("5 SEK", "pris"), visit="tak > 40 min", when="false")
    text = text.replace(
        "definitions:",
        "parameters:\n  pris: {unit: SEK, values: {2025-01-01: 5}}\n"
        "  styck: {unit: SEK, values: {2025-01-01: 1}}\ndefinitions:",
        1,
    )
    text = text.replace("* 1 SEK", "* styck")
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    month = parse_month("2025-03")
    checked, _ = load(path, [month])
    data = dataset_from_rows(ROWS, known=checked.model.vocabulary.tables)
    first = run_model(checked, data, [month])
    again = run_model(checked, data, [month], reuse=first, changed=frozenset({"styck"}))
    assert len(first.incomplete()) == 2  # K1's distance, V1's `tak`: visits not evaluated again
    assert [w.message for w in again.incomplete()] == [w.message for w in first.incomplete()]


def test_explain_says_where_a_condition_was_unknown(tmp_path):
    """The tree showed the empty distance and the 0 kr, not that the `if` was unknown
    and took its else side."""
    model = _model(tmp_path, FAR, "true", "false")
    args = ["explain", "--lang", "en", str(model), "--data", str(_write(tmp_path))]
    args += ["--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--customer", "K1", "--all"])
    assert ran.exit_code == 0, ran.output
    resa = ran.output[ran.output.index("resa = 0.00 SEK") :]
    assert "├─ customer.avstånd_km = (no value)" in resa
    assert (
        "`customer.avstånd_km > 10` is unknown (a value it reads is empty), which counts as false"
        in resa
    )
    ran = CliRunner().invoke(main, [*args, "--customer", "K2", "--all"])
    assert "is unknown" not in ran.output
    swedish = CliRunner().invoke(main, ["explain", *args[3:], "--customer", "K1", "--all"])
    assert (
        "`customer.avstånd_km > 10` är okänt (ett värde det läser är tomt), vilket räknas som "
        "falskt" in swedish.output
    )


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        # the customer's column as the formula names it: `coalesce(avstånd_km, …)` named
        # no column of the customer's month
        (FAR, "say what an empty `avstånd_km` means: coalesce(customer.avstånd_km, …) > …"),
        (
            "count(visits where tak > 40 min or customer_month.customer.avstånd_km > 10) * 1 SEK",
            "say what an empty `tak` means: coalesce(tak, …) > …",
        ),
        (
            "count(visits where ja or customer_month.customer.tolk) * 1 SEK",
            "say what an empty `tolk` means: coalesce(customer_month.customer.tolk, false) or "
            "coalesce(customer_month.customer.tolk, true)",
        ),
    ],
)
def test_the_checks_hint_writes_an_empty_column_as_the_formula_names_it(tmp_path, formula, hint):
    path = _model(tmp_path, formula, "true", "false")
    text = path.read_text(encoding="utf-8").replace(
        "      avstånd_km:", "      tolk: {type: bool}\n      avstånd_km:"
    )
    path.write_text(text, encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(path)])
    assert f"= hint: {hint}\n" in checked.output, checked.output
