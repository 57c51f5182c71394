"""What `carepay check` says of a model does not depend on the order its rules are
written in. A definition was checked in the context of the formula that first named
it: written after `ersättning: coalesce(resetillägg, 0 SEK)`, `resetillägg: if
customer.avstånd_km > 10 then …` was taken as handled by that `coalesce`, its
`nullable-comparison` never said, and the run paid a customer with no distance nothing,
exit 0 (`tests/test_kvarnby.py`). Hypothesis writes random formulas (those of the
interpreter ≡ compiler test), names them inside a `coalesce`, an `if` and an
aggregation's `where`, and writes the definitions in random orders."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checker import check
from engine.diagnostics import Diagnostics
from engine.loader import load_model
from tests.test_equivalence import formula

HEAD = """\
model: order
title: Order
vocabulary:
  columns:
    providers:
      kategori: {type: text, values: [A, B]}
      dygnet_runt: {type: bool}
zones: {tätort: [Centrum], landsbygd: [Norrby]}
parameters:
  timpris: {unit: SEK/h, values: {2024-01-01: 437}}
  larmbelopp: {unit: SEK, values: {2024-01-01: 250.125}}
  null_date: {unit: date, values: {2024-01-01: 2030-01-01}}
  helgdagar: {kind: list, unit: date, values: {2024-01-01: [2024-02-03, 2024-01-01]}}
  nivåbelopp:
    unit: SEK
    keys: [zone, level]
    values: {2024-01-01: {tätort: [1500, 3000, 4500], landsbygd: [1650, 3300, 4950]}}
  kontrollnivåer:
    unit: "%"
    values: {2024-01-01: [{under: 20 %, value: 40 %}, {under: 40 %, value: 70 %}]}
definitions:
  decision:
"""
TAIL = """\
  customer_month:
    total: sum(decisions.skyddad where villkor) + sum(decisions.vald where säker)
payments:
  p:
    entity: customer_month
    category: test
    formula: total
"""
NAMING = {  # each rule names the generated ones inside what once leaked into them
    "skyddad": "coalesce(belopp, 0 SEK)",
    "vald": "if villkor then belopp else larmbelopp",
    "gräns": "min(belopp, larmbelopp)",
    "säker": "coalesce(villkor, false)",
}


def _said(folder: Path, order: list[str], written: dict[str, str]) -> set[tuple[str, str]]:
    lines = "".join(f"    {name}: '{written[name]}'\n" for name in order)
    path = folder / f"order_{'_'.join(order)}.yaml"
    path.write_text(HEAD + lines + TAIL, encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None
    check(model, diags)
    return {(d.code, d.message) for d in diags.items}


@settings(
    max_examples=int(os.environ.get("CAREPAY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    money=formula("money", 2),
    boolean=formula("bool", 2),
    order=st.permutations(["belopp", "villkor", *NAMING]),
)
def test_what_check_says_does_not_depend_on_the_order_of_the_rules(
    tmp_path_factory, money, boolean, order
):
    folder = tmp_path_factory.mktemp("order")
    written = {"belopp": money, "villkor": boolean, **NAMING}
    generated_first = ["belopp", "villkor", *NAMING]
    assert _said(folder, order, written) == _said(folder, generated_first, written)
