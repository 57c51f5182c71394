"""What data there is to compute on: input tables (from `schemas/tables`) and entities.

The checker resolves names against this catalog and the back ends build their
frames from it, so a column added to a table schema is visible everywhere.
Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from engine import types as t


def schemas_dir() -> Path:
    """`schemas/` of a checkout, or the copy packaged inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "schemas", here / "_schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("carepay's schemas/ directory is missing from the installation")


@dataclass(frozen=True)
class Column:
    name: str
    type: t.Type
    nullable: bool
    unit: str  # x-unit of the table schema ('' when none): the unit values are written in
    kind: str  # 'text', 'integer', 'number', 'date', 'datetime', 'bool'
    minimum: float | None = None  # the schema's range, where it gives one
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: dict[str, Column]
    key: tuple[str, ...]
    required: tuple[str, ...]
    schema: dict  # the JSON Schema of one row
    optional: bool = False  # a missing file means "no rows" (e.g. no outages this month)


def _column(name: str, spec: dict) -> Column:
    kinds = spec.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    nullable = "null" in kinds
    base = next((k for k in kinds if k != "null"), "string")
    unit = spec.get("x-unit", "")
    fmt = spec.get("format")
    if base == "string" and fmt == "date":
        return Column(name, t.DATE, nullable, unit, "date")
    if base == "string" and fmt == "date-time":
        return Column(name, t.DATETIME, nullable, unit, "datetime")
    if base == "string":
        values = spec.get("enum")
        enum = tuple(v for v in values if v is not None) if values else None
        return Column(name, t.Text(enum), nullable, unit, "text")
    if base == "boolean":
        return Column(name, t.BOOL, nullable, unit, "bool")
    if unit:
        return Column(
            name,
            t.UNITS[unit][0],
            nullable,
            unit,
            "number",
            spec.get("minimum"),
            spec.get("maximum"),
        )
    low, high = spec.get("minimum"), spec.get("maximum")
    if base == "integer":
        return Column(name, t.COUNT, nullable, unit, "integer", low, high)
    return Column(name, t.NUMBER, nullable, unit, "number", low, high)


@cache
def tables() -> dict[str, Table]:
    out: dict[str, Table] = {}
    for path in sorted((schemas_dir() / "tables").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        name = schema["title"]
        columns = {c: _column(c, spec) for c, spec in schema["properties"].items()}
        out[name] = Table(
            name,
            schema.get("description", ""),
            columns,
            tuple(schema.get("x-key", [])),
            tuple(schema.get("required", [])),
            schema,
            bool(schema.get("x-optional", False)),
        )
    return out


@dataclass(frozen=True)
class Relation:
    """Rows of `entity` that belong to a row of the parent, joined on `keys`."""

    name: str
    entity: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    table: str | None  # the input table whose rows it is, or None when derived
    in_month: str  # rows for a month: 'start', 'overlap', 'submitted', 'derived' or 'all'
    key: tuple[str, ...]
    relations: tuple[Relation, ...]
    derived_fields: tuple[Column, ...] = ()


def _derived(name: str, typ: t.Type, kind: str = "text") -> Column:
    return Column(name, typ, True, "", kind)


# Fields every entity gets from the customer and provider it belongs to.
PARTY_FIELDS = (
    _derived("district", t.TEXT),
    _derived("zone", t.TEXT),
    _derived("ownership", t.Text(("municipal", "private"))),
)

ENTITIES: dict[str, Entity] = {
    "outage": Entity(
        "outage",
        "an outage of the registration system (any date)",
        "outages",
        "all",
        (),
        (),
    ),
    "decision_history": Entity(
        "decision_history",
        "a decision line of any month (the customer's whole history)",
        "decisions",
        "all",
        ("decision_id",),
        (),
        PARTY_FIELDS,
    ),
    "decision": Entity(
        "decision",
        "a decision line active on some day of the month (a decision-month)",
        "decisions",
        "overlap",
        ("decision_id",),
        (),
        PARTY_FIELDS,
    ),
    "absence": Entity(
        "absence",
        "an absence period overlapping the month",
        "absences",
        "overlap",
        (),
        (),
        (_derived("district", t.TEXT), _derived("zone", t.TEXT)),
    ),
    "journal": Entity(
        "journal",
        "a home-health enrolment (journal) overlapping the month",
        "journals",
        "overlap",
        (),
        (),
        PARTY_FIELDS,
    ),
    "visit": Entity(
        "visit",
        "a registered visit whose start falls in the month",
        "visits",
        "start",
        ("visit_id",),
        (
            Relation("decisions", "decision", ("customer_id", "provider_id")),
            Relation("outages", "outage", ()),
        ),
        PARTY_FIELDS,
    ),
    "customer_month": Entity(
        "customer_month",
        "one customer with one provider in the month (has decisions, visits or journals)",
        None,
        "derived",
        ("customer_id", "provider_id"),
        (
            Relation("visits", "visit", ("customer_id", "provider_id")),
            Relation("decisions", "decision", ("customer_id", "provider_id")),
            Relation("journals", "journal", ("customer_id", "provider_id")),
            Relation("absences", "absence", ("customer_id",)),
            Relation("history", "decision_history", ("customer_id",)),
        ),
        (
            _derived("customer_id", t.TEXT),
            _derived("provider_id", t.TEXT),
            *PARTY_FIELDS,
        ),
    ),
    "provider_month": Entity(
        "provider_month",
        "one provider in the month",
        None,
        "derived",
        ("provider_id",),
        (
            Relation("customers", "customer_month", ("provider_id",)),
            Relation("visits", "visit", ("provider_id",)),
            Relation("decisions", "decision", ("provider_id",)),
        ),
        (
            _derived("provider_id", t.TEXT),
            _derived("name", t.TEXT),
            _derived("ownership", t.Text(("municipal", "private"))),
        ),
    ),
    "claim_history": Entity(
        "claim_history",
        "an application for an effect premium, of any month",
        "premium_claims",
        "all",
        (),
        (),
        PARTY_FIELDS,
    ),
    "premium_claim": Entity(
        "premium_claim",
        "an application for an effect premium, submitted in the month",
        "premium_claims",
        "submitted",
        (),
        (
            Relation("history", "decision_history", ("customer_id",)),
            Relation("claims", "claim_history", ("customer_id",)),
        ),
        PARTY_FIELDS,
    ),
}

# Evaluation order: children before the entities that aggregate them.
ENTITY_ORDER = (
    "outage",
    "decision_history",
    "claim_history",
    "decision",
    "absence",
    "journal",
    "visit",
    "customer_month",
    "provider_month",
    "premium_claim",
)

# Entities whose rows become statement lines (one per row, keyed by provider and
# customer where the entity has them).
PAYABLE = {"customer_month", "provider_month", "premium_claim"}

# Names every formula may use, whatever its entity.
CONTEXT_NAMES: dict[str, t.Type] = {
    "month_start": t.DATE,
    "month_end": t.DATE,
    "days_in_month": t.COUNT,
}


def entity_fields(entity: Entity) -> dict[str, Column]:
    """Columns a formula on `entity` can name directly."""
    fields: dict[str, Column] = {}
    if entity.table:
        fields.update(tables()[entity.table].columns)
    for column in entity.derived_fields:
        fields.setdefault(column.name, column)
    return fields
