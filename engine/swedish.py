"""Numbers as Swedish readers write them — `1 234,56 kr`, `24,4 %`, a true minus
sign (−) — for everything that leaves the building (letters, reports), by Babel's
Swedish locale rather than hand-made formatting."""

from __future__ import annotations

import re
from decimal import Decimal

# A number whose comma may separate thousands, as an English export writes them
# (`2,000`, `-12,500`), or be a Swedish decimal comma (12,500 = 12,5): read as
# neither, in the data and in rule files alike. `0,125` and `1234,567` are decimals.
AMBIGUOUS_COMMA = re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")


# The true minus sign, as carepay writes negative amounts for people and as a system set
# to Swedish writes them (`−12,5`); read as `-` wherever a number is read.
MINUS_SIGN = "\u2212"


def ascii_minus(text: str) -> str:
    """A number's leading true minus sign (−) as the `-` a program reads."""
    return "-" + text[1:] if text.startswith(MINUS_SIGN) else text


def comma_readings(number: str) -> tuple[str, str]:
    """The two numbers an `AMBIGUOUS_COMMA` may be: `12,500` is 12.5 or 12500."""
    return f"{float(number.replace(',', '.')):g}", number.replace(",", "")


# A number in the data whose point may separate thousands, as a Danish, Norwegian or
# German export writes them (`1.200` kr, twelve hundred), or be a decimal point (1,2):
# read as neither — it was read as 1,20 kr. `0.125` and `1234.567` are decimals. (In a
# rule file a point is the decimal point the docs tell an author to write, but for a
# price: `PRICED_TO_THE_ORE`.)
AMBIGUOUS_POINT = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")


# The units prices are published in to the öre — an amount, a month's, an hour's: a
# value in one written `1.200` (one to three digits, a point, three more) is a tenth
# of an öre as a decimal; twelve hundred, the point between thousands as a Danish or
# German text writes it, is the likelier meaning. In a rule file it is read as
# neither (a price per minute may well have three decimals: 7.125 SEK/min).
PRICED_TO_THE_ORE = frozenset({"SEK", "kr", "SEK/month", "kr/mån", "SEK/h", "kr/h", "kr/tim"})


def point_in_price(number: str, unit: str | None) -> tuple[str, str] | None:
    """The message and hint for a price written `1.200 SEK` (see `PRICED_TO_THE_ORE`),
    or None for any other number."""
    number = ascii_minus(number.strip())
    if unit not in PRICED_TO_THE_ORE or not AMBIGUOUS_POINT.fullmatch(number):
        return None
    plain = number.lstrip("+")
    whole = plain.replace(".", "")
    spaced = f"{int(whole):,}".replace(",", " ")
    message = (
        f"`{number} {unit}` has three decimals, to a tenth of an öre: is it {spaced} {unit}, "
        "a point between thousands? In a rule file a point is the decimal point"
    )
    hint = f"write {whole} for {spaced} {unit}"
    if plain.endswith("0"):  # 1.200 as 1.20: a price to the öre
        hint += f", or {plain[:-1]} for {plain[:-1].replace('.', ',')} {unit}"
    else:  # 17.855, to a tenth of an öre, with a fourth decimal that says so
        hint += f", or {plain}0 for {plain.replace('.', ',')} {unit}"
    return message, hint


class WrittenFloat(float):
    """A YAML number as its writer wrote it, `1.200`, which a float reads as 1.2: a
    price so written is told apart (`swedish.point_in_price`)."""

    written: str

    def __new__(cls, value: float, written: str) -> WrittenFloat:
        made = super().__new__(cls, value)
        made.written = written
        return made

    def __reduce__(self) -> tuple[object, ...]:  # pickled whole: float's own drops `written`
        return (WrittenFloat, (float(self), self.written))


def point_readings(number: str) -> tuple[str, str]:
    """The two numbers an `AMBIGUOUS_POINT` may be, as Swedish text: `1.200` is 1,2 or
    1200."""
    return f"{float(number):g}".replace(".", ","), number.replace(".", "")


def decimal_as_read(number: str) -> str:
    """The decimal reading of `12,500` or `1.200` written so that the data's reader
    takes it as one number: `12,5`, `1,2` — and `1,0440` where three decimals remain,
    for `1,044` may be thousands again."""
    text = f"{float(number.replace(',', '.')):g}".replace(".", ",")
    return f"{text}0" if AMBIGUOUS_COMMA.fullmatch(text) else text


def number(value: Decimal | float | int, pattern: str = "#,##0.##") -> str:
    from babel.numbers import format_decimal

    text = format_decimal(value, format=pattern, locale="sv_SE")
    return MINUS_SIGN + text[1:] if text.startswith(("-", MINUS_SIGN)) else text


def kronor(ore: int | float, signed: bool = False) -> str:
    """Whole öre as kronor with two decimals: `1 234,56`; `+1 234,56` when asked."""
    text = number(Decimal(int(ore)) / 100, "#,##0.00")
    return "+" + text if signed and ore > 0 else text


def percent(value: float | Decimal, signed: bool = False, places: int = 1) -> str:
    """A percentage (already times 100): `24,4 %`; `+2,1 %` when asked."""
    text = number(value, "#,##0." + "0" * places if places else "#,##0") + " %"
    return "+" + text if signed and value > 0 else text


def month(text: str) -> str:
    """A month `2024-03` as a Swedish letter names it: `mars 2024`."""
    from datetime import date

    from babel.dates import format_date

    year, number_ = (int(part) for part in text.split("-"))
    return format_date(date(year, number_, 1), "LLLL y", locale="sv_SE")


# The ownership codes of the base vocabulary, as a Swedish report or workbook names them.
OWNERSHIP = {"municipal": "kommunal", "private": "privat"}
# what a comparison's row of no customer (a provider's own line: a VAT compensation, a
# minimum guarantee) shows for the customer, zone or driftform it has none of
NO_CUSTOMER = "(per utförare, eller saknas)"
