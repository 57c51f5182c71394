"""Input data -> canonical tables. Reads a directory of CSV or Parquet files, or one
XLSX workbook (a sheet per table), converts every column to its declared type and
unit, and reports each problem by table, row and column.

A row with a problem (a bad value, an unknown customer, a duplicate id …) is
*rejected*: set aside with its reason in `Dataset.rejects`, and the run goes on with
the rest, warning how many were rejected. With `strict`, every such problem is an
error instead and nothing runs. Problems with a whole table (missing, unreadable, a
missing column) are always errors.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from engine import types as t
from engine.catalog import Column, Table, as_written, base_vocabulary, range_words, tables
from engine.clock import ClockChange, changes_near, elapsed_minutes
from engine.diagnostics import Diagnostics, closest, printable
from engine.frames import elapsed, where_values
from engine.headers import COLUMNS_FILE, read_headers
from engine.loader import split_quantity
from engine.model import DataRequirement
from engine.progress import timed
from engine.sheetxml import workbook_cells
from engine.swedish import (
    AMBIGUOUS_COMMA,
    AMBIGUOUS_POINT,
    MINUS_SIGN,
    ascii_minus,
    comma_readings,
    decimal_as_read,
    point_readings,
)
from engine.swedish import number as swedish_number

ROW_OFFSET_CSV = 2  # data row i is on line i + 2 of a CSV file (line 1 is the header)
MAX_ROWS_REPORTED = 5  # per column and problem; the rest are counted

_TRUE = {"true", "1", "yes", "ja", "sant", "t", "y", "j"}
_FALSE = {"false", "0", "no", "nej", "falskt", "f", "n"}
# dates and times as text: with or without seconds (and a fraction of one, as a database
# export writes `2024-03-01 09:39:00.000`), with a space or a `T` between
_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H.%M",  # the Swedish way of old, `kl. 10.30`
    # an instant, with its offset from UTC (`2024-01-31T23:30:00Z`, `…+01:00`), as a
    # system storing times in UTC exports them: read in Swedish time (`_moment`)
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%d %H:%M%#z",
)

# The data's dates and times are Swedish wall-clock time, as a visit's record shows it.
# A column of instants (a Parquet timestamp with a time zone, UTC as most systems
# store them) is read in this zone: 07:00 UTC on a March morning is an 08:00 visit.
LOCAL_TIME = "Europe/Stockholm"


REJECT_SCHEMA = {
    "table": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    # the row's own id (its key's values), its customer and provider, as read: what a
    # controller follows a rejected visit up by (empty where the row has none)
    "id": pl.String,
    "customer_id": pl.String,
    "provider_id": pl.String,
    "column": pl.String,
    "value": pl.String,
    "code": pl.String,
    "reason": pl.String,
}


SHOWN_VALUE = 80  # characters of a bad value shown in messages and rejects


@dataclass
class Problem:
    """Something wrong with one row: which row (0-based in the table as read), where."""

    index: int
    column: str
    value: str | None
    code: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        """A long bad value (a megabyte in one cell) is shown cut, in the message and
        in rejects.csv and the hint, never echoed whole."""
        if self.value is not None and len(self.value) > SHOWN_VALUE:
            short = f"{self.value[:SHOWN_VALUE]}… ({len(self.value)} characters)"
            self.message = self.message.replace(self.value, short)
            self.hint = self.hint.replace(self.value, short) if self.hint else self.hint
            self.value = short


@dataclass
class Dataset:
    """The canonical tables of one dataset, where each came from, and the rows set aside."""

    tables: dict[str, pl.DataFrame]
    origins: dict[str, str]  # table -> file (or workbook!sheet)
    row_offset: dict[str, int]  # table -> add to a 0-based index to get the file's row number
    input_rows: dict[str, int] = field(default_factory=dict)  # rows read, per table
    kept: dict[str, pl.Series] = field(default_factory=dict)  # table -> 0-based rows kept
    rejects: list[dict[str, Any]] = field(default_factory=list)  # rows as in REJECT_SCHEMA
    rejected_ids: dict[str, set[str]] = field(default_factory=dict)  # customers, providers
    # table -> customer -> file rows rejected: what else a rejected row can change
    rejected_customers: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # seconds of each phase of reading: decode, convert_and_check, references
    timings: dict[str, float] = field(default_factory=dict)
    # the data's tables that the model does not use: not read (empty in `tables`)
    unread: list[str] = field(default_factory=list)
    # read a part at a time (a Window): the rejected rows' problems, by the file's row
    # index, warned about once all parts are read (`warn_rejected`)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    # table -> the model's column -> the data's own name for it (`headers.COLUMNS_FILE`)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    # the tables as the run reads them (`for_evaluation`), beside the tables they were
    # made from: made again only when one of those is no longer there
    _evaluated: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]] | None = field(
        default=None, repr=False, compare=False
    )

    def for_evaluation(self, numbered: bool = True) -> dict[str, pl.DataFrame]:
        """The tables with the parties' ids as numbers (`encoded_party_ids`), made once
        for the runs of this dataset (a comparison, a sweep, the studio's edits); the
        tables as they are when the run would not gain by it (not `numbered`:
        `compile.numbering_pays`). The tables themselves keep their ids in text: what
        a user of the API reads, joins and changes."""
        if not numbered:
            return dict(self.tables)
        made = self._evaluated
        if made is not None and _same_tables(made[0], self.tables):
            return dict(made[1])
        encoded = encoded_party_ids(self.tables)
        self._evaluated = (dict(self.tables), encoded)
        return dict(encoded)

    def forget_evaluation(self) -> None:
        """Let the tables as the run read them go (a month read for one run alone)."""
        self._evaluated = None

    def row_number(self, table: str, index: int) -> int:
        """The file's row number of row `index` of the table as it is now."""
        kept = self.kept.get(table)
        original = int(kept[index]) if kept is not None else index
        return original + self.row_offset.get(table, 1)

    def where(self, table: str, index: int, column: str) -> str:
        place = f"{self.origins.get(table, table)}:{self.row_number(table, index)}"
        return f"{place}:{self.header(table, column)}" if column else place

    def header(self, table: str, column: str) -> str:
        """A column as the data's file names it: `kund (customer_id)` where the data
        has a name of its own for it, which is what a controller looks for."""
        own = self.headers.get(table, {}).get(column)
        return f"{own} ({column})" if own else column

    def rejects_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rejects, schema=REJECT_SCHEMA)

    def rejected(self, table: str) -> int:
        return sum(1 for r in self.rejects if r["table"] == table)

    def rejected_counts(self) -> dict[str, int]:
        """Rows rejected per table (only tables with any)."""
        return dict(sorted(Counter(r["table"] for r in self.rejects).items()))


# a row's place, beside a file's own columns (those not read too): a name no heading
# has, since a heading with a control character is refused (an export's `__row` column
# beside a repeated decision was a traceback, and so was a visits file's read a month
# at a time)
FILE_INDEX = "\x00row"
ROW = FILE_INDEX  # a part's rows' 0-based numbers in the whole table


@dataclass
class Window:
    """One part of a table too big to hold whole (a month of a year's visits): which
    rows of the file to read (`select`, on the raw columns: `converted(schema, name)`
    gives a column as it will be), which of them this part answers for (`owned`, on
    the converted columns: a part also reads its neighbours' rows that can overlap
    its own), and the ids the whole table has more than once (found beforehand over
    every part: `duplicate_rows`). `rows` reads a slice of the file only."""

    table: str
    select: Callable[[pl.Schema], pl.Expr]
    owned: pl.Expr
    duplicates: pl.DataFrame  # ROW, column, value, first (the file's row number of the first)
    rows: tuple[int, int] | None = None  # offset, length


def converted(schema: pl.Schema, column: Column) -> pl.Expr:
    """A raw column as it is read, converted (for choosing rows before they are read).
    A column already of its type is the column itself, so that a Parquet file's
    statistics can skip the row groups of other months unread."""
    if column.kind in ("date", "datetime") and schema.get(column.name) == _dtype(column):
        return pl.col(column.name)
    return _convert(pl.DataFrame(schema=schema), column)


def schema_of(source: Source) -> pl.Schema:
    """A table's column names and types as read. A scan is asked through a copy of it:
    a Parquet scan that has been asked its schema no longer takes a filter below a row
    index into the file (Polars 2.1), so each month of a year's visits was chosen by
    decoding the whole year (8 s a month; 3.3 s with the filter in the scan)."""
    return source.clone().collect_schema() if isinstance(source, pl.LazyFrame) else source.schema


def _dtype(column: Column) -> pl.DataType:
    return {
        "text": pl.String(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "integer": pl.Int64(),
        "number": pl.Float64(),
        "bool": pl.Boolean(),
    }[column.kind]


def empty_table(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: _dtype(c) for c in table.columns.values()})


Frames = Mapping[str, "pl.DataFrame | pl.LazyFrame"]
Source = pl.DataFrame | pl.LazyFrame  # a table as read: whole, or a scan still to decode


def _renamed(
    frames: Any,
    columns: Mapping[str, Mapping[str, str]] | None,
    diags: Diagnostics,
    origins: Mapping[str, str] | None = None,
) -> tuple[Any, dict[str, dict[str, str]]]:
    """Each table's columns by the model's names, where `columns` gives the data's own,
    and the renames made. A table with none to rename is left as it is: a renaming
    step, even of nothing, keeps a scan's filter from reaching the Parquet reader. A
    table that has both a column and the model's name for it (`kund` and
    `customer_id`) is an error: which one to read cannot be guessed (Polars stopped
    with a traceback)."""
    out, applied = {}, {}
    for name, frame in frames.items():
        given = dict((columns or {}).get(name) or {})
        if not given or not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            out[name] = frame
            continue
        present = list(schema_of(frame)) if isinstance(frame, pl.LazyFrame) else frame.columns
        renamed = {_as_headed(theirs, present): ours for theirs, ours in given.items()}
        for theirs, ours in list(renamed.items()):
            if theirs not in present and ours not in present:  # a name that names nothing
                close = closest(theirs, [p.strip() for p in present])
                diags.warning(
                    "missing-column",
                    f"the data's column names give `{theirs}` as `{ours}`, but `{name}` has "
                    f"no column `{theirs}`",
                    where=(origins or {}).get(name, name),
                    hint=f"did you mean `{close}`?" if close else None,
                )
            if theirs in present and ours in present and ours not in renamed:
                diags.error(
                    "duplicate-column",
                    f"`{name}` has both `{theirs}` and `{ours}`, and the data's column "
                    f"names say `{theirs}` is `{ours}`: which one to read cannot be guessed",
                    where=(origins or {}).get(name, name),
                    hint=f"remove one of the columns, or `{theirs}` from the names",
                )
                del renamed[theirs]
        out[name] = frame.rename(renamed, strict=False) if renamed else frame
        applied[name] = {theirs.strip(): ours for theirs, ours in renamed.items()}
    return out, applied


def _as_headed(name: str, present: list[str]) -> str:
    """The data's column a name of columns.yaml gives, as the file heads it: matched, as
    carepay's own names are, without the spaces around it and whether its å, ä and ö
    are one character or two (` Besök` in an export, `Besök` in the names: it was "no
    column `Besök`", beside an undeclared column shown as `Besök`)."""
    if name in present:
        return name
    wanted = unicodedata.normalize("NFC", name.strip())
    return next((p for p in present if unicodedata.normalize("NFC", p.strip()) == wanted), name)


IN_MEMORY = " (in memory)"  # a frame's origin: handed over to the Python API


def _from_frames(
    given: Frames, known: dict[str, Table], diags: Diagnostics
) -> tuple[dict[str, Source], dict[str, str], dict[str, int], dict[str, list[Problem]]]:
    """Tables handed over in memory (the Python API), checked like files; a name
    that is no table is an error, with the nearest table named."""
    raw: dict[str, pl.DataFrame | pl.LazyFrame] = {}
    for name, frame in given.items():
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            diags.error(
                "missing-table",
                f"`{name}` is not an input table",
                hint=f"did you mean `{close[0]}`?" if close else "tables: " + ", ".join(known),
            )
            continue
        if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            diags.error(
                "bad-value",
                f"`{name}` (in memory) is a {type(frame).__name__}, not a Polars frame",
                hint="pl.DataFrame(…) makes one of rows or columns, pl.from_pandas(…) of a "
                "pandas DataFrame",
            )
            continue
        raw[name] = frame  # a lazy frame is collected in the columns read only
    origins = {name: f"{name}{IN_MEMORY}" for name in raw}
    return raw, origins, dict.fromkeys(raw, 1), {}


def is_workbook(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm")


def headers_directory(path: Path) -> Path | None:
    """Where `columns.yaml` for the data at `path` is: in a data directory, or in the
    folder holding a workbook (a sheet's headings are the export's own names, as a
    file's are)."""
    if path.is_dir():
        return path
    return path.parent if is_workbook(path) else None


def _read_files(
    path: Path,
    known: dict[str, Table],
    diags: Diagnostics,
    renames: Mapping[str, Mapping[str, str]] | None = None,
    files: Mapping[str, str] | None = None,
) -> tuple[dict[str, Source], dict[str, str], dict[str, int], dict[str, list[Problem]]]:
    """Each table's raw columns (a Parquet file as a scan, decoded later in the
    columns read only), its file, its row offset and the rows its file could not give
    whole (a CSV row with fields too many or too few). `renames` are the data's own
    column names (`columns.yaml`), by which a CSV's header is known below a title, and
    `files` the names of tables' files (or sheets) where the export names them otherwise."""
    files = files or {}
    raw: dict[str, Source] = {}
    origins: dict[str, str] = {}
    offsets: dict[str, int] = {}
    ragged: dict[str, list[Problem]] = {}
    if is_workbook(path):
        # a sheet is named as its table, or as columns.yaml names the table's file
        sheets_of = {**known, **{files[n]: known[n] for n in files if n in known}}
        # the workbook's XML searched beside the reader, which lets go of Python (0.1 s
        # of the sample's 0.43 s, hidden)
        with ThreadPoolExecutor(1) as pool:
            looking = pool.submit(
                workbook_cells,
                path,
                partial(_with_numbers, known=sheets_of),
                partial(_in_dated, known=sheets_of),
            )
            sheets, skipped = _read_workbook(path, diags, sheets_of, renames)
            found = looking.result()
        for title, frame in sheets.items():
            name = _sheet_table(title, sheets_of)
            name = sheets_of[name].name if name in sheets_of else name
            above = skipped.get(title, 0)
            if title in found:
                cells = found[title]
                ragged[name] = _formula_problems(frame.columns, cells.uncalculated, above)
                frame = _as_shown_in_percent(frame, cells.percent, above)
                points = sorted(set(cells.points) - set(cells.percent))
                frame = _numbers_with_a_point(frame, points, above)
                frame = _dates_as_shown(frame, cells.dates, above, known.get(name))
                _told_hidden_rows(f"{path.name}!{title}", cells.hidden, above, diags)
            if name in raw:
                diags.error(
                    "two-files",
                    f"two sheets for the `{name}` table: {origins[name]} and {path.name}!{title}",
                    where=str(path),
                    hint="keep one of them (a stale copy would be paid from silently)",
                )
                continue
            raw[name] = frame
            origins[name] = f"{path.name}!{title}"
            offsets[name] = ROW_OFFSET_CSV + above
        return raw, origins, offsets, ragged
    if not path.is_dir():
        diags.error("file-not-found", f"no data directory or workbook at {path}")
        return raw, origins, offsets, ragged
    entries = list(path.iterdir())  # listed once, not twice a table
    for name in known:
        parquets = table_files(path, name, "parquet", files.get(name), entries)
        csvs = table_files(path, name, "csv", files.get(name), entries)
        if len(parquets) + len(csvs) > 1:
            diags.error(
                "two-files",
                f"two files for the `{name}` table: "
                + " and ".join(f.name for f in parquets + csvs),
                where=str(path),
                hint="keep one of them (a stale copy would be paid from silently)",
            )
            continue
        parquet = parquets[0] if parquets else path / f"{name}.parquet"
        csv = csvs[0] if csvs else path / f"{name}.csv"
        try:
            if parquet.exists():
                scan = pl.scan_parquet(parquet)
                schema_of(scan)  # a damaged file is reported here, not later
                raw[name] = scan
                origins[name], offsets[name] = parquet.name, 1
            elif csv.exists():
                named = _header_names(known[name], (renames or {}).get(name, {}))
                frame, ragged[name], above = _read_csv(csv, diags, named)
                if frame.width:  # else its header is broken (reported)
                    raw[name] = frame
                origins[name], offsets[name] = csv.name, ROW_OFFSET_CSV + above
        except UnicodeDecodeError as error:  # neither UTF-8 nor Windows-1252
            diags.error(
                "bad-value",
                f"cannot read {name}: the file is not text in UTF-8 or Windows-1252 "
                f"(byte {error.object[error.start]:#04x} at byte {error.start + 1})",
                where=str(csv),
                hint="export it again as CSV in UTF-8; a file that is not text "
                "(a workbook saved as .csv) cannot be read as one",
            )
            raw.pop(name, None)
        except (pl.exceptions.PolarsError, OSError) as error:
            diags.error(
                "bad-value",
                f"cannot read {name}: {damage(error)}",
                where=str(csv if csv.exists() else parquet),
            )
            raw.pop(name, None)
    return raw, origins, offsets, ragged


def _read_csv(
    path: Path, diags: Diagnostics, named: Collection[str] = ()
) -> tuple[pl.DataFrame, list[Problem], int]:
    """A CSV file as text columns, a problem for each row whose number of fields
    differs from the header's (the row is rejected, never shifted or padded), and the
    lines above its header (`_title_lines`: a report's title, skipped and said)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16
        text = data.decode("utf-16")
        data = text.encode("utf-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")  # Excel exports on Swedish Windows
        data = text.encode("utf-8")
    if "\r" in text and "\n" not in text:  # lines ended by CR alone ("CSV (Macintosh)")
        text = text.replace("\r", "\n")
        data = text.encode("utf-8")
    above = _title_lines(_first_lines(text, TITLE_LINES), named)
    if above:
        _told_title_lines(path.name, str(path), text.split("\n", above)[:above], diags)
        text = text.split("\n", above)[above]
        data = text.encode("utf-8")
    if not text.strip():  # Polars says only "empty CSV"
        diags.error(
            "missing-column",
            f"{path.name} holds no column names: the file is empty, or only blank lines",
            where=str(path),
            hint="export the table again; a table with no rows still has its header line",
        )
        return pl.DataFrame(), [], above
    first = text.split("\n", 1)[0].removesuffix("\r")
    # the separator the header uses most: `,`, `;` (Swedish Excel) or a tab (its
    # "Unicode text"); a comma where none is used more
    separator = max((",", ";", "\t"), key=first.count)
    try:
        header = next(csv.reader([first], delimiter=separator), [])
    except csv.Error:  # a carriage return inside the header line
        diags.error(
            "bad-value",
            f"the header of {path.name} has a line break inside it (a carriage return "
            "in the middle of the first line)",
            where=str(path),
            hint="export the file again; its first line must hold the column names alone",
        )
        return pl.DataFrame(), [], above
    names = [h.strip() for h in header]
    if _duplicate_columns([n for n in names if n], path.name, str(path), diags):
        return pl.DataFrame(), [], above
    ragged = [
        Problem(
            index,
            "",  # the whole row
            None,
            "ragged-row",
            f"the row has {count} fields, the header has {len(names)}",
            "a separator too many or too few in this row",
        )
        for index, count in _ragged_rows(data, text, separator, len(names), _headingless_end(names))
    ]
    frame = pl.read_csv(
        data,
        separator=separator,
        infer_schema=False,
        truncate_ragged_lines=True,  # a longer row is rejected, or its extra fields empty
    )
    shaped = {p.index for p in ragged}
    ragged += [p for p in _header_again(frame, names) if p.index not in shaped]
    frame = _without_headingless(frame, names, path.name, str(path), above, diags)
    return frame, ragged, above


def _without_headingless(
    frame: pl.DataFrame,
    names: Sequence[str],
    what: str,
    where: str,
    above: int,
    diags: Diagnostics,
) -> pl.DataFrame:
    """The table without its columns that have no heading (`names`, by position). An
    export whose lines end in separators (`a;b;;`), or a sheet with cells formatted
    right of its data, has such columns, empty: nothing to read, so nothing is said.
    One that holds values cannot be read by a model (a column is read by its name) and
    is said, with its first value: two such columns stopped the run as "the column ``
    more than once", one gave a hint to declare a column without a name. It stays, as
    `headingless_name(position)`, so that a default the model declares for a column the
    file lacks does not stand in for its values in silence (a heading deleted)."""
    blank = [i for i, n in enumerate(names) if not n and i < frame.width]
    if not blank:
        return frame
    columns = [frame.columns[i] for i in blank]
    empty = []
    for i, column in zip(blank, columns, strict=True):
        given = frame.with_row_index(FILE_INDEX).filter(
            pl.col(column).str.strip_chars().str.len_bytes() > 0
        )
        if given.height == 0:
            empty.append(column)
            continue
        frame = frame.rename({column: headingless_name(i + 1)})
        row, value = given.row(0)[0], given[column][0]
        diags.warning(
            "headingless-column",
            f"column {i + 1} of {what} has no heading but holds "
            f"{given.height} value{'s' if given.height != 1 else ''} (the first `{printable(value)}`, "
            f"on row {row + ROW_OFFSET_CSV + above}): it was not read",
            where=where,
            hint="a model reads a column by its name: give the column its heading (or delete it)",
        )
    return frame.drop(empty)


HEADINGLESS = "(column {} without a heading)"


def headingless_name(position: int) -> str:
    """The name a column without a heading that holds values is kept by (1-based)."""
    return HEADINGLESS.format(position)


def _is_headingless(name: str) -> bool:
    return re.fullmatch(r"\(column \d+ without a heading\)", name) is not None


def _headingless_words(name: str) -> str:
    """A kept column without a heading as a message says it: `column 3 without a heading`."""
    return name.removeprefix("(").removesuffix(")")


def _header_again(frame: pl.DataFrame, names: list[str]) -> list[Problem]:
    """Rows that are the column names again — two exports joined into one file: each
    is one rejected row that says so, not a bad value in every column of it."""
    if frame.height == 0 or not frame.width:
        return []
    first = frame.columns[0]
    # the first column holding its own name, looked for without copying a value
    candidates = frame.with_row_index(FILE_INDEX).filter(
        pl.col(first).str.contains(names[0], literal=True)
    )
    again = candidates.filter(
        pl.all_horizontal(
            [
                pl.col(c).fill_null("").str.strip_chars() == n
                for c, n in zip(frame.columns, names, strict=False)
            ]
        )
    )
    return [
        Problem(
            int(index),
            "",  # the whole row
            None,
            "repeated-header",
            "the row is the column names again",
            "two exports joined into one file? Each row is read once; remove the second header",
        )
        for index in again[FILE_INDEX].to_list()
    ]


TITLE_LINES = 20  # the lines of a file (or rows of a sheet) its header is looked for in


def _first_lines(text: str, count: int) -> list[str]:
    """The first lines of a text, without copying the rest of it (a month of visits)."""
    lines: list[str] = []
    start = 0
    while len(lines) < count and start <= len(text):
        end = text.find("\n", start)
        lines.append(text[start:] if end == -1 else text[start:end])
        if end == -1:
            break
        start = end + 1
    return lines


def _header_names(table: Table, renames: Mapping[str, str]) -> set[str]:
    """What a header line of the table holds: its columns, by carepay's names or by the
    data's own (`columns.yaml`)."""
    return set(table.columns) | set(renames)


def _title_lines(lines: Sequence[str], named: Collection[str]) -> int:
    """How many lines stand above a file's header — a report's title and date, as a
    system's export writes them — when the first line names none of the table's columns
    and a later one names two (0 where the first is the header, or none is)."""

    def names(line: str) -> int:
        cells = re.split(r"[,;\t]", line.removesuffix("\r"))
        return sum(cell.strip().strip('"').strip() in named for cell in cells)

    if not named or not lines or names(lines[0]) > 0:
        return 0
    return next((i for i, line in enumerate(lines) if names(line) >= 2), 0)


def _told_title_lines(file: str, where: str, lines: Sequence[str], diags: Diagnostics) -> None:
    shown = next((line.strip() for line in lines if line.strip(" ,;\t\r")), "")
    diags.warning(
        "title-rows",
        f"{file} begins with {len(lines)} line{'s' if len(lines) != 1 else ''} above its "
        f"column names, skipped: `{printable(shown[:SHOWN_VALUE])}`",
        where=where,
        hint="a report's title and date above the header; rows are numbered as in the file",
    )


def _duplicate_columns(names: list[str], what: str, where: str, diags: Diagnostics) -> bool:
    """A header with a column twice is an error: which one to read cannot be guessed."""
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        diags.error(
            "duplicate-column",
            f"{what} has the column " + ", ".join(f"`{d}`" for d in duplicates) + " more than once",
            where=where,
            hint="remove or rename the extra column: which one to read cannot be guessed",
        )
    return bool(duplicates)


LINE = "\x1f"  # the unit separator, read as the separator where each line is one field


def _headingless_end(names: list[str]) -> int:
    """How many of the header's last names are empty (`a,b,c,,`: 2)."""
    empty = 0
    for name in reversed(names):
        if name:
            break
        empty += 1
    return empty


def _ragged_rows(
    data: bytes, text: str, separator: str, width: int, headingless: int = 0
) -> list[tuple[int, int]]:
    """Each data row (counted as Polars reads them: every line after the header) whose
    number of fields is not `width`, with that number; a blank line is not a row of
    data. A row is not ragged where what differs is empty: fields beyond the header's
    that hold nothing (rows ending in a separator the header lacks), or fewer fields
    where the header's last `headingless` names are empty (a header ending in one): every
    row was rejected as "the row has 7 fields, the header has 6". Where no field is
    quoted, the lines are read by Polars as one column (split at a byte no text holds)
    and their separators counted there: a CSV of 1 M visits took 0.8 s, each line a
    Python string, and takes 0.2 s. Where quotes may hide separators or line breaks,
    the csv module reads the rows."""
    if '"' in text or LINE in text:
        rows = csv.reader(io.StringIO(text), delimiter=separator)
        next(rows, None)
        counted = (
            (i, len(row), not any(f.strip() for f in row[width:]))
            for i, row in enumerate(rows)
            if any(f.strip() for f in row)
        )
        return [
            (i, n)
            for i, n, rest_empty in counted
            if not (n == width or (n > width and rest_empty) or width - headingless <= n < width)
        ]
    lines = pl.read_csv(
        data, has_header=False, separator=LINE, quote_char=None, infer_schema=False
    ).to_series()
    fields = lines.str.count_matches(separator, literal=True) + 1
    blank = lines.is_null() | (lines.str.strip_chars().str.len_bytes() == 0)
    odd = (  # the few rows of another width, looked at again: their fields beyond it
        pl.DataFrame({"line": lines, "fields": fields, "blank": blank})
        .slice(1)  # the header
        .with_row_index("row")
        .filter(~pl.col("blank") & (pl.col("fields") != width))
    )
    trailing = pl.col("line").str.strip_chars_end(f"{separator} \t\r")
    used = trailing.str.count_matches(separator, literal=True) + 1
    n = pl.col("fields")
    fine = ((n > width) & (used <= width)) | ((n < width) & (n >= width - headingless))
    found = odd.filter(~fine)
    return [(int(i), int(n)) for i, n in found.select("row", "fields").iter_rows()]


def _read_workbook(
    path: Path,
    diags: Diagnostics,
    known: dict[str, Table],
    renames: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, int]]:
    """Each sheet as text columns, by the calamine reader (fastexcel): a date cell
    becomes ISO text, a number its shortest text. Sheet names are matched without
    regard to case or surrounding spaces (see `_sheet_table`). Beside them, the rows
    above each sheet's header (`_title_lines`), skipped."""
    import fastexcel  # only needed for workbooks

    skipped: dict[str, int] = {}
    try:
        book = fastexcel.read_excel(path)
        out: dict[str, pl.DataFrame] = {}
        for title in book.sheet_names:
            # read once, the header as the first row (reading the header alone parsed
            # the whole sheet too: the sample's visits 0.31 s of its 0.71 s)
            sheet = book.load_sheet(title, header_row=None, dtypes="string").to_polars()
            rows = [
                ",".join("" if v is None else str(v).replace(",", " ") for v in sheet.row(i))
                for i in range(min(sheet.height, TITLE_LINES))
            ]
            table = known.get(_sheet_table(title, known))
            named = _header_names(table, (renames or {}).get(table.name, {})) if table else set()
            above = _title_lines(rows, named) if table is not None else 0
            if above:
                _told_title_lines(f"sheet {title}", f"{path.name}!{title}", rows[:above], diags)
                sheet = sheet.slice(above)
            skipped[title] = above
            first = sheet.row(0) if sheet.height else ()
            names = [str(h).strip() if h is not None else "" for h in first]
            if not names:
                continue
            where = f"{path.name}!{title}"
            if _duplicate_columns([n for n in names if n], f"sheet {title}", where, diags):
                continue
            frame = sheet.slice(1)
            frame = frame.rename(
                {c: n for c, n in zip(frame.columns, names, strict=True) if n and n != c}
            )
            frame = _without_headingless(frame, names, f"sheet {title}", where, above, diags)
            out[title] = _excel_times(frame, table) if table is not None else frame
    except (fastexcel.FastExcelError, OSError) as error:
        diags.error("bad-value", f"cannot read the workbook: {error}", where=str(path))
        return {}, skipped
    return out, skipped


# A cell Excel holds as a time (typed `1:30`, shown as h:mm): the reader gives it as
# the moment that far after Excel's day 0, 1899-12-31.
_EXCEL_TIME = r"^1899-12-31[ T](\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?$"


def _excel_times(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """A sheet's cells Excel holds as times, read as their columns mean them. A time
    typed into a column of minutes or hours (`1:30`, which Excel reads as hours and
    minutes and keeps as 0,0625 of a day) is that many minutes or hours: 90, or 1,5. It was a rejected row, "`1899-12-31 01:30:00` is not a number". Only a time
    under a day: a larger one (`30:00`) is shown as a date of 1900, as is a number a
    date format shows, and is left to be rejected as no number. In a column of dates
    (and times) such a time is shown as typed, `08:00`, and rejected as no date."""
    spans = _durations_of(table, frame, lambda dtype: dtype == pl.String)
    converted = []
    for c, unit in spans.items():
        parts = pl.col(c).str.extract_groups(_EXCEL_TIME)
        minutes = (
            parts.struct.field("1").cast(pl.Float64) * 60
            + parts.struct.field("2").cast(pl.Float64)
            + parts.struct.field("3").cast(pl.Float64).fill_null(0.0) / 60
        )
        num, den = t.unit_factor(unit)  # of the unit to minutes
        shown = (minutes * den / num).round(6).cast(pl.String)
        converted.append(pl.when(minutes.is_not_null()).then(shown).otherwise(pl.col(c)).alias(c))
    for c, column in table.columns.items():  # a time with no date where a date belongs
        if c in frame.columns and frame.schema[c] == pl.String and column.kind in _DATED:
            clock = pl.col(c).str.extract(_EXCEL_TIME_OF_DAY)
            converted.append(pl.coalesce(clock, pl.col(c)).alias(c))
    return frame.with_columns(converted) if converted else frame


# A time typed with no date into a column of dates and times (`08:00`): the reader's
# moment of Excel's day 0, shown again as typed, so that the row is rejected as `08:00`
# (no date), never placed on 31 December 1899, in no month and paid nothing.
_EXCEL_TIME_OF_DAY = r"^1899-12-31[ T](\d\d:\d\d(?::\d\d)?)(?:\.\d+)?$"
_DATED = ("date", "datetime")


def _with_numbers(title: str, known: dict[str, Table]) -> bool:
    """Whether a sheet holds a table with a column of numbers, whose cells shown as a
    percentage are read as shown (`_as_shown_in_percent`): granted minutes typed as
    600 in a cell formatted so show 600 % and hold 6, and were read as 6 minutes where
    the table had no column in per cent."""
    table = known.get(_sheet_table(title, known))
    return table is not None and any(isinstance(c.type, t.Num) for c in table.columns.values())


def _in_dated(title: str, known: dict[str, Table]) -> bool:
    """Whether a sheet holds a table with a column of dates and times."""
    table = known.get(_sheet_table(title, known))
    return table is not None and any(c.kind == "datetime" for c in table.columns.values())


def _dates_as_shown(
    frame: pl.DataFrame, cells: list[tuple[int, int]], above: int, table: Table | None
) -> pl.DataFrame:
    """A cell of a column of dates and times shown as a date alone, at midnight, written
    as shown — `2024-03-01`, a date with no time of day, a rejected row as in a CSV
    file — never as midnight: a visit from 08:00 to 09:00 typed with its date alone
    lasted nine hours. (A cell whose value has a time the format hides keeps it.)"""
    if table is None:
        return frame
    by_column: dict[str, list[int]] = {}
    for row, column in cells:
        if row > above and column < frame.width:
            heading = frame.columns[column]
            kept = table.columns.get(unicodedata.normalize("NFC", heading))
            if kept is not None and kept.kind == "datetime":
                by_column.setdefault(heading, []).append(row - above - 1)
    for name, rows in by_column.items():
        shown = pl.int_range(pl.len(), dtype=pl.Int64).is_in(pl.Series(rows).implode())
        text = pl.col(name).cast(pl.String)
        midnight = text.str.contains(r"^\d{4}-\d\d-\d\d[ T]00:00(:00)?$")
        dated = pl.when(shown & midnight).then(text.str.slice(0, 10)).otherwise(text)
        frame = frame.with_columns(dated.alias(name))
    return frame


def _as_shown_in_percent(
    frame: pl.DataFrame, cells: list[tuple[int, int]], above: int = 0
) -> pl.DataFrame:
    """The numbers of a sheet shown as a percentage written as shown: 0.1 as `10 %`,
    which a `%` column reads as 10 % (and another column as no number, never 0.1); the
    sheet's rows from A1, its header below `above` rows of title."""

    def shown(value: str) -> str:
        try:
            percent = format((Decimal(value) * 100).normalize(), "f")
        except InvalidOperation:  # not a number after all: read as it is
            return value
        return f"{_decimals_told(percent)} %"  # 0.125: 12.5 %, not 12.500 %

    return _cells_rewritten(frame, cells, above, shown)


def _numbers_with_a_point(
    frame: pl.DataFrame, cells: list[tuple[int, int]], above: int = 0
) -> pl.DataFrame:
    """The number cells the reader gives as text with a point before three digits
    (`1.125`, `sheetxml._numbers_with_a_point`) written so that the point is read as
    the decimal point it is (`1.1250`): the same text typed into a text cell may be a
    Danish export's twelve hundred, and is read as neither (`AMBIGUOUS_POINT`)."""
    return _cells_rewritten(frame, cells, above, _decimals_told)


def _cells_rewritten(
    frame: pl.DataFrame,
    cells: list[tuple[int, int]],
    above: int,
    rewrite: Callable[[str], str],
) -> pl.DataFrame:
    """A sheet's text with the given cells, by (row, column) from A1, rewritten; its
    header below `above` rows of title."""
    by_column: dict[str, list[int]] = {}
    for row, column in cells:
        if row > above and column < frame.width:
            by_column.setdefault(frame.columns[column], []).append(row - above - 1)
    for name, rows in by_column.items():
        values = frame[name].to_list()
        for row in rows:
            if row < len(values) and values[row] is not None:
                values[row] = rewrite(values[row])
        frame = frame.with_columns(pl.Series(name, values, dtype=pl.String))
    return frame


def _decimals_told(number: str) -> str:
    """A number's text whose point is a decimal point, written so that it cannot be
    read as separating thousands: `1.125` as `1.1250`."""
    return f"{number}0" if AMBIGUOUS_POINT.fullmatch(number) else number


def _told_hidden_rows(where: str, hidden: list[int], above: int, diags: Diagnostics) -> None:
    """Rows hidden in Excel are read as any other: said, with which they are (a
    controller who hid the visits not to be paid would have them paid in silence)."""
    rows = [row + 1 for row in hidden if row > above]  # the sheet's row numbers
    if not rows:
        return
    shown = ", ".join(str(r) for r in rows[:8]) + (
        f" and {len(rows) - 8} more" if len(rows) > 8 else ""
    )
    diags.warning(
        "hidden-rows",
        f"{len(rows)} row{'s' if len(rows) != 1 else ''} of {where} "
        f"{'are' if len(rows) != 1 else 'is'} hidden in Excel, and read as any other: "
        f"row{'s' if len(rows) != 1 else ''} {shown}",
        where=where,
        hint="a row that is not to be paid must be deleted (or corrected), not hidden",
    )


def _formula_problems(
    columns: list[str], cells: list[tuple[int, int, str]], above: int = 0
) -> list[Problem]:
    """A row with a formula never calculated is rejected, naming the cell's column and
    the formula (the header's, below `above` rows of title, is a column name the reader
    gave)."""
    return [
        Problem(
            row - above - 1,
            columns[column] if column < len(columns) else "",
            formula,
            "bad-value",
            f"`{formula}` is a formula whose value was never calculated",
            "the program that saved the workbook did not calculate it: open and save it "
            "in Excel, or export the values",
        )
        for row, column, formula in cells
        if row > above
    ]


def _sheet_table(title: str, known: dict[str, Table]) -> str:
    """The table a sheet holds: the known table whose name it is, regardless of case
    and surrounding spaces (`Visits ` holds visits); else its own name."""
    wanted = unicodedata.normalize("NFC", title.strip()).casefold()
    return next((name for name in known if name.casefold() == wanted), title.strip())


# The largest magnitude a number column takes (a trillion kronor or minutes): beyond it
# a value is a mistake (1e17, inf), never a payment.
MAX_MAGNITUDE = 1e12
MAGNITUDE_WORDS = "at most 10^12 either way"


def _beyond_magnitude(value: str) -> float | None:
    """The value as written, where it is a finite number larger than `MAX_MAGNITUDE`
    (`1e17`, `1 000 000 000 000 000`): such a value was said to be "not a number"."""
    text = re.sub(r"[\s\u00a0]", "", ascii_minus(value.strip()))
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and abs(number) > MAX_MAGNITUDE else None


def _beyond_range(number: float, column: Column) -> bool:
    """Whether a number as written is beyond the bound of the column's range on its side
    (the range is in the column's unit, as the value is written)."""
    if number > 0:
        return column.maximum is not None and number > column.maximum
    return column.minimum is not None and number < column.minimum


def _checked_number(parsed: pl.Expr, column: Column, *, ranged: bool = False) -> pl.Expr:
    """A number as read (Float64; missing where it did not read as one) checked once:
    NaN, infinities and absurd magnitudes, a fraction where the column holds whole
    numbers (a level of 2.7 is a bad value, never level 2), and with `ranged` a value
    outside the column's range (in its own unit) become missing, so a bad value. The
    number is computed once and the checks read it as a column: written as one
    expression, each check computed it again (Polars does not share a subexpression
    inside `when`): a level from text was read by 162 passes of the thousands pattern,
    and a CSV's `level` of 234 000 decisions took 1.04 s to convert instead of 0.03 s."""
    num, den = t.unit_factor(column.unit)  # the range's bounds are in the column's unit
    whole = column.kind == "integer"
    dtype = pl.Int64 if whole else pl.Float64

    def check(values: pl.Series) -> pl.Series:
        value = pl.col("v")
        ok = value.is_finite() & (value.abs() <= MAX_MAGNITUDE)
        if whole:
            ok = ok & (value == value.round(0))
        else:  # a number in the canonical unit (hours as minutes)
            value = value * num / den
        if ranged and column.minimum is not None:
            ok = ok & (value >= column.minimum * num / den)
        if ranged and column.maximum is not None:
            ok = ok & (value <= column.maximum * num / den)
        return values.to_frame("v").select(pl.when(ok).then(value).cast(dtype)).to_series()

    return parsed.cast(pl.Float64, strict=False).map_batches(
        check, return_dtype=dtype, is_elementwise=True
    )


def _known_lists(
    frame: pl.DataFrame, table: Table, ids: Mapping[str, pl.Series] | None
) -> dict[str, pl.Series | None]:
    """The text columns that may be kept as read, each with the values it may hold:
    its codes, or the `ids` of the party it names, or None for any text with no white
    space in it and not blank (a visit's or a staff member's id). A column whose every
    value is one of them exactly (the usual case) is already canonical (no spaces to
    strip, none blank), so it is not copied."""
    out: dict[str, pl.Series | None] = {}
    if frame.height == 0:
        return out
    for column in table.columns.values():
        name = column.name
        if column.kind != "text" or frame.schema.get(name) != pl.String:
            continue
        if ids and name in ids:
            out[name] = ids[name].drop_nulls()
        elif isinstance(column.type, t.Text) and column.type.values:
            codes = [v for v in column.type.values if v and v == v.strip()]
            out[name] = pl.Series(codes, dtype=pl.String)
        else:
            out[name] = None
    return out


PRINTABLE_ASCII = (0x21, 0x7E)  # "!" to "~": a byte no white space starts or ends with


COMBINING_MARK = "[\u0300-\u036f]"  # a mark written after the letter it goes above


def _known(name: str, known: pl.Series | None, composed: bool = False) -> pl.Expr:
    """Whether every value of the column as read is canonical: in its list, or (no
    list) a text whose first and last bytes are printable ASCII other than the space,
    so that stripping leaves it as it is and it is not blank (white space is a byte
    up to 0x20 or a character beyond ASCII, all of whose bytes are 0x80 or more); a
    missing value is canonical (it is missing either way; where the column requires a
    value, `_survey_run` flags it). A text beginning or ending otherwise (white space,
    or a letter like `Å`) fails the guess, and its column is converted in full. Two
    bytes a value are read, where looking for white space anywhere read them all (10 M
    visit ids: 0.05–0.09 s against 0.21–0.22 s)."""
    column = pl.col(name)
    if known is not None:  # a missing value is flagged apart where one is not allowed
        return column.is_in(known.implode()).fill_null(True).all()
    text = column.cast(pl.Binary)
    first, last = text.bin.get(0, null_on_oob=True), text.bin.get(-1, null_on_oob=True)
    plain = first.is_between(*PRINTABLE_ASCII) & last.is_between(*PRINTABLE_ASCII)
    if composed:  # a party's table, of thousands of rows: each text looked at whole
        # (a district `Öster` begins beyond ASCII, and failed the two bytes' guess: the
        # customers were surveyed twice), and no letter decomposed (`Ön` as an `O` and
        # two dots above it)
        unchanged = (column == column.str.strip_chars()) & (column.str.len_bytes() > 0)
        canonical = (plain | unchanged).fill_null(column.is_null()).all()
        return canonical & ~column.str.contains(COMBINING_MARK).fill_null(False).any()
    return plain.fill_null(column.is_null()).all()  # blank: no byte, not canonical


def _party_ids(ds: Dataset, name: str) -> dict[str, pl.Series]:
    """The ids of the customers and providers as read (converted, stripped: never blank
    and never with surrounding spaces), by the column that names them in `name`."""
    if name in _party_tables():
        return {}
    out = {}
    for party in base_vocabulary().parties.values():
        frame = ds.tables.get(party.table)
        if frame is not None and frame.height and frame.schema.get(party.key) == pl.String:
            out[party.key] = frame[party.key]
    return out


def _convert(frame: pl.DataFrame, column: Column, *, form: str | None = None) -> pl.Expr:
    """An expression converting the raw column to its canonical type and unit; a value
    that is not of the kind, or outside the column's range, becomes missing (and is
    reported as a bad value). With `form`, a date or a date and time written as text
    is read in that one form only (`%Y-%m-%d`: several times faster than trying every
    form; a value in another form is then missing, so the column is converted again)."""
    moment = pl.Date() if column.kind == "date" else pl.Datetime("us")
    if (
        form is not None
        and column.kind in ("date", "datetime")
        and frame.schema[column.name] == pl.String
    ):
        text = _stripped(pl.col(column.name))
        read = (
            _moment(text, form)
            if column.kind == "datetime"
            else text.str.strptime(moment, form, strict=False)
        )
        return _of_our_era(read, column)
    return _converted(frame, column, ranged=True)


# A date before this is a year written with fewer than four digits (`24-12-01 21:30`,
# read as the year 24 — outside every month, so a visit went unpaid with no word) or
# a system's mistake: never a date of home care, so a bad value of its row.
EARLIEST_YEAR = 1000


def _of_our_era(moment: pl.Expr, column: Column) -> pl.Expr:
    """The date (or date and time) where its year has four digits, else missing (a
    bad value, `_short_year_hint` says why)."""
    earliest = date(EARLIEST_YEAR, 1, 1)
    first = datetime.combine(earliest, time(0)) if column.kind == "datetime" else earliest
    return pl.when(moment >= first).then(moment)


def _stripped(text: pl.Expr) -> pl.Expr:
    """Text without surrounding white space, a blank one missing (`replace`: twice as
    fast as a `when`)."""
    return text.str.strip_chars().replace("", None)


def _holds(dtype: pl.DataType, kind: str) -> bool:
    """Whether a column typed `dtype` (Parquet, frames) holds values of the kind as they
    are: numbers for a number, dates or dates and times for a date, dates and times for
    a date and time — a date alone has no time of day, and read as midnight it made a
    visit from 08:00 one of nine hours (its text is a bad value, as in a CSV file) —
    booleans for a yes or no; any type for text."""
    match kind:
        case "integer" | "number":
            return dtype.is_numeric()
        case "date":
            return dtype == pl.Date or isinstance(dtype, pl.Datetime)
        case "datetime":
            return isinstance(dtype, pl.Datetime)
        case "bool":
            return dtype == pl.Boolean
    return True


def _converted(frame: pl.DataFrame, column: Column, *, ranged: bool = False) -> pl.Expr:
    """The raw column converted to its kind and unit (a number also checked against
    its range with `ranged`). A column typed otherwise than its kind holds (whole
    numbers in a date column, as `20240301` or days since 1970; a boolean for a level)
    is read as its text, so each value is a bad value of its row, shown as written —
    never a date in 1970 or in the year 57 000, or a level of 1. Dates and times with
    a time zone are read in Swedish time (`LOCAL_TIME`)."""
    raw = pl.col(column.name)
    dtype = frame.schema[column.name]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        raw = _in_swedish_time(raw)
    if dtype != pl.String and not _holds(dtype, column.kind):
        raw, dtype = raw.cast(pl.String), pl.String()
    if column.kind in ("date", "datetime"):
        return _of_our_era(_converted_moment(raw, dtype, column), column)
    if dtype != pl.String:
        if column.kind in ("integer", "number"):
            return _checked_number(raw, column, ranged=ranged)
        return raw.cast(_dtype(column), strict=False)
    text = _stripped(raw)
    match column.kind:
        case "text":
            return text
        case "integer" | "number":
            return _checked_number(
                _swedish_number(_unit_dropped(text, column.unit)), column, ranged=ranged
            )
        case "bool":
            lower = text.str.to_lowercase()
            return (
                pl.when(lower.is_in(list(_TRUE)))
                .then(True)
                .when(lower.is_in(list(_FALSE)))
                .then(False)
                .otherwise(None)
            )
    raise AssertionError(column.kind)


def _converted_moment(raw: pl.Expr, dtype: pl.DataType, column: Column) -> pl.Expr:
    """A date or a date and time from a column typed as one (a date at midnight for a
    date) or written as text in one of the forms read."""
    if dtype != pl.String:
        if column.kind == "date" and isinstance(dtype, pl.Datetime):
            return pl.when(raw.dt.time() == time(0)).then(raw.dt.date())
        return raw.cast(_dtype(column), strict=False)
    text = _stripped(raw)
    moment = pl.coalesce([_moment(text, f) for f in _DATETIME_FORMATS])
    if column.kind == "datetime":
        return moment
    # a date, or a date at midnight as a spreadsheet writes it; never the first ten
    # characters of something else ("2023-01-01xyz")
    return pl.coalesce(
        text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        pl.when(moment.dt.time() == time(0)).then(moment.dt.date()),
    )


def _moment(text: pl.Expr, form: str) -> pl.Expr:
    """Text read as a date and time in one form (missing where it is not in it); an
    instant, written with its offset from UTC, in Swedish wall-clock time."""
    moment = text.str.strptime(pl.Datetime("us"), form, strict=False)
    return _in_swedish_time(moment) if form.endswith("%#z") else moment


def _in_swedish_time(instant: pl.Expr) -> pl.Expr:
    """An instant (a date and time with a time zone) as Swedish wall-clock time."""
    return instant.dt.convert_time_zone(LOCAL_TIME).dt.replace_time_zone(None)


_NOT_A_WRITTEN_NUMBER = (
    r"[eE]"  # a power of ten
    r"|\d[ \u00a0\u202f]\d{0,2}(?:$|[^\d])"  # a group after a space of fewer than three
    r"|\d[ \u00a0\u202f]\d{4}"  # … or of more
    r"|^-?\d{4,}[ \u00a0\u202f]"  # more than three digits before the first space
    r"|^[-+]?[1-9]\d{0,2}\.\d{3}$"  # a point that may separate thousands (AMBIGUOUS_POINT)
    r"|\d\.\d{3}[.,]"  # … among others (`1.200,50`, `1.200.000`)
)


# How a value is written with the unit of its column, as Swedish Excel shows (and
# exports) a cell formatted as a percentage or as currency: `10 %`, `1 234,50 kr`.
WRITTEN_UNITS = {
    "%": ("%",),
    "SEK": ("kr", "SEK"),
    "SEK/h": ("kr/h", "SEK/h"),
    "min": ("min",),
    "h": ("h", "tim"),
}


def _unit_dropped(text: pl.Expr, unit: str) -> pl.Expr:
    """A number written with its column's own unit after it (`10 %` in a `%` column,
    `450 kr` in a `SEK` one) as the number alone, in that unit; another unit stays,
    and is no number (`10 kr` in a `%` column)."""
    written = WRITTEN_UNITS.get(unit)
    if not written:
        return text
    units = "|".join(re.escape(w) for w in written)
    return text.str.replace(rf"(\d)[ \u00a0\u202f]?(?:{units})$", "$1")


def _swedish_number(text: pl.Expr) -> pl.Expr:
    """`43 250,00` as Swedish Excel writes it (space, no-break or narrow no-break space
    between thousands, decimal comma) becomes `43250.00`; a plain `43250.5` stays. A
    true minus sign (−, as a system set to Swedish writes a negative number, and as
    carepay's own letters do) is a minus: `−12,5` was "not a number"."""
    text = text.str.replace(f"^{MINUS_SIGN}", "-")
    digits = text.str.replace_all(r"(\d)[ \u00a0\u202f](\d)", "$1$2")
    digits = digits.str.replace_all(r"(\d)[ \u00a0\u202f](\d)", "$1$2")  # 1 234 567
    # a space only between thousands (`1 1` is no number, nor `12 34`), and no power of
    # ten (`1,23457E+11`: Excel's way of showing a long number, its last digits lost)
    digits = pl.when(text.str.contains(_NOT_A_WRITTEN_NUMBER)).then(None).otherwise(digits)
    # a decimal comma where the whole text is one number: each text read once (a
    # `when` testing the pattern read the separators' replacements three times). Not
    # where the comma may separate thousands, as an English export writes them: `2,000`
    # is 2 or 2 000, and is a bad value (`AMBIGUOUS_COMMA`), never read as 2
    decimal = digits.str.replace(r"^([-+]?\d+),(\d{1,2}|\d{4,})$", "${1}.${2}")
    return decimal.str.replace(r"^([-+]?(?:0|\d{4,})),(\d{3})$", "${1}.${2}")


ORDER_PAIRS = (("start_date", "end_date"), ("start", "end"), ("period_start", "period_end"))


def order_pairs(table: Table) -> tuple[tuple[str, str], ...]:
    """The start and end columns of a table's rows that must not end before they
    start: the canonical tables' names, and the periods the model's entities read
    (`{by: period, start: från, end: till}` on a table of its own)."""
    return tuple(dict.fromkeys(ORDER_PAIRS + table.periods + table.in_order))


def columns_read(
    name: str,
    table: Table,
    needed: set[str] | None,
    keep: frozenset[str],
    requirements: list[DataRequirement],
) -> set[str]:
    """The columns of a table decoded and checked: those the model reads, those the
    engine keeps, the ones the table requires or keys on, both ends of a period, and
    what a data requirement looks at; a customer's or provider's table whole (one row
    per party, joined where a model reads it). A column no rule reads is not read, so
    a mistake in it cannot set aside a visit that is paid."""
    if name in _party_tables():
        return set(table.columns)
    read = set(needed or ()) | set(keep) | set(table.required) | set(table.key)
    for requirement in requirements:
        if requirement.table == name:
            read |= set(requirement.where) | set(requirement.any_of)
    for first, last in order_pairs(table):
        if first in read or last in read:
            read |= {first, last}
    return read & set(table.columns)


def _decoded(
    source: Source, read: set[str] | None
) -> tuple[pl.DataFrame, pl.Schema, Source | None]:
    """The table's columns that are read (all when `read` is None; matched by name
    without surrounding spaces), every column's name and type as the source has it,
    and the unread rest (looked at only to tell a blank line from a row)."""
    schema = schema_of(source)
    names = [c for c in schema if read is None or c.strip() in read]
    rest = [c for c in schema if c not in names]
    chosen = source.select(names)
    frame = chosen.collect() if isinstance(chosen, pl.LazyFrame) else chosen
    return _binary_as_text(frame), schema, source.select(rest) if rest else None


def _binary_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns of bytes (a Parquet writer that did not mark its strings as text) as
    text, read as a CSV file is: UTF-8, else Windows-1252, a byte neither maps to
    shown escaped (`\\x81`). Each value is then checked as text; before, one byte that
    was not UTF-8 stopped the run with a traceback."""
    binary = [name for name, dtype in frame.schema.items() if dtype == pl.Binary]
    return frame.with_columns(_text_of(frame[name]) for name in binary) if binary else frame


def _text_of(values: pl.Series) -> pl.Series:
    try:
        return values.cast(pl.String)
    except pl.exceptions.PolarsError:  # some value is not UTF-8: each decoded by itself
        texts = [None if v is None else _text_of_bytes(v) for v in values.to_list()]
        return pl.Series(values.name, texts, dtype=pl.String)


def _text_of_bytes(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="backslashreplace")


def _rows(frame: pl.DataFrame, mask: pl.Expr) -> list[int]:
    return frame.with_row_index("__i").filter(mask)["__i"].to_list()


def _without_blank_lines(
    ds: Dataset,
    name: str,
    frame: pl.DataFrame,
    converted: pl.DataFrame,
    rest: Source | None,
    ragged: Collection[int] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A file's blank lines are not rows (not input visits, not rejects); the rows after
    them keep their own line numbers in every message. A row is blank only if its
    unread cells (`rest`) are blank too, and never when it has more or fewer fields
    than the header (`ragged`: a reject, whose cells as read were cut to the header's
    number, so `,,Centrum` under a header of two would look blank). A text column is
    looked at as converted (a blank cell is missing there), so no text is stripped
    twice."""
    if frame.height == 0 or frame.width == 0:
        return frame, converted
    found = _blank_rows(frame, converted)
    if found is not None and ragged:
        found = found.filter(~found.is_in(pl.Series(list(ragged), dtype=found.dtype).implode()))
        found = found if found.len() else None
    if found is not None and rest is not None:
        others = (
            rest.lazy()
            .with_row_index(FILE_INDEX)
            .filter(pl.col(FILE_INDEX).is_in(found.implode()))
            .drop(FILE_INDEX)
            .collect()
        )
        among = _blank_rows(others)
        found = found.gather(among) if among is not None else None
    if found is None:
        return frame, converted
    blank = pl.int_range(frame.height, eager=True, dtype=pl.UInt32).is_in(found.implode())
    keep = pl.int_range(frame.height, eager=True).filter(~blank)
    previous = ds.kept.get(name)
    ds.kept[name] = previous.gather(keep) if previous is not None else keep
    return frame.filter(~blank), converted.filter(~blank)


def _blank_rows(frame: pl.DataFrame, converted: pl.DataFrame | None = None) -> pl.Series | None:
    """The row numbers of the blank rows (every cell empty or spaces), or None when
    none is. A row is blank only if its first cell is; the columns are looked at one
    after the other and only on the rows still in question, so a table whose first
    column is always filled costs one pass over that column, not a copy of every text,
    and none at all when the column has no missing value and needs no stripping (a
    column's count of missing values is known without reading it). A text column is
    looked at as `converted` holds it where that is text too (stripped, a blank cell
    missing), so no text is stripped twice."""
    as_converted = converted if converted is not None else pl.DataFrame()
    candidates: pl.Series | None = None  # row numbers still in question (None: all)
    for name in frame.columns:
        column = frame[name]
        stripped = column.dtype == pl.String and as_converted.schema.get(name) == pl.String
        if stripped:
            column = as_converted[name]
        if column.null_count() == 0 and (stripped or column.dtype != pl.String):
            return None  # no cell of this column is empty: no row is blank
        values = column if candidates is None else column.gather(candidates)
        empty = values.is_null()
        if values.dtype == pl.String and not stripped:  # blank there is missing
            empty = empty | (values.str.strip_chars() == "")
        found = empty.fill_null(True).arg_true()
        candidates = found if candidates is None else candidates.gather(found)
        if candidates.len() == 0:
            return None
    assert candidates is not None
    return candidates.cast(pl.UInt32)


PERSON_COLUMN = "customer_id"  # the column whose values are personal (pseudonymised)


def _with_pseudonyms(
    frame: pl.DataFrame, pseudonym: Callable[[str], str], table: Table | None
) -> pl.DataFrame:
    """The customer ids of a table as read replaced by their pseudonyms (an empty cell
    stays empty, so it is still reported as empty): its `customer_id`, and each column
    the model declares to name customers (`references: customers`, a partner's id). A
    partner's id was kept as written: it named no customer among the pseudonyms, its
    row was rejected as an unknown reference, and the rejects showed the id."""
    customers = _party_table("customer")
    named = {PERSON_COLUMN} | {
        c.name for c in (table.columns.values() if table else ()) if c.references == customers
    }
    replaced = []
    for column in sorted(named & set(frame.columns)):
        ids = frame[column].cast(pl.String)
        values = [v for v in ids.unique().drop_nulls().to_list() if v.strip()]
        mapping = {v: pseudonym(v) for v in values}
        replaced.append(ids.replace_strict(mapping, default=ids, return_dtype=pl.String))
    return frame.with_columns(replaced) if replaced else frame


def load_data(
    path: str | Path | Frames,
    needs: dict[str, set[str]],
    diags: Diagnostics,
    *,
    strict: bool = False,
    zones: dict[str, list[str]] | None = None,
    requirements: Iterable[DataRequirement] = (),
    model_id: str | None = None,
    known: dict[str, Table] | None = None,
    pseudonym: Callable[[str], str] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    keep: frozenset[str] | None = None,
    only: Collection[str] | None = None,
    given: Dataset | None = None,
    window: Window | None = None,
    unused: Collection[str] = (),
) -> Dataset:
    """Read and validate every table of the model's vocabulary (`known`; the base
    tables by default) from a directory, a workbook or frames in memory; `needs`
    names the tables and columns the model reads, `zones` the districts it can place,
    `requirements` what its rows must hold, `columns` the data's own column names
    per table (`{"visits": {"besök_id": "visit_id"}}`). With `keep` (the columns the
    engine keeps for every model: ids, keys, the dates that place a row in a month),
    only the columns read are decoded and checked (`columns_read`); without it,
    every declared column is. `only` reads those tables alone, beside the tables of
    `given` (read before); `window` reads one part of its table (see `Window`).
    A table in `unused` (`api.unused_tables`) is not read: empty, named in `unread`."""
    known = known if known is not None else tables()
    timings: dict[str, float] = {}
    with timed(timings, "decode"):
        if isinstance(path, Mapping):  # renamed before a lazy frame is cut to its columns
            # a name decomposed (å as an `a` and a ring) is the table of the name composed
            composed = {unicodedata.normalize("NFC", n): f for n, f in path.items()}
            handed, columns = _renamed(_composed_headers(composed), columns, diags)
            raw, origins, offsets, ragged = _from_frames(handed, known, diags)
            path = Path("(in memory)")
        else:
            beside = headers_directory(Path(path))
            files: dict[str, str] = {}
            headers = read_headers(beside, known, diags) if columns is None and beside else None
            if headers is not None:  # the data's own names, where it says them
                columns, files = headers.columns, headers.files
            raw, origins, offsets, ragged = _read_files(Path(path), known, diags, columns, files)
            raw, columns = _renamed(_composed_headers(raw), columns, diags, origins)
    requirements = list(requirements)
    ds = Dataset({}, origins, offsets, timings=timings)
    ds.headers = {
        t: {ours: theirs for theirs, ours in r.items()} for t, r in (columns or {}).items()
    }
    if given is not None:  # its tables, their rejects and ids, as they were read
        ds.tables = dict(given.tables)
        ds.input_rows = dict(given.input_rows)
        ds.kept = dict(given.kept)
        ds.rejects = list(given.rejects)
        ds.rejected_ids = dict(given.rejected_ids)
        ds.unread = list(given.unread)
    reading = _Reading(ds, Path(path), raw, ragged, known, needs, keep, requirements, window)
    problems: dict[str, list[Problem]] = {}
    proven: dict[str, set[str]] = {}  # table -> columns whose every id is a party's
    wanted = [n for n in known if only is None or n in only]
    unread = [n for n in wanted if n in raw and n in unused]
    ds.tables.update((n, empty_table(known[n])) for n in unread)
    ds.unread += unread
    present = [n for n in wanted if n in raw and n not in unread]
    checked: dict[str, _Checked] = {}
    with ThreadPoolExecutor(READERS) as pool:  # see `READERS`
        with timed(timings, "decode"):
            order = _largest_first(present, raw, Path(path), ds.origins)
            decoded: dict[str, Decoded] = {}
            outcomes = pool.map(partial(_undamaged, reading), order)
            for name, outcome in zip(order, outcomes, strict=True):
                if not isinstance(outcome, str):
                    decoded[name] = outcome
                    continue
                origin = ds.origins.get(name, name)  # a damaged file: named, and not read
                where = str(Path(path) / origin) if Path(path).is_dir() else origin
                diags.error("bad-value", f"cannot read {name}: {outcome}", where=where)
                raw.pop(name)
            order = list(decoded)
            if pseudonym is not None:
                decoded = {
                    n: (_with_pseudonyms(d[0], pseudonym, known.get(n)), *d[1:])
                    for n, d in decoded.items()
                }
        with timed(timings, "convert_and_check"):
            parties = [n for n in order if n in _party_tables()]
            others = [n for n in order if n not in parties]
            for names in (parties, others):  # parties first: the others name them
                done = pool.map(lambda n: _check_table(reading, n, decoded[n]), names)
                checked.update(zip(names, done, strict=True))
    for name in sorted(wanted, key=lambda n: n not in _party_tables()):  # as read before
        if name not in raw:
            _absent_table(reading, name, diags)
            continue
        if name in unread:
            continue
        diags.extend(checked[name].diags)
        problems[name], proven[name] = checked[name].problems, checked[name].proven
    ds.tables = {n: ds.tables[n] for n in known if n in ds.tables}  # the tables' own order
    ds.input_rows = {n: ds.input_rows[n] for n in known if n in ds.input_rows}
    problems = {n: problems[n] for n in known if n in problems}
    _add_unmet(problems, requirements, ds)
    if zones and model_id is not None:
        zones = zones_with_data(zones, ds, model_id, diags)
    customers = _party_table("customer")
    if zones and customers in problems:
        unplaced = _unplaced(ds.tables[customers], zones)
        if unplaced and len(unplaced) == ds.tables[customers].height:
            _no_district_placed(unplaced, zones, ds, diags)  # the model does not fit the data
        else:
            problems[customers] += unplaced
    with timed(timings, "references"):
        for name in _party_tables():  # before the tables that refer to them
            if name in problems:  # (a table its columns reference is as read, not yet settled)
                found = problems.pop(name) + _unknown_rows_named(ds, name, known, raw)
                _settle(ds, name, found, diags, strict, key_columns=known[name].key)
        for name in _referenced_first(problems, known):
            found = problems[name]
            shapeless = {p.index for p in reading.ragged.get(name, [])}  # said once
            unknown = _unknown_references(ds, name, proven.get(name, set()))
            unknown += _unknown_rows_named(ds, name, known, raw)
            found += [p for p in unknown if p.index not in shapeless]
            if window is not None and window.table == name:
                found = _owned_problems(ds, name, found, window)
                ds.problems[name] = [_in_file(ds, name, p) for p in found]
            warn = window is None or window.table != name
            _settle(ds, name, found, diags, strict, warn, known[name].key)
    return ds


# Tables are decoded, and then checked, two at a time (this machine's cores): Polars
# lets go of the interpreter while it works, so the small tables' many short queries
# are made while the visits' long ones run. The bench's core, read and checked, best
# and median of fifteen: 1 M visits 70-72 / 80-86 ms -> 60-63 / 70-81 ms; 10 M (five)
# 0.43-0.49 / 0.52-0.62 s -> 0.42-0.44 / 0.48-0.55 s (three threads: no better at 1 M,
# worse at 10 M). Each table's messages are gathered apart and added in the order the
# tables were read one by one before (parties first, then the model's order).
READERS = 2

Decoded = tuple[pl.DataFrame, pl.Schema, "Source | None"]  # frame, schema, unread rest


@dataclass
class _Reading:
    """What reading one table needs of the whole read (`load_data`)."""

    ds: Dataset
    path: Path
    raw: dict[str, Source]
    ragged: dict[str, list[Problem]]
    known: dict[str, Table]
    needs: dict[str, set[str]]
    keep: frozenset[str] | None
    requirements: list[DataRequirement]
    window: Window | None

    def part(self, name: str) -> Window | None:
        return self.window if self.window is not None and self.window.table == name else None

    def columns(self, name: str) -> set[str] | None:
        """The columns decoded and checked (all where the engine keeps none)."""
        if self.keep is None:
            return None
        table, needed = self.known[name], self.needs.get(name)
        return columns_read(name, table, needed, self.keep, self.requirements)


@dataclass
class _Checked:
    """One table converted and checked: its messages, its rows' problems (none when
    the table could not be read at all) and the columns holding only parties' ids."""

    diags: Diagnostics
    problems: list[Problem] = field(default_factory=list)
    proven: set[str] = field(default_factory=set)


def _largest_first(
    names: list[str], raw: Mapping[str, Source], path: Path, origins: Mapping[str, str]
) -> list[str]:
    """The tables, the largest first (by file size, or rows in memory): the long work
    starts at once and the small tables are done beside it."""

    def size(name: str) -> int:
        source = raw[name]
        if isinstance(source, pl.DataFrame):
            return source.height * max(source.width, 1) * 8
        file = path / origins.get(name, "")
        return file.stat().st_size if path.is_dir() and file.is_file() else 0

    return sorted(names, key=size, reverse=True)


def _undamaged(reading: _Reading, name: str) -> Decoded | str:
    """The table decoded (`_decode_table`), or what is wrong with its file: a Parquet
    file damaged past its header (a page that does not decompress) is found only as
    it is decoded, and stopped the run with a traceback."""
    try:
        return _decode_table(reading, name)
    except (pl.exceptions.ComputeError, OSError) as error:
        return damage(error)


def damage(error: Exception) -> str:
    """What a file that could not be decoded is told by: the reader's first line."""
    said = str(error).strip()
    return said.splitlines()[0] if said else type(error).__name__


def _decode_table(reading: _Reading, name: str) -> Decoded:
    source, read, part = reading.raw[name], reading.columns(name), reading.part(name)
    if part is None:
        return _decoded(source, read)
    return _decoded_part(reading.ds, name, source, read, part)


def _absent_table(reading: _Reading, name: str, diags: Diagnostics) -> None:
    """A table the data lacks: empty, an error where the model needs it (a warning
    where it may be left out), nothing where the model does not read it."""
    ds, table, needed = reading.ds, reading.known[name], reading.needs.get(name)
    ds.tables[name] = empty_table(table)
    if _has_file(reading.path, name):  # there, but unreadable: already reported
        return
    if needed is not None and table.optional:
        diags.warning(
            "missing-table",
            f"the data has no `{name}` table, which the model reads; the run treats it as "
            f"empty, as if no row of {name} were in any month",
            where=str(reading.path),
            hint=_absent_optional_hint(reading, name),
        )
    elif needed is not None:
        diags.error(
            "missing-table",
            f"the data has no `{name}` table, which the model needs",
            where=str(reading.path),
            hint=_missing_table_hint(reading.path, reading.raw, name),
        )


def _check_table(reading: _Reading, name: str, decoded: Decoded) -> _Checked:
    """One table converted and checked (`_converted_table`), its blank lines dropped
    and its rows' problems found; the converted table put in the dataset."""
    ds, table, part = reading.ds, reading.known[name], reading.part(name)
    frame, schema, rest = decoded
    out = _Checked(Diagnostics())
    ids = _party_ids(ds, name)
    needed, read = reading.needs.get(name) or set(), reading.columns(name)
    both = _converted_table(  # a part's repeated ids are found beforehand
        ds, name, table, frame, schema, read, needed, out.diags, ids, part is None, rest
    )
    if both is None:
        ds.tables[name] = empty_table(table)
        return out
    frame, converted, as_read, survey = both
    out.proven = as_read & set(ids)
    shapeless = [p.index for p in reading.ragged.get(name, [])]
    frame, converted = _without_blank_lines(ds, name, frame, converted, rest, shapeless)
    ds.input_rows[name] = (
        frame.height if part is None else int(converted.select(part.owned.sum()).item())
    )
    ds.tables[name] = converted
    found = _row_problems(ds, name, table, frame, converted, survey, part, rest)
    out.problems = _ragged_first(found, reading.ragged.get(name, []))
    return out


def _same_tables(a: Mapping[str, pl.DataFrame], b: Mapping[str, pl.DataFrame]) -> bool:
    """The same frames (the very objects) under the same names."""
    return a.keys() == b.keys() and all(a[name] is frame for name, frame in b.items())


def encoded_party_ids(tables: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables with the customers' and providers' ids, wherever a table names them,
    as an Enum whose categories are the party table's ids in sorted order. Why: the
    run's joins, group-bys and sorts then work on numbers instead of hashing and
    comparing texts (Örebro at 10 M visits: evaluation 0.6-0.8 s faster, its peak 0.5
    GB lower; the cast of a 10 M dataset's tables 0.38-0.42 s), and a sort by the
    column still orders the ids as their texts would. A column with an id its party
    lacks (strict reading stops on it) stays text, as does every column of a party
    whose table is empty or absent."""
    casts: dict[str, pl.Expr] = {}
    for party in base_vocabulary().parties.values():
        own = tables.get(party.table)
        if own is not None and own.height and own.schema.get(party.key) == pl.String:
            dtype = pl.Enum(own[party.key].drop_nulls().unique().sort())
            # made once for all the tables: an expression holding an Enum of 113 000
            # ids takes 20-35 ms to make (its run on a table of thousands: 1 ms)
            casts[party.key] = pl.col(party.key).cast(dtype, strict=False)
    out = dict(tables)
    for name, frame in tables.items():
        text = {key: cast for key, cast in casts.items() if frame.schema.get(key) == pl.String}
        if not text:
            continue
        # by expressions: a column keeps the frame's chunks (a Series cast alone comes
        # back in one, and every later filter of the frame then re-cut all its
        # columns to match: 0.6 s and 0.6 GB more at 10 M visits)
        encoded = frame.with_columns(text.values())
        unknown = [k for k in text if encoded[k].null_count() != frame[k].null_count()]
        out[name] = encoded.with_columns(frame.select(unknown)) if unknown else encoded
    return out


def ids_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the parties' ids as text again (`encoded_party_ids`): what leaves
    the engine (a file, a sheet, a table of the API), and what is joined with it,
    names its customers and providers in text."""
    encoded = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Enum)]
    return frame.with_columns(pl.col(encoded).cast(pl.String)) if encoded else frame


def _decoded_part(
    ds: Dataset, name: str, source: Source, read: set[str] | None, window: Window
) -> tuple[pl.DataFrame, pl.Schema, Source | None]:
    """The rows of one part of a table (`window`), each one's row number in the whole
    table kept (`ds.kept`) for messages and rejects."""
    schema = schema_of(source)
    chosen = source.lazy().with_row_index(ROW)
    if window.rows is not None:
        chosen = chosen.slice(*window.rows)
    chosen = chosen.filter(window.select(schema))
    frame, _, rest = _decoded(chosen, None if read is None else {*read, ROW})
    ds.kept[name] = frame[ROW].cast(pl.Int64)
    return frame.drop(ROW), schema, rest


def _owned_problems(ds: Dataset, name: str, found: list[Problem], window: Window) -> list[Problem]:
    """The problems of the rows this part answers for; a row it read only as a
    neighbour's (answered for by its own part) is left out of the part if it has any."""
    table = ds.tables[name]
    owned = table.select(window.owned.fill_null(False)).to_series()
    others = sorted({p.index for p in found if not owned[p.index]})
    if others:
        dropped = pl.int_range(pl.len(), dtype=pl.Int64).is_in(pl.Series(others).implode())
        keep = table.select(pl.int_range(pl.len(), dtype=pl.Int64).filter(~dropped)).to_series()
        ds.kept[name] = ds.kept[name].gather(keep)
        ds.tables[name] = table.filter(~dropped)
        remaining = {old: new for new, old in enumerate(keep.to_list())}
        found = [replace(p, index=remaining[p.index]) for p in found if owned[p.index]]
    return found


def _in_file(ds: Dataset, name: str, problem: Problem) -> Problem:
    """A problem by its row's 0-based index in the whole table."""
    kept = ds.kept.get(name)
    return replace(problem, index=int(kept[problem.index]) if kept is not None else problem.index)


def warn_rejected(ds: Dataset, name: str, problems: list[Problem], diags: Diagnostics) -> None:
    """The warnings of rejected rows gathered over the parts of a table (`problems` by
    the row's index in the whole table)."""
    if problems:
        _warn_rejected(replace(ds, kept={}), name, problems, diags)


def _absent_optional_hint(reading: _Reading, name: str) -> str:
    """A file of another name that may be the table's, or how to say there are none."""
    near = _missing_table_hint(reading.path, reading.raw, name)
    if near.startswith("found"):
        return near
    if not reading.path.is_dir():  # a workbook
        return (
            f"where there are no {name}, give the workbook a sheet `{name}` with its headings "
            "alone: a sheet lost on the way is not taken for none"
        )
    return (
        f"where there are no {name}, give an empty {name}.csv with its headings (`carepay "
        "tables MODEL --out DIR` writes one): a file lost on the way is not taken for none"
    )


def _missing_table_hint(path: Path, raw: Mapping[str, Source], name: str) -> str:
    """Names are exact; a sheet or file that differs only in case or spaces is named."""
    near = [k for k in raw if k.strip().casefold() == name.casefold() and k != name]
    if path.is_dir():
        near += [
            f.name
            for f in path.iterdir()
            if f.stem.strip().casefold() == name.casefold()
            and f.suffix.lower() in (".csv", ".parquet")
            and f.stem != name
        ]
    if near:
        return f"found `{near[0]}`: table names are exact, rename it `{name}`"
    files = sorted(f for f in path.iterdir() if f.is_file()) if path.is_dir() else []
    stem = unicodedata.normalize("NFC", name)
    other = [  # visits.txt, visits.csv.csv
        f.name for f in files if unicodedata.normalize("NFC", f.name.split(".")[0]) == stem
    ]
    if other:
        return (
            f"found `{other[0]}`: a table is read from `{name}.csv` or `{name}.parquet` (a "
            f"workbook is given as --data itself, a sheet named `{name}`); if it is a CSV "
            f"file, rename it `{name}.csv`"
        )
    parts = [
        f.name
        for f in files
        if re.match(rf"{re.escape(name)}[ _.-]", f.name)
        and f.suffix.lower() in (".csv", ".parquet")
    ]
    suffix = Path(parts[0]).suffix.lower() if parts else ""
    if len(parts) == 1:  # a download's copy, `visits (1).csv`
        return f"found `{parts[0]}`: did you mean it for `{name}`? rename it `{name}{suffix}`"
    if parts:  # a month's export a file
        shown = ", ".join(f"`{p}`" for p in parts[:4]) + (" …" if len(parts) > 4 else "")
        return (
            f"found {shown}: a table is read from one file, `{name}{suffix}` — put their "
            "rows in it, under one header"
        )
    found = [*raw, *(f.stem for f in files)]
    close = difflib.get_close_matches(name, found, n=1, cutoff=0.75)
    if close:
        return f"found `{close[0]}`: did you mean `{name}`?"
    return (
        f"add {name}.csv (or .parquet, or a sheet named {name}); where the export names it "
        f"otherwise, say so in {COLUMNS_FILE}: `<its name>: {name}`"
    )


def _ragged_first(problems: list[Problem], ragged: list[Problem]) -> list[Problem]:
    """A row with too many or too few fields has one problem, its shape: the values
    in it are in the wrong columns, so what they would say about them is noise."""
    shapeless = {p.index for p in ragged}
    return [p for p in problems if p.index not in shapeless] + ragged


def _party_table(party: str) -> str:
    """The table a party (customer, provider) is read from, by the vocabulary."""
    return base_vocabulary().parties[party].table


def _party_tables() -> tuple[str, ...]:
    return tuple(p.table for p in base_vocabulary().parties.values())


def _has_file(directory: Path, table: str) -> bool:
    return directory.is_dir() and any(
        table_file(directory, table, suffix).exists() for suffix in ("csv", "parquet")
    )


def table_file(directory: Path, table: str, suffix: str, named: str | None = None) -> Path:
    """A table's file in a data directory: `avbokade_besök.csv`, also where its name is kept
    in decomposed Unicode (an `o` and two dots above it, as a Mac's file system and the zip
    archives made on one keep å, ä and ö), which a look-up by the name as written does
    not find: the run stopped at `missing-table` with "found `avbokade_besök`: did you mean
    `avbokade_besök`?"."""
    exact = directory / f"{table}.{suffix}"
    if (exact.exists() and not named) or not directory.is_dir():
        return exact
    return next(iter(table_files(directory, table, suffix, named)), exact)


def table_files(
    directory: Path,
    table: str,
    suffix: str,
    named: str | None = None,
    entries: list[Path] | None = None,
) -> list[Path]:
    """Every file of a data directory that is a table's file of the kind `suffix`: its
    name composed or decomposed, and its suffix in any case — `visits.CSV`, as exports
    on Windows name them, was "no `visits` table: found `visits`, did you mean
    `visits`?" here, and read on Windows, whose file names ignore case — or `named` as
    columns.yaml names the table's file (`Besök.csv`). Two of them (a `visits.csv`
    beside a `visits.CSV`, or beside `Besök.csv`) are two files for one table.
    `entries` is the directory as already listed, where the caller has it."""
    if entries is None and not directory.is_dir():
        return []
    wanted = {unicodedata.normalize("NFC", n) for n in (table, named) if n}
    return sorted(
        f
        for f in (directory.iterdir() if entries is None else entries)
        if f.suffix.lower() == f".{suffix}" and unicodedata.normalize("NFC", f.stem) in wanted
    )


def _composed_headers(raw: dict[str, Source]) -> dict[str, Source]:
    """Column names in composed Unicode (`språk` as one `å`, as the model writes it), where
    a file has them decomposed: `språk` was "no column `språk`, did you mean
    `språk`?". A table whose names are composed already is left as it is (a renaming
    step keeps a scan's filter from the Parquet reader)."""
    out: dict[str, Source] = {}
    for name, frame in raw.items():
        if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            out[name] = frame
            continue
        names = list(schema_of(frame)) if isinstance(frame, pl.LazyFrame) else frame.columns
        composed = {c: unicodedata.normalize("NFC", c) for c in names if not c.isascii()}
        renamed = {c: n for c, n in composed.items() if n != c and n not in names}
        out[name] = frame.rename(renamed) if renamed else frame
    return out


def _settle(
    ds: Dataset,
    name: str,
    problems: list[Problem],
    diags: Diagnostics,
    strict: bool,
    warn: bool = True,
    key_columns: Sequence[str] = (),
) -> None:
    """Strict: every problem an error. Otherwise each row with a problem is set aside in
    `ds.rejects` (with its `key_columns`' values, its customer and provider, and the row as
    converted), and one warning per kind of problem says how many and where."""
    if not problems:
        return
    if strict:
        _report_errors(ds, name, problems, diags)
        return
    by_row: dict[int, list[Problem]] = {}
    for problem in problems:
        by_row.setdefault(problem.index, []).append(problem)
    records = _records(ds.tables[name], list(by_row))
    for index in sorted(by_row):
        first = by_row[index][0]
        values = {p.column: p.value for p in reversed(by_row[index])}  # each column's first
        columns = list(dict.fromkeys(p.column for p in by_row[index]))
        record = records.get(index, {})
        ds.rejects.append(
            {
                "table": name,
                "file": ds.origins.get(name, name),
                "row": ds.row_number(name, index),
                "id": _record_text(record, key_columns),
                "customer_id": _record_text(record, ("customer_id",)),
                "provider_id": _record_text(record, ("provider_id",)),
                RECORD: record,
                "column": ", ".join(ds.header(name, c) for c in columns),
                # each column's value, in the columns' order (`TAG; -5`), as the reason
                # gives each column's problem
                "value": first.value
                if len(columns) == 1
                else "; ".join("" if values[c] is None else str(values[c]) for c in columns),
                "code": first.code,
                "reason": "; ".join(dict.fromkeys(p.message for p in by_row[index])),
            }
        )
    if warn:
        _warn_rejected(ds, name, problems, diags)
    table = ds.tables[name]
    rows = pl.Series("__i", list(by_row), dtype=pl.Int64)
    if "customer_id" in table.columns:
        owners = ds.rejected_customers.setdefault(name, {})
        # a row the table lacks (a ragged line of a file none of whose columns is read);
        # a row that only repeats a kept row takes nothing from the customer, and no
        # exclusion follows from it (`follows-rejection`)
        in_table = [
            index
            for index in by_row
            if index < table.height and any(p.code != "duplicate-row" for p in by_row[index])
        ]
        at = pl.Series("__i", in_table, dtype=pl.Int64)
        customers = table["customer_id"].gather(at).cast(pl.String).to_list()
        for index, customer in zip(in_table, customers, strict=True):
            if customer is not None:
                owners.setdefault(customer, []).append(ds.row_number(name, index))
    dropped = pl.int_range(pl.len(), dtype=pl.Int64).is_in(rows.implode())
    key = {p.table: p.key for p in base_vocabulary().parties.values()}.get(name)
    if key is not None:
        ids = table.filter(dropped)[key].drop_nulls()
        ds.rejected_ids[name] = {str(v) for v in ids.to_list()}
    keep = table.select(pl.int_range(pl.len(), dtype=pl.Int64).filter(~dropped)).to_series()
    previous = ds.kept.get(name)
    ds.kept[name] = previous.gather(keep) if previous is not None else keep
    ds.tables[name] = table.filter(~dropped)


RECORD = "record"  # a reject's row as converted (a bad value empty): what a letter shows


def _records(table: pl.DataFrame, indices: list[int]) -> dict[int, dict[str, Any]]:
    """The rows at `indices` as converted, by index (a ragged line beyond the table's
    rows has none)."""
    inside = sorted(i for i in indices if i < table.height)
    if not inside:
        return {}
    rows = ids_as_text(table.select(pl.all().gather(pl.Series(inside, dtype=pl.Int64))))
    return dict(zip(inside, rows.to_dicts(), strict=True))


def _record_text(record: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    """The record's values of these columns as one text (`K1, 2024-03-01`), or None
    where it has none of them."""
    found = [str(record[c]) for c in columns if record.get(c) is not None]
    return ", ".join(found) if found else None


def _by_kind(problems: list[Problem]) -> dict[tuple[str, str, str | None, bool], list[Problem]]:
    """Problems grouped by column, code and hint, and an empty value apart from a given
    one: one warning, or one capped list, per kind (an end before the start and a visit
    over a day are two kinds, not one; an empty count of staff was "`1.5` is not a
    whole number (and others like it)")."""
    kinds: dict[tuple[str, str, str | None, bool], list[Problem]] = {}
    for p in problems:
        kinds.setdefault((p.column, p.code, p.hint, p.value is None), []).append(p)
    return kinds


def _warn_rejected(ds: Dataset, name: str, problems: list[Problem], diags: Diagnostics) -> None:
    """A warning per kind of problem, with its rows and what to do (the problem's own
    hint first: `did you mean `omsorg`?`, `write dates as YYYY-MM-DD` — a run that set
    rows aside said only which rows)."""
    for (column, _, hint, _), found in _by_kind(problems).items():
        rows = sorted({ds.row_number(name, p.index) for p in found})
        shown = ", ".join(str(r) for r in rows[:MAX_ROWS_REPORTED])
        more = f" and {len(rows) - MAX_ROWS_REPORTED} more" if len(rows) > MAX_ROWS_REPORTED else ""
        diags.warning(
            "rejected-rows",
            f"{len(rows)} row{'s' if len(rows) != 1 else ''} rejected: {found[0].message}"
            + (" (and others like it)" if len({p.message for p in found}) > 1 else ""),
            where=_place(ds.origins.get(name, name), ds.header(name, column)),
            hint=(f"{hint}; " if hint else "")
            + f"row{'s' if len(rows) != 1 else ''} {shown}{more}; every rejected row is "
            "listed in rejects.csv "
            "(--strict stops instead)",
        )


def _report_errors(ds: Dataset, name: str, problems: list[Problem], diags: Diagnostics) -> None:
    for (column, code, _, _), found in _by_kind(problems).items():
        for problem in found[:MAX_ROWS_REPORTED]:
            diags.error(
                problem.code,
                problem.message,
                where=ds.where(name, problem.index, problem.column),
                hint=problem.hint,
            )
        if len(found) > MAX_ROWS_REPORTED:
            diags.error(
                code,
                f"… {len(found) - MAX_ROWS_REPORTED} more rows like these",
                where=_place(ds.origins.get(name, name), ds.header(name, column)),
            )


def _place(origin: str, column: str) -> str:
    """`file:column`, or the file alone for a problem of the whole row."""
    return f"{origin}:{column}" if column else origin


def _unreadable(columns: dict[str, str], origin: str, hint: str, diags: Diagnostics) -> bool:
    """An error per column that cannot be read at all (its message given); whether any."""
    for message in columns.values():
        diags.error("bad-value", message, where=origin, hint=hint)
    return bool(columns)


# Column types no value of ours is, whatever the column's kind: each column an error.
# A duration has no text to be checked as either (Polars casts none to text): minutes
# are a number, a moment a date and time (in a column of minutes or hours it is read
# as that many, `_durations_in_their_unit`).
_UNFIT_TYPES: tuple[tuple[Callable[[pl.DataType], bool], str, str, str], ...] = (
    (lambda t: t.is_nested(), "lists or records", "single values", "write one value per cell"),
    (lambda t: isinstance(t, pl.Duration), "durations", "numbers, dates or text",
     "write a duration as a number of minutes or hours"),
    # a frame handed to the API (`pl.from_pandas` of a column of mixed values): Polars
    # casts none of them, not even to text
    (lambda t: isinstance(t, pl.Object), "Python objects", "numbers, dates or text",
     "make it a column of one kind: text (pl.String), numbers or dates"),
)  # fmt: skip


def _durations_of(
    table: Table, frame: pl.DataFrame, held: Callable[[pl.DataType], bool]
) -> dict[str, str]:
    """The table's columns of minutes or hours (a duration's unit) that the frame holds
    in a type `held` accepts, with their units."""
    return {
        c: column.unit
        for c, column in table.columns.items()
        if c in frame.columns
        and held(frame.schema[c])
        and isinstance(column.type, t.Num)
        and (column.type.time, column.type.money) == (1, 0)
    }


def _durations_in_their_unit(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """A duration of Polars (a Parquet file's or database's interval, a pandas
    timedelta) in a column of minutes or hours is that many of the column's unit,
    exactly: 1 h 30 min in a column of minutes is 90. In any other column it is no
    value (`_UNFIT_TYPES`)."""
    spans = _durations_of(table, frame, lambda dtype: isinstance(dtype, pl.Duration))
    if not spans:
        return frame
    converted = []
    for c, unit in spans.items():
        num, den = t.unit_factor(unit)  # of the unit to minutes
        minutes = pl.col(c).dt.total_microseconds().cast(pl.Float64) / 60_000_000
        converted.append((minutes * den / num).alias(c))
    return frame.with_columns(converted)


def _converted_table(
    ds: Dataset,
    name: str,
    table: Table,
    frame: pl.DataFrame,
    schema: pl.Schema,
    read: set[str] | None,
    needed: set[str],
    diags: Diagnostics,
    ids: Mapping[str, pl.Series] | None = None,
    keys: bool = True,
    rest: Source | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, set[str], Survey] | None:
    """The header checked (None when the table cannot be read at all), the raw columns
    (named without surrounding spaces) beside the converted ones, the text columns
    kept as read because every value is canonical (`_known_lists`: one of its codes,
    one of the `ids` of the party's table, or a text with no white space: nothing to
    strip, no copy), and what the table's survey found to look at (`_surveyed`; its
    keys only with `keys`); `rest`, the columns not read, is looked at only where a
    declared default would stand in for a column the file may have under another name."""
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    given = [c.strip() for c in schema]
    origin = ds.origins.get(name, name)
    garbled = {c: f"the header of {origin} has a control character in the column name "
               f"`{printable(c)}`" for c in given if printable(c) != c}  # fmt: skip
    if _unreadable(
        garbled, origin, "the file is damaged or not plain text; export it again", diags
    ):
        return None
    missing = [
        c
        for c, column in table.columns.items()
        if c not in given and (c in table.required or (c in needed and column.default is None))
    ]
    # a column of the data that is one of the table's own is no candidate: `visit_id`
    # was offered for a missing `staff_id`, to be named as the staff in columns.yaml
    candidates = [c for c in given if c not in table.columns]
    offered: set[str] = set()  # headings an error above takes for a missing column
    for column_name in missing:
        close = _near(column_name, candidates, cutoff=0.6)  # `VISIT_ID` too
        others = [c for c in candidates if c not in offered]
        alike = [] if close else _of_its_kind(frame, rest, table.columns[column_name], others)
        offered.update(close + alike)
        diags.error(
            "missing-column",
            f"`{name}` has no column `{column_name}`",
            where=ds.origins.get(name, name),
            hint=_alike_hint(table.columns[column_name], alike, name, origin)
            if alike
            else _missing_column_hint(name, column_name, close, origin),
        )
    frame = _durations_in_their_unit(frame, table)
    for column_name in _defaults_in_place_of(table, given, needed, candidates):
        close = _near(column_name, candidates)
        offered.update(close)
        default = table.columns[column_name].default
        diags.error(
            "missing-column",
            f"`{name}` has no column `{column_name}` — the model's default "
            f"({as_written(default)}) would be every row's value — but has `{close[0]}`",
            where=ds.origins.get(name, name),
            hint=_missing_column_hint(name, column_name, close, origin),
        )
    for column_name, stand_in in _defaults_beside_their_values(
        frame, rest, table, given, needed, candidates
    ):
        offered.add(stand_in)
        column = table.columns[column_name]
        lost = _is_headingless(stand_in)
        diags.error(
            "missing-column",
            f"`{name}` has no column `{column_name}` — the model's default "
            f"({as_written(column.default)}) would be every row's value — but has "
            + (
                f"a {_headingless_words(stand_in)},"
                if lost
                else f"`{stand_in}`, which the model does not declare, and"
            )
            + f" whose every value is {_held_words(column)} as `{column_name}` holds",
            where=ds.origins.get(name, name),
            hint=f"give the column its heading `{column_name}`"
            if lost
            else f"if `{stand_in}` is the one, {_renaming(name, column_name, stand_in, origin)}; "
            "if it is another column, delete it from the file or declare it",
        )
    for unfit, held, instead, hint in _UNFIT_TYPES:
        wrong = {c: f"column `{c}` of {origin} holds {held} ({frame.schema[c]}), not {instead}"
                 for c in table.columns if c in frame.columns and unfit(frame.schema[c])}  # fmt: skip
        if _unreadable(wrong, origin, hint, diags):
            frame = frame.drop(list(wrong))
    # a heading an error took for a missing column is not offered to be declared too
    undeclared = [
        c for c in given if c not in table.columns and c not in offered and not _is_headingless(c)
    ]
    if undeclared:
        shown = ", ".join(f"`{c}`" for c in undeclared[:8]) + (" …" if len(undeclared) > 8 else "")
        diags.warning(
            "undeclared-column",
            f"{len(undeclared)} column{'s' if len(undeclared) != 1 else ''} of "
            f"{ds.origins.get(name, name)} {'are' if len(undeclared) != 1 else 'is'} not "
            f"declared by the model and {'were' if len(undeclared) != 1 else 'was'} not read: "
            f"{shown}",
            where=ds.origins.get(name, name),
            hint=f"to use one, declare it: vocabulary: {{columns: {{{name}: "
            f"{{{undeclared[0]}: {{type: text}}}}}}}} (docs/language.md, Declaring the data)",
        )
    lists = _known_lists(frame, table, ids)
    converted, as_read, survey = _surveyed(frame, table, read, lists, keys=keys)
    return frame, converted, as_read, survey


_NEAR = 0.8  # how alike a header must be to a column's name to be taken for it misspelt


def _defaults_in_place_of(
    table: Table, given: list[str], needed: set[str], candidates: list[str]
) -> list[str]:
    """The columns a rule reads that the file lacks, whose default the model declared
    for a file without them, where the file has a column of nearly their name that the
    table does not declare: a heading in capitals was not read, and every visit was
    paid by the default (one staff on each). A misspelt heading is an error, never the
    default in silence; a file with no such column at all takes the default."""
    return [
        c
        for c, column in table.columns.items()
        if c not in given and c in needed and column.default is not None and _near(c, candidates)
    ]


def _defaults_beside_their_values(
    frame: pl.DataFrame,
    rest: Source | None,
    table: Table,
    given: list[str],
    needed: set[str],
    candidates: list[str],
) -> list[tuple[str, str]]:
    """(column, heading) where a rule reads a column the file lacks, whose default the
    model declared, and the file has a column the table does not declare, named
    otherwise, whose every value is of the missing column's kind — yes or no, a date, a
    number in its range, a code of its list: a heading lost to `x`, and every customer
    was read as having no protected address (the default) and paid a trip, exit 0.
    Free text is any column's, and says nothing."""
    out = []
    for name, column in table.columns.items():
        if name in given or name not in needed or column.default is None:
            continue
        if _near(name, candidates):
            continue  # a heading of nearly its name is said as such
        out += [(name, heading) for heading in _of_its_kind(frame, rest, column, candidates)[:1]]
    return out


def _of_its_kind(
    frame: pl.DataFrame, rest: Source | None, column: Column, candidates: list[str]
) -> list[str]:
    """The file's columns the table does not declare whose every value is of the
    missing column's kind (not free text, which any column holds): `sluttid`, holding
    dates and times, where `end` is missing — the heading a columns.yaml lost."""
    if column.kind == "text" and not column.listed:
        return []
    return [c for c in candidates if _every_value_reads_as(_column_of(frame, rest, c), column)]


def _alike_hint(column: Column, alike: list[str], table: str, origin: str) -> str:
    """Which of the file's columns may be the missing one, by what they hold."""
    kind = _held_words(column)
    lost = [c for c in alike if _is_headingless(c)]
    if lost:
        return (
            f"every value of its {_headingless_words(lost[0])} is {kind}, as `{column.name}` holds: "
            f"give it the heading `{column.name}`"
        )
    shown = " or ".join(f"`{c}`" for c in alike[:3])
    which = "it is the one" if len(alike) == 1 else "one of them is"
    return f"every value of {shown} is {kind}, as `{column.name}` holds: if {which}, " + _renaming(
        table, column.name, alike[0], origin
    )


def _held_words(column: Column) -> str:
    """What a column holds, said of a value: a date, true or false, one of its codes."""
    codes = column.listed
    return (
        f"one of its codes ({', '.join(codes[:4])}{' …' if len(codes) > 4 else ''})"
        if codes
        else _kind_words(column)
    )


def _column_of(frame: pl.DataFrame, rest: Source | None, heading: str) -> pl.DataFrame | None:
    """One column of the file as read, or decoded from the columns not read."""
    for source in (frame, rest):
        if source is not None and heading in schema_of(source):
            chosen = source.select(heading)
            return _binary_as_text(chosen.collect() if isinstance(chosen, pl.LazyFrame) else chosen)
    return None


def _every_value_reads_as(values: pl.DataFrame | None, column: Column) -> bool:
    if values is None:
        return False
    values = values.select(pl.all().alias(column.name))
    text = pl.col(column.name).cast(pl.String).str.strip_chars()
    values = values.filter(text.str.len_bytes() > 0)
    if values.height == 0:
        return False
    read = values.select(_converted(values, column, ranged=True)).to_series()  # in its range
    if column.listed is not None:
        return bool(read.is_in(list(column.listed)).all())
    return read.null_count() == 0


def _near(column: str, candidates: list[str], cutoff: float = _NEAR) -> list[str]:
    """The candidate nearest `column`, if near enough, whatever its letters' case."""
    folded = {c.casefold(): c for c in candidates}
    close = difflib.get_close_matches(column.casefold(), list(folded), n=1, cutoff=cutoff)
    return [folded[close[0]]] if close else []


def _missing_column_hint(table: str, column: str, close: list[str], origin: str) -> str:
    """How to give a missing column: renamed, or named once as the data's own name (in
    `columns.yaml` beside the files; with `columns=` for frames handed to the API)."""
    if close:
        return f"did you mean `{close[0]}`? ({_renaming(table, column, close[0], origin)})"
    return f"if the data names it otherwise, say so in {_named_in(table, column, None, origin)}"


def _renaming(table: str, column: str, own: str, origin: str) -> str:
    return f"rename the column, or name it in {_named_in(table, column, own, origin)}"


def _named_in(table: str, column: str, own: str | None, origin: str) -> str:
    """Where the data's own name for a column is given, with the line to write."""
    own = own or "<its name>"
    beside = "the workbook" if "!" in origin else "the tables"  # a sheet: `book.xlsx!visits`
    if origin.endswith(IN_MEMORY):
        return f'columns={{"{table}": {{"{own}": "{column}"}}}}'
    return f"{COLUMNS_FILE} beside {beside}: {table}: {{{own}: {column}}}"


@dataclass(frozen=True)
class Survey:
    """What one pass over a table found worth a closer look: the columns that may hold
    a bad, missing or unknown value, whether a period may end before it starts or last
    too long, and the key columns whose ids may repeat (not in strictly rising order).
    Nothing found is the usual case, and then no row is looked at again; a flag is
    only a reason to look (the rows are found exactly where one is set)."""

    columns: frozenset[str] = frozenset()
    order: bool = False
    # the nights March's clock skips an hour that a column's times reach, by column
    skipped: Mapping[str, tuple[ClockChange, ...]] = field(default_factory=dict)
    keys: tuple[str, ...] = ()  # in the table's order of keys


def _surveyed(
    frame: pl.DataFrame,
    table: Table,
    read: set[str] | None,
    lists: Mapping[str, pl.Series | None],
    *,
    keys: bool = True,
) -> tuple[pl.DataFrame, set[str], Survey]:
    """The table converted, the columns kept as read, and its survey, in one query over
    the columns as read: the conversion, every flag and the look-up of the code-list and
    party columns in their `lists`, side by side. Two guesses make the usual case
    cheap: that every text is canonical as read — in the column's list, or with no
    white space and not blank (kept as read, not stripped) — and that every date or
    date and time written as text is in one form (`_forms`). A guess that fails for a
    column (an error case, or dates in several forms) has that column converted in
    full and the flags taken again: a second query, never a third (a guess that held,
    holds)."""
    if frame.height == 0:  # nothing to look at (and no row made of defaults alone)
        exprs = [e for _, e in _conversions(frame, table, read, set(), {})]
        return frame.select(exprs).head(0), set(), Survey()
    forms = _forms(frame, table)
    converted, found = _survey_run(frame, table, read, lists, forms, keys=keys)
    as_read = {name for name in lists if found.get(KNOWN + name)}
    survey = _survey_of(found, table)
    held = {name: form for name, form in forms.items() if name not in survey.columns}
    if as_read == set(lists) and held == forms:
        return converted, as_read, survey
    settled = {name: lists[name] for name in as_read}
    converted, found = _survey_run(frame, table, read, settled, held, look_up=False, keys=keys)
    return converted, as_read, _survey_of(found, table)


RAW = "__raw_"  # the prefix of a column as read, beside its converted self
KNOWN = "__known_"  # the flag of a column whose every value is canonical as read
LAZY_ROWS = 1_000_000  # a table this long is surveyed by one optimised query (measured:
# shorter ones are faster eagerly, 0.05 s against 0.07 s for 234 000 decisions)


def _survey_run(
    frame: pl.DataFrame,
    table: Table,
    read: set[str] | None,
    lists: Mapping[str, pl.Series | None],
    forms: Mapping[str, str],
    *,
    look_up: bool = True,
    keys: bool = True,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The converted table and the survey's flags (one row), the columns with `lists`
    kept as read (looked up in them unless `look_up` is off) and those in `forms` read
    in their one form. The flags are taken on the converted columns, which
    a long table has computed once for both (Polars' common subplans); a short one is
    converted eagerly (planning the query would cost more than running it)."""
    looked_at = [c for c in table.columns.values() if c.name in frame.columns]
    raw = [
        pl.col(c.name).alias(RAW + c.name)
        for c in looked_at
        if c.kind != "text" and c.name not in lists
    ]
    conversions = _conversions(frame, table, read, set(lists), forms)
    names = [n for n, _ in conversions]
    flags = []
    for c in looked_at:
        flag = _survey_flag(c, frame.schema[c.name], listed=lists.get(c.name) is not None)
        if flag is not None:
            flags.append(flag.alias(c.name))
    flags.append(_order_flag(names, table).alias("__order"))
    for moment in _datetime_columns(names, table):  # a time March's clock never showed?
        flags += [
            pl.col(moment).min().alias(_LOW + moment),
            pl.col(moment).max().alias(_HIGH + moment),
        ]
    if keys and len(table.key) > 1 and all(k in names for k in table.key):
        together = pl.struct(table.key)  # a key of several columns: their values together
        flags.append(together.is_duplicated().any().alias(COMPOSITE_FLAG))
    for key in table.key if keys and len(table.key) == 1 else ():
        if key in names:  # a missing id is looked at too (a missing id is a bad value)
            ids = pl.col(key)
            flags.append(((ids <= ids.shift(1)).any() | ids.is_null().any()).alias(f"__key_{key}"))
    # the look-ups are taken beside the conversion (they need only the columns as read),
    # each a value repeated down its column, read once by the flags
    party = table.name in _party_tables()  # a district `Ön` decomposed is in no zone
    looked_up = [
        _known(n, known, composed=party).alias(KNOWN + n) for n, known in lists.items() if look_up
    ]
    flags += [pl.col(e.meta.output_name()).first() for e in looked_up]
    exprs = raw + [e for _, e in conversions] + looked_up
    if frame.height >= LAZY_ROWS:
        query = frame.lazy().select(exprs)
        converted, found = pl.collect_all([query.select(names), query.select(flags)])
    else:
        both = frame.select(exprs)
        converted, found = both.select(names), both.select(flags)
    return converted, found.row(0, named=True)


def _conversions(
    frame: pl.DataFrame,
    table: Table,
    read: set[str] | None,
    as_read: set[str],
    forms: Mapping[str, str],
) -> list[tuple[str, pl.Expr]]:
    """Each column of the converted table and its expression: the columns `as_read`
    as they are, those in `forms` read in their one form, a column the data lacks as
    the model's default (or empty) where it is read."""
    out = []
    for column in table.columns.values():
        name = column.name
        if name in as_read:
            out.append((name, pl.col(name)))
        elif name in frame.columns:
            converted = _convert(frame, column, form=forms.get(name))
            if column.kind == "text" and table.name in _party_tables():  # a few thousand rows
                converted = converted.str.normalize("NFC")
            out.append((name, converted.alias(name)))
        elif read is None or name in read:  # the model's default, or empty
            out.append((name, pl.lit(column.default, dtype=_dtype(column)).alias(name)))
    return out


def _forms(frame: pl.DataFrame, table: Table) -> dict[str, str]:
    """The one form each column of dates, or of dates and times, written as text is
    guessed to be in: `2024-03-01` for dates; for dates and times the first of the
    forms read (`_DATETIME_FORMATS`) that reads the column's first value. A CSV's
    `start` of 1 M visits read in one form took 0.1 s, against 0.38 s trying all four
    on every value."""
    forms = {}
    for column in table.columns.values():
        if frame.schema.get(column.name) != pl.String:
            continue
        if column.kind == "date":
            forms[column.name] = "%Y-%m-%d"
        elif column.kind == "datetime" and (form := _form_of_first(frame, column.name)):
            forms[column.name] = form
    return forms


def _form_of_first(frame: pl.DataFrame, name: str) -> str | None:
    first = frame.select(_stripped(pl.col(name)).drop_nulls().first()).to_series()
    for form in _DATETIME_FORMATS:
        if first.str.strptime(pl.Datetime("us"), form, strict=False).is_not_null().all():
            return form
    return None


COMPOSITE_FLAG = "__key__together"  # the survey's flag of a key of several columns


_LOW, _HIGH = "__low_", "__high_"  # the survey's first and last time of a column


def _datetime_columns(names: Collection[str], table: Table) -> list[str]:
    return [n for n in names if n in table.columns and table.columns[n].kind == "datetime"]


def _survey_of(found: Mapping[str, Any], table: Table) -> Survey:
    keys = tuple(k for k in table.key if found.get(f"__key_{k}"))
    skipped = {
        n: changes
        for n in _datetime_columns(table.columns, table)
        if (changes := tuple(_skipped_hours(found.get(_LOW + n), found.get(_HIGH + n))))
    }
    return Survey(
        columns=frozenset(n for n in table.columns if found.get(n)),
        order=bool(found.get("__order")),
        skipped=skipped,
        keys=table.key if found.get(COMPOSITE_FLAG) else keys,
    )


def _survey_flag(column: Column, dtype: pl.DataType, listed: bool) -> pl.Expr | None:
    """The survey's flag of a column (`_column_flag`); for one `listed` (looked up in
    its list: none of its values is unknown) only a missing value where the column
    requires one, and nothing where it may be empty."""
    if not listed:
        return _column_flag(column, dtype)
    return None if column.nullable else pl.col(column.name).is_null().any()


def _column_flag(column: Column, dtype: pl.DataType) -> pl.Expr:
    """True when some value of the column may be bad, missing or unknown (blank text
    became missing in the conversion, so a required text column is flagged by a missing
    value; a non-text one by a value given but not converted, or missing where it is
    required)."""
    missing = pl.col(column.name).is_null()
    if column.kind == "text":
        wrong = missing if not column.nullable else pl.lit(False)
    else:
        raw = pl.col(RAW + column.name)
        given = raw.is_not_null()
        if dtype == pl.String:
            given = given & (raw.str.len_bytes() > 0)  # "  " is checked exactly later
        wrong = missing & (given | pl.lit(not column.nullable))
    if isinstance(column.type, t.Text) and column.type.values:
        allowed = list(column.type.values)
        wrong = wrong | (~missing & ~pl.col(column.name).is_in(allowed))
    return wrong.any()


def _order_flag(names: list[str], table: Table) -> pl.Expr:
    """True when some period may end before it starts, or a row last longer than the
    table allows."""
    flag = pl.lit(False)
    for start, end in order_pairs(table):
        if start in names and end in names:
            flag = flag | (pl.col(end) < pl.col(start)).any()
    max_hours, (first, last) = table.max_hours, table.span
    if max_hours is not None and {first, last} <= set(names):
        # on the clock: an hour less may have passed, or an hour more (`_order_problems`)
        longest = pl.duration(hours=max_hours) - pl.duration(hours=1)
        flag = flag | (pl.col(last) - pl.col(first) > longest).any()
    return flag


def _row_problems(
    ds: Dataset,
    name: str,
    table: Table,
    frame: pl.DataFrame,
    converted: pl.DataFrame,
    survey: Survey,
    window: Window | None = None,
    rest: Source | None = None,
) -> list[Problem]:
    """Every problem of the table's rows: values not of their kind, empty or not
    allowed, periods ending before they start, times the clock skipped, ids seen
    twice, rows repeated (compared in the file's columns not read too, `rest`);
    looked for only where the table's `survey` found something to look at."""
    problems: list[Problem] = []
    for column in table.columns.values():
        if column.name in survey.columns:
            problems += _column_problems(frame, converted, column)
    if survey.order:
        problems += _order_problems(converted, table)
    if survey.skipped:
        problems += _skipped_hour_problems(converted, survey.skipped)
    if window is None:
        problems += _duplicate_problems(converted, survey.keys, ds, name)
    else:
        problems += _part_duplicates(ds, name, window.duplicates)
    if table.unique_rows and window is None:
        seen = {p.index for p in problems if p.code == "duplicate-id"}  # said once a row
        problems += [
            p for p in _repeated_rows(converted, ds, name, table.key, rest) if p.index not in seen
        ]
    return problems


def _repeated_rows(
    converted: pl.DataFrame,
    ds: Dataset,
    name: str,
    key: Sequence[str],
    rest: Source | None = None,
) -> list[Problem]:
    """The second and later of rows alike in every column but their ids (the first is
    kept), in a table whose rows are each one fact: a journal exported twice was two
    journals, and Norrtälje paid its listing fee twice; a decision registered again
    under a new id was paid twice by 14 of 20 models, each with exit 0. Rows alike in
    the columns read are compared in the file's other columns too (`rest`): two
    deliveries alike but for a comment the model does not read are two deliveries."""
    columns = [c for c in converted.columns if c not in key]
    if converted.height < 2 or not columns:
        return []
    # each row hashed once and the hashes counted (a third of the time of comparing the
    # rows themselves: 234 000 decisions 7-11 ms); only rows whose hash repeats are
    # compared, so two rows that merely share a hash are not taken for one
    hashes = converted.select(columns).hash_rows()
    if hashes.n_unique() == hashes.len():
        return []
    indexed = converted.with_row_index("__i").filter(hashes.is_duplicated())
    indexed, unread = _with_unread(indexed, ds, name, rest)
    indexed = indexed.with_columns(pl.col("__i").min().over(columns + unread).alias("__first"))
    later = indexed.filter(pl.col("__i") != pl.col("__first")).sort("__i")
    shown = key[0] if key else columns[0]
    but = f" but `{', '.join(key)}`" if key else ""
    hint = "one row exported twice; a second fact of the same kind differs in some column"
    if name not in base_vocabulary().tables:  # the model's own: it may say they repeat
        hint += (
            "; if such rows are facts of their own, say so: "
            f"`tables: {{{name}: {{may_repeat: true}}}}`"
        )
    return [
        Problem(
            index,
            shown,
            None if value is None else str(value),
            "duplicate-row",
            f"the row is row {ds.row_number(name, first)} again, alike in every column{but}",
            hint,
        )
        for index, first, value in later.select("__i", "__first", shown).iter_rows()
    ]


UNREAD = "__unread_"  # the prefix of a file's column not read, beside the columns read


def _with_unread(
    indexed: pl.DataFrame, ds: Dataset, name: str, rest: Source | None
) -> tuple[pl.DataFrame, list[str]]:
    """Rows of the table (`__i`, their index now) with the file's columns not read
    beside them, as the file has them, and those columns' names: decoded for these
    rows alone, and only when some rows are alike in the columns read."""
    if rest is None or not schema_of(rest):
        return indexed, []
    kept = ds.kept.get(name)  # a blank line dropped: the rows' places in the file
    places = kept.gather(indexed["__i"]) if kept is not None else indexed["__i"]
    places = places.cast(pl.UInt32).alias(FILE_INDEX)
    others = (
        rest.lazy()
        .with_row_index(FILE_INDEX)
        .filter(pl.col(FILE_INDEX).is_in(places.implode()))
        .collect()
    )
    unread = {c: UNREAD + c for c in others.columns if c != FILE_INDEX}
    joined = indexed.with_columns(places).join(others.rename(unread), on=FILE_INDEX, how="left")
    return joined.drop(FILE_INDEX), list(unread.values())


def _present(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A value was given (for text: not blank)."""
    if frame.schema[name] == pl.String:
        text = pl.col(name).str.strip_chars()
        return text.is_not_null() & (text != "")
    return pl.col(name).is_not_null()


def _column_problems(frame: pl.DataFrame, converted: pl.DataFrame, column: Column) -> list[Problem]:
    """Values that are not of the column's kind, empty where required, or not allowed.
    The failing rows are taken out by one filter each, and each distinct bad value is
    worded once (30 000 rows with one wrong code are one suggestion, not 30 000)."""
    out = []
    name = column.name
    present = _present(frame, name)
    failing = (
        frame.with_columns(
            converted[name].alias("__new"),
            _converted(frame, column).is_not_null().alias("__kind_ok"),  # outside its range
        )
        .with_row_index("__i")
        .filter(present & pl.col("__new").is_null())
        .select("__i", pl.col(name).cast(pl.String).alias("__value"), "__kind_ok")
    )
    for index, value, kind_ok in failing.iter_rows():
        if kind_ok:
            message = f"`{value}` is outside the range of `{name}` ({range_words(column)})"
            out.append(Problem(index, name, value, "out-of-range", message))
        elif two := _two_readings(index, name, value):
            out.append(two)
        elif column.kind == "datetime" and re.fullmatch(r"\d{4}-\d\d-\d\d", value.strip()):
            # a CSV's date alone, a Parquet column of dates, a sheet's cell shown as a date
            message = f"`{value}` is a date with no time of day, not {_kind_words(column)}"
            typed = frame.schema[name] == pl.Date
            hint = (
                f"the file's column `{name}` holds dates: write it with the time of day (a "
                "timestamp)"
                if typed
                else f"write the time of day too: {value.strip()} HH:MM"
            ) + "; read as midnight, a visit from 08:00 to 09:00 would last nine hours"
            out.append(Problem(index, name, value, "bad-value", message, hint))
        elif column.kind in ("integer", "number") and (huge := _beyond_magnitude(value)):
            if _beyond_range(huge, column):  # `1e+300` granted minutes: "not a number"
                message = f"`{value}` is outside the range of `{name}` ({range_words(column)})"
                out.append(Problem(index, name, value, "out-of-range", message))
            else:
                message = f"`{value}` is larger than any number carepay reads ({MAGNITUDE_WORDS})"
                out.append(Problem(index, name, value, "bad-value", message))
        else:
            message = f"`{value}` is not {_kind_words(column)}"
            numeric = column.kind in ("integer", "number")
            told = (
                (_clock_hint(value, column) or _unit_hint(value, column) or _number_hint(value))
                if numeric
                else (_short_year_hint(value, column) or _midnight_hint(value, column))
            ) or _kind_hint(column)
            out.append(Problem(index, name, value, "bad-value", message, told))
    if not column.nullable:
        empty = _empty_hint(column)
        for index in _rows(frame, ~present):
            out.append(Problem(index, name, None, "bad-value", f"`{name}` is empty", empty))
    if isinstance(column.type, t.Text) and column.type.values:
        allowed = list(column.type.values)
        unknown = (
            converted.with_row_index("__i")
            .filter(pl.col(name).is_not_null() & ~pl.col(name).is_in(allowed))
            .select("__i", pl.col(name).cast(pl.String))
        )
        codes = column.codes or name
        worded: dict[str, tuple[str, str]] = {}
        for index, value in unknown.iter_rows():
            if value not in worded:
                meant = closest(value, allowed)
                worded[value] = (
                    f"`{value}` is not a known {name} (code list `{codes}`)",
                    (f"did you mean `{meant}`? " if meant else "")
                    + _adding_a_code(codes, name, value),
                )
            message, hint = worded[value]
            out.append(Problem(index, name, value, "bad-value", message, hint))
    return out


def _adding_a_code(codes: str, column: str, value: str) -> str:
    """Where a model adds `value` to a code list: a named list under `codes:`, a
    column's own list (`visits.status`, declared with `values:`) in that list, which
    `codes:` cannot name ("there is no code list `visits.status` to add to")."""
    if "." in codes:
        return (
            f"the list is the model's own: add {value} to the `values:` of `{column}` "
            "where its vocabulary declares the column"
        )
    return f"a model adds codes under vocabulary: {{codes: {{{codes}: {{add: [{value}]}}}}}}"


def _empty_hint(column: Column) -> str | None:
    """Why an empty cell of a column with a default is not that default: the default is
    the value of a file without the column (docs/language.md, Declaring the data)."""
    if column.default is None:
        return None
    return (
        f"the model's default ({as_written(column.default)}) is for a file without the "
        "column; an empty cell of a file that has it is not known: write the value"
    )


def _repeated_hour_hint(began: Any, ended: Any) -> str | None:
    """On the night the clocks go back (the last Sunday of October, 03:00 becomes
    02:00) the hour from 02:00 comes twice, and a visit that ends in the second one
    seems to end before it starts: say so, rather than only that the end is wrong."""
    if not (isinstance(began, datetime) and isinstance(ended, datetime)):
        return None
    night = began.date()
    if not (night.month == 10 and night.weekday() == 6 and night.day >= 25):
        return None
    if ended.date() != night or began.hour != 2 or ended.hour != 2:
        return None
    return (
        f"the clocks went back at 03:00 on {night}, so 02:00–03:00 came twice, and a "
        "visit that ended in the second hour seems to end before it starts: times are "
        "read as Swedish wall-clock time (docs/language.md, Dates and times); correct "
        "its end by hand"
    )


def _skipped_hours(first: Any, last: Any) -> list[ClockChange]:
    """The nights from `first` to `last` whose hour from 02:00 the clock skipped."""
    if not (isinstance(first, datetime) and isinstance(last, datetime)):
        return []
    return [c for c in changes_near(first, last, timedelta(hours=1)) if c.minutes > 0]


def _skipped_hour_problems(
    converted: pl.DataFrame, skipped: Mapping[str, Sequence[ClockChange]]
) -> list[Problem]:
    """Times March's clock never showed: on the night it goes from 02:00 to 03:00,
    02:30 is no time in Sweden, and how long a visit from or to it lasted is unknown
    (a clock not moved forward, an hour behind; or a typing mistake). `skipped` holds
    the nights each column's times reach (the survey's first and last time); one pass
    asks whether any time falls in their hours, and only then are the rows found (a
    March of 1 M visits, best and median of twenty: 2.2 / 3.1 ms to 1.0 / 1.2 ms)."""

    def inside(name: str, change: ClockChange) -> pl.Expr:
        return (pl.col(name) >= change.hour) & (pl.col(name) < change.at)

    hours = [inside(n, c) for n, changes in skipped.items() for c in changes]
    if not hours or not converted.select(pl.any_horizontal(hours).any()).item():
        return []
    out = []
    for name in sorted(skipped):
        for change in skipped[name]:
            for index in _rows(converted, inside(name, change)):
                value = converted[name][index]
                out.append(
                    Problem(
                        index,
                        name,
                        f"{value:%Y-%m-%d %H:%M}",
                        "bad-date",
                        f"`{name}` {value:%Y-%m-%d %H:%M} is no time in Sweden: at 02:00 on "
                        f"{change.at.date()} the clocks went forward to 03:00",
                        "a clock not moved forward shows an hour too little: write the time "
                        f"as a Swedish clock showed it ({value + timedelta(hours=1):%H:%M}?), "
                        "or with its offset from UTC",
                    )
                )
    return out


def _order_problems(converted: pl.DataFrame, table: Table) -> list[Problem]:
    """Periods that end before they start, and rows of a table with a longest duration
    (`x-max-hours`: visits longer than a day) that last longer."""
    out = []
    for start, end in order_pairs(table):
        if start in converted.columns and end in converted.columns:
            for index in _rows(converted, pl.col(end) < pl.col(start)):
                began, ended = converted[start][index], converted[end][index]
                out.append(
                    Problem(
                        index,
                        end,
                        str(ended),
                        "bad-date",
                        f"`{end}` {ended} is before `{start}` {began}",
                        _repeated_hour_hint(began, ended),
                    )
                )
    max_hours, (first, last) = table.max_hours, table.span
    if max_hours is not None and {first, last} <= set(converted.columns):
        too_long = elapsed(pl.col(last), pl.col(first)) > max_hours * 60
        for index in _rows(converted, too_long):
            began, ended = converted[first][index], converted[last][index]
            hours = elapsed_minutes(began, ended) / 60
            out.append(_too_long(table, index, str(ended), hours))
    return out


def _too_long(table: Table, index: int, ended: str, hours: Decimal) -> Problem:
    """A row that lasts longer than its table's `max_hours`."""
    first, last = table.span
    if (first, last) == ("start", "end"):
        message = f"the visit lasts {hours:.1f} h, more than {table.max_hours} h"
        hint = "a visit longer than a day is a registration mistake; correct its end"
    else:
        message = f"`{first}` to `{last}` is {hours:.1f} h, more than {table.max_hours} h"
        hint = f"a row of {table.name} lasts at most {table.max_hours} h (max_hours); correct it"
    return Problem(index, last, ended, "bad-date", message, hint)


def _duplicate_problems(
    converted: pl.DataFrame, keys: Collection[str], ds: Dataset, name: str
) -> list[Problem]:
    """The second and later rows with an id already seen (the first is kept), in the
    key columns `keys` (those whose ids are not in strictly rising order); a key of
    several columns (`insatser: key: [kund, dag]`) by their values together — each
    column alone may repeat (the same customer on two days)."""
    out = []
    groups = [tuple(keys)] if len(keys) > 1 else [(key,) for key in keys]
    for group in groups:
        columns = list(group)
        if len(group) == 1 and not has_duplicates(converted[group[0]]):
            continue
        indexed = converted.with_row_index("__i").filter(
            pl.all_horizontal(pl.col(columns).is_not_null())
        )
        firsts = indexed.group_by(columns).agg(pl.col("__i").min().alias("__first"))
        later = indexed.join(firsts, on=columns).filter(pl.col("__i") != pl.col("__first"))
        rows = later.select("__i", "__first", key_text(columns).alias("__value")).sort("__i")
        for index, first, text in rows.iter_rows():
            out.append(_seen_before(index, ", ".join(group), text, ds.row_number(name, first)))
    return out


def key_text(parts: Sequence[str | pl.Expr]) -> pl.Expr:
    """A row's key as people write it: `E1`, or `A, 2025-03-04` for a key of two
    columns (a statement line's `row`, a test file's expected row, a repeated key)."""
    exprs = [pl.col(p) if isinstance(p, str) else p for p in parts]
    return pl.concat_str([e.cast(pl.String) for e in exprs], separator=", ")


def _seen_before(index: int, key: str, value: str, first: int) -> Problem:
    """A row whose id an earlier row has (`first`: that row's number in the file); `key`
    names the key's columns, `kund, dag` for a key of two."""
    message = f"`{key}` {value} appears more than once (first on row {first})"
    return Problem(index, key.split(", ")[0], value, "duplicate-id", message)


def _part_duplicates(ds: Dataset, name: str, duplicates: pl.DataFrame) -> list[Problem]:
    """The rows of a part whose id an earlier row of the whole table has (found over
    the whole table beforehand, `duplicate_rows`)."""
    if duplicates.height == 0:
        return []
    rows = ds.kept[name].to_frame(ROW).with_row_index("__i").join(duplicates, on=ROW)
    ordered = rows.sort("__i").select("__i", "column", "value", "first")
    return [_seen_before(*row) for row in ordered.iter_rows()]


def duplicate_rows(
    source: pl.LazyFrame, table: Table, schema: pl.Schema, row_offset: int
) -> pl.DataFrame:
    """The second and later rows of the whole table with a key already seen, as
    `_duplicate_problems` finds them, without holding the ids: a hash of each (8
    bytes a row) is sorted to find the values seen twice, and only rows with those
    hashes are read again to compare the ids themselves."""
    found = []
    together = len(table.key) > 1  # a key of several columns: their values together
    for group in [table.key] if together else [(key,) for key in table.key]:
        if any(key not in schema for key in group):
            continue
        parts = [converted(schema, table.columns[key]) for key in group]
        present = pl.all_horizontal([part.is_not_null() for part in parts])
        value = (
            pl.struct([p.alias(k) for p, k in zip(parts, group, strict=True)])
            if together
            else parts[0]
        )
        shown = key_text(parts)
        total = source.select(pl.len()).collect().item()
        if not together and _rising(source, value, total):
            continue  # each id greater than the one before: none is seen twice
        hashed = source.select(pl.when(present).then(value.hash()))
        hashes = pl.concat(  # a slice of the ids at a time: never all of them as text
            [
                hashed.slice(offset, HASHED_ROWS).collect().to_series()
                for offset in range(0, total, HASHED_ROWS)
            ]
            or [hashed.collect().to_series()]
        ).sort()  # nulls first, never equal to a neighbour
        twice = _repeated(hashes)
        del hashes
        if twice.len() == 0:
            continue
        rows = (
            source.with_row_index(ROW)
            .filter(present)
            .select(ROW, value.alias("value"), shown.alias("shown"))
            .filter(pl.col("value").hash().is_in(twice.unique().implode()))
            .collect()
        )
        firsts = rows.group_by("value").agg(pl.col(ROW).min().alias("__first"))
        later = rows.join(firsts, on="value").filter(pl.col(ROW) != pl.col("__first"))
        found.append(
            later.select(
                pl.col(ROW).cast(pl.Int64),
                pl.lit(", ".join(group)).alias("column"),
                pl.col("shown").alias("value"),
                (pl.col("__first").cast(pl.Int64) + row_offset).alias("first"),
            )
        )
    schema_out = {ROW: pl.Int64, "column": pl.String, "value": pl.String, "first": pl.Int64}
    return pl.concat(found) if found else pl.DataFrame(schema=schema_out)


HASHED_ROWS = 10_000_000  # ids hashed at a time when looking for ids seen twice


def _rising(source: pl.LazyFrame, value: pl.Expr, total: int) -> bool:
    """Whether every id is given and greater than the one before it in the file, as
    exports often are: then none is seen twice, and no hash of the whole file need be
    sorted (a year's 256 M visit ids). Read a slice at a time, each slice's first id
    compared with the last one before it; the first slice out of order ends the look."""
    last = None
    for offset in range(0, total, HASHED_ROWS):
        ids = source.select(value.alias("id")).slice(offset, HASHED_ROWS).collect().to_series()
        if ids.len() == 0:
            continue
        if ids.has_nulls() or (last is not None and not ids[0] > last):
            return False
        if not _each_greater(ids):
            return False
        last = ids[-1]
    return True


def _repeated(ordered: pl.Series, batch: int = 10_000_000) -> pl.Series:
    """The values of a sorted series that follow an equal one, compared a batch at a
    time (no second copy of a quarter of a billion hashes)."""
    found = [ordered.slice(0, 0)]
    for offset in range(0, ordered.len(), batch):
        part = ordered.slice(offset, batch + 1)
        found.append(part.slice(1).filter(part.slice(1) == part.slice(0, part.len() - 1)))
    return pl.concat(found)


def has_duplicates(values: pl.Series) -> bool:
    """Sorting and comparing neighbours: several times faster than hashing for ids.
    Ids each greater than the one before (as exports often give them) are only
    compared, in one pass: a month's 10 M visit ids 0.08 s, where a test of order and
    then of equal neighbours took 0.1-0.2 s."""
    ordered = values.drop_nulls()
    if ordered.len() < 2:
        return False
    if _each_greater(ordered):
        return False
    ordered = ordered.sort()
    return bool((ordered.slice(1) == ordered.slice(0, ordered.len() - 1)).any())


def _each_greater(values: pl.Series) -> bool:
    """Whether every value is greater than the one before it (no two alike)."""
    return bool((values.slice(1) > values.slice(0, values.len() - 1)).all())


def _add_unmet(
    problems: dict[str, list[Problem]], requirements: Iterable[DataRequirement], ds: Dataset
) -> None:
    """Each table's rows that lack what a data requirement needs, beside its other
    problems. A row whose value there was rejected as read — a level 7 of five, hours out
    of range — has one, and keeps that reason alone: "the decision has no level" was said
    of a decision of level 7."""
    for requirement in requirements:
        if requirement.table in problems:
            found = problems[requirement.table]
            said = {p.index for p in found if p.column in requirement.any_of}
            unmet = _unmet(ds.tables[requirement.table], requirement, ds)
            found += [p for p in unmet if p.index not in said]


def _unmet(frame: pl.DataFrame, requirement: DataRequirement, ds: Dataset) -> list[Problem]:
    """Rows the model needs something of that they lack (e.g. an omsorg decision with
    neither a level nor granted time)."""
    condition = pl.lit(True)
    for column, values in requirement.where.items():
        if column not in frame.columns:
            return []
        typed = where_values(values, frame.schema[column])
        condition = condition & pl.col(column).is_in(typed.implode())
    present = [c for c in requirement.any_of if c in frame.columns]
    lacking = pl.all_horizontal([pl.col(c).is_null() for c in present]) if present else pl.lit(True)
    return [
        Problem(
            index,
            requirement.any_of[0],
            None,
            "missing-value",
            requirement.reason,
            f"needs {' or '.join(f'`{c}`' for c in requirement.any_of)} (the model's "
            f"`{requirement.name}`)",
        )
        for index in _rows(frame, condition.fill_null(False) & lacking)
    ]


def _unplaced(customers: pl.DataFrame, zones: dict[str, list[str]]) -> list[Problem]:
    """Customers whose district is in none of the model's zones (never a guessed zone)."""
    known = [d for districts in zones.values() for d in districts]
    return [
        Problem(
            index,
            "district",
            str(customers["district"][index]),
            "unmapped-district",
            f"district `{customers['district'][index]}` is in no zone of the model",
            _district_hint(str(customers["district"][index]), zones),
        )
        for index in _rows(
            customers, pl.col("district").is_not_null() & ~pl.col("district").is_in(known)
        )
    ]


def _district_hint(district: str, zones: dict[str, list[str]]) -> str:
    """How to place a district: a district the model has, written otherwise in the data
    (`skogen` for `Skogen`), named first."""
    add = (
        "add the district to one of the zones (" + ", ".join(zones) + ") under `zones:`, in "
        "the model or in a scenario that extends it"
    )
    zone_of = {d.casefold(): (d, zone) for zone, districts in zones.items() for d in districts}
    close = difflib.get_close_matches(district.casefold(), list(zone_of), n=1, cutoff=0.8)
    if not close:
        return add
    written, zone = zone_of[close[0]]
    return f"did you mean `{written}` (zone {zone})? correct the data, or {add}"


ZONES_TABLE = "zones"  # the data's own placing of districts in a model's zones


def zones_with_data(
    zones: dict[str, list[str]], ds: Dataset, model_id: str, diags: Diagnostics
) -> dict[str, list[str]]:
    """The model's zones, with the districts the data's `zones` table places in them for
    this model (a dataset from another municipality says how its districts count).
    A district the model already places, in another zone, is an error: the model's
    own word stands and is never silently overridden."""
    frame = ds.tables.get(ZONES_TABLE)
    if frame is None or frame.height == 0:
        return zones
    own = {d: zone for zone, districts in zones.items() for d in districts}
    merged = {zone: list(districts) for zone, districts in zones.items()}
    rows = frame.with_row_index("__i").filter(pl.col("model") == model_id)
    for index, zone, district in rows.select("__i", "zone", "district").iter_rows():
        where = ds.where(ZONES_TABLE, index, "zone")
        if zone not in merged:
            close = difflib.get_close_matches(str(zone), list(merged), n=1)
            diags.error(
                "bad-value",
                f"`{zone}` is not a zone of model `{model_id}`",
                where=where,
                hint=f"did you mean `{close[0]}`?"
                if close
                else "zones: " + ", ".join(merged)
                if merged
                else f"model `{model_id}` has no zones: a rule file names them under `zones:`",
            )
        elif district in own and own[district] != zone:
            diags.error(
                "bad-value",
                f"the model places district `{district}` in `{own[district]}`, not `{zone}`",
                where=ds.where(ZONES_TABLE, index, "district"),
            )
        elif district not in own:
            merged[zone].append(district)
            own[district] = zone
    return merged


def _no_district_placed(
    unplaced: list[Problem], zones: dict[str, list[str]], ds: Dataset, diags: Diagnostics
) -> None:
    districts = sorted({str(p.value) for p in unplaced})
    diags.error(
        "unmapped-district",
        "no customer's district is in a zone of the model: " + ", ".join(districts),
        where=f"{ds.origins.get('customers', 'customers')}:district",
        hint="is this the right model for this data? Place the districts in the model's zones ("
        + ", ".join(zones)
        + ") under `zones:`, in the model or in a scenario that extends it",
    )


def _unknown_references(ds: Dataset, name: str, proven: set[str]) -> list[Problem]:
    """Rows naming a customer or provider that is not in (or was rejected from) its
    table; a column whose every value was found among the party's ids as read
    (`proven`) is looked at again only if the party's table lost rows since."""
    frame = ds.tables[name]
    if frame.height == 0 or name in _party_tables():
        return []
    out = []
    for party in base_vocabulary().parties.values():
        column, table, what = party.key, party.table, party.name
        if column not in frame.columns or (column in proven and not ds.rejected(table)):
            continue
        if what == "provider" and ds.tables[table].height == 0 and not ds.rejected(table):
            continue  # no providers table given: nothing to check against
        ids = ds.tables[table][column].drop_nulls().unique()
        rejected = ds.rejected_ids.get(table, set())
        unknown = _rows(frame, pl.col(column).is_not_null() & ~pl.col(column).is_in(ids.implode()))
        decimals = _written_with_decimals(frame[column].gather(unknown), ids)
        for index in unknown:
            value = frame[column][index]
            was = " (its row there was rejected)" if str(value) in rejected else ""
            out.append(
                Problem(
                    index,
                    column,
                    str(value),
                    "unknown-reference",
                    f"{what} `{value}` is not in the {what}s table{was}",
                    _DECIMAL_ID_HINT.format(what=what) if str(value) in decimals else None,
                )
            )
    return out


def _written_with_decimals(named: pl.Series, ids: pl.Series) -> set[str]:
    """The unknown ids that are a party's whole-number id written with decimals (`1.0`
    for `1`): a column of ids read as numbers with decimals, as pandas makes of whole
    numbers with an empty cell."""
    text = named.cast(pl.String)
    whole = text.str.extract(r"^(-?\d+)\.0+$", 1)
    return set(text.filter(whole.is_in(ids.cast(pl.String).implode())).to_list())


_DECIMAL_ID_HINT = (  # one text for every such row: one warning says them all
    "the {what}s table has the id as a whole number: written with decimals (`1.0` for "
    "`1`, as pandas makes a column of whole numbers with an empty cell) it names no "
    "{what} — give the ids as text or whole numbers"
)


def _referenced_first(
    problems: Mapping[str, list[Problem]], known: Mapping[str, Table]
) -> list[str]:
    """The tables in their order, each after the tables its columns reference
    (`references:`): a row naming a row rejected there is rejected too."""
    ordered: list[str] = []

    def place(name: str, seen: frozenset[str]) -> None:
        if name in ordered or name in seen:
            return
        for column in known[name].columns.values():
            if column.references is not None and column.references in problems:
                place(column.references, seen | {name})
        ordered.append(name)

    for name in problems:
        place(name, frozenset())
    return ordered


def _unknown_rows_named(
    ds: Dataset, name: str, known: Mapping[str, Table], raw: Mapping[str, Source]
) -> list[Problem]:
    """Rows whose column names a row of the table it `references` that is not there (or
    was rejected there): an insats of a visit the visits file does not have was never
    paid, and nobody was told."""
    frame = ds.tables[name]
    # a customer's or provider's id referencing their table is looked up as a party's
    # (`_unknown_references`): said twice, one row read "(and others like it)"
    parties = {(p.key, p.table) for p in base_vocabulary().parties.values()}
    out = []
    for column in known[name].columns.values():
        target = known.get(column.references or "")
        if target is None or column.name not in frame.columns or len(target.key) != 1:
            continue
        if (column.name, target.name) in parties:
            continue
        ids = _named_keys(ds, target, raw, frame[column.name].drop_nulls().unique())
        if ids is None:
            continue
        # said of a value named by no row kept there, whose row was rejected; a value
        # named by a kept row is found, though a later row repeating its id was rejected
        # (V1's insatser were rejected beside a second V1, and V1 paid nothing for them)
        rejected = {str(r["id"]) for r in ds.rejects if r["table"] == target.name}
        values = pl.col(column.name)
        unknown = (
            frame.select(values)
            .with_row_index("__i")
            .filter(values.is_not_null() & ~values.is_in(ids.implode()))
        )
        for index, value in unknown.iter_rows():
            was = " (its row there was rejected)" if str(value) in rejected else ""
            out.append(
                Problem(
                    index,
                    column.name,
                    str(value),
                    "unknown-reference",
                    f"`{column.name}` {value} names no row of the {target.name} table{was}",
                )
            )
    return out


def _named_keys(
    ds: Dataset, table: Table, raw: Mapping[str, Source], named: pl.Series
) -> pl.Series | None:
    """Of the values `named`, those that are keys of the table's rows (its key of one
    column): as read and converted, or, for a table not read in this call (the visits
    of a run read a month at a time, read after the other tables), in its whole file
    (as text, stripped), streamed past the values named — a year of a country's visit
    ids is not held; none where the table has no file (an error of its own)."""
    (key,) = table.key
    source = raw.get(table.name)
    if source is None and not table.optional:  # no file: an error of its own, said once
        return None
    if source is None:  # a table that may be left out, and is: no row to name
        return named.head(0)
    frame = ds.tables.get(table.name)
    if frame is not None and key in frame.columns and table.name not in ds.unread:
        return named.filter(named.is_in(frame[key].implode()))
    keys = source.lazy().select(pl.col(key).cast(pl.String).str.strip_chars().alias(key))
    wanted = pl.LazyFrame({key: named.cast(pl.String)})
    found = keys.join(wanted, on=key, how="semi").unique().collect(engine="streaming")
    return found.to_series().cast(named.dtype, strict=False)


def _kind_words(column: Column) -> str:
    return {
        "date": "a date",
        "datetime": "a date and time",
        "integer": "a whole number",
        "number": "a number",
        "bool": "true or false",
        "text": "a text",
    }[column.kind]


def _kind_hint(column: Column) -> str | None:
    return {
        "date": "write dates as YYYY-MM-DD",
        "datetime": "write times as YYYY-MM-DD HH:MM (or with T, seconds and their "
        "fraction, or an instant's offset from UTC: 2024-03-01T07:30:00Z)",
        "bool": "write true/false (or ja/nej, 1/0)",
    }.get(column.kind)


_SHORT_YEAR = re.compile(r"(\d{1,4})-(\d{1,2}-\d{1,2}(?:[ T].*)?)")


def _short_year_hint(value: str, column: Column) -> str | None:
    """What to write for a date whose year has fewer than four digits (`24-12-01 21:30`,
    or a file's timestamp in the year 24): the year in full, 2024 if 24 meant it."""
    found = _SHORT_YEAR.fullmatch(value.strip())
    if column.kind not in ("date", "datetime") or found is None:
        return None
    year = int(found[1])
    if year >= EARLIEST_YEAR:
        return None
    example = f"{2000 + year}-{found[2]}" if year < 100 else None
    said = f"the year is {year}: write it with all four digits"
    return said + (f", {example} if {year} is {2000 + year}" if example else "")


def _midnight_hint(value: str, column: Column) -> str | None:
    """What to write for `2024-03-01 24:00`, the midnight ending a day as a schedule may
    write it: the next day's 00:00 (a date and time has no hour 24)."""
    found = re.fullmatch(r"(\d{4}-\d\d-\d\d)[ T]24[:.]00(?::00)?", value.strip())
    if column.kind != "datetime" or found is None:
        return None
    try:
        day = date.fromisoformat(found[1])
    except ValueError:
        return None
    return f"24:00 is the midnight ending the day: write it as {day + timedelta(days=1)} 00:00"


_CLOCK = re.compile(r"(\d{1,3}):([0-5]\d)")


def _clock_hint(value: str, column: Column) -> str | None:
    """What to write for a duration written as on a clock, `2:30`, in a column of hours or
    minutes: it is read as no number, since it may be hours and minutes or minutes and
    seconds, and the hint gives the number it is in the column's unit."""
    found = _CLOCK.fullmatch(value.strip())
    factor = t.UNITS[column.unit][1] if column.unit in t.UNITS else None
    if found is None or factor not in (1.0, 60.0):
        return None
    first, second = int(found[1]), int(found[2])
    minutes = first * 60 + second
    if factor == 60.0:
        hours = swedish_number(Decimal(minutes) / 60, "0.######")
        return f"write the hours as a number: {hours} for {first} h {second} min"
    of_seconds = swedish_number(Decimal(minutes) / 60, "0.######")
    return (
        f"write the minutes as a number: {minutes} for {first} h {second} min "
        f"({of_seconds} if it was {first} min {second} s)"
    )


def _unit_hint(value: str, column: Column) -> str | None:
    """What to write for a number in a unit other than its column's: `20 min` in a
    column of hours is 0,333333 h; `10 kr` in a column of per cents is not a share (the
    hint was to write the number without a power of ten)."""
    parts = split_quantity(value)
    if parts is None or parts[1] is None or column.unit is None:
        return None
    number, unit = parts
    if unit not in t.UNITS or column.unit not in t.UNITS or unit == column.unit:
        return None
    (theirs, their_factor), (ours, our_factor) = t.UNITS[unit], t.UNITS[column.unit]
    if not theirs.same_dimension(ours):
        return f"the column holds {t.describe(ours)} in {column.unit}, and {unit} is {t.describe(theirs)}"
    converted = number * Decimal(str(their_factor)) / Decimal(str(our_factor))
    shown = swedish_number(converted, "0.######")
    return f"the column is in {column.unit}: write {shown} for {value.strip()}"


def _two_readings(index: int, name: str, value: str) -> Problem | None:
    """The problem of a value that may be read two ways, `12,500` or `1.200`, with both
    readings and what to write for each; None for any other."""
    for pattern, readings, sign in (
        (AMBIGUOUS_COMMA, comma_readings, "comma"),
        (AMBIGUOUS_POINT, point_readings, "point"),
    ):
        number = _ambiguous_number(value, pattern)
        if number is None:
            continue
        decimal, whole = readings(number)
        hint = (
            f"write {whole} for thousands, or {decimal_as_read(number)} for decimals: a "
            f"{sign} before three digits may separate thousands, so it is read as neither"
        )
        return Problem(
            index, name, value, "bad-value", f"`{value}` may be {decimal} or {whole}", hint
        )
    return None


def _ambiguous_number(value: str, pattern: re.Pattern[str]) -> str | None:
    """The number of a value that may be read two ways (`12,500`, `1.200`), alone or
    with its unit after it (`1.250 kr`), or None."""
    unit = r"(?:[ \u00a0\u202f]?(?:%|[^\W\d_][^\d]*))?"  # `kr`, `SEK/h`, `%`
    found = re.fullmatch(rf"({pattern.pattern}){unit}", ascii_minus(value.strip()))
    return found[1] if found else None


def _number_hint(value: str) -> str | None:
    """What to write for a number with a power of ten, spaces not between thousands or
    points between them."""
    if not re.search(_NOT_A_WRITTEN_NUMBER, value.strip()):
        return None
    if "." in value and "," in value or value.count(".") > 1:  # `1.200,50`, `1.200.000`
        return (
            "write the number without points between thousands, as 1200,5 or 1 200,5 (a "
            "space only between thousands, a comma or a point before the decimals)"
        )
    return (
        "write the number out, as 1234,5 or 1 234,5 (a space only between thousands; not "
        "as 1,2E+03, which is how Excel shows a long number, its last digits lost)"
    )


def dataset_from_rows(
    rows: dict[str, list[dict[str, Any]]],
    *,
    zones: dict[str, list[str]] | None = None,
    requirements: Iterable[DataRequirement] = (),
    known: dict[str, Table] | None = None,
) -> Dataset:
    """A dataset from rows written inline (model tests, the Python API): each value is
    read as the text a CSV cell would hold, and the checks of a run apply (the model's
    tables, zones and data requirements too, when given), each problem an error. Rows
    are numbered from 1 within their table."""
    known = known if known is not None else tables()
    diags = Diagnostics()
    ds = Dataset({}, {name: name for name in known}, {name: 1 for name in known})
    problems: dict[str, list[Problem]] = {}
    for name, table in known.items():
        if rows.get(name):
            # a row written by hand leaves out what is empty: a decision with no
            # `end_date` is open, where a file without the column is an error
            table = replace(
                table, required=tuple(c for c in table.required if not table.columns[c].nullable)
            )
            frame = _text_frame(rows[name])
            _undeclared_error(name, table, frame.columns, diags)
            frame = frame.select(c for c in frame.columns if c in table.columns)
            ds.input_rows[name] = frame.height
            both = _converted_table(ds, name, table, frame, frame.schema, None, set(), diags)
            if both is None:
                ds.tables[name], problems[name] = empty_table(table), []
                continue
            ds.tables[name] = both[1]
            problems[name] = _row_problems(ds, name, table, both[0], both[1], both[3])
        else:
            ds.tables[name] = empty_table(table)
    _add_unmet(problems, requirements, ds)
    customers = _party_table("customer")
    if zones and customers in problems:
        problems[customers] += _unplaced(ds.tables[customers], zones)
    for name in rows:
        if name not in known:
            diags.error(
                "missing-table",
                f"`{name}` is not an input table",
                hint="tables: " + ", ".join(known),
            )
    parties_first = {
        n: problems[n] for n in sorted(problems, key=lambda n: n not in _party_tables())
    }
    for name in _referenced_first(parties_first, known):
        found = problems[name] + _unknown_references(ds, name, set())
        found += _unknown_rows_named(ds, name, known, ds.tables)
        _settle(ds, name, found, diags, strict=True)
    diags.raise_if_errors()
    return ds


def _undeclared_error(name: str, table: Table, given: list[str], diags: Diagnostics) -> None:
    """A column written inline (a model test's row) that the table does not declare is
    a mistake, not data to leave unread: `inställdd: true` was dropped with a warning
    nobody saw, and the case passed as if the visit had not been cancelled."""
    for column in given:
        if column not in table.columns:
            close = difflib.get_close_matches(column, list(table.columns), n=1)
            diags.error(
                "undeclared-column",
                f"`{column}` is no column of {name}",
                where=name,
                hint=f"did you mean `{close[0]}`?"
                if close
                else f"declare it: vocabulary: {{columns: {{{name}: {{{column}: {{type: text}}}}}}}}",
            )


def _text_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    data = {c: [cell_text(row.get(c)) for row in rows] for c in columns}
    return pl.DataFrame(data, schema={c: pl.String for c in columns})


def cell_text(value: Any) -> str | None:
    """A value as the text a CSV cell would hold (booleans as true/false; a number with
    a point before three digits so that the point is read as a decimal point)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a number, never thousands: 1.125 as `1.1250`
        return _decimals_told(repr(value))
    return str(value)
