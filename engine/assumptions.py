"""Behavioural assumptions of a scenario, applied to a copy of the input tables.

A committee asks not only "what if the rate changes" but "what if providers respond":
register 15 % less time, stop registering short visits, see customers reassessed a
level down. Each assumption changes the in-memory tables the model reads; the input
files are never touched, and the run says what was changed and how much.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import polars as pl

from engine import swedish
from engine.catalog import Vocabulary
from engine.data import Dataset
from engine.frames import clock_after, elapsed, elapsed_microseconds, where_values
from engine.model import Assumption
from engine.phrases import say


@dataclass(frozen=True)
class Applied:
    """What one assumption did, for the run summary and the report: its effect is a
    phrase (`engine.phrases`, `assumed.*`) filled in the reader's language — the
    Swedish committee report read "1 of 3 visits take 0.9 × their time"."""

    name: str
    description: str
    phrase: str
    values: tuple[tuple[str, Any], ...]
    rows: int  # rows changed (or removed)
    removed: int = 0  # visits taken out of the data (they are accounted for as such)

    def effect_in(self, lang: str) -> str:
        """What the assumption changed, in `lang` (its numbers too: 0,9)."""
        filled = {k: _in_language(lang, v) for k, v in self.values}
        if "levels" in filled:  # the words of the phrase, in its language too
            filled["levels"] = say(lang, f"assumed.{filled['levels']}")
            filled["direction"] = say(lang, f"assumed.{filled['direction']}")
        return say(lang, self.phrase, **filled)

    def words(self, lang: str) -> str:
        """`description (name): effect`, the effect in `lang`."""
        return f"{self.description} ({self.name}): {self.effect_in(lang)}"

    def __str__(self) -> str:
        return self.words("en")


def _in_language(lang: str, value: Any) -> Any:
    """A number as the language writes it: 0,85 and 44 776 in Swedish."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    if lang == "sv":
        return swedish.number(value, "#,##0.##########")  # every decimal given
    return f"{value.normalize():f}" if isinstance(value, Decimal) else value


def apply_assumptions(
    vocabulary: Vocabulary, assumptions: list[Assumption], dataset: Dataset
) -> tuple[Dataset, list[Applied]]:
    """The dataset as the assumptions say it would be, and what each one changed."""
    if not assumptions:
        return dataset, []
    tables = dict(dataset.tables)
    done = []
    for assumption in assumptions:
        table = changed_table(vocabulary, assumption)
        chosen = _chosen(vocabulary, assumption, tables[table], tables)
        frame, applied = _APPLY[assumption.kind](assumption, tables[table], chosen)
        tables[table] = frame
        done.append(applied)
    return replace(dataset, tables=tables), done


def changed_table(vocabulary: Vocabulary, assumption: Assumption) -> str:
    """The input table the assumption changes: the registrations, or the decisions."""
    return vocabulary.table_of_role(assumption.role)


def needed_columns(vocabulary: Vocabulary, assumption: Assumption) -> dict[str, set[str]]:
    """Input columns an assumption reads (so the data loader keeps them)."""
    own = {
        "scale_visit_time": {"start", "end", "customer_id", "provider_id"},
        "drop_visits_shorter_than": {"start", "end", "customer_id", "provider_id"},
        "move_level": {"level", "customer_id", "provider_id"},
    }[assumption.kind]
    table = changed_table(vocabulary, assumption)
    needs: dict[str, set[str]] = {table: set(own)}
    for column in assumption.where:
        needs.setdefault(_table_of(vocabulary, column, assumption), set()).add(column)
    return needs


def _table_of(vocabulary: Vocabulary, column: str, assumption: Assumption) -> str:
    for name in vocabulary.assumption_tables(assumption.role):
        if column in vocabulary.tables[name].columns:
            return name
    return changed_table(vocabulary, assumption)  # the checker has reported it


# ----------------------------------------------------------------------------- matching


def _chosen(
    vocabulary: Vocabulary,
    assumption: Assumption,
    frame: pl.DataFrame,
    tables: dict[str, pl.DataFrame],
) -> pl.Series:
    """Which rows of `frame` the assumption applies to: its `where:` and its `share`."""
    wide = frame.select(pl.all())
    for lookup, key in ((p.table, p.key) for p in vocabulary.parties.values()):
        wanted = [
            c for c in assumption.where if c not in wide.columns and c in tables[lookup].columns
        ]
        if wanted and key in wide.columns:
            extra = tables[lookup].select(key, *wanted).unique(key, keep="first")
            wide = wide.join(extra, on=key, how="left", maintain_order="left")
    condition = pl.lit(True)
    for column, values in assumption.where.items():
        dtype = wide.schema[column]
        typed = where_values(values, dtype)
        condition = condition & pl.col(column).is_in(typed.implode())
    if assumption.share < 1:
        customers = wide["customer_id"].unique().to_list()
        picked = [c for c in customers if _picked(str(c), assumption.seed, assumption.share)]
        condition = condition & pl.col("customer_id").is_in(
            pl.Series(picked, dtype=pl.String).implode()
        )
    return wide.with_columns(condition.fill_null(False).alias("__chosen"))["__chosen"]


def _picked(customer: str, seed: int, share: Decimal) -> bool:
    """A fixed draw per customer and seed: the same customers every run, on every machine."""
    digest = hashlib.sha256(f"{seed}:{customer}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def _minutes() -> pl.Expr:
    """A visit's minutes, the time that passed (`end - start` as a rule reads it)."""
    return elapsed(pl.col("end"), pl.col("start"))


# ----------------------------------------------------------------------------- kinds


def _scale_visit_time(
    assumption: Assumption, visits: pl.DataFrame, chosen: pl.Series
) -> tuple[pl.DataFrame, Applied]:
    factor = float(assumption.amount)
    micros = elapsed_microseconds(pl.col("end"), pl.col("start")).cast(pl.Float64)
    new_end = clock_after(pl.col("start"), (micros * factor).round(0).cast(pl.Int64))
    changed = visits.with_columns(
        pl.when(chosen & pl.col("end").is_not_null())
        .then(new_end)
        .otherwise(pl.col("end"))
        .alias("end")
    )
    count = int(chosen.sum())
    values = (("count", count), ("total", visits.height), ("factor", assumption.amount))
    return changed, Applied(assumption.name, assumption.description, "assumed.scale", values, count)


def _drop_visits(
    assumption: Assumption, visits: pl.DataFrame, chosen: pl.Series
) -> tuple[pl.DataFrame, Applied]:
    short = visits.with_columns(
        (_minutes() < float(assumption.amount)).fill_null(False).alias("__short")
    )["__short"]
    drop = chosen & short
    count = int(drop.sum())
    values = (("count", count), ("total", visits.height), ("minutes", assumption.amount))
    return visits.filter(~drop), Applied(
        assumption.name, assumption.description, "assumed.drop", values, count, removed=count
    )


def _move_level(
    assumption: Assumption, decisions: pl.DataFrame, chosen: pl.Series
) -> tuple[pl.DataFrame, Applied]:
    chosen = chosen & decisions["level"].is_not_null()
    levels = decisions["level"].drop_nulls()
    if levels.len() == 0:
        return decisions, Applied(
            assumption.name, assumption.description, "assumed.no_level", (), 0
        )
    low, high = int(levels.min()), int(levels.max())  # type: ignore[arg-type]
    step = int(assumption.amount)
    moved = (pl.col("level") + step).clip(low, high).cast(decisions.schema["level"])
    changed = decisions.with_columns(
        pl.when(chosen).then(moved).otherwise(pl.col("level")).alias("level")
    )
    moves = (changed["level"] != decisions["level"]).fill_null(False)
    count = int(moves.sum())
    customers = decisions.filter(moves)["customer_id"].n_unique()  # of decisions moved
    values = (
        ("count", count),
        ("customer_count", customers),
        ("steps", abs(step)),
        ("levels", "level" if abs(step) == 1 else "levels"),
        ("direction", "down" if step < 0 else "up"),
        ("low", low),
        ("high", high),
    )
    return changed, Applied(assumption.name, assumption.description, "assumed.move", values, count)


_APPLY: dict[str, Callable[[Assumption, pl.DataFrame, pl.Series], tuple[pl.DataFrame, Applied]]] = {
    "scale_visit_time": _scale_visit_time,
    "drop_visits_shorter_than": _drop_visits,
    "move_level": _move_level,
}
