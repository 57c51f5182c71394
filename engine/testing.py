"""Model tests: YAML files of small input tables, a month, and the amounts a policy
reader computed by hand (OpenFisca's YAML tests, for compensation models).

    model: ../model.yaml
    defaults:
      input: {providers: [...], customers: [...]}
      columns: {visits: {staff_role: care, registration: tag}}   # filled into every row
    tests:
      - name: 40 % executed is paid in full
        month: 2024-03
        input: {decisions: [...], visits: [...]}
        output:
          customers: {K1: {omsorg: 3000, kontrollfaktor: 100 %}}
          providers: {P1: {momskompensation: 180}}
          premium_claim: {E1: {effektpremie: 3888}}   # any entity, by its key
          exclusions: {V1: sen_rättelse, V2: null}
          flags: {V3: långt_besök}
"""

from __future__ import annotations

import difflib
import multiprocessing
import os
import signal
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine import types as t
from engine.api import load, parse_month, run_model
from engine.catalog import CONTEXT_NAMES, Table, Vocabulary, as_written
from engine.checker import CheckedModel, fields_of
from engine.data import cell_text, dataset_from_rows, key_text
from engine.diagnostics import CODES, Diagnostic, Diagnostics, EngineError
from engine.explain import format_value, number_text
from engine.loader import LList, LMap, is_test_file, read_yaml, shape_of_model_test, split_quantity
from engine.model import Parameter, Rule
from engine.money import snap
from engine.names import ore_column
from engine.plan import month_bounds
from engine.progress import SILENT, Stages, each
from engine.source import Span


@dataclass
class CaseResult:
    file: str
    name: str
    span: Span
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


def find_test_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*.yaml")
                if not _hidden(p.relative_to(path)) and is_test_file(p)
            )
            out.extend(found)
        elif path.exists():
            out.append(path)
    return out


def _hidden(path: Path) -> bool:
    """In a hidden folder (the studio's .carepay-history of earlier versions)."""
    return any(part.startswith(".") for part in path.parts[:-1])


@dataclass
class ModelTestFile:
    """A test file read and its model loaded: what running one of its cases needs."""

    path: Path
    model_path: Path
    checked: CheckedModel
    tests: LList
    defaults: dict[str, Any]
    columns: dict[str, Any]

    def case(self, index: int) -> CaseResult:
        """Case `index` of the file, run."""
        case, span = self.tests[index], self.tests.value_spans[index]
        name = f"test {index + 1}"
        if isinstance(case, LMap):
            name = str(case.get("name", name))
        result = CaseResult(str(self.path), name, span)
        try:
            _run_case(self.checked, case, self.defaults, self.columns, result)
        except EngineError as error:
            result.error = _render(error.diagnostics)
        return result


def read_test_file(path: Path) -> ModelTestFile | CaseResult:
    """The file read and its model loaded, or what stops any case of it from running
    (said as the file's one result)."""
    diags = Diagnostics()
    data = read_yaml(path, diags)
    file = str(path)
    if diags.errors:  # a value YAML reads otherwise than written: `68,42`, a key given twice
        return CaseResult(file, path.name, Span(file, 1, 1), error=_render(list(diags)))
    if data is None or not isinstance(data, LMap) or "tests" not in data or "model" not in data:
        if not diags.errors:
            diags.error("schema", "a test file needs `model:` and `tests:`", Span(file, 1, 1))
        return CaseResult(file, path.name, Span(file, 1, 1), error=_render(list(diags)))
    shape_of_model_test(data, diags, path)
    if diags.errors:  # a row written as a text, a case as a list: said at its line
        return CaseResult(file, path.name, Span(file, 1, 1), error=_render(list(diags)))
    model_path = (path.parent / str(data["model"])).resolve()
    try:
        checked, _ = load(model_path)
    except EngineError as error:
        spans = data.value_spans["model"]
        return CaseResult(file, "(model)", spans, error=_render(error.diagnostics))
    tests = data["tests"] if isinstance(data["tests"], LList) else LList()
    if not tests:  # `tests: []`, or its cases lost to an indent: it passed, checking nothing
        where = data.key_spans["tests"]
        diags.error("schema", "the file has no cases: give `tests:` its cases", where)
        return CaseResult(file, path.name, where, error=_render(list(diags)))
    defaults = (data.get("defaults") or {}).get("input") or {}
    columns = (data.get("defaults") or {}).get("columns") or {}
    return ModelTestFile(path, model_path, checked, tests, defaults, columns)


def run_file(path: Path, stages: Stages = SILENT, workers: int | None = None) -> list[CaseResult]:
    """Every case of a model test file, run; `stages` shows each case as a step (Örebro's
    126 cases took some 15-19 s, which the terminal showed as nothing at all). A file of
    many cases is run by several processes (`case_workers`; `workers` sets how many):
    the cases are independent, and most of a case's time is Python's and Polars' cost
    per query on tables of a few rows, which one process cannot spread over cores."""
    return run_cases(read_test_file(path), stages, workers)


def run_cases(
    read: ModelTestFile | CaseResult, stages: Stages = SILENT, workers: int | None = None
) -> list[CaseResult]:
    """The cases of a test file already read (`read_test_file`), as `run_file` runs
    them; a file that could not be read is its one result."""
    if isinstance(read, CaseResult):
        return [read]
    path, count = read.path, len(read.tests)
    workers = case_workers(count) if workers is None else min(workers, count)

    def label(_: object) -> dict[str, object]:
        return {"file": path.name}

    if workers <= 1:
        return [read.case(i) for i in each(stages, "test", range(count), label)]
    context = multiprocessing.get_context("spawn")  # Polars' threads do not survive a fork
    pool = ProcessPoolExecutor(workers, context, _start_case_worker, (path,))
    try:
        futures = [pool.submit(_case_in_worker, i) for i in range(count)]
        return [future.result() for future in each(stages, "test", futures, label)]
    finally:  # on Ctrl-C the cases not begun are dropped, not waited for
        pool.shutdown(cancel_futures=True)


# A process's start (its imports and the model's load, about 0.5 s) is a few cases'
# time: a file is given one more process for every `CASES_PER_WORKER` cases.
CASES_PER_WORKER = 12


def case_workers(count: int) -> int:
    """How many processes run a file of `count` cases: one for every
    `CASES_PER_WORKER`, at most `process_limit()`."""
    return max(1, min(process_limit(), count // CASES_PER_WORKER))


WORKERS_VARIABLE = "CAREPAY_WORKERS"  # at most this many processes (1: none of their own)


def process_limit() -> int:
    """The most processes the cases (or a model's mutants) are run by: `CAREPAY_WORKERS`
    where it is set — 1 where something else already keeps the cores busy, as a test
    suite run on every core does — else the cores this process may use."""
    given = os.environ.get(WORKERS_VARIABLE, "")
    if not given.strip():  # unset, as the command line's option reads an empty one
        return usable_cores()
    if not given.strip().isdigit() or int(given) < 1:
        raise ValueError(
            f"{WORKERS_VARIABLE} is `{given}`: give a whole number of processes, 1 or more"
        )
    return int(given)


def usable_cores() -> int:
    """The cores this process may run on: a container's or `taskset`'s share, not the
    whole machine's (a server's 64 cores would have started ten processes on two)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


_WORKER_FILE: ModelTestFile | None = None  # the test file a worker process runs cases of


def _start_case_worker(path: Path) -> None:
    """A worker reads the file and loads its model once, for all the cases it runs;
    Ctrl-C is the parent's to handle (each worker printed a traceback of its own)."""
    global _WORKER_FILE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    read = read_test_file(path)
    _WORKER_FILE = read if isinstance(read, ModelTestFile) else None


def _case_in_worker(index: int) -> CaseResult:
    if _WORKER_FILE is None:  # the file or its model changed after the first read
        return CaseResult("", f"test {index + 1}", Span("", 1, 1), error=CHANGED_WHILE_RUN)
    return _WORKER_FILE.case(index)


CHANGED_WHILE_RUN = "the test file or its model changed while the cases ran: run them again"


def _render(items: list[Diagnostic]) -> str:
    return "\n".join(d.render() for d in items)


def _with_column_defaults(
    inputs: dict[str, Any], columns: dict[str, Any], tables: Mapping[str, Table]
) -> dict[str, Any]:
    """Rows with the file's default column values filled in where a row leaves them out,
    and before them the model's own `default:` of a column: a row of a test file is a
    file of its own, and one that leaves out a column with a default has no such column
    (one customer with `skyddad_adress: true` made every other customer's cell empty,
    and each was rejected). `null` writes an empty cell."""
    return {
        table: [
            {**_declared_defaults(tables.get(table)), **(columns.get(table) or {}), **row}
            for row in (rows or [])
        ]
        for table, rows in inputs.items()
    }


def _declared_defaults(table: Table | None) -> dict[str, Any]:
    if table is None:
        return {}
    return {name: c.default for name, c in table.columns.items() if c.default is not None}


def _run_case(
    checked: CheckedModel,
    case: Any,
    defaults: dict[str, Any],
    columns: dict[str, Any],
    result: CaseResult,
) -> None:
    if not isinstance(case, LMap) or "month" not in case:
        result.error = "a test needs `month:` (YYYY-MM)"
        return
    month = parse_month(str(case["month"]))
    result.failures += _unknown_codes(case)
    inputs = _with_column_defaults(
        {**defaults, **(case.get("input") or {})}, columns, checked.model.vocabulary.tables
    )
    expected_errors = case.get("errors")
    try:
        dataset = dataset_from_rows(
            inputs,
            zones=checked.model.zones,
            requirements=checked.model.data_requirements,
            known=checked.model.vocabulary.tables,
        )
    except EngineError as error:
        if expected_errors:
            _compare_errors(error.diagnostics, expected_errors, result)
            result.failures += _mistyped_columns(error.diagnostics, expected_errors)
            return
        raise
    try:
        ran = run_model(checked, dataset, [month])
        outcome = ran.months[0]
    except EngineError as error:  # the run stopped (a look-up that missed, …)
        if expected_errors:
            _compare_errors(error.diagnostics, expected_errors, result)
            return
        raise
    if expected_errors:
        result.failures.append(
            f"expected errors {list(expected_errors)}, but the data loaded and the month ran"
        )
        return
    short = [] if case.get("warnings") else ran.incomplete()
    if case.get("warnings"):
        _compare_errors(ran.warnings, case["warnings"], result, "warning")
    result.failures += [  # a case cannot pass on an amount the run says is short of a value
        f"the run warned [{w.code}] {w.message}; {_short_fix(w)}"
        f", or expect it: warnings: [{w.code}]"
        for w in short
    ]
    output = case.get("output") or LMap()
    if not output and not case.get("warnings"):
        result.failures.append(
            "the case checks nothing: give `output:` (or the `errors:` or `warnings:` it ends in)"
        )
    result.failures += _said_nothing(output)
    if isinstance(output.get("parameters"), LMap):
        _compare_parameters(checked, outcome.plan.params, output["parameters"], result)
    for section, entity, key in _output_sections(checked, output, result):
        for ident, expected in (output.get(section) or {}).items():
            if not isinstance(expected, LMap):
                continue  # said by `_said_nothing`
            frame = outcome.frames[entity].filter(key_text(key) == str(ident))
            span = output[section].value_spans[ident]
            if frame.height == 0:  # a misspelt key expecting 0 kr passed on nothing
                result.failures.append(_no_row(outcome.frames[entity], key, ident, span))
                continue
            party = {"customers": "customer_id", "providers": "provider_id"}.get(str(section))
            lines = outcome.lines.filter(pl.col(party) == str(ident)) if party else None
            for name, value in expected.items():
                _compare(
                    checked,
                    _with_paid_per_row(checked, frame, entity, str(name), lines),
                    str(ident),
                    name,
                    value,
                    expected.value_spans[name] if isinstance(expected, LMap) else span,
                    result,
                    entity,
                    month,
                )
    vocabulary = checked.model.vocabulary
    registrations = outcome.frames[vocabulary.roles.registration]
    visit_key = vocabulary.registration_key
    named = {
        "flags": [rule.name for rule in checked.model.flags],
        "exclusions": [rule.name for rule in checked.model.exclusions],
    }
    for section, names in named.items():
        for visit, rule in (output.get(section) or {}).items():
            if rule is not None and str(rule) not in names:
                result.failures.append(_no_such_rule(section, str(visit), str(rule), names))
    for visit, flag in (output.get("flags") or {}).items():
        if flag is None:  # no flag: it passed, asserting nothing, on any visit
            _expect_no_flag(result, registrations, visit_key, str(visit), named["flags"])
            continue
        if str(flag) not in named["flags"]:
            continue
        visits = registrations.filter(pl.col(visit_key) == str(visit))
        got = visits[str(flag)][0] if visits.height and str(flag) in visits.columns else None
        if got is not True:
            result.failures.append(f"visit {visit}: expected flag {flag}, it was not flagged")
    for visit, rule in (output.get("exclusions") or {}).items():
        if rule is not None and str(rule) not in named["exclusions"]:
            continue
        visits = registrations.filter(pl.col(visit_key) == str(visit))
        if visits.height == 0:
            result.failures.append(f"visit {visit}: not in the month")
            continue
        got = visits["excluded_by"][0] if "excluded_by" in visits.columns else None
        if (got or None) != (rule or None):
            result.failures.append(
                f"visit {visit}: expected {'excluded by ' + str(rule) if rule else 'counted'}, got {'excluded by ' + got if got else 'counted'}"
            )
    if result.failures and not case.get("warnings"):  # what else the run said may explain why
        result.failures += [
            f"the run warned: [{w.code}] {w.message}" for w in ran.warnings if w not in short
        ]


REGISTRATION_SECTIONS = ("flags", "exclusions")  # keyed by the registration's id


def _said_nothing(output: LMap) -> list[str]:
    """A section, or a row of one, that expects nothing — `customers:` with its rows
    lost to an indent, `K1:` with no value under it — fails: the first passed checking
    nothing, the second stopped `carepay test` with a traceback."""
    failures = []
    for section, rows in output.items():
        line = output.key_spans[section].line
        if not isinstance(rows, LMap) or not rows:
            failures.append(
                f"line {line}: `{section}:` expects nothing: give it what the case checks "
                "(indented under it), or leave it out"
            )
            continue
        if section in REGISTRATION_SECTIONS or section == "parameters":
            continue  # `V1: null` is a counted visit; a parameter's value is no mapping
        for ident, expected in rows.items():
            if not isinstance(expected, LMap) or not expected:
                failures.append(
                    f"line {rows.key_spans[ident].line}: `{ident}:` expects nothing: give the "
                    "values the case checks, as `{ hemtjänst: 450 }`"
                )
    return failures


def _compare_parameters(
    checked: CheckedModel, in_force: Mapping[str, Any], expected: LMap, result: CaseResult
) -> None:
    """`parameters:` of a case: a parameter's value in force in the case's month — a
    price after the indexation a source's section computes (400 × 1,022 rounded to 409
    kr) — and a table's cells by their keys, as a statement line's row writes them
    (`"tätort, 12"`). It could be checked only through an amount it paid."""
    parameters = checked.model.parameters
    for name, want in expected.items():
        where = f"line {expected.key_spans[name].line}"
        param = parameters.get(str(name))
        if param is None:
            close = difflib.get_close_matches(str(name), list(parameters), n=1)
            result.failures.append(
                f"{where}: `{name}` is not a parameter of the model"
                + (f"; did you mean `{close[0]}`?" if close else "")
            )
            continue
        value = in_force.get(param.name)
        if param.kind == "scalar":
            _compare_parameter(param, value, want, where, str(name), result)
        elif param.kind == "table" and isinstance(want, LMap):
            cells = value or {}
            for key, cell in want.items():
                parts = tuple(part.strip() for part in str(key).split(","))
                line = f"line {want.key_spans[key].line}"
                if parts not in cells and not param.has_otherwise:
                    result.failures.append(f"{line}: {_no_cell(param, cells, str(key))}")
                    continue
                got = cells.get(parts, param.otherwise)
                _compare_parameter(param, got, cell, line, f"{name}[{key}]", result)
        elif param.kind == "steps" and isinstance(want, LMap):
            _compare_brackets(param, value or [], want, result)
        elif param.kind == "table":
            keys = ", ".join(param.keys)
            result.failures.append(
                f"{where}: `{name}` is a table: expect its cells by their keys ({keys}), "
                f'e.g. {{"{", ".join(["…"] * len(param.keys))}": …}}'
            )
        elif param.kind == "steps":
            result.failures.append(f"{where}: {_brackets_named(param)}")
        else:
            result.failures.append(
                f"{where}: `{name}` is a {param.kind} parameter: expect what the model pays by it"
            )


def _compare_brackets(
    param: Parameter, brackets: list[tuple[Any, Any]], expected: LMap, result: CaseResult
) -> None:
    """A step table's brackets in force, named as `--set` names them: `"1"` the first
    bracket's value, `"1.up_to"` (or `"1.under"`) its bound — Örebro's relief bands after
    their indexation (5 200 × 1,044 = 5 428,80 → 5 429 kr) could be checked only
    through an amount they paid. A bare number of a bound is in the unit the table's
    bounds are written in (`12` of `up_to: 12 h` is 12 h)."""
    for key, want in expected.items():
        line = f"line {expected.key_spans[key].line}"
        place, _, bound = str(key).partition(".")
        named = place.isdigit() and 1 <= int(place) <= len(brackets)
        if not named or bound not in ("", param.bound_word):
            result.failures.append(f"{line}: `{key}`: {_brackets_named(param, len(brackets))}")
            continue
        limit, amount = brackets[int(place) - 1]
        if not bound:
            _compare_parameter(param, amount, want, line, f"{param.name}[{place}]", result)
            continue
        unit = param.bounds_unit  # a bare number is in it; a bare share is one (0.4), as ever
        bare = isinstance(want, int | float) and not isinstance(want, bool)
        if bare and unit in t.UNITS and unit != "%":
            want = f"{want} {unit}"
        typed = replace(param, type=param.bracket_type or param.type)
        _compare_parameter(typed, limit, want, line, f"{param.name}[{key}]", result)


def _brackets_named(param: Parameter, count: int | None = None) -> str:
    """How a case names a step table's brackets."""
    word = param.bound_word
    many = f"its {count} brackets" if count is not None else "its brackets"
    return (
        f"`{param.name}` is a step table: expect {many} by their place, "
        f'{{"1": …}} for the first one\'s value and {{"1.{word}": …}} for its bound'
    )


def _no_cell(param: Parameter, cells: Mapping[Any, Any], key: str) -> str:
    """A table's cell a case names that the table does not have, and the one it may mean."""
    written = [", ".join(map(str, k)) for k in cells]
    alike = [w for w, k in zip(written, cells, strict=True) if len(k) == len(key.split(","))]
    close = difflib.get_close_matches(key, alike, n=1)  # of as many keys
    return (
        f"`{param.name}` has no cell `{key}` (its keys: {', '.join(param.keys)}, written with "
        f'commas, as "{written[0] if written else "…"}")'
        + (f"; did you mean `{close[0]}`?" if close else "")
    )


def _compare_parameter(
    param: Parameter, got: Any, want: Any, where: str, name: str, result: CaseResult
) -> None:
    """One value in force (a scalar's, a table cell's) against the expected one."""
    if isinstance(param.type, t.Num):
        try:
            wanted = _expected_number(want, param.type, name)
        except UnfitExpectation as unfit:
            result.failures.append(f"{where}: {unfit}")
            return
        came = None if got is None else snap(Decimal(got))
        if wanted is None or came is None or snap(wanted) != came:
            result.failures.append(
                f"{where}: {name}: {_expected_and_got(wanted, came, param.type)}"
            )
    elif cell_text(got) != cell_text(want):
        result.failures.append(
            f"{where}: {name}: expected {as_written(want)}, got {as_written(got)}"
        )


def _output_sections(
    checked: CheckedModel, output: LMap, result: CaseResult
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(section, entity, key columns) of each expected section: `customers` and
    `providers` (the customer's and provider's month), or any entity by its name and
    its key (`premium_claim: {E1: …}`; a key of several columns as its values with
    commas, `insats: {"A, 2025-03-04": …}`, as a statement line's `row` names it); an
    unknown section is a failure."""
    vocabulary = checked.model.vocabulary
    roles = vocabulary.roles
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for section in output:
        if section in REGISTRATION_SECTIONS or section == "parameters":
            continue
        if section == "customers":
            out.append((section, roles.customer_month, ("customer_id",)))
            continue
        if section == "providers":
            out.append((section, roles.provider_month, ("provider_id",)))
            continue
        entity = vocabulary.entities.get(str(section))
        key = _key_of(vocabulary, str(section)) if entity else ()
        if not key:
            keyed = [e for e in vocabulary.entities if _key_of(vocabulary, e)]
            result.failures.append(
                f"line {output.key_spans[section].line}: `{section}` is not an output section: "
                "use customers, providers, flags, exclusions or an entity with a key ("
                + ", ".join(keyed)
                + ")"
            )
            continue
        out.append((str(section), str(section), key))
    return out


def _key_of(vocabulary: Vocabulary, entity: str) -> tuple[str, ...]:
    spec = vocabulary.entities[entity]
    return spec.key or (vocabulary.tables[spec.table].key if spec.table else ())


def _no_row(frame: pl.DataFrame, key: tuple[str, ...], ident: Any, span: Span) -> str:
    there = frame.select(key_text(key)).to_series().unique().sort().to_list()
    several = len(key) > 1  # each key written `"B1, 2027-03-12"`, the keys apart by `;`
    shown = ("; " if several else ", ").join(f'"{k}"' if several else str(k) for k in there[:8]) + (
        " …" if len(there) > 8 else ""
    )
    parts = sorted(p.strip() for p in str(ident).split(","))
    reordered = [k for k in there if sorted(p.strip() for p in str(k).split(",")) == parts]
    close = reordered[:1] or difflib.get_close_matches(str(ident), [str(k) for k in there], n=1)
    return (
        f"line {span.line}: no row `{ident}` this month, so nothing of it can be compared"
        + (f"; did you mean `{close[0]}`?" if close else "")
        + (f" (there are: {shown})" if shown else " (there are none)")
    )


def _with_paid_per_row(
    checked: CheckedModel, frame: pl.DataFrame, entity: str, name: str, lines: pl.DataFrame | None
) -> pl.DataFrame:
    """A customer's (a provider's) month with a payment made per row of another entity
    — a fee per visit, a premium per claim — as the sum of the month's lines of it for
    the customer (the provider), as the payment file's *Kunder* shows it: the month's
    frame has no such column, and the amount was taken as 0 kr."""
    rule = checked.model.rules.get(name)
    if rule is None or rule.kind != "payment" or rule.entity == entity or lines is None:
        return frame
    paid = int(lines.filter(pl.col("payment") == name)["amount_ore"].sum() or 0)
    return frame.head(1).with_columns(pl.lit(paid, pl.Int64).alias(ore_column(name)))


def _compare(
    checked: CheckedModel,
    frame: pl.DataFrame,
    ident: str,
    name: str,
    expected: Any,
    span: Span,
    result: CaseResult,
    entity: str,
    month: date,
) -> None:
    rule = checked.model.rules.get(name)
    where = f"line {span.line}"
    if rule is None:
        _compare_field(checked, frame, ident, name, expected, where, result, entity, month)
        return
    idle = _not_in_force(rule, month)
    if rule.kind == "payment" and rule.entity != entity and ore_column(name) not in frame.columns:
        roles = checked.model.vocabulary.roles
        per_row = rule.entity not in (roles.customer_month, roles.provider_month)
        result.failures.append(  # it was taken as 0 kr: a case expecting 0 passed on nothing
            f"{where}: `{name}` is paid per {rule.entity}, not per {entity}: expect it "
            + (f"under `{rule.entity}` by the row's key, or " if per_row else "")
            + "under `customers` or `providers`"
        )
        return
    typ = checked.rule_types.get(name, t.UNKNOWN)
    try:
        want = _expected_number(expected, typ, name) if isinstance(typ, t.Num) else None
    except UnfitExpectation as unfit:
        result.failures.append(f"{where}: {unfit}")
        return
    if rule.kind == "payment":
        column = ore_column(name)
        got_ore = int(frame[column].fill_null(0).sum()) if column in frame.columns else 0
        if want is None:
            result.failures.append(f"{where}: `{as_written(expected)}` is not an amount")
            return
        if want * 100 != (want * 100).to_integral_value():  # 58.333 is no amount paid
            result.failures.append(
                f"{where}: `{expected}` is not a whole number of öre: a payment is paid in "
                f"öre ({format_value(Decimal(got_ore) / 100, typ)} came)"
            )
            return
        want_ore = int(want * 100)
        if got_ore != want_ore:
            result.failures.append(
                f"{where}: {name} for {ident}: {_expected_and_got(want, Decimal(got_ore) / 100, typ)}"
                + (f": {idle}" if idle else "")
            )
        return
    if idle and name not in frame.columns:  # it was "has 1 rows this month"
        result.failures.append(f"{where}: {idle}: it has no value to expect")
        return
    if rule.entity != entity and name not in frame.columns:  # as above, "has 1 rows"
        result.failures.append(f"{where}: {_elsewhere(checked, rule)}")
        return
    _compare_value(frame, ident, name, expected, typ, want, where, result)


def _compare_field(
    checked: CheckedModel,
    frame: pl.DataFrame,
    ident: str,
    name: str,
    expected: Any,
    where: str,
    result: CaseResult,
    entity: str,
    month: date,
) -> None:
    """A field of the row — a column of its table, or what carepay adds (`zone`,
    `counted`, a day's `day_number`, the month's `days_in_month`) — expected as a
    definition is: the field a rule turns on is worth a case of its own (a decision's
    days numbered from its start in an earlier month), and it was "not a definition or
    payment of the model"."""
    column = fields_of(checked.model.vocabulary, entity).get(name)
    typ = CONTEXT_NAMES.get(name) or (column.type if column is not None else None)
    if name in CONTEXT_NAMES:
        first, last, days = month_bounds(month)
        value = {"month_start": first, "month_end": last, "days_in_month": days}[name]
        frame = frame.with_columns(pl.lit(value).alias(name))
    if typ is None:
        elsewhere = (
            f": it is a parameter, whose value in force a case expects under `parameters:` "
            f"({name}: …)"
            if name in checked.model.parameters
            else ""
        )
        result.failures.append(
            f"{where}: `{name}` is not a definition, payment or field of {entity}{elsewhere}"
        )
        return
    if name not in frame.columns:
        result.failures.append(
            f"{where}: `{name}` is a field of {entity} that no rule of the model reads, so "
            "the run does not keep it: expect what a rule makes of it"
        )
        return
    try:
        want = _expected_number(expected, typ, name) if isinstance(typ, t.Num) else None
    except UnfitExpectation as unfit:
        result.failures.append(f"{where}: {unfit}")
        return
    _compare_value(frame, ident, name, expected, typ, want, where, result)


def _short_fix(warning: Diagnostic) -> str:
    """What a case whose run is short of a value does about it."""
    if warning.code == "unpaired-rows" and warning.hint:
        return warning.hint  # the month rule to write
    return (
        "give the year its dates" if warning.code == "stale-calendar" else "give the row its value"
    )


def _expected_and_got(want: Decimal | None, got: Decimal | None, typ: t.Type) -> str:
    """A failure's two values, shown so that they differ: as explain shows them (a
    share to two decimals of a per cent), or, where that shows the same, to the
    millionth the engine computes in (`9.6775 %` against `9.6774 %`)."""
    expected, came = format_value(want, typ), format_value(got, typ)
    if expected == came and want is not None and got is not None:
        num, den = t.display_factor(typ)
        unit = t.display_unit(typ)
        expected, came = (
            f"{number_text(value * num / den)} {unit}".rstrip() for value in (want, got)
        )
    return f"expected {expected}, got {came}"


def _compare_value(
    frame: pl.DataFrame,
    ident: str,
    name: str,
    expected: Any,
    typ: t.Type,
    want: Decimal | None,
    where: str,
    result: CaseResult,
) -> None:
    """The row's value of a definition or field against the expected one."""
    if frame.height != 1 or name not in frame.columns:
        result.failures.append(
            f"{where}: {ident} has {frame.height} rows this month; cannot read `{name}`"
        )
        return
    got = frame[name][0]
    if isinstance(typ, t.Num):
        got_d = None if got is None else snap(Decimal(repr(float(got))))
        if want is None and expected is not None:
            result.failures.append(f"{where}: `{as_written(expected)}` is not a number")
        elif (want is None) != (got_d is None) or (
            want is not None and got_d is not None and snap(want) != got_d
        ):
            result.failures.append(
                f"{where}: {name} for {ident}: {_expected_and_got(want, got_d, typ)}"
            )
        return
    if isinstance(typ, t.DateTime) and isinstance(got, datetime):
        got, expected = _as_moment(got), _as_moment(expected)
    if cell_text(got) != cell_text(expected):
        result.failures.append(
            f"{where}: {name} for {ident}: expected {as_written(expected)}, got {as_written(got)}"
        )


def _as_moment(value: Any) -> Any:
    """An expected date and time as the data writes it, `2027-03-02 08:00` (YAML reads
    one with seconds as a datetime, and `T` for the space is the same moment)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (value.strftime(":%S") if value.second else "")
    if isinstance(value, str):
        try:
            return _as_moment(datetime.fromisoformat(value.strip()))
        except ValueError:
            return value
    return value


def _elsewhere(checked: CheckedModel, rule: Rule) -> str:
    """Where a definition of another entity is expected: a visit's under `visit:` by its
    key, a customer's month's under `customers:` — a visit's `minuter` expected of a
    customer was "K1 has 1 rows this month; cannot read `minuter`"."""
    vocabulary = checked.model.vocabulary
    roles = vocabulary.roles
    section = {roles.customer_month: "customers", roles.provider_month: "providers"}.get(
        rule.entity, rule.entity
    )
    said = f"`{rule.name}` is a definition of {rule.entity}"
    if section != rule.entity or _key_of(vocabulary, rule.entity):
        return f"{said}: expect it under `{section}`" + (
            " by the row's key" if section == rule.entity else ""
        )
    return f"{said}, whose rows have no key to expect it by: expect what it adds up to"


def _not_in_force(rule: Rule, month: date) -> str | None:
    """Why a case's month has no value of the rule — a start-up fee is not in force in
    2027-07 (to 2027-06-30) — or None where one of its versions is in force: a rule that
    ended before the month pays nothing, and a case expecting its amount was told only
    that 0 kr came."""
    if any(version.in_force(month) for version in rule.versions):
        return None
    periods = [
        " ".join(
            ([f"from {v.valid_from}"] if v.valid_from else [])
            + ([f"to {v.valid_to}"] if v.valid_to else [])
        )
        for v in rule.versions
    ]
    return f"`{rule.name}` is not in force in {month:%Y-%m} ({'; '.join(periods)})"


class UnfitExpectation(Exception):
    """An expected value written in a unit the rule's value cannot have (`500 min` for
    an amount) or in no unit carepay knows: it was read as the bare number and passed."""


def _expected_number(value: Any, typ: t.Num, name: str) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = Decimal(str(value))
        if not number.is_finite():  # YAML's `.inf`, `.nan`: `carepay test` stopped with a traceback
            raise UnfitExpectation(f"`{value}` is no value `{name}` can have: write a number")
        unit = t.display_unit(typ)
        if unit in ("%",):
            unit = ""  # a bare number for a ratio means the ratio itself (0.4), "40 %" means 40 %
    else:
        parts = split_quantity(str(value))
        if parts is None:
            return None
        number, unit = parts[0], parts[1] or ""
        if unit and unit not in t.UNITS:
            raise UnfitExpectation(
                f"`{value}`: `{unit}` is no unit carepay knows (SEK, kr, min, h, days, %, SEK/h …)"
            )
        if unit and not t.UNITS[unit][0].same_dimension(typ):
            raise UnfitExpectation(
                f"`{value}` is {t.describe(t.UNITS[unit][0])}, but `{name}` is {t.describe(typ)}"
            )
    if unit and unit in t.UNITS:
        num, den = t.unit_factor(unit)
        return number * num / den
    return number


def _expect_no_flag(
    result: CaseResult, registrations: pl.DataFrame, key: str, visit: str, flags: list[str]
) -> None:
    """`flags: {V1: null}`: the visit is in the month and no flag marked it."""
    visits = registrations.filter(pl.col(key) == visit)
    if visits.height == 0:
        result.failures.append(f"visit {visit}: not in the month")
        return
    marked = [f for f in flags if f in visits.columns and visits[f][0] is True]
    if marked:
        result.failures.append(
            f"visit {visit}: expected no flag, it was flagged {', '.join(marked)}"
        )


def _mistyped_columns(got: list[Diagnostic], expected: Any) -> list[str]:
    """A column of the case's own rows that its table does not declare — `{ decision_id
    B1, … }`, a colon lost, or `hours_per_mont` — is the file's mistake, not the error
    the case expects: a case expecting `missing-value` passed on the row it had spoilt."""
    codes = {item.get("code") if isinstance(item, dict) else str(item) for item in expected}
    if "undeclared-column" in codes:
        return []
    return [d.render() for d in got if d.code == "undeclared-column"]


def _no_such_rule(section: str, visit: str, rule: str, names: list[str]) -> str:
    """A flag or exclusion a case expects that the model does not have: it failed as
    "expected flag långt, it was not flagged", as if the visit were at fault."""
    close = difflib.get_close_matches(rule, names, n=1)
    kind = "flag" if section == "flags" else "exclusion"
    there = ", ".join(names) or "none"
    return f"visit {visit}: `{rule}` is no {kind} of the model" + (
        f"; did you mean `{close[0]}`?" if close else f" (its {section}: {there})"
    )


def _unknown_codes(case: LMap) -> list[str]:
    """Codes a case expects (`errors:`, `warnings:`) that carepay never gives: the case
    failed saying "expected errors ['lookup-misss'], but the data loaded", as if the
    model were wrong."""
    out = []
    for section in ("errors", "warnings"):
        for item in case.get(section) or []:
            code = item.get("code") if isinstance(item, dict) else str(item)
            if code not in CODES:
                close = difflib.get_close_matches(str(code), list(CODES), n=1)
                out.append(
                    f"`{code}` under `{section}:` is no code carepay gives"
                    + (f"; did you mean `{close[0]}`?" if close else " (docs/errors.md)")
                )
    return out


def _said_at(said: str | None, where: Any) -> bool:
    """Whether a diagnostic said at `said` (`visits:12:end`) is at the place a case
    expects: the whole place, or a row or table of it (`visits:1`) — whole parts, so
    that `visits:1` is not found in `visits:12:end`, a case passing on another row."""
    if where is None:
        return True
    place, expected = said or "", str(where).strip()
    return place == expected or place.startswith(expected + ":")


def _compare_errors(
    got: list[Diagnostic], expected: Any, result: CaseResult, kind: str = "error"
) -> None:
    for item in expected:
        code = item.get("code") if isinstance(item, dict) else str(item)
        where = item.get("where") if isinstance(item, dict) else None
        if code not in CODES:  # said once, by `_unknown_codes`
            continue
        if where is not None and not str(where).strip():
            result.failures.append(
                f"the `{code}` {kind} expected has a blank `where:`: say where, as "
                '"visits:1:end", or leave `where:` out'
            )
            continue
        if not any(d.code == code and _said_at(d.where, where) for d in got):
            result.failures.append(
                f"expected a `{code}` {kind}{' at ' + str(where) if where else ''}; got: "
                + ("; ".join(f"{d.code} at {d.where}" for d in got) or f"no {kind}")
            )
