"""The benchmark's small core (bench/core.yaml) written by hand in Polars, the way a
programmer would for this one model: the yardstick carepay's generality is measured
against. It must give the same amounts as carepay, to the öre (bench/run.py checks).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl

TATORT = [1200 + 850 * i for i in range(29)]
LEVEL_AMOUNT = {
    "tätort": TATORT,
    "förort_landsort": [round(v * 1.1) for v in TATORT],
}
LEVEL_MINUTES = [60 * (i + 1) for i in range(29)]
ZONES = {
    "City norr": "tätort",
    "City söder": "tätort",
    "Norr": "förort_landsort",
    "Öster": "förort_landsort",
    "Söder": "förort_landsort",
    "Väster": "förort_landsort",
}
VAK_RATE_PER_MINUTE = 450 / 60
ROOT = Path(__file__).resolve().parent.parent


def _ore(amount: pl.Expr) -> pl.Expr:
    """Half up to the öre, as carepay rounds (after snapping float noise)."""
    return ((amount * 100).round(6) + 0.5).floor().cast(pl.Int64)


def provider_totals(tables: dict[str, pl.DataFrame], month: date) -> pl.DataFrame:
    """Öre per provider for one month, from tables in memory."""
    frames = {name: frame.lazy() for name, frame in tables.items()}
    return _by_provider(customer_amounts(frames, month)).collect()


def from_files(directory: Path, month: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What a user of the API gets, the way a programmer would write it for this one
    model: read the Parquet files (only the columns used), compute, and return the
    per-customer and the per-provider tables."""
    columns = {
        "visits": ["customer_id", "provider_id", "service", "start", "end"],
        "decisions": ["customer_id", "provider_id", "service", "level", "start_date", "end_date"],
        "customers": ["customer_id", "district"],
    }
    frames = {
        name: pl.scan_parquet(directory / f"{name}.parquet").select(wanted)
        for name, wanted in columns.items()
    }
    dates = pl.col("start_date", "end_date")
    if frames["decisions"].collect_schema()["start_date"] == pl.String:  # as generated
        frames["decisions"] = frames["decisions"].with_columns(dates.str.to_date())
    customers = customer_amounts(frames, month).collect()
    return customers, _by_provider(customers.lazy()).collect()


def from_files_checked(directory: Path, month: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`from_files` with the checks a payment needs, written by hand: the yardstick of
    what carepay's strictness costs apart from its generality. It reads the visits' ids
    too and checks, one query a table, that no id repeats or is missing, every id names
    a customer or provider, every service is known, no visit ends before it starts or
    lasts over 24 hours, levels are 1-29 and dates are dates; a table with a problem
    stops it (carepay rejects the rows instead: the bench's data has none)."""
    services = json.loads((ROOT / "schemas/entities.json").read_text(encoding="utf-8"))
    known_services = pl.Series(services["codes"]["service"]).implode()
    read = {
        "visits": ["visit_id", "customer_id", "provider_id", "service", "start", "end"],
        "decisions": ["decision_id", "customer_id", "provider_id", "service", "level"]
        + ["start_date", "end_date"],
        "customers": ["customer_id", "district"],
        "providers": ["provider_id"],
    }
    tables = {n: pl.read_parquet(directory / f"{n}.parquet", columns=c) for n, c in read.items()}
    dates = pl.col("start_date", "end_date")
    if tables["decisions"].schema["start_date"] == pl.String:  # as generated
        tables["decisions"] = tables["decisions"].with_columns(dates.str.to_date(strict=False))
    customers = tables["customers"]["customer_id"].implode()
    providers = tables["providers"]["provider_id"].implode()

    def parties(key: str) -> dict[str, pl.Expr]:
        ids = pl.col(key)  # rising: no id repeats (else each id is looked for twice)
        return {
            "ids rising": ids.is_not_null().all() & (ids > ids.shift(1)).fill_null(True).all(),
            "known customers": pl.col("customer_id").is_in(customers).all(),
            "known providers": pl.col("provider_id").is_in(providers).all(),
            "known services": pl.col("service").is_in(known_services).all(),
        }

    visit = pl.col("end") - pl.col("start")
    checks = {
        "visits": {
            **parties("visit_id"),
            "start and end": pl.all_horizontal(pl.col("start", "end").is_not_null()).all(),
            "0-24 hours": ((visit >= pl.duration()) & (visit <= pl.duration(hours=24))).all(),
        },
        "decisions": {
            **parties("decision_id"),
            "start date": pl.col("start_date").is_not_null().all(),
            "end after start": (
                pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("start_date"))
            ).all(),
            "level 1-29": pl.col("level").is_between(1, 29).fill_null(True).all(),
        },
        "customers": {
            "ids unique": pl.col("customer_id").is_unique().all(),
            "districts in zones": pl.col("district").is_in(pl.Series(list(ZONES)).implode()).all(),
        },
    }
    failed = [
        f"{name}: {label}"
        for name, named in checks.items()
        for label, ok in tables[name]
        .select(e.alias(k) for k, e in named.items())
        .row(0, named=True)
        .items()
        if not ok and not (label == "ids rising" and _unique_ids(tables[name], read[name][0]))
    ]
    if failed:
        raise ValueError(f"the data has problems: {', '.join(failed)}")
    frames = {name: frame.lazy() for name, frame in tables.items()}
    amounts = customer_amounts(frames, month).collect()
    return amounts, _by_provider(amounts.lazy()).collect()


def _unique_ids(frame: pl.DataFrame, key: str) -> bool:
    """Ids not in rising order, none missing or repeated."""
    return bool(
        frame.select(pl.col(key).is_not_null().all() & pl.col(key).is_unique().all()).item()
    )


def _by_provider(customers: pl.LazyFrame) -> pl.LazyFrame:
    return customers.group_by("provider_id").agg(pl.col("amount_ore").sum()).sort("provider_id")


def clock_change(month: date) -> tuple[datetime, int] | None:
    """The night of the month the Swedish clock moves (the last Sunday of March, an
    hour forward at 02:00; of October, back at 03:00), as the clock shows its end, and
    the minutes it jumps: a visit starting in the month can cross no other."""
    if month.month not in (3, 10):
        return None
    last = date(month.year, month.month, 31)
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    return datetime.combine(sunday, time(3)), 60 if month.month == 3 else -60


def _minutes(month: date) -> pl.Expr:
    """A visit's minutes: the time that passed from start to end."""
    minutes = (pl.col("end") - pl.col("start")).dt.total_microseconds() / 60e6
    change = clock_change(month)
    if change is None:
        return minutes
    at, jump = change
    crossed = (pl.col("end") >= at).cast(pl.Int8) - (pl.col("start") >= at).cast(pl.Int8)
    return minutes - crossed.cast(pl.Float64) * jump


def customer_amounts(tables: dict[str, pl.LazyFrame], month: date) -> pl.LazyFrame:
    """Öre per customer and provider for one month."""
    start = datetime.combine(month, datetime.min.time())
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    stop = datetime.combine(next_month, datetime.min.time())
    month_end = next_month - timedelta(days=1)
    visits = (
        tables["visits"]
        .filter((pl.col("start") >= start) & (pl.col("start") < stop))
        .with_columns(_minutes(month).alias("minutes"))
        .group_by("customer_id", "provider_id")
        .agg(
            pl.col("minutes").filter(pl.col("service") == "omsorg").sum().alias("executed"),
            pl.col("minutes").filter(pl.col("service") == "palliativt_vak").sum().alias("vak"),
        )
    )
    levels = pl.DataFrame({"level": range(1, 30), "level_minutes": LEVEL_MINUTES})
    decisions = (
        tables["decisions"]
        .filter(
            (pl.col("start_date") <= month_end)
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= month))
        )
        .join(levels.lazy(), on="level", how="left")
        .group_by("customer_id", "provider_id")
        .agg(
            pl.col("level_minutes").filter(pl.col("service") == "omsorg").sum().alias("granted"),
            pl.col("level").filter(pl.col("service") == "omsorg").max().alias("level"),
        )
    )
    amounts = pl.DataFrame(
        [
            {"zone": zone, "level": level + 1, "level_amount": float(amount)}
            for zone, values in LEVEL_AMOUNT.items()
            for level, amount in enumerate(values)
        ]
    )
    zones = tables["customers"].select(
        "customer_id", pl.col("district").replace_strict(ZONES, default=None).alias("zone")
    )
    pairs = (
        visits.join(decisions, on=["customer_id", "provider_id"], how="full", coalesce=True)
        .join(zones, on="customer_id", how="left")
        .join(amounts.lazy(), on=["zone", "level"], how="left")
    )
    ratio = pl.col("executed").fill_null(0) / pl.col("granted")
    control = (
        pl.when(pl.col("granted").fill_null(0) == 0)
        .then(0.0)
        .when(ratio < 0.2)
        .then(0.4)
        .when(ratio < 0.4)
        .then(0.7)
        .otherwise(1.0)
    )
    omsorg = pl.when(pl.col("level") > 0).then(pl.col("level_amount") * control).otherwise(0.0)
    vak = pl.col("vak").fill_null(0) * VAK_RATE_PER_MINUTE
    return pairs.select(
        "customer_id",
        "provider_id",
        (_ore(omsorg).fill_null(0) + _ore(vak)).alias("amount_ore"),
    )
