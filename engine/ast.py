"""The typed tree both back ends share. Nodes are data; behaviour lives in passes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date

from engine.source import Span

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    span: Span = field(repr=False, compare=False)
    # the node and every node below it, in the order `walk` gives them, kept once
    # asked: a tree is never changed, and a run walks its formulas again and again
    # (Örebro's 118 model tests walked 12 million nodes, a seventh of their time)
    _walked: tuple[Node, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def children(self) -> Iterator[Node]:
        names = _FIELD_NAMES.get(type(self))
        if names is None:  # `fields()` is slow, and the passes ask for children often
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self) if f.init)
        for name in names:
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Node))

    def walk(self) -> Iterator[Node]:
        walked = self._walked
        if walked is None:
            walked = (self, *(node for child in self.children() for node in child.walk()))
            object.__setattr__(self, "_walked", walked)
        return iter(walked)


@dataclass(frozen=True, slots=True, eq=False)
class Quantity(Node):
    """A number literal; `value` is the text as written, `unit` the unit or ''."""

    value: str
    unit: str


@dataclass(frozen=True, slots=True, eq=False)
class DateLit(Node):
    value: date


@dataclass(frozen=True, slots=True, eq=False)
class TimeLit(Node):
    """A time of day, `07:00`: minutes after midnight (24:00 is the end of a day)."""

    minutes: int


@dataclass(frozen=True, slots=True, eq=False)
class Missing(Node):
    """`missing`: no value (of whatever type the context asks for)."""


@dataclass(frozen=True, slots=True, eq=False)
class String(Node):
    value: str


@dataclass(frozen=True, slots=True, eq=False)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True, eq=False)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Attr(Node):
    """`relation.field`, e.g. `visits.minutes` inside an aggregation."""

    target: Node
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class BinOp(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, slots=True, eq=False)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False)
class In(Node):
    operand: Node
    items: Node  # a ListLit, or a Name of a list parameter
    negated: bool


@dataclass(frozen=True, slots=True, eq=False)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True, eq=False)
class If(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True, eq=False)
class Lookup(Node):
    """`table[key, …]`: a parameter table looked up by key(s)."""

    table: Node
    keys: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Filtered(Node):
    """`expr where condition`, only meaningful as an aggregation's argument."""

    value: Node
    condition: Node


@dataclass(frozen=True, slots=True, eq=False)
class Call(Node):
    func: str
    args: tuple[Node, ...]


def clock(minutes: int) -> str:
    """A time of day as the language writes it: 450 minutes after midnight is `07:30`."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_sexpr(node: Node) -> str:
    """A compact s-expression of a tree, for table-driven parser tests."""
    match node:
        case Quantity(value=v, unit=u):
            return f"({v} {u})" if u else v
        case DateLit(value=v):
            return v.isoformat()
        case TimeLit(minutes=m):
            return clock(m)
        case Missing():
            return "missing"
        case String(value=v):
            return repr(v)
        case BoolLit(value=v):
            return "true" if v else "false"
        case Name(name=n):
            return n
        case ListLit(items=items):
            return "[" + " ".join(to_sexpr(i) for i in items) + "]"
        case Attr(target=t, name=n):
            return f"(. {to_sexpr(t)} {n})"
        case BinOp(op=op, left=a, right=b) | Compare(op=op, left=a, right=b):
            return f"({op} {to_sexpr(a)} {to_sexpr(b)})"
        case Neg(operand=a):
            return f"(neg {to_sexpr(a)})"
        case Not(operand=a):
            return f"(not {to_sexpr(a)})"
        case And(left=a, right=b):
            return f"(and {to_sexpr(a)} {to_sexpr(b)})"
        case Or(left=a, right=b):
            return f"(or {to_sexpr(a)} {to_sexpr(b)})"
        case In(operand=a, items=items, negated=neg):
            return f"({'not-in' if neg else 'in'} {to_sexpr(a)} {to_sexpr(items)})"
        case If(cond=c, then=t, otherwise=o):
            return f"(if {to_sexpr(c)} {to_sexpr(t)} {to_sexpr(o)})"
        case Lookup(table=t, keys=keys):
            return f"([] {to_sexpr(t)} {' '.join(to_sexpr(k) for k in keys)})"
        case Filtered(value=v, condition=c):
            return f"(where {to_sexpr(v)} {to_sexpr(c)})"
        case Call(func=f, args=args):
            return f"({f}{''.join(' ' + to_sexpr(a) for a in args)})"
    raise AssertionError(node)
