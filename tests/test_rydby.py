"""Rydby, a model written from docs/language.md alone: omsorg per executed hour with a
night supplement for the minutes between 22:00 and 06:00 in whole quarters
(`minutes_within`, `floor`), a weekend supplement (`weekday`), 10 % more on the days of a
crisis period (a table of the model's own, every row related to every visit: `keys:
[]`), a travel fee by district with `otherwise: 0`, an introduction fee for the first 14
days of a decision (days as rows, `day_number`), a provider's 2 % for a collective
agreement (`provider.<column>` of its own), an indicator with `abs` and a definition
with `missing`, read through a `columns.yaml`. Each amount computed by hand. What it
found: a crisis period typed from the 20th to the 10th matched no day and paid no
supplement, exit 0 (its table had no way to say its rows are periods); a model test
could not expect a field a rule turns on (`day_number`: "not a definition or payment");
and a test row that left out a column with a declared default was rejected as empty."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from engine.cli import main
from tests.harness import (
    assert_case_says,
    assert_cases_pass,
    names_in_engine,
    run_and_read,
    run_test_file,
)

RYDBY = Path(__file__).resolve().parent / "fixtures/rydby"
MODEL = RYDBY / "model.yaml"
DATA = ["--data", str(RYDBY / "data")]
COLUMNS = ("provider_id", "customer_id", "payment", "quantity", "amount_kr")


def _march_with(tmp_path: Path, file: str, old: str, new: str) -> tuple[Result, Path]:
    """`carepay run` of March on a copy of the data with `old` replaced by `new` once in
    one of its files (`new` may add lines), and where it wrote."""
    data = tmp_path / "data"
    shutil.copytree(RYDBY / "data", data)
    path = data / file
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1), "utf-8")
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    return CliRunner().invoke(main, args), out


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 (Centrum, P1): V1 Tuesday 08–09, 400; V2 Saturday 13 March 21:00–23:10 in the
    crisis period, 130 min × 400 kr/h × 1,10 = 953,33… + four whole quarters of night
    × 120 kr/h = 120 + 130 min of weekend × 60 kr/h = 130; V3 Saturday 27 March
    23:00–04:00, the night the clocks go forward at 02:00, 300 minutes on the clock and
    240 that passed: 1 600 + 480 + 240; V4 Wednesday 31 March 23:00–01:00, 800 + 240;
    V5 of 3 minutes not counted: 4 963,33 for 9 1/6 h (it was paid 5 543,33 for the
    10 1/6 h on the clock). Its decision from 20 February: 1–5 March are days 10–14, 500.
    K2 (Norrskog, P2): V6 Friday 05–07, 800 + 120; V7 45 min, 300: 1 220; two trips ×
    45 = 90; decision from 25 March, 7 days, 700. K3 (Sjövik, protected address): V8 in
    the crisis, 1,5 h × 400 × 1,1 = 660, no trip. K4 (Ön, no fee there): 400, and a
    decision of 1–5 March, 500. P1's collective agreement: 2 % of 4 963,33 + 660 + 400
    = 120,4666… → 120,47. In all 9 153,80 kr."""
    paid, _ = run_and_read(MODEL, [*DATA, "--month", "2027-03"], tmp_path / "out", COLUMNS)
    assert paid == [
        ("P1", "", "kollektivavtal", "", "120.47"),
        ("P1", "K1", "introduktion", "5.0", "500.00"),
        ("P1", "K1", "omsorg", "9.1667", "4963.33"),
        ("P1", "K3", "omsorg", "1.5", "660.00"),
        ("P1", "K4", "introduktion", "5.0", "500.00"),
        ("P1", "K4", "omsorg", "1.0", "400.00"),
        ("P2", "K2", "introduktion", "7.0", "700.00"),
        ("P2", "K2", "omsorg", "2.75", "1220.00"),
        ("P2", "K2", "reseersättning_besök", "2.0", "90.00"),
    ]


def test_rydbys_hand_computed_cases() -> None:
    assert_cases_pass(RYDBY, 15)


def test_a_period_of_its_own_table_that_ends_before_it_starts_is_rejected(
    tmp_path: Path,
) -> None:
    """The crisis period typed from 20 March to 10 March matched no day: no visit was
    paid its 10 %, and the run said nothing (9 595,80 kr, exit 0). The table says its
    rows are periods (`period: {start: från, end: till}`), and the row is rejected with
    its reason, exit 3, for the controller to correct before paying."""
    ran, out = _march_with(
        tmp_path, "krisperioder.csv", "2027-03-10,2027-03-20", "2027-03-20,2027-03-10"
    )
    assert ran.exit_code == 3, ran.output
    assert "`till` 2027-03-10 is before `från` 2027-03-20" in ran.output
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejects.select("table", "row", "column", "code").rows() == [
        ("krisperioder", "2", "till", "bad-date")
    ]


def test_the_data_specification_says_a_period_may_not_end_before_it_starts() -> None:
    ran = CliRunner().invoke(main, ["tables", str(MODEL)])
    assert ran.exit_code == 0, ran.output
    assert "    en rad där till är före från avvisas" in ran.output
    assert "    en rad där end_date är före start_date avvisas" in ran.output
    assert "    en rad som varar längre än 24 h avvisas" in ran.output


FIELDS = """\
model: {model}
defaults:
  input:
    customers: [{{ customer_id: K1, district: Norrskog }}]
    providers: [{{ provider_id: P1, name: R, ownership: municipal, kollektivavtal: true }}]
    decisions:
      - {{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg, start_date: 2027-02-20, granted_minutes: 600 }}
    krisperioder: [{{ period_id: KR1, från: 2027-03-10, till: 2027-03-20 }}]
    visits:
      - {{ visit_id: V1, customer_id: K1, provider_id: P1, service: omsorg, start: 2027-03-02 08:00, end: 2027-03-02 09:00 }}
tests:
  - name: mars
    month: 2027-03
    output:
      {section}
"""


@pytest.mark.parametrize(
    ("section", "said"),
    [
        ('beslutsdag: { "B1, 2027-03-01": { day_number: 10, day: 2027-03-01 } }', "1 godkända"),
        (
            'beslutsdag: { "B1, 2027-03-01": { day_number: 11 } }',
            "day_number for B1, 2027-03-01: expected 11, got 10",
        ),
        ("decision: { B1: { granted_minutes: 10 h, end_date: null } }", "1 godkända"),
        ("visit: { V1: { start: 2027-03-02 08:00, counted: true } }", "1 godkända"),
        (
            "visit: { V1: { start: 2027-03-02 08:01 } }",
            "start for V1: expected 2027-03-02 08:01, got 2027-03-02 08:00",
        ),
        ("visit: { V1: { counted: false } }", "counted for V1: expected false, got true"),
        ("customers: { K1: { provider_id: P1, days_in_month: 31 } }", "1 godkända"),
        (
            "visit: { V1: { staff_id: S1 } }",
            "`staff_id` is a field of visit that no rule of the model reads, so the run "
            "does not keep it",
        ),
        ("visit: { V1: { finns_inte: 1 } }", "`finns_inte` is not a definition, payment or field"),
    ],
)
def test_a_case_may_expect_a_field(tmp_path: Path, section: str, said: str) -> None:
    """The introduction turns on a day's `day_number`, counted from the decision's first
    day in February: a case expecting it was told "`day_number` is not a definition or
    payment of the model". A field — a column, or what carepay adds (`counted`, `zone`,
    `day_number`, `days_in_month`) — is expected as a definition is."""
    assert_case_says(tmp_path, FIELDS.format(model=MODEL, section=section), said)


DEFAULTED = """\
model: {model}
defaults:
  input:
    providers: [{{ provider_id: P1, name: R, ownership: municipal, kollektivavtal: true }}]
    krisperioder: []
  columns:
    visits: {{ provider_id: P1, service: omsorg }}
tests:
  - name: skyddad adress
    month: 2027-03
    input:
      customers:
        - {{ customer_id: K1, district: Sjövik, skyddad_adress: true }}
        - {{ customer_id: K2, district: Sjövik }}
        - {{ customer_id: K3, district: Sjövik, skyddad_adress: {third} }}
      visits:
        - {{ visit_id: V1, customer_id: K1, start: 2027-03-03 12:00, end: 2027-03-03 13:00 }}
        - {{ visit_id: V2, customer_id: K2, start: 2027-03-03 12:00, end: 2027-03-03 13:00 }}
        - {{ visit_id: V3, customer_id: K3, start: 2027-03-03 14:00, end: 2027-03-03 15:00 }}
    warnings: [empty-month]
    output:
      customers:
        K1: {{ reseersättning_besök: 0 }}
        K2: {{ reseersättning_besök: 60 }}
        K3: {{ reseersättning_besök: 60 }}
"""


@pytest.mark.parametrize(
    ("third", "said"),
    [
        ("false", "1 godkända"),
        ("null", "customers:3:skyddad_adress: error[bad-value]: `skyddad_adress` is empty"),
    ],
)
def test_a_test_row_without_a_column_with_a_default_takes_the_default(
    tmp_path: Path, third: str, said: str
) -> None:
    """A test row is a file of its own: K2's row, which leaves out `skyddad_adress`
    (declared `default: false`), was rejected as empty because K1's row gave it — each
    row of such a case had to repeat the default. `null` still writes an empty cell."""
    ran = run_test_file(tmp_path, DEFAULTED.format(model=MODEL, third=third))
    assert said in ran.output, ran.output


def test_nothing_in_the_engine_is_written_for_it() -> None:
    own = {"rydby", "krisperioder", "kristillägg", "reseersättning", "introduktionsdagar"}
    assert not names_in_engine(MODEL, own)


@pytest.mark.parametrize(
    ("heading", "said"),
    [
        (
            "x",
            "`customers` has no column `skyddad_adress` — the model's default (false) would be "
            "every row's value — but has `x`, which the model does not declare, and whose "
            "every value is true or false",
        ),
        (
            "Skyddad_Adress",
            "`customers` has no column `skyddad_adress` — the model's default (false) would be "
            "every row's value — but has `Skyddad_Adress`",
        ),
        (  # the heading deleted: warned of as a column without one, and not read
            "",
            "`customers` has no column `skyddad_adress` — the model's default (false) would be "
            "every row's value — but has a column 3 without a heading, whose every value is "
            "true or false",
        ),
    ],
)
def test_a_default_does_not_stand_in_for_a_column_under_another_name(
    tmp_path: Path, heading: str, said: str
) -> None:
    """The customers' heading `skyddad_adress` lost to `x`: the file had no such column,
    so every customer took the model's default (no protected address) and K3 was paid a
    trip, 9 805,40 kr, exit 0 — with only a warning that `x` was not read. A column the
    model does not declare whose every value is of the missing column's kind (yes or no)
    is an error, as a heading of nearly its name is (whose default was said `False`)."""
    ran, _ = _march_with(tmp_path, "customers.csv", "skyddad_adress", heading)
    assert ran.exit_code == 1, ran.output
    assert said in ran.output


def test_a_column_of_other_values_leaves_the_default(tmp_path: Path) -> None:
    """A file without the column takes the default, also beside a column the model does
    not know whose values are not yes or no (a note): K3's trip is paid, exit 0."""
    ran, out = _march_with(
        tmp_path,
        "customers.csv",
        "skyddad_adress\nK1,Centrum,nej\nK2,Norrskog,nej\n",
        "anteckning\nK1,Centrum,nej\nK2,Norrskog,ring först\n",
    )
    assert ran.exit_code == 0, ran.output
    lines = (out / "statement_lines.csv").read_text("utf-8")
    assert "2027-03,P1,K3,reseersättning_besök,,resor,1.0,besök,60.00,§5" in lines


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("reseersättning[Ön]=30", "summa              9 153,80         9 183,80            30,00"),
        (
            "reseersättning[Centrum]=10",
            "summa              9 153,80         9 193,80            40,00",
        ),
        (
            "reseersättning[Önn]=30",
            "`reseersättning` has no cell [Önn]: `Önn` is no district the model knows",
        ),
    ],
)
def test_a_study_gives_a_district_left_to_otherwise_a_value_of_its_own(
    setting: str, said: str
) -> None:
    """The travel fee lists Norrskog and Sjövik; Ön and Centrum take `otherwise: 0`.
    "What if Ön were paid 30 kr a trip?" was "`reseersättning` has no cell [Ön]" with
    the hint "keys: district". A cell of a district of the model's zones is set (K4's
    one trip: +30; K1's four in Centrum at 10: +40); a district it does not have is an
    error with the one meant."""
    ran = CliRunner().invoke(
        main, ["simulate", str(MODEL), *DATA, "--month", "2027-03", "--set", setting]
    )
    assert said in ran.output.replace("\u00a0", " "), ran.output
    assert ran.exit_code == (1 if "Önn" in setting else 0)


def test_a_row_whose_only_value_has_no_heading_is_a_rejected_row(tmp_path: Path) -> None:
    """A customers' row `,,,tolk` — its one value under no heading — was taken for a
    blank line and left out without a word of the row (only of the column). It is a
    row: rejected, with why, exit 3."""
    ran, out = _march_with(
        tmp_path,
        "customers.csv",
        "skyddad_adress\nK1,Centrum,nej\nK2,Norrskog,nej\nK3,Sjövik,ja\nK4,Ön,nej\n",
        "skyddad_adress,\nK1,Centrum,nej,\nK2,Norrskog,nej,\nK3,Sjövik,ja,\nK4,Ön,nej,\n,,,tolk\n",
    )
    assert ran.exit_code == 3, ran.output
    assert "column 4 of customers.csv has no heading but holds 1 value" in ran.output
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejects.select("table", "row").rows() == [("customers", "6")]


@pytest.mark.parametrize(
    ("lost", "said"),
    [
        (
            "  sluttid: end\n",
            "every value of `sluttid` is a date and time, as `end` holds: if it is the one, "
            "rename the column, or name it in columns.yaml beside the tables: visits: "
            "{sluttid: end}",
        ),
        (
            "  insats: service\n",
            "every value of `insats` is one of its codes (omsorg, service, dubbelbemanning, "
            "ledsagning …), as `service` holds",
        ),
    ],
)
def test_a_missing_column_is_offered_the_files_column_that_holds_its_values(
    tmp_path: Path, lost: str, said: str
) -> None:
    """A line lost from columns.yaml: the visits' `end` was missing, and the hint was
    "if the data names it otherwise, say so in columns.yaml … {<its name>: end}" while
    `sluttid`, the file's own name for it, held its dates and times (its name nothing
    like `end`, no "did you mean" found it)."""
    ran, _ = _march_with(tmp_path, "columns.yaml", lost, "")
    assert ran.exit_code == 1, ran.output
    assert said in ran.output


def test_a_study_of_trips_to_on_and_shorter_private_visits() -> None:
    """The study extends Rydby with a fee of 30 kr a trip to Ön and assumes private
    providers register 10 % shorter visits. K4's one trip to Ön: +30 (P1). K2's visits
    with P2: V6 05:00–07:00 becomes 108 minutes, 720 + a night hour's 120 = 840 (was
    920); V7 45 minutes becomes 40,5, 270 (was 300): −110. In all −80 kr."""
    study = RYDBY / "scenarios/resor_till_on.yaml"
    ran = CliRunner().invoke(main, ["compare", str(MODEL), str(study), *DATA, "--month", "2027-03"])
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "P1                 7 143,80         7 173,80            30,00" in said
    assert "P2                 2 010,00         1 900,00          −110,00" in said
    assert "summa              9 153,80         9 073,80           −80,00" in said


def test_a_goal_seek_of_a_share_reaches_the_total_to_the_ore_and_says_it_in_per_cent() -> None:
    """The crisis supplement is paid on 130 + 90 minutes of March at 400 kr/h, with 2 %
    more to P1: each per cent 14,67 kr, and 10 % → 20 % is +149,60 kr, 9 303,40 kr. The
    goal seek stopped one öre off (then 9 895,01 kr for 9 895,00, before the night the
    clocks go forward was an hour shorter) and wrote the share as `0.200006`; it
    reaches the total exactly, said in per cent — and of the values that reach it, the
    one with the fewest decimals: 20 %, where it said 19,9996 %."""
    ran = CliRunner().invoke(
        main,
        [
            "simulate",
            str(MODEL),
            *DATA,
            "--month",
            "2027-03",
            "--solve",
            "kristillägg",
            "--target",
            "9303.40",
        ],
    )
    assert ran.exit_code == 0, ran.output
    first = ran.output.replace("\u00a0", " ").splitlines()[0]
    assert first.startswith("kristillägg=20 % ger 9 303,40 kr (mål 9 303,40 kr;"), first


@pytest.mark.parametrize(
    ("price", "said"),
    [
        # K1's four visits are 563/60 h at the price, and 1 210 kr of supplements
        ("123456789", "P1,K1,omsorg,,omsorg,9.1667,h,1158437413.45"),
        ("9999999999999", "`omsorg` reaches 93 833 333 334 533"),  # was paid ,96 for ,95
        ("999999999999999", "`omsorg` reaches 9 383 333 333 334 5"),  # was a traceback
    ],
)
def test_an_amount_beyond_what_is_computed_to_the_ore_stops_the_run(
    tmp_path: Path, price: str, said: str
) -> None:
    """An hourly price typed 9 999 999 999 999 kr paid K1 103 833 333 334 712,96 kr where
    the exact amount (explain's) is ,95 — binary numbers do not hold every öre of a
    hundred trillion — and one of 10^15 kr stopped the run with a Polars traceback. A
    line above ten billion kronor, which no payment reaches, stops the run and names
    its rows; 1 158 437 413,45 kr is computed to the öre. (Amounts since the night the
    clocks go forward is an hour shorter.)"""
    model = tmp_path / "model.yaml"
    text = MODEL.read_text("utf-8").replace(
        "values: { 2027-01-01: 400 }", f"values: {{ 2027-01-01: {price} }}"
    )
    model.write_text(text, "utf-8")
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        main, ["run", str(model), *DATA, "--month", "2027-03", "--out", str(out)]
    )
    if said.startswith("P1"):
        assert ran.exit_code == 0, ran.output
        assert said in (out / "statement_lines.csv").read_text("utf-8")
    else:
        assert ran.exit_code == 1, ran.output
        assert "error[amount-too-large]" in ran.output and said in ran.output
        assert (
            "(customer_month K1, P1; customer_month K3, P1; customer_month K4, P1 …)" in ran.output
        )


def test_diff_says_a_cell_the_table_did_not_list() -> None:
    """The study gives Ön, which `reseersättning` leaves to `otherwise: 0`, a fee of 30
    kr: `carepay diff` said `Ön: None → 30 SEK`."""
    scenario = RYDBY / "scenarios/resor_till_on.yaml"
    ran = CliRunner().invoke(main, ["diff", str(MODEL), str(scenario)])
    assert ran.exit_code == 0, ran.output
    assert "från 2027-01-01, Ön: ej listad (otherwise: 0 SEK) → 30 SEK" in ran.output
