"""Measurements that must happen inside one process (bench/run.py starts a fresh one
for each): model load + check time after imports, and the small core computed by
carepay and by hand-written Polars on the same in-memory tables.

    python bench/tasks.py load rules/orebro
    python bench/tasks.py core DATA_DIR 2024-03
    python bench/tasks.py path carepay|polars|polars-checked|duckdb DATA_DIR 2024-03
    python bench/tasks.py read DATA_DIR
    python bench/tasks.py workbook examples/orebro bench/scratch/sample.xlsx
    python bench/tasks.py studio DATA_DIR 2024-02

Each prints one line of JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    return _best_with_cpu(fn, repeat)[0]


def _best_with_cpu(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The fastest run's wall seconds and the CPU seconds the process (all its threads)
    spent in it: on two cores, a program that needs C seconds of CPU takes at least
    C / 2 seconds however well it runs in parallel."""
    runs = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(runs)


def load_task(model: str) -> dict[str, float]:
    started = time.perf_counter()
    from engine.api import load  # noqa: F401  (imports are counted apart)

    imported = time.perf_counter()
    load(model)
    loaded = time.perf_counter()
    return {"imports_s": imported - started, "load_check_s": loaded - imported}


def core_task(data: str, month_text: str) -> dict[str, object]:
    import polars as pl

    from bench.handwritten import provider_totals
    from engine.api import load, load_dataset, parse_month, run_model

    month = parse_month(month_text)
    checked, _ = load(ROOT / "bench/core.yaml", [month])
    dataset, _ = load_dataset(checked, data)
    visits = dataset.tables["visits"].height
    hand = provider_totals(dataset.tables, month)
    result = run_model(checked, dataset, [month])
    ours = result.lines.group_by("provider_id").agg(pl.col("amount_ore").sum()).sort("provider_id")
    joined = hand.join(ours, on="provider_id", how="full", suffix="_carepay").fill_null(0)
    same = bool((joined["amount_ore"] == joined["amount_ore_carepay"]).all())
    repeat = 9 if visits < 5_000_000 else 5
    hand_s = _best(lambda: provider_totals(dataset.tables, month), repeat)
    carepay_s = _best(lambda: run_model(checked, dataset, [month]), repeat)
    return {
        "visits": visits,
        "hand_s": hand_s,
        "carepay_s": carepay_s,
        "ratio": carepay_s / hand_s,
        "same_amounts": same,
        "total_ore": int(hand["amount_ore"].sum()),
    }


def _carepay_path(directory: Path, month_text: str) -> tuple[object, object]:
    """What a user of the Python API runs: load and check the model, read and check
    the data, evaluate, and take the per-customer and per-provider tables."""
    import polars as pl

    from engine.api import load, load_dataset, parse_month, run_model

    month = parse_month(month_text)
    checked, _ = load(ROOT / "bench/core.yaml", [month])
    dataset, _ = load_dataset(checked, directory)
    result = run_model(checked, dataset, [month])
    lines = result.lines
    customers = lines.group_by("customer_id", "provider_id").agg(pl.col("amount_ore").sum())
    return customers, result.totals.group_by("provider_id").agg(pl.col("amount_ore").sum())


def path_task(who: str, data: str, month_text: str) -> dict[str, object]:
    """The user's whole path (read → check → evaluate → tables) by carepay, by the
    hand-written Polars program (also with carepay's checks of the data written by
    hand: `polars-checked`) or by DuckDB SQL, on the same Parquet files: best of
    three after a warm-up, in this one process (and the CPU seconds of that run); the
    öre per provider to compare."""
    from bench import handwritten, sql
    from engine.api import parse_month

    directory = Path(data)
    month = parse_month(month_text)
    fn = {
        "carepay": lambda: _carepay_path(directory, month_text),
        "polars": lambda: handwritten.from_files(directory, month),
        "polars-checked": lambda: handwritten.from_files_checked(directory, month),
        "duckdb": lambda: sql.from_files(directory, month),
    }[who]
    _, providers = fn()  # the warm-up (and the answer)
    seconds, cpu = _best_with_cpu(fn, 3)
    if not isinstance(providers, dict):  # a Polars frame
        providers = dict(providers.select("provider_id", "amount_ore").iter_rows())
    totals = {str(k): int(v) for k, v in sorted(providers.items())}
    return {"who": who, "seconds": seconds, "cpu_s": cpu, "providers": totals}


def read_task(data: str) -> dict[str, object]:
    """Reading and checking the data for the small core (carepay's `load_dataset`)
    against the bare Parquet decode of the same columns: best of three each."""
    import polars as pl

    from engine.api import data_needs, load, load_dataset

    checked, _ = load(ROOT / "bench/core.yaml")
    needs = data_needs(checked)
    vocabulary = checked.model.vocabulary
    kept = vocabulary.kept_columns()

    def bare() -> None:
        for name, columns in needs.items():
            path = Path(data) / f"{name}.parquet"
            if path.exists():
                present = pl.read_parquet_schema(path)
                wanted = [c for c in present if c in columns or c in kept]
                pl.read_parquet(path, columns=wanted)

    bare()
    load_dataset(checked, data)
    bare_s = _best(bare, 3)
    carepay_s = _best(lambda: load_dataset(checked, data), 3)
    return {"bare_s": bare_s, "carepay_s": carepay_s, "ratio": carepay_s / bare_s}


def workbook_task(sample: str, book: str) -> dict[str, object]:
    """The bundled sample's CSV files as one workbook, a sheet per table (text cells,
    as a municipality's export would hold them)."""
    import polars as pl
    import xlsxwriter

    sheets = 0
    with xlsxwriter.Workbook(book) as workbook:
        for csv_file in sorted(Path(sample).glob("*.csv")):
            frame = pl.read_csv(csv_file, infer_schema=False)
            frame.write_excel(workbook, worksheet=csv_file.stem, autofit=False)
            sheets += 1
    return {"sheets": sheets}


def studio_task(data: str, month_text: str) -> dict[str, object]:
    """The studio's latency: from an edit of a parameter value (kontrollnivåer's second
    bound, 40 % -> 50 %, as the parameters panel writes it into the rule file) to the
    updated totals, on data loaded once; best of three edits after a warm-up."""
    import shutil
    import tempfile

    from engine.api import parse_month
    from engine.workspace import edit, open_workspace, set_value

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "orebro"
        shutil.copytree(ROOT / "rules/orebro", folder)
        started = time.perf_counter()
        ws = open_workspace(folder, Path(data), [parse_month(month_text)])
        opened = time.perf_counter() - started
        path = ["values", "2023-01-01", 1, "under"]
        totals = []

        def one(value: str) -> None:
            text = set_value(ws, {}, "omvardnad.yaml", "kontrollnivåer", path, value)
            answer = edit(ws, {"omvardnad.yaml": text})
            totals.append(answer["results"]["total"]["diff_ore"])

        one("45 %")
        seconds = _best(lambda: one("50 %"), 3)
        visits = ws.dataset.tables["visits"].height
    return {"visits": visits, "open_s": opened, "edit_s": seconds, "diff_ore": totals[-1]}


TASKS = {
    "load": load_task,
    "core": core_task,
    "path": path_task,
    "read": read_task,
    "studio": studio_task,
    "workbook": workbook_task,
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    if name not in TASKS:
        raise SystemExit(f"unknown task {name}; the tasks: {', '.join(TASKS)}")
    print(json.dumps(TASKS[name](*args)))  # type: ignore[operator]
