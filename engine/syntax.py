"""Formula text -> AST. Lark (LALR, strict) parses; a Transformer builds nodes.

Parse failures become Diagnostics with the formula's position in its YAML file
and a message in the reader's terms; no semantic checks happen here.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from lark import (
    Lark,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from engine import ast
from engine.diagnostics import Diagnostic
from engine.source import FormulaOrigin

_TOKEN_WORDS = {
    "RPAR": "`)`",
    "LPAR": "`(`",
    "RSQB": "`]`",
    "LSQB": "`[`",
    "COMMA": "`,`",
    "NAME": "a name",
    "QUANTITY": "a number",
    "STRING": "a text in quotes",
    "DATE": "a date",
    "TIME": "a time of day",
    "COMP_OP": "a comparison",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`",
    "THEN": "`then`",
    "ELSE": "`else`",
    "$END": "the end of the formula",
}


@cache
def _parser() -> Lark:
    return Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,  # the LALR tables (and strict's collision check) once per machine
    )


def _build(tree: Tree | Token, origin: FormulaOrigin) -> ast.Node:
    """Build the AST from lark's tree; spans are mapped into the YAML file by `origin`."""
    if isinstance(tree, Token):
        raise AssertionError(f"unexpected token {tree!r}")
    meta = tree.meta
    span = (
        origin.span(meta.line, meta.column, meta.end_line, meta.end_column - 1)
        if not getattr(meta, "empty", True)
        else origin.span(1, 1, 1, 1)
    )
    kids = tree.children
    rule = tree.data

    def b(i: int) -> ast.Node:
        return _build(kids[i], origin)

    match rule:
        case "quantity":
            text = str(kids[0])
            number = "".join(ch for ch in text if ch.isdigit() or ch == ".")
            number_end = len(number)
            unit = text[number_end:].strip()
            return ast.Quantity(span, number, unit)
        case "date_lit":
            return ast.DateLit(span, _parse_date(str(kids[0])))
        case "time_lit":
            hours, minutes = (int(p) for p in str(kids[0]).split(":"))
            valid = minutes < 60 and hours * 60 + minutes <= 24 * 60
            return ast.TimeLit(span, hours * 60 + minutes if valid else -1)
        case "missing":
            return ast.Missing(span)
        case "name_ref":
            return ast.Name(span, str(kids[0]))
        case "string":
            return ast.String(span, str(kids[0])[1:-1])
        case "true":
            return ast.BoolLit(span, True)
        case "false":
            return ast.BoolLit(span, False)
        case "name":
            return ast.Name(span, str(kids[0]))
        case "list_lit":
            return ast.ListLit(span, tuple(_build(k, origin) for k in kids))
        case "attr":
            return ast.Attr(span, b(0), str(kids[1]))
        case "bin_op":
            return ast.BinOp(span, str(kids[1]), b(0), b(2))
        case "compare":
            return ast.Compare(span, str(kids[1]), b(0), b(2))
        case "neg":
            return ast.Neg(span, b(0))
        case "not_op":
            return ast.Not(span, b(0))
        case "and_op":
            return ast.And(span, b(0), b(1))
        case "or_op":
            return ast.Or(span, b(0), b(1))
        case "in_op" | "not_in_op":
            return ast.In(span, b(0), b(1), rule == "not_in_op")
        case "if_expr":
            return ast.If(span, b(0), b(1), b(2))
        case "lookup":
            return ast.Lookup(span, b(0), tuple(_build(k, origin) for k in kids[1:]))
        case "filtered":
            return ast.Filtered(span, b(0), b(1))
        case "call":
            name = kids[0]
            return ast.Call(span, str(name), tuple(_build(k, origin) for k in kids[1:]))
    raise AssertionError(f"unhandled grammar rule {rule}")


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return date.min


# Deeper than any formula a person writes (the bundled models stay under 20), and
# shallow enough for every recursive step after parsing (a `+` chain of 2 000 terms
# or 500 nested `if` is an error, not a crash).
MAX_FORMULA_DEPTH = 100


def _depth(tree: Tree) -> int:
    """The depth of a parse tree, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


def parse_formula(text: str, origin: FormulaOrigin) -> ast.Node | Diagnostic:
    """Parse one formula; return its tree, or one located syntax Diagnostic."""
    if not text.strip():
        return Diagnostic("syntax", "the formula is empty", origin.span(1, 1, 1, 1))
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        return _syntax_diagnostic(text, error, origin)
    if isinstance(tree, Token):  # a lone token reduced by `?start`
        tree = Tree("name", [tree])
    if _depth(tree) > MAX_FORMULA_DEPTH:
        return Diagnostic(
            "syntax",
            f"the formula is nested more than {MAX_FORMULA_DEPTH} levels deep",
            origin.span(1, 1, 1, 1),
            hint="split it into definitions that name its parts",
        )
    node = _build(tree, origin)
    for sub in node.walk():
        if isinstance(sub, ast.DateLit) and sub.value == date.min:
            return Diagnostic(
                "syntax", "this is not a valid date", sub.span, hint="write dates as YYYY-MM-DD"
            )
        if isinstance(sub, ast.TimeLit) and sub.minutes < 0:
            return Diagnostic(
                "syntax",
                "this is not a time of day",
                sub.span,
                hint="write times as HH:MM, 00:00–24:00",
            )
    return node


def _syntax_diagnostic(text: str, error: UnexpectedInput, origin: FormulaOrigin) -> Diagnostic:
    line = getattr(error, "line", 1) or 1
    col = getattr(error, "column", 1) or 1
    if line < 1:  # lark reports -1 at the end of input
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
    span = origin.span(line, col, line, col)
    hint = None
    if isinstance(error, UnexpectedCharacters):
        char = text.splitlines()[line - 1][col - 1] if text.splitlines() else "?"
        message = f"unexpected character `{char}`"
        if char == ",":
            hint = "decimals are written with a point: 40.5 %, not 40,5 %"
        elif char == "=":
            hint = "compare with `==`"
        elif char in "&|!":
            hint = "write `and`, `or`, `not`"
    elif isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        message = "the formula ends too early"
        hint = _expected_hint(error)
        lines = text.rstrip().splitlines() or [""]
        end_col = len(lines[-1]) + 1
        span = origin.span(len(lines), end_col, len(lines), end_col)
    else:
        assert isinstance(error, UnexpectedToken)
        token = error.token
        message = f"unexpected `{token}`"
        span = origin.span(line, col, token.end_line or line, (token.end_column or col + 1) - 1)
        hint = _expected_hint(error)
        if token.type == "COMMA" and text[: token.start_pos].rstrip()[-1:].isdigit():
            hint = "decimals are written with a point: 40.5 %, not 40,5 %"
        if token.type == "WHERE":
            hint = (
                "`where` filters the rows of an aggregation, e.g. sum(visits.minutes where counted)"
            )
        if token.type == "ELSE":
            hint = "`if … then … else …` needs all three parts"
    return Diagnostic("syntax", message, span, hint=hint)


def _expected_hint(error: UnexpectedInput) -> str | None:
    expected = sorted(getattr(error, "expected", None) or getattr(error, "accepts", None) or [])
    words = [_TOKEN_WORDS[e] for e in expected if e in _TOKEN_WORDS]
    if not words:
        return None
    if len(words) > 4:
        words = words[:4] + ["…"]
    return "expected " + ", ".join(words)
