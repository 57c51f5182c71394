"""The vocabulary: what data there is to compute on — input tables, their columns and
code lists, and the entities formulas are computed per, with their relations.

The base vocabulary is data, not code: `schemas/tables/*.schema.json` (one input
table each) and `schemas/entities.json` (code lists, entities, parties). A model
extends it under `vocabulary:` (more columns, codes, tables, entities, relations);
the checker, the loader and both back ends read the merged vocabulary of the model
they serve, so a municipality's own services and columns need no engine change.
Standard library only.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, assert_never

from engine import types as t
from engine.diagnostics import closest
from engine.swedish import WrittenFloat, point_in_price


def schemas_dir() -> Path:
    """`schemas/` of a checkout, or the copy packaged inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "schemas", here / "_schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("carepay's schemas/ directory is missing from the installation")


ColumnKind = Literal["text", "integer", "number", "date", "datetime", "bool"]


@dataclass(frozen=True)
class Column:
    name: str
    type: t.Type
    nullable: bool
    unit: str  # the unit values are written in ('' when none)
    kind: str  # a ColumnKind
    minimum: float | None = None  # the declared range, where one is given
    maximum: float | None = None
    codes: str | None = None  # the code list its values come from
    description: str = ""
    default: Any = None  # declared by the model: the value of every row when a file lacks it
    # declared by the model: the table whose key every value names (a row naming no row
    # of it is rejected, `unknown-reference`)
    references: str | None = None

    @property
    def listed(self) -> tuple[str, ...] | None:
        """The values its code list allows (a text column with one), else None."""
        return self.type.values if isinstance(self.type, t.Text) else None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: dict[str, Column]
    key: tuple[str, ...]
    required: tuple[str, ...]
    optional: bool = False  # a missing file means "no rows" (e.g. no outages this month)
    personal: bool = False  # carries customer ids (pseudonymised on request)
    max_hours: int | None = None  # a row whose start–end (`span`) lasts longer is rejected
    # the periods a row holds, by an entity's month rule (`{by: period, start: från, end:
    # till}`) or the table's own `period:`: a row whose end is before its start is
    # rejected, whatever the names
    periods: tuple[tuple[str, str], ...] = ()
    # `in_order: [alarm, arrived, left]`: times that follow one another on each row,
    # as pairs of one and the next; a row where one is before the one before it is
    # rejected
    in_order: tuple[tuple[str, str], ...] = ()
    # a table whose rows are each one fact (carepay's journals, absences and outages,
    # which have no ids; decisions and premium claims; a model's own table without a
    # key, unless it says its rows `may_repeat`): a row alike in every column but its
    # key to an earlier one is that fact exported twice, and rejected (`duplicate-row`)
    unique_rows: bool = False

    @property
    def span(self) -> tuple[str, str]:
        """The first and last time of a row that `max_hours` holds apart: the first
        and last of its `in_order`, else `start` and `end` (a visit)."""
        if self.in_order:
            return self.in_order[0][0], self.in_order[-1][1]
        return "start", "end"


def where_value(column: Column, value: Any) -> tuple[Any, tuple[str, str] | None]:
    """A value of `where:` (a data requirement's, an assumption's) as the column holds
    it, or why no row can hold it (a diagnostic's code and message): `3.5` was cut to
    level 3 and a text for a date and time stopped the run, where each is said at its
    line."""
    name, value_written = column.name, as_written(value)
    if column.kind == "date":
        day = read_iso(value, date.fromisoformat)
        if day is None or isinstance(day, datetime):
            return None, _wrong(
                f"`{value_written}` is not a date, and `{name}` holds dates (2024-03-01)"
            )
        return day, None
    if column.kind == "datetime":
        moment = read_iso(value, datetime.fromisoformat)
        if moment is None or ":" not in str(value):
            return None, _wrong(
                f"`{value_written}` is not a date and time, and `{name}` holds dates and times "
                "(2024-03-01 08:30): `where:` compares whole values"
            )
        return moment, None
    if column.kind == "bool":
        if not isinstance(value, bool):
            return None, _wrong(
                f"`{value_written}` is not true or false, and `{name}` is true or false"
            )
        return value, None
    if column.kind not in ("integer", "number"):
        return value, None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None, _wrong(f"`{value_written}` is not a number, and `{name}` holds numbers")
    if column.kind == "integer" and value != int(value):
        return None, _wrong(
            f"`{value_written}` is not a whole number, and `{name}` holds whole numbers"
        )
    low = column.minimum if column.minimum is not None else -float("inf")
    high = column.maximum if column.maximum is not None else float("inf")
    if not low <= value <= high:
        return None, (
            "unknown-value",
            f"`{value_written}` is outside the range of `{name}` ({range_words(column)})",
        )
    return (int(value) if column.kind == "integer" else value), None


def as_written(value: Any) -> str:
    """A value as a YAML file (a rule file's, a test file's) writes it: `false`, `null`,
    `{a: 1}`, `[1, 2]` — not Python's `False`, `None`, `{'a': 1}`."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {as_written(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_written(v) for v in value) + "]"
    return str(value)


def _wrong(message: str) -> tuple[str, str]:
    return "type-mismatch", message


def read_iso(value: Any, parse: Callable[[str], Any]) -> Any:
    """`value` read by `parse` (a date's or a date and time's ISO form), else None."""
    if isinstance(value, date):
        return value
    try:
        return parse(str(value).strip())
    except ValueError:
        return None


MonthKind = Literal["moment", "period", "date", "all", "pairs", "days"]

# The fields of a row of days: the day, and its number within its period (1 is the
# period's first day, also when that was in an earlier month).
DAY, DAY_NUMBER = "day", "day_number"


@dataclass(frozen=True)
class MonthRule:
    """Which rows of an entity's table belong to a month: a moment (a date-time column)
    in the month, a period (start and end dates, an empty end open) overlapping it, a
    date in it, all rows; for entities without a table of their own, the (customer,
    provider) pairs of other entities' rows in the month, or one row per day of the
    month and of each period of another entity (`days`)."""

    by: MonthKind
    columns: tuple[str, ...] = ()  # moment, date: (column,); period: (start, end)
    of: tuple[str, ...] = ()  # pairs: the entities whose pairs are the rows; days: (entity,)

    def places(self, row: Mapping[str, Any], first: date, last: date) -> bool | None:
        """Whether one row, by its own values, belongs to the month from `first` to
        `last` (a row set aside as read, which no frame holds); None where the values
        that would say are empty, or the rule does not place a row by its values."""
        if self.by not in ("moment", "date", "period"):
            return None
        days = [v.date() if isinstance(v, datetime) else v for v in map(row.get, self.columns)]
        if self.by == "period":  # an empty end is open
            start, end = days
            if (start is not None and start > last) or (end is not None and end < first):
                return False
            return None if start is None else True
        (day,) = days
        return None if day is None else first <= day <= last


@dataclass(frozen=True)
class Relation:
    """Rows of `entity` that belong to a row of the parent, joined on `keys`."""

    name: str
    entity: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Party:
    """Whom a row belongs to: its customer or provider, read from `table` by `key`."""

    name: str
    table: str
    key: str
    fields: tuple[str, ...]  # fields every entity with this party gets by name


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    table: str | None  # the input table whose rows it is, or None (pairs)
    month: MonthRule
    key: tuple[str, ...]
    relations: tuple[Relation, ...]
    parties: tuple[str, ...] = ()
    party_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # overrides
    # rows that should not be in force on the same day, by these columns (an entity of
    # periods): two that are are warned of (a replacing decision registered before the
    # other was ended counts its days twice)
    overlapping: tuple[str, ...] = ()
    # a row of it as the reader says it, by language (carepay's own: `ansökan om
    # effektpremie`; a model's entity is said by its own name)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Roles:
    """The entities the engine gives a meaning of its own (see `roles` in entities.json):
    engine code names them only through these fields."""

    registration: str  # counted or excluded row by row, and accounted for
    customer_month: str  # a customer with a provider in a month
    provider_month: str  # a provider in a month
    decision: str  # what, besides registrations, makes a customer's month


# Names every formula may use, whatever its entity.
CONTEXT_NAMES: dict[str, t.Type] = {
    "month_start": t.DATE,
    "month_end": t.DATE,
    "days_in_month": t.COUNT,
}

# A field computed from the model, not read from a table: the customer's zone.
ZONE = "zone"


@dataclass(frozen=True)
class Vocabulary:
    """Tables, code lists, parties and entities, and the order entities are evaluated in
    (children before the entities that aggregate them: derived from the relations)."""

    tables: dict[str, Table]
    codes: dict[str, tuple[str, ...]]
    parties: dict[str, Party]
    entities: dict[str, Entity]
    payable: frozenset[str]
    roles: Roles
    order: tuple[str, ...] = ()

    def table_of_role(self, role: str) -> str:
        """The input table whose rows the role's entity is (`registration` → visits)."""
        table = self.entities[getattr(self.roles, role)].table
        assert table is not None, role
        return table

    @property
    def registrations(self) -> str:
        """The input table of the registration entity (`visits` in the base vocabulary)."""
        return self.table_of_role("registration")

    @property
    def registration_key(self) -> str:
        """The column that identifies a registration (`visit_id`)."""
        return self.entities[self.roles.registration].key[0]

    def assumption_tables(self, role: str) -> list[str]:
        """The tables whose columns a scenario assumption changing `role`'s table may
        name in `where:`: that table's own, then its parties' (customers, providers)."""
        return [self.table_of_role(role)] + [p.table for p in self.parties.values()]

    def fields(self, entity: str) -> dict[str, Column]:
        """Columns a formula on `entity` can name directly."""
        spec = self.entities[entity]
        out: dict[str, Column] = {}
        if spec.month.by == "days":
            out.update(self.fields(spec.month.of[0]))
            out[DAY] = Column(DAY, t.DATE, False, "", "date")
            out[DAY_NUMBER] = Column(DAY_NUMBER, t.COUNT, False, "", "integer")
        elif spec.table is not None:  # a table the model failed to declare has none
            table = self.tables.get(spec.table)
            out.update(table.columns if table is not None else {})
        else:
            for key in spec.key:
                out[key] = Column(key, t.TEXT, False, "", "text")
        for party_name in spec.parties:
            party = self.parties[party_name]
            for name in spec.party_fields.get(party_name, party.fields):
                out.setdefault(name, self.party_column(party_name, name))
        return out

    def table_of(self, entity: str) -> str | None:
        """The input table an entity's rows come from: its own, or for days as rows the
        table of the entity whose periods are expanded (None for pairs)."""
        spec = self.entities[entity]
        if spec.month.by == "days":
            return self.table_of(spec.month.of[0])
        return spec.table

    def days_of(self, entity: str) -> list[str]:
        """The entities whose rows are the days of `entity`'s periods (read its columns)."""
        return [
            name
            for name, spec in self.entities.items()
            if spec.month.by == "days" and spec.month.of[0] == entity
        ]

    def party_column(self, party: str, name: str) -> Column:
        """A column of the party's table as a field of another entity (rows that name
        an unknown customer or provider are rejected, so it is empty only where the
        party's own value is), or the customer's zone."""
        if name == ZONE:
            return Column(ZONE, t.TEXT, True, "", "text")
        return self.tables[self.parties[party].table].columns[name]

    def party_of(self, entity: str, party: str) -> Party | None:
        return self.parties[party] if party in self.entities[entity].parties else None

    def kept_columns(self) -> frozenset[str]:
        """Columns every entity frame keeps whether or not a formula reads them: keys,
        relation keys, party keys and the columns that decide a row's month."""
        kept: set[str] = {"service", "level", "granted_minutes"}  # what reports describe
        for entity in self.entities.values():
            kept.update(entity.key)
            kept.update(entity.month.columns)
            for relation in entity.relations:
                kept.update(relation.keys)
        kept.update(p.key for p in self.parties.values())
        for table in self.tables.values():
            kept.update(table.key)
        return frozenset(kept)


# ----------------------------------------------------------------------------- columns


def _kind_of(spec: Mapping[str, Any]) -> tuple[ColumnKind, bool]:
    """(kind, nullable) of a JSON-Schema style column spec."""
    kinds = spec.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    nullable = "null" in kinds
    base = next((k for k in kinds if k != "null"), "string")
    fmt = spec.get("format")
    if base == "string" and fmt == "date":
        return "date", nullable
    if base == "string" and fmt == "date-time":
        return "datetime", nullable
    if base == "boolean":
        return "bool", nullable
    if base == "integer":
        return "integer", nullable
    if base == "number":
        return "number", nullable
    return "text", nullable


def make_column(
    name: str,
    kind: ColumnKind,
    nullable: bool,
    unit: str = "",
    codes: str | None = None,
    code_values: tuple[str, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    description: str = "",
) -> Column:
    """A column of a kind; its type follows from the kind, the unit and the code list."""
    typ: t.Type
    match kind:
        case "text":
            typ = t.Text(code_values) if code_values is not None else t.TEXT
        case "date":
            typ = t.DATE
        case "datetime":
            typ = t.DATETIME
        case "bool":
            typ = t.BOOL
        case "integer":
            typ = t.UNITS[unit][0] if unit else t.COUNT
        case "number":
            typ = t.UNITS[unit][0] if unit else t.NUMBER
        case _:
            assert_never(kind)
    return Column(name, typ, nullable, unit, kind, minimum, maximum, codes, description)


def _schema_column(name: str, spec: Mapping[str, Any], codes: dict[str, tuple[str, ...]]) -> Column:
    kind, nullable = _kind_of(spec)
    code_list = spec.get("x-codes")
    return make_column(
        name,
        kind,
        nullable,
        spec.get("x-unit", ""),
        code_list,
        codes.get(code_list) if code_list else None,
        spec.get("minimum"),
        spec.get("maximum"),
        spec.get("description", ""),
    )


# ----------------------------------------------------------------------------- the base


def _relations(spec: Mapping[str, Any]) -> tuple[Relation, ...]:
    return tuple(
        Relation(name, r["entity"], tuple(r.get("keys", ())))
        for name, r in (spec.get("relations") or {}).items()
    )


def month_rule(spec: Mapping[str, Any]) -> MonthRule:
    """A month rule from its declaration ({by: period, start: …, end: …} …)."""
    by = spec.get("by")
    match by:
        case "moment" | "date":
            return MonthRule(by, (str(spec["column"]),))
        case "period":
            return MonthRule("period", (str(spec["start"]), str(spec["end"])))
        case "all":
            return MonthRule("all")
        case "pairs":  # `of: visit` names one entity, not five letters
            of = spec["of"]
            return MonthRule("pairs", of=(str(of),) if isinstance(of, str) else tuple(of))
        case "days":
            return MonthRule("days", of=(str(spec["of"]),))
    raise ValueError(f"unknown month rule {by!r}")


def _entity(name: str, spec: Mapping[str, Any]) -> Entity:
    return Entity(
        name,
        spec.get("description", ""),
        spec.get("table"),
        month_rule(spec["month"]),
        tuple(spec.get("key", ())),
        _relations(spec),
        tuple(spec.get("parties", ())),
        {k: tuple(v) for k, v in (spec.get("party_fields") or {}).items()},
        tuple(spec.get("overlapping", ())),
        dict(spec.get("label") or {}),
    )


def _table(schema: Mapping[str, Any], codes: dict[str, tuple[str, ...]]) -> Table:
    columns = {c: _schema_column(c, s, codes) for c, s in schema["properties"].items()}
    return Table(
        schema["title"],
        schema.get("description", ""),
        columns,
        tuple(schema.get("x-key", [])),
        tuple(schema.get("required", [])),
        bool(schema.get("x-optional", False)),
        max_hours=schema.get("x-max-hours"),
        unique_rows=bool(schema.get("x-unique-rows", False)),
    )


@cache
def base_vocabulary() -> Vocabulary:
    """The canonical tables and entities of DESIGN.md, from their data files."""
    spec = json.loads((schemas_dir() / "entities.json").read_text(encoding="utf-8"))
    codes = {k: tuple(v) for k, v in spec["codes"].items() if not k.startswith("$")}
    tables: dict[str, Table] = {}
    for path in sorted((schemas_dir() / "tables").glob("*.schema.json")):
        table = _table(json.loads(path.read_text(encoding="utf-8")), codes)
        tables[table.name] = table
    parties = {
        name: Party(name, p["table"], p["key"], tuple(p.get("fields", ())))
        for name, p in spec["parties"].items()
        if not name.startswith("$")
    }
    entities = {name: _entity(name, e) for name, e in spec["entities"].items()}
    roles = Roles(**{k: v for k, v in spec["roles"].items() if not k.startswith("$")})
    tables = with_periods(tables, entities)
    vocabulary = Vocabulary(tables, codes, parties, entities, frozenset(spec["payable"]), roles)
    order = evaluation_order(vocabulary)
    assert isinstance(order, tuple), order
    return replace(vocabulary, order=order)


def merged_tables(first: dict[str, Table], second: dict[str, Table]) -> dict[str, Table]:
    """The tables of two models' vocabularies, for reading one dataset both run on:
    each table with the columns either declares, a code list with the codes of both
    (each model's formulas decide what a code pays). A column the two declare as
    different kinds of value keeps the first's: the data is read once only where
    neither checks it (`compare.reading_differences`), and was refused before."""
    out = dict(first)
    for name, table in second.items():
        if name not in out:
            out[name] = table
            continue
        columns = dict(out[name].columns)
        for column_name, column in table.columns.items():
            mine = columns.get(column_name)
            if mine is None:
                columns[column_name] = column
            elif mine.kind != column.kind or mine.unit != column.unit:
                continue
            elif isinstance(mine.type, t.Text) and isinstance(column.type, t.Text):
                if mine.type.values is not None and column.type.values is not None:
                    both = tuple(dict.fromkeys(mine.type.values + column.type.values))
                    columns[column_name] = replace(mine, type=t.Text(both))
                elif column.type.values is None:
                    columns[column_name] = column  # the other takes any text
        periods = tuple(dict.fromkeys(out[name].periods + table.periods))
        in_order = tuple(dict.fromkeys(out[name].in_order + table.in_order))
        out[name] = replace(out[name], columns=columns, periods=periods, in_order=in_order)
    return out


def _declared_period(declared: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A table's own `period: {start: från, end: till}`: its rows are periods whatever
    places them in a month (`{by: all}`, `{by: date}`), and a crisis period typed from
    the 20th to the 10th matched no day and paid no visit its supplement, in silence."""
    period = declared.get("period")
    if not isinstance(period, Mapping) or not {"start", "end"} <= set(period):
        return ()
    return ((str(period["start"]), str(period["end"])),)


def _rows_unique(name: str, declared: Mapping[str, Any], report: Report) -> bool:
    """Whether a table of the model's own rejects a row alike in every column to an
    earlier one (`duplicate-row`): one without a key does, unless it says its rows
    `may_repeat` — an escort exported twice was paid twice, exit 0, in silence. A
    table with a key tells its rows apart by it (`duplicate-id`), so `may_repeat`
    there is an error at its line."""
    may_repeat = declared.get("may_repeat") is True
    if may_repeat and declared.get("key"):
        report(
            "schema",
            f"`{name}` has a key, so its rows are told apart by it: `may_repeat` is for a "
            "table without one",
            ("tables", name, "may_repeat"),
            "delete `may_repeat: true`; a row whose key an earlier row has is rejected "
            "(duplicate-id)",
        )
    return not declared.get("key") and not may_repeat


def _declared_hours(declared: Mapping[str, Any]) -> int | None:
    """A table's own `max_hours: 12`: the longest its rows may last, from the first
    time of its `in_order` to the last (the schema holds it to a whole number above 0)."""
    hours = declared.get("max_hours")
    return hours if isinstance(hours, int) and not isinstance(hours, bool) else None


def _declared_order(declared: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A table's own `in_order: [alarm, arrived, left]`, as pairs of one column and
    the next: an arrival typed before the alarm paid a call-out "in time", a departure
    before the arrival a negative time at the customer's, in silence."""
    columns = declared.get("in_order")
    if not isinstance(columns, list):
        return ()
    names = [str(c) for c in columns]
    return tuple(zip(names, names[1:], strict=False))


def with_periods(tables: dict[str, Table], entities: Mapping[str, Entity]) -> dict[str, Table]:
    """Each table with the periods its entities' month rules read (start and end), and
    those columns required of its file: a file without the column that places a row in
    a month — a decision's `end_date`, an escort's date — would place no row, or make
    every period open, in silence (a cell may still be empty where the column allows)."""
    found: dict[str, list[tuple[str, str]]] = {}
    placing: dict[str, list[str]] = {}
    for entity in entities.values():
        if entity.table not in tables:
            continue
        placing.setdefault(entity.table, []).extend(entity.month.columns)
        if entity.month.by == "period" and len(entity.month.columns) == 2:
            start, end = entity.month.columns
            found.setdefault(entity.table, []).append((start, end))
    out = {}
    for name, table in tables.items():
        required = tuple(dict.fromkeys([*table.required, *placing.get(name, ())]))
        periods = tuple(dict.fromkeys([*table.periods, *found.get(name, ())]))
        out[name] = replace(table, required=required, periods=periods)
    return out


def tables() -> dict[str, Table]:
    """The base vocabulary's tables (for code that serves no particular model)."""
    return base_vocabulary().tables


def evaluation_order(vocabulary: Vocabulary) -> tuple[str, ...] | list[str]:
    """Entities with those they aggregate (or take their rows from) first, in the
    order declared where nothing decides; on a circle, the entities in it (a list)."""
    known = set(vocabulary.entities)  # an unknown one is reported where it is named
    needs = {
        name: ({r.entity for r in e.relations} | set(e.month.of)) & known
        for name, e in vocabulary.entities.items()
    }
    done: list[str] = []
    remaining = list(vocabulary.entities)
    while remaining:
        ready = [n for n in remaining if needs[n] <= set(done)]
        if not ready:
            return remaining
        done.extend(ready)
        remaining = [n for n in remaining if n not in ready]
    return tuple(done)


def _circle(vocabulary: Vocabulary, stuck: list[str]) -> list[tuple[str, str, str]]:
    """One circle among the entities that could not be ordered: each step an entity,
    the one it reads and the relation it reads it by ('' where its rows are made of
    the other's). Those that only wait for the circle (a customer_month reading the
    visits in it) are left out of it."""
    edges: dict[str, list[tuple[str, str]]] = {n: [] for n in stuck}
    for name in stuck:
        entity = vocabulary.entities[name]
        edges[name] = [(r.entity, r.name) for r in entity.relations if r.entity in edges]
        edges[name] += [(n, "") for n in entity.month.of if n in edges]
    path: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> list[tuple[str, str, str]] | None:
        if name in path:
            ring = path[path.index(name) :] + [name]
            return [(a, b, _via(edges, a, b)) for a, b in zip(ring, ring[1:], strict=False)]
        if name in seen:
            return None
        seen.add(name)
        path.append(name)
        for other, _ in edges[name]:
            found = visit(other)
            if found:
                return found
        path.pop()
        return None

    for name in stuck:
        found = visit(name)
        if found:
            return found
    raise AssertionError("entities that cannot be ordered hold a circle")


def _via(edges: dict[str, list[tuple[str, str]]], a: str, b: str) -> str:
    return next(r for other, r in edges[a] if other == b)


# ----------------------------------------------------------------------------- extension

Report = Callable[[str, str, tuple[Any, ...], str | None], None]  # code, message, path, hint

DECLARED_TYPES: dict[str, ColumnKind] = {
    "text": "text",
    "integer": "integer",
    "number": "number",
    "date": "date",
    "datetime": "datetime",
    "bool": "bool",
}


def extend(base: Vocabulary, spec: Mapping[str, Any], report: Report) -> Vocabulary:
    """The base vocabulary with a model's declarations: code lists (`add:` or
    `replace:`), columns added to tables, whole tables, entities and relations."""
    codes = dict(base.codes)
    for name, change in (spec.get("codes") or {}).items():
        codes[name] = _changed_codes(name, change, codes.get(name), report)
    tables = {name: _recoded(table, codes) for name, table in base.tables.items()}
    for name, declared in (spec.get("tables") or {}).items():
        if name in tables:
            report(
                "schema",
                f"`{name}` is already a table; add columns under `columns:`",
                ("tables", name),
                f"columns: {{{name}: {{…}}}}",
            )
            continue
        tables[name] = Table(
            name,
            str(declared.get("description", "")),
            {},
            tuple(declared.get("key", ())),
            tuple(declared.get("required", ())),
            bool(declared.get("optional", False)),
            periods=_declared_period(declared),
            in_order=_declared_order(declared),
            max_hours=_declared_hours(declared),
            unique_rows=_rows_unique(name, declared, report),
        )
        _add_columns(
            tables, name, declared.get("columns") or {}, codes, report, ("tables", name, "columns")
        )
    for table_name, columns in (spec.get("columns") or {}).items():
        if table_name not in tables:
            report(
                "unknown-name",
                f"there is no table `{table_name}` to add columns to",
                ("columns", table_name),
                "tables: " + ", ".join(tables),
            )
            continue
        path = ("columns", table_name)
        parties = frozenset(p.key for p in base.parties.values())
        _add_columns(tables, table_name, columns or {}, codes, report, path, parties)
    entities = dict(base.entities)
    for name, declared in _days_last(spec.get("entities") or {}):
        entities[name] = _declared_entity(name, declared, entities, tables, report)
    vocabulary = Vocabulary(
        with_periods(tables, entities),
        codes,
        base.parties,
        entities,
        base.payable | {n for n, e in (spec.get("entities") or {}).items() if e.get("payable")},
        base.roles,
    )
    vocabulary = _check_relations(vocabulary, report)
    _check_declarations(vocabulary, spec, set(base.entities), report)
    order = evaluation_order(vocabulary)
    if not isinstance(order, tuple):
        steps = _circle(vocabulary, order)
        declared = spec.get("entities") or {}
        where: tuple[Any, ...] = ("entities",)
        for entity, _, relation in steps:  # at the first relation of the model's own in it
            if relation in ((declared.get(entity) or {}).get("relations") or {}):
                where = ("entities", entity, "relations", relation)
                break
        read = ", ".join(
            f"{a} reads {b} (`{r}`)" if r else f"{a} is made of {b}'s rows" for a, b, r in steps
        )
        report(
            "cycle",
            f"entities aggregate each other in a circle: {read}",
            where,
            "an entity's rules are computed for all its rows before another entity reads "
            "them, so two cannot read each other: keep one of the relations, and compute "
            "what the other gave on an entity both relate to (a customer_month)",
        )
        order = tuple(vocabulary.entities)
    return replace(vocabulary, order=order)


def _changed_codes(
    name: str, change: Any, current: tuple[str, ...] | None, report: Report
) -> tuple[str, ...]:
    given = (
        change
        if isinstance(change, list)
        else [*(change.get("add") or ()), *(change.get("replace") or ())]
    )
    _unheld_codes([str(v) for v in given], f"the code list `{name}`", report, ("codes", name))
    if isinstance(change, list):
        return tuple(str(v) for v in change)
    added, replaced = change.get("add"), change.get("replace")
    if replaced is not None and not replaced:
        report(
            "schema",
            f"the code list `{name}` cannot be empty: every row with a value would be rejected",
            ("codes", name),
            "give its codes: replace: [a, b]",
        )
        return current or ()
    if replaced is not None:
        return tuple(str(v) for v in replaced)
    if current is None:
        report(
            "unknown-name",
            f"there is no code list `{name}` to add to",
            ("codes", name),
            f"give the whole list: codes: {{{name}: {{replace: […]}}}}",
        )
        return tuple(str(v) for v in added or ())
    return current + tuple(str(v) for v in added or () if str(v) not in current)


def unheld_code(code: str, what: str) -> tuple[str, str] | None:
    """Why no cell can hold `code` (`what` it is: "the code ` a ` of `x`"), and how to
    write it; None where one can. A cell's text is read without the spaces around it,
    and a blank one is empty: `' a '` rejected every row of `a` as a code not in the list."""
    if code.strip() and code == code.strip():
        return None
    if code.strip():
        return (
            f"{what} has spaces around it, and a cell is read without them: no row could hold it",
            f"write it `{code.strip()}`",
        )
    return f"{what} is blank: a blank cell is read as empty", "leave it out"


def _unheld_codes(codes: Iterable[str], owner: str, report: Report, path: tuple[Any, ...]) -> None:
    for code in codes:
        what = f"the code `{code}` of {owner}" if code.strip() else f"a code of {owner}"
        if said := unheld_code(code, what):
            report("schema", said[0], path, said[1])


def _recoded(table: Table, codes: dict[str, tuple[str, ...]]) -> Table:
    """The table with each code-list column typed by the (possibly changed) list."""
    columns = {
        name: replace(c, type=t.Text(codes[c.codes])) if c.codes in codes else c
        for name, c in table.columns.items()
    }
    return replace(table, columns=columns)


def _add_columns(
    tables: dict[str, Table],
    table_name: str,
    columns: Mapping[str, Any],
    codes: dict[str, tuple[str, ...]],
    report: Report,
    path: tuple[Any, ...],
    parties: frozenset[str] = frozenset(),
) -> None:
    table = tables[table_name]
    added = dict(table.columns)
    defaulted: set[str] = set()  # carepay's required columns a file may now lack
    for name, spec in columns.items():
        if name in added:
            adjusted = _adjusted_column(table, added[name], spec, report, (*path, name), parties)
            if adjusted is not None:
                added[name] = adjusted
                if name in table.required and adjusted.default is not None:
                    defaulted.add(name)
            continue
        column = declared_column(name, spec, codes, report, (*path, name))
        if column is not None:
            added[name] = column
    required = tuple(n for n, s in columns.items() if isinstance(s, Mapping) and s.get("required"))
    kept = tuple(n for n in table.required if n not in defaulted)
    tables[table_name] = replace(table, columns=added, required=kept + required)


# What a model may say of a column a table already has: whether a cell may be empty, the
# value of every row when a file lacks the column, whether a file must have it, the table
# whose rows its values name, and the range of a number's values (the municipality's:
# granted minutes no month can hold, levels 1–10 or 1–35).
ADJUSTABLE = (
    "nullable",
    "default",
    "required",
    "references",
    "description",
    "minimum",
    "maximum",
)


def _adjusted_column(
    table: Table,
    column: Column,
    spec: Mapping[str, Any],
    report: Report,
    path: tuple[Any, ...],
    parties: frozenset[str] = frozenset(),
) -> Column | None:
    """A column of carepay's own table as a municipality's export has it — `declined`
    left empty where a visit was not declined, or no `registration` column at all — so
    that the model can say so (`nullable: true`, `default: tag`) instead of every such
    row being rejected. The column's kind, unit and code list stay carepay's, and the
    columns every row needs (the key, the customer, the start …) stay required; another
    column carepay requires — a visit's `service`, where an export of one service has
    none — may be given a `default:` (and a `description`), and its cells stay required."""
    where = f"`{table.name}.{column.name}`"
    essential = (
        column.name in table.key or column.name in parties or column.kind in ("date", "datetime")
    )
    if column.name in table.required and essential:
        report(
            "schema",
            f"{where} is a column carepay needs in every file of `{table.name}` (an id, a "
            "party, or a date placing a row in a month): it cannot be declared again",
            path,
            None,
        )
        return None
    other = [k for k in spec if k not in ("default", "description", "type")]
    if column.name in table.required and other:
        report(
            "schema",
            f"{where} is a column carepay requires in every row of `{table.name}`: the model "
            f"may give its value where a file lacks the column (`default`) and a "
            f"`description`, not its `{other[0]}`",
            (*path, other[0]),
            f"{{{table.name}: {{{column.name}: {{default: …}}}}}}",
        )
        return None
    if spec.get("type", column.kind) != column.kind:
        report(
            "schema",
            f"{where} is already a {column.kind} column: its kind cannot change",
            (*path, "type"),
            "leave out `type:`, or give the column of another kind a name of its own",
        )
        return None
    other = [key for key in spec if key not in (*ADJUSTABLE, "type")]
    if other:
        report(
            "schema",
            f"{where} is already a column: the model may say whether a cell may be empty "
            f"(`nullable`), its value where a file lacks the column (`default`), whether "
            f"a file must have it (`required`), the table its values name (`references`), "
            f"a number's range (`minimum`, `maximum`) and a `description`, not its "
            f"`{other[0]}`",
            (*path, other[0]),
            f"{{{table.name}: {{{column.name}: {{nullable: true}}}}}}",
        )
        return None
    bounds = _adjusted_range(where, column, spec, report, path)
    if bounds is None or _price_with_point(spec, column.unit, report, path):
        return None
    low, high = bounds
    default = spec.get("default", column.default)
    values = column.listed
    if default is not None and not _fits(default, column.kind, values):  # type: ignore[arg-type]
        report(
            "schema",
            f"the default `{default}` is not a value of {where}"
            + (": " + ", ".join(values) if values else f" (a {column.kind} column)"),
            (*path, "default"),
            None,
        )
        return None
    if _default_outside(default, replace(column, minimum=low, maximum=high), where, report, path):
        return None
    references = spec.get("references", column.references)
    return replace(
        column,
        minimum=low,
        maximum=high,
        nullable=bool(spec.get("nullable", column.nullable)),
        default=default,
        description=str(spec.get("description", column.description)),
        references=str(references) if references else None,
    )


def _adjusted_range(
    where: str, column: Column, spec: Mapping[str, Any], report: Report, path: tuple[Any, ...]
) -> tuple[Any, Any] | None:
    """The range of a number column of carepay's as the model gives it (each bound the
    model's where given, carepay's where not), or None after reporting why not."""
    given = [key for key in ("minimum", "maximum") if key in spec]
    if not given:
        return column.minimum, column.maximum
    if column.kind not in ("integer", "number"):
        report(
            "schema",
            f"{where} is a {column.kind} column: only a number has a range",
            (*path, given[0]),
            None,
        )
        return None
    for key in given:
        bound = spec[key]
        number = isinstance(bound, int | float) and not isinstance(bound, bool)
        whole = column.kind != "integer" or (number and float(bound).is_integer())
        if not number or not math.isfinite(bound) or not whole:
            report(
                "schema",
                f"the {key} of {where} is {bound!r}, not {'a whole' if column.kind == 'integer' else 'a'} number",
                (*path, key),
                None,
            )
            return None
    low = spec.get("minimum", column.minimum)
    high = spec.get("maximum", column.maximum)
    if low is not None and high is not None and _above(low, high):
        report(
            "schema",
            f"the minimum {low} of {where} is above its maximum {high}: no value could be read",
            (*path, given[0]),
            None,
        )
        return None
    return low, high


def range_words(column: Column, *, unit: bool = True) -> str:
    """A number column's range as a reader says it: `1–29`, `at least 0 SEK`, `at most
    10` (without its unit where the words already say it: `number (min) at least 0`)."""
    unit_said = f" {column.unit}" if column.unit and unit else ""
    low, high = column.minimum, column.maximum
    shown = [f"{v:g}" if v is not None else "" for v in (low, high)]
    if low is not None and high is not None:
        return f"{shown[0]}–{shown[1]}{unit_said}"
    if low is not None:
        return f"at least {shown[0]}{unit_said}"
    return f"at most {shown[1]}{unit_said}"


def _price_with_point(
    spec: Mapping[str, Any], unit: str | None, report: Report, path: tuple[Any, ...]
) -> bool:
    """Report, and say so, a bound or default of a column in kronor written `1.200`:
    1,20 kr, or twelve hundred (`swedish.point_in_price`)?"""
    for key in ("minimum", "maximum", "default"):
        value = spec.get(key)
        priced = point_in_price(value.written, unit) if isinstance(value, WrittenFloat) else None
        if priced is not None:
            report("bad-value", priced[0], (*path, key), priced[1])
            return True
    return False


def _default_outside(
    default: Any, column: Column, where: str, report: Report, path: tuple[Any, ...]
) -> bool:
    """Report, and say so, a default outside the column's range: every row of a file
    without the column would hold a value the data rejects."""
    if default is None or _within(default, column.minimum, column.maximum):
        return False
    report(
        "schema",
        f"the default `{default}` is outside the range of {where} ({range_words(column)})",
        (*path, "default"),
        None,
    )
    return True


def _within(value: Any, low: Any, high: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return True  # not a number: the kind's own check says so
    return (low is None or value >= low) and (high is None or value <= high)


def declared_column(
    name: str,
    spec: Mapping[str, Any],
    codes: dict[str, tuple[str, ...]],
    report: Report,
    path: tuple[Any, ...],
) -> Column | None:
    """A column as a model declares it: {type, unit, nullable, codes | values, minimum,
    maximum, description}."""
    kind = DECLARED_TYPES.get(str(spec.get("type", "text")))
    if kind is None:
        report(
            "schema",
            f"`{spec.get('type')}` is not a column type",
            (*path, "type"),
            "types: " + ", ".join(DECLARED_TYPES),
        )
        return None
    unit = str(spec.get("unit", "")) if spec.get("unit") is not None else ""
    if unit and (unit not in t.UNITS or kind not in ("integer", "number")):
        report(
            "unknown-unit",
            f"`{unit}` is not a unit a {kind} column can have",
            (*path, "unit"),
            "units: SEK, SEK/h, min, h, days, % (on number and integer columns)",
        )
        return None
    code_list: str | None = spec.get("codes")
    values: tuple[str, ...] | None = None
    if spec.get("values") is not None:
        values = tuple(str(v) for v in spec["values"])
        _unheld_codes(values, f"`{name}`", report, (*path, "values"))
        # named by its table: `visits.status` (columns: {visits: …}, or tables: {visits: …})
        code_list = f"{path[1]}.{name}" if len(path) >= 3 else name
        codes[code_list] = values
    elif code_list is not None:
        if code_list not in codes:
            report(
                "unknown-name",
                f"there is no code list `{code_list}`",
                (*path, "codes"),
                "code lists: " + ", ".join(sorted(codes)),
            )
            return None
        values = codes[code_list]
    if values is not None and kind != "text":
        report("schema", "only a text column takes a code list", (*path, "values"), None)
        return None
    if spec.get("values") is not None and spec.get("codes") is not None:
        report(  # the one took the other's place without a word
            "schema",
            f"`{name}` has its own `values` and the code list `{spec['codes']}`: give one",
            (*path, "codes"),
            None,
        )
        return None
    if values is not None and not values:
        report(
            "schema",
            f"the code list of `{name}` is empty: every row with a value would be rejected",
            (*path, "values"),
            None,
        )
        return None
    default = spec.get("default")
    if default is not None and not _fits(default, kind, values):
        report(
            "schema",
            f"the default `{default}` is not {'an' if kind == 'integer' else 'a'} {kind} value"
            + (" of the column's code list" if values else ""),
            (*path, "default"),
            None,
        )
        return None
    column = make_column(
        name,
        kind,
        bool(spec.get("nullable", True)),
        unit,
        code_list,
        values,
        description=str(spec.get("description", "")),
    )
    # its range read as a range of carepay's own columns is: of a number, whole for an
    # integer, a number at all (`minimum: .nan` let every value through), low below high
    bounds = _adjusted_range(f"`{name}`", column, spec, report, path)
    if bounds is None or _price_with_point(spec, unit, report, path):
        return None
    column = replace(column, minimum=bounds[0], maximum=bounds[1])
    if _default_outside(default, column, f"`{name}`", report, path):
        return None
    references = spec.get("references")
    return replace(column, default=default, references=str(references) if references else None)


def _fits(value: Any, kind: ColumnKind, values: tuple[str, ...] | None) -> bool:
    """Whether a declared default is a value of the column's kind (and code list)."""
    match kind:
        case "bool":
            return isinstance(value, bool)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "date":
            return isinstance(value, date) and not isinstance(value, datetime)
        case "datetime":
            return isinstance(value, datetime)
        case "text":
            return isinstance(value, str) and (values is None or value in values)
    return False


def _declared_entity(
    name: str,
    spec: Mapping[str, Any],
    existing_entities: dict[str, Entity],
    tables: dict[str, Table],
    report: Report,
) -> Entity:
    existing = existing_entities.get(name)
    relations = _relations(spec)
    if existing is not None:
        return _extended_base_entity(existing, spec, relations, report)
    table = spec.get("table")
    if table is not None and table not in tables:
        report(
            "unknown-name",
            f"entity `{name}`: there is no table `{table}`",
            ("entities", name, "table"),
            "tables: " + ", ".join(tables),
        )
    if table is not None and not spec.get("month"):  # every row in every month, unsaid
        report(
            "schema",
            f"entity `{name}` does not say which rows of `{table}` belong to a month: without "
            "it every row would be in every month run",
            ("entities", name),
            _month_rule_hint(tables.get(table)),
        )
    month = _given_month_rule(name, spec.get("month") or {"by": "all"}, report) or MonthRule("all")
    if month.by == "days":
        source = existing_entities.get(month.of[0])
        if source is None or source.month.by != "period":
            report(
                "schema",
                f"entity `{name}`: `days` expands an entity whose rows are periods "
                "(month: by period), e.g. absence or decision",
                ("entities", name, "month"),
                None,
            )
            month = MonthRule("all")
        else:
            table, parties = source.table, source.parties
            return Entity(
                name,
                str(spec.get("description", "")),
                table,
                month,
                (*source.key, DAY),
                relations,
                tuple(spec.get("parties", parties)),
            )
    columns = tables[table].columns if table in tables else {}
    for column in month.columns:
        if table in tables and column not in columns:
            report(
                "unknown-name",
                f"entity `{name}`: `{table}` has no column `{column}`",
                ("entities", name, "month"),
                None,
            )
    parties = tuple(spec.get("parties", ()))
    # a table's rows are named by its key (explain's "matleverans L1", a test file's
    # expected values per row) unless the entity names them otherwise
    key = tuple(spec.get("key", ())) or (tables[table].key if table in tables else ())
    overlapping = tuple(spec.get("overlapping", ()))
    return Entity(
        name,
        str(spec.get("description", "")),
        table,
        month,
        key,
        relations,
        parties,
        overlapping=overlapping,
    )


BASE_ENTITY_HINT = (
    "a model may add `relations:` to an entity of carepay's, and more entities whose "
    "rows make a pairs entity's rows: month: {by: pairs, of: [visit, decision, …]}"
)


def _extended_base_entity(
    existing: Entity, spec: Mapping[str, Any], relations: tuple[Relation, ...], report: Report
) -> Entity:
    """An entity of the base with the model's additions: more relations, and for a
    pairs entity (`customer_month`) the entities whose pairs make its rows — a
    municipality's meal deliveries make a customer's month as its visits do. What
    else the base fixes (its table, key, parties, a month rule of another kind) is an
    error where it is written, not a declaration read and dropped."""
    name = existing.name
    for fixed in ("table", "key", "parties"):
        if fixed in spec:
            report("schema", f"entity `{name}` is one of carepay's: its `{fixed}` cannot "
                   "be changed", ("entities", name, fixed), BASE_ENTITY_HINT)  # fmt: skip
    month = existing.month
    if "month" in spec:
        given = _given_month_rule(name, spec.get("month") or {}, report)
        if given is not None and (given.by != "pairs" or existing.month.by != "pairs"):
            report("schema", f"entity `{name}` is one of carepay's: its rows belong to a "
                   f"month by `{existing.month.by}`, which a model cannot change",
                   ("entities", name, "month"), BASE_ENTITY_HINT)  # fmt: skip
        elif given is not None:
            month = given
    known = {r.name: r for r in existing.relations}
    for relation in relations:
        held = known.get(relation.name)
        if held is not None and (held.entity, held.keys) != (relation.entity, relation.keys):
            # it was dropped in silence: `decisions` by customer alone counted the
            # decisions of the customer's month with its provider, as carepay's does
            report(
                "schema",
                f"entity `{name}` already has the relation `{relation.name}` ({held.entity} "
                f"by {', '.join(held.keys)}): it cannot be declared again otherwise",
                ("entities", name, "relations", relation.name),
                f"give yours a name of its own: relations: {{{relation.name}_alla: …}}",
            )
    added = tuple(r for r in relations if r.name not in known)
    overlapping = tuple(spec.get("overlapping", existing.overlapping))
    return replace(
        existing, month=month, relations=existing.relations + added, overlapping=overlapping
    )


def _month_rule_hint(table: Table | None) -> str:
    """The month rules an entity over `table` could have, by the columns it has."""
    columns = table.columns.values() if table is not None else []
    dates = [c.name for c in columns if c.kind == "date"]
    moments = [c.name for c in columns if c.kind == "datetime"]
    rules = [f"month: {{by: date, column: {dates[0]}}}"] if dates else []
    rules += [f"month: {{by: moment, column: {moments[0]}}}"] if moments else []
    rules += (
        [f"month: {{by: period, start: {dates[0]}, end: {dates[1]}}}"] if len(dates) > 1 else []
    )
    return "say so: " + ", or ".join([*rules, "month: {by: all} for rows that hold in every month"])


def _given_month_rule(name: str, given: Mapping[str, Any], report: Report) -> MonthRule | None:
    try:
        return month_rule(given)
    except (KeyError, ValueError):
        report(
            "schema",
            f"entity `{name}`: `month:` must say how its rows belong to a month",
            ("entities", name, "month"),
            "by: moment (column), period (start, end), date (column), all, or pairs (of)",
        )
        return None


def _above(low: Any, high: Any) -> bool:
    try:
        return float(low) > float(high)
    except (TypeError, ValueError):
        return False  # not numbers: the schema says so


def _days_last(declared: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The declared entities with those made of another's days after the others: a
    day's entity may be written before the periods it is made of (YAML's order is the
    author's, not a dependency)."""

    def of_days(item: tuple[str, Any]) -> bool:
        spec = item[1] if isinstance(item[1], Mapping) else {}
        month = spec.get("month")
        return isinstance(month, Mapping) and month.get("by") == "days"

    return sorted(declared.items(), key=of_days)


def _check_declarations(
    vocabulary: Vocabulary, spec: Mapping[str, Any], based: set[str], report: Report
) -> None:
    """What a model's own tables and entities must hold to be read and evaluated: a
    table's key among its columns; an entity's rows from a table (or the pairs or days
    of others); the kind of the column its month rule reads; its parties' ids; and the
    keys a relation joins on, on both sides. Each a located error, where a run would
    stop inside Polars (or find no rows) instead."""
    for name in spec.get("tables") or {}:
        table = vocabulary.tables.get(name)
        missing = [k for k in table.key if k not in table.columns] if table is not None else []
        for key in missing:
            report("unknown-name", f"table `{name}`: its key `{key}` is not one of its columns",
                   ("tables", name, "key"), "columns: " + ", ".join(table.columns if table else ()))  # fmt: skip
        if table is not None:
            _check_period(table, (spec.get("tables") or {})[name], report)
    for name, declared in (spec.get("entities") or {}).items():
        entity = vocabulary.entities.get(name)
        by = str((declared.get("month") or {}).get("by", "all")) if declared else "all"
        if entity is not None and name not in based and by not in ("pairs", "days"):
            _check_entity_rows(vocabulary, entity, report)
        if entity is not None and by == "pairs":
            _check_pairs_sources(vocabulary, entity, report)
        if entity is not None and declared and declared.get("payable"):
            _check_payable(entity, name in based, report)
        if entity is not None and declared and "overlapping" in declared:
            _check_overlapping(vocabulary, entity, report)
    for entity in vocabulary.entities.values():
        for relation in entity.relations:
            _check_relation_keys(vocabulary, entity, relation, report)
    _check_references(vocabulary, spec, report)


def _check_period(table: Table, declared: Mapping[str, Any], report: Report) -> None:
    """A table's `period:` names two of its columns, each of dates or of dates and
    times: a period of a text or a number would be compared as written; so does each
    column of its `in_order:`."""
    period = declared.get("period")
    named: list[tuple[str, tuple[Any, ...], str]] = []
    if isinstance(period, Mapping):
        for end in ("start", "end"):
            named.append((f"its period's {end}", ("period", end), str(period.get(end, ""))))
    order = declared.get("in_order")
    for i, name in enumerate(order if isinstance(order, list) else []):
        named.append(("its `in_order`", ("in_order", i), str(name)))
    if "max_hours" in declared and not isinstance(order, list):
        report("schema", f"table `{table.name}`: `max_hours` is how long a row may last from "
               "the first of its times to the last, but it lists none", ("tables", table.name,
               "max_hours"), "list them: in_order: [start, …, end]")  # fmt: skip
    for said, place, name in named:
        column = table.columns.get(name)
        where = ("tables", table.name, *place)
        if column is None:
            close = closest(name, list(table.columns))
            report("unknown-name", f"table `{table.name}`: {said} `{name}` is not "
                   "one of its columns", where,
                   f"did you mean `{close}`?" if close else "columns: " + ", ".join(table.columns))  # fmt: skip
        elif column.kind not in ("date", "datetime"):
            report("schema", f"table `{table.name}`: {said} `{name}` is a "
                   f"{column.kind} column, not one of dates", where,
                   f"declare it `{name}: {{ type: date }}` (or datetime)")  # fmt: skip


def _check_references(vocabulary: Vocabulary, spec: Mapping[str, Any], report: Report) -> None:
    """A column's `references:` names a table with a key of one column, of the
    column's kind: its values are looked up among that key's (`visit_id` of a table of
    the visits' insatser, naming the visits)."""
    declared = [
        (("tables", name, "columns", column), name, column)
        for name, table in (spec.get("tables") or {}).items()
        for column in (table.get("columns") or {})
    ] + [
        (("columns", name, column), name, column)
        for name, columns in (spec.get("columns") or {}).items()
        for column in columns or {}
    ]
    for path, name, column_name in declared:
        table = vocabulary.tables.get(name)
        column = table.columns.get(column_name) if table is not None else None
        if column is None or column.references is None:
            continue
        target = vocabulary.tables.get(column.references)
        where = (*path, "references")
        if target is None:
            close = difflib.get_close_matches(column.references, list(vocabulary.tables), n=1)
            report("unknown-name", f"`{name}.{column_name}` references no table "
                   f"`{column.references}`", where,
                   f"did you mean `{close[0]}`?" if close else "tables: " + ", ".join(vocabulary.tables))  # fmt: skip
        elif len(target.key) != 1:
            report("schema", f"`{name}.{column_name}` references `{target.name}`, whose key "
                   f"is {'of ' + str(len(target.key)) + ' columns' if target.key else 'not given'}: "
                   "a value can name a row only by a key of one column", where, None)  # fmt: skip
        elif (key := target.columns.get(target.key[0])) is not None and key.kind != column.kind:
            article = "an" if column.kind == "integer" else "a"
            report("schema", f"`{name}.{column_name}` is {article} {column.kind} column, but the key "
                   f"`{key.name}` of `{target.name}` it references is {key.kind}", where, None)  # fmt: skip


def period_month_rule(vocabulary: Vocabulary, entity: str) -> str:
    """The month rule that makes an entity's rows periods, with its table's own
    `period:` columns where it declares them (a table of crisis periods placed `{by:
    all}`): what `days_covered` and `overlapping:` ask for."""
    table = vocabulary.tables.get(vocabulary.entities[entity].table or "")
    start, end = table.periods[0] if table is not None and table.periods else ("…", "…")
    return f"month: {{by: period, start: {start}, end: {end}}}"


def _check_overlapping(vocabulary: Vocabulary, entity: Entity, report: Report) -> None:
    """`overlapping:` compares the periods of an entity's rows (`month: {by: period}`),
    by columns of its table: of another entity it would compare nothing."""
    where = ("entities", entity.name, "overlapping")
    if entity.month.by != "period":
        report("schema", f"entity `{entity.name}`: `overlapping` compares rows that are "
               f"periods, but its rows belong to a month by `{entity.month.by}`", where,
               period_month_rule(vocabulary, entity.name))  # fmt: skip
        return
    table = vocabulary.tables.get(entity.table or "")
    for column in entity.overlapping:
        if table is not None and column not in table.columns:
            close = closest(column, list(table.columns))
            report("unknown-name", f"entity `{entity.name}`: `overlapping` names `{column}`, "
                   f"which `{table.name}` has not", where,
                   f"did you mean `{close}`?" if close else "columns: " + ", ".join(table.columns))  # fmt: skip


def _check_payable(entity: Entity, of_the_base: bool, report: Report) -> None:
    """A payment per row is a line paid to the row's provider: an entity whose rows
    belong to none (an outage) cannot be paid per row — a run would stop inside Polars.
    Its line names the row by the entity's key: one without a key paid two trips of a
    customer on two lines that said nothing of which was which."""
    if "provider" in entity.parties and not entity.key and not of_the_base:
        report(
            "schema",
            f"entity `{entity.name}` is payable, but its rows have no key to name them by: "
            "each row is paid on a line of its own, which says which row it pays",
            ("entities", entity.name, "payable"),
            f"give its table a key of its own (a column such as `{entity.name}_id`, and "
            f"`key: [{entity.name}_id]`)",
        )
        return
    if "provider" in entity.parties:
        return
    report(
        "schema",
        f"entity `{entity.name}` is payable, but its rows belong to no provider, and a "
        "line is paid to a provider",
        ("entities", entity.name, "payable"),
        None
        if of_the_base
        else "name the provider (its table's provider_id): parties: [customer, provider]",
    )


def _check_pairs_sources(vocabulary: Vocabulary, entity: Entity, report: Report) -> None:
    """Each entity a pairs entity's rows are made from is one, and holds its key."""
    name = entity.name
    for other in entity.month.of:
        if other not in vocabulary.entities:
            report("unknown-name", f"entity `{name}`: its rows are pairs of `{other}`, "
                   "which is no entity", ("entities", name, "month"),
                   "entities: " + ", ".join(vocabulary.entities))  # fmt: skip
            continue
        lacking = [k for k in entity.key if k not in _fields_and_keys(vocabulary, other)]
        if lacking:
            report("unknown-name", f"entity `{name}`: its rows are pairs of "
                   f"{', '.join(entity.key)} of `{other}` rows, which have no "
                   f"{', '.join(lacking)}", ("entities", name, "month"), None)  # fmt: skip


def _check_entity_rows(vocabulary: Vocabulary, entity: Entity, report: Report) -> None:
    """An entity of a table of the model's own: the table, its month column's kind and
    its parties' ids."""
    name = entity.name
    if entity.table is None:
        report("schema", f"entity `{name}` has no table to take its rows from",
               ("entities", name), "table: <a table>, or month: {by: pairs, of: […]}")  # fmt: skip
        return
    table = vocabulary.tables.get(entity.table)
    if table is None:  # reported where the entity names it
        return
    _check_month_kinds(name, entity, table, report)
    for column in entity.key:
        if column not in table.columns:  # its rows named by nothing: `row` empty, in silence
            close = difflib.get_close_matches(column, list(table.columns), n=1)
            report("unknown-name", f"entity `{name}`: its key `{column}` is not a column of "
                   f"`{table.name}`", ("entities", name, "key"),
                   f"did you mean `{close[0]}`?" if close else "columns: "
                   + ", ".join(table.columns))  # fmt: skip
    for party in entity.parties:
        key = vocabulary.parties[party].key if party in vocabulary.parties else None
        if key is not None and key not in table.columns:
            report("unknown-name", f"entity `{name}` belongs to a {party}, but `{table.name}` "
                   f"has no column `{key}`", ("entities", name, "parties"),
                   f"add the column: vocabulary: {{tables: {{{table.name}: {{columns: "
                   f"{{{key}: {{type: text}}}}}}}}}}")  # fmt: skip


def _check_relation_keys(
    vocabulary: Vocabulary, entity: Entity, relation: Relation, report: Report
) -> None:
    """Both the entity's rows and the related ones have every key the relation joins on."""
    child = vocabulary.entities.get(relation.entity)
    if child is None:  # reported by `_check_relations`
        return
    for side in (entity, child):
        fields = _fields_and_keys(vocabulary, side.name)
        for key in relation.keys:
            if key not in fields:
                close = difflib.get_close_matches(key, sorted(fields), n=1)
                report("unknown-name", f"relation `{relation.name}` of `{entity.name}` joins on "
                       f"`{key}`, which `{side.name}` rows do not have",
                       ("entities", entity.name, "relations", relation.name),
                       f"did you mean `{close[0]}`?" if close else "a relation joins on "
                       "columns of the data both sides have, not on a definition (a "
                       "visit's date computed by a formula cannot be a key): join on the "
                       "columns both have and compare the rest in the aggregation's filter, "
                       f"e.g. `count({relation.name} where date(start) == {entity.name}.day)`")  # fmt: skip


def _fields_and_keys(vocabulary: Vocabulary, name: str) -> set[str]:
    """What an entity's rows hold: its fields, its key and its parties' ids."""
    entity = vocabulary.entities[name]
    fields = set(vocabulary.fields(name)) | set(entity.key)
    return fields | {vocabulary.parties[p].key for p in entity.parties if p in vocabulary.parties}


def unpaired_relations(vocabulary: Vocabulary) -> list[tuple[Entity, Relation]]:
    """The relations that join a pairs entity by its whole key to rows of an entity its
    rows are not made from (`month: {by: pairs, of: …}`), directly or through another
    pairs entity: such a row of a customer and provider with none of those rows in
    the month belongs to no row of it, and whatever it holds is in no payment."""
    found = []
    for entity in vocabulary.entities.values():
        if entity.month.by != "pairs":
            continue
        for relation in entity.relations:
            whole_key = set(relation.keys) == set(entity.key)
            if whole_key and not _made_from(vocabulary, entity, relation.entity, set()):
                found.append((entity, relation))
    return found


def _made_from(vocabulary: Vocabulary, pairs: Entity, name: str, seen: set[str]) -> bool:
    """Whether every row of `name` is in a row of the pairs entity: it is one of the
    entities its rows are made from, or in a row of one of them that holds its key, or
    made itself of rows that are (a decision's days, pairs of its visits)."""
    if name in pairs.month.of:
        return True
    seen = seen | {pairs.name, name}
    entity = vocabulary.entities.get(name)
    if entity is not None and entity.month.by in ("days", "pairs") and entity.month.of:
        derived = entity.month.by == "days" or set(pairs.key) <= set(entity.key)
        if derived and all(
            n not in seen and _made_from(vocabulary, pairs, n, seen) for n in entity.month.of
        ):
            return True
    sources = (vocabulary.entities.get(n) for n in pairs.month.of if n not in seen)
    return any(
        source.month.by == "pairs"
        and set(pairs.key) <= set(source.key)
        and _made_from(vocabulary, source, name, seen)
        for source in sources
        if source is not None
    )


MONTH_KINDS: dict[str, tuple[str, ...]] = {
    "moment": ("datetime",),
    "date": ("date",),
    "period": ("date",),
}


def _check_month_kinds(name: str, entity: Entity, table: Table, report: Report) -> None:
    """`by: date` reads a date column, `by: moment` a date and time, `by: period` two
    dates: a column of another kind would place no row in any month."""
    wanted = MONTH_KINDS.get(entity.month.by, ())
    for column in entity.month.columns if wanted else ():
        declared = table.columns.get(column)
        if declared is not None and declared.kind not in wanted:
            report("schema", f"entity `{name}`: `{column}` is {declared.kind}, but "
                   f"`by: {entity.month.by}` reads {' or '.join(wanted)}",
                   ("entities", name, "month"), None)  # fmt: skip


def _check_relations(vocabulary: Vocabulary, report: Report) -> Vocabulary:
    """Each entity's parties and relations name a party and an entity there is; one that
    does not is reported and left out, so that a formula reading it is an unknown name
    at its place (the checker stopped with a KeyError)."""
    entities = dict(vocabulary.entities)
    for entity in vocabulary.entities.values():
        for party in entity.parties:
            if party not in vocabulary.parties:
                report(
                    "unknown-name",
                    f"entity `{entity.name}`: no party `{party}`",
                    ("entities", entity.name, "parties"),
                    "parties: customer, provider",
                )
        for relation in entity.relations:
            if relation.entity not in vocabulary.entities:
                close = difflib.get_close_matches(relation.entity, list(vocabulary.entities), n=1)
                report(
                    "unknown-name",
                    f"relation `{relation.name}` of `{entity.name}`: there is no entity `{relation.entity}`",
                    ("entities", entity.name, "relations", relation.name),
                    f"did you mean `{close[0]}`?" if close else None,
                )
        entities[entity.name] = replace(
            entity,
            parties=tuple(p for p in entity.parties if p in vocabulary.parties),
            relations=tuple(r for r in entity.relations if r.entity in vocabulary.entities),
        )
    return replace(vocabulary, entities=entities)
