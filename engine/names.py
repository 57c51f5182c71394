"""The names of the columns evaluation adds to an entity's frame (a payment's exact
and öre amounts, the sides of each `if`, look-ups that missed): shared by the Polars
back end that writes them and the reports and coverage that read them, so that those
need not import the back end. No Polars here."""

from __future__ import annotations

from collections.abc import Collection

from engine import ast
from engine.catalog import Vocabulary
from engine.checker import CheckedModel


def naming_columns(vocabulary: Vocabulary, entity: str, columns: Collection[str]) -> list[str]:
    """The columns that name a row of `entity` in a message: its key, or where the
    frame has none of it, the customer's and provider's ids."""
    ids = [c for c in vocabulary.entities[entity].key if c in columns]
    return ids or [c for c in ("customer_id", "provider_id") if c in columns]


def raw_column(name: str) -> str:
    return f"__raw_{name}"


def ore_column(name: str) -> str:
    return f"__ore_{name}"


BRANCH_PREFIX = "__branch__"


def branch_column(rule: str, number: int, side: str) -> str:
    return f"{BRANCH_PREFIX}{rule}__{number}__{side}"


def branch_nodes(tree: ast.Node, skip: frozenset[int] | set[int] = frozenset()) -> list[ast.If]:
    """The `if`s of a formula in the order written (not those inside aggregations,
    which run on other rows)."""
    out: list[ast.If] = []

    def visit(node: ast.Node) -> None:
        if id(node) in skip:
            return
        if isinstance(node, ast.If):
            out.append(node)
        for child in node.children():
            visit(child)

    visit(tree)
    return out


MISS_PREFIX = "__miss__"
CLAMP_PREFIX = "__clamp__"
SKIP_PREFIX = "__skip__"
UNKNOWN_PREFIX = "__unknown__"


def unknown_column(rule: str, number: int) -> str:
    """True where the rule's `number`th comparison that can be unknown decided so."""
    return f"{UNKNOWN_PREFIX}{rule}__{number}"


def skip_column(rule: str, number: int) -> str:
    """True where the rule's `number`th `min`/`max` that can skip an argument did."""
    return f"{SKIP_PREFIX}{rule}__{number}"


def miss_column(rule: str, number: int) -> str:
    return f"{MISS_PREFIX}{rule}__{number}"


def clamp_column(rule: str, number: int) -> str:
    """True where the rule's `number`th `clamp` had its lower bound above its upper."""
    return f"{CLAMP_PREFIX}{rule}__{number}"


def clamps(tree: ast.Node) -> list[ast.Call]:
    """The `clamp` calls of a formula, in the order written."""
    return [n for n in tree.walk() if isinstance(n, ast.Call) and n.func == "clamp"]


def lookups_that_can_miss(checked: CheckedModel, tree: ast.Node) -> list[ast.Node]:
    """The look-ups of a formula that can find nothing, in the order written: into a
    table without `otherwise:`, or a `step` without a value above every bracket (not
    one that `coalesce` gives a fallback for: the formula says what a miss means)."""
    out: list[ast.Node] = []

    def visit(node: ast.Node, handled: bool) -> None:
        if isinstance(node, ast.Lookup) and not handled:
            assert isinstance(node.table, ast.Name)
            if not checked.model.parameters[node.table.name].has_otherwise:
                out.append(node)
        is_step = isinstance(node, ast.Call) and node.func == "step"
        if is_step and len(node.args) == 2 and not handled:  # type: ignore[attr-defined]
            out.append(node)
        if isinstance(node, ast.Call) and node.func == "coalesce":
            visit(node.args[0], True)
            for arg in node.args[1:]:
                visit(arg, False)
            return
        for child in node.children():
            visit(child, False)

    visit(tree, False)
    return out


def looked_up(node: ast.Node) -> tuple[str, tuple[ast.Node, ...]]:
    """The parameter a look-up (or `step`) reads, and the values it looks up by."""
    if isinstance(node, ast.Lookup):
        assert isinstance(node.table, ast.Name)
        return node.table.name, node.keys
    assert isinstance(node, ast.Call) and isinstance(node.args[1], ast.Name)
    return node.args[1].name, (node.args[0],)
