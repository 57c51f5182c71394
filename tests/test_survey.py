"""The survey of a table (`engine.data._surveyed`): one pass over the columns as read
that converts them and finds what may be wrong, so that a clean table's rows are
never looked at again. Its guesses (every id in a party or code column known, every
date `2024-03-01`) and its flags must never hide a problem: for any table, the
problems found through the survey are exactly those found by looking at every
column, period and key, and the converted table is the full conversion's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import data
from engine.api import load, load_dataset
from engine.catalog import tables

ROOT = Path(__file__).resolve().parent.parent

# cells as a file may hold them: canonical, with spaces, blank, missing, wrong
VISIT_CELLS = {
    "visit_id": ["V1", "V2", "V3", " V1", "V10", "", None, "V\u00a02", "V 4", "V5\t", "\u3000V6"],
    "customer_id": ["K1", "K2", " K1", "K9", "", None],
    "provider_id": ["P1", "P1 ", "P7", None],
    "service": ["omsorg", "service", " omsorg", "omsrog", "", None],
    "start": ["2024-02-05 08:00", "2024-02-05T09:00:00", "2024-02-07 12:00", "xx", "", None],
    "end": ["2024-02-05 12:00", "2024-02-05 08:30", "2024-02-09 12:00", "", None],
}
DECISION_CELLS = {
    "decision_id": ["B1", "B2", "B3", "B2 ", "", None],
    "customer_id": ["K1", "K2", "K9", None],
    "service": ["omsorg", "larm", "omsrog", None],
    "start_date": ["2024-01-01", "2024-01-01 00:00", "2024-01-01T00:00:00", "2023-12-31",
                   "2024-01-01 10:00", "nope", " 2024-02-01 ", "", None],
    "end_date": ["2024-12-31", "2023-06-30", "31/12/2024", "", None],
    "level": ["1", "2", "2.5", "0", "30", " 3 ", "", None],
}  # fmt: skip
LISTS = {
    "customer_id": pl.Series(["K1", "K2"]),
    "provider_id": pl.Series(["P1"]),
}


def rows_of(cells: dict[str, list[str | None]]) -> st.SearchStrategy[pl.DataFrame]:
    row = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in cells.items()})
    return st.lists(row, min_size=1, max_size=12).map(
        lambda rows: pl.DataFrame(rows, schema={name: pl.String for name in cells})
    )


def problems_both_ways(name: str, frame: pl.DataFrame) -> None:
    """The table's problems through its survey, and by looking at everything."""
    table = tables()[name]
    lists = data._known_lists(frame, table, LISTS)
    ds = data.Dataset({}, {name: f"{name}.csv"}, {name: 2})
    read = set(frame.columns)
    converted, as_read, survey = data._surveyed(frame, table, read, lists)
    everything = data.Survey(
        columns=frozenset(c for c in table.columns if c in frame.columns),
        order=True,
        keys=tuple(k for k in table.key if k in converted.columns),
    )
    full = frame.select(data._convert(frame, table.columns[c]).alias(c) for c in frame.columns)
    assert converted.select(frame.columns).equals(full)  # the guesses change no value
    found = data._row_problems(ds, name, table, frame, converted, survey)
    looked = data._row_problems(ds, name, table, frame, converted, everything)
    assert sorted(map(repr, found)) == sorted(map(repr, looked))


# surveyed by one optimised query (as a long table is) and eagerly (as a short one is)
WAYS = pytest.mark.parametrize("lazy_rows", [0, data.LAZY_ROWS], ids=["query", "eager"])


@contextmanager
def surveyed_as(lazy_rows: int) -> Iterator[None]:
    kept = data.LAZY_ROWS
    data.LAZY_ROWS = lazy_rows
    try:
        yield
    finally:
        data.LAZY_ROWS = kept


@WAYS
@settings(max_examples=60, deadline=None)
@given(frame=rows_of(VISIT_CELLS))
def test_the_survey_of_visits_hides_no_problem(lazy_rows: int, frame: pl.DataFrame) -> None:
    with surveyed_as(lazy_rows):
        problems_both_ways("visits", frame)


@WAYS
@settings(max_examples=20, deadline=None)  # the query's way plans 14 columns: 0.6 s a case
@given(frame=rows_of(DECISION_CELLS))
def test_the_survey_of_decisions_hides_no_problem(lazy_rows: int, frame: pl.DataFrame) -> None:
    with surveyed_as(lazy_rows):
        problems_both_ways("decisions", frame)


@pytest.mark.parametrize(
    ("name", "frame", "expected"),
    [
        ("visits", {"visit_id": ["V1", "V2"], "customer_id": ["K1", "K2"],
                    "start": ["2024-02-05 08:00", "2024-02-06 08:00"],
                    "end": ["2024-02-05 09:00", "2024-02-06 09:00"]}, data.Survey()),
        ("visits", {"visit_id": ["V2", "V1"]}, data.Survey(keys=("visit_id",))),  # not rising
        ("visits", {"visit_id": ["V1", "V1"]}, data.Survey(keys=("visit_id",))),
        ("visits", {"visit_id": ["V1", "V2", "V3", "V3"]}, data.Survey(keys=("visit_id",))),
        ("visits", {"visit_id": ["V1", "V3", "V2", "V4"]}, data.Survey(keys=("visit_id",))),
        ("visits", {"visit_id": ["V1", "V2", "V3", "V4"]}, data.Survey()),
        ("visits", {"visit_id": ["V1"]}, data.Survey()),
        ("visits", {"visit_id": ["V1", None]},
         data.Survey(columns=frozenset({"visit_id"}), keys=("visit_id",))),
        ("visits", {"customer_id": ["K1", "K3"]}, data.Survey()),  # unknown: a reference
        ("visits", {"start": ["2024-02-05 08:00"], "end": ["2024-02-05 07:00"]},
         data.Survey(order=True)),
        ("visits", {"start": ["2024-02-05 08:00"], "end": ["2024-02-06 09:00"]},
         data.Survey(order=True)),  # longer than a day
        ("decisions", {"start_date": ["2024-01-01 00:00", "2024-01-02"]}, data.Survey()),
        ("decisions", {"start_date": ["2024-01-01 10:00"]},
         data.Survey(columns=frozenset({"start_date"}))),
    ],
    ids=["clean", "unordered ids", "an id twice", "an id twice at the end",
         "one id out of order", "rising ids", "one id", "an id missing", "unknown customer",
         "ends before it starts", "too long", "dates at midnight", "a date with a time"],
)  # fmt: skip
@WAYS
def test_what_the_survey_flags(
    name: str, frame: dict, expected: data.Survey, lazy_rows: int
) -> None:
    """Only a reason to look is flagged; a clean table has none."""
    table = tables()[name]
    raw = pl.DataFrame(frame, schema={c: pl.String for c in frame})
    lists = {c: LISTS[c] for c in frame if c in LISTS}
    with surveyed_as(lazy_rows):
        _, _, survey = data._surveyed(raw, table, set(frame), lists)
    assert survey == expected


def test_a_clean_table_is_not_looked_at_again(tmp_path, monkeypatch):
    """Before the survey, every column of every table was filtered again for its bad
    values, every period for its order and every key sorted for repeats, also when
    nothing was wrong (0.3 s of 1.1 s at 10 M visits). Now the bundled clean tables
    load without any of those looks."""

    def not_called(*args: object, **kwargs: object) -> None:
        raise AssertionError("looked at a clean table again")

    for look in ("_column_problems", "_order_problems", "has_duplicates"):
        monkeypatch.setattr(data, look, not_called)
    checked, _ = load(ROOT / "examples/hemtjanst/model.yaml")
    dataset, warnings = load_dataset(checked, write_clean(tmp_path))
    assert dataset.rejects == [] and warnings == []
    assert dataset.tables["visits"].height == 2


def write_clean(tmp: Path) -> Path:
    from tests.test_data import write

    return write(tmp)


def test_a_survey_that_guessed_wrong_converts_again():
    """A customer column with one id written with spaces, and dates in two forms:
    the second query converts those columns in full (the others stay as read)."""
    table = tables()["decisions"]
    raw = pl.DataFrame(
        {
            "decision_id": ["B1", "B2"],
            "customer_id": ["K1", " K2"],
            "provider_id": ["P1", "P1"],
            "start_date": ["2024-01-01", "2024-01-01 00:00"],
        }
    )
    converted, as_read, survey = data._surveyed(raw, table, set(raw.columns), LISTS)
    assert as_read == {"provider_id"} and survey == data.Survey()
    assert converted["customer_id"].to_list() == ["K1", "K2"]
    assert converted["start_date"].cast(pl.String).to_list() == ["2024-01-01", "2024-01-01"]


@pytest.mark.parametrize(
    ("ids", "kept"),
    [(["V1", "V2"], True), (["V1", None], True), (["V1", "V2\u00a0"], False),
     (["V1", ""], False), (["V1", "   "], False), (["V 1", "V2"], True),
     (["\u2003V1", "V2"], False), (["V1", "V2\t"], False), (["Åsa-1", "V2"], False),
     (["V1", "1-Ö"], False), ([None, None], True)],
    ids=["canonical", "one missing", "a no-break space", "blank", "spaces only",
         "a space inside", "an em space", "a tab", "a letter first", "a letter last",
         "all missing"],
)  # fmt: skip
@WAYS
def test_an_id_column_is_kept_as_read_only_when_no_value_needs_stripping(
    ids: list[str | None], kept: bool, lazy_rows: int
) -> None:
    """Visit ids are text without a list: kept as read (not copied by stripping)
    when every value begins and ends with printable ASCII (nothing to strip, not
    blank), else converted in full, which gives the same values."""
    table = tables()["visits"]
    raw = pl.DataFrame({"visit_id": ids}, schema={"visit_id": pl.String})
    with surveyed_as(lazy_rows):
        converted, as_read, _ = data._surveyed(
            raw, table, {"visit_id"}, data._known_lists(raw, table, {})
        )
    assert ("visit_id" in as_read) is kept
    assert converted["visit_id"].to_list() == [(v.strip() or None) if v else None for v in ids]


def _every_text_kept(composed: bool) -> Iterator[tuple[str, bool, str]]:
    """Every character of the Basic Multilingual Plane alone, before, after and inside
    a text: each text, whether the guess keeps it as read, and its stripped self."""
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    values = [v for c in chars for v in (c, c + "x", "x" + c, "x" + c + "x")]
    each = (
        pl.DataFrame({"v": values})
        .with_row_index()
        .group_by("index", maintain_order=True)
        .agg(data._known("v", None, composed=composed).alias("kept"))
    )
    stripped = pl.Series(values).str.strip_chars()
    return zip(values, each["kept"], stripped, strict=True)


def test_a_text_kept_as_read_is_one_stripping_leaves_as_it_is():
    """The guess that a text needs no stripping never holds for one that does: every
    character of the Basic Multilingual Plane, alone, before, after and inside a
    text. A text the guess keeps is its own stripped self and not blank; one that
    begins and ends with printable ASCII other than the space is always kept."""
    for value, kept, canonical in _every_text_kept(composed=False):
        plain = "!" <= value[0] <= "~" and "!" <= value[-1] <= "~"
        assert kept is plain, repr(value)
        if kept:
            assert canonical == value and value != "", repr(value)


def test_a_partys_text_is_kept_as_read_when_stripping_leaves_it_as_it_is():
    """In a customer's or provider's table each text is looked at whole (a district
    `Öster` begins beyond ASCII and failed the two bytes' guess: the customers were
    surveyed twice): kept as read exactly when stripping leaves it as it is, it is not
    blank and no letter of it is decomposed."""
    for value, kept, canonical in _every_text_kept(composed=True):
        marked = any("\u0300" <= c <= "\u036f" for c in value)
        assert kept is (canonical == value and value != "" and not marked), repr(value)


def test_customers_in_districts_beginning_beyond_ascii_are_surveyed_once(monkeypatch):
    """Örebro's districts (`Öster`) had the customers' survey run twice."""
    calls: list[str] = []
    survey = data._survey_run

    def counted(frame: pl.DataFrame, table: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(table.name)
        return survey(frame, table, *args, **kwargs)

    monkeypatch.setattr(data, "_survey_run", counted)
    checked, _ = load(ROOT / "rules/orebro")
    load_dataset(checked, ROOT / "examples/orebro")
    assert calls.count("customers") == 1


@pytest.mark.parametrize(
    ("starts", "form"),
    [
        (["2024-02-05 08:00", "2024-02-06 09:30"], "%Y-%m-%d %H:%M"),
        (["", " 2024-02-05T08:00:00", "2024-02-06T09:30:00"], "%Y-%m-%dT%H:%M:%S%.f"),
        ([None, "2024-02-05 08:00:00"], "%Y-%m-%d %H:%M:%S%.f"),
        (["2024-02-05 08:00:00.000"], "%Y-%m-%d %H:%M:%S%.f"),
        (["05/02/2024 08:00"], None),  # no form of ours: every form is tried on every value
        ([None, ""], None),
    ],
)
def test_dates_and_times_are_guessed_to_be_in_the_form_of_the_first(starts, form):
    frame = pl.DataFrame({"start": starts}, schema={"start": pl.String})
    assert data._forms(frame, tables()["visits"]).get("start") == form


def test_instants_among_wall_clock_times_are_each_read_in_swedish_time():
    """The first value is Swedish wall-clock text, the second an instant in UTC: the
    guess fails for the second row, and every form is tried on it."""
    frame = pl.DataFrame(
        {"start": ["2024-02-05 08:00", "2024-02-05T08:00:00Z"], "end": ["2024-02-05 10:00"] * 2}
    )
    converted, _, survey = data._surveyed(frame, tables()["visits"], {"start", "end"}, {})
    assert converted["start"].to_list() == [datetime(2024, 2, 5, 8), datetime(2024, 2, 5, 9)]
    assert "start" not in survey.columns


def test_dates_and_times_in_two_forms_are_each_read():
    """The guess (the first value's form) fails for the second row; the column is read
    again in every form, and nothing is rejected."""
    frame = pl.DataFrame(
        {"start": ["2024-02-05 08:00", "2024-02-05T09:00:00"], "end": ["2024-02-05 09:00"] * 2}
    )
    table = tables()["visits"]
    converted, _, survey = data._surveyed(frame, table, {"start", "end"}, {})
    assert converted["start"].to_list() == [
        datetime(2024, 2, 5, 8, 0),
        datetime(2024, 2, 5, 9, 0),
    ]
    assert "start" not in survey.columns


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2024-03-01 09:39", datetime(2024, 3, 1, 9, 39)),
        ("2024-03-01T09:39", datetime(2024, 3, 1, 9, 39)),
        ("2024-03-01 09:39:30", datetime(2024, 3, 1, 9, 39, 30)),
        ("2024-03-01T09:39:00.000000", datetime(2024, 3, 1, 9, 39)),  # as Polars writes
        ("2024-03-01 09:39:00.123", datetime(2024, 3, 1, 9, 39, 0, 123000)),  # a database's
        ("2024-03-01 09.39", datetime(2024, 3, 1, 9, 39)),  # the Swedish way of old
        ("2024-03-01 9.39", datetime(2024, 3, 1, 9, 39)),
        ("2024-03-01 09.39.30", None),  # a period between minutes and seconds: no form
        ("01/03/2024 09:39", None),
        ("2024-03-01", None),  # a date is not a moment of a visit
        # an instant with its offset from UTC is read in Swedish time, winter and summer
        ("2024-01-31T23:30:00Z", datetime(2024, 2, 1, 0, 30)),
        ("2024-01-31T23:30:00.5Z", datetime(2024, 2, 1, 0, 30, 0, 500000)),
        ("2024-03-01T09:39:00+01:00", datetime(2024, 3, 1, 9, 39)),
        ("2024-07-01 06:00+00:00", datetime(2024, 7, 1, 8, 0)),
        ("2024-07-01T08:00+02:00", datetime(2024, 7, 1, 8, 0)),
        ("2024-03-01T09:39:00+0100", datetime(2024, 3, 1, 9, 39)),
        ("2024-03-01T09:39:00 CET", None),  # a zone's name is no offset
    ],
)
def test_dates_and_times_are_read_with_seconds_and_their_fraction(text, moment):
    """Before, a fraction of a second (a database's or Polars' own export) made every
    visit a bad value."""
    frame = pl.DataFrame({"start": [text]})
    column = tables()["visits"].columns["start"]
    assert frame.select(data._convert(frame, column)).item() == moment
    assert (
        frame.select(
            data._convert(frame, column, form=data._forms(frame, tables()["visits"]).get("start"))
        ).item()
        == moment
    )
