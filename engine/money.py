"""Exact money: how amounts are rounded to the öre, shared by both back ends.

Formulas are evaluated in floating point by the vectorized back end and in
`decimal.Decimal` by the interpreter. Both first settle a value on a grid of a
millionth of a krona (which absorbs the last-bit noise of binary floats, so that
0.015 / 3 * 3 is 0.015 in both) and then round to the öre by the model's rule.
Statement lines are kept as whole öre (integers), so totals are exact sums.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

# The grid every value is settled on before it is rounded or compared.
SNAP_DECIMALS = 6
COMPARE_DECIMALS = 9

CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)

ROUNDING_MODES: dict[str, str] = {
    "half_up": decimal.ROUND_HALF_UP,  # 0.005 -> 0.01, -0.005 -> -0.01 (away from zero)
    "half_even": decimal.ROUND_HALF_EVEN,  # banker's rounding
    "down": decimal.ROUND_DOWN,  # towards zero
    "floor": decimal.ROUND_FLOOR,  # `floor(x)`: towards minus infinity
    "ceiling": decimal.ROUND_CEILING,  # `ceil(x)`: towards plus infinity
}

POLARS_MODES: dict[str, str] = {
    "half_up": "half_away_from_zero",
    "half_even": "half_to_even",
}


def snap(value: Decimal, decimals: int = SNAP_DECIMALS) -> Decimal:
    return value.quantize(
        Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_EVEN, context=CONTEXT
    )


def round_to(value: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round to a multiple of `step` (e.g. 0.01 SEK) by the named mode, after snapping."""
    units = (snap(value) / step).quantize(
        Decimal(1), rounding=ROUNDING_MODES[mode], context=CONTEXT
    )
    return units * step


def to_ore(value: Decimal, step: Decimal, mode: str) -> int:
    """A line amount in whole öre."""
    return int(round_to(value, step, mode) * 100)


def ore_to_decimal(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))
