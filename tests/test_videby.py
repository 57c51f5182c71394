"""Videby, a model written from docs/language.md alone: omsorg paid by executed time
(a visit's minutes times its staff) at least 85 % and at most 110 % of the time granted
for the decision's days (`clamp`), late cancellations paid as planned, a night
supplement and a provider's quality deduction. Each amount computed by hand. What it
found: a `clamp` whose floor a study raised above its ceiling paid the ceiling without
a word, a bound with no value was skipped in silence, a model could not bound carepay's
own columns (a granted time of 99 999 999 999 minutes paid 624 billion kronor), and
`explain` showed a time of day as a count (`1 350`, for 22:30)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine.api import load
from engine.cli import main
from engine.diagnostics import EngineError
from tests.harness import assert_cases_pass

VIDEBY = Path(__file__).resolve().parent / "fixtures/videby"
MODEL = VIDEBY / "model.yaml"
ARGS = ["--data", str(VIDEBY / "data"), "--month", "2027-03"]


def _variant(tmp_path: Path, text: str, name: str = "variant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"model: videby-variant\ntitle: V\nextends: {MODEL}\n{text}", "utf-8")
    return path


def _run(tmp_path: Path, model: Path, *more: str) -> tuple[CliRunner, Path]:
    """`carepay run` of a model on Videby's data, and where it wrote."""
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(model), *ARGS, "--out", str(out), *more])
    return ran, out


def test_march_by_hand(tmp_path: Path) -> None:
    """K1: 120 + 30 + 60 (cancelled 19 h before) + 60 = 270 min, under 85 % of 1 200:
    1 020 min × 7,50 = 7 650, two night visits 190. K2: from 11 March, 1 200 × 21/31 ×
    85 % = 690,967742 min, above its 690: 5 182,26. K3: 480 + 180 + 20 = 680, over 110 %
    of 600: 660 min = 4 950, one night visit 95. P1: 3 of 9 visits by hand, 2 % of
    17 782,26 = −355,65. K4: 300 min = 2 250. K5: 300 min granted for 15 days, 60
    executed: 255 min = 1 912,50."""
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(MODEL), *ARGS, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    paid = sorted(
        lines.select("provider_id", "customer_id", "payment", "amount_kr").fill_null("").rows()
    )
    assert paid == [
        ("P1", "", "kvalitet", "-355.65"),
        ("P1", "K1", "natt", "190.00"),
        ("P1", "K1", "omsorg", "7650.00"),
        ("P1", "K2", "omsorg", "5182.26"),
        ("P1", "K3", "natt", "95.00"),
        ("P1", "K3", "omsorg", "4950.00"),
        ("P2", "K4", "omsorg", "2250.00"),
        ("P2", "K5", "omsorg", "1912.50"),
    ]
    excluded = pl.read_csv(out / "exclusions.csv", infer_schema=False)
    assert sorted(excluded.select("visit_id", "rule").rows()) == [
        ("V04", "avbokat_i_tid"),
        ("V06", "utan_beslut"),
        ("V15", "utan_beslut"),
    ]


def test_videbys_hand_computed_cases() -> None:
    assert_cases_pass(VIDEBY, 8)


def test_a_floor_above_the_ceiling_stops_the_run(tmp_path: Path) -> None:
    """`simulate --set golv=120` paid each customer the ceiling, 21 410,32 kr for P1,
    exit 0: at least 120 % and at most 110 % cannot both hold."""
    ran = CliRunner().invoke(main, ["simulate", str(MODEL), *ARGS, "--set", "golv=120"])
    assert ran.exit_code == 1, ran.output
    assert "error[clamp-bounds]" in ran.output
    assert "has its lower bound above its upper for 5 customer_month rows of 2027-03" in (
        ran.output
    )
    assert "customer_id K1, provider_id P1: 1440 min (24 h) above 1320 min (22 h)" in ran.output
    assert "min(max(utförd_tid, beviljad_tid * golv), beviljad_tid * tak) if the upper" in (
        ran.output
    )


def test_explain_stops_at_a_floor_above_the_ceiling_as_the_run_does(tmp_path: Path) -> None:
    model = _variant(tmp_path, "parameters:\n  golv:\n    values: { 2027-01-01: 120 }\n")
    args = ["explain", str(model), *ARGS, "--customer", "K1"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 1, ran.output
    assert "error[clamp-bounds]" in ran.output
    assert "for 1 customer_month row of 2027-03: customer_id K1, provider_id P1: 1440 min" in (
        ran.output
    )


def test_the_upper_bound_wins_where_the_author_says_so(tmp_path: Path) -> None:
    """The hint's rewrite pays the ceiling, as the rule's author chose: K1 1 320 min."""
    model = _variant(
        tmp_path,
        "parameters:\n  golv:\n    values: { 2027-01-01: 120 }\ndefinitions:\n"
        "  customer_month:\n    ersatt_tid: min(max(utförd_tid, beviljad_tid * golv), "
        "beviljad_tid * tak)\n",
    )
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    k1 = lines.filter((pl.col("customer_id") == "K1") & (pl.col("payment") == "omsorg"))
    assert k1["amount_kr"].to_list() == ["9900.00"]  # 1 320 min × 7,50


CEILING_PER_CUSTOMER = """vocabulary:
  columns:
    customers:
      takandel: { type: number, unit: "%", description: Kundens tak }
definitions:
  customer_month:
    ersatt_tid: clamp(utförd_tid, beviljad_tid * golv, beviljad_tid * customer.takandel)
"""


def test_a_bound_with_no_value_is_warned_of(tmp_path: Path) -> None:
    """A customer with no ceiling had K3's 680 minutes paid uncapped, without a word;
    the check and the run say so now, and the run exits 5."""
    model = _variant(tmp_path, CEILING_PER_CUSTOMER)
    checked = CliRunner().invoke(main, ["check", str(model)])
    assert "warning[skipped-argument]" in checked.output
    assert (
        "skips `beviljad_tid * customer.takandel` where it has no value (when `takandel` is "
        "empty) and then leaves `utförd_tid` unlimited from above"
    ) in checked.output
    data = tmp_path / "data"
    data.mkdir()
    for file in (VIDEBY / "data").iterdir():
        (data / file.name).write_bytes(file.read_bytes())
    customers = "customer_id,district,takandel\nK1,Centrum,110\nK2,Centrum,110\nK3,Ön,\n"
    (data / "customers.csv").write_text(customers + "K4,Centrum,110\nK5,Ön,110\n", "utf-8")
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 5, ran.output
    assert (
        "left `utförd_tid` unlimited from above where `beviljad_tid * customer.takandel` had "
        "no value, for 1 customer_month row of 2027-03"
    ) in ran.output


def test_explain_shows_a_time_of_day_as_a_clock() -> None:
    """It showed `time_of_day(start) = 1 350`: minutes after midnight, not 22:30."""
    args = ["explain", str(MODEL), *ARGS, "--customer", "K1"]
    said = CliRunner().invoke(main, args).output
    assert "time_of_day(start) = 22:30" in said
    assert "time_of_day(start) = 1 350" not in said


def _rejected(tmp_path: Path, model: Path, decisions: str) -> tuple[int, str, list[str]]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for file in (VIDEBY / "data").iterdir():
        (data / file.name).write_bytes(file.read_bytes())
    (data / "decisions.csv").write_text(decisions, "utf-8")
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, [*args, "--force"])
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False) if out.exists() else None
    reasons = [] if rejects is None or rejects.is_empty() else rejects["reason"].to_list()
    return ran.exit_code, ran.output, reasons


def _decisions(b1: str) -> str:
    """Videby's decisions with a `level` column (empty) and B1 as given."""
    lines = (VIDEBY / "data/decisions.csv").read_text("utf-8").splitlines()
    rows = [b1 if line.startswith("B1,") else line + "," for line in lines[1:]]
    return "\n".join([lines[0] + ",level", *rows]) + "\n"


def test_a_model_bounds_carepays_granted_minutes(tmp_path: Path) -> None:
    """Videby's `granted_minutes: {maximum: 44640}`: a decision of 99 999 999 999
    minutes (a key held down) is a rejected row, not 624 billion kronor paid to P1."""
    b1 = "B1,K1,P1,omsorg,2027-01-01,,99999999999,"
    code, output, reasons = _rejected(tmp_path, MODEL, _decisions(b1))
    assert code == 3, output
    assert reasons == ["`99999999999` is outside the range of `granted_minutes` (0–44640 min)"]


def test_a_model_widens_carepays_levels(tmp_path: Path) -> None:
    """A municipality of 35 levels: level 35 was rejected (carepay's 1–29)."""
    b1 = "B1,K1,P1,omsorg,2027-01-01,,1200,35"
    code, output, reasons = _rejected(tmp_path, MODEL, _decisions(b1))
    assert reasons == ["`35` is outside the range of `level` (1–29)"]
    wider = _variant(
        tmp_path, "vocabulary:\n  columns:\n    decisions:\n      level: { maximum: 35 }\n"
    )
    text = wider.read_text("utf-8") + "definitions:\n  decision:\n    nivå: level\n"
    wider.write_text(text, "utf-8")
    code, output, reasons = _rejected(tmp_path, wider, _decisions(b1))
    assert (code, reasons) == (0, []), output


@pytest.mark.parametrize(
    ("column", "given", "said"),
    [
        (
            "profession",
            "{ maximum: 3 }",
            "`decisions.profession` is a text column: only a number has a range",
        ),
        (
            "received_on",
            "{ minimum: 1 }",
            "`decisions.received_on` is a date column: only a number has a range",
        ),
        ("level", "{ minimum: 40 }", "the minimum 40 of `decisions.level` is above its maximum 29"),
        (
            "level",
            "{ maximum: 2.5 }",
            "the maximum of `decisions.level` is 2.5, not a whole number",
        ),
        (
            "granted_minutes",
            "{ maximum: lots }",
            "`vocabulary.columns.decisions.granted_minutes.maximum` should be a number",
        ),
        (
            "level",
            "{ maximum: 10, default: 12 }",
            "the default `12` is outside the range of `decisions.level` (1–10)",
        ),
    ],
)
def test_a_range_that_cannot_be_is_an_error_at_its_line(
    tmp_path: Path, column: str, given: str, said: str
) -> None:
    model = _variant(
        tmp_path, f"vocabulary:\n  columns:\n    decisions:\n      {column}: {given}\n"
    )
    with pytest.raises(EngineError) as raised:
        load(model, [])
    shown = [d.message for d in raised.value.diagnostics]
    assert any(said in message for message in shown), shown
    assert all(d.span is not None and d.span.line == 7 for d in raised.value.diagnostics)


def test_an_export_of_one_service_has_no_service_column(tmp_path: Path) -> None:
    """Videby's visits exported without `service` (all omsorg): every month stopped at
    "`visits` has no column `service`", and the model could not say what it is — the
    message gave the reason "an id, a party, or a date placing a row in a month", which
    `service` is none of. A `default:` says it now; its cells stay required."""
    data = tmp_path / "data"
    data.mkdir()
    for file in (VIDEBY / "data").iterdir():
        (data / file.name).write_bytes(file.read_bytes())
    visits = pl.read_csv(data / "visits.csv", infer_schema=False).drop("service")
    visits.write_csv(data / "visits.csv")
    block = "vocabulary:\n  columns:\n    visits:\n      service: { default: omsorg }\n"
    model = _variant(tmp_path, block)
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    assert "summa                      21\xa0874,11" in ran.output, ran.output
    told = CliRunner().invoke(main, ["tables", str(model)]).output
    assert "saknas kolumnen läses varje rad som omsorg" in told


@pytest.mark.parametrize(
    ("column", "given", "said"),
    [
        (
            "service",
            "{ nullable: true }",
            "`visits.service` is a column carepay requires in every row of `visits`: the model "
            "may give its value where a file lacks the column (`default`) and a "
            "`description`, not its `nullable`",
        ),
        ("customer_id", "{ default: K1 }", "`visits.customer_id` is a column carepay needs"),
        ("end", "{ default: 2027-03-01 10:00 }", "`visits.end` is a column carepay needs"),
    ],
)
def test_what_a_required_column_cannot_be_given(
    tmp_path: Path, column: str, given: str, said: str
) -> None:
    model = _variant(tmp_path, f"vocabulary:\n  columns:\n    visits:\n      {column}: {given}\n")
    with pytest.raises(EngineError) as raised:
        load(model, [])
    shown = [d.message for d in raised.value.diagnostics]
    assert any(said in message for message in shown), shown


def test_a_flags_clamp_stops_the_run_as_explain_does(tmp_path: Path) -> None:
    """A flag's `clamp` with its floor above its ceiling: `explain` stopped at it and
    the run marked the visits by the ceiling, exit 0."""
    flag = (
        "flags:\n  lång:\n    when: clamp(end - start, 60 min, 30 min) >= 30 min\n"
        "    reason: långt besök\n"
    )
    model = _variant(tmp_path, flag)
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 1, ran.output
    assert "error[clamp-bounds]" in ran.output
    assert "for 15 visit rows of 2027-03 (in `lång`)" in ran.output


def test_a_sheets_date_alone_is_no_visits_start(tmp_path: Path) -> None:
    """A workbook whose V01 `start` was typed as a date alone (a cell shown as
    2027-03-02, holding midnight) was read as midnight: V01 lasted nine hours, and
    Videby paid 23 512,61 kr instead of 21 874,11 — the rest of its visits 21 874,11 —
    exit 0. The row is rejected now; a cell whose format hides a time it holds keeps
    it."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for file in sorted((VIDEBY / "data").glob("*.csv")):
        frame = pl.read_csv(file, try_parse_dates=True)
        sheet = book.create_sheet(file.stem)
        sheet.append(frame.columns)
        for row in frame.iter_rows(named=True):
            if file.stem == "visits" and row["visit_id"] == "V01":
                row["start"] = dt.date(2027, 3, 2)  # shown as yyyy-mm-dd
            if file.stem == "visits" and row["visit_id"] == "V02":
                row["end"] = dt.datetime(2027, 3, 5, 23, 0)
            sheet.append(list(row.values()))
        if file.stem == "visits":  # V02's end shown as a date alone: its time is kept
            sheet["F3"].number_format = "yyyy-mm-dd"
    path = tmp_path / "videby.xlsx"
    book.save(path)
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(path), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 3, ran.output
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejects.select("id", "column", "reason").rows() == [
        ("V01", "start", "`2027-03-02` is a date with no time of day, not a date and time")
    ]
    assert "write the time of day too: 2027-03-02 HH:MM" in ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    assert sum(Decimal(a) for a in lines["amount_kr"]) == Decimal("21874.11")


def test_a_parquet_date_is_no_visits_start(tmp_path: Path) -> None:
    """A visits file whose `start` a writer stored as dates (no time of day) was read as
    midnight: every visit from 08:00 to 09:00 lasted nine hours, and Videby paid
    27 215,32 kr instead of 21 874,11, exit 0. Each row is rejected now, with why, as a
    date alone is in a CSV file; so is a cancellation time stored as a date."""
    data = tmp_path / "data"
    data.mkdir()
    for file in (VIDEBY / "data").glob("*.csv"):
        if file.stem != "visits":
            (data / file.name).write_bytes(file.read_bytes())
    visits = pl.read_csv(VIDEBY / "data/visits.csv", try_parse_dates=True)
    written = visits.with_columns(pl.col("start").dt.date(), pl.col("avbokad").dt.date())
    written.write_parquet(data / "visits.parquet")
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 4, ran.output  # no visit counted
    rejects = pl.read_csv(out / "rejects.csv", infer_schema=False)
    assert rejects.height == 15
    first = rejects.row(0, named=True)
    assert (first["id"], first["column"], first["reason"]) == (
        "V01",
        "start",
        "`2027-03-02` is a date with no time of day, not a date and time",
    )
    assert "write it with the time of day (a timestamp)" in ran.output


def test_a_clamp_in_an_aggregations_filter_stops_the_run_as_explain_does(
    tmp_path: Path,
) -> None:
    """`count(visits where clamp(end - start, 60 min, 30 min) > 40 min)`: `explain`
    stopped at the clamp, the run counted by the upper bound, exit 0. On an `if`'s
    branch not taken it is not looked at (`test_equivalence` holds the rest)."""
    payment = (
        "payments:\n  extra:\n    entity: customer_month\n    category: omsorg\n"
        "    formula: count(visits where {filter}) * 10 SEK\n"
    )
    inverted = "clamp(end - start, 60 min, 30 min) > 40 min"
    model = _variant(tmp_path, payment.format(filter=inverted))
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 1, ran.output
    assert (
        "has its lower bound above its upper for 15 visit rows of 2027-03 (in the filter of "
        "`count(visits)`, in `extra`): visit_id V01: 60 min (1 h) above 30 min (0.5 h)"
    ) in ran.output
    untaken = f"if service == 'service' then {inverted} else true"
    model = _variant(tmp_path, payment.format(filter=untaken), "untaken.yaml")
    ran = CliRunner().invoke(main, ["run", str(model), *ARGS, "--out", str(out), "--force"])
    assert ran.exit_code == 0, ran.output
    said = CliRunner().invoke(main, ["explain", str(model), *ARGS, "--customer", "K1"])
    assert said.exit_code == 0, said.output


def test_a_look_up_in_an_aggregations_filter_that_misses_stops_the_run(
    tmp_path: Path,
) -> None:
    """`count(visits where … >= minsta_tid[service])` with no `omsorg` in the table: the
    filter was false for every visit and the payment 0 kr, exit 0, the check's
    `lookup-domain` warning the only word. It stops as a look-up in a formula does."""
    model = _variant(
        tmp_path,
        "parameters:\n  minsta_tid:\n    unit: min\n    keys: [service]\n"
        "    values: { 2027-01-01: { service: 10 } }\n"
        "payments:\n  extra:\n    entity: customer_month\n    category: omsorg\n"
        "    formula: count(visits where counted and end - start >= minsta_tid[service])"
        " * 10 SEK\n",
    )
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 1, ran.output
    assert (
        "error[lookup-miss]: `minsta_tid` has no value for 15 visit rows of 2027-03 (in the "
        "filter of `count(visits)`, in `extra`): visit_id V01: service omsorg;"
    ) in ran.output


def test_a_skipped_argument_in_an_aggregations_filter_is_warned_of(tmp_path: Path) -> None:
    """`count(visits where counted and max(antal_personal, 1) >= 2)`: V08, whose staff
    count is empty, was taken as one; the check warned it could be, the run said
    nothing and exited 0. It names the visit now and exits 5, as for a formula's own."""
    model = _variant(
        tmp_path,
        "payments:\n  extra:\n    entity: customer_month\n    category: omsorg\n"
        "    formula: count(visits where counted and max(antal_personal, 1) >= 2) * 10 SEK\n",
    )
    ran, _ = _run(tmp_path, model)
    assert ran.exit_code == 5, ran.output
    assert (
        "`max(antal_personal, 1)` took the largest of the others where `antal_personal` had "
        "no value, for 1 visit row of 2027-03 (in the filter of `count(visits)`, in `extra`; "
        "`antal_personal` is empty): visit_id V08"
    ) in ran.output


def test_a_time_written_without_quotes_is_a_time(tmp_path: Path) -> None:
    """YAML 1.1 reads `22:00` as the number 1320 (base 60) though `07:00` stays text: a
    band `from: 22:00` was "`from: 1320` is no time of day", a definition `22:00` the
    count 1 320 (a letter said "besök som börjar från 1 320"), and a parameter of hours
    `1:30` was 90 hours, paid in silence. As YAML 1.2 reads them: written as text."""
    bands = _variant(
        tmp_path,
        "parameters:\n  tider:\n    kind: bands\n    values:\n      2027-01-01:\n"
        "        - { name: natt, from: 22:00, to: 07:00 }\n        - { name: dag }\n"
        'definitions:\n  visit:\n    nattminuter: minutes_in(tider, "natt")\n'
        "  customer_month:\n    nattgräns: 22:00\n"
        "payments:\n  natt:\n"
        '    letter: "Nattillägg {antal} (besök som börjar från {nattgräns}): {belopp}"\n',
    )
    letter = CliRunner().invoke(
        main, ["explain", str(bands), *ARGS, "--customer", "K1", "--letter"]
    )
    assert letter.exit_code == 0, letter.output
    assert "Nattillägg 2 besök (besök som börjar från 22:00): 190,00 kr (§5)." in letter.output
    hours = _variant(
        tmp_path,
        "parameters:\n  minsta:\n    unit: h\n    values: { 2027-01-01: 1:30 }\n",
        "hours.yaml",
    )
    with pytest.raises(EngineError) as raised:
        load(hours, [])
    (error,) = raised.value.diagnostics
    assert (error.code, error.message) == ("bad-value", "`1:30` is not a number")
    assert error.hint == "write the hours as a number: 1.5 for 1 h 30 min"


def test_a_number_with_a_leading_zero_is_read_as_written(tmp_path: Path) -> None:
    """YAML 1.1 reads `0450` as 296 (octal): a night supplement written so paid 296 kr
    a visit, 22 477,11 kr in all, exit 0. Read as YAML 1.2 reads it: 450 kr."""
    model = _variant(tmp_path, "parameters:\n  nattillägg:\n    values: { 2027-01-01: 0450 }\n")
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    night = lines.filter(pl.col("payment") == "natt").select("customer_id", "amount_kr").rows()
    assert sorted(night) == [("K1", "900.00"), ("K3", "450.00")]


def test_the_earliest_time_of_day_of_the_months_visits(tmp_path: Path) -> None:
    """`min(visits.starttid)` over times of day was an error ("cannot min time of day"),
    though the docs give `min` and `max` times as well as numbers. K1's first visit
    starts 05:30 (V05) and its last 22:30 (V02): 50 kr for a visit before 07:00, in the
    run and in the letter alike."""
    model = _variant(
        tmp_path,
        "definitions:\n  visit:\n    starttid: time_of_day(start)\n  customer_month:\n"
        "    tidigaste: min(visits.starttid where counted)\n"
        "    senaste: max(visits.starttid where counted)\n"
        "payments:\n  morgon:\n    entity: customer_month\n    category: omsorg\n"
        "    formula: if coalesce(tidigaste < 07:00, false) then 50 SEK else 0 SEK\n"
        '    letter: "Tidigt besök (första {tidigaste}, sista {senaste}): {belopp}"\n',
    )
    ran, out = _run(tmp_path, model)
    assert ran.exit_code == 0, ran.output
    lines = pl.read_csv(out / "statement_lines.csv", infer_schema=False)
    morning = lines.filter(pl.col("payment") == "morgon").select("customer_id", "amount_kr")
    assert morning.rows() == [("K1", "50.00")]
    args = ["explain", str(model), *ARGS, "--customer", "K1"]
    letter = CliRunner().invoke(main, [*args, "--letter"]).output
    assert "Tidigt besök (första 05:30, sista 22:30): 50,00 kr." in letter
    assert "tidigaste = 05:30" in CliRunner().invoke(main, args).output
