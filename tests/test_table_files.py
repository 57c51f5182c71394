"""How a table's file is found in a data directory, and what is said where it is not:
`visits.CSV` (an export on Windows) was not read here — "found `visits`: did you mean
`visits`?" — though Windows reads it; a `visits.txt`, a download's `visits (1).csv` and
a month's exports `visits_2027-02.csv`, `visits_2027-03.csv` each got a hint beside the
point; and a table that refers to the missing one had each of its rows rejected too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.api import load, load_dataset, parse_month
from engine.diagnostics import EngineError

GRANBY = Path(__file__).resolve().parent / "fixtures/granby"


def _data(tmp_path: Path, *names: str) -> Path:
    """Granby's data with its visits under the given file names (the first V9 row of
    its insatser left out: no row rejected)."""
    data = tmp_path / "data"
    shutil.copytree(GRANBY / "data", data)
    insatser = (data / "insatser.csv").read_text(encoding="utf-8").splitlines()
    (data / "insatser.csv").write_text(
        "\n".join(line for line in insatser if not line.startswith("V9,")) + "\n"
    )
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    (data / "visits.csv").unlink()
    for name in names:
        (data / name).write_text(visits, encoding="utf-8")
    return data


def _said(data: Path) -> tuple[list[str], int]:
    """The errors' messages and hints, and the rows rejected (none where it stopped)."""
    month = parse_month("2027-03")
    checked, _ = load(GRANBY / "model.yaml", [month])
    try:
        dataset, _ = load_dataset(checked, data)
    except EngineError as error:
        return [f"{d.code}: {d.message} | {d.hint}" for d in error.diagnostics], 0
    return [], len(dataset.rejects)


def test_a_files_suffix_in_capitals_is_read(tmp_path: Path) -> None:
    assert _said(_data(tmp_path, "visits.CSV")) == ([], 0)


def test_the_same_table_in_two_cases_is_two_files(tmp_path: Path) -> None:
    errors, _ = _said(_data(tmp_path, "visits.csv", "visits.CSV"))
    assert errors == [
        "two-files: two files for the `visits` table: visits.CSV and visits.csv | "
        "keep one of them (a stale copy would be paid from silently)"
    ]


MISSING = "missing-table: the data has no `visits` table, which the model needs | "


@pytest.mark.parametrize(
    ("names", "hint"),
    [
        (
            ["visits.txt"],
            "found `visits.txt`: a table is read from `visits.csv` or `visits.parquet` (a "
            "workbook is given as --data itself, a sheet named `visits`); if it is a CSV "
            "file, rename it `visits.csv`",
        ),
        (
            ["visits.csv.csv"],
            "found `visits.csv.csv`: a table is read from `visits.csv` or `visits.parquet` (a "
            "workbook is given as --data itself, a sheet named `visits`); if it is a CSV "
            "file, rename it `visits.csv`",
        ),
        (
            ["visits (1).csv"],
            "found `visits (1).csv`: did you mean it for `visits`? rename it `visits.csv`",
        ),
        (
            ["visits_2027-02.csv", "visits_2027-03.csv"],
            "found `visits_2027-02.csv`, `visits_2027-03.csv`: a table is read from one "
            "file, `visits.csv` — put their rows in it, under one header",
        ),
        (["Visits.csv"], "found `Visits.csv`: table names are exact, rename it `visits`"),
    ],
    ids=["txt", "csv twice", "a download's copy", "a file a month", "capitals"],
)
def test_a_missing_table_names_the_file_meant_for_it(
    tmp_path: Path, names: list[str], hint: str
) -> None:
    """One error, with the file found: the insatser, which reference the visits, are
    not each rejected beside it."""
    errors, _ = _said(_data(tmp_path, *names))
    assert errors == [MISSING + hint]
