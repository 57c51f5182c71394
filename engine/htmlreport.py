"""The comparison as one self-contained HTML page: figures, tables and inline SVG charts,
no scripts and nothing fetched from the network, so it opens offline, can be mailed
as one file and prints well.

Text from input data (provider names, districts) is escaped by the template engine;
charts escape their labels themselves (see `engine.charts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from engine import __version__, charts
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
    """Kronor with a space between thousands; a true minus sign; `+` when asked."""
    if ore is None:
        return ""
    text = f"{abs(ore) / 100:,.2f}".replace(",", " ")
    if ore < 0:
        return "−" + text
    return ("+" + text) if signed and ore > 0 else text


def pct(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{abs(value):.1f} %"
    return ("−" if value < 0 else "+" if value > 0 else "") + text


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


def comparison_sections(comparison: Comparison) -> list[Section]:
    providers = comparison.providers
    a = int(providers["amount_a_ore"].sum() or 0)
    b = int(providers["amount_b_ore"].sum() or 0)
    counts = comparison.counts()
    dist = comparison.distribution()
    summary = Section(
        "summary",
        "Summary",
        figures=[
            (f"A: {comparison.label_a}", sek(a) + " kr"),
            (f"B: {comparison.label_b}", sek(b) + " kr"),
            ("B − A", sek(b - a, signed=True) + " kr"),
            ("change", pct((b - a) / a * 100 if a else None)),
            ("customer-months paid more", str(counts["more"])),
            ("paid less", str(counts["less"])),
            ("the same", str(counts["same"])),
        ],
        tables=[
            Table(
                ["", *dist.keys()],
                [["per customer-month change (kr)", *(sek(v * 100, True) for v in dist.values())]],
                numeric=set(range(1, len(dist) + 1)),
                caption="Percentiles of the change per customer-month.",
            )
        ],
    )
    labels = [str(p) for p in providers["provider_id"].to_list()]
    per_provider = Section(
        "providers",
        "A and B per provider",
        chart=charts.paired_bars(
            labels,
            [v / 100 for v in providers["amount_a_ore"]],
            [v / 100 for v in providers["amount_b_ore"]],
            comparison.label_a,
            comparison.label_b,
            "Total per provider",
        ),
        tables=[_totals_table(providers, "provider_id", "provider", names=True)],
    )
    customers = comparison.customers.filter(pl.col("customer_id").is_not_null())
    spread = Section(
        "distribution",
        "How the change is spread over customers",
        chart=charts.histogram(
            [v / 100 for v in customers["diff_ore"].to_list()],
            "Change per customer-month",
            "B − A per customer-month (SEK)",
        ),
    )
    sections = [summary]
    if comparison.assumptions:
        sections.append(
            Section(
                "assumptions",
                "Assumptions about behaviour",
                text="Applied to a copy of the input data before the model ran; the input "
                "files are unchanged.",
                tables=[Table(["assumption"], [[a] for a in comparison.assumptions])],
            )
        )
    sections += [per_provider, spread]
    for column, heading in (
        ("zone", "Change by zone"),
        ("level", "Change by care level"),
        ("hours_band", "Change by granted hours per month"),
        ("ownership", "Change by provider ownership"),
    ):
        if column not in customers.columns or customers[column].null_count() == customers.height:
            continue
        grouped = comparison.by(column)
        sections.append(
            Section(
                f"by-{column}",
                heading,
                chart=charts.change_bars(
                    [_label(v) for v in grouped[column].to_list()],
                    [v / 100 for v in grouped["diff_ore"]],
                    heading,
                ),
                tables=[_totals_table(grouped, column, column.replace("_", " "))],
            )
        )
    categories = comparison.categories.group_by("category").agg(
        pl.col("amount_a_ore").sum(), pl.col("amount_b_ore").sum(), pl.col("diff_ore").sum()
    )
    sections.append(
        Section(
            "categories",
            "Per category",
            tables=[_totals_table(categories.sort("category"), "category", "category")],
        )
    )
    gains, losses = comparison.extremes(10)
    sections.append(
        Section(
            "extremes",
            "Largest gains and losses",
            tables=[
                _customer_table(gains, "Largest gains (customer-months)"),
                _customer_table(losses, "Largest losses (customer-months)"),
            ],
        )
    )
    return sections


def _label(value: object) -> str:
    """Lines paid per provider (VAT compensation) have no customer, so no zone or level."""
    return "(provider-level, or not set)" if value is None else str(value)


def _totals_table(frame: pl.DataFrame, key: str, heading: str, names: bool = False) -> Table:
    rows = []
    for row in frame.iter_rows(named=True):
        a, b, diff = row["amount_a_ore"], row["amount_b_ore"], row["diff_ore"]
        rows.append(
            [
                _label(row[key]),
                *([_label(row["name"])] if names else []),
                sek(a),
                sek(b),
                sek(diff, signed=True),
                pct(diff / a * 100 if a else None),
            ]
        )
    first = [heading, "name"] if names else [heading]
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
        ["month", "provider", "customer", "A (kr)", "B (kr)", "B − A (kr)"],
        rows,
        numeric={3, 4, 5},
        caption=caption,
    )


def comparison_report(comparison: Comparison, months: str) -> str:
    return render(
        f"{comparison.label_a} compared with {comparison.label_b}",
        f"A = {comparison.label_a}, B = {comparison.label_b}; {months}. All amounts in kronor.",
        comparison_sections(comparison),
        footer="Every amount is summed from whole öre, so totals equal the sum of their parts.",
    )


# ----------------------------------------------------------------------------- sweep


def sweep_report(table: pl.DataFrame, target: str, base_total_ore: int, months: str) -> str:
    """The total (and each provider's total) for every value of the swept parameter."""
    values = [str(v) for v in table["value"].to_list()]
    providers = [c.removesuffix("_ore") for c in table.columns if _is_provider_column(c)]
    curve = Section(
        "sweep",
        f"Total cost for each value of {target}",
        text=f"The unchanged model pays {sek(base_total_ore)} kr.",
        chart=charts.curve(
            values,
            [v / 100 for v in table["total_ore"]],
            f"Total for each value of {target}",
            target,
            baseline=base_total_ore / 100,
        ),
        tables=[
            Table(
                [target, "total (kr)", "B − A (kr)", *providers],
                [
                    [
                        str(row["value"]),
                        sek(row["total_ore"]),
                        sek(row["diff_ore"], signed=True),
                        *(sek(row[f"{p}_ore"]) for p in providers),
                    ]
                    for row in table.iter_rows(named=True)
                ],
                numeric=set(range(1, 3 + len(providers))),
            )
        ],
    )
    per_provider = Section(
        "sweep-providers",
        "Each provider's total for each value",
        chart=charts.lines(
            values,
            {p: [v / 100 for v in table[f"{p}_ore"]] for p in providers},
            f"Total per provider for each value of {target}",
            target,
            "SEK",
        ),
    )
    return render(f"Sweep of {target}", months, [curve, per_provider])


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
    method = "Shapley values" if shapley is not None else "changes applied in order"
    sections = [
        Section(
            "waterfall",
            "Which part of the change costs what",
            text=f"All providers together; the parts are {method}, in whole öre, and add up "
            "exactly to the difference between B and A.",
            chart=charts.waterfall(changes, steps, start, "From A to B, change by change"),
        )
    ]
    for title, frame in (("In the order given", sequential), ("Shapley values", shapley)):
        if frame is None:
            continue
        rows = [
            [
                str(row["change"]),
                *(sek(row[p], signed=True) for p in providers),
                sek(sum(row[p] for p in providers), signed=True),
            ]
            for row in frame.iter_rows(named=True)
        ]
        sections.append(
            Section(
                title.lower().replace(" ", "-"),
                title,
                tables=[
                    Table(
                        ["change", *providers, "all"],
                        rows,
                        numeric=set(range(1, len(providers) + 2)),
                    )
                ],
            )
        )
    return render("Attribution of the change", months, sections)
