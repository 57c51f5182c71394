"""A test file of many cases is run by several processes (`testing.run_file`): the
results — passes, failures and errors, in the file's order — are those one process
gives. On a copy of examples/lovstad (35 cases) with one amount expected wrong and one
case whose month is no month."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import testing
from engine.cli import main
from engine.testing import run_file
from tests.harness import Recorder

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lovstad(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lovstad") / "lovstad"
    shutil.copytree(ROOT / "examples/lovstad", folder)
    tests = folder / "tests/lovstad_test.yaml"
    text = tests.read_text(encoding="utf-8")
    text = text.replace("K1: { hemtjänst: 420, nattavgifter: 0 }", "K1: { hemtjänst: 421 }", 1)
    text = text.replace(
        "  - name: kvällsbesök\n    month: 2024-12", "  - name: kvällsbesök\n    month: 2024-13", 1
    )
    tests.write_text(text, encoding="utf-8")
    return tests


def test_cases_run_by_two_processes_are_the_cases_run_by_one(lovstad):
    alone = run_file(lovstad, workers=1)
    shown = Recorder()
    shared = run_file(lovstad, shown, workers=2)
    assert shared == alone
    file = {"file": "lovstad_test.yaml"}  # each case a step, as one process shows them
    assert shown.events == [("stage", ("test", 35, file)), *[("advance", file)] * 35]
    assert len(alone) == 35
    assert [(r.name, r.passed) for r in alone[:3]] == [
        ("dagbesök en måndag", False),
        ("kvällsbesök", False),
        ("från dag till kväll (30 min var)", True),
    ]
    assert alone[0].failures == ["line 31: hemtjänst for K1: expected 421.00 SEK, got 420.00 SEK"]
    assert alone[1].error is not None and "2024-13" in alone[1].error
    assert all(r.passed for r in alone[2:])


@pytest.mark.parametrize(
    ("cases", "cores", "workers"),
    [(10, 8, 1), (23, 8, 1), (24, 8, 2), (35, 8, 2), (126, 8, 8), (126, 2, 2), (126, None, 1)],
)
def test_a_file_is_given_a_process_for_every_twelve_cases_up_to_the_cores(
    monkeypatch, cases, cores, workers
):
    monkeypatch.delenv(testing.WORKERS_VARIABLE, raising=False)
    monkeypatch.setattr(testing, "usable_cores", lambda: cores or 1)
    assert testing.case_workers(cases) == workers


@pytest.mark.parametrize(("given", "limit"), [("1", 1), ("3", 3), (" 2 ", 2), (None, 2), ("", 2)])
def test_carepay_workers_caps_the_processes(monkeypatch, given, limit):
    """A server whose cores are busy elsewhere (or a test suite run on every core) asks
    for fewer: `CAREPAY_WORKERS=1` runs every case in the process itself."""
    monkeypatch.setattr(testing, "usable_cores", lambda: 2)
    if given is None:
        monkeypatch.delenv(testing.WORKERS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(testing.WORKERS_VARIABLE, given)
    assert testing.process_limit() == limit
    assert testing.case_workers(126) == limit


@pytest.mark.parametrize("given", ["0", "-1", "två"])
def test_a_number_of_processes_that_is_none_is_said(monkeypatch, given):
    monkeypatch.setenv(testing.WORKERS_VARIABLE, given)
    with pytest.raises(ValueError, match="give a whole number of processes, 1 or more"):
        testing.process_limit()
    ran = CliRunner().invoke(main, ["test", str(ROOT / "examples/sjohamn/tests")])
    assert ran.exit_code == 2 and "CAREPAY_WORKERS" in ran.output  # said as a usage error


def test_workers_on_the_command_line(monkeypatch):
    monkeypatch.delenv(testing.WORKERS_VARIABLE, raising=False)
    ran = CliRunner().invoke(main, ["test", str(ROOT / "examples/sjohamn/tests"), "--workers", "1"])
    assert ran.exit_code == 0 and ran.output.splitlines()[-1] == "10 godkända, 0 underkända"
    refused = CliRunner().invoke(
        main, ["test", str(ROOT / "examples/sjohamn/tests"), "--workers", "0"]
    )
    assert refused.exit_code == 2 and "--workers" in refused.output


def test_the_cores_are_those_this_process_may_use(monkeypatch):
    """Not the machine's: `taskset -c 0` on a machine of eight gives one."""
    monkeypatch.setattr(testing.os, "cpu_count", lambda: 64)
    monkeypatch.setattr(testing.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert testing.usable_cores() == 2
    monkeypatch.delattr(testing.os, "sched_getaffinity")
    assert testing.usable_cores() == 64
