"""A model test must be able to fail: each case here passed on the test runner before
it, though what it expected was not what the model paid — a unit the amount cannot
have, a fraction of an öre cut off, a column of the input that was silently dropped,
or nothing expected at all. On examples/bergsjo: K1 in tätort, an hour on a weekday
morning, 480 kr."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.testing import run_file

ROOT = Path(__file__).resolve().parent.parent
HEAD = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: Centrum }}]
    providers: [{{ provider_id: P1, name: A, ownership: private }}]
    decisions: [{{ decision_id: D1, customer_id: K1, provider_id: P1, service: omsorg,
                   start_date: 2025-01-01, hours_per_month: 10 }}]
  columns:
    visits: {{ customer_id: K1, provider_id: P1, service: omsorg, registration: tag }}
tests:
  - name: fallet
    month: 2025-03
    input:
      visits: [{{ visit_id: V1, start: 2025-03-04 09:00, end: {end}{extra} }}]
"""

CASES = [
    # (what the case says, the end of the visit and more columns, the failure)
    ("    output: { customers: { K1: { hemtjänst: 480 } } }\n", "2025-03-04 10:00", "", None),
    ('    output: { customers: { K1: { hemtjänst: "480 SEK" } } }\n', "2025-03-04 10:00", "", None),
    ('    output: { customers: { K1: { utförd_tid: "1 h" } } }\n', "2025-03-04 10:00", "", None),
    (  # an amount written as minutes passed, read as 480 kr
        '    output: { customers: { K1: { hemtjänst: "480 min" } } }\n',
        "2025-03-04 10:00",
        "",
        "`480 min` is duration, but `hemtjänst` is money (SEK)",
    ),
    (
        '    output: { customers: { K1: { utförd_tid: "60 SEK" } } }\n',
        "2025-03-04 10:00",
        "",
        "`60 SEK` is money (SEK), but `utförd_tid` is duration",
    ),
    (  # a unit carepay does not know was dropped: 480 kronor passed as 480
        '    output: { customers: { K1: { hemtjänst: "480 kronor" } } }\n',
        "2025-03-04 10:00",
        "",
        "`480 kronor`: `kronor` is no unit carepay knows",
    ),
    (  # an amount written as a mapping: "`{'a': 1}` is not an amount", Python's words
        "    output: { customers: { K1: { hemtjänst: { a: 1 } } } }\n",
        "2025-03-04 10:00",
        "",
        "`{a: 1}` is not an amount",
    ),
    (  # 7 minutes: 56,00 kr; 56.001 was cut to 56.00 öre and passed
        "    output: { customers: { K1: { hemtjänst: 56.001 } } }\n",
        "2025-03-04 09:07",
        "",
        "`56.001` is not a whole number of öre: a payment is paid in öre (56.00 SEK came)",
    ),
    (  # a misspelt column of the input was dropped, and the visit counted as one staff
        "    output: { customers: { K1: { hemtjänst: 480 } } }\n",
        "2025-03-04 10:00",
        ", antal_personel: 2",
        "`antal_personel` is no column of visits",
    ),
    ("", "2025-03-04 10:00", "", "the case checks nothing"),  # it asserted nothing, and passed
    (  # 7 minutes pay 56,00 kr: `56,50` was read as 56 and a key `50`, dropped, and passed
        "    output: { customers: { K1: { hemtjänst: 56,50 } } }\n",
        "2025-03-04 09:07",
        "",
        "`56,50` is read as two entries: inside { } a comma separates them",
    ),
    (  # said as "`None` is not an amount", a word the file does not have
        "    output: { customers: { K1: { hemtjänst: null } } }\n",
        "2025-03-04 10:00",
        "",
        "`null` is not an amount",
    ),
    (  # the second K1 was dropped in silence, and the case passed on the first
        "    output: { customers: { K1: { hemtjänst: 480 }, K1: { hemtjänst: 999 } } }\n",
        "2025-03-04 10:00",
        "",
        "`K1` appears twice in this mapping",
    ),
    (  # its rows lost to an indent: it passed, checking nothing
        "    output:\n      customers:\n",
        "2025-03-04 10:00",
        "",
        "line 16: `customers:` expects nothing: give it what the case checks",
    ),
    (  # a customer with nothing under it stopped `carepay test` with a traceback
        "    output:\n      customers:\n        K1:\n",
        "2025-03-04 10:00",
        "",
        "line 17: `K1:` expects nothing: give the values the case checks",
    ),
    (  # an empty `exclusions:` too (`V1: null` under it is a counted visit)
        "    output:\n      customers: { K1: { hemtjänst: 480 } }\n      exclusions:\n",
        "2025-03-04 10:00",
        "",
        "line 17: `exclusions:` expects nothing",
    ),
    (  # it failed as "expected excluded by för_kor, got counted", the visit at fault
        "    output: { exclusions: { V1: för_kor } }\n",
        "2025-03-04 10:00",
        "",
        "visit V1: `för_kor` is no exclusion of the model; did you mean `för_kort`?",
    ),
    (  # likewise "expected flag lång, it was not flagged"
        "    output: { customers: { K1: { hemtjänst: 480 } }, flags: { V1: lång } }\n",
        "2025-03-04 10:00",
        "",
        "visit V1: `lång` is no flag of the model (its flags: none)",
    ),
    (  # YAML's infinity stopped `carepay test` with a traceback (int(Infinity))
        "    output: { customers: { K1: { hemtjänst: .inf } } }\n",
        "2025-03-04 10:00",
        "",
        "`inf` is no value `hemtjänst` can have: write a number",
    ),
    (  # likewise of a duration (InvalidOperation as it was rounded to a millionth)
        "    output: { customers: { K1: { utförd_tid: -.inf } } }\n",
        "2025-03-04 10:00",
        "",
        "`-inf` is no value `utförd_tid` can have: write a number",
    ),
    (  # "expected errors ['lookup-misss'], but the data loaded", as if the model were wrong
        "    errors: [lookup-misss]\n",
        "2025-03-04 10:00",
        "",
        "`lookup-misss` under `errors:` is no code carepay gives; did you mean `lookup-miss`?",
    ),
]


IDS = ["kronor", "SEK", "hours", "amount in minutes", "time in SEK", "unknown unit",
       "an amount a mapping", "a fraction of an öre", "a misspelt column", "nothing expected", "a decimal comma",
       "null", "a customer twice", "an empty section", "an empty row",
       "empty exclusions", "a misspelt exclusion", "no such flag",
       "an amount infinite", "a time infinite", "a misspelt code"]  # fmt: skip


@pytest.mark.parametrize(("says", "end", "extra", "failure"), CASES, ids=IDS)
def test_a_case_fails_where_its_expectation_is_not_what_was_paid(
    tmp_path, says, end, extra, failure
):
    path = tmp_path / "fall_test.yaml"
    path.write_text(
        HEAD.format(model=ROOT / "examples/bergsjo/model.yaml", end=end, extra=extra) + says,
        encoding="utf-8",
    )
    [result] = run_file(path)
    said = "\n".join([*result.failures, result.error or ""])
    if failure is None:
        assert result.passed, said
        return
    assert not result.passed
    assert failure in said, said


SHAPES = [
    # (the text replaced in HEAD's case, by what; where it is said, what is said)
    (  # a row written as a text: a traceback, "'str' object is not a mapping"
        "      visits: [{{ visit_id: V1,",
        "      visits: [V1, {{ visit_id: V1,",
        ":14:16:",
        "`tests.0.input.visits.0` should be a mapping (key: value lines)",
    ),
    (  # the tables of the input written as a list: a traceback
        "    input:\n      visits: [",
        "    input:\n      - visits: [",
        ":14:7:",
        "`tests.0.input` should be a mapping (key: value lines)",
    ),
    (  # the month lost to a misspelt key: "a test needs `month:`", at no line
        "    month: 2025-03\n",
        "    manad: 2025-03\n",
        ":11:",
        "`manad`",
    ),
    (  # a cell written as a mapping: read as its Python text, "provider `{'a': 1}` …"
        "      visits: [{{ visit_id: V1,",
        "      visits: [{{ visit_id: {{ a: 1 }},",
        ":14:28:",
        "`tests.0.input.visits.0.visit_id` should be a text, a number, or true or false",
    ),
    (  # a default cell written as a list: each visit's provider `['P1']`
        "    visits: {{ customer_id: K1, provider_id: P1,",
        "    visits: {{ customer_id: K1, provider_id: [P1],",
        ":9:",
        "`defaults.columns.visits.provider_id` should be a text, a number, or true or false",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "where", "said"),
    SHAPES,
    ids=["row", "input", "month", "a cell a mapping", "a default a list"],
)
def test_a_test_file_not_shaped_as_one_is_said_at_its_line(tmp_path, old, new, where, said):
    """The first two stopped `carepay test` with a traceback; the third was said at no
    line, and not which key it was."""
    head = HEAD.replace(old, new)
    assert head != HEAD
    path = tmp_path / "fall_test.yaml"
    text = head.format(model=ROOT / "examples/bergsjo/model.yaml", end="2025-03-04 10:00", extra="")
    path.write_text(text + "    output: { customers: { K1: { hemtjänst: 480 } } }\n", "utf-8")
    [result] = run_file(path)
    assert result.error is not None and f"fall_test.yaml{where}" in result.error, result.error
    assert said in result.error and "error[schema]" in result.error, result.error


def test_a_case_expecting_an_error_fails_on_a_row_it_spoilt(tmp_path):
    """`{ decision_id D2, … }` — a colon lost — made a column `decision_id D2` and a
    decision without an id, whose error the case expected: it passed."""
    path = tmp_path / "fall_test.yaml"
    text = HEAD.format(model=ROOT / "examples/bergsjo/model.yaml", end="2025-03-04 10:00", extra="")
    spoilt = (
        "      decisions: [{ decision_id D2, customer_id: K1, provider_id: P1, service: omsorg,"
        " start_date: 2025-01-01 }]\n"
    )
    path.write_text(text + spoilt + "    errors: [missing-value]\n", "utf-8")
    [result] = run_file(path)
    said = "\n".join(result.failures)
    assert not result.passed and "`decision_id D2` is no column of decisions" in said, said


@pytest.mark.parametrize(
    ("where", "failure"),
    [
        ('"visits:12"', None),
        ('"visits:12:customer_id"', None),
        # found in `visits:12:customer_id`: the case passed on another row than it named
        ('"visits:1"', "expected a `unknown-reference` error at visits:1; got: "
         "unknown-reference at visits:12:customer_id"),
        # found everywhere: the case passed whichever row was at fault
        ("''", "the `unknown-reference` error expected has a blank `where:`"),
    ],
)  # fmt: skip
def test_an_error_expected_at_a_row_is_found_at_that_row(tmp_path, where, failure):
    """Twelve visits, the twelfth of a customer there is not (K404)."""
    path = tmp_path / "fall_test.yaml"
    text = HEAD.format(model=ROOT / "examples/bergsjo/model.yaml", end="2025-03-04 10:00", extra="")
    visits = "".join(
        f"        - {{ visit_id: V{i}, start: 2025-03-04 09:00, end: 2025-03-04 10:00"
        + (", customer_id: K404 }\n" if i == 12 else " }\n")
        for i in range(1, 13)
    )
    text = text.replace(text[text.index("      visits: [") :], "      visits:\n" + visits)
    path.write_text(
        text + f"    errors: [{{ code: unknown-reference, where: {where} }}]\n", "utf-8"
    )
    [result] = run_file(path)
    said = "\n".join([*result.failures, result.error or ""])
    if failure is None:
        assert result.passed, said
    else:
        assert not result.passed and said.startswith(failure), said


@pytest.mark.parametrize("tests", ["tests: []\n", "tests:\n", "tests:\n# - name: fallet\n"])
def test_a_file_with_no_cases_fails(tmp_path, tests):
    """A test file whose cases were lost — emptied, or commented out — passed: "0
    godkända, 0 underkända", exit 0, checking nothing."""
    path = tmp_path / "fall_test.yaml"
    path.write_text(f"model: {ROOT / 'examples/bergsjo/model.yaml'}\n{tests}", "utf-8")
    [result] = run_file(path)
    assert not result.passed
    assert "fall_test.yaml:2:1: error[schema]: the file has no cases" in (result.error or "")


# a test file of Örebro's model whose cases start from one customer of level 12
ORE_LEVEL_12 = (
    f"model: {ROOT / 'rules/orebro'}\n"
    "defaults:\n"
    "  input:\n"
    "    providers: [{ provider_id: P1, name: A, ownership: private }]\n"
    "    customers: [{ customer_id: K1, district: City norr }]\n"
    "    decisions: [{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,\n"
    "                  start_date: 2024-01-01, level: 12 }]\n"
    "tests:\n"
)


def test_a_parameters_cell_the_table_has_not_says_the_keys_and_the_one_meant(tmp_path):
    """Örebro's level amounts by zone and level: a cell named by one key, by three, or
    misspelt compared `(no value)`, with nothing of how a cell is named."""
    path = tmp_path / "celler_test.yaml"
    path.write_text(
        ORE_LEVEL_12 + "  - name: celler\n"
        "    month: 2024-04\n"
        "    output:\n"
        "      parameters:\n"
        '        nivåbelopp: { "tätort": 1, "tatort, 12": 22099, "tätort,12": 22099 }\n'
        "        larmbelopp: 324\n",
        encoding="utf-8",
    )
    [result] = run_file(path)
    assert result.failures[:2] == [  # then what the run warned: a month with no visits
        "line 13: `nivåbelopp` has no cell `tätort` (its keys: zone, level, written with "
        'commas, as "tätort, 1")',
        "line 13: `nivåbelopp` has no cell `tatort, 12` (its keys: zone, level, written with "
        'commas, as "tätort, 1"); did you mean `tätort, 12`?',
    ]


def test_a_step_tables_brackets_are_expected_by_their_place(tmp_path):
    """Örebro's relief bands (§4.6), indexed from April 2024: a case could not expect
    them ("a steps parameter: expect what the model pays by it"). Named as `--set` names
    them, `"1"` the first bracket's amount and `"1.up_to"` its bound (a bare number in
    the bounds' own unit, hours); a bracket the table lacks, the other word for a bound
    or the table as one number fails, saying how they are named."""
    path = tmp_path / "band_test.yaml"
    path.write_text(
        ORE_LEVEL_12 + "  - name: band\n"
        "    month: 2024-04\n"
        "    output:\n"
        "      parameters:\n"  # 5 200 × 1,044 = 5 428,80 → 5 429; 6 900 × 1,044 = 7 203,60 → 7 204
        '        avlösningsbelopp: { "1": 5429, "1.up_to": 12 h, "2": 7203, "4.up_to": 24 }\n'
        '        kontrollnivåer: { "2.under": 40 %, "3": 1, "1.up_to": 20 % }\n'
        "        ledsagningsbelopp: 1\n",
        encoding="utf-8",
    )
    [result] = run_file(path)
    assert result.failures[:4] == [  # then what the run warned: a month with no visits
        "line 13: avlösningsbelopp[2]: expected 7 203.00 SEK, got 7 204.00 SEK",
        'line 14: `3`: `kontrollnivåer` is a step table: expect its 2 brackets by their place, {"1": …}'
        ' for the first one\'s value and {"1.under": …} for its bound',
        "line 14: `1.up_to`: `kontrollnivåer` is a step table: expect its 2 brackets by "
        'their place, {"1": …} for the first one\'s value and {"1.under": …} for its bound',
        "line 15: ledsagningsbelopp: expected 1.00 SEK, got 1 253.00 SEK",  # 1 200 × 1,044
    ]


FLAGGED = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: City norr }}]
    providers: [{{ provider_id: P1, name: A, ownership: private }}]
    decisions: [{{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,
                   start_date: 2024-01-01, level: 12 }}]
  columns:
    visits: {{ customer_id: K1, provider_id: P1, staff_id: S1, staff_role: care, service: omsorg,
              registration: tag, clock_adjusted: false, declined: false }}
tests:
  - name: fallet
    month: 2024-03
    input:
      visits: [{{ visit_id: V1, start: 2024-03-04 06:00, end: {end} }}]
    output:
      flags: {{ {visit}: null }}
"""


@pytest.mark.parametrize(
    ("end", "visit", "failure"),
    [
        ("2024-03-04 16:00", "V1", None),  # ten hours: not longer than Örebro's limit
        ("2024-03-04 17:00", "V1", "visit V1: expected no flag, it was flagged långt_besök"),
        ("2024-03-04 16:00", "V9", "visit V9: not in the month"),
    ],
    ids=["not flagged", "flagged", "no such visit"],
)
def test_a_case_may_expect_a_visit_flagged_by_nothing(tmp_path, end, visit, failure):
    """`flags: {V1: null}`, as `exclusions: {V1: null}` says a visit is counted: the
    boundary of a flag (exactly ten hours is not a long visit) could not be expected."""
    path = tmp_path / "fall_test.yaml"
    text = FLAGGED.format(model=ROOT / "rules/orebro/omvardnad.yaml", end=end, visit=visit)
    path.write_text(text, encoding="utf-8")
    [result] = run_file(path)
    said = "\n".join([*result.failures, result.error or ""])
    if failure is None:
        assert result.passed, said
    else:
        assert not result.passed and failure in said, said
