"""No silent wrong amount (issue 12): each case here paid a wrong amount, crashed or
said nothing on the engine before it, and each is exact to the öre."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from tests.harness import ROWS, evaluate, same

D = Decimal

NO_DECISIONS = {**copy.deepcopy(ROWS), "decisions": []}

# Aggregates over no rows are typed and comparable in both back ends (a month where the
# customer has visits but no decision rows): before, the vectorized run crashed.
EMPTY_AGGREGATES = [
    ("if max(decisions.granted_minutes) > 0 min then 1 SEK else 2 SEK", D(2), "money (SEK)"),
    ("if min(decisions.granted_minutes) == 0 min then 1 SEK else 2 SEK", D(2), "money (SEK)"),
    ("max(decisions.granted_minutes) == 0 min", None, "true/false"),
    ("coalesce(max(decisions.granted_minutes), 0 min) == 0 min", True, "true/false"),
    ("min(decisions.level)", None, "count"),
    ("max(decisions.start_date)", None, "date"),
    ("coalesce(max(decisions.start_date), month_start)", date(2024, 2, 1), "date"),
    ("sum(decisions.granted_minutes) + 10 min", D(10), "duration"),
    ("count(decisions) + 1", D(1), "count"),
    ("any(decisions)", False, "true/false"),
    ("all(visits.counted) and not any(decisions)", True, "true/false"),
]


@pytest.mark.parametrize(
    ("formula", "expected", "type_name"), EMPTY_AGGREGATES, ids=[c[0] for c in EMPTY_AGGREGATES]
)
def test_aggregates_over_no_rows(tmp_path, formula, expected, type_name):
    from engine import types as t

    result = evaluate(tmp_path, formula, "customer_month", rows=NO_DECISIONS)
    assert t.describe(result.type) == type_name
    assert same(result.compiled, expected), f"compiled {result.compiled!r}"
    assert same(result.interpreted, expected), f"interpreted {result.interpreted!r}"
