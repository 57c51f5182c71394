"""Synthetic data: a municipality's month(s) of decisions and visits that look real.

Every distribution and rate is documented in docs/data.md, with where it comes
from. Deterministic for a seed. Visits are drawn with numpy over whole arrays (no
Python loop per visit), so a national month (250 000 customers, ~15 million
visits) fits in minutes and a few GB. No real person, id or address is used.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from engine import types as t
from engine.catalog import Column, Table, Vocabulary
from engine.frames import clock_after
from engine.model import DataRequirement

# Level bounds (upper limit of granted minutes per month for levels 1..28); the same
# illustrative table as rules/orebro/omvardnad.yaml, so generated levels agree with it.
LEVEL_BOUNDS = np.array(
    [180, 360, 540, 720, 960, 1200, 1500, 1800, 2100, 2400, 2760, 3120, 3480, 3900, 4320, 4800,
     5280, 5820, 6360, 6960, 7560, 8220, 8880, 9600, 10320, 11100, 12000, 13200]
)  # fmt: skip
SLOT_HOURS = np.array([7, 9, 11, 13, 15, 17, 19, 22])  # visit slots of a day; 22 is a night visit
DURATIONS = np.array([10, 15, 20, 30, 45, 60])
DURATION_WEIGHTS = np.array([0.25, 0.35, 0.2, 0.12, 0.05, 0.03])


@dataclass(frozen=True)
class Profile:
    name: str
    districts: dict[str, float]  # district -> share of customers
    providers: tuple[
        tuple[str, str, str, float, float], ...
    ]  # id, name, ownership, share, executed
    service_share: float  # share of granted time that is service (Norrtälje splits it)
    licensed_visits: bool  # home visits by licensed staff and journals (Norrtälje)
    # Where a model pays granted time with pauses (Norrtälje), the data must hold what
    # it reads: service decisions beside omsorg ones, no visits on days the customer is
    # away, and a heavy customer's time reached with longer visits, not cut by the
    # day's visit slots. (Örebro's bundled sample keeps the simpler draw.)
    service_decisions: bool = False
    no_visits_when_away: bool = False
    visits_reach_granted: bool = False


PROFILES = {
    "orebro": Profile(
        "orebro",
        {
            "City norr": 0.25,
            "City söder": 0.25,
            "Norr": 0.12,
            "Öster": 0.13,
            "Söder": 0.13,
            "Väster": 0.12,
        },
        (
            ("P01", "Kommunal hemtjänst Norr", "municipal", 0.30, 0.70),
            ("P02", "Kommunal hemtjänst Syd", "municipal", 0.12, 0.68),
            ("P03", "Utförare C AB", "private", 0.08, 0.66),
            ("P04", "Utförare D AB", "private", 0.08, 0.64),
            ("P05", "Utförare E AB", "private", 0.08, 0.61),
            ("P06", "Utförare F AB", "private", 0.07, 0.72),
            ("P07", "Utförare G AB", "private", 0.07, 0.67),
            ("P08", "Utförare H AB", "private", 0.07, 0.63),
            ("P09", "Utförare I AB", "private", 0.07, 0.69),
            ("P10", "Utförare J AB", "private", 0.06, 0.65),
        ),
        0.0,
        False,
    ),
    "norrtalje": Profile(
        "norrtalje",
        {
            "Norrtälje stad": 0.30,
            "Rimbo": 0.12,
            "Hallstavik": 0.08,
            "Söderbykarl": 0.08,
            "Edsbro": 0.07,
            "Husby-Sjuhundra": 0.08,
            "Blidö": 0.07,
            "Väddö": 0.12,
            "Rådmansö": 0.08,
        },  # fmt: skip
        (
            ("N1", "Kommunägd omsorg AB", "municipal", 0.35, 0.66),
            ("N2", "Utförare Två AB", "private", 0.20, 0.62),
            ("N3", "Utförare Tre AB", "private", 0.18, 0.69),
            ("N4", "Utförare Fyra AB", "private", 0.15, 0.64),
            ("N5", "Utförare Fem AB", "private", 0.12, 0.67),
        ),
        0.25,
        True,
        service_decisions=True,
        no_visits_when_away=True,
        visits_reach_granted=True,
    ),
}


@dataclass
class Rates:
    """The rates the generator draws with (docs/data.md says where each comes from)."""

    alarm_only: float = 0.05
    alarm_with_care: float = 0.70
    hsl: float = 0.25
    relief: float = 0.03
    escort: float = 0.04
    special: float = 0.003
    palliative: float = 0.015
    temporary: float = 0.02
    journal_nurse: float = 0.20
    journal_district: float = 0.05
    tail_below_40: float = 0.05
    tail_below_20: float = 0.03
    no_visits: float = 0.02
    executed_sd: float = 0.14
    level_change: float = 0.05
    level_decrease: float = 1 / 3
    provider_change: float = 0.01
    ending: float = 0.008
    claim: float = 0.4
    manual: float = 0.08
    lock: float = 0.20
    late: float = 0.03
    clock: float = 0.005
    declined: float = 0.02
    double_same: float = 0.002
    double_other: float = 0.001
    double_staffing: float = 0.30  # of visits of customers above 72 h/month
    hospital: float = 0.04
    short_term: float = 0.015
    declined_period: float = 0.01


# About 88 visits per customer and month (a national month: 250 000 customers, 22 M
# visits); above SPILL_VISITS the months' visits go to disk as they are made.
VISITS_PER_CUSTOMER_MONTH = 88
SPILL_VISITS = 5_000_000


def expected_visits(customers: int, months: int) -> int:
    return customers * months * VISITS_PER_CUSTOMER_MONTH


def month_starts(first: date, months: int) -> list[date]:
    out, current = [], first.replace(day=1)
    for _ in range(months):
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def level_of(minutes: np.ndarray) -> np.ndarray:
    return np.searchsorted(LEVEL_BOUNDS, minutes, side="right") + 1


def _ids(prefix: str, numbers: np.ndarray, width: int) -> list[str]:
    return [f"{prefix}{n:0{width}d}" for n in numbers.tolist()]


def generate(
    profile_name: str,
    customers: int,
    months: int,
    seed: int,
    first: date,
    progress: Callable[[str], None] = lambda _: None,
    spill: Path | None = None,
) -> dict[str, pl.DataFrame | pl.LazyFrame]:
    """All canonical input tables for `months` months from `first`. With `spill`, a
    directory, each month's visits are written there as soon as they are made and the
    visits table is returned as a scan of those files (a year of a whole country's
    visits does not fit in memory); the rows are the same either way."""
    profile = PROFILES[profile_name]
    rates = Rates()
    rng = np.random.default_rng(seed)
    starts = month_starts(first, months)
    n = customers

    # ---- customers and their standing decisions
    districts = list(profile.districts)
    district = rng.choice(len(districts), n, p=np.array(list(profile.districts.values())))
    providers = profile.providers
    provider = rng.choice(len(providers), n, p=np.array([p[3] for p in providers]))
    alarm_only = rng.random(n) < rates.alarm_only
    care = ~alarm_only
    granted = np.clip(np.exp(rng.normal(np.log(25), 1.0, n)), 2, 250) * 60
    granted = (np.round(granted / 15) * 15).astype(np.int64)
    has_alarm = alarm_only | (care & (rng.random(n) < rates.alarm_with_care))
    hsl = care & (rng.random(n) < rates.hsl)
    profession = rng.choice(np.array(["nurse", "ot", "pt"]), n, p=[0.7, 0.15, 0.15])
    hsl_minutes = (
        np.clip(np.exp(rng.normal(np.log(480), 0.8, n)), 60, 3600).round(-1).astype(np.int64)
    )
    private = np.array([providers[p][2] == "private" for p in provider])
    special = care & private & (rng.random(n) < rates.special)
    executed_mean = np.array([providers[p][4] for p in provider])
    share = np.clip(rng.normal(executed_mean, rates.executed_sd), 0.4, 1.1)
    tail = rng.random(n)
    share = np.where(tail < rates.tail_below_40, rng.uniform(0.2, 0.4, n), share)
    share = np.where(tail < rates.tail_below_20, rng.uniform(0.03, 0.2, n), share)
    share = np.where(tail < rates.no_visits, 0.0, share)
    night = rng.random(n) < 0.10
    first_start = np.array(starts[0], dtype="datetime64[D]") - rng.integers(-20, 730, n).astype(
        "timedelta64[D]"
    )

    customer_ids = _ids("K", np.arange(1, n + 1), max(6, len(str(n))))
    provider_ids = [p[0] for p in providers]
    tables: dict[str, list[pl.DataFrame]] = {
        k: [] for k in ("decisions", "visits", "absences", "journals")
    }

    # decision chains: per customer the current omsorg decision (start, granted, provider)
    state_start = first_start.copy()
    # the last day of each customer's temporary increase: one granted near a month's end
    # ran into the next month, where a second one began over it (two decisions of one
    # service in force at once, which a run warns of: the generated year exited 5)
    temporary_until = np.full(n, np.datetime64("1900-01-01"), dtype="datetime64[D]")
    state_granted = granted.copy()
    state_provider = provider.copy()
    decision_rows: list[dict[str, object]] = []
    decision_no = 0
    claims: list[dict[str, object]] = []

    def add_decision(
        i: int, service: str, start: np.datetime64, end: object, **extra: object
    ) -> None:
        nonlocal decision_no
        decision_no += 1
        decision_rows.append(
            {
                "decision_id": f"B{decision_no:07d}",
                "customer_id": customer_ids[i],
                "provider_id": provider_ids[int(state_provider[i])],
                "service": service,
                "start_date": str(start),
                "end_date": None if end is None else str(end),
                **extra,
            }
        )

    # standing non-omsorg decisions (for the whole period)
    for i in np.flatnonzero(has_alarm).tolist():
        add_decision(i, "trygghetslarm", first_start[i], None)
    for i in np.flatnonzero(hsl).tolist():
        add_decision(
            i, "hsl_delegerad", first_start[i], None, granted_minutes=int(hsl_minutes[i]),
            profession=str(profession[i]), ordered_by="rehab_team" if profession[i] == "pt" else None,
        )  # fmt: skip
    for i in np.flatnonzero(care & (rng.random(n) < rates.relief)).tolist():
        add_decision(
            i,
            "avlosning",
            first_start[i],
            None,
            hours_per_month=int(rng.choice([12, 16, 20, 24], p=[0.6, 0.2, 0.12, 0.08])),
        )
    for i in np.flatnonzero(care & (rng.random(n) < rates.escort)).tolist():
        add_decision(i, "ledsagning", first_start[i], None)
    if profile.licensed_visits:
        journal = care & (rng.random(n) < rates.journal_nurse + rates.journal_district)
        kind = np.where(
            rng.random(n) < rates.journal_nurse / (rates.journal_nurse + rates.journal_district),
            "nurse",
            "district_nurse",
        )
        tables["journals"].append(
            pl.DataFrame(
                {
                    "customer_id": [customer_ids[i] for i in np.flatnonzero(journal)],
                    "provider_id": [provider_ids[provider[i]] for i in np.flatnonzero(journal)],
                    "profession": kind[journal].tolist(),
                    "start_date": [str(first_start[i]) for i in np.flatnonzero(journal)],
                    "end_date": [None] * int(journal.sum()),
                },
                schema={
                    "customer_id": pl.String,
                    "provider_id": pl.String,
                    "profession": pl.String,
                    "start_date": pl.String,
                    "end_date": pl.String,
                },
            )
        )

    ended = np.zeros(n, dtype=bool)
    visit_no = 0
    split = profile.service_share if profile.service_decisions else 0.0
    for month in starts:
        days = calendar.monthrange(month.year, month.month)[1]
        month_start = np.datetime64(month)
        progress(f"{month:%Y-%m}: decisions")
        # ---- changes during the month: level changes, provider changes, endings
        active = care & ~ended
        change = active & (rng.random(n) < rates.level_change)
        move = active & ~change & (rng.random(n) < rates.provider_change)
        ending = active & ~change & ~move & (rng.random(n) < rates.ending)
        change_day = rng.integers(2, days + 1, n)
        decrease = rng.random(n) < rates.level_decrease
        change_date = month_start + (change_day - 1).astype("timedelta64[D]")
        too_early = change_date <= state_start  # a decision starting later this month stays
        change, move, ending = change & ~too_early, move & ~too_early, ending & ~too_early
        for i in np.flatnonzero(change | move | ending).tolist():
            day = change_date[i]
            reason = (
                "need_changed"
                if change[i]
                else "provider_changed"
                if move[i]
                else str(rng.choice(["death", "residential_care", "short_term_care"]))
            )
            _close_omsorg(
                add_decision,
                i,
                state_start[i],
                day - np.timedelta64(1, "D"),
                state_granted[i],
                special[i],
                reason,
                split,
            )
            if ending[i]:
                ended[i] = True
                continue
            if change[i]:
                old_level = int(level_of(np.array([state_granted[i]]))[0])
                factor = 0.85 if decrease[i] else 1.2
                state_granted[i] = int(round(state_granted[i] * factor / 15) * 15)
                new_level = int(level_of(np.array([state_granted[i]]))[0])
                if decrease[i] and new_level < old_level and rng.random() < rates.claim:
                    period_end = _add_months(day.astype(date), 3) - timedelta(days=1)
                    claims.append(
                        {
                            "claim_id": f"E{len(claims) + 1:05d}",
                            "customer_id": customer_ids[i],
                            "provider_id": provider_ids[state_provider[i]],
                            "from_level": old_level,
                            "to_level": new_level,
                            "period_start": str(day),
                            "period_end": period_end.isoformat(),
                            "submitted_on": (
                                period_end + timedelta(days=int(rng.integers(1, 60)))
                            ).isoformat(),
                        }
                    )
            else:
                state_provider[i] = (
                    state_provider[i] + 1 + rng.integers(0, len(providers) - 1)
                ) % len(providers)
            state_start[i] = day

        # ---- visits of the month (vectorized over all customers)
        progress(f"{month:%Y-%m}: visits")
        frame, visit_no = _visits(rng, rates, profile, month, days, visit_no, customer_ids, provider_ids,
                                  state_granted, state_provider, share, care & ~ended | change | move,
                                  night, has_alarm, hsl, hsl_minutes, profession, level_of(state_granted),
                                  change_day, change | move, provider)  # fmt: skip
        if spill is not None:
            frame.write_parquet(spill / f"visits_{len(tables['visits']):03d}.parquet")
            frame = frame.clear()  # the month's rows are on disk, not kept here
        tables["visits"].append(frame)
        tables["absences"].append(_absences(rng, rates, month, days, customer_ids, care & ~ended))
        # palliative care in the month
        for i in np.flatnonzero(
            care & ~ended & (rng.random(n) < rates.palliative / months)
        ).tolist():
            start = month_start + np.timedelta64(int(rng.integers(0, max(days - 10, 1))), "D")
            add_decision(i, "palliativt_vak", start, start + np.timedelta64(9, "D"))
        for i in np.flatnonzero(care & ~ended & (rng.random(n) < rates.temporary)).tolist():
            start = month_start + np.timedelta64(int(rng.integers(0, days - 1)), "D")
            end = start + np.timedelta64(int(rng.integers(3, 14)), "D")
            if start <= temporary_until[i]:  # the one before is still in force
                continue
            temporary_until[i] = end
            add_decision(i, "tillfallig_utokning", start, end)

    # the omsorg decisions still open at the end
    for i in np.flatnonzero(care & ~ended).tolist():
        _close_omsorg(
            add_decision, i, state_start[i], None, state_granted[i], special[i], None, split
        )

    parts: list[pl.DataFrame | Path] = (
        [*sorted(spill.glob("visits_*.parquet"))] if spill is not None else [*tables["visits"]]
    )
    columns = tables["visits"][0].columns
    extra = _palliative_visits(rng, decision_rows, columns)
    if extra is not None:
        parts.append(extra)
    away = _days_away(pl.concat(tables["absences"])) if profile.no_visits_when_away else None
    visits: pl.DataFrame | pl.LazyFrame
    if spill is None:
        frames = [p for p in parts if isinstance(p, pl.DataFrame)]
        visits = pl.concat([_not_while_away(p, away) for p in frames], rechunk=False)
    else:  # each month's file read back, filtered and written once more, then scanned
        kept = []
        for number, part in enumerate(parts):
            frame = pl.read_parquet(part) if isinstance(part, Path) else part
            path = spill / f"kept_{number:03d}.parquet"
            _not_while_away(frame, away).write_parquet(path)
            kept.append(path)
        visits = pl.scan_parquet(kept)
    out: dict[str, pl.DataFrame | pl.LazyFrame] = {
        "providers": pl.DataFrame(
            {
                "provider_id": provider_ids,
                "name": [p[1] for p in providers],
                "ownership": [p[2] for p in providers],
            }
        ),
        "customers": pl.DataFrame(
            {"customer_id": customer_ids, "district": [districts[d] for d in district]}
        ),
        "decisions": pl.DataFrame(
            decision_rows, schema=DECISION_SCHEMA, infer_schema_length=None
        ).sort("decision_id"),
        "visits": visits,
        "absences": pl.concat(tables["absences"]),
        "journals": pl.concat(tables["journals"])
        if tables["journals"]
        else pl.DataFrame(schema=JOURNAL_SCHEMA),
        "premium_claims": pl.DataFrame(claims, schema=CLAIM_SCHEMA),
        "outages": _outages(rng, starts),
        "zones": _foreign_zones(profile.name),
    }
    return out


# How each profile's districts count in the other bundled model's zones, written as
# the data's `zones` table, so that both models run on either dataset (the same
# placement as scenarios/norrtalje_med_orebros_distrikt.yaml).
FOREIGN_ZONES = {
    "orebro": {
        "norrtalje-kundval": {
            "tätort": ["City norr", "City söder"],
            "landsbygd": ["Norr", "Söder", "Väster"],
            "skärgård": ["Öster"],
        }
    },
    "norrtalje": {
        "orebro-omvardnad": {
            "tätort": ["Norrtälje stad", "Rimbo", "Hallstavik"],
            "förort_landsort": [
                "Söderbykarl",
                "Edsbro",
                "Husby-Sjuhundra",
                "Blidö",
                "Väddö",
                "Rådmansö",
            ],  # fmt: skip
        }
    },
}


def _foreign_zones(profile: str) -> pl.DataFrame:
    rows = [
        {"model": model, "zone": zone, "district": district}
        for model, zones in FOREIGN_ZONES.get(profile, {}).items()
        for zone, districts in zones.items()
        for district in districts
    ]
    return pl.DataFrame(rows, schema={"model": pl.String, "zone": pl.String, "district": pl.String})


DECISION_SCHEMA = {
    "decision_id": pl.String, "customer_id": pl.String, "provider_id": pl.String, "service": pl.String,
    "start_date": pl.String, "end_date": pl.String, "end_reason": pl.String, "level": pl.Int64,
    "granted_minutes": pl.Int64, "hours_per_month": pl.Int64, "profession": pl.String,
    "ordered_by": pl.String, "received_on": pl.String, "special_amount": pl.Float64,
}  # fmt: skip
JOURNAL_SCHEMA = {
    "customer_id": pl.String,
    "provider_id": pl.String,
    "profession": pl.String,
    "start_date": pl.String,
    "end_date": pl.String,
}
CLAIM_SCHEMA = {
    "claim_id": pl.String, "customer_id": pl.String, "provider_id": pl.String, "from_level": pl.Int64,
    "to_level": pl.Int64, "period_start": pl.String, "period_end": pl.String, "submitted_on": pl.String,
}  # fmt: skip


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _close_omsorg(add, i: int, start, end, granted_minutes: int, special: bool, reason,  # type: ignore[no-untyped-def]
                  service_share: float = 0.0) -> None:  # fmt: skip
    """The customer's omsorg decision for a stretch of time (and, where the profile
    splits granted time, a service decision for the service part of it)."""
    level = int(level_of(np.array([granted_minutes]))[0])
    service = int(round(granted_minutes * service_share / 15) * 15)
    extra = {
        "granted_minutes": int(granted_minutes) - service,
        "level": level,
        "end_reason": reason,
    }
    if special:
        extra["special_amount"] = float(40000 + 250 * level)
    add(i, "omsorg", start, end, **extra)
    if service:
        add(i, "service", start, end, granted_minutes=service, end_reason=reason)


SERVICES = [
    "omsorg",
    "service",
    "dubbelbemanning",
    "trygghetslarm",
    "hsl_delegerad",
    "hsl_legitimerad",
]
ROLES = ["care", "nurse", "district_nurse", "ot", "pt"]
PROFESSIONS = ["nurse", "ot", "pt"]
STAFF_KINDS = ["S", "D", "L", "H", "R"]  # care team, double staffing, alarm, HSL, licensed
REGISTRATIONS = ["tag", "lock", "manual"]
CHUNK = 50_000  # customers per block: bounds the memory a national month needs


def _visits(rng, rates, profile, month, days, visit_no, customer_ids, provider_ids, granted, provider,  # type: ignore[no-untyped-def]
            share, active, night, has_alarm, hsl, hsl_minutes, profession, levels, change_day, changed,
            old_provider):  # fmt: skip
    """One month's visits, block by block of customers (numpy arrays of codes; the text
    columns are made by Polars at the end of each block)."""
    frames = []
    n = len(customer_ids)
    prof_code = np.searchsorted(np.array(PROFESSIONS), profession)
    for first in range(0, n, CHUNK):
        block = np.arange(first, min(first + CHUNK, n))
        frame, visit_no = _visit_block(
            rng, rates, profile, month, days, visit_no, block, customer_ids, provider_ids, granted,
            provider, share, active, night, has_alarm, hsl, hsl_minutes, prof_code, levels,
            change_day, changed, old_provider,
        )  # fmt: skip
        frames.append(frame)
    return pl.concat(frames, rechunk=False), visit_no


def _visit_block(rng, rates, profile, month, days, visit_no, block, customer_ids, provider_ids,  # type: ignore[no-untyped-def]
                 granted, provider, share, active, night, has_alarm, hsl, hsl_minutes, prof_code,
                 levels, change_day, changed, old_provider):  # fmt: skip
    month_start = np.datetime64(month).astype("datetime64[m]")
    slots = days * len(SLOT_HOURS)
    target = np.where(active[block], granted[block] * share[block], 0.0)
    mean_duration = float((DURATIONS * DURATION_WEIGHTS).sum())
    count = np.minimum(np.round(target / mean_duration), slots).astype(np.int64)
    owner = np.repeat(block, count)
    k = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    # stratified: visit k of n gets a slot in [k·S/n, (k+1)·S/n), so no two share a slot
    stride = slots / np.repeat(np.maximum(count, 1), count)
    low, high = np.floor(k * stride), np.floor((k + 1) * stride)
    slot = (low + np.floor(rng.random(owner.size) * (high - low))).astype(np.int64)
    hour = SLOT_HOURS[slot % len(SLOT_HOURS)]
    hour = np.where((hour == 22) & ~night[owner], 21, hour)
    day = slot // len(SLOT_HOURS)
    start = month_start + (day * 1440 + hour * 60 + rng.integers(0, 40, owner.size)).astype(
        "timedelta64[m]"
    )
    duration = rng.choice(DURATIONS, owner.size, p=DURATION_WEIGHTS)
    if profile.visits_reach_granted:
        # where the day's slots cap the number of visits, the visits grow longer (to
        # at most four hours) so that the executed time still follows the share drawn
        reach = target / np.maximum(count * mean_duration, 1.0)
        longer = np.maximum(reach[np.searchsorted(block, owner)], 1.0)
        duration = np.minimum(np.round(duration * longer / 5) * 5, 240).astype(duration.dtype)
    service = np.zeros(owner.size, dtype=np.int8)
    if profile.service_share:
        service = np.where(rng.random(owner.size) < profile.service_share, 1, 0).astype(np.int8)
    vprov = np.where(
        changed[owner] & (day + 1 < change_day[owner]), old_provider[owner], provider[owner]
    )
    zeros = np.zeros(owner.size, dtype=np.int8)
    parts = [
        (
            owner,
            start,
            duration,
            service,
            zeros,
            np.full(owner.size, -1),
            zeros,
            owner * 3 + slot % 3,
            vprov,
        )
    ]

    heavy = (
        (levels[owner] >= 15) & (rng.random(owner.size) < rates.double_staffing) & (service == 0)
    )
    h = int(heavy.sum())
    parts.append((owner[heavy], start[heavy], duration[heavy], np.full(h, 2, np.int8), np.zeros(h, np.int8),
                  np.full(h, -1), np.full(h, 1, np.int8), owner[heavy], vprov[heavy]))  # fmt: skip

    alarms = rng.poisson(2.0, block.size) * has_alarm[block]
    a_owner = np.repeat(block, alarms)
    a = a_owner.size
    a_start = month_start + rng.integers(0, days * 1440 - 60, a).astype("timedelta64[m]")
    parts.append((a_owner, a_start, rng.choice([15, 20, 30], a), np.full(a, 3, np.int8), np.zeros(a, np.int8),
                  np.full(a, -1), np.full(a, 2, np.int8), a_owner, provider[a_owner]))  # fmt: skip

    h_count = np.where(
        hsl[block] & active[block], np.round(hsl_minutes[block] * 0.8 / 15), 0
    ).astype(np.int64)
    h_owner = np.repeat(block, h_count)
    h_k = np.arange(h_owner.size) - np.repeat(np.cumsum(h_count) - h_count, h_count)
    h_day = np.floor(
        (h_k + rng.random(h_owner.size)) * days / np.repeat(np.maximum(h_count, 1), h_count)
    )
    h_day = np.minimum(h_day.astype(np.int64), days - 1)
    h_start = month_start + (h_day * 1440 + 6 * 60 + (h_k % 12) * 20).astype("timedelta64[m]")
    hn = h_owner.size
    parts.append((h_owner, h_start, np.full(hn, 15), np.full(hn, 4, np.int8), np.zeros(hn, np.int8),
                  prof_code[h_owner], np.full(hn, 3, np.int8), h_owner, provider[h_owner]))  # fmt: skip

    if profile.licensed_visits:
        l_count = rng.poisson(0.6, block.size) * active[block]
        l_owner = np.repeat(block, l_count)
        ln = l_owner.size
        l_role = rng.choice(np.arange(1, 5), ln, p=[0.6, 0.15, 0.13, 0.12]).astype(np.int8)
        l_start = month_start + (rng.integers(0, days, ln) * 1440 + 12 * 60).astype(
            "timedelta64[m]"
        )
        parts.append((l_owner, l_start, np.full(ln, 30), np.full(ln, 5, np.int8), l_role, np.full(ln, -1),
                      np.full(ln, 4, np.int8), visit_no + np.arange(ln), provider[l_owner]))  # fmt: skip

    owner, start, duration, service, role, prof, kind, staff_no, vprov = (
        np.concatenate([p[i] for p in parts]) for i in range(9)
    )
    size = owner.size
    u = rng.random(size)
    registration = np.where(
        u < rates.manual, 2, np.where(u < rates.manual + rates.lock, 1, 0)
    ).astype(np.int8)
    end = _on_the_clock(start, duration)
    late = rng.random(size) < rates.late
    delay = np.where(late, rng.integers(1, 11, size) * 1440 + rng.integers(0, 600, size), 0)
    reported = _on_the_clock(end + delay.astype("timedelta64[m]"))
    clock = rng.random(size) < rates.clock
    declined = (rng.random(size) < rates.declined) & (service == 0)
    end = np.where(declined, _on_the_clock(start, np.full(size, 2)), end)
    # injected double registrations: the same staff registers again 10 minutes later,
    # at the same customer or at the next one
    care = kind == 0
    dup_same = np.flatnonzero((rng.random(size) < rates.double_same) & care)
    dup_other = np.flatnonzero((rng.random(size) < rates.double_other) & care)
    pick = np.concatenate([np.arange(size), dup_same, dup_other])
    shift = np.concatenate([np.zeros(size), np.full(dup_same.size + dup_other.size, 10)]).astype(
        "timedelta64[m]"
    )
    visit_owner = np.concatenate(
        [owner, owner[dup_same], (owner[dup_other] + 1) % len(customer_ids)]
    )
    total = pick.size
    codes = pl.DataFrame(
        {
            "no": np.arange(visit_no + 1, visit_no + total + 1),
            "owner": visit_owner,
            "staff_owner": staff_no[pick],
            "prov": vprov[pick],
            "svc": service[pick],
            "role": role[pick],
            "prof": prof[pick],
            "kind": kind[pick],
            "start": _on_the_clock(start[pick], shift).astype("datetime64[us]"),
            "end": _on_the_clock(end[pick], shift).astype("datetime64[us]"),
            "reg": registration[pick],
            "reported_at": _on_the_clock(reported[pick] + shift).astype("datetime64[us]"),
            "clock_adjusted": clock[pick],
            "declined": declined[pick],
        }
    )
    width = len(customer_ids[0]) - 1

    def name(codes_list: list[str], column: str) -> pl.Expr:
        return (
            pl.col(column)
            .cast(pl.Int64)
            .replace_strict(dict(enumerate(codes_list)), default=None, return_dtype=pl.String)
        )

    provider_id = name(provider_ids, "prov")
    frame = codes.select(
        pl.format("V{}", pl.col("no").cast(pl.String).str.zfill(9)).alias("visit_id"),
        pl.format("K{}", (pl.col("owner") + 1).cast(pl.String).str.zfill(width)).alias(
            "customer_id"
        ),
        provider_id.alias("provider_id"),
        pl.format("{}-{}{}", provider_id, name(STAFF_KINDS, "kind"), pl.col("staff_owner")).alias(
            "staff_id"
        ),
        name(ROLES, "role").alias("staff_role"),
        name(SERVICES, "svc").alias("service"),
        name(PROFESSIONS, "prof").alias("profession"),
        "start",
        "end",
        name(REGISTRATIONS, "reg").alias("registration"),
        "reported_at",
        "clock_adjusted",
        "declined",
    )
    return frame, visit_no + total


def _days_away(absences: pl.DataFrame) -> pl.DataFrame | None:
    """Each customer's days away (in hospital, in a short-term stay, or having declined
    the service for a period); None when no one is away."""
    if absences.height == 0:
        return None
    return (
        absences.select(
            "customer_id",
            pl.date_ranges(
                pl.col("start_date").str.to_date(), pl.col("end_date").str.to_date()
            ).alias("day"),
        )
        .explode("day")
        .unique()
    )


def _not_while_away(visits: pl.DataFrame, away: pl.DataFrame | None) -> pl.DataFrame:
    """The visits that do not fall on a day the customer is away (a filter row by row,
    so a month at a time gives the same rows as all months at once)."""
    if away is None:
        return visits
    return visits.join(
        away,
        left_on=["customer_id", pl.col("start").dt.date()],
        right_on=["customer_id", "day"],
        how="anti",
        maintain_order="left",
    )


def _absences(
    rng: np.random.Generator,
    rates: Rates,
    month: date,
    days: int,
    customer_ids: list[str],
    active: np.ndarray,
) -> pl.DataFrame:
    n = len(customer_ids)
    u = rng.random(n)
    reason = np.where(u < rates.hospital, "hospital", np.where(u < rates.hospital + rates.short_term, "short_term_stay",
                      np.where(u < rates.hospital + rates.short_term + rates.declined_period, "declined", "")))  # fmt: skip
    chosen = np.flatnonzero(active & (reason != ""))
    length = np.where(reason[chosen] == "hospital", rng.integers(3, 15, chosen.size),
                      np.where(reason[chosen] == "short_term_stay", rng.integers(7, 22, chosen.size), rng.integers(1, 6, chosen.size)))  # fmt: skip
    first = np.datetime64(month) + rng.integers(0, days, chosen.size).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "customer_id": [customer_ids[i] for i in chosen.tolist()],
            "start_date": first.astype(str).tolist(),
            "end_date": (first + (length - 1).astype("timedelta64[D]")).astype(str).tolist(),
            "reason": reason[chosen].tolist(),
        },
        schema={
            "customer_id": pl.String,
            "start_date": pl.String,
            "end_date": pl.String,
            "reason": pl.String,
        },
    )


def _palliative_visits(
    rng: np.random.Generator, decisions: list[dict[str, object]], columns: list[str]
) -> pl.DataFrame | None:
    """The night visits of the palliative decisions (after every month's visits)."""
    rows = [d for d in decisions if d["service"] == "palliativt_vak"]
    if not rows:
        return None
    out = []
    for d in rows:
        start = date.fromisoformat(str(d["start_date"]))
        for night in range(int(rng.integers(3, 8))):
            begin = datetime.combine(
                start + timedelta(days=night), datetime.min.time()
            ) + timedelta(hours=22)
            out.append({"customer_id": d["customer_id"], "provider_id": d["provider_id"], "start": begin,
                        "end": begin + timedelta(hours=int(rng.integers(2, 7)))})  # fmt: skip
    extra = pl.DataFrame(out).with_columns(
        pl.Series("visit_id", [f"W{i:08d}" for i in range(1, len(out) + 1)]),
        (pl.col("provider_id") + "-V" + pl.col("customer_id")).alias("staff_id"),
        pl.lit("care").alias("staff_role"),
        pl.lit("palliativt_vak").alias("service"),
        pl.lit(None, dtype=pl.String).alias("profession"),
        pl.lit("tag").alias("registration"),
        pl.col("end").alias("reported_at"),
        pl.lit(False).alias("clock_adjusted"),
        pl.lit(False).alias("declined"),
    )
    extra = extra.with_columns(
        pl.col("start").cast(pl.Datetime("us")),
        pl.col("end").cast(pl.Datetime("us")),
        pl.col("reported_at").cast(pl.Datetime("us")),
    )
    return extra.select(columns)


def _outages(rng, starts: list[date]) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    rows = []
    for month in starts:
        if rng.random() < 1 / 6:
            first = month + timedelta(days=int(rng.integers(0, 25)))
            rows.append(
                {
                    "start_date": first.isoformat(),
                    "end_date": (first + timedelta(days=int(rng.integers(0, 5)))).isoformat(),
                }
            )
    return pl.DataFrame(rows, schema={"start_date": pl.String, "end_date": pl.String})


def with_declared_columns(
    tables: dict[str, pl.DataFrame | pl.LazyFrame],
    vocabulary: Vocabulary,
    seed: int,
    first: date,
    months: int,
    districts: list[str] | None = None,
) -> tuple[dict[str, pl.DataFrame | pl.LazyFrame], list[str]]:
    """The tables with each column a model declares of them filled (`generate
    --model`): a value of its code list, of its range, or in the months generated,
    drawn for each row from the seed. A model's own columns — a visit's status, a
    customer's distance — were missing, and every row of a column the model requires
    was rejected. The customers live in the model's `districts`, where it names some
    (the profile's are another municipality's, in none of its zones). A table of the
    model's own is not made (its meaning is the model's): the second value names them."""
    out = dict(tables)
    customers = out.get("customers")
    if districts and customers is not None:
        place = Column("district", t.Text(tuple(districts)), False, "", "text")
        out["customers"] = customers.with_columns(_drawn(place, seed, first, months))
    for name, frame in out.items():
        table = vocabulary.tables.get(name)
        if table is None:
            continue
        given = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
        wanted = [c for c in table.columns.values() if c.name not in given]
        if wanted:
            drawn = [_drawn(c, seed + i, first, months) for i, c in enumerate(wanted, 1)]
            frame = frame.with_columns(drawn)
        schema = frame.lazy().collect_schema()
        made = frame.lazy().with_columns(
            _recoded(c, seed) if _codes(c) else _within_range(c, seed, schema[c.name])
            for c in table.columns.values()
            if c.name in given and (_codes(c) or (_narrowed(c) and schema[c.name].is_numeric()))
        )
        made = _in_order(made, table, {c.name for c in wanted})
        out[name] = made if isinstance(frame, pl.LazyFrame) else made.collect()
    own = [name for name in vocabulary.tables if name not in tables]
    return out, own


def with_requirements_met(
    tables: dict[str, pl.DataFrame | pl.LazyFrame],
    requirements: Iterable[DataRequirement],
    vocabulary: Vocabulary,
    seed: int,
    first: date,
    months: int,
) -> dict[str, pl.DataFrame | pl.LazyFrame]:
    """The rows a model's data requirement needs a value of given one (`generate
    --model`): an omsorg decision of a model that pays omsorg by `hours_per_month`,
    where the profile writes granted minutes, had every such row rejected, and the model
    paid no omsorg on its sample. The first column the requirement names is filled,
    drawn from its values on the table's other rows (relief's 12–24 hours) where there
    are any, else from its range."""
    out = dict(tables)
    for requirement in requirements:
        frame = out.get(requirement.table)
        table = vocabulary.tables.get(requirement.table)
        if frame is None or table is None:
            continue
        lazy = frame.lazy()
        schema = lazy.collect_schema()
        names = schema.names()
        column = table.columns.get(requirement.any_of[0])
        if column is None or any(c not in names for c in requirement.where):
            continue
        wanted = [
            pl.col(c).is_in(pl.Series(v).cast(schema[c], strict=False).implode())
            for c, v in requirement.where.items()
        ]
        picked = pl.all_horizontal(wanted) if wanted else pl.lit(True)
        empty = [pl.col(c).is_null() for c in requirement.any_of if c in names]
        lacking = pl.all_horizontal(empty) if empty else pl.lit(True)
        given = column.name in names
        pool = (
            lazy.select(pl.col(column.name).drop_nulls().unique().sort()).collect().to_series()
            if given
            else pl.Series([])
        )
        if pool.len():
            draw = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % pool.len()
            value = pl.lit(pool).gather(draw.cast(pl.Int64))
        else:
            value = _drawn(column, seed, first, months)
        current = pl.col(column.name) if given else pl.lit(None)
        filled = pl.when(picked.fill_null(False) & lacking).then(value).otherwise(current)
        lazy = lazy.with_columns(filled.alias(column.name))
        out[requirement.table] = lazy if isinstance(frame, pl.LazyFrame) else lazy.collect()
    return out


def _codes(column: Column) -> tuple[str, ...]:
    return tuple(getattr(column.type, "values", None) or ())


def _recoded(column: Column, seed: int) -> pl.Expr:
    """A value the profile writes that the model's code list lacks — `omsorg` for a
    model whose services are `hemtjänst, larm, ledsagning` — drawn from its list, so
    that the rows are not all rejected; an empty value stays empty."""
    codes = _codes(column)
    pick = (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % len(codes)).cast(pl.Int64)
    drawn = pl.lit(pl.Series(list(codes))).gather(pick)
    value = pl.col(column.name)
    return (pl.when(value.is_null() | value.is_in(list(codes))).then(value).otherwise(drawn)).alias(
        column.name
    )


def _narrowed(column: Column) -> bool:
    """A number the model holds to a range (`level: {maximum: 5}`)."""
    return column.kind in ("integer", "number") and (
        column.minimum is not None or column.maximum is not None
    )


def _within_range(column: Column, seed: int, dtype: pl.DataType) -> pl.Expr:
    """A value the profile writes outside the model's range — an Örebro level 6–29 for a
    model whose levels are 1–5 — drawn from the range, so that the rows are not all
    rejected; an empty value stays empty, and a column of whole numbers stays one."""
    value = pl.col(column.name)
    low = value >= column.minimum if column.minimum is not None else pl.lit(True)
    high = value <= column.maximum if column.maximum is not None else pl.lit(True)
    drawn = _drawn(column, seed, date(2000, 1, 1), 1)
    if dtype.is_integer():
        drawn = drawn.round(0).cast(dtype)
    return pl.when(value.is_null() | (low & high)).then(value).otherwise(drawn).alias(column.name)


def own_tables(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    vocabulary: Vocabulary,
    seed: int,
    first: date,
    months: int,
) -> dict[str, pl.DataFrame]:
    """A table of the model's own (`generate --model`): one row a month for each of
    those its rows belong to — a customer and provider with a decision in force that
    month, a customer, a provider, or the month alone — with its key a running number
    (or the next code of its list); for a table another table's rows name by its whole
    key (a staff table keyed by the visits' `staff_id`), one row for each value named
    (`_named_by`); for one whose column references a generated table (the visits'
    insatser), one for each row of that table (`_rows_referenced`). Its dates and
    times are in the row's month (a period ending on or after its start), and every
    other value is drawn from its column's code list or range. Its meaning is the
    model's, so the values are only such as its columns allow; no row names another
    table's row but by its customer and provider, or by such a key or reference."""
    out = {}
    for name, table in vocabulary.tables.items():
        if name in tables:
            continue
        parties = next((e.parties for e in vocabulary.entities.values() if e.table == name), ())
        named = _named_by(tables, vocabulary, name, table)
        if named is None:
            named = _rows_referenced(tables, vocabulary, table)
        owners = (
            [(first, named)]
            if named is not None
            else [(s, _owners(tables, vocabulary, parties, s)) for s in month_starts(first, months)]
        )
        rows = pl.concat(
            [
                of.with_columns(__month=pl.lit(start), __days=pl.lit(_days_in(start)))
                for start, of in owners
            ]
        )
        given = set(rows.columns)
        drawn = [
            _drawn_own(column, seed + i, name, table, tables, vocabulary)
            for i, column in enumerate(table.columns.values(), 1)
            if column.name not in given
        ]
        frame = rows.with_columns(drawn)
        frame = frame.with_columns(_ends_after_starts(table))
        frame = _in_order(frame.lazy(), table, set(table.columns) - given).collect()
        out[name] = frame.select(list(table.columns))
    return out


def _named_by(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    vocabulary: Vocabulary,
    name: str,
    table: Table,
) -> pl.DataFrame | None:
    """The keys of an own table that another table's rows name by a relation on the
    whole key (a visit's `staff_id`, relating it to a staff table keyed by `staff_id`):
    each value named once, so that the relation finds its rows. A staff table of one
    row, `personal-1`, was related to no visit. None where no generated table names it."""
    if not table.key:
        return None
    for entity in vocabulary.entities.values():
        source = vocabulary.table_of(entity.name)
        if source is None or source == name or source not in tables:
            continue
        for relation in entity.relations:
            if vocabulary.table_of(relation.entity) != name or set(relation.keys) != set(table.key):
                continue
            present = tables[source].lazy().collect_schema()
            if all(k in present for k in table.key):
                keys = list(table.key)
                rows = tables[source].lazy().select(keys).drop_nulls().unique().sort(keys)
                return rows.collect()
    return None


def _rows_referenced(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame], vocabulary: Vocabulary, table: Table
) -> pl.DataFrame | None:
    """For a table whose column names rows of a generated table (`references:` — the
    visits' insatser, by `visit_id`): one row for each row named, its key in that
    column, so that every value names a row. Made a month at a time for each customer
    and provider, the insatser named visits no file had (`insatser-1`), every row
    rejected. None where no column references a generated table."""
    parties = {party.table for party in vocabulary.parties.values()}
    for column in table.columns.values():
        target = vocabulary.tables.get(column.references or "")
        if target is None or target.name not in tables or len(target.key) != 1:
            continue
        if target.name in parties:  # whose rows they are: `_owners`
            continue
        key = pl.col(target.key[0]).alias(column.name)
        rows = tables[target.name].lazy().select(key).drop_nulls().unique(maintain_order=True)
        return rows.collect()
    return None


def _drawn_own(
    column: Column,
    seed: int,
    name: str,
    table: Table,
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    vocabulary: Vocabulary,
) -> pl.Expr:
    """An own table's value that no owner gives: for a column that names a row of a
    generated table (`references: providers`), one of that table's keys — drawn as text
    (`provider_id-146`), it named no provider and the row was rejected; else as
    `_drawn_in_month` draws it."""
    target = vocabulary.tables.get(column.references or "")
    if target is None or target.name not in tables or len(target.key) != 1:
        return _drawn_in_month(column, seed, name, table)
    keys = tables[target.name].lazy().select(pl.col(target.key[0]).drop_nulls().unique().sort())
    values = keys.collect().to_series()
    if not values.len():
        return pl.lit(None).alias(column.name)
    pick = (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % values.len()).cast(pl.Int64)
    return pl.lit(values).gather(pick).alias(column.name)


def _days_in(start: date) -> int:
    return (_add_months(start, 1) - start).days


def _owners(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    vocabulary: Vocabulary,
    parties: tuple[str, ...],
    start: date,
) -> pl.DataFrame:
    """Whom a month's rows of an own table belong to: the pairs of the decisions in
    force in the month, the customers or providers (their keys), or one row."""
    keys = [vocabulary.parties[p].key for p in parties]
    if len(parties) > 1:
        decisions = tables["decisions"]
        end = _add_months(start, 1) - timedelta(days=1)
        frame = decisions.lazy().filter(
            (pl.col("start_date").cast(pl.String) <= end.isoformat())
            & (
                pl.col("end_date").is_null()
                | (pl.col("end_date").cast(pl.String) >= start.isoformat())
            )
        )
        return frame.select(keys).unique().sort(keys).collect()
    if parties:
        table = vocabulary.parties[parties[0]].table
        return tables[table].lazy().select(keys).unique().sort(keys).collect()
    return pl.DataFrame({"__one": [1]})


def _drawn_in_month(column: Column, seed: int, table_name: str, table: Table) -> pl.Expr:
    """An own table's value: a running number for a key of text (`leveranser-1`) or of
    whole numbers, a date or a date and time in the row's month, else as `_drawn` draws
    it."""
    draw = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed)
    codes = _codes(column)
    if column.name in table.key and codes:  # a key of codes (`insats`): each row the next
        pick = pl.int_range(pl.len(), dtype=pl.Int64) % len(codes)
        return pl.lit(pl.Series(list(codes))).gather(pick).alias(column.name)
    if column.name in table.key and column.kind == "text":
        return pl.format("{}-{}", pl.lit(table_name), pl.int_range(1, pl.len() + 1)).alias(
            column.name
        )
    if column.name in table.key and column.kind == "integer":  # a running number too
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(column.name)
    if column.kind == "date":
        offset = pl.duration(days=(draw % pl.col("__days").cast(pl.UInt64)).cast(pl.Int64))
        return (pl.col("__month") + offset).alias(column.name)
    if column.kind == "datetime":
        minutes = (draw % (pl.col("__days").cast(pl.UInt64) * 1440)).cast(pl.Int64)
        moment = pl.col("__month").cast(pl.Datetime("us")) + pl.duration(minutes=minutes)
        return _shown_by_a_clock(moment).alias(column.name)
    return _drawn(column, seed, date(2000, 1, 1), 1)


def _on_the_clock(moments: np.ndarray, minutes: np.ndarray | int = 0) -> np.ndarray:
    """What a Swedish clock shows `minutes` after it showed `moments` (`frames.clock_after`):
    a visit across a change night ends where a clock shows it, and a time drawn in the
    hour March's clock skips is the hour after (no row is one the clock never showed)."""
    shown = pl.select(
        clock_after(
            pl.lit(pl.Series(moments.astype("datetime64[us]"))),
            pl.lit(pl.Series(np.broadcast_to(_whole_minutes(minutes), moments.shape) * 60_000_000)),
        )
    ).to_series()
    return shown.to_numpy().astype("datetime64[m]")


def _whole_minutes(minutes: np.ndarray | int) -> np.ndarray:
    return np.asarray(minutes).astype("timedelta64[m]").astype(np.int64)


def _shown_by_a_clock(moment: pl.Expr) -> pl.Expr:
    """A time drawn in the hour March's clock skips, as the clock showed it (an hour
    later); any other as drawn."""
    return clock_after(moment, pl.lit(0, dtype=pl.Int64))


def _ends_after_starts(table: Table) -> list[pl.Expr]:
    """A period's end at or after its start (a row ending before it starts is
    rejected): the start plus a few days."""
    out = []
    for start, end in table.periods:
        days = pl.int_range(pl.len(), dtype=pl.UInt64).hash(7) % 10
        out.append((pl.col(start) + pl.duration(days=days.cast(pl.Int64))).alias(end))
    return out


def _in_order(frame: pl.LazyFrame, table: Table, drawn: set[str]) -> pl.LazyFrame:
    """The frame with times that follow one another on a row (`in_order: [alarm,
    arrived, left]`) each drawn a few minutes after the one before (as a clock shows
    it), all within the table's `max_hours`: drawn anywhere in the month, two in three
    rows were out of order or days long, and rejected. Only a column drawn here is
    moved; a pair of dates is a few days apart, as a period is."""
    pairs = [(a, b) for a, b in table.in_order if b in drawn]
    longest = 90 if table.max_hours is None else min(90, table.max_hours * 60 // len(pairs or [1]))
    for i, (earlier, later) in enumerate(pairs):  # one at a time: the next follows this
        draw = pl.int_range(pl.len(), dtype=pl.UInt64).hash(11 + i)
        if table.columns[later].kind == "date":
            moved = pl.col(earlier) + pl.duration(days=(draw % 3).cast(pl.Int64))
        else:
            minutes = (draw % (longest + 1)).cast(pl.Int64)
            moved = clock_after(pl.col(earlier), minutes * 60_000_000)
        kept = pl.when(pl.col(earlier).is_null()).then(pl.col(later)).otherwise(moved)
        frame = frame.with_columns(kept.alias(later))
    return frame


def _drawn(column: Column, seed: int, first: date, months: int) -> pl.Expr:
    """A column's values, one a row, from a hash of the row's number and `seed`."""
    draw = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed)
    codes = getattr(column.type, "values", None)
    low = column.minimum if column.minimum is not None else 0
    if codes:
        pick = (draw % len(codes)).cast(pl.Int64)
        return pl.lit(pl.Series(list(codes))).gather(pick).alias(column.name)
    if column.kind == "integer":
        high = column.maximum if column.maximum is not None else low + 10
        span = int(high) - int(low) + 1
        return (pl.lit(int(low)) + (draw % span).cast(pl.Int64)).alias(column.name)
    if column.kind == "number":
        high = column.maximum if column.maximum is not None else low + 100
        share = (draw % 10_001).cast(pl.Float64) / 10_000
        drawn = (pl.lit(float(low)) + share * (float(high) - float(low))).round(2)
        return drawn.clip(float(low), float(high)).alias(column.name)  # 0.001–0.002 is not 0.0
    if column.kind == "bool":
        return (draw % 2 == 0).alias(column.name)
    last = _add_months(first, months)
    if column.kind == "date":
        days = (last - first).days
        offset = pl.duration(days=(draw % days).cast(pl.Int64))
        return (pl.lit(first) + offset).alias(column.name)
    if column.kind == "datetime":
        minutes = (last - first).days * 1440
        offset = pl.duration(minutes=(draw % minutes).cast(pl.Int64))
        moment = pl.lit(datetime.combine(first, datetime.min.time())) + offset
        return _shown_by_a_clock(moment).alias(column.name)
    return pl.format("{}-{}", pl.lit(column.name), draw % 1000).alias(column.name)


def write(tables: dict[str, pl.DataFrame | pl.LazyFrame], out: Path, fmt: str) -> dict[str, int]:
    """Each table as a file in `out`; the rows written per table. A scan (spilled
    visits) is streamed to its file, never held whole."""
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        if isinstance(frame, pl.LazyFrame) and fmt == "csv":
            frame.sink_csv(path, datetime_format="%Y-%m-%d %H:%M")
        elif isinstance(frame, pl.LazyFrame):
            frame.sink_parquet(path)
        elif fmt == "csv":
            frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M")
        else:
            frame.write_parquet(path)
        rows[name] = (
            frame.select(pl.len()).collect().item()
            if isinstance(frame, pl.LazyFrame)
            else frame.height
        )
    return rows
