"""The terminal speaks Swedish by default and English with `--lang en` (#16 item 6),
and long work shows its progress by stage, not as a bar that jumps 0 → 100 %."""

from __future__ import annotations

import csv
import io
import json
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from engine.cli import main
from engine.phrases import LANGUAGES, PHRASES, amount, say, signed
from engine.progress import TerminalStages
from engine.runner import Job, execute
from engine.testing import run_file
from tests.harness import Recorder

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "examples/hemtjanst/model.yaml")
DATA = str(ROOT / "examples/hemtjanst/data")
NBSP = "\u00a0"

SWEDISH = f"""\
Ersättning inom hemtjänst, Exempelby kommun (exempel) (exempel-hemtjanst), 2024-01 – 2024-02
besök i indata 349 = räknade 329 + ej räknade 20 + avvisade 0  (varje besök redovisat en gång)
utförare  kategori                    belopp (kr)
P1        fast månadsersättning          4{NBSP}000,00
P1        nivårelaterad                 36{NBSP}763,45
P2        nivårelaterad                 38{NBSP}605,35
P2        rörlig                         4{NBSP}410,00
P3        nivårelaterad                 38{NBSP}485,86
summa                                  122{NBSP}264,66
57 specifikationsrader skrivna till {{out}} (med manifest.json)
"""

ENGLISH = """\
Ersättning inom hemtjänst, Exempelby kommun (exempel) (exempel-hemtjanst), 2024-01 – 2024-02
input visits 349 = counted 329 + excluded 20 + rejected 0  (every visit accounted for once)
provider  category                   amount (SEK)
P1        fast månadsersättning          4 000.00
P1        nivårelaterad                 36 763.45
P2        nivårelaterad                 38 605.35
P2        rörlig                         4 410.00
P3        nivårelaterad                 38 485.86
total                                  122 264.66
57 statement lines written to {out} (with manifest.json)
"""


def _run(out: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    args = ["run", MODEL, "--data", DATA, "--month", "2024-01", "--to", "2024-02"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--force", *extra], env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ((), None, SWEDISH),
        (("--lang", "en"), None, ENGLISH),
        ((), {"CAREPAY_LANG": "en"}, ENGLISH),
        (("--lang", "sv"), {"CAREPAY_LANG": "en"}, SWEDISH),  # the option wins
    ],
    ids=["default", "--lang en", "CAREPAY_LANG=en", "--lang over the variable"],
)
def test_the_run_summary_in_the_readers_language(tmp_path, extra, env, expected):
    out = tmp_path / "out"
    assert _run(out, *extra, env=env) == expected.format(out=out)


def test_an_unknown_language_is_a_usage_error():
    result = CliRunner().invoke(main, ["check", MODEL, "--lang", "de"])
    assert result.exit_code == 2 and "'de' is not one of 'sv', 'en'" in result.output


@pytest.mark.parametrize(
    ("args", "swedish", "english"),
    [
        (["check", MODEL], "ok: 1 modellfil kontrollerad, inga problem", "ok: 1 model file checked, no problems"),
        (["test", str(ROOT / "examples/hemtjanst/tests")], "12 godkända, 0 underkända", "12 passed, 0 failed"),
        (["simulate", MODEL, "--data", DATA, "--month", "2024-02", "--set", "vak_timpris=400"],
         "kundmånader som får mer: 0, mindre: 1, lika: 23",
         "customer-months paid more: 0, less: 1, the same: 23"),
    ],
    ids=["check", "test", "simulate"],
)  # fmt: skip
def test_each_summary_speaks_both_languages(args, swedish, english):
    assert swedish in CliRunner().invoke(main, args).output
    assert english in CliRunner().invoke(main, [*args, "--lang", "en"]).output


HEMTJANST_MONTH = ["--data", DATA, "--month", "2024-02"]
TALLBY = ROOT / "tests/fixtures/tallby"
VRETBY = ROOT / "tests/fixtures/vretby"
SJOHAMN = ROOT / "examples/sjohamn"
BERGSJO = ROOT / "examples/bergsjo"
K003 = ["explain", MODEL, *HEMTJANST_MONTH, "--customer", "K003"]
SJOHAMN_K3 = ["explain", str(SJOHAMN / "model.yaml"), "--data", str(SJOHAMN / "data")]
SJOHAMN_K3 += ["--month", "2027-01", "--customer", "K3"]


@pytest.mark.parametrize(
    ("args", "swedish", "english"),
    [
        (K003, "— modell exempel-hemtjanst (2024)\n", "— model exempel-hemtjanst (2024)\n"),
        (K003, "Kund K003 hos utförare P1, 2024-02 (distrikt Söderby, zon landsbygd)\n",
         "Customer K003 with provider P1, 2024-02 (district Söderby, zone landsbygd)\n"),
        (K003, "Omsorg enligt nivå: omsorg = 2 640,00 kr   [nivårelaterad]   §3.1, §4.1\n",
         "Omsorg enligt nivå: omsorg = 2 640.00 SEK   [nivårelaterad]   §3.1, §4.1\n"),
        (K003, '│ formel: max(decisions.level where service == "omsorg")\n',
         '│ formula: max(decisions.level where service == "omsorg")\n'),
        (K003, '├─ any(decisions where service == "omsorg") = sant   (1 rad)\n',
         '├─ any(decisions where service == "omsorg") = true   (1 row)\n'),
        (K003, "= 120 min (2,00 h)   (3 rader)\n", "= 120 min (2.00 h)   (3 rows)\n"),
        (K003, "kontrollnivåer = under 20,00 % → 40,00 %, under 40,00 % → 70,00 %   [parameter]",
         "kontrollnivåer = under 20.00 % → 40.00 %, under 40.00 % → 70.00 %   [parameter]"),
        (K003, "├─ utförd_tid = 120 min (2,00 h)   §4.1   (se ovan)\n",
         "├─ utförd_tid = 120 min (2.00 h)   §4.1   (see above)\n"),
        (K003, "└─ end_date = (inget värde)\n", "└─ end_date = (no value)\n"),
        (["explain", MODEL, *HEMTJANST_MONTH, "--customer", "K001"],
         "└─ … och 7 rader till\n", "└─ … and 7 more rows\n"),
        (["explain", MODEL, *HEMTJANST_MONTH, "--customer", "K001"],
         "(--rows all förklarar varje rad)\n", "(--rows all explains every row)\n"),
        (["explain", MODEL, *HEMTJANST_MONTH, "--customer", "K001", "--rows", "9"],
         "└─ … och 1 rad till\n", "└─ … and 1 more row\n"),
        (["explain", MODEL, *HEMTJANST_MONTH, "--customer", "K001", "--rows", "9"],
         "(--rows all förklarar varje rad)\n", "(--rows all explains every row)\n"),
        (["explain", str(TALLBY / "model.yaml"), "--data", str(TALLBY / "data"),
          "--month", "2027-03", "--customer", "K1"],
         "vistelse T1: 2027-03-20 – 2027-04-05, 12 dagar av månaden\n",
         "vistelse T1: 2027-03-20 – 2027-04-05, 12 days of the month\n"),
        (["explain", str(VRETBY), "--data", str(VRETBY / "data"), "--month", "2027-04",
          "--customer", "K1"],
         "└─ timpris = 409,00 kr/h   [parameter]   §2\n"
         "     uppräknad: 400 SEK/h från 2027-01-01, × 1,022 den 2027-04-01, avrundat till 1\n",
         "└─ timpris = 409.00 SEK/h   [parameter]   §2\n"
         "     indexed: 400 SEK/h given from 2027-01-01, × 1.022 on 2027-04-01, rounded to 1\n"),
        (SJOHAMN_K3, "│  └─ 1 rad utelämnad av filtret\n", "│  └─ 1 row left out by the filter\n"),
        ([*SJOHAMN_K3, "--rows", "all"],
         "│  └─ visit V4, utelämnad av filtret\n│     ├─ counted = sant\n"
         "│     │    formel: inget undantag gäller\n",
         "│  └─ visit V4, left out by the filter\n│     ├─ counted = true\n"
         "│     │    formula: no exclusion applies\n"),
        ([*SJOHAMN_K3, "--rows", "all"], "= falskt   (0 rader)\n", "= false   (0 rows)\n"),
        (["explain", str(BERGSJO / "model.yaml"), "--data", str(BERGSJO / "data"),
          "--month", "2025-03", "--provider", "P2"],
         "Utförare P2 (Bergsjö kommun), 2025-03: dess egna ersättningar (kundernas: "
         "explain --customer)\n\nAvdrag för manuell registrering: manuell_registrering = -17,85 kr   [avdrag]   §6\n",
         "Provider P2 (Bergsjö kommun), 2025-03: its own payments (each customer's: "
         "explain --customer)\n\nAvdrag för manuell registrering: manuell_registrering = -17.85 SEK   [avdrag]   §6\n"),
    ],
    ids=["model", "customer", "amount", "formula", "true and a row", "minutes and rows",
         "step table", "see above", "no value", "rows not shown", "how to see them",
         "one row not shown", "how to see it", "days_covered", "indexation", "left out, counted", "left out, listed",
         "false and no rows", "a provider's own"],
)  # fmt: skip
def test_explain_speaks_swedish_by_default_and_english_when_asked(args, swedish, english):
    """A provider disputing a month reads the tree in Swedish, as every other summary of
    the terminal (`1 234,56 kr`); it was English whatever `--lang` said. The model's own
    names, formulas and units written in it (`400 SEK/h`) stay as the model writes them."""
    said = CliRunner().invoke(main, args)
    assert said.exit_code == 0, said.output
    assert swedish in said.output
    assert english not in said.output
    told = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert told.exit_code == 0, told.output
    assert english in told.output


def test_explain_pays_the_same_in_both_languages():
    """The same payments and amounts, only written otherwise: öre read back from each
    tree's payment lines."""

    def paid(lang: str) -> list[tuple[str, int]]:
        output = CliRunner().invoke(main, [*K003, "--lang", lang]).output
        found = re.findall(
            r"^(?:[^:\n]+: )?(\w+) = (-?[\d ]+)[.,](\d\d) (?:kr|SEK)", output, re.MULTILINE
        )
        return [(name, int(whole.replace(" ", "") + cents)) for name, whole, cents in found]

    assert paid("sv") == paid("en") == [("trygghetslarm", 25000), ("omsorg", 264000)]


ALVSBACKA = ROOT / "examples/alvsbacka"
ALVSBACKA_K1 = ["explain", str(ALVSBACKA / "model.yaml"), "--data", str(ALVSBACKA / "data")]
ALVSBACKA_K1 += ["--month", "2026-12", "--customer", "K1"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        # a payment by the words of the payment file and the letter, before its name
        (ALVSBACKA_K1, "OB-tillägg: ob = 259,83 kr   [ob]   (före avrundning 259,833333 kr)   §3.2"),
        (ALVSBACKA_K1, "Sen avbokning: avbokning = 862,00 kr   [tid]   §3.3"),
    ],
    ids=["payment", "another payment"],
)  # fmt: skip
def test_explain_names_a_rule_by_its_label(args, line):
    """A provider disputing a month reads `OB-tillägg` in the payment file and the letter:
    the explanation named the payment `ob` alone."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert line in result.output.splitlines()


def test_explain_names_a_definition_by_its_label():
    from decimal import Decimal

    from engine import types as t
    from engine.explain import render_tree
    from engine.interpret import Trace

    minutes = Trace("tid", "definition", Decimal(90), t.DURATION, label="Utförd personaltid")
    tree = render_tree([minutes], "", "sv")
    assert "Utförd personaltid: tid = 90 min (1,50 h)" in tree.splitlines()
    # a label that is its name in other case says nothing more, and is not shown (Örebro's
    # `Momskompensation`: tests/test_orebro.py explains it whole)
    vat = Trace("momskompensation", "payment", Decimal(10), t.MONEY, label="Momskompensation")
    assert render_tree([vat], "", "sv").splitlines()[2] == "momskompensation = 10,00 kr"


def test_explain_as_json_gives_a_rules_label():
    args = [*ALVSBACKA_K1, "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = {line["payment"]: line for line in json.loads(result.output)["lines"]}
    assert lines["ob"]["label"] == lines["ob"]["tree"]["label"] == "OB-tillägg"
    assert "label" not in lines["ob"]["tree"]["uses"][0]  # the sum has none


def test_explain_as_json_is_the_same_in_every_language():
    """JSON is for scripts: its words and numbers do not follow the terminal's language."""
    args = ["explain", str(VRETBY), "--data", str(VRETBY / "data"), "--month", "2027-04"]
    args += ["--customer", "K1", "--format", "json"]
    swedish, english = (CliRunner().invoke(main, [*args, "--lang", lang]) for lang in LANGUAGES)
    assert swedish.exit_code == 0, swedish.output
    assert swedish.output == english.output
    assert '"display": "409.00 SEK/h"' in swedish.output


def test_the_studio_explains_in_swedish(tmp_path):
    """The studio's page is Swedish: so is its tree beside the letter."""
    from datetime import date

    from engine.workspace import explanation, open_workspace

    ws = open_workspace(Path(MODEL), Path(DATA), [date(2024, 2, 1)])
    tree = explanation(ws, "K003", date(2024, 2, 1))["tree"]
    assert "Omsorg enligt nivå: omsorg = 2 640,00 kr   [nivårelaterad]   §3.1, §4.1\n" in tree
    assert "formel: " in tree and "formula: " not in tree


def test_diagnostics_stay_english_under_the_swedish_default():
    result = CliRunner().invoke(main, ["check", str(ROOT / "tests/fixtures/five_mistakes.yaml")])
    assert result.exit_code == 1 and "error[unknown-name]" in result.output


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_phrase_is_in_both_languages_with_the_same_blanks(key):
    assert set(PHRASES[key]) == set(LANGUAGES)
    assert _fields(PHRASES[key]["sv"]) == _fields(PHRASES[key]["en"])


@pytest.mark.parametrize(
    ("lang", "ore", "text", "change", "signed_text"),
    [
        ("sv", 517016458, f"5{NBSP}170{NBSP}164,58", -5.67, "−5,7"),
        ("en", 517016458, "5 170 164.58", -5.67, "-5.7"),
        ("sv", -4203047, f"−42{NBSP}030,47", 2.06, "+2,1"),
        ("en", -4203047, "-42 030.47", 2.06, "+2.1"),
    ],
)
def test_numbers_as_each_language_writes_them(lang, ore, text, change, signed_text):
    assert amount(lang, ore) == text
    assert signed(lang, change) == signed_text


def test_a_singular_where_the_count_is_one():
    assert say("sv", "letters.written", count=1, out="brev.html") == "1 brev skrivet till brev.html"
    assert say("sv", "exit.rejected", count=2) == "2 rader avvisade"


def test_a_run_reports_each_stage_and_each_month(tmp_path):
    job = Job(MODEL, DATA, "2024-01", "2024-02", ["csv"], False, False, False, "standard")
    recorder = Recorder()
    execute(job, tmp_path / "out", recorder)
    assert recorder.events == [
        ("stage", ("rules", None, {})),
        ("stage", ("data", None, {})),
        ("stage", ("evaluate", 2, {"month": "2024-01"})),
        ("advance", {"month": "2024-02"}),
        ("advance", {"month": "2024-02"}),
        ("stage", ("account", None, {})),
        ("stage", ("write", None, {})),
    ]


def test_a_model_test_file_reports_each_case():
    """`carepay test` on Örebro's 126 cases drew nothing for some 15 s."""
    recorder = Recorder()
    results = run_file(ROOT / "examples/sjohamn/tests/sjohamn_test.yaml", recorder)
    file = {"file": "sjohamn_test.yaml"}
    assert recorder.events == [
        ("stage", ("test", len(results), file)),
        *[("advance", file)] * len(results),
    ]
    assert len(results) == 10


def test_the_terminal_draws_the_stage_and_its_steps():
    screen = io.StringIO()
    with TerminalStages("sv", Console(file=screen, force_terminal=True)) as stages:
        stages.stage("evaluate", total=3, month="2024-01")
        stages.advance(month="2024-02")
        stages.bar.refresh()
        drawn = screen.getvalue()
    assert "beräknar 2024-02" in drawn and "1/3" in drawn
    screen = io.StringIO()
    with TerminalStages("en", Console(file=screen, force_terminal=True)) as stages:
        stages.stage("write")
        stages.bar.refresh()
        assert "writing the outputs" in screen.getvalue()


def test_a_goal_met_by_the_first_run_says_one_run() -> None:
    """A target the model's own value meets read "(mål 31 299,33 kr; 1 körningar)"."""
    hagby = ROOT / "tests/fixtures/hagby"
    args = ["simulate", str(hagby), "--data", str(hagby / "data"), "--month", "2027-03"]
    args += ["--solve", "kontrollgräns", "--target", "total=A"]
    said = CliRunner().invoke(main, [*args, "--lang", "sv"]).output.replace("\u00a0", " ")
    assert (
        said.splitlines()[0] == "kontrollgräns=70 % ger 31 299,33 kr (mål 31 299,33 kr; 1 körning)"
    )
    said = CliRunner().invoke(main, [*args, "--lang", "en"]).output.replace("\u00a0", " ")
    assert (
        said.splitlines()[0]
        == "kontrollgräns=70 % gives 31 299.33 SEK (target 31 299.33 SEK; 1 run)"
    )


def test_verify_names_each_difference_in_the_readers_language(tmp_path):
    """A controller verifying a payment read "skiljer sig: output provider_totals.csv in
    … has been changed since the run": the frame Swedish, what differs English."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    out = tmp_path / "out"
    args = ["run", MODEL, "--data", str(data), "--month", "2024-02", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    with (out / "provider_totals.csv").open("a", encoding="utf-8") as f:
        f.write("P9,x,1.00\n")
    (out / "flags.csv").unlink()
    (out / "anteckning.txt").write_text("granskad\n", encoding="utf-8")
    with (data / "providers.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    swedish = CliRunner().invoke(main, ["verify", str(out)])
    english = CliRunner().invoke(main, ["verify", str(out), "--lang", "en"])
    assert swedish.exit_code == english.exit_code == 1
    for sv, en in [
        (f"skiljer sig: indatafilen {data / 'providers.csv'} har ändrats sedan körningen "
         "(dess SHA-256 skiljer sig)",
         f"differs: input {data / 'providers.csv'} has changed since the run (its SHA-256 "
         "differs)"),
        (f"skiljer sig: anteckning.txt i {out} är ingen utdatafil som manifestet listar",
         f"differs: anteckning.txt in {out} is not an output the manifest lists"),
        (f"skiljer sig: utdatafilen flags.csv saknas i {out}",
         f"differs: output flags.csv is missing from {out}"),
        (f"skiljer sig: utdatafilen provider_totals.csv i {out} har ändrats sedan körningen",
         f"differs: output provider_totals.csv in {out} has been changed since the run"),
    ]:  # fmt: skip
        assert sv in swedish.output, swedish.output
        assert en in english.output, english.output


def test_explain_names_a_claim_in_the_readers_words(tmp_path):
    """A paid effect premium was titled `Premium_claim E1 för kund K1 …`: carepay's
    identifier, capitalised, in a Swedish explanation a provider reads. Örebro's
    document example (12 → 11, 4 059 kr in April 2024)."""
    data = tmp_path / "data"  # the files `carepay tables --out` writes, then the rows
    made = CliRunner().invoke(main, ["tables", str(ROOT / "rules/orebro"), "--out", str(data)])
    assert made.exit_code == 0, made.output
    omsorg = {"customer_id": "K1", "provider_id": "P1", "service": "omsorg"}
    rows = {
        "customers": [{"customer_id": "K1", "district": "City norr"}],
        "providers": [{"provider_id": "P1", "name": "Omsorg AB", "ownership": "private"}],
        "decisions": [
            {"decision_id": "B1", **omsorg, "start_date": "2023-06-01",
             "end_date": "2023-12-31", "level": "12"},
            {"decision_id": "B2", **omsorg, "start_date": "2024-01-01", "level": "11"},
        ],
        "premium_claims": [
            {"claim_id": "E1", "customer_id": "K1", "provider_id": "P1", "from_level": "12",
             "to_level": "11", "period_start": "2024-01-01", "period_end": "2024-03-31",
             "submitted_on": "2024-04-10", "från_särskild_ersättning": "nej"},
        ],
    }  # fmt: skip
    for table, written in rows.items():
        path = data / f"{table}.csv"
        headings = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        with path.open("a", encoding="utf-8", newline="") as file:
            csv.DictWriter(file, headings).writerows(written)
    args = ["explain", str(ROOT / "rules/orebro"), "--data", str(data), "--month", "2024-04"]
    said = {}
    for lang in ("sv", "en"):
        ran = CliRunner().invoke(main, [*args, "--customer", "K1", "--lang", lang])
        assert ran.exit_code == 0, ran.output
        said[lang] = ran.output
    assert "Ansökan om effektpremie E1 för kund K1 hos utförare P1, 2024-04" in said["sv"]
    assert "effektpremie = 4 059,00 kr" in said["sv"], said["sv"]
    assert "Premium claim E1 of customer K1 with provider P1, 2024-04" in said["en"]
    assert "Premium_claim" not in said["sv"] + said["en"]
