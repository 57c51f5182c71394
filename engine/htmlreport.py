"""The comparison as one self-contained HTML page: figures, tables and inline SVG charts,
no scripts and nothing fetched from the network, so it opens offline, can be mailed
as one file and prints well.

Text from input data (provider names, districts) is escaped by the template engine;
charts escape their labels themselves (see `engine.charts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from engine import __version__, charts, swedish
from engine.compare import Comparison


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # columns aligned right
    caption: str = ""


@dataclass
class Section:
    id: str
    heading: str
    text: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)
    chart: str = ""
    tables: list[Table] = field(default_factory=list)


def sek(ore: int | float | None, signed: bool = False) -> str:
    """Kronor as a Swedish reader writes them: `1 234,56`, a true minus sign, `+` when
    asked."""
    return "" if ore is None else swedish.kronor(ore, signed)


def pct(value: float | None) -> str:
    return "" if value is None else swedish.percent(value, signed=True)


def render(title: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("engine", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        title=title, subtitle=subtitle, sections=sections, footer=footer, version=__version__
    )


# ----------------------------------------------------------------------------- comparison


def comparison_sections(comparison: Comparison, changes: list[str]) -> list[Section]:
    providers = comparison.providers
    a = int(providers["amount_a_ore"].sum() or 0)
    b = int(providers["amount_b_ore"].sum() or 0)
    counts = comparison.counts()
    dist = comparison.distribution()
    changed = Section(
        "changes",
        "Vad som ändrats",
        text="Skillnaderna mellan A och B i regler, parametrar och zoner, som `carepay diff` "
        "visar dem.",
        tables=[
            Table(
                ["Ändring"],
                [[c] for c in changes] or [["Inga regler eller parametrar skiljer sig."]],
            )
        ],
    )
    summary = Section(
        "summary",
        "Sammanfattning",
        figures=[
            (f"A: {comparison.label_a}", sek(a) + " kr"),
            (f"B: {comparison.label_b}", sek(b) + " kr"),
            ("B − A", sek(b - a, signed=True) + " kr"),
            ("förändring", pct((b - a) / a * 100 if a else None)),
            ("kundmånader med högre ersättning", str(counts["more"])),
            ("med lägre", str(counts["less"])),
            ("oförändrade", str(counts["same"])),
        ],
        tables=[
            Table(
                ["", *dist.keys()],
                [["förändring per kundmånad (kr)", *(sek(v * 100, True) for v in dist.values())]],
                numeric=set(range(1, len(dist) + 1)),
                caption="Percentiler av förändringen per kundmånad.",
            )
        ],
    )
    labels = [str(p) for p in providers["provider_id"].to_list()]
    per_provider = Section(
        "providers",
        "A och B per utförare",
        chart=charts.paired_bars(
            labels,
            [v / 100 for v in providers["amount_a_ore"]],
            [v / 100 for v in providers["amount_b_ore"]],
            comparison.label_a,
            comparison.label_b,
            "Summa per utförare (kr)",
        ),
        tables=[_totals_table(providers, "provider_id", "utförare", names=True)],
    )
    customers = comparison.customers.filter(pl.col("customer_id").is_not_null())
    sections = [changed, summary]
    if comparison.assumptions:
        sections.append(
            Section(
                "assumptions",
                "Antaganden om beteende",
                text="Tillämpade på en kopia av indata innan modellen räknades; "
                "indatafilerna är oförändrade.",
                tables=[Table(["antagande"], [[a] for a in comparison.assumption_words("sv")])],
            )
        )
    sections += [per_provider, _winners_and_losers(providers, customers)]
    for column, heading in (
        ("zone", "Förändring per zon"),
        ("level", "Förändring per nivå (besluten)"),
        (
            "hours_band",
            f"Förändring per beviljad tid ({comparison.granted_time}, timmar i månaden)",
        ),
        ("ownership", "Förändring per driftform"),
    ):
        if column not in customers.columns or customers[column].null_count() == customers.height:
            continue  # the models have no such thing (no levels, say): no section
        grouped = comparison.by(column)
        sections.append(
            Section(
                f"by-{column}",
                heading,
                chart=charts.change_bars(
                    [_label(v, column) for v in grouped[column].to_list()],
                    [v / 100 for v in grouped["diff_ore"]],
                    heading + " (kr)",
                ),
                tables=[_totals_table(grouped, column, HEADINGS.get(column, column))],
            )
        )
    categories = comparison.categories.group_by("category").agg(
        pl.col("amount_a_ore").sum(), pl.col("amount_b_ore").sum(), pl.col("diff_ore").sum()
    )
    sections.append(
        Section(
            "categories",
            "Per ersättningskategori",
            tables=[_totals_table(categories.sort("category"), "category", "kategori")],
        )
    )
    gains, losses = comparison.extremes(10)
    tables = [
        _customer_table(frame, caption)
        for frame, caption in (
            (gains, "Största ökningarna (kundmånader)"),
            (losses, "Största minskningarna (kundmånader)"),
        )
        if frame.height
    ]
    if tables:  # only where someone gained or lost
        sections.append(Section("extremes", "Största ökningar och minskningar", tables=tables))
    return sections


HEADINGS = {"zone": "zon", "level": "nivå", "hours_band": "beviljad tid", "ownership": "driftform"}


def _winners_and_losers(providers: pl.DataFrame, customers: pl.DataFrame) -> Section:
    """Who gains and who loses, counted and summed: a committee's first question."""
    rows = []
    for what, frame in (("utförare", providers), ("kundmånader", customers)):
        diff = frame["diff_ore"]
        rows.append(
            [
                what,
                str(int((diff > 0).sum())),
                sek(int(diff.filter(diff > 0).sum() or 0), signed=True),
                str(int((diff < 0).sum())),
                sek(int(diff.filter(diff < 0).sum() or 0), signed=True),
                str(int((diff == 0).sum())),
            ]
        )
    return Section(
        "winners",
        "Vinnare och förlorare",
        tables=[
            Table(
                ["", "får mer", "ökning (kr)", "får mindre", "minskning (kr)", "oförändrade"],
                rows,
                numeric={1, 2, 3, 4, 5},
            )
        ],
    )


def _label(value: object, column: str = "") -> str:
    """Lines paid per provider (VAT compensation) have no customer, so no zone or level;
    an ownership code in Swedish (`private` is "privat" in the report)."""
    if value is None:
        return swedish.NO_CUSTOMER
    return swedish.OWNERSHIP.get(str(value), str(value)) if column == "ownership" else str(value)


def _totals_table(frame: pl.DataFrame, key: str, heading: str, names: bool = False) -> Table:
    rows = []
    for row in frame.iter_rows(named=True):
        a, b, diff = row["amount_a_ore"], row["amount_b_ore"], row["diff_ore"]
        rows.append(
            [
                _label(row[key], key),
                *([_label(row["name"])] if names else []),
                sek(a),
                sek(b),
                sek(diff, signed=True),
                pct(diff / a * 100 if a else None),
            ]
        )
    first = [heading, "namn"] if names else [heading]
    return Table(
        [*first, "A (kr)", "B (kr)", "B − A (kr)", "%"],
        rows,
        numeric={len(first) + i for i in range(4)},
    )


def _customer_table(frame: pl.DataFrame, caption: str) -> Table:
    rows = [
        [
            str(row["month"]),
            _label(row["provider_id"]),
            _label(row["customer_id"]),
            sek(row["amount_a_ore"]),
            sek(row["amount_b_ore"]),
            sek(row["diff_ore"], signed=True),
        ]
        for row in frame.iter_rows(named=True)
    ]
    return Table(
        ["månad", "utförare", "kund", "A (kr)", "B (kr)", "B − A (kr)"],
        rows,
        numeric={3, 4, 5},
        caption=caption,
    )


def comparison_report(
    comparison: Comparison, months: str, changes: list[str] | None = None, about: str = ""
) -> str:
    """The committee report of a comparison, in Swedish: what changed first, then what
    it costs and for whom. `about` names the models' files and the data."""
    return render(
        f"Jämförelse: {comparison.label_a} och {comparison.label_b}",
        f"A = {comparison.label_a}, B = {comparison.label_b}; {months}. {about}"
        "Alla belopp i kronor.",
        comparison_sections(comparison, changes or []),
        footer="Varje belopp är summerat från hela ören, så summorna är exakt summan av sina delar.",
    )


# ----------------------------------------------------------------------------- sweep


PROVIDERS_PER_TABLE = 7  # columns of providers a table holds and still fits an A4 page


def sweep_report(table: pl.DataFrame, target: str, base_total_ore: int, months: str) -> str:
    """The total (and each provider's total) for every value of the swept parameter,
    titled as the question it answers."""
    values = [str(v) for v in table["value"].to_list()]
    providers = [c.removesuffix("_ore") for c in table.columns if _is_provider_column(c)]
    rows = list(table.iter_rows(named=True))
    curve = Section(
        "sweep",
        f"Vad kostar modellen för olika värden på {target}?",
        text=f"Den oförändrade modellen betalar {sek(base_total_ore)} kr.",
        chart=charts.curve(
            values,
            [v / 100 for v in table["total_ore"]],
            f"Summa för varje värde på {target} (kr)",
            target,
            baseline=base_total_ore / 100,
        ),
        tables=[
            Table(
                [target, "summa (kr)", "B − A (kr)"],
                [
                    [str(r["value"]), sek(r["total_ore"]), sek(r["diff_ore"], signed=True)]
                    for r in rows
                ],
                numeric={1, 2},
            )
        ],
    )
    chunks = [
        providers[i : i + PROVIDERS_PER_TABLE]
        for i in range(0, len(providers), PROVIDERS_PER_TABLE)
    ]
    per_provider = Section(
        "sweep-providers",
        f"Vad får varje utförare för olika värden på {target}?",
        chart=charts.lines(
            values,
            {p: [v / 100 for v in table[f"{p}_ore"]] for p in providers},
            f"Summa per utförare för varje värde på {target}",
            target,
            "kr",
        ),
        tables=[
            Table(
                [target, *(f"{p} (kr)" for p in chunk)],
                [[str(r["value"]), *(sek(r[f"{p}_ore"]) for p in chunk)] for r in rows],
                numeric=set(range(1, 1 + len(chunk))),
            )
            for chunk in chunks
        ],
    )
    return render(f"Svep av {target}", months, [curve, per_provider])


def _is_provider_column(column: str) -> bool:
    return column.endswith("_ore") and column not in ("total_ore", "diff_ore")


# ----------------------------------------------------------------------------- attribution


def attribution_report(
    sequential: pl.DataFrame,
    shapley: pl.DataFrame | None,
    base_totals_ore: dict[str, int],
    months: str,
) -> str:
    """A waterfall from A's total through each change to B's total, and the tables per
    provider (in order, and Shapley when there are at most six changes)."""
    providers = [c for c in sequential.columns if c not in ("order", "change")]
    parts = shapley if shapley is not None else sequential
    changes = [str(c) for c in parts["change"].to_list()]
    steps = [sum(row[p] for p in providers) / 100 for row in parts.iter_rows(named=True)]
    start = sum(base_totals_ore.values()) / 100
    method = (
        "rättvist fördelade mellan ändringarna (oberoende av ordningen)"
        if shapley is not None
        else "ändringarna införda i den givna ordningen"
    )
    sections = [
        Section(
            "waterfall",
            "Vad kostar varje del av förändringen?",
            text=f"Alla utförare tillsammans; delarna är {method}, i hela ören, och blir "
            "tillsammans exakt skillnaden mellan B och A.",
            chart=charts.waterfall(
                changes, steps, start, "Från A till B, ändring för ändring (kr)"
            ),
        )
    ]
    for title, frame in (
        ("I den givna ordningen", sequential),
        ("Oberoende av ordningen (varje ändrings genomsnittliga bidrag)", shapley),
    ):
        if frame is None:
            continue
        chunks = [
            providers[i : i + PROVIDERS_PER_TABLE]
            for i in range(0, len(providers), PROVIDERS_PER_TABLE)
        ]
        tables = []
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1  # the sum over all providers ends the last table
            rows = [
                [
                    str(row["change"]),
                    *(sek(row[p], signed=True) for p in chunk),
                    *([sek(sum(row[p] for p in providers), signed=True)] if last else []),
                ]
                for row in frame.iter_rows(named=True)
            ]
            headers = ["ändring", *(f"{p} (kr)" for p in chunk), *(["alla (kr)"] if last else [])]
            tables.append(Table(headers, rows, numeric=set(range(1, len(headers)))))
        sections.append(
            Section("in-order" if frame is sequential else "order-free", title, tables=tables)
        )
    return render("Vad förklarar förändringen?", months, sections)
