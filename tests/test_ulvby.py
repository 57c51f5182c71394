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

import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from tests.harness import assert_cases_pass, names_in_engine, run_and_read

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


def test_ulvbys_vocabulary_is_its_own() -> None:
    own = {"ulvby", "närvaro", "närvarodag", "ankom", "vistelse", "taggad", "heldag"}
    assert not names_in_engine(MODEL, own)
