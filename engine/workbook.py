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
  and each payment of the customer (also those per row: an escort, an effect premium),
  totalled by a formula;
- *Ej räknade besök*: every visit that was not counted, with its date, staff,
  minutes, reason and §;
- *Flaggade besök* (for a model with `flags:`): every visit a flag marked for a
  controller to look at — counted all the same — likewise;
- *Rader*: every statement line.

Written with XlsxWriter (tables, formats, print setup, the totals' formulas); the
tables' rows are put in by `sheetcells`, column by column, since XlsxWriter's Python
cost per cell made a month of 10 M visits wait two minutes. Numbers are written as
numbers with Excel formats, which Excel shows in the reader's own locale
(`1 234,56 kr` in Swedish Excel). A table longer than a sheet holds goes on to
further sheets (`Rader (del 2 av 3)`)."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import polars as pl

from engine import swedish
from engine import types as t
from engine.data import REJECT_SCHEMA
from engine.phrases import CUSTOMER_SHEET_HEADINGS
from engine.reports import VISIT_COLUMN, Part, Pieces, make_reproducible
from engine.sheetcells import CellColumn, SharedStrings, rows_xml

MONEY = '#,##0.00 "kr"'
HOURS = '#,##0.00 "h"'
PERCENT = "0.0 %"
WHOLE = "#,##0"
DECIMAL = "#,##0.00"
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm"
ON_INVOICE, OUTSIDE_INVOICE = "ja", "nej, utbetalas separat"


PARAMETER_ROWS = {
    "month": pl.String,
    "parameter": pl.String,
    "cell": pl.String,
    "value": pl.String,
    "description": pl.String,
    "source": pl.String,
}


# the rows rejected as read, as rejects.csv has them, with why in Swedish
# (`reports.rejected_why`) for carepay's code and reason
REJECTED_ROWS = {
    **{k: v for k, v in REJECT_SCHEMA.items() if k not in ("code", "reason")},
    "why": pl.String,
}


@dataclass
class PaymentFile:
    """What the payment file shows, gathered from a run (see runner)."""

    title: str
    lines: (
        pl.DataFrame
    )  # month, provider_id, customer_id, payment, category, quantity, unit, amount_ore, source
    providers: pl.DataFrame  # provider_id, name
    # month, provider_id, customer_id and the customer columns (`sheet_column(heading)`)
    customers: pl.DataFrame
    not_counted: pl.DataFrame  # month, visit_id, customer_id, provider_id, start, staff_id, service, minutes, rule, reason, source
    labels: dict[str, str]  # payment -> label
    customer_payments: list[str]  # payments of the customer-month, in the model's order
    column_types: dict[str, t.Type] = field(default_factory=dict)  # heading -> type
    outside_invoice: tuple[str, ...] = ()
    # payments whose quantities add up (hours, days); a share (utförandegrad) does not
    additive: frozenset[str] = frozenset()
    # every row set aside as the data was read (`REJECTED_ROWS`)
    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_ROWS))
    # the visits flagged, as `not_counted` (None: the model has no flags, and no sheet)
    flagged: pl.DataFrame | None = None
    # each month's parameter values in force, as the rule files write them: month,
    # parameter, cell, value, description, source (`PARAMETER_ROWS`)
    parameters: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PARAMETER_ROWS))

    def for_provider(self, provider: str) -> PaymentFile:
        """The same file with only one provider's rows (to send to that provider): of
        the rows rejected, its own, and those of its customers that name no provider (a
        customer whose district is in no zone: its visits are rejected too, and name
        the provider)."""
        mine = pl.col("provider_id") == provider
        customers = pl.concat(
            [t.filter(mine)["customer_id"] for t in (self.lines, self.customers, self.rejected)]
        )
        theirs = mine | (
            pl.col("provider_id").is_null() & pl.col("customer_id").is_in(customers.implode())
        )
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
            self.rejected.filter(theirs),
            self.flagged.filter(mine) if self.flagged is not None else None,
            self.parameters,  # the prices every provider is paid by
        )


def write_payment_file(path: Path, payments: PaymentFile) -> None:
    book = _Book(path)
    spec = _specification_frame(payments)
    _invoice_sheet(book, payments, spec.height)
    _table_sheet(book, "Specifikation", payments.title, *_specification(spec))
    _table_sheet(book, "Kunder", payments.title, *_customers(payments))
    _table_sheet(book, "Ej räknade besök", payments.title, *_visits(payments.not_counted))
    if payments.flagged is not None:
        _table_sheet(book, "Flaggade besök", payments.title, *_visits(payments.flagged))
    _table_sheet(book, "Rader", payments.title, *_lines(payments))
    _table_sheet(book, "Avvisade rader", payments.title, *_rejected(payments))
    _table_sheet(book, "Parametrar", payments.title, *_parameters(payments))
    book.close()


def _parameters(payments: PaymentFile) -> tuple[list[_Column], pl.DataFrame]:
    """The parameter values each month was paid by: a controller checking a price after
    its indexation, or a provider disputing a month, found them in no sheet."""
    columns = [
        _Column("Månad"),
        _Column("Parameter"),
        _Column("Nyckel"),
        _Column("Värde"),
        _Column("Beskrivning"),
        _Column("Källa"),
    ]
    return columns, payments.parameters.select(list(PARAMETER_ROWS))


def provider_file_names(providers: list[str]) -> dict[str, str]:
    """`payments_<provider>.xlsx` for each provider, the id made safe as a file name —
    and told apart where two ids come out the same (`P/1` and `P 1`, or `p1` and `P1`
    on a file system that ignores case) by a short digest of the id: one provider's
    file overwrote the other's, and was sent with the other's customers in it."""
    safe = {p: re.sub(r"[^0-9A-Za-zÅÄÖåäö_-]+", "_", p) for p in providers}
    taken = Counter(name.casefold() for name in safe.values())
    return {
        p: f"payments_{name}"
        + (f"-{hashlib.sha256(p.encode()).hexdigest()[:8]}" if taken[name.casefold()] > 1 else "")
        + ".xlsx"
        for p, name in safe.items()
    }


# ----------------------------------------------------------------------------- formats


class _Formats:
    def __init__(self, book: Any) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.by_code = {
            code: book.add_format({"num_format": code})
            for code in (MONEY, HOURS, PERCENT, WHOLE, DECIMAL, DAY, MOMENT)
        }
        self.text = book.add_format({})
        for number_format in self.by_code.values():
            # numbered now: the table rows written after closing name them by number
            number_format._get_xf_index()

    def of(self, code: str | None) -> Any:
        return self.by_code.get(code or "", self.text)

    def style(self, code: str | None) -> int | None:
        """The style number of a column's cells, None for plain text."""
        return self.by_code[code].xf_index if code in self.by_code else None


@dataclass
class _Column:
    heading: str
    format: str | None = None  # an Excel number format
    total: bool = False  # summed in the table's total row
    # a formula for the column's cells, `{n}` standing for the Excel row (the cell's
    # value is the frame's, for readers that do not calculate)
    formula: str | None = None


@dataclass
class _Rows:
    """A table's data rows, added to a sheet's XML after XlsxWriter has written it."""

    sheet: int  # 1-based, as in xl/worksheets/sheet<n>.xml
    table: str  # the table's name
    frame: pl.DataFrame
    columns: list[CellColumn]

    @property
    def total_row(self) -> int:
        """The Excel row of the table's total row (a table has at least one data row)."""
        return HEADER_ROW + max(self.frame.height, 1) + 1


# Each table's header is in Excel row 3, below the sheet's title. XlsxWriter is told of
# a table of one data row (its header, row 4, and a total row 5): telling it of the whole
# table costs a Python dictionary entry per cell, and the rows are written here anyway.
HEADER_ROW = 3
DECLARED_TOTAL_ROW = HEADER_ROW + 2


class _Book:
    """An XlsxWriter workbook whose tables' data rows are written by `sheetcells` (column
    by column) into the closed file's sheets, between each table's header and its total
    row, and each table's range set to its rows; a time-stamp-free file
    (`make_reproducible`)."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.path = path
        options = {"strings_to_formulas": False, "strings_to_urls": False}
        self.book = xlsxwriter.Workbook(str(path), options)
        self.formats = _Formats(self.book)
        self.rows: list[_Rows] = []

    def close(self) -> None:
        self.book.close()
        replaced: dict[str, Part] = {}
        with zipfile.ZipFile(self.path) as written:
            strings = SharedStrings(written.read(SHARED_STRINGS))
            tables = {
                _table_name(written.read(name)): name
                for name in written.namelist()
                if name.startswith("xl/tables/")
            }
        for rows in self.rows:  # each sheet's rows made as the sheet is written, then let go
            replaced[f"xl/worksheets/sheet{rows.sheet}.xml"] = partial(_sheet_with, rows, strings)
            replaced[tables[rows.table]] = partial(_table_to, total_row=rows.total_row)
        replaced[SHARED_STRINGS] = lambda _: strings.xml()
        make_reproducible(self.path, replaced, last={SHARED_STRINGS})


def _sheet_with(rows: _Rows, strings: SharedStrings, sheet: bytes) -> Pieces:
    """The sheet's XML in pieces: XlsxWriter's up to its table's one data row, the
    table's rows, then its total row (moved below them) and the rest."""
    head, total, tail = _around_rows(sheet, rows.total_row)
    made = chain([head], rows_xml(rows.frame, rows.columns, HEADER_ROW + 1, strings), [total, tail])
    cells = rows.frame.height * max(rows.frame.width, 1)
    return Pieces(made, large=cells * MOST_BYTES_A_CELL + len(sheet) >= zipfile.ZIP64_LIMIT)


# a cell's XML is at most about this long: `<c s="12" t="s"><v>…</v></c>` with a number
# of 24 characters, or a formula cell of the payment file's templates
MOST_BYTES_A_CELL = 160


SHARED_STRINGS = "xl/sharedStrings.xml"


def _table_name(table: bytes) -> str:
    found = re.search(rb' name="([^"]*)"', table)
    assert found is not None, "XlsxWriter names every table"
    return found[1].decode("utf-8")


def _around_rows(sheet: bytes, total_row: int) -> tuple[bytes, bytes, bytes]:
    """The sheet's XML before the rows (its extent set to end at the total row), its
    total row moved to `total_row`, and the XML after it: the rows go between the
    first two, where XlsxWriter's table had its one data row."""
    start = sheet.find(f'<row r="{DECLARED_TOTAL_ROW}"'.encode())
    if start < 0:
        raise AssertionError("XlsxWriter writes every table's total row")
    end = sheet.index(b"</row>", start) + len(b"</row>")
    total = re.sub(
        rb'(<row r="|<c r="[A-Z]+)' + str(DECLARED_TOTAL_ROW).encode() + rb'"',
        rb"\g<1>" + str(total_row).encode() + b'"',
        sheet[start:end],
    )

    def extent(found: re.Match[bytes]) -> bytes:
        last = max(int(found[3]), total_row)
        return b'<dimension ref="' + found[1] + b":" + found[2] + str(last).encode() + b'"/>'

    head = re.sub(rb'<dimension ref="([A-Z]+\d+):([A-Z]+)(\d+)"/>', extent, sheet[:start], count=1)
    return head, total, sheet[end:]


def _table_to(table: bytes, total_row: int) -> bytes:
    """The table's XML with its range (and its filter's) ending at `total_row`."""
    end = str(total_row).encode()
    table = re.sub(rb'( ref="[A-Z]+\d+:[A-Z]+)\d+"', rb"\g<1>" + end + b'"', table, count=1)
    filtered = str(total_row - 1).encode()
    return re.sub(
        rb'(<autoFilter ref="[A-Z]+\d+:[A-Z]+)\d+"', rb"\g<1>" + filtered + b'"', table, count=1
    )


# ----------------------------------------------------------------------------- sheets


ROWS_COUNTED = "Antal rader"  # the total row of a table with no column to sum
TABLE_ROWS = 1_000_000  # rows of one sheet's table; Excel's sheet holds 1 048 576


def _table_sheet(
    book: _Book, name: str, title: str, columns: list[_Column], frame: pl.DataFrame
) -> Any:
    """A sheet holding one Excel table: a title line, then the table with its header
    frozen, filters, a total row and the print setup. `frame` holds the rows' values,
    a column for each of `columns`. More rows than a sheet holds go on to further
    sheets, `Rader (del 2 av 3)`, none left out."""
    if frame.height <= TABLE_ROWS:
        return _one_table_sheet(book, name, title, columns, frame)
    parts = -(-frame.height // TABLE_ROWS)
    sheets = [
        _one_table_sheet(
            book,
            f"{name} (del {i + 1} av {parts})",
            title,
            columns,
            frame.slice(i * TABLE_ROWS, TABLE_ROWS),
        )
        for i in range(parts)
    ]
    return sheets[0]


def _one_table_sheet(
    book: _Book, name: str, title: str, columns: list[_Column], frame: pl.DataFrame
) -> Any:
    formats = book.formats
    sheet = book.book.add_worksheet(name)
    sheet.write(0, 0, title, formats.title)
    first = HEADER_ROW - 1  # XlsxWriter counts rows from 0
    table = re.sub(r"\W", "_", name)
    options: dict[str, Any] = {
        "name": table,
        "style": "Table Style Light 9",
        "total_row": True,
        "columns": [],
    }
    counted = not any(column.total for column in columns)
    for i, (column, values) in enumerate(zip(columns, frame.iter_columns(), strict=True)):
        spec: dict[str, Any] = {"header": column.heading, "format": formats.of(column.format)}
        if i == 0:
            spec["total_string"] = ROWS_COUNTED if counted else "Summa"
        elif counted and i == 1:
            # nothing to sum (the rows rejected, the parameters): a "Summa" over empty
            # cells read as a total of nothing; the rows shown are counted instead
            spec["total_function"] = "count"
            spec["total_value"] = values.len() - values.null_count()
        elif column.total:
            spec["total_function"] = "sum"
            total = values.sum() if values.dtype.is_numeric() else 0
            # kronor summed as floats drift (6067078.829999999): the sum with two decimals
            spec["total_value"] = round(total, 2) if column.format == MONEY else total
        options["columns"].append(spec)
    sheet.add_table(first, 0, DECLARED_TOTAL_ROW - 1, len(columns) - 1, options)
    cells = [CellColumn(formats.style(column.format), column.formula) for column in columns]
    book.rows.append(_Rows(len(book.book.worksheets()), table, frame, cells))
    for i, (column, longest) in enumerate(zip(columns, _longest(frame.head(2000)), strict=True)):
        width = max(len(column.heading), longest)
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


def _longest(sample: pl.DataFrame) -> list[int]:
    """Each column's longest value as shown (`_shown`), for its width: texts measured by
    Polars, other values each shown once (Örebro's payment file at 10 M visits spent
    0.12 s showing every value of its sheets' first 2 000 rows)."""
    texts = [n for n, dtype in sample.schema.items() if dtype == pl.String]
    measured = (
        sample.select(pl.col(texts).str.len_chars().max().fill_null(0)).row(0, named=True)
        if texts
        else {}
    )
    return [
        int(measured[name])
        if name in measured
        else max((len(_shown(v)) for v in sample[name].unique()), default=0)
        for name in sample.columns
    ]


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f} kr"
    return "" if value is None else str(value)


def _invoice_sheet(book: _Book, payments: PaymentFile, spec_rows: int) -> None:
    """Per provider and month: the invoiceable total and what is paid apart, each a
    SUMIFS over the specification (so a controller sees where the figure comes from),
    stored with its value summed in whole öre."""
    apart = pl.col("category").is_in(list(payments.outside_invoice))
    frame = (
        payments.lines.group_by("month", "provider_id")
        .agg(
            pl.col("amount_ore").filter(~apart).sum().alias("invoice"),
            pl.col("amount_ore").filter(apart).sum().alias("outside"),
        )
        .sort("month", "provider_id")
        .join(_names(payments), on="provider_id", how="left", maintain_order="left")
        .select(
            "month",
            "provider_id",
            pl.col("name").fill_null(""),
            kronor(pl.col("invoice")).alias("invoice_kr"),
            kronor(pl.col("outside")).alias("outside_kr"),
            kronor(pl.col("invoice") + pl.col("outside")).alias("total_kr"),
        )
    )
    last = 3 + max(spec_rows, 1)  # the specification's last data row in Excel

    def sumifs(on_invoice: str) -> str:
        def column(letter: str) -> str:
            return f"Specifikation!${letter}$4:${letter}${last}"

        return (
            f"=SUMIFS({column('I')},{column('A')},$A{{n}},{column('B')},$B{{n}},"
            f'{column("J")},"{on_invoice}")'
        )

    columns = [
        _Column("Månad"),
        _Column("Utförare"),
        _Column("Namn"),
        _Column("Fakturerbart", MONEY, True, sumifs(ON_INVOICE)),
        _Column("Utbetalas separat", MONEY, True, sumifs(OUTSIDE_INVOICE)),
        _Column("Totalt", MONEY, True, "=D{n}+E{n}"),
    ]
    sheet = _table_sheet(book, "Fakturaunderlag", payments.title, columns, frame)
    sheet.write(frame.height + 5, 0, invoice_note(payments.outside_invoice))


def invoice_note(outside_invoice: tuple[str, ...]) -> str:
    """What the two sums mean, in the model's own terms: the categories it pays apart
    (`outside_invoice:`), or that it pays nothing apart. The note was Örebro's (§5,
    §5.1, "t.ex. effektpremie") in every municipality's workbook, its § pointing at
    another model's sections."""
    apart = ", ".join(f"”{category}”" for category in outside_invoice)
    kind = "kategorin" if len(outside_invoice) == 1 else "kategorierna"
    return "Fakturerbart: vad utförarens faktura för månaden högst får uppgå till. " + (
        f"Utbetalas separat: ersättning i {kind} {apart}, som inte faktureras."
        if outside_invoice
        else "Modellen betalar inget utanför fakturan."
    )


def _names(payments: PaymentFile) -> pl.DataFrame:
    """provider_id and its name, one row each."""
    return payments.providers.select("provider_id", "name").unique("provider_id", keep="first")


def _specification_frame(payments: PaymentFile) -> pl.DataFrame:
    """Per provider, month, category and payment: customers, quantity and amount."""
    order = {p: i for i, p in enumerate(payments.labels)}
    additive = pl.col("payment").is_in(list(payments.additive))
    return (
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
        .join(_names(payments), on="provider_id", how="left", maintain_order="left")
        .select(
            "month",
            "provider_id",
            pl.col("name").fill_null(""),
            "category",
            _label(payments),
            pl.col("n_customers"),
            pl.when(pl.col("has_quantity") & additive)
            .then(pl.col("quantity").cast(pl.Float64).round(4))
            .alias("quantity"),
            pl.when(additive)
            .then(pl.col("unit").fill_null(""))
            .otherwise(pl.lit(""))
            .alias("unit"),
            kronor(pl.col("amount_ore")),
            pl.when(pl.col("category").is_in(list(payments.outside_invoice)))
            .then(pl.lit(OUTSIDE_INVOICE))
            .otherwise(pl.lit(ON_INVOICE))
            .alias("on_invoice"),
            pl.col("source").fill_null(""),
        )
    )


def _label(payments: PaymentFile) -> pl.Expr:
    """A payment's Swedish label (its name where it has none)."""
    return pl.col("payment").replace(payments.labels).alias("label")


def _specification(frame: pl.DataFrame) -> tuple[list[_Column], pl.DataFrame]:
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
    return columns, frame


def _customers(payments: PaymentFile) -> tuple[list[_Column], pl.DataFrame]:
    paid = payments.customer_payments
    amounts = (
        payments.lines.filter(pl.col("payment").is_in(paid))
        .group_by("month", "provider_id", "customer_id")
        .agg(pl.col("amount_ore").filter(pl.col("payment") == p).sum().alias(p) for p in paid)
    )
    # full: a row paid to a customer of no customer-month that month (an effect premium
    # claimed after the customer left the provider) is a row of its own, not left out
    frame = payments.customers.join(
        amounts, on=["month", "provider_id", "customer_id"], how="full", coalesce=True
    ).sort("month", "provider_id", "customer_id")
    headings = list(payments.column_types)
    month, provider, customer, total = CUSTOMER_SHEET_HEADINGS
    columns = [_Column(month), _Column(provider), _Column(customer)]
    columns += [_customer_column(h, payments.column_types[h]) for h in headings]
    shown = [payments.labels.get(p, p) for p in paid]
    columns += [_Column(label, MONEY, True) for label in shown]
    first, last = _letter(len(columns) - len(shown)), _letter(len(columns) - 1)
    columns.append(
        _Column(total, MONEY, True, f"=SUM({first}{{n}}:{last}{{n}})" if shown else None)
    )
    ore = [pl.col(p).fill_null(0) for p in paid]
    values = frame.select(
        "month",
        "provider_id",
        "customer_id",
        *(
            _customer_value(pl.col(sheet_column(h)), payments.column_types[h]).alias(f"_{i}")
            for i, h in enumerate(headings)
        ),
        *(kronor(o).alias(f"_paid_{i}") for i, o in enumerate(ore)),
        kronor(pl.sum_horizontal(ore) if ore else pl.lit(0)).alias("_sum"),  # summed in öre
    )
    return columns, values


def sheet_column(heading: str) -> str:
    """A customer column's column in `PaymentFile.customers`: named apart from the ids
    and the payments' names (a heading `customer_id`, or `omsorg` beside the payment
    `omsorg`, took their place), and from another heading of the same field."""
    return f"shown {heading}"


def _letter(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return str(xl_col_to_name(index))


def _customer_column(heading: str, typ: t.Type) -> _Column:
    if isinstance(typ, t.Num) and typ.money:
        return _Column(heading, MONEY)
    if isinstance(typ, t.Num) and typ.time:
        return _Column(t.sheet_heading(heading, typ), HOURS)
    if isinstance(typ, t.Num) and typ.percent:
        return _Column(heading, PERCENT)
    if isinstance(typ, t.Num):
        return _Column(heading, WHOLE if typ.integer else DECIMAL)
    if isinstance(typ, t.Date):
        return _Column(heading, DAY)
    return _Column(heading)


def _customer_value(value: pl.Expr, typ: t.Type) -> pl.Expr:
    """A customer column as its cell shows it: minutes as hours, numbers as numbers,
    yes/no as `ja`/`nej`."""
    if isinstance(typ, t.Num) and typ.time:
        return value.cast(pl.Float64) / 60  # minutes as hours
    if isinstance(typ, t.Num):
        return value.cast(pl.Float64)
    if isinstance(typ, t.Bool):
        return pl.when(value).then(pl.lit("ja")).when(value.not_()).then(pl.lit("nej"))
    return value


def _visits(visits: pl.DataFrame) -> tuple[list[_Column], pl.DataFrame]:
    """The visits not counted, or flagged: each with its rule's reason and §."""
    frame = visits.sort("month", "provider_id", "customer_id", "start")
    columns = [
        _Column("Månad"),
        _Column("Besök"),
        _Column("Kund"),
        _Column("Utförare"),
        _Column("Start", MOMENT),
        _Column("Personal"),
        _Column("Insats"),
        _Column("Minuter", WHOLE, True),
        _Column("Skäl"),
        _Column("Regel"),
        _Column("Källa"),
    ]
    values = frame.select(
        "month",
        VISIT_COLUMN,
        "customer_id",
        "provider_id",
        "start",
        "staff_id",
        "service",
        pl.col("minutes").cast(pl.Float64),
        "reason",
        "rule",
        pl.col("source").fill_null(""),
    )
    return columns, values


def _rejected(payments: PaymentFile) -> tuple[list[_Column], pl.DataFrame]:
    columns = [
        _Column("Tabell"),
        _Column("Fil"),
        _Column("Rad", WHOLE),
        _Column("Id"),
        _Column("Kund"),
        _Column("Utförare"),
        _Column("Kolumn"),
        _Column("Värde"),
        _Column("Skäl"),
    ]
    frame = payments.rejected.sort("table", "row")
    return columns, frame.select(list(REJECTED_ROWS))


def _lines(payments: PaymentFile) -> tuple[list[_Column], pl.DataFrame]:
    frame = payments.lines.sort("month", "provider_id", "customer_id", "payment", "row")
    columns = [
        _Column("Månad"),
        _Column("Utförare"),
        _Column("Kund"),
        _Column("Ersättning"),
        _Column("Avser"),  # the claim or delivery a line of its own pays
        _Column("Ersättningskategori"),
        _Column("Antal", DECIMAL),
        _Column("Enhet"),
        _Column("Belopp", MONEY, True),
        _Column("Källa"),
    ]
    values = frame.select(
        "month",
        "provider_id",
        "customer_id",
        _label(payments),
        pl.col("row").fill_null(""),
        "category",
        pl.col("quantity").cast(pl.Float64),
        pl.col("unit").fill_null(""),
        kronor(pl.col("amount_ore")),
        pl.col("source").fill_null(""),
    )
    return columns, values


def kronor(ore: pl.Expr) -> pl.Expr:
    """Whole öre as kronor in a cell: the number nearest the amount written with two
    decimals. Polars' division alone gave 2499 öre as 24.990000000000002 (one amount in
    seven), a number no controller wrote, in the file that leaves the building."""
    return (ore / 100).round(2)


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
    book = _Book(path)
    title = " · ".join(value for key, value in about[:2])
    facts = pl.DataFrame([list(r) for r in about], schema=["what", "value"], orient="row")
    _table_sheet(book, "Om jämförelsen", title, [_Column("Vad"), _Column("Uppgift")], facts)
    for name, frame in tables.items():
        grouped = frame.columns[0]
        if name.startswith("compare_by_") and frame[grouped].null_count() == frame.height:
            continue  # the models have no such thing (no granted time named): no sheet
        columns = []
        for column in frame.columns:
            heading, code = HEADINGS.get(column, (column, None))
            columns.append(_Column(heading, code, code == MONEY))
        values = frame.select(_cell(column) for column in frame.columns)
        named = {grouped} if name.startswith("compare_by_") else set()  # the row of no zone
        named |= {"customer_id"} if "customer_id" in frame.columns else set()
        values = values.with_columns(
            pl.col(c).fill_null(swedish.NO_CUSTOMER) for c in named if frame[c].dtype == pl.String
        )
        sheet = _table_sheet(book, SHEETS.get(name, name)[:31], title, columns, values)
        if name in NONE_MOVED and not frame.height:
            sheet.write(1, 0, NONE_MOVED[name])
    book.close()


# What an empty sheet of the largest gains or losses means.
NONE_MOVED = {
    "largest_gains": "Ingen kundmånad får mer i B än i A.",
    "largest_losses": "Ingen kundmånad får mindre i B än i A.",
}


def _cell(column: str) -> pl.Expr:
    """How a comparison column is written: öre as kronor, a percentage as a share."""
    if column.endswith("_ore"):
        return kronor(pl.col(column))
    if column == "diff_pct":
        return pl.col(column) / 100
    if column == "ownership":  # in Swedish, as the report names it
        return pl.col(column).replace(swedish.OWNERSHIP)
    return pl.col(column)
