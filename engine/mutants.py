"""Mutants of a model: one rule changed a little — its value 10 % larger (or one more,
where it counts), a condition turned round, one comparison moved across its boundary
(`<` for `<=`) or the other way (`==` for `!=`, `in` for `not in`), an `and` made an
`or` (or back), an `if`'s condition turned round — and the model's test cases run
against it. A change that no case notices is a rule, or a boundary, that no
hand-computed case checks: `carepay test --mutants` lists them, so that an author sees
which of the source text's requirements the tests do not yet show.

A mutant is named by its place — the rule, the version, the node's position in the
formula's tree — so that a worker process makes it again on the model it loaded
itself; each mutant is checked as the model is (a change the checker refuses is not
tried) and run against the cases until one fails, those that caught earlier mutants
first."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path

from engine import ast
from engine import types as t
from engine.checker import CheckedModel, check, formula_text
from engine.diagnostics import Diagnostics
from engine.model import Model, Rule
from engine.progress import SILENT, Stages, each
from engine.source import Span
from engine.testing import CaseResult, ModelTestFile, process_limit, read_test_file

FLIPPED = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
OTHER_WAY = {"==": "!=", "!=": "=="}


@dataclass(frozen=True)
class Mutant:
    """One change of one rule: `kind` is "value" (an amount, a time or a share 10 %
    larger), "count" (a plain number — a count, a day's number — one more), "negate"
    (a condition turned round), or a change of the node at `node`, the position in the
    version's tree as `walk` gives it: "boundary" (a comparison across its boundary),
    "equality" (`==`, `!=`, `in` the other way), "junction" (`and` as `or`, or back) or
    "branch" (an `if`'s condition turned round)."""

    rule: str
    version: int
    node: int
    kind: str
    span: Span
    said: str  # the change, as the author reads it

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}:{self.span.col}"


@dataclass
class Outcome:
    """A mutant tried: the case that caught it (None: none did), or that the checker
    refused it (not `made`)."""

    mutant: Mutant
    made: bool = True
    caught_by: str | None = None

    @property
    def caught(self) -> bool:
        return self.caught_by is not None


def mutants_of(checked: CheckedModel) -> list[Mutant]:
    """Every mutant of the model's definitions, payments, exclusions and flags, in the
    order the rules are written."""
    out: list[Mutant] = []
    for rule in checked.model.rules.values():
        typ = checked.rule_types.get(rule.name)
        for number, version in enumerate(rule.versions):
            if version.tree is not None:
                out += _version_mutants(rule, number, version.tree, typ)
    return out


def _version_mutants(rule: Rule, number: int, tree: ast.Node, typ: t.Type | None) -> list[Mutant]:
    out = []
    plain = isinstance(typ, t.Num) and typ.dimensionless and not typ.percent  # a count
    if isinstance(typ, t.Bool):
        said = "its condition turned round (`not`)"
        out.append(Mutant(rule.name, number, 0, "negate", tree.span, said))
    elif plain:  # 10 % more of a day's number 3 is 3,3: under the same step's bound
        out.append(Mutant(rule.name, number, 0, "count", tree.span, "its value one more"))
    elif isinstance(typ, t.Num):
        out.append(Mutant(rule.name, number, 0, "value", tree.span, "its value 10 % larger"))
    for position, node in enumerate(tree.walk()):
        turn = _turn(node)
        if turn is not None:
            kind, turned = turn
            shown = node
            if isinstance(node, ast.If) and isinstance(turned, ast.If):  # not the branches
                shown, turned = node.cond, turned.cond
            said = f"`{formula_text(shown)}` as `{formula_text(turned)}`"
            out.append(Mutant(rule.name, number, position, kind, node.span, said))
    return out


def _turn(node: ast.Node) -> tuple[str, ast.Node] | None:
    """The kind of change a node inside a formula takes, and the node so changed: a
    comparison across its boundary ("boundary") or the other way round ("equality":
    `==` as `!=`, `in` as `not in`), `and` as `or` and back ("junction"), an `if`'s
    condition turned round ("branch"); None for any other node."""
    if isinstance(node, ast.Compare) and node.op in FLIPPED:
        return "boundary", replace(node, op=FLIPPED[node.op])
    if isinstance(node, ast.Compare):
        return "equality", replace(node, op=OTHER_WAY[node.op])
    if isinstance(node, ast.In):
        return "equality", replace(node, negated=not node.negated)
    if isinstance(node, ast.And):
        return "junction", ast.Or(node.span, node.left, node.right)
    if isinstance(node, ast.Or):
        return "junction", ast.And(node.span, node.left, node.right)
    if isinstance(node, ast.If):
        return "branch", replace(node, cond=ast.Not(node.cond.span, node.cond))
    return None


def _changed(tree: ast.Node, mutant: Mutant) -> ast.Node:
    """The version's tree with the mutant's change."""
    if mutant.kind == "negate":
        return ast.Not(tree.span, tree)
    if mutant.kind == "count":
        return ast.BinOp(tree.span, "+", tree, ast.Quantity(tree.span, "1", ""))
    if mutant.kind == "value":
        return ast.BinOp(tree.span, "*", tree, ast.Quantity(tree.span, "1.1", ""))
    target = list(tree.walk())[mutant.node]
    turn = _turn(target)
    assert turn is not None
    return _replaced(tree, target, turn[1])


def _replaced(node: ast.Node, target: ast.Node, new: ast.Node) -> ast.Node:
    """`node` with `target` (somewhere below it) replaced by `new`; the rest shared."""
    if node is target:
        return new
    changes: dict[str, object] = {}
    for f in fields(node):
        if not f.init or f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, ast.Node):
            changed = _replaced(value, target, new)
            if changed is not value:
                changes[f.name] = changed
        elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
            items = tuple(
                _replaced(v, target, new) if isinstance(v, ast.Node) else v for v in value
            )
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changes[f.name] = items
    return replace(node, **changes) if changes else node  # type: ignore[arg-type]


def mutated(model: Model, mutant: Mutant) -> CheckedModel | None:
    """The model with the mutant's change, checked (its other rules, its parameters and
    vocabulary shared: the checker and the run read them and never write them); None
    where the checker refuses the change (a count made a fraction where a whole number
    is needed, …)."""
    rule = model.rules[mutant.rule]
    version = rule.versions[mutant.version]
    assert version.tree is not None
    tree = _changed(version.tree, mutant)
    versions = list(rule.versions)
    versions[mutant.version] = replace(version, formula=formula_text(tree), tree=tree)
    rules = {**model.rules, mutant.rule: replace(rule, versions=versions)}
    diags = Diagnostics()
    checked = check(replace(model, rules=rules), diags)
    return None if diags.errors else checked


class _Trier:
    """Runs mutants against a model's test files, trying first the cases that caught
    earlier mutants (a case that checks one rule's value usually checks its
    neighbours': Örebro's mutants are mostly caught by the first case tried)."""

    def __init__(self, files: list[ModelTestFile]) -> None:
        self.files = files
        self.cases = [(f, i) for f, file in enumerate(files) for i in range(len(file.tests))]
        self.words = {(f, i): _words(files[f].tests[i]) for f, i in self.cases}
        self.readers: dict[str, set[str]] = {}
        for rule, read in files[0].checked.deps.items():
            for name in read:
                self.readers.setdefault(name, set()).add(rule)
        self.catchers: list[tuple[int, int]] = []

    def _order(self, rule: str) -> Iterator[tuple[int, int]]:
        """The cases that caught the latest mutants, then those expecting the rule,
        then those expecting a rule that reads it, and so on, then the rest: a rule
        only some cases reach (Örebro's extension of a special agreement) was caught
        by the 62nd case tried."""
        order = dict.fromkeys(self.catchers)
        level, seen = {rule}, {rule}
        while level:
            order.update((c, None) for c in self.cases if level & self.words[c])
            level = {r for name in level for r in self.readers.get(name, ())} - seen
            seen |= level
        order.update((c, None) for c in self.cases)
        return iter(order)

    def tried(self, mutant: Mutant) -> Outcome:
        checked = mutated(self.files[0].checked.model, mutant)
        if checked is None:
            return Outcome(mutant, made=False)
        for f, i in self._order(mutant.rule):
            result: CaseResult = replace(self.files[f], checked=checked).case(i)
            if not result.passed:
                self.catchers = [(f, i), *(c for c in self.catchers if c != (f, i))][:8]
                return Outcome(mutant, caught_by=f"{Path(result.file).name}: {result.name}")
        return Outcome(mutant)


def _words(value: object) -> set[str]:
    """Every key and text of a case, as written."""
    if isinstance(value, dict):
        return {str(k) for k in value} | {w for v in value.values() for w in _words(v)}
    if isinstance(value, list):
        return {w for v in value for w in _words(v)}
    return {value} if isinstance(value, str) else set()


def try_mutants(
    files: list[ModelTestFile], stages: Stages = SILENT, workers: int | None = None
) -> list[Outcome]:
    """Every mutant of the files' model (they test one model) tried against all their
    cases, in the mutants' order; by several processes where the machine has the
    cores (`workers` sets how many)."""
    mutants = mutants_of(files[0].checked)
    if workers is None:  # a process's start is worth a few mutants' time
        workers = min(process_limit(), len(mutants) // 4)
    workers = max(1, min(workers, len(mutants)))

    def label(_: object) -> dict[str, object]:
        return {"file": files[0].model_path.name}

    if workers <= 1:
        trier = _Trier(files)
        return [trier.tried(m) for m in each(stages, "mutants", mutants, label)]
    context = multiprocessing.get_context("spawn")  # Polars' threads do not survive a fork
    paths = [file.path for file in files]
    pool = ProcessPoolExecutor(workers, context, _start_worker, (paths,))
    try:
        futures = [pool.submit(_tried_in_worker, m) for m in mutants]
        return [future.result() for future in each(stages, "mutants", futures, label)]
    finally:  # on Ctrl-C the mutants not begun are dropped, not waited for
        pool.shutdown(cancel_futures=True)


_TRIER: _Trier | None = None  # a worker process's test files, read once


def _start_worker(paths: list[Path]) -> None:
    global _TRIER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    read = [read_test_file(path) for path in paths]
    _TRIER = _Trier([r for r in read if isinstance(r, ModelTestFile)])


def _tried_in_worker(mutant: Mutant) -> Outcome:
    assert _TRIER is not None
    return _TRIER.tried(mutant)
