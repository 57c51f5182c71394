"""Kvarnby, a model written from docs/language.md alone: omsorg per day of a decision
by level (days as rows), a hospital stay's first three days paid and a short-term
stay's none, a provider change in the month, a start-up fee for a customer new to a
provider (its history, six months back), delegated health care per visit rounded up and
with a weekend and holiday supplement (a calendar), visits during a hospital stay
excluded, and a provider's continuity bonus (distinct staff per customer). Each amount
computed by hand. What it found: `explain` of a formula reading a calendar stopped with
a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

ROOT = Path(__file__).resolve().parent.parent
KVARNBY = ROOT / "tests/fixtures/kvarnby"
MODEL = KVARNBY / "model.yaml"
ARGS = ["--data", str(KVARNBY / "data"), "--month", "2027-03"]


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 (level 3) in hospital 10–16 March: 10–12 paid, 27 × 450 = 12 150; HSL 15 + 25
    (Saturday, +30 %) + 45 (Good Friday, +30 %) + 30 (Easter Monday, +30 %) + 30 min at
    400 kr/h = 1 166,67. K2 (level 2) changes from P1 to P2 on the 15th: P1 14 × 300,
    P2 17 days less 20–22 March in short-term care, 14 × 300, and 1 000 to P2 as new.
    K3 (level 5) in hospital 26 February–5 March: 1–5 March are days 4–8, 26 × 800 =
    20 800; its visits of 1–4 March excluded, five of 30 min = 1 000. K4 back with P1
    after B6 ended 31 August 2026: 31 × 150 and 1 000. P1's customer K1 met 3 staff: 2 %
    of 21 000 = 420; P2's K3 met 5: none. In all 50 586,67."""
    paid, out = run_and_read(MODEL, ARGS, tmp_path / "out")
    assert paid == [
        ("P1", "", "kontinuitet", "420.00"),
        ("P1", "K1", "hsl", "1166.67"),
        ("P1", "K1", "omsorg", "12150.00"),
        ("P1", "K2", "omsorg", "4200.00"),
        ("P1", "K4", "omsorg", "4650.00"),
        ("P1", "K4", "uppstart", "1000.00"),
        ("P2", "K2", "omsorg", "4200.00"),
        ("P2", "K2", "uppstart", "1000.00"),
        ("P2", "K3", "hsl", "1000.00"),
        ("P2", "K3", "omsorg", "20800.00"),
    ]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False)
    assert sorted(excluded.select("visit_id", "rule").rows()) == [
        ("V06", "felregistrering"),
        *[(f"V{n:02d}", "under_sjukhusvistelse") for n in range(7, 11)],
    ]


def test_kvarnbys_hand_computed_cases() -> None:
    assert_cases_pass(KVARNBY, 10)


def test_explain_shows_a_calendar_as_its_dates() -> None:
    """`explain` of a visit's `date(start) in helgdagar` stopped with a traceback
    (`cannot unpack non-iterable datetime.date object`): a list parameter's value was
    shown as a step table's brackets."""
    ran = CliRunner().invoke(main, ["explain", str(MODEL), *ARGS, "--customer", "K1"])
    assert ran.exit_code == 0, ran.output
    assert "helgdagar = 2027-01-01, 2027-01-06, 2027-03-26, 2027-03-29," in ran.output


def test_explains_json_gives_a_calendar_as_its_dates() -> None:
    """`explain --format json` stopped with the same traceback."""
    args = ["explain", str(MODEL), *ARGS, "--customer", "K1", "--format", "json", "--all"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    values = []

    def find(node: object) -> None:
        if isinstance(node, dict):
            if node.get("name") == "helgdagar":
                values.append(node["value"])
            for inner in node.values():
                find(inner)
        elif isinstance(node, list):
            for inner in node:
                find(inner)

    find(json.loads(ran.output))
    assert values
    assert values[0][:4] == ["2027-01-01", "2027-01-06", "2027-03-26", "2027-03-29"]


@pytest.mark.parametrize(
    ("model", "data", "month", "setting"),
    [
        (MODEL, KVARNBY / "data", "2027-03", "helgdagar[1].under=3"),
        (MODEL, KVARNBY / "data", "2027-03", "helgdagar=[2027-03-26]"),
        (
            ROOT / "examples/alvsbacka",
            ROOT / "examples/alvsbacka/data",
            "2026-12",
            "tidsband[1].value=3",
        ),
    ],
)
def test_a_study_cannot_set_a_calendar_or_time_bands(
    model: Path, data: Path, month: str, setting: str
) -> None:
    """`--set 'helgdagar[1].under=3'` stopped with a traceback (a calendar's date taken
    for a step table's bracket), and `--set helgdagar=…` said "`helgdagar` is a step
    table: name a bracket". Both say what it is, and where to change it."""
    args = ["simulate", str(model), "--data", str(data), "--month", month, "--set", setting]
    ran = CliRunner().invoke(main, args)
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    assert ran.exit_code != 0
    name = setting.partition("[")[0].partition("=")[0]
    assert f"`{name}` is {'a list of dates' if name == 'helgdagar' else 'time bands'}" in ran.output
    assert "--scenario" in ran.output


VARIANT = """
parameters:
  hsl_tjänst:
    unit: text
    values: { 2027-01-01: %s }
  bonustjänster:
    kind: list
    unit: text
    values: { 2027-01-01: [%s] }
  bonus_på:
    unit: bool
    values: { 2027-01-01: true }
payments:
  hsl:
    formula: sum(visits.besöksbelopp where counted and service == hsl_tjänst)
  kontinuitet:
    formula: |
      if kunder_med_besök == 0 or not bonus_på then 0 SEK
      else if personal_i_snitt <= kontinuitet_gräns
      then kontinuitetsbonus * sum(customers.omsorg where har_bonustjänst)
      else 0 SEK
definitions:
  customer_month:
    har_bonustjänst: any(decisions where service in bonustjänster)
"""


def _variant(tmp_path: Path, service: str = "hsl_delegerad", listed: str = "omsorg") -> Path:
    path = tmp_path / "variant.yaml"
    text = f"model: kvarnby-variant\ntitle: V\nextends: {MODEL}\n" + VARIANT % (service, listed)
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("service", "listed", "said"),
    [
        (
            "hsl_delegeradd",
            "omsorg",
            '`service` is never "hsl_delegeradd", the value of `hsl_tjänst`',
        ),
        (
            "hsl_delegerad",
            "omsorg, omsorgg",
            '`service` is never "omsorgg", the value of `bonustjänster`',
        ),
    ],
)
def test_a_text_parameter_a_column_can_never_hold_is_an_error(
    tmp_path: Path, service: str, listed: str, said: str
) -> None:
    """`service == hsl_tjänst` with `hsl_tjänst: hsl_delegeradd` paid no visit, exit 0,
    though `service == "hsl_delegeradd"` written out is an error (`unknown-value`)."""
    ran = CliRunner().invoke(main, ["check", str(_variant(tmp_path, service, listed))])
    assert ran.exit_code != 0
    assert "error[unknown-value]" in ran.output and said in ran.output, ran.output
    assert 'did you mean "' in ran.output


def test_a_study_sets_a_text_parameter_to_a_code_the_column_has(tmp_path: Path) -> None:
    """`--set hsl_tjänst=omsorgg` paid no visit (−2 166,67 kr), exit 0."""
    model = str(_variant(tmp_path))
    base = ["simulate", model, *ARGS]
    moved = CliRunner().invoke(main, [*base, "--set", "hsl_tjänst=omsorg"])
    assert moved.exit_code == 0, moved.output
    assert (
        "summa             50\xa0586,67        48\xa0420,00        −2\xa0166,67" in moved.output
    )  # no omsorg visits: K1's and K3's HSL not paid
    wrong = CliRunner().invoke(main, [*base, "--set", "hsl_tjänst=omsorgg"])
    assert wrong.exit_code != 0
    assert "error[unknown-value]" in wrong.output and 'did you mean "omsorg"?' in wrong.output


@pytest.mark.parametrize("written", ["false", "nej", "False"])
def test_a_study_sets_a_yes_or_no(tmp_path: Path, written: str) -> None:
    """`--set bonus_på=false` was "`false` is not true or false": a yes or no could not
    be set. Without the bonus P1 has 420 kr less."""
    ran = CliRunner().invoke(
        main, ["simulate", str(_variant(tmp_path)), *ARGS, "--set", f"bonus_på={written}"]
    )
    assert ran.exit_code == 0, ran.output
    assert "−420,00" in ran.output


@pytest.mark.parametrize(
    ("definition", "said"),
    [
        (
            'sum(customers.omsorg where any(decisions where service == "omsorg"))',
            "`any(decisions where …)` in the `where` of an aggregation: it is computed for "
            "each customer_month row",
        ),
        (
            "count(customers where hsl_besök > 0 and count(visits where counted) > 2)",
            "`count(visits where …)` in the `where`",
        ),
        ("count(visits where overlaps(staff_id))", "`overlaps(staff_id)` in the `where`"),
    ],
)
def test_what_a_filter_computes_per_row_is_named_first(
    tmp_path: Path, definition: str, said: str
) -> None:
    """`sum(customers.omsorg where any(decisions where …))` stopped the run with a
    traceback (`any is computed by group_by`) while `explain` paid it; `count(visits
    where overlaps(staff_id))` paid nothing for a visit of 31 March overlapping one of
    the same staff on 1 April, where `explain` — and a visit's own `overlaps` — found
    it. Each is an error at its place that says to name it on the related rows."""
    entity = "customer_month" if definition.startswith("count(visits") else "provider_month"
    path = tmp_path / "nested.yaml"
    path.write_text(
        f"model: kvarnby-nested\ntitle: V\nextends: {MODEL}\n"
        f"definitions:\n  {entity}:\n    nästlad: '{definition}'\n"
        f"payments:\n  avgift:\n    entity: {entity}\n    category: omsorg\n"
        "    formula: nästlad * 10 SEK\n",
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["run", str(path), *ARGS, "--out", str(tmp_path / "out")])
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    assert ran.exit_code != 0
    assert "error[bad-call]" in ran.output and said in ran.output, ran.output
    assert "give it a name there first" in ran.output


LEAK = """
vocabulary:
  columns:
    customers:
      avstånd_km: { type: number }
definitions:
  customer_month:
%s
payments:
  resa:
    entity: customer_month
    category: omsorg
    formula: ersättning
"""


@pytest.mark.parametrize("first", [True, False])
def test_a_definition_is_checked_as_written_not_where_first_named(
    tmp_path: Path, first: bool
) -> None:
    """`resetillägg: if customer.avstånd_km > 10 then …` was warned of (`nullable-
    comparison`) only when written before `ersättning: coalesce(resetillägg, 0 SEK)`:
    checked first from inside that `coalesce`, it was taken as handled, and a customer
    with no distance was paid nothing, exit 0."""
    rules = [
        "    ersättning: coalesce(resetillägg, 0 SEK)",
        "    resetillägg: if customer.avstånd_km > 10 then 100 SEK else 0 SEK",
    ]
    path = tmp_path / "leak.yaml"
    body = LEAK % "\n".join(rules if first else rules[::-1])
    path.write_text(f"model: kvarnby-leak\ntitle: V\nextends: {MODEL}\n{body}", "utf-8")
    checked = CliRunner().invoke(main, ["check", str(path)])
    assert "warning[nullable-comparison]: `avstånd_km` can be empty" in checked.output
    data = tmp_path / "data"
    data.mkdir()
    for file in (KVARNBY / "data").iterdir():
        (data / file.name).write_bytes(file.read_bytes())
    (data / "customers.csv").write_text("customer_id,avstånd_km\nK1,\nK2,12\nK3,4\nK4,30\n")
    args = ["run", str(path), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert ran.exit_code == 5, ran.output
    assert "customer_month K1, P1" in ran.output


@pytest.mark.parametrize(
    ("goal", "found"),
    [
        ("+1259 kr", "betalda_sjukhusdagar=4 ger 51\xa0845,67 kr (mål 51\xa0845,67 kr;"),
        ("+3000 kr", "betalda_sjukhusdagar=5 ger 53\xa0104,67 kr (mål 53\xa0586,67 kr;"),
    ],
)
def test_a_goal_seek_of_a_count_tries_whole_numbers(goal: str, found: str) -> None:
    """`--solve betalda_sjukhusdagar` stopped at its own probe: "--set
    betalda_sjukhusdagar=4.5: `4.5` is not a whole number". A count is sought among
    whole numbers, the nearest total taken: a fourth paid day adds K1's 450 kr and 2 %
    of it in P1's bonus, 9 kr, and K3's 800 (1 March, its fourth day), 1 259 kr; a
    fifth as much again, 2 518 kr in all, nearer 3 000 than a sixth's 3 777."""
    args = ["simulate", str(MODEL), *ARGS, "--solve", "betalda_sjukhusdagar", "--target", goal]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith(found), ran.output


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"kvarnby", "beslutsdag", "frånvaro", "helgdagar", "sjukhusdag", "kontinuitet"}
    assert not names_in_engine(MODEL, own)


def test_a_row_of_two_key_columns_written_the_other_way_round(tmp_path: Path) -> None:
    """`"2027-03-12, B1"` for the day `B1, 2027-03-12` was told "did you mean `B1,
    2027-03-21`?", and the days there are were listed as one run of commas ("B1,
    2027-03-01, B1, 2027-03-02, …"), no day told from the next."""
    path = tmp_path / "order_test.yaml"
    path.write_text(
        f"model: {MODEL}\n"
        "defaults:\n  input:\n"
        "    customers: [{ customer_id: K1 }]\n"
        "    providers: [{ provider_id: P1, name: A, ownership: municipal }]\n"
        "    decisions: [{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg,"
        " start_date: 2026-06-01, level: 3 }]\n"
        "tests:\n  - name: omvänd nyckel\n    month: 2027-03\n    output:\n"
        '      beslutsdag: { "2027-03-12, B1": { betald_dag: true } }\n',
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["test", str(path)])
    assert ran.exit_code == 1
    assert "did you mean `B1, 2027-03-12`?" in ran.output
    assert '(there are: "B1, 2027-03-01"; "B1, 2027-03-02"; ' in ran.output


def test_a_scenario_counts_the_customers_whose_level_moved(tmp_path: Path) -> None:
    """Every level one lower: B1 3→2, B2 and B3 (both K2's) 2→1, B4 5→4; K4's at level 1
    stays, the lowest there is. The summary said "4 beslut för 4 kunder flyttas",
    counting K4, whose level did not move; 3 customers' did."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        f"model: kvarnby-lower\ntitle: En nivå lägre\nextends: {MODEL}\n"
        "assumptions:\n  nivå_ned: {description: Alla en nivå lägre, move_level: -1}\n",
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["simulate", str(MODEL), *ARGS, "--scenario", str(scenario)])
    assert ran.exit_code == 0, ran.output
    assert "4 beslut för 3 kunder flyttas 1 nivå ned (inom nivåerna 1–5)" in ran.output


@pytest.mark.parametrize(
    ("condition", "warned"),
    [("betald_dag", True), ("betald_dag and level <= 5", False), ("level < 6", False)],
)
def test_a_look_up_under_an_if_is_warned_of_unless_the_if_asks_about_its_key(
    tmp_path: Path, condition: str, warned: bool
) -> None:
    """With levels 1–29 allowed, `if betald_dag then dagbelopp[level]` (five levels) was
    not warned of (`lookup-domain`), because it stood under an `if` — one asking nothing
    about the level: a month with a level 11 stopped at `lookup-miss` that the check
    could have foretold. An `if` that asks about the level, itself or through a
    definition, rules the others out."""
    path = tmp_path / "levels.yaml"
    path.write_text(
        f"model: kvarnby-levels\ntitle: V\nextends: {MODEL}\n"
        "vocabulary:\n  columns:\n    decisions:\n      level: { maximum: 29 }\n"
        "definitions:\n  beslutsdag:\n    dagens_belopp:\n"
        f"      formula: if {condition} then dagbelopp[level] else 0 SEK\n",
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["check", str(path)])
    said = "warning[lookup-domain]: `dagbelopp` (from 2027-01-01) has no `level` for 24 values"
    assert (said in ran.output) == warned, ran.output


@pytest.mark.parametrize(
    ("definitions", "warned"),
    [
        # a definition that is the column: its values are the level's
        ("    beslutsnivå: level\n", True),
        ("    nivån: level\n    beslutsnivå: nivån\n", True),
        # one that computes: its values are not the column's alone
        ("    beslutsnivå: min(level, 5)\n", False),
    ],
)
def test_a_look_up_by_a_definition_that_is_a_column_is_warned_of_as_by_the_column(
    tmp_path: Path, definitions: str, warned: bool
) -> None:
    """`beslutsnivå: level`, then `dagbelopp[beslutsnivå]` (five levels, 1–29 allowed):
    the check looked only at a column written in the brackets, and said nothing; a
    month with a level 11 stopped at `lookup-miss` that it could have foretold."""
    path = tmp_path / "alias.yaml"
    path.write_text(
        f"model: kvarnby-alias\ntitle: V\nextends: {MODEL}\n"
        "vocabulary:\n  columns:\n    decisions:\n      level: { maximum: 29 }\n"
        f"definitions:\n  beslutsdag:\n{definitions}"
        "    dagens_belopp:\n      formula: dagbelopp[beslutsnivå]\n",
        "utf-8",
    )
    ran = CliRunner().invoke(main, ["check", str(path)])
    said = (
        "warning[lookup-domain]: `dagbelopp` (from 2027-01-01) has no `level` for 24 values "
        "that `beslutsnivå` (its `level`) can take: 6, 7, 8"
    )
    assert (said in ran.output) == warned, ran.output
