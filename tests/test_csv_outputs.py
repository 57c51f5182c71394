"""CSV files people open: one money unit (kronor with two decimals, in columns ending
in `_kr`) in runs and studies alike, and `--csv-dialect excel-sv` for Swedish Excel
(semicolons, decimal commas, a byte-order mark)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "examples/hemtjanst/model.yaml")
DATA = str(ROOT / "examples/hemtjanst/data")


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_every_csv_of_a_run_and_a_study_gives_money_in_kronor(tmp_path: Path) -> None:
    _invoke("run", MODEL, "--data", DATA, "--month", "2024-02", "--out", str(tmp_path / "run"))
    _invoke("simulate", MODEL, "--data", DATA, "--month", "2024-02", "--set", "larmbelopp=300",
            "--out", str(tmp_path / "sim"))  # fmt: skip
    for path in [*(tmp_path / "run").glob("*.csv"), *(tmp_path / "sim").glob("*.csv")]:
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert not [c for c in header if c.endswith("_ore")], path.name
    providers = pl.read_csv(tmp_path / "sim/compare_providers.csv").sort("provider_id")
    totals = (
        pl.read_csv(tmp_path / "run/provider_totals.csv")
        .group_by("provider_id")
        .agg(pl.col("amount_kr").sum())
        .sort("provider_id")
    )
    assert providers["amount_a_kr"].to_list() == totals["amount_kr"].to_list()
    # larmbelopp 250 → 300 kr: 50 kr more for each alarm customer, no rounding
    assert (providers["diff_kr"] * 100 % 5000 == 0).all()


def test_excel_sv_csv_opens_as_columns_in_swedish_excel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _invoke("run", MODEL, "--data", DATA, "--month", "2024-02", "--out", str(out),
            "--csv-dialect", "excel-sv")  # fmt: skip
    raw = (out / "statement_lines.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads UTF-8 (å, ä, ö)
    header, first = raw[3:].decode("utf-8").splitlines()[:2]
    columns = header.split(";")
    assert "amount_kr" in columns and "," not in header
    amount = first.split(";")[columns.index("amount_kr")]
    assert amount.count(",") == 1 and "." not in amount  # 310,00 — a decimal comma
    swedish = pl.read_csv(out / "statement_lines.csv", separator=";", decimal_comma=True)
    exact = pl.read_parquet(out / "statement_lines.parquet")
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in swedish["amount_kr"]] == (
        exact["amount_kr"].to_list()
    )
    assert "verifierad" in _invoke("verify", str(out))  # the dialect is part of the job
