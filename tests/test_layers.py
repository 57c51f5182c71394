"""Imports point one way: parse -> check -> plan -> evaluate -> report -> edge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each module and the layer it belongs to (ARCHITECTURE.md); a module may import
# only modules of its own layer or a lower one.
LAYERS = {
    "source": 0,
    "diagnostics": 0,
    "money": 0,
    "clock": 0,  # Swedish clock time and the time that passes
    "swedish": 0,
    "phrases": 1,
    "progress": 2,
    "types": 1,
    "ast": 1,
    "syntax": 2,
    "builtins": 2,
    "catalog": 2,
    "model": 3,
    "loader": 4,
    "headers": 4,  # the data's own column names (columns.yaml): read like a rule file
    "checker": 4,
    "plan": 5,
    "names": 5,
    "interpret": 6,
    "frames": 6,
    "spans": 6,
    "aggregate": 6,
    "reevaluate": 6,
    "compile": 6,
    "data": 6,
    "sheetxml": 1,  # a workbook's XML, for what the sheet reader does not say
    "reports": 7,
    "sheetcells": 7,
    "workbook": 8,
    "letter": 9,
    "assumptions": 7,
    "coverage": 7,
    "explain": 7,
    "api": 8,
    "generate": 8,
    "testing": 9,
    "mutants": 10,  # a model's rules changed one at a time, against its test cases
    "dataspec": 9,  # the data a model reads, in Swedish: from api
    "compare": 9,
    "modeldiff": 8,
    "charts": 7,
    "htmlreport": 10,
    "monthly": 9,  # a run a month at a time: api, data, coverage; used by runner
    "runner": 9,
    "workspace": 10,
    "studio": 11,
    "cli": 11,
    "entry": 12,
}


def _imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "engine" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            if node.module == "engine":
                found |= {a.name for a in node.names if a.name in LAYERS}
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):  # `import engine.compile` too
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("engine.")}
    return found


def _third_party(module: str) -> set[str]:
    tree = ast.parse((ROOT / "engine" / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
    return found - {"engine"} - set(sys.stdlib_module_names)


# Which engine modules may use each third-party package (the rest may not).
CONFINED = {
    "polars": {"frames", "spans", "aggregate", "reevaluate", "compile", "data", "api", "reports", "coverage", "runner", "monthly",
               "compare", "generate", "assumptions", "testing", "cli", "htmlreport", "charts",
               "workbook", "sheetcells", "letter", "workspace"},
    "lark": {"syntax"},
    "yaml": {"loader", "testing", "headers"},
    "jsonschema": {"loader", "runner"},  # rule files; the manifest `verify` reads
    "click": {"cli", "entry"},
    "openpyxl": set(),  # tests read workbooks back with it; the engine writes with xlsxwriter
    "xlsxwriter": {"workbook"},
    "fastexcel": {"data"},
    "isal": {"reports"},  # deflates the workbooks' zip entries
    "jinja2": {"htmlreport", "letter"},
    "babel": {"swedish"},
    "matplotlib": {"charts"},
    "numpy": {"generate", "frames"},  # frames: a binary search of the clock changes
    "rich": {"progress"},
    "starlette": {"studio"},
    "uvicorn": {"studio"},
}  # fmt: skip


def test_third_party_packages_stay_in_their_modules():
    for module in LAYERS:
        for package in _third_party(module):
            assert module in CONFINED.get(package, set()), f"{module} imports {package}"


def test_every_module_has_a_layer():
    modules = {p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__"}
    assert modules == set(LAYERS)


def test_imports_point_down():
    for module, layer in LAYERS.items():
        for imported in _imports(module):
            assert LAYERS[imported] <= layer, (
                f"{module} (layer {layer}) imports {imported} (layer {LAYERS[imported]})"
            )


def test_interpreter_and_compiler_are_independent():
    assert "compile" not in _imports("interpret")
    assert "interpret" not in _imports("compile")


def test_checking_and_interpreting_need_no_polars():
    code = (
        "import sys; import engine.loader, engine.checker, engine.plan, engine.names, "
        "engine.interpret, engine.explain; "
        "print('polars' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


# Where the engine writes a base table's or entity's name as text, and why that is not
# a table named outside the vocabulary: names of outputs (a JSON key, a column of
# exclusions.csv, a report section, a test file's section) and the zones feature (the
# model's `zones:` section and the data's `zones` table, placing customers' districts).
# `catalog` reads the vocabulary's files; `generate` writes synthetic base tables.
NAMED_AS_OUTPUT = {
    ("api.py", "visits"),  # visit_counts() keys
    ("cli.py", "providers"),  # compare --format json keys
    ("cli.py", "customers"),
    ("compare.py", "customers"),  # a column of the summary
    ("htmlreport.py", "providers"),  # a report section id
    ("runner.py", "visits"),  # the manifest's visits' account
    ("reports.py", "visit_id"),  # VISIT_COLUMN, the outputs' name for a visit's key
    ("workbook.py", "customers"),  # a column of the comparison tables (compare.py's)
    ("testing.py", "customers"),  # a test file's output sections
    ("testing.py", "providers"),
    ("data.py", "zones"),
    ("data.py", "customers"),  # where an unplaced district is (customers:district)
    ("monthly.py", "customers"),  # MonthFacts.customers, put on disk between months
    ("loader.py", "zones"),
    ("modeldiff.py", "zones"),
    ("model.py", "decision"),  # the name of a role (catalog.Roles.decision), not an entity
}


def test_the_engine_names_tables_and_entities_only_through_the_vocabulary():
    """Entities and tables the engine gives a meaning (the registrations, the customer's
    and provider's month, the decisions) are named through `Vocabulary.roles`, so a
    model's vocabulary decides them; a name written as text anywhere else fails here."""
    sys.path.insert(0, str(ROOT))
    from engine.catalog import base_vocabulary

    vocabulary = base_vocabulary()
    names = set(vocabulary.tables) | set(vocabulary.entities) | {vocabulary.registration_key}
    found = set()
    for path in sorted((ROOT / "engine").glob("*.py")):
        if path.name in ("catalog.py", "generate.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.add((path.name, node.value))
    assert found <= NAMED_AS_OUTPUT, sorted(found - NAMED_AS_OUTPUT)
    assert found >= NAMED_AS_OUTPUT, sorted(NAMED_AS_OUTPUT - found)  # kept current
