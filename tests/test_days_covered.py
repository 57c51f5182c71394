"""`days_covered(…)` for every group at once (one sort of the whole frame, a running
maximum per group, then a plain sum) equals the union of each group's periods in the
month, counted day by day, on random periods: overlapping, touching, open-ended,
outside the month, filtered out."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.aggregate import _with_days_covered

MONTH = (date(2024, 2, 1), date(2024, 2, 29))
DAY0 = date(2024, 1, 20)

period = st.tuples(
    st.sampled_from(["K1", "K2", "K3"]),  # the group
    st.integers(0, 50),  # first day, from 20 January (some before the month, some after)
    st.one_of(st.none(), st.integers(-3, 25)),  # length in days (None: open-ended)
    st.booleans(),  # the filter
)


def _by_definition(rows: list[tuple], customer: str) -> float:
    days = set()
    for who, first, length, counts in rows:
        if who != customer or not counts or (length is not None and length < 0):
            continue
        start = DAY0 + timedelta(days=first)
        end = MONTH[1] if length is None else start + timedelta(days=length)
        day = max(start, MONTH[0])
        while day <= min(end, MONTH[1]):
            days.add(day)
            day += timedelta(days=1)
    return float(len(days))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(period, max_size=12))
def test_all_groups_at_once_equal_each_groups_union_of_days(rows):
    frame = pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "start_date": [DAY0 + timedelta(days=r[1]) for r in rows],
            "end_date": [
                None if r[2] is None else DAY0 + timedelta(days=r[1] + r[2]) for r in rows
            ],
            "counts": [r[3] for r in rows],
        },
        schema={"customer_id": pl.String, "start_date": pl.Date, "end_date": pl.Date, "counts": pl.Boolean},
    )  # fmt: skip
    info = SimpleNamespace(period=("start_date", "end_date"))
    covered = {"days": (info, pl.col("counts"))}
    child, exprs = _with_days_covered(
        frame, ("customer_id",), covered, [pl.lit(0).alias("days")], MONTH
    )
    found = dict(child.group_by("customer_id").agg(exprs).iter_rows())
    for customer in {r[0] for r in rows}:
        assert found[customer] == _by_definition(rows, customer), customer
