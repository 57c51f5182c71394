"""Evaluate one formula through both back ends on a fixed little dataset.

The formula becomes the definition `x` on an entity of a small model; the data
has one customer (Centrum, tätort) with a private provider, two decisions and
three visits in February 2024.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from click.testing import Result

from engine.api import (
    customer_rows,
    parse_month,
    peers_of_month,
    plan_month,
    rows_with_relations,
    run_model,
)
from engine.checker import check
from engine.data import Dataset, dataset_from_rows
from engine.diagnostics import Diagnostic, Diagnostics
from engine.frames import base_frames
from engine.interpret import Interpreter
from engine.loader import load_model
from engine.money import snap

MONTH = "2024-02"

MODEL = """\
model: formula-tests
title: Formula tests
zones: {{tätort: [Centrum], landsbygd: [Norrby]}}
parameters:
  timpris: {{unit: SEK/h, values: {{2024-01-01: 450}}}}
  larmbelopp: {{unit: SEK, values: {{2024-01-01: 250, 2024-03-01: 260}}}}
  nivåbelopp:
    unit: SEK
    keys: [zone, level]
    values: {{2024-01-01: {{tätort: [1500, 3000, 4500], landsbygd: [1650, 3300, 4950]}}}}
  kontrollnivåer:
    unit: "%"
    values: {{2024-01-01: [{{under: 20 %, value: 40 %}}, {{under: 40 %, value: 70 %}}]}}
  gräns: {{unit: h, values: {{2024-01-01: 30}}}}
  startdag: {{unit: date, values: {{2024-01-01: 2024-01-10}}}}
  taxa: {{unit: text, values: {{2024-01-01: hög}}}}
  omsorgstaxa: {{unit: SEK/h, values: {{2024-01-01: 376.7625}}}}
  frist: {{unit: days, values: {{2024-01-01: 5}}}}
  halvdag: {{unit: h, values: {{2024-01-01: 12}}}}
  storhelg: {{kind: list, unit: date, values: {{2024-01-01: [2024-02-06, 2024-12-24]}}}}
  tidsband:
    kind: bands
    values:
      2024-01-01:
        - {{name: storhelg, calendar: storhelg}}
        - {{name: helg, from: "fri 19:00", to: "mon 07:00"}}
        - {{name: natt, from: "22:00", to: "07:00"}}
        - {{name: kväll, from: "19:00", to: "22:00"}}
        - {{name: dag}}
  avlösning:
    unit: SEK
    keys: [timmar]
    otherwise: 0
    values: {{2024-01-01: {{12: 5200, 16: 6900}}}}
definitions:
  visit:
    minutes: end - start
  {entity_line}
    x: '{formula}'
"""

# Column 1 of a formula is this column of its line in MODEL.
FORMULA_COLUMN_OFFSET = len("    x: '")
FORMULA_LINE = next(
    number for number, line in enumerate(MODEL.splitlines(), 1) if line.startswith("    x: '")
)

ROWS: dict[str, list[dict[str, str]]] = {
    "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
    "customers": [{"customer_id": "K1", "district": "Centrum"}],
    "decisions": [
        {
            "decision_id": "B1",
            "customer_id": "K1",
            "provider_id": "P1",
            "service": "omsorg",
            "start_date": "2024-01-15",
            "end_date": "",
            "level": "3",
            "granted_minutes": "600",
            "hours_per_month": "16",
            "special_amount": "1234.5",
        },
        {
            "decision_id": "B2",
            "customer_id": "K1",
            "provider_id": "P1",
            "service": "trygghetslarm",
            "start_date": "2024-02-10",
            "end_date": "2024-02-20",
            "level": "",
            "granted_minutes": "",
            "hours_per_month": "",
            "special_amount": "",
        },
    ],
    "outages": [{"start_date": "2024-02-01", "end_date": "2024-02-04"}],
    "visits": [
        {
            "visit_id": "V1",
            "customer_id": "K1",
            "provider_id": "P1",
            "staff_id": "S1",
            "staff_role": "care",
            "service": "omsorg",
            "start": "2024-02-05 08:00",
            "end": "2024-02-05 08:30",
            "registration": "tag",
            "reported_at": "2024-02-05 08:30",
            "clock_adjusted": "false",
            "declined": "false",
        },
        {
            "visit_id": "V2",
            "customer_id": "K1",
            "provider_id": "P1",
            "staff_id": "S2",
            "staff_role": "care",
            "service": "omsorg",
            "start": "2024-02-06 09:00",
            "end": "2024-02-06 09:45",
            "registration": "manual",
            "reported_at": "2024-02-14 10:00",
            "clock_adjusted": "true",
            "declined": "false",
        },
        {
            "visit_id": "V3",
            "customer_id": "K1",
            "provider_id": "P1",
            "staff_id": "S1",
            "staff_role": "care",
            "service": "palliativt_vak",
            "start": "2024-02-07 22:00",
            "end": "2024-02-07 23:00",
            "registration": "tag",
            "reported_at": "2024-02-07 23:00",
            "clock_adjusted": "false",
            "declined": "false",
        },
        {
            "visit_id": "V4",
            "customer_id": "K1",
            "provider_id": "P1",
            "staff_id": "S3",
            "staff_role": "care",
            "service": "dubbelbemanning",
            "start": "2024-02-05 08:10",
            "end": "2024-02-05 08:40",
            "registration": "tag",
            "reported_at": "2024-02-05 08:40",
            "clock_adjusted": "false",
            "declined": "false",
        },
    ],
}


def dataset(rows: dict[str, list[dict[str, str]]] | None = None) -> Dataset:
    return dataset_from_rows(ROWS if rows is None else rows)


def names_in_engine(model: Path, own: set[str]) -> set[str]:
    """Which of a model's own names (services, columns, entities …) appear in engine/
    or schemas/: none should, for a model written without changing the engine. Each
    name must be in the model, so that the check cannot pass on a misspelt list."""
    text = model.read_text(encoding="utf-8").lower()
    missing = {name for name in own if name not in text}
    assert not missing, f"not in {model}: {missing}"
    root = Path(__file__).resolve().parent.parent
    engine = "\n".join(p.read_text(encoding="utf-8") for p in (root / "engine").rglob("*.py"))
    engine += "\n".join(p.read_text(encoding="utf-8") for p in (root / "schemas").rglob("*.json"))
    return {n for n in own if re.search(rf"\b{re.escape(n)}\b", engine, re.IGNORECASE)}


def csv_texts(tmp: Path, tables: dict[str, str]) -> Path:
    """`tmp/data` with a CSV file per table, written as the text given."""
    data = tmp / "data"
    data.mkdir()
    for name, text in tables.items():
        (data / f"{name}.csv").write_text(text, encoding="utf-8")
    return data


def csv_folder(tmp: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    """`tmp/data` with a CSV file per table of `rows` (the first row's keys the header)."""
    data = tmp / "data"
    data.mkdir()
    for table, table_rows in rows.items():
        with (data / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(table_rows[0]))
            writer.writeheader()
            writer.writerows(table_rows)
    return data


def write_model(tmp: Path, formula: str, entity: str) -> Path:
    path = tmp / "model.yaml"
    # on visit, `x` joins `minutes` (a comment keeps every line where it was)
    entity_line = "# x is on visit too" if entity == "visit" else f"{entity}:"
    text = MODEL.format(entity_line=entity_line, formula=formula.replace("'", "''"))
    path.write_text(text, encoding="utf-8")
    return path


def diagnostics(tmp: Path, formula: str, entity: str = "decision") -> list[Diagnostic]:
    diags = Diagnostics()
    model = load_model(write_model(tmp, formula, entity), diags)
    if model is not None:
        check(model, diags)
    return diags.errors


@dataclass
class Evaluated:
    compiled: Any
    interpreted: Any
    type: Any


def evaluate(
    tmp: Path,
    formula: str,
    entity: str = "decision",
    rows: dict[str, list[dict[str, str]]] | None = None,
    month_text: str = MONTH,
) -> Evaluated:
    diags = Diagnostics()
    model = load_model(write_model(tmp, formula, entity), diags)
    assert model is not None and not diags.errors, [d.render() for d in diags]
    checked = check(model, diags)
    assert not diags.errors, [d.render() for d in diags]
    ds = dataset(rows)
    month = parse_month(month_text)
    frames = run_model(checked, ds, [month]).months[0].frames
    plan = plan_month(checked, month)
    if entity in ("decision", "visit"):
        key, ident = ("decision_id", "B1") if entity == "decision" else ("visit_id", "V1")
        compiled = frames[entity].filter(pl.col(key) == ident)["x"][0]
        base = base_frames(plan, ds.tables)
        row = rows_with_relations(
            model.vocabulary, base, entity, base[entity].filter(pl.col(key) == ident)
        )[0]
    else:
        compiled = frames["customer_month"]["x"][0]
        row = customer_rows(plan, ds, "K1")[0]
    interpreted = Interpreter(plan, peers_of_month(plan, ds.tables)).rule(row, "x")
    return Evaluated(compiled, interpreted, checked.rule_types["x"])


def same(a: Any, b: Any) -> bool:
    """Equal as the engine promises: numbers to a millionth, everything else exactly."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal):
        return snap(Decimal(repr(a)) if isinstance(a, float) else Decimal(a)) == snap(
            Decimal(repr(b)) if isinstance(b, float) else Decimal(b)
        )
    return a == b


def failed_model_cases(example: Path, expected: int) -> list[tuple[str, object, object]]:
    """The hand-computed cases of an example's model test files that fail (there must
    be `expected` of them in all)."""
    from engine.testing import find_test_files, run_file

    results = [r for path in find_test_files([example]) for r in run_file(path)]
    assert len(results) == expected
    return [(r.name, r.error, r.failures) for r in results if not r.passed]


def paid_per_category(output: str, providers: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """`carepay run`'s table of what each provider is paid per category, as shown."""
    return {
        (row[0], row[1]): row[2]
        for row in (re.split(r"\s{2,}", line.strip()) for line in output.splitlines())
        if len(row) == 3 and row[0] in providers
    }


PAID_COLUMNS = ("provider_id", "customer_id", "payment", "amount_kr")


def run_and_read(
    model: Path, args: list[str], out: Path, columns: tuple[str, ...] = PAID_COLUMNS
) -> tuple[list[tuple[str, ...]], Path]:
    """`carepay run` of a model (which must end with exit 0) and its statement lines as
    sorted rows of `columns`, an empty cell as ""; beside them, where it wrote."""
    from click.testing import CliRunner

    from engine.cli import main

    ran = CliRunner().invoke(main, ["run", str(model), *args, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    return sorted(lines.select(columns).fill_null("").rows()), out


def assert_cases_pass(folder: Path, count: int) -> None:
    """`carepay test` of a model's hand-computed cases (`folder/tests`): every one of
    the `count` passes, and the command exits 0."""
    from click.testing import CliRunner

    from engine.cli import main

    ran = CliRunner().invoke(main, ["test", str(folder / "tests")])
    assert ran.exit_code == 0, ran.output
    assert f"{count} godkända, 0 underkända" in ran.output


def run_test_file(tmp: Path, text: str) -> Result:
    """`carepay test` of a test file written as `text` (in `tmp`): the CLI's result."""
    from click.testing import CliRunner

    from engine.cli import main

    cases = tmp / "cases_test.yaml"
    cases.write_text(text, "utf-8")
    return CliRunner().invoke(main, ["test", str(cases)])


def assert_case_says(tmp: Path, text: str, said: str) -> None:
    """A one-case test file says `said`, and passes exactly where `said` is its pass."""
    ran = run_test_file(tmp, text)
    assert said in ran.output, ran.output
    assert (ran.exit_code == 0) == said.startswith("1 godkända")


class Recorder:
    """The progress a run shows (`progress.Stages`), as events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def stage(self, key: str, total: int | None = None, **values: object) -> None:
        self.events.append(("stage", (key, total, values)))

    def advance(self, **values: object) -> None:
        self.events.append(("advance", values))
