"""Every function of the formula language: its signature and meaning, in one table.

The checker types calls from `kind`; the interpreter and the compiler each keep an
implementation table with exactly these keys (a test holds them to it), and
docs/language.md documents each one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    name: str
    usage: str  # as a reader writes it
    returns: str  # in words
    doc: str  # English
    doc_sv: str  # Swedish
    kind: str  # 'aggregate' | 'scalar'
    min_args: int
    max_args: int | None  # None: any number
    # an aggregation's value over no rows (both back ends read it; None is missing)
    empty: int | bool | None = None


BUILTINS: dict[str, Signature] = {
    s.name: s
    for s in (
        Signature(
            "sum",
            "sum(visits.minutes where counted)",
            "the field's type",
            "Total of a field over related rows (0 when there are none). A row whose "
            "field has no value adds nothing, and the run warns (`skipped-missing`), "
            "naming the row: say what an empty value means with `coalesce`.",
            "Summan av ett fält över relaterade rader (0 om inga finns). En rad där "
            "fältet saknar värde bidrar inte, och körningen varnar (`skipped-missing`) "
            "och pekar ut raden: säg vad ett tomt värde betyder med `coalesce`.",
            "aggregate",
            1,
            1,
            0,
        ),
        Signature(
            "count",
            'count(visits where service == "omsorg")',
            "count",
            "Number of related rows (with a field: rows where it has a value).",
            "Antal relaterade rader.",
            "aggregate",
            1,
            1,
            0,
        ),
        Signature(
            "count_distinct",
            'count_distinct(history.provider_id where service == "omsorg")',
            "count",
            "Number of different values of a field over related rows (missing values are "
            "not counted; 0 when there are none).",
            "Antal olika värden av ett fält bland relaterade rader.",
            "aggregate",
            1,
            1,
            0,
        ),
        Signature(
            "any",
            'any(decisions where service == "trygghetslarm")',
            "true/false",
            "True when at least one related row exists (or has the field true).",
            "Sant om minst en relaterad rad finns.",
            "aggregate",
            1,
            1,
            False,
        ),
        Signature(
            "all",
            "all(visits.counted)",
            "true/false",
            "True when the field is true on every related row (true when there are none).",
            "Sant om fältet är sant på alla relaterade rader.",
            "aggregate",
            1,
            1,
            True,
        ),
        Signature(
            "days_covered",
            'days_covered(decisions where service == "trygghetslarm")',
            "count",
            "Days of the month covered by at least one related row's period — the start and "
            "end dates its entity's month rule names, `{by: period, start: från, end: till}` "
            "(an empty end is open): overlapping and consecutive periods count once.",
            "Antal dagar i månaden som minst en relaterad period täcker.",
            "aggregate",
            1,
            1,
            0,
        ),
        Signature(
            "min",
            "min(a, b, …) or min(decisions.level)",
            "the arguments' type",
            "The smallest of the values — numbers, dates, times — (missing values are "
            "skipped: an empty end date is open; `check` warns where a number can be "
            "missing, `skipped-argument`); with one relation argument, the smallest over "
            "related rows.",
            "Minsta värdet.",
            "scalar",
            1,
            None,
        ),
        Signature(
            "max",
            "max(a, b, …) or max(decisions.level)",
            "the arguments' type",
            "The largest of the values — numbers, dates, times — (missing values are "
            "skipped: an empty end date is open; `check` warns where a number can be "
            "missing, `skipped-argument`); with one relation argument, the largest over "
            "related rows.",
            "Största värdet.",
            "scalar",
            1,
            None,
        ),
        Signature(
            "round",
            "round(x), round(x, 2) or round(x, 15 min)",
            "x's type",
            "x rounded half away from zero, in the unit x is shown in (SEK, SEK/h, %, min): "
            "to whole units, to n decimals, or to a multiple of a quantity of x's kind (written, or a parameter).",
            "Avrundning, 0,5 uppåt, i den enhet värdet visas i (kr, kr/tim, %, min).",
            "scalar",
            1,
            2,
        ),
        Signature(
            "clamp",
            "clamp(x, low, high)",
            "x's type",
            "x limited to the range from low to high: at least low, at most high. A row where low is above high stops the run (`clamp-bounds`): say which wins with `min` and `max`. A bound with no value is skipped, and `check` warns where one can have none (`skipped-argument`).",
            "x begränsat till intervallet low–high: minst low, högst high. En rad där low är större än high stoppar körningen (`clamp-bounds`): säg vilken gräns som gäller med `min` och `max`. En gräns utan värde hoppas över, och `check` varnar där en gräns kan sakna värde (`skipped-argument`).",
            "scalar",
            3,
            3,
        ),
        Signature(
            "abs",
            "abs(x)",
            "x's type",
            "The absolute value.",
            "Absolutbelopp.",
            "scalar",
            1,
            1,
        ),
        Signature(
            "coalesce",
            "coalesce(x, fallback)",
            "x's type",
            "x, or the fallback where x has no value.",
            "x, eller reservvärdet där x saknas.",
            "scalar",
            2,
            2,
        ),
        Signature(
            "step",
            "step(x, kontrollnivåer, 100 %)",
            "the table's value type",
            "The value of the first bracket of a step table whose `under` is above x (or, "
            "for brackets written `up_to:`, whose `up_to` is x or above: 4 h is in `up_to: "
            "4 h`); the optional third argument where x is above every bracket, which is "
            "otherwise an error (`lookup-miss`).",
            "Trappstegstabell: värdet i första intervallet där x < under (eller x ≤ up_to).",
            "scalar",
            2,
            3,
        ),
        Signature(
            "days_active",
            "days_active(start_date, end_date)",
            "count",
            "Days of the period start–end (inclusive; an empty end is open) that fall in the month.",
            "Antal dagar av perioden som infaller i månaden.",
            "scalar",
            2,
            2,
        ),
        Signature(
            "overlaps",
            "overlaps(staff_id)",
            "true/false",
            "On a visit: true when another visit of the month with the same value of the "
            "given field(s) overlaps it in time (visits that end before they start, or "
            "have a missing field, overlap nothing).",
            "Besöket överlappar ett annat besök med samma värde (t.ex. samma personal).",
            "scalar",
            1,
            None,
        ),
        Signature(
            "add_months",
            "add_months(period_end, 3)",
            "date",
            "The date n calendar months later (the last day of a shorter month when the "
            "day does not exist: 31 January + 1 month is 28 or 29 February); n is written "
            "out or a count of parameters (`add_months(födelsedatum, åldersgräns * 12)`).",
            "Datumet n kalendermånader senare.",
            "scalar",
            2,
            2,
        ),
        Signature(
            "floor",
            "floor(x), floor(x, 2) or floor(x, 15 min)",
            "x's type",
            "x rounded down, in the unit x is shown in, like `round`.",
            "Avrundning nedåt, i den enhet värdet visas i.",
            "scalar",
            1,
            2,
        ),
        Signature(
            "ceil",
            "ceil(x), ceil(x, 2) or ceil(x, 15 min)",
            "x's type",
            "x rounded up, in the unit x is shown in, like `round`.",
            "Avrundning uppåt, i den enhet värdet visas i.",
            "scalar",
            1,
            2,
        ),
        Signature(
            "time_of_day",
            "time_of_day(start)",
            "time of day",
            "The time of day of a date and time, to compare with times such as 22:00.",
            "Klockslaget för en tidpunkt.",
            "scalar",
            1,
            1,
        ),
        Signature(
            "weekday",
            "weekday(date(start))",
            "count",
            "The day of the week of a date (or date and time): Monday is 1, Sunday 7.",
            "Veckodagen: måndag 1, söndag 7.",
            "scalar",
            1,
            1,
        ),
        Signature(
            "minutes_within",
            "minutes_within(start, end, 22:00, 07:00)",
            "duration",
            "The minutes of the period start–end that fall inside a daily window from one "
            "time to another (across midnight when the second is earlier), on any day.",
            "Minuterna av perioden inom ett dagligt tidsfönster.",
            "scalar",
            4,
            4,
        ),
        Signature(
            "minutes_in",
            'minutes_in(tider, "natt")',
            "duration",
            "The minutes of the row's start–end in one band of a time-band parameter; every "
            "minute is in exactly one band (the first band listed that covers it).",
            "Minuterna av besöket i ett av tidsbanden.",
            "scalar",
            2,
            2,
        ),
        Signature(
            "date",
            "date(start)",
            "date",
            "The date of a date and time.",
            "Datumdelen av en tidpunkt.",
            "scalar",
            1,
            1,
        ),
    )
}

# The rounding functions and the mode each rounds by (engine/money.py).
ROUNDING_FUNCTIONS = {"round": "half_up", "floor": "floor", "ceil": "ceiling"}

AGGREGATES = {"sum", "count", "count_distinct", "any", "all", "min", "max", "days_covered"}
# The aggregations that pass over a row whose field has no value: a sum takes it as 0,
# min and max take the others, any and all leave it out; the run warns of each such
# row (`skipped-missing`) and `explain` counts them. `count(rows.field)` counts values
# (that is its meaning) and `count_distinct` the different ones, so they do not.
SKIPS_MISSING = frozenset({"sum", "min", "max", "any", "all"})
