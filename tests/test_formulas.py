"""The formula language, one row per case: valid formulas with their value and type
(through both back ends), and invalid ones with their exact message and place.

Data (tests/harness.py): February 2024 (29 days); decision B1 is omsorg, level 3,
600 granted minutes, 16 h relief per month, a special amount of 1 234.50 SEK,
from 2024-01-15 with no end; customer K1 lives in Centrum (tätort) with a private
provider; visits: 30 min omsorg, 45 min omsorg (clock adjusted), 60 min palliativt vak.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from engine import types as t
from tests.harness import FORMULA_COLUMN_OFFSET, FORMULA_LINE, diagnostics, evaluate, same

D = Decimal

# (formula, expected value in internal units: SEK, minutes, ratio; expected type)
VALID_DECISION = [
    ("1 + 2 * 3", D(7), "count"),
    ("(1 + 2) * 3", D(9), "count"),
    ("10 / 4", D("2.5"), "ratio"),
    ("450 SEK/h * 2 h", D(900), "money (SEK)"),
    ("30 min + 1 h", D(90), "duration"),
    ("granted_minutes", D(600), "duration"),
    ("hours_per_month", D(960), "duration"),
    ("granted_minutes / hours_per_month", D("0.625"), "ratio"),
    ("granted_minutes * timpris", D(4500), "money (SEK)"),
    # to a multiple a parameter holds (a study can sweep it): 600 min up to 30 h
    ("ceil(granted_minutes, gräns)", D(1800), "duration"),
    ("round(granted_minutes, halvdag)", D(720), "duration"),  # 600 / 720 = 0,83 → 1
    ("floor(granted_minutes, halvdag)", D(0), "duration"),
    ("special_amount * 12", D("14814"), "money (SEK)"),
    ("level * 40 %", D("1.2"), "number"),
    ("nivåbelopp[zone, level]", D(4500), "money (SEK)"),
    ('nivåbelopp["landsbygd", 2]', D(3300), "money (SEK)"),
    ("coalesce(nivåbelopp[zone, level + 1], 0 SEK)", D(0), "money (SEK)"),
    ("avlösning[hours_per_month / 1 h]", D(6900), "money (SEK)"),
    ("avlösning[14]", D(0), "money (SEK)"),
    ("avlösning[level / 2]", D(0), "money (SEK)"),
    # a look-up in another's keys (the inner one computed first), and two of one table
    ("nivåbelopp[zone, avlösning[hours_per_month / 1 h] / 6900 SEK * 3]", D(4500), "money (SEK)"),
    ("avlösning[nivåbelopp[zone, level - 2] / 1500 SEK * 16]", D(6900), "money (SEK)"),
    ("nivåbelopp[zone, level] + nivåbelopp[zone, level - 1] * 2", D(10500), "money (SEK)"),
    ("if level > 5 then nivåbelopp[zone, level] else 0 SEK", D(0), "money (SEK)"),
    ("step(25 %, kontrollnivåer)", D("0.7"), "ratio"),
    ("step(20 %, kontrollnivåer)", D("0.7"), "ratio"),
    ("step(19.9 %, kontrollnivåer)", D("0.4"), "ratio"),
    ("step(40 %, kontrollnivåer, 100 %)", D(1), "ratio"),
    ("coalesce(step(90 %, kontrollnivåer), 100 %)", D(1), "ratio"),
    ("if level > 2 then 1 SEK else 2 SEK", D(1), "money (SEK)"),
    ("if special_amount > 2000 SEK then 1 else 0", D(0), "count"),
    ('service == "omsorg"', True, "true/false"),
    ('service in ["omsorg", "service"]', True, "true/false"),
    ('service not in ["omsorg"]', False, "true/false"),
    ('not (level >= 3) or zone == "tätort"', True, "true/false"),
    ("end_date == start_date", None, "true/false"),
    ("coalesce(end_date, month_end)", date(2024, 2, 29), "date"),
    ("days_active(start_date, end_date)", D(29), "count"),
    ("days_active(2024-02-10, 2024-02-20)", D(11), "count"),
    ("days_active(2024-01-01, 2024-01-31)", D(0), "count"),
    ("start_date + 5 days", date(2024, 1, 20), "date"),
    ("month_end - month_start", D(28 * 1440), "duration"),
    ("min(granted_minutes, gräns)", D(600), "duration"),
    ("max(granted_minutes, gräns)", D(1800), "duration"),
    ("clamp(special_amount, 0 SEK, 1000 SEK)", D(1000), "money (SEK)"),
    ("round(special_amount / 7)", D(176), "money (SEK)"),
    ("round(10 SEK / 3, 2)", D("3.33"), "money (SEK)"),
    ("round(0.005 SEK, 2)", D("0.01"), "money (SEK)"),
    ("round(2.6750 SEK, 2)", D("2.68"), "money (SEK)"),
    ("round(0 SEK - 2.6750 SEK, 2)", D("-2.68"), "money (SEK)"),
    ("abs(0 SEK - special_amount)", D("1234.5"), "money (SEK)"),
    ("larmbelopp", D(250), "money (SEK)"),
    ("startdag < start_date", True, "true/false"),
    ('taxa == "hög"', True, "true/false"),
    ("1 / (level - 3)", None, "ratio"),  # a division by zero is missing
    ("days_in_month", D(29), "count"),
    ('ownership == "private" and level == 3', True, "true/false"),
    ("granted_minutes > 9 h and granted_minutes <= 10 h", True, "true/false"),
    ("granted_minutes / 1 h", D(10), "ratio"),
    ("-special_amount", D("-1234.5"), "money (SEK)"),
    ("level == 1", False, "true/false"),  # level == 0 is never true: an error
    ("0.1 SEK + 0.2 SEK == 0.3 SEK", True, "true/false"),
    # a date plus a duration finer than a day is a moment (midnight + 36 h), never truncated
    ("start_date + 36 h", datetime(2024, 1, 16, 12, 0), "date and time"),
    ("add_months(start_date, 3)", date(2024, 4, 15), "date"),
    ("add_months(2024-01-31, 1)", date(2024, 2, 29), "date"),
    ("add_months(2024-03-31, -1)", date(2024, 2, 29), "date"),
    ("add_months(end_date, 12)", None, "date"),
]

# Every builtin in the units as written, computed by hand. omsorgstaxa is 376.7625 SEK/h,
# frist 5 days, halvdag 12 h; B1 starts 2024-01-15 with 600 granted minutes and a
# special amount of 1 234.50 SEK; hours_per_month is 16 h.
AS_WRITTEN = [
    # round: in the unit the value is written and shown in (SEK/h, %, SEK, min)
    ("1 h * round(omsorgstaxa)", D(377), "money (SEK)"),
    ("1 h * round(omsorgstaxa, 2)", D("376.76"), "money (SEK)"),
    ("1 h * round(omsorgstaxa, 1)", D("376.8"), "money (SEK)"),
    ("2 h * round(omsorgstaxa, 3)", D("753.526"), "money (SEK)"),
    ("round(omsorgstaxa) * 30 min", D("188.5"), "money (SEK)"),
    ("1000 SEK * round(40.6 %, 1)", D(406), "money (SEK)"),
    ("1000 SEK * round(40.6 %)", D(410), "money (SEK)"),
    ("round(40.65 %, 1)", D("0.407"), "ratio"),
    ("round(granted_minutes / hours_per_month)", D("0.63"), "ratio"),
    ("round(granted_minutes / hours_per_month, 1)", D("0.625"), "ratio"),
    ("round(special_amount)", D(1235), "money (SEK)"),
    ("round(0 SEK - special_amount)", D(-1235), "money (SEK)"),
    ("round(special_amount, 100 SEK)", D(1200), "money (SEK)"),
    ("round(granted_minutes + 20 min, 1 h)", D(600), "duration"),
    ("round(650 min, 1 h)", D(660), "duration"),
    ("round(90 min, 1 h)", D(120), "duration"),
    ("round(100 min, 15 min)", D(105), "duration"),
    ("round(100.5 min)", D(101), "duration"),
    ("round(100.5 min, 0)", D(101), "duration"),  # no decimals: whole minutes, as without
    ("round(special_amount, 6)", D("1234.5"), "money (SEK)"),  # six decimals: the grid
    # a share beside a bare number of the whole: 1 is 100 %, 1.2 may be 120 %
    ("step(granted_minutes / hours_per_month, kontrollnivåer, 1)", D(1), "ratio"),
    ("granted_minutes / hours_per_month < 1.2", True, "true/false"),
    # a bare 0 fits any unit, first as last (it was "`max` mixes count and money")
    ("max(0, special_amount - 2000 SEK)", D(0), "money (SEK)"),
    ("max(0, special_amount)", D("1234.5"), "money (SEK)"),
    ("min(0, 0 SEK - special_amount)", D("-1234.5"), "money (SEK)"),
    ("round(2.5)", D(3), "number"),
    ("round(level * 1.25)", D(4), "number"),
    ("1 h * round(omsorgstaxa, 50 SEK/h)", D(400), "money (SEK)"),
    # min, max, clamp, abs, coalesce with rates, ratios and durations
    ("max(omsorgstaxa, timpris) * 1 h", D(450), "money (SEK)"),
    ("min(omsorgstaxa, timpris) * 4 h", D("1507.05"), "money (SEK)"),
    ("clamp(omsorgstaxa, 300 SEK/h, 350 SEK/h) * 1 h", D(350), "money (SEK)"),
    ("clamp(granted_minutes, 1 h, 8 h)", D(480), "duration"),
    ("clamp(55 %, 0 %, 40 %)", D("0.4"), "ratio"),
    ("abs(0 SEK/h - omsorgstaxa) * 2 h", D("753.525"), "money (SEK)"),
    ("abs(30 min - granted_minutes)", D(570), "duration"),
    ("coalesce(special_amount, 0 SEK) * 50 %", D("617.25"), "money (SEK)"),
    ("halvdag * omsorgstaxa", D("4521.15"), "money (SEK)"),
    ("step(granted_minutes / hours_per_month, kontrollnivåer, 100 %)", D(1), "ratio"),
    # dates: whole days stay dates, anything finer is a moment
    ("start_date + 2 days", date(2024, 1, 17), "date"),
    ("start_date - 1 days", date(2024, 1, 14), "date"),
    ("start_date + 1440 min", date(2024, 1, 16), "date"),
    ("start_date + frist", date(2024, 1, 20), "date"),
    ("start_date + 2 * frist", date(2024, 1, 25), "date"),
    ("start_date + 90 min", datetime(2024, 1, 15, 1, 30), "date and time"),
    ("start_date + halvdag", datetime(2024, 1, 15, 12, 0), "date and time"),
    ("start_date - 7 h", datetime(2024, 1, 14, 17, 0), "date and time"),
    ("date(start_date + 36 h)", date(2024, 1, 16), "date"),
    ("start_date + 36 h > 2024-01-16", True, "true/false"),
    ("start_date + 36 h < 2024-01-17", True, "true/false"),
    ("month_end - start_date", D(45 * 1440), "duration"),
    ("(month_end - start_date) / 1 days", D(45), "ratio"),
    ("days_active(start_date, add_months(start_date, 1))", D(15), "count"),
    ("add_months(start_date, 1) + frist", date(2024, 2, 20), "date"),
]

VALID_CUSTOMER_MONTH = [
    ("sum(visits.minutes)", D(165), "duration"),
    ('sum(visits.minutes where service == "omsorg")', D(75), "duration"),
    ("count(visits)", D(4), "count"),
    ("count(visits where clock_adjusted)", D(1), "count"),
    ('any(decisions where service == "trygghetslarm")', True, "true/false"),
    ('any(decisions where service == "ledsagning")', False, "true/false"),
    ("all(visits.counted)", True, "true/false"),
    ("max(decisions.level)", D(3), "count"),
    ("min(visits.start)", datetime(2024, 2, 5, 8, 0), "date and time"),
    ('sum(visits.minutes where service == "ledsagning")', D(0), "duration"),
    # a missing value adds nothing to a sum (docs/language.md, `sum`); the guard that
    # tells: B2 has no special amount
    ("sum(decisions.special_amount)", D("1234.5"), "money (SEK)"),
    ("count(decisions.special_amount) < count(decisions)", True, "true/false"),
    ('max(decisions.level where service == "ledsagning")', None, "count"),
    (
        'sum(visits.minutes where service == "omsorg") / sum(decisions.granted_minutes)',
        D("0.125"),
        "ratio",
    ),
    ('sum(visits.minutes where service == "palliativt_vak") * timpris', D(450), "money (SEK)"),
    ("count(decisions where days_active(start_date, end_date) > 20)", D(1), "count"),
    ("zone", "tätort", "text"),
    ("sum(visits.minutes where date(start) <= 2024-02-06)", D(105), "duration"),
    ("count(journals)", D(0), "count"),
    ("count(visits where provider_id == customer_month.provider_id)", D(4), "count"),
    ("count(history)", D(2), "count"),
    ('days_covered(decisions where service == "trygghetslarm")', D(11), "count"),
    ("days_covered(decisions)", D(29), "count"),
    ('days_covered(decisions where service == "ledsagning")', D(0), "count"),
    # staff S1, S2, S1, S3; services omsorg, omsorg, palliativt_vak, dubbelbemanning
    ("count_distinct(visits.staff_id)", D(3), "count"),
    ("count_distinct(visits.service)", D(3), "count"),
    ('count_distinct(visits.staff_id where service == "omsorg")', D(2), "count"),
    ("count_distinct(decisions.level)", D(1), "count"),  # 3 and a missing level
    ('count_distinct(decisions.level where service == "ledsagning")', D(0), "count"),
    # rows outside a filter are missing values to the compiled sum, count, min, max,
    # any and all (aggregate._agg_expr): a missing value among the kept rows is skipped
    # as one outside them; B2 (trygghetslarm) has neither special amount nor level
    ('count(decisions.special_amount where service == "trygghetslarm")', D(0), "count"),
    ('count(decisions.special_amount where service == "omsorg")', D(1), "count"),
    ('sum(decisions.special_amount where service == "trygghetslarm")', D(0), "money (SEK)"),
    ('max(decisions.level where service == "trygghetslarm")', None, "count"),
    ('min(decisions.level where service != "ledsagning")', D(3), "count"),
    ('all(visits.clock_adjusted where service == "omsorg")', False, "true/false"),
    ('any(visits.clock_adjusted where service == "palliativt_vak")', False, "true/false"),
    ('all(visits.clock_adjusted where service == "ledsagning")', True, "true/false"),
    ('any(visits.clock_adjusted where service == "omsorg")', True, "true/false"),
]

VALID_VISIT = [
    ("minutes", D(30), "duration"),
    ("any(decisions where service == visit.service)", True, "true/false"),
    ("count(decisions where service == visit.service or level == 3)", D(1), "count"),
    ("count(outages)", D(1), "count"),
    ("any(outages where end_date >= date(visit.start))", False, "true/false"),
    ("any(outages where end_date + 3 days >= date(visit.start))", True, "true/false"),
    ("max(decisions.level where start_date <= date(visit.start))", D(3), "count"),
    # a filter's parts that read only the decision are tested before the pairs are made
    # (aggregate._own_parts_first); B2 has no level: `level == 3` does not hold for it
    ("any(decisions where level == 3 and service == visit.service)", True, "true/false"),
    ("any(decisions where level > 3 and service == visit.service)", False, "true/false"),
    ("any(decisions where not (level == 3) and service != visit.service)", False, "true/false"),
    ("any(decisions where level == 3 or service == visit.service)", True, "true/false"),
    (
        'any(decisions where service == "trygghetslarm" and start_date <= date(visit.start))',
        False,
        "true/false",
    ),
    (
        'any(decisions where service == "trygghetslarm" and end_date >= date(visit.start))',
        True,
        "true/false",
    ),
    (
        "any(decisions where level == 3 and start_date <= date(visit.start)"
        " and level >= 3 and visit.service == service)",
        True,
        "true/false",
    ),
    (  # two filters of their own, and one without the visit's fields, side by side
        "any(decisions where level == 3 and service == visit.service)"
        ' and not any(decisions where service == "trygghetslarm" and start_date <= date(visit.start))'
        ' and any(decisions where service == "trygghetslarm")',
        True,
        "true/false",
    ),
    # the outer row's customer and provider, read in a filter (a staff member speaking
    # the customer's language: `any(personalen where språk == visit.customer.modersmål)`)
    (
        'any(decisions where level == 3 and visit.customer.district == "Centrum")',
        True,
        "true/false",
    ),
    ('any(decisions where visit.provider.ownership == "municipal")', False, "true/false"),
    ('count(decisions where visit.customer.zone == "tätort")', D(2), "count"),
    ("overlaps(staff_id)", False, "true/false"),
    ("overlaps(customer_id)", True, "true/false"),
    ("overlaps(customer_id, service)", False, "true/false"),
    # date-times: V1 is 2024-02-05 08:00-08:30
    ("start + 90 min", datetime(2024, 2, 5, 9, 30), "date and time"),
    ("end - start", D(30), "duration"),
    ("round(end - start, 1 h)", D(60), "duration"),
    ("(end - start) * omsorgstaxa", D("188.38125"), "money (SEK)"),
    ("date(start) in [2024-02-05]", True, "true/false"),
    ("date(start + 16 h)", date(2024, 2, 6), "date"),
    ("start > 2024-02-05", True, "true/false"),
]


def _cases() -> list[tuple[str, str, object, str]]:
    return (
        [("decision", *c) for c in VALID_DECISION]
        + [("decision", *c) for c in AS_WRITTEN]
        + [("customer_month", *c) for c in VALID_CUSTOMER_MONTH]
        + [("visit", *c) for c in VALID_VISIT]
    )


@pytest.mark.parametrize(
    ("entity", "formula", "expected", "type_name"), _cases(), ids=[c[1] for c in _cases()]
)
def test_valid_formula(tmp_path, entity, formula, expected, type_name):
    result = evaluate(tmp_path, formula, entity)
    assert t.describe(result.type) == type_name
    assert same(result.compiled, expected), f"compiled {result.compiled!r}, expected {expected!r}"
    assert same(result.interpreted, expected), (
        f"interpreted {result.interpreted!r}, expected {expected!r}"
    )


@pytest.mark.parametrize(
    ("formula", "lookups"),
    [
        ("nivåbelopp[zone, level]", 1),
        ("if level > 2 then nivåbelopp[zone, level] * 2 else nivåbelopp[zone, 1]", 2),
        ("nivåbelopp[zone, level] + nivåbelopp[zone, level - 1]", 2),
        ("nivåbelopp[zone, avlösning[hours_per_month / 1 h] / 6900 SEK * 3]", 2),
    ],
)
def test_a_lookup_is_computed_once_per_row(tmp_path, monkeypatch, formula, lookups):
    """A look-up that reads the row is computed once, as a column the rule (and the
    check for a key the table lacks) then reads; one by constant keys stays inline."""
    from engine import compile as compiled

    made = []
    original = compiled.Compiler._lookup

    def counted(self, node):
        made.append(node)
        return original(self, node)

    monkeypatch.setattr(compiled.Compiler, "_lookup", counted)
    evaluate(tmp_path, formula)
    assert len(made) == lookups


# (formula, code, exact message, column in the formula where the caret starts)
INVALID_DECISION = [
    (  # a decision has no date and time at all: the hint's window stopped check (IndexError)
        'minutes_in(tidsband, "natt")',
        "bad-call",
        "`minutes_in` splits a row's `start`–`end`, and decision has no `start` date and time",
        1,
    ),
    ("granted_minutes + special_amount", "unit-mismatch", "cannot add money (SEK) to duration", 1),
    ("special_amount / 0", "division-by-zero", "division by 0: the result is never a value", 18),
    ("special_amount + granted_minutes", "unit-mismatch", "cannot add duration to money (SEK)", 1),
    ("special_amount - 5", "unit-mismatch", "cannot subtract count from money (SEK)", 1),
    ("granted_minutes > 30", "unit-mismatch", "cannot compare duration with count", 1),
    (
        "special_amount * granted_minutes + 1 SEK",
        "unit-mismatch",
        "cannot add money (SEK) to quantity in SEK·min",
        1,
    ),
    (
        "if level > 2 then 1 SEK else 2 min",
        "unit-mismatch",
        "the two branches differ: `then` gives money (SEK), `else` gives duration",
        1,
    ),
    ("start_date + 5", "unit-mismatch", "cannot add count to a date", 1),
    ("start_date + special_amount", "unit-mismatch", "cannot add money (SEK) to a date", 1),
    (
        "step(granted_minutes, kontrollnivåer)",
        "unit-mismatch",
        "`kontrollnivåer` has brackets in ratio, but this is duration",
        6,
    ),
    (
        "step(40 %, kontrollnivåer, 5 SEK)",
        "unit-mismatch",
        "the value above every bracket must be ratio, like the table's values, not money (SEK)",
        28,
    ),
    (
        "min(granted_minutes, special_amount)",
        "unit-mismatch",
        "`min` mixes duration and money (SEK)",
        22,
    ),
    ("granted_minuts", "unknown-name", "unknown name `granted_minuts`", 1),
    ("timpriss * 2 h", "unknown-name", "unknown name `timpriss`", 1),
    ("foo(1)", "unknown-name", "unknown function `foo`", 1),
    ('service == "omsorgg"', "unknown-value", '`service` is never "omsorgg"', 12),
    ('service in ["omsorg", "servise"]', "unknown-value", '`service` is never "servise"', 23),
    # a level outside 1–29, or no whole number, is never a decision's: the rows meant
    # were paid nothing, in silence, as for a misspelt code
    ("level == 30", "unknown-value", "`level` is never 30: it holds whole numbers, 1–29", 10),
    ("level in [0, 1]", "unknown-value", "`level` is never 0: it holds whole numbers, 1–29", 11),
    ("level != 2.5", "unknown-value", "`level` is never 2.5: it holds whole numbers, 1–29", 10),
    ("if level then 1 else 2", "type-mismatch", "`if` needs true/false, but this is count", 4),
    ("level and true", "type-mismatch", "`and` needs true/false, but this is count", 1),
    ("not level", "type-mismatch", "`not` needs true/false, but this is count", 5),
    ("nivåbelopp", "type-mismatch", "`nivåbelopp` is a table; look it up by its keys", 1),
    ("kontrollnivåer", "type-mismatch", "`kontrollnivåer` is a step table", 1),
    (
        'service > "a"',
        "type-mismatch",
        "`>` orders numbers and dates, not text (one of a fixed list)",
        1,
    ),
    ("-service", "type-mismatch", "cannot negate text (one of a fixed list)", 1),
    ('level in [1, "två"]', "type-mismatch", "a list mixes count and text", 14),
    ("special_amount where level > 1", "syntax", "unexpected `where`", 16),
    (
        "abs(special_amount where level > 1)",
        "bad-call",
        "`where` filters the rows of an aggregation",
        5,
    ),
    ("nivåbelopp[zone]", "bad-lookup", "`nivåbelopp` has 2 keys (zone, level), but 1 was given", 1),
    (
        "nivåbelopp[level, zone]",
        "bad-lookup",
        "key `zone` of `nivåbelopp` is a text, but this is count",
        12,
    ),
    ('nivåbelopp["stad", 1]', "bad-lookup", '`nivåbelopp` has no `zone` "stad"', 12),
    (
        "step(40 %, timpris)",
        "bad-call",
        "the second argument of `step` must be a step table parameter",
        12,
    ),
    ("sum(visits.minutes)", "bad-call", "`sum` needs a list of related rows here", 5),
    (
        "round(special_amount, level)",
        "bad-call",
        "the number of decimals must be a whole number written out, e.g. 2",
        23,
    ),
    ("min()", "bad-call", "`min` takes 1 or more arguments, not 0", 1),
    ("clamp(special_amount, 0 SEK)", "bad-call", "`clamp` takes 3 arguments, not 2", 1),
    (
        "days_active(level, end_date)",
        "bad-call",
        "`days_active` takes dates, but this is count",
        13,
    ),
    ("date(level)", "bad-call", "`date` takes a date and time, not count", 1),
    (
        "add_months(start_date, level)",
        "bad-call",
        "the number of months must be a whole number written out, e.g. 3, or a count of "
        "parameters (`uppsägningstid`, `åldersgräns * 12`)",
        24,
    ),
    ("level +", "syntax", "the formula ends too early", 8),
    ("level = 3", "syntax", "unexpected character `=`", 7),
    ("level && true", "syntax", "unexpected character `&`", 7),
    ("if level > 2 then 1 SEK", "syntax", "the formula ends too early", 24),
    ("(level + 1", "syntax", "the formula ends too early", 11),
    ("level 3", "syntax", "unexpected `3`", 7),
    ("40,5 %", "syntax", "unexpected `,`", 3),
    ("start_date < 2024-13-01", "syntax", "this is not a valid date", 14),
    ("5 kronor", "unknown-unit", "unknown unit `kronor`", 1),
    ("x + 1", "cycle", "definitions depend on each other in a circle: x → x", 1),
    (
        "round(special_amount, 15 min)",
        "unit-mismatch",
        "cannot round money (SEK) to a multiple of duration",
        23,
    ),
    ("round(special_amount, 0 SEK)", "bad-call", "round to a multiple above zero", 23),
    (  # a parameter, but not a count: days
        "add_months(start_date, frist)",
        "bad-call",
        "the number of months must be a whole number written out, e.g. 3, or a count of "
        "parameters (`uppsägningstid`, `åldersgräns * 12`)",
        24,
    ),
    (
        "round(special_amount, gräns)",
        "unit-mismatch",
        "cannot round money (SEK) to a multiple of duration",
        23,
    ),
    (
        "round(granted_minutes, taxa)",
        "bad-call",
        "`taxa` is no amount to round to a multiple of",
        24,
    ),
    (
        "round(granted_minutes, nivåbelopp)",
        "type-mismatch",
        "`nivåbelopp` is a table; look it up by its keys",
        24,
    ),
    (  # meant as 15 minutes: it rounded nothing, and paid every visit unrounded
        "ceil(granted_minutes, 15)",
        "bad-call",
        "`ceil(granted_minutes, 15)` would round the minutes to 15 decimals, not to a "
        "multiple of 15 min",
        23,
    ),
    (
        "floor(granted_minutes, 1)",
        "bad-call",
        "`floor(granted_minutes, 1)` would round the minutes to 1 decimal, not to a multiple "
        "of 1 min",
        24,
    ),
    (  # meant as 100 %: paid a hundred times the level amount
        "step(granted_minutes / hours_per_month, kontrollnivåer, 100)",
        "unit-mismatch",
        "`100` beside a share in per cent is 100 wholes (10000 %), not 100 %",
        57,
    ),
    (  # meant as 40 %: true for every share below 4 000 %
        "granted_minutes / hours_per_month < 40",
        "unit-mismatch",
        "`40` beside a share in per cent is 40 wholes (4000 %), not 40 %",
        37,
    ),
    (  # meant as hundreds of kronor
        "round(special_amount, 100)",
        "bad-call",
        "`round` to 100 decimals rounds nothing: values are computed to a millionth",
        23,
    ),
    (
        "start_date + 36 h == 2024-01-16",
        "type-mismatch",
        "`==` compares a date and time with a date: true only at midnight",
        1,
    ),
]

INVALID_CUSTOMER_MONTH = [
    ("visits", "type-mismatch", "`visits` is the list of visit rows of this customer_month", 1),
    ("visits.minutes", "type-mismatch", "`visits.minutes` is a list of values", 1),
    ("sum(visits.foo)", "unknown-name", "unknown name `foo`", 5),
    ("sum(visits where counted)", "bad-call", "`sum` needs a field to sum", 1),
    ("all(visits)", "bad-call", "`all` needs a true/false field", 1),
    (
        "count_distinct(visits)",
        "bad-call",
        "`count_distinct` counts the different values of a field",
        1,
    ),
    ("sum(visits.service)", "bad-call", "cannot sum text (one of a fixed list)", 5),
    (
        "count(visits where minutes)",
        "type-mismatch",
        "`where` needs true/false, but this is duration",
        20,
    ),
    ("any(decisions.level)", "bad-call", "`any` needs a true/false field, but this is count", 5),
    ("minutes", "unknown-name", "`minutes` is not known on customer_month", 1),
    ("sum(decision.level)", "bad-call", "`sum` needs a list of related rows here", 5),
    # a root that is no relation at all was "a list of values" to be aggregated by the
    # very `max` it stood in
    (
        "max(mätningar.poäng)",
        "unknown-name",
        "`mätningar` is no list of related rows of customer_month, nor its customer or provider",
        5,
    ),
    (
        "max(vists.minutes)",
        "unknown-name",
        "`vists` is no list of related rows of customer_month, nor its customer or provider",
        5,
    ),
    (
        "customer_month.zone",
        "unknown-name",
        "`customer_month` is no list of related rows of customer_month, nor its customer or "
        "provider",
        1,
    ),
    ("overlaps(customer_id)", "bad-call", "`overlaps` compares visits; use it on visit", 1),
    (
        "count(visits where service == customer_month.servis)",
        "unknown-name",
        "customer_month has no field `servis`",
        31,
    ),
    (
        "visits.minutes + customer_month.zone",
        "type-mismatch",
        "`visits.minutes` is a list of values",
        1,
    ),
]

INVALID_VISIT = [
    (
        "start in [2024-11-04]",
        "type-mismatch",
        "cannot look for date and time in a list of date",
        1,
    ),
    (
        "any(decisions where level > visit.minutes)",
        "unknown-name",
        "`minutes` is computed on visit; a filter can use only its data fields",
        29,
    ),
    (
        "any(decisions where service == visit.servis)",
        "unknown-name",
        "visit has no field `servis`",
        32,
    ),
    ("count(visits)", "bad-call", "`count` needs a list of related rows here", 7),
    # three names in a row were "a list of values", to be summed
    (
        "any(decisions where service == visit.customer.distrikt)",
        "unknown-name",
        "`customers` has no column `distrikt`",
        32,
    ),
    (
        'visit.customer.district == "Centrum"',
        "unknown-name",
        "`visit.` names the outer row, inside an aggregation's `where` only",
        1,
    ),
    (
        "any(decisions where service == visit.kund.district)",
        "unknown-name",
        "visit has no customer or provider called `kund`",
        32,
    ),
    (
        'customer.district.namn == "Centrum"',
        "unknown-name",
        "`customer.district` is one value, with no fields of its own",
        1,
    ),
    (
        "overlaps(start)",
        "bad-call",
        "`overlaps` takes fields of the visit that identify who or where, e.g. staff_id",
        10,
    ),
]


def _invalid() -> list[tuple[str, str, str, str, int]]:
    return (
        [("decision", *c) for c in INVALID_DECISION]
        + [("customer_month", *c) for c in INVALID_CUSTOMER_MONTH]
        + [("visit", *c) for c in INVALID_VISIT]
    )


@pytest.mark.parametrize(
    ("entity", "formula", "code", "message", "column"), _invalid(), ids=[c[1] for c in _invalid()]
)
def test_invalid_formula(tmp_path, entity, formula, code, message, column):
    errors = diagnostics(tmp_path, formula, entity)
    assert errors, "expected an error"
    first = errors[0]
    assert (first.code, first.message) == (code, message), first.render()
    line = FORMULA_LINE
    assert first.span is not None
    assert (first.span.line, first.span.col - FORMULA_COLUMN_OFFSET) == (line, column), (
        first.render()
    )


def test_table_sizes():
    """The issue asks for at least 40 valid and 40 invalid formulas."""
    assert len(_cases()) >= 40
    assert len(_invalid()) >= 40


# One valid use of every builtin, typed by the checker (a builtin added without its
# typing rule fails here; the docs test holds the registry to both implementations).
EVERY_BUILTIN = {
    "sum": ("customer_month", "sum(visits.minutes)"),
    "count": ("customer_month", "count(visits)"),
    "days_covered": ("customer_month", "days_covered(decisions)"),
    "count_distinct": ("customer_month", "count_distinct(visits.staff_id)"),
    "any": ("customer_month", "any(decisions)"),
    "all": ("customer_month", "all(visits.counted)"),
    "min": ("decision", "min(granted_minutes, gräns)"),
    "max": ("customer_month", "max(decisions.level)"),
    "round": ("decision", "round(special_amount, 2)"),
    "floor": ("decision", "floor(special_amount)"),
    "ceil": ("decision", "ceil(granted_minutes, 15 min)"),
    "time_of_day": ("visit", "time_of_day(start)"),
    "weekday": ("visit", "weekday(start)"),
    "minutes_within": ("visit", "minutes_within(start, end, 07:00, 22:00)"),
    "minutes_in": ("visit", 'minutes_in(tidsband, "natt")'),
    "clamp": ("decision", "clamp(special_amount, 0 SEK, 1000 SEK)"),
    "abs": ("decision", "abs(special_amount)"),
    "coalesce": ("decision", "coalesce(end_date, month_end)"),
    "step": ("decision", "step(25 %, kontrollnivåer)"),
    "days_active": ("decision", "days_active(start_date, end_date)"),
    "overlaps": ("visit", "overlaps(staff_id)"),
    "add_months": ("decision", "add_months(start_date, 3)"),
    "date": ("visit", "date(start)"),
}


def test_every_builtin_has_a_typing_rule(tmp_path):
    from engine.builtins import BUILTINS

    assert set(EVERY_BUILTIN) == set(BUILTINS)
    for name, (entity, formula) in EVERY_BUILTIN.items():
        assert diagnostics(tmp_path, formula, entity) == [], name


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        ("max(vists.minutes)", "did you mean `visits`?"),
        ("max(mätningar.poäng)", "the lists of rows on customer_month are: visits, decisions"),
        ("customer_month.zone", "a row's own fields are named alone (`zone`)"),
    ],
)
def test_a_name_that_is_no_list_of_rows_says_what_there_is(tmp_path, formula, hint):
    [found] = diagnostics(tmp_path, formula, "customer_month")
    assert (found.hint or "").startswith(hint), found.hint


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        (
            "any(decisions where service == visit.customer.distrikt)",
            "did you mean `visit.customer.district`?",
        ),
        (
            'visit.customer.district == "Centrum"',
            "the visit's own customer's column is named `customer.district`",
        ),
        (
            "any(decisions where service == visit.custmer.district)",
            "did you mean `visit.customer.district`?",
        ),
    ],
)
def test_the_outer_rows_customer_is_named_in_full(tmp_path, formula, hint):
    """A misspelt column of the outer row's customer is offered with the row's name in
    front, as it must be written inside the filter."""
    errors = diagnostics(tmp_path, formula, "visit")
    assert [e.hint for e in errors] == [hint], [e.render() for e in errors]
