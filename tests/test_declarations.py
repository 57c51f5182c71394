"""Mistakes in a model's own vocabulary (`vocabulary:`) are located errors from `check`,
never a traceback and never a model that checks clean and then stops inside Polars,
finds no rows or rejects every row. Found by a sweep of 21 declaration mistakes × 7
uses of them (session 23): before, a rule on an entity of an unknown table crashed the
checker (KeyError), and 13 of the pairs checked clean, of which three stopped the run
with a traceback or a Polars message; a data requirement on the model's own table was
refused by the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from engine.cli import main
from tests.harness import csv_texts

ROOT = Path(__file__).resolve().parent.parent

MODEL = """\
model: declarations
title: declarations
vocabulary:
{vocabulary}
definitions:
{definitions}
payments:
  p: {{ entity: customer_month, category: c, formula: 1 SEK }}
"""

OWN_TABLE = """\
  tables:
    t:
      key: [{key}]
      columns:
        id: {{ type: text }}
        d: {{ type: {kind} }}
  entities:
    e:
      table: t
      month: {{ by: {by}, column: d }}
      parties: [{parties}]"""


def _own(key: str = "id", kind: str = "date", by: str = "date", parties: str = "") -> str:
    return OWN_TABLE.format(key=key, kind=kind, by=by, parties=parties)


CASES = [
    # (what, the vocabulary, definitions, the error's message)
    ("an entity of a table that is not there, with a rule on it",
     "  entities:\n    e:\n      table: finns_inte\n      month: { by: all }",
     "  e:\n    x: 1",
     "entity `e`: there is no table `finns_inte`"),
    ("a relation joining on a column neither side has",
     "  entities:\n    customer_month:\n      relations:\n"
     "        r: { entity: decision, keys: [finns_inte] }",
     "  customer_month:\n    x: count(r)",
     "relation `r` of `customer_month` joins on `finns_inte`, which `customer_month` rows do "
     "not have"),
    ("pairs of an entity that is not there",
     "  entities:\n    par:\n      month: { by: pairs, of: [finns_inte] }",
     "  customer_month:\n    x: 1",
     "entity `par`: its rows are pairs of `finns_inte`, which is no entity"),
    ("a table whose key is none of its columns", _own(key="finns_inte"),
     "  e:\n    x: 1", "table `t`: its key `finns_inte` is not one of its columns"),
    ("a month by date of a whole number", _own(kind="integer"),
     "  e:\n    x: 1", "entity `e`: `d` is integer, but `by: date` reads date"),
    ("a month by moment of a date", _own(by="moment"),
     "  e:\n    x: 1", "entity `e`: `d` is date, but `by: moment` reads datetime"),
    ("a customer's entity without the customer's id", _own(parties="customer"),
     "  e:\n    x: 1", "entity `e` belongs to a customer, but `t` has no column `customer_id`"),
    ("an entity with no table", "  entities:\n    e:\n      month: { by: all }",
     "  e:\n    x: 1", "entity `e` has no table to take its rows from"),
    ("an empty code list", "  codes:\n    service: { replace: [] }",
     "  customer_month:\n    x: 1",
     "the code list `service` cannot be empty: every row with a value would be rejected"),
    ("the table of one of carepay's entities",
     "  entities:\n    customer_month:\n      table: visits",
     "  customer_month:\n    x: 1",
     "entity `customer_month` is one of carepay's: its `table` cannot be changed"),
    ("another kind of month rule for one of carepay's entities",
     "  entities:\n    visit:\n      month: { by: date, column: start }",
     "  visit:\n    x: 1",
     "entity `visit` is one of carepay's: its rows belong to a month by `moment`, which a "
     "model cannot change"),
    ("pairs of an entity without the pairs' keys",
     "  entities:\n    customer_month:\n"
     "      month: { by: pairs, of: [visit, decision, journal, absence] }",
     "  customer_month:\n    x: 1",
     "entity `customer_month`: its rows are pairs of customer_id, provider_id of `absence` "
     "rows, which have no provider_id"),
    ("pairs of its own of an entity without the pairs' keys (a Polars traceback at the run)",
     "  entities:\n    par:\n      key: [customer_id, provider_id]\n"
     "      month: { by: pairs, of: [visit, absence] }",
     "  par:\n    x: 1",
     "entity `par`: its rows are pairs of customer_id, provider_id of `absence` rows, which "
     "have no provider_id"),
    ("pairs of one entity, named without brackets, that is not there",
     "  entities:\n    par:\n      key: [customer_id]\n      month: { by: pairs, of: finns_inte }",
     "  customer_month:\n    x: 1",
     "entity `par`: its rows are pairs of `finns_inte`, which is no entity"),
    ("a relation to an entity that is not there, read by a formula (a KeyError before)",
     "  entities:\n    provider_month:\n      relations:\n"
     "        mätningar: { entity: mätning, keys: [provider_id] }",
     "  provider_month:\n    x: coalesce(max(mätningar.poäng), 0)",
     "relation `mätningar` of `provider_month`: there is no entity `mätning`"),
    ("a relation of carepay's declared again otherwise (it was dropped in silence)",
     "  entities:\n    customer_month:\n      relations:\n"
     "        decisions: { entity: decision, keys: [customer_id] }",
     "  customer_month:\n    x: count(decisions)",
     "entity `customer_month` already has the relation `decisions` (decision by customer_id, "
     "provider_id): it cannot be declared again otherwise"),
    ("an entity's key that is no column of its table (its rows were named by nothing)",
     _own().replace("table: t", "table: t\n      key: [idd]"),
     "  e:\n    x: 1",
     "entity `e`: its key `idd` is not a column of `t`"),
    ("a relation without keys (it joined every row to every row: one provider's score "
     "paid another's bonus)",
     "  entities:\n    customer_month:\n      relations:\n        alla: { entity: decision }",
     "  customer_month:\n    x: count(alla)",
     "`vocabulary.entities.customer_month.relations.alla` needs `keys`"),
    ("an entity of the model's own table with no month rule (every cancellation was in "
     "every month run, and a provider's fine counted them all each month, exit 0)",
     "  tables:\n    t:\n      key: [id]\n      columns:\n        id: { type: text }\n"
     "        datum: { type: date }\n  entities:\n    e:\n      table: t",
     "  e:\n    x: 1",
     "entity `e` does not say which rows of `t` belong to a month: without it every row "
     "would be in every month run"),
    ("a payable entity whose rows have no key (two trips of a customer were paid on two "
     "lines that said nothing of which was which)",
     "  tables:\n    resor:\n      columns:\n        customer_id: { type: text }\n"
     "        provider_id: { type: text }\n        datum: { type: date }\n"
     "  entities:\n    resa:\n      table: resor\n      month: { by: date, column: datum }\n"
     "      parties: [customer, provider]\n      payable: true",
     "  resa:\n    x: 1",
     "entity `resa` is payable, but its rows have no key to name them by"),
    ("a table's period that names no column of it",
     _own().replace("key: [id]", "key: [id]\n      period: { start: d, end: slut }"),
     "  e:\n    x: 1",
     "table `t`: its period's end `slut` is not one of its columns"),
    ("a table's period of a column of text (it would be compared as written)",
     _own().replace("key: [id]", "key: [id]\n      period: { start: d, end: id }"),
     "  e:\n    x: 1",
     "table `t`: its period's end `id` is a text column, not one of dates"),
    ("rows compared as periods whose entity's rows are not periods",
     _own().replace("parties: []", "parties: []\n      overlapping: [id]"),
     "  e:\n    x: 1",
     "entity `e`: `overlapping` compares rows that are periods, but its rows belong to a "
     "month by `date`"),
    ("rows compared by a column their table has not",
     "  entities:\n    absence:\n      overlapping: [customer_id, orsak]",
     "  customer_month:\n    x: 1",
     "entity `absence`: `overlapping` names `orsak`, which `absences` has not"),
    ("a minimum above the maximum",
     "  columns:\n    visits:\n      x: { type: integer, minimum: 5, maximum: 1 }",
     "  visit:\n    y: x",
     "the minimum 5 of `x` is above its maximum 1: no value could be read"),
    # each was taken without a word: a default the data would have rejected, every row
    # rejected for a list of no codes, a range on a date ignored, a range of nan letting
    # every value through, a code list in place of the column's own values
    ("a default outside the column's range",
     "  columns:\n    visits:\n      x: { type: integer, default: 100, maximum: 10 }",
     "  visit:\n    y: x",
     "the default `100` is outside the range of `x` (at most 10)"),
    ("a code list of no codes",
     "  columns:\n    visits:\n      x: { type: text, values: [] }",
     "  visit:\n    y: x == \"a\"",
     "the code list of `x` is empty: every row with a value would be rejected"),
    ("a range on a date",
     "  columns:\n    visits:\n      x: { type: date, minimum: 5 }",
     "  visit:\n    y: x",
     "`x` is a date column: only a number has a range"),
    ("a range of nan",
     "  columns:\n    visits:\n      x: { type: number, minimum: .nan }",
     "  visit:\n    y: x",
     "the minimum of `x` is nan, not a number"),
    ("a whole number's range of a fraction",
     "  columns:\n    visits:\n      x: { type: integer, maximum: 2.5 }",
     "  visit:\n    y: x",
     "the maximum of `x` is 2.5, not a whole number"),
    ("its own values and a named code list",
     "  columns:\n    visits:\n      x: { type: text, values: [a], codes: service }",
     "  visit:\n    y: x == \"a\"",
     "`x` has its own `values` and the code list `service`: give one"),
    # a cell is read without the spaces around it: every row of `a` was rejected as a
    # code not in the list
    ("a code with spaces around it",
     "  columns:\n    visits:\n      x: { type: text, values: [' a ', b] }",
     "  visit:\n    y: x == \"b\"",
     "the code ` a ` of `x` has spaces around it, and a cell is read without them: no row "
     "could hold it"),
    ("a code added with spaces around it",
     "  codes:\n    service: { add: [' städ'] }",
     "  visit:\n    y: service == \"omsorg\"",
     "the code ` städ` of the code list `service` has spaces around it"),
    ("a blank code",
     "  codes:\n    service: { add: [''] }",
     "  visit:\n    y: service == \"omsorg\"",
     "a code of the code list `service` is blank: a blank cell is read as empty"),
    ("a column named as carepay's own helpers are",
     "  columns:\n    visits:\n      __row: { type: text }",
     "  visit:\n    x: 1",
     "`__row` cannot be a name: names beginning with two underscores are carepay's own"),
    ("a table named as carepay's own helpers are",
     "  tables:\n    __t:\n      columns:\n        id: { type: text }",
     "  visit:\n    x: 1",
     "`__t` cannot be a name: names beginning with two underscores are carepay's own"),
    ("a rule's name beginning with a digit, said in words, not as a pattern",
     "  codes:\n    service: { add: [x] }",
     "  visit:\n    1x: 1",
     "`1x` is not a valid name"),
    ("rows that may repeat in a table with a key",
     _own().replace("      key: [id]\n", "      key: [id]\n      may_repeat: true\n"),
     "  e:\n    x: 1",
     "`t` has a key, so its rows are told apart by it: `may_repeat` is for a table without "
     "one"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("vocabulary", "definitions", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_mistake_in_a_declaration_is_a_located_error(tmp_path, vocabulary, definitions, message):
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.format(vocabulary=vocabulary, definitions=definitions), "utf-8")
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert (
        "Traceback" not in checked.output
        and checked.exception is None
        or isinstance(checked.exception, SystemExit)
    ), checked.output
    assert checked.exit_code == 1, checked.output
    assert "error[" in checked.output and message in checked.output, checked.output
    assert f"{model}:" in checked.output  # located in the file


def test_a_relations_misspelt_key_is_named_with_the_one_meant(tmp_path):
    model = tmp_path / "model.yaml"
    vocabulary = (
        "  entities:\n    customer_month:\n      relations:\n"
        "        r: { entity: decision, keys: [customer_idd] }"
    )
    definitions = "  customer_month:\n    x: count(r)"
    model.write_text(MODEL.format(vocabulary=vocabulary, definitions=definitions), "utf-8")
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert "= hint: did you mean `customer_id`?" in checked.output, checked.output


def test_a_data_requirement_on_the_models_own_table(tmp_path: Path):
    """`data_requirements:` may name a table the model declares: its rows that lack the
    value are rejected with the reason, as for the base tables."""
    model = tmp_path / "model.yaml"
    model.write_text(
        """\
model: own
title: own
vocabulary:
  tables:
    insatser:
      key: [rad_id]
      columns:
        rad_id: { type: text, nullable: false, required: true }
        customer_id: { type: text, nullable: false, required: true }
        dag: { type: date, nullable: false }
        antal: { type: integer, minimum: 1 }
  entities:
    insats:
      table: insatser
      month: { by: date, column: dag }
      parties: [customer]
    customer_month:
      relations:
        insatser: { entity: insats, keys: [customer_id] }
data_requirements:
  insats_har_antal:
    table: insatser
    any_of: [antal]
    reason: en insats utan antal
definitions:
  customer_month:
    antal_insatser: sum(insatser.antal)
payments:
  p: { entity: customer_month, category: c, formula: antal_insatser * 10 SEK }
""",
        encoding="utf-8",
    )
    insatser = "rad_id,customer_id,dag,antal\nR1,K1,2025-03-04,2\nR2,K1,2025-03-05,\n"
    data = csv_texts(tmp_path, {**ONE_CUSTOMER, "insatser": insatser})
    args = ["run", str(model), "--data", str(data), "--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 3, ran.output  # a row rejected
    # decisions.csv is not read (the model uses no decision): no month "without decisions"
    assert "empty-month" not in ran.output
    assert "insatser.csv:antal: warning[rejected-rows]: 1 row rejected: en insats utan antal" in (
        ran.output
    )
    rejects = (tmp_path / "out" / "rejects.csv").read_text(encoding="utf-8")
    assert "insatser,insatser.csv,3,R2,K1,,antal" in rejects
    assert re.search(r"\nsumma +20,00\n", ran.output), ran.output  # R1: 2 × 10 kr


@pytest.mark.parametrize(
    ("any_of", "said"),
    [
        ("[level]", None),
        ("[level, customer_id]", None),
        ("[customer_id]", "`customer_id`, which may never be empty in `decisions`: a row "
         "without it is rejected as it is read"),
        ("[service, start_date]", "`service`, `start_date`, none of which may be empty in "
         "`decisions`: a row without one is rejected as it is read"),
    ],
    ids=["may be empty", "one may be empty", "never empty", "none may be empty"],
)  # fmt: skip
def test_a_requirement_of_columns_never_empty_is_warned_of(tmp_path: Path, any_of, said):
    """A row without a value of a column that may not be empty (a decision's customer,
    service, start) is rejected as it is read, with the column's words: a requirement
    asking only for such columns rejects nothing and its reason (its §) is never given,
    and the author was not told. One column that may be empty among them is a
    requirement."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: own\ntitle: own\nextends: {ROOT / 'tests/fixtures/mossby/model.yaml'}\n"
        f"data_requirements:\n  beslut_fullständigt:\n    table: decisions\n"
        f"    any_of: {any_of}\n    reason: beslutet är ofullständigt (§9)\n",
        encoding="utf-8",
    )
    checked = CliRunner().invoke(main, ["check", str(model), "--lang", "en"])
    assert checked.exit_code == 0, checked.output
    # Mossby's own requirement asks for hours per month, which may be empty: not warned of
    assert checked.output.count("changes-nothing") == (said is not None), checked.output
    if said is not None:
        assert (
            f"warning[changes-nothing]: data requirement `beslut_fullständigt` asks for {said}, "
            "so the requirement rejects nothing and its reason is never given"
        ) in checked.output


def test_a_model_paying_visits_alone_needs_no_decisions_file(tmp_path: Path) -> None:
    """A model paying executed time alone reads no decision, and its data has no
    decisions.csv: the run warned that the month had "no decisions in force" (exit 4)
    of a month whose every visit was paid."""
    model = tmp_path / "model.yaml"
    model.write_text(
        "model: utford-tid\ntitle: utförd tid\n"
        "definitions: { visit: { tid: end - start } }\n"
        "payments:\n  p: { entity: customer_month, category: c,"
        " formula: sum(visits.tid where counted) * 450 SEK/h }\n",
        encoding="utf-8",
    )
    tables = {name: text for name, text in ONE_CUSTOMER.items() if name != "decisions"}
    data = csv_texts(tmp_path, tables)
    args = ["run", str(model), "--data", str(data), "--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert "empty-month" not in ran.output
    assert re.search(r"\nsumma +450,00\n", ran.output), ran.output  # V1: 1 h × 450 kr/h


DELIVERIES = """\
model: leveranser
title: leveranser
vocabulary:
  tables:
    leveranser:
      key: [leverans_id]
      columns:
        leverans_id: {{ type: text, nullable: false, required: true }}
        customer_id: {{ type: text, nullable: false, required: true }}
        provider_id: {{ type: text, nullable: false, required: true }}
        levererad: {{ type: date, nullable: false, required: true }}
        portioner: {{ type: integer, nullable: false, minimum: 1 }}
  entities:
    leverans:
      table: leveranser
      month: {{ by: date, column: levererad }}
      parties: [customer, provider]
    customer_month:{month}
      relations:
        leveranser: {{ entity: leverans, keys: [customer_id, provider_id] }}
definitions:
  customer_month:
    portioner_i_månaden: sum(leveranser.portioner)
payments:
  mat: {{ entity: customer_month, category: mat, formula: portioner_i_månaden * 62 SEK }}
"""


ONE_CUSTOMER = {  # K1 of P1, with a visit and a decision in March 2025
    "customers": "customer_id,district\nK1,Centrum\n",
    "providers": "provider_id,name,ownership\nP1,A,private\n",
    "visits": "visit_id,customer_id,provider_id,service,start,end\n"
    "V1,K1,P1,omsorg,2025-03-04 09:00,2025-03-04 10:00\n",
    "decisions": "decision_id,customer_id,provider_id,service,start_date\n"
    "D1,K1,P1,omsorg,2025-01-01\n",
}


def _model_and_data(tmp_path: Path, text: str, tables: dict[str, str]) -> tuple[Path, Path]:
    """`model.yaml` of `text`, and a data folder of `ONE_CUSTOMER` with `tables` over it."""
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    return model, csv_texts(tmp_path, {**ONE_CUSTOMER, **tables})


def _deliveries(tmp_path: Path, month: str) -> tuple[Path, Path]:
    return _model_and_data(
        tmp_path,
        DELIVERIES.format(month=month),
        {
            "customers": "customer_id,district\nK1,Centrum\nK3,Centrum\n",
            "leveranser": "leverans_id,customer_id,provider_id,levererad,portioner\n"
            "L1,K1,P1,2025-03-03,5\nL2,K1,P1,2025-03-10,7\nL3,K3,P1,2025-03-05,3\n",
        },
    )


def _march(tmp_path: Path, model: Path, data: Path) -> tuple[Result, Path]:
    """`carepay run` of March 2025, and where it wrote."""
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2025-03", "--out", str(out)]
    return CliRunner().invoke(main, args), out


def _paid(tmp_path: Path, model: Path, data: Path, said: str = "") -> str:
    """March's statement lines; the run exits 0, or — where it must say `said` — 5."""
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == (5 if said else 0), ran.output
    assert said in ran.output, ran.output
    return (out / "statement_lines.csv").read_text(encoding="utf-8")


UNKEYED = {  # K1's deliveries, the one of 10 March on two rows alike in every column
    "customers": "customer_id,district\nK1,Centrum\n",
    "leveranser": "customer_id,provider_id,levererad,portioner\n"
    "K1,P1,2025-03-03,5\nK1,P1,2025-03-10,7\nK1,P1,2025-03-10,7\n",
}


@pytest.mark.parametrize(
    ("declared", "code", "paid"),
    [
        ("", 3, "744.00"),  # (5 + 7) × 62 kr: row 4 is row 3 again, rejected
        ("      may_repeat: true\n", 0, "1178.00"),  # (5 + 7 + 7) × 62 kr: two deliveries
    ],
)
def test_a_row_repeated_in_a_table_without_a_key(tmp_path: Path, declared, code, paid):
    """A table of the model's own without a key cannot tell two rows alike in every
    column apart: the second is taken for the first exported twice and rejected with its
    reason, unless the table says its rows `may_repeat` (two deliveries alike the same
    day). Before, the repeated row was paid, exit 0, in silence (an escort exported
    twice, 1 330 kr for 665 kr)."""
    text = DELIVERIES.format(month="").replace("      key: [leverans_id]\n", declared)
    text = text.replace(
        "        leverans_id: { type: text, nullable: false, required: true }\n", ""
    )
    model, data = _model_and_data(tmp_path, text, UNKEYED)
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == code, ran.output
    assert f"2025-03,P1,K1,mat,,mat,,,{paid}," in (out / "statement_lines.csv").read_text("utf-8")
    rejects = (out / "rejects.csv").read_text(encoding="utf-8").splitlines()
    if code == 3:
        assert "1 row rejected: the row is row 3 again, alike in every column" in ran.output
        assert "say so: `tables: {leveranser: {may_repeat: true}}`" in ran.output
        assert len(rejects) == 2 and rejects[1].startswith("leveranser,leveranser.csv,4,"), rejects
    else:
        assert len(rejects) == 1 and "rejected" not in ran.output, ran.output


@pytest.mark.parametrize(
    ("comments", "code", "paid"),
    [
        ("vid dörren,vid dörren", 3, "744.00"),  # row 4 is row 3 again, its comment too
        ("vid dörren,i trapphuset", 0, "1178.00"),  # two deliveries: (5 + 7 + 7) × 62 kr
    ],
)
def test_rows_alike_in_the_columns_read_are_compared_in_the_others(
    tmp_path: Path, comments, code, paid
):
    """Two rows of a table without a key alike in every column the model reads but
    differing in one it does not (a delivery's comment) are two facts, both read; a
    row alike in every column of the file is the first exported twice. Before, the
    columns read alone were compared, and a second delivery was rejected."""
    text = DELIVERIES.format(month="").replace("      key: [leverans_id]\n", "")
    text = text.replace(
        "        leverans_id: { type: text, nullable: false, required: true }\n",
        "        kommentar: { type: text }\n",
    )
    first, second = comments.split(",")
    rows = UNKEYED["leveranser"].splitlines()
    table = "\n".join(
        [rows[0] + ",kommentar", rows[1] + ",", rows[2] + f",{first}", rows[3] + f",{second}"]
    )
    model, data = _model_and_data(tmp_path, text, {**UNKEYED, "leveranser": table + "\n"})
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == code, ran.output
    assert f"2025-03,P1,K1,mat,,mat,,,{paid}," in (out / "statement_lines.csv").read_text("utf-8")


def test_diff_says_that_a_tables_rows_may_repeat(tmp_path: Path):
    """Two models differing in `may_repeat:` alone read other rows: `diff` says so."""
    text = DELIVERIES.format(month="").replace("      key: [leverans_id]\n", "")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, "utf-8")
    new.write_text(
        text.replace("    leveranser:\n", "    leveranser:\n      may_repeat: true\n", 1), "utf-8"
    )
    diffed = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert "- Tabellen `leveranser` ändras\n    may_repeat: false → true" in diffed.output, (
        diffed.output
    )


def test_a_models_own_rows_make_a_customers_month(tmp_path: Path):
    """Meal deliveries to a customer with no visit or decision of that provider (K3):
    with `month: {by: pairs, of: [..., leverans]}` on customer_month, the deliveries
    make the customer's month, and its 3 portions are paid (3 × 62 = 186 kr). Before,
    the month rule given for customer_month was read and dropped: K3 was paid nothing
    and the check was clean."""
    month = "\n      month: { by: pairs, of: [visit, decision, journal, leverans] }"
    model, data = _deliveries(tmp_path, month)
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert checked.exit_code == 0 and "warning" not in checked.output, checked.output
    lines = _paid(tmp_path, model, data)
    assert "2025-03,P1,K1,mat,,mat,,,744.00," in lines  # (5 + 7) × 62
    assert "2025-03,P1,K3,mat,,mat,,,186.00," in lines  # 3 × 62


def test_rows_that_can_be_in_no_customer_month_are_warned_of(tmp_path: Path):
    """Without the month rule, K3's delivery is in no customer-month and is not paid:
    `check` (and `run`, which checks first) warns at the relation, with the line to
    write, and the run names the delivery and exits 5 (it exited 0)."""
    model, data = _deliveries(tmp_path, "")
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert checked.exit_code == 0, checked.output
    assert f"{model}:20:9: warning[unpaired-rows]: `leveranser` joins leverans rows to " in (
        checked.output
    )
    assert "is in no customer_month, and is not paid" in checked.output
    hint = "of: [visit, decision, journal, leverans]}}}"
    assert hint in checked.output, checked.output
    said = (
        "2025-03: warning[unpaired-rows]: 1 leverans row of 2025-03 is in no customer_month "
        "(leverans L3): no row of visit, decision, journal has its customer_id, provider_id, "
        "so `leveranser` pays nothing by it"
    )
    lines = _paid(tmp_path, model, data, said)
    assert "K1,mat" in lines and "K3" not in lines


def test_rows_no_formula_reads_are_not_warned_of(tmp_path: Path):
    """A month made of visits, decisions and deliveries leaves the journals out; a model
    that pays nothing by journals has nothing to be warned of. Before, `check` warned
    that `journals` could fall outside every customer-month — of rows no formula
    reads."""
    month = "\n      month: { by: pairs, of: [visit, decision, leverans] }"
    model, data = _deliveries(tmp_path, month)
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert checked.exit_code == 0 and "warning" not in checked.output, checked.output
    assert "2025-03,P1,K3,mat,,mat,,,186.00," in _paid(tmp_path, model, data)


def test_rows_of_a_models_own_entity_are_named_by_their_tables_key(tmp_path: Path):
    """An entity over a table of the model's own, with no `key:` of its own, has its
    table's key: a test file expects a delivery's values by its id, and explain names
    the rows it sums (`leverans L3`). Before, the entity had no key: the test file
    could not name the row, and explain said `(leverans)`."""
    month = "\n      month: { by: pairs, of: [visit, decision, journal, leverans] }"
    model, data = _deliveries(tmp_path, month)
    text = model.read_text(encoding="utf-8").replace(
        "definitions:\n", "definitions:\n  leverans:\n    värde: portioner * 62 SEK\n"
    )
    model.write_text(text, encoding="utf-8")
    tests = tmp_path / "leveranser_test.yaml"
    tests.write_text(
        """\
model: model.yaml
defaults:
  input:
    customers: [{ customer_id: K3, district: Centrum }]
    providers: [{ provider_id: P1, name: A, ownership: private }]
tests:
  - name: en leverans
    month: 2025-03
    input:
      visits: [{ visit_id: V1, customer_id: K3, provider_id: P1, service: omsorg,
                 start: 2025-03-03 08:00, end: 2025-03-03 09:00 }]
      leveranser: [{ leverans_id: L3, customer_id: K3, provider_id: P1,
                     levererad: 2025-03-05, portioner: 3 }]
    output:
      leverans:
        L3: { värde: 186 }
      customers:
        K3: { mat: 186 }
""",
        encoding="utf-8",
    )
    tested = CliRunner().invoke(main, ["test", str(tests)])
    assert tested.exit_code == 0, tested.output
    args = ["explain", str(model), "--data", str(data), "--month", "2025-03", "--customer", "K3"]
    explained = CliRunner().invoke(main, args)
    assert explained.exit_code == 0, explained.output
    assert "portioner = 3   (leverans L3)" in explained.output, explained.output


def test_an_exclusion_that_reads_no_rejected_table_is_not_said_to_follow_from_it(tmp_path):
    """A visit excluded for lasting under three minutes, of a customer whose delivery row
    was rejected: the exclusion reads the visit alone, so nothing links the two. Before,
    the run warned that `kort` "may follow from the rejection" of matleveranser rows
    (follows-rejection links every exclusion of the customer to any rejected row)."""
    month = "\n      month: { by: pairs, of: [visit, decision, journal, leverans] }"
    model, data = _deliveries(tmp_path, month)
    text = model.read_text(encoding="utf-8")
    model.write_text(text + "exclusions:\n  kort: { when: end - start < 3 min, reason: kort }\n")
    with (data / "visits.csv").open("a", encoding="utf-8") as visits:
        visits.write("V2,K1,P1,omsorg,2025-03-05 09:00,2025-03-05 09:02\n")
    with (data / "leveranser.csv").open("a", encoding="utf-8") as deliveries:
        deliveries.write("L4,K1,P1,2025-03-12,0\n")  # no portions: out of range, rejected
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == 3, ran.output  # the row rejected
    assert "leveranser.csv:portioner: warning[rejected-rows]: 1 row rejected" in ran.output
    assert "V2,K1,P1,kort,kort" in (out / "exclusions.csv").read_text(encoding="utf-8")
    assert "follows-rejection" not in ran.output, ran.output


def test_explain_shows_a_customers_payments_of_other_entities(tmp_path: Path):
    """A fee per delivery (a payable entity of the model's own, as Örebro's effect
    premium is paid per claim) is on the customer's statement and letter; `explain
    --customer` showed only the customer-month's payments, so the 25 kr per delivery
    could not be traced. Now each delivery paid is a tree of its own, named by its key
    (and `row` in the JSON)."""
    month = "\n      month: { by: pairs, of: [visit, decision, journal, leverans] }"
    model, data = _deliveries(tmp_path, month)
    text = model.read_text(encoding="utf-8")
    text = text.replace(
        "      table: leveranser\n", "      table: leveranser\n      payable: true\n"
    )
    text += "  avgift: { entity: leverans, category: mat, formula: 25 SEK, source: '§5.4' }\n"
    model.write_text(text, encoding="utf-8")
    lines = _paid(tmp_path, model, data)
    # each delivery's line names it (two lines alike could not be told apart)
    assert "2025-03,P1,K1,avgift,L1,mat,,,25.00,§5.4" in lines
    assert "2025-03,P1,K1,avgift,L2,mat,,,25.00,§5.4" in lines
    assert "2025-03,P1,K1,mat,,mat,,,744.00," in lines  # the customer-month's: no row
    sheet = openpyxl.load_workbook(tmp_path / "out" / "payments.xlsx")["Rader"]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert rows[0][:5] == ("Månad", "Utförare", "Kund", "Ersättning", "Avser")
    assert ("2025-03", "P1", "K1", "avgift", "L1") in [r[:5] for r in rows]
    letter = CliRunner().invoke(
        main,
        ["explain", "--lang", "en", str(model), "--data", str(data), "--month", "2025-03", "--customer", "K1",
         "--letter"],
    )  # fmt: skip
    assert "- avgift: 25,00 kr (§5.4). Gäller L1.\n- avgift: 25,00 kr (§5.4). Gäller L2." in (
        letter.output
    ), letter.output
    args = ["explain", "--lang", "en", str(model), "--data", str(data), "--month", "2025-03"]
    args += ["--customer", "K1"]
    explained = CliRunner().invoke(main, args)
    assert explained.exit_code == 0, explained.output
    for key in ("L1", "L2"):
        assert f"Leverans {key} of customer K1 with provider P1, 2025-03\n\navgift = 25.00 SEK" in (
            explained.output
        ), explained.output
    assert "L3" not in explained.output  # K3's
    as_json = CliRunner().invoke(main, [*args, "--format", "json"])
    lines = json.loads(as_json.output)["lines"]
    found = [(line["payment"], line.get("row"), line.get("row_label")) for line in lines]
    # `row` as statement_lines.csv names it, `row_label` as explain shows it
    assert ("avgift", "L1", "leverans L1") in found and ("avgift", "L2", "leverans L2") in found
    assert ("mat", None, None) in found


COMPOSITE = """\
model: ck
title: ck
vocabulary:
  tables:
    insatser:
      key: [kund, dag]
      columns:
        kund: { type: text, nullable: false, required: true }
        customer_id: { type: text, nullable: false, required: true }
        provider_id: { type: text, nullable: false, required: true }
        dag: { type: date, nullable: false, required: true }
        antal: { type: integer, minimum: 1 }
  entities:
    insats:
      table: insatser
      month: { by: date, column: dag }
      parties: [customer, provider]
      payable: true
payments:
  p: { entity: insats, category: c, formula: antal * 10 SEK }
"""

INSATSER = (
    "kund,customer_id,provider_id,dag,antal\n"
    "A,K1,P1,2025-03-04,2\n"  # row 2
    "A,K1,P1,2025-03-04,3\n"  # row 3: A on 4 March again
    "A,K1,P1,2025-03-05,4\n"  # row 4: A on another day
    "B,K1,P1,2025-03-04,1\n"  # row 5: another on 4 March
)


def test_a_key_of_several_columns_is_their_values_together(tmp_path: Path):
    """A table keyed by `[kund, dag]` has one row per kund and day: only row 3 repeats
    a key (20 + 40 + 10 = 70 kr paid). Before, each key column had to be unique by
    itself, so rows 4 and 5 were rejected as duplicates too and 50 kr went unpaid."""
    model, data = _model_and_data(tmp_path, COMPOSITE, {"insatser": INSATSER})
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == 3, ran.output
    assert "1 row rejected: `kund, dag` A, 2025-03-04 appears more than once (first on row 2)" in (
        ran.output
    )
    rejects = (out / "rejects.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2 and rejects[1].startswith(
        'insatser,insatser.csv,3,"A, 2025-03-04",K1,P1,kund,'
    ), rejects
    assert re.search(r"\nsumma +70,00\n", ran.output), ran.output


def test_a_key_of_several_columns_when_the_table_is_read_in_parts(tmp_path: Path):
    """The same rule where a table too large for memory is scanned for repeated keys
    (`duplicate_rows`, the visits of a year): the values together, not each column."""
    import polars as pl

    from engine.data import ROW, duplicate_rows
    from engine.diagnostics import Diagnostics
    from engine.loader import load_model

    model = tmp_path / "model.yaml"
    model.write_text(COMPOSITE, encoding="utf-8")
    loaded = load_model(model, Diagnostics())
    assert loaded is not None
    table = loaded.vocabulary.tables["insatser"]
    file = tmp_path / "insatser.parquet"
    pl.read_csv(INSATSER.encode(), infer_schema=False).write_parquet(file)
    scan = pl.scan_parquet(file)
    found = duplicate_rows(scan, table, scan.collect_schema(), row_offset=2)
    assert found.to_dicts() == [
        {ROW: 1, "column": "kund, dag", "value": "A, 2025-03-04", "first": 2}
    ]


def test_a_test_file_names_a_row_of_a_key_of_several_columns(tmp_path: Path):
    """A row of an entity keyed by two columns is expected by its values with commas,
    as its statement line names it (`A, 2025-03-04`); and a key that names no row fails
    with the rows there are: `A, 2025-03-05: {p: 0}` passed before, compared with the 0
    kr of no row at all (and an entity with a key of two was no output section)."""
    (tmp_path / "model.yaml").write_text(COMPOSITE, encoding="utf-8")
    case = """\
model: model.yaml
defaults:
  input:
    customers: [{{ customer_id: K1, district: Centrum }}]
    providers: [{{ provider_id: P1, name: A, ownership: private }}]
    visits: [{{ visit_id: V1, customer_id: K1, provider_id: P1, service: omsorg,
               start: 2025-03-03 08:00, end: 2025-03-03 09:00 }}]
tests:
  - name: två nycklar
    month: 2025-03
    input:
      insatser: [{{ kund: A, customer_id: K1, provider_id: P1, dag: 2025-03-04, antal: 2 }}]
    output:
      insats:
        "{key}": {{ p: {amount} }}
"""
    tests = tmp_path / "t_test.yaml"
    tests.write_text(case.format(key="A, 2025-03-04", amount=20), encoding="utf-8")
    passed = CliRunner().invoke(main, ["test", str(tests)])
    assert passed.exit_code == 0, passed.output
    tests.write_text(case.format(key="A, 2025-03-05", amount=0), encoding="utf-8")
    failed = CliRunner().invoke(main, ["test", str(tests)])
    assert failed.exit_code == 1, failed.output
    assert (
        "line 15: no row `A, 2025-03-05` this month, so nothing of it can be compared; "
        'did you mean `A, 2025-03-04`? (there are: "A, 2025-03-04")'
    ) in failed.output


CONTRACTS = """\
model: pm
title: pm
vocabulary:
  tables:
    avtal:
      key: [avtal_id]
      columns:
        avtal_id: {{ type: text, nullable: false, required: true }}
        provider_id: {{ type: text, nullable: false, required: true }}
        från: {{ type: date, nullable: false, required: true }}
        till: {{ type: date }}
        månadsavgift: {{ type: number, unit: SEK, nullable: false }}
  entities:
    avtalsperiod:
      table: avtal
      month: {{ by: period, start: från, end: till }}
      parties: [provider]
    provider_month:{month}
      relations:
        avtal: {{ entity: avtalsperiod, keys: [provider_id] }}
payments:
  beredskap: {{ entity: provider_month, category: fast, formula: sum(avtal.månadsavgift) }}
"""


@pytest.mark.parametrize("made_of", [False, True])
def test_a_providers_contract_fee_with_no_customer_that_month(tmp_path: Path, made_of: bool):
    """P2 has a contract (2 000 kr a month) and no customer in March: paid only where
    the provider's month is made of the contracts too; warned of otherwise, by `check`
    and by the run, which names the contract and exits 5 (it exited 0)."""
    month = "\n      month: { by: pairs, of: [customer_month, avtalsperiod] }" if made_of else ""
    model, data = _model_and_data(
        tmp_path,
        CONTRACTS.format(month=month),
        {
            "providers": "provider_id,name,ownership\nP1,A,private\nP2,B,private\n",
            "avtal": "avtal_id,provider_id,från,till,månadsavgift\n"
            "A1,P1,2025-01-01,,1000\nA2,P2,2025-01-01,,2000\n",
        },
    )
    checked = CliRunner().invoke(main, ["check", str(model)])
    warned = "warning[unpaired-rows]: `avtal` joins avtalsperiod rows to provider_month"
    assert (warned in checked.output) is not made_of, checked.output
    said = (
        "" if made_of else "1 avtalsperiod row of 2025-03 is in no provider_month (avtalsperiod A2)"
    )
    lines = _paid(tmp_path, model, data, said)
    assert "2025-03,P1,,beredskap,,fast,,,1000.00," in lines
    assert ("2025-03,P2,,beredskap,,fast,,,2000.00," in lines) is made_of, lines


def test_a_payment_with_no_value_names_its_rows(tmp_path: Path):
    """A row whose payment has no value (an empty `antal`) is paid nothing, and the
    warning names it by its key — it said only "for 1 row", and the controller had to
    `explain` every customer to find it. explain titles it the same way."""
    insatser = "kund,customer_id,provider_id,dag,antal\nA,K1,P1,2025-03-04,2\nC,K1,P1,2025-03-06,\n"
    model, data = _model_and_data(tmp_path, COMPOSITE, {"insatser": insatser})
    args = ["run", str(model), "--data", str(data), "--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 5, ran.output  # written, to be reviewed
    assert (
        "warning[bad-value]: `p` had no value for 1 row in 2025-03 (insats C, 2025-03-06); "
        "nothing was paid for them"
    ) in ran.output
    explained = CliRunner().invoke(
        main, ["explain", "--lang", "en", *args[1:], "--customer", "K1", "--all"]
    )
    assert "Insats C, 2025-03-06 of customer K1 with provider P1, 2025-03" in explained.output


def test_an_entity_of_days_may_be_written_before_its_periods(tmp_path: Path):
    """`vistelsedag: {month: {by: days, of: vistelse}}` written above `vistelse`: YAML's
    order is the author's, not a dependency. Before, it was "days expands an entity
    whose rows are periods" and two unknown keys. A stay 25 February–5 March has five
    days in March: 5 × 100 = 500 kr."""
    model = tmp_path / "model.yaml"
    model.write_text(
        """\
model: dd
title: dd
vocabulary:
  tables:
    vistelser:
      key: [vistelse_id]
      columns:
        vistelse_id: { type: text, nullable: false, required: true }
        customer_id: { type: text, nullable: false, required: true }
        provider_id: { type: text, nullable: false, required: true }
        från: { type: date, nullable: false, required: true }
        till: { type: date }
  entities:
    vistelsedag:
      month: { by: days, of: vistelse }
    vistelse:
      table: vistelser
      month: { by: period, start: från, end: till }
      parties: [customer, provider]
    customer_month:
      relations:
        dagar: { entity: vistelsedag, keys: [customer_id, provider_id] }
definitions:
  customer_month:
    antal_dagar: count(dagar)
payments:
  p: { entity: customer_month, category: c, formula: antal_dagar * 100 SEK }
""",
        encoding="utf-8",
    )
    stays = "vistelse_id,customer_id,provider_id,från,till\nS1,K1,P1,2025-02-25,2025-03-05\n"
    data = csv_texts(tmp_path, {**ONE_CUSTOMER, "vistelser": stays})
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert "error" not in checked.output, checked.output
    assert "2025-03,P1,K1,p,,c,,,500.00," in _paid(tmp_path, model, data)


def test_a_file_that_extends_a_model_adds_to_its_vocabulary(tmp_path: Path):
    """A scenario that adds a code and a column to a model with a vocabulary of its own
    keeps the model's tables, entities and codes: before, its `vocabulary:` replaced
    the model's whole, and every formula reading the deliveries was an error. Two
    `add:`s to one code list add both (`matdistribution` of the model, `städ` of the
    scenario: a visit of each is read, none rejected)."""
    month = "\n      month: { by: pairs, of: [visit, decision, journal, leverans] }"
    model, data = _deliveries(tmp_path, month)
    text = model.read_text(encoding="utf-8")
    model.write_text(
        text.replace(
            "vocabulary:\n", "vocabulary:\n  codes:\n    service: { add: [matdistribution] }\n"
        ),
        encoding="utf-8",
    )
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        """\
model: leveranser-stad
title: med städ
extends: model.yaml
vocabulary:
  codes:
    service: { add: [städ] }
  columns:
    visits:
      restid: { type: number, unit: min }
  entities:
    customer_month:
      relations:
        leveranserna: { entity: leverans, keys: [customer_id, provider_id] }
""",
        encoding="utf-8",
    )
    with (data / "visits.csv").open("a", encoding="utf-8") as visits:
        visits.write("V2,K1,P1,städ,2025-03-05 09:00,2025-03-05 10:00\n")
        visits.write("V3,K1,P1,matdistribution,2025-03-06 09:00,2025-03-06 09:10\n")
    checked = CliRunner().invoke(main, ["check", str(scenario)])
    assert checked.exit_code == 0 and "error" not in checked.output, checked.output
    lines = _paid(tmp_path, scenario, data)  # exit 0: no row rejected
    assert "2025-03,P1,K1,mat,,mat,,,744.00," in lines
    assert "2025-03,P1,K3,mat,,mat,,,186.00," in lines


AGREEMENTS = """\
model: avtal
title: Avtalsperioder
zones: { tätort: [Centrum] }
vocabulary:
  tables:
    avtal:
      key: [avtal_id]
      columns:
        avtal_id: { type: text, nullable: false, required: true }
        customer_id: { type: text, nullable: false, required: true }
        provider_id: { type: text, nullable: false, required: true }
        från: { type: date, nullable: false }
        till: { type: date }
  entities:
    avtalsperiod:
      table: avtal
      month: { by: period, start: från, end: till }
      parties: [customer, provider]
    customer_month:
      month: { by: pairs, of: [visit, decision, avtalsperiod] }
      relations:
        avtal: { entity: avtalsperiod, keys: [customer_id, provider_id] }
parameters:
  dagpris: { unit: SEK, values: { 2025-01-01: 100 } }
definitions:
  avtalsperiod:
    dagar: days_active(från, till)
payments:
  avtalsersättning:
    entity: customer_month
    category: avtal
    formula: sum(avtal.dagar) * dagpris
"""


def test_a_period_of_a_models_own_table_that_ends_before_it_starts_is_rejected(
    tmp_path: Path,
):
    """A period the model names itself (`{by: period, start: från, end: till}`) is held
    to what start_date and end_date of a decision are: A2, 20 March to 5 March, is
    rejected with its reason. Before, only carepay's own column names were checked:
    A2 was read, overlapped March, and counted 0 days without a word."""
    model, data = _model_and_data(
        tmp_path,
        AGREEMENTS,
        {
            "customers": "customer_id,district\nK1,Centrum\nK2,Centrum\n",
            "avtal": "avtal_id,customer_id,provider_id,från,till\n"
            "A1,K1,P1,2025-03-10,2025-03-19\nA2,K2,P1,2025-03-20,2025-03-05\n",
        },
    )
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == 3, ran.output  # written, with rows rejected
    rejects = (out / "rejects.csv").read_text(encoding="utf-8")
    assert (
        "avtal,avtal.csv,3,A2,K2,P1,till,2025-03-05,bad-date,`till` 2025-03-05 is before `från` 2025-03-20"
        in rejects
    )
    lines = (out / "statement_lines.csv").read_text(encoding="utf-8")
    assert "2025-03,P1,K1,avtalsersättning,,avtal,,,1000.00," in lines  # 10 days × 100


OWN_CODES = """\
model: egna-koder
title: egna koder
vocabulary:
  columns:
    visits:
      status: {{ type: text, values: [{status}], nullable: false }}
  tables:
    insatser:
      key: [rad_id]
      columns:
        rad_id: {{ type: text, nullable: false, required: true }}
        customer_id: {{ type: text, nullable: false, required: true }}
        dag: {{ type: date, nullable: false, required: true }}
        status: {{ type: text, values: [ny, klar], required: true }}
  entities:
    insats:
      table: insatser
      month: {{ by: date, column: dag }}
      parties: [customer]
    customer_month:
      relations:
        insatser: {{ entity: insats, keys: [customer_id] }}
payments:
  p: {{ entity: customer_month, category: c, formula: count(visits where status == "utförd") * 10 SEK }}
  q: {{ entity: customer_month, category: c, formula: count(insatser) * 1 SEK }}
"""


def test_a_code_outside_a_columns_own_list_says_where_to_add_it(tmp_path: Path) -> None:
    """A column's own code list (`values:`) was said to be added to "under vocabulary:
    {codes: {visits.status: {add: [Utförd]}}}", which the check refuses ("there is no
    code list `visits.status`"); a table's own column's list was named `columns.status`."""
    visits = ONE_CUSTOMER["visits"].replace("\n", ",status\n", 1).rstrip("\n") + ",Utförd\n"
    insatser = "rad_id,customer_id,dag,status\nR1,K1,2025-03-04,avslutad\n"
    model, data = _model_and_data(
        tmp_path,
        OWN_CODES.format(status="utförd, avbokad"),
        {"visits": visits, "insatser": insatser},
    )
    args = ["run", str(model), "--data", str(data), "--month", "2025-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 4, ran.output  # its one visit rejected: none counted
    assert "hint: 1 row of visits was rejected (rejects.csv)" in ran.output
    assert (
        "`Utförd` is not a known status (code list `visits.status`)\n   = hint: did you mean "
        "`utförd`? the list is the model's own: add Utförd to the `values:` of `status` where "
        "its vocabulary declares the column; row 2;"
    ) in ran.output
    assert "`avslutad` is not a known status (code list `insatser.status`)" in ran.output
    assert "codes: {" not in ran.output
    # done as the hint says, the visit is read and paid
    model.write_text(OWN_CODES.format(status="utförd, avbokad, Utförd"), encoding="utf-8")
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out2")])
    assert "Utförd" not in ran.output and "visits 1" not in ran.output, ran.output


@pytest.mark.parametrize(
    ("broken", "errors"),
    [
        # an empty `visits:` left when its last column was removed: the whole vocabulary
        # was dropped, and each formula naming a service of the model's own, or its own
        # table, was an error of its own (six in all)
        ("  columns:\n    visits:\n",
         ["`vocabulary.columns.visits` should be a mapping (key: value lines)"]),
        # one column's type: the table was dropped, "there is no table `t`"
        ("  columns:\n    visits:\n      x: { type: heltal }\n",
         ["`heltal` is not allowed at `vocabulary.columns.visits.x.type`"]),
        # one property of the own table: the table was dropped, and its entity was "of
        # a table that is not there", each column a formula read an unknown name
        ("", ["`vocabulary.tables.t.optional` should be true or false"]),
    ],
)  # fmt: skip
def test_a_mistake_in_one_declaration_leaves_the_others(tmp_path, broken, errors):
    vocabulary = (
        "  codes:\n    service: { replace: [hemtjänst, larm] }\n"
        + broken
        + "  tables:\n    t:\n      key: [id]\n"
        + ("" if broken else "      optional: ja\n")
        + "      columns:\n"
        "        id: { type: text }\n        customer_id: { type: text }\n"
        "        provider_id: { type: text }\n        d: { type: date }\n"
        "        n: { type: heltal }\n        m: { type: integer }\n"
        "  entities:\n    e:\n      table: t\n      month: { by: date, column: d }\n"
        "      parties: [customer, provider]\n"
        "    customer_month:\n      relations:\n        es: { entity: e, keys: [customer_id] }"
    )
    definitions = (
        '  customer_month:\n    x: count(visits where service == "hemtjänst")\n    y: sum(es.m)'
    )
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.format(vocabulary=vocabulary, definitions=definitions), "utf-8")
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert checked.exit_code == 1, checked.output
    found = re.findall(r"error\[[a-z-]+\]: (.*)", checked.output)
    # the own table's broken column `n` is the other error: its column `m` is read
    expected = [*errors, "`heltal` is not allowed at `vocabulary.tables.t.columns.n.type`"]
    assert sorted(found) == sorted(expected), checked.output


def test_two_entities_reading_each_other_are_named_with_their_relations(tmp_path):
    """A planning table related to the visits both ways (Ravlunda's planned time, a
    model from the docs): the error named "visit, customer_month, provider_month,
    planeringsrad" — two of them only waiting for the circle — at `entities:`, with
    "one of them must be computed without the others". It names the circle and the
    relations now, at one of them, and how to break it."""
    vocabulary = """\
  tables:
    planering:
      key: [visit_id]
      columns:
        visit_id: { type: text, nullable: false, required: true }
        customer_id: { type: text, nullable: false, required: true }
        provider_id: { type: text, nullable: false, required: true }
        planerad_start: { type: datetime, nullable: false }
  entities:
    planeringsrad:
      table: planering
      month: { by: moment, column: planerad_start }
      parties: [customer, provider]
      relations:
        besök: { entity: visit, keys: [visit_id] }
    visit:
      relations:
        plan: { entity: planeringsrad, keys: [visit_id] }"""
    model = tmp_path / "model.yaml"
    model.write_text(
        MODEL.format(vocabulary=vocabulary, definitions="  visit:\n    x: count(plan)"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert (
        "model.yaml:21:15: error[cycle]: entities aggregate each other in a circle: "
        "visit reads planeringsrad (`plan`), planeringsrad reads visit (`besök`)"
    ) in result.output
    assert "customer_month" not in result.output.split("\n")[0]
    assert "keep one of the relations" in result.output


def test_two_agreements_of_one_customer_at_once_are_said_where_the_model_asks(tmp_path: Path):
    """An entity of the model's own whose rows are periods may say which rows should
    not be in force on the same day (`overlapping: [customer_id, provider_id]`): K1's
    agreement A3, registered from 15 March while A1 (10–19 March) still held, is paid
    its days besides A1's (10 + 17 = 27 days), and the run says so."""
    text = AGREEMENTS.replace(
        "      parties: [customer, provider]\n    customer_month:",
        "      parties: [customer, provider]\n      overlapping: [customer_id, provider_id]\n"
        "    customer_month:",
    )
    model, data = _model_and_data(
        tmp_path,
        text,
        {
            "customers": "customer_id,district\nK1,Centrum\n",
            "avtal": "avtal_id,customer_id,provider_id,från,till\n"
            "A1,K1,P1,2025-03-10,2025-03-19\nA3,K1,P1,2025-03-15,\n",
        },
    )
    ran, out = _march(tmp_path, model, data)
    assert ran.exit_code == 0, ran.output
    assert (
        "warning[overlapping-periods]: 2025-03 has 1 pair of avtal of one customer and "
        "provider in force on the same days: K1, P1: A1 and A3"
    ) in ran.output
    lines = (out / "statement_lines.csv").read_text(encoding="utf-8")
    assert "2025-03,P1,K1,avtalsersättning,,avtal,,,2700.00," in lines
