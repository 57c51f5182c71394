"""A formula as carepay writes it back — in warnings, `explain`'s lines of a call or an
aggregation, the check's hints — must be the formula it read. Brackets were dropped:
`60 min / (end - start - 30 min) > 1` was said as `60 min / end - start - 30 min > 1`,
another formula, and `service in [...]` as `…`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ast
from engine.checker import formula_text
from engine.source import FormulaOrigin
from engine.syntax import parse_formula


def _parsed(text: str) -> ast.Node:
    node = parse_formula(text, FormulaOrigin.at("f.yaml", 1, 1))
    assert isinstance(node, ast.Node), node
    return node


def _shape(node: ast.Node) -> tuple[object, ...]:
    """The tree without its places in the text: what the formula means."""
    leaves = tuple(
        getattr(node, f)
        for f in ("name", "op", "func", "value", "unit", "negated")
        if hasattr(node, f) and not isinstance(getattr(node, f), ast.Node)
    )
    return (type(node).__name__, leaves, tuple(_shape(c) for c in node.children()))


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("60 min / (end - start - 30 min) > 1", "60 min / (end - start - 30 min) > 1"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("(a + b) * c", "(a + b) * c"),
        ("a * (b / c)", "a * (b / c)"),
        ("-(a + b)", "-(a + b)"),
        ("not (a and b) or c", "not (a and b) or c"),
        ("a and (b or c)", "a and (b or c)"),
        ("(if x then 1 else 2) + 3", "(if x then 1 else 2) + 3"),
        ('service in ["omsorg", "service"]', 'service in ["omsorg", "service"]'),
        ("(a + 1) not in [1, 2]", "a + 1 not in [1, 2]"),
        ("((a))", "a"),
    ],
)
def test_a_formula_is_said_as_it_reads(written, said):
    assert formula_text(_parsed(written)) == said


NAMES = st.sampled_from(["a", "b", "tid", "pris"])
NUMBERS = st.sampled_from(["1", "2.5", "30 min", "40 %"])


def _formulas() -> st.SearchStrategy[str]:
    """Formulas with a bracket around every part, so that every nesting is tried."""
    leaves = st.one_of(NAMES, NUMBERS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(
            inner, st.sampled_from(["+", "-", "*", "/", "==", "<", "and", "or"]), inner
        )
        return st.one_of(
            binary.map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
            inner.map(lambda x: f"-({x})"),
            inner.map(lambda x: f"not ({x})"),
            st.tuples(inner, inner, inner).map(
                lambda t: f"if ({t[0]}) then ({t[1]}) else ({t[2]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"max(({t[0]}), ({t[1]}))"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_formulas())
def test_a_formula_said_reads_as_the_same_formula(written):
    """Read back, the formula said is the tree it was said from (comparisons chained
    as `a == b == c` are no formula: the grammar asks for a bracket, and gets one)."""
    tree = _parsed(written)
    said = formula_text(tree)
    assert _shape(_parsed(said)) == _shape(tree), said
