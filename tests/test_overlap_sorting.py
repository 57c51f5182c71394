"""`overlaps(keys…)` by one sort of a packed integer (group code and start) equals the
definition — another row with the same keys whose start–end meets this one's — on
random visits, whatever the keys' type and however the times are packed."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import spans

BASE = datetime(2024, 3, 1)

visit = st.tuples(
    st.sampled_from(["S1", "S2", "S3", None]),  # staff
    st.integers(0, 3),  # a whole-number key
    st.integers(0, 12).map(lambda n: 10 * n),  # start: a coarse grid, so that visits touch
    st.integers(-1, 6).map(lambda n: 10 * n),  # length (0 or less: not a valid span)
    st.booleans(),  # a sub-second part
)


def _frame(rows: list[tuple]) -> pl.DataFrame:
    starts = [
        BASE + timedelta(seconds=s, microseconds=250_000 if f else 0) for _, _, s, _, f in rows
    ]
    return pl.DataFrame(
        {
            "staff_id": [r[0] for r in rows],
            "room": [r[1] for r in rows],
            "start": starts,
            "end": [s + timedelta(seconds=r[3]) for s, r in zip(starts, rows, strict=True)],
        },
        schema={"staff_id": pl.String, "room": pl.Int64, "start": pl.Datetime("us"), "end": pl.Datetime("us")},
    )  # fmt: skip


def _by_definition(frame: pl.DataFrame, keys: list[str]) -> list[bool]:
    rows = frame.to_dicts()
    out = []
    for i, a in enumerate(rows):
        valid = a["end"] > a["start"] and all(a[k] is not None for k in keys)
        out.append(
            valid
            and any(
                j != i
                and b["end"] > b["start"]
                and all(b[k] == a[k] for k in keys)
                and b["start"] < a["end"]
                and a["start"] < b["end"]
                for j, b in enumerate(rows)
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(visit, max_size=30),
    keys=st.sampled_from([["staff_id"], ["staff_id", "room"], ["room"]]),
)
def test_sorting_equals_the_definition(rows, keys):
    frame = _frame(rows)
    found = spans._overlaps_by_sorting(frame, keys, None)
    assert found is not None
    assert found.to_list() == _by_definition(frame, keys)


@pytest.mark.parametrize(("bits", "fits"), [(62, True), (14, True), (8, False)])
def test_whole_seconds_when_microseconds_do_not_fit_and_none_when_nothing_does(
    monkeypatch, bits, fits
):
    """With fewer bits the times are packed in seconds (they are whole here); with
    too few the caller is told (None) and falls back to a window per group."""
    rows = [
        ("S1", 0, 0, 60, False),
        ("S1", 0, 30, 60, False),
        ("S1", 0, 200, 10, False),
        ("S2", 0, 10, 60, False),
    ]
    monkeypatch.setattr(spans, "_BITS", bits)
    found = spans._overlaps_by_sorting(_frame(rows), ["staff_id"], None)
    assert (found.to_list() if found is not None else None) == (
        [True, True, False, False] if fits else None
    )


def test_sub_second_times_are_never_rounded_to_seconds(monkeypatch):
    """Times are measured from the first start: whole seconds from it are packed in
    seconds, a quarter second more is not."""
    monkeypatch.setattr(spans, "_BITS", 14)  # microseconds do not fit
    rows = [("S1", 0, 0, 60, False), ("S1", 0, 100, 10, True)]
    assert spans._overlaps_by_sorting(_frame(rows), ["staff_id"], None) is None


def _with_neighbours(month: pl.DataFrame, others: pl.DataFrame, keys: list[str]) -> list[bool]:
    """The definition over the month's rows, the neighbours' rows counting as partners."""
    both = _by_definition(pl.concat([month, others]), keys)
    return both[: month.height]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(visit, max_size=30), others=st.lists(visit, max_size=8))
def test_key_sets_found_together_equal_the_definition(rows, others):
    """`overlaps(staff_id, room)` is looked for only among the rows `overlaps(staff_id)`
    found (and the neighbours' rows it found): the same answer as alone, for every key set."""
    month, beside = _frame(rows), _frame(others)
    key_sets = [("staff_id", "room"), ("room",), ("staff_id",), ("room", "staff_id")]
    found = spans.overlaps_of(month, key_sets, beside)
    for keys in key_sets:
        flags = found[keys]
        assert flags is not None
        assert flags.to_list() == _with_neighbours(month, beside, list(keys)), keys


@pytest.mark.parametrize(
    ("model", "looked_for"),
    [("bench/core.yaml", False), ("rules/orebro", True)],
)
def test_neighbouring_months_are_looked_for_only_where_overlaps_is_called(
    monkeypatch, model, looked_for
):
    """The core calls no `overlaps(…)`, so no visit is filtered for the months beside;
    Örebro's §4.7 rules do, and its run compares the month with them (before, every
    run filtered them)."""
    from pathlib import Path

    from engine import compile as compile_step
    from engine.api import load, load_dataset, parse_month, run_model

    root = Path(__file__).resolve().parent.parent
    calls = []
    real = compile_step.neighbour_registrations

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_step, "neighbour_registrations", counted)
    month = parse_month("2024-02")
    checked, _ = load(root / model, [month])
    dataset, _ = load_dataset(checked, root / "examples/orebro")
    run_model(checked, dataset, [month])
    assert bool(calls) is looked_for
