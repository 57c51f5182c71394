"""The payment file (`payments.xlsx`): the month's specification as Örebro §5 and
§5.1 ask for it, in a workbook a controller files and a provider can check.

Sheets, each an Excel table with a frozen header row, filters and a total row, and
set to print landscape on A4, fit to the page's width, with the header repeated:

- *Fakturaunderlag*: per provider and month the invoiceable total — what the
  provider's invoice may not exceed — and beside it what is paid outside the invoice
  (effect premiums), as formulas over the specification;
- *Specifikation*: per provider and month each payment (by its Swedish `label:`)
  within its category of §5.1, with its quantity (executed hours, days) and amount;
- *Kunder*: every customer-month with a decision or a visit — also those paid
  0 kr — with the columns the model lists under `specification: customer_columns`
  and each payment, totalled by a formula;
- *Ej räknade besök*: every visit that was not counted, with its date, staff,
  minutes, reason and §;
- *Rader*: every statement line.

Written with XlsxWriter (tables, formats, print setup); numbers are written as
numbers with Excel formats, which Excel shows in the reader's own locale
(`1 234,56 kr` in Swedish Excel)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from engine import types as t
from engine.reports import VISIT_COLUMN, make_reproducible, safe_text

MONEY = '#,##0.00 "kr"'
HOURS = '#,##0.00 "h"'
PERCENT = "0.0 %"
WHOLE = "#,##0"
DECIMAL = "#,##0.00"
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm"
ON_INVOICE, OUTSIDE_INVOICE = "ja", "nej, utbetalas separat"


@dataclass
class PaymentFile:
    """What the payment file shows, gathered from a run (see runner)."""

    title: str
    lines: (
        pl.DataFrame
    )  # month, provider_id, customer_id, payment, category, quantity, unit, amount_ore, source
    providers: pl.DataFrame  # provider_id, name
    customers: pl.DataFrame  # month, provider_id, customer_id, the customer columns (by heading)
    not_counted: pl.DataFrame  # month, visit_id, customer_id, provider_id, start, staff_id, service, minutes, rule, reason, source
    labels: dict[str, str]  # payment -> label
    customer_payments: list[str]  # payments of the customer-month, in the model's order
    column_types: dict[str, t.Type] = field(default_factory=dict)  # heading -> type
    outside_invoice: tuple[str, ...] = ()
    # payments whose quantities add up (hours, days); a share (utförandegrad) does not
    additive: frozenset[str] = frozenset()

    def for_provider(self, provider: str) -> PaymentFile:
        """The same file with only one provider's rows (to send to that provider)."""
        mine = pl.col("provider_id") == provider
        return PaymentFile(
            self.title,
            self.lines.filter(mine),
            self.providers.filter(mine),
            self.customers.filter(mine),
            self.not_counted.filter(mine),
            self.labels,
            self.customer_payments,
            self.column_types,
            self.outside_invoice,
            self.additive,
        )


def write_payment_file(path: Path, payments: PaymentFile) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    formats = _Formats(book)
    spec_rows = _specification_rows(payments)
    _invoice_sheet(book, formats, payments, len(spec_rows))
    _table_sheet(book, formats, "Specifikation", payments.title, *_specification(spec_rows))
    _table_sheet(book, formats, "Kunder", payments.title, *_customers(payments))
    _table_sheet(book, formats, "Ej räknade besök", payments.title, *_not_counted(payments))
    _table_sheet(book, formats, "Rader", payments.title, *_lines(payments))
    book.close()
    make_reproducible(path)


def provider_file_name(provider: str) -> str:
    """`payments_<provider>.xlsx`, the id made safe as a file name."""
    return f"payments_{re.sub(r'[^0-9A-Za-zÅÄÖåäö_-]+', '_', provider)}.xlsx"


# ----------------------------------------------------------------------------- formats


class _Formats:
    def __init__(self, book: Any) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.by_code = {
            code: book.add_format({"num_format": code})
            for code in (MONEY, HOURS, PERCENT, WHOLE, DECIMAL, DAY, MOMENT)
        }
        self.text = book.add_format({})

    def of(self, code: str | None) -> Any:
        return self.by_code.get(code or "", self.text)


@dataclass
class _Column:
    heading: str
    format: str | None = None  # an Excel number format
    total: bool = False  # summed in the table's total row
    # a formula for the column's cell in Excel row n (its value is the row's value)
    formula: Callable[[int], str] | None = None


# ----------------------------------------------------------------------------- sheets


def _table_sheet(
    book: Any,
    formats: _Formats,
    name: str,
    title: str,
    columns: list[_Column],
    rows: list[list[Any]],
) -> Any:
    """A sheet holding one Excel table: a title line, then the table with its header
    frozen, filters, a total row and the print setup."""
    sheet = book.add_worksheet(name)
    sheet.write(0, 0, title, formats.title)
    first, last_row = 2, 2 + max(len(rows), 1) + 1  # header, rows (at least one), totals
    options: dict[str, Any] = {
        "name": re.sub(r"\W", "_", name),
        "style": "Table Style Light 9",
        "total_row": True,
        "columns": [],
    }
    for i, column in enumerate(columns):
        spec: dict[str, Any] = {"header": column.heading, "format": formats.of(column.format)}
        if i == 0:
            spec["total_string"] = "Summa"
        elif column.total:
            spec["total_function"] = "sum"
            spec["total_value"] = sum(
                r[i] for r in rows if isinstance(r[i], int | float) and not isinstance(r[i], bool)
            )
        options["columns"].append(spec)
    options["data"] = [[safe_text(v) for v in r] for r in rows] or [[None] * len(columns)]
    sheet.add_table(first, 0, last_row, len(columns) - 1, options)
    for c, column in enumerate(columns):
        if column.formula is not None:  # written with its value, for readers that do not calculate
            for r, row in enumerate(rows, start=first + 1):
                sheet.write_formula(r, c, column.formula(r + 1), formats.of(column.format), row[c])
    for i, column in enumerate(columns):
        sample = [column.heading, *(r[i] for r in rows[:2000])]
        width = max(len(_shown(v)) for v in sample)
        sheet.set_column(i, i, min(max(width + 2, 9), 48))
    _print_setup(sheet, first)
    return sheet


def _print_setup(sheet: Any, header_row: int) -> None:
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # the page's width, as many pages down as needed
    sheet.repeat_rows(header_row)
    sheet.set_footer("&L&A&RSida &P av &N")


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f} kr"
    return "" if value is None else str(value)


def _invoice_sheet(book: Any, formats: _Formats, payments: PaymentFile, spec_rows: int) -> None:
    """Per provider and month: the invoiceable total and what is paid apart, each a
    SUMIFS over the specification (so a controller sees where the figure comes from),
    stored with its value summed in whole öre."""
    names = _names(payments)
    apart = pl.col("category").is_in(list(payments.outside_invoice))
    totals = (
        payments.lines.group_by("month", "provider_id")
        .agg(
            pl.col("amount_ore").filter(~apart).sum().alias("invoice"),
            pl.col("amount_ore").filter(apart).sum().alias("outside"),
        )
        .sort("month", "provider_id")
    )
    rows = [
        [
            r["month"],
            r["provider_id"],
            names.get(r["provider_id"], ""),
            r["invoice"] / 100,
            r["outside"] / 100,
            (r["invoice"] + r["outside"]) / 100,
        ]
        for r in totals.iter_rows(named=True)
    ]
    last = 3 + max(spec_rows, 1)  # the specification's last data row in Excel

    def sumifs(on_invoice: str) -> Callable[[int], str]:
        def formula(n: int) -> str:
            def column(letter: str) -> str:
                return f"Specifikation!${letter}$4:${letter}${last}"

            return (
                f"=SUMIFS({column('I')},{column('A')},$A{n},{column('B')},$B{n},"
                f'{column("J")},"{on_invoice}")'
            )

        return formula

    columns = [
        _Column("Månad"),
        _Column("Utförare"),
        _Column("Namn"),
        _Column("Fakturerbart", MONEY, True, sumifs(ON_INVOICE)),
        _Column("Utbetalas separat", MONEY, True, sumifs(OUTSIDE_INVOICE)),
        _Column("Totalt", MONEY, True, lambda n: f"=D{n}+E{n}"),
    ]
    sheet = _table_sheet(book, formats, "Fakturaunderlag", payments.title, columns, rows)
    note = (
        "Fakturerbart: vad utförarens faktura för månaden högst får uppgå till (§5). "
        "Utbetalas separat: ersättning som inte faktureras (§5.1), t.ex. effektpremie."
    )
    sheet.write(len(rows) + 5, 0, note)


def _names(payments: PaymentFile) -> dict[str, str]:
    return dict(
        zip(
            payments.providers["provider_id"].to_list(),
            payments.providers["name"].to_list(),
            strict=True,
        )
    )


def _specification_rows(payments: PaymentFile) -> list[list[Any]]:
    names = _names(payments)
    order = {p: i for i, p in enumerate(payments.labels)}
    grouped = (
        payments.lines.group_by("month", "provider_id", "category", "payment", "unit")
        .agg(
            pl.col("customer_id").drop_nulls().n_unique().alias("n_customers"),
            pl.col("quantity").sum(),
            pl.col("quantity").is_not_null().any().alias("has_quantity"),
            pl.col("amount_ore").sum(),
            pl.col("source").first(),
        )
        .with_columns(pl.col("payment").replace_strict(order, default=len(order)).alias("_order"))
        .sort("month", "provider_id", "category", "_order")
    )
    return [
        [
            r["month"],
            r["provider_id"],
            names.get(r["provider_id"], ""),
            r["category"],
            payments.labels.get(r["payment"], r["payment"]),
            r["n_customers"],
            round(float(r["quantity"]), 4)
            if r["has_quantity"] and r["payment"] in payments.additive
            else None,
            (r["unit"] or "") if r["payment"] in payments.additive else "",
            r["amount_ore"] / 100,
            OUTSIDE_INVOICE if r["category"] in payments.outside_invoice else ON_INVOICE,
            r["source"] or "",
        ]
        for r in grouped.iter_rows(named=True)
    ]


def _specification(rows: list[list[Any]]) -> tuple[list[_Column], list[list[Any]]]:
    columns = [
        _Column("Månad"),
        _Column("Utförare"),
        _Column("Namn"),
        _Column("Ersättningskategori"),
        _Column("Ersättning"),
        _Column("Kunder", WHOLE),
        _Column("Antal", DECIMAL),
        _Column("Enhet"),
        _Column("Belopp", MONEY, True),
        _Column("På fakturan"),
        _Column("Källa"),
    ]
    return columns, rows


def _customers(payments: PaymentFile) -> tuple[list[_Column], list[list[Any]]]:
    amounts = (
        payments.lines.filter(pl.col("payment").is_in(payments.customer_payments))
        .group_by("month", "provider_id", "customer_id")
        .agg(
            pl.col("amount_ore").filter(pl.col("payment") == p).sum().alias(p)
            for p in payments.customer_payments
        )
    )
    frame = payments.customers.join(
        amounts, on=["month", "provider_id", "customer_id"], how="left"
    ).sort("month", "provider_id", "customer_id")
    headings = list(payments.column_types)
    columns = [_Column("Månad"), _Column("Utförare"), _Column("Kund")]
    columns += [_customer_column(h, payments.column_types[h]) for h in headings]
    shown = [payments.labels.get(p, p) for p in payments.customer_payments]
    columns += [_Column(label, MONEY, True) for label in shown]
    first, last = _letter(len(columns) - len(shown)), _letter(len(columns) - 1)
    columns.append(
        _Column("Summa", MONEY, True, (lambda n: f"=SUM({first}{n}:{last}{n})") if shown else None)
    )
    rows = []
    for r in frame.iter_rows(named=True):
        values = [r["month"], r["provider_id"], r["customer_id"]]
        values += [_customer_value(r[h], payments.column_types[h]) for h in headings]
        ore = [r[p] or 0 for p in payments.customer_payments]
        rows.append([*values, *(o / 100 for o in ore), sum(ore) / 100])  # summed in öre
    return columns, rows


def _letter(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return str(xl_col_to_name(index))


def _customer_column(heading: str, typ: t.Type) -> _Column:
    if isinstance(typ, t.Num) and typ.money:
        return _Column(heading, MONEY)
    if isinstance(typ, t.Num) and typ.time:
        return _Column(f"{heading} (h)", HOURS)
    if isinstance(typ, t.Num) and typ.percent:
        return _Column(heading, PERCENT)
    if isinstance(typ, t.Num):
        return _Column(heading, WHOLE if typ.integer else DECIMAL)
    if isinstance(typ, t.Date):
        return _Column(heading, DAY)
    return _Column(heading)


def _customer_value(value: Any, typ: t.Type) -> Any:
    if value is None:
        return None
    if isinstance(typ, t.Num) and typ.time:
        return float(value) / 60  # minutes as hours
    if isinstance(typ, t.Num):
        return _number(value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return value


def _number(value: Any) -> Any:
    return float(value) if value is not None else None


Field = tuple[_Column, Callable[[dict[str, Any]], Any]]  # a column and how a row fills it


def _rows_of(frame: pl.DataFrame, fields: list[Field]) -> tuple[list[_Column], list[list[Any]]]:
    """A sheet's columns and its rows, each field filled from a row of `frame`."""
    rows = [[value(r) for _, value in fields] for r in frame.iter_rows(named=True)]
    return [column for column, _ in fields], rows


def _not_counted(payments: PaymentFile) -> tuple[list[_Column], list[list[Any]]]:
    frame = payments.not_counted.sort("month", "provider_id", "customer_id", "start")
    return _rows_of(
        frame,
        [
            (_Column("Månad"), lambda r: r["month"]),
            (_Column("Besök"), lambda r: r[VISIT_COLUMN]),
            (_Column("Kund"), lambda r: r["customer_id"]),
            (_Column("Utförare"), lambda r: r["provider_id"]),
            (_Column("Start", MOMENT), lambda r: r["start"]),
            (_Column("Personal"), lambda r: r["staff_id"]),
            (_Column("Insats"), lambda r: r["service"]),
            (_Column("Minuter", WHOLE, True), lambda r: _number(r["minutes"])),
            (_Column("Skäl"), lambda r: r["reason"]),
            (_Column("Regel"), lambda r: r["rule"]),
            (_Column("Källa"), lambda r: r["source"] or ""),
        ],
    )


def _lines(payments: PaymentFile) -> tuple[list[_Column], list[list[Any]]]:
    frame = payments.lines.sort("month", "provider_id", "customer_id", "payment")
    return _rows_of(
        frame,
        [
            (_Column("Månad"), lambda r: r["month"]),
            (_Column("Utförare"), lambda r: r["provider_id"]),
            (_Column("Kund"), lambda r: r["customer_id"]),
            (_Column("Ersättning"), lambda r: payments.labels.get(r["payment"], r["payment"])),
            (_Column("Ersättningskategori"), lambda r: r["category"]),
            (_Column("Antal", DECIMAL), lambda r: _number(r["quantity"])),
            (_Column("Enhet"), lambda r: r["unit"] or ""),
            (_Column("Belopp", MONEY, True), lambda r: r["amount_ore"] / 100),
            (_Column("Källa"), lambda r: r["source"] or ""),
        ],
    )


# ----------------------------------------------------------------------------- comparisons

HEADINGS = {
    "month": ("Månad", None), "provider_id": ("Utförare", None), "name": ("Namn", None),
    "customer_id": ("Kund", None), "category": ("Ersättningskategori", None),
    "amount_a_ore": ("A (kr)", MONEY), "amount_b_ore": ("B (kr)", MONEY),
    "diff_ore": ("B − A (kr)", MONEY), "diff_pct": ("Förändring", PERCENT),
    "customers": ("Kunder", WHOLE), "district": ("Distrikt", None), "zone": ("Zon", None),
    "ownership": ("Driftform", None), "granted_hours": ("Beviljad tid (h)", DECIMAL),
    "level": ("Nivå", WHOLE), "hours_band": ("Beviljad tid per månad", None),
    "value": ("Värde", None), "total_ore": ("Summa (kr)", MONEY),
}  # fmt: skip
SHEETS = {
    "compare_providers": "Utförare", "compare_categories": "Kategorier",
    "compare_customers": "Kunder", "compare_by_zone": "Per zon",
    "compare_by_hours_band": "Per beviljad tid", "compare_by_ownership": "Per driftform",
    "largest_gains": "Största ökningar", "largest_losses": "Största minskningar",
}  # fmt: skip


def write_comparison_workbook(
    path: Path, tables: dict[str, pl.DataFrame], about: list[tuple[str, str]]
) -> None:
    """A comparison as a workbook: first what A and B are (and which data and months),
    then each table with Swedish headings, kronor and per cent formats, filters and a
    frozen header, set to print on A4."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    formats = _Formats(book)
    title = " · ".join(value for key, value in about[:2])
    columns = [_Column("Vad"), _Column("Uppgift")]
    _table_sheet(book, formats, "Om jämförelsen", title, columns, [list(r) for r in about])
    for name, frame in tables.items():
        fields: list[Field] = []
        for column in frame.columns:
            heading, code = HEADINGS.get(column, (column, None))
            fields.append((_Column(heading, code, code == MONEY), _cell(column)))
        _table_sheet(book, formats, SHEETS.get(name, name)[:31], title, *_rows_of(frame, fields))
    book.close()
    make_reproducible(path)


def _cell(column: str) -> Callable[[dict[str, Any]], Any]:
    """How a comparison column is written: öre as kronor, a percentage as a share."""
    if column.endswith("_ore"):
        return lambda r: None if r[column] is None else r[column] / 100
    if column == "diff_pct":
        return lambda r: None if r[column] is None else r[column] / 100
    return lambda r: r[column]
