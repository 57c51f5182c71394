"""Random bytes and random mutations of valid rule files, scenario files and input
tables: carepay answers with diagnostics, never with a traceback, never hangs, and
never leaves a partial output. The suite prints how many cases each tried."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import check_files
from engine.ast import Node
from engine.diagnostics import Diagnostic, EngineError
from engine.runner import Job, execute
from engine.source import FormulaOrigin
from engine.syntax import parse_formula
from tests.conftest import TRIED

ROOT = Path(__file__).resolve().parent.parent
VALID = (ROOT / "examples/hemtjanst/model.yaml").read_text(encoding="utf-8")
ALPHABET = ":{}[]-#'\" \n\tåäö0123456789abc+*/()<>=%.,&|!@\\"

FUZZ = settings(
    max_examples=100,
    deadline=5000,  # milliseconds per example: a hang fails the test
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(tmp: Path, content: bytes, what: str = "rule files") -> None:
    TRIED[what] += 1
    path = tmp / "model.yaml"
    path.write_bytes(content)
    diagnostics = check_files([path])
    for d in diagnostics:
        assert d.code and d.message
        # every answer is located: in the file checked (or a file it extends), at a line
        assert d.span is not None or d.where, d.render()
        if d.span is not None:
            assert d.span.file and d.span.line >= 1 and d.span.col >= 1, d.render()
        assert d.render().splitlines()[0].startswith(str(d.span or d.where)), d.render()


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, content):
    _check(tmp_path_factory.mktemp("fuzz"), content)


@st.composite
def mutations(draw: st.DrawFn, text: str = VALID) -> str:
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "replace"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.text(alphabet=ALPHABET, min_size=1, max_size=8)) + text[at:]
        elif kind == "replace":
            text = (
                text[:at]
                + draw(st.text(alphabet=ALPHABET, min_size=1, max_size=3))
                + text[at + 3 :]
            )
        else:
            lines = text.splitlines()
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@FUZZ
@given(mutations())
def test_mutated_rule_files(tmp_path_factory, text):
    _check(tmp_path_factory.mktemp("fuzz"), text.encode("utf-8"))


@settings(max_examples=300, deadline=2000)
@given(st.text(alphabet=ALPHABET + "ifthenelsewhereandornotsumcount", max_size=60))
def test_random_formulas_parse_or_fail_cleanly(text):
    TRIED["formulas"] += 1
    result = parse_formula(text, FormulaOrigin.at("f.yaml", 1, 1))
    if isinstance(result, Diagnostic):
        # a syntax error points into the formula: line 1, at most one past its end
        assert result.code == "syntax" and result.span is not None, result
        lines = text.splitlines() or [""]
        assert 1 <= result.span.line <= max(len(lines), 1), result.render()
        assert 1 <= result.span.col <= len(lines[result.span.line - 1]) + 1, result.render()
    else:
        assert isinstance(result, Node)
        assert all(n.span.file == "f.yaml" for n in result.walk())


SCENARIO = (
    (ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml")
    .read_text(encoding="utf-8")
    .replace("../../rules/orebro/omvardnad.yaml", str(ROOT / "rules/orebro/omvardnad.yaml"))
)


@FUZZ
@given(mutations(SCENARIO))
def test_mutated_scenario_files(tmp_path_factory, text):
    _check(tmp_path_factory.mktemp("fuzz"), text.encode("utf-8"), "scenario files")


MODEL_TEST = (
    (ROOT / "tests/fixtures/mossby/tests/mossby_test.yaml")
    .read_text(encoding="utf-8")
    .replace("model: ../model.yaml", f"model: {ROOT / 'tests/fixtures/mossby/model.yaml'}")
)


@settings(
    max_examples=40,
    deadline=20000,  # a test file runs its cases: a hang fails the test
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutations(MODEL_TEST))
def test_mutated_model_test_files(tmp_path_factory, text):
    """A model test file spoilt anywhere — a row as a text, an input as a list — ends in
    failed cases that say why, never a traceback (41 of 885 line mutations of this
    file were one)."""
    from engine.testing import run_file

    TRIED["model test files"] += 1
    path = tmp_path_factory.mktemp("fuzz") / "fall_test.yaml"
    path.write_text(text, encoding="utf-8")
    for result in run_file(path):
        assert result.passed or result.failures or result.error


DATA = ROOT / "examples/hemtjanst/data"
TABLES = ["customers.csv", "decisions.csv", "visits.csv", "providers.csv"]
CELLS = ["", "x", "-1", "2024-02-30", "25:99", "true", "ja", ";", ",", '"', "K999", "omsrog", "0,5"]


@st.composite
def table_mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    """One input table with a few rows, cells or bytes changed."""
    name = draw(st.sampled_from(TABLES))
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()[:40]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "drop", "duplicate", "bytes", "header"]))
        i = draw(st.integers(1 if kind != "header" else 0, len(lines) - 1))
        if kind == "cell":
            cells = lines[i].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CELLS))
            lines[i] = ",".join(cells)
        elif kind == "drop":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(draw(st.integers(1, len(lines))), lines[i])
        elif kind == "header":
            cells = lines[0].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CELLS[1:4]))
            lines[0] = ",".join(cells)
        else:
            at = draw(st.integers(0, max(len(lines[i]) - 1, 0)))
            lines[i] = (
                lines[i][:at] + draw(st.text(alphabet=ALPHABET, max_size=4)) + lines[i][at + 1 :]
            )
        if len(lines) < 2:
            break
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return name, "\n".join(lines).encode(encoding, errors="replace")


@settings(
    max_examples=40,
    deadline=20000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(table_mutations())
def test_mutated_input_tables_run_or_stop_cleanly(tmp_path_factory, mutation):
    """Each run either finishes, with every output and its manifest, or stops with
    located diagnostics and writes nothing."""
    TRIED["input tables"] += 1
    tmp = tmp_path_factory.mktemp("fuzzdata")
    data = tmp / "data"
    shutil.copytree(DATA, data)
    name, content = mutation
    (data / name).write_bytes(content)
    out = tmp / "out"
    job = Job(str(ROOT / "examples/hemtjanst/model.yaml"), str(data), "2024-02", "2024-02")
    try:
        outcome = execute(job, out)
    except EngineError as error:
        assert error.diagnostics and all(d.message for d in error.diagnostics)
        # every stop is located: a file (and row and column), or the model's line
        assert all(d.span is not None or d.where for d in error.diagnostics), [
            d.render() for d in error.diagnostics
        ]
        assert not out.exists(), "a failed run left output behind"
        return
    assert (out / "manifest.json").is_file() and (out / "statement_lines.csv").is_file()
    assert outcome.conservation.balanced


def test_a_tree_walked_again_gives_the_same_nodes_and_a_changed_copy_its_own():
    """`walk` keeps the nodes it found (a run walks its formulas thousands of times): a
    second walk gives the same nodes in the same order, a copy made with other children
    (`dataclasses.replace`) walks its own, and the kept nodes are no children."""
    import dataclasses

    tree = parse_formula("a + b * 2", FormulaOrigin.at("f.yaml", 1, 1))
    assert isinstance(tree, Node)
    first = [type(n).__name__ for n in tree.walk()]
    assert first == [type(n).__name__ for n in tree.walk()]
    assert len(list(tree.children())) == 2  # a and b * 2, not the kept walk
    other = parse_formula("c", FormulaOrigin.at("f.yaml", 1, 1))
    changed = dataclasses.replace(tree, right=other)  # type: ignore[type-var]
    assert [n for n in changed.walk()] == [changed, tree.left, other]  # type: ignore[attr-defined]
    assert len(list(tree.walk())) == len(first)
