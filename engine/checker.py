"""Static checking: names, types and units, aggregations, cycles, dates in force.

`check(model)` walks every formula once and returns a CheckedModel: the type of
every node, what every name refers to, and the dependency graph both back ends
use. Every problem becomes a Diagnostic; nothing is raised.
"""

from __future__ import annotations

import calendar as calendars
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from engine import ast
from engine import types as t
from engine.builtins import AGGREGATES, BUILTINS, SKIPS_MISSING
from engine.catalog import (
    CONTEXT_NAMES,
    ZONE,
    Column,
    Relation,
    Vocabulary,
    as_written,
    period_month_rule,
    range_words,
    where_value,
)
from engine.diagnostics import Diagnostic, Diagnostics, closest
from engine.model import (
    CHANGED_COLUMN,
    Assumption,
    DataRequirement,
    DatedValue,
    Model,
    Parameter,
    Rule,
)
from engine.money import SNAP_DECIMALS
from engine.phrases import CUSTOMER_SHEET_HEADINGS as SHEET_HEADINGS
from engine.source import Span
from engine.swedish import point_in_price


class DividedByZero(str):
    """Why a value has none, where it is a division by a value of the data that is 0:
    "`ersatt_sol` is 0" (told apart from "`max(…)` is over no rows" by its kind)."""


def said_unknown(columns: Iterable[str], reasons: Iterable[str]) -> str:
    """Why a comparison was unknown, in words: `avstånd_km` empty; `ersatt_sol` is 0."""
    empty = ", ".join(f"`{c}`" for c in columns)
    return "; ".join([*([f"{empty} empty"] if empty else []), *reasons])


# ----------------------------------------------------------------------------- references


@dataclass(frozen=True)
class ColumnRef:
    entity: str
    name: str


@dataclass(frozen=True)
class RuleRef:
    name: str


@dataclass(frozen=True)
class ParamRef:
    name: str


@dataclass(frozen=True)
class ContextRef:
    name: str


@dataclass(frozen=True)
class OuterRef:
    """A field of the row an aggregation is computed for, used in its `where` filter."""

    entity: str
    name: str


Ref = ColumnRef | RuleRef | ParamRef | ContextRef | OuterRef


@dataclass(frozen=True)
class AggInfo:
    """An aggregation: `func(relation.field where condition)`."""

    func: str
    relation: Relation
    field: Ref | None
    condition: ast.Node | None
    field_node: ast.Node | None = None  # the field as a Name on the child entity
    period: tuple[str, ...] = ()  # days_covered: the child's start and end columns


# Fields the engine adds to visits from the model's exclusions.
VISIT_FIELDS = {
    "counted": Column("counted", t.BOOL, False, "", "bool"),
    "excluded_by": Column("excluded_by", t.TEXT, True, "", "text"),
}


# Functions of a row's values that have no value where an argument has none (`days_active`
# reads an empty end as open; `min` and `max` skip a missing argument: `_missing_from`).
ROW_FUNCTIONS = frozenset(
    {"round", "floor", "ceil", "clamp", "abs", "step", "date", "time_of_day", "weekday"}
    | {"add_months", "minutes_within"}
)


# Fields that are filled on every row although their catalog entry allows empty
# (the zone of a district the model does not place stops the run instead).
DERIVED_NEVER_EMPTY = frozenset({"district", "zone", "ownership"})


LETTER_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")  # a name in a payment's `letter:`
LETTER_WORDS = ("belopp", "antal")  # the amount and the quantity of the line


@dataclass
class CheckedModel:
    model: Model
    types: dict[int, t.Type] = field(default_factory=dict)
    refs: dict[int, Ref] = field(default_factory=dict)
    aggs: dict[int, AggInfo] = field(default_factory=dict)
    literals: dict[int, Decimal] = field(default_factory=dict)
    rule_types: dict[str, t.Type] = field(default_factory=dict)
    deps: dict[str, set[str]] = field(default_factory=dict)  # rule -> rules it reads
    params: dict[str, set[str]] = field(default_factory=dict)  # rule -> parameters it reads
    columns: dict[str, set[str]] = field(default_factory=dict)  # entity -> columns read
    # payments.xlsx's customer columns: heading -> the type of the value shown
    customer_column_types: dict[str, t.Type] = field(default_factory=dict)
    # a number's `min`/`max` (by node id) -> its arguments that can have no value, and
    # why (`skipped-argument`): the run counts the rows where one had none
    skipping: dict[int, tuple[tuple[ast.Node, ...], frozenset[str]]] = field(default_factory=dict)
    # a comparison or condition (by node id) that is unknown where these columns are
    # empty (`nullable-comparison`): the run names the rows where it decided unknown
    unknowns: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # … or where a divisor it reads is 0, in words (`ersatt_sol` is 0)
    unknown_reasons: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # parameters a `round`, `floor` or `ceil` rounds to a multiple of: above zero, also
    # as a study sets them (`--set avrundning=0 min` would divide by zero)
    multiples: set[str] = field(default_factory=set)
    # scalar parameters a formula divides by: not 0, in the file or as a study sets them
    nonzero: set[str] = field(default_factory=set)
    # text parameters compared with a column of a code list -> the codes they may hold,
    # in the file and as a study sets them (`--set tjänst=omsorgg` would pay nothing)
    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    # relations a formula reads whose rows can be in no row of their pairs entity, by
    # that entity (`unpaired-rows`): the run names the rows that are
    unpaired: list[tuple[str, Relation]] = field(default_factory=list)
    # a definition a `sum`, `min`, `max`, `any` or `all` aggregates -> the columns that
    # can be empty through which it has no value (`_missing_from`): where the model also
    # makes it missing by design, the run warns of the rows where one of these is empty
    missing_from: dict[str, frozenset[str]] = field(default_factory=dict)
    # … and those of them the model itself can make missing (`missing`, a `min` or `max`
    # over no rows, where no `coalesce` or other `min`/`max` argument stands in)
    missing_by_design: set[str] = field(default_factory=set)

    def type_of(self, node: ast.Node) -> t.Type:
        return self.types.get(id(node), t.UNKNOWN)


def fields_of(vocabulary: Vocabulary, entity: str) -> dict[str, Column]:
    """What a formula on `entity` can name as a field (on visits: `counted` and
    `excluded_by` too, which the engine adds from the model's exclusions)."""
    fields = dict(vocabulary.fields(entity))
    if entity == vocabulary.roles.registration:
        fields.update(VISIT_FIELDS)
    return fields


def tables_read(checked: CheckedModel, rule: str) -> set[str]:
    """The input tables a rule's value can depend on, through every rule it reads: the
    tables of the entities whose fields and rows it reads, and the parties' tables
    where it reads a customer's or provider's field."""
    vocabulary = checked.model.vocabulary
    out: set[str] = set()
    seen: set[str] = set()
    pending = [rule]
    while pending:
        name = pending.pop()
        found = checked.model.rules.get(name)
        if name in seen or found is None:
            continue
        seen.add(name)
        for node in (n for v in found.formulas if v.tree is not None for n in v.tree.walk()):
            ref, info = checked.refs.get(id(node)), checked.aggs.get(id(node))
            if isinstance(ref, RuleRef):
                pending.append(ref.name)
            elif isinstance(ref, ColumnRef):
                out |= _tables_of_field(vocabulary, ref)
            if info is not None:
                out.add(vocabulary.table_of(info.relation.entity) or "")
                if isinstance(info.field, RuleRef):
                    pending.append(info.field.name)
    return out - {""}


def _tables_of_field(vocabulary: Vocabulary, ref: ColumnRef) -> set[str]:
    entity = vocabulary.entities.get(ref.entity)
    table = vocabulary.table_of(ref.entity)
    own = vocabulary.tables.get(table) if table else None
    if own is not None and ref.name in own.columns or entity is None:
        return {table} if table else set()
    parties = (vocabulary.parties[p] for p in entity.parties if p in vocabulary.parties)
    return {p.table for p in parties} | ({table} if table else set())


# ----------------------------------------------------------------------------- the checker


class _Checker:
    def __init__(self, model: Model, diags: Diagnostics):
        self.model = model
        self.vocabulary = model.vocabulary
        self.diags = diags
        self._unknown_entities: set[str] = set()
        self.out = CheckedModel(model)
        self.in_progress: list[str] = []
        self.current: str = ""
        self.outer: list[str] = []  # entities whose rows an aggregation filter sits in
        self.guarded = 0  # inside a branch of an `if` (or the first argument of coalesce)
        self.fallback = 0  # inside the first argument of coalesce: a missing value is handled
        self.missing_from: dict[str, frozenset[str]] = {}  # rule -> empty columns (`_missing_from`)
        self.made_missing: dict[str, frozenset[bool]] = {}  # rule -> {True} (`_made_missing`)
        self.absent_by_model: dict[str, frozenset[tuple[frozenset[str], str]]] = {}
        self.asked: list[frozenset[str]] = []  # what the enclosing `if`s ask (`_names_read`)
        self.beside: list[frozenset[str]] = []  # what the other sides of `and`s, `or`s read
        self._told_calendars: set[tuple[str, str]] = set()  # (bands, calendar) said once
        # rule -> whether it reads `counted` or `excluded_by` (`_excluded_rows_paid`)
        self.reads_counted: dict[str, bool] = {}
        # (table, key's place) -> the keys its look-ups name there, None where one is
        # computed (`_keys_never_looked_up`)
        self.looked_up: dict[tuple[str, int], set[str] | None] = {}

    def _fields(self, entity: str) -> dict[str, Column]:
        return fields_of(self.vocabulary, entity)

    # ---- rules

    def run(self) -> CheckedModel:
        for param in self.model.parameters.values():
            self._indexation(param)
            if param.name in self.model.rules:
                self.diags.error(
                    "schema",
                    f"`{param.name}` is both a parameter and a {self.model.rules[param.name].kind}",
                    self.model.rules[param.name].span,
                    hint="give them different names; formulas could not tell them apart",
                )
        for rule in self.model.rules.values():
            self._known_entity(rule)
            self._own_name(rule)
        for rule in self.model.rules.values():
            self.rule_type(rule.name, None)
        for rule in self.model.rules.values():
            self._check_kind(rule)
        for assumption in self.model.assumptions:
            self._assumption(assumption)
        for requirement in self.model.data_requirements:
            self._requirement(requirement)
        for heading, name in self.model.customer_columns.items():
            self._customer_column(heading, name)
        if self.model.granted_time is not None:
            self._granted_time(self.model.granted_time)
        self._sheet_headings()
        for rule in self.model.payments:
            if rule.letter is not None and rule.entity in self.vocabulary.entities:
                self._letter(rule)
        read = [info.relation for info in self.out.aggs.values()]
        for entity, relation, warning in self.model.unpaired:
            if relation in read:
                self.diags.extend([warning])
                self.out.unpaired.append((entity, relation))
        if self.model.exclusions:
            self._excluded_rows_paid()
        for assumption in self.model.assumptions:
            self._assumption_changes_what_is_read(assumption)
        self._keys_never_looked_up()
        self._aggregated_missing_from()
        return self.out

    def _aggregated_missing_from(self) -> None:
        """What each definition an aggregation that skips missing values reads can be
        missing through (`CheckedModel.missing_from`)."""
        for info in self.out.aggs.values():
            if info.func in SKIPS_MISSING and isinstance(info.field, RuleRef):
                name = info.field.name
                self.out.missing_from[name] = self._rule_missing_from(name)
                if self._rule_made_missing(name):
                    self.out.missing_by_design.add(name)

    def _made_missing(self, node: ast.Node) -> bool:
        """Whether the model itself can make a value missing: `missing`, or a `min` or
        `max` aggregation over no rows, reaching the value past arithmetic, branches and
        functions of a row (not past `coalesce`, nor a `min`/`max` with another argument
        that has a value: Örebro's `min(end_date, ersätts_från - 1 days)`)."""
        if isinstance(node, ast.Missing):
            return True
        ref = self.out.refs.get(id(node))
        if isinstance(ref, RuleRef):
            return self._rule_made_missing(ref.name)
        info = self.out.aggs.get(id(node))
        if info is not None:
            return info.func in ("min", "max")
        match node:
            case ast.BinOp() | ast.Neg():
                return any(self._made_missing(c) for c in node.children())
            case ast.If():  # an unknown condition takes the other branch
                return self._made_missing(node.then) or self._made_missing(node.otherwise)
            case ast.Call(func="coalesce"):
                return self._made_missing(node.args[-1])
            case ast.Call(func="min" | "max"):
                return all(self._made_missing(a) for a in node.args)
            case ast.Call(func=func) if func in ROW_FUNCTIONS:
                return any(self._made_missing(a) for a in node.args)
        return False

    def _rule_made_missing(self, name: str) -> bool:
        made = self._per_rule(
            self.made_missing,
            name,
            lambda tree: frozenset({True} if self._made_missing(tree) else ()),
        )
        return bool(made)

    def _keys_never_looked_up(self) -> None:
        """A table whose every look-up names its key as written (`ob_tillägg["kväll"]`)
        is read at those keys alone, so a key it lists that is a misspelling of one
        looked up (`Kväll`) is never read. Under `otherwise:`, where the key looked up
        is not listed, it is paid that value (the evening hours paid 0 kr, in silence):
        an error; beside the key it resembles, a warning. A key no look-up resembles —
        `dag: 0` listed beside the bands paid — is left alone. Keys whose values the
        model decides (a zone, a level, a code) are the loader's (`unknown-value`)."""
        columns = {c for table in self.vocabulary.tables.values() for c in table.columns}
        for (name, place), asked in sorted(self.looked_up.items()):
            param = self.model.parameters[name]
            if asked is None or param.keys[place] in columns or param.keys[place] == ZONE:
                continue
            for dated in param.values:
                listed = dict.fromkeys(k[place] for k in (dated.value or {}))
                lacking = sorted(asked - set(listed))
                for key in (k for k in listed if k not in asked):
                    self._key_never_looked_up(param, place, key, asked, lacking, dated)

    def _key_never_looked_up(
        self,
        param: Parameter,
        place: int,
        key: str,
        asked: set[str],
        lacking: list[str],
        dated: DatedValue,
    ) -> None:
        span = dated.key_spans.get((place, key), dated.span)
        said = (
            f"`{param.name}` (from {dated.start.isoformat()}) lists `{param.keys[place]}` "
            f'"{key}", which no formula looks up'
        )
        meant = closest(key, lacking) if param.has_otherwise else None
        if meant is not None:
            said += f': "{meant}" is looked up, and paid by `otherwise:` as it is not listed'
            self.diags.error("unknown-value", said, span, hint=f'did you mean "{meant}"?')
            return
        meant = closest(key, sorted(asked - set(lacking)))  # one lacking is a `bad-lookup`
        if meant is not None:
            said += f': "{meant}" is, and its value is paid'
            self.diags.warning("unknown-value", said, span, hint=f'remove "{key}", or look it up')

    def _assumption_changes_what_is_read(self, assumption: Assumption) -> None:
        """An assumption that changes a column no rule reads changes no amount: a model
        paying by the time granted, asked to assess customers a level lower, stopped on
        its data instead ("`decisions` has no column `level`", with a hint to rename
        it in columns.yaml), and where the column was there the run said how many
        decisions moved and paid the same. An error at the assumption."""
        column = CHANGED_COLUMN.get(assumption.kind)
        if column is None:  # visits left out change every count of them
            return
        table = self.vocabulary.table_of_role(assumption.role)
        read = {
            name
            for entity, columns in self.out.columns.items()
            if entity in self.vocabulary.entities and self.vocabulary.table_of(entity) == table
            for name in columns
        }
        if column not in read:
            self.diags.error(
                "changes-nothing",
                f"assumption `{assumption.name}`: `{assumption.kind}` changes "
                f"{table}.{column}, which no rule of the model reads: it would change "
                "no amount",
                assumption.span,
                hint="an assumption changes what the model pays by; this model pays by "
                f"other columns of {table}",
            )

    def _excluded_rows_paid(self) -> None:
        """An aggregation a payment is computed from, over the registrations (visits),
        that neither filters on `counted` nor reads it in its field takes the rows the
        exclusions set aside too: a visit the exclusions output lists as not counted,
        and paid (Fjällby wrote `sum(visits.besöksersättning)` and paid a visit
        cancelled in time). Reading `counted` says what the model means."""
        registration = self.vocabulary.roles.registration
        set_aside = ", ".join(f"`{r.name}`" for r in self.model.exclusions)
        for payment in self.model.payments:
            if payment.entity == registration and not self._rule_reads_counted(payment.name):
                self.diags.warning(
                    "excluded-rows-paid",
                    f"`{payment.name}` pays every {registration}, also those the exclusions "
                    f"set aside ({set_aside}), which are listed as not counted",
                    payment.span,
                    hint="pay only those counted: `if counted then … else 0 SEK`; or, if "
                    "they belong there, say so: `if counted or not counted then …`",
                )
        paying = self._paying()
        for name in sorted(paying):
            rule = self.model.rules[name]
            for node in (n for v in rule.formulas if v.tree is not None for n in v.tree.walk()):
                info = self.out.aggs.get(id(node))
                if info is None or info.relation.entity != registration:
                    continue
                if self._reads_counted(info.condition) or (
                    isinstance(info.field, RuleRef) and self._rule_reads_counted(info.field.name)
                ):
                    continue
                payments = ", ".join(f"`{p}`" for p in sorted(paying[name]))
                filtered = isinstance(node, ast.Call) and isinstance(node.args[0], ast.Filtered)
                text = formula_text(node)
                self.diags.warning(
                    "excluded-rows-paid",
                    f"`{text}` also takes the {info.relation.name} the exclusions set aside "
                    f"({set_aside}), which are listed as not counted; "
                    f"{'the payment' if len(paying[name]) == 1 else 'the payments'} "
                    f"{payments} {'is' if len(paying[name]) == 1 else 'are'} computed from it",
                    node.span,
                    hint=(
                        "add `and counted` to its `where`; or, if they belong there, say "
                        "so: `and (counted or not counted)`"
                        if filtered
                        else "add `where counted`; or, if they belong there, say so: "
                        "`where counted or not counted`"
                    ),
                )

    def _paying(self) -> dict[str, set[str]]:
        """Every rule a payment is computed from (the payment too), with those payments."""
        found: dict[str, set[str]] = {}
        for payment in self.model.payments:
            seen: set[str] = set()
            pending = [payment.name]
            while pending:
                name = pending.pop()
                if name not in seen and name in self.model.rules:
                    seen.add(name)
                    found.setdefault(name, set()).add(payment.name)
                    pending += self.out.deps.get(name, set())
        return found

    def _reads_counted(self, tree: ast.Node | None) -> bool:
        """Whether a formula reads `counted` or `excluded_by`, itself or through a rule."""
        for node in tree.walk() if tree is not None else ():
            ref = self.out.refs.get(id(node))
            if isinstance(ref, ColumnRef) and ref.name in VISIT_FIELDS:
                return True
            if isinstance(ref, RuleRef) and self._rule_reads_counted(ref.name):
                return True
        return False

    def _rule_reads_counted(self, name: str) -> bool:
        if name not in self.reads_counted:
            self.reads_counted[name] = False  # a circle is reported elsewhere
            versions = self.model.rules[name].versions
            self.reads_counted[name] = any(self._reads_counted(v.tree) for v in versions)
        return self.reads_counted[name]

    def _letter(self, rule: Rule) -> None:
        """A letter sentence's placeholders are `{belopp}`, `{antal}`, a parameter of one
        value (its value that month: `à {timpris}`), or a field or definition of the
        payment's entity (a field named there is read from the data) where the letter is
        that entity's: a customer's month, or the provider's own letter of the month."""
        self._letter_shape(rule)
        fields: dict[str, Column] = {}
        scalars = [p.name for p in self.model.parameters.values() if p.kind == "scalar"]
        known = [*LETTER_WORDS, *scalars]
        roles = self.vocabulary.roles
        entity = self.vocabulary.entities.get(rule.entity)
        if rule.entity in (roles.customer_month, roles.provider_month) or (
            entity is not None and entity.key  # a payment per row: the row found by its key
        ):
            fields = self._fields(rule.entity)
            known += [*fields, *(r.name for r in self.model.rules_on(rule.entity))]
        for name in (m.strip() for m in LETTER_PLACEHOLDER.findall(rule.letter or "")):
            if name in fields:
                self.out.columns.setdefault(rule.entity, set()).add(name)
            elif name in scalars:  # the month's value: `à {timpris}`
                continue
            elif name in self.model.parameters:
                self.diags.error(
                    "unknown-name",
                    f"the letter of `{rule.name}` shows `{{{name}}}`, a "
                    f"{self.model.parameters[name].kind} parameter: a sentence shows a "
                    "parameter of one value, and a definition's",
                    rule.letter_span or rule.span,
                    hint=f"define the value the sentence means on {rule.entity} (e.g. "
                    f"`pris: {name}[zone]`) and show that",
                )
            elif name not in known and not fields:
                # a payment per row of an entity without a key (a journal): its row
                # cannot be found for the sentence
                self.diags.error(
                    "unknown-name",
                    f"the letter of `{rule.name}`, a payment per {rule.entity} row, shows "
                    f"`{{{name}}}`: its rows have no key to find them by, so such a "
                    "sentence shows only {belopp} and {antal}",
                    rule.letter_span or rule.span,
                    hint=f'write it without `{{{name}}}`, e.g. letter: "{rule.shown_as} '
                    '{antal}: {belopp}"',
                )
            elif name not in known:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                self.diags.error(
                    "unknown-name",
                    f"the letter of `{rule.name}` shows `{{{name}}}`, which is no field or "
                    f"definition of {rule.entity}",
                    rule.letter_span or rule.span,
                    hint=f"did you mean `{{{close[0]}}}`?"
                    if close
                    else f"use {{belopp}}, {{antal}}, a parameter, or a name of {rule.entity}",
                )

    def _sheet_headings(self) -> None:
        """Each payment's label and each customer column's heading is a column of
        payments.xlsx's sheet of customers, whose headings Excel holds apart whatever
        their case: two payments labelled alike, or a heading `Kund` or `Summa`, stopped
        the run with a traceback as the workbook was written (and two payments of one
        label would read alike in every sheet and letter); a blank label or heading
        would name a column nothing."""
        own = f"a column the sheet Kunder has of its own ({', '.join(SHEET_HEADINGS)})"
        taken = dict.fromkeys((h.casefold() for h in SHEET_HEADINGS), own)
        shown = [
            self._customer_heading(heading, span)
            for heading, span in self.model.customer_column_spans.items()
        ]
        shown += [
            (rule.shown_as, f"the label of `{rule.name}`", f"the label of `{rule.name}`", span)
            for rule in self.model.payments
            for span in [rule.label_span or rule.span]
        ]
        for text, what, named, span in shown:
            if not text.strip():
                self.diags.error("schema", f"{what} is blank", span, hint="e.g. Omsorg enligt nivå")
                continue
            other = taken.setdefault(text.strip().casefold(), named)
            if other != named:
                self.diags.error(
                    "duplicate-label",
                    f"`{text}` ({what}) is also {other}: payments.xlsx would show two "
                    "columns alike, and a reader could not tell them apart",
                    span,
                    hint="give each payment and customer column words of its own",
                )

    def _customer_heading(self, heading: str, span: Span) -> tuple[str, str, str, Span]:
        """A customer column's heading as *Kunder* shows it, with what it is and how
        another column reading alike names it: a duration's says its hours, "Utförd tid
        (h)", which a payment's label may read too."""
        sheet = t.sheet_heading(heading, self.out.customer_column_types.get(heading, t.UNKNOWN))
        if sheet == heading:
            return sheet, "a customer column's heading", f"the customer column `{heading}`", span
        return (
            sheet,
            f"the customer column `{heading}`, in hours",
            f"the customer column `{heading}`, headed `{sheet}` in hours",
            span,
        )

    def _letter_shape(self, rule: Rule) -> None:
        """A sentence says its payment's amount, shows `{antal}` only of a payment with a
        quantity, and opens and closes each placeholder: "Omsorg enligt nivå {nivå}." told
        the provider no amount, `{antal}` of a payment without `quantity:` read "—", and
        the braces of `{{nivå}}`, `{}` or `{nivå` were printed as they stand."""
        letter, span = rule.letter or "", rule.letter_span or rule.span
        names = {m.strip() for m in LETTER_PLACEHOLDER.findall(letter)}
        if "belopp" not in names:
            self.diags.error(
                "bad-letter",
                f"the letter of `{rule.name}` does not show its amount, `{{belopp}}`: each "
                "payment's sentence tells the provider what it pays",
                span,
                hint=f'e.g. letter: "{letter.rstrip(". ")}: {{belopp}}"',
            )
        if "antal" in names and not all(rule.quantity_of(v) for v in rule.versions):
            self.diags.error(
                "missing-quantity",
                f"the letter of `{rule.name}` shows `{{antal}}`, but `{rule.name}` has no "
                "`quantity:` to show there",
                span,
                hint="add the quantity the sentence means (quantity: count(visits where "
                "counted)), or leave out {antal}",
            )
        stray = LETTER_PLACEHOLDER.sub("", letter)
        if "{" in stray or "}" in stray:
            self.diags.error(
                "bad-letter",
                f"the letter of `{rule.name}` has a brace that opens or closes no "
                "placeholder; it would be printed as it stands",
                span,
                hint="a placeholder is a name in one pair of braces, `{nivå}`; a letter has "
                "no other braces",
            )

    def _customer_column(self, heading: str, name: str) -> None:
        """`specification: customer_columns:` names a field or rule of the customer-month
        entity; a field named there is read from the data like one a formula reads."""
        span = self.model.customer_column_spans.get(heading)
        said = f"the customer column `{heading}` shows `{name}`, which is"
        typ = self._customer_month_type(name, said, span)
        if typ is not None:
            self.out.customer_column_types[heading] = typ

    def _granted_time(self, name: str) -> None:
        """`specification: granted_time:` names a duration of the customer-month entity."""
        span = self.model.granted_time_span
        typ = self._customer_month_type(name, f"the granted time `{name}` is", span)
        if typ is not None and not (isinstance(typ, t.Num) and typ.same_dimension(t.DURATION)):
            self.diags.error(
                "type-mismatch",
                f"the granted time `{name}` is {t.describe(typ)}, not a duration",
                span,
                hint="name the customer-month's granted time in the month, e.g. beviljad_tid",
            )

    def _customer_month_type(self, name: str, said: str, span: Span | None) -> t.Type | None:
        """The type of a field or rule of the customer-month entity that the model's
        specification names (a field is read from the data like one a formula reads);
        None, and an error `{said} no field or definition …`, for another name."""
        entity = self.vocabulary.roles.customer_month
        fields = self._fields(entity)
        rule = self.model.rules.get(name)
        if name in fields:
            self.out.columns.setdefault(entity, set()).add(name)
            return fields[name].type
        if rule is not None and rule.entity == entity and rule.kind in ("definition", "payment"):
            return self.rule_type(name, None)
        known = [*fields, *(r.name for r in self.model.rules_on(entity))]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        self.diags.error(
            "unknown-name",
            f"{said} no field or definition of {entity}",
            span,
            hint=f"did you mean `{close[0]}`?" if close else f"define `{name}` on {entity}",
        )
        return None

    def _known_entity(self, rule: Rule) -> None:
        """An unknown entity is reported once, at its first rule (not once per rule)."""
        if rule.entity in self.vocabulary.entities or rule.entity in self._unknown_entities:
            return
        self._unknown_entities.add(rule.entity)
        known = list(self.vocabulary.entities)
        close = difflib.get_close_matches(rule.entity, known, n=1)
        others = sum(1 for r in self.model.rules.values() if r.entity == rule.entity) - 1
        self.diags.error(
            "unknown-name",
            f"`{rule.name}` is computed per `{rule.entity}`, which is no entity"
            + (f" (nor are its {others} other rules)" if others else ""),
            rule.span,
            hint=f"did you mean `{close[0]}`?"
            if close
            else "entities: " + ", ".join(known) + " (or declare one under vocabulary.entities)",
        )

    def _own_name(self, rule: Rule) -> None:
        """A rule named like a field, a relation or a context value would hide it:
        a definition `zone` silently replaced the customer's zone in every formula."""
        if rule.entity not in self.vocabulary.entities:
            return
        taken = ""
        if rule.name in self._fields(rule.entity):
            taken = f"a field of {rule.entity}"
        elif rule.name in CONTEXT_NAMES:
            taken = "a value every formula can read"
        elif any(r.name == rule.name for r in self.vocabulary.entities[rule.entity].relations):
            taken = f"the list of related rows of {rule.entity}"
        if taken:
            self.diags.error(
                "reserved-name",
                f"`{rule.name}` is already {taken}; a {rule.kind} of that name would hide it",
                rule.span,
                hint=f"give the {rule.kind} its own name, e.g. `{rule.name}_beräknad`",
            )

    def _requirement(self, requirement: DataRequirement) -> None:
        """`any_of:` and `where:` name columns of the table."""
        if requirement.table not in self.vocabulary.tables:
            self.diags.error(
                "unknown-name",
                f"data requirement `{requirement.name}`: there is no table `{requirement.table}`",
                requirement.span,
                hint="tables: " + ", ".join(self.vocabulary.tables),
            )
            return
        columns = self.vocabulary.tables[requirement.table].columns
        for column in [*requirement.any_of, *requirement.where]:
            if column not in columns:
                close = difflib.get_close_matches(column, sorted(columns), n=1)
                self.diags.error(
                    "unknown-name",
                    f"data requirement `{requirement.name}`: `{requirement.table}` has no "
                    f"column `{column}`",
                    requirement.span,
                    hint=f"did you mean `{close[0]}`?" if close else None,
                )
            elif column in requirement.where:
                span = requirement.where_spans.get(column, requirement.span)
                for value in requirement.where[column]:
                    self._where_value(
                        f"data requirement `{requirement.name}`", columns[column], value, span
                    )
        asked = requirement.any_of
        if asked and all(c in columns and not columns[c].nullable for c in asked):
            self._never_empty_asked(requirement)

    def _never_empty_asked(self, requirement: DataRequirement) -> None:
        """A requirement of columns that may not be empty asks what the reading already
        demands: a row without the value is rejected as read, with the column's own
        words, and the requirement's reason (its §) is never given."""
        written = ", ".join(f"`{n}`" for n in requirement.any_of)
        never = (
            f"which may never be empty in `{requirement.table}`: a row without it"
            if len(requirement.any_of) == 1
            else f"none of which may be empty in `{requirement.table}`: a row without one"
        )
        self.diags.warning(
            "changes-nothing",
            f"data requirement `{requirement.name}` asks for {written}, {never} is rejected "
            "as it is read, so the requirement rejects nothing and its reason is never given",
            requirement.span,
            hint="declare the column `nullable: true` where it may be empty, so that this "
            "requirement says why a row lacking it is rejected; or remove the requirement",
        )

    def _assumption(self, assumption: Assumption) -> None:
        """`where:` names columns of the changed table, or of customers or providers."""
        known = self.vocabulary.tables
        allowed = self.vocabulary.assumption_tables(assumption.role)
        columns = {c for name in allowed for c in known[name].columns}
        for column, span in assumption.where_spans.items():
            if column not in columns:
                close = difflib.get_close_matches(column, sorted(columns), n=1)
                hint = f"did you mean `{close[0]}`?" if close else None
                if column == "zone" and "district" in columns:
                    hint = "a zone is its districts: name them, `district: [Skogsby, Ån]`"
                self.diags.error(
                    "unknown-name",
                    f"assumption `{assumption.name}`: no column `{column}` in "
                    + ", ".join(allowed),
                    span,
                    hint=hint,
                )
                continue
            declared = next(known[n].columns[column] for n in allowed if column in known[n].columns)
            for value in assumption.where.get(column, []):
                self._where_value(f"assumption `{assumption.name}`", declared, value, span)

    def _where_value(self, owner: str, column: Column, value: Any, span: Span) -> None:
        """A value of `where:` that no row can hold — a code not in the column's list
        (`service: omsrg`), a text for a number, a level of 3.5 or 40, a text for a date
        (`catalog.where_value`) — is an error: an assumption would
        change nothing (the run said only "0 of 15 visits"), a data requirement would
        reject no row, in silence."""
        codes = column.listed
        if codes:
            if value not in codes:
                meant = closest(str(value), sorted(codes))
                hint = f"did you mean `{meant}`?" if meant else None
                if isinstance(value, bool):  # `service: on`, unquoted
                    hint = (
                        "YAML reads yes, no, on, off, true and false (in any case) as a yes "
                        'or no: write the code in quotes, e.g. "on"'
                    )
                self.diags.error(
                    "unknown-value",
                    f"{owner}: `{as_written(value)}` is not a known {column.name} "
                    f"(code list `{column.codes or column.name}`)",
                    span,
                    hint=hint,
                )
            return
        _, wrong = where_value(column, value)
        if wrong is not None:
            code, message = wrong
            self.diags.error(code, f"{owner}: {message}", span)

    def rule_type(self, name: str, at: Span | None) -> t.Type:
        if name in self.out.rule_types:
            return self.out.rule_types[name]
        if name in self.in_progress:
            circle = [*self.in_progress[self.in_progress.index(name) :], name]
            if any(n in self.model.parameters for n in circle):  # said as a clash (`run`)
                return t.UNKNOWN
            self.diags.error(
                "cycle",
                "definitions depend on each other in a circle: " + " → ".join(circle),
                at,
                hint="one of them must be computed without the others",
            )
            return t.UNKNOWN
        rule = self.model.rules[name]
        if rule.entity not in self.vocabulary.entities:
            self.out.rule_types[name] = t.UNKNOWN
            return t.UNKNOWN
        self.in_progress.append(name)
        outer = self.current
        self.current = name
        # a rule is checked as written, not as the formula that first named it: an `if`
        # or a `coalesce` around that name, or an aggregation's `where`, is not its own
        context = (self.outer, self.guarded, self.fallback, self.asked, self.beside)
        self.outer, self.guarded, self.fallback, self.asked, self.beside = [], 0, 0, [], []
        self.out.deps.setdefault(name, set())
        self.out.params.setdefault(name, set())
        result: t.Type | None = None
        for version in rule.versions:
            if version.tree is None:
                continue
            typ = self.expr(version.tree, rule.entity)
            if result is None or isinstance(result, t.Unknown):
                result = typ
            elif not t.compatible(result, typ):
                self.diags.error(
                    "type-mismatch",
                    f"this version of `{name}` is {t.describe(typ)}, an earlier one is {t.describe(result)}",
                    version.tree.span,
                    hint="every version of a rule must give the same kind of value",
                )
        for tree in (q.tree for q in rule.quantities if q.tree is not None):
            self._quantity_unit(rule, tree, self.expr(tree, rule.entity))
        uncounted = rule.quantity is None and any(v.quantity is None for v in rule.versions)
        if rule.kind == "payment" and rule.unit and uncounted:
            self.diags.warning(
                "missing-quantity",
                f"`unit: {rule.unit}` labels the line's quantity, but `{rule.name}` has no "
                "`quantity:`: the line shows the unit with no number",
                rule.span,
                hint=f"count it: quantity: count(visits where counted), with unit: {rule.unit}",
            )
        self.current = outer
        self.outer, self.guarded, self.fallback, self.asked, self.beside = context
        self.in_progress.pop()
        self.out.rule_types[name] = result or t.UNKNOWN
        return self.out.rule_types[name]

    def _quantity_unit(self, rule: Rule, tree: ast.Node, quantity: t.Type) -> None:
        """A line's quantity that is a duration (or an amount) is counted in minutes (in
        kronor); `unit: h` beside `quantity: utförd_tid` labelled 275 minutes "275 h" on
        the statement and in the workbook's hours. Such a label is an error that shows
        how to count in it (`utförd_tid / 1 h`); a count, a share or a number may be
        labelled freely (`besök`, `utförandegrad`), or not at all, but a duration or an
        amount with no `unit:` read "630" for 630 minutes, as hours as well."""
        if isinstance(quantity, t.Unknown):
            return
        if not isinstance(quantity, t.Num):  # polars could not round it: a traceback
            self.diags.error(
                "type-mismatch",
                f"a line's quantity is a number (a count, hours, kronor), but this gives "
                f"{t.describe(quantity)}",
                tree.span,
                hint="count it, e.g. quantity: count(visits where counted)",
            )
            return
        if rule.unit is not None and not rule.unit.strip():
            return  # the loader said it is blank
        if quantity.dimensionless and quantity.percent and rule.unit == "%":
            shown = formula_text(tree)  # a share is of the whole: 0.41 would read "0.41 %"
            self.diags.error(
                "unit-mismatch",
                f"`unit: %` labels a share counted of the whole: 41 % of `{shown}` would "
                "read 0.41 %",
                tree.span,
                hint=f"count it in per cent: quantity: {shown} / 1 %",
            )
            return
        if quantity.dimensionless:
            return
        written = t.UNITS.get(rule.unit) if rule.unit is not None else None
        if written is not None and written[0] == quantity and written[1] == 1.0:
            return  # `min` beside minutes, `kr` beside kronor
        counted = _counted_in(quantity)
        shown = formula_text(tree)
        if rule.unit is None:  # 630 minutes shown as "630", read as hours as well
            message = (
                f"the quantity of `{rule.name}` is counted in {counted}, but it has no "
                f"`unit:`: 90 {counted} of `{shown}` would read 90, in no unit"
            )
            hint = (
                f"count it in hours, quantity: {shown} / 1 h with unit: h"
                if quantity.time and not quantity.money
                else f"label it: unit: {counted}"
            )
        else:
            message = (
                f"`unit: {rule.unit}` labels a quantity counted in {counted}: 90 {counted} "
                f"of `{shown}` would read 90 {rule.unit}"
            )
            hint = (
                f"count it in {rule.unit}: quantity: {shown} / 1 {rule.unit}"
                if written is not None and written[0].same_dimension(quantity)
                else f"label it in {counted}: unit: {counted}"
            )
        self.diags.error("unit-mismatch", message, tree.span, hint=hint)

    def _check_kind(self, rule: Rule) -> None:
        typ = self.out.rule_types.get(rule.name, t.UNKNOWN)
        tree = next((v.tree for v in rule.versions if v.tree is not None), None)
        if tree is None or isinstance(typ, t.Unknown):
            return
        if rule.kind == "payment":
            if rule.entity not in self.vocabulary.payable:
                payable = ", ".join(sorted(self.vocabulary.payable))
                self.diags.error(
                    "type-mismatch",
                    f"`{rule.entity}` is not an entity a payment is made per (those are: "
                    f"{payable})",
                    rule.span,
                    hint=f"sum the {rule.entity} values in a customer_month payment; or, to pay "
                    f"each row on a line of its own, declare it payable: vocabulary: "
                    f"{{entities: {{{rule.entity}: {{payable: true}}}}}}",
                )
            elif not (isinstance(typ, t.Num) and typ.money == 1 and typ.time == 0):
                self.diags.error(
                    "unit-mismatch",
                    f"a payment must be an amount in SEK, but this formula gives {t.describe(typ)}",
                    tree.span,
                    hint=_amount_hint(typ),
                    source=rule.source,
                )
        roles = self.vocabulary.roles
        if rule.kind == "indicator" and rule.entity not in (
            roles.customer_month,
            roles.provider_month,
        ):
            self.diags.error(
                "type-mismatch",
                f"an indicator is a figure per customer-month or provider-month, not per "
                f"{rule.entity}",
                rule.span,
                hint=f"count or sum the {rule.entity} rows in a customer_month or "
                f"provider_month indicator",
            )
        if rule.kind == "indicator" and not isinstance(typ, t.Num):
            self.diags.error(
                "type-mismatch",
                f"an indicator is a number, but this gives {t.describe(typ)}",
                tree.span,
                hint="count it, e.g. count(visits where declined)",
            )
        if rule.kind in ("exclusion", "flag") and not isinstance(typ, t.Bool):
            self.diags.error(
                "type-mismatch",
                f"`when` must be true or false, but this gives {t.describe(typ)}",
                tree.span,
            )
        elif rule.kind in ("exclusion", "flag"):
            self._warn_unknown_condition(tree, "when")

    def _indexation(self, param: Parameter) -> None:
        """An indexation factor: a plain number made of literals and scalar parameters."""
        index = param.indexation
        if index is None or index.tree is None:
            return
        if not (isinstance(param.type, t.Num) and param.kind in ("scalar", "table", "steps")):
            self.diags.error(
                "type-mismatch", f"only amounts can be indexed, not `{param.name}`", index.span
            )
            return
        if param.type.money != 1:  # a share or a time raised by a price index: 40 % became 44 %
            self.diags.error(
                "unit-mismatch",
                f"an indexation raises amounts of money (SEK, SEK/h), and `{param.name}` is in "
                f"{param.unit}: its values would be multiplied by the price index",
                index.span,
                hint="index the prices that use it; a share or a time is changed by a new dated value",
            )
            return
        for node in index.tree.walk():
            if not isinstance(node, ast.Quantity | ast.Name | ast.BinOp | ast.Neg):
                self.diags.error(
                    "type-mismatch",
                    "an indexation factor is made of numbers, parameters and + - * /",
                    node.span,
                )
                return
            if isinstance(node, ast.Name):
                other = self.model.parameters.get(node.name)
                if other is None or other.kind != "scalar" or other.indexation is not None:
                    self.diags.error(
                        "unknown-name",
                        f"`{node.name}` is not a parameter with one value per date",
                        node.span,
                        hint="an indexation factor uses scalar parameters, e.g. opi",
                    )
                    return
        typ = self.expr(index.tree, self.vocabulary.roles.customer_month)
        if isinstance(typ, t.Num) and not typ.dimensionless:
            self.diags.error(
                "unit-mismatch",
                f"an indexation factor is a plain number, but this is {t.describe(typ)}",
                index.tree.span,
            )

    # ---- expressions

    def expr(self, node: ast.Node, entity: str) -> t.Type:
        typ = self._expr(node, entity)
        self.out.types[id(node)] = typ
        return typ

    def _not_a_value(self, node: ast.Attr, entity: str) -> None:
        """`visits.minuter` outside an aggregation is a list of values; `mätningar.poäng`,
        where `mätningar` is no list of rows of the entity at all, is an unknown name (it
        was called a list of values, to be aggregated by the `max` it stood in)."""
        relations = [r.name for r in self.vocabulary.entities[entity].relations]
        if isinstance(node.target, ast.Attr):
            self._field_of_a_field(node, entity)
            return
        root = node.target.name if isinstance(node.target, ast.Name) else None
        if root is None or root in relations:
            self.diags.error(
                "type-mismatch",
                f"`{_text(node)}` is a list of values",
                node.span,
                hint=f"aggregate it: sum({_text(node)}), max({_text(node)}), …",
            )
            return
        known = [*relations, *self.vocabulary.parties]
        close = difflib.get_close_matches(root, known, n=1)
        if root in self.vocabulary.entities:  # `visit.start` where the row is a visit's own
            hint = (
                f"a row's own fields are named alone (`{node.name}`); `{root}.` names the "
                f"outer row inside an aggregation's `where`"
            )
        elif close:
            hint = f"did you mean `{close[0]}`?"
        else:
            hint = f"the lists of rows on {entity} are: {', '.join(relations) or 'none'}"
        self.diags.error(
            "unknown-name",
            f"`{root}` is no list of related rows of {entity}, nor its customer or provider",
            node.target.span,
            hint=hint,
        )

    def _field_of_a_field(self, node: ast.Attr, entity: str) -> None:
        """`visit.customer.district` on the visit itself, `visit.kund.district` in a
        filter, `customer.district.x`: three names in a row, which only the outer row's
        customer or provider can be (it was called a list of values, to be summed)."""
        parts = _dotted(node)
        root = parts[0] if parts else None
        parties = list(self.vocabulary.parties)
        if root in self.outer and len(parts) == 3:
            close = difflib.get_close_matches(parts[1], parties, n=1)
            message = f"{root} has no customer or provider called `{parts[1]}`"
            hint = (
                f"did you mean `{root}.{close[0]}.{parts[2]}`?"
                if close
                else f"the {root}'s own fields are named `{root}.<column>`, its customer's "
                f"`{root}.customer.<column>`"
            )
        elif root in self.vocabulary.entities and len(parts) == 3 and parts[1] in parties:
            message = f"`{root}.` names the outer row, inside an aggregation's `where` only"
            hint = f"the {entity}'s own {parts[1]}'s column is named `{parts[1]}.{parts[2]}`"
        else:
            message = f"`{_text(node.target)}` is one value, with no fields of its own"
            hint = "a column of the row's customer or provider is named `customer.<column>`"
        self.diags.error("unknown-name", message, node.span, hint=hint)

    def _expr(self, node: ast.Node, entity: str) -> t.Type:
        match node:
            case ast.Quantity():
                return self._quantity(node)
            case ast.DateLit():
                return t.DATE
            case ast.TimeLit():
                return t.TIME
            case ast.Missing():
                return t.MISSING
            case ast.String():
                return t.TEXT
            case ast.BoolLit():
                return t.BOOL
            case ast.ListLit():
                return self._list(node, entity)
            case ast.Name():
                return self._name(node, entity)
            case ast.Attr() if self._outer_name(node):
                return self._outer_field(node)
            case ast.Attr() if self._outer_party_name(node):
                return self._outer_party_field(node)
            case ast.Attr() if self._party_name(node, entity):
                return self._party_field(node, entity)
            case ast.Attr():
                self._not_a_value(node, entity)
                return t.UNKNOWN
            case ast.Neg():
                inner = self.expr(node.operand, entity)
                if not isinstance(inner, t.Num | t.Unknown):
                    return self._mismatch(node, f"cannot negate {t.describe(inner)}")
                return inner
            case ast.BinOp():
                return self._binop(node, entity)
            case ast.Compare():
                return self._compare(node, entity)
            case ast.In():
                return self._in(node, entity)
            case ast.And() | ast.Or():
                word = "and" if isinstance(node, ast.And) else "or"
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    # `ersatt > 0 min and utförd / ersatt < 80 %`: false, or true, whatever
                    # the other side is where the divisor is 0 (`_warn_divided_by_zero`)
                    self.beside.append(self._names_read(other))
                    self._expect_bool(side, entity, word)
                    self.beside.pop()
                return t.BOOL
            case ast.Not():
                self._expect_bool(node.operand, entity, "not")
                return t.BOOL
            case ast.If():
                return self._if(node, entity)
            case ast.Lookup():
                return self._lookup(node, entity)
            case ast.Filtered():
                self.diags.error(
                    "bad-call",
                    "`where` filters the rows of an aggregation",
                    node.span,
                    hint="e.g. sum(visits.minutes where counted)",
                )
                return t.UNKNOWN
            case ast.Call():
                return self._call(node, entity)
        raise AssertionError(node)

    def _party_name(self, node: ast.Attr, entity: str) -> bool:
        """`provider.kategori`, `customer.district`: a column of the row's provider or
        customer (not when a relation of the entity has that name)."""
        if not isinstance(node.target, ast.Name):
            return False
        name = node.target.name
        relations = {r.name for r in self.vocabulary.entities[entity].relations}
        return name in self.vocabulary.parties and name not in relations

    def _party_field(self, node: ast.Attr, entity: str) -> t.Type:
        assert isinstance(node.target, ast.Name)
        typ = self._party_column(node.target.name, node, entity)
        if not isinstance(typ, t.Unknown):
            alias = f"{node.target.name}.{node.name}"
            self.out.refs[id(node)] = ColumnRef(entity, alias)
            self.out.columns.setdefault(entity, set()).add(alias)
        return typ

    def _party_column(
        self, party_name: str, node: ast.Attr, entity: str, outer: str = ""
    ) -> t.Type:
        """The type of column `node.name` of the entity's `party_name` (customer or
        provider), or an error at `node` (naming it after `outer`, `visit.`, where the
        entity is the outer row of a filter)."""
        party = self.vocabulary.party_of(entity, party_name)
        if party is None:
            return self._mismatch(
                node,
                f"a {entity} has no {party_name}",
                hint=f"{entity} belongs to: "
                + (", ".join(self.vocabulary.entities[entity].parties) or "nobody"),
                code="unknown-name",
            )
        columns = self.vocabulary.tables[party.table].columns
        if node.name not in columns and node.name != ZONE:
            close = difflib.get_close_matches(node.name, list(columns), n=1)
            return self._mismatch(
                node,
                f"`{party.table}` has no column `{node.name}`",
                hint=f"did you mean `{outer}{party_name}.{close[0]}`?"
                if close
                else f"declare it: vocabulary: {{columns: {{{party.table}: {{{node.name}: {{type: …}}}}}}}}",
                code="unknown-name",
            )
        return self.vocabulary.party_column(party_name, node.name).type

    def _outer_name(self, node: ast.Attr) -> bool:
        """`visit.service` inside `any(decisions where service == visit.service)`."""
        return isinstance(node.target, ast.Name) and node.target.name in self.outer

    def _outer_party_name(self, node: ast.Attr) -> bool:
        """`visit.customer.språk` inside `any(staff where language == …)`: a
        column of the outer row's customer or provider."""
        target = node.target
        return (
            isinstance(target, ast.Attr)
            and self._outer_name(target)
            and target.name in self.vocabulary.parties
        )

    def _outer_party_field(self, node: ast.Attr) -> t.Type:
        """The outer row's customer's or provider's column, read on the outer row as
        its own `customer.x` is (joined there), and handed to the filter beside it."""
        assert isinstance(node.target, ast.Attr) and isinstance(node.target.target, ast.Name)
        entity = node.target.target.name
        typ = self._party_column(node.target.name, node, entity, outer=f"{entity}.")
        if not isinstance(typ, t.Unknown):
            alias = f"{node.target.name}.{node.name}"
            self.out.refs[id(node)] = OuterRef(entity, alias)
            self.out.columns.setdefault(entity, set()).add(alias)
        return typ

    def _outer_field(self, node: ast.Attr) -> t.Type:
        assert isinstance(node.target, ast.Name)
        entity = node.target.name
        fields = self._fields(entity)
        if node.name in fields and node.name not in VISIT_FIELDS:
            self.out.refs[id(node)] = OuterRef(entity, node.name)
            self.out.columns.setdefault(entity, set()).add(node.name)
            return fields[node.name].type
        if any(r.name == node.name and r.entity == entity for r in self.model.rules.values()):
            return self._mismatch(
                node,
                f"`{node.name}` is computed on {entity}; a filter can use only its data fields",
                hint=f"fields of {entity}: " + ", ".join(sorted(fields)),
                code="unknown-name",
            )
        close = difflib.get_close_matches(node.name, list(fields), n=1)
        return self._mismatch(
            node,
            f"{entity} has no field `{node.name}`",
            hint=f"did you mean `{entity}.{close[0]}`?" if close else None,
            code="unknown-name",
        )

    def _mismatch(
        self, node: ast.Node, message: str, hint: str | None = None, code: str = "type-mismatch"
    ) -> t.Type:
        self.diags.error(code, message, node.span, hint=hint)
        return t.UNKNOWN

    def _quantity(self, node: ast.Quantity) -> t.Type:
        value = Decimal(node.value)
        if abs(value) > t.MAX_MAGNITUDE:
            return self._mismatch(
                node,
                f"`{node.value}` is larger than any amount carepay computes with (10^15)",
                code="bad-value",
            )
        if not node.unit:
            self.out.literals[id(node)] = value
            return t.COUNT if "." not in node.value else t.NUMBER
        if node.unit not in t.UNITS:
            close = difflib.get_close_matches(node.unit, list(t.UNITS), n=1)
            self.diags.error(
                "unknown-unit",
                f"unknown unit `{node.unit}`",
                node.span,
                hint=f"did you mean `{close[0]}`?"
                if close
                else "units: SEK, SEK/h, min, h, days, %",
            )
            return t.UNKNOWN
        priced = point_in_price(node.value, node.unit)
        if priced is not None:  # `1.200 SEK`: 1,20 kr, or 1 200 kr?
            return self._mismatch(node, priced[0], hint=priced[1], code="bad-value")
        num, den = t.unit_factor(node.unit)
        if t.too_long(t.UNITS[node.unit][0], value * num / den):
            return self._mismatch(
                node,
                t.too_long_message(f"{node.value} {node.unit}"),
                hint=t.TOO_LONG_HINT,
                code="bad-value",
            )
        self.out.literals[id(node)] = value * num / den
        return t.UNITS[node.unit][0]

    def _list(self, node: ast.ListLit, entity: str) -> t.Type:
        item: t.Type = t.UNKNOWN
        for element in node.items:
            typ = self.expr(element, entity)
            if isinstance(item, t.Unknown):
                item = typ
            elif not t.compatible(item, typ):
                self._mismatch(element, f"a list mixes {t.describe(item)} and {t.describe(typ)}")
            else:
                item = t.unify(item, typ)
        return t.ListOf(item)

    # ---- names

    def _visible(self, entity: str) -> dict[str, str]:
        names = {n: "field" for n in self._fields(entity)}
        names |= {r.name: r.kind for r in self.model.rules_on(entity)}
        names |= {p: "parameter" for p in self.model.parameters}
        names |= {c: "context" for c in CONTEXT_NAMES}
        names |= {r.name: "relation" for r in self.vocabulary.entities[entity].relations}
        return names

    def _name(self, node: ast.Name, entity: str) -> t.Type:
        name = node.name
        fields = self._fields(entity)
        if name in fields:
            self.out.refs[id(node)] = ColumnRef(entity, name)
            self.out.columns.setdefault(entity, set()).add(name)
            return fields[name].type
        rule = self.model.rules.get(name)
        if rule is not None and rule.entity == entity:
            if rule.kind == "exclusion":
                return self._mismatch(
                    node,
                    f"`{name}` is an exclusion rule",
                    hint='use `counted` or `excluded_by == "' + name + '"`',
                )
            self.out.refs[id(node)] = RuleRef(name)
            if self.current:
                self.out.deps.setdefault(self.current, set()).add(name)
            return self.rule_type(name, node.span)
        if name in self.model.parameters:
            param = self.model.parameters[name]
            self.out.refs[id(node)] = ParamRef(name)
            if self.current:
                self.out.params.setdefault(self.current, set()).add(name)
            if param.kind == "table":
                return self._mismatch(
                    node,
                    f"`{name}` is a table; look it up by its keys",
                    hint=f"{name}[{', '.join(param.keys)}]",
                )
            if param.kind == "steps":
                return self._mismatch(node, f"`{name}` is a step table", hint=f"step(x, {name})")
            if param.kind == "bands":
                return self._mismatch(
                    node, f"`{name}` is a set of time bands", hint=f'minutes_in({name}, "…")'
                )
            if param.kind == "list":
                return t.ListOf(param.type)
            return param.type
        if name in CONTEXT_NAMES:
            self.out.refs[id(node)] = ContextRef(name)
            return CONTEXT_NAMES[name]
        relation = next(
            (r for r in self.vocabulary.entities[entity].relations if r.name == name), None
        )
        if relation is not None:
            return self._mismatch(
                node,
                f"`{name}` is the list of {relation.entity} rows of this {entity}",
                hint=f"aggregate it: count({name}), sum({name}.field where …)",
            )
        return self._unknown(node, entity)

    def _unknown(self, node: ast.Name, entity: str) -> t.Type:
        name = node.name
        if name in self.model.broken:  # its own errors are reported where it is written
            return t.UNKNOWN
        elsewhere = [r for r in self.model.rules.values() if r.name == name]
        if elsewhere:
            other = elsewhere[0].entity
            relation = next(
                (r.name for r in self.vocabulary.entities[entity].relations if r.entity == other),
                None,
            )
            where = f"`{name}` is computed on {other}, not on {entity}"
            if relation:
                where += f"; aggregate it, e.g. sum({relation}.{name})"
            self.diags.error(
                "unknown-name", f"`{name}` is not known on {entity}", node.span, hint=where
            )
            return t.UNKNOWN
        visible = self._visible(entity)
        close = difflib.get_close_matches(name, list(visible), n=1, cutoff=0.6)
        hint: str | None = f"did you mean `{close[0]}`?" if close else None
        outer = next((o for o in reversed(self.outer) if name in self._visible(o)), None)
        if outer is not None:  # `date(start) == day` meant the outer row's day
            hint = (
                f"in an aggregation's `where`, a name is the {entity} row's; the {outer} "
                f"row's own is `{outer}.{name}`"
            )
        elif not close and name in BUILTINS:
            hint = f"`{name}` is a function: {BUILTINS[name].usage}"
        elif not close and self.vocabulary.entities[entity].table is not None:
            table = self.vocabulary.entities[entity].table
            hint = (  # the docs' `visits.minutes` is a definition a model writes itself
                f"to compute it, define it: definitions: {{{entity}: {{{name}: …}}}}; "
                f"if `{name}` is a column of {table} in the data, declare it: vocabulary: "
                f"{{columns: {{{table}: {{{name}: {{type: …}}}}}}}}"
            )
        self.diags.error("unknown-name", f"unknown name `{name}`", node.span, hint=hint)
        return t.UNKNOWN

    # ---- operators

    def _binop(self, node: ast.BinOp, entity: str) -> t.Type:
        left = self.expr(node.left, entity)
        right = self.expr(node.right, entity)
        if isinstance(left, t.Unknown) or isinstance(right, t.Unknown):
            return t.UNKNOWN
        if isinstance(left, t.Missing) or isinstance(right, t.Missing):
            return right if isinstance(left, t.Missing) else left  # missing, whatever the op
        op = node.op
        if op == "-" and isinstance(left, t.Time) and isinstance(right, t.Time):
            return t.DURATION
        if isinstance(left, t.Num) and isinstance(right, t.Num):
            if op == "*":
                return t.multiply(left, right)
            if op == "/":
                if isinstance(node.right, ast.Quantity) and float(node.right.value) == 0:
                    self.diags.error(
                        "division-by-zero",
                        "division by 0: the result is never a value",
                        node.right.span,
                        hint="divide by a quantity that can be more than 0",
                    )
                if isinstance(self.out.refs.get(id(node.right)), ParamRef):
                    self._parameter_divisor(node.right)
                return t.divide(left, right)
            left, right = self._zero_adapts(node.left, left, node.right, right)
            if not left.same_dimension(right):
                verb = "add" if op == "+" else "subtract"
                words = (
                    f"{t.describe(right)} to {t.describe(left)}"
                    if op == "+"
                    else f"{t.describe(right)} from {t.describe(left)}"
                )
                return self._mismatch(
                    node,
                    f"cannot {verb} {words}",
                    hint=_unit_hint(left, right),
                    code="unit-mismatch",
                )
            return t.add(left, right)
        if op in "+-" and isinstance(left, t.Date | t.DateTime) and isinstance(right, t.Num):
            if right.same_dimension(t.DURATION):
                if isinstance(left, t.Date) and not self._whole_days(node.right):
                    # a date is midnight: plus 36 h it is a moment, never a truncated day
                    return t.DATETIME
                return left
            return self._mismatch(
                node,
                f"cannot {'add' if op == '+' else 'subtract'} {t.describe(right)} to a date",
                hint="write a duration, e.g. `5 days`",
                code="unit-mismatch",
            )
        if (
            op == "-"
            and isinstance(left, t.Date | t.DateTime)
            and isinstance(right, t.Date | t.DateTime)
        ):
            return t.DURATION
        return self._mismatch(
            node, f"cannot use `{op}` on {t.describe(left)} and {t.describe(right)}"
        )

    def _whole_days(self, node: ast.Node) -> bool:
        """Is this duration a whole number of days wherever it is evaluated (a literal,
        or a parameter in days whose every value is whole)?"""
        match node:
            case ast.Quantity():
                return self.out.literals.get(id(node), Decimal(1)) % 1440 == 0
            case ast.Neg():
                return self._whole_days(node.operand)
            case ast.BinOp(op="+" | "-"):
                return self._whole_days(node.left) and self._whole_days(node.right)
            case ast.BinOp(op="*"):
                return (self._whole_days(node.left) and _is_whole_number(node.right)) or (
                    _is_whole_number(node.left) and self._whole_days(node.right)
                )
            case ast.Name():
                ref = self.out.refs.get(id(node))
                if not isinstance(ref, ParamRef):
                    return False
                param = self.model.parameters[ref.name]
                return param.kind == "scalar" and all(
                    isinstance(v.value, Decimal) and v.value % 1440 == 0 for v in param.values
                )
        return False

    def _zero_adapts(self, ln: ast.Node, lt: t.Num, rn: ast.Node, rt: t.Num) -> tuple[t.Num, t.Num]:
        """A bare `0` takes the unit of the other side (0 SEK, 0 min and 0 are the same);
        a bare number of 2 or more beside a share in per cent is an error
        (`_bare_beside_share`)."""
        if not self._bare_beside_share(ln, rt):
            self._bare_beside_share(rn, lt)
        if _is_bare_zero(ln):
            return rt, rt
        if _is_bare_zero(rn):
            return lt, lt
        return lt, rt

    def _bare_beside_share(self, bare: ast.Node, other: t.Type) -> bool:
        """`step(utförd / beviljad, kontrollnivåer, 100)`, `utförandegrad < 40`: a number
        written without `%` beside a share is that many wholes — 100 is 10 000 % — and
        paid a hundred times the level amount with a clean check. A bare number of 2 or
        more there is an error that says to write the per cent (1 is the whole, 0,5 half,
        1.2 may be meant as 120 %)."""
        shown = bare.operand if isinstance(bare, ast.Neg) else bare
        if not (
            isinstance(shown, ast.Quantity)
            and not shown.unit
            and isinstance(other, t.Num)
            and other.percent
            and other.dimensionless
            and abs(Decimal(shown.value)) >= t.SHARE_WRITTEN_BARE
        ):
            return False
        value = Decimal(shown.value)
        self._mismatch(
            bare,
            f"`{shown.value}` beside a share in per cent is {shown.value} wholes "
            f"({value * 100:f} %), not {shown.value} %",
            hint=f"write `{shown.value} %` (a share written without % is of the whole: 1 is "
            "100 %, 0.5 is 50 %)",
            code="unit-mismatch",
        )
        return True

    def _compare(self, node: ast.Compare, entity: str) -> t.Type:
        left = self.expr(node.left, entity)
        right = self.expr(node.right, entity)
        if isinstance(left, t.Unknown) or isinstance(right, t.Unknown):
            return t.BOOL
        if isinstance(left, t.Num) and isinstance(right, t.Num):
            left, right = self._zero_adapts(node.left, left, node.right, right)
        if not t.compatible(left, right):
            self._mismatch(
                node,
                f"cannot compare {t.describe(left)} with {t.describe(right)}",
                hint=_unit_hint(left, right),
                code="unit-mismatch"
                if isinstance(left, t.Num) and isinstance(right, t.Num)
                else "type-mismatch",
            )
            return t.BOOL
        if node.op in ("==", "!=") and _date_against_moment(left, right):
            self._mismatch(
                node,
                f"`{node.op}` compares a date and time with a date: true only at midnight",
                hint=f"compare the dates: date({_text(node.left if isinstance(left, t.DateTime) else node.right)}) {node.op} …",
            )
            return t.BOOL
        if node.op not in ("==", "!=") and not isinstance(
            left, t.Num | t.Date | t.DateTime | t.Time | t.Missing
        ):
            self._mismatch(node, f"`{node.op}` orders numbers and dates, not {t.describe(left)}")
        self._check_text_values(node.left, left, node.right)
        self._check_text_values(node.right, right, node.left)
        if node.op in ("==", "!="):
            self._check_number_value(node.left, node.right)
            self._check_number_value(node.right, node.left)
        if node.op != "==":
            self._warn_nullable(node, (node.left, node.right), node.op)
        return t.BOOL

    def _warn_nullable(self, node: ast.Node, operands: tuple[ast.Node, ...], op: str) -> None:
        """`ordered_by != "region"` is unknown where `ordered_by` is empty, and unknown
        counts as false: a row the author meant to pay is silently not paid."""
        if self.fallback:
            return
        for operand in operands:
            column = self._nullable_column(operand)
            if column is None:
                continue
            fallback = '""' if isinstance(column.type, t.Text) else "…"
            self.out.unknowns[id(node)] = (column.name,)
            self.diags.warning(
                "nullable-comparison",
                f"`{column.name}` can be empty, and where it is `{op}` is unknown, which "
                "counts as false",
                node.span,
                hint=f"say what an empty `{column.name}` means: "
                f"coalesce({formula_text(operand)}, {fallback}) {op} …",
            )
            return
        for operand in operands:  # a value computed from a column that can be empty
            empty = sorted(self._missing_from(operand))
            if not empty:
                continue
            named = ", ".join(f"`{c}`" for c in empty)
            self.out.unknowns[id(node)] = tuple(empty)
            self.diags.warning(
                "nullable-comparison",
                f"`{formula_text(operand)}` has no value where {named} "
                f"{'is' if len(empty) == 1 else 'are'} empty, and there `{op}` is unknown, "
                "which counts as false",
                node.span,
                hint=f"say what an empty `{empty[0]}` means: "
                f"coalesce({self._written_as(operand, empty[0])}, …) where it is read, or "
                f"coalesce({formula_text(operand)} {op} …, false) here",
            )
            return
        self._warn_divided_by_zero(node, operands, op)

    def _warn_divided_by_zero(
        self, node: ast.Node, operands: tuple[ast.Node, ...], op: str
    ) -> None:
        """`utförd / ersatt >= 60 %` has no value where `ersatt` is 0 — a customer
        paused the whole month — and there the comparison is unknown, which counts as
        false: the row took the other branch in silence. Unless an enclosing `if` asks
        about the divisor first (`if ersatt == 0 min then … else …`), or the other side of
        an `and` or `or` does (`ersatt > 0 min and …`: false there, whatever this is).
        Asking is taken on trust by the check alone: the comparison is counted by the run
        all the same, which names the rows where it was unknown and decided — an ask that
        does not keep the 0 out (`ersatt >= 0 min and …`) was the check's silence and the
        run's, the customer paused all month taking the other branch, exit 0."""
        asked = frozenset().union(*self.asked, *self.beside)
        for operand in operands:
            made = [
                (names, text)
                for names, text in self._absent_by_model(operand)
                if isinstance(text, DividedByZero)  # not a min over none
            ]
            if not made:
                continue
            reasons = sorted(text for names, text in made if not names & asked)
            self.out.unknowns[id(node)] = ()
            self.out.unknown_reasons[id(node)] = tuple(
                reasons or sorted({text for _, text in made})
            )
            if not reasons:
                continue  # asked about: the run alone tells a row it was unknown on
            self.diags.warning(
                "nullable-comparison",
                f"`{formula_text(operand)}` has no value where {' or '.join(reasons)}, and "
                f"there `{op}` is unknown, which counts as false",
                node.span,
                hint="say what it means there: ask first (`if … == 0 then … else …`), or "
                f"coalesce({formula_text(node)}, false)",
            )
            return

    def _warn_unknown_condition(self, node: ast.Node, word: str) -> None:
        """`if x then …` where `x` (a yes or no) can be empty: unknown there, which
        counts as false, so a row the author meant to pay is silently not paid. A
        comparison inside the condition is reported where it is made."""
        if self.fallback:
            return
        empty = sorted(self._unknown_from(node))
        if not empty:
            return
        self.out.unknowns[id(node)] = tuple(empty)
        named = ", ".join(f"`{c}`" for c in empty)
        shown = formula_text(node)
        written = self._written_as(node, empty[0])
        said = (
            f"`{shown}` can be empty, and where it is the `{word}` is unknown, which counts as "
            "false"
            if [shown] == empty
            else f"`{shown}` is unknown where {named} {'is' if len(empty) == 1 else 'are'} "
            f"empty, and an unknown `{word}` counts as false"
        )
        self.diags.warning(
            "nullable-comparison",
            said,
            node.span,
            hint=f"say what an empty `{empty[0]}` means: coalesce({written}, false) or "
            f"coalesce({written}, true)",
        )

    def _warn_skipped_argument(self, node: ast.Call, typ: t.Type) -> None:
        """`min(utförd, tak)` skips an argument with no value and takes the others: where
        `tak` is a `max` over no decision rows, or computed from an empty cell, the cap
        silently does not apply and the customer is paid uncapped; `min(100 %, utförd /
        beviljad)` is 100 % where nothing is granted; `clamp(x, golv, tak)` pays x
        uncapped where `tak` has none. Dates are left alone: an empty end is an open
        one, and skipping it is what `min(end_date, …)` means; so is a `missing` the
        model writes itself. An enclosing `if` asking about the rows or the value keeps
        the check quiet, not the run: it names the rows where an argument had no value on
        the branch the row took (`if beviljad >= 0 min then min(100 %, utförd / beviljad)
        …` asks, but not so that the 0 is kept out)."""
        if not isinstance(typ, t.Num):
            return
        asked = frozenset().union(*self.asked)
        skippable = node.args[1:] if node.func == "clamp" else node.args  # x: no value
        possible = [(arg, self._absent_from(arg, frozenset())) for arg in skippable]
        possible = [(arg, reasons) for arg, reasons in possible if reasons]
        if not possible:
            return
        why = frozenset().union(*(r for _, r in possible))
        self.out.skipping[id(node)] = (tuple(a for a, _ in possible), why)
        absent = [(arg, self._absent_from(arg, asked)) for arg in skippable]
        absent = [(arg, reasons) for arg, reasons in absent if reasons]
        if not absent:
            return  # asked about: the run alone tells a row an argument had none
        arg, reasons = absent[0]
        shown = formula_text(arg)
        self.diags.warning(
            "skipped-argument",
            f"`{formula_text(node)}` skips `{shown}` where it has no value "
            f"(when {' or '.join(sorted(reasons))}) and {skipped_then(node, arg)}",
            arg.span,
            hint=f"say what no value means: coalesce({shown}, …)",
        )

    def _absent_from(self, node: ast.Node, asked: frozenset[str]) -> frozenset[str]:
        """Why a value can have none, in words: a column that can be empty, a `min` or
        `max` over no rows, a division by a value that can be 0 — the last two unless
        an enclosing `if` asks about those rows or that value."""
        empty = frozenset(f"`{c}` is empty" for c in self._missing_from(node))
        made = (text for names, text in self._absent_by_model(node) if not names & asked)
        return empty | frozenset(made)

    def _absent_by_model(self, node: ast.Node) -> frozenset[tuple[frozenset[str], str]]:
        """The values with no value a formula makes of values that have one: a `min` or
        `max` aggregation over no rows and a division by 0, each with the names that an
        `if` asking about it reads (the relation; the divisor's names), past
        `coalesce`, a `min`/`max` that has another argument, and such an `if`
        (`if any(decisions) then max(decisions.level) else 0`, `if beviljad == 0 min
        then 0 % else utförd / beviljad`: the condition asks about what either branch
        reads)."""
        ref = self.out.refs.get(id(node))
        if isinstance(ref, RuleRef):
            return self._rule_absent_by_model(ref.name)
        info = self.out.aggs.get(id(node))
        if info is not None:
            if info.func in ("min", "max"):
                return frozenset(
                    {(frozenset({info.relation.name}), f"`{formula_text(node)}` is over no rows")}
                )
            return frozenset()
        match node:
            case ast.BinOp(op="/", right=divisor) if self._can_be_zero(divisor):
                divided = frozenset(
                    {(self._names_read(divisor), DividedByZero(f"`{formula_text(divisor)}` is 0"))}
                )
                return divided.union(*(self._absent_by_model(c) for c in node.children()))
            case ast.BinOp() | ast.Neg():
                return frozenset().union(*(self._absent_by_model(c) for c in node.children()))
            case ast.If():  # either branch is taken as the condition asks
                asked = self._names_read(node.cond)
                branches = self._absent_by_model(node.then) | self._absent_by_model(node.otherwise)
                return frozenset((n, text) for n, text in branches if not n & asked)
            case ast.Call(func="coalesce"):
                return self._absent_by_model(node.args[-1])
            case ast.Call(func="min" | "max"):
                each = [self._absent_by_model(a) for a in node.args]
                return frozenset().union(*each) if all(each) else frozenset()
            case ast.Call(func=func) if func in ROW_FUNCTIONS:
                return frozenset().union(*(self._absent_by_model(a) for a in node.args))
        return frozenset()

    def _rule_absent_by_model(self, name: str) -> frozenset[tuple[frozenset[str], str]]:
        return self._per_rule(self.absent_by_model, name, self._absent_by_model)

    def _can_be_zero(self, divisor: ast.Node) -> bool:
        """Whether a divisor reads the data (a column, a definition, an aggregation):
        a literal, a parameter and the month's days are not 0 (a written 0 is an error
        of its own), nor a column whose `minimum` is above 0."""
        ref = self.out.refs.get(id(divisor))
        if isinstance(ref, ColumnRef | OuterRef):
            column = self._fields(ref.entity).get(ref.name)
            return column is None or column.minimum is None or column.minimum <= 0
        return any(
            id(n) in self.out.aggs
            or isinstance(self.out.refs.get(id(n)), ColumnRef | OuterRef | RuleRef)
            for n in divisor.walk()
        )

    def _names_read(self, node: ast.Node) -> frozenset[str]:
        """The names a value reads outside aggregations, and the relations it aggregates:
        what an `if` condition asks about (a filter of its own is not told apart: the
        author asked about the relation's rows)."""
        if id(node) in self.out.aggs:
            return frozenset({self.out.aggs[id(node)].relation.name})
        if isinstance(node, ast.Name):
            return frozenset({node.name})
        return frozenset().union(*(self._names_read(c) for c in node.children()))

    def _written_as(self, node: ast.Node, column: str) -> str:
        """A column that can be empty as the formula names it, for a hint to write:
        `visit.customer.tolk` in a filter (`coalesce(tolk, false)` there named no column
        of the filtered rows), or its name where it is read in a definition elsewhere."""
        for sub in node.walk():
            found = self._nullable_column(sub) if isinstance(sub, ast.Name | ast.Attr) else None
            if found is not None and found.name == column:
                return formula_text(sub)
        return column

    def _unknown_from(self, node: ast.Node) -> frozenset[str]:
        """The columns that can be empty through which a condition is unknown: a yes or
        no read as it is (a column, a definition of one), `not`, `and` and `or` of such."""
        match node:
            case ast.Not():
                return self._unknown_from(node.operand)
            case ast.And() | ast.Or():
                return self._unknown_from(node.left) | self._unknown_from(node.right)
            case ast.Name() | ast.Attr():
                return self._missing_from(node)
        return frozenset()

    def _missing_from(self, node: ast.Node) -> frozenset[str]:
        """The columns that can be empty through which a value has none: a column
        itself, and arithmetic, branches and functions of such values (a definition
        as its formula). Not a value the model makes missing itself (`missing`, a `min`
        or `max` over no rows), nor one handled by `coalesce`, nor a comparison's
        (reported where it is made), nor an aggregation (0, or false, over none)."""
        column = self._nullable_column(node)
        if column is not None:
            return frozenset({column.name})
        ref = self.out.refs.get(id(node))
        if isinstance(ref, RuleRef):
            return self._rule_missing_from(ref.name)
        if id(node) in self.out.aggs:
            return frozenset()
        match node:
            case ast.BinOp() | ast.Neg():
                return frozenset().union(*(self._missing_from(c) for c in node.children()))
            case ast.If():  # the branch taken where the condition holds has what it compares
                then = self._missing_from(node.then) - self._compared_in(node.cond)
                return then | self._missing_from(node.otherwise)
            case ast.Call(func="coalesce"):
                return self._missing_from(node.args[-1])
            case ast.Call(func="min" | "max"):  # missing values are skipped: all must be
                each = [self._missing_from(a) for a in node.args]
                return frozenset().union(*each) if all(each) else frozenset()
            case ast.Call(func=func) if func in ROW_FUNCTIONS:
                return frozenset().union(*(self._missing_from(a) for a in node.args))
        return frozenset()

    def _compared_in(self, node: ast.Node) -> frozenset[str]:
        """The columns a condition compares, so that it holds only where they have a
        value (`antal > 0 and …`: an empty `antal` makes it unknown, and false)."""
        match node:
            case ast.And():
                return self._compared_in(node.left) | self._compared_in(node.right)
            case ast.Compare():
                return frozenset().union(*(self._missing_from(o) for o in (node.left, node.right)))
            case ast.In(negated=False):
                return self._missing_from(node.operand)
        return frozenset()

    def _rule_missing_from(self, name: str) -> frozenset[str]:
        return self._per_rule(self.missing_from, name, self._missing_from)

    def _per_rule(
        self,
        found: dict[str, frozenset[Any]],
        name: str,
        walk: Callable[[ast.Node], frozenset[Any]],
    ) -> frozenset[Any]:
        """What `walk` finds in a rule's formulas (all its versions), once per rule."""
        if name not in found:
            found[name] = frozenset()  # a circle is reported elsewhere
            rule = self.model.rules[name]
            trees = [v.tree for v in rule.versions if v.tree is not None]
            found[name] = frozenset().union(*(walk(tree) for tree in trees))
        return found[name]

    def _column_of(self, node: ast.Node) -> tuple[Column | None, ColumnRef | OuterRef | None]:
        """The declared column a name reads (a party's, `customer.district`, too), and
        the reference to it; none for a name that reads no column."""
        ref = self.out.refs.get(id(node))
        if not isinstance(ref, ColumnRef | OuterRef):
            return None, None
        party, _, name = ref.name.partition(".")
        if name:
            return self.vocabulary.party_column(party, name), ref
        return self._fields(ref.entity).get(ref.name), ref

    def _nullable_column(self, node: ast.Node) -> Column | None:
        column, ref = self._column_of(node)
        if column is None or ref is None:
            return None
        placing = () if "." in ref.name else self._placing_columns(ref.entity)
        if column.nullable and ref.name not in DERIVED_NEVER_EMPTY and ref.name not in placing:
            return column
        return None

    def _placing_columns(self, entity: str) -> tuple[str, ...]:
        """The columns never empty on an entity's rows: those that place them in a
        month (a row with no `reported_at` is in no month of `{by: moment, column:
        reported_at}`; a period's start likewise, its end may be open), and one a data
        requirement of every row of its table asks for alone (`any_of: [arrived]` with
        no `where:`: a row without it is rejected)."""
        spec = self.vocabulary.entities.get(entity)
        if spec is None:
            return ()
        required = tuple(
            r.any_of[0]
            for r in self.model.data_requirements
            if r.table == spec.table and not r.where and len(r.any_of) == 1
        )
        match spec.month.by:
            case "moment" | "date":
                return spec.month.columns + required
            case "period":
                return spec.month.columns[:1] + required
        return required

    def _check_text_values(self, column: ast.Node, typ: t.Type, literal: ast.Node) -> None:
        """`service == "omsorgg"`: a text the column can never hold is a mistake."""
        codes = self._codes_of(column, typ)
        if codes is None:
            return
        if isinstance(literal, ast.Name):
            self._check_parameter_codes(column, codes, literal.name)
            return
        if not isinstance(literal, ast.String) or literal.value in codes:
            return
        self.diags.error(
            "unknown-value",
            f'`{_text(column)}` is never "{literal.value}"',
            literal.span,
            hint=codes_hint(literal.value, codes),
        )

    def _check_number_value(self, column: ast.Node, literal: ast.Node) -> None:
        """`level == 30`, `level in [0, 1]`: a number outside the range of the column it
        is compared with (a column written without a unit) is never its value — as a
        misspelt code, the rows meant are paid nothing."""
        if not isinstance(literal, ast.Quantity) or literal.unit:
            return
        declared, _ = self._column_of(column)
        if declared is None or declared.unit or declared.kind not in ("integer", "number"):
            return
        try:
            value = Decimal(literal.value)
        except InvalidOperation:
            return
        if where_value(declared, value)[1] is not None:  # as a `where:` value no row holds
            whole = declared.kind == "integer"
            held = ("whole numbers", range_words(declared)) if whole else (range_words(declared),)
            self.diags.error(
                "unknown-value",
                f"`{_text(column)}` is never {literal.value}: it holds {', '.join(held)}",
                literal.span,
            )

    def _codes_of(self, column: ast.Node, typ: t.Type) -> tuple[str, ...] | None:
        """The values a text can hold where they are known: a code list, or the model's
        zones for `zone` (none where it has no zones: `zone` is then always empty)."""
        if not isinstance(typ, t.Text) or isinstance(column, ast.String):
            return None
        ref = self.out.refs.get(id(column))
        named = ref.name if isinstance(ref, ColumnRef) else getattr(column, "name", None)
        if named is not None and named.rpartition(".")[2] == ZONE:  # also `customer.zone`
            return tuple(self.model.zones)
        return typ.values or None

    def _check_parameter_codes(self, column: ast.Node, codes: tuple[str, ...], name: str) -> None:
        """`service == tjänst`, `service in tjänster`: a text parameter's value — each
        dated one, and one a study sets (`codes`) — that the column can never hold pays
        nothing where the model meant it to pay, as a misspelt text written out would."""
        param = self.model.parameters.get(name)
        if param is None or param.kind not in ("scalar", "list"):
            return
        if not isinstance(param.type, t.Text):
            return
        self.out.codes[name] = self.out.codes.get(name, frozenset(codes)) & frozenset(codes)
        for dated in param.values:
            values = dated.value if param.kind == "list" else [dated.value]
            for value in values or ():
                if value in codes:
                    continue
                self.diags.error(
                    "unknown-value",
                    f'`{_text(column)}` is never "{value}", the value of `{name}` from '
                    f"{dated.start.isoformat()}",
                    dated.span,
                    hint=codes_hint(str(value), codes),
                )

    def _in(self, node: ast.In, entity: str) -> t.Type:
        operand = self.expr(node.operand, entity)
        items = self.expr(node.items, entity)
        if isinstance(items, t.Unknown):
            return t.BOOL
        if not isinstance(items, t.ListOf):
            return self._mismatch(
                node.items,
                f"`in` looks in a list, but this is {t.describe(items)}",
                hint="a list [a, b] or a list parameter (kind: list)",
            )
        if not t.compatible(operand, items.item) or _date_against_moment(operand, items.item):
            hint = (
                f"look for the date: date({_text(node.operand)}) in […]"
                if isinstance(operand, t.DateTime) and isinstance(items.item, t.Date)
                else None
            )
            self._mismatch(
                node,
                f"cannot look for {t.describe(operand)} in a list of {t.describe(items.item)}",
                hint=hint,
            )
            return t.BOOL
        for item in node.items.items if isinstance(node.items, ast.ListLit) else ():
            self._check_text_values(node.operand, operand, item)
            self._check_number_value(node.operand, item)
        codes = self._codes_of(node.operand, operand)
        if isinstance(node.items, ast.Name) and codes is not None:
            self._check_parameter_codes(node.operand, codes, node.items.name)
        if node.negated:
            self._warn_nullable(node, (node.operand,), "not in")
        return t.BOOL

    def _expect_bool(self, node: ast.Node, entity: str, word: str) -> None:
        typ = self.expr(node, entity)
        if not isinstance(typ, t.Bool | t.Unknown):
            self._mismatch(
                node,
                f"`{word}` needs true/false, but this is {t.describe(typ)}",
                hint="compare it, e.g. x > 0",
            )

    def _if(self, node: ast.If, entity: str) -> t.Type:
        self._expect_bool(node.cond, entity, "if")
        self._warn_unknown_condition(node.cond, "if")
        self.guarded += 1  # a branch is taken only where its condition says
        self.asked.append(self._names_read(node.cond))
        then = self.expr(node.then, entity)
        other = self.expr(node.otherwise, entity)
        self.asked.pop()
        self.guarded -= 1
        if isinstance(then, t.Num) and isinstance(other, t.Num):
            then, other = self._zero_adapts(node.then, then, node.otherwise, other)
        if not t.compatible(then, other):
            return self._mismatch(
                node,
                f"the two branches differ: `then` gives {t.describe(then)}, `else` gives {t.describe(other)}",
                hint=_unit_hint(then, other),
                code="unit-mismatch"
                if isinstance(then, t.Num) and isinstance(other, t.Num)
                else "type-mismatch",
            )
        return t.unify(then, other)

    def _lookup(self, node: ast.Lookup, entity: str) -> t.Type:
        for key in node.keys:
            self.expr(key, entity)
        if not isinstance(node.table, ast.Name) or node.table.name not in self.model.parameters:
            if isinstance(node.table, ast.Name):
                self._unknown(node.table, entity)
                return t.UNKNOWN
            return self._mismatch(
                node, "only parameter tables can be looked up with [ ]", code="bad-lookup"
            )
        param = self.model.parameters[node.table.name]
        self.out.refs[id(node.table)] = ParamRef(param.name)
        if self.current:
            self.out.params.setdefault(self.current, set()).add(param.name)
        if param.kind != "table":
            return self._mismatch(node, f"`{param.name}` is not a table", code="bad-lookup")
        if len(node.keys) != len(param.keys):
            return self._mismatch(
                node,
                f"`{param.name}` has {len(param.keys)} key{'s' if len(param.keys) != 1 else ''} "
                f"({', '.join(param.keys)}), but {len(node.keys)} {'were' if len(node.keys) != 1 else 'was'} given",
                hint=f"{param.name}[{', '.join(param.keys)}]",
                code="bad-lookup",
            )
        for key, key_name, key_type in zip(node.keys, param.keys, param.key_types, strict=True):
            got = self.out.types.get(id(key), t.UNKNOWN)
            if isinstance(got, t.Unknown):
                continue
            if isinstance(key_type, t.Num) and not (isinstance(got, t.Num) and got.dimensionless):
                self._mismatch(
                    key,
                    f"key `{key_name}` of `{param.name}` is a number, but this is {t.describe(got)}",
                    code="bad-lookup",
                )
            if isinstance(key_type, t.Text) and not isinstance(got, t.Text):
                self._mismatch(
                    key,
                    f"key `{key_name}` of `{param.name}` is a text, but this is {t.describe(got)}",
                    code="bad-lookup",
                )
            if not param.has_otherwise and not self.fallback and not self._key_asked(key):
                self._key_domain(param, key, key_name)
            self._note_key_looked_up(param, param.keys.index(key_name), key)
            if isinstance(key, ast.String) and not param.has_otherwise:
                known = {
                    k[param.keys.index(key_name)] for d in param.values for k in (d.value or {})
                }
                if key.value not in known:
                    close = difflib.get_close_matches(key.value, sorted(known), n=1)
                    listed = ", ".join(f'"{k}"' for k in sorted(known, key=str)[:12])
                    self.diags.error(
                        "bad-lookup",
                        f'`{param.name}` has no `{key_name}` "{key.value}"',
                        key.span,
                        hint=f'did you mean "{close[0]}"?'
                        if close
                        else f'it has {listed}; add "{key.value}" to its values, or an '
                        "`otherwise:` for the keys it does not list",
                    )
        return param.type

    def _note_key_looked_up(self, param: Parameter, place: int, key: ast.Node) -> None:
        """Which keys a table is looked up at, where each look-up names it as written."""
        written = _key_as_written(key)
        asked = self.looked_up.get((param.name, place), set())
        if asked is None or written is None:
            self.looked_up[(param.name, place)] = None
        else:
            self.looked_up[(param.name, place)] = asked | {written}

    def _key_asked(self, key: ast.Node) -> bool:
        """Whether an enclosing `if` asks about what a look-up's key reads, through the
        definitions it names (`if level <= 5 then belopp[level]`: the other levels are
        ruled out). A condition about something else (`if betald_dag then
        belopp[level]`) rules out no level, and the check warns as outside an `if`."""
        if not self.asked:
            return False
        asked = self._read_through(frozenset().union(*self.asked))
        return bool(self._names_read(key) & asked)

    def _read_through(self, names: frozenset[str]) -> frozenset[str]:
        """The names, and those the definitions among them read, all the way down."""
        seen, todo = set(names), list(names)
        while todo:
            rule = self.model.rules.get(todo.pop())
            for version in rule.versions if rule is not None else ():
                for name in self._names_read(version.tree) if version.tree else ():
                    if name not in seen:
                        seen.add(name)
                        todo.append(name)
        return frozenset(seen)

    def _key_domain(self, param: Parameter, key: ast.Node, name: str) -> None:
        """A key read from a column whose values are known (a code list, the model's
        zones, or a range of whole numbers) must find every one of them in each dated
        table: a value the table lacks would stop the run in the month it first occurs.
        (Not under an `if`, whose condition may rule those values out.)"""
        ref = self._column_behind(self.out.refs.get(id(key)), set())
        if ref is None:
            return
        column = self._fields(ref.entity).get(ref.name)
        if column is None:
            return
        domain: list[str] = []
        if ref.name == ZONE and self.model.zones:  # the model's own zones
            domain = list(self.model.zones)
        elif isinstance(column.type, t.Text) and column.type.values:
            domain = list(column.type.values)
        elif (
            column.kind == "integer"
            and column.minimum is not None
            and column.maximum is not None
            and column.maximum - column.minimum <= 1000
        ):
            domain = [str(v) for v in range(int(column.minimum), int(column.maximum) + 1)]
        position = param.keys.index(name)
        for dated in param.values:
            listed = {k[position] for k in (dated.value or {})}
            lacking = [v for v in domain if v not in listed]
            if domain and listed and len(lacking) == len(domain):
                self._no_key_listed(param, key, name, ref, domain, dated.start)
                return
            if lacking:
                shown = ", ".join(lacking[:8]) + (" …" if len(lacking) > 8 else "")
                hint = (
                    f"add them, or give `{param.name}` an `otherwise:` value; a row with "
                    "such a key stops the run"
                )
                if dated.span.file != key.span.file:  # a model extending another gave it
                    hint = (
                        f"the table from {dated.start.isoformat()} is the one {dated.span} "
                        "gives, in place of the whole of the extended model's for that date: "
                        f"give {shown} there too, or give `{param.name}` an `otherwise:` value"
                    )
                self.diags.warning(
                    "lookup-domain",
                    f"`{param.name}` (from {dated.start.isoformat()}) has no `{name}` for "
                    f"{len(lacking)} value{'s' if len(lacking) != 1 else ''} that "
                    f"{self._key_words(key, ref)} can take: {shown}",
                    key.span,
                    hint=hint,
                )
                return

    def _key_words(self, key: ast.Node, column: ColumnRef) -> str:
        """A key as the message names it: its column, or a definition and its column."""
        if isinstance(self.out.refs.get(id(key)), ColumnRef):
            return f"`{column.name}`"
        return f"`{formula_text(key)}` (its `{column.name}`)"

    def _column_behind(self, ref: Ref | None, seen: set[str]) -> ColumnRef | None:
        """The column a key reads: itself, or the column a definition is in every version
        (`beslutsnivå: level`, then `nivåbelopp[zone, beslutsnivå]`): its values are the
        column's."""
        if isinstance(ref, ColumnRef):
            return ref
        if not isinstance(ref, RuleRef) or ref.name in seen or ref.name not in self.model.rules:
            return None
        seen.add(ref.name)
        behind = {
            self._column_behind(self.out.refs.get(id(v.tree)), seen)
            for v in self.model.rules[ref.name].versions
            if v.tree is not None
        }
        return behind.pop() if len(behind) == 1 else None

    def _no_key_listed(
        self,
        param: Parameter,
        key: ast.Node,
        name: str,
        ref: ColumnRef,
        domain: list[str],
        start: date,
    ) -> None:
        """A key whose every value the table lacks is the wrong column (`timpris[status]`
        for `timpris[service]`): each row with a value would stop the run, so it is an
        error here, not a warning that the table lacks some."""
        shown = ", ".join(domain[:8]) + (" …" if len(domain) > 8 else "")
        fields = self._fields(ref.entity)
        hint = f"did you mean `{param.name}[{name}]`?" if name in fields else None
        self.diags.error(
            "bad-lookup",
            f"`{param.name}` (from {start.isoformat()}) lists no `{name}` that "
            f"{self._key_words(key, ref)} can take ({shown}): every row would stop the run",
            key.span,
            hint=hint,
        )

    # ---- calls

    def _call(self, node: ast.Call, entity: str) -> t.Type:
        sig = BUILTINS.get(node.func)
        if sig is None:
            close = difflib.get_close_matches(node.func, list(BUILTINS), n=1)
            for arg in node.args:
                if not isinstance(arg, ast.Filtered):
                    self.expr(arg, entity)
            return self._mismatch(
                node,
                f"unknown function `{node.func}`",
                hint=f"did you mean `{close[0]}`?"
                if close
                else "functions: " + ", ".join(BUILTINS),
                code="unknown-name",
            )
        if node.func in AGGREGATES and self._is_aggregate(node, entity):
            return self._aggregate(node, entity)
        n = len(node.args)
        if n < sig.min_args or (sig.max_args is not None and n > sig.max_args):
            return self._mismatch(
                node,
                f"`{node.func}` takes {_arity(sig.min_args, sig.max_args)}, not {n}",
                hint=sig.usage,
                code="bad-call",
            )
        if node.func == "step":
            return self._step(node, entity)
        if node.func in ("overlaps", "minutes_in") and self.outer:
            return self._named_first(node, entity)
        if node.func == "overlaps":
            return self._overlaps(node, entity)
        if node.func == "minutes_in":
            return self._minutes_in(node, entity)
        fallback = node.func == "coalesce"  # its first argument may be missing, by design
        self.guarded += fallback
        self.fallback += fallback
        args = [self.expr(node.args[0], entity)]
        self.guarded -= fallback
        self.fallback -= fallback
        args += [self.expr(a, entity) for a in node.args[1:]]
        if any(isinstance(a, t.Unknown) for a in args):
            return t.UNKNOWN
        match node.func:
            case "min" | "max":
                typ = self._same_kind(node, args, numeric=True, ordered=True)
                self._warn_skipped_argument(node, typ)
                return typ
            case "clamp":
                typ = self._same_kind(node, args, numeric=True)
                self._warn_skipped_argument(node, typ)
                return typ
            case "coalesce":
                return self._same_kind(node, args, numeric=False)
            case "floor" | "ceil":
                return self._round(node, args)
            case "time_of_day":
                if not isinstance(args[0], t.DateTime):
                    return self._mismatch(
                        node,
                        f"`time_of_day` takes a date and time, not {t.describe(args[0])}",
                        code="bad-call",
                    )
                return t.TIME
            case "weekday":
                if not isinstance(args[0], t.Date | t.DateTime):
                    return self._mismatch(
                        node, f"`weekday` takes a date, not {t.describe(args[0])}", code="bad-call"
                    )
                return t.COUNT
            case "minutes_within":
                expected: tuple[t.Type, ...] = (t.DATETIME, t.DATETIME, t.TIME, t.TIME)
                for arg, typ, want in zip(node.args, args, expected, strict=True):
                    if type(typ) is not type(want):
                        return self._mismatch(
                            arg,
                            f"`minutes_within` takes {t.describe(want)} here, not {t.describe(typ)}",
                            hint=BUILTINS["minutes_within"].usage,
                            code="bad-call",
                        )
                return t.DURATION
            case "abs":
                return self._numeric(node, args[0])
            case "round":
                return self._round(node, args)
            case "days_active":
                for arg, typ in zip(node.args, args, strict=True):
                    if not isinstance(typ, t.Date):
                        self._mismatch(
                            arg,
                            f"`days_active` takes dates, but this is {t.describe(typ)}",
                            hint="days_active(start_date, end_date)",
                            code="bad-call",
                        )
                return t.COUNT
            case "add_months":
                if not isinstance(args[0], t.Date):
                    return self._mismatch(
                        node.args[0],
                        f"`add_months` takes a date, not {t.describe(args[0])}",
                        code="bad-call",
                    )
                if not _is_whole_number(node.args[1]) and not self._months_of_parameters(
                    node.args[1], args[1]
                ):
                    return self._mismatch(
                        node.args[1],
                        "the number of months must be a whole number written out, e.g. 3, "
                        "or a count of parameters (`uppsägningstid`, `åldersgräns * 12`)",
                        code="bad-call",
                    )
                return t.DATE
            case "date":
                if not isinstance(args[0], t.DateTime | t.Date):
                    return self._mismatch(
                        node,
                        f"`date` takes a date and time, not {t.describe(args[0])}",
                        code="bad-call",
                    )
                return t.DATE
        raise AssertionError(node.func)

    def _is_calendar(self, name: str) -> bool:
        listed = self.model.parameters.get(name)
        return listed is not None and listed.kind == "list" and isinstance(listed.type, t.Date)

    def _unknown_calendar(self, bands: str, calendar: str, at: Span | None) -> None:
        """A band's `calendar:` that names no list of dates: one error, where it is
        written (it was one at every `minutes_in` of the bands, in the formulas)."""
        if (bands, calendar) in self._told_calendars:
            return
        self._told_calendars.add((bands, calendar))
        known = sorted(n for n in self.model.parameters if self._is_calendar(n))
        close = difflib.get_close_matches(calendar, known, n=1)
        self.diags.error(
            "unknown-name",
            f"a band of `{bands}` names the calendar `{calendar}`, which is not a list "
            "parameter of dates",
            at,
            hint=f"did you mean `{close[0]}`?"
            if close
            else f"{calendar}: {{kind: list, unit: date, values: {{2024-01-01: [2024-12-24]}}}}",
        )

    def _minutes_in(self, node: ast.Call, entity: str) -> t.Type:
        """`minutes_in(tider, "natt")` on a row with `start` and `end` moments."""
        bands, band = node.args
        param = self.model.parameters.get(bands.name) if isinstance(bands, ast.Name) else None
        if isinstance(bands, ast.Name) and bands.name in self.model.broken:
            return t.UNKNOWN  # its own errors are reported where it is written
        if param is None or param.kind != "bands":
            return self._mismatch(
                bands,
                "the first argument of `minutes_in` must be a time-band parameter (kind: bands)",
                hint=BUILTINS["minutes_in"].usage,
                code="bad-call",
            )
        assert isinstance(bands, ast.Name)
        self.out.refs[id(bands)] = ParamRef(param.name)
        if self.current:
            self.out.params.setdefault(self.current, set()).add(param.name)
        names = {b.name for dated in param.values for b in (dated.value or [])}
        if not isinstance(band, ast.String) or band.value not in names:
            close = (
                difflib.get_close_matches(band.value, sorted(names), n=1)
                if isinstance(band, ast.String)
                else []
            )
            return self._mismatch(
                band,
                f"`{param.name}` has no band "
                + (f'"{band.value}"' if isinstance(band, ast.String) else "named here"),
                hint=f'did you mean "{close[0]}"?'
                if close
                else "bands: " + ", ".join(f'"{n}"' for n in sorted(names)),
                code="bad-call",
            )
        named = {b.calendar: b.calendar_span for d in param.values for b in d.value or []}
        for calendar in sorted(c for c in named if c):
            if not self._is_calendar(calendar):
                self._unknown_calendar(param.name, calendar, named[calendar] or bands.span)
                return t.UNKNOWN
            if self.current:
                self.out.params.setdefault(self.current, set()).add(calendar)
        fields = self._fields(entity)
        for moment in ("start", "end"):
            if not isinstance(
                fields.get(moment, Column("", t.TEXT, True, "", "")).type, t.DateTime
            ):
                times = [c for c, col in fields.items() if isinstance(col.type, t.DateTime)]
                window = (  # of two of its own times; a row with none has no window
                    f", or take a daily window of its own: "
                    f"minutes_within({times[0]}, {times[-1]}, 22:00, 07:00)"
                    if len(times) > 1
                    else ""
                )
                return self._mismatch(
                    node,
                    f"`minutes_in` splits a row's `start`–`end`, and {entity} has no `{moment}` "
                    "date and time",
                    hint="name the table's times `start` and `end` (a columns.yaml beside the "
                    "data maps an export's own names to them)" + window,
                    code="bad-call",
                )
        self.out.columns.setdefault(entity, set()).update({"start", "end"})
        return t.DURATION

    def _overlaps(self, node: ast.Call, entity: str) -> t.Type:
        registration = self.vocabulary.roles.registration
        if entity != registration:
            return self._mismatch(
                node,
                f"`overlaps` compares {self.vocabulary.registrations}; use it on {registration}",
                code="bad-call",
            )
        for arg in node.args:
            typ = self.expr(arg, entity)
            if not isinstance(self.out.refs.get(id(arg)), ColumnRef) or not isinstance(typ, t.Text):
                self._mismatch(
                    arg,
                    "`overlaps` takes fields of the visit that identify who or where, e.g. staff_id",
                    hint=BUILTINS["overlaps"].usage,
                    code="bad-call",
                )
        self.out.columns.setdefault(registration, set()).update(
            {"start", "end", self.vocabulary.registration_key}
        )
        return t.BOOL

    def _round(self, node: ast.Call, args: list[t.Type]) -> t.Type:
        """`round(x)`, `round(x, 2)` (decimals in the unit x is shown in) or
        `round(x, 15 min)` (to a multiple of a written quantity of x's kind)."""
        typ = self._numeric(node, args[0])
        if len(args) == 1 or isinstance(typ, t.Unknown):
            return typ
        second = node.args[1]
        if _is_whole_number(second) and not isinstance(second, ast.Neg):
            return self._decimals(node, typ, second)
        if isinstance(second, ast.Quantity) and second.unit:
            if not t.compatible(typ, args[1]):
                return self._mismatch(
                    second,
                    f"cannot round {t.describe(typ)} to a multiple of {t.describe(args[1])}",
                    hint="round to a multiple of the same kind, e.g. round(tid, 15 min)",
                    code="unit-mismatch",
                )
            if self.out.literals[id(second)] <= 0:
                return self._mismatch(second, "round to a multiple above zero", code="bad-call")
            return typ
        if isinstance(second, ast.Name) and isinstance(self.out.refs.get(id(second)), ParamRef):
            return self._multiple_parameter(node, typ, second, args[1])
        return self._mismatch(
            second,
            "the number of decimals must be a whole number written out, e.g. 2",
            hint="or a quantity to round to a multiple of, e.g. round(tid, 15 min)",
            code="bad-call",
        )

    def _parameter_divisor(self, divisor: ast.Node) -> None:
        """A parameter divided by is not 0 in any dated value (as a written `0` is an
        error): every row's value would be missing. A study may not set it to 0 either.
        Unless an enclosing `if` asks about it (`if normtid == 0 h then … else x /
        normtid`): then 0 is a value the model handles."""
        assert isinstance(divisor, ast.Name)
        param = self.model.parameters[divisor.name]
        if param.kind != "scalar" or any(param.name in asked for asked in self.asked):
            return
        self.out.nonzero.add(param.name)
        for dated in param.values:
            if isinstance(dated.value, Decimal) and dated.value == 0:
                self.diags.error(
                    "division-by-zero",
                    f"`{param.name}` is 0 from {dated.start.isoformat()}, and a formula "
                    "divides by it: the result is never a value",
                    dated.span,
                    hint="give it a value above 0, or write the formula without it",
                )

    def _months_of_parameters(self, node: ast.Node, typ: t.Type) -> bool:
        """A number of months the month's parameters give (`åldersgräns * 12`, with
        `åldersgräns` a count): the same for every row, so that a period of notice or an
        age in years can be a parameter. Whole numbers only: a count, of parameters of
        one value and whole numbers written out, added, subtracted and multiplied."""
        if not (isinstance(typ, t.Num) and typ.integer and typ.dimensionless):
            return False
        for part in node.walk():
            ref = self.out.refs.get(id(part))
            if isinstance(part, ast.Name):
                if not isinstance(ref, ParamRef):
                    return False
                if self.model.parameters[ref.name].kind != "scalar":
                    return False
            elif isinstance(part, ast.BinOp):
                if part.op not in ("+", "-", "*"):
                    return False
            elif not (_is_whole_number(part) or isinstance(part, ast.Neg)):
                return False
        return True

    def _multiple_parameter(
        self, node: ast.Call, typ: t.Type, second: ast.Name, multiple: t.Type
    ) -> t.Type:
        """`ceil(tid, avrundning)`: to a multiple a parameter holds, so that a study can
        sweep it (5 min, 15 min). A quantity with a unit of x's kind, above zero in
        every dated value: a parameter without a unit (a count, a number) could be
        meant as decimals or as a multiple, and is an error that says to give it one."""
        param = self.model.parameters[second.name]
        if not isinstance(multiple, t.Num) or param.kind != "scalar":
            return self._mismatch(
                second,
                f"`{second.name}` is no amount to round to a multiple of",
                hint=f"a parameter of one value with a unit, e.g. {node.func}(tid, avrundning) "
                "with `avrundning` in min",
                code="bad-call",
            )
        if multiple.dimensionless and not multiple.percent:
            return self._mismatch(
                second,
                f"`{second.name}` has no unit: a multiple of it, or as many decimals?",
                hint=f"give `{second.name}` the unit of the value it rounds (min, SEK, %), "
                "or write the decimals out: round(x, 2)",
                code="bad-call",
            )
        if not t.compatible(typ, multiple):
            return self._mismatch(
                second,
                f"cannot round {t.describe(typ)} to a multiple of {t.describe(multiple)}",
                hint="round to a multiple of the same kind, e.g. round(tid, 15 min)",
                code="unit-mismatch",
            )
        self.out.multiples.add(param.name)
        for dated in param.values:
            if isinstance(dated.value, Decimal) and dated.value <= 0:
                self.diags.error(
                    "bad-call",
                    f"`{second.name}` is {dated.value} from {dated.start.isoformat()}, and "
                    f"`{node.func}` rounds to a multiple of it: a multiple above zero",
                    dated.span,
                )
        return typ

    def _decimals(self, node: ast.Call, typ: t.Type, second: ast.Node) -> t.Type:
        """A number of decimals a model can mean. A duration is rounded in minutes, so
        `ceil(end - start, 5)` rounds to five decimals of a minute — which nobody
        means: it reads as "up to 5 minutes", and then paid every visit unrounded. And
        values are settled to a millionth, so more than six decimals round nothing
        (`round(belopp, 100)` meant for hundreds of kronor). Both are errors that
        show the multiple to write instead."""
        assert isinstance(second, ast.Quantity)  # a whole number written out
        decimals = int(second.value)
        x = formula_text(node.args[0])
        if typ == t.DURATION and decimals > 0:
            return self._mismatch(
                second,
                f"`{node.func}({x}, {decimals})` would round the minutes to {decimals} "
                f"decimal{'s' if decimals != 1 else ''}, not to a multiple of {decimals} min",
                hint=f"to a multiple of {decimals} minutes write {node.func}({x}, {decimals} min)"
                f" (a tenth of a minute: {node.func}({x}, 0.1 min))",
                code="bad-call",
            )
        if decimals > SNAP_DECIMALS:
            unit = t.display_unit(typ)
            multiple = f"{decimals} {unit}" if unit else str(decimals)
            return self._mismatch(
                second,
                f"`{node.func}` to {decimals} decimals rounds nothing: values are computed "
                f"to a millionth",
                hint=f"to a multiple of {multiple} write {node.func}({x}, {multiple})",
                code="bad-call",
            )
        return typ

    def _numeric(self, node: ast.Call, typ: t.Type) -> t.Type:
        if not isinstance(typ, t.Num):
            return self._mismatch(
                node, f"`{node.func}` takes a number, not {t.describe(typ)}", code="bad-call"
            )
        return typ

    def _same_kind(
        self, node: ast.Call, args: list[t.Type], numeric: bool, ordered: bool = False
    ) -> t.Type:
        # a bare 0 fits any unit wherever it stands: `max(0, garanti - utbetalt)` as
        # `max(garanti - utbetalt, 0)` (the kind is the first argument's that is not one)
        at = next((i for i, a in enumerate(node.args) if not _is_bare_zero(a)), 0)
        first = args[at]
        orderable = t.Num | t.Date | t.DateTime | t.Time if ordered else t.Num
        if numeric and not isinstance(first, orderable):
            return self._mismatch(
                node,
                f"`{node.func}` takes numbers, not {t.describe(first)}",
                hint=BUILTINS[node.func].usage,
                code="bad-call",
            )
        result = first
        for i, (arg, typ) in enumerate(zip(node.args, args, strict=True)):
            if i == at or self._bare_beside_share(arg, first):
                continue
            if isinstance(result, t.Num) and isinstance(typ, t.Num) and _is_bare_zero(arg):
                continue
            if not t.compatible(result, typ):
                return self._mismatch(
                    arg,
                    f"`{node.func}` mixes {t.describe(result)} and {t.describe(typ)}",
                    hint=_unit_hint(result, typ),
                    code="unit-mismatch",
                )
            result = t.unify(result, typ)
        return result

    def _step(self, node: ast.Call, entity: str) -> t.Type:
        x = self.expr(node.args[0], entity)
        table = node.args[1]
        if not (
            isinstance(table, ast.Name)
            and table.name in self.model.parameters
            and self.model.parameters[table.name].kind == "steps"
        ):
            if isinstance(table, ast.Name) and table.name not in self.model.parameters:
                self._unknown(table, entity)
                return t.UNKNOWN
            return self._mismatch(
                table,
                "the second argument of `step` must be a step table parameter",
                hint=BUILTINS["step"].usage,
                code="bad-call",
            )
        param = self.model.parameters[table.name]
        self.out.refs[id(table)] = ParamRef(param.name)
        if self.current:
            self.out.params.setdefault(self.current, set()).add(param.name)
        bracket = param.bracket_type or t.UNKNOWN
        if not isinstance(x, t.Unknown) and not t.compatible(x, bracket):
            self._mismatch(
                node.args[0],
                f"`{param.name}` has brackets in {t.describe(bracket)}, but this is {t.describe(x)}",
                code="unit-mismatch",
            )
        if len(node.args) == 3:
            other = self.expr(node.args[2], entity)
            if self._bare_beside_share(node.args[2], param.type):
                return param.type
            if not t.compatible(other, param.type):
                self._mismatch(
                    node.args[2],
                    f"the value above every bracket must be {t.describe(param.type)}, like the table's values, not {t.describe(other)}",
                    code="unit-mismatch",
                )
        return param.type

    # ---- aggregations

    def _is_aggregate(self, node: ast.Call, entity: str) -> bool:
        if node.func not in ("min", "max"):
            return True
        if len(node.args) != 1:
            return False
        arg = node.args[0].value if isinstance(node.args[0], ast.Filtered) else node.args[0]
        relations = {r.name for r in self.vocabulary.entities[entity].relations}
        base = arg.target if isinstance(arg, ast.Attr) else arg
        return isinstance(base, ast.Name) and base.name in relations

    def _named_first(self, node: ast.Call, entity: str) -> t.Type:
        """An aggregation, `overlaps` or `minutes_in` in an aggregation's `where` is an
        error that says to name it on the related rows' entity: the run computes such
        values a step of their own per row — `overlaps` with the neighbouring months'
        visits — which a filter has not, so the run and `explain` would differ."""
        wrote = formula_text(node)
        return self._mismatch(
            node,
            f"`{wrote}` in the `where` of an aggregation: it is computed for each "
            f"{entity} row, so give it a name there first",
            hint=f"under `definitions: {{{entity}: …}}` write `name: {wrote}`, and use that "
            "name in the `where`",
            code="bad-call",
        )

    def _aggregate(self, node: ast.Call, entity: str) -> t.Type:
        usage = BUILTINS[node.func].usage
        if self.outer:  # in another aggregation's `where`: rows of rows of rows
            return self._named_first(node, entity)
        if len(node.args) != 1:
            return self._mismatch(
                node, f"`{node.func}` takes one list of rows, e.g. {usage}", code="bad-call"
            )
        arg = node.args[0]
        condition = arg.condition if isinstance(arg, ast.Filtered) else None
        target = arg.value if isinstance(arg, ast.Filtered) else arg
        rel_node, field_name = (
            (target.target, target.name) if isinstance(target, ast.Attr) else (target, None)
        )
        relations = {r.name: r for r in self.vocabulary.entities[entity].relations}
        if not isinstance(rel_node, ast.Name) or rel_node.name not in relations:
            combined = _fields_combined(target, relations)
            if combined is not None:  # `sum(visits.a + visits.b)`: a value of each row
                rows_of, written = combined
                each = relations[rows_of].entity
                return self._mismatch(
                    target,
                    f"`{node.func}` takes one field of the related rows, not `{written}`",
                    hint=f"under `definitions: {{{each}: …}}` write `name: "
                    f"{written.replace(rows_of + '.', '')}`, then {node.func}({rows_of}.name)",
                    code="bad-call",
                )
            if relations:
                names = ", ".join(relations)
                hint = f"the lists of rows on {entity} are: {names}; e.g. {usage}"
            else:
                hint = f"{entity} has no related rows to aggregate"
            return self._mismatch(
                target,
                f"`{node.func}` needs a list of related rows here",
                hint=hint,
                code="bad-call",
            )
        relation = relations[rel_node.name]
        child = relation.entity
        field_ref: Ref | None = None
        field_type: t.Type = t.UNKNOWN
        fake: ast.Node | None = None
        if field_name is not None:
            fake = ast.Name(target.span, field_name)
            field_type = self.expr(fake, child)
            field_ref = self.out.refs.get(id(fake))
            self.out.types[id(target)] = field_type
        if condition is not None:
            self.outer.append(entity)
            self._expect_bool(condition, child, "where")
            self._warn_unknown_condition(condition, "where")
            self.outer.pop()
        period = (
            self.vocabulary.entities[child].month.columns if node.func == "days_covered" else ()
        )
        self.out.aggs[id(node)] = AggInfo(
            node.func,
            relation,
            field_ref,
            condition,
            fake if field_name is not None else None,
            period,
        )
        for side in (entity, child):  # the join reads its keys on both sides
            fields = self._fields(side)
            self.out.columns.setdefault(side, set()).update(k for k in relation.keys if k in fields)
        if isinstance(field_type, t.Unknown) and field_name is not None:
            return t.UNKNOWN
        match node.func:
            case "count":
                return t.COUNT
            case "count_distinct":
                if field_name is None:
                    return self._mismatch(
                        node,
                        "`count_distinct` counts the different values of a field",
                        hint=BUILTINS["count_distinct"].usage,
                        code="bad-call",
                    )
                return t.COUNT
            case "days_covered":
                child_month = self.vocabulary.entities[child].month
                if field_name is not None or child_month.by != "period":
                    return self._mismatch(
                        node,
                        "`days_covered` counts the days of related rows that are periods "
                        f"(start and end dates), and {child} rows are not"
                        if child_month.by != "period"
                        else "`days_covered` takes a list of rows, not a field",
                        hint=f"place {child}'s rows by their periods: "
                        + period_month_rule(self.vocabulary, child)
                        if child_month.by != "period"
                        else BUILTINS["days_covered"].usage,
                        code="bad-call",
                    )
                self.out.columns.setdefault(child, set()).update(child_month.columns)
                return t.COUNT
            case "any" | "all":
                if field_name is None:
                    if node.func == "all":
                        return self._mismatch(
                            node,
                            "`all` needs a true/false field",
                            hint="all(visits.counted)",
                            code="bad-call",
                        )
                    return t.BOOL
                if not isinstance(field_type, t.Bool):
                    return self._mismatch(
                        target,
                        f"`{node.func}` needs a true/false field, but this is {t.describe(field_type)}",
                        code="bad-call",
                    )
                return t.BOOL
            case "sum" | "min" | "max":
                if field_name is None:
                    return self._mismatch(
                        node,
                        f"`{node.func}` needs a field to {node.func}",
                        hint=usage,
                        code="bad-call",
                    )
                if not isinstance(field_type, t.Num) and not (
                    node.func != "sum" and isinstance(field_type, t.Date | t.DateTime | t.Time)
                ):
                    return self._mismatch(
                        target, f"cannot {node.func} {t.describe(field_type)}", code="bad-call"
                    )
                return field_type
        raise AssertionError(node.func)


# ----------------------------------------------------------------------------- helpers


def _date_against_moment(a: t.Type, b: t.Type) -> bool:
    return {type(a), type(b)} == {t.Date, t.DateTime}


def round_decimals(node: ast.Call) -> int:
    """The decimals of `round(x, n)` (0 for `round(x)`)."""
    second = node.args[1] if len(node.args) == 2 else None
    if isinstance(second, ast.Quantity) and not second.unit:
        return int(second.value)
    return 0


def round_multiple(checked: CheckedModel, node: ast.Call) -> Decimal | None:
    """The quantity of `round(x, 15 min)` in internal units, or None."""
    second = node.args[1] if len(node.args) == 2 else None
    if isinstance(second, ast.Quantity) and second.unit:
        return checked.literals[id(second)]
    return None


def _is_whole_number(node: ast.Node) -> bool:
    if isinstance(node, ast.Neg):
        return _is_whole_number(node.operand)
    return isinstance(node, ast.Quantity) and not node.unit and "." not in node.value


def _is_bare_zero(node: ast.Node) -> bool:
    return isinstance(node, ast.Quantity) and not node.unit and Decimal(node.value) == 0


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"{low} or more arguments"
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


def _dotted(node: ast.Node) -> list[str]:
    """`visit.customer.district` as its names; [] where a part is no plain name."""
    match node:
        case ast.Name(name=name):
            return [name]
        case ast.Attr(target=target, name=name):
            inner = _dotted(target)
            return [*inner, name] if inner else []
    return []


def _fields_combined(target: ast.Node, relations: Mapping[str, Relation]) -> tuple[str, str] | None:
    """`visits.grundbelopp + visits.ob`: fields of one relation's rows combined in an
    aggregation, as the relation's name and the text written; None otherwise."""
    named = {
        n.target.name
        for n in target.walk()
        if isinstance(n, ast.Attr) and isinstance(n.target, ast.Name) and n.target.name in relations
    }
    if len(named) != 1 or isinstance(target, ast.Attr):
        return None
    return named.pop(), formula_text(target)


NO_ZONES = "the model names no zones, so a zone is always empty: give them, `zones: {landsbygd: [Skogsby, Ån]}`"


def codes_hint(value: str, codes: tuple[str, ...]) -> str:
    """The code meant by a text no row can hold, or the codes there are (or that a
    model without zones has none)."""
    meant = closest(value, codes)
    if meant:
        return f'did you mean "{meant}"?'
    return "allowed: " + ", ".join(f'"{v}"' for v in codes) if codes else NO_ZONES


def _text(node: ast.Node) -> str:
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Attr):
        return f"{_text(node.target)}.{node.name}"
    if isinstance(node, ast.Lookup):
        return f"{_text(node.table)}[…]"
    return "this"


def skipped_then(call: ast.Call, arg: ast.Node, ran: bool = False) -> str:
    """What `min`, `max` or `clamp` does when `arg` has no value and is skipped — takes
    the smallest or largest of the others, or leaves `x` unlimited on that side — as the
    check foretells it (`and is then …`) or a run tells it (`took …`)."""
    if call.func == "clamp":
        side = "below" if arg is call.args[1] else "above"
        verb = "left" if ran else "then leaves"
        return f"{verb} `{formula_text(call.args[0])}` unlimited from {side}"
    which = f"the {'smallest' if call.func == 'min' else 'largest'} of the others"
    return f"took {which}" if ran else f"is then {which}"


def clamp_hint(call: ast.Call) -> str:
    """How to say which bound of a `clamp` wins where its lower is above its upper."""
    x, low, high = (formula_text(a) for a in call.args)
    return (
        f"say which bound wins: min(max({x}, {low}), {high}) if the upper, "
        f"max(min({x}, {high}), {low}) if the lower"
    )


def formula_text(node: ast.Node, within: int = 0) -> str:
    """A value's formula as a reader would write it (short of the original spacing),
    with the brackets its reading needs: `60 min / (end - start)`, never `60 min / end -
    start`, which is another formula. `within`: how tightly the enclosing formula binds
    (the grammar's levels, `_BINDS`)."""
    binds = _binds(node)
    text = _formula_text(node, binds)
    return f"({text})" if binds < within else text


# how tightly each form binds, as grammar.lark nests them: an `if` least, a name most
_BINDS = {"if": 0, "or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def _binds(node: ast.Node) -> int:
    match node:
        case ast.If():
            return _BINDS["if"]
        case ast.Or():
            return _BINDS["or"]
        case ast.And():
            return _BINDS["and"]
        case ast.Not():
            return _BINDS["not"]
        case ast.Compare() | ast.In():
            return _BINDS["compare"]
        case ast.BinOp(op=op):
            return _BINDS[op]
        case ast.Neg():
            return 7
    return 8


def _formula_text(node: ast.Node, binds: int) -> str:
    match node:
        case ast.Call(func=func, args=args):
            return f"{func}({', '.join(formula_text(a) for a in args)})"
        case ast.BinOp(op=op, left=left, right=right):  # a - (b - c): the right binds more
            return f"{formula_text(left, binds)} {op} {formula_text(right, binds + 1)}"
        case ast.Compare(op=op, left=left, right=right):
            return f"{formula_text(left, binds + 1)} {op} {formula_text(right, binds + 1)}"
        case ast.In(operand=operand, items=items, negated=negated):
            word = "not in" if negated else "in"
            return f"{formula_text(operand, binds + 1)} {word} {formula_text(items)}"
        case ast.Neg(operand=operand):
            return f"-{formula_text(operand, binds)}"
        case ast.Not(operand=operand):
            return f"not {formula_text(operand, binds)}"
        case ast.And(left=left, right=right):
            return f"{formula_text(left, binds)} and {formula_text(right, binds + 1)}"
        case ast.Or(left=left, right=right):
            return f"{formula_text(left, binds)} or {formula_text(right, binds + 1)}"
        case ast.Quantity(value=value, unit=unit):
            return f"{value} {unit}" if unit else value
        case ast.If(cond=cond, then=then, otherwise=otherwise):
            return (
                f"if {formula_text(cond)} then {formula_text(then)} else {formula_text(otherwise)}"
            )
        case ast.String(value=value):
            return f'"{value}"'
        case ast.Filtered(value=value):
            return f"{formula_text(value)} where …"
        case ast.TimeLit(minutes=minutes):
            return ast.clock(minutes)
        case ast.DateLit(value=value):
            return value.isoformat()
        case ast.BoolLit(value=value):
            return "true" if value else "false"
        case ast.Missing():
            return "missing"
        case ast.ListLit(items=items):
            return f"[{', '.join(formula_text(i) for i in items)}]"
    text = _text(node)
    return "…" if text == "this" else text


def _counted_in(quantity: t.Num) -> str:
    """The unit a line's quantity is counted in: minutes, kronor, or its kind."""
    internal = {(0, 1): "min", (1, 0): "SEK"}.get((quantity.money, quantity.time))
    return internal or t.describe(quantity)


def _unit_hint(a: t.Type, b: t.Type) -> str | None:
    if not (isinstance(a, t.Num) and isinstance(b, t.Num)):
        return None
    pair = {t.describe(a), t.describe(b)}
    if pair == {"duration", "money (SEK)"}:
        return "multiply time by a rate, e.g. tid * timpris"
    if "duration" in pair and pair & {"count", "number", "ratio"}:
        return "write the unit of time, e.g. 30 h or 15 min"
    if "money (SEK)" in pair and pair & {"count", "number", "ratio"}:
        return "write the amount with its unit, e.g. 100 SEK"
    if pair == {"duration", "rate (SEK/h)"}:
        return "a duration times a rate is an amount: multiply them, e.g. tid * timpris"
    if "rate (SEK/h)" in pair and "money (SEK)" in pair:
        return "multiply the rate by a duration to get an amount"
    return None


def _amount_hint(typ: t.Type) -> str | None:
    if isinstance(typ, t.Num) and typ.same_dimension(t.DURATION):
        return "multiply the time by an hourly rate, e.g. tid * timpris"
    if isinstance(typ, t.Num) and typ.dimensionless:
        return "multiply by an amount in SEK"
    return None


def check(model: Model, diags: Diagnostics, months: Iterable[date] = ()) -> CheckedModel:
    """Type-check every formula of `model`; with `months`, check values in force too."""
    checked = _Checker(model, diags).run()
    for month in months:
        check_in_force(checked, model.in_force_on(month), diags)
    return checked


def check_in_force(checked: CheckedModel, month: date, diags: Diagnostics) -> None:
    """Every rule in force on `month` has its parameters and definitions in force too.
    A month before every parameter's first value is one error, not one per parameter
    and rule (a run of December before a model starting in January was ten)."""
    model = checked.model
    if _before_the_model(checked, month, diags):
        return
    for rule in model.rules.values():
        version = rule.version_on(month)
        if version is None:
            continue
        for param_name in sorted(_params_of(checked, version.tree)):
            param = model.parameters[param_name]
            if param.value_on(month) is None:
                first = min((v.start for v in param.values), default=None)
                diags.error(
                    "no-value-in-force",
                    f"`{param_name}` has no value on {month.isoformat()}, which `{rule.name}` needs",
                    param.span,
                    hint=f"its first value takes effect on {first.isoformat()}" if first else None,
                )
            _calendars_in_force(model, param, month, diags)
        for dep in sorted(_rules_of(checked, version.tree)):
            if model.rules[dep].version_on(month) is None:
                diags.error(
                    "no-value-in-force",
                    f"`{dep}` is not in force on {month.isoformat()}, but `{rule.name}` uses it",
                    version.span,
                )


def _calendars_in_force(model: Model, param: Parameter, month: date, diags: Diagnostics) -> None:
    """The calendars of time bands in force have a list in force too: a holiday list
    whose first value is dated in the next year left Christmas Eve in no calendar, paid
    as a weekend's or a day's minutes, exit 0."""
    dated = param.value_on(month) if param.kind == "bands" else None
    for band in dated.value or [] if dated is not None else []:
        calendar = model.parameters.get(band.calendar) if band.calendar else None
        if calendar is None or calendar.value_on(month) is not None:
            continue
        first = min((v.start for v in calendar.values), default=None)
        diags.error(
            "no-value-in-force",
            f"`{calendar.name}` has no value on {month.isoformat()}, which the band "
            f"`{band.name}` of `{param.name}` needs",
            calendar.span,
            hint=f"its first value takes effect on {first.isoformat()}: give the dates of "
            f"{month.year} a value from {month.year}-01-01"
            if first
            else None,
        )


def stale_calendars(
    checked: CheckedModel, month: date, reach: Mapping[str, date] | None = None
) -> list[Diagnostic]:
    """A calendar (a list parameter of dates) that the month's rules read — by `in`, or
    as a time band's `calendar:` — whose list in force was given for an earlier year and
    holds no date of the month's year: its days of that year are in no calendar, so a
    Christmas Eve of the next year paid the day's rate in silence. A list dated in the
    month's year (even an empty one) is taken as meant. `reach` gives, for a band's
    calendar, the last day a row of the month reaches: a visit of New Year's Eve that
    ends after midnight has minutes of the next year, and a calendar with no date of it
    paid New Year's Day's minutes as a night's."""
    model = checked.model
    in_force = model.in_force_on(month)
    used: set[str] = set()
    for rule in model.rules.values():
        version = rule.version_on(in_force)
        for name in _params_of(checked, version.tree if version else None):
            param = model.parameters[name]
            dated = param.value_on(in_force)
            if param.kind == "list":
                used.add(name)
            elif param.kind == "bands" and dated is not None:
                used |= {b.calendar for b in dated.value or [] if b.calendar}
    out = []
    for name in sorted(used & set(model.parameters)):
        last = (reach or {}).get(name, month)
        for year in range(month.year, max(last.year, month.year) + 1):
            why = f"a row of {month:%Y-%m} lasts into {last.isoformat()}; "
            # a day of a later year is in the list in force on that day (plan.py)
            on = in_force if year == month.year or model.as_of else date(year, 1, 1)
            dated = model.parameters[name].value_on(on)
            diagnostic = _stale_in(dated, name, year, why if year != month.year else "")
            if diagnostic is not None:
                out.append(diagnostic)
    return out


def _stale_in(dated: Any, name: str, year: int, why: str) -> Diagnostic | None:
    """The warning for a calendar's list in force that holds no date of the year."""
    days = [d for d in (dated.value or []) if isinstance(d, date)] if dated else []
    if dated is None or dated.start.year >= year or not days:
        return None
    if any(d.year == year for d in days):
        return None
    return Diagnostic(
        "stale-calendar",
        f"`{name}`, its list from {dated.start.isoformat()}, has no date in "
        f"{year}: no day of {year} is in it",
        dated.span,
        hint=f"{why}add the dates of {year} as a value from {year}-01-01 (an "
        f"empty list there says that {year} has none)",
        severity="warning",
    )


def changes_in_month(checked: CheckedModel, month: date) -> list[Diagnostic]:
    """A parameter value, an indexation or a rule version the month's rules use that
    starts after the month's first day and within it: the month is paid with what is
    in force on its first day, so a price list from the 15th was first paid the next
    month, in silence (docs/language.md, *Parameters: dated values*). A model run as of
    a date (`as_of`) pays every month by that date, and is not told."""
    model = checked.model
    if model.as_of is not None:
        return []
    last = month.replace(day=calendars.monthrange(month.year, month.month)[1])
    following = last + timedelta(days=1)

    def within(day: date) -> bool:
        return month < day <= last

    label, after = f"{month:%Y-%m}", f"{following:%Y-%m}"
    hint = (
        f"date it {month.isoformat()} to pay all of {label} by it, or {following} to say "
        "that it starts then"
    )
    out: list[Diagnostic] = []
    used: set[str] = set()
    for rule in model.rules.values():
        version = rule.version_on(month)
        used |= _params_of(checked, version.tree if version else None)
        for later in (v for v in rule.versions if v.valid_from and within(v.valid_from)):
            out.append(
                Diagnostic(
                    "value-changes-in-month",
                    f"`{rule.name}` has a version from {later.valid_from}, within {label}, "
                    f"which is paid by the version in force on {month.isoformat()}: the new "
                    f"one is first used for {after}",
                    later.span,
                    hint=hint.replace("date it", "make it valid_from"),
                    severity="warning",
                )
            )
    for name in sorted(used):
        param = model.parameters[name]
        starts = [(v.start, v.span) for v in param.values if within(v.start)]
        if param.indexation is not None and param.values:
            given = max(v.start for v in param.values)  # indexed after the last one given
            index = param.indexation
            starts += [(d, index.span) for d in index.dates(max(month, given), last)]
        for start, span in starts:
            out.append(
                Diagnostic(
                    "value-changes-in-month",
                    f"`{name}` changes on {start}, within {label}, which is paid with its "
                    f"value in force on {month.isoformat()}: the new value is first paid for "
                    f"{after}",
                    span,
                    hint=hint,
                    severity="warning",
                )
            )
    return out


def _before_the_model(checked: CheckedModel, month: date, diags: Diagnostics) -> bool:
    """Whether `month` is before the first value of every parameter the rules in force
    use (then reported once)."""
    model = checked.model
    needed = {
        name
        for rule in model.rules.values()
        if (version := rule.version_on(month)) is not None
        for name in _params_of(checked, version.tree)
    }
    firsts = {n: min((v.start for v in model.parameters[n].values), default=None) for n in needed}
    if len(needed) < 2 or any(f is None or f <= month for f in firsts.values()):
        return False
    earliest = min(f for f in firsts.values() if f is not None)
    first = next(n for n in model.parameters if n in needed and firsts[n] == earliest)
    diags.error(
        "no-value-in-force",
        f"none of the {len(needed)} parameters the rules use has a value on "
        f"{month.isoformat()}: the model's values begin on {earliest.isoformat()}",
        model.parameters[first].span,
        hint=(
            f"check the date it is compared as of (--a-as-of or --b-as-of {month.isoformat()})"
            if model.as_of is not None
            else f"check --month (or add the values in force in {month:%Y-%m})"
        ),
    )
    return True


def _params_of(checked: CheckedModel, tree: ast.Node | None) -> set[str]:
    if tree is None:
        return set()
    return {
        ref.name for node in tree.walk() if isinstance(ref := checked.refs.get(id(node)), ParamRef)
    }


def _rules_of(checked: CheckedModel, tree: ast.Node | None) -> set[str]:
    if tree is None:
        return set()
    return {
        ref.name for node in tree.walk() if isinstance(ref := checked.refs.get(id(node)), RuleRef)
    }


def _key_as_written(key: ast.Node) -> str | None:
    """A look-up's key as a table lists it (`"kväll"`, `3`), or None where it is computed."""
    if isinstance(key, ast.String):
        return key.value
    if isinstance(key, ast.Quantity) and not key.unit:
        try:
            number = Decimal(key.value)
        except InvalidOperation:
            return None
        return str(int(number)) if number == number.to_integral_value() else None
    return None
