"""Tallby, a model written from docs/language.md alone: granted time paid for the days
a decision is in force less the days at a short-term home (a table of the model's own,
paid per day of each stay to the home), and a start fee for a customer new to the
provider (`history`). Each amount computed by hand; `explain` shows which days a
`days_covered` counted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from engine.cli import main

TALLBY = Path(__file__).resolve().parent / "fixtures/tallby"
ARGS = ["--data", str(TALLBY / "data"), "--month", "2027-03"]


def test_march_by_hand(tmp_path: Path) -> None:
    """K1: 20 h granted, 31 days less 15 at the home (1–3 and 20–31 March): 20 h × 16 /
    31 × 420 kr/h = 4 335,48. K2: 10 h from 11 March, 21 days: 2 845,16, and a start fee,
    new to P1. K3: 15 h all March, 6 300,00, and a start fee: its earlier decision was
    P2's. The home: 12 days of T1 in March and 3 of T2 at 1 200 kr."""
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(TALLBY / "model.yaml"), *ARGS, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    paid = sorted(lines.select("customer_id", "payment", "row", "amount_kr").iter_rows())
    assert paid == [
        ("K1", "hemtjänst", None, "4335.48"),
        ("K1", "korttid", "T1", "14400.00"),
        ("K1", "korttid", "T2", "3600.00"),
        ("K2", "hemtjänst", None, "2845.16"),
        ("K2", "start", None, "1000.00"),
        ("K3", "hemtjänst", None, "6300.00"),
        ("K3", "start", None, "1000.00"),
    ]


def test_explain_shows_the_days_each_period_covered() -> None:
    """It listed `vistelse T1` and `vistelse T2`: a provider asking which days counted
    was not told."""
    args = ["explain", "--lang", "en", str(TALLBY / "model.yaml"), *ARGS, "--customer", "K1"]
    said = CliRunner().invoke(main, args).output
    assert "days_covered(korttider) = 15   (2 rows)" in said
    assert "vistelse T1: 2027-03-20 – 2027-04-05, 12 days of the month" in said
    assert "vistelse T2: 2027-03-01 – 2027-03-03, 3 days of the month" in said


def test_the_short_term_home_has_a_letter_for_its_customers_stays(tmp_path: Path) -> None:
    """K1 has no customer-month with the home (no decision, no visit there): the home
    was paid 18 000 kr for K1's stays, and `--provider P2 --letter` said it had no
    customer; K1's letters left the stays out."""
    out = tmp_path / "p2.html"
    args = ["explain", str(TALLBY / "model.yaml"), *ARGS, "--provider", "P2", "--letter"]
    ran = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    text = out.read_text(encoding="utf-8")
    for said in ("Kund: K1", "Gäller T1.", "Gäller T2.", "Inga besök registrerades denna månad."):
        assert said in text, said
    assert "18\u00a0000,00 kr</span>" in text  # the month's sum
    args = ["explain", str(TALLBY / "model.yaml"), *ARGS, "--customer", "K1", "--letter"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "k1.html")])
    assert "2 brev skrivna" in ran.output, ran.output


def test_explain_of_the_home_as_a_provider_points_to_its_customers_rows() -> None:
    args = ["explain", str(TALLBY / "model.yaml"), *ARGS, "--provider", "P2"]
    said = CliRunner().invoke(main, args).output
    assert "provider `P2` has no customers in 2027-03" in said
    assert (
        "it is paid per row for K1: explain them with --customer K1, or write the letters "
        "with --letter"
    ) in said


def test_explain_as_json_names_a_rows_line_as_the_statement_does(tmp_path: Path) -> None:
    """`explain --format json` named a stay's line `vistelse T1`, the statement line `T1`:
    a script matching them found neither. `row` is the statement's, `row_label` the
    tree's."""
    import json

    args = ["explain", str(TALLBY / "model.yaml"), *ARGS, "--customer", "K1", "--format", "json"]
    lines = json.loads(CliRunner().invoke(main, args).output)["lines"]
    found = sorted((x["payment"], x.get("row"), x.get("row_label"), x["amount"]) for x in lines)
    assert found == [
        ("hemtjänst", None, None, "4335.48"),
        ("korttid", "T1", "vistelse T1", "14400"),
        ("korttid", "T2", "vistelse T2", "3600"),
    ]


def test_a_model_without_zones_needs_no_district(tmp_path: Path) -> None:
    """Tallby pays everyone alike: without `zones:` its customers' file needs no
    `district` (it stopped at `customers` has no column `district`); a model that reads
    `district` or `zone` needs it still, as one with zones does."""
    model = tmp_path / "model.yaml"
    text = (
        (TALLBY / "model.yaml")
        .read_text(encoding="utf-8")
        .replace("zones:\n  alla: [Tallby]\n", "")
    )
    model.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    for csv_file in (TALLBY / "data").glob("*.csv"):
        (data / csv_file.name).write_text(csv_file.read_text(encoding="utf-8"), encoding="utf-8")
    (data / "customers.csv").write_text("customer_id\nK1\nK2\nK3\n", encoding="utf-8")
    args = ["run", str(model), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(tmp_path / "o/statement_lines.csv", infer_schema=False)
    assert sum(Decimal(a) for a in lines["amount_kr"]) == Decimal("33480.64")  # as with districts
    reading = model.with_name("reading.yaml")
    reading.write_text(
        text.replace("if ny_kund then", 'if ny_kund and district == "Tallby" then'),
        encoding="utf-8",
    )
    ran = CliRunner().invoke(main, ["run", str(reading), *args[2:], "--out", str(tmp_path / "p")])
    assert ran.exit_code == 1 and "`customers` has no column `district`" in ran.output, ran.output
    # a zone, in a model that names none, is always empty: comparing one is an error
    reading.write_text(
        text.replace("if ny_kund then", 'if ny_kund and zone == "alla" then'), encoding="utf-8"
    )
    ran = CliRunner().invoke(main, ["run", str(reading), *args[2:], "--out", str(tmp_path / "q")])
    assert ran.exit_code == 1 and "the model names no zones" in ran.output, ran.output


def test_compare_puts_the_homes_stays_under_its_ownership(tmp_path: Path) -> None:
    """The home, municipal, paid per stay and with no customer-month, was compared
    under no ownership ("per driftform" put its 18 000 kr under an empty heading)."""
    cheaper = tmp_path / "b.yaml"
    text = (TALLBY / "model.yaml").read_text(encoding="utf-8")
    cheaper.write_text(text.replace("values: { 2027-01-01: 1200 }", "values: { 2027-01-01: 1100 }"))
    args = [
        "compare",
        str(TALLBY / "model.yaml"),
        str(cheaper),
        *ARGS,
        "--out",
        str(tmp_path / "c"),
    ]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    by = pl.read_csv(tmp_path / "c/compare_by_ownership.csv", infer_schema=False)
    assert sorted(by.select("ownership", "amount_a_kr", "amount_b_kr").iter_rows()) == [
        ("municipal", "18000.00", "16500.00"),  # 15 days × 1 200 and × 1 100
        ("private", "15480.64", "15480.64"),
    ]
