"""A model's data specification: the tables and columns a run reads, in Swedish, for
the system (or the vendor) that exports a municipality's data — and empty files with
the right headings to start from. Decided by `api.data_contract`, as the reader
decides what to read and check."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.api import ColumnContract, TableContract
from engine.catalog import Column, base_vocabulary
from engine.data import WRITTEN_UNITS, order_pairs
from engine.headers import COLUMNS_FILE, Headers
from engine.model import DataRequirement, Model

KINDS = {
    "text": "text",
    "integer": "heltal",
    "number": "tal",
    "date": "datum (ÅÅÅÅ-MM-DD)",
    "datetime": "datum och tid (ÅÅÅÅ-MM-DD TT:MM)",
    "bool": "ja/nej",
}
HEADINGS = ("kolumn", "typ", "måste finnas", "får vara tom", "läses av regler")
# with the export's own names (`columns.yaml`): theirs first, carepay's beside
NAMED_HEADINGS = ("kolumn i exporten", "i carepay", *HEADINGS[1:])
SPEC_FILE = "dataspecifikation.txt"
WIDTH = 88  # characters of a line of prose


def kind_words(column: Column) -> str:
    """`tal (min)`: the kind of value, and the unit it is written in."""
    words = KINDS.get(column.kind, column.kind)
    return f"{words} ({column.unit})" if column.unit else words


def values_words(column: Column) -> str:
    """The values a cell may hold: its code list, or its range."""
    codes = getattr(column.type, "values", None)
    if codes:
        return ", ".join(codes)
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)}"
    if low is not None:
        return f"minst {_number(low)}"
    if high is not None:
        return f"högst {_number(high)}"
    return ""


def _value(value: object) -> str:
    """A declared default as the data would write it: `nej`, `1,5`, `omsorg`."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


class _Names:
    """The names the export gives a table's file and its columns (`columns.yaml`), or
    carepay's where it gives none."""

    def __init__(self, headers: Headers | None) -> None:
        self.given = headers is not None
        self.files = headers.files if headers else {}
        self.columns = {
            table: {ours: theirs for theirs, ours in renames.items()}
            for table, renames in (headers.columns if headers else {}).items()
        }

    def file(self, table: str) -> str:
        return self.files.get(table, table)

    def column(self, table: str, column: str) -> str:
        return self.columns.get(table, {}).get(column, column)


def _row(c: ColumnContract, heading: str | None = None) -> tuple[str, ...]:
    named = (heading, c.name) if heading is not None else (c.name,)
    return (
        *named,
        kind_words(c.column),
        "ja" if c.required else "nej",
        "ja" if c.column.nullable else "nej",
        "ja" if c.read_by_rules else "",
    )


def _aligned(row: tuple[str, ...], widths: list[int]) -> str:
    cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
    return ("  " + "  ".join(cells)).rstrip()


def _indented(text: str, indent: str, more: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=more or indent)


def _notes(c: ColumnContract, base: set[str], heading: str, before: str | None = None) -> list[str]:
    """The lines under a column (named `heading` in the data): its values, the column
    it may not be before (a period's end), the model's description of a column of its
    own (carepay's are in English), and what a file without it is read as."""
    notes = []
    if before:
        notes.append(f"    en rad där {heading} är före {before} avvisas")
    said = values_words(c.column)
    if said:
        notes += _indented(f"värden: {said}", "    ", "      ")
    written = WRITTEN_UNITS.get(c.column.unit) if c.column.kind in ("integer", "number") else None
    if written:  # as the reader reads it (`data._unit_dropped`)
        example = "12" if c.column.kind == "integer" else "12,5"
        notes.append(f"    skrivs {example} eller {example} {written[0]}")
    if c.column.references:  # a row naming no row there is rejected
        notes.append(f"    ett värde som inte finns som id i {c.column.references} avvisar raden")
    if c.column.description and c.name not in base:
        notes += _indented(c.column.description, "    ")
    if not c.required and c.column.default is not None:
        notes.append(f"    saknas kolumnen läses varje rad som {_value(c.column.default)}")
    return notes


def render_text(model: Model, tables: list[TableContract], headers: Headers | None = None) -> str:
    """The specification as a reader sees it: per table whether its file must be there,
    then a line per column; with `headers`, by the names the export gives them."""
    names = _Names(headers)
    lines = [f"Data som {model.title} ({model.id}) läser", ""]
    lines += textwrap.wrap(
        "Varje tabell är en fil: <tabell>.csv eller .parquet i en mapp, eller ett blad i "
        "en arbetsbok. En kolumn som inte står här läses inte. "
        + (
            f"Namnen är exportens egna, som {COLUMNS_FILE} översätter dem: en tabells "
            "namn i carepay inom parentes, en kolumns i kolumnen i carepay."
            if names.given
            else f"Kolumnernas namn kan översättas till exportens egna i {COLUMNS_FILE}."
        ),
        WIDTH,
    )
    base = base_vocabulary().tables  # carepay's own: their descriptions are in English
    headings = NAMED_HEADINGS if names.given else HEADINGS
    for contract in tables:
        table = contract.table
        need = (
            "måste finnas"
            if contract.required
            else "får saknas, men läses då som tom och körningen slutar med status 5 (finns "
            "inga rader: en fil med bara rubrikerna)"
            if contract.reviewed_if_missing
            else "får saknas (läses då som tom)"
        )
        file = names.file(table.name)
        title = f"{file} ({table.name})" if file != table.name else table.name
        lines += ["", f"{title} — {need}"]
        if table.description and table.name not in base:
            lines += _indented(table.description, "  ")

        def heading(column: str, table: str = table.name) -> str:
            return names.column(table, column)

        def row(c: ColumnContract) -> tuple[str, ...]:
            return _row(c, heading(c.name) if names.given else None)

        rows = [headings, *(row(c) for c in contract.columns)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(headings))]
        lines.append(_aligned(headings, widths))
        shown = {c.name for c in contract.columns}
        starts = {end: start for start, end in order_pairs(table) if {start, end} <= shown}
        for c in contract.columns:
            lines.append(_aligned(row(c), widths))
            own = set(base[table.name].columns) if table.name in base else set()
            start = starts.get(c.name)
            lines += _notes(c, own, heading(c.name), heading(start) if start else None)
            first, last = table.span
            if c.name == last and table.max_hours is not None and first in shown:
                lines.append(f"    en rad som varar längre än {table.max_hours} h avvisas")
        if table.unique_rows:
            but = f" utom {', '.join(heading(k) for k in table.key)}" if table.key else ""
            lines += _indented(
                f"en rad som är lik en tidigare i varje kolumn{but} avvisas (samma "
                "rad exporterad två gånger)",
                "  ",
            )
        for requirement in contract.requirements:
            lines += _indented(_requirement_words(requirement, heading), "  ", "    ")
    return "\n".join(lines) + "\n"


def _requirement_words(requirement: DataRequirement, heading: Callable[[str], str]) -> str:
    """A data requirement of the model as the export must meet it: `en rad där service
    är avlosning och hours_per_month är tom avvisas: <the model's reason>`."""
    where = [
        f"{heading(column)} är {' eller '.join(_value(v) for v in values)}"
        for column, values in requirement.where.items()
    ]
    named = [heading(c) for c in requirement.any_of]
    empty = (
        f"{named[0]} är tom"
        if len(named) == 1
        else f"{', '.join(named[:-1])} och {named[-1]} alla är tomma"
    )
    return f"en rad där {' och '.join([*where, empty])} avvisas: {requirement.reason}"


def to_json(model: Model, tables: list[TableContract], headers: Headers | None = None) -> str:
    """The specification for programs: names and kinds in carepay's words, and the
    names the data gives a table's file and its columns (`file`, `heading`: carepay's
    where `columns.yaml` gives none)."""
    names = _Names(headers)
    document: dict[str, Any] = {
        "model": model.id,
        "tables": [
            {
                "table": t.table.name,
                "file": names.file(t.table.name),
                "required": t.required,
                "repeated_rows_rejected": t.table.unique_rows,
                "requirements": [
                    {
                        "name": r.name,
                        "where": {names.column(t.table.name, c): v for c, v in r.where.items()},
                        "any_of": [names.column(t.table.name, c) for c in r.any_of],
                        "reason": r.reason,
                    }
                    for r in t.requirements
                ],
                "columns": [
                    {
                        "column": c.name,
                        "heading": names.column(t.table.name, c.name),
                        "type": c.column.kind,
                        "unit": c.column.unit or None,
                        "required": c.required,
                        "nullable": c.column.nullable,
                        "values": list(getattr(c.column.type, "values", None) or []) or None,
                        "minimum": c.column.minimum,
                        "maximum": c.column.maximum,
                        "default": c.column.default,
                        "read_by_rules": c.read_by_rules,
                    }
                    for c in t.columns
                ],
            }
            for t in tables
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"


def write_templates(
    out: Path,
    model: Model,
    tables: list[TableContract],
    headers: Headers | None = None,
    names_file: Path | None = None,
) -> list[Path]:
    """An empty CSV file per table with the columns' headings, and the specification
    beside them; with `headers`, each file and heading named as the export names it,
    and its `columns.yaml` (`names_file`) copied beside them, so that the files read as
    they are. A file already there is never overwritten."""
    names = _Names(headers)
    wanted = [out / f"{names.file(t.table.name)}.csv" for t in tables] + [out / SPEC_FILE]
    if names_file is not None:
        wanted.append(out / COLUMNS_FILE)
    there = [p.name for p in wanted if p.exists()]
    if there:
        raise FileExistsError(", ".join(there))
    out.mkdir(parents=True, exist_ok=True)
    for contract, path in zip(tables, wanted, strict=False):
        headings = [names.column(contract.table.name, c.name) for c in contract.columns]
        line = io.StringIO()  # a heading with a comma in it is quoted, as a CSV file's are
        csv.writer(line, lineterminator="\n").writerow(headings)
        path.write_text(line.getvalue(), encoding="utf-8")
    wanted[len(tables)].write_text(render_text(model, tables, headers), encoding="utf-8")
    if names_file is not None:
        wanted[-1].write_bytes(names_file.read_bytes())
    return wanted
