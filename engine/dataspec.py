"""A model's data specification: the tables and columns a run reads, in Swedish, for
the system (or the vendor) that exports a municipality's data — and empty files with
the right headings to start from. Decided by `api.data_contract`, as the reader
decides what to read and check."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from engine.api import ColumnContract, TableContract
from engine.catalog import Column, base_vocabulary
from engine.data import WRITTEN_UNITS, order_pairs
from engine.model import Model

KINDS = {
    "text": "text",
    "integer": "heltal",
    "number": "tal",
    "date": "datum (ÅÅÅÅ-MM-DD)",
    "datetime": "datum och tid (ÅÅÅÅ-MM-DD TT:MM)",
    "bool": "ja/nej",
}
HEADINGS = ("kolumn", "typ", "måste finnas", "får vara tom", "läses av regler")
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


def _row(c: ColumnContract) -> tuple[str, ...]:
    return (
        c.name,
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


def _notes(c: ColumnContract, base: set[str], before: str | None = None) -> list[str]:
    """The lines under a column: its values, the column it may not be before (a
    period's end), the model's description of a column of its own (carepay's are in
    English), and what a file without it is read as."""
    notes = []
    if before:
        notes.append(f"    en rad där {c.name} är före {before} avvisas")
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


def render_text(model: Model, tables: list[TableContract]) -> str:
    """The specification as a reader sees it: per table whether its file must be there,
    then a line per column."""
    lines = [f"Data som {model.title} ({model.id}) läser", ""]
    lines += textwrap.wrap(
        "Varje tabell är en fil: <tabell>.csv eller .parquet i en mapp, eller ett blad i "
        "en arbetsbok. En kolumn som inte står här läses inte. Kolumnernas namn kan "
        "översättas till exportens egna i columns.yaml.",
        WIDTH,
    )
    base = base_vocabulary().tables  # carepay's own: their descriptions are in English
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
        lines += ["", f"{table.name} — {need}"]
        if table.description and table.name not in base:
            lines += _indented(table.description, "  ")
        rows = [HEADINGS, *(_row(c) for c in contract.columns)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADINGS))]
        lines.append(_aligned(HEADINGS, widths))
        shown = {c.name for c in contract.columns}
        starts = {end: start for start, end in order_pairs(table) if {start, end} <= shown}
        for c in contract.columns:
            lines.append(_aligned(_row(c), widths))
            own = set(base[table.name].columns) if table.name in base else set()
            lines += _notes(c, own, starts.get(c.name))
            first, last = table.span
            if c.name == last and table.max_hours is not None and first in shown:
                lines.append(f"    en rad som varar längre än {table.max_hours} h avvisas")
    return "\n".join(lines) + "\n"


def to_json(model: Model, tables: list[TableContract]) -> str:
    """The specification for programs: names and kinds in carepay's words."""
    document: dict[str, Any] = {
        "model": model.id,
        "tables": [
            {
                "table": t.table.name,
                "required": t.required,
                "columns": [
                    {
                        "column": c.name,
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
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_templates(out: Path, model: Model, tables: list[TableContract]) -> list[Path]:
    """An empty CSV file per table with the columns' headings, and the specification
    beside them; a file already there is never overwritten."""
    wanted = [out / f"{t.table.name}.csv" for t in tables] + [out / SPEC_FILE]
    there = [p.name for p in wanted if p.exists()]
    if there:
        raise FileExistsError(", ".join(there))
    out.mkdir(parents=True, exist_ok=True)
    for contract, path in zip(tables, wanted, strict=False):
        path.write_text(",".join(c.name for c in contract.columns) + "\n", encoding="utf-8")
    wanted[-1].write_text(render_text(model, tables), encoding="utf-8")
    return wanted
