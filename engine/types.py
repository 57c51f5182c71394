"""The types of the formula language, with units.

Every number is a quantity with a dimension: powers of money (SEK) and time.
Internally money is in SEK and time in minutes, so `450 SEK/h` is stored as
7.5 SEK per minute and `450 SEK/h * 2 h` is 900 SEK in both back ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# The largest magnitude of a number written in a rule file (a value or a literal in a
# formula): any real amount fits, and 10^29 or .inf is an error, not an overflow.
MAX_MAGNITUDE = Decimal(10) ** 15
# The longest time written in a rule file (or set by `simulate --set`), in minutes: a
# thousand years. A date moved by it stays within the calendar, where `date(start) +
# 200000000 days` (a frist a goal seek had doubled its way to) went beyond what a
# date holds, and Polars panicked.
MAX_DURATION = Decimal(1000 * 366 * 24 * 60)
TOO_LONG_HINT = "a date moved by it would go beyond the calendar"


def too_long(typ: object, minutes: Decimal) -> bool:
    """A duration (minutes, hours, days) longer than `MAX_DURATION`."""
    return isinstance(typ, Num) and typ.time == 1 and typ.money == 0 and abs(minutes) > MAX_DURATION


def too_long_message(written: str) -> str:
    """What a duration longer than `MAX_DURATION` is told, as it was written."""
    return f"`{written}` is longer than any time carepay computes with (at most 1 000 years)"


@dataclass(frozen=True, slots=True)
class Num:
    """A number with a dimension. `integer` and `percent` only guide display."""

    money: int = 0
    time: int = 0
    integer: bool = False
    percent: bool = False

    @property
    def dimensionless(self) -> bool:
        return self.money == 0 and self.time == 0

    def same_dimension(self, other: Type) -> bool:
        return isinstance(other, Num) and (self.money, self.time) == (other.money, other.time)


@dataclass(frozen=True, slots=True)
class Bool:
    pass


@dataclass(frozen=True, slots=True)
class Date:
    pass


@dataclass(frozen=True, slots=True)
class DateTime:
    pass


@dataclass(frozen=True, slots=True)
class Time:
    """A time of day (minutes after midnight), `07:00` or `time_of_day(start)`."""


@dataclass(frozen=True, slots=True)
class Missing:
    """The type of `missing`: it takes the type its context asks for."""


@dataclass(frozen=True, slots=True)
class Text:
    """Text; `values` lists the allowed values of an enumeration column."""

    values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ListOf:
    item: Type


@dataclass(frozen=True, slots=True)
class Unknown:
    """The type of an expression that already has an error (stops error cascades)."""


Type = Num | Bool | Date | DateTime | Time | Text | ListOf | Missing | Unknown

MONEY = Num(money=1)
DURATION = Num(time=1)
RATE = Num(money=1, time=-1)
COUNT = Num(integer=True)
RATIO = Num(percent=True)
NUMBER = Num()
BOOL = Bool()
DATE = Date()
DATETIME = DateTime()
TIME = Time()
MISSING = Missing()
TEXT = Text()
UNKNOWN = Unknown()

# Units a number literal or a parameter may carry: unit -> (type, factor to internal).
UNITS: dict[str, tuple[Num, float]] = {
    "%": (RATIO, 0.01),
    "SEK": (MONEY, 1.0),
    "kr": (MONEY, 1.0),
    "SEK/month": (MONEY, 1.0),
    "kr/mån": (MONEY, 1.0),
    "SEK/h": (RATE, 1 / 60),
    "kr/h": (RATE, 1 / 60),
    "kr/tim": (RATE, 1 / 60),
    "SEK/min": (RATE, 1.0),
    "kr/min": (RATE, 1.0),
    "min": (DURATION, 1.0),
    "minutes": (DURATION, 1.0),
    "minuter": (DURATION, 1.0),
    "h": (DURATION, 60.0),
    "hours": (DURATION, 60.0),
    "tim": (DURATION, 60.0),
    "timmar": (DURATION, 60.0),
    "day": (DURATION, 1440.0),
    "days": (DURATION, 1440.0),
    "dag": (DURATION, 1440.0),
    "dagar": (DURATION, 1440.0),
}

# A plain number of this many wholes or more, where a share is meant, is a per cent
# written without `%` (`100` for 100 %): 1.2 may be meant as 120 %, 2 is no one's 200 %.
SHARE_WRITTEN_BARE = 2

# Words a parameter's `unit:` may use besides the units above.
UNIT_WORDS: dict[str, Type] = {
    "ratio": RATIO,
    "count": COUNT,
    "number": NUMBER,
    "text": TEXT,
    "date": DATE,
    "bool": BOOL,
}

# Exact unit factors, for the Decimal interpreter (`1/60` must not be a float there).
UNIT_FACTORS: dict[str, tuple[int, int]] = {
    "%": (1, 100),
    "SEK/h": (1, 60),
    "kr/h": (1, 60),
    "kr/tim": (1, 60),
    "h": (60, 1),
    "hours": (60, 1),
    "tim": (60, 1),
    "timmar": (60, 1),
    "day": (1440, 1),
    "days": (1440, 1),
    "dag": (1440, 1),
    "dagar": (1440, 1),
}


def unit_factor(unit: str) -> tuple[int, int]:
    """(numerator, denominator) that converts a value in `unit` to internal units."""
    return UNIT_FACTORS.get(unit, (1, 1))


def multiply(a: Num, b: Num) -> Num:
    money, time = a.money + b.money, a.time + b.time
    dimensionless = money == 0 and time == 0
    return Num(
        money,
        time,
        integer=a.integer and b.integer,
        percent=dimensionless and a.percent and b.percent,
    )


def divide(a: Num, b: Num) -> Num:
    money, time = a.money - b.money, a.time - b.time
    dimensionless = money == 0 and time == 0
    return Num(money, time, integer=False, percent=dimensionless and not a.percent)


def add(a: Num, b: Num) -> Num:
    return Num(a.money, a.time, integer=a.integer and b.integer, percent=a.percent and b.percent)


def describe(t: Type) -> str:
    """A type in words a policy reader knows."""
    match t:
        case Num(money=0, time=0, integer=True):
            return "count"
        case Num(money=0, time=0, percent=True):
            return "ratio"
        case Num(money=0, time=0):
            return "number"
        case Num(money=1, time=0):
            return "money (SEK)"
        case Num(money=0, time=1):
            return "duration"
        case Num(money=1, time=-1):
            return "rate (SEK/h)"
        case Num(money=m, time=s):
            parts = [p for p in (_power("SEK", m), _power("min", s)) if p]
            return "quantity in " + "·".join(parts)
        case Bool():
            return "true/false"
        case Date():
            return "date"
        case DateTime():
            return "date and time"
        case Time():
            return "time of day"
        case Missing():
            return "missing"
        case Text(values=None):
            return "text"
        case Text():
            return "text (one of a fixed list)"
        case ListOf(item=item):
            return f"list of {describe(item)}"
        case Unknown():
            return "unknown"
    raise AssertionError(t)


def _power(unit: str, power: int) -> str:
    if power == 0:
        return ""
    return unit if power == 1 else f"{unit}^{power}"


def display_unit(t: Type) -> str:
    """The unit a value of this type is shown in (reports, explain)."""
    if isinstance(t, Num):
        if t.money == 1 and t.time == 0:
            return "SEK"
        if t.money == 0 and t.time == 1:
            return "min"
        if t.money == 1 and t.time == -1:
            return "SEK/h"
        if t.dimensionless and t.percent:
            return "%"
    return ""


def sheet_heading(heading: str, t: Type) -> str:
    """A column's heading as a sheet shows it: a duration is shown in hours, and says
    so ("Utförd tid (h)"); the checker holds the headings apart by these words."""
    if isinstance(t, Num) and not t.money and t.time:
        return f"{heading} (h)"
    return heading


def display_factor(t: Type) -> tuple[int, int]:
    """(numerator, denominator) that converts an internal value of this type to the
    unit it is written and shown in: rates in SEK/h, ratios in per cent. `round`
    rounds there, so `round(376.7625 SEK/h)` is 377 SEK/h, not 6.28 SEK/min."""
    if isinstance(t, Num) and t.money == 1 and t.time == -1:
        return 60, 1
    if isinstance(t, Num) and t.dimensionless and t.percent:
        return 100, 1
    return 1, 1


def quantity_text(value: float | Decimal | None, typ: Type) -> str:
    """An internal value in the unit a reader writes it, for a message: `1440 min (24
    h)`, `120 %`, `975.484 min (16.26 h)`, `900 SEK`."""
    if value is None:
        return "(no value)"
    num, den = display_factor(typ)
    unit = display_unit(typ)
    shown = _plain(round(float(value) * num / den, 6))
    hours = f" ({_plain(round(float(value) / 60, 2))} h)" if unit == "min" else ""
    return f"{shown}{' ' + unit if unit else ''}{hours}"


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else f"{number:g}"


def to_written(value: Decimal, unit: str) -> Decimal:
    """An internal value in the unit a person wrote (`450 SEK/h` is stored as 7.5)."""
    num, den = unit_factor(unit)
    return value * den / num


def from_written(value: Decimal, unit: str) -> Decimal:
    num, den = unit_factor(unit)
    return value * num / den


def compatible(a: Type, b: Type) -> bool:
    """Can values of these types be compared or be the two branches of an `if`?"""
    if isinstance(a, Unknown | Missing) or isinstance(b, Unknown | Missing):
        return True
    if isinstance(a, Num):
        return a.same_dimension(b)
    if isinstance(a, Text) and isinstance(b, Text):
        return True
    if isinstance(a, Date | DateTime) and isinstance(b, Date | DateTime):
        return True
    return type(a) is type(b)


def unify(a: Type, b: Type) -> Type:
    """The type of `if c then a else b` (assumes `compatible(a, b)`)."""
    if isinstance(a, Unknown | Missing):
        return b
    if isinstance(b, Missing):
        return a
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.money, a.time, a.integer and b.integer, a.percent and b.percent)
    if isinstance(a, Text) and isinstance(b, Text):
        if a.values is None or b.values is None:
            return Text()
        return Text(tuple(sorted(set(a.values) | set(b.values))))
    if isinstance(a, DateTime) or isinstance(b, DateTime):
        return DATETIME
    return a
