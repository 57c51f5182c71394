"""Two decisions of one customer, provider and service in force on the same days — a
decision that replaces another registered before the other was ended — count the
customer's granted time twice wherever a model sums it, without a word. Sjöhamn pays
at least a guarantee for the days a decision is in force: K2's decision D2 runs from
10 February; a second, D4, registered from the same day with no end, makes February's
days in force 19 + 19 = 38, capped at 28: K2 is paid the whole guarantee, 1 000 kr,
instead of 1 000 × 19 / 28 = 678 kr. The run says so now (`overlapping-decisions`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.api import load, load_dataset, parse_month, run_model

SJOHAMN = Path(__file__).resolve().parent.parent / "examples/sjohamn"


def _february(tmp_path: Path, extra: str) -> tuple[int, list[str]]:
    data = tmp_path / "data"
    shutil.copytree(SJOHAMN / "data", data)
    with (data / "decisions.csv").open("a", encoding="utf-8") as decisions:
        decisions.write(extra)
    paid, said, _ = _k2_in_february(data)
    return paid, said


def _k2_in_february(data: Path) -> tuple[int, list[str], Any]:
    """K2's time paid in February 2027, the overlaps said, and the data as read."""
    month = parse_month("2027-02")
    checked, _ = load(SJOHAMN / "model.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    result = run_model(checked, dataset, [month])
    k2 = result.lines.filter(
        (result.lines["customer_id"].cast(str) == "K2") & (result.lines["payment"] == "tid")
    )
    said = [w.message for w in result.warnings if w.code == "overlapping-decisions"]
    return int(k2["amount_ore"].sum()), said, dataset


def test_a_second_decision_for_the_same_days_is_said(tmp_path: Path) -> None:
    paid, said = _february(tmp_path, "D4,K2,P1,omsorg,2027-02-10,,300\n")
    assert paid == 100000  # the whole guarantee, counted from 38 days: the data's mistake
    assert said == [
        "2027-02 has 1 pair of decisions of one customer, provider and service in force on "
        "the same days: K2, P1, omsorg: D2 and D4"
    ]


def test_a_decision_following_another_or_of_another_service_is_not(tmp_path: Path) -> None:
    """D4 starts the day after D2 ends (in March); D5 is of another service."""
    extra = "D4,K2,P1,omsorg,2027-03-21,,300\nD5,K2,P1,service,2027-02-01,,60\n"
    paid, said = _february(tmp_path, extra)
    assert (paid, said) == (67800, [])  # 1 000 × 19 / 28 = 678,57, rounded down


def test_a_second_decision_from_the_months_last_day_is_said(tmp_path: Path) -> None:
    """D4 registered from 28 February, the month's last day, while D2 (from 10 February,
    open) still holds: both are in force on the 28th, and the day is counted twice
    (19 + 1 days: 1 000 × 20 / 28 = 714,29, rounded down). The month's last day was
    left out of the comparison, and nothing was said (nor of a pair of decisions whose
    days in common were only the last day)."""
    paid, said = _february(tmp_path, "D4,K2,P1,omsorg,2027-02-28,,300\n")
    assert paid == 71400
    assert said == [
        "2027-02 has 1 pair of decisions of one customer, provider and service in force on "
        "the same days: K2, P1, omsorg: D2 and D4"
    ]


@pytest.mark.parametrize("first_in_file", [True, False])
def test_a_pair_is_said_earlier_first_however_the_file_orders_it(
    tmp_path: Path, first_in_file: bool
) -> None:
    """D0, from 15 February, overlaps D2 (from 10 February): the pair is said `D2 and
    D0`, whether D0 is the file's first row or its last. It was said in the file's
    order, so that two exports of the same rows warned in two ways."""
    data = tmp_path / "data"
    shutil.copytree(SJOHAMN / "data", data)
    header, *rows = (data / "decisions.csv").read_text(encoding="utf-8").splitlines()
    extra = "D0,K2,P1,omsorg,2027-02-15,,300"
    rows = [extra, *rows] if first_in_file else [*rows, extra]
    (data / "decisions.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    _, said, _ = _k2_in_february(data)
    assert said == [
        "2027-02 has 1 pair of decisions of one customer, provider and service in force on "
        "the same days: K2, P1, omsorg: D2 and D0"
    ]


MOSSBY = Path(__file__).resolve().parent / "fixtures/mossby"


def test_two_journals_of_one_profession_at_once_are_said(tmp_path: Path) -> None:
    """K3's nurse enrolment from 5 March to 10 April, and another of a nurse registered
    from 1 April, open: Mossby counts a profession's days once (`days_covered`), but a
    model paying per journal pays both — and nothing was said. Journals of one
    customer, provider and profession in force on the same days are warned of, as
    decisions are (`overlapping:` in schemas/entities.json); the district nurse's from
    11 April is of another profession."""
    data = tmp_path / "data"
    shutil.copytree(MOSSBY / "data", data)
    with (data / "journals.csv").open("a", encoding="utf-8") as journals:
        journals.write("K3,P1,nurse,2027-04-01,\n")
    month = parse_month("2027-04")
    checked, _ = load(MOSSBY / "model.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    result = run_model(checked, dataset, [month])
    said = [(w.code, w.message) for w in result.warnings if w.code.startswith("overlapping")]
    assert said == [
        (
            "overlapping-periods",
            "2027-04 has 1 pair of journals of one customer, provider and profession in force "
            "on the same days: K3, P1, nurse: from 2027-03-05 and from 2027-04-01",
        )
    ]


def test_a_decision_registered_again_under_a_new_id_is_paid_once(tmp_path: Path) -> None:
    """D2 again as D4, alike in every column but its id (registered twice): K2 was paid
    the whole guarantee from 38 days in force, 1 000 kr, with a warning and exit 0. The
    later row is rejected (`duplicate-row`) and K2 is paid for D2's 19 days of 28:
    1 000 × 19 / 28 = 678,57, rounded down to 678 kr; no pair is left to overlap."""
    original = (SJOHAMN / "data/decisions.csv").read_text(encoding="utf-8").splitlines()
    d2 = next(line for line in original if line.startswith("D2,"))
    paid, said = _february(tmp_path, "D4" + d2.removeprefix("D2") + "\n")
    assert (paid, said) == (67800, [])


def test_decisions_registered_again_take_nothing_and_explain_no_exclusion(
    tmp_path: Path,
) -> None:
    """Every decision of the Örebro sample again under a new id: each repeat is
    rejected and February pays what it paid, 5 170 164,58 kr. The run also said that 56
    visits excluded as not granted "may follow from the rejection" — of rows whose every
    value a kept row holds: nothing follows from them, and nothing is said."""
    import polars as pl
    from click.testing import CliRunner

    from engine.cli import main

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples/orebro", data)
    decisions = pl.read_csv(data / "decisions.csv", infer_schema=False)
    again = decisions.with_columns(pl.col("decision_id") + "_igen")
    pl.concat([decisions, again]).write_csv(data / "decisions.csv")
    out = tmp_path / "out"
    rules = Path(__file__).resolve().parent.parent / "rules/orebro"
    ran = CliRunner().invoke(
        main, ["run", str(rules), "--data", str(data), "--month", "2024-02", "--out", str(out)]
    )
    assert ran.exit_code == 3, ran.output
    assert "follows-rejection" not in ran.output
    assert "summa" in ran.output and "5\xa0170\xa0164,58" in ran.output, ran.output
    rejected = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert set(rejected["code"]) == {"duplicate-row"}
    assert rejected.height == decisions.height


@pytest.mark.parametrize("received", ["2027-02-01", "2027-02-05"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_decisions_alike_in_every_column_read_are_compared_in_the_rest(
    tmp_path: Path, received: str, suffix: str
) -> None:
    """D2 again as D4, alike in every column Sjöhamn reads, and received on the same
    day as D2 (2027-02-01) or on another (2027-02-05), a column no rule reads: alike in
    every column of the file it is D2 exported twice, rejected, and K2 is paid 678 kr;
    received another day it is a second decision, both are read, K2 is paid the whole
    guarantee and the run says they overlap. Before, the columns read alone were
    compared. The CSV file has a blank line above D4 (its rows' places in the file
    are not their places in the table), and a Parquet file's unread columns are
    decoded for the rows in question alone."""
    import polars as pl

    data = tmp_path / "data"
    shutil.copytree(SJOHAMN / "data", data)
    lines = (data / "decisions.csv").read_text(encoding="utf-8").splitlines()
    d2 = next(line for line in lines if line.startswith("D2,"))
    rows = [lines[0] + ",received_on"]
    rows += [line + (",2027-02-01" if line == d2 else ",") for line in lines[1:]]
    rows += ["", "D4" + d2.removeprefix("D2") + f",{received}"]
    (data / "decisions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if suffix == ".parquet":
        frame = pl.read_csv(data / "decisions.csv", infer_schema=False)
        frame.write_parquet(data / "decisions.parquet")
        (data / "decisions.csv").unlink()
    paid, said, dataset = _k2_in_february(data)
    repeated = [r for r in dataset.rejects if r["code"] == "duplicate-row"]
    if received == "2027-02-01":
        assert (paid, said, len(repeated)) == (67800, [], 1)
    else:
        assert (paid, len(said), repeated) == (100000, 1, [])
