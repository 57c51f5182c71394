"""Rule files: YAML, shape, dated values, versions and `extends`, each problem located."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from engine.api import parse_month, run
from engine.checker import check
from engine.diagnostics import Diagnostics
from engine.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
HEAD = "model: m\ntitle: T\n"


def loaded(tmp_path: Path, text: str) -> Diagnostics:
    """What loading a model of `text` says (warnings too, which `problems` leaves out)."""
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    diags = Diagnostics()
    load_model(path, diags)
    return diags


def problems(
    tmp_path: Path, text: str, months: tuple[str, ...] = ()
) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    if model is not None:
        check(model, diags, [parse_month(m) for m in months])
    return [
        (d.code, d.span.line if d.span else 0, d.span.col if d.span else 0, d.message)
        for d in diags.errors
    ]


CASES = [
    ("tab indentation", HEAD + "parameters:\n\ta: 1\n", ("yaml-syntax", 4, 1)),
    (
        "duplicate key",
        HEAD + "parameters:\n  a: {values: {2024-01-01: 1}}\n  a: {values: {2024-01-01: 2}}\n",
        ("duplicate-key", 5, 3),
    ),
    ("missing title", "model: m\n", ("schema", 1, 1)),
    ("unknown entity", HEAD + "definitions:\n  custmer_month:\n    x: 1\n", ("unknown-name", 5, 5)),
    (
        "bad date key",
        HEAD + "parameters:\n  a:\n    unit: SEK\n    values: {2024-13-01: 1}\n",
        ("schema", 6, 14),
    ),
    (  # 50 meant as 50 %, and paid as 50 times
        "parameter without unit",
        HEAD + "parameters:\n  andel:\n    values: {2024-01-01: 50}\n",
        ("missing-unit", 4, 3),
    ),
    (
        "payment without category",
        HEAD + "payments:\n  p: {entity: customer_month, formula: 1 SEK}\n",
        ("schema", 4, 6),
    ),
    (
        "unknown unit in parameter",
        HEAD + "parameters:\n  a: {unit: SEK/tim, values: {2024-01-01: 1}}\n",
        ("unknown-unit", 4, 13),
    ),
    (
        "value with the wrong unit",
        HEAD + "parameters:\n  a: {unit: '%', values: {2024-01-01: 40 SEK}}\n",
        ("unit-mismatch", 4, 39),
    ),
    (
        "brackets out of order",
        HEAD
        + "parameters:\n  s:\n    unit: '%'\n    values:\n      2024-01-01:\n        - {under: 40 %, value: 70 %}\n        - {under: 20 %, value: 40 %}\n",
        ("schema", 9, 19),
    ),
    (
        "table without keys level",
        HEAD
        + "parameters:\n  t:\n    unit: SEK\n    keys: [zone, level]\n"
        + "    values: {2024-01-01: {tätort: 5}}\n",
        ("schema", 7, 35),
    ),
    (  # the invoice's specification listed the payment under no category
        "a payment's blank category",
        HEAD + "payments:\n  p: {entity: customer_month, category: ' ', formula: 1 SEK}\n",
        ("schema", 4, 41),
    ),
    ("a blank title", "model: m\ntitle: ''\n", ("schema", 2, 8)),
    (  # each visit it set aside was listed with no word of why
        "an exclusion's blank reason",
        HEAD + "exclusions:\n  e: {when: clock_adjusted, reason: ''}\n",
        ("schema", 4, 37),
    ),
    (
        "a data requirement's blank reason",
        HEAD + "data_requirements:\n  r:\n    table: decisions\n    any_of: [level]\n"
        "    reason: ' '\n",
        ("schema", 7, 13),
    ),
    (  # its customers were rejected: "district `Centrum` is in no zone of the model"
        "a district with a space before it",
        HEAD + "zones:\n  tätort: [' Centrum', Väster]\n",
        ("schema", 4, 12),
    ),
    (  # no customer's district is blank: a blank cell is empty
        "a blank district",
        HEAD + "zones:\n  tätort: [Centrum, '']\n",
        ("schema", 4, 21),
    ),
    (  # it ran: the level's list read as keys of a second zone
        "a key named twice",
        HEAD
        + "parameters:\n  t:\n    unit: SEK\n    keys: [zone, zone]\n"
        + "    values: {2024-01-01: {tätort: [5]}}\n",
        ("schema", 6, 11),
    ),
    (
        "defined twice",
        HEAD + "definitions:\n  visit:\n    x: 1\n  customer_month:\n    x: 2\n",
        ("schema", 7, 5),
    ),
    (
        "payment that is not money",
        HEAD + "payments:\n  p: {entity: customer_month, category: c, formula: 3 h}\n",
        ("unit-mismatch", 4, 53),
    ),
    (
        "payment per visit",
        HEAD + "payments:\n  p: {entity: visit, category: c, formula: 3 SEK}\n",
        ("type-mismatch", 4, 3),
    ),
    (
        "exclusion that is not true/false",
        HEAD + "exclusions:\n  e: {when: 3, reason: r}\n",
        ("type-mismatch", 4, 13),
    ),
    (
        "overlapping versions",
        HEAD + "payments:\n  p:\n    entity: customer_month\n    category: c\n    versions:\n"
        "      - {valid_from: 2020-01-01, valid_to: 2021-06-30, formula: 1 SEK}\n"
        "      - {valid_from: 2021-06-01, formula: 2 SEK}\n",
        ("overlapping-validity", 9, 9),
    ),
    (  # April 2021 would pay nothing of `p`, in silence (before: checked clean)
        "a gap between versions",
        HEAD + "payments:\n  p:\n    entity: customer_month\n    category: c\n    versions:\n"
        "      - {valid_from: 2020-01-01, valid_to: 2021-03-31, formula: 1 SEK}\n"
        "      - {valid_from: 2021-05-01, formula: 2 SEK}\n",
        ("gap-in-validity", 9, 9),
    ),
    (
        "valid_to before valid_from",
        HEAD
        + "payments:\n  p: {entity: customer_month, category: c, formula: 1 SEK, valid_from: 2024-01-01, valid_to: 2023-01-01}\n",
        ("overlapping-validity", 4, 94),
    ),
    (
        # it would reject no row, in silence (an assumption's `where:` was checked so)
        "a data requirement's where: value no row can hold",
        HEAD + "data_requirements:\n  r:\n    table: decisions\n    where: {service: omsrog}\n"
        "    any_of: [level]\n    reason: x\n",
        ("unknown-value", 6, 13),
    ),
    (
        "a data requirement's where: text for a number",
        HEAD + "data_requirements:\n  r:\n    table: decisions\n    where: {level: tre}\n"
        "    any_of: [granted_minutes]\n    reason: x\n",
        ("type-mismatch", 6, 13),
    ),
    (
        # 3.5 was cut to level 3: the rule asked its value of the level-3 decisions
        "a data requirement's where: a level no decision has",
        HEAD + "data_requirements:\n  r:\n    table: decisions\n    where: {level: 3.5}\n"
        "    any_of: [granted_minutes]\n    reason: x\n",
        ("type-mismatch", 6, 13),
    ),
    (
        "a data requirement's where: a date that is none",
        HEAD
        + "data_requirements:\n  r:\n    table: decisions\n    where: {start_date: 2024-02-30}\n"
        "    any_of: [level]\n    reason: x\n",
        ("type-mismatch", 6, 13),
    ),
    (
        # every row would stop the run: the wrong column, not a table lacking some keys
        "a look-up by a column none of whose values the table lists",
        HEAD + "parameters:\n  pris: {unit: SEK, keys: [service], values: {2024-01-01: "
        "{omsorg: 1, service: 2}}}\ndefinitions:\n  visit:\n    x: pris[registration]\n",
        ("bad-lookup", 7, 13),
    ),
    ("extends a missing file", "model: m\nextends: nowhere.yaml\n", ("bad-extends", 2, 10)),
    ("extends itself", "model: m\nextends: m.yaml\n", ("bad-extends", 2, 10)),
    (
        "types of versions differ",
        HEAD
        + "definitions:\n  customer_month:\n    x:\n      versions:\n        - {valid_to: 2023-12-31, formula: 1 SEK}\n        - {valid_from: 2024-01-01, formula: 1 h}\n",
        ("type-mismatch", 8, 45),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_file_problem_is_located(tmp_path, text, expected):
    found = problems(tmp_path, text)
    assert found, "expected a problem"
    assert found[0][:3] == expected, found


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ("{2024-01-01: 300}", ("schema", 7, 26)),  # a number for a table by level
        ("{2024-01-01: [300, tre]}", ("bad-value", 7, 32)),
    ],
)
def test_a_parameter_in_error_is_not_an_error_again_where_it_is_used(tmp_path, values, said):
    """A table written as one number was said, and its look-up again, as the wrong
    error: "key `level` of `minuter` is a text, but this is count"."""
    text = (
        HEAD + "parameters:\n  minuter:\n    unit: min\n    keys: [level]\n"
        f"    values: {values}\n"
        "payments:\n  p:\n    entity: customer_month\n    category: c\n"
        "    formula: 'minuter[max(decisions.level)] * 1 SEK/min'\n"
    )
    assert [found[:3] for found in problems(tmp_path, text)] == [said]


ZONED = """\
model: m
title: T
zones: { tätort: [Centrum], landsbygd: [Norrby] }
parameters:
  belopp:
    unit: SEK
    keys: [zone, level]
    OTHERWISE
    values: {2024-01-01: TABLE}
payments:
  p: {entity: customer_month, category: c, formula: 'belopp[zone, max(decisions.level)]'}
"""


@pytest.mark.parametrize(
    ("otherwise", "table", "severity", "said"),
    [
        # a misspelt zone under `otherwise: 0` paid each customer of tätort 0 kr, exit 0
        ("otherwise: 0", "{tätorten: [100, 200], landsbygd: [110, 220]}", "error",
         (9, 27, "`tätorten` is no zone of the model (tätort, landsbygd): the value of "
          "`belopp` for it is never looked up, and the rows it was meant for are paid by "
          "`otherwise:`", "did you mean `tätort`?")),
        ("otherwise: 0", "{tätort: {0: 100, 2: 200}, landsbygd: [110, 220]}", "error",
         (9, 36, "`0` is no `level` a row can hold (1–29): the value of `belopp` for it is "
          "never looked up, and the rows it was meant for are paid by `otherwise:`",
          "level: 1–29")),
        # without `otherwise:` the level meant stops the run (lookup-miss): a warning
        ("", "{tätort: {1: 100, 30: 200}, landsbygd: [110, 220]}", "warning",
         (9, 44, "`30` is no `level` a row can hold (1–29): the value of `belopp` for it is "
          "never looked up", "level: 1–29")),
    ],
    ids=["a zone", "a level under otherwise", "a level"],
)  # fmt: skip
def test_a_tables_key_no_row_can_hold_is_said(tmp_path, otherwise, table, severity, said):
    path = tmp_path / "m.yaml"
    path.write_text(ZONED.replace("OTHERWISE", otherwise).replace("TABLE", table), "utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    found = [
        (d.span.line, d.span.col, d.message, d.hint)
        for d in diags
        if d.code == "unknown-value" and d.severity == severity
    ]
    assert found == [said], [d.render() for d in diags]
    assert (model is None or "belopp" in model.broken) == (severity == "error")


BANDED = """\
model: m
title: T
parameters:
  ob:
    unit: SEK/h
    keys: [band]
    OTHERWISE
    values: {2024-01-01: TABLE}
payments:
  p: {entity: customer_month, category: c, formula: 'LOOKUPS'}
"""
EVENING_AND_NIGHT = '(ob["kväll"] + ob["natt"]) * 1 h'


@pytest.mark.parametrize(
    ("otherwise", "table", "lookups", "said"),
    [
        # `Kväll` for `kväll` under `otherwise: 0`: the evening paid 0 kr, exit 0
        ("otherwise: 0", "{Kväll: 55, natt: 95}", EVENING_AND_NIGHT,
         [("error", 8, 27, '`ob` (from 2024-01-01) lists `band` "Kväll", which no formula '
           'looks up: "kväll" is looked up, and paid by `otherwise:` as it is not listed',
           'did you mean "kväll"?')]),
        ("otherwise: 0", "{kvall: 55, natt: 95}", EVENING_AND_NIGHT,
         [("error", 8, 27, '`ob` (from 2024-01-01) lists `band` "kvall", which no formula '
           'looks up: "kväll" is looked up, and paid by `otherwise:` as it is not listed',
           'did you mean "kväll"?')]),
        # beside the key it resembles: which of the two was meant to be paid?
        ("", "{kväll: 55, Kväll: 60, natt: 95}", EVENING_AND_NIGHT,
         [("warning", 8, 38, '`ob` (from 2024-01-01) lists `band` "Kväll", which no formula '
           'looks up: "kväll" is, and its value is paid', 'remove "Kväll", or look it up')]),
        # a key no look-up resembles, listed for completeness, is left alone
        ("otherwise: 0", "{dag: 0, kväll: 55, natt: 95}", EVENING_AND_NIGHT, []),
        # a look-up of a computed key may read any key
        ("otherwise: 0", "{Kväll: 55, natt: 95}", 'ob[if true then "kväll" else "natt"] * 1 h', []),
        # without `otherwise:` the key looked up and not listed is the error said
        ("", "{Kväll: 55, natt: 95}", EVENING_AND_NIGHT,
         [("error", 10, 58, '`ob` has no `band` "kväll"', 'did you mean "Kväll"?')]),
    ],
    ids=["case under otherwise", "spelling under otherwise", "beside the one looked up",
         "dag listed", "computed key", "no otherwise"],
)  # fmt: skip
def test_a_tables_key_no_look_up_names_is_said(tmp_path, otherwise, table, lookups, said):
    text = BANDED.replace("OTHERWISE", otherwise).replace("TABLE", table)
    diags = loaded(tmp_path, text.replace("LOOKUPS", lookups))
    model = load_model(tmp_path / "m.yaml", Diagnostics())
    assert model is not None
    check(model, diags, [])
    found = [
        (d.severity, d.span.line, d.span.col, d.message, d.hint)
        for d in diags
        if d.code in ("unknown-value", "bad-lookup")
    ]
    assert found == said, [d.render() for d in diags]


def test_two_categories_spelt_alike_but_for_case_are_warned_of(tmp_path):
    """`Nivårelaterad` beside `nivårelaterad`: the invoice listed the two apart."""
    diags = loaded(
        tmp_path,
        HEAD + "payments:\n  a: {entity: customer_month, category: nivårelaterad, formula: 1 SEK}\n"
        "  b: {entity: customer_month, category: Nivårelaterad, formula: 1 SEK}\n",
    )
    assert [(d.code, d.span.line, d.message) for d in diags if d.severity == "warning"] == [
        (
            "near-duplicate-code",
            5,
            "the category `Nivårelaterad` of `b` differs from `nivårelaterad` only in case, "
            "å, ä, ö or a separator: the invoice lists the two apart",
        )
    ]


@pytest.mark.parametrize(
    ("given", "suggested"),
    [("Utförd tid", "`utford-tid`"), ("örebro 2025", "`orebro-2025`"), ("_x", "`x`")],
)
def test_a_model_id_out_of_its_characters_is_said_in_words(tmp_path, given, suggested):
    """The schema's pattern was the message: "'utförd-tid' does not match
    '^[a-z0-9][a-z0-9_.-]*$'" is a regular expression for a policy writer to read."""
    [error] = loaded(tmp_path, f"model: {given}\ntitle: T\n").errors
    assert (error.code, error.span.line, error.span.col) == ("schema", 1, 8)
    assert error.message == f"`{given}` cannot be a model's id"
    assert error.hint is not None and "^[" not in error.hint
    assert error.hint.endswith(f": {suggested} (the title may say it in any words)")


def test_no_value_in_force(tmp_path):
    text = (
        HEAD
        + "parameters:\n  a: {unit: SEK, values: {2024-01-01: 1}}\npayments:\n  p: {entity: customer_month, category: c, formula: a}\n"
    )
    assert problems(tmp_path, text) == []
    found = problems(tmp_path, text, ("2023-12",))
    assert found == [("no-value-in-force", 4, 3, "`a` has no value on 2023-12-01, which `p` needs")]
    later = text.replace("formula: a}", "formula: a + b}").replace(
        "\npayments:", "\n  b: {unit: SEK, values: {2023-01-01: 1}}\npayments:"
    )
    # one parameter of two begins later: that one is named, as before
    assert problems(tmp_path, later, ("2023-12",)) == found


def test_dated_values_and_versions_pick_the_first_day_of_the_month(tmp_path):
    text = dedent(
        """\
        model: m
        title: T
        parameters:
          a: {unit: SEK, values: {2024-01-01: 100, 2024-03-15: 200, 2024-04-01: 300}}
        definitions:
          customer_month:
            x:
              versions:
                - {valid_to: 2024-03-31, formula: a}
                - {valid_from: 2024-04-01, formula: a * 2}
        """
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None and not diags.errors
    assert model.parameters["a"].value_on(date(2024, 3, 1)).value == 100
    assert model.parameters["a"].value_on(date(2024, 4, 1)).value == 300
    assert model.rules["x"].version_on(date(2024, 3, 1)).formula == "a"
    assert model.rules["x"].version_on(date(2024, 4, 1)).formula == "a * 2"


def test_extends_overrides_values_and_formulas(tmp_path):
    base = ROOT / "examples/hemtjanst/model.yaml"
    child = tmp_path / "variant.yaml"
    child.write_text(
        dedent(
            f"""\
            model: exempel-variant
            extends: {base}
            title: Variant
            parameters:
              larmbelopp:
                values: {{2024-02-01: 300}}
            payments:
              palliativt_vak:
                formula: 0 SEK
            """
        ),
        encoding="utf-8",
    )
    data = ROOT / "examples/hemtjanst/data"
    a = run(base, data, parse_month("2024-02"))
    b = run(child, data, parse_month("2024-02"))

    def totals(result, payment):
        return int(result.lines.filter(result.lines["payment"] == payment)["amount_ore"].sum())

    assert totals(b, "trygghetslarm") == totals(a, "trygghetslarm") * 300 // 250
    assert totals(a, "palliativt_vak") > 0 and totals(b, "palliativt_vak") == 0
    assert totals(b, "omsorg") == totals(a, "omsorg")
    assert b.checked.model.files == [str(base), str(child)]


def test_errors_in_a_parent_are_reported_in_the_parent(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "model: b\ntitle: B\ndefinitions:\n  customer_month:\n    x: 1 SEK + 1 h\n",
        encoding="utf-8",
    )
    (tmp_path / "child.yaml").write_text("model: c\nextends: base.yaml\n", encoding="utf-8")
    diags = Diagnostics()
    model = load_model(tmp_path / "child.yaml", diags)
    check(model, diags)
    assert [(d.code, d.span.file.endswith("base.yaml"), d.span.line) for d in diags.errors] == [
        ("unit-mismatch", True, 5)
    ]


def test_formula_in_a_block_scalar_is_located_per_line(tmp_path):
    text = (
        HEAD
        + "definitions:\n  customer_month:\n    x: |\n      if true\n      then 1 SEK\n      else 2 h\n"
    )
    found = problems(tmp_path, text)
    assert found[0][:3] == ("unit-mismatch", 6, 7)


INDEXED = """\
model: m
title: T
parameters:
  opi: {unit: number, values: {2024-04-01: 6.0, 2025-04-01: 3.0}}
  krav: {unit: number, values: {2024-04-01: 1.0, 2025-04-01: 0.5}}
  belopp:
    unit: SEK
    keys: [zone]
    values: {2023-04-01: {tätort: 1000, landsbygd: 2000}}
    indexation:
      factor: 1 + (opi - krav) / 100
      from: 2024-04-01
      round: ROUND
payments:
  p: {entity: customer_month, category: c, formula: 'belopp["tätort"]'}
"""


@pytest.mark.parametrize(
    ("rounding", "month", "expected"),
    [
        ("0.01", "2024-03", "1000"),
        ("0.01", "2024-04", "1050"),
        ("0.01", "2025-03", "1050"),
        ("0.01", "2025-04", "1076.25"),
        ("1", "2025-04", "1076"),
        ("0.01", "2026-04", None),  # no OPI for 2026 yet: an error, not a guess
    ],
)
def test_indexation_derives_later_prices(tmp_path, rounding, month, expected):
    from decimal import Decimal

    from engine.plan import make_plan

    path = tmp_path / "m.yaml"
    path.write_text(INDEXED.replace("ROUND", rounding), encoding="utf-8")
    diags = Diagnostics()
    model = load_model(path, diags)
    checked = check(model, diags)
    assert not diags.errors, [d.render() for d in diags.errors]
    plan = make_plan(checked, parse_month(month), diags)
    if expected is None:
        assert [d.code for d in diags.errors] == ["no-value-in-force"]
        return
    assert plan.params["belopp"][("tätort",)] == Decimal(expected)
    assert plan.params["belopp"][("landsbygd",)] == Decimal(expected) * 2 or rounding == "1"


def test_indexation_factor_must_be_a_plain_number(tmp_path):
    text = INDEXED.replace("ROUND", "1").replace("1 + (opi - krav) / 100", "1 SEK + opi")
    found = problems(tmp_path, text)
    assert found[0][0] == "unit-mismatch"


@pytest.mark.parametrize(
    ("unit", "values"),
    [
        ('"%"', "{tätort: 40 %, landsbygd: 70 %}"),  # a share: 40 % became 42 % a year
        ("min", "{tätort: 300, landsbygd: 600}"),
        ("number", "{tätort: 3, landsbygd: 4}"),
    ],
)
def test_only_amounts_of_money_are_indexed(tmp_path, unit, values):
    """A price index raised a share of a table of control levels (40 % became 44 %) and
    a time alike, without a word."""
    text = INDEXED.replace("ROUND", "1").replace("unit: SEK\n    keys", f"unit: {unit}\n    keys")
    text = text.replace("{tätort: 1000, landsbygd: 2000}", values)
    text = text.replace("""formula: 'belopp["tätort"]'""", "formula: 0 SEK")
    found = problems(tmp_path, text)
    assert found == [
        (
            "unit-mismatch",
            11,
            15,
            f"an indexation raises amounts of money (SEK, SEK/h), and `belopp` is in "
            f"{unit.strip(chr(34))}: its values would be multiplied by the price index",
        )
    ]


def test_a_block_formula_followed_by_another_key_is_located_exactly(tmp_path):
    """The key after a `|` block is not part of it: columns count from the block's own
    indentation (a regression: the next key's smaller indentation shifted every caret)."""
    path = tmp_path / "m.yaml"
    path.write_text(
        "model: blk\ntitle: t\nparameters:\n  a: {unit: SEK, values: {2024-01-01: 5}}\n"
        "payments:\n  p:\n    entity: customer_month\n    category: x\n    formula: |\n"
        "        if 3 min then a\n        else a\n    source: x\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None
    check(model, diags)
    [error] = [d for d in diags if d.severity == "error"]
    assert (error.span.line, error.span.col) == (10, 12)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("zones: { tätort: [Centrum, On] }\n", 'YAML reads yes, no, on and off (in any case) as true'),
        ("vocabulary: { codes: { service: { add: [no] } } }\n", 'write the text in quotes, e.g. "no"'),
        ("vocabulary: { codes: { service: { add: [112] } } }\n", "YAML read this as a number"),
    ],
    ids=["a district On", "a code no", "a code 112"],
)  # fmt: skip
def test_a_text_that_yaml_reads_as_something_else_says_to_quote_it(tmp_path, text, hint):
    """`On` and `no`, unquoted, are a yes or no to YAML: the error said only `should be
    a text`, and a reader could not see why a word is not a text."""
    [error] = [d for d in loaded(tmp_path, HEAD + text).errors if d.code == "schema"]
    assert error.message.endswith("should be a text")
    assert hint in (error.hint or "")


SWEDISH_PARAMETERS = HEAD + dedent(
    """\
    parameters:
      minsta_tid: { unit: min, values: { 2025-01-01: 15,5 } }
      timpris: { unit: SEK/h, values: { 2025-01-01: 480 } }
    definitions:
      visit:
        tid: max(end - start, minsta_tid) * timpris
        tid2: minsta_tid * 2
    """
)


def test_a_decimal_comma_in_braces_is_said_as_what_it_is_and_breaks_nothing_else(tmp_path):
    """`{ 2025-01-01: 15,5 }`: inside { } the comma ends the entry, so YAML read 15 and a
    key `5` with no value — "`5` is not a date" and "should be a number or string or
    boolean" — and the broken parameter dropped every parameter: each formula naming
    `timpris` was an `unknown name` too (17 errors for two commas)."""
    found = problems(tmp_path, SWEDISH_PARAMETERS)
    assert found == [
        (
            "yaml-syntax",
            4,
            50,
            "`15,5` is read as two entries: inside { } a comma separates them",
        )
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("'1 200,50'", "1200.50"),
        ("'480,50 SEK/h'", "480.50"),
        ("'0,125'", "0.125"),
        ("40.5", "40.5"),
    ],
)
def test_a_number_with_a_decimal_comma_or_spaced_thousands_is_read(tmp_path, written, expected):
    """`"1 200,50"` and `"530,00 SEK/h"` were "not a number" where `"40,5"` was read."""
    from decimal import Decimal

    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + f"parameters:\n  a: {{unit: SEK/h, values: {{2025-01-01: {written}}}}}\n"
    )
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None and not diags.errors, [str(d) for d in diags]
    in_force = model.parameters["a"].values[0].value
    assert in_force * 60 == Decimal(expected)  # SEK/h is held per minute


@pytest.mark.parametrize(
    ("written", "expected"),
    [("'\u2212500'", "-500"), ("'\u22121 000 SEK'", "-1000"), ("-500", "-500")],
)
def test_a_true_minus_sign_in_a_rule_file_is_a_minus(tmp_path, written, expected):
    """`−500` (a true minus sign, as a Swedish text or carepay's own reports write it)
    was "not a number", its least value `minimum: −1 000 SEK` too."""
    from decimal import Decimal

    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + "parameters:\n  a: {unit: SEK, minimum: '\u22121 000 SEK', "
        f"values: {{2025-01-01: {written}}}}}\n"
    )
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None and not diags.errors, [str(d) for d in diags]
    assert model.parameters["a"].values[0].value == Decimal(expected)


def test_a_comma_before_three_digits_is_read_as_neither(tmp_path):
    """`"12,500"` in a rule file was read as 12.5 kr: an English writer's twelve
    thousand five hundred, paid as twelve and a half (the data refuses it since a9daed7)."""
    found = problems(
        tmp_path, HEAD + "parameters:\n  a: {unit: SEK, values: {2025-01-01: '12,500'}}\n"
    )
    assert found == [("bad-value", 4, 39, "`12,500` is not a number")]
    path = tmp_path / "m.yaml"
    diags = Diagnostics()
    load_model(path, diags)
    assert diags.errors[0].hint == "`12,500` may be 12.5 or 12500: write 12.5 or 12500"


PRICE_WITH_A_POINT = "has three decimals, to a tenth of an öre: is it {} {}, a point between thousands? In a rule file a point is the decimal point"


@pytest.mark.parametrize(
    ("unit", "written", "said", "hint"),
    [
        ("SEK", "1.200", "`1.200 SEK`", "write 1200 for 1 200 SEK, or 1.20 for 1,20 SEK"),
        ("SEK", "'1.200 SEK'", "`1.200 SEK`", "write 1200 for 1 200 SEK, or 1.20 for 1,20 SEK"),
        ("SEK", "12.500", "`12.500 SEK`", "write 12500 for 12 500 SEK, or 12.50 for 12,50 SEK"),
        ("SEK", "'\u22121.205'", "`-1.205 SEK`", "write -1205 for -1 205 SEK, or -1.2050 for -1,205 SEK"),
        ("kr/tim", "450.000", "`450.000 kr/tim`", "write 450000 for 450 000 kr/tim, or 450.00 for 450,00 kr/tim"),
    ],
)  # fmt: skip
def test_a_price_written_with_a_point_before_three_digits_is_read_as_neither(
    tmp_path, unit, written, said, hint
):
    """`1.200` in a parameter in kronor was read as 1,20 kr, though a Danish or German
    writer's twelve hundred is the likelier meaning (the data refuses it as ambiguous):
    it is an error, located, saying what to write for either."""
    number, _, shown_unit = said.strip("`").partition(" ")
    spaced = f"{int(number.replace('.', '')):,}".replace(",", " ")
    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + f"parameters:\n  a: {{unit: {unit}, values: {{2025-01-01: {written}}}}}\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    load_model(path, diags)
    assert [(d.code, d.span.line, d.span.col, d.message, d.hint) for d in diags.errors] == [
        (
            "bad-value",
            4,
            36 + len(unit),
            f"{said} " + PRICE_WITH_A_POINT.format(spaced, shown_unit),
            hint,
        )
    ]


@pytest.mark.parametrize(
    ("unit", "written"),
    [
        ("SEK", "1.20"),  # to the öre
        ("SEK", "0.125"),  # no thousands before a leading zero
        ("SEK", "1234.567"),  # four digits before the point: no thousands
        ("SEK/min", "7.125"),  # a price per minute may have three decimals
        ("'%'", "12.500"),  # a share
        ("ratio", "1.025"),  # an index factor
    ],
)
def test_a_point_before_three_digits_is_a_decimal_point_where_no_price_is_meant(
    tmp_path, unit, written
):
    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + f"parameters:\n  a: {{unit: {unit}, values: {{2025-01-01: {written}}}}}\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    model = load_model(path, diags)
    assert model is not None and not diags.errors, [str(d) for d in diags]


def test_a_price_with_a_point_is_an_error_in_a_formula_a_table_a_column_and_on_the_command_line(
    tmp_path,
):
    """The same `1.200` in kronor in a formula, a table's cell, a declared column's
    bound and default, and a value given with `--set`."""
    from engine.loader import setting_value

    text = HEAD + dedent(
        """\
        vocabulary:
          columns:
            visits:
              avgift: { type: number, unit: SEK, maximum: 1.000 }
              tillägg: { type: number, unit: SEK, default: 2.500 }
        parameters:
          belopp:
            unit: SEK
            keys: [level]
            values: { 2025-01-01: [100, 2.300] }
        payments:
          p:
            entity: customer_month
            category: c
            formula: 1.400 SEK
        """
    )
    found = problems(tmp_path, text)
    assert [(code, line, col) for code, line, col, _ in found] == [
        ("bad-value", 6, 51),
        ("bad-value", 7, 52),
        ("bad-value", 12, 33),
        ("bad-value", 17, 14),
    ]
    assert [message.split(" has ")[0] for *_, message in found] == [
        "`1.000 SEK`", "`2.500 SEK`", "`2.300 SEK`", "`1.400 SEK`"
    ]  # fmt: skip
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + "parameters:\n  a: {unit: SEK, values: {2025-01-01: 5}}\n")
    model = load_model(path, Diagnostics())
    assert model is not None
    value, errors = setting_value(model.parameters["a"], "1.200", None)
    assert value is None and [e.message.split(" has ")[0] for e in errors] == ["`1.200 SEK`"]


def test_a_rule_that_cannot_be_built_is_one_error_and_says_what_is_missing(tmp_path):
    """`formul:` for `formula:` was "needs either `formula` or `versions`, not both",
    and each formula using the rule was an `unknown name` of its own (with "did you
    mean" another rule)."""
    text = HEAD + dedent(
        """\
        definitions:
          decision:
            andel:
              formul: 50 %
            andel_gammal: 40 %
          customer_month:
            summa: sum(decisions.andel)
            dubbel: sum(decisions.andel) * 2
        """
    )
    assert problems(tmp_path, text) == [
        ("schema", 6, 7, "`definitions.decision.andel` needs `formula` (or `versions`)")
    ]
    diags = Diagnostics()
    load_model(tmp_path / "m.yaml", diags)
    assert diags.errors[0].hint == "did you mean `formula`, not `formul`?"


def test_an_entity_with_nothing_under_it_is_an_error_and_the_others_are_built(tmp_path):
    """`decision:` with its rule dedented below it (found by the fuzzer once a broken
    piece no longer dropped its whole section: a crash, 'NoneType' has no `items`)."""
    text = HEAD + dedent(
        """\
        definitions:
          customer_month:
            summa: 5 SEK
          decision:
          dagar: days_active(start_date, end_date)
        payments:
          p: { entity: customer_month, category: c, formula: summa * 2 }
        """
    )
    found = problems(tmp_path, text)
    assert [f[0] for f in found] == ["schema", "schema"], found
    assert "summa" not in " ".join(f[3] for f in found)  # built, and found by `p`


@pytest.mark.parametrize(
    ("extends", "expected"),
    [
        ("rules/orebro", None),  # a model's folder, as `carepay run rules/orebro` takes it
        ("examples", "`{root}/examples` is a folder holding 0 model files (none); name the "
         "one it extends"),
        ("README.md", "README.md: error[file-not-found]: {root}/README.md is not a rule file"),
    ],
    ids=["a model's folder", "a folder of no model", "a file that is no rule file"],
)  # fmt: skip
def test_extends_a_folder_or_a_file_that_is_no_model(tmp_path, extends, expected):
    """`extends: ../../rules/orebro` extends the folder's one model, as every command
    takes a folder; before, it was "not a rule file" with no place (the fuzzer found
    it: each message must be located), as was a parent that is no YAML file."""
    from click.testing import CliRunner

    from engine.cli import main

    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"model: s\nextends: {ROOT / extends}\ntitle: s\n", encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(scenario)])
    if expected is None:
        assert checked.exit_code == 0, checked.output
        return
    assert checked.exit_code == 1
    assert expected.format(root=ROOT) in checked.output, checked.output
    for line in checked.output.splitlines():
        if "error[" in line:  # every error placed: a file, and a line where there is one
            assert line.split(": error[")[0], line


@pytest.mark.parametrize(
    ("band", "column", "message"),
    [
        ('from: "22.00", to: "07:00"', 31, "`from: 22.00` is no time of day: write 22:00"),
        ('from: "22:00", to: "31:00"', 44, "`to: 31:00` is no time of day (00:00 to 24:00)"),
        (
            'from: "fredag 19:00", to: "mon 07:00"',
            31,
            "`from: fredag 19:00` begins with `fredag`, which is not a day of the week",
        ),
        (
            'from: "19:00"',
            11,
            "a band with `from:` needs `to:` too: the window runs from one time to another",
        ),
    ],
    ids=["a point for a colon", "no such hour", "a day in full", "no end"],
)
def test_a_time_bands_mistake_is_said_at_the_value(tmp_path, band, column, message):
    """Each was "a band's `from:` and `to:` are both times or both a day and a time",
    at the band, whatever was wrong."""
    text = HEAD + (
        "parameters:\n  tider:\n    kind: bands\n    values:\n      2024-01-01:\n"
        f"        - {{ name: natt, {band} }}\n        - {{ name: dag }}\n"
    )
    assert problems(tmp_path, text) == [("bad-value", 8, column, message)]


@pytest.mark.parametrize(
    ("written", "error"),
    [
        ("40", "`40` in `andel` (unit: ratio) is 40 wholes (4000 %), not 40 %"),
        ("'40'", "`40` in `andel` (unit: ratio) is 40 wholes (4000 %), not 40 %"),
        ("0.4", None),
        ("'40 %'", None),
        ("1.5", None),  # 150 %: a share above the whole may be meant
    ],
)
def test_a_share_written_as_a_plain_number_of_wholes(tmp_path, written, error):
    """A `unit: ratio` parameter holds a share of the whole: `40` was 4 000 %, and a
    formula multiplying by it paid forty times the amount with a clean check."""
    found = problems(
        tmp_path,
        HEAD + f"parameters:\n  andel: {{unit: ratio, values: {{2025-01-01: {written}}}}}\n",
    )
    assert found == ([("unit-mismatch", 4, 45, error)] if error else [])


@pytest.mark.parametrize(
    ("quantity", "unit", "error"),
    [
        ("tid", "h", "`unit: h` labels a quantity counted in min: 90 min of `tid` would read 90 h"),
        ("tid / 1 h", "h", None),  # hours counted as the docs write them
        ("tid", "min", None),
        ("count(visits)", "besök", None),  # a count labelled freely
        ("tid / 600 min", "'%'", "`unit: %` labels a share counted of the whole: 41 % of "
         "`tid / 600 min` would read 0.41 %"),
        ("tid / 600 min / 1 %", "'%'", None),
        ("belopp", "h", "`unit: h` labels a quantity counted in SEK: 90 SEK of `belopp` would "
         "read 90 h"),
    ],
)  # fmt: skip
def test_a_quantitys_unit_is_the_unit_it_is_counted_in(tmp_path, quantity, unit, error):
    """`quantity: utförd_tid` with `unit: h` put "275 h" on the statement line of a
    customer with 275 minutes (4,58 h), and the workbook summed such hours."""
    text = HEAD + (
        "definitions:\n  customer_month:\n    tid: sum(visits.minutes)\n"
        "    belopp: tid * 7 SEK/min\n  visit:\n    minutes: end - start\n"
        f"payments:\n  p:\n    entity: customer_month\n    category: c\n"
        f"    formula: belopp\n    quantity: {quantity}\n    unit: {unit}\n"
    )
    found = problems(tmp_path, text)
    assert found == ([("unit-mismatch", 14, 15, error)] if error else [])


@pytest.mark.parametrize(
    ("quantity", "unit", "error"),
    [
        ("zone", "st", ("type-mismatch", 14, 15, "a line's quantity is a number (a count, "
         "hours, kronor), but this gives text")),
        ("any(visits)", "st", ("type-mismatch", 14, 15, "a line's quantity is a number (a "
         "count, hours, kronor), but this gives true/false")),
        ("month_start", "st", ("type-mismatch", 14, 15, "a line's quantity is a number (a "
         "count, hours, kronor), but this gives date")),
        ("tid", None, ("unit-mismatch", 14, 15, "the quantity of `p` is counted in min, but "
         "it has no `unit:`: 90 min of `tid` would read 90, in no unit")),
        ("belopp", None, ("unit-mismatch", 14, 15, "the quantity of `p` is counted in SEK, "
         "but it has no `unit:`: 90 SEK of `belopp` would read 90, in no unit")),
        ("tid / 1 h", "''", ("schema", 15, 11, "the unit of `p` is blank: its statement "
         "lines show their quantity in it")),
        ("tid / 1 h", None, None),  # hours as a number: no unit needed
        ("count(visits)", None, None),
    ],
)  # fmt: skip
def test_a_quantity_is_a_number_in_a_unit_the_line_says(tmp_path, quantity, unit, error):
    """`quantity: zone` (or a yes/no, a date) stopped `run` with a polars traceback as
    the lines were rounded; `quantity: utförd_tid` with no `unit:` put 630 minutes on
    the line as "630", read as hours as well; a blank `unit:` showed no unit."""
    text = HEAD + (
        "definitions:\n  customer_month:\n    tid: sum(visits.minutes)\n"
        "    belopp: tid * 7 SEK/min\n  visit:\n    minutes: end - start\n"
        f"payments:\n  p:\n    entity: customer_month\n    category: c\n"
        f"    formula: belopp\n    quantity: {quantity}\n"
        + (f"    unit: {unit}\n" if unit is not None else "")
    )
    assert problems(tmp_path, text) == ([error] if error else [])


@pytest.mark.parametrize(
    ("extends", "said"),
    [
        ("[m.yaml]", ("schema", 3, "`extends` should be a text")),
        ("5", ("schema", 3, "`extends` should be a text")),
        ("{a: 1}", ("schema", 3, "`extends` should be a text")),
        ("''", ("bad-extends", 3, "`extends:` is blank: name the model file this one "
         "changes")),
    ],
)  # fmt: skip
def test_an_extends_naming_no_file_is_an_error_not_a_traceback(tmp_path, extends, said):
    """`extends: [a]` (a list, a number, a mapping) was taken for a file changing
    another, so its payments need no `entity:` — and `check` stopped with a traceback
    (KeyError: 'entity') building them; a blank one said only that each payment needs
    its entity."""
    text = (
        f"model: m\ntitle: M\nextends: {extends}\npayments:\n  p: {{category: c, formula: 1 SEK}}\n"
    )
    found = sorted((code, line, message) for code, line, _, message in problems(tmp_path, text))
    assert found == sorted([said, ("schema", 5, "`payments.p` needs `entity`")])


def test_a_file_extending_another_may_declare_a_column_the_file_must_have(tmp_path):
    """The schema of a file that `extends` another drops the `required` lists of its
    pieces (it changes only parts); it dropped the column option named `required` too,
    and `required: true` on a column was "unknown key `required`"."""
    parent = tmp_path / "m.yaml"
    parent.write_text(
        HEAD + "payments:\n  p: {entity: customer_month, category: c, formula: 1 SEK}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        "model: child\nextends: m.yaml\nvocabulary:\n  tables:\n    leveranser:\n"
        "      key: [leverans_id]\n      columns:\n"
        "        leverans_id: { type: text, nullable: false, required: true }\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    model = load_model(child, diags)
    assert [d.message for d in diags.errors] == []
    assert model is not None
    assert model.vocabulary.tables["leveranser"].required == ("leverans_id",)


def test_a_district_spelt_as_another_in_another_zone_is_warned_of(tmp_path):
    """`centrum` in landsbygd beside `Centrum` in tätort checked clean: a customer's
    zone, and its price, would follow how the export spells the district."""
    diags = loaded(
        tmp_path,
        HEAD + "zones: { tätort: [Centrum, Väster], landsbygd: [Skogen, centrum] }\n"
        "payments:\n  p: {entity: customer_month, category: c, formula: 1 SEK}\n",
    )
    [warning] = [d for d in diags if d.code == "near-duplicate-code"]
    assert warning.message.startswith(
        "district `centrum` (zone `landsbygd`) differs from `Centrum` (zone `tätort`)"
    )
    assert (warning.span.line, warning.span.col) == (3, 57)
    assert not diags.errors


@pytest.mark.parametrize(
    ("added", "twin"),
    [("avlösning", "avlosning"), ("Omsorg", "omsorg"), ("hsl-delegerad", "hsl_delegerad")],
)
def test_a_code_added_beside_one_of_carepays_twin_is_warned_of(tmp_path, added, twin):
    """Fjällby added `avlösning` beside carepay's `avlosning`, in silence: two services
    to the data, and its price list priced one."""
    path = tmp_path / "m.yaml"
    path.write_text(
        HEAD + f"vocabulary:\n  codes:\n    service: {{ add: [ledsagning, {added}] }}\n"
        "payments:\n  p: {entity: customer_month, category: c, formula: 1 SEK}\n",
        encoding="utf-8",
    )
    diags = Diagnostics()
    load_model(path, diags)
    [warning] = [d for d in diags if d.code == "near-duplicate-code"]
    assert (warning.span.line, warning.span.col) == (5, 34)
    assert warning.message.startswith(f"`{added}` is added to `service` beside `{twin}`")
    assert not diags.errors


def test_a_value_of_a_list_in_another_case_is_offered_the_value(tmp_path):
    """`mode: HALF_UP` was told the values allowed, not that `half_up` was meant: a
    spelling match does not see letters in another case."""
    path = tmp_path / "model.yaml"
    path.write_text("model: r\ntitle: r\nrounding: { to: 0.01, mode: HALF_UP }\n", "utf-8")
    diags = Diagnostics()
    load_model(path, diags)
    [said] = [d for d in diags if "rounding.mode" in d.message]
    assert said.code == "schema" and said.hint == "did you mean `half_up`?", said.render()


def test_a_rule_named_as_a_parameter_is_said_once_not_as_a_circle_too(tmp_path):
    """A payment given a parameter's name (`tillägg`, its price) was said to clash, and
    then, as its formula's `tillägg` read the payment itself, to depend on itself in a
    circle: a second error for the one mistake, pointing at the formula."""
    text = HEAD + (
        "parameters:\n  tillägg:\n    unit: SEK\n    values: { 2024-01-01: 10 }\n"
        "payments:\n  tillägg:\n    entity: customer_month\n    category: c\n"
        "    formula: count(visits) * tillägg\n"
    )
    assert problems(tmp_path, text) == [
        ("schema", 8, 3, "`tillägg` is both a parameter and a payment")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "{ tätort: 80 %, landsbygd: 60 % }",
            "a value here is one number, not a table (tätort, landsbygd)",
        ),
        ("[1, 2]", "a value here is one number, not a list"),
        ("true", "`true` is not a number"),
    ],
    ids=["a table", "a list", "a yes"],
)
def test_a_parameter_of_one_value_given_something_else_says_what_in_rule_file_words(
    tmp_path, value, message
):
    """It read "`{'tätort': '80 %', 'landsbygd': '60 %'}` is not a number" — Python's
    words for a table given to a parameter of one value — and "`True`" for a yes."""
    text = HEAD + f"parameters:\n  gräns:\n    unit: '%'\n    values: {{ 2024-01-01: {value} }}\n"
    assert problems(tmp_path, text) == [("bad-value", 6, 27, message)]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("{a: 1}", "`rounding.mode` is a mapping (key: value lines), not one of its values"),
        ("[down]", "`rounding.mode` is a list, not one of its values"),
        ("", "`rounding.mode` is empty, not one of its values"),
        ("true", "`true` is not allowed at `rounding.mode`"),
    ],
    ids=["a mapping", "a list", "empty", "a yes"],
)
def test_a_value_not_in_a_keys_list_is_said_in_rule_file_words(tmp_path, mode, message):
    """Found by replacing each value of Hagby's rule file by a mapping, a list, a yes
    and nothing: "`{'a': 1}` is not allowed at `rounding.mode`", "`True` …", "`None` …"
    — Python's words for what the file wrote."""
    text = HEAD + f"rounding: {{ to: 0.01, mode: {mode} }}\n"
    [(code, _, _, said)] = problems(tmp_path, text)
    assert (code, said) == ("schema", message)


def test_a_table_cell_that_is_no_number_is_said_once(tmp_path):
    """A cell given a mapping beside cells of plain numbers was said, second, to mix
    "numbers with a unit (`{'a': 1}`) and without (`430`)"."""
    text = HEAD + (
        "parameters:\n  pris:\n    unit: SEK\n    keys: [zone]\n"
        "    values: { 2024-01-01: { tätort: 430, landsbygd: { a: 1 }, skärgård: true } }\n"
    )
    assert [(code, said) for code, _, _, said in problems(tmp_path, text)] == [
        ("bad-value", "a value here is one number, not a table (a)"),
        ("bad-value", "`true` is not a number"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "assumptions:\n  kortare:\n    description: kortare besök\n"
            "    where: { service: omsorg }\n",
            "`assumptions.kortare` needs one of `scale_visit_time`, `drop_visits_shorter_than`, "
            "`move_level`",
        ),
        (
            "data_requirements:\n  krav:\n    table: decisions\n    where: { service: { a: 1 } }\n"
            "    any_of: [level]\n    reason: r\n",
            "`data_requirements.krav.where.service` should be a text, a number, true or false, "
            "or a list of them",
        ),
    ],
    ids=["an assumption of no kind", "a mapping in where"],
)
def test_one_of_the_schemas_alternatives_is_asked_for_in_its_own_words(tmp_path, text, message):
    """Each read "needs `formula` (or `versions`)", a rule's words, whatever was asked."""
    assert message in [said for _, _, _, said in problems(tmp_path, HEAD + text)]


def test_a_code_yaml_read_as_a_yes_in_where_is_said_as_written_with_why(tmp_path):
    """`where: {service: on}` is a yes to YAML: it read "`True` is not a known service"."""
    text = HEAD + (
        "data_requirements:\n  krav:\n    table: decisions\n    where: { service: on }\n"
        "    any_of: [level]\n    reason: r\n"
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    diags = Diagnostics()
    check(load_model(path, diags), diags, [])
    [error] = diags.errors
    assert error.message.endswith("`true` is not a known service (code list `service`)")
    assert error.hint is not None and 'write the code in quotes, e.g. "on"' in error.hint
