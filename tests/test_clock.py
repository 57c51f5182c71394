"""The time between two clock times is the time that passed: on the nights the clocks
are moved (the last Sunday of March, 02:00 → 03:00; of October, 03:00 → 02:00) a
visit's minutes, its minutes in a daily window and in each time band are the minutes
the visit lasted, not the difference of the clock's faces. Hand-computed cases through
both back ends, and properties against the time-zone database Polars carries."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import load, load_dataset, parse_month, run_model
from engine.assumptions import apply_assumptions
from engine.cli import main
from engine.clock import CHANGES, clock_after, elapsed_minutes, last_sunday, summer_minutes
from engine.data import LOCAL_TIME
from engine.frames import _summer_of as summer_of
from engine.frames import changes_in, elapsed
from engine.frames import clock_after as frames_clock_after
from tests.harness import evaluate, same
from tests.test_data import ROOT, VISITS, errors, write
from tests.test_time import EVERY_BAND, _rows

D = Decimal

# (month, start, end, formula, expected: minutes, or a date and time, or true/false)
CASES = [
    # October 2026: on Sunday the 25th the clock goes from 03:00 back to 02:00
    ("2026-10", "2026-10-25 01:30", "2026-10-25 03:30", "end - start", D(180)),
    ("2026-10", "2026-10-24 23:00", "2026-10-25 07:00", "end - start", D(540)),
    # within the repeated hour: both times its first occurrence, summer time
    ("2026-10", "2026-10-25 02:10", "2026-10-25 02:50", "end - start", D(40)),
    ("2026-10", "2026-10-25 01:30", "2026-10-25 02:30", "end - start", D(60)),
    ("2026-10", "2026-10-25 02:30", "2026-10-25 03:30", "end - start", D(120)),
    # a night of the week before: as the clock shows
    ("2026-10", "2026-10-17 23:00", "2026-10-18 07:00", "end - start", D(480)),
    # March 2027: on Sunday the 28th the clock goes from 02:00 to 03:00
    ("2027-03", "2027-03-28 01:30", "2027-03-28 03:30", "end - start", D(60)),
    ("2027-03", "2027-03-27 23:00", "2027-03-28 04:00", "end - start", D(240)),
    ("2027-03", "2027-03-28 03:00", "2027-03-28 04:00", "end - start", D(60)),
    # the night's window 22:00–06:00 holds eight hours in October, six in March
    (
        "2026-10",
        "2026-10-24 21:00",
        "2026-10-25 07:00",
        "minutes_within(start, end, 22:00, 06:00)",
        D(540),
    ),
    (
        "2027-03",
        "2027-03-27 21:00",
        "2027-03-28 07:00",
        "minutes_within(start, end, 22:00, 06:00)",
        D(420),
    ),
    (
        "2026-10",
        "2026-10-24 21:00",
        "2026-10-25 07:00",
        "minutes_within(start, end, 06:00, 22:00)",
        D(120),
    ),
    # Sunday night is the weekend's (Friday 19:00 – Monday 07:00)
    ("2026-10", "2026-10-25 01:30", "2026-10-25 03:30", 'minutes_in(tidsband, "helg")', D(180)),
    ("2027-03", "2027-03-28 01:30", "2027-03-28 03:30", 'minutes_in(tidsband, "helg")', D(60)),
    ("2026-10", "2026-10-25 01:30", "2026-10-25 03:30", EVERY_BAND, D(180)),
    # a date is a whole day: two dates are whole days apart, whichever night lies between
    ("2027-03", "2027-03-30 08:00", "2027-03-30 09:00", "date(start) - 2027-03-27", D(3 * 1440)),
    ("2027-03", "2027-03-27 01:30", "2027-03-27 03:30", "2027-04-01 - date(start)", D(5 * 1440)),
    # a date and time plus a duration is the clock that much time later: a deadline
    # `end > start + 60 min` says what `end - start > 60 min` says
    ("2027-03", "2027-03-28 01:30", "2027-03-28 03:30", "end > start + 60 min", False),
    ("2027-03", "2027-03-28 01:30", "2027-03-28 03:30", "end - start > 60 min", False),
    ("2026-10", "2026-10-25 01:30", "2026-10-25 03:30", "end > start + 150 min", True),
    (
        "2027-03",
        "2027-03-28 01:30",
        "2027-03-28 03:30",
        "start + 60 min",
        datetime(2027, 3, 28, 3, 30),
    ),
    (
        "2026-10",
        "2026-10-25 01:30",
        "2026-10-25 03:30",
        "end - 180 min",
        datetime(2026, 10, 25, 1, 30),
    ),
    (
        "2027-03",
        "2027-03-28 10:00",
        "2027-03-28 11:00",
        "start - 24 h",
        datetime(2027, 3, 27, 9, 0),
    ),
    (
        "2027-03",
        "2027-03-29 10:00",
        "2027-03-29 11:00",
        "date(start) - 36 h",
        datetime(2027, 3, 27, 11, 0),
    ),
    # the time of day is the clock's
    (
        "2026-10",
        "2026-10-25 01:30",
        "2026-10-25 03:30",
        "time_of_day(end) - time_of_day(start)",
        D(120),
    ),
]


@pytest.mark.parametrize(
    ("month", "start", "end", "formula", "expected"),
    CASES,
    ids=[f"{c[3][:40]} {c[1]}–{c[2][-5:]}" for c in CASES],
)
def test_minutes_across_a_clock_change(tmp_path, month, start, end, formula, expected):
    result = evaluate(tmp_path, formula, "visit", rows=_rows(start, end), month_text=month)
    assert same(result.compiled, expected), f"compiled {result.compiled!r}"
    assert same(result.interpreted, expected), f"interpreted {result.interpreted!r}"


def test_the_rule_is_the_time_zone_databases_from_1996_to_2099() -> None:
    """Every change night from the rule (last Sundays, at 03:00) is the night
    Europe/Stockholm moves its clock, by the time-zone database."""
    hours = pl.datetime_range(
        datetime(1996, 1, 1), datetime(2101, 1, 1), "1h", time_zone="UTC", eager=True
    )
    offsets = hours.dt.convert_time_zone(LOCAL_TIME).dt.dst_offset()
    moved = hours.filter(offsets != offsets.shift(1)).dt.convert_time_zone(LOCAL_TIME)
    found = moved.dt.replace_time_zone(None).to_list()
    # March's change at 03:00, the first hour of summer time; October's at 02:00, the
    # first of winter time (the hour before 03:00 was summer time's, first)
    assert found == [c.at if c.minutes > 0 else c.hour for c in CHANGES]
    assert last_sunday(2026, 10).isoformat() == "2026-10-25"
    assert last_sunday(2027, 3).isoformat() == "2027-03-28"


MOMENTS = st.datetimes(datetime(1990, 1, 1), datetime(2105, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(MOMENTS, min_size=1, max_size=30))
def test_summer_time_is_the_same_by_rule_in_python_and_in_polars(moments) -> None:
    """The interpreter's summer time is the compiler's (each its own search of the change
    nights: what the clock's minutes since a winter's day in 1980 exceed the minutes that
    passed), and Polars' time-zone database's where the time exists: a time in October's
    repeated hour is taken as summer time."""
    frame = pl.DataFrame({"t": moments}, schema={"t": pl.Datetime("us")})
    winter = pl.lit(datetime(1980, 1, 1))
    on_the_clock = (pl.col("t") - winter).dt.total_microseconds() / 60_000_000
    polars = frame.select((on_the_clock - elapsed(pl.col("t"), winter)).round(6).alias("x"))["x"]
    database = frame.select(
        pl.col("t")
        .dt.replace_time_zone(LOCAL_TIME, ambiguous="earliest", non_existent="null")
        .dt.dst_offset()
        .dt.total_minutes()
        .alias("dst")
    )["dst"]
    for moment, compiled, dst in zip(moments, polars, database, strict=True):
        assert compiled == summer_minutes(moment), moment
        if dst is not None and 1996 <= moment.year <= 2099:
            assert summer_minutes(moment) == dst, moment


# times within a year or two of a change night (so few changes lie among them that each
# is compared with), its moment and a microsecond either side among them, and some none
NEAR_A_CHANGE = st.integers(0, len(CHANGES) - 1).flatmap(
    lambda k: st.lists(
        st.one_of(
            st.none(),
            st.sampled_from([CHANGES[k].at + timedelta(microseconds=d) for d in (-1, 0, 1)]),
            st.datetimes(CHANGES[k].at - timedelta(days=400), CHANGES[k].at + timedelta(days=400)),
        ),
        min_size=1,
        max_size=30,
    )
)


@settings(max_examples=300, deadline=None)
@given(NEAR_A_CHANGE)
def test_summer_time_of_a_batch_near_a_few_changes_is_the_rules(moments) -> None:
    """A batch of times across a few change nights (a month's visits) is told summer
    from winter by comparing it with each of those nights, not by a search among all
    of them: the same minutes as the rule's for every time, none for no time."""
    micros = pl.Series(moments, dtype=pl.Datetime("us")).cast(pl.Int64)
    found = summer_of(micros).to_list()
    assert found == [None if m is None else summer_minutes(m) for m in moments]


# clock times of two autumns and springs, each with a number of minutes (two days either way)
TIMES_AND_MINUTES = st.lists(
    st.tuples(st.datetimes(datetime(2025, 9, 1), datetime(2027, 5, 1)), st.integers(-3000, 3000)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(TIMES_AND_MINUTES)
def test_the_frames_own_changes_give_what_every_change_gives(pairs) -> None:
    """The compiler looks only at the change nights near a frame's dates and times
    (none in most months); that is the same as looking at all of them, and as the
    interpreter's minutes."""
    frame = pl.DataFrame(
        {"a": [a for a, _ in pairs], "b": [a + timedelta(minutes=m) for a, m in pairs]},
        schema={"a": pl.Datetime("us"), "b": pl.Datetime("us")},
    )
    near = changes_in(frame, ["a", "b"])
    got = frame.select(
        elapsed(pl.col("b"), pl.col("a"), near).alias("near"),
        elapsed(pl.col("b"), pl.col("a")).alias("all"),
    )
    for (a, m), x, y in zip(pairs, got["near"], got["all"], strict=True):
        expected = elapsed_minutes(a, a + timedelta(minutes=m))
        assert Decimal(str(x)) == expected == Decimal(str(y)), (a, m)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sampled_from([("2026-10", datetime(2026, 10, 24)), ("2027-03", datetime(2027, 3, 27))]),
    st.integers(0, 2 * 1440 - 1),
    st.integers(1, 23 * 60),  # a day on the clock in October is 25 hours: rejected
)
def test_band_minutes_add_up_to_the_visit_on_a_change_night(
    tmp_path_factory, night, offset, length
):
    """Every minute that passed is in exactly one band, in both back ends, on the
    weekend the clocks move: the bands add up to `end - start`, the time that passed
    by the time-zone database."""
    month, first = night
    start = first + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    skipped = [c.hour for c in CHANGES if c.minutes > 0]
    if any(h <= moment < h + timedelta(hours=1) for moment in (start, end) for h in skipped):
        return  # a time March's clock never showed: rejected when read (test_data)
    rows = _rows(f"{start:%Y-%m-%d %H:%M}", f"{end:%Y-%m-%d %H:%M}")
    tmp = tmp_path_factory.mktemp("bands")
    local = pl.Series([start, end]).dt.replace_time_zone(LOCAL_TIME, ambiguous="earliest")
    passed = local.dt.convert_time_zone("UTC")  # Python subtracts one zone's times as on a clock
    minutes = D(int((passed[1] - passed[0]).total_seconds() // 60))
    whole = evaluate(tmp, "end - start", "visit", rows=rows, month_text=month)
    bands = evaluate(tmp, EVERY_BAND, "visit", rows=rows, month_text=month)
    for value in (whole.compiled, whole.interpreted, bands.compiled, bands.interpreted):
        assert same(value, minutes), (start, end, value, minutes)


# Read from files: a time March's clock never showed is a rejected row; instants are
# read in Swedish time, and a visit across the October night is the three hours it was.
# Älvsbacka pays 431 kr an hour of executed time and 70 kr an hour of the weekend.

ALVSBACKA = ROOT / "examples/alvsbacka"
HEADER = "visit_id,customer_id,provider_id,service,start,end,antal_personal\n"


def _paid(tmp: Path, visits: str, month: str) -> dict[str, int]:
    data = tmp / "data"
    shutil.copytree(ALVSBACKA / "data", data)
    (data / "visits.csv").write_text(HEADER + visits, encoding="utf-8")
    checked, _ = load(ALVSBACKA / "model.yaml")
    dataset, _ = load_dataset(checked, data)
    lines = run_model(checked, dataset, [parse_month(month)]).lines
    return {
        f"{r['customer_id']}:{r['payment']}": r["amount_ore"] for r in lines.iter_rows(named=True)
    }


@pytest.mark.parametrize(
    "written",
    [
        "V1,K1,P1,omsorg,2026-10-25 01:30,2026-10-25 03:30,1",
        "V1,K1,P1,omsorg,2026-10-24T23:30:00Z,2026-10-25T02:30:00Z,1",  # UTC instants
        "V1,K1,P1,omsorg,2026-10-25T01:30:00+02:00,2026-10-25T03:30:00+01:00,1",
    ],
)
def test_a_visit_across_the_october_night_is_paid_the_three_hours_it_lasted(
    tmp_path, written
) -> None:
    """K1's visit 01:30–03:30 on Sunday 25 October 2026 (the clock at 03:00 back to
    02:00): three hours, 1 293 kr of time and 210 kr of weekend, whether written as
    the clock showed it or as instants; it was paid the clock's two hours, 862 + 140
    kr, with exit 0."""
    paid = _paid(tmp_path, written + "\n", "2026-10")
    assert (paid["K1:tid"], paid["K1:ob"]) == (129_300, 21_000)


def test_a_time_the_clock_skipped_is_a_rejected_row(tmp_path) -> None:
    """02:30 on 31 March 2024 was no time in Sweden (02:00 became 03:00): how long
    the visit 02:30–04:00 lasted is unknown (an hour and a half by a clock not moved
    forward, half an hour if it was a typing mistake for 03:30), so the row is
    rejected, saying what to write; it was paid as 90 minutes with exit 0. Written
    with its offset from UTC (`02:30+01:00`, which is 03:30 summer time) it is read:
    Älvsbacka pays its 30 minutes, 215,50 kr, and 35 kr of weekend."""
    skipped = VISITS.replace("2024-02-05 08:00", "2024-03-31 02:30").replace(
        "2024-02-05 12:00", "2024-03-31 04:00"
    )
    found = errors(write(tmp_path, visits=skipped))
    message = (
        "`start` 2024-03-31 02:30 is no time in Sweden: at 02:00 on 2024-03-31 the clocks "
        "went forward to 03:00"
    )
    assert ("bad-date", "visits.csv:2:start", message) in found, found
    offset = "V1,K1,P1,omsorg,2027-03-28T02:30:00+01:00,2027-03-28 04:00,1\n"
    paid = _paid(tmp_path, offset, "2027-03")
    assert (paid["K1:tid"], paid["K1:ob"]) == (21_550, 3_500)


def test_a_scenarios_visit_time_is_the_time_that_passed(tmp_path) -> None:
    """A study assuming visits half as long, and visits under 30 minutes not
    registered, on the March night the clock goes forward: 23:00–04:00 lasted four
    hours and ends at 01:00 (it ended at 01:30, two and a half hours); 01:50–03:10
    lasted 20 minutes and is not registered (it was kept as 80)."""
    data = tmp_path / "data"
    shutil.copytree(ALVSBACKA / "data", data)
    (data / "visits.csv").write_text(
        HEADER
        + "V1,K1,P1,omsorg,2027-03-27 23:00,2027-03-28 04:00,1\n"
        + "V2,K1,P1,omsorg,2027-03-28 01:50,2027-03-28 03:10,1\n",
        encoding="utf-8",
    )
    study = tmp_path / "study.yaml"
    study.write_text(
        f"model: halften\nextends: {ALVSBACKA / 'model.yaml'}\n"
        "assumptions:\n"
        "  korta:\n    description: Korta besök registreras inte\n"
        "    drop_visits_shorter_than: 30 min\n"
        "  hälften:\n    description: Hälften så långa besök\n    scale_visit_time: 0.5\n",
        encoding="utf-8",
    )
    checked, _ = load(study, [parse_month("2027-03")])
    dataset, _ = load_dataset(checked, data)
    changed, _ = apply_assumptions(checked.model.vocabulary, checked.model.assumptions, dataset)
    visits = changed.tables["visits"].select("visit_id", "end").rows()
    assert visits == [("V1", datetime(2027, 3, 28, 1, 0))]


def test_explain_says_why_a_visit_lasted_longer_than_its_clock_times_say(tmp_path) -> None:
    """explain showed `end - start = 180 min` under `end = 03:30` and `start = 01:30`
    with nothing to say why: it names the night the clocks went back."""
    data = tmp_path / "data"
    shutil.copytree(ALVSBACKA / "data", data)
    (data / "visits.csv").write_text(
        HEADER + "V1,K1,P1,omsorg,2026-10-25 01:30,2026-10-25 03:30,1\n", encoding="utf-8"
    )
    args = ["explain", "--lang", "en", str(ALVSBACKA / "model.yaml"), "--data", str(data)]
    ran = CliRunner().invoke(main, [*args, "--month", "2026-10", "--customer", "K1"])
    assert ran.exit_code == 0, ran.output
    said = (
        "the clocks went back from 03:00 to 02:00 on 2026-10-25: 120 min on the clock, "
        "180 min passed"
    )
    assert said in ran.output
    assert "faktisk_tid = 180 min (3.00 h)" in ran.output
    swedish = CliRunner().invoke(
        main, ["explain", *args[3:], "--month", "2026-10", "--customer", "K1"]
    )
    said = (
        "klockan ställdes tillbaka från 03:00 till 02:00 den 2026-10-25: 120 min på klockan, "
        "180 min förflöt"
    )
    assert said in swedish.output


@pytest.mark.parametrize(
    ("written", "rejected"),
    [
        # 24 hours on the clock and 25 that passed: longer than a visit can be
        ("V1,K1,P1,omsorg,2026-10-24 03:00,2026-10-25 03:00,1", True),
        # 24 hours and a half on the clock, 23 and a half that passed
        ("V1,K1,P1,omsorg,2027-03-27 03:30,2027-03-28 04:00,1", False),
    ],
)
def test_a_visit_longer_than_a_day_is_so_by_the_time_that_passed(tmp_path, written, rejected):
    data = tmp_path / "data"
    shutil.copytree(ALVSBACKA / "data", data)
    (data / "visits.csv").write_text(HEADER + written + "\n", encoding="utf-8")
    checked, _ = load(ALVSBACKA / "model.yaml")
    dataset, _ = load_dataset(checked, data)
    reasons = [str(r.get("reason")) for r in dataset.rejects]
    assert any("more than 24 h" in r for r in reasons) == rejected, reasons


@settings(max_examples=200, deadline=None)
@given(TIMES_AND_MINUTES)
def test_a_clock_time_plus_minutes_is_the_same_in_both_back_ends(pairs) -> None:
    """The compiler's clock time `minutes` later is the interpreter's, and the minutes
    that passed from one to the other are those minutes (where the first is a time the
    clock showed, and the second not in October's repeated hour, read as the first)."""
    frame = pl.DataFrame(
        {"t": [t for t, _ in pairs], "m": [m * 60_000_000 for _, m in pairs]},
        schema={"t": pl.Datetime("us"), "m": pl.Int64},
    )
    compiled = frame.select(frames_clock_after(pl.col("t"), pl.col("m")))["t"].to_list()
    for (moment, minutes), got in zip(pairs, compiled, strict=True):
        expected = clock_after(moment, D(minutes))
        assert got == expected, (moment, minutes)
        repeated = [c.hour <= x < c.at for c in CHANGES for x in (moment, expected)]
        skipped = [c.minutes > 0 and c.hour <= moment < c.at for c in CHANGES]
        if not any(repeated) and not any(skipped):
            assert elapsed_minutes(moment, expected) == minutes, (moment, minutes)


def test_a_time_at_the_end_of_time_is_no_traceback(tmp_path) -> None:
    """A visit ending on 31 December 9999 stopped the run with an OverflowError (the
    clock changes near it were looked for a day past the last a date holds): it is a
    visit longer than a day, a rejected row (and the month counts none)."""
    data = tmp_path / "data"
    shutil.copytree(ALVSBACKA / "data", data)
    written = "V1,K1,P1,omsorg,2026-12-01 08:00,9999-12-31 23:59,1\n"
    (data / "visits.csv").write_text(HEADER + written, encoding="utf-8")
    args = ["run", str(ALVSBACKA / "model.yaml"), "--data", str(data), "--month", "2026-12"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 4, ran.output  # its one visit rejected: none counted
    assert "1 row rejected: the visit lasts 69890608.0 h, more than 24 h" in ran.output


def test_a_window_of_times_moved_by_durations(tmp_path) -> None:
    """`minutes_within` of two times each moved from a date by a duration, in both
    back ends (the interpreter ≡ compiler property test drew a formula like it, and
    before 82eae59 its model grew past 3 GB and killed the test worker; this one alone
    did not). B1 starts 15 January 2024: 20:00 to 09:00 the next morning holds the
    eight hours from 22:00 to 06:00."""
    formula = "minutes_within(start_date + 0 days + 20 h, start_date + 1 days + 9 h, 22:00, 06:00)"
    result = evaluate(tmp_path, formula, "decision")
    assert same(result.compiled, D(480)) and same(result.interpreted, D(480))
