"""Input data -> canonical tables. Reads a directory of CSV or Parquet files, or one
XLSX workbook (a sheet per table), converts every column to its declared type and
unit, and reports each problem by table, row and column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from engine import types as t
from engine.catalog import Column, Table, tables
from engine.diagnostics import Diagnostics

ROW_OFFSET_CSV = 2  # data row i is on line i + 2 of a CSV file (line 1 is the header)
MAX_ROWS_REPORTED = 5  # per column and problem; the rest are counted

_TRUE = {"true", "1", "yes", "ja", "sant", "t", "y", "j"}
_FALSE = {"false", "0", "no", "nej", "falskt", "f", "n"}
_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


@dataclass
class Dataset:
    """The canonical tables of one dataset, and where each came from."""

    tables: dict[str, pl.DataFrame]
    origins: dict[str, str]  # table -> file (or workbook!sheet)
    row_offset: dict[str, int]  # table -> add to a 0-based index to get the file's row number

    def where(self, table: str, index: int, column: str) -> str:
        return f"{self.origins.get(table, table)}:{index + self.row_offset.get(table, 1)}:{column}"


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


def _read_files(
    path: Path, diags: Diagnostics
) -> tuple[dict[str, pl.DataFrame], dict[str, str], dict[str, int]]:
    raw: dict[str, pl.DataFrame] = {}
    origins: dict[str, str] = {}
    offsets: dict[str, int] = {}
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        for name, frame in _read_workbook(path, diags).items():
            raw[name] = frame
            origins[name] = f"{path.name}!{name}"
            offsets[name] = ROW_OFFSET_CSV
        return raw, origins, offsets
    if not path.is_dir():
        diags.error("file-not-found", f"no data directory or workbook at {path}")
        return raw, origins, offsets
    for name in tables():
        parquet, csv = path / f"{name}.parquet", path / f"{name}.csv"
        try:
            if parquet.exists():
                raw[name] = pl.read_parquet(parquet)
                origins[name], offsets[name] = parquet.name, 1
            elif csv.exists():
                raw[name] = _read_csv(csv)
                origins[name], offsets[name] = csv.name, ROW_OFFSET_CSV
        except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
            diags.error(
                "bad-value",
                f"cannot read {name}: {str(error).splitlines()[0]}",
                where=str(csv if csv.exists() else parquet),
            )
    return raw, origins, offsets


def _read_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")  # Excel exports on Swedish Windows
    first = text.split("\n", 1)[0]
    separator = ";" if first.count(";") > first.count(",") else ","
    return pl.read_csv(
        text.encode("utf-8"),
        separator=separator,
        infer_schema=False,
    )


def _read_workbook(path: Path, diags: Diagnostics) -> dict[str, pl.DataFrame]:
    import openpyxl  # only needed for workbooks

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        diags.error("bad-value", f"cannot read the workbook: {error}", where=str(path))
        return {}
    out: dict[str, pl.DataFrame] = {}
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            continue
        names = [
            str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)
        ]
        columns: dict[str, list[str | None]] = {n: [] for n in names}
        for row in rows:
            for name, value in zip(names, row, strict=False):
                columns[name].append(_cell_text(value))
            for name in names[len(row) :]:
                columns[name].append(None)
        out[sheet.title.strip()] = pl.DataFrame(columns, schema={n: pl.String for n in names})
    return out


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return, attr-defined]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _convert(frame: pl.DataFrame, column: Column) -> pl.Expr:
    """An expression converting the raw column to its canonical type and unit."""
    raw = pl.col(column.name)
    dtype = frame.schema[column.name]
    if dtype != pl.String:
        if column.kind == "number":
            num, den = t.unit_factor(column.unit)
            return raw.cast(pl.Float64, strict=False) * num / den
        return raw.cast(_dtype(column), strict=False)
    text = raw.str.strip_chars()
    text = pl.when(text == "").then(None).otherwise(text)
    match column.kind:
        case "text":
            return text
        case "date":
            return text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        case "datetime":
            return pl.coalesce(
                [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DATETIME_FORMATS]
            )
        case "integer":
            return text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
        case "number":
            num, den = t.unit_factor(column.unit)
            return (
                text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False) * num / den
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


def _report(
    ds: Dataset,
    table: str,
    rows: list[int],
    column: str,
    message: str,
    diags: Diagnostics,
    hint: str | None = None,
) -> None:
    for index in rows[:MAX_ROWS_REPORTED]:
        diags.error("bad-value", message, where=ds.where(table, index, column), hint=hint)
    if len(rows) > MAX_ROWS_REPORTED:
        diags.error(
            "bad-value",
            f"… {len(rows) - MAX_ROWS_REPORTED} more rows like these",
            where=f"{ds.origins.get(table, table)}:{column}",
        )


def _rows(frame: pl.DataFrame, mask: pl.Expr) -> list[int]:
    return frame.with_row_index("__i").filter(mask)["__i"].to_list()


def load_data(path: str | Path, needs: dict[str, set[str]], diags: Diagnostics) -> Dataset:
    """Read and validate every table; `needs` names the tables and columns the model reads."""
    raw, origins, offsets = _read_files(Path(path), diags)
    ds = Dataset({}, origins, offsets)
    for name, table in tables().items():
        needed = needs.get(name)
        if name not in raw:
            if needed is not None and table.optional:
                diags.warning(
                    "missing-table",
                    f"the data has no `{name}` table; the run treats it as empty",
                    where=str(path),
                )
            elif needed is not None:
                diags.error(
                    "missing-table",
                    f"the data has no `{name}` table, which the model needs",
                    where=str(path),
                    hint=f"add {name}.csv (or .parquet, or a sheet named {name})",
                )
            ds.tables[name] = empty_table(table)
            continue
        ds.tables[name] = _canonical(ds, name, table, raw[name], needed or set(), diags)
    _check_references(ds, diags)
    return ds


def _canonical(
    ds: Dataset, name: str, table: Table, frame: pl.DataFrame, needed: set[str], diags: Diagnostics
) -> pl.DataFrame:
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    missing = [
        c for c in table.columns if c not in frame.columns and (c in table.required or c in needed)
    ]
    for column_name in missing:
        close = difflib.get_close_matches(column_name, frame.columns, n=1)
        diags.error(
            "missing-column",
            f"`{name}` has no column `{column_name}`",
            where=ds.origins.get(name, name),
            hint=f"did you mean `{close[0]}`? (rename the column)" if close else None,
        )
    exprs = []
    for column in table.columns.values():
        if column.name in frame.columns:
            exprs.append(_convert(frame, column).alias(column.name))
        else:
            exprs.append(pl.lit(None, dtype=_dtype(column)).alias(column.name))
    extra = [pl.col(c) for c in frame.columns if c not in table.columns]
    converted = frame.select(exprs + extra)
    for column in table.columns.values():
        if column.name not in frame.columns:
            continue
        raw_text = pl.col(column.name).cast(pl.String).str.strip_chars()
        present = raw_text.is_not_null() & (raw_text != "")
        bad = _rows(
            frame.with_columns(converted[column.name].alias("__new")),
            present & pl.col("__new").is_null(),
        )
        if bad:
            _report(
                ds,
                name,
                bad,
                column.name,
                f"`{frame[column.name][bad[0]]}` is not {_kind_words(column)}",
                diags,
                _kind_hint(column),
            )
        if not column.nullable:
            empty = _rows(frame, ~present)
            if empty:
                _report(ds, name, empty, column.name, f"`{column.name}` is empty", diags)
        if isinstance(column.type, t.Text) and column.type.values:
            allowed = list(column.type.values)
            wrong = _rows(
                converted, pl.col(column.name).is_not_null() & ~pl.col(column.name).is_in(allowed)
            )
            for index in wrong[:MAX_ROWS_REPORTED]:
                value = converted[column.name][index]
                close = difflib.get_close_matches(str(value), allowed, n=1)
                diags.error(
                    "bad-value",
                    f"`{value}` is not a known {column.name}",
                    where=ds.where(name, index, column.name),
                    hint=f"did you mean `{close[0]}`?"
                    if close
                    else "allowed: " + ", ".join(allowed),
                )
            if len(wrong) > MAX_ROWS_REPORTED:
                diags.error(
                    "bad-value",
                    f"… {len(wrong) - MAX_ROWS_REPORTED} more unknown {column.name} values",
                    where=f"{ds.origins.get(name, name)}:{column.name}",
                )
    for start, end in (
        ("start_date", "end_date"),
        ("start", "end"),
        ("period_start", "period_end"),
    ):
        if start in converted.columns and end in converted.columns:
            for index in _rows(converted, pl.col(end) < pl.col(start))[:MAX_ROWS_REPORTED]:
                diags.error(
                    "bad-date",
                    f"`{end}` {converted[end][index]} is before `{start}` {converted[start][index]}",
                    where=ds.where(name, index, end),
                )
    for key in table.key:
        if key in converted.columns:
            dup = _rows(converted, pl.col(key).is_duplicated() & pl.col(key).is_not_null())
            for index in dup[:MAX_ROWS_REPORTED]:
                diags.error(
                    "duplicate-id",
                    f"`{key}` {converted[key][index]} appears more than once",
                    where=ds.where(name, index, key),
                )
    return converted


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
        "datetime": "write times as YYYY-MM-DD HH:MM (or with T and seconds)",
        "bool": "write true/false (or ja/nej, 1/0)",
    }.get(column.kind)


def dataset_from_rows(rows: dict[str, list[dict[str, Any]]]) -> Dataset:
    """A dataset from rows written inline (model tests, the Python API): each value is
    read as the text a CSV cell would hold, so the same checks apply. Rows are
    numbered from 1 within their table."""
    diags = Diagnostics()
    ds = Dataset({}, {name: name for name in tables()}, {name: 1 for name in tables()})
    for name, table in tables().items():
        if rows.get(name):
            ds.tables[name] = _canonical(ds, name, table, _text_frame(rows[name]), set(), diags)
        else:
            ds.tables[name] = empty_table(table)
    for name in rows:
        if name not in tables():
            diags.error(
                "missing-table",
                f"`{name}` is not an input table",
                hint="tables: " + ", ".join(tables()),
            )
    _check_references(ds, diags)
    diags.raise_if_errors()
    return ds


def _text_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    data = {c: [cell_text(row.get(c)) for row in rows] for c in columns}
    return pl.DataFrame(data, schema={c: pl.String for c in columns})


def cell_text(value: Any) -> str | None:
    """A value as the text a CSV cell would hold (booleans as true/false)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_references(ds: Dataset, diags: Diagnostics) -> None:
    known = {
        "customer_id": set(ds.tables["customers"]["customer_id"].drop_nulls().to_list()),
        "provider_id": set(ds.tables["providers"]["provider_id"].drop_nulls().to_list()),
    }
    for name in ("decisions", "visits", "journals", "absences", "premium_claims"):
        frame = ds.tables[name]
        if frame.height == 0:
            continue
        for column, ids in known.items():
            if (
                column not in frame.columns
                or not ids
                and column == "provider_id"
                and ds.tables["providers"].height == 0
            ):
                continue
            unknown = _rows(frame, pl.col(column).is_not_null() & ~pl.col(column).is_in(list(ids)))
            what = "customer" if column == "customer_id" else "provider"
            for index in unknown[:MAX_ROWS_REPORTED]:
                diags.error(
                    "unknown-reference",
                    f"{what} `{frame[column][index]}` is not in the {what}s table",
                    where=ds.where(name, index, column),
                )
            if len(unknown) > MAX_ROWS_REPORTED:
                diags.error(
                    "unknown-reference",
                    f"… {len(unknown) - MAX_ROWS_REPORTED} more rows refer to unknown {what}s",
                    where=f"{ds.origins.get(name, name)}:{column}",
                )
