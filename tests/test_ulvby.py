"""Ulvby, a model written from docs/language.md alone: home care by executed time,
each visit rounded up to whole five minutes, with a supplement in the sparsely
populated zone; day activity per day of attendance from a table of its own that may
be left out (`optional: true`, `in_order:`, `max_hours:`, `references:`, a payment per
row), a full day's amount from four hours; an introduction amount in the first three
calendar months of a provider's first omsorg decision (`min` over the customer's
decision history naming the outer row, `add_months`, `coalesce` of a comparison); and
a provider's quality bonus where `all` its counted omsorg visits were tagged. Each
amount computed by hand. What it found: a run whose attendance file was not in the
data ended "slutstatus 5: 1 varning om värden som saknades där ett belopp behövde
dem" — a wrong value, to a controller — where a whole table was missing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_case_says, assert_cases_pass, names_in_engine, run_and_read

ULVBY = Path(__file__).resolve().parent / "fixtures/ulvby"
MODEL = ULVBY / "model.yaml"
DATA = ["--data", str(ULVBY / "data")]
COLUMNS = ("provider_id", "customer_id", "payment", "row", "quantity", "amount_kr")


def test_march_by_hand(tmp_path: Path) -> None:
    """K1 (P1, Centrum): V1 22 → 25 min, V2 30, V3 41 → 45 (V4 declined): 100 min ×
    420 kr/h = 700; attendance N1 6 h 600, N2 3,5 h 300; first omsorg decision with P1
    on 20 January, so March is its third month: 1 000. K2 (P1, Skogen): V5 50 min, 350
    × 1,12 = 392; N3 exactly 4 h 600; decision from 10 March: 1 000. K3 (P2, Norra): V6
    13 → 15, V7 01:30–03:20 on the night the clocks go forward, 50 minutes passed, V8
    40: 105 min 735; N5 600 (N4 is February's); first with P2 on 31 December, whose
    third month ended in February: nothing. K1 with P2, attendance alone (N6, 4 h 59
    min): 600. P2's counted visits all tagged: 3 % of 735 = 22,05; P1 registered V3 by
    hand: nothing. In all 6 549,05 kr, exit 0."""
    paid, _ = run_and_read(MODEL, [*DATA, "--month", "2027-03"], tmp_path / "out", COLUMNS)
    assert paid == [
        ("P1", "K1", "dagverksamhet", "N1", "", "600.00"),
        ("P1", "K1", "dagverksamhet", "N2", "", "300.00"),
        ("P1", "K1", "hemtjänst", "", "1.6667", "700.00"),
        ("P1", "K1", "introduktion", "", "", "1000.00"),
        ("P1", "K2", "dagverksamhet", "N3", "", "600.00"),
        ("P1", "K2", "hemtjänst", "", "0.8333", "392.00"),
        ("P1", "K2", "introduktion", "", "", "1000.00"),
        ("P2", "", "kvalitet", "", "", "22.05"),
        ("P2", "K1", "dagverksamhet", "N6", "", "600.00"),
        ("P2", "K3", "dagverksamhet", "N5", "", "600.00"),
        ("P2", "K3", "hemtjänst", "", "1.75", "735.00"),
    ]
    total = sum(int(amount.replace(".", "")) for *_, amount in paid)
    assert total == 654905


def test_ulvbys_hand_computed_cases() -> None:
    assert_cases_pass(ULVBY, 12)


def test_an_attendance_file_not_in_the_data_is_said_as_such(tmp_path: Path) -> None:
    """Without `närvaro.csv` (a table the model declares `optional: true`) the month is
    paid without day activity, the run warns that the table is missing, and exits 5 —
    saying so: its reason read "1 varning om värden som saknades där ett belopp behövde
    dem", a wrong value to a controller, where a whole table was not in the data. An
    empty file with its headings is no day activity, exit 0."""
    data = tmp_path / "data"
    shutil.copytree(ULVBY / "data", data)
    headings = (data / "närvaro.csv").read_text("utf-8").splitlines()[0]
    (data / "närvaro.csv").unlink()
    args = ["run", str(MODEL), "--data", str(data), "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert ran.exit_code == 5, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "warning[missing-table]: the data has no `närvaro` table" in said
    assert (
        "slutstatus 5: en tabell som modellen läser saknades i indata och lästes som tom "
        "(utdata är skrivna; granska innan ni betalar)"
    ) in said
    assert "summa                           3 849,05" in said  # 6 549,05 less 2 700
    (data / "närvaro.csv").write_text(headings + "\n", "utf-8")
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b")])
    assert ran.exit_code == 0, ran.output


def test_a_row_naming_a_customer_rejected_says_so_once(tmp_path: Path) -> None:
    """A customer in no zone (K2 in `Skogsbyn`) is a rejected row, and so is each row
    naming K2. The attendance row N3 said it twice — as a customer's id and as the
    column's `references: customers` — and its warning read "1 row rejected: … (and
    others like it)"."""
    data = tmp_path / "data"
    shutil.copytree(ULVBY / "data", data)
    text = (data / "customers.csv").read_text("utf-8").replace("K2,Skogen", "K2,Skogsbyn")
    (data / "customers.csv").write_text(text, "utf-8")
    out = tmp_path / "out"
    args = ["run", str(MODEL), "--data", str(data), "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 3, ran.output
    said = (
        "närvaro.csv:customer_id: warning[rejected-rows]: 1 row rejected: customer `K2` is "
        "not in the customers table (its row there was rejected)\n"
    )
    assert said in ran.output
    rejects = (out / "rejects.csv").read_text("utf-8").splitlines()
    (n3,) = [line for line in rejects if line.startswith("närvaro,")]
    assert n3.endswith(
        ",customer_id,K2,unknown-reference,customer `K2` is not in the customers table "
        "(its row there was rejected)"
    )


def test_time_bands_of_attendance_say_how(tmp_path: Path) -> None:
    """`minutes_in(tidsband, "natt")` on an attendance day, whose times are `ankom` and
    `hem`, is an error that said only that the row has no `start`: it says how — the
    table's times named `start` and `end`, or a daily window of its own columns."""
    text = MODEL.read_text("utf-8").replace(
        "../../../schemas", str(ULVBY.parent.parent.parent / "schemas")
    )
    text = text.replace(
        "parameters:\n",
        "parameters:\n  tidsband:\n    kind: bands\n    values:\n      2027-01-01:\n"
        '        - { name: natt, from: "22:00", to: "07:00" }\n        - { name: dag }\n',
        1,
    )
    defined = '      formula: hem - ankom\n      source: "§3"\n'
    text = text.replace(defined, defined + '    natt: minutes_in(tidsband, "natt")\n', 1)
    model = tmp_path / "model.yaml"
    model.write_text(text, "utf-8")
    ran = CliRunner().invoke(main, ["check", str(model)])
    assert ran.exit_code == 1, ran.output
    assert (
        "= hint: name the table's times `start` and `end` (a columns.yaml beside the data "
        "maps an export's own names to them), or take a daily window of its own: "
        "minutes_within(ankom, hem, 22:00, 07:00)"
    ) in ran.output


def test_attendance_times_named_start_and_end_split_into_bands(tmp_path: Path) -> None:
    """The same table with its times named `start` and `end`: `minutes_in` splits an
    attendance 05:00–15:00 into 120 minutes of night (to 07:00) and 480 of day."""
    text = MODEL.read_text("utf-8").replace(
        "../../../schemas", str(ULVBY.parent.parent.parent / "schemas")
    )
    text = re.sub(r"\bankom\b", "start", re.sub(r"\bhem\b", "end", text))
    text = text.replace(
        "parameters:\n",
        "parameters:\n  tidsband:\n    kind: bands\n    values:\n      2027-01-01:\n"
        '        - { name: natt, from: "22:00", to: "07:00" }\n        - { name: dag }\n',
        1,
    )
    defined = '      formula: end - start\n      source: "§3"\n'
    assert defined in text
    text = text.replace(
        defined,
        defined + '    natt: minutes_in(tidsband, "natt")\n    dag: minutes_in(tidsband, "dag")\n',
        1,
    )
    (tmp_path / "model.yaml").write_text(text, "utf-8")
    cases = """\
model: model.yaml
defaults:
  input:
    customers: [{ customer_id: K1, district: Centrum }]
    providers: [{ provider_id: P1, name: Ulvby Omsorg AB, ownership: private }]
    decisions: [{ decision_id: B1, customer_id: K1, provider_id: P1, service: omsorg, start_date: 2026-01-01 }]
tests:
  - name: en dag från fem på morgonen
    month: 2027-03
    input:
      närvaro: [{ närvaro_id: N1, customer_id: K1, provider_id: P1, datum: 2027-03-04, start: 2027-03-04 05:00, end: 2027-03-04 15:00 }]
    output:
      närvarodag:
        N1: { vistelse: 600 min, natt: 120 min, dag: 480 min, dagverksamhet: 600 }
"""
    assert_case_says(tmp_path, cases, "1 godkända, 0 underkända")


def test_a_comparison_pays_each_model_by_its_own_reading(tmp_path: Path) -> None:
    """Ulvby against a variant whose attendance lasts at most 5 hours: the variant's
    own run rejects N1 (6 h) and N5 (8 h) and pays 5 349,05 kr (6 549,05 less 2 × 600).
    `compare` read the data once, by the first model's rules, paid the variant 6 549,05
    and said the two pay the same. Where two models read the data differently (here
    `max_hours:`), each reads it by its own rules, and the comparison says so."""
    text = MODEL.read_text("utf-8").replace(
        "../../../schemas", str(ULVBY.parent.parent.parent / "schemas")
    )
    variant = tmp_path / "variant.yaml"
    variant.write_text(text.replace("      max_hours: 14\n", "      max_hours: 5\n"), "utf-8")
    out = tmp_path / "out"
    args = ["run", str(variant), *DATA, "--month", "2027-03", "--out", str(out)]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 3, ran.output
    own = sum(int(line.split(",")[8].replace(".", "")) for line in
              (out / "statement_lines.csv").read_text("utf-8").splitlines()[1:])  # fmt: skip
    args = ["compare", str(MODEL), str(variant), *DATA, "--month", "2027-03", "--lang", "en"]
    ran = CliRunner().invoke(main, args)
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    assert "warning[read-differently]: the two models read the data differently" in said
    assert "`närvaro`: max_hours: 14 → 5" in said
    total = next(line for line in said.splitlines() if line.startswith("total"))
    assert total.split()[1:4] == ["6", "549.05", "5"], total
    assert own == 534905


def test_a_scenario_reading_the_data_otherwise_is_simulated_by_its_own_reading(
    tmp_path: Path,
) -> None:
    """`simulate --scenario` of a scenario that declares the attendance table again with
    `max_hours: 5` (a table declared again is replaced whole): the scenario's side is
    its own run, 5 349,05 kr (it was the model's reading, 6 549,05); an attribution of
    its parts, which would each need a reading of their own, is refused, saying so."""
    text = MODEL.read_text("utf-8")
    table = text[text.index("    närvaro:\n      key:") : text.index("  entities:")]
    scenario = tmp_path / "kortare.yaml"
    scenario.write_text(
        f"model: ulvby-kortare\nextends: {MODEL}\nvocabulary:\n  tables:\n"
        + table.replace("max_hours: 14", "max_hours: 5"),
        "utf-8",
    )
    args = ["simulate", str(MODEL), "--scenario", str(scenario), *DATA, "--month", "2027-03"]
    ran = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert ran.exit_code == 0, ran.output
    said = ran.output.replace("\u00a0", " ")
    total = next(line for line in said.splitlines() if line.startswith("total"))
    assert total.split()[1:6] == ["6", "549.05", "5", "349.05", "-1"], total
    ran = CliRunner().invoke(main, [*args, "--set", "timpris=430 SEK/h", "--attribute"])
    assert ran.exit_code == 2, ran.output
    assert "--attribute needs one reading of it" in ran.output


def test_a_studio_edit_reading_the_data_otherwise_pays_what_a_fresh_run_pays(
    tmp_path: Path,
) -> None:
    """The studio reads the data once, for the saved model. An edit to `max_hours: 5`
    showed 6 549,05 kr (the saved reading) where a fresh run of it pays 5 349,05, and
    an edit reading a column the saved model does not (`staff_id`) stopped with Polars'
    "unable to find column". Such an edit reads the data for itself."""
    from engine.api import parse_month
    from engine.workspace import edit, open_workspace

    text = MODEL.read_text("utf-8").replace(
        "../../../schemas", str(ULVBY.parent.parent.parent / "schemas")
    )
    (tmp_path / "model.yaml").write_text(text, "utf-8")
    month = parse_month("2027-03")
    ws = open_workspace(tmp_path / "model.yaml", ULVBY / "data", [month])
    shorter = text.replace("max_hours: 14", "max_hours: 5")
    answer = edit(ws, {"model.yaml": shorter})
    assert answer["ok"], answer["diagnostics"]
    assert int(ws.current.result.lines["amount_ore"].sum()) == 534905
    assert any("more than 5 h" in d["message"] for d in answer["diagnostics"])
    by_staff = text.replace(
        '      formula: registration == "tag"\n',
        '      formula: registration == "tag" and staff_id != "S4"\n',
    )
    answer = edit(ws, {"model.yaml": by_staff})
    assert answer["ok"], answer["diagnostics"]
    assert int(ws.current.result.lines["amount_ore"].sum()) == 654905 - 2205  # P2's bonus
    assert int(ws.saved.result.lines["amount_ore"].sum()) == 654905


def test_ulvbys_vocabulary_is_its_own() -> None:
    own = {"ulvby", "närvaro", "närvarodag", "ankom", "vistelse", "taggad", "heldag"}
    assert not names_in_engine(MODEL, own)
