"""A payment's versions may count its line each their own way: Norrtälje paid service
and omsorg for executed hours until March 2020 and for granted hours after, but the
line's `quantity:` was the granted hours throughout — a statement line of March 2020
said "20 h" beside 5 000 kr paid for 10 executed hours, and the specification summed
those hours. Each version may say `quantity:`; the payment's own is the rest's."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.api import load, parse_month, run_model
from engine.cli import main
from engine.data import dataset_from_rows

ROOT = Path(__file__).resolve().parent.parent
NORRTALJE = ROOT / "rules/norrtalje"


def _norrtalje_lines(month: str) -> list[tuple[str, float | None, str]]:
    """K1 in Norrtälje stad, granted 20 h of omsorg, one visit of 10 h."""
    checked, _ = load(NORRTALJE, [parse_month(month)])
    day = f"{month}-04"
    rows = {
        "providers": [
            {"provider_id": "P1", "name": "Omsorg i Roslagen AB", "ownership": "private"}
        ],
        "customers": [{"customer_id": "K1", "district": "Norrtälje stad"}],
        "decisions": [
            {"decision_id": "B1", "customer_id": "K1", "provider_id": "P1", "service": "omsorg"}
            | {"granted_minutes": 1200, "start_date": "2020-01-01"}
        ],
        "visits": [
            {"visit_id": "V1", "customer_id": "K1", "provider_id": "P1", "service": "omsorg"}
            | {"start": f"{day} 06:00", "end": f"{day} 16:00", "staff_id": "S1"}
            | {"staff_role": "care", "registration": "tag", "clock_adjusted": False}
            | {"declined": False}
        ],
    }
    vocabulary = checked.model.vocabulary
    dataset = dataset_from_rows(rows, zones=checked.model.zones, known=vocabulary.tables)
    result = run_model(checked, dataset, [parse_month(month)])
    lines = result.lines.filter(pl.col("payment") == "omsorg")
    return [
        (p, q, f"{a / 100:.2f}")
        for p, q, a in lines.select("payment", "quantity", "amount_ore").rows()
    ]


@pytest.mark.parametrize(
    ("month", "line"),
    [
        ("2020-03", ("omsorg", 10.0, "5000.00")),  # executed 10 h × 500
        ("2020-04", ("omsorg", 20.0, "9200.00")),  # granted 20 h × 460
    ],
)
def test_norrtaljes_line_counts_the_hours_it_pays(month: str, line: tuple) -> None:
    assert _norrtalje_lines(month) == [line]


def test_a_version_without_its_own_takes_the_payments(tmp_path: Path) -> None:
    """The payment's `quantity:` counts the lines of a version that says none, and `diff`
    says what a version's quantity changed."""
    old = tmp_path / "old.yaml"
    old.write_text(
        (ROOT / "tests/fixtures/mossby/model.yaml")
        .read_text("utf-8")
        .replace(
            "        quantity: utförd_tid / 1 h              # the hours paid: executed …\n", ""
        )
        .replace(
            "    unit: h\n    letter:", "    unit: h\n    quantity: utförd_tid / 1 h\n    letter:"
        ),
        "utf-8",
    )
    data = ["--data", str(ROOT / "tests/fixtures/mossby/data"), "--month", "2027-03"]
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(old), *data, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    omsorg = lines.filter(pl.col("payment") == "omsorg").select("customer_id", "quantity")
    assert sorted(omsorg.rows()) == [("K1", "6.5"), ("K2", "2.0")]
    said = CliRunner().invoke(
        main, ["diff", str(old), str(ROOT / "tests/fixtures/mossby/model.yaml"), "--lang", "en"]
    )
    assert "the line's quantity: utförd_tid / 1 h" in said.output, said.output
    assert "(beviljad_tid - sjukhusavdrag) / 1 h (2027-04-01 – …)" in said.output


@pytest.mark.parametrize(
    ("quantity", "said"),
    [
        ("utförd_tid", "unit-mismatch"),  # minutes labelled h
        ("utförd_tidd", "unknown-name"),
    ],
)
def test_a_versions_quantity_is_checked(tmp_path: Path, quantity: str, said: str) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(
        (ROOT / "tests/fixtures/mossby/model.yaml")
        .read_text("utf-8")
        .replace("quantity: utförd_tid / 1 h   ", f"quantity: {quantity}   "),
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code != 0 and f"error[{said}]" in ran.output, ran.output
    assert "model.yaml:108:19:" in ran.output  # the version's own line
