"""Random bytes and random mutations of valid rule files: `check` answers with
diagnostics, never with a traceback, and never hangs."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import check_files
from engine.source import FormulaOrigin
from engine.syntax import parse_formula

ROOT = Path(__file__).resolve().parent.parent
VALID = (ROOT / "examples/hemtjanst/model.yaml").read_text(encoding="utf-8")
ALPHABET = ":{}[]-#'\" \n\tåäö0123456789abc+*/()<>=%.,&|!@\\"

FUZZ = settings(
    max_examples=150,
    deadline=5000,  # milliseconds per example: a hang fails the test
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(tmp: Path, content: bytes) -> None:
    path = tmp / "model.yaml"
    path.write_bytes(content)
    diagnostics = check_files([path])
    for d in diagnostics:
        assert d.code and d.message  # every answer is a located, rendered diagnostic
        d.render()


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, content):
    _check(tmp_path_factory.mktemp("fuzz"), content)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    text = VALID
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
    result = parse_formula(text, FormulaOrigin.at("f.yaml", 1, 1))
    assert result is not None
