"""The docs are true: the tutorial runs as written, and every command, function,
unit and error code is documented."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import types as t
from engine.builtins import BUILTINS
from engine.catalog import base_vocabulary
from engine.cli import main
from engine.compile import IMPLEMENTATIONS as COMPILED
from engine.diagnostics import CODES, Diagnostics
from engine.interpret import IMPLEMENTATIONS as INTERPRETED

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = (ROOT / "docs/tutorial.md").read_text(encoding="utf-8")
LANGUAGE = (ROOT / "docs/language.md").read_text(encoding="utf-8")
ERRORS = (ROOT / "docs/errors.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\S+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _console_steps() -> list[tuple[str, str]]:
    steps = []
    for lang, _, body in BLOCK.findall(TUTORIAL):
        if lang != "console":
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((command, output))
    return steps


def _file_blocks() -> list[tuple[str, str]]:
    return [
        (info.strip().removeprefix("file="), body)
        for lang, info, body in BLOCK.findall(TUTORIAL)
        if info.strip().startswith("file=")
    ]


@pytest.mark.parametrize(("path", "body"), _file_blocks(), ids=[p for p, _ in _file_blocks()])
def test_tutorial_files_are_as_shown(path, body):
    assert (ROOT / path).read_text(encoding="utf-8") == body


@pytest.mark.parametrize(
    ("command", "expected"), _console_steps(), ids=[c for c, _ in _console_steps()]
)
def test_tutorial_commands_run_as_written(monkeypatch, command, expected):
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)
    assert args[0] == "carepay"
    result = CliRunner().invoke(main, args[1:], prog_name="carepay")
    assert result.output.rstrip("\n") == expected.rstrip("\n")


def test_tutorial_has_commands():
    assert len(_console_steps()) >= 6


@pytest.mark.parametrize("page", ["docs/cli.md", "docs/language.md"])
def test_generated_docs_are_current(page):
    """The CLI help and the table of functions are generated from the program."""
    done = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", page],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (
        f"{page} is out of date: run `cog -r {page}`\n" + done.stdout + done.stderr
    )


def test_every_command_is_documented():
    cli = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"## carepay {name}" in cli


def test_every_builtin_is_documented_and_implemented_twice():
    assert set(COMPILED) == set(BUILTINS) == set(INTERPRETED)
    for name, sig in BUILTINS.items():
        assert f"| `{name}` | `{sig.usage}` |" in LANGUAGE, name


def test_every_unit_is_documented():
    for unit in t.UNITS:
        assert f"`{unit}`" in LANGUAGE, unit
    for word in t.UNIT_WORDS:
        assert f"`{word}`" in LANGUAGE, word


def test_every_error_code_is_documented():
    for code in CODES:
        assert f"| `{code}` |" in ERRORS, code
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", ERRORS, re.MULTILINE))
    assert documented == set(CODES)


def test_every_code_the_engine_reports_is_a_known_code():
    """A code written in engine code is in CODES (and so in docs/errors.md)."""
    pattern = re.compile(r'(?:Diagnostic\(|\.error\(|\.warning\(|_bad\(|code=)\s*"([a-z][a-z-]*)"')
    used = {
        code
        for path in (ROOT / "engine").glob("*.py")
        for code in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert used and used <= set(CODES), sorted(used - set(CODES))


def test_every_entity_is_documented():
    for name, entity in base_vocabulary().entities.items():
        assert f"| `{name}` |" in LANGUAGE, name
        for relation in entity.relations:
            assert f"`{relation.name}`" in LANGUAGE


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = BLOCK.search(readme)
    assert first is not None
    lines = first.group(3).strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install -e '.[dev]' && carepay run ")
    assert lines[1] == "python -m pytest"


MODEL_DOCS = [
    ("docs/models/orebro.md", "rules/orebro/omvardnad.yaml", ["rules/orebro/tests"]),
    (
        "docs/models/norrtalje.md",
        "rules/norrtalje/hemtjanst.yaml",
        ["rules/norrtalje/tests", "scenarios/tests"],
    ),
]


def _case_names(folders: list[str]) -> set[str]:
    from engine.loader import read_yaml

    names: set[str] = set()
    for folder in folders:
        for path in sorted((ROOT / folder).glob("*_test.yaml")):
            diags = Diagnostics()
            data = read_yaml(path, diags)
            names.update(str(case.get("name")) for case in data.get("tests") or [])
    return names


@pytest.mark.parametrize(("page", "model", "tests"), MODEL_DOCS)
def test_model_docs_name_only_rules_and_tests_that_exist(page, model, tests):
    """docs/models/*.md map each requirement to rules and hand-computed test cases by
    name: a renamed rule or test makes the page wrong, and this test says where."""
    import re

    from engine.api import load

    checked, _ = load(ROOT / model)
    known = (
        set(checked.model.rules)
        | set(checked.model.parameters)
        | set(checked.model.vocabulary.entities)
        | {requirement.name for requirement in checked.model.data_requirements}
    )
    cases = _case_names(tests)
    text = (ROOT / page).read_text(encoding="utf-8")
    lines = text.splitlines()
    rules = [n for line in lines if line.startswith("- Rules:")
             for n in re.findall(r"`([^`]+)`", line)]  # fmt: skip
    named_cases = [n for line in lines if line.startswith(("- Tests:", "| "))
                   for n in re.findall(r'"([^"]+)"', line)]  # fmt: skip
    scenarios = re.findall(r"\| `([a-z_]+\.yaml)` \|", text)
    pytest_refs = re.findall(r"`(tests/[a-z_]+\.py)::([a-z_]+)`", text)
    assert len(rules) >= 30 and len(named_cases) >= 30
    assert [r for r in rules if r not in known] == []
    assert [c for c in named_cases if c not in cases] == []
    assert all((ROOT / "scenarios" / s).exists() for s in scenarios)
    for file, function in pytest_refs:
        assert f"def {function}(" in (ROOT / file).read_text(encoding="utf-8"), function


def test_the_indicators_example_is_norrtaljes_and_its_run_writes_them(tmp_path):
    """docs/language.md, *Indicators*: the example is the model's own, and a run writes
    each indicator per provider-month or customer-month."""
    import polars as pl
    import yaml

    section = LANGUAGE[LANGUAGE.index("### Indicators") :]
    block = yaml.safe_load(section[section.index("```yaml\n") + 8 : section.index("```\n")])
    model = yaml.safe_load((ROOT / "rules/norrtalje/hemtjanst.yaml").read_text("utf-8"))
    for name, spec in block["indicators"].items():
        assert model["indicators"][name] == spec, name
    out = tmp_path / "out"
    args = ["run", "rules/norrtalje", "--data", "examples/orebro", "--month", "2024-03"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code in (0, 3), result.output
    found = pl.read_csv(out / "indicators.csv")
    declined = found.filter(pl.col("indicator") == "avböjda_besök")
    assert declined.height > 0 and declined["customer_id"].null_count() == declined.height
    share = found.filter(pl.col("indicator") == "utförd_andel_kund")
    assert share.height > 0 and set(share["unit"]) == {"%"}
    assert share["customer_id"].null_count() == 0


@pytest.mark.parametrize(
    "heading",
    [
        "**A column carepay's table already has**",
        "**A payment per row.**",
        "**A table without a key**",
        "**A parameter's range.**",
    ],
)
def test_the_declaration_examples_check_as_part_of_ekby(tmp_path, heading):
    """docs/language.md's examples of declaring a column of carepay's and an entity
    paid per row are what `examples/ekby` declares: each, in a file extending it,
    checks clean, and the first runs Ekby's month to the same total."""
    section = LANGUAGE[LANGUAGE.index(heading) :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n")]
    model = tmp_path / "variant.yaml"
    model.write_text(
        f"model: ekby-variant\ntitle: V\nextends: {ROOT / 'examples/ekby/model.yaml'}\n{block}",
        encoding="utf-8",
    )
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert checked.exit_code == 0 and "inga problem" in checked.output, checked.output
    args = ["run", str(model), "--data", str(ROOT / "examples/ekby/data"), "--month", "2026-10"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert ran.exit_code == 0, ran.output
    assert "30\u00a0246,06" in ran.output
