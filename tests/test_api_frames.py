"""The Python API takes the tables in memory, with the data's own column names, and
pays exactly what the same tables as files pay (#17: no temporary files)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import polars as pl
import pytest

from engine.api import load, load_dataset, parse_month, run, run_model
from engine.diagnostics import EngineError

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples/hemtjanst/model.yaml"
DATA = ROOT / "examples/hemtjanst/data"
MONTH = parse_month("2024-02")
TABLES = ("providers", "customers", "decisions", "visits")


def _lines(result) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    return result.lines.sort("customer_id", "payment").select(
        "customer_id", "payment", "amount_ore"
    )


def test_frames_pay_what_the_files_pay():
    from_files = run(MODEL, DATA, MONTH)
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    assert _lines(run(MODEL, frames, MONTH)).equals(_lines(from_files))
    assert int(from_files.lines["amount_ore"].sum()) > 0


def test_lazy_frames_with_their_own_column_names():
    frames = {name: pl.scan_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    frames["visits"] = frames["visits"].rename({"staff_id": "personal", "start": "början"})
    columns = {"visits": {"personal": "staff_id", "början": "start"}}
    assert _lines(run(MODEL, frames, MONTH, columns=columns)).equals(
        _lines(run(MODEL, DATA, MONTH))
    )


def test_a_bad_row_in_memory_is_rejected_and_located():
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    frames["visits"] = frames["visits"].with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("omsrog"))
        .otherwise("service")
        .alias("service")
    )
    checked, _ = load(MODEL, [MONTH])
    dataset, warnings = load_dataset(checked, frames)
    rejects = dataset.rejects_frame()
    assert rejects.select("file", "row", "column", "value").rows() == [
        ("visits (in memory)", 4, "service", "omsrog")
    ]
    assert any(w.code == "rejected-rows" for w in warnings)


def test_a_table_that_is_not_one_is_named():
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    frames["visit"] = frames.pop("visits")
    checked, _ = load(MODEL, [MONTH])
    with pytest.raises(EngineError) as caught:
        load_dataset(checked, frames)
    messages = [(d.message, d.hint) for d in caught.value.diagnostics]
    assert ("`visit` is not an input table", "did you mean `visits`?") in messages


@pytest.mark.parametrize(
    ("given", "kind"), [(lambda f: f.to_dicts(), "list"), (lambda f: f.to_dict(), "dict")]
)
def test_a_table_that_is_no_frame_is_named_not_a_crash(given, kind):
    """Before: rows handed over as a list of dictionaries failed with an
    AttributeError from deep inside the reading."""
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    frames["visits"] = given(frames["visits"])
    checked, _ = load(MODEL, [MONTH])
    with pytest.raises(EngineError) as caught:
        load_dataset(checked, frames)
    messages = [d.message for d in caught.value.diagnostics]
    assert f"`visits` (in memory) is a {kind}, not a Polars frame" in messages


@pytest.mark.parametrize("column", ["district", "customer_id"])
def test_a_column_of_python_objects_is_named_not_a_crash(column):
    """A column of Python objects (`dtype=pl.Object`, as `pl.from_pandas` makes of a
    pandas column of mixed values) stopped the read with Polars' `ComputeError: cannot
    cast 'Object' type`: an error naming the column, as one of lists is."""
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    values = frames["customers"][column].to_list()
    frames["customers"] = frames["customers"].with_columns(
        pl.Series(column, values, dtype=pl.Object)
    )
    checked, _ = load(MODEL, [MONTH])
    with pytest.raises(EngineError) as caught:
        load_dataset(checked, frames)
    said = [(d.code, d.message, d.hint) for d in caught.value.diagnostics if d.severity == "error"]
    assert said == [
        (
            "bad-value",
            f"column `{column}` of customers (in memory) holds Python objects (Object), "
            "not numbers, dates or text",
            "make it a column of one kind: text (pl.String), numbers or dates",
        )
    ]


@pytest.mark.parametrize("number", [0, 1])
def test_the_examples_in_docs_api_run(number, monkeypatch, capsys):
    """docs/api.md is true: each of its Python examples runs as written."""
    blocks = re.findall(
        r"```python\n(.*?)```", (ROOT / "docs/api.md").read_text(encoding="utf-8"), re.S
    )
    monkeypatch.chdir(ROOT)
    script = ROOT / "tests" / f"_api_example_{number}.py"
    script.write_text(blocks[number], encoding="utf-8")
    try:
        runpy.run_path(str(script))
    finally:
        script.unlink()
    printed = capsys.readouterr().out
    assert printed.strip()
    if number == 1:  # the same öre as from the files
        assert printed.strip() == str(int(run(MODEL, DATA, MONTH).lines["amount_ore"].sum()))


def test_a_month_is_given_as_the_command_line_writes_it():
    """`run(model, data, "2024-02")` stopped with AttributeError: 'str' object has no
    attribute 'year'; a month as `--month` takes it is read so, anything else is an
    error that says what to give."""
    assert run(MODEL, DATA, "2024-01", "2024-02").totals.equals(
        run(MODEL, DATA, parse_month("2024-01"), parse_month("2024-02")).totals
    )
    with pytest.raises(EngineError, match=r"`202402` is no month: give a date or 'YYYY-MM'"):
        run(MODEL, DATA, 202402)  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="2024-13"):
        run(MODEL, DATA, "2024-13")
    checked, _ = load(MODEL, ["2024-02"])  # the three steps too (a TypeError, an AttributeError)
    dataset, _ = load_dataset(checked, DATA)
    assert run_model(checked, dataset, ["2024-02"]).totals.equals(run(MODEL, DATA, MONTH).totals)


def test_ids_written_as_numbers_with_decimals_are_said_to_be_so():
    """Customer ids as whole numbers, and the visits' as numbers with decimals (a pandas
    column of whole numbers with an empty cell): `1.0` names no customer, and its rows
    are rejected — said as an unknown customer before, with nothing to say why."""
    frames = {name: pl.read_csv(DATA / f"{name}.csv", infer_schema=False) for name in TABLES}
    as_number = pl.col("customer_id").str.strip_prefix("K").cast(pl.Int64)
    for name in ("customers", "decisions"):
        frames[name] = frames[name].with_columns(as_number)
    frames["visits"] = frames["visits"].with_columns(as_number.cast(pl.Float64))
    checked, _ = load(MODEL, [MONTH])
    dataset, warnings = load_dataset(checked, frames)
    said = [w for w in warnings if w.where == "visits (in memory):customer_id"]
    assert len(said) == 1, [w.render() for w in said]
    assert said[0].message == (
        "349 rows rejected: customer `1.0` is not in the customers table (and others like it)"
    )
    assert (said[0].hint or "").startswith(
        "the customers table has the id as a whole number: written with decimals (`1.0` "
        "for `1`, as pandas makes a column of whole numbers with an empty cell) it names "
        "no customer — give the ids as text or whole numbers; rows 1, 2, 3, 4, 5 and 344 more"
    ), said[0].hint
    assert dataset.rejects_frame()["value"].head(1).to_list() == ["1.0"]
