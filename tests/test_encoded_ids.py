"""The run numbers the customers' and providers' ids (`Dataset.for_evaluation`,
`data.encoded_party_ids`: an Enum whose categories are the party's ids in sorted
order), so that it joins, groups and sorts numbers; the dataset's tables keep their
ids in text (what a user of the API joins with), what leaves the engine names its
parties in text again, and text from the data stays inert in files and sheets."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from engine.api import load, load_dataset, parse_month, plan_month, run_model
from engine.compile import _registration_passes, numbering_pays
from engine.data import encoded_party_ids
from engine.reports import neutralised
from engine.workbook import write_comparison_workbook

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples/hemtjanst/model.yaml"
DATA = ROOT / "examples/hemtjanst/data"
MONTH = parse_month("2024-02")

PARTY_COLUMNS = [  # (table, column, the party's table)
    ("visits", "customer_id", "customers"),
    ("visits", "provider_id", "providers"),
    ("decisions", "customer_id", "customers"),
    ("decisions", "provider_id", "providers"),
    ("customers", "customer_id", "customers"),
    ("providers", "provider_id", "providers"),
]


@pytest.fixture(scope="module")
def read() -> tuple[object, object]:
    checked, _ = load(MODEL, [MONTH])
    dataset, _ = load_dataset(checked, DATA)
    return checked, dataset


@pytest.mark.parametrize(("table", "column", "party"), PARTY_COLUMNS)
def test_a_party_column_is_numbered_by_its_partys_ids_in_sorted_order(read, table, column, party):
    _, dataset = read
    encoded = dataset.for_evaluation()[table][column]
    ids = pl.read_csv(DATA / f"{party}.csv", infer_schema=False)[column].str.strip_chars()
    assert isinstance(encoded.dtype, pl.Enum)
    assert encoded.dtype.categories.to_list() == sorted(ids.unique().to_list())
    # the same ids, and a sort by the numbers orders them as their texts would
    as_text = dataset.tables[table][column]
    assert as_text.dtype == pl.String
    assert encoded.cast(pl.String).equals(as_text)
    assert encoded.sort().cast(pl.String).to_list() == sorted(as_text.to_list())


def test_the_runs_of_a_dataset_number_its_ids_once_and_again_when_a_table_changes(read):
    _, dataset = read
    visits = dataset.tables["visits"]
    first = dataset.for_evaluation()
    assert all(first[n] is f for n, f in dataset.for_evaluation().items())
    dataset.tables["visits"] = visits.head(10)
    again = dataset.for_evaluation()
    assert again["visits"].height == 10 and isinstance(
        again["visits"].schema["customer_id"], pl.Enum
    )
    dataset.tables["visits"] = visits  # as the other tests of the module read it


ENCODING_CASES = [  # (visits' customer ids, customers' ids, numbered?)
    (["K2", "K1", "K2"], ["K1", "K2"], True),
    (["K1", None], ["K1", "K2"], True),  # a missing id stays missing
    (["K1", "K9"], ["K1", "K2"], False),  # an id the party lacks (strict stops on it): text
    (["K1"], [], False),  # no customers: nothing to number by
]


@pytest.mark.parametrize(("named", "ids", "numbered"), ENCODING_CASES)
def test_a_column_is_numbered_only_when_every_id_is_its_partys(named, ids, numbered):
    tables = {
        "customers": pl.DataFrame({"customer_id": ids}, schema={"customer_id": pl.String}),
        "visits": pl.DataFrame({"customer_id": named}, schema={"customer_id": pl.String}),
    }
    encoded = encoded_party_ids(tables)["visits"]["customer_id"]
    assert isinstance(encoded.dtype, pl.Enum) == numbered
    assert encoded.cast(pl.String).to_list() == named


NORRTALJE = ROOT / "rules/norrtalje"  # its visits grouped twice: a run numbers its ids


@pytest.fixture(scope="module")
def norrtalje_read() -> tuple[object, object]:
    checked, _ = load(NORRTALJE, [MONTH])
    dataset, _ = load_dataset(checked, ROOT / "examples/orebro")
    return checked, dataset


@pytest.mark.parametrize("numbered", [True, False])
@pytest.mark.parametrize(
    "what", ["lines", "exclusions", "flags", "totals", "providers", "not_counted"]
)
def test_what_leaves_the_engine_names_its_parties_in_text(read, norrtalje_read, what, numbered):
    checked, dataset = norrtalje_read if numbered else read
    result = run_model(checked, dataset, [MONTH])
    assert result.numbered == numbered
    frame = getattr(result, what)
    ids = [c for c in ("customer_id", "provider_id") if c in frame.columns]
    assert ids, frame.columns
    assert all(frame.schema[c] == pl.String for c in ids), frame.schema


def test_indicators_name_their_providers_in_text():
    """Norrtälje's follow-up figures, per customer-month and provider-month (found
    carrying the encoded ids into indicators.parquet before this test)."""
    month = parse_month("2024-02")
    checked, _ = load(ROOT / "rules/norrtalje", [month])
    dataset, _ = load_dataset(checked, ROOT / "examples/orebro")
    indicators = run_model(checked, dataset, [month]).indicators
    assert indicators.height > 0
    assert indicators.schema["provider_id"] == pl.String
    assert indicators.schema["customer_id"] == pl.String


def test_an_id_the_party_lacks_is_rejected_and_the_rest_is_numbered(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    visits = data / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[1] = "K999"  # a customer the customers' table lacks
    visits.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    checked, _ = load(MODEL, [MONTH])
    dataset, _ = load_dataset(checked, data)
    rejected = dataset.rejects_frame().filter(pl.col("table") == "visits")
    assert rejected["value"].to_list() == ["K999"]
    assert isinstance(dataset.for_evaluation()["visits"].schema["customer_id"], pl.Enum)
    assert dataset.tables["visits"].height == len(lines) - 2


ENCODED = pl.Enum(["=1+1", "K1", "@SUM(A1)"])


def test_an_id_that_reads_as_a_formula_stays_inert_in_a_csv_file():
    frame = pl.DataFrame({"customer_id": ["=1+1", "K1", "@SUM(A1)"]}).cast(ENCODED)
    assert neutralised(frame)["customer_id"].to_list() == ["'=1+1", "K1", "'@SUM(A1)"]


def test_an_id_that_reads_as_a_formula_stays_inert_in_a_sheet(tmp_path):
    frame = pl.DataFrame({"provider_id": ["=1+1", "K1", "@SUM(A1)"]}).cast(ENCODED)
    path = tmp_path / "t.xlsx"
    write_comparison_workbook(path, {"compare_providers": frame}, [("A", "a"), ("B", "b")])
    sheet = openpyxl.load_workbook(path)["Utförare"]
    shown = [row[0] for row in sheet.iter_rows(min_row=4, max_row=6, values_only=True)]
    assert shown == ["'=1+1", "K1", "'@SUM(A1)"]


PAYS_CASES = [  # (model, the month's passes over the visits' party ids, numbered?)
    ("bench/core.yaml", 1, False),  # visits grouped once, for the customer-months
    ("examples/hemtjanst/model.yaml", 1, False),
    ("rules/norrtalje", 2, True),  # grouped for customer-months and for provider-months
    ("examples/lovstad/model.yaml", 2, True),
    ("rules/orebro", 3, True),  # joined to their decisions, sorted for overlaps, grouped
]


@pytest.mark.parametrize(("model", "passes", "numbered"), PAYS_CASES)
def test_a_run_numbers_the_ids_when_it_would_hash_them_more_than_once(model, passes, numbered):
    checked, _ = load(ROOT / model, [MONTH])
    plan = plan_month(checked, MONTH)
    assert _registration_passes(plan) == passes
    assert numbering_pays([plan]) == numbered


SAME_CASES = [  # (model, data): each run numbered and not, to the öre alike
    ("examples/hemtjanst/model.yaml", "examples/hemtjanst/data"),
    ("rules/norrtalje", "examples/orebro"),
    ("rules/orebro", "examples/orebro"),
]


@pytest.mark.parametrize(("model", "data"), SAME_CASES)
def test_numbering_the_ids_changes_no_amount(monkeypatch, model, data):
    checked, _ = load(ROOT / model, [MONTH])
    dataset, _ = load_dataset(checked, ROOT / data)
    runs = {}
    for numbered in (True, False):
        monkeypatch.setattr("engine.api.numbering_pays", lambda plans, n=numbered: n)
        result = run_model(checked, dataset, [MONTH])
        assert result.numbered == numbered
        runs[numbered] = (result.lines, result.exclusions, result.totals)
    assert runs[True][0].height > 0  # statement lines to compare
    for with_numbers, without in zip(runs[True], runs[False], strict=True):
        assert with_numbers.equals(without)
        assert with_numbers.schema == without.schema


def test_a_comparison_of_a_numbered_and_an_unnumbered_run_is_the_comparison_of_two_numbered(
    monkeypatch,
):
    """Örebro's run numbers its ids, the core's does not (one group-by): the comparison
    joins what the two runs give, in text, as if both had numbered."""
    from engine.compare import compare_results

    orebro, _ = load(ROOT / "rules/orebro", [MONTH])
    core, _ = load(ROOT / "bench/core.yaml", [MONTH])
    dataset, _ = load_dataset(orebro, ROOT / "examples/orebro")
    comparisons = []
    for forced in (None, True):
        if forced is not None:
            monkeypatch.setattr("engine.api.numbering_pays", lambda plans: True)
        a, b = run_model(orebro, dataset, [MONTH]), run_model(core, dataset, [MONTH])
        assert (a.numbered, b.numbered) == (True, forced is not None)
        comparisons.append(compare_results(a, b, dataset, "A", "B"))
    mixed, numbered = comparisons
    assert mixed.customers.height > 0
    for table in ("customers", "categories", "providers"):
        assert getattr(mixed, table).equals(getattr(numbered, table)), table
        assert getattr(mixed, table).schema == getattr(numbered, table).schema, table
