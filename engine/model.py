"""The loaded model: plain data, built by the loader, read by every later step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine import ast
from engine import types as t
from engine.catalog import Relation, Vocabulary, base_vocabulary
from engine.diagnostics import Diagnostic
from engine.source import Span


@dataclass
class DatedValue:
    start: date
    value: Any  # a number, text, nested dict (table) or list of brackets (steps), in internal units
    span: Span
    # a table's keys where they are written: (the key's place, the key) -> its first line
    key_spans: dict[tuple[int, str], Span] = field(default_factory=dict)


@dataclass
class Indexation:
    """Values after the last given one, derived by a factor each year (Örebro §4.6)."""

    formula: str
    tree: ast.Node | None
    span: Span
    start: date  # the first date the factor applies
    round_step: Decimal | None = None

    def dates(self, after: date, until: date) -> list[date]:
        """Indexation dates in (after, until]."""
        out: list[date] = []
        year = self.start.year
        while True:
            try:
                day = self.start.replace(year=year)
            except ValueError:  # 29 February
                day = date(year, 2, 28)
            if day > until:
                return out
            if day > after:
                out.append(day)
            year += 1


@dataclass(frozen=True)
class Band:
    """One time band of a `kind: bands` parameter. A moment is in the band when it is
    on a day of `calendar` (a list parameter of dates), or on one of `days` (Monday 1)
    at a time in from–to (across midnight when `to` is earlier), or — `weekly` — in the
    week's span from (day, time) to (day, time). Bands listed first take precedence."""

    name: str
    start: int | None = None  # minutes after midnight, or after Monday 00:00 when weekly
    end: int | None = None
    days: tuple[int, ...] = ()
    weekly: bool = False
    calendar: str | None = None
    # where `calendar:` is written (its errors are told there); not part of the band
    calendar_span: Span | None = field(default=None, compare=False, repr=False)


def band_boundaries(bands: list[Band]) -> list[int]:
    """The times of day (minutes after midnight) at which a moment may change band:
    midnight (days and calendars change there) and every band's from and to."""
    times = {0}
    for band in bands:
        for minute in (band.start, band.end):
            if minute is not None:
                times.add(minute % 1440)
    return sorted(times)


def cyclic(x: float, start: int, end: int) -> bool:
    """x in [start, end), wrapping around when end is earlier (or the whole cycle)."""
    if start < end:
        return start <= x < end
    if start > end:
        return x >= start or x < end
    return True


@dataclass
class Parameter:
    """A named value with dated values; a scalar, a keyed table or a step table."""

    name: str
    kind: str  # 'scalar' | 'table' | 'steps' | 'list' | 'bands'
    type: t.Type  # type of a value (of a cell, of a bracket's value)
    unit: str
    keys: tuple[str, ...]
    key_types: tuple[t.Type, ...]
    values: list[DatedValue]
    span: Span
    description: str = ""
    source: str | None = None
    bracket_type: t.Type | None = None  # for steps: the type of `under`
    under_unit: str | None = None  # for steps: the unit of `under` when the model declares one
    inclusive: bool = False  # for steps: brackets written `up_to:` (x ≤ bound), not `under:`
    bound_unit: str | None = None  # for steps: the unit the first bound is written in (`h`)
    indexation: Indexation | None = None
    # cells set by a study (`--set nivåbelopp[tätort, 12]=23760`): each one's value is
    # the value in force, not a base to index, while the parameter's other cells are
    # indexed as the model says. A table cell by its key; a step bracket's amount by its
    # place (from 0).
    pinned: dict[Any, Any] = field(default_factory=dict)
    # for tables: the value for keys not in the table, when the model declares one
    otherwise: Any = None
    has_otherwise: bool = False
    # the least and the most a value may be (in the engine's unit: minutes, SEK per
    # minute), as declared (`minimum: -500 kr/h`), or 0 at the least for an amount, a
    # rate or a time, which no model has written below 0: `-455` typed for a price paid
    # every hour backwards; each as written, for messages
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    minimum_written: str | None = None
    maximum_written: str | None = None

    @property
    def bound_word(self) -> str:
        """A step table's bounds as the model writes them: `up_to` or `under`."""
        return "up_to" if self.inclusive else "under"

    @property
    def bounds_unit(self) -> str:
        """The unit a step table's bounds are shown and set in: declared (`under:
        count`), as the first is written (`12 h`: it showed `720 min`), or the engine's."""
        typ = self.bracket_type
        shown = t.display_unit(typ) if isinstance(typ, t.Num) else ""
        return self.under_unit or self.bound_unit or shown

    def value_on(self, day: date) -> DatedValue | None:
        """The value in force on `day`: the latest one that started on or before it."""
        current = None
        for dated in sorted(self.values, key=lambda v: v.start):
            if dated.start <= day:
                current = dated
        return current


@dataclass
class RuleVersion:
    formula: str
    tree: ast.Node | None  # None when the formula failed to parse
    span: Span
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive
    source: str | None = None
    # a payment's version may count its line otherwise than the payment's `quantity:`
    # (executed hours while it paid them, granted hours after)
    quantity: RuleVersion | None = None

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass
class Rule:
    """A definition, a payment (a definition that becomes a statement line) or an exclusion."""

    name: str
    entity: str
    kind: str  # 'definition' | 'payment' | 'exclusion' | 'flag'
    versions: list[RuleVersion]
    span: Span
    source: str | None = None
    description: str = ""
    category: str | None = None  # payments
    reason: str | None = None  # exclusions: what the exclusions output says
    quantity: RuleVersion | None = None  # payments: the line's quantity (optional)
    unit: str | None = None  # payments: the quantity's unit label
    label: str | None = None  # the Swedish words documents show for it (else its name)
    letter: str | None = None  # payments: the provider's letter's sentence (placeholders)
    letter_span: Span | None = None
    label_span: Span | None = None

    @property
    def shown_as(self) -> str:
        """What a document that leaves the building calls the rule."""
        return self.label or self.name

    def version_on(self, day: date) -> RuleVersion | None:
        for version in self.versions:
            if version.in_force(day):
                return version
        return None

    def quantity_of(self, version: RuleVersion) -> RuleVersion | None:
        """The line's quantity while `version` is in force: its own, else the rule's."""
        return version.quantity or self.quantity

    @property
    def quantities(self) -> list[RuleVersion]:
        """The formulas of its lines' quantities: the rule's and its versions' own."""
        return [q for q in (self.quantity, *(v.quantity for v in self.versions)) if q]

    @property
    def formulas(self) -> list[RuleVersion]:
        """Every formula of the rule: its versions and the quantities of its lines."""
        return [*self.versions, *self.quantities]


@dataclass
class Assumption:
    """A behavioural assumption of a scenario: a change to a copy of the input data
    ("visits under 10 minutes are not registered"), never to the input files."""

    name: str
    kind: str  # 'scale_visit_time' | 'drop_visits_shorter_than' | 'move_level'
    amount: Decimal  # the factor, the minutes, or the number of levels
    description: str
    span: Span
    where: dict[str, list[Any]] = field(default_factory=dict)
    where_spans: dict[str, Span] = field(default_factory=dict)
    share: Decimal = Decimal(1)  # of customers, chosen by `seed`
    seed: int = 0
    source: str | None = None
    amount_span: Span | None = None  # where the factor, the minutes or the levels are written

    @property
    def role(self) -> str:
        """The entity role whose table the assumption changes (see catalog.Roles)."""
        return "decision" if self.kind == "move_level" else "registration"


@dataclass
class DataRequirement:
    """What rows of an input table must hold for the model to pay them (e.g. an omsorg
    decision needs a level or granted time). A row lacking it is rejected, by name."""

    name: str
    table: str
    any_of: list[str]  # at least one of these columns has a value
    reason: str
    span: Span
    where: dict[str, list[Any]] = field(default_factory=dict)
    source: str | None = None
    where_spans: dict[str, Span] = field(default_factory=dict)  # each `where:` column's line


ASSUMPTION_KINDS = ("scale_visit_time", "drop_visits_shorter_than", "move_level")
# the column of its table each kind changes (a visit left out changes every count of them)
CHANGED_COLUMN = {"scale_visit_time": "end", "move_level": "level"}


@dataclass
class Rounding:
    step: Decimal = Decimal("0.01")
    mode: str = "half_up"


@dataclass
class Model:
    id: str
    title: str
    files: list[str]
    municipality: str = ""
    version: str = ""
    source: str = ""
    rounding: Rounding = field(default_factory=Rounding)
    zones: dict[str, list[str]] = field(default_factory=dict)
    outside_invoice: list[str] = field(default_factory=list)  # categories paid apart
    # payments.xlsx: heading -> name on the customer-month entity, in order
    customer_columns: dict[str, str] = field(default_factory=dict)
    customer_column_spans: dict[str, Span] = field(default_factory=dict)
    # compare's bands of granted hours: a duration on the customer-month entity
    granted_time: str | None = None
    granted_time_span: Span | None = None
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)  # by name; names are unique per model
    # parameters declared but not loaded, their errors reported: a formula naming one is
    # not an error of its own (`unknown name`, with a far-fetched "did you mean")
    broken: set[str] = field(default_factory=set)
    assumptions: list[Assumption] = field(default_factory=list)  # scenarios: data changes
    data_requirements: list[DataRequirement] = field(default_factory=list)
    # the base vocabulary with the model's own declarations (tables, columns, codes …)
    vocabulary: Vocabulary = field(default_factory=base_vocabulary)
    # Rules and parameter values as in force on this date, whatever month is run
    # (`compare --a-as-of`): the old and the new model on the same data.
    as_of: date | None = None
    # a pairs entity's relation whose rows can fall outside every row of it, and the
    # warning to give where a formula reads it (`checker`; the loader cannot tell)
    unpaired: list[tuple[str, Relation, Diagnostic]] = field(default_factory=list)

    def in_force_on(self, month_start: date) -> date:
        """The date whose rule versions and parameter values a month uses."""
        return self.as_of if self.as_of is not None else month_start

    def key_values(self, key: str) -> set[str]:
        """The values a table's key can take that the model itself names: the districts
        of its zones, its zones, the codes of a code list of the key's name."""
        if key == "district":
            return {d for districts in self.zones.values() for d in districts}
        if key == "zone":
            return set(self.zones)
        return set(self.vocabulary.codes.get(key, ()))

    def rules_on(self, entity: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.entity == entity]

    @property
    def payments(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind == "payment"]

    @property
    def exclusions(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind == "exclusion"]

    @property
    def flags(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind == "flag"]
