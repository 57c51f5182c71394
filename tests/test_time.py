"""Time of day, weekdays, daily windows, calendars and time bands: hand-computed cases
through both back ends, and properties (every minute of a visit in exactly one band,
across midnight and month ends).

The bands of tests/harness.py, in order of precedence: storhelg (the days of the
`storhelg` calendar: 2024-02-06 and 2024-12-24), helg (Friday 19:00 – Monday 07:00),
natt (22:00–07:00), kväll (19:00–22:00), dag (the rest)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TRIED
from tests.harness import ROWS, evaluate, same

D = Decimal
BANDS = ["storhelg", "helg", "natt", "kväll", "dag"]


def _rows(start: str, end: str) -> dict:
    rows = copy.deepcopy(ROWS)
    rows["visits"] = [{**rows["visits"][0], "start": start, "end": end, "reported_at": end}]
    return rows


# (start, end, formula, expected, type)
CASES = [
    ("2024-02-05 08:00", "2024-02-05 08:30", "time_of_day(start)", D(480), "time of day"),
    ("2024-02-05 23:45", "2024-02-06 00:15", "time_of_day(end)", D(15), "time of day"),
    ("2024-02-05 08:00", "2024-02-05 08:30", "time_of_day(start) >= 07:00", True, "true/false"),
    ("2024-02-05 06:59", "2024-02-05 08:30", "time_of_day(start) >= 07:00", False, "true/false"),
    ("2024-02-05 08:00", "2024-02-05 08:30", "22:00 - time_of_day(start)", D(840), "duration"),
    ("2024-02-05 08:00", "2024-02-05 08:30", "weekday(start)", D(1), "count"),  # a Monday
    ("2024-02-11 08:00", "2024-02-11 08:30", "weekday(date(start))", D(7), "count"),
    ("2024-02-09 08:00", "2024-02-09 08:30", "weekday(start) >= 6", False, "true/false"),
    # a daily window, across midnight too
    (
        "2024-02-05 06:30",
        "2024-02-05 08:00",
        "minutes_within(start, end, 07:00, 22:00)",
        D(60),
        "duration",
    ),
    (
        "2024-02-05 21:30",
        "2024-02-05 23:00",
        "minutes_within(start, end, 07:00, 22:00)",
        D(30),
        "duration",
    ),
    (
        "2024-02-05 21:30",
        "2024-02-06 07:30",
        "minutes_within(start, end, 22:00, 07:00)",
        D(540),
        "duration",
    ),
    (
        "2024-02-05 21:30",
        "2024-02-06 07:30",
        "minutes_within(start, end, 07:00, 22:00)",
        D(60),
        "duration",
    ),
    (
        "2024-02-29 23:00",
        "2024-03-01 01:00",
        "minutes_within(start, end, 00:00, 24:00)",
        D(120),
        "duration",
    ),
    (
        "2024-02-05 10:00",
        "2024-02-05 11:00",
        "minutes_within(start, end, 22:00, 07:00)",
        D(0),
        "duration",
    ),
    # a holiday calendar (a list parameter)
    ("2024-02-06 08:00", "2024-02-06 08:30", "date(start) in storhelg", True, "true/false"),
    ("2024-02-05 08:00", "2024-02-05 08:30", "date(start) in storhelg", False, "true/false"),
    ("2024-02-05 08:00", "2024-02-05 08:30", "date(start) not in storhelg", True, "true/false"),
    # time bands: each minute in the first band that covers it
    ("2024-02-05 08:00", "2024-02-05 08:30", 'minutes_in(tidsband, "dag")', D(30), "duration"),
    ("2024-02-05 18:30", "2024-02-05 19:30", 'minutes_in(tidsband, "kväll")', D(30), "duration"),
    ("2024-02-05 18:30", "2024-02-05 19:30", 'minutes_in(tidsband, "dag")', D(30), "duration"),
    ("2024-02-05 21:00", "2024-02-05 23:00", 'minutes_in(tidsband, "natt")', D(60), "duration"),
    # Friday 19:00 begins the weekend: it wins over the evening
    ("2024-02-09 18:00", "2024-02-09 20:00", 'minutes_in(tidsband, "helg")', D(60), "duration"),
    ("2024-02-09 18:00", "2024-02-09 20:00", 'minutes_in(tidsband, "kväll")', D(0), "duration"),
    # Monday 06:00–08:00: the weekend ends at 07:00, then day (not night)
    ("2024-02-12 06:00", "2024-02-12 08:00", 'minutes_in(tidsband, "helg")', D(60), "duration"),
    ("2024-02-12 06:00", "2024-02-12 08:00", 'minutes_in(tidsband, "dag")', D(60), "duration"),
    # the storhelg day 2024-02-06 (a Tuesday) from 23:00 on Monday into it
    ("2024-02-05 23:00", "2024-02-06 01:00", 'minutes_in(tidsband, "natt")', D(60), "duration"),
    ("2024-02-05 23:00", "2024-02-06 01:00", 'minutes_in(tidsband, "storhelg")', D(60), "duration"),
    # across a month end: Thursday 29 February 23:30 to Friday 1 March 00:30
    ("2024-02-29 23:30", "2024-03-01 00:30", 'minutes_in(tidsband, "natt")', D(60), "duration"),
]


@pytest.mark.parametrize(
    ("start", "end", "formula", "expected", "type_name"),
    CASES,
    ids=[f"{c[2]} {c[0]}–{c[1][-5:]}" for c in CASES],
)
def test_time_formula(tmp_path, start, end, formula, expected, type_name):
    from engine import types as t

    result = evaluate(tmp_path, formula, "visit", rows=_rows(start, end))
    assert t.describe(result.type) == type_name
    assert same(result.compiled, expected), f"compiled {result.compiled!r}"
    assert same(result.interpreted, expected), f"interpreted {result.interpreted!r}"


EVERY_BAND = " + ".join(f'minutes_in(tidsband, "{b}")' for b in BANDS)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.integers(0, 29 * 1440 - 1),  # a minute of February 2024 (a visit starts in the month)
    st.integers(1, 24 * 60),
)
def test_band_minutes_add_up_to_the_visit(tmp_path_factory, offset, length):
    """Every minute of a visit is in exactly one band, in both back ends — across
    midnight, weekends, the storhelg day and the end of the month."""
    TRIED["band visits"] += 1
    start = datetime(2024, 2, 1) + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    rows = _rows(f"{start:%Y-%m-%d %H:%M}", f"{end:%Y-%m-%d %H:%M}")
    tmp = tmp_path_factory.mktemp("bands")
    result = evaluate(tmp, EVERY_BAND, "visit", rows=rows)
    assert same(result.compiled, D(length)) and same(result.interpreted, D(length))
    parts = [evaluate(tmp, f'minutes_in(tidsband, "{b}")', "visit", rows=rows) for b in BANDS[:3]]
    for part in parts:
        assert same(part.compiled, part.interpreted)
