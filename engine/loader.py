"""Rule files -> Model. Reads YAML with positions, validates against the JSON
Schema (reporting every error at its YAML node), merges `extends`, and parses
every formula. All problems are collected; nothing is raised half-way.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from yaml.constructor import SafeConstructor

from engine import types as t
from engine.catalog import (
    Column,
    Relation,
    Vocabulary,
    as_written,
    base_vocabulary,
    extend,
    range_words,
    schemas_dir,
    unheld_code,
    unpaired_relations,
    where_value,
)
from engine.diagnostics import Diagnostic, Diagnostics, closest
from engine.model import (
    ASSUMPTION_KINDS,
    Assumption,
    Band,
    DataRequirement,
    DatedValue,
    Indexation,
    Model,
    Parameter,
    Rounding,
    Rule,
    RuleVersion,
)
from engine.source import FormulaOrigin, Span, register_text
from engine.swedish import (
    AMBIGUOUS_COMMA,
    AMBIGUOUS_POINT,
    WrittenFloat,
    ascii_minus,
    comma_readings,
    point_in_price,
)
from engine.syntax import parse_formula

# --------------------------------------------------------------------------- YAML with positions


class LMap(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers where it and each of its entries came from."""

    span: Span
    key_spans: dict[str, Span]
    value_spans: dict[str, Span]
    origins: dict[str, FormulaOrigin]


class LList(list):  # type: ignore[type-arg]
    span: Span
    value_spans: list[Span]
    origins: list[FormulaOrigin | None]


# libyaml's loader when pyyaml was built with it (several times faster), else the
# pure-Python one; both are the safe loaders, and both give the same positions.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mark_span(file: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    end_col = end.column if end.line == start.line else None
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end_col)


def _origin(file: str, node: yaml.ScalarNode, lines: list[str]) -> FormulaOrigin:
    """Where each line of a string scalar's value starts in the file."""
    line, col = node.start_mark.line, node.start_mark.column
    if node.style in ("|", ">"):
        first = line + 1
        # a block ends where the next line starts (column 0): that line is not part of it
        last = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
        content = [ln for ln in lines[first : last + 1] if ln.strip()]
        indent = min((len(ln) - len(ln.lstrip(" ")) for ln in content), default=0)
        starts = tuple((first + i + 1, indent + 1) for i in range(max(last - first + 1, 1)))
        return FormulaOrigin(file, starts or ((line + 1, col + 1),))
    if node.style in ("'", '"'):
        return FormulaOrigin.at(file, line + 1, col + 2)
    return FormulaOrigin.at(file, line + 1, col + 1)


# Limits that keep a rule file from exhausting the machine (docs/trust.md): a rule
# file is a regular .yaml file of at most this size, nested at most this deep, and
# without YAML aliases (a 1 KB "billion laughs" of aliases expands to gigabytes).
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
MAX_RULES = 500  # definitions, payments, indicators, exclusions and flags of a model
MAX_PARAMETER_CELLS = 20_000  # values of one parameter over all its dates


def _cells(value: Any) -> int:
    """The number of plain values in a parameter's dated values (counted without
    recursion: nesting is bounded by the YAML reader)."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            count += 1
    return count


MAX_YAML_DEPTH = 64
RULE_FILE_SUFFIXES = (".yaml", ".yml")


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _plain_number(node: yaml.ScalarNode) -> bool:
    """A number as YAML 1.2 and a reader take it: `450`, `-3`, `0`, `12.5`, `1e3` — not
    one in base 60 (`22:00`), octal or with a leading zero (`0450`), hexadecimal or
    binary (`0x1F`), or with underscores (`1_000`)."""
    if node.tag == "tag:yaml.org,2002:int":
        return re.fullmatch(r"[-+]?(?:0|[1-9][0-9]*)", node.value) is not None
    return ":" not in node.value and "_" not in node.value


class _TooDeep(Exception):
    pass


class _Reader:
    def __init__(self, file: str, text: str, diags: Diagnostics):
        self.file = file
        self.lines = text.splitlines()
        self.diags = diags
        self.constructor = SafeConstructor()
        self.seen: set[int] = set()  # collection nodes converted (an alias repeats one)
        self.depth = 0
        self.aliased = False

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self.seen:  # the same node again: a YAML alias (*name)
                if not self.aliased:
                    self.diags.error(
                        "schema",
                        "YAML aliases (*name) are not supported in rule files",
                        _mark_span(self.file, node),
                        hint="write the value out where it is needed",
                    )
                self.aliased = True
                return LMap() if isinstance(node, yaml.MappingNode) else LList()
            self.seen.add(id(node))
            self.depth += 1
            try:
                if self.depth > MAX_YAML_DEPTH:
                    raise _TooDeep
                return self._collection(node)
            finally:
                self.depth -= 1
        return self._scalar(node)  # type: ignore[arg-type]

    def _collection(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            out = LList()
            out.span = _mark_span(self.file, node)
            out.value_spans, out.origins = [], []
            for item in node.value:
                out.append(self.convert(item))
                out.value_spans.append(_mark_span(self.file, item))
                out.origins.append(
                    _origin(self.file, item, self.lines)
                    if isinstance(item, yaml.ScalarNode)
                    else None
                )
            return out
        raise AssertionError(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay ISO text; the model builder parses them
        if node.tag in _NUMBER_TAGS and not _plain_number(node):
            # YAML 1.1 reads `22:00` as 1320 (base 60) and `1:30` as 90, though `07:00`
            # stays text, `0450` as 296 (octal) and `1_000` as 1000: as written, as YAML
            # 1.2 reads them — a time, or a text the value's place reads as it reads text
            return node.value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return node.value
        if isinstance(value, float) and AMBIGUOUS_POINT.fullmatch(node.value):
            return WrittenFloat(value, node.value)  # `1.200`: twelve hundred, or 1.2?
        return value

    def _mapping(self, node: yaml.MappingNode) -> LMap:
        out = LMap()
        out.span = _mark_span(self.file, node)
        out.key_spans, out.value_spans, out.origins = {}, {}, {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key == "<<":
                self.diags.error(
                    "schema",
                    "YAML merge keys (<<) are not supported",
                    _mark_span(self.file, key_node),
                )
                continue
            if node.flow_style and self._decimal_comma(key_node, value_node):
                continue
            if key in out:
                self.diags.error(
                    "duplicate-key",
                    f"`{key}` appears twice in this mapping",
                    _mark_span(self.file, key_node),
                    hint=f"the first `{key}` is on line {out.key_spans[key].line}; keep one",
                )
                continue
            out[key] = self.convert(value_node)
            out.key_spans[key] = _mark_span(self.file, key_node)
            out.value_spans[key] = _mark_span(self.file, value_node)
            if isinstance(value_node, yaml.ScalarNode):
                out.origins[key] = _origin(self.file, value_node, self.lines)
        return out

    def _decimal_comma(self, key_node: yaml.Node, value_node: yaml.Node) -> bool:
        """`{ 2025-01-01: 15,5 }` or `{ tätort: 480,50, … }` written with a Swedish
        decimal comma: inside { } the comma ends the entry, so YAML reads 15 and then a
        key `5` with no value. Said as what it is (it was "`5` is not a date", or "mixes
        numbers with a unit (`None`)"), and the stray key is left out."""
        if not (
            isinstance(key_node, yaml.ScalarNode)
            and not key_node.style  # plain: None, or "" from the C loader
            and key_node.value.isdigit()
            and isinstance(value_node, yaml.ScalarNode)
            and value_node.tag == "tag:yaml.org,2002:null"
            and value_node.value == ""
        ):
            return False
        mark = key_node.start_mark
        line = self.lines[mark.line] if mark.line < len(self.lines) else ""
        before = line[: mark.column]
        whole = re.search(r"(\d+),$", before)
        if whole is None:
            return False
        written = f"{whole.group(1)},{key_node.value}"
        self.diags.error(
            "yaml-syntax",
            f"`{written}` is read as two entries: inside {{ }} a comma separates them",
            Span(
                self.file,
                mark.line + 1,
                mark.column + 1 - len(whole.group(0)),
                mark.line + 1,
                mark.column + len(key_node.value),
            ),
            hint=f"write numbers with a decimal point: {whole.group(1)}.{key_node.value}",
        )
        return True


def _number_part(text: str) -> str:
    """`12,500` of `12,500 SEK/h`."""
    return re.sub(r"\s*[^\d,.\s-].*$", "", text.strip())


def _not_a_quantity(raw: Any) -> tuple[str, str | None]:
    """What a number's place holds instead, said as the rule file writes it: it read
    "`{'tätort': '80 %', 'landsbygd': '60 %'}` is not a number" (Python's words) for a
    table given to a parameter of one value, and "`True`" for a yes."""
    if isinstance(raw, LMap):
        keys = ", ".join(str(k) for k in raw)
        return (
            f"a value here is one number, not a table ({keys})",
            "a parameter whose value depends on a column declares it: keys: [zone]",
        )
    if isinstance(raw, LList):
        return (
            "a value here is one number, not a list",
            "a step table declares `under:` and gives brackets: - { under: 40 %, value: 70 % }",
        )
    if isinstance(raw, bool):
        return f"`{as_written(raw)}` is not a number", 'e.g. 1520, "40 %"'
    return "a number is missing here", 'e.g. 1520, "40 %", "450 SEK/h"'


def _ambiguous_comma_hint(text: str) -> str | None:
    """What to write for `12,500`, which may be twelve and a half or twelve thousand
    five hundred (an English export's thousands)."""
    number = _number_part(text)
    if not AMBIGUOUS_COMMA.fullmatch(number):
        return None
    rest = text.strip()[len(number) :].strip()
    decimal, whole = comma_readings(number)
    unit = f" {rest}" if rest else ""
    return f"`{number}` may be {decimal} or {whole}: write {decimal}{unit} or {whole}{unit}"


def _clock_hint(text: str, unit: str | None) -> str | None:
    """What to write for `1:30`, a duration as on a clock (YAML 1.1 read it as 90):
    hours and minutes, or minutes and seconds? The number in the parameter's unit."""
    found = re.fullmatch(r"(\d{1,3}):([0-5]\d)", text.strip())
    if found is None:
        return None
    first, second = int(found[1]), int(found[2])
    minutes = first * 60 + second
    if unit == "h" and minutes % 3 == 0:  # a whole number of hundredths of an hour
        hours = (Decimal(minutes) / 60).normalize()
        return f"write the hours as a number: {hours:f} for {first} h {second} min"
    if unit == "h":
        return f'write the time with its unit: "{minutes} min" for {first} h {second} min'
    if unit == "min":
        return f"write the minutes as a number: {minutes} for {first} h {second} min"
    return f'a time of day is written in a formula (22:00); a duration as "{minutes} min"'


def read_yaml(path: Path, diags: Diagnostics, texts: Mapping[Path, str] | None = None) -> Any:
    """Read a YAML file with positions; None (and a diagnostic) when it cannot be read.
    Only a regular .yaml/.yml file within the size limit is read at all, so an error
    never shows the content of another kind of file (`extends: /proc/self/environ`).
    `texts` holds files as they are being edited (the studio), by resolved path: read
    from there instead of the disk, with the same checks."""
    file = str(path)
    edited = texts.get(path.resolve()) if texts else None
    refused = _not_a_rule_file(path) if edited is None else None
    if refused is not None:
        diags.error(
            "file-not-found", f"{file} {refused}", where=file, hint="a rule file is a .yaml file"
        )
        return None
    try:
        if edited is not None:
            raw = edited.encode("utf-8")[: MAX_RULE_FILE_BYTES + 1]
        else:
            with path.open("rb") as handle:
                raw = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        diags.error("file-not-found", f"cannot read {file}: {error.strerror or error}")
        return None
    if len(raw) > MAX_RULE_FILE_BYTES:
        diags.error(
            "schema",
            f"{file} is larger than {MAX_RULE_FILE_BYTES // (1024 * 1024)} MB; a rule file "
            "is not that large",
            Span(file, 1, 1),
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        diags.error(
            "yaml-syntax",
            f"the file is not UTF-8 text (byte {error.start})",
            Span(file, 1, 1),
            hint="save the rule file as UTF-8",
        )
        return None
    # one spelling of å, ä, ö: an editor that writes them decomposed (a + ring, NFD)
    # names the same rule as one that writes them composed
    text = unicodedata.normalize("NFC", text)
    register_text(file, text)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        diags.error(
            "yaml-syntax", (error.problem or str(error)).strip(), span, hint=_yaml_hint(error)
        )
        return None
    except yaml.YAMLError as error:
        diags.error("yaml-syntax", str(error).strip(), Span(file, 1, 1))
        return None
    except RecursionError:
        diags.error("yaml-syntax", "the YAML is nested too deeply", Span(file, 1, 1))
        return None
    if node is None:
        return LMap()
    try:
        return _Reader(file, text, diags).convert(node)
    except (RecursionError, _TooDeep):
        diags.error(
            "yaml-syntax",
            f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep",
            Span(file, 1, 1),
        )
        return None


def _not_a_rule_file(path: Path) -> str | None:
    """Why `path` cannot be a rule file (not a regular .yaml/.yml file), or None."""
    if path.suffix.lower() not in RULE_FILE_SUFFIXES:
        return "is not a rule file (.yaml or .yml)"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot be read: {error.strerror or error}"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def _yaml_hint(error: yaml.MarkedYAMLError) -> str | None:
    problem = error.problem or ""
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return 'a formula containing `: ` must be quoted, e.g. formula: "a: b"'
    if "found character" in problem and "'%'" in problem:
        return "quote values that start with %"
    return None


# --------------------------------------------------------------------------- schema validation


@cache
def _schema_validator(partial: bool = False) -> jsonschema.Draft202012Validator:
    """The model schema; `partial` drops required fields inside pieces, for files that
    `extends` another and so change only parts of a parameter or rule."""
    schema = json.loads((schemas_dir() / "model.schema.json").read_text(encoding="utf-8"))
    if partial:
        schema = {**schema, "properties": _without_required(schema["properties"])}
    return jsonschema.Draft202012Validator(schema)


@dataclass(frozen=True)
class KeyDomain:
    """The values a row can hold where a table's key is named: the model's zones, a
    code list's codes, a whole-number column's range (`level`: 1–29)."""

    words: str  # what a value there is: "zone of the model"
    holds: Callable[[str], bool]
    named: tuple[str, ...]  # the values, where they are named (a closest one is said)
    shown: str  # the values in words: "tätort, landsbygd", "1–29"


def _key_domains(model: Model) -> dict[str, KeyDomain]:
    """Each key name whose values the model itself decides: `zone` (its zones; the data
    may place more districts in them, never more zones), and the name of columns that
    each hold a code list's codes or whole numbers in a range (`level`: 1–29; `profession`
    the codes of every table's column of the name). A district, and a text column
    without codes, is not among them: the data decides their values."""
    declared: dict[str, list[Column]] = {}
    for table in model.vocabulary.tables.values():
        for column in table.columns.values():
            declared.setdefault(column.name, []).append(column)
    domains: dict[str, KeyDomain] = {}
    for name, columns in declared.items():
        if all(c.listed for c in columns):
            codes = tuple(dict.fromkeys(code for c in columns for code in c.listed or ()))
            domains[name] = KeyDomain(
                f"`{name}` a row can hold", set(codes).__contains__, codes, _some(codes)
            )
        elif all(c.kind == "integer" and c.minimum is not None for c in columns):
            highs = [c.maximum for c in columns]
            high = None if None in highs else max(h for h in highs if h is not None)
            widest = replace(
                columns[0],
                minimum=min(c.minimum for c in columns if c.minimum is not None),
                maximum=high,
            )
            domains[name] = KeyDomain(
                f"`{name}` a row can hold",
                partial(_whole_within, column=widest),
                (),
                range_words(widest),
            )
    if model.zones:
        zones = tuple(model.zones)
        domains["zone"] = KeyDomain(
            "zone of the model", set(zones).__contains__, zones, _some(zones)
        )
    return domains


def _whole_within(key: str, column: Column) -> bool:
    """A table's key written as a whole number the column holds (`where_value`)."""
    return (
        re.fullmatch(r"-?\d+", key.strip()) is not None and where_value(column, int(key))[1] is None
    )


def _some(values: tuple[str, ...]) -> str:
    return ", ".join(values[:12]) + (" …" if len(values) > 12 else "")


def _plain_code(code: str) -> str:
    """A code as letters and digits without case or accents: `Avlösning` is `avlosning`."""
    letters = unicodedata.normalize("NFKD", code.casefold())
    return "".join(c for c in letters if c.isalnum())


def _without_required(node: Any) -> Any:
    """The schema without its `required` lists. A property that is itself named
    `required` (a column's `required: true`) stays: it was dropped too, and a file
    extending another could not declare a column the file must have."""
    if isinstance(node, dict):
        return {
            k: _without_required(v)
            for k, v in node.items()
            if not (k == "required" and isinstance(v, list))
            and not (k == "oneOf" and all("required" in o for o in v))
        }
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def _declared_relations(spec: LMap, entity: str) -> set[str]:
    declared = (spec.get("entities") or {}).get(entity) or {}
    relations = declared.get("relations") if isinstance(declared, Mapping) else None
    return set(relations) if isinstance(relations, Mapping) else set()


def _locate(data: Any, path: list[Any], *, key: bool = False) -> Span | None:
    """The span of the YAML node at a JSON path (or the deepest existing ancestor)."""
    span = getattr(data, "span", None)
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, LMap) and part in node:
            span = (node.key_spans if key and last else node.value_spans)[part]
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and part < len(node):
            span = node.value_spans[part]
            node = node[part]
        else:
            break
    return span


# How deep a path names one buildable piece: a parameter, payment or exclusion is
# two levels down, a definition three; anything else is a whole top-level section.
_PIECE_DEPTH = {
    "parameters": 2,
    "payments": 2,
    "indicators": 2,
    "exclusions": 2,
    "flags": 2,
    "definitions": 3,
    # one code list (deeper pieces of tables, entities and columns: `_piece`): a mistake
    # in one leaves the others (an empty `visits:` under `columns:` dropped the whole
    # vocabulary, and every formula naming a service of the model's own was an error)
    "vocabulary": 3,
}


def _schema_errors(
    data: Any, diags: Diagnostics, file: Path, partial: bool = False
) -> set[tuple[Any, ...]]:
    """Report every schema error (where no node can be named: at the file's start);
    return the paths of the pieces they break."""
    broken: set[tuple[Any, ...]] = set()
    for error in _schema_validator(partial).iter_errors(data):
        error = _report(error, data, diags, file)
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and path:
            continue  # an unknown key is reported; the piece is still built without it
        if error.validator == "additionalProperties" or not path:
            continue
        broken.add(_piece(path))
    return broken


def _report(
    error: jsonschema.ValidationError, data: Any, diags: Diagnostics, file: Path
) -> jsonschema.ValidationError:
    """Say one schema error at the node it is about (a bad key at the key); the error
    said, the most relevant of a `oneOf`'s."""
    error = _most_relevant(error)
    path = list(error.absolute_path)
    message, hint, key_path = _humanise(error)
    if key_path is None and _is_key_of(data, path, error.instance):
        key_path = [*path, error.instance]  # a bad key (propertyNames): point at the key
    span = _locate(data, key_path or path, key=key_path is not None) or Span(str(file), 1, 1)
    diags.error("schema", message, span, hint=hint)
    return error


@cache
def _model_test_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((schemas_dir() / "modeltest.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def shape_of_model_test(data: Any, diags: Diagnostics, file: Path) -> None:
    """Say where a model test file is not shaped as one (`schemas/modeltest.schema.json`):
    a row that is a text, a case that is a list, an `input:` under `output:` — each was a
    traceback of `carepay test`."""
    for error in _model_test_validator().iter_errors(data):
        _report(error, data, diags, file)


def _piece(path: list[Any]) -> tuple[Any, ...]:
    """The piece a schema error breaks: one parameter, one definition …; in the
    vocabulary one code list, one entity, one column (of a table of carepay's or of the
    model's own: `heltal` as one column's type left the table's other columns)."""
    depth = _PIECE_DEPTH.get(str(path[0]), 1)
    if path[:2] == ["vocabulary", "columns"]:
        depth = 4  # one column
    elif path[:2] in (["vocabulary", "tables"], ["vocabulary", "entities"]) and len(path) > 3:
        # one column or relation, or one property: a table's `optional: ja` dropped the
        # table, and each entity of it was "of a table that is not there"
        depth = 5 if path[3] in ("columns", "relations") else 4
    return tuple(path[:depth])


def _is_key_of(data: Any, path: list[Any], name: Any) -> bool:
    node = data
    for part in path:
        if isinstance(node, LMap) and part in node:
            node = node[part]
        else:
            return False
    return isinstance(node, LMap) and isinstance(name, str) and name in node


def _most_relevant(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    while error.validator in ("oneOf", "anyOf") and error.context:
        candidates = [e for e in error.context if e.validator != "type"] or list(error.context)
        deeper = [e for e in candidates if len(e.absolute_path) > len(error.absolute_path)]
        if not deeper and error.validator == "oneOf" and isinstance(error.instance, dict):
            break
        error = jsonschema.exceptions.best_match(deeper or candidates)
    return error


def _where(path: list[Any]) -> str:
    return ".".join(str(p) for p in path) or "the top level"


# a JSON schema's kinds of value, as a rule file's reader names them
TYPE_WORDS = {
    "string": "a text",
    "number": "a number",
    "boolean": "true or false",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping (key: value lines)",
}


def _humanise(error: jsonschema.ValidationError) -> tuple[str, str | None, list[Any] | None]:
    """A message in the reader's words, a hint, and a path to a key to point at."""
    path = list(error.absolute_path)
    validator, value = error.validator, error.validator_value
    if validator == "required":
        missing = [k for k in value if k not in error.instance]
        return f"`{_where(path)}` needs `{missing[0]}`", None, None
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        close = difflib.get_close_matches(extra[0], allowed, n=1) if extra else []
        hint = f"did you mean `{close[0]}`?" if close else f"allowed here: {', '.join(allowed)}"
        return f"unknown key `{extra[0]}` in `{_where(path)}`", hint, [*path, extra[0]]
    if validator == "propertyNames":
        bad = error.instance if not isinstance(error.instance, dict) else None
        return _property_name_message(error, path, bad)
    if validator == "enum":
        choices = "allowed: " + ", ".join(map(str, value))
        if error.instance is None or isinstance(error.instance, dict | list):
            given = "empty" if error.instance is None else _kind_words(error.instance)
            return f"`{_where(path)}` is {given}, not one of its values", choices, None
        shown = as_written(error.instance)
        meant = closest(shown, [str(v) for v in value])
        hint = f"did you mean `{meant}`?" if meant else choices
        return f"`{shown}` is not allowed at `{_where(path)}`", hint, None
    if validator == "type":
        kinds = [value] if isinstance(value, str) else [v for v in value if v != "null"]
        return (
            f"`{_where(path)}` should be {_either([TYPE_WORDS.get(k, k) for k in kinds])}",
            _unquoted_hint(kinds[0] if len(kinds) == 1 else "", error.instance),
            None,
        )
    if validator == "pattern" and value.startswith("^\\d{4}"):
        return f"`{error.instance}` is not a date", "write dates as YYYY-MM-DD", None
    if validator == "pattern" and path == ["model"]:
        return _model_id_message(str(error.instance))
    if validator == "pattern" and value == NAME_PATTERN:  # a name, shown as the regex
        return (*_name_message(str(error.instance)), None)
    if validator == "oneOf":
        return _one_of(value, error.instance, path)
    if validator in ("minItems", "minProperties"):
        return f"`{_where(path)}` is empty", None, None
    bound = _BOUND_WORDS.get(validator)
    if bound is not None:  # "0 is less than or equal to the minimum of 0"
        shown = as_written(error.instance)
        return f"`{_where(path)}` must be {bound} {as_written(value)}, not {shown}", None, None
    if validator == "not" and "const" in value:  # "0 should not be valid under {'const': 0}"
        return f"`{_where(path)}` cannot be {as_written(value['const'])}", None, None
    return f"{error.message} (at `{_where(path)}`)", None, None


# the schema's bounds on a number, in a reader's words
_BOUND_WORDS = {
    "minimum": "at least",
    "exclusiveMinimum": "above",
    "maximum": "at most",
    "exclusiveMaximum": "below",
}


def _kind_words(value: Any) -> str:
    """A mapping or a list, in a reader's words (its contents as Python writes them,
    `{'a': 1}`, meant nothing to one)."""
    return TYPE_WORDS["object" if isinstance(value, dict) else "array"]


def _model_id_message(given: str) -> tuple[str, str, None]:
    """A model's id names its outputs and manifests, so it is kept to characters every
    file system and URL takes; the schema's pattern, shown as it was ('does not match
    '^[a-z0-9][a-z0-9_.-]*$''), asked a policy writer to read a regular expression."""
    plain = given.lower().translate(str.maketrans("åäöéü ", "aaoeu-"))
    plain = re.sub(r"[^a-z0-9_.-]", "", plain).lstrip("_.-")
    hint = "an id is written in a–z, digits, `-`, `_` and `.`, starting with a letter or digit"
    if plain and plain != given:
        hint += f": `{plain}` (the title may say it in any words)"
    return f"`{given}` cannot be a model's id", hint, None


def _one_of(
    alternatives: list[Any], instance: Any, path: list[Any]
) -> tuple[str, str | None, None]:
    """What one of the schema's alternatives asks, in a reader's words: a rule's
    `formula:` or `versions:`, an assumption's kind, or a value of one of some kinds.
    Every such error read "needs `formula` (or `versions`)" — also an assumption
    without its `scale_visit_time:`, and a `where:` value given as a mapping."""
    shape = (
        "object" if isinstance(instance, dict) else "array" if isinstance(instance, list) else ""
    )
    for alt in alternatives:  # the alternative of the instance's shape, and what it asks
        if shape and alt.get("type") == shape and "oneOf" in alt:
            return _one_of(alt["oneOf"], instance, path)
    required = [alt.get("required", [None])[0] for alt in alternatives]
    if required == ["formula", "versions"]:
        return _formula_or_versions(instance, path)
    if all(required):
        keys = [str(k) for k in instance] if isinstance(instance, dict) else []
        close = [c for k in keys for c in difflib.get_close_matches(k, required, n=1)]
        hint = f"did you mean `{close[0]}`?" if close else None
        named = ", ".join(f"`{k}`" for k in required)
        return f"`{_where(path)}` needs one of {named}", hint, None
    kinds: list[str] = []
    for alt in alternatives:
        types = alt.get("type", [])
        for kind in [types] if isinstance(types, str) else types:
            words = TYPE_WORDS.get(kind, kind)
            if kind == "array" and "items" in alt:
                words = "a list of them" if kinds else words
            if words not in kinds:
                kinds.append(words)
    return f"`{_where(path)}` should be {_either(kinds)}", None, None


def _either(kinds: list[str]) -> str:
    """`a text, a number, or a list`."""
    if len(kinds) < 2:
        return "".join(kinds)
    return ", ".join(kinds[:-1]) + (", or " if len(kinds) > 2 else " or ") + kinds[-1]


def _formula_or_versions(instance: Any, path: list[Any]) -> tuple[str, str | None, None]:
    """A rule gives `formula:` or `versions:`, one of them. A rule with neither — a key
    misspelt, `formul:` — was told "needs either `formula` or `versions`, not both"."""
    given = [k for k in ("formula", "versions") if isinstance(instance, dict) and k in instance]
    if len(given) == 2:
        return f"`{_where(path)}` needs either `formula` or `versions`, not both", None, None
    keys = [str(k) for k in instance] if isinstance(instance, dict) else []
    close = difflib.get_close_matches("formula", keys, n=1) or difflib.get_close_matches(
        "versions", keys, n=1
    )
    hint = f"did you mean `formula`, not `{close[0]}`?" if close else None
    if close and close[0].startswith("v"):
        hint = f"did you mean `versions`, not `{close[0]}`?"
    return f"`{_where(path)}` needs `formula` (or `versions`)", hint, None


def _unquoted_hint(wanted: str, instance: Any) -> str | None:
    """A text that YAML read as something else, unquoted: a district `On` or a code
    `no` is a yes/no to YAML, `1e3` a number."""
    if wanted != "string":
        return None
    if isinstance(instance, bool):
        return (
            "YAML reads yes, no, on and off (in any case) as true or false: write the text "
            'in quotes, e.g. "no"'
        )
    if isinstance(instance, int | float):
        return 'YAML read this as a number: write the text in quotes, e.g. "112"'
    return None


def _property_name_message(
    error: jsonschema.ValidationError, path: list[Any], bad: Any
) -> tuple[str, str | None, list[Any] | None]:
    name = bad if bad is not None else "?"
    schema = error.validator_value
    if "enum" in schema:
        close = difflib.get_close_matches(str(name), schema["enum"], n=1)
        hint = f"did you mean `{close[0]}`?" if close else "one of: " + ", ".join(schema["enum"])
        return f"`{name}` is not an entity", hint, [*path, name]
    if schema.get("pattern", "").startswith("^\\d{4}"):
        return (
            f"`{name}` is not a date",
            "values are keyed by the date they take effect: YYYY-MM-DD",
            [*path, name],
        )
    return (*_name_message(str(name)), [*path, name])


NAME_PATTERN = "^(?!__)[A-Za-z_åäöÅÄÖéÉüÜ][A-Za-z0-9_åäöÅÄÖéÉüÜ]*$"  # as the schema has it


def _name_message(name: str) -> tuple[str, str]:
    """Why a name is no name of a rule, parameter, table or column, in words (the
    schema's pattern was shown as it is, a regular expression). Two underscores begin
    carepay's own columns beside the data's: a column declared `__row` took one's
    place."""
    if name.startswith("__"):
        return (
            f"`{name}` cannot be a name: names beginning with two underscores are carepay's own",
            f"name it without them, e.g. `{name.lstrip('_') or 'namn'}`",
        )
    return (
        f"`{name}` is not a valid name",
        "names start with a letter and hold letters, digits and _",
    )


# --------------------------------------------------------------------------- extends


def _overlay(parent: LMap, child: LMap, merge_value: Any = None) -> LMap:
    """A new mapping: parent's entries, then child's (merged by `merge_value` where both have one)."""
    out = LMap()
    out.span = child.span
    out.key_spans, out.value_spans, out.origins = {}, {}, {}
    for source in (parent, child):
        for key, value in source.items():
            both = source is child and key in parent and merge_value is not None
            out[key] = merge_value(key, parent[key], value) if both else value
            out.key_spans[key] = source.key_spans[key]
            out.value_spans[key] = source.value_spans[key]
            out.origins.pop(key, None)
            if key in source.origins:
                out.origins[key] = source.origins[key]
    return out


def _merge_fields(key: str, parent: Any, child: Any) -> Any:
    """A parameter or rule changed by an extending file: fields override, dated values merge."""
    if not (isinstance(parent, LMap) and isinstance(child, LMap)):
        return child
    merged = _overlay(
        parent,
        child,
        lambda k, a, b: (
            _overlay(a, b) if k == "values" and isinstance(a, LMap) and isinstance(b, LMap) else b
        ),
    )
    for own, other in (("formula", "versions"), ("versions", "formula")):
        if own in child and other not in child:
            merged.pop(other, None)
    return merged


def _merge_section(key: str, parent: Any, child: Any) -> Any:
    if not (isinstance(parent, LMap) and isinstance(child, LMap)):
        return child
    if key in (
        "parameters",
        "payments",
        "indicators",
        "exclusions",
        "flags",
        "assumptions",
        "data_requirements",
    ):
        return _overlay(parent, child, _merge_fields)
    if key == "definitions":
        return _overlay(
            parent,
            child,
            lambda _k, a, b: (
                _overlay(*_as_fields(a, b), _merge_fields)
                if isinstance(a, LMap) and isinstance(b, LMap)
                else b
            ),
        )
    if key == "vocabulary":
        return _overlay(parent, child, _merge_vocabulary)
    return child


def _as_fields(parent: LMap, child: LMap) -> tuple[LMap, LMap]:
    """An entity's definitions in a model and in a file extending it, a definition
    written as its formula alone on one side (`utförd_tid: sum(…)`) and with fields on
    the other (a label, a source) written as `{formula: …}`, so that the extending file
    changes the fields it gives and keeps the rest, as it does a payment's. Replaced
    whole, a new formula lost the definition's label — the payment file's word for it
    — and its source, and a label alone for a definition written as a formula lacked
    the formula."""
    mixed = [
        n
        for n, value in child.items()
        if n in parent and isinstance(value, LMap) != isinstance(parent[n], LMap)
    ]
    return _with_fields(parent, mixed), _with_fields(child, mixed)


def _with_fields(owner: LMap, names: list[str]) -> LMap:
    """`owner` with each of `names` written as a formula alone given as `{formula: …}`."""
    out = _overlay(LMap(), owner)
    out.span = owner.span
    for name in names:
        value = owner[name]
        if value is None or isinstance(value, LMap | LList):
            continue  # a formula is a text, a number or a yes (`full_ersättning: true`)
        fields = LMap(formula=value)
        fields.span = owner.value_spans[name]
        fields.key_spans = {"formula": owner.key_spans[name]}
        fields.value_spans = {"formula": owner.value_spans[name]}
        fields.origins = {"formula": owner.origins[name]} if name in owner.origins else {}
        out[name] = fields
        out.origins.pop(name, None)
    return out


def _merge_vocabulary(key: str, parent: Any, child: Any) -> Any:
    """A model's vocabulary changed by an extending file declaration by declaration:
    a scenario adding a code kept nothing else (the parent's tables and entities were
    gone, and every formula reading them an error). Code lists merge their `add:`s (a
    `replace:` replaces); columns are added or replaced one by one, per table; an
    entity keeps the fields and relations the file does not give; a table declared
    again is replaced whole."""
    if not (isinstance(parent, LMap) and isinstance(child, LMap)):
        return child
    match key:
        case "codes":
            return _overlay(parent, child, _merge_codes)
        case "columns":  # per table, column by column
            return _overlay(parent, child, lambda _k, a, b: _overlay_maps(a, b))
        case "entities":  # per entity, field by field; relations by name
            relations = lambda k, a, b: _overlay_maps(a, b) if k == "relations" else b  # noqa: E731
            return _overlay(parent, child, lambda _k, a, b: _overlay_maps(a, b, relations))
    return _overlay(parent, child)


def _overlay_maps(parent: Any, child: Any, merge_value: Any = None) -> Any:
    """`_overlay` where both are mappings; otherwise the extending file's value."""
    both = isinstance(parent, LMap) and isinstance(child, LMap)
    return _overlay(parent, child, merge_value) if both else child


def _merge_codes(_key: str, parent: Any, child: Any) -> Any:
    """Two `add:`s to one code list add both; anything else is the extending file's."""
    first, second = (_only_add(m) for m in (parent, child))
    if first is None or second is None:
        return child
    kept = [i for i, v in enumerate(second) if v not in first]
    merged = LList([*first, *(second[i] for i in kept)])
    merged.span = second.span
    merged.value_spans = [*first.value_spans, *(second.value_spans[i] for i in kept)]
    merged.origins = [*first.origins, *(second.origins[i] for i in kept)]
    out = _overlay(parent, child)
    out["add"] = merged
    return out


def _only_add(change: Any) -> LList | None:
    """The codes a change of a code list adds, where it does nothing else."""
    add = change.get("add") if isinstance(change, LMap) and set(change) == {"add"} else None
    placed = isinstance(add, LList) and hasattr(add, "value_spans") and hasattr(add, "origins")
    return add if placed else None


def _merge(parent: LMap, child: LMap) -> LMap:
    """Child over parent, section by section (how `extends` and scenarios change a model)."""
    return _overlay(parent, child, _merge_section)


def _read_model_data(
    path: Path,
    diags: Diagnostics,
    seen: tuple[Path, ...] = (),
    texts: Mapping[Path, str] | None = None,
) -> LMap | None:
    data = read_yaml(path, diags, texts)
    if data is None:
        return None
    if not isinstance(data, LMap):
        diags.error(
            "schema",
            "a model file must be a mapping (key: value lines)",
            getattr(data, "span", Span(str(path), 1, 1)),
        )
        return None
    extends = data.get("extends")
    # a file changing another leaves out what its parent gives; `extends: [a]` (or 5,
    # or a mapping) is none, and was checked as one: its payments without `entity:`
    # stopped `check` with a traceback
    changes = isinstance(extends, str) and bool(extends.strip())
    data.broken = _schema_errors(data, diags, path, partial=changes)  # type: ignore[attr-defined]
    if isinstance(extends, str) and not changes:
        diags.error(
            "bad-extends",
            "`extends:` is blank: name the model file this one changes",
            data.value_spans["extends"],
            hint="e.g. extends: ../rules/norrtalje/hemtjanst.yaml",
        )
    if not changes or not isinstance(extends, str):  # (the second for the type checker)
        data.files = [str(path)]  # type: ignore[attr-defined]
        return data
    # keep the path as the user would write it (relative stays relative) for messages
    parent_path = Path(os.path.normpath(path.parent / extends))
    span = data.value_spans["extends"]
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        diags.error("bad-extends", f"`{extends}` extends itself (a circle of `extends`)", span)
        return None
    if not parent_path.exists() and parent_path.resolve() not in (texts or {}):
        diags.error(
            "bad-extends",
            f"the model `{extends}` it extends does not exist",
            span,
            hint=_nearest_entry(parent_path),
        )
        return None
    if parent_path.is_dir():  # a model's folder, as `carepay run rules/orebro` takes it
        found = model_files_in(parent_path)
        if len(found) != 1:
            names = ", ".join(p.name for p in found) or "none"
            diags.error("bad-extends", f"`{extends}` is a folder holding {len(found)} model "
                        f"files ({names}); name the one it extends", span)  # fmt: skip
            return None
        parent_path = found[0]
    parent = _read_model_data(parent_path, diags, (*seen, path.resolve()), texts)
    if parent is None:
        diags.error("bad-extends", f"the model `{extends}` it extends has errors", span)
        return None
    _changed_units(parent, data, diags)
    merged = _merge(parent, data)
    merged.pop("extends", None)
    merged.broken = parent.broken | data.broken | _schema_errors(merged, diags, path)  # type: ignore[attr-defined]
    merged.files = [*parent.files, str(path)]  # type: ignore[attr-defined]
    return merged


def _nearest_entry(missing: Path) -> str | None:
    """The file or folder beside a missing one that its name may mean (`LAN` for `lan`,
    `model.yml` for `model.yaml`), said as a hint."""
    folder = missing.parent
    if not folder.is_dir():
        return None
    names = [entry.name for entry in folder.iterdir() if not entry.name.startswith(".")]
    same = [n for n in names if n.casefold() == missing.name.casefold()]
    close = same or difflib.get_close_matches(missing.name, names, n=1, cutoff=0.75)
    if not close:
        return None
    return f"did you mean `{(folder / close[0]).as_posix()}`?"


def _changed_units(parent: LMap, child: LMap, diags: Diagnostics) -> None:
    """A parameter's `unit:` changed by an extending file where values it keeps from
    the parent are plain numbers: they were written in the parent's unit, and would be
    read in the new one (`unit: SEK/min` made the region's 400 SEK/h 400 SEK/min)."""
    above, below = parent.get("parameters"), child.get("parameters")
    if not (isinstance(above, LMap) and isinstance(below, LMap)):
        return
    for name, changed in below.items():
        was = above.get(name)
        if not (isinstance(was, LMap) and isinstance(changed, LMap)):
            continue
        old, new = was.get("unit"), changed.get("unit")
        if old is None or new is None or str(old).strip() == str(new).strip():
            continue
        given = changed.get("values")
        kept = [
            day
            for day, value in (was.get("values") or LMap()).items()
            if not (isinstance(given, LMap) and day in given) and _has_plain_number(value)
        ]
        if kept:
            days = ", ".join(str(day) for day in kept)
            where = was.value_spans["unit"]
            place = os.path.relpath(where.file, Path(changed.value_spans["unit"].file).parent)
            diags.error(
                "unit-mismatch",
                f"`{name}`'s unit is changed to {new} here, but its values from {days} "
                f"({place}:{where.line}) are numbers written in {old}: "
                f"they would be read as {new}",
                changed.value_spans["unit"],
                hint=f"give the values of {days} again here, in {new}, or keep the unit {old}",
            )


def _has_plain_number(value: Any) -> bool:
    """Whether a dated value holds a number written without its unit, anywhere in it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, dict):
        return any(_has_plain_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_plain_number(v) for v in value)
    return False


# --------------------------------------------------------------------------- model building

_QUANTITY = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(%|[A-Za-zåäöÅÄÖ]+(?:/[A-Za-zåäöÅÄÖ]+)?)?\s*$")


# A number as a Swedish text writes it: spaces between thousands, a decimal comma
# (`1 200,50`, `480,50 SEK/h`, `40,5 %`), and after it the unit.
_SWEDISH_NUMBER = re.compile(r"(-?\d{1,3}(?:[ \u00a0]\d{3})+|-?\d+)(?:,(\d+))?(\s*\D.*)?")


def split_quantity(text: str) -> tuple[Decimal, str | None] | None:
    """The number and the unit as a person wrote them ("40 %", "450 SEK/h", "40,5",
    "1 200,50 SEK"), or None when the text is not a number — or may be two
    (`12,500`: it was read as 12.5)."""
    raw = ascii_minus(str(text).strip())
    if AMBIGUOUS_COMMA.fullmatch(_number_part(raw)):
        return None
    swedish = _SWEDISH_NUMBER.fullmatch(raw)
    if swedish is not None:
        whole, decimals, rest = swedish.groups()
        raw = re.sub(r"[ \u00a0]", "", whole) + (f".{decimals}" if decimals else "") + (rest or "")
    match = _QUANTITY.match(raw)
    if not match:
        return None
    return Decimal(match.group(1)), match.group(2)


def parse_quantity(text: str, default_unit: str | None) -> Decimal | None:
    """A value written by a person ("40 %", "450 SEK/h", "1520", "40,5") in internal
    units, or None when it is not one — nor one of `default_unit`'s kind: `10 SEK` is no
    duration, though it was read as 10 minutes."""
    parts = split_quantity(text)
    if parts is None:
        return None
    written = parts[1]
    written_kind, meant_kind = t.UNITS.get(written or ""), t.UNITS.get(default_unit or "")
    if written_kind and meant_kind and written_kind[0] != meant_kind[0]:
        return None
    number, unit = parts[0], written or default_unit
    if unit is None or unit in t.UNIT_WORDS:
        return number
    if unit not in t.UNITS:
        return None
    num, den = t.unit_factor(unit)
    return number * num / den


# a yes or no on the command line, as the rule file's YAML and a data file read it
_YES_NO = {"true": True, "false": False, "ja": True, "nej": False, "yes": True, "no": False}


def setting_value(param: Parameter, text: str, part: str | None) -> tuple[Any, list[Diagnostic]]:
    """A value given on the command line (`--set`, `--sweep`, `--solve`), read and
    checked exactly as the same value in the rule file: units required where the file
    would require them, of the parameter's kind, finite. `part` is "under" for a step
    bracket's bound."""
    diags = Diagnostics()
    builder = _Builder(LMap(), diags)
    if part == "under":
        if _is_bare_number(text) and param.unit in t.UNITS and param.under_unit is None:
            diags.error(
                "missing-unit",
                f"`under={text}` has no unit, and `{param.name}` is in {param.unit}",
                hint=f"write the unit, e.g. `{param.name}[2].under={text} %`",
            )
            return None, diags.errors
        typ, value = builder._quantity(text, None, param.under_unit)  # type: ignore[arg-type]
        bracket = param.bracket_type
        if value is not None and bracket is not None and not t.compatible(typ, bracket):
            diags.error(
                "unit-mismatch",
                f"`{text}` is {t.describe(typ)}, but the brackets of `{param.name}` are "
                f"{t.describe(bracket)}",
            )
    else:
        written = (
            _YES_NO.get(text.strip().lower(), text) if isinstance(param.type, t.Bool) else text
        )
        value = builder._cell(param, written, None)  # type: ignore[arg-type]
    if isinstance(value, Decimal) and not value.is_finite():
        diags.error("bad-value", f"`{text}` is not a number", hint="e.g. 480 or 40 %")
    return value, diags.errors


WEEKDAYS = {
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
    **{d: i for i, d in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"), 1)},
}


def _band_moment(value: Any) -> int | tuple[int, int] | None | bool:
    """`"22:00"` → 1320 (minutes after midnight); `"fri 19:00"` → (5, 1140); absent →
    None; anything else → False."""
    if value is None:
        return None
    text = str(value).strip().lower()
    day = None
    if " " in text:
        word, text = text.split(None, 1)
        day = WEEKDAYS.get(word)
        if day is None:
            return False
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if (
        not match
        or int(match.group(2)) >= 60
        or int(match.group(1)) * 60 + int(match.group(2)) > 1440
    ):
        return False
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    return (day, minutes) if day is not None else minutes


def _band_moment_problem(text: str) -> str:
    """Why a band's `from:` or `to:` is not read (`_band_moment`), in words."""
    if " " in text:
        word = text.split(None, 1)[0]
        if WEEKDAYS.get(word.lower()) is None:
            return f"begins with `{word}`, which is not a day of the week"
        text = text.split(None, 1)[1]
    if re.fullmatch(r"\d{1,2}[.,]\d{2}", text):
        return f"is no time of day: write {text[:-3]}:{text[-2:]}"
    return "is no time of day (00:00 to 24:00)"


def _fraction_written_bare(param: Parameter, raw: Any, value: Decimal) -> bool:
    """A value of a `unit: "%"` parameter written as a plain number between 0 and 1:
    per cents are written as plain numbers there, so 0.8 is 0.8 % — where 80 % is the
    likelier meaning, a hundredth of it paid. A share that small is written with its
    sign (`0.5 %`), as `unit: ratio` holds a share of 2 or more to be a mistake."""
    if param.unit != "%" or not _is_bare_number(raw):
        return False
    return Decimal(0) < abs(value) < Decimal("0.01")


def _whole_share_written_bare(param: Parameter, raw: Any, value: Decimal) -> bool:
    """A value of a `unit: ratio` parameter written as a plain number of 2 or more: a
    share of the whole, so 40 is 4 000 % — always a per cent written without `%`."""
    if param.unit != "ratio" or abs(value) < t.SHARE_WRITTEN_BARE or isinstance(raw, bool):
        return False
    if isinstance(raw, int | float):
        return True
    parts = split_quantity(str(raw))
    return parts is not None and parts[1] is None


def _drop(tree: dict[str, Any], path: tuple[Any, ...]) -> None:
    """`tree` without the piece at `path` (where there is one)."""
    *above, last = (str(p) for p in path)
    for part in above:
        tree = tree.get(part) if isinstance(tree, dict) else None  # type: ignore[assignment]
    if isinstance(tree, dict):
        tree.pop(last, None)


def _plain(value: Any) -> Any:
    """Mappings and lists of a YAML node as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_bare_number(raw: Any) -> bool:
    """A value written as a plain number (no unit after it)."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, int | float):
        return True
    parts = split_quantity(str(raw))
    return parts is not None and parts[1] is None


def _number_text(raw: Any) -> str:
    parts = split_quantity(str(raw))
    return str(parts[0]) if parts is not None else str(raw)


def _parse_date_text(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


class _Builder:
    def __init__(self, data: LMap, diags: Diagnostics):
        self.data = data
        self.diags = diags
        # (parameter, "value" | "under") -> (written bare?, the first such value)
        self._writing: dict[tuple[str, str], tuple[bool, Any]] = {}
        self._too_many = False  # more rules than MAX_RULES: reported once
        # a table's key -> the values the model lets a row hold there (`_key_domains`)
        self._key_domains: dict[str, KeyDomain] = {}
        # the keys of the parameter being read that no row can hold: (name, key, where)
        self._unheld: list[tuple[str, str, Span]] = []

    def _ok(self, *path: Any) -> bool:
        """False for a piece the schema check found broken (it is already reported)."""
        for bad in getattr(self.data, "broken", ()):
            n = min(len(bad), len(path))
            if bad[:n] == path[:n]:
                return False
        return True

    def _section(self, name: str) -> LMap:
        """A top-level section, empty where the section as a whole is broken; a broken
        piece in it (one parameter) leaves the others: a decimal comma in one parameter
        dropped every parameter, and each formula naming one was an `unknown name`."""
        value = self.data.get(name)
        whole = (name,) not in getattr(self.data, "broken", ())
        return value if isinstance(value, LMap) and whole else LMap()

    def build(self) -> Model:
        d = self.data
        model = Model(
            id=str(d.get("model", "")),
            title=str(d.get("title", "")),
            files=list(getattr(d, "files", [])),
            municipality=str(d.get("municipality", "")),
            version=str(d.get("version", "")),
            source=str(d.get("source", "")),
            zones={str(k): [str(x) for x in v] for k, v in self._section("zones").items()},
        )
        self._not_blank(
            d,
            "title",
            "the model's title is blank: every report, workbook and letter is headed by it",
            "e.g. title: Ersättning inom hemtjänst, Exempelby kommun",
        )
        outside = d.get("outside_invoice")
        model.outside_invoice = [str(c) for c in outside] if isinstance(outside, list) else []
        specification = self._section("specification")
        columns = specification.get("customer_columns")
        if isinstance(columns, LMap):
            model.customer_columns = {str(k): str(v) for k, v in columns.items()}
            model.customer_column_spans = {str(k): columns.value_spans[k] for k in columns}
        granted = specification.get("granted_time")
        if isinstance(granted, str):
            model.granted_time = granted
            model.granted_time_span = specification.value_spans.get("granted_time")
        rounding = self._section("rounding")
        model.rounding = Rounding(
            self._rounding_step(rounding), str(rounding.get("mode", "half_up"))
        )
        model.vocabulary = self._vocabulary(model)
        self._zones(model)
        self._key_domains = _key_domains(model)
        parameters = self._section("parameters")
        for name, spec in parameters.items():
            param, before = None, len(self.diags.errors)
            if self._ok("parameters", name):
                param = self._parameter(name, spec, parameters.key_spans[name])
                self._say_unheld_keys(name, param)
            if param and len(self.diags.errors) == before:
                model.parameters[name] = param
            else:  # a value of it in error: its formulas' look-ups are no errors of their own
                model.broken.add(name)
        definitions = self._section("definitions")
        for entity, rules in definitions.items():
            if not isinstance(rules, LMap):  # `decision:` with nothing under it (reported)
                continue
            for name, spec in rules.items():
                built = None
                if self._ok("definitions", entity, name):
                    built = self._rule(name, entity, "definition", spec, rules, name)
                self._add(model, built, name)
        for section, kind in (("payments", "payment"), ("indicators", "indicator")):
            rules = self._section(section)
            for name, spec in rules.items():
                built = None
                if self._ok(section, name):
                    built = self._rule(name, spec["entity"], kind, spec, rules, name)
                self._add(model, built, name)
        for section, kind in (("exclusions", "exclusion"), ("flags", "flag")):
            rules = self._section(section)
            for name, spec in rules.items():
                built = None
                if self._ok(section, name):
                    registration = model.vocabulary.roles.registration
                    built = self._rule(name, registration, kind, spec, rules, name)
                self._add(model, built, name)
        assumptions = self._section("assumptions")
        for name, spec in assumptions.items():
            if self._ok("assumptions", name):
                assumption = self._assumption(name, spec, assumptions.key_spans[name])
                if assumption is not None:
                    model.assumptions.append(assumption)
        requirements = self._section("data_requirements")
        for name, spec in requirements.items():
            if self._ok("data_requirements", name):
                self._reason_given(name, spec)
                where = spec.get("where") or LMap()
                model.data_requirements.append(
                    DataRequirement(
                        name,
                        str(spec["table"]),
                        [str(c) for c in spec["any_of"]],
                        str(spec["reason"]),
                        requirements.key_spans[name],
                        {str(k): v if isinstance(v, list) else [v] for k, v in where.items()},
                        spec.get("source"),
                        {str(k): where.key_spans[k] for k in where} if where else {},
                    )
                )
        self._categories_spelt_alike(model)
        self._outside_invoice(model)
        return model

    def _rounding_step(self, rounding: LMap) -> Decimal:
        """The step each statement line is rounded to: whole öre, since lines are kept
        in öre (`to: 0.001` rounded 17,855 to 17,855 and then, a second time, to 17,86;
        the docs promise one rounding)."""
        step = Decimal(str(rounding.get("to", "0.01")))
        if not step.is_finite():  # `.inf` (YAML's infinity): `% 1` raised, a traceback
            self.diags.error(
                "schema",
                f"`rounding: to: {rounding.get('to')}` is no amount to round to",
                _locate(self.data, ["rounding", "to"]),
                hint="round to 0.01 (the öre), 0.05, 0.5, 1 or 10 kronor …",
            )
            return Decimal("0.01")
        if step > 0 and (step * 100) % 1 != 0:
            self.diags.error(
                "schema",
                f"`rounding: to: {rounding.get('to')}` is not a whole number of öre: a "
                "statement line is kept in öre, and would be rounded again",
                _locate(self.data, ["rounding", "to"]),
                hint="round to 0.01 (the öre), 0.05, 0.5, 1 or 10 kronor …",
            )
            return Decimal("0.01")
        return step

    def _categories_spelt_alike(self, model: Model) -> None:
        """Two categories spelt alike but for case or accents (`Nivårelaterad`,
        `nivårelaterad`) are warned of: the invoice lists them apart."""
        spelt: dict[str, str] = {}
        for rule in model.payments:
            category = str(rule.category or "")
            twin = spelt.setdefault(_plain_code(category), category)
            if twin != category:
                self.diags.warning(
                    "near-duplicate-code",
                    f"the category `{category}` of `{rule.name}` differs from `{twin}` only in "
                    "case, å, ä, ö or a separator: the invoice lists the two apart",
                    rule.span,
                    hint=f"write it `{twin}`, or keep both if they are two categories",
                )

    def _outside_invoice(self, model: Model) -> None:
        """Each category `outside_invoice:` names is one a payment has: a misspelt one
        (`bonuss`) moved nothing off the invoice, in silence."""
        categories = {r.category for r in model.payments if r.category}
        if any(name in model.broken for name in self._section("payments")):
            return  # a payment whose category could not be read: reported where it is
        for index, category in enumerate(model.outside_invoice):
            if category in categories:
                continue
            close = difflib.get_close_matches(category, sorted(categories), n=1)
            self.diags.error(
                "unknown-name",
                f"no payment has the category `{category}`, so `outside_invoice:` moves "
                "nothing off the invoice",
                _locate(self.data, ["outside_invoice", index]),
                hint=f"did you mean `{close[0]}`?"
                if close
                else "categories: " + ", ".join(sorted(categories)),
            )

    def _vocabulary(self, model: Model) -> Vocabulary:
        """The base vocabulary with the model's `vocabulary:` declarations."""
        spec = self._section("vocabulary")
        if not spec:
            return base_vocabulary()

        def report(code: str, message: str, path: tuple[Any, ...], hint: str | None) -> None:
            where = _locate(self.data, ["vocabulary", *path]) or getattr(spec, "span", None)
            self.diags.error(code, message, where, hint=hint)

        plain = _plain(spec)
        for path in getattr(self.data, "broken", ()):
            if len(path) > 1 and path[0] == "vocabulary":  # reported where it is written
                _drop(plain, path[1:])
        vocabulary = extend(base_vocabulary(), plain, report)
        model.unpaired = self._unpaired(vocabulary, spec)
        self._near_duplicate_codes(spec)
        return vocabulary

    def _near_duplicate_codes(self, spec: LMap) -> None:
        """A code added beside one of carepay's that differs from it only in case,
        å/ä/ö or a separator (`avlösning` beside `avlosning`): two services to the data,
        and a price list keyed by one does not price the other."""
        base = base_vocabulary().codes
        for name, change in (spec.get("codes") or {}).items():
            added = change.get("add") if isinstance(change, Mapping) else None
            for index, value in enumerate(added if isinstance(added, list) else []):
                twin = next(
                    (
                        b
                        for b in base.get(str(name), ())
                        if b != str(value) and _plain_code(b) == _plain_code(str(value))
                    ),
                    None,
                )
                if twin is None:
                    continue
                path = ["vocabulary", "codes", name, "add", index]
                self.diags.warning(
                    "near-duplicate-code",
                    f"`{value}` is added to `{name}` beside `{twin}`, which differs from it only "
                    "in case, å, ä, ö or a separator: rows with either are different codes",
                    _locate(self.data, path) or getattr(spec, "span", None),
                    hint=f"use `{twin}` (in the data too, or name it in a price list by both), "
                    "or keep both if they are two services",
                )

    def _unpaired(
        self, vocabulary: Vocabulary, spec: LMap
    ) -> list[tuple[str, Relation, Diagnostic]]:
        """A warning for each relation whose rows can fall outside every row of its
        pairs entity (`catalog.unpaired_relations`): paid nothing, without a word. The
        checker gives it where a formula reads the relation — not for the journals of a
        model that pays nothing by them."""
        found = []
        for entity, relation in unpaired_relations(vocabulary):
            path = ["vocabulary", "entities", entity.name, "relations", relation.name]
            declared = _locate(self.data, path, key=True)
            month = _locate(self.data, ["vocabulary", "entities", entity.name, "month"])
            sources = ", ".join(entity.month.of)
            warning = Diagnostic(
                "unpaired-rows",
                f"`{relation.name}` joins {relation.entity} rows to {entity.name} by "
                f"{', '.join(relation.keys)}, but {entity.name}'s rows are made from "
                f"{sources}: a row of {relation.entity} whose {', '.join(relation.keys)} "
                f"has no such row in the month is in no {entity.name}, and is not paid",
                declared if relation.name in _declared_relations(spec, entity.name) else month,
                hint=f"make {entity.name}'s rows from it too: entities: {{{entity.name}: "
                f"{{month: {{by: pairs, of: [{sources}, {relation.entity}]}}}}}}",
                severity="warning",
            )
            found.append((entity.name, relation, warning))
        return found

    def _assumption(self, name: str, spec: LMap, span: Span) -> Assumption | None:
        kind = next(k for k in ASSUMPTION_KINDS if k in spec)
        raw = spec[kind]
        unit = "min" if kind == "drop_visits_shorter_than" else None
        amount = parse_quantity(str(raw), unit)
        if amount is None or (unit == "min" and amount <= 0):
            # `scale_visit_time: .inf` was said to be "not a duration": it is a factor
            meant = "a duration" if unit else "a factor above 0"
            self.diags.error(
                "bad-value",
                f"`{raw}` is not {meant} for `{kind}`",
                spec.value_spans[kind],
                hint='e.g. "10 min"' if unit else "e.g. 0.85: each visit 15 % shorter",
            )
            return None
        share = Decimal(1)
        if "share" in spec:
            written = split_quantity(str(spec["share"]))
            if written is not None and written[1] is None and not isinstance(spec["share"], bool):
                # 0.1 was 0,1 % of the customers, where a ratio reads it as 10 %
                as_is, as_ratio = (f"{v.normalize():f} %" for v in (written[0], written[0] * 100))
                below_one = written[0] < 1
                self.diags.error(
                    "missing-unit",
                    f"`share: {spec['share']}` has no `%`"
                    + (f": is it {as_is} of the customers, or {as_ratio}?" if below_one else ""),
                    spec.value_spans["share"],
                    hint=f'write the per cent with its sign: "{as_is}"'
                    + (f' or "{as_ratio}"' if below_one else ""),
                )
                return None
            parsed = parse_quantity(str(spec["share"]), "%")
            if parsed is None or not 0 < parsed <= 1:
                self.diags.error(
                    "bad-value",
                    f"`{spec['share']}` is not a share of customers",
                    spec.value_spans["share"],
                    hint='a percentage above 0 and at most 100, e.g. "10 %"',
                )
                return None
            share = parsed
        where = spec.get("where") or LMap()
        return Assumption(
            name,
            kind,
            amount,
            str(spec.get("description", "")),
            span,
            {str(k): list(v) if isinstance(v, list) else [v] for k, v in where.items()},
            {str(k): where.key_spans[k] for k in where},
            share,
            int(spec.get("seed", 0)),
            spec.get("source"),
            spec.value_spans[kind],
        )

    def _zones(self, model: Model) -> None:
        seen: dict[str, str] = {}
        spelt: dict[str, str] = {}  # a district as letters and digits -> as written
        zones = self._section("zones")
        for zone, districts in model.zones.items():
            for i, district in enumerate(districts):
                what = f"the district `{district}`" if district.strip() else "a district"
                if said := unheld_code(district, f"{what} of zone `{zone}`"):
                    self.diags.error("schema", said[0], zones[zone].value_spans[i], hint=said[1])
                if district in seen and seen[district] != zone:
                    self.diags.error(
                        "schema",
                        f"district `{district}` is in both zone `{seen[district]}` and zone `{zone}`",
                        zones[zone].value_spans[i],
                    )
                twin = spelt.get(_plain_code(district))
                if twin is not None and twin != district:
                    # `centrum` in landsbygd beside `Centrum` in tätort: a customer's zone
                    # would follow how the export happens to spell the district
                    self.diags.warning(
                        "near-duplicate-code",
                        f"district `{district}` (zone `{zone}`) differs from `{twin}` (zone "
                        f"`{seen[twin]}`) only in case, å, ä, ö or a separator: a customer is "
                        "placed by how the data spells it",
                        zones[zone].value_spans[i],
                        hint=f"write it `{twin}`, or keep both if they are two districts",
                    )
                seen[district] = zone
                spelt.setdefault(_plain_code(district), district)

    def _add(self, model: Model, rule: Rule | None, name: str) -> None:
        """The rule into the model; a rule that could not be built (its errors are
        reported) is named among the model's broken pieces, so that a formula using
        it is not a second error (`unknown name`)."""
        if rule is None:
            model.broken.add(name)
            return
        if len(model.rules) >= MAX_RULES and not self._too_many:
            self._too_many = True
            self.diags.error(
                "schema",
                f"the model has more than {MAX_RULES} definitions, payments and other rules",
                rule.span,
                hint="a compensation model has tens of rules; generate tables, not rules",
            )
        if len(model.rules) >= MAX_RULES:
            return
        clash = next((r for r in model.rules.values() if r.name == rule.name), None)
        if clash is not None:
            self.diags.error(
                "schema",
                f"`{rule.name}` is defined twice (as a {clash.kind} on {clash.entity} and as a "
                f"{rule.kind} on {rule.entity})",
                rule.span,
                hint="give each definition, payment and exclusion its own name",
            )
            return
        model.rules[rule.name] = rule

    # ---- parameters

    def _parameter(self, name: str, spec: LMap, span: Span) -> Parameter | None:
        if "unit" not in spec and spec.get("kind") != "bands":  # 50 meant as 50 % was 50
            self.diags.error(
                "missing-unit",
                f"`{name}` does not say what its values are: `unit:` is needed",
                span,
                hint='unit: SEK, SEK/h, min, h, "%" (50 is 50 %), count, number (a plain '
                "factor), ratio, text, date or bool",
            )
            return None
        unit = str(spec.get("unit", "number"))  # time bands have none
        if unit in t.UNITS:
            typ: t.Type = t.UNITS[unit][0]
        elif unit in t.UNIT_WORDS:
            typ = t.UNIT_WORDS[unit]
        else:
            close = difflib.get_close_matches(unit, [*t.UNITS, *t.UNIT_WORDS], n=1)
            self.diags.error(
                "unknown-unit",
                f"unknown unit `{unit}`",
                spec.value_spans["unit"],
                hint=f"did you mean `{close[0]}`?"
                if close
                else "units: SEK, SEK/h, min, h, %, count, ratio, text",
            )
            return None
        keys = tuple(spec.get("keys") or ())
        if twice := sorted({key for key in keys if keys.count(key) > 1}):
            self.diags.error(
                "schema",
                f"`{twice[0]}` is named twice in the keys of `{name}`: each key is one "
                "dimension of the table",
                spec.value_spans["keys"],
                hint="e.g. keys: [zone, level]",
            )
            return None
        values_map: LMap = spec["values"]
        cells = _cells(values_map)
        if cells > MAX_PARAMETER_CELLS:
            self.diags.error(
                "schema",
                f"`{name}` has {cells} values; a parameter has at most {MAX_PARAMETER_CELLS}",
                span,
                hint="a price list of that size belongs in an input table",
            )
            return None
        first = next(iter(values_map.values()))
        kind = spec.get("kind") or (
            "table"
            if keys
            else "steps"
            if isinstance(first, list) and first and isinstance(first[0], dict)
            else "scalar"
        )
        if kind == "table" and not keys:
            self.diags.error(
                "schema", f"table `{name}` needs `keys:`", span, hint="e.g. keys: [zone, level]"
            )
            return None
        param = Parameter(
            name,
            kind,
            typ,
            unit,
            keys,
            (),
            [],
            span,
            str(spec.get("description", "")),
            spec.get("source"),
        )
        self._declared_range(param, spec)
        if spec.get("under") is not None:
            param.under_unit = str(spec["under"])
            if param.under_unit not in t.UNITS and param.under_unit not in ("count", "number"):
                self.diags.error(
                    "unknown-unit",
                    f"`under: {param.under_unit}` is not a unit for brackets",
                    spec.value_spans["under"],
                    hint="count, number, or a unit such as min, h, SEK, %",
                )
        for day_text, raw in values_map.items():
            day = _parse_date_text(day_text)
            vspan = values_map.value_spans[day_text]
            if day is None:
                self.diags.error(
                    "schema",
                    f"`{day_text}` is not a date",
                    values_map.key_spans[day_text],
                    hint="YYYY-MM-DD",
                )
                continue
            written: dict[tuple[int, str], Span] = {}  # a table's keys where written
            value = self._param_value(param, raw, vspan, written)
            param.values.append(DatedValue(day, value, vspan, written))
        if kind == "table":
            param.key_types = self._key_types(param)
        if "otherwise" in spec:
            if kind != "table":
                self.diags.error(
                    "schema",
                    f"`otherwise:` gives a table's value for keys it does not list; "
                    f"`{name}` is not a table",
                    spec.key_spans["otherwise"],
                )
            else:
                param.otherwise = self._cell(
                    param, spec["otherwise"], spec.value_spans["otherwise"]
                )
                param.has_otherwise = param.otherwise is not None
        if isinstance(spec.get("indexation"), LMap):
            param.indexation = self._indexation(param, spec["indexation"])
        return param

    def _indexation(self, param: Parameter, spec: LMap) -> Indexation | None:
        start = _parse_date_text(spec["from"])
        if start is None:
            self.diags.error("schema", f"`{spec['from']}` is not a date", spec.value_spans["from"])
            return None
        version = self._version(spec, "factor", LMap(), None)
        step = (
            self._index_step(param, spec["round"], spec.value_spans["round"])
            if "round" in spec
            else None
        )
        return Indexation(version.formula, version.tree, spec.value_spans["factor"], start, step)

    def _index_step(self, param: Parameter, raw: Any, span: Span) -> Decimal | None:
        """`round:` of an indexation, a multiple in the parameter's own unit: `1` whole
        kronor, `0.01` öre, `"5 SEK"` five kronor. A bare whole number other than a
        power of ten is an error: `round: 2`, meant as two decimals as `round(x, 2)` in a formula
        means, rounded 260,50 kr to a multiple of two kronor, 260 kr."""
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            step = Decimal(str(raw))
            if not step.is_finite():  # YAML's `.inf`, `.nan`: a traceback, at check or run
                self.diags.error(
                    "bad-value",
                    f"`round: {raw}` is no multiple to round `{param.name}` to",
                    span,
                    hint=f"0.01 rounds to two decimals, 1 to whole {param.unit}",
                )
                return None
            whole = step == step.to_integral_value()
            if step > 0 and (not whole or step == Decimal(10) ** step.log10().to_integral_value()):
                return step  # 0.05, 1, 10: no count of decimals
            self.diags.error(
                "bad-value",
                f"`round: {raw}` rounds each indexed value of `{param.name}` to a multiple of "
                f"{raw} {param.unit}, not to {raw} decimals",
                span,
                hint=f'write the multiple with its unit, "{raw} {param.unit}", if that is '
                "meant; 0.01 rounds to two decimals, 1 to whole units",
            )
            return None
        typ, value = self._quantity(raw, span, None)
        if value is None:
            return None
        if not isinstance(param.type, t.Num) or not t.compatible(typ, param.type):
            self.diags.error(
                "unit-mismatch",
                f"`round: {raw}` is no multiple of `{param.name}`, which is in {param.unit}",
                span,
                hint=f'e.g. "1 {param.unit}"',
            )
            return None
        if value <= 0:
            self.diags.error("bad-value", f"`round: {raw}`: a multiple is above 0", span)
            return None
        return t.to_written(value, param.unit)

    def _param_value(
        self, param: Parameter, raw: Any, span: Span, written: dict[tuple[int, str], Span]
    ) -> Any:
        match param.kind:
            case "scalar":
                return self._cell(param, raw, span)
            case "steps":
                return self._brackets(param, raw, span)
            case "list":
                return self._list(param, raw, span)
            case "bands":
                return self._bands(param, raw, span)
        return self._table(param, raw, span, 0, written)

    def _list(self, param: Parameter, raw: Any, span: Span) -> list[Any]:
        """A list parameter's values on one date (a holiday calendar: dates)."""
        if not isinstance(raw, LList):
            self.diags.error(
                "schema",
                f"`{param.name}` is a list: give a list of values for each date",
                span,
                hint="e.g. 2024-01-01: [2024-12-24, 2024-12-25, 2024-12-26]",
            )
            return []
        return [self._cell(param, item, raw.value_spans[i]) for i, item in enumerate(raw)]

    def _bands(self, param: Parameter, raw: Any, span: Span) -> list[Band]:
        """Time bands, in order of precedence."""
        if not isinstance(raw, LList):
            self.diags.error(
                "schema",
                f"`{param.name}` is a set of time bands: give a list of bands",
                span,
                hint='e.g. - { name: natt, from: "22:00", to: "07:00" }',
            )
            return []
        bands: list[Band] = []
        for i, item in enumerate(raw):
            where = raw.value_spans[i]
            band = self._band(item, where) if isinstance(item, LMap) else None
            if band is None:
                continue
            if any(b.name == band.name for b in bands):
                self.diags.error("schema", f"two bands named `{band.name}`", where)
                continue
            bands.append(band)
        return bands

    def _band(self, spec: LMap, span: Span) -> Band | None:
        name = spec.get("name")
        unknown = set(spec) - {"name", "from", "to", "days", "calendar"}
        if not name or unknown:
            self.diags.error(
                "schema",
                "a band has `name:` and some of `from:`, `to:`, `days:`, `calendar:`"
                + (f" (not {', '.join(sorted(map(str, unknown)))})" if unknown else ""),
                span,
                hint='e.g. - { name: helg, from: "fri 19:00", to: "mon 07:00" }',
            )
            return None
        days: list[int] = []
        for day in spec.get("days") or []:
            number = WEEKDAYS.get(str(day).lower())
            if number is None:
                self.diags.error(
                    "bad-value",
                    f"`{day}` is not a day of the week",
                    span,
                    hint="mon … sun, mån … sön",
                )
                return None
            days.append(number)
        ends = [_band_moment(spec.get(k)) for k in ("from", "to")]
        for key, end in zip(("from", "to"), ends, strict=True):
            if end is False:  # said of the value itself: what it is not, what to write
                written = str(spec[key]).strip()
                self.diags.error(
                    "bad-value",
                    f"`{key}: {written}` {_band_moment_problem(written)}",
                    spec.value_spans.get(key, span),
                    hint='a time of day, "22:00", or a day and a time, "fri 19:00" (mon … '
                    "sun, mån … sön)",
                )
                return None
        if (spec.get("from") is None) != (spec.get("to") is None):
            given, missing = ("from", "to") if spec.get("from") is not None else ("to", "from")
            self.diags.error(
                "bad-value",
                f"a band with `{given}:` needs `{missing}:` too: the window runs from one time "
                "to another",
                span,
                hint=f'e.g. - {{ name: {name}, from: "19:00", to: "22:00" }}',
            )
            return None
        start, end = ends
        weekly = isinstance(start, tuple) or isinstance(end, tuple)
        if weekly and not (isinstance(start, tuple) and isinstance(end, tuple)):
            self.diags.error("bad-value", "give a day with both `from:` and `to:`", span)
            return None
        start_minute: int | None
        end_minute: int | None
        if isinstance(start, tuple) and isinstance(end, tuple):
            start_minute = (start[0] - 1) * 1440 + start[1]
            end_minute = (end[0] - 1) * 1440 + end[1]
        else:
            start_minute = start if isinstance(start, int) else None
            end_minute = end if isinstance(end, int) else None
        calendar = spec.get("calendar")
        return Band(
            str(name),
            start_minute,
            end_minute,
            tuple(days),
            weekly,
            str(calendar) if calendar else None,
            spec.value_spans.get("calendar") if calendar else None,
        )

    def _table(
        self,
        param: Parameter,
        raw: Any,
        span: Span,
        depth: int,
        written: dict[tuple[int, str], Span],
    ) -> dict[tuple[str, ...], Any]:
        """A table's cells by their keys; each key's first place noted in `written`."""
        out: dict[tuple[str, ...], Any] = {}
        if depth == len(param.keys):
            out[()] = self._cell(param, raw, span)
            return out
        if isinstance(raw, LList):
            items = [
                (str(i + 1), v, raw.value_spans[i], raw.value_spans[i]) for i, v in enumerate(raw)
            ]
        elif isinstance(raw, LMap):
            items = [(str(k), v, raw.value_spans[k], raw.key_spans[k]) for k, v in raw.items()]
        else:
            self.diags.error(
                "schema",
                f"table `{param.name}` needs a value for each `{param.keys[depth]}` here",
                span,
                hint=f"its keys are {', '.join(param.keys)}: one level of nesting per key",
            )
            return out
        for key, value, vspan, kspan in items:
            self._key_held(param.keys[depth], key, kspan)
            written.setdefault((depth, key), kspan)
            for rest, cell in self._table(param, value, vspan, depth + 1, written).items():
                out[(key, *rest)] = cell
        return out

    def _key_held(self, name: str, key: str, span: Span) -> None:
        """Note a table's key that no row can hold (a zone `tätorten`, a level 0), said
        once the table is read (`_say_unheld_keys`)."""
        domain = self._key_domains.get(name)
        if domain is not None and not domain.holds(key):
            self._unheld.append((name, key, span))

    def _say_unheld_keys(self, table: str, param: Parameter | None) -> None:
        """A table's key that no row can hold is never looked up: the rows it was meant
        for find no value — an error of the run's (`lookup-miss`), so a warning here — or,
        under `otherwise:`, that value in silence (a misspelt zone paid each of its
        customers 0 kr): an error. A model that narrows a code list its parent's table
        prices (Granby's insatser without lunch) is warned of the price left over."""
        for name, key, span in self._unheld:
            domain = self._key_domains[name]
            close = closest(key, domain.named)
            said = f"`{key}` is no {domain.words} ({domain.shown}): the value of `{table}` for it is never looked up"
            hint = f"did you mean `{close}`?" if close else f"{name}: {domain.shown}"
            if param is not None and param.has_otherwise:
                self.diags.error(
                    "unknown-value",
                    f"{said}, and the rows it was meant for are paid by `otherwise:`",
                    span,
                    hint=hint,
                )
            else:
                self.diags.warning("unknown-value", said, span, hint=hint)
        self._unheld.clear()

    def _brackets(self, param: Parameter, raw: Any, span: Span) -> list[tuple[Decimal, Any]]:
        if not isinstance(raw, LList):
            self.diags.error(
                "schema",
                f"step table `{param.name}` needs a list of brackets",
                span,
                hint="every dated value of it is one: [{under: 20 %, value: 40 %}, …], or "
                "[{up_to: 12 h, value: 5200}, …]",
            )
            return []
        out: list[tuple[Decimal, Any]] = []
        for i, bracket in enumerate(raw):
            bspan = raw.value_spans[i]
            if not isinstance(bracket, LMap) or set(bracket) not in (
                {"under", "value"},
                {"up_to", "value"},
            ):
                self.diags.error(
                    "schema",
                    "a bracket needs exactly `under` (or `up_to`) and `value`",
                    bspan,
                    hint="- {under: 20 %, value: 40 %}, or - {up_to: 12 h, value: 5200}",
                )
                continue
            bound = "up_to" if "up_to" in bracket else "under"
            if out and (bound == "up_to") != param.inclusive:
                self.diags.error(
                    "schema",
                    "brackets are written all with `under:` (x below it) or all with `up_to:` "
                    "(x at most it)",
                    bspan,
                )
                continue
            param.inclusive = bound == "up_to"
            raw_under = bracket[bound]
            under_span = bracket.value_spans[bound]
            under_type, under = self._quantity(raw_under, under_span, param.under_unit)
            if under is None:
                continue
            if not self._same_writing(param, "under", raw_under, under_span):
                continue
            written = split_quantity(raw_under) if isinstance(raw_under, str) else None
            if param.bound_unit is None and written and written[1] in t.UNITS:
                param.bound_unit = written[1]  # shown as written: `up_to 12 h`, not 720 min
            if param.bracket_type is None:
                param.bracket_type = under_type
            elif not t.compatible(param.bracket_type, under_type):
                self.diags.error(  # at the bound written: `up_to` stopped in a KeyError
                    "unit-mismatch",
                    f"all brackets must use the same unit for `{bound}`",
                    under_span,
                )
                continue  # its order among the others means nothing
            if out and under <= out[-1][0]:
                self.diags.error(
                    "schema",
                    f"brackets must be in increasing order of `{bound}`",
                    under_span,
                )
            out.append((under, self._cell(param, bracket["value"], bracket.value_spans["value"])))
        return out

    def _same_writing(self, param: Parameter, part: str, raw: Any, span: Span) -> bool:
        """A parameter with a unit is written with it, or without it, throughout:
        `under: 50` among `under: 40 %` (the `%` forgotten) would be 5 000 %. A bare
        `under` in a parameter with a unit is an error too: its unit cannot be told."""
        if raw is None or (isinstance(raw, str) and split_quantity(raw) is None):
            return True  # not a number at all (`1 200,50`): `_quantity` says so
        if isinstance(raw, bool | LMap | LList):
            return True  # a yes, a table, a list: `_quantity` says so (not "with a unit")
        bare = _is_bare_number(raw)
        if part == "under" and param.under_unit is not None:
            return True  # the brackets' own unit is declared (`under: count`)
        if part == "under" and bare and param.unit in t.UNITS:
            self.diags.error(
                "missing-unit",
                f"`under: {raw}` has no unit, and `{param.name}` is in {param.unit}",
                span,
                hint=f'write the unit of the bracket, e.g. "{raw} %" or "{raw} min", or declare '
                "it for every bracket: `under: count`",
            )
            return False
        first = self._writing.setdefault((param.name, part), (bare, raw))
        if first[0] != bare:
            with_unit, without = (raw, first[1]) if not bare else (first[1], raw)
            self.diags.error(
                "missing-unit",
                f"`{param.name}` mixes numbers with a unit (`{with_unit}`) and without "
                f"(`{without}`)",
                span,
                hint=f"write every {'bracket' if part == 'under' else 'value'} with its "
                f'unit, e.g. "{_number_text(without)} {param.unit if part != "under" else "%"}"',
            )
            return False
        return True

    def _declared_range(self, param: Parameter, spec: LMap) -> None:
        """A parameter's `minimum:` and `maximum:`, in its unit unless written with one;
        an amount, a rate or a time without a `minimum:` is at least 0 (`_outside`)."""
        typ = param.type
        for word in ("minimum", "maximum"):
            if word not in spec:
                continue
            raw, span = spec[word], spec.value_spans[word]
            if not isinstance(typ, t.Num) or param.kind in ("list", "bands"):
                self.diags.error(
                    "schema",
                    f"`{word}:` bounds a parameter of numbers; `{param.name}` is not one",
                    spec.key_spans[word],
                )
                continue
            value_type, value = self._quantity(raw, span, param.unit)
            if value is not None and not t.compatible(value_type, typ):
                self.diags.error(
                    "unit-mismatch",
                    f"`{word}: {raw}` is {t.describe(value_type)}, but `{param.name}` is "
                    f"{t.describe(typ)}",
                    span,
                )
                continue
            written = f"{raw} {param.unit}" if _is_bare_number(raw) else str(raw)
            setattr(param, word, value)
            setattr(param, f"{word}_written", written)
        if param.minimum is None and isinstance(typ, t.Num) and (typ.money or typ.time):
            param.minimum = Decimal(0)  # not declared: `minimum_written` stays None
        low, high = param.minimum, param.maximum
        if low is not None and high is not None and low > high:
            least = param.minimum_written or f"0 {param.unit}"
            self.diags.error(
                "schema",
                f"`{param.name}` may be at most {param.maximum_written}, less than its "
                f"least value {least}",
                spec.value_spans["maximum"],
                hint=None if param.minimum_written else "a negative one needs its `minimum:`",
            )

    def _outside(self, param: Parameter, raw: Any, value: Decimal, span: Span) -> None:
        """A value below the parameter's least value or above its most (`minimum:`,
        `maximum:`): a price typed `-455` paid every hour backwards, with exit 0."""
        if param.minimum is not None and value < param.minimum:
            if param.minimum_written is None:  # not declared: an amount, a rate, a time
                self.diags.error(
                    "out-of-range",
                    f"`{raw}` is below 0, and `{param.name}` is {t.describe(param.type)}",
                    span,
                    hint=f"an amount, a rate or a time is not negative; if `{param.name}` may "
                    f"be, declare its least value: `minimum: {raw}`",
                )
            else:
                self.diags.error(
                    "out-of-range",
                    f"`{raw}` is below the least value of `{param.name}` ({param.minimum_written})",
                    span,
                    hint="the parameter's `minimum:` says what it may be",
                )
        elif param.maximum is not None and value > param.maximum:
            self.diags.error(
                "out-of-range",
                f"`{raw}` is above the most `{param.name}` may be ({param.maximum_written})",
                span,
                hint="the parameter's `maximum:` says what it may be",
            )

    def _cell(self, param: Parameter, raw: Any, span: Span) -> Any:
        typ = param.type
        if isinstance(typ, t.Num):
            if not self._same_writing(param, "value", raw, span):
                return None
            value_type, value = self._quantity(raw, span, param.unit)
            if value is not None and not t.compatible(value_type, typ):
                self.diags.error(
                    "unit-mismatch",
                    f"`{raw}` is {t.describe(value_type)}, but `{param.name}` is {t.describe(typ)}",
                    span,
                )
            elif value is not None and _whole_share_written_bare(param, raw, value):
                self.diags.error(  # 40 meant as 40 %: paid forty times the amount
                    "unit-mismatch",
                    f"`{raw}` in `{param.name}` (unit: ratio) is {raw} wholes "
                    f"({value * 100:f} %), not {raw} %",
                    span,
                    hint=f'write "{raw} %" (or {value / 100:f} of the whole), or give '
                    '`unit: "%"` to write per cents as plain numbers',
                )
            elif value is not None and _fraction_written_bare(param, raw, value):
                shown, meant = _number_text(raw), f"{(value * 10000).normalize():f}"
                self.diags.error(  # 0.8 meant as 80 %: paid a hundredth of the share
                    "unit-mismatch",
                    f"`{raw}` in `{param.name}` (unit: %) is {shown} %, not {meant} %",
                    span,
                    hint=f'write "{shown} %" if {shown} % is meant, or {meant} for {meant} %',
                )
            elif value is not None and typ == t.COUNT and value != value.to_integral_value():
                self.diags.error(  # a count of 2.5 customers, or a level 2.5 to look up
                    "bad-value",
                    f"`{raw}` is not a whole number, and `{param.name}` is a count",
                    span,
                    hint="a count is whole: 2 or 3 (a share is unit: ratio or %)",
                )
            elif value is not None:
                self._outside(param, raw, value, span)
            return value
        if isinstance(typ, t.Date):
            day = _parse_date_text(raw)
            if day is None:
                self.diags.error("bad-value", f"`{raw}` is not a date", span, hint="YYYY-MM-DD")
            return day
        if isinstance(typ, t.Bool):
            if not isinstance(raw, bool):
                self.diags.error(
                    "bad-value", f"`{raw}` is not true or false", span, hint="write true or false"
                )
            return bool(raw)
        if raw is None or isinstance(raw, LMap | LList):
            self.diags.error("bad-value", f"`{param.name}` needs a text here", span)
            return None
        return str(raw)

    def _quantity(
        self, raw: Any, span: Span, default_unit: str | None
    ) -> tuple[t.Type, Decimal | None]:
        """A number in `default_unit`, or a text such as "40 %" or "450 SEK/h"."""
        if isinstance(raw, bool) or raw is None or isinstance(raw, LMap | LList):
            message, hint = _not_a_quantity(raw)
            self.diags.error("bad-value", message, span, hint=hint)
            return t.UNKNOWN, None
        if isinstance(raw, int | float):
            number, unit = Decimal(str(raw)), default_unit
        else:
            parts = split_quantity(str(raw))
            if parts is None:
                self.diags.error(
                    "bad-value",
                    f"`{raw}` is not a number",
                    span,
                    hint=_ambiguous_comma_hint(str(raw))
                    or _clock_hint(str(raw), default_unit)
                    or 'e.g. 1520, "40 %", "450 SEK/h"',
                )
                return t.UNKNOWN, None
            number, unit = parts[0], parts[1] or default_unit
        written = raw.written if isinstance(raw, WrittenFloat) else raw  # a float: `1.2500`
        text = _number_part(ascii_minus(written)) if isinstance(written, str) else ""
        priced = point_in_price(text, unit)
        if priced is not None:  # a price of 1.200 SEK: 1,20 kr, or 1 200 kr?
            self.diags.error("bad-value", priced[0], span, hint=priced[1])
            return t.UNKNOWN, None
        if not number.is_finite() or abs(number) > t.MAX_MAGNITUDE:
            self.diags.error(
                "bad-value",
                f"`{raw}` is not a number carepay computes with (finite, at most 10^15)",
                span,
                hint='e.g. 1520, "40 %", "450 SEK/h"',
            )
            return t.UNKNOWN, None
        if unit is None or unit in t.UNIT_WORDS:
            typ = t.UNIT_WORDS.get(unit or "number", t.NUMBER)
            return typ, number
        if unit not in t.UNITS:
            self.diags.error("unknown-unit", f"unknown unit `{unit}`", span)
            return t.UNKNOWN, None
        num, den = t.unit_factor(unit)
        try:
            minutes = number * num / den
        except InvalidOperation:
            return t.UNKNOWN, None
        if t.too_long(t.UNITS[unit][0], minutes):
            self.diags.error(
                "bad-value",
                t.too_long_message(str(raw)),
                span,
                hint=t.TOO_LONG_HINT,
            )
            return t.UNKNOWN, None
        return t.UNITS[unit][0], minutes

    def _key_types(self, param: Parameter) -> tuple[t.Type, ...]:
        types: list[t.Type] = []
        for i in range(len(param.keys)):
            keys = {k[i] for dated in param.values for k in (dated.value or {})}
            types.append(
                t.COUNT if keys and all(re.fullmatch(r"-?\d+", k) for k in keys) else t.TEXT
            )
        return tuple(types)

    def _reason_given(self, name: str, spec: LMap) -> None:
        """A `reason:` of nothing but spaces: each row set aside, or visit flagged, by
        `name` was listed (rejects.csv, the exclusions, the workbook, the letter) with
        no word of why."""
        self._not_blank(
            spec,
            "reason",
            f"the reason of `{name}` is blank: each row it sets aside is listed with its "
            "reason, for the controller and the provider",
            "e.g. reason: rättad mer än fem dagar efter besöket",
        )

    def _not_blank(self, spec: LMap, key: str, message: str, hint: str) -> None:
        """An error at `key` of `spec` where it is given as nothing but spaces."""
        if key in spec and not str(spec[key] or "").strip():
            self.diags.error("schema", message, spec.value_spans[key], hint=hint)

    # ---- rules

    def _rule(
        self, name: str, entity: str, kind: str, spec: Any, parent: LMap, key: str
    ) -> Rule | None:
        span = parent.key_spans[key]
        if not isinstance(spec, LMap):  # `name: formula`
            return Rule(name, entity, kind, [self._version(parent, key, LMap(), None)], span)
        source = spec.get("source")
        self._reason_given(name, spec)
        self._not_blank(  # the invoice's specification sums the month by its category
            spec,
            "category",
            f"the category of `{name}` is blank: the invoice's specification lists each "
            "payment under its category",
            "e.g. category: nivårelaterad",
        )
        self._not_blank(  # the line's quantity would be shown in no unit
            spec,
            "unit",
            f"the unit of `{name}` is blank: its statement lines show their quantity in it",
            "e.g. unit: h, or leave out unit: and quantity: both",
        )
        rule = Rule(
            name,
            entity,
            kind,
            [],
            span,
            source=str(source) if source is not None else None,
            description=str(spec.get("description", "")),
            category=spec.get("category"),
            reason=spec.get("reason"),
            unit=spec.get("unit"),
            label=spec.get("label"),
            letter=spec.get("letter"),
            letter_span=spec.value_spans.get("letter"),
            label_span=spec.value_spans.get("label"),
        )
        formula_key = "when" if kind in ("exclusion", "flag") else "formula"
        if formula_key in spec:
            rule.versions.append(self._version(spec, formula_key, spec, rule.source))
        versions = spec.get("versions") or LList()
        for i, item in enumerate(versions):
            item_source = item.get("source", rule.source)
            version = self._version(
                item, "formula", spec, str(item_source) if item_source else None
            )
            version.span = versions.value_spans[i]
            if "quantity" in item:
                version.quantity = self._version(item, "quantity", LMap(), None)
            rule.versions.append(version)
        if "quantity" in spec:
            rule.quantity = self._version(spec, "quantity", LMap(), None)
        self._check_overlaps(rule)
        return rule

    def _version(self, holder: LMap, key: str, defaults: LMap, source: str | None) -> RuleVersion:
        """One dated formula: `holder[key]`, its dates from `holder` or else from `defaults`."""
        value = holder[key]
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        span = holder.value_spans[key]
        origin = holder.origins.get(key) or FormulaOrigin.at(span.file, span.line, span.col)
        parsed = parse_formula(text, origin)
        tree = None
        if isinstance(parsed, Diagnostic):
            self.diags.add(parsed)
        else:
            tree = parsed

        def dated(field: str) -> tuple[date | None, Span | None]:
            for place in (holder, defaults):
                if isinstance(place, LMap) and field in place:
                    return _parse_date_text(place[field]), place.value_spans[field]
            return None, None

        valid_from, _ = dated("valid_from")
        valid_to, to_span = dated("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.diags.error("overlapping-validity", "`valid_to` is before `valid_from`", to_span)
        return RuleVersion(text, tree, span, valid_from, valid_to, source)

    def _check_overlaps(self, rule: Rule) -> None:
        versions = sorted(rule.versions, key=lambda v: v.valid_from or date.min)
        for a, b in zip(versions, versions[1:], strict=False):
            a_end = a.valid_to or date.max
            if (b.valid_from or date.min) <= a_end:
                self.diags.error(
                    "overlapping-validity",
                    f"two versions of `{rule.name}` are in force on {(b.valid_from or date.min).isoformat()}",
                    b.span,
                    hint=f"the version on line {a.span.line} is in force until "
                    f"{'further notice' if a.valid_to is None else a.valid_to.isoformat()}; "
                    "end it (valid_to) the day before this one starts",
                )
            elif a.valid_to is not None and b.valid_from is not None:
                self._check_gap(rule, a, b.valid_from, b.span)

    def _check_gap(self, rule: Rule, before: RuleVersion, start: date, span: Span) -> None:
        """Versions that leave days between them: in a month whose first day no version
        covers, the rule is not in force and pays nothing — with no word."""
        assert before.valid_to is not None
        first, last = before.valid_to + timedelta(days=1), start - timedelta(days=1)
        if first > last:
            return
        self.diags.error(
            "gap-in-validity",
            f"no version of `{rule.name}` is in force from {first.isoformat()} to "
            f"{last.isoformat()}, so a month that starts then pays nothing of it",
            span,
            hint=f"end the version on line {before.span.line} the day before this one starts, "
            "or write the pause as a version of its own (formula: 0 SEK)",
        )


def model_source(path: Path, texts: Mapping[Path, str] | None = None) -> LMap | None:
    """A model file's YAML with its `extends` followed, as data (None if it cannot be
    read): what tells which parts of a model an edit changed."""
    return _read_model_data(path, Diagnostics(), texts=texts)


def is_test_file(path: Path) -> bool:
    """A model test file (`tests:` at the top level), not a model: read from its first
    4 000 bytes, and only of a regular file (a named pipe or /dev/zero is not waited on
    or read whole; loading it says what it is)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as file:
            head = file.read(4000).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    return re.search(r"^tests\s*:", head, re.MULTILINE) is not None


def model_files_in(folder: Path) -> list[Path]:
    """The model files of a model's folder (a file named `_…` is a part, not a model)."""
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_"))


def load_model(
    path: str | Path, diags: Diagnostics, texts: Mapping[Path, str] | None = None
) -> Model | None:
    """Load a model file (following `extends`); problems go to `diags`. `texts`: files
    as being edited, read instead of the disk (by resolved path)."""
    path = Path(path)
    if path.is_dir():
        candidates = model_files_in(path)
        if len(candidates) != 1:
            diags.error(
                "file-not-found",
                f"{path} holds {len(candidates)} model files; name one",
            )
            return None
        path = candidates[0]
    if not path.exists() and path.resolve() not in (texts or {}):
        diags.error("file-not-found", f"no such file: {path}")
        return None
    data = _read_model_data(path, diags, texts=texts)
    if data is None:
        return None
    return _Builder(data, diags).build()
