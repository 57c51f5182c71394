"""The data's own column names: a municipality's export names its columns as its
system does (`besöks_id`, `kund`), and `columns.yaml` beside the tables says once
which of carepay's columns each one is, instead of every month's files being
renamed by hand:

    Besök: visits          # the table's file (or sheet), where the export names it so
    visits:
      besöks_id: visit_id
      kund: customer_id

Read by `data.load_data` for a data directory; each mistake is an error at its line
(an unknown table or column of the model, two of the data's columns for one), since a
column renamed to nothing would leave the model's column missing or, worse, unread."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.catalog import Table
from engine.diagnostics import Diagnostics

COLUMNS_FILE = "columns.yaml"

MAX_BYTES = 1_000_000
TWICE = " is given twice"

Renames = dict[str, dict[str, str]]  # table -> the data's column -> the model's column


@dataclass(frozen=True)
class Headers:
    """What `columns.yaml` says: the data's own column names of each table, and the
    name of a table's file (or sheet) where the export names it otherwise (`Besök:
    visits`: the visits are `Besök.csv`, or a workbook's sheet `Besök`)."""

    columns: Renames = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # table -> the data's name for it


def read_headers(directory: Path, known: Mapping[str, Table], diags: Diagnostics) -> Headers | None:
    """What `columns.yaml` in the data directory says (None when there is none)."""
    path = directory / COLUMNS_FILE
    if not path.is_file():
        return None
    data = path.read_bytes()
    if len(data) > MAX_BYTES:  # a list of names, not a data file
        diags.error("schema", f"{COLUMNS_FILE} is {len(data):,} bytes; it names columns, "
                    f"at most {MAX_BYTES:,} bytes", where=str(path))  # fmt: skip
        return Headers()
    try:  # saved by a Swedish Windows editor, it may be Windows-1252 (as CSV exports are)
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        spec = yaml.load(text, Loader=_NoDuplicates)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or ""
        if problem.endswith(TWICE):
            message = f"{COLUMNS_FILE}: {problem}; which one is meant cannot be guessed"
            diags.error("duplicate-key", message, where=where)
        else:
            diags.error("yaml-syntax", f"{COLUMNS_FILE} is not valid YAML", where=where)
        return Headers()
    if spec is None:
        return Headers()
    if not isinstance(spec, dict) or not all(isinstance(v, dict | str) for v in spec.values()):
        diags.error(
            "schema",
            f"{COLUMNS_FILE} gives, per table, the data's column and carepay's name for it "
            "(and, where a table's file is named otherwise, that name and the table's)",
            where=str(path),
            hint="visits: {besöks_id: visit_id, kund: customer_id}; Besök: visits",
        )
        return Headers()
    out = Headers()
    for table, renames in spec.items():
        name = str(table)
        if isinstance(renames, str):
            _file_name(diags, path, text, known, out.files, name, renames)
        elif name not in known:
            _error(diags, path, text, name, f"there is no table `{name}`", (name, list(known)))
        else:
            out.columns[name] = _renames(diags, path, text, known[name], renames)
    return out


def _file_name(
    diags: Diagnostics,
    path: Path,
    text: str,
    known: Mapping[str, Table],
    files: dict[str, str],
    given: str,
    table: str,
) -> None:
    """`Besök: visits`: the table's file (or sheet) as the export names it. A table
    that is not one, a name that is another table's, or two names for one table is an
    error at its line: the table's rows would be read from the wrong file, or none."""
    if table not in known:
        message = f"`{given}: {table}`: there is no table `{table}`"
        _error(diags, path, text, given, message, (table, list(known)))
    elif given.casefold() in (n.casefold() for n in known if n != table):
        message = f"`{given}: {table}`: `{given}` is the name of another table"
        _error(diags, path, text, given, message)
    elif table in files:
        message = f"`{files[table]}` and `{given}` are both named the file of `{table}`"
        _error(diags, path, text, given, message)
    elif given != table:
        files[table] = given


class _NoDuplicates(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (YAML keeps the last
    in silence: `kund: customer_id` then `kund: provider_id` would read providers)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"`{key}`{TWICE}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _renames(
    diags: Diagnostics, path: Path, text: str, table: Table, renames: dict[Any, Any]
) -> dict[str, str]:
    out: dict[str, str] = {}
    taken: dict[str, str] = {}
    for given, meant in renames.items():
        if not isinstance(given, str | int) or not isinstance(meant, str):  # never str() a tree
            message = (
                f"an entry of `{table.name}` is the data's column name and carepay's, "
                "e.g. kund: customer_id"
            )
            _error(diags, path, text, str(given)[:40], message)
            continue
        given = str(given)
        if meant not in table.columns:
            message = f"`{given}: {meant}`: `{table.name}` has no column `{meant}`"
            _error(diags, path, text, given, message, (meant, list(table.columns)))
            continue
        if meant in taken:
            message = f"`{taken[meant]}` and `{given}` are both named `{meant}` of {table.name}"
            _error(diags, path, text, given, message)
            continue
        taken[meant] = given
        if given != meant:
            out[given] = meant
    return out


def _error(
    diags: Diagnostics,
    path: Path,
    text: str,
    key: str,
    message: str,
    unknown: tuple[str, list[str]] | None = None,
) -> None:
    """An error at the line the key is written on; for an `unknown` name (and the
    names there are), the nearest one."""
    match = re.search(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", text, re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    close = difflib.get_close_matches(unknown[0], unknown[1], n=1) if unknown else []
    diags.error(
        "unknown-name" if unknown else "schema",
        f"{COLUMNS_FILE}: {message}",
        where=f"{path}:{line}" if line else str(path),
        hint=f"did you mean `{close[0]}`?" if close else None,
    )
