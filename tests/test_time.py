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
    max_examples=15,
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


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-70, 120), st.one_of(st.none(), st.integers(-5, 100))),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([(2024, 2), (2024, 3), (2023, 12)]),
)
def test_day_rows_are_one_per_day_in_the_month_and_period(periods, month):
    """`month: {by: days, of: absence}` gives each period one row per day it shares with
    the month, numbered from the period's own first day (also in an earlier month)."""
    import calendar
    from datetime import date
    from types import SimpleNamespace

    import polars as pl

    from engine.catalog import base_vocabulary
    from engine.frames import _days

    TRIED["day-row periods"] += 1
    base = date(2024, 1, 15)
    rows = [
        (i, base + timedelta(days=s), None if n is None else base + timedelta(days=s + n))
        for i, (s, n) in enumerate(periods)
    ]
    first = date(*month, 1)
    last = date(*month, calendar.monthrange(*month)[1])
    frame = pl.DataFrame(
        {
            "i": [r[0] for r in rows],
            "start_date": [r[1] for r in rows],
            "end_date": [r[2] for r in rows],
        },
        schema={"i": pl.Int64, "start_date": pl.Date, "end_date": pl.Date},
    )
    plan = SimpleNamespace(month=first, month_end=last)
    days = _days(frame, base_vocabulary().entities["absence"], plan)  # type: ignore[arg-type]
    expected = {
        (i, start + timedelta(days=k), k + 1)
        for i, start, end in rows
        for k in range(((end or last) - start).days + 1)
        if first <= start + timedelta(days=k) <= last
    }
    got = set(days.select("i", "day", "day_number").iter_rows())
    assert got == expected
    assert days.height == len(expected)  # one row per day and period, no more


@pytest.mark.parametrize(
    ("neighbour", "expected"),
    [
        (("2024-01-31 23:30", "2024-02-01 00:30"), True),  # January's visit into February
        (("2024-03-01 00:00", "2024-03-01 01:00"), True),  # March's visit, the night after
        (("2024-01-31 22:00", "2024-02-01 00:00"), False),  # ends as February begins
        (("2024-03-01 01:00", "2024-03-01 02:00"), False),  # begins after V1 ended
    ],
)
def test_overlaps_sees_the_neighbouring_months_registrations(tmp_path, neighbour, expected):
    """Before: a double registration across a month end went unseen (Örebro §4.7),
    because only the month's own visits were compared. Both back ends agree."""
    start, end = (
        ("2024-02-01 00:00", "2024-02-01 00:45")
        if neighbour[0] < "2024-02"
        else ("2024-02-29 23:30", "2024-03-01 00:30")
    )
    rows = _rows(start, end)
    other = {**rows["visits"][0], "visit_id": "V9", "start": neighbour[0], "end": neighbour[1]}
    rows["visits"].append({**other, "reported_at": neighbour[1]})
    result = evaluate(tmp_path, "overlaps(staff_id)", "visit", rows=rows)
    assert result.compiled is expected and result.interpreted is expected
