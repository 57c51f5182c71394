"""`carepay tables`: the data a model reads, table by table and column by column, as
the reader decides it — what a municipality asks of the system that exports its data.
A new municipality's model declares its own columns and code lists; without this it had
to read the engine (or run and be told, one missing column at a time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.api import data_contract, load, load_dataset
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "tests/fixtures/fjallby"


@pytest.mark.parametrize(
    ("model", "data"),
    [
        ("rules/orebro", "examples/orebro"),
        ("rules/norrtalje", "examples/orebro"),
        ("examples/lovstad/model.yaml", "examples/lovstad/data"),
        ("examples/bergsjo/model.yaml", "examples/bergsjo/data"),
        ("tests/fixtures/fjallby/model.yaml", "tests/fixtures/fjallby/data"),
    ],
)
def test_the_specification_is_what_the_reader_reads(model, data):
    """Every table listed is read in exactly the columns listed; every table not
    listed is not read."""
    checked, _ = load(ROOT / model)
    dataset, _ = load_dataset(checked, ROOT / data)
    listed = {t.table.name: {c.name for c in t.columns} for t in data_contract(checked)}
    for name, frame in dataset.tables.items():
        if name in dataset.unread or name not in listed:
            assert name not in listed or name in dataset.unread or frame.height == 0, name
            continue
        assert set(frame.columns) == listed[name], name
    assert not set(dataset.unread) & set(listed)


def test_a_models_own_columns_and_code_lists_are_listed_in_swedish():
    ran = CliRunner().invoke(main, ["tables", str(OWN / "model.yaml")])
    assert ran.exit_code == 0, ran.output
    text = ran.output
    assert text.startswith(
        "Data som Ersättning inom hemtjänst, Fjällby kommun (fjallby-hemtjanst) läser"
    )
    visits = text[text.index("visits — måste finnas") :]
    assert (
        "  status       text                              ja            nej           ja\n    värden: utförd, avbokad, uteblivet\n"
        in visits
    )
    assert (
        "  avbokad_kl   datum och tid (ÅÅÅÅ-MM-DD TT:MM)  ja            ja            ja\n    När kunden avbokade besöket\n"
        in visits
    )
    assert "    värden: minst 0\n    Avstånd från utförarens kontor i km\n" in text
    assert "zones — får saknas (läses då som tom)" in text
    orebro = CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro")]).output
    assert "    saknas kolumnen läses varje rad som nej\n" in orebro  # a yes-or-no's default
    # a number may carry its column's unit, as the reader reads it (`1 234,50 kr`)
    amount = "  special_amount   tal (SEK)           ja            ja            ja\n"
    assert amount + "    värden: minst 0\n    skrivs 12,5 eller 12,5 kr\n" in orebro
    assert "decisions" not in text  # the model reads no decision
    document = json.loads(
        CliRunner().invoke(main, ["tables", str(OWN / "model.yaml"), "--format", "json"]).output
    )
    [visits_json] = [t for t in document["tables"] if t["table"] == "visits"]
    [status] = [c for c in visits_json["columns"] if c["column"] == "status"]
    assert status == {
        "column": "status", "heading": "status", "type": "text", "unit": None, "required": True,
        "nullable": False,
        "values": ["utförd", "avbokad", "uteblivet"], "minimum": None, "maximum": None,
        "default": None, "read_by_rules": True,
    }  # fmt: skip


def test_templates_are_written_with_the_headings_and_never_over_a_file(tmp_path):
    out = tmp_path / "mall"
    ran = CliRunner().invoke(main, ["tables", str(OWN / "model.yaml"), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert (out / "visits.csv").read_text(encoding="utf-8") == (
        "visit_id,customer_id,provider_id,service,start,end,status,avbokad_kl\n"
    )
    assert (out / "customers.csv").read_text(
        encoding="utf-8"
    ) == "customer_id,district,avstånd_km\n"
    assert (out / "dataspecifikation.txt").read_text(encoding="utf-8").startswith("Data som ")
    (out / "visits.csv").write_text("mine\n", encoding="utf-8")
    ran = CliRunner().invoke(main, ["tables", str(OWN / "model.yaml"), "--out", str(out)])
    assert ran.exit_code == 1
    assert "already has customers.csv, providers.csv, visits.csv" in ran.output
    assert "nothing was written" in ran.output
    assert (out / "visits.csv").read_text(encoding="utf-8") == "mine\n"


def test_the_fixture_models_hand_computed_cases_pass():
    """The ninth municipality's model (Fjällby: executed time by service, a late
    cancellation paid its planned time up to two hours, travel beyond ten kilometres),
    written from docs/language.md alone, with amounts computed by hand."""
    ran = CliRunner().invoke(main, ["test", str(OWN / "tests")])
    assert ran.exit_code == 0, ran.output
    assert ran.output.strip().endswith("6 godkända, 0 underkända")


HAGBY = ROOT / "tests/fixtures/hagby"


def test_with_the_data_each_file_and_column_is_named_as_the_export_names_it(tmp_path):
    """A municipality whose export names its columns its own way (`columns.yaml`) got a
    specification, and templates, in carepay's names only: `visit_id`, where its
    system writes `Besök`, and a file `visits.csv` where it writes `Besök.csv` — to be
    translated back by hand for the vendor. With --data, theirs, and carepay's beside."""
    data = tmp_path / "data"
    data.mkdir()
    names = (HAGBY / "data/columns.yaml").read_text(encoding="utf-8")
    names = names.replace(
        "  Beviljade minuter: granted_minutes", '  "Minuter, beviljade": granted_minutes'
    )
    (data / "columns.yaml").write_text(names + "Besök: visits\n", encoding="utf-8")
    ran = CliRunner().invoke(main, ["tables", str(HAGBY), "--data", str(data)])
    assert ran.exit_code == 0, ran.output
    visits = ran.output[ran.output.index("Besök (visits) — måste finnas") :]
    assert visits.splitlines()[1:9] == [
        "  kolumn i exporten  i carepay    typ                               måste finnas  får vara tom  läses av regler",
        "  Besök              visit_id     text                              ja            nej",
        "  Kund-ID            customer_id  text                              ja            nej           ja",
        "  Utförar-ID         provider_id  text                              ja            nej           ja",
        "  Insats             service      text                              ja            nej           ja",
        "    värden: omsorg, trygghetslarm",
        "  Start              start        datum och tid (ÅÅÅÅ-MM-DD TT:MM)  ja            nej           ja",
        "  Slut               end          datum och tid (ÅÅÅÅ-MM-DD TT:MM)  ja            nej           ja",
    ]
    assert "    en rad där Slut är före Start avvisas" in visits
    assert "\ndecisions — måste finnas\n" in ran.output  # named as carepay names it
    spec = json.loads(
        CliRunner()
        .invoke(main, ["tables", str(HAGBY), "--data", str(data), "--format", "json"])
        .output
    )
    tables = {t["table"]: t for t in spec["tables"]}
    assert (tables["visits"]["file"], tables["decisions"]["file"]) == ("Besök", "decisions")
    headings = {c["column"]: c["heading"] for c in tables["decisions"]["columns"]}
    assert headings["granted_minutes"] == "Minuter, beviljade"
    assert headings["level"] == "level"  # columns.yaml names it not: carepay's name
    out = tmp_path / "mall"
    ran = CliRunner().invoke(main, ["tables", str(HAGBY), "--data", str(data), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert (out / "Besök.csv").read_text(encoding="utf-8") == (
        "Besök,Kund-ID,Utförar-ID,Insats,Start,Slut,Avböjt\n"
    )
    assert (out / "decisions.csv").read_text(encoding="utf-8") == (
        'Beslut,Kund-ID,Utförar-ID,Insats,Från,Till,level,"Minuter, beviljade"\n'
    )
    assert not (out / "visits.csv").exists()
    assert (out / "columns.yaml").read_text(encoding="utf-8") == names + "Besök: visits\n"
    # the templates read as they are: every table and column found (no rows: a month of none)
    run = [str(HAGBY), "--data", str(out), "--month", "2027-03", "--out", str(tmp_path / "ut")]
    ran = CliRunner().invoke(main, ["run", *run])
    assert ran.exit_code == 4, ran.output
    assert "error[" not in ran.output and "empty-month" in ran.output


def test_a_mistake_in_the_datas_column_names_is_said_at_its_line(tmp_path):
    (tmp_path / "columns.yaml").write_text("visits:\n  Besök: besöks_id\n", encoding="utf-8")
    ran = CliRunner().invoke(main, ["tables", str(HAGBY), "--data", str(tmp_path)])
    assert ran.exit_code == 1, ran.output
    assert f"{tmp_path / 'columns.yaml'}:2:" in ran.output
    assert "besöks_id" in ran.output


def test_a_table_that_rejects_a_repeated_row_says_so():
    """The system exporting the data is told which tables reject a row that repeats an
    earlier one (`duplicate-row`): carepay's decisions (alike but for their id) and
    outages, not its visits."""
    ran = CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro")])
    sections = {s.split(" — ")[0]: " ".join(s.split()) for s in ran.output.split("\n\n")}
    said = "en rad som är lik en tidigare i varje kolumn"
    assert (
        f"{said} utom decision_id avvisas (samma rad exporterad två gånger)"
        in (sections["decisions"])
    )
    assert said in sections["outages"] and said not in sections["visits"], ran.output
    document = json.loads(
        CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro"), "--format", "json"]).output
    )
    rejected = {t["table"]: t["repeated_rows_rejected"] for t in document["tables"]}
    assert rejected["decisions"] and rejected["outages"] and not rejected["visits"], rejected


def test_the_models_data_requirements_are_said_under_their_tables():
    """A model rejects a row lacking what a data requirement asks (an omsorg decision
    with no level, granted time or agreed amount): the specification an export is made
    from said nothing of it, and the export's rows were rejected only when run."""
    ran = CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro")])
    sections = {s.split(" — ")[0]: " ".join(s.split()) for s in ran.output.split("\n\n")}
    assert (
        "en rad där service är omsorg och level, granted_minutes och special_amount alla "
        "är tomma avvisas: omsorgsbeslutet har varken nivå, beviljad tid eller avtalat "
        "belopp (§3.1.1, §4.1.1)"
    ) in sections["decisions"], ran.output
    assert (
        "en rad där service är hsl_delegerad och profession är tom avvisas: HSL-besöket "
        "anger inte vilken yrkesgrupp som delegerat insatsen (§3.5)"
    ) in sections["visits"]
    assert (
        "en rad där från_särskild_ersättning är nej och from_level är tom avvisas"
        in sections["premium_claims"]
    )
    assert "avvisas:" not in sections["providers"]
    document = json.loads(
        CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro"), "--format", "json"]).output
    )
    [claims] = [t for t in document["tables"] if t["table"] == "premium_claims"]
    assert claims["requirements"] == [
        {
            "name": "ansökan_anger_från_nivå",
            "where": {"från_särskild_ersättning": [False]},
            "any_of": ["from_level"],
            "reason": "ansökan om effektpremie för en nivåsänkning anger inte från vilken "
            "omsorgsnivå (§4.2)",
        }
    ]
