"""What the sheet reader (calamine) does not say of a workbook's cells, read from the
workbook's own XML: the formulas saved with no value (a program that does not
calculate wrote them), and the numbers shown as a percentage (a cell shown as 10 %
holds 0,1). The sheets' XML is searched, never parsed whole: a month of visits is tens
of megabytes of it."""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.swedish import AMBIGUOUS_POINT


@dataclass
class SheetCells:
    """What the sheet reader does not say of a sheet's cells, by (row, column) from A1:
    the formulas saved with no value, the numbers shown as a percentage, and the rows
    hidden."""

    uncalculated: list[tuple[int, int, str]] = field(default_factory=list)
    percent: list[tuple[int, int]] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)  # rows hidden (or filtered away)
    dates: list[tuple[int, int]] = field(default_factory=list)  # shown as a date alone
    # number cells whose shortest text has a point before three digits (1.125): the
    # reader gives them as text, which in a text cell may be a Danish twelve hundred
    points: list[tuple[int, int]] = field(default_factory=list)


def workbook_cells(
    path: Path,
    with_numbers: Callable[[str], bool],
    in_dates: Callable[[str], bool] = lambda title: False,
) -> dict[str, SheetCells]:
    """Per sheet, the cells holding a formula with no value saved — as a program that
    does not calculate writes them: the reader gives such a cell as empty, and
    `granted_minutes` `=10*60` paid a decision nothing — and, on the sheets `with_numbers`
    says hold a column of numbers, the numbers formatted as a percentage: the reader
    gives the 0.1 a cell shown as 10 % holds, which a `%` column took as 0.1 % (and a
    column of minutes as 0.1 minutes). Excel saves each formula's value; only a
    sheet with a formula is searched for them (from each `<f`, never parsed whole). On
    the sheets `in_dates` says hold a column of dates and times, the numbers shown as a
    date alone: the reader gives such a cell as midnight, a time of day it never had."""
    out: dict[str, SheetCells] = {}
    try:
        with zipfile.ZipFile(path) as book:
            # a writer that saved 0 for every formula (XlsxWriter) asks Excel to
            # calculate them all when the file is opened: no saved value is one
            stale = re.search(rb'fullCalcOnLoad="(?:1|true)"', book.read("xl/workbook.xml"))
            parts = sheet_parts(book)
            percent_sheets = {title for title in parts if with_numbers(title)}
            styles = _percent_styles(book) if percent_sheets else set()
            dated_sheets = {title for title in parts if in_dates(title)}
            date_styles = _date_styles(book) if dated_sheets else set()
            for title, part in parts.items():
                data = book.read(part)
                cells = SheetCells()
                if b"<f" in data:
                    cells.uncalculated = list(formula_cells(data, bool(stale)))
                if styles and title in percent_sheets:
                    cells.percent = list(_numbers_in_styles(data, styles))
                if b'hidden="' in data:
                    cells.hidden = hidden_rows(data)
                if date_styles and title in dated_sheets:
                    cells.dates = list(_numbers_in_styles(data, date_styles))
                if title in percent_sheets:
                    cells.points = list(_numbers_with_a_point(data))
                if (
                    cells.uncalculated
                    or cells.percent
                    or cells.hidden
                    or cells.dates
                    or cells.points
                ):
                    out[title] = cells
    except (zipfile.BadZipFile, KeyError, OSError):  # the reader says what is wrong
        return {}
    return out


def hidden_rows(data: bytes) -> list[int]:
    """The rows of a sheet's XML hidden in Excel — by hand, or by a filter — from A1:
    the reader reads them as any other, which the one who hid them may not expect."""
    found = re.finditer(rb'<row\b[^>]*?\br="([0-9]+)"[^>]*?\bhidden="(?:1|true)"', data)
    return [int(row.group(1)) - 1 for row in found]


def _percent_styles(book: zipfile.ZipFile) -> set[bytes]:
    """The cell styles (`s="…"`) whose number format shows a percentage: Excel's own
    0 % and 0,00 %, or a format of the workbook's own with a `%` outside quotes."""
    return _styles_showing(book, {b"9", b"10"}, lambda bare: b"%" in bare)


# Excel's own formats of a date alone (m/d/yyyy, d-mmm-yy, d-mmm, mmm-yy)
_DATE_ALONE = {b"14", b"15", b"16", b"17"}


def _date_styles(book: zipfile.ZipFile) -> set[bytes]:
    """The cell styles whose number format shows a date with no time of day: Excel's
    own, or a format of the workbook's own with a day or a year and no hour or second
    (`yyyy-mm-dd`, not `yyyy-mm-dd hh:mm`)."""

    def dated(bare: bytes) -> bool:
        lower = bare.lower()
        return bool(re.search(rb"[dy]", lower)) and not re.search(rb"[hs]", lower)

    return _styles_showing(book, _DATE_ALONE, dated)


def _styles_showing(
    book: zipfile.ZipFile, builtin: set[bytes], shows: Callable[[bytes], bool]
) -> set[bytes]:
    """The cell styles (`s="…"`, by their place in `cellXfs`) whose number format is one
    of Excel's `builtin` ones, or one of the workbook's own whose code — its quoted
    text, escaped characters and `[…]` sections taken out — `shows` as wanted."""
    try:
        styles = book.read("xl/styles.xml")
    except KeyError:
        return set()
    wanted = set(builtin)
    for fid, code in re.findall(
        rb'<numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', styles
    ):
        if shows(re.sub(rb"&quot;.*?&quot;|\\.|\[[^\]]*\]", b"", code)):
            wanted.add(fid)
    xfs = re.search(rb"<cellXfs\b.*?</cellXfs>", styles, re.S)
    formats = re.findall(rb"<xf\b[^>]*>", xfs.group(0)) if xfs else []
    ids = (re.search(rb'numFmtId="(\d+)"', xf) for xf in formats)
    return {str(i).encode() for i, found in enumerate(ids) if found and found.group(1) in wanted}


def _numbers_in_styles(data: bytes, styles: set[bytes]) -> Iterator[tuple[int, int]]:
    """The number cells of a sheet's XML in one of `styles`, found by a search for those
    styles alone (a month of visits has a million cells; few are shown so): (row,
    column) from A1."""
    wanted = b"|".join(sorted(styles))
    pattern = rb'<c\b[^>]*?\bs="(?:' + wanted + rb')"[^>]*>(?=<v>)'
    for cell in re.finditer(pattern, data):
        attributes = cell.group(0)
        kind = re.search(rb'\bt="(\w+)"', attributes)
        ref = re.search(rb'\br="([A-Z]+)([0-9]+)"', attributes)
        if ref and (not kind or kind.group(1) == b"n"):
            yield int(ref.group(2)) - 1, _column_index(ref.group(1))


def _numbers_with_a_point(data: bytes) -> Iterator[tuple[int, int]]:
    """The number cells of a sheet's XML whose value the reader shows with a point
    before three digits, as `1.125`: a number, never twelve hundred — the same text in
    a text cell may be a Danish export's thousands. Found by a search for such values
    alone (a month of visits has a million cells; few hold one): (row, column) from A1."""
    for value in re.finditer(rb"<v>(-?[1-9][0-9]{0,2}\.[0-9]{3,})</v>", data):
        if not AMBIGUOUS_POINT.fullmatch(repr(float(value.group(1)))):  # as shown
            continue
        start = data.rfind(b"<c ", 0, value.start())
        attributes = data[start : data.find(b">", start) + 1]
        kind = re.search(rb'\bt="(\w+)"', attributes)
        ref = re.search(rb'\br="([A-Z]+)([0-9]+)"', attributes)
        if start >= 0 and ref and (not kind or kind.group(1) == b"n"):
            yield int(ref.group(2)) - 1, _column_index(ref.group(1))


def _column_index(letters: bytes) -> int:
    """`A` is 0, `AB` is 27."""
    column = 0
    for letter in letters.decode():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column - 1


def sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's title and the workbook part holding its cells."""
    workbook = book.read("xl/workbook.xml").decode("utf-8")
    rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets |= dict(
        (i, t)
        for t, i in re.findall(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)
    )
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name, rid = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            target = targets[rid.group(1)]
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            out[html.unescape(name.group(1))] = part
    return out


def formula_cells(data: bytes, stale: bool) -> Iterator[tuple[int, int, str]]:
    """The cells of a sheet's XML with a formula and no value saved (every formula
    cell where the saved values are `stale`): (row, column, formula). A formula whose
    value is empty text is saved by Excel as `t="str"` with an empty `<v></v>`."""
    at = data.find(b"<f")
    while at != -1:
        start, end = data.rfind(b"<c ", 0, at), data.find(b"</c>", at)
        cell = data[start:end] if start != -1 and end != -1 else b""
        ref = re.search(rb'\br="([A-Z]+)([0-9]+)"', cell)
        empty_text = b't="str"' in cell and b"<v></v>" in cell
        saved = re.search(rb"<v>[^<]|<is>", cell) or empty_text
        if ref and (stale or not saved):
            formula = re.search(rb"<f\b[^>]*>([^<]*)</f>", cell)
            text = html.unescape(formula.group(1).decode("utf-8")) if formula else "…"  # shared
            yield int(ref.group(2)) - 1, _column_index(ref.group(1)), f"={text}"
        at = data.find(b"<f", max(end, at + 1))
