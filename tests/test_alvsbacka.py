"""A thirteenth municipality's model (examples/alvsbacka), written from docs/language.md
alone: executed time by the hour, each visit rounded up to five minutes and at least 15,
times the staff on it, up to 110 % of the granted time; a supplement for unsocial hours
by time band; late cancellations from a table of the model's own (a month by the planned
start, a date and time); a travel allowance per day in glesbygd from 1 July. Writing it
found that a New Year's Eve visit ending after midnight had its minutes of New Year's
Day paid as a night's, in silence, when the holiday calendar listed only the month's
year: the calendar was checked for the month's year alone."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.harness import failed_model_cases, names_in_engine, paid_per_category

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/alvsbacka"


def test_its_hand_computed_cases_pass():
    failed = failed_model_cases(EXAMPLE, 12)
    assert not failed, failed


def _paid(output: str) -> dict[tuple[str, str], str]:
    return paid_per_category(output, ("P1", "P2"))


def _run(tmp_path: Path, model: Path) -> tuple[int, str]:
    args = ["run", str(model), "--data", str(EXAMPLE / "data"), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    return result.exit_code, result.output


def test_its_sample_month_pays_what_was_computed_by_hand(tmp_path):
    """December 2026. K1 (P1, tätort; 600 min granted): V1 22 → 25 min, V2 60, V3 20 min
    × 2 staff = 40, V4 2 min not counted, V5 11 → 15, V6 180, V7 240, V8 120: 680 min,
    capped at 660 min = 11 h × 431 = 4 741,00; OB V2 30 min helg 35,00, V3 (10 min kväll
    × 55 + 10 min natt × 95) / 60 × 2 = 50,00, V5 11 min storhelg 34,8333, V8 120 min
    helg 140,00: 259,8333 → 259,83; late cancellations A1 60 + A3 90 min, at most 120:
    2 h × 431 = 862,00 (A2 48 h before; A4 November's). K2 (P2, glesbygd; 1 240 min ×
    22/31 = 880 granted): 60 + 30 + 45 × 2 + 60 + 60 = 300 min = 5 h × 431 = 2 155,00;
    OB 30 min kväll 27,50 + 45 min helg × 2 105,00 + 60 min storhelg 190,00 (New Year's
    Eve and Day) + 60 min helg 70,00 = 392,50; 4 days with visits × 45 = 180,00. K3
    (P1, glesbygd; 930 × 15/31 = 450 granted, cap 495): 120 + 15 + 60 = 195 min = 3,25 h
    × 431 = 1 400,75; A5 30 min 215,50; 3 days × 45 = 135,00. In all 10 341,58 kr."""
    checked = CliRunner().invoke(main, ["check", str(EXAMPLE / "model.yaml")])
    assert checked.exit_code == 0 and "inga problem" in checked.output, checked.output
    code, output = _run(tmp_path, EXAMPLE / "model.yaml")
    assert code == 0, output
    assert "räknade 15 + ej räknade 1 + avvisade 0" in output
    assert _paid(output) == {
        ("P1", "ob"): "259,83",
        ("P1", "resa"): "135,00",
        ("P1", "tid"): "7\u00a0219,25",  # 4 741,00 + 862,00 + 1 400,75 + 215,50
        ("P2", "ob"): "392,50",
        ("P2", "resa"): "180,00",
        ("P2", "tid"): "2\u00a0155,00",
    }
    assert "10\u00a0341,58" in output


def test_nothing_in_the_engine_is_written_for_it():
    own = {"alvsbacka", "avbokningar", "avbokning", "antal_personal", "storhelger", "resdagar"}
    assert not names_in_engine(EXAMPLE / "model.yaml", own)


def test_a_calendar_without_the_next_years_dates_is_warned_of_by_a_visit_reaching_it(
    tmp_path,
):
    """V13 runs from 23:30 on New Year's Eve to 00:30 on New Year's Day. With the
    calendar listing 2026's dates alone, its 30 minutes of 1 January 2027 were paid as
    night (95 kr/h) instead of storhelg (190 kr/h): 345,00 kr of OB for K2 instead of
    392,50, exit 0 and no word. The run pays as the calendar says, and warns at it."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    assert ", 2027-01-01]" in text
    model = tmp_path / "model.yaml"
    model.write_text(text.replace(", 2027-01-01]", "]"), encoding="utf-8")
    code, output = _run(tmp_path, model)
    assert code == 5, output
    assert _paid(output)[("P2", "ob")] == "345,00"
    assert (
        "warning[stale-calendar]: `storhelger`, its list from 2026-01-01, has no date in 2027"
        in output
    )
    assert "a row of 2026-12 lasts into 2027-01-01; add the dates of 2027" in output


def test_a_calendar_is_not_warned_of_when_no_row_reaches_the_next_year(tmp_path):
    """The same calendar, and the month's rows all end in 2026: nothing to warn of."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    model = tmp_path / "model.yaml"
    model.write_text(text.replace(", 2027-01-01]", "]"), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    for path in (EXAMPLE / "data").iterdir():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        (data / path.name).write_text("".join(x for x in lines if not x.startswith("V13,")))
    args = ["run", str(model), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "stale-calendar" not in result.output


def test_a_day_of_the_next_year_is_in_that_years_list_of_the_calendar(tmp_path):
    """The docs say to give each year its dates as a value of its own. With New Year's
    Day in a list dated 2027-01-01, December 2026 used only the list in force on its
    first day, and V13's 30 minutes of 1 January 2027 were paid as night: K2's OB
    345,00 kr instead of 392,50. A day after the month is looked up in the list in
    force on that day, by the run and by `explain` alike."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    model = tmp_path / "model.yaml"
    model.write_text(
        text.replace(", 2027-01-01]", "]\n      2027-01-01: [2027-01-01, 2027-01-06]"),
        encoding="utf-8",
    )
    code, output = _run(tmp_path, model)
    assert code == 0, output
    assert _paid(output)[("P2", "ob")] == "392,50"
    assert "stale-calendar" not in output
    args = ["explain", "--lang", "en", str(model), "--data", str(EXAMPLE / "data")]
    args += ["--month", "2026-12"]
    explained = CliRunner().invoke(main, [*args, "--customer", "K2", "--rows", "all"])
    assert explained.exit_code == 0, explained.output
    assert "ob = 392.50 SEK" in explained.output
    assert '├─ minutes_in(tidsband, "storhelg") = 60 min (1.00 h)' in explained.output


def test_a_visit_is_rounded_to_a_multiple_a_parameter_holds(tmp_path):
    """`ceil(faktisk_tid, avrundning)` was "the number of decimals must be a whole number
    written out", although the docs round to "a multiple of a quantity of x's kind": the
    step could not be a parameter a study sweeps. By hand, ten minutes instead of five:
    K2's V12 45 → 50 min × 2 staff (+10 min), K3's V21 14 → 20 min (+5 min; 15 before,
    the minimum): 15 min × 431 kr/h = 107,75 kr more (K1 stays at its cap)."""
    args = ["simulate", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    result = CliRunner().invoke(
        main, [*args, "--month", "2026-12", "--sweep", "avrundning=5 min:15 min:5 min"]
    )
    assert result.exit_code == 0, result.output
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.output.splitlines()]
    assert ["10 min", "10\u00a0449,33", "107,75"] in rows, result.output
    assert ["15 min", "10\u00a0341,58", "0,00"] in rows, result.output  # 45 stays 45


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "values: { 2026-01-01: 5 }",
            "values: { 2026-01-01: 5, 2026-07-01: 0 }",
            "`avrundning` is 0 from 2026-07-01, and `ceil` rounds to a multiple of it: a "
            "multiple above zero",
        ),
        (
            "avrundning:\n    unit: min",
            "avrundning:\n    unit: count",
            "`avrundning` has no unit: a multiple of it, or as many decimals?",
        ),
        (
            "avrundning:\n    unit: min",
            "avrundning:\n    unit: SEK",
            "cannot round duration to a multiple of money (SEK)",
        ),
    ],
)
def test_a_parameter_multiple_that_cannot_round_is_an_error(tmp_path, old, new, message):
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    assert old in text
    model = tmp_path / "model.yaml"
    model.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_a_study_cannot_set_a_multiple_to_zero(tmp_path):
    """`--set avrundning=0 min` divided every visit by zero and paid 3 876,58 kr in all
    instead of 10 341,58, exit 0."""
    args = ["simulate", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data")]
    result = CliRunner().invoke(main, [*args, "--month", "2026-12", "--set", "avrundning=0 min"])
    assert result.exit_code == 1, result.output
    assert "`avrundning` is what a rule rounds to a multiple of, and a multiple is above zero" in (
        result.output
    )


NORMTID = (
    "  normtid:\n    unit: h\n    values: {{ 2026-01-01: {value} }}\n  reseersättning:",
    "    normandel: {formula}\n    resdagar:",
)


def _with_normtid(tmp_path: Path, value: str, formula: str) -> Path:
    """Älvsbacka with a parameter `normtid` and an indicator dividing by it."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    text = text.replace("  reseersättning:", NORMTID[0].format(value=value), 1)
    text = text.replace("    resdagar:", NORMTID[1].format(formula=formula), 1)
    text = text.replace(
        "payments:",
        "indicators:\n  normandel_i: { entity: customer_month, formula: normandel }\npayments:",
        1,
    )
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    return model


def test_a_parameter_divided_by_is_not_zero(tmp_path):
    """`utförd_tid / normtid` with `normtid` 0 checked clean and left every customer's
    indicator empty (a payment so would pay nothing): a written `0` was an error, a
    parameter of 0 was not. An `if` asking about it handles 0, and is clean."""
    model = _with_normtid(tmp_path, "0", "utförd_tid / normtid")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert (
        "error[division-by-zero]: `normtid` is 0 from 2026-01-01, and a formula divides by "
        "it: the result is never a value" in result.output
    )
    guarded = _with_normtid(tmp_path, "0", "if normtid == 0 h then 0 % else utförd_tid / normtid")
    assert CliRunner().invoke(main, ["check", str(guarded)]).exit_code == 0


def test_a_study_cannot_set_a_divisor_to_zero(tmp_path):
    model = _with_normtid(tmp_path, "10", "utförd_tid / normtid")
    args = ["simulate", str(model), "--data", str(EXAMPLE / "data"), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--set", "normtid=0"])
    assert result.exit_code == 1, result.output
    assert "--set normtid=0: a formula divides by `normtid`, and by 0 no row" in result.output


def test_a_key_written_out_that_the_table_lacks_lists_its_keys_unless_it_has_otherwise(
    tmp_path,
):
    """`ob_tillägg["dag"]`, a band the table of supplements does not list: the error
    said only that it has no such key. It lists the keys now; and with `otherwise: 0`
    (the docs' way to say what a key not listed means) it was the same error, which
    made `otherwise:` useless for a key written out. It checks and pays 0 for it now."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    old = 'minutes_in(tidsband, "kväll") * ob_tillägg["kväll"]'
    assert old in text
    text = text.replace(old, 'minutes_in(tidsband, "dag") * ob_tillägg["dag"]', 1)
    model = tmp_path / "model.yaml"
    model.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(model)])
    assert result.exit_code == 1, result.output
    assert '`ob_tillägg` has no `band` "dag"' in result.output
    assert 'it has "helg", "kväll", "natt", "storhelg"; add "dag" to its values' in (result.output)
    model.write_text(text.replace("    keys: [band]\n", "    keys: [band]\n    otherwise: 0\n"))
    code, output = _run(tmp_path, model)
    assert code == 0, output
    # K1's OB without V3's 10 min of kväll × 2 staff (18,3333 kr): 259,8333 − 18,3333
    assert _paid(output)[("P1", "ob")] == "241,50"


def test_diff_words_a_change_of_rounding_for_its_reader(tmp_path):
    """`carepay diff` said "Avrundningen ändras: 0.01 SEK, half_even → 0.01 SEK,
    half_up" to a Swedish committee, and "rounding `rounding` changed" in English."""
    text = (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
    variant = tmp_path / "v2.yaml"
    variant.write_text(text.replace("mode: half_even", "mode: down"), encoding="utf-8")
    args = ["diff", str(EXAMPLE / "model.yaml"), str(variant)]
    swedish = CliRunner().invoke(main, args)
    assert swedish.exit_code == 0, swedish.output
    assert (
        "- Avrundningen ändras\n    till 0,01 kr, halvor till jämnt (half_even) → till 0,01 "
        "kr, nedåt, mot noll (down)\n" in swedish.output
    )
    english = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert (
        "- rounding changed\n    to 0.01 SEK, half to even (half_even) → to 0.01 SEK, down, "
        "towards zero (down)\n" in english.output
    ), english.output


# a column of minutes and one of hours, each example's sample month and its total
DURATIONS = [
    ("alvsbacka", "avbokningar", "planerade_minuter", "2026-12", "10\u00a0341,58"),
    ("ekby", "ledsagningar", "timmar", "2026-10", "30\u00a0246,06"),
]


@pytest.mark.parametrize(("example", "table", "column", "month", "total"), DURATIONS)
def test_a_parquet_duration_in_a_column_of_minutes_or_hours_is_that_many(
    tmp_path, example, table, column, month, total
):
    """A Parquet file written from pandas or a database keeps a planned time as a
    duration (timedelta, interval): the run stopped, "holds durations, not numbers,
    dates or text". In a column of minutes it is its minutes, in one of hours its
    hours — 1 h 30 min is 90 and 1,5 — and the month pays what the CSV files pay."""
    import polars as pl

    source = ROOT / "examples" / example
    data = tmp_path / "data"
    data.mkdir()
    for path in (source / "data").glob("*.csv"):
        frame = pl.read_csv(path, infer_schema=False)
        if path.stem == table:
            minutes = 60.0 if column == "timmar" else 1.0
            written = pl.col(column).str.replace(",", ".").cast(pl.Float64)  # 2,5 in the CSV
            amount = written * minutes * 60_000_000
            frame = frame.with_columns(
                pl.duration(microseconds=amount.cast(pl.Int64)).alias(column)
            )
            assert isinstance(frame.schema[column], pl.Duration)
        frame.write_parquet(data / f"{path.stem}.parquet")
    args = ["run", str(source / "model.yaml"), "--data", str(data), "--month", month]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert total in result.output


@pytest.mark.parametrize("heading", ["ANTAL_PERSONAL", "antal_persnal", "Antal personal"])
def test_a_misspelt_heading_of_a_column_with_a_default_is_an_error(tmp_path, heading):
    """`antal_personal` has a default for files without it (1). A file whose heading
    was `ANTAL_PERSONAL` or misspelt had its column warned of as undeclared and not read,
    and every visit paid for one staff: 9 940,83 kr instead of 10 341,58, exit 0."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    (data / "visits.csv").write_text(visits.replace("antal_personal", heading, 1))
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert (
        "error[missing-column]: `visits` has no column `antal_personal` — the model's default "
        f"(1) would be every row's value — but has `{heading}`" in result.output
    )
    assert f"did you mean `{heading}`?" in result.output
    # and not offered to be declared as a column of the model's own besides
    assert "undeclared-column" not in result.output, result.output


@pytest.mark.parametrize(
    ("heading", "value", "said"),
    [
        ("bemanning", None, "but has `bemanning`, which the model does not declare, and whose "
         "every value is a whole number as `antal_personal` holds"),
        ("postnummer", "70123", "9\u00a0940,83"),  # beyond 1–3: no number of staff
    ],
)  # fmt: skip
def test_a_column_under_another_name_with_values_of_its_kind_is_an_error(
    tmp_path, heading, value, said
):
    """`antal_personal` under a heading nothing like it (`bemanning`), its values 1 and
    2: the file had no such column, and every visit was paid for one staff (9 940,83
    kr), exit 0, with a warning that `bemanning` was not read. A column of numbers in
    the column's range is taken for it; postal codes, out of its range, are not."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    lines = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    head, *rows = lines
    if value is not None:
        rows = [row.rsplit(",", 1)[0] + "," + value for row in rows]
    text = "\n".join([head.replace("antal_personal", heading), *rows]) + "\n"
    (data / "visits.csv").write_text(text, encoding="utf-8")
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == (0 if value else 1), result.output
    assert said in result.output


def test_a_file_without_a_column_with_a_default_takes_the_default(tmp_path):
    """The same file with no such column at all: every visit one staff, as the model
    declares. V3 40 → 20 min and 50 → 25 kr OB, V12 90 → 45 min and 105 → 52,50 kr: K1
    stays at its cap, K2 255 min = 1 831,75: 10 341,58 − 25 − 323,25 − 52,50 = 9 940,83."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    lines = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    (data / "visits.csv").write_text("\n".join(x.rsplit(",", 1)[0] for x in lines) + "\n")
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "9\u00a0940,83" in result.output


@pytest.mark.parametrize(
    ("example", "month", "own"),
    [
        ("alvsbacka", "2026-12", {"avbokningar": ("customer_id", "provider_id")}),
        ("ekby", "2026-10", {"ledsagningar": ("customer_id", "provider_id"),
                             "kvalitet": ("provider_id",)}),
    ],
)  # fmt: skip
def test_generated_data_holds_a_models_own_tables_and_runs_with_nothing_rejected(
    tmp_path, example, month, own
):
    """`generate --model` made no table of the model's own ("its meaning is the
    model's"), so Älvsbacka's run on generated data stopped at `missing-table`, and a
    model replacing carepay's services (Ekby: hemtjänst, larm, ledsagning) had every
    decision and visit rejected. Its own tables are made now, a row a month for each
    of those its rows belong to, and a service the model's list lacks is one of its."""
    import polars as pl

    model = ROOT / "examples" / example / "model.yaml"
    data = tmp_path / "data"
    args = ["generate", "--profile", "orebro", "--customers", "60", "--start", month]
    made = CliRunner().invoke(main, [*args, "--model", str(model), "--out", str(data)])
    assert made.exit_code == 0, made.output
    decisions = pl.read_csv(data / "decisions.csv", infer_schema=False)
    for table, owners in own.items():
        rows = pl.read_csv(data / f"{table}.csv", infer_schema=False)
        expected = (
            decisions
            if len(owners) > 1
            else pl.read_csv(
                data / ("customers.csv" if owners == ("customer_id",) else "providers.csv"),
                infer_schema=False,
            )
        )
        assert rows.height > 0, table
        assert set(rows.select(owners).iter_rows()) <= set(expected.select(owners).iter_rows())
    args = ["run", str(model), "--data", str(data), "--month", month]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert ran.exit_code in (0, 5), ran.output  # 5: a model's own warning of empty values
    assert "avvisade 0" in ran.output and "rejected-rows" not in ran.output, ran.output
    assert not (tmp_path / "o/rejects.csv").read_text(encoding="utf-8").strip().count("\n")


def test_a_generated_table_of_a_customers_rows_has_a_row_a_month_for_each_customer(tmp_path):
    """An own table whose rows belong to a customer alone (docs/language.md's meal
    orders): one row a month for each customer, its date in that month."""
    import polars as pl

    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: alvsbacka-mat\nextends: {EXAMPLE / 'model.yaml'}\nvocabulary:\n  tables:\n"
        "    matbeställningar:\n      key: [order_id]\n      columns:\n"
        "        order_id: { type: text, nullable: false, required: true }\n"
        "        customer_id: { type: text, nullable: false, required: true }\n"
        "        levererad: { type: date, nullable: false }\n"
        "    mätningar:\n      key: [löpnummer]\n      columns:\n"
        "        löpnummer: { type: integer, nullable: false, required: true }\n"
        "        datum: { type: date, nullable: false }\n"
        "  entities:\n    matbeställning:\n      table: matbeställningar\n"
        "      month: { by: date, column: levererad }\n      parties: [customer]\n",
        encoding="utf-8",
    )
    args = ["generate", "--profile", "orebro", "--customers", "30", "--start", "2026-11"]
    made = CliRunner().invoke(
        main, [*args, "--months", "2", "--model", str(model), "--out", str(tmp_path / "d")]
    )
    assert made.exit_code == 0, made.output
    orders = pl.read_csv(tmp_path / "d/matbeställningar.csv", try_parse_dates=True)
    assert orders.height == 60  # 30 customers, 2 months
    assert orders["order_id"].n_unique() == 60
    per_month = orders.group_by(pl.col("levererad").dt.month()).agg(
        pl.col("customer_id").n_unique()
    )
    assert sorted(per_month.rows()) == [(11, 30), (12, 30)]
    # a key of whole numbers is a running number too (it was drawn, and rows repeated it)
    measured = pl.read_csv(tmp_path / "d/mätningar.csv")
    assert measured["löpnummer"].to_list() == [1, 2]  # no one's rows: one a month


def test_a_studio_edit_of_the_holiday_calendar_pays_what_a_fresh_run_pays(tmp_path):
    """Christmas Eve taken off Älvsbacka's calendar in the studio: the edit reused the
    visits' minutes in the time bands, computed with the old calendar, and showed
    10 341,58 kr where a fresh run of the edited model pays 10 306,75 (V5's 11 minutes
    of storhelg, 34,8333 kr of OB, no longer paid)."""
    from engine.api import load, parse_month, run_model
    from engine.studio import open_studio
    from engine.workspace import edit

    folder = tmp_path / "alvsbacka"
    folder.mkdir()
    shutil.copy(EXAMPLE / "model.yaml", folder / "model.yaml")
    ws = open_studio(folder, EXAMPLE / "data", parse_month("2026-12"), None)
    text = (folder / "model.yaml").read_text(encoding="utf-8")
    assert " 2026-12-24," in text
    edited = {"model.yaml": text.replace(" 2026-12-24,", "", 1)}
    answer = edit(ws, edited)
    fresh, _ = load(
        ws.model, ws.months, texts={(folder / "model.yaml").resolve(): edited["model.yaml"]}
    )
    total = int(run_model(fresh, ws.dataset, ws.months).lines["amount_ore"].sum())
    assert total == 1_030_675  # 10 341,58 − 34,83
    assert answer["results"]["total"]["edited_ore"] == total


def test_a_number_of_months_may_be_a_count_of_parameters(tmp_path):
    """An age supplement from 90 years: `add_months(customer.födelsedatum, åldersgräns *
    12) <= month_start` was "the number of months must be a whole number written out",
    so the age (or a period of notice) could not be a parameter. K1, born 1936-12-01, is
    90 on the month's first day and is paid 250 kr; K2, born a day later, is not yet."""
    model = tmp_path / "model.yaml"
    model.write_text(
        f"model: alvsbacka-alder\nextends: {EXAMPLE / 'model.yaml'}\n"
        "vocabulary:\n  columns:\n    customers:\n"
        "      födelsedatum: { type: date, nullable: false }\n"
        "parameters:\n  åldersgräns: { unit: count, values: { 2026-01-01: 90 } }\n"
        "  åldertillägg: { unit: SEK, values: { 2026-01-01: 250 } }\n"
        "definitions:\n  customer_month:\n"
        "    nittio: add_months(customer.födelsedatum, åldersgräns * 12) <= month_start\n"
        "payments:\n  ålder:\n    entity: customer_month\n    category: tillägg\n"
        "    formula: if nittio then åldertillägg else 0 SEK\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    (data / "customers.csv").write_text(
        "customer_id,district,födelsedatum\nK1,Centrum,1936-12-01\nK2,Forsen,1936-12-02\n"
        "K3,Dalen,1940-05-05\n",
        encoding="utf-8",
    )
    args = ["run", str(model), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "o/statement_lines.csv").read_text(encoding="utf-8")
    assert "2026-12,P1,K1,ålder,,tillägg,,,250.00," in lines
    assert ",K2,ålder," not in lines and ",K3,ålder," not in lines
    explained = CliRunner().invoke(
        main, ["explain", "--lang", "en", str(model), "--data", str(data), "--month", "2026-12",
               "--customer", "K1"],
    )  # fmt: skip
    assert "ålder = 250.00 SEK" in explained.output, explained.output


@pytest.mark.parametrize(("example", "table", "column", "month", "total"), DURATIONS)
def test_a_time_typed_into_a_workbook_in_a_column_of_minutes_or_hours_is_that_many(
    tmp_path, example, table, column, month, total
):
    """Typed into Excel as `1:30`, a planned time is a time of 1 h 30 min (0,0625 of a
    day, shown h:mm): every such row was rejected, "`1899-12-31 01:30:00` is not a
    number". In a column of minutes it is 90, in one of hours 1,5."""
    import csv
    import datetime as dt

    import openpyxl

    source = ROOT / "examples" / example
    book = openpyxl.Workbook()
    book.remove(book.active)
    for path in sorted((source / "data").glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        rows = list(csv.reader(path.open(encoding="utf-8")))
        sheet.append(rows[0])
        at = rows[0].index(column) if path.stem == table else None
        for row in rows[1:]:
            sheet.append(row)
            if at is not None:
                minutes = round(
                    float(row[at].replace(",", ".")) * (60 if column == "timmar" else 1)
                )
                cell = sheet.cell(sheet.max_row, at + 1)
                cell.value, cell.number_format = dt.time(minutes // 60, minutes % 60), "h:mm"
    book.save(tmp_path / "export.xlsx")
    args = ["run", str(source / "model.yaml"), "--data", str(tmp_path / "export.xlsx")]
    result = CliRunner().invoke(main, [*args, "--month", month, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert total in result.output


def test_only_a_time_under_a_day_is_read_as_a_duration():
    """`30:00` in [h]:mm, or a number a date format shows (5 shown as 1900-01-05), is a
    date of 1900 to the reader: left as it is, a rejected row, never 5 days of minutes."""
    import polars as pl

    from engine.api import load
    from engine.data import _excel_times

    checked, _ = load(EXAMPLE / "model.yaml")
    table = checked.model.vocabulary.tables["avbokningar"]
    cells = ["1899-12-31 01:30:00", "1899-12-31 00:00:30", "1900-01-01 06:00:00", "90", None]
    frame = pl.DataFrame({"planerade_minuter": cells}, schema={"planerade_minuter": pl.String})
    read = _excel_times(frame, table)["planerade_minuter"].to_list()
    assert read == ["90.0", "0.5", "1900-01-01 06:00:00", "90", None]


def test_a_time_with_no_date_in_a_workbook_is_a_rejected_row_not_a_day_of_1899(tmp_path):
    """A cancellation's planned start typed as `08:00` (no date) was read as 31 December
    1899 08:00: in no month, so A1's 60 minutes were not paid and nothing said so. It
    is a rejected row now, "`08:00:00` is not a date and time"; a visit's start so was
    rejected as lasting 1 112 544 hours."""
    import csv
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for path in sorted((EXAMPLE / "data").glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        for row in csv.reader(path.open(encoding="utf-8")):
            sheet.append(row)
    for name, column in (("avbokningar", 4), ("visits", 5)):
        cell = book[name].cell(2, column)
        cell.value, cell.number_format = dt.time(8, 0), "hh:mm"
    book.save(tmp_path / "export.xlsx")
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(tmp_path / "export.xlsx")]
    result = CliRunner().invoke(main, [*args, "--month", "2026-12", "--out", str(tmp_path / "o")])
    assert result.exit_code == 3, result.output
    assert (
        "export.xlsx!avbokningar:planerad_start: warning[rejected-rows]: 1 row rejected: "
        "`08:00:00` is not a date and time" in result.output
    )
    assert "export.xlsx!visits:start: warning[rejected-rows]: 1 row rejected: `08:00:00`" in (
        result.output
    )


def test_rows_of_its_own_tables_in_no_month_run_are_told(tmp_path):
    """A cancellation whose planned start was typed in the wrong year (2062) was in no
    month and paid nothing, while the run's account spoke of visits alone. The run now
    says how many rows of each own table no month run holds: A4 (November's) and A1."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE / "data", data)
    text = (data / "avbokningar.csv").read_text(encoding="utf-8")
    (data / "avbokningar.csv").write_text(
        text.replace("A1,K1,P1,2026-12-11", "A1,K1,P1,2062-12-11")
    )
    args = ["run", str(EXAMPLE / "model.yaml"), "--data", str(data), "--month", "2026-12"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "rader i ingen av månaderna (betalas inte nu): avbokningar 2\n" in result.output
    code, output = _run(tmp_path / "sample", EXAMPLE / "model.yaml")
    assert "rader i ingen av månaderna (betalas inte nu): avbokningar 1\n" in output
    november = CliRunner().invoke(
        main, ["run", str(EXAMPLE / "model.yaml"), "--data", str(EXAMPLE / "data"),
               "--month", "2026-11", "--to", "2026-12", "--out", str(tmp_path / "two")],
    )  # fmt: skip
    assert "rader i ingen av månaderna" not in november.output, november.output
