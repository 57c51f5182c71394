"""A rejected visit is not paid, and the provider is told. Fjällby's V11 (customer F2,
provider P2), a cancellation without its time, was rejected by the model's data
requirement — and P2's letter for F2 said "Alla registrerade besök räknades.", while
its workbook (payments.xlsx, payments_P2.xlsx) did not show the visit at all; only the
controller's rejects.csv named it, by file row alone. Now the visits of the month
rejected as read are among the visits not counted, with why in Swedish, and rejects.csv
names each row's id, customer and provider."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from engine.api import load, load_dataset, parse_month, run_model
from engine.cli import main
from engine.letter import letters, letters_of, render_html, render_text
from engine.reports import rejected_reason
from tests.harness import csv_folder

ROOT = Path(__file__).resolve().parent.parent
FJALLBY = ROOT / "tests/fixtures/fjallby"
V11 = (
    "2026-11-20 08:00 (30 min), besök V11: raden avvisades när indata lästes "
    "(visits.csv rad 12): avbokat besök saknar tidpunkt för avbokningen (§5.3)"
)


def _run(data: Path):  # type: ignore[no-untyped-def]
    month = parse_month("2026-11")
    checked, _ = load(FJALLBY / "model.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    return run_model(checked, dataset, [month])


def test_the_letter_names_the_rejected_visit_and_does_not_say_all_were_counted() -> None:
    (letter,) = letters(_run(FJALLBY / "data"), customer="F2")
    text = render_text([letter])
    assert f"Besök som inte räknades:\n- {V11}\n" in text
    assert "Alla registrerade besök räknades." not in text
    (other,) = letters(_run(FJALLBY / "data"), customer="F3")  # F3: none rejected, none excluded
    assert "Alla registrerade besök räknades." in render_text([other])


def _not_counted_sheet(path: Path) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(path)["Ej räknade besök"]
    return [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] != "Summa"]


def test_the_workbooks_list_it_beside_the_excluded_visits(tmp_path: Path) -> None:
    args = ["run", str(FJALLBY / "model.yaml"), "--data", str(FJALLBY / "data")]
    ran = CliRunner().invoke(main, [*args, "--month", "2026-11", "--out", str(tmp_path), "--per-provider"])  # fmt: skip
    assert ran.exit_code == 3, ran.output  # written, a row rejected
    rejected = (
        "2026-11", "V11", "F2", "P2", datetime(2026, 11, 20, 8), None, "omsorg", 30, V11.split(": ", 1)[1], None, None,
    )  # fmt: skip
    excluded = ("2026-11", "V4", "F1", "P1", datetime(2026, 11, 5, 8), None, "omsorg", 45,
                "avbokat minst 24 timmar före besöket", "avbokat_i_tid", "§5.3")  # fmt: skip
    assert _not_counted_sheet(tmp_path / "payments.xlsx") == [excluded, rejected]
    assert _not_counted_sheet(tmp_path / "payments_P2.xlsx") == [rejected]
    assert _not_counted_sheet(tmp_path / "payments_P1.xlsx") == [excluded]
    rejects = (tmp_path / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects == [
        "table,file,row,id,customer_id,provider_id,column,value,code,reason",
        "visits,visits.csv,12,V11,F2,P2,avbokad_kl,,missing-value,"
        "avbokat besök saknar tidpunkt för avbokningen (§5.3)",
    ]


def test_a_rejected_visit_of_another_month_or_with_no_start_is_in_no_months_list(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(FJALLBY / "data", data)
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    visits += "V13,F2,P2,omsorg,2026-12-01 09:00,2026-12-01 09:30,avbokad,\n"  # December's
    visits += "V14,F2,P2,omsorg,kl 9,2026-11-21 09:30,utförd,\n"  # its start unreadable
    (data / "visits.csv").write_text(visits, encoding="utf-8")
    result = _run(data)
    assert result.not_counted.filter(pl.col("rule").is_null())["visit_id"].to_list() == ["V11"]
    rejected = {r["id"]: r for r in result.dataset.rejects}  # type: ignore[union-attr]
    assert sorted(rejected) == ["V11", "V13", "V14"]  # all three in rejects.csv
    assert (rejected["V14"]["customer_id"], rejected["V14"]["provider_id"]) == ("F2", "P2")


REJECT = {"file": "visits.csv", "row": 7, "column": "start", "value": "kl 9", "reason": "…"}


@pytest.mark.parametrize(
    ("code", "column", "value", "said"),
    [
        ("bad-value", "start", "kl 9", "`start` kunde inte läsas (kl 9)"),
        ("bad-value", "start", None, "`start` saknas"),
        ("out-of-range", "antal_personal", "-1", "`antal_personal` är utanför det tillåtna (-1)"),
        ("bad-date", "end", "2026-11-01 07:00:00",
         "`end` är före starten, eller för långt efter den (2026-11-01 07:00:00)"),
        ("unknown-reference", "customer_id", "K9", "`customer_id` (K9) finns inte i indata"),
        ("duplicate-id", "visit_id", "V1", "samma id (V1) finns på en tidigare rad"),
        ("ragged-row", "", None, "raden har fel antal fält"),
        ("missing-value", "avbokad_kl", None, "…"),  # the model's own words
    ],
)  # fmt: skip
def test_why_in_swedish(code: str, column: str, value: str | None, said: str) -> None:
    reject = {**REJECT, "code": code, "column": column, "value": value}
    assert (
        rejected_reason(reject) == f"raden avvisades när indata lästes (visits.csv rad 7): {said}"
    )


def _rejected_sheet(path: Path) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(path)["Avvisade rader"]
    rows = sheet.iter_rows(min_row=4, values_only=True)
    return [row for row in rows if row[0] not in ("Antal rader", None)]  # not the total row


def test_every_rejected_row_is_in_the_workbook_and_each_provider_sees_its_own(
    tmp_path: Path,
) -> None:
    """F3's district is in no zone: the customer is rejected, and so is its visit V12
    (P1's). P1's own file shows both — the customer's row names no provider — and
    P2's shows V11 alone."""
    data = tmp_path / "data"
    shutil.copytree(FJALLBY / "data", data)
    customers = (data / "customers.csv").read_text(encoding="utf-8")
    (data / "customers.csv").write_text(customers.replace("F3,Byn,", "F3,Okänt,"), "utf-8")
    out = tmp_path / "out"
    args = ["run", str(FJALLBY / "model.yaml"), "--data", str(data), "--out", str(out)]
    ran = CliRunner().invoke(main, [*args, "--month", "2026-11", "--per-provider"])
    assert ran.exit_code == 3, ran.output
    customer = ("customers", "customers.csv", 4, "F3", "F3", None, "district", "Okänt",
                "området (Okänt) hör inte till någon av modellens zoner")  # fmt: skip
    v11 = ("visits", "visits.csv", 12, "V11", "F2", "P2", "avbokad_kl", None,
           "avbokat besök saknar tidpunkt för avbokningen (§5.3)")  # fmt: skip
    v12 = ("visits", "visits.csv", 13, "V12", "F3", "P1", "customer_id", "F3",
           "`customer_id` (F3): dess egen rad avvisades när indata lästes")  # fmt: skip
    assert _rejected_sheet(out / "payments.xlsx") == [customer, v11, v12]
    assert _rejected_sheet(out / "payments_P1.xlsx") == [customer, v12]
    assert _rejected_sheet(out / "payments_P2.xlsx") == [v11]


def _decision(id_: str, service: str, start: str, end: str, minutes: str) -> dict[str, str]:
    return {"decision_id": id_, "customer_id": "K1", "provider_id": "P1", "service": service,
            "start_date": start, "end_date": end, "granted_minutes": minutes}  # fmt: skip


def test_a_rejected_decision_is_named_in_its_customers_letter(tmp_path: Path) -> None:
    """Norrtälje pays granted time: K1's service decision B2 has `granted_minutes`
    "tio", is rejected, and its 390 kr/h × its hours are not paid; the letter said
    nothing of it. Now it names the row and why; B3 (ended in February) and B4 (of
    another customer) are not this letter's, B5 (its start unreadable) may be."""
    rows = {
        "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
        "customers": [{"customer_id": "K1", "district": "Norrtälje stad"},
                      {"customer_id": "K2", "district": "Norrtälje stad"}],
        "decisions": [
            _decision("B1", "omsorg", "2021-01-01", "", "600"),
            _decision("B2", "service", "2021-01-01", "", "tio"),
            _decision("B3", "service", "2021-01-01", "2022-02-10", "x"),
            {**_decision("B4", "service", "2021-01-01", "", "y"), "customer_id": "K2"},
            _decision("B5", "service", "den 1 mars", "", "120"),
        ],
    }  # fmt: skip
    data = csv_folder(tmp_path, rows)
    header = "visit_id,customer_id,provider_id,service,start,end,staff_role,declined\n"
    (data / "visits.csv").write_text(header, encoding="utf-8")
    (letter,) = letters_of(ROOT / "rules/norrtalje", data, [date(2022, 3, 1)], customer="K1")
    text = render_text([letter])
    assert "Summa för månaden: 4\u00a0720,00 kr" in text  # B1 alone: 10 h × 472 kr/h
    assert text.endswith(
        "Inga besök registrerades denna månad.\n\n"  # no visit: not "all were counted"
        "Andra rader för kunden som avvisades när indata lästes:\n"
        "- decisions.csv rad 3 (B2): `granted_minutes` kunde inte läsas (tio)\n"
        "- decisions.csv rad 6 (B5): `start_date` kunde inte läsas (den 1 mars)\n"
    )
    html = render_html([letter])
    assert "<h2>Andra rader för kunden som avvisades när indata lästes</h2>" in html
    assert "decisions.csv rad 3 (B2): `granted_minutes` kunde inte läsas (tio)" in html


def _contracts(tmp_path: Path, rows: str) -> tuple[Path, Path]:
    """tests/test_declarations.py's model of providers' contract fees (a table of the
    model's own, of which the provider's month is made too), with these contracts."""
    from tests.test_declarations import CONTRACTS, _model_and_data

    month = "\n      month: { by: pairs, of: [customer_month, avtalsperiod] }"
    providers = "provider_id,name,ownership\nP1,A,private\nP2,B,private\n"
    header = "avtal_id,provider_id,från,till,månadsavgift\n"
    tables = {"providers": providers, "avtal": header + rows}
    return _model_and_data(tmp_path, CONTRACTS.format(month=month), tables)


def test_a_providers_rejected_contract_is_named_in_its_own_letter(tmp_path: Path) -> None:
    """A provider's contract fees (a table of the model's own, `avtal`): P2's second
    contract A4 has `månadsavgift` "två tusen", is rejected, and P2 is paid A2's 500 kr
    alone — its own letter of the month said nothing of A4. Now it names the row and
    why; P1's names none. (A provider whose every contract is rejected has no month,
    and no letter: its rows are in its own workbook, `--per-provider`.)"""
    model, data = _contracts(
        tmp_path,
        "A1,P1,2025-01-01,,1000\nA2,P2,2025-01-01,,500\nA3,P2,2024-01-01,2024-12-31,x\n"
        "A4,P2,2025-01-01,,två tusen\n",
    )
    found = letters_of(model, data, [date(2025, 3, 1)], provider="P2")
    [own] = [letter for letter in found if letter.customer is None]
    assert own.total_ore == 50000
    assert own.rejected == ["avtal.csv rad 5 (A4): `månadsavgift` kunde inte läsas (två tusen)"]
    text = render_text([own])  # A3 ended in 2024: not this month's
    assert text.endswith(
        "Rader för utföraren som avvisades när indata lästes:\n"
        "- avtal.csv rad 5 (A4): `månadsavgift` kunde inte läsas (två tusen)\n"
    )
    assert "<h2>Rader för utföraren som avvisades när indata lästes</h2>" in render_html([own])
    p1 = letters_of(model, data, [date(2025, 3, 1)], provider="P1")
    assert all(not letter.rejected for letter in p1)


def test_a_provider_whose_every_contract_was_rejected_gets_its_own_workbook(
    tmp_path: Path,
) -> None:
    """P2's only contract is rejected: P2 is paid nothing, had no provider month and
    no payments_P2.xlsx to be told why in; now its file holds the rejected row."""
    model, data = _contracts(tmp_path, "A1,P1,2025-01-01,,1000\nA2,P2,2025-01-01,,två tusen\n")
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2025-03", "--out", str(out)]
    ran = CliRunner().invoke(main, [*args, "--per-provider"])
    assert ran.exit_code == 3, ran.output
    assert sorted(p.name for p in out.glob("payments_*.xlsx")) == [
        "payments_P1.xlsx", "payments_P2.xlsx",
    ]  # fmt: skip
    assert _rejected_sheet(out / "payments_P2.xlsx") == [
        ("avtal", "avtal.csv", 3, "A2", None, "P2", "månadsavgift", "två tusen",
         "`månadsavgift` kunde inte läsas (två tusen)"),
    ]  # fmt: skip
