"""A model open for editing — the studio's state, with no web in it.

The data are read once; each edit of the model's rule files (as typed, never yet on
disk) is checked, and when it checks clean it is run on those data and compared with
the model as saved: totals per provider and category, winners and losers. Saving
writes one of the model's own files atomically and keeps the previous version. Every
answer is plain data (dicts, lists, ints in öre), ready for JSON.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from engine.api import (
    RunResult,
    data_needs,
    explain_loaded,
    load,
    load_dataset,
    run_model,
    with_data_zones,
)
from engine.checker import CheckedModel
from engine.compare import (
    Comparison,
    compare_results,
    districts_differences,
    reading_differences,
    rejected_for_one,
    sweep,
    sweep_values,
)
from engine.data import Dataset
from engine.diagnostics import Diagnostic, Diagnostics, EngineError
from engine.explain import render_tree
from engine.letter import letters, render_text
from engine.loader import LList, LMap, model_source, read_yaml
from engine.modeldiff import diff_models, render, sentences_sv
from engine.source import Span
from engine.testing import find_test_files, run_file

HISTORY = ".carepay-history"  # previous versions of saved files, beside them
MAX_SWEEP_VALUES = 41


@dataclass
class Edit:
    """The last edit that checked clean: its model and what it pays."""

    checked: CheckedModel
    result: RunResult
    source: LMap | None = None  # its YAML as written, `extends` followed (saved model)
    dataset: Dataset | None = None  # the data as it reads it, where not the workspace's


@dataclass
class Workspace:
    model: Path  # the model's rule file
    folder: Path  # the only folder files are read from and written to
    months: list[date]
    dataset: Dataset
    saved: Edit  # the model as it is on disk
    current: Edit
    lock: threading.Lock = field(default_factory=threading.Lock)
    _compared: tuple[Edit, Edit, Comparison] | None = None
    data_warnings: list[Diagnostic] = field(default_factory=list)  # rows set aside on reading
    data: Path | None = None  # where the data was read from (read again for an edit that
    # reads it otherwise: `dataset_for`)
    read_for: CheckedModel | None = None  # the model `dataset` was read for
    # the last data read again for an edit: the model it was read for, the data, warnings
    _reread: tuple[CheckedModel, Dataset, list[Diagnostic]] | None = None

    def comparison(self) -> Comparison:
        """The current edit against the saved model, computed once for each pair."""
        known = self._compared
        if known is not None and known[0] is self.saved and known[1] is self.current:
            return known[2]
        both = compare_results(
            self.saved.result, self.current.result, self.dataset, "sparad", "ändrad"
        )
        self._compared = (self.saved, self.current, both)
        return both

    def files(self) -> list[Path]:
        """The model's own files: the rule files of its folder and their tests."""
        return own_files(self.folder)

    def own(self, name: str) -> Path | None:
        """The file `name` (relative to the folder) if it is one of the model's own."""
        wanted = (self.folder / name).resolve()
        return next((p for p in self.files() if p.resolve() == wanted), None)


def own_files(folder: Path) -> list[Path]:
    found = sorted(folder.glob("*.yaml")) + sorted((folder / "tests").glob("*.yaml"))
    return [p for p in found if p.is_file() and not p.is_symlink()]


def model_file(model: Path) -> Path:
    """A model folder's one rule file (as `carepay run` takes it), or the file given."""
    if model.is_dir():
        candidates = sorted(p for p in model.glob("*.yaml") if not p.name.startswith("_"))
        if len(candidates) != 1:
            raise EngineError(
                [
                    Diagnostic(
                        "file-not-found", f"{model} holds {len(candidates)} model files; name one"
                    )
                ]
            )
        return candidates[0]
    return model


def open_workspace(model: Path, data: Path, months: list[date]) -> Workspace:
    """Load the model as saved and the data (once), and run it: the baseline of every
    edit."""
    path = model_file(model)
    checked, _ = load(path, months)
    dataset, data_warnings = load_dataset(checked, data)
    checked = with_data_zones(checked, dataset)
    result = run_model(checked, dataset, months)
    saved = Edit(checked, result, model_source(path))
    return Workspace(
        path,
        path.parent,
        months,
        dataset,
        saved,
        saved,
        data_warnings=data_warnings,
        data=data,
        read_for=checked,
    )


def dataset_for(ws: Workspace, checked: CheckedModel) -> tuple[Dataset, list[Diagnostic]]:
    """The data as the model `checked` reads it, and the warnings of its reading: the
    workspace's, where the model reads the tables and columns the workspace's model read
    and by the same rules; else the last data read again for an edit, where it reads as
    that edit did; else read again for it. An edit to `max_hours: 5` showed what the
    saved reading paid (6 549,05 kr) where a fresh run of it pays 5 349,05, and one
    reading a column the saved model does not stopped with Polars' "unable to find
    column"; one placing a district the saved model rejects, or no longer declaring a
    column a row was rejected for, still rejected the row. The data read again was
    kept by the words of the difference alone: after an edit applying a data
    requirement to every decision, one changing only the requirement's reason was paid
    with the first edit's rejects (3 945 kr for a provider a fresh run pays 4 475)."""
    base = ws.read_for
    if ws.data is None or base is None or _serves(base, ws.dataset, checked):
        return ws.dataset, ws.data_warnings
    if ws._reread is not None and _serves(ws._reread[0], ws._reread[1], checked):
        return ws._reread[1], ws._reread[2]
    dataset, warnings = load_dataset(checked, ws.data)
    ws._reread = (checked, dataset, warnings)
    return dataset, warnings


def _serves(read_for: CheckedModel, dataset: Dataset, checked: CheckedModel) -> bool:
    """Whether `dataset`, read for the model `read_for`, is the data as `checked` reads
    it: the tables and columns `checked` reads were read, by the same rules (ranges,
    codes, requirements, zones), and no row was rejected for a column one of the two
    alone checks."""
    had, needs = data_needs(read_for), data_needs(checked)
    if not all(columns <= had.get(table, set()) for table, columns in needs.items()):
        return False
    differences = reading_differences(read_for, checked)
    differences += districts_differences(read_for, checked)
    return not differences and not rejected_for_one(read_for, checked, dataset)


def _data_of(ws: Workspace, edit: Edit) -> Dataset:
    return edit.dataset if edit.dataset is not None else ws.dataset


# ----------------------------------------------------------------------------- editing


def _overlay(ws: Workspace, texts: dict[str, str]) -> dict[Path, str]:
    """The edited texts by resolved path, only for the model's own files."""
    out = {}
    for name, text in texts.items():
        path = ws.own(name)
        if path is None:
            raise EngineError(
                [Diagnostic("file-not-found", f"`{name}` is not a file of this model")]
            )
        out[path.resolve()] = text
    return out


def check_texts(
    ws: Workspace, texts: dict[str, str]
) -> tuple[CheckedModel | None, list[Diagnostic]]:
    """The model as typed, checked: every diagnostic at once (None if it has errors)."""
    overlay = _overlay(ws, texts)  # a file not the model's own is refused, not checked
    try:
        checked, warnings = load(ws.model, ws.months, texts=overlay)
    except EngineError as error:
        return None, error.diagnostics
    return checked, warnings


def edit(ws: Workspace, texts: dict[str, str]) -> dict[str, Any]:
    """Check the texts; when clean, run them and compare with the saved model."""
    checked, diagnostics = check_texts(ws, texts)
    answer: dict[str, Any] = {
        "diagnostics": [diagnostic_json(ws, d) for d in diagnostics],
        "ok": checked is not None,
    }
    if checked is None:
        return answer
    changed = changed_parameters(ws, texts)
    try:
        with ws.lock:
            dataset, read = dataset_for(ws, checked)
            checked = with_data_zones(checked, dataset)
            if changed is None or dataset is not ws.dataset:
                result = run_model(checked, dataset, ws.months)
            else:  # only rules that use a changed value are evaluated again (as sweeps)
                result = run_model(
                    checked, dataset, ws.months, reuse=ws.saved.result, changed=changed
                )
            ws.current = Edit(checked, result, dataset=dataset)
    except EngineError as error:
        answer["ok"] = False
        answer["diagnostics"] += [diagnostic_json(ws, d) for d in error.diagnostics]
        return answer
    # what the run set aside or left out (rejected rows, values missing where an amount
    # needed them), beside what the checker said: the editor marks them where they are
    said = {d.render() for d in diagnostics}
    answer["diagnostics"] += [
        diagnostic_json(ws, d) for d in [*read, *result.warnings] if d.render() not in said
    ]
    answer["results"] = results(ws)
    return answer


def changed_parameters(ws: Workspace, texts: dict[str, str]) -> frozenset[str] | None:
    """The parameters whose values an edit changes, when nothing else in the model
    differs from the saved one (as written, `extends` followed); None when anything
    else does, and the whole model is evaluated again."""
    before = ws.saved.source
    after = model_source(ws.model, _overlay(ws, texts))
    if before is None or after is None:
        return None
    rest = [{k: v for k, v in data.items() if k != "parameters"} for data in (before, after)]
    if rest[0] != rest[1]:
        return None
    old, new = before.get("parameters") or {}, after.get("parameters") or {}
    if not isinstance(old, dict) or not isinstance(new, dict) or set(old) != set(new):
        return None
    return frozenset(name for name in old if old[name] != new[name])


def diagnostic_json(ws: Workspace, d: Diagnostic) -> dict[str, Any]:
    """A diagnostic located in one of the model's files (relative name), for the editor."""
    span = d.span
    file = _relative(ws, span.file) if span is not None else None
    return {
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "file": file,
        "line": span.line if span else None,
        "col": span.col if span else None,
        "end_line": (span.end_line or span.line) if span else None,
        "end_col": (span.end_col or span.col) if span else None,
        "where": f"{file}:{span.line}:{span.col}" if span else d.where,
    }


def _relative(ws: Workspace, file: str) -> str:
    try:
        return str(Path(file).resolve().relative_to(ws.folder.resolve()))
    except ValueError:
        return file


# ----------------------------------------------------------------------------- results


def results(ws: Workspace) -> dict[str, Any]:
    """The edit's totals per provider and category beside the saved model's, and the
    customers who gain and lose most (öre, exact)."""
    comparison = ws.comparison()
    providers = comparison.providers.fill_null("").to_dicts()
    categories = (
        comparison.categories.group_by("category")
        .agg(pl.col("amount_a_ore").sum(), pl.col("amount_b_ore").sum(), pl.col("diff_ore").sum())
        .sort("category")
        .to_dicts()
    )
    people = comparison.customers.filter(pl.col("customer_id").is_not_null())
    changed = people.filter(pl.col("diff_ore") != 0)
    gain, lose = changed.sort("diff_ore", descending=True), changed.sort("diff_ore")
    keep = ["month", "customer_id", "provider_id", "amount_a_ore", "amount_b_ore", "diff_ore"]
    return {
        "total": {
            "saved_ore": int(comparison.providers["amount_a_ore"].sum()),
            "edited_ore": int(comparison.providers["amount_b_ore"].sum()),
            "diff_ore": int(comparison.providers["diff_ore"].sum()),
        },
        "by_provider": [_row(r) for r in providers],
        "categories": [_row(r) for r in categories],
        "counts": comparison.counts(),
        "providers_more": [
            _row(r) for r in sorted(providers, key=lambda r: -r["diff_ore"]) if r["diff_ore"] > 0
        ],
        "providers_less": [
            _row(r) for r in sorted(providers, key=lambda r: r["diff_ore"]) if r["diff_ore"] < 0
        ],
        "winners": [
            _row(r) for r in gain.filter(pl.col("diff_ore") > 0).head(10).select(keep).to_dicts()
        ],
        "losers": [
            _row(r) for r in lose.filter(pl.col("diff_ore") < 0).head(10).select(keep).to_dicts()
        ],
    }


def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A table row with the öre columns under short names and months as text."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = {"amount_a_ore": "saved_ore", "amount_b_ore": "edited_ore"}.get(key, key)
        out[name] = value.strftime("%Y-%m") if isinstance(value, date) else value
    return out


def customers_of(ws: Workspace, provider: str) -> list[dict[str, Any]]:
    """One provider's customer-months: what the saved model and the edit pay each."""
    comparison = ws.comparison()
    rows = comparison.customers.filter(
        (pl.col("provider_id") == provider) & pl.col("customer_id").is_not_null()
    ).sort("month", "customer_id")
    keep = ["month", "customer_id", "amount_a_ore", "amount_b_ore", "diff_ore"]
    return [_row(r) for r in rows.select(keep).to_dicts()]


def explanation(ws: Workspace, customer: str, month: date) -> dict[str, Any]:
    """One customer-month of the edit: the Swedish letter and the formula tree (in
    Swedish too, as the studio's page), with the visits not counted."""
    result = ws.current.result
    found = [x for x in letters(result, customer=customer) if x.month == f"{month:%Y-%m}"]
    heading, rows = explain_loaded(
        ws.current.checked, _data_of(ws, ws.current), month, customer, lang="sv"
    )
    # a row with nothing paid (the customer's month of a customer paid only per row,
    # an escort) is no tree of its own: it was the heading alone above the escort's
    paid = [traces for _, traces in rows if traces] or [[]]
    tree = "\n\n".join(render_tree(traces, heading, "sv") for traces in paid)
    return {
        "letter": render_text(found),
        "tree": tree,
        "not_counted": [
            {"id": v.visit, "start": str(v.start), "reason": v.reason}
            for x in found
            for v in x.not_counted
        ],
    }


# ----------------------------------------------------------------------------- parameters


def _texts_of(ws: Workspace, texts: dict[str, str]) -> dict[Path, str]:
    """Every own rule file's text: as typed where given, else as on disk."""
    out = {}
    for path in ws.files():
        name = str(path.relative_to(ws.folder))
        out[path] = texts[name] if name in texts else path.read_text(encoding="utf-8-sig")
    return out


def parameter_panel(ws: Workspace, texts: dict[str, str]) -> list[dict[str, Any]]:
    """Each parameter of the model's own rule files with its unit, source and every
    value as written (one field per value: a date's value, a table cell, a bracket's
    bound or value), located so that a new value replaces exactly that text."""
    out = []
    for path, text in _texts_of(ws, texts).items():
        if path.parent != ws.folder:
            continue  # tests
        data = read_yaml(path, Diagnostics(), {path.resolve(): text})
        params = data.get("parameters") if isinstance(data, LMap) else None
        if not isinstance(params, LMap):
            continue
        lines = text.splitlines()
        for name, spec in params.items():
            if not isinstance(spec, LMap) or "values" not in spec:
                continue
            values = []
            for keys, span in _leaves(spec["values"], ["values"], spec.value_spans["values"]):
                written = _written(lines, span)
                if written is not None:
                    values.append({"path": keys, "text": written, "line": span.line})
            # a file extending another may give a parameter's new values alone: its unit,
            # description and source are the parent's (a panel showed 420 with no unit)
            known = ws.current.checked.model.parameters.get(name)
            unit, description, source = (
                (known.unit, known.description, known.source or "") if known else ("", "", "")
            )
            out.append(
                {
                    "name": name,
                    "unit": str(spec.get("unit", unit)),
                    "description": str(spec.get("description", description)),
                    "source": str(spec.get("source", source)),
                    "file": str(path.relative_to(ws.folder)),
                    "line": params.key_spans[name].line,
                    "values": values,
                }
            )
    return out


def _leaves(node: Any, keys: list[Any], span: Span) -> list[tuple[list[Any], Span]]:
    if isinstance(node, LMap):
        return [
            leaf for k, v in node.items() for leaf in _leaves(v, [*keys, k], node.value_spans[k])
        ]
    if isinstance(node, LList):
        return [
            leaf for i, v in enumerate(node) for leaf in _leaves(v, [*keys, i], node.value_spans[i])
        ]
    return [(keys, span)]


def _written(lines: list[str], span: Span) -> str | None:
    """A scalar's text as written, if it is on one line (a block is edited in the editor)."""
    if span.end_col is None or span.end_line != span.line or span.line > len(lines):
        return None
    return lines[span.line - 1][span.col - 1 : span.end_col]  # end_col: the last column


def set_value(
    ws: Workspace, texts: dict[str, str], file: str, name: str, keys: list[Any], value: str
) -> str:
    """The file's text with one parameter value replaced where it is written; the
    result is checked as any edit is (a bad value is a located error there)."""
    if "\n" in value or "\r" in value or not value.strip():
        raise EngineError([Diagnostic("bad-value", "a value is one line of text")])
    path = ws.own(file)
    if path is None or path.parent != ws.folder:
        raise EngineError(
            [Diagnostic("file-not-found", f"`{file}` is not a rule file of this model")]
        )
    text = texts[file] if file in texts else path.read_text(encoding="utf-8-sig")
    data = read_yaml(path, Diagnostics(), {path.resolve(): text})
    params = data.get("parameters") if isinstance(data, LMap) else None
    spec = params.get(name) if isinstance(params, LMap) else None
    if isinstance(spec, LMap) and "values" in spec:
        lines = text.splitlines()
        for leaf_keys, span in _leaves(spec["values"], ["values"], spec.value_spans["values"]):
            if leaf_keys == keys and _written(lines, span) is not None:
                return _replaced(text, span, value.strip())
    raise EngineError([Diagnostic("bad-value", f"no value of `{name}` at {keys}")])


def _replaced(text: str, span: Span, value: str) -> str:
    lines = text.splitlines(keepends=True)
    line = lines[span.line - 1]
    assert span.end_col is not None
    lines[span.line - 1] = line[: span.col - 1] + value + line[span.end_col :]
    return "".join(lines)


# ----------------------------------------------------------------------------- saving


def diff_words(ws: Workspace, file: str, text: str) -> dict[str, Any]:
    """What saving `text` as `file` changes, in committee words (`carepay diff`)."""
    checked, diagnostics = check_texts(ws, {file: text})
    if checked is None:
        return {"ok": False, "diagnostics": [diagnostic_json(ws, d) for d in diagnostics]}
    old = ws.saved.checked.model
    changes = diff_models(old, checked.model, "sv")
    return {
        "ok": True,
        "sentences": sentences_sv(changes),
        "text": render(changes, old, checked.model, "sv"),
    }


def save(ws: Workspace, file: str, text: str) -> dict[str, Any]:
    """Write one of the model's own files atomically, keeping the previous version
    under .carepay-history/, then run the model's tests; the saved model becomes the
    baseline of later edits."""
    path = ws.own(file)
    if path is None:
        raise EngineError([Diagnostic("file-not-found", f"`{file}` is not a file of this model")])
    history = path.parent / HISTORY
    history.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = history / f"{path.stem}.{stamp}{path.suffix}"
    kept.write_bytes(path.read_bytes())
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    answer: dict[str, Any] = {"saved": file, "previous": str(kept.relative_to(ws.folder))}
    try:
        checked, _ = load(ws.model, ws.months)
        with ws.lock:
            dataset, read = dataset_for(ws, checked)
            checked = with_data_zones(checked, dataset)
            result = run_model(checked, dataset, ws.months)
            ws.saved = Edit(checked, result, model_source(ws.model))
            if dataset is not ws.dataset:  # the saved model's reading is the baseline now
                ws.dataset, ws.data_warnings, ws.read_for = dataset, read, checked
    except EngineError as error:
        answer["diagnostics"] = [diagnostic_json(ws, d) for d in error.diagnostics]
    answer["tests"] = model_tests(ws)
    return answer


def model_tests(ws: Workspace) -> list[dict[str, Any]]:
    """The results of the model's test files (`carepay test`), case by case."""
    out = []
    for path in find_test_files([ws.folder]):
        for case in run_file(path):
            out.append(
                {
                    "file": _relative(ws, case.file),
                    "name": case.name,
                    "passed": case.passed,
                    "failures": case.failures,
                    "error": case.error,
                }
            )
    return out


# ----------------------------------------------------------------------------- sweep


def sweep_of(ws: Workspace, spec: str) -> dict[str, Any]:
    """The edit's total for each value of a parameter (`kontrollnivåer[1].value=30 %:60 %:5 %`)."""
    target, values = sweep_values(spec)
    if len(values) > MAX_SWEEP_VALUES:
        raise EngineError(
            [Diagnostic("bad-value", f"a sweep here has at most {MAX_SWEEP_VALUES} values")]
        )
    base = int(ws.current.result.lines["amount_ore"].sum() or 0)
    table = sweep(ws.current.checked, _data_of(ws, ws.current), ws.months, target, values, base)
    rows = [{"value": r["value"], "total_ore": r["total_ore"]} for r in table.iter_rows(named=True)]
    return {"ok": True, "rows": rows}


# ----------------------------------------------------------------------------- parameters
