"""What `explain` shows a customer is what `run` pays them: every payment line of every
customer of each bundled model on its data, to the öre, from the Decimal interpreter
(explain's) and the vectorized run. `tests/test_equivalence.py` holds the two back ends
equal on random formulas over one small model; this holds them equal on the models a
municipality reads, with their own tables, entities, bands and caps (session 47 also
compared them on 794 models made by changing each number of the six examples: none
differed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.api import explain_loaded, load, load_dataset, parse_month, run_model

ROOT = Path(__file__).resolve().parent.parent

EXAMPLES = [
    ("examples/hemtjanst/model.yaml", "examples/hemtjanst/data", "2024-02"),
    ("examples/ekby/model.yaml", "examples/ekby/data", "2026-10"),
    ("examples/lovstad/model.yaml", "examples/lovstad/data", "2024-12"),
    ("examples/sjohamn/model.yaml", "examples/sjohamn/data", "2027-01"),
    ("examples/alvsbacka/model.yaml", "examples/alvsbacka/data", "2026-12"),
    ("examples/bergsjo/model.yaml", "examples/bergsjo/data", "2025-03"),
]

Line = tuple[str, str, str, str]  # customer, provider, payment, the row paid (or "")


def _paid(
    model: Path, data: Path, month_text: str, customers: int | None = None
) -> tuple[dict[Line, int], dict[Line, int]]:
    """Each customer's lines in öre as `run` pays them, and as `explain` shows them
    (the first `customers` customers, or all)."""
    month = parse_month(month_text)
    checked, _ = load(model, [month])
    dataset, _ = load_dataset(checked, data)
    lines = run_model(checked, dataset, [month]).lines.drop_nulls("customer_id")
    run: dict[Line, int] = {}
    for row in lines.iter_rows(named=True):
        key = (row["customer_id"], row["provider_id"], row["payment"], row.get("row") or "")
        run[key] = run.get(key, 0) + row["amount_ore"]
    chosen = sorted({key[0] for key in run})[:customers]
    shown: dict[Line, int] = {}
    for customer in chosen:
        _, traced = explain_loaded(checked, dataset, month, customer, rows_shown=0)
        for row, traces in traced:
            for trace in traces:
                ore = int(Decimal(str(trace.value)) * 100)  # the shown amount, in öre
                paid_row = row.key if getattr(row, "label", "") else ""
                key = (customer, str(row.values.get("provider_id")), trace.name, paid_row)
                shown[key] = shown.get(key, 0) + ore
    run = {k: v for k, v in run.items() if k[0] in chosen and v != 0}
    return run, {k: v for k, v in shown.items() if v != 0}


@pytest.mark.parametrize(
    ("model", "data", "month"), EXAMPLES, ids=[e[0].split("/")[1] for e in EXAMPLES]
)
def test_explain_shows_every_customer_what_run_pays(model: str, data: str, month: str) -> None:
    run, shown = _paid(ROOT / model, ROOT / data, month)
    assert run, "the example pays something"
    assert shown == run


def test_explain_shows_what_run_pays_under_orebros_and_norrtaljes_rules(tmp_path: Path) -> None:
    """The two models of the source documents, on a generated month each (the first 25
    customers of Örebro's bundled sample month; 25 of Norrtälje's)."""
    from engine.generate import generate, write

    run, shown = _paid(ROOT / "rules/orebro", ROOT / "examples/orebro", "2024-02", 25)
    assert len({k[0] for k in run}) == 25 and shown == run
    write(generate("norrtalje", 25, 1, 5, parse_month("2024-03")), tmp_path, "csv")
    run, shown = _paid(ROOT / "rules/norrtalje", tmp_path, "2024-03")
    assert len({k[0] for k in run}) >= 20 and shown == run
