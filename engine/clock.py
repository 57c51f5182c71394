"""Swedish clock time and the time that passes.

The data's dates and times are read as a Swedish clock shows them. Twice a year the
clock and the time part: on the last Sunday of March the clock goes from 02:00 to
03:00, on the last Sunday of October from 03:00 back to 02:00 (the EU rule, Sweden's
since 1996). A night visit 01:30–03:30 lasts three hours in October and one in March,
not the two the clock's faces differ by, so the minutes between two dates and times
are the minutes that passed: the clock's difference less the hour it jumped between
them. A clock time in October's repeated hour (02:00–03:00) is taken as its first
occurrence, summer time; one in March's skipped hour never was."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

FIRST_YEAR = 1996  # the EU rule in Sweden: summer time ends in October
LAST_YEAR = 2099  # as far as the time-zone database Polars carries goes


@dataclass(frozen=True)
class ClockChange:
    """A night the clock is moved: from `at` (03:00 by the clock after the change)
    the new time holds; `minutes` is how far the clock jumped (60 forward in March,
    -60 back in October)."""

    at: datetime
    minutes: int

    @property
    def hour(self) -> datetime:
        """The clock's hour that is skipped (March) or passes twice (October)."""
        return self.at - timedelta(hours=1)


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month of 31 days (March, October)."""
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


CHANGES: tuple[ClockChange, ...] = tuple(
    ClockChange(datetime.combine(last_sunday(year, month), time(3)), jump)
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
    for month, jump in ((3, 60), (10, -60))
)
MOMENTS = [change.at for change in CHANGES]


def changes_near(first: datetime, last: datetime, margin: timedelta) -> list[ClockChange]:
    """The clock changes from `margin` before `first` to `margin` after `last` (a
    time of year 9999 is near none after it)."""
    low = first - margin if first > datetime.min + margin else datetime.min
    high = last + margin if last < datetime.max - margin else datetime.max
    return changes_between(low, high)


def changes_between(first: datetime, last: datetime) -> list[ClockChange]:
    """The clock changes from `first` to `last`, both included."""
    low = bisect.bisect_left(MOMENTS, first)
    high = bisect.bisect_right(MOMENTS, last)
    return list(CHANGES[low:high])


def summer_minutes(moment: datetime) -> int:
    """60 in summer time (the clock an hour ahead of winter's), else 0."""
    return 60 * (bisect.bisect_right(MOMENTS, moment) % 2)


def elapsed_minutes(earlier: datetime, later: datetime) -> Decimal:
    """The minutes that passed from one clock time to another (negative when `later`
    is the earlier)."""
    delta = later - earlier
    micro = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micro) / 60_000_000 - (summer_minutes(later) - summer_minutes(earlier))


def clock_after(moment: datetime, minutes: Decimal) -> datetime:
    """What the clock shows `minutes` after it showed `moment` (before it, for a
    negative number): an hour more across March's change night, an hour less across
    October's. On a scale of winter time, summer time runs from each change's 02:00 to
    the next."""
    passed = timedelta(microseconds=int(round(minutes * 60_000_000)))
    winter = moment - timedelta(minutes=summer_minutes(moment)) + passed
    return winter + timedelta(minutes=summer_minutes(winter + timedelta(hours=1)))
