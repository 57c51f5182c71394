"""The HTML report: self-contained (nothing fetched, no scripts), text from the data
escaped, and — in a real headless Chromium — rendered with no console errors and with
its charts visibly drawn (a screenshot is checked for the charts' colours)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import charts
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/orebro"
EVIL_NAMES = {
    "P1": '=HYPERLINK("http://example.invalid/x","klicka")',
    "P2": "<script>alert('x')</script>",
}


def _evil_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    rows = ["provider_id,name,ownership"]
    for provider, ownership in (("P1", "private"), ("P2", "municipal")):
        name = EVIL_NAMES[provider].replace('"', '""')
        rows.append(f'{provider},"{name}",{ownership}')
    (data / "providers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("reports")
    data = _evil_data(tmp)
    base = ["--data", str(data), "--month", "2024-01", "--force"]
    runs = {
        "compare": [
            "simulate",
            "rules/orebro",
            *base,
            "--set",
            "kontrollnivåer[2].under=50 %",
            "--set",
            "larmbelopp=500",
        ],
        "sweep": [
            "simulate",
            "rules/orebro",
            *base,
            "--sweep",
            "kontrollnivåer[2].under=25 %:85 %:20 %",
        ],
        "attribution": [
            "simulate",
            "rules/orebro",
            *base,
            "--set",
            "kontrollnivåer[2].under=50 %",
            "--set",
            "larmbelopp=500",
            "--attribute",
        ],
    }
    out = {}
    runner = CliRunner()
    for name, args in runs.items():
        directory = tmp / name
        result = runner.invoke(main, [*args, "--out", str(directory)])
        assert result.exit_code == 0, result.output
        out[name] = directory / "report.html"
    return out


@pytest.mark.parametrize("name", ["compare", "sweep", "attribution"])
def test_report_is_self_contained(reports: dict[str, Path], name: str) -> None:
    html = reports[name].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html), "fetches something"
    assert "@import" not in html and "url(http" not in html
    assert html.count("<svg") >= (4 if name == "compare" else 1)


def test_text_from_the_data_is_escaped(reports: dict[str, Path]) -> None:
    html = reports["compare"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert" not in html
    # a spreadsheet formula is just text in HTML: shown, escaped, never a link
    assert "=HYPERLINK(&#34;http://example.invalid/x&#34;" in html
    assert '<a href="http://example.invalid' not in html


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]


def _chromium(page: Path, tmp_path: Path, *args: str) -> str:
    browser = _browser()
    if browser is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's `chromium` package "
            "(.ci/run does) to run the browser tests"
        )
    result = subprocess.run(
        [browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


def _colour_pixels(png: Path, colour: str) -> int:
    import matplotlib.image

    pixels = matplotlib.image.imread(str(png))[:, :, :3]
    wanted = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    close = abs(pixels - wanted).max(axis=2) < 0.03
    return int(close.sum())


@pytest.mark.parametrize(
    ("name", "colours"),
    [
        ("compare", [charts.A_COLOUR, charts.B_COLOUR, charts.GAIN_COLOUR]),
        ("sweep", [charts.A_COLOUR, charts.B_COLOUR]),
        ("attribution", [charts.A_COLOUR, charts.B_COLOUR, charts.GAIN_COLOUR]),
    ],
)
def test_report_renders_in_headless_chromium_with_its_charts(
    reports: dict[str, Path], tmp_path: Path, name: str, colours: list[str]
) -> None:
    shot = tmp_path / "shot.png"
    log = _chromium(reports[name], tmp_path, f"--screenshot={shot}", "--window-size=1100,6000")
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert "net::ERR" not in log, "the report tried to fetch something"
    assert shot.exists()
    for colour in colours:
        assert _colour_pixels(shot, colour) > 200, f"no chart drawn in {colour}"


def test_report_prints_to_pdf(reports: dict[str, Path], tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _chromium(reports["compare"], tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 2


# ----------------------------------------------------------------------------- the committee


def test_the_committee_report_is_swedish_and_opens_with_what_changed(
    reports: dict[str, Path],
) -> None:
    html = reports["compare"].read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings[:4] == [
        "Vad som ändrats", "Sammanfattning", "A och B per utförare", "Vinnare och förlorare",
    ]  # fmt: skip
    assert "Parametern `larmbelopp` ändras" in html.replace("&#96;", "`")
    assert "Parametern `kontrollnivåer` ändras" in html.replace("&#96;", "`")
    for english in ("Summary", "Largest", "Shapley", "customer-months", "compared with"):
        assert english not in html, english
    # the ownership codes in Swedish (they read `private` and `municipal`)
    ownership = html.split("Förändring per driftform")[2]
    assert ">privat<" in ownership and ">kommunal<" in ownership
    assert ">private<" not in ownership and ">municipal<" not in ownership
    assert re.search(r"\d\xa0\d{3},\d{2} kr", html)  # 1 234,56 kr
    assert "@page { size: A4;" in html and 'counter(page) " av " counter(pages)' in html


def test_no_gains_section_when_nobody_gained(tmp_path: Path) -> None:
    """A cut of the alarm amount (250 → 200 kr) makes nobody better off: the report
    shows the losses and no table of gains."""
    example = ROOT / "examples/hemtjanst"
    out = tmp_path / "cut"
    result = CliRunner().invoke(
        main,
        ["simulate", str(example / "model.yaml"), "--data", str(example / "data"),
         "--month", "2024-02", "--set", "larmbelopp=200", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Största minskningarna" in html and "Största ökningarna" not in html


@pytest.fixture(scope="module")
def wide_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep over the sample's ten providers: a column each (cut off at P08 before)."""
    out = tmp_path_factory.mktemp("wide") / "sweep"
    result = CliRunner().invoke(
        main,
        ["simulate", "rules/orebro", "--data", str(ROOT / "examples/orebro"), "--month",
         "2024-01", "--sweep", "kontrollnivåer[2].under=25 %:85 %:20 %", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.mark.parametrize("name", ["compare", "sweep", "attribution", "sweep of ten providers"])
def test_no_table_is_wider_than_an_a4_page(
    reports: dict[str, Path], wide_sweep: Path, tmp_path: Path, name: str
) -> None:
    """The print layout at the width of an A4 page within its margins (186 mm, 703 px):
    no table overflows its box (a table cut off at P08 before). The report's print
    rules are applied on screen in a copy, with a script that counts overflowing tables."""
    report = wide_sweep if name == "sweep of ten providers" else reports[name]
    html = report.read_text(encoding="utf-8").replace("@media print", "@media all")
    probe = (
        "<script>document.body.setAttribute('data-overflowing', "
        "[...document.querySelectorAll('.wide')]"
        ".filter(d => d.scrollWidth > d.clientWidth + 1).length)</script></body>"
    )
    page = tmp_path / "a4.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium on this machine")
    result = subprocess.run(
        [browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=703,3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-overflowing="(\d+)"', result.stdout)
    assert found is not None, result.stdout[-2000:]
    assert found.group(1) == "0"
