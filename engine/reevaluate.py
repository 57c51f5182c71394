"""Re-evaluation for sweeps, goal seek and attribution: which entities must be
evaluated again when some parameters change (their rules use one, or they aggregate
an entity that was evaluated again), and which columns of a reused frame to drop."""

from __future__ import annotations

import polars as pl

from engine.checker import AggInfo, OuterRef, ParamRef
from engine.names import BRANCH_PREFIX
from engine.plan import Plan, Step


def depends(
    plan: Plan, entity: str, steps: list[Step], changed: frozenset[str], recomputed: set[str]
) -> bool:
    """Must the entity be evaluated again: a rule of it uses a changed parameter, or
    aggregates an entity that was evaluated again."""
    for step in steps:
        for tree in (step.tree, step.quantity):
            for node in tree.walk() if tree is not None else ():
                ref = plan.checked.refs.get(id(node))
                if isinstance(ref, ParamRef) and ref.name in changed:
                    return True
    entities = plan.checked.model.vocabulary.entities
    return any(r.entity in recomputed for r in entities[entity].relations)


def unchanged(plan: Plan, changed: frozenset[str], recomputed: set[str], info: AggInfo) -> bool:
    """Is an aggregation's value the same as in the evaluation being reused: its rows'
    entity was not evaluated again, and neither its filter nor its field uses a changed
    parameter or a field of the aggregating row (which may have changed)."""
    if info.relation.entity in recomputed:
        return False
    for tree in (info.condition, info.field_node):
        for node in tree.walk() if tree is not None else ():
            ref = plan.checked.refs.get(id(node))
            if isinstance(ref, OuterRef) or (isinstance(ref, ParamRef) and ref.name in changed):
                return False
    return True


def with_dependents(plan: Plan, changed: frozenset[str]) -> frozenset[str]:
    """The parameters whose values follow from a changed one change too: one indexed by
    it (B = A × (1 + (p − y)/100)), and time bands whose `calendar:` is a changed list: a holiday taken off the
    calendar in the studio left every visit's minutes in the bands as they were, and
    the edit paid 34,83 kr more than a fresh run of it."""
    out = set(changed)
    for param in plan.checked.model.parameters.values():
        if param.kind == "bands" and any(
            band.calendar in changed for dated in param.values for band in dated.value or []
        ):
            out.add(param.name)
    for param in plan.checked.model.parameters.values():
        index = param.indexation
        if index is None or index.tree is None:
            continue
        for node in index.tree.walk():
            ref = plan.checked.refs.get(id(node))
            if isinstance(ref, ParamRef) and ref.name in changed:
                out.add(param.name)
    return frozenset(out)


def computed_columns(steps: list[Step], frame: pl.DataFrame) -> set[str]:
    names = {s.name for s in steps} | {"excluded_by", "counted"}
    return {
        c
        for c in frame.columns
        if c in names or c.startswith(("__raw_", "__ore_", "__qty_", BRANCH_PREFIX, "__agg_"))
    }
