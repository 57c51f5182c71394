"""Errors as values: every problem found is a Diagnostic with a location.

Problems are collected (never raised one by one) and rendered once, at the
edge, as text for people or JSON for editors and CI.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from engine.source import Span, excerpt

# Every diagnostic code the engine can produce, with a one-line meaning.
# docs/errors.md documents each; a test keeps the two in step.
CODES: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML",
    "duplicate-key": "the same key appears twice in one YAML mapping",
    "schema": "the rule file does not have the required shape",
    "syntax": "a formula cannot be parsed",
    "unknown-unit": "a number carries a unit the language does not know",
    "unknown-name": "a formula names something that does not exist here",
    "unknown-value": "a text is compared with a value the column never has",
    "changes-nothing": "an assumption changes a column no rule of the model reads, or a data "
    "requirement asks for a column that may never be empty",
    "unit-mismatch": "two quantities with different units are combined",
    "division-by-zero": "a formula divides by the number 0",
    "type-mismatch": "a value of the wrong kind is used",
    "bad-call": "a function is called with the wrong arguments",
    "bad-lookup": "a table is looked up with the wrong keys",
    "cycle": "definitions depend on each other in a circle",
    "no-value-in-force": "a parameter has no value on a date that is evaluated",
    "overlapping-validity": "two versions of a rule are in force on the same day",
    "gap-in-validity": "no version of a rule is in force between two of its versions",
    "bad-extends": "the model a file extends cannot be loaded",
    "file-not-found": "a file named on the command line or in a rule file does not exist",
    "missing-table": "an input table the model needs is not in the data",
    "missing-column": "an input table lacks a column the model needs",
    "bad-value": "a value in the data has the wrong type or is not allowed",
    "amount-too-large": "a payment line above 10 000 000 000 kr, beyond what carepay computes to the öre",
    "bad-date": "a date range in the data ends before it starts",
    "unknown-reference": "a row refers to a customer, provider or row (`references:`) that does not exist",
    "duplicate-id": "an id appears more than once in a table",
    "duplicate-row": "a row is an earlier row again, alike in every column but its id (journals, decisions …)",
    "unmapped-district": "a customer's district belongs to none of the model's zones",
    "missing-value": "a row lacks a value the model's `data_requirements` ask for",
    "rejected-rows": "rows with problems were set aside (rejects) and the run went on",
    "internal": "carepay found a fault in itself (a bug to report)",
    "lookup-miss": "a table look-up found no value for a row, and the table declares none",
    "clamp-bounds": "a `clamp`'s lower bound was above its upper bound on some rows",
    "lookup-domain": "a table lacks keys that a column it is looked up by can take",
    "nullable-comparison": "an empty value decides a comparison (unknown counts as false)",
    "skipped-missing": "an aggregation left out related rows whose value is missing",
    "stale-calendar": "a calendar in force holds no date of the month's year (or of a year its rows reach)",
    "skipped-argument": "`min`, `max` or a `clamp`'s bound skips an argument that can have no value",
    "missing-unit": "a parameter says no `unit:`, or a value of one with a unit is written without it",
    "reserved-name": "a rule is named like a field, relation or context value",
    "out-of-range": "a value in the data, or a parameter's, is outside its range",
    "ragged-row": "a CSV row has more or fewer fields than the header",
    "repeated-header": "a CSV row is the column names again (two exports joined into one file)",
    "duplicate-column": "an input table has the same column twice",
    "two-files": "two files (CSV and Parquet) give the same input table",
    "empty-month": "a month has no visits (or no decisions) in the data",
    "follows-rejection": "excluded visits belong to customers whose rows were rejected",
    "cannot-compute": "a rule's value cannot be computed for a row (a date beyond the calendar)",
    "unpaired-rows": "rows related to a customer's month by customer and provider can be in none",
    "looked-up-in-vain": "rows name a key that no row of a table read whole (a staff list) has",
    "near-duplicate-code": "a code added beside one that differs only in case, å/ä/ö or a separator",
    "value-changes-in-month": "a value or rule version starts within a month paid by its first day's",
    "excluded-rows-paid": "an amount is computed from visits the exclusions set aside",
    "missing-quantity": "a payment labels a quantity it does not have",
    "duplicate-label": "two payments, or a payment and a customer column, read alike in payments.xlsx",
    "bad-letter": "a payment's letter sentence lacks its amount, or has a stray brace",
    "hidden-rows": "rows hidden in an Excel sheet were read as any other",
    "title-rows": "lines above a file's column names were skipped (a report's title)",
    "undeclared-column": "a column of the data is not in the model's vocabulary, and was not read",
    "overlapping-decisions": "decisions of one customer, provider and service are in force on the same days",
    "read-differently": "two models compared read the data by different rules, so each reads it by its own",
    "overlapping-periods": "rows of an entity of periods (journals of one customer, provider and profession) are in force on the same days",
    "headingless-column": "a column of the data with no heading holds values, and was not read",
}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def closest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known word a mistyped one most likely means, for a "did you mean": one that
    differs only in case first (`lov` for `LOV`, which a spelling match of three letters
    misses), else the nearest spelling, or None."""
    candidates = list(known)
    folded = [c for c in candidates if c.casefold() == word.casefold()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
    return close[0] if close else None


def printable(text: str) -> str:
    """Text from data or files as it may reach a terminal: control characters (an ANSI
    escape in a provider's name) shown as `\\x1b`, never sent raw; line breaks and tabs
    kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"
    source: str | None = None  # the rule's `source:` (document section), when known
    where: str | None = None  # data location "table:row:column" when there is no span

    def render(self) -> str:
        place = str(self.span) if self.span else (self.where or "")
        head = f"{place}: " if place else ""
        lines = [f"{head}{self.severity}[{self.code}]: {self.message}"]
        if self.span:
            lines.extend(excerpt(self.span))
        if self.hint:
            lines.append(f"   = hint: {self.hint}")
        if self.source:
            lines.append(f"   = source: {self.source}")
        return printable("\n".join(lines))

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }
        if self.span:
            out |= {
                "file": self.span.file,
                "line": self.span.line,
                "column": self.span.col,
                "end_line": self.span.end_line,
                "end_column": self.span.end_col,
            }
        if self.where:
            out["where"] = self.where
        if self.hint:
            out["hint"] = self.hint
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class Diagnostics:
    """A collector: passes add to it; the edge raises once if any are errors."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.items:
            self.items.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None = None, **kw: str | None) -> None:
        self.add(Diagnostic(code, message, span, **kw))  # type: ignore[arg-type]

    def warning(self, code: str, message: str, span: Span | None = None, **kw: str | None) -> None:
        self.add(Diagnostic(code, message, span, severity="warning", **kw))  # type: ignore[arg-type]

    def extend(self, more: Iterable[Diagnostic]) -> None:
        for d in more:
            self.add(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise EngineError(sorted_diagnostics(self.items))


class EngineError(Exception):
    """Raised once, carrying every diagnostic found; the CLI renders it."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__(render_text(diagnostics))


def sorted_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int, str]:
        if d.span:
            return (d.span.file, d.span.line, d.span.col, d.code)
        return (d.where or "", 0, 0, d.code)

    return sorted(items, key=key)


def render_text(items: Iterable[Diagnostic], limit: int = 50) -> str:
    items = list(items)
    parts = [d.render() for d in items[:limit]]
    if len(items) > limit:
        parts.append(f"… and {len(items) - limit} more")
    errors = sum(1 for d in items if d.severity == "error")
    warnings = len(items) - errors
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if summary:
        parts.append(", ".join(summary))
    return "\n\n".join(parts[:-1]) + ("\n\n" if len(parts) > 1 else "") + parts[-1] if parts else ""


def render_json(items: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in items], ensure_ascii=False, indent=2)
