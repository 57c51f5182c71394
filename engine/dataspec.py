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
    base_tables = base_vocabulary().tables  # their descriptions are in English
    own, own_columns = set(base_tables), {n: set(t.columns) for n, t in base_tables.items()}
    for contract in tables:
        table = contract.table
        need = "måste finnas" if contract.required else "får saknas (läses då som tom)"
        lines += ["", f"{table.name} — {need}"]
        if table.description and table.name not in own:  # the base's are in English
            lines += textwrap.wrap(table.description, WIDTH, initial_indent="  ",
                                   subsequent_indent="  ")  # fmt: skip
        rows = [HEADINGS, *(_row(c) for c in contract.columns)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADINGS))]
        for row, c in zip(rows, [None, *contract.columns], strict=True):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            lines.append(("  " + "  ".join(cells)).rstrip())
            said = values_words(c.column) if c is not None else ""
            if said:
                lines += textwrap.wrap(f"värden: {said}", WIDTH, initial_indent="    ",
                                       subsequent_indent="      ")  # fmt: skip
            base = own_columns.get(table.name, set())
            if c is not None and c.column.description and c.name not in base:
                lines += textwrap.wrap(c.column.description, WIDTH, initial_indent="    ",
                                       subsequent_indent="    ")  # fmt: skip
            if c is not None and not c.required and c.column.default is not None:
                lines.append(f"    saknas kolumnen läses varje rad som {_value(c.column.default)}")
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
