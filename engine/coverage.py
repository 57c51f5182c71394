"""Rule coverage: on how many rows each rule was evaluated, how often it fired, and
how often each side of each `if` was taken. A rule that never fired on a month of
real data is a policy reader's first hint that it is dead, or that the data lacks
something it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from engine import ast
from engine import types as t
from engine.names import branch_column, branch_nodes, ore_column
from engine.plan import Plan
from engine.source import Span, source_line

COVERAGE_SCHEMA = {
    "rule": pl.String,
    "kind": pl.String,
    "entity": pl.String,
    "branch": pl.String,  # "" for the rule itself, else "if 1: then" …
    "condition": pl.String,
    "location": pl.String,
    "evaluated": pl.Int64,
    "fired": pl.Int64,
}


def rule_coverage(months: Iterable[tuple[Plan, dict[str, pl.DataFrame]]]) -> pl.DataFrame:
    """One row per rule (and per side of each `if` in it), summed over the months."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for plan, frames in months:
        for entity, layers in plan.order.items():
            frame = frames.get(entity)
            if frame is None:
                continue
            for step in (s for layer in layers for s in layer):
                rule = step.rule
                if rule is None or step.tree is None:
                    continue
                _add(
                    totals,
                    rule.name,
                    "",
                    rule.kind,
                    entity,
                    "",
                    _where(rule.span),
                    frame.height,
                    _fired(plan, rule.name, rule.kind, frame),
                )
                for number, node in enumerate(branch_nodes(step.tree), 1):
                    for side in ("then", "else"):
                        column = branch_column(rule.name, number, side)
                        if column not in frame.columns:
                            continue
                        taken = int(frame[column].sum() or 0)
                        _add(
                            totals,
                            rule.name,
                            f"if {number}: {side}",
                            rule.kind,
                            entity,
                            _text(node.cond.span) if side == "then" else _negated(node.cond),
                            _where(node.span),
                            frame.height,
                            taken,
                        )
    return pl.DataFrame(list(totals.values()), schema=COVERAGE_SCHEMA)


def _add(
    totals: dict[tuple[str, str], dict[str, Any]],
    rule: str,
    branch: str,
    kind: str,
    entity: str,
    condition: str,
    location: str,
    evaluated: int,
    fired: int,
) -> None:
    row = totals.setdefault(
        (rule, branch),
        {
            "rule": rule,
            "kind": kind,
            "entity": entity,
            "branch": branch,
            "condition": condition,
            "location": location,
            "evaluated": 0,
            "fired": 0,
        },
    )
    row["evaluated"] += evaluated
    row["fired"] += fired


def _fired(plan: Plan, name: str, kind: str, frame: pl.DataFrame) -> int:
    """Rows where the rule did something: paid an amount, excluded or flagged a visit,
    was true (a yes/no definition), or had a value other than 0."""
    if kind == "payment":
        column = frame[ore_column(name)]
        return int((column.fill_null(0) != 0).sum())
    column = frame[name]
    typ = plan.checked.rule_types.get(name)
    if isinstance(typ, t.Bool) or column.dtype == pl.Boolean:
        return int(column.fill_null(False).sum())
    if column.dtype.is_numeric():
        return int((column.fill_null(0) != 0).sum())
    return int(column.is_not_null().sum())


def never_fired(coverage: pl.DataFrame) -> pl.DataFrame:
    """Rules (and sides of conditions) that were evaluated but never fired."""
    return coverage.filter((pl.col("evaluated") > 0) & (pl.col("fired") == 0))


def _negated(cond: ast.Node) -> str:
    """`not x`, with parentheses unless x is one name or call: the else side of
    `if a or b` is `not (a or b)`, never `not a or b`."""
    text = _text(cond.span)
    if isinstance(cond, ast.Name | ast.Call | ast.BoolLit | ast.Attr):
        return f"not {text}"
    return f"not ({text})"


def _where(span: Span) -> str:
    return f"{span.file}:{span.line}"


def _text(span: Span) -> str:
    """The condition as written (its first line, when it runs over several)."""
    line = source_line(span.file, span.line)
    if line is None:
        return ""
    if span.end_line == span.line and span.end_col is not None:
        return line[span.col - 1 : span.end_col].strip()
    return line[span.col - 1 :].strip() + " …"
