"""payments.xlsx, the §5/§5.1 specification (seed 003 §5, §5.1), read back as a
controller's Excel would: the invoiceable total per provider and month equals the
invoiceable statement lines, premiums are apart, every customer-month has a row
(also those paid 0 kr), the visits not counted equal `exclusions`, and the sheets
are set up to filter and print."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from engine.api import load, load_dataset, parse_month, run_model
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULES, DATA, MONTH = ROOT / "rules/orebro", ROOT / "examples/orebro", "2024-03"
OUTSIDE = "effektpremie (utbetalas separat)"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wb") / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(RULES), "--data", str(DATA), "--month", "2024-02", "--to", MONTH,
         "--out", str(out), "--per-provider"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _rows(path: Path, sheet: str, values: bool = True) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, data_only=values)
    rows = list(book[sheet].iter_rows(min_row=3, values_only=True))
    header = rows[0]
    body = rows[1 : [r[0] for r in rows].index("Summa")]  # up to the table's total row
    return [dict(zip(header, r, strict=True)) for r in body]


def _ore(value: object) -> int:
    return round(float(value) * 100)  # type: ignore[arg-type]


def test_the_invoiceable_total_is_the_invoiceable_lines_and_premiums_are_apart(out: Path) -> None:
    lines = pl.read_parquet(out / "statement_lines.parquet").with_columns(
        (pl.col("amount_kr") * 100).cast(pl.Int64).alias("ore"),
        (pl.col("category") == OUTSIDE).alias("apart"),
    )
    expected = {
        (r["month"], r["provider_id"]): (r["invoice"], r["outside"])
        for r in lines.group_by("month", "provider_id")
        .agg(
            pl.col("ore").filter(~pl.col("apart")).sum().alias("invoice"),
            pl.col("ore").filter(pl.col("apart")).sum().alias("outside"),
        )
        .iter_rows(named=True)
    }
    found = {
        (r["Månad"], r["Utförare"]): (_ore(r["Fakturerbart"]), _ore(r["Utbetalas separat"]))
        for r in _rows(out / "payments.xlsx", "Fakturaunderlag")
    }
    assert found == expected
    assert len({m for m, _ in found}) == 2  # both months, each provider apart
    formulas = _rows(out / "payments.xlsx", "Fakturaunderlag", values=False)
    assert str(formulas[0]["Fakturerbart"]).startswith("=SUMIFS(Specifikation!")
    assert formulas[0]["Totalt"] == "=D4+E4"


def test_every_customer_month_has_a_row_also_those_paid_nothing(out: Path) -> None:
    checked, _ = load(RULES)
    dataset, _ = load_dataset(checked, DATA)
    result = run_model(checked, dataset, [parse_month(MONTH)])
    frame = result.months[0].frames["customer_month"]
    rows = [r for r in _rows(out / "payments.xlsx", "Kunder") if r["Månad"] == MONTH]
    assert {(r["Kund"], r["Utförare"]) for r in rows} == set(
        zip(frame["customer_id"], frame["provider_id"], strict=True)
    )
    assert len(rows) == frame.height
    unpaid = [r for r in rows if r["Omsorg enligt nivå"] == 0 and r["Nivå"] is not None]
    assert unpaid, "a customer with a level paid 0 kr for omsorg is listed"
    for row in rows:
        payments = [v for k, v in row.items() if k in LABELS]
        assert _ore(row["Summa"]) == sum(_ore(v) for v in payments)
        if row["Utförandegrad"] is not None:
            executed, granted = float(row["Utförd tid (h)"]), float(row["Beviljad tid (h)"])
            assert row["Utförandegrad"] == pytest.approx(executed / granted, abs=1e-9)


LABELS = {
    "Omsorg enligt nivå", "Trygghetslarm", "Avlösning i hemmet", "Ledsagning vårdinrättning",
    "Tillfälligt utökad omsorg", "Delegerad HSL, sjuksköterska", "Delegerad HSL, arbetsterapeut",
    "Delegerad HSL, fysioterapeut", "Palliativt vak", "Särskild ersättning (tilläggsavtal)",
    "Bonus efter särskild ersättning",
}  # fmt: skip


def test_the_customer_sheet_totals_the_customer_month_lines(out: Path) -> None:
    lines = pl.read_parquet(out / "statement_lines.parquet")
    customer_lines = lines.filter(pl.col("customer_id").is_not_null())  # not momskompensation
    rows = _rows(out / "payments.xlsx", "Kunder")
    assert {k for k in rows[0] if k in LABELS} == LABELS
    assert sum(_ore(r["Summa"]) for r in rows) == round(customer_lines["amount_kr"].sum() * 100)


def test_the_visits_not_counted_are_the_exclusions(out: Path) -> None:
    exclusions = pl.read_parquet(out / "exclusions.parquet")
    rows = _rows(out / "payments.xlsx", "Ej räknade besök")
    assert sorted((r["Besök"], r["Regel"], r["Skäl"]) for r in rows) == sorted(
        exclusions.select("visit_id", "rule", "reason").iter_rows()
    )
    assert all(r["Start"] is not None and r["Personal"] and r["Minuter"] for r in rows)


def test_sheets_are_tables_with_frozen_headers_and_print_on_a4_landscape(out: Path) -> None:
    book = openpyxl.load_workbook(out / "payments.xlsx")
    assert book.sheetnames == [
        "Fakturaunderlag",
        "Specifikation",
        "Kunder",
        "Ej räknade besök",
        "Flaggade besök",
        "Rader",
        "Avvisade rader",
        "Parametrar",
    ]  # fmt: skip  (Örebro has flags: §4.7's long visits)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A4", sheet.title
        assert len(sheet.tables) == 1, sheet.title  # a table: filters and a total row
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1)  # one page wide (1 is the default)
        assert sheet.page_setup.fitToHeight == 0  # as many pages down as needed
        assert sheet.print_title_rows == "$3:$3"
    money = book["Specifikation"]["I4"]
    assert money.number_format == '#,##0.00 "kr"'
    assert book["Kunder"]["I4"].number_format == "0.0 %"  # utförandegrad


def test_each_provider_gets_its_own_workbook(out: Path) -> None:
    whole = _rows(out / "payments.xlsx", "Fakturaunderlag")
    providers = {r["Utförare"] for r in whole}
    assert {p.name for p in out.glob("payments_*.xlsx")} == {
        f"payments_{p}.xlsx" for p in providers
    }
    for provider in providers:
        own = _rows(out / f"payments_{provider}.xlsx", "Fakturaunderlag")
        assert own == [r for r in whole if r["Utförare"] == provider]
        customers = _rows(out / f"payments_{provider}.xlsx", "Kunder")
        assert {r["Utförare"] for r in customers} == {provider}


def test_providers_whose_ids_make_the_same_file_name_get_a_file_each(tmp_path: Path) -> None:
    """`P/1` and `P 1` both became payments_P_1.xlsx: the second provider's workbook
    replaced the first's, and was sent to the first with the second's customers (and
    `p1` against `P1` on a file system that ignores case). Each now has its own file,
    told apart by a digest of its id; an id that clashes with none keeps its plain name."""
    from engine.workbook import provider_file_names

    names = provider_file_names(["P/1", "P 1", "P2", "p3", "P3"])
    assert names["P2"] == "payments_P2.xlsx"
    assert len({n.casefold() for n in names.values()}) == 5
    assert names["P/1"].startswith("payments_P_1-") and names["P 1"].startswith("payments_P_1-")
    assert names["p3"].startswith("payments_p3-") and names["P3"].startswith("payments_P3-")
    data = tmp_path / "data"
    data.mkdir()
    for table in ("customers", "providers", "decisions", "visits"):
        text = (ROOT / f"examples/hemtjanst/data/{table}.csv").read_text(encoding="utf-8")
        (data / f"{table}.csv").write_text(
            text.replace(",P1,", ",P/1,").replace("\nP1,", "\nP/1,")
            .replace(",P2,", ",P 1,").replace("\nP2,", "\nP 1,"),
            encoding="utf-8",
        )  # fmt: skip
    out = tmp_path / "out"
    model = ROOT / "examples/hemtjanst/model.yaml"
    result = CliRunner().invoke(
        main, ["run", str(model), "--data", str(data), "--month", "2024-02", "--out", str(out),
               "--per-provider"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("payments_P_1-*.xlsx"))) == 2  # and P3's own
    for provider, name in provider_file_names(["P/1", "P 1"]).items():
        customers = _rows(out / name, "Kunder")
        assert customers and {r["Utförare"] for r in customers} == {provider}


def test_an_effect_premium_is_paid_apart_from_the_invoice(tmp_path: Path) -> None:
    """The fixture's approved effect premium (1 944,00 kr to P1 in March, §4.2) is not
    invoiced: "Godkänd effektpremie faktureras inte, utan ersätts via utbetalning"
    (§5.1)."""
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(RULES), "--data", str(ROOT / "tests/fixtures/orebro"), "--month", MONTH,
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = pl.read_parquet(out / "statement_lines.parquet").filter(pl.col("provider_id") == "P1")
    invoiced = lines.filter(pl.col("category") != OUTSIDE)["amount_kr"].sum()
    (p1,) = [r for r in _rows(out / "payments.xlsx", "Fakturaunderlag") if r["Utförare"] == "P1"]
    assert _ore(p1["Utbetalas separat"]) == 194400
    assert _ore(p1["Fakturerbart"]) == round(invoiced * 100)
    assert _ore(p1["Totalt"]) == round(invoiced * 100) + 194400
    spec = [r for r in _rows(out / "payments.xlsx", "Specifikation") if r["Utförare"] == "P1"]
    (premium,) = [r for r in spec if r["Ersättning"] == "Effektpremie"]
    assert premium["På fakturan"] == "nej, utbetalas separat"


def test_the_customer_columns_example_of_the_language_docs(tmp_path: Path) -> None:
    """docs/language.md, *The payment file*: the scenario runs, and the customer sheet
    has its headings, in order, then the payments by their labels."""
    import shutil

    text = (ROOT / "docs/language.md").read_text(encoding="utf-8")
    section = text[text.index("### The payment file: labels and customer columns") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n")]
    example = tmp_path / "hemtjanst"
    shutil.copytree(ROOT / "examples/hemtjanst", example)
    (example / "specifikation.yaml").write_text(block, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(example / "specifikation.yaml"), "--data", str(example / "data"),
         "--month", "2024-02", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _rows(out / "payments.xlsx", "Kunder")
    assert list(rows[0]) == [
        "Månad", "Utförare", "Kund", "Zon", "Nivå", "Utförd tid (h)", "Utförandegrad",
        "Kontrollfaktor", "Omsorg enligt nivå", "Trygghetslarm", "Palliativt vak", "Summa",
    ]  # fmt: skip
    (example / "bad.yaml").write_text(block.replace("Nivå: nivå", "Nivå: niva"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(example / "bad.yaml")])
    assert result.exit_code == 1
    assert "bad.yaml:7:11: error[unknown-name]: the customer column `Nivå` shows `niva`" in (
        result.output
    )
    assert "did you mean `nivå`?" in result.output


def test_customer_columns_may_show_one_field_twice_or_an_id(tmp_path: Path) -> None:
    """Two headings of one field (`Zon` and `Område`), and a heading of the customer's
    id or named as a payment is, stopped the run with a traceback: the sheet's frame
    named each column by its heading, and the ids and payments by their names."""
    example = ROOT / "examples/hemtjanst"
    model = tmp_path / "m.yaml"
    model.write_text(
        f"model: m\ntitle: M\nextends: {example / 'model.yaml'}\nspecification:\n"
        "  customer_columns:\n    Zon: zone\n    Område: zone\n    customer_id: nivå\n"
        "    Kundnummer: customer_id\n    omsorg: nivå\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(model), "--data", str(example / "data"), "--month", "2024-02",
         "--out", str(out), "--format", "xlsx"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _rows(out / "payments.xlsx", "Kunder")
    assert list(rows[0])[:9] == [
        "Månad", "Utförare", "Kund", "Zon", "Område", "customer_id", "Kundnummer", "omsorg",
        "Omsorg enligt nivå",
    ]  # fmt: skip
    k003 = next(row for row in rows if row["Kund"] == "K003")
    assert (k003["Zon"], k003["Område"], k003["Kundnummer"]) == ("landsbygd", "landsbygd", "K003")
    assert k003["customer_id"] == k003["omsorg"] == 4  # the level, K003's decision's


@pytest.mark.parametrize(
    ("specification", "label", "line", "message"),
    [
        ("", "Omsorg enligt nivå", 9,
         "`Omsorg enligt nivå` (the label of `tillägg`) is also the label of `omsorg`"),
        ("", "TRYGGHETSLARM", 9,
         "`TRYGGHETSLARM` (the label of `tillägg`) is also the label of `trygghetslarm`"),
        ("", "Summa", 9,
         "`Summa` (the label of `tillägg`) is also a column the sheet Kunder has of its "
         "own (Månad, Utförare, Kund, Summa)"),
        ("specification:\n  customer_columns:\n    Kund: nivå\n", "Tillägg", 6,
         "`Kund` (a customer column's heading) is also a column the sheet Kunder has of "
         "its own"),
        ("specification:\n  customer_columns:\n    Nivå: nivå\n    nivå: nivå\n", "Tillägg",
         7, "`nivå` (a customer column's heading) is also the customer column `Nivå`"),
        ("specification:\n  customer_columns:\n    Tillägg: nivå\n", "Tillägg", 12,
         "`Tillägg` (the label of `tillägg`) is also the customer column `Tillägg`"),
        # a duration is headed in hours: the sheet's two headings read alike, and the run
        # stopped with a traceback (KeyError: 'Kunder') as payments.xlsx was written
        ("specification:\n  customer_columns:\n    Utförd tid: utförd_tid\n",
         "Utförd tid (h)", 12, "`Utförd tid (h)` (the label of `tillägg`) is also the "
         "customer column `Utförd tid`, headed `Utförd tid (h)` in hours"),
        ("specification:\n  customer_columns:\n    Utförd tid: utförd_tid\n"
         "    utförd tid (H): nivå\n", "Tillägg", 7, "`utförd tid (H)` (a customer column's "
         "heading) is also the customer column `Utförd tid`, headed `Utförd tid (h)` in "
         "hours"),
    ],
    ids=["a payment's label", "in another case", "the sheet's total", "the sheet's customer",
         "a heading twice", "a heading and a label", "a label and hours",
         "a heading and hours"],
)  # fmt: skip
def test_two_columns_of_the_customer_sheet_read_alike_is_an_error(
    tmp_path: Path, specification: str, label: str, line: int, message: str
) -> None:
    """Excel holds a table's headings apart whatever their case: a payment labelled as
    another, or a heading `Kund`, stopped the run with a traceback as payments.xlsx was
    written — after every other output."""
    example = ROOT / "examples/hemtjanst"
    model = tmp_path / "m.yaml"
    model.write_text(
        f"model: m\ntitle: M\nextends: {example / 'model.yaml'}\n{specification}payments:\n"
        f"  tillägg:\n    entity: customer_month\n    category: c\n    formula: 1 SEK\n"
        f"    label: {label}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert f"m.yaml:{line}:" in result.output and f"error[duplicate-label]: {message}" in (
        result.output
    ), result.output


def test_a_blank_label_is_an_error(tmp_path: Path) -> None:
    """A label of spaces named the payment's column and sentence nothing."""
    model = tmp_path / "m.yaml"
    model.write_text(
        f"model: m\ntitle: M\nextends: {ROOT / 'examples/hemtjanst/model.yaml'}\npayments:\n"
        "  tillägg:\n    entity: customer_month\n    category: c\n    formula: 1 SEK\n"
        '    label: "   "\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1
    assert "m.yaml:9:12: error[schema]: the label of `tillägg` is blank" in result.output


@pytest.mark.parametrize(
    "column",
    [
        pl.Series(["Åsa Öberg", None, "", "P1"]),
        pl.Series([None, None], dtype=pl.String),
        pl.Series([1234567.891, -0.005, None, 12.0]),
        pl.Series([3, None, -120]),
        pl.Series([True, None]),
        pl.Series(["2024-03-01", None]).str.to_date(),
        pl.Series(["2024-03-01 08:00", "2024-03-01 08:00:00.5"]).str.to_datetime(),
        pl.Series(["K000001", "K12"]).cast(pl.Enum(["K000001", "K12"])),
        pl.Series([], dtype=pl.String),
        pl.Series([], dtype=pl.Float64),
    ],
)
def test_a_columns_width_is_its_longest_value_as_shown(column):
    """`_longest` measures texts in Polars and shows other values once each; the
    widths are those of showing every value (`_shown`), as before."""
    from engine.workbook import _longest, _shown

    frame = pl.DataFrame({"x": column})
    assert _longest(frame) == [max((len(_shown(v)) for v in column.to_list()), default=0)]


@pytest.mark.parametrize(
    ("outside", "note"),
    [
        (("effektpremie (utbetalas separat)",),
         "Fakturerbart: vad utförarens faktura för månaden högst får uppgå till. Utbetalas "
         "separat: ersättning i kategorin ”effektpremie (utbetalas separat)”, som inte faktureras."),
        ((), "Fakturerbart: vad utförarens faktura för månaden högst får uppgå till. Modellen "
             "betalar inget utanför fakturan."),
    ],
)  # fmt: skip
def test_the_invoice_note_is_the_models_own(outside, note):
    """Every municipality's workbook said Örebro's "(§5) … (§5.1), t.ex. effektpremie":
    for Bergsjö, whose §5 is travel and which pays nothing apart, that was wrong."""
    from engine.workbook import invoice_note

    assert invoice_note(outside) == note


def test_every_amount_in_the_payment_file_is_the_amount_written_with_two_decimals(
    out: Path,
) -> None:
    """A cell of kronor holds the number nearest the amount in öre: 2499 öre is 24.99,
    never 24.990000000000002 (Polars' division gave one amount in seven so, and Excel
    sums what the cell holds)."""
    money = {"Belopp", "Summa", *LABELS}
    cells = [
        value
        for sheet in ("Specifikation", "Kunder", "Rader")
        for row in _rows(out / "payments.xlsx", sheet)
        for heading, value in row.items()
        if heading in money and isinstance(value, float)
    ]
    assert len(cells) > 1000
    noisy = [v for v in cells if round(v, 2) != v]
    assert not noisy, noisy[:5]


def test_visits_flagged_for_review_are_said_and_on_a_sheet_of_their_own(tmp_path: Path) -> None:
    """A flag marks a visit for a controller to look at (Örebro §4.7: a visit over
    10 hours, "granska mot arbetstidslagen"), counted all the same. It was only in
    flags.csv: the run's summary, the manifest and payments.xlsx — what a controller
    reads before paying — said nothing of it."""
    data = tmp_path / "data"
    data.mkdir()
    for csv_file in DATA.glob("*.csv"):
        text = csv_file.read_text(encoding="utf-8")
        if csv_file.name == "visits.csv":  # a visit of 11 h 15 min, by a staff member of its own
            text = text.replace(
                "V000025280,K000001,P01,P01-S2,care,omsorg,,2024-02-05 13:24,2024-02-05 13:39,"
                "tag,2024-02-05 13:39",
                "V000025280,K000001,P01,P01-S99,care,omsorg,,2024-02-05 13:24,2024-02-06 00:39,"
                "tag,2024-02-06 00:39",
            )
        (data / csv_file.name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(RULES), "--data", str(data), "--month", "2024-02", "--out", str(out),
         "--per-provider"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "flaggade besök att granska (räknas ändå): långt_besök 1 "
        "(se flags.csv, Flaggade besök i payments.xlsx)"
    ) in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["flagged_visits"] == {"långt_besök": 1}
    [row] = _rows(out / "payments.xlsx", "Flaggade besök")
    assert (row["Besök"], row["Kund"], row["Utförare"], row["Personal"], row["Minuter"]) == (
        "V000025280", "K000001", "P01", "P01-S99", 675
    )  # fmt: skip
    assert (row["Regel"], row["Skäl"], row["Källa"]) == (
        "långt_besök", "långt besök, granska mot arbetstidslagen", "§4.7"
    )  # fmt: skip
    assert [r["Besök"] for r in _rows(out / "payments_P01.xlsx", "Flaggade besök")] == [
        "V000025280"
    ]
    # (an Excel table without rows has one empty row)
    assert [r for r in _rows(out / "payments_P02.xlsx", "Flaggade besök") if r["Besök"]] == []


@pytest.mark.parametrize("sheet", ["Avvisade rader", "Parametrar"])
def test_a_sheet_with_nothing_to_sum_counts_its_rows(out: Path, sheet: str) -> None:
    """The rejected rows and the parameters have no column of amounts: their table's
    total row read "Summa" over empty cells, a total of nothing. It counts the rows
    (Excel's SUBTOTAL, so a filter counts the rows shown); a sheet of amounts keeps its
    sums."""
    book = openpyxl.load_workbook(out / "payments.xlsx")
    rows = list(book[sheet].iter_rows(min_row=4, values_only=True))
    last, body = rows[-1], [row for row in rows[:-1] if any(row)]  # (an empty table: one empty row)
    assert last[:2] == (
        "Antal rader",
        f"=SUBTOTAL(103,[{'Fil' if 'Avvisade' in sheet else 'Parameter'}])",
    )
    values = openpyxl.load_workbook(out / "payments.xlsx", data_only=True)[sheet]
    assert list(values.iter_rows(min_row=4, values_only=True))[-1][1] == len(body)
    # none rejected; February's and March's values: the level amounts of 29 levels in 2
    # zones, 29 level times, 29 × 28 / 2 premiums, HSL's 3 + 3 amounts, 2 ownership
    # factors and 14 values of one cell
    assert len(body) == {"Avvisade rader": 0, "Parametrar": 2 * (58 + 29 + 406 + 6 + 2 + 14)}[sheet]
    kunder = list(book["Kunder"].iter_rows(min_row=4, values_only=True))
    assert kunder[-1][0] == "Summa"
