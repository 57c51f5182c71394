"""A column's values name rows of another table (`references:`). Granby pays each
visit the standard time of the insatser on it, a table of the model's own keyed by
visit and insats: an insats row naming a visit the visits file does not have (V9) was
never paid and nobody was told — exit 0. Declared `references: visits`, such a row is
rejected with its reason; so is one naming a visit rejected as read."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from engine import runner
from engine.cli import main
from engine.diagnostics import Diagnostics
from engine.loader import load_model
from tests.harness import assert_cases_pass

GRANBY = Path(__file__).resolve().parent / "fixtures/granby"
MONTH = "2027-03"


def _run(tmp_path: Path, model: Path, data: Path) -> tuple[int, str, list[str]]:
    out = tmp_path / "out"
    args = ["run", str(model), "--data", str(data), "--month", MONTH, "--out", str(out)]
    ran = CliRunner().invoke(main, [*args, "--force"])
    rejects = (out / "rejects.csv").read_text(encoding="utf-8").splitlines()[1:]
    return ran.exit_code, ran.output, rejects


def _paid(tmp_path: Path) -> list[str]:
    """The statement lines: customer, payment and amount."""
    lines = pl.read_csv(tmp_path / "out/statement_lines.csv", infer_schema=False)
    return [
        f"{c or ''} {p} {a}"
        for c, p, a in lines.select("customer_id", "payment", "amount_kr").iter_rows()
    ]


def test_an_insats_of_a_visit_not_in_the_visits_file_is_a_rejected_row(tmp_path: Path) -> None:
    """By hand (§2, §3: 480 kr/h of the standard time, the executed time where under
    half of it): K1 50 + 20 + 105 min, K2 120 min = 295 min = 2 360,00 kr; §5: 4 h 55
    min less 3 h at 5 % of 480 kr/h = −46,00 kr. V9's dusch is no visit's: rejected,
    the amounts as before. V6's lunch is February's visit: in the file, not rejected."""
    code, output, rejects = _run(tmp_path, GRANBY / "model.yaml", GRANBY / "data")
    assert code == 3, output
    assert rejects == [
        'insatser,insatser.csv,9,"V9, dusch",,,visit_id,V9,unknown-reference,'
        "`visit_id` V9 names no row of the visits table"
    ]
    assert _paid(tmp_path) == ["K1 insatser 1400.00", "K2 insatser 960.00", " volym -46.00"]


def test_an_insats_of_a_rejected_visit_is_rejected_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(GRANBY / "data", data)
    visits = (data / "visits.csv").read_text(encoding="utf-8")
    (data / "visits.csv").write_text(visits.replace("V2,K1,P1,omsorg", "V2,K1,P1,dusch"))
    code, output, rejects = _run(tmp_path, GRANBY / "model.yaml", data)
    assert code == 3, output
    assert [r.split(",")[-1] for r in rejects] == [
        "`dusch` is not a known service (code list `service`)",  # the visit
        "`visit_id` V2 names no row of the visits table (its row there was rejected)",
        "`visit_id` V9 names no row of the visits table",
    ]
    assert rejects[1].startswith('insatser,insatser.csv,4,"V2, frukost"')


def test_without_references_the_insats_is_left_unpaid_in_silence(tmp_path: Path) -> None:
    """What the declaration changes: without it, V9's row is read and joins no visit."""
    model = tmp_path / "model.yaml"
    text = (GRANBY / "model.yaml").read_text(encoding="utf-8")
    model.write_text(text.replace(", references: visits", ""), encoding="utf-8")
    code, output, rejects = _run(tmp_path, model, GRANBY / "data")
    assert (code, rejects) == (0, []), output


def test_a_table_read_a_month_at_a_time_is_looked_up_in_its_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run read a month at a time (a year of a country's visits) reads the other
    tables before the visits: their references to the visits are looked up in the
    whole visits file (V6, of February, is there; V9 is not)."""
    data = tmp_path / "data"
    data.mkdir()
    for csv_file in (GRANBY / "data").glob("*.csv"):
        frame = pl.read_csv(csv_file, infer_schema=False)
        if csv_file.stem == "visits":
            frame = frame.with_columns(pl.col("start", "end").str.to_datetime("%Y-%m-%d %H:%M"))
        frame.write_parquet(data / f"{csv_file.stem}.parquet")
    monkeypatch.setattr(runner.monthly, "applies", lambda *_: True)
    code, output, rejects = _run(tmp_path, GRANBY / "model.yaml", data)
    assert code == 3, output
    assert [r.split(",")[-1] for r in rejects] == ["`visit_id` V9 names no row of the visits table"]
    assert _paid(tmp_path) == ["K1 insatser 1400.00", "K2 insatser 960.00", " volym -46.00"]


def _with_staff(tmp_path: Path, column: str, staff: str) -> tuple[Path, Path]:
    """Granby with a staff table of its own (`personal`, its `staff`), and a `column`
    declared under `vocabulary: {columns: …}` that references it."""
    model = tmp_path / "model.yaml"
    text = (GRANBY / "model.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  tables:\n",
        f"  columns:\n    {column}\n"
        "  tables:\n    personal:\n      key: [staff_id]\n      columns:\n"
        "        staff_id: { type: text, nullable: false, required: true }\n",
    )
    model.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(GRANBY / "data", data)
    (data / "personal.csv").write_text(f"staff_id\n{staff}\n", encoding="utf-8")
    return model, data


def test_a_visits_staff_named_in_the_models_staff_table(tmp_path: Path) -> None:
    """carepay's own column may reference a table of the model's (`visits.staff_id`,
    the staff list); the staff table is read for it although no formula reads it."""
    model, data = _with_staff(
        tmp_path, "visits:\n      staff_id: { references: personal }", "S1\nS2"
    )
    visits = (data / "visits.csv").read_text(encoding="utf-8").splitlines()
    staff = ["staff_id", "S1", "S2", "S1", "S9", "S2", "S1"]
    (data / "visits.csv").write_text(
        "\n".join(f"{line},{s}" for line, s in zip(visits, staff, strict=True)) + "\n"
    )
    code, output, rejects = _run(tmp_path, model, data)
    assert code == 3, output
    assert [r.split(",")[-1] for r in rejects] == [
        "`staff_id` S9 names no row of the personal table",  # V4: the visit
        "`visit_id` V4 names no row of the visits table (its row there was rejected)",
        "`visit_id` V9 names no row of the visits table",
    ]
    # K1's visits alone (K2's V4 rejected): 175 min, under the volume limit of 3 h
    assert _paid(tmp_path) == ["K1 insatser 1400.00"]
    said = CliRunner().invoke(main, ["tables", str(model)]).output
    assert said.count("ett värde som inte finns som id i personal avvisar raden") == 1, said
    assert "ett värde som inte finns som id i visits avvisar raden" in said


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            "references: visit",
            "`insatser.visit_id` references no table `visit` (did you mean `visits`?)",
        ),
        (
            "references: insatser",
            "`insatser.visit_id` references `insatser`, whose key is of 2 columns: a value "
            "can name a row only by a key of one column",
        ),
        (
            "references: providers, type: integer",
            "`insatser.visit_id` is an integer column, but the key `provider_id` of "
            "`providers` it references is text",
        ),
    ],
)
def test_a_reference_to_no_table_or_by_no_single_key_is_a_located_error(
    tmp_path: Path, declared: str, message: str
) -> None:
    model = tmp_path / "model.yaml"
    text = (GRANBY / "model.yaml").read_text(encoding="utf-8")
    model.write_text(
        text.replace("type: text, nullable: false, required: true, references: visits", declared)
        if "type:" in declared
        else text.replace("references: visits", declared),
        encoding="utf-8",
    )
    diags = Diagnostics()
    load_model(model, diags)
    errors = [f"{d.message} ({d.hint})" if d.hint else d.message for d in diags.errors]
    assert any(message in e for e in errors), errors
    [line] = {d.span.line for d in diags.errors if d.span is not None}
    assert "visit_id:" in model.read_text(encoding="utf-8").splitlines()[line - 1]


def test_the_docs_example_checks_as_part_of_granby(tmp_path: Path) -> None:
    """docs/language.md's example of `references:`, in a file extending Granby: it
    checks clean (its insatser replace Granby's, its visits name their staff)."""
    language = (Path(__file__).resolve().parent.parent / "docs/language.md").read_text("utf-8")
    section = language[language.index("**A column that names rows of another table**") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n")]
    model = tmp_path / "variant.yaml"
    model.write_text(
        f"model: granby-variant\ntitle: V\nextends: {GRANBY / 'model.yaml'}\n{block}",
        encoding="utf-8",
    )
    diags = Diagnostics()
    loaded = load_model(model, diags)
    assert loaded is not None and not diags.errors, [d.message for d in diags]
    tables = loaded.vocabulary.tables
    assert tables["visits"].columns["staff_id"].references == "personal"
    assert tables["insatser"].columns["visit_id"].references == "visits"


def test_granbys_hand_computed_cases(tmp_path: Path) -> None:
    """Granby's cases (tests/fixtures/granby/tests), each computed by hand from its
    sections; the last one's insats of no visit is an error of the case's rows, as a
    rejected row of a run (it passed before, the insats unpaid)."""
    assert_cases_pass(GRANBY, 6)


def test_generated_data_has_an_insats_for_each_visit(tmp_path: Path) -> None:
    """`generate --model` made the insatser one row a month, `insatser-1, insatser-1`:
    a visit no file had and an insats outside the column's own list, both rejected.
    A table whose column references a generated table has a row for each row there,
    and a key of codes takes them in turn."""
    data = tmp_path / "data"
    args = ["generate", "--profile", "orebro", "--customers", "20", "--start", MONTH]
    made = CliRunner().invoke(
        main, [*args, "--model", str(GRANBY / "model.yaml"), "--out", str(data)]
    )
    assert made.exit_code == 0, made.output
    visits = pl.read_csv(data / "visits.csv", infer_schema=False)
    insatser = pl.read_csv(data / "insatser.csv", infer_schema=False)
    assert insatser["visit_id"].to_list() == visits["visit_id"].to_list()
    assert set(insatser["insats"]) == {"dusch", "frukost", "lunch", "inköp", "städ", "tillsyn"}
    code, output, rejects = _run(tmp_path, GRANBY / "model.yaml", data)
    assert (code, rejects) == (0, []), output


def test_a_customers_column_may_reference_a_table_of_the_models(tmp_path: Path) -> None:
    """The customers' table is checked before the others (they name its customers):
    its references are looked up there too — K2's contact S9 is no staff member."""
    declared = "customers:\n      kontakt: { type: text, references: personal }"
    model, data = _with_staff(tmp_path, declared, "S1")
    (data / "customers.csv").write_text(
        "customer_id,district,kontakt\nK1,Centrum,S1\nK2,Skogen,S9\n", encoding="utf-8"
    )
    code, output, rejects = _run(tmp_path, model, data)
    assert code == 3, output
    assert rejects[0].endswith("`kontakt` S9 names no row of the personal table"), rejects
    assert rejects[0].startswith("customers,customers.csv,3,K2,K2,"), rejects


def test_an_insats_of_a_visit_whose_id_a_later_row_repeats_is_kept(tmp_path: Path) -> None:
    """A second V1 in the visits file is rejected (`duplicate-id`), the first kept and
    paid: its insatser were rejected beside it, "its row there was rejected", and V1 was
    paid nothing for them (2 360,00 kr came to 1 960,00)."""
    data = tmp_path / "data"
    shutil.copytree(GRANBY / "data", data)
    with (data / "visits.csv").open("a", encoding="utf-8") as visits:
        visits.write("V1,K1,P1,omsorg,2027-03-09 08:00,2027-03-09 08:30\n")
    code, output, rejects = _run(tmp_path, GRANBY / "model.yaml", data)
    assert code == 3, output
    assert [r.split(",")[-1] for r in rejects] == [
        "`visit_id` V1 appears more than once (first on row 2)",
        "`visit_id` V9 names no row of the visits table",
    ]
    assert _paid(tmp_path) == ["K1 insatser 1400.00", "K2 insatser 960.00", " volym -46.00"]
