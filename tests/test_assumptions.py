"""Behavioural assumptions of scenarios: each changes exactly what it says, on a copy
of the data; the input files stay byte for byte the same; mistakes are located."""

from __future__ import annotations

import hashlib
import textwrap
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from engine.api import load, load_dataset, parse_month, run_model
from engine.assumptions import apply_assumptions
from engine.compare import compare
from engine.diagnostics import EngineError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples/orebro"
MONTHS = [parse_month("2024-02")]


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        f"model: antaganden\nextends: {ROOT / 'rules/orebro/omvardnad.yaml'}\n"
        + textwrap.dedent(body),
        encoding="utf-8",
    )
    return path


def _applied(tmp_path: Path, body: str):
    checked, _ = load(_scenario(tmp_path, body), MONTHS)
    dataset, _ = load_dataset(checked, SAMPLE)
    changed, done = apply_assumptions(checked.model.vocabulary, checked.model.assumptions, dataset)
    return dataset, changed, done


def _minutes(visits: pl.DataFrame) -> pl.Series:
    return (visits["end"] - visits["start"]).dt.total_microseconds() / 60_000_000


def test_scaling_visit_time_changes_only_the_chosen_providers(tmp_path: Path) -> None:
    before, after, done = _applied(
        tmp_path,
        """
        assumptions:
          kortare:
            description: Privata utförare registrerar 15 % kortare besök
            scale_visit_time: 0.85
            where: {ownership: private}
        """,
    )
    private = before.tables["providers"].filter(pl.col("ownership") == "private")["provider_id"]
    is_private = before.tables["visits"]["provider_id"].is_in(private.implode())
    old, new = _minutes(before.tables["visits"]), _minutes(after.tables["visits"])
    assert (new.filter(~is_private) == old.filter(~is_private)).all()
    ratio = (new.filter(is_private) / old.filter(is_private)).drop_nans()
    assert ratio.min() == pytest.approx(0.85, abs=1e-6) and ratio.max() == pytest.approx(
        0.85, abs=1e-6
    )
    assert (after.tables["visits"]["start"] == before.tables["visits"]["start"]).all()
    assert done[0].rows == int(is_private.sum()) > 0


def test_short_visits_not_registered(tmp_path: Path) -> None:
    before, after, done = _applied(
        tmp_path,
        """
        assumptions:
          korta:
            description: Besök under 10 minuter registreras inte
            drop_visits_shorter_than: 10 min
        """,
    )
    short = int((_minutes(before.tables["visits"]) < 10).sum())
    assert short > 0
    assert after.tables["visits"].height == before.tables["visits"].height - short
    assert (_minutes(after.tables["visits"]) >= 10).all()
    assert done[0].rows == short


def _level_changes(tmp_path: Path, seed: int, share: str = "10 %") -> set[str]:
    before, after, _ = _applied(
        tmp_path,
        f"""
        assumptions:
          ned:
            description: En nivå ned
            move_level: -1
            share: {share}
            seed: {seed}
            where: {{service: omsorg}}
        """,
    )
    old, new = before.tables["decisions"], after.tables["decisions"]
    moved = old.with_columns(new["level"].alias("new_level")).filter(
        pl.col("level") != pl.col("new_level")
    )
    assert ((moved["level"] - moved["new_level"]) == 1).all()
    assert (new["level"].drop_nulls() >= 1).all()
    return set(moved["customer_id"].to_list())


def test_moving_a_share_of_customers_a_level_down_is_fixed_by_the_seed(tmp_path: Path) -> None:
    customers = (
        pl.read_csv(SAMPLE / "decisions.csv").filter(pl.col("service") == "omsorg")["customer_id"]
    ).n_unique()
    first = _level_changes(tmp_path, seed=1)
    assert 0.04 * customers <= len(first) <= 0.16 * customers
    assert _level_changes(tmp_path, seed=1) == first
    assert _level_changes(tmp_path, seed=2) != first


def test_the_input_files_are_never_changed(tmp_path: Path) -> None:
    def digest() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SAMPLE.iterdir()}

    before = digest()
    comparison = compare(
        ROOT / "rules/orebro",
        ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml",
        SAMPLE,
        MONTHS,
    )
    assert digest() == before
    assert len(comparison.assumptions) == 3
    assert all(a.startswith("B: ") for a in comparison.assumptions)
    assert comparison.providers["diff_ore"].sum() < 0  # less time and lower levels cost less
    per_customer = comparison.customers["diff_ore"].sum()
    assert per_customer == comparison.providers["diff_ore"].sum()


def test_a_run_of_the_scenario_applies_its_assumptions() -> None:
    checked, _ = load(ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml", MONTHS)
    dataset, _ = load_dataset(checked, SAMPLE)
    result = run_model(checked, dataset, MONTHS)
    assert [a.name for a in result.assumptions] == [
        "kortare_tid_privata",
        "korta_besök_registreras_inte",
        "en_nivå_ned",
    ]


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0.9\n    where: {ownrship: private}\n",
            "assumption `a`: no column `ownrship` in visits, customers, providers",
            5,
        ),
        # a value no row can hold changed nothing: the run said "0 of 15 visits"
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0.9\n    where: {service: omsrg}\n",
            "assumption `a`: `omsrg` is not a known service (code list `service`)",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0.9\n    where: {ownership: [municipal, privat]}\n",
            "assumption `a`: `privat` is not a known ownership",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    where: {level: tolv}\n",
            "assumption `a`: `tolv` is not a number, and `level` holds numbers",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    drop_visits_shorter_than: tio minuter\n",
            "`tio minuter` is not a duration for `drop_visits_shorter_than`",
            4,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    share: 150 %\n",
            "`150 %` is not a share of customers",
            5,
        ),
        # a duration of another unit was read as minutes: `10 SEK` dropped visits under 10 min
        (
            "assumptions:\n  a:\n    description: x\n    drop_visits_shorter_than: 10 SEK\n",
            "`10 SEK` is not a duration for `drop_visits_shorter_than`",
            4,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    drop_visits_shorter_than: 20 %\n",
            "`20 %` is not a duration for `drop_visits_shorter_than`",
            4,
        ),
        # YAML's infinity as a factor was said to be "not a duration"
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: .inf\n",
            "`inf` is not a factor above 0 for `scale_visit_time`",
            4,
        ),
        # and a share of another unit as a share: `0.5 min` picked half the customers
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    share: 0.5 min\n",
            "`0.5 min` is not a share of customers",
            5,
        ),
        # a level no row can hold: 3.5 was cut to 3 and moved the 28 decisions of level 3
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1\n    where: {level: 3.5}\n",
            "assumption `a`: `3.5` is not a whole number, and `level` holds whole numbers",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1\n    where: {level: [3, 40]}\n",
            "assumption `a`: `40` is outside the range of `level` (1–29)",
            5,
        ),
        # a range with one bound read `-inf–…`
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1\n    where: {special_amount: -5}\n",
            "assumption `a`: `-5` is outside the range of `special_amount` (at least 0 SEK)",
            5,
        ),
        # a date and time for `where:` stopped the run with a traceback; one that is none
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0.9\n    where: {start: 2024-02-30 08:00}\n",
            "assumption `a`: `2024-02-30 08:00` is not a date and time",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1\n    where: {start_date: 1 mars}\n",
            "assumption `a`: `1 mars` is not a date",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 0\n",
            "move_level",
            4,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    scale_visit_time: 0.9\n",
            "",
            3,
        ),
        (
            "assumptions:\n  a:\n    scale_visit_time: 0.9\n",
            "description",
            3,
        ),
        # a share without `%` was per cents: `share: 0.1`, meant as a tenth, moved 0,1 %
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    share: 0.1\n",
            "`share: 0.1` has no `%`: is it 0.1 % of the customers, or 10 %?",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: -1\n    share: 10\n",
            "`share: 10` has no `%`",
            5,
        ),
        # the schema's bounds in words: "0 is less than or equal to the minimum of 0",
        # "0 should not be valid under {'const': 0}", "should be integer"
        (
            "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0\n",
            "`assumptions.a.scale_visit_time` must be above 0, not 0",
            4,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 0\n",
            "`assumptions.a.move_level` cannot be 0",
            4,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1\n    seed: -1\n",
            "`assumptions.a.seed` must be at least 0, not -1",
            5,
        ),
        (
            "assumptions:\n  a:\n    description: x\n    move_level: 1.5\n",
            "`assumptions.a.move_level` should be a whole number",
            4,
        ),
    ],
)
def test_mistakes_in_assumptions_are_located(
    tmp_path: Path, body: str, message: str, line: int
) -> None:
    with pytest.raises(EngineError) as caught:
        load(_scenario(tmp_path, body), MONTHS)
    diagnostics = caught.value.diagnostics
    assert any(message in d.message for d in diagnostics), [d.message for d in diagnostics]
    # the scenario file starts with two lines (model, extends) before `body`
    assert any(d.span is not None and d.span.line == line + 2 for d in diagnostics), [
        (d.message, d.span) for d in diagnostics
    ]


def test_where_a_date_a_date_and_time_or_ids_of_two_kinds_chooses_their_rows(
    tmp_path: Path,
) -> None:
    """`where:` by a date and time, a date, or ids written as a number and as a text in
    one list: each stopped the run with a traceback (a text cast to a date and time;
    a list of two kinds). The 57 visits starting at 06:00 on 1 February, the 8
    decisions starting on 10 October 2022, customer K000001's 185 visits."""
    cases = [
        ("scale_visit_time: 0.9", "start: '2024-02-01 06:00'", 57),
        ("move_level: 1", "start_date: 2022-10-10", None),
        ("scale_visit_time: 0.9", "customer_id: [12, K000001]", 185),
    ]
    for kind, where, count in cases:
        body = f"assumptions:\n  a:\n    description: x\n    {kind}\n    where: {{ {where} }}\n"
        before, _, done = _applied(tmp_path, body)
        if count is None:  # the decisions of the date, those with a level below 29 moved
            decisions = before.tables["decisions"]
            chosen = decisions.filter(pl.col("start_date") == date(2022, 10, 10))
            count = chosen.filter(pl.col("level") < 29).height
            assert chosen.height == 8
        assert done[0].rows == count, (where, done[0])


def test_the_run_summary_says_what_was_assumed_and_accounts_for_removed_visits(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    result = CliRunner().invoke(
        main,
        ["run", str(ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml"),
         "--data", str(SAMPLE), "--month", "2024-02", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assumed = [line for line in result.output.splitlines() if line.startswith("antaget: ")]
    assert len(assumed) == 3
    # in Swedish, numbers too (they read "44776 of 75829 visits take 0.85 × their time")
    assert assumed[0].endswith(": 44\u00a0776 av 75\u00a0829 besök tar 0,85 × sin tid")
    assert assumed[2].endswith(": 31 beslut för 28 kunder flyttas 1 nivå ned (inom nivåerna 1–29)")
    assert "borttagna av antaganden" in result.output
    assert "(varje besök redovisat en gång)" in result.output


def test_the_committee_report_says_what_was_assumed_in_swedish(tmp_path: Path) -> None:
    """It read "1 of 7 visits take 0.9 × their time" under "Antaganden om beteende".
    Bergsjö's March: its 7 visits, 4 of them P1's visits of omsorg (V1–V4: the
    scenario's `where`), registered 10 % shorter."""
    from click.testing import CliRunner

    from engine.cli import main

    bergsjo = ROOT / "examples/bergsjo"
    scenario = tmp_path / "kortare.yaml"
    scenario.write_text(
        f"model: kortare\ntitle: Kortare\nextends: {bergsjo / 'model.yaml'}\n"
        "assumptions:\n  kortare:\n    description: P1 registrerar kortare tid\n"
        "    scale_visit_time: 0.9\n    where: { provider_id: P1, service: omsorg }\n",
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        main,
        ["compare", str(bergsjo / "model.yaml"), str(scenario), "--data", str(bergsjo / "data"),
         "--month", "2025-03", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = "antaget i B: P1 registrerar kortare tid (kortare): 4 av 7 besök tar 0,9 × sin tid"
    assert said in result.output.splitlines()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "B: P1 registrerar kortare tid (kortare): 4 av 7 besök tar 0,9 × sin tid" in report
    assert "visits take" not in report


def test_explain_shows_the_data_as_a_scenario_assumes_it():
    """`carepay explain` of a scenario traced the visits as registered, while its run
    and its letters paid them 15 % shorter: the explanation of a payment was not the
    payment. Every customer-month's explained amounts are now its statement lines."""
    from engine.api import explain_loaded

    scenario = ROOT / "scenarios/orebro/beteende_privata_kortare_tid.yaml"
    month = parse_month("2024-02")
    checked, _ = load(scenario, [month])
    dataset, _ = load_dataset(checked, SAMPLE)
    result = run_model(checked, dataset, [month])
    paid = result.lines.filter(pl.col("customer_id").is_not_null())
    owners = dataset.tables["providers"].filter(pl.col("ownership") == "private")
    private = paid.join(owners.select("provider_id"), on="provider_id")
    customers = private["customer_id"].unique().sort().head(12).to_list()
    for customer in customers:
        heading, traced = explain_loaded(checked, dataset, month, customer)
        assert "assumed: Privata utförare registrerar 15 % kortare besök" in heading
        explained = {
            (row.values["provider_id"], trace.name): round(trace.value * 100)
            for row, traces in traced
            if row.entity == "customer_month"
            for trace in traces
        }
        lines = paid.filter(pl.col("customer_id") == customer)
        assert explained == {
            (p, n): a
            for p, n, a in lines.select("provider_id", "payment", "amount_ore").iter_rows()
            if (p, n) in explained or a != 0
        }, customer


def test_a_factor_making_a_visit_last_longer_than_a_day_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    """`scale_visit_time: 1000000000` stopped the run with a traceback (an end past any
    date); a factor of 5 paid private visits of 5 × 6 h, rows the data would have
    rejected (visits last at most 24 hours). The longest private visit of the sample
    lasts 6 h: scaled by 4 it lasts 24 h, as long as a visit may; by 5, 30 h."""
    visits = pl.read_csv(SAMPLE / "visits.csv", try_parse_dates=True)
    private = pl.read_csv(SAMPLE / "providers.csv").filter(pl.col("ownership") == "private")
    mine = visits.filter(pl.col("provider_id").is_in(private["provider_id"].implode()))
    assert _minutes(mine).max() == 360
    body = "assumptions:\n  a:\n    description: x\n    scale_visit_time: {}\n    where: {{ownership: private}}\n"
    _, after, done = _applied(tmp_path, body.format(4))
    assert _minutes(after.tables["visits"]).max() == 24 * 60 and done[0].rows == mine.height
    over_a_day = int((_minutes(mine) * 5 > 24 * 60).sum())
    for factor, said in [
        (5, f"`scale_visit_time: 5` makes {over_a_day} of 75829 rows of `visits` last longer "
         "than 24 hours, the longest a row may last (`max_hours`)"),
        (1000000000, f"`scale_visit_time: 1000000000` makes {mine.height} of 75829 rows"),
    ]:  # fmt: skip
        with pytest.raises(EngineError) as caught:
            _applied(tmp_path, body.format(factor))
        (found,) = caught.value.diagnostics
        assert found.message.startswith(said), found.message
        assert found.span is not None and (found.span.line, found.span.col) == (6, 23)
        assert (
            found.hint
            == "the longest row chosen lasts 6 h: a factor of at most 4 keeps every row within 24 hours"
        )


def test_a_where_value_no_row_has_is_warned_of_at_its_line(tmp_path: Path) -> None:
    """`provider_id: [P01, P1O]` (an O for a 0) scaled P01's visits alone and said
    nothing of P1O: the run, and simulate (which showed the unchanged model's warnings
    alone), warn at the `where:` line."""
    from click.testing import CliRunner

    from engine.cli import main

    body = (
        "assumptions:\n  a:\n    description: x\n    scale_visit_time: 0.9\n"
        "    where: {provider_id: [P01, P1O]}\n"
    )
    before, _, done = _applied(tmp_path, body)
    p01 = before.tables["visits"].filter(pl.col("provider_id") == "P01").height
    assert done[0].rows == p01 > 0
    said = "assumption `a`: no row of the data has provider_id `P1O`, so it chose no row by it"
    (warning,) = done[0].warnings
    assert warning.message == said and warning.severity == "warning"
    assert warning.span is not None and warning.span.line == 7  # two lines before `body`
    checked, _ = load(_scenario(tmp_path, body), MONTHS)
    assert [
        w.message for w in run_model(checked, load_dataset(checked, SAMPLE)[0], MONTHS).warnings
    ].count(said) == 1
    result = CliRunner().invoke(
        main,
        ["simulate", str(ROOT / "rules/orebro"), "--scenario", str(_scenario(tmp_path, body)),
         "--data", str(SAMPLE), "--month", "2024-02"],
    )  # fmt: skip
    assert result.exit_code == 0 and f"warning[unknown-value]: {said}" in result.output, (
        result.output
    )
