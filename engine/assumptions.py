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
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from engine import swedish
from engine.catalog import Table, Vocabulary, as_written
from engine.data import Dataset
from engine.diagnostics import Diagnostic, EngineError
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
    # a `where:` value no row of the data has (an id mistyped): it chose no row
    warnings: tuple[Diagnostic, ...] = ()

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
        chosen, unmatched = _chosen(vocabulary, assumption, tables[table], tables)
        frame, applied = _APPLY[assumption.kind](
            assumption, tables[table], chosen, vocabulary.tables[table]
        )
        tables[table] = frame
        done.append(replace(applied, warnings=_unmatched_said(assumption, unmatched)))
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
) -> tuple[pl.Series, list[tuple[str, Any]]]:
    """Which rows of `frame` the assumption applies to (its `where:` and its `share`),
    and each `where:` value (by column) that no row holds."""
    wide = frame.select(pl.all())
    for lookup, key in ((p.table, p.key) for p in vocabulary.parties.values()):
        wanted = [
            c for c in assumption.where if c not in wide.columns and c in tables[lookup].columns
        ]
        if wanted and key in wide.columns:
            extra = tables[lookup].select(key, *wanted).unique(key, keep="first")
            wide = wide.join(extra, on=key, how="left", maintain_order="left")
    condition = pl.lit(True)
    unmatched: list[tuple[str, Any]] = []
    for column, values in assumption.where.items():
        dtype = wide.schema[column]
        typed = where_values(values, dtype)
        condition = condition & pl.col(column).is_in(typed.implode())
        held = typed.is_in(wide[column].drop_nulls().implode())
        unmatched += [(column, v) for v, found in zip(values, held, strict=True) if not found]
    if assumption.share < 1:
        customers = wide["customer_id"].unique().to_list()
        picked = [c for c in customers if _picked(str(c), assumption.seed, assumption.share)]
        condition = condition & pl.col("customer_id").is_in(
            pl.Series(picked, dtype=pl.String).implode()
        )
    chosen = wide.with_columns(condition.fill_null(False).alias("__chosen"))["__chosen"]
    return chosen, unmatched


def _unmatched_said(
    assumption: Assumption, unmatched: list[tuple[str, Any]]
) -> tuple[Diagnostic, ...]:
    """A warning for each `where:` value no row of the data has: `provider_id: [P01,
    P1O]` scaled P01's visits alone, and said nothing of P1O."""
    return tuple(
        Diagnostic(
            "unknown-value",
            f"assumption `{assumption.name}`: no row of the data has {column} "
            f"`{as_written(value)}`, so it chose no row by it",
            assumption.where_spans.get(column, assumption.span),
            hint="check the value against the data; a value of no row changes nothing",
            severity="warning",
        )
        for column, value in unmatched
    )


def _picked(customer: str, seed: int, share: Decimal) -> bool:
    """A fixed draw per customer and seed: the same customers every run, on every machine."""
    digest = hashlib.sha256(f"{seed}:{customer}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def _minutes() -> pl.Expr:
    """A visit's minutes, the time that passed (`end - start` as a rule reads it)."""
    return elapsed(pl.col("end"), pl.col("start"))


# ----------------------------------------------------------------------------- kinds


_HOUR = 3_600_000_000  # microseconds
# the last moment a file can write (9999-12-31 23:59), in microseconds since 1970
_LAST_MOMENT = (date(9999, 12, 31) - date(1970, 1, 1)).days * 24 * _HOUR + 1439 * 60_000_000


def _scaled_within(
    assumption: Assumption, visits: pl.DataFrame, chosen: pl.Series, table: Table, scaled: pl.Series
) -> None:
    """Stop, at the factor's line, where scaling (`scaled`, each row's microseconds)
    would make a chosen row last longer than its table lets a row last (`max_hours`: a
    visit of 10 hours scaled by 3 is one the data would have rejected), or end after any
    date there is: `scale_visit_time: 1000000000` stopped the run with a traceback."""
    hours = table.max_hours
    limit = float(hours * _HOUR) if hours is not None else float("inf")
    start = pl.col("start").cast(pl.Datetime("us")).cast(pl.Int64)
    over = visits.with_columns(__chosen=chosen, __scaled=scaled).filter(
        pl.col("__chosen")
        & pl.col("end").is_not_null()
        & ((pl.col("__scaled") > limit) | (start + pl.col("__scaled") > _LAST_MOMENT))
    )
    if over.height == 0:
        return
    factor = float(assumption.amount)
    longest = float(over["__scaled"].max()) / factor  # type: ignore[arg-type]
    span = assumption.amount_span or assumption.span
    written = f"`{assumption.kind}: {_in_language('en', assumption.amount)}`"
    if hours is None:
        message = (
            f"{written} makes {over.height} of {visits.height} rows end after any date there is"
        )
        raise EngineError(
            [Diagnostic("bad-value", message, span, hint="a factor such as 0.85 or 1.2")]
        )
    raise EngineError(
        [
            Diagnostic(
                "bad-value",
                f"{written} makes {over.height} of {visits.height} rows of `{table.name}` last "
                f"longer than {hours} hours, the longest a row may last (`max_hours`), which the "
                "data would have rejected",
                span,
                hint=f"the longest row chosen lasts {_hours_and_minutes(longest)}: a factor of at "
                f"most {_fewest_decimals(limit / longest)} keeps every row within {hours} hours",
            )
        ]
    )


def _fewest_decimals(most: float) -> str:
    """The largest factor of two decimals at most `most` (2.28 for 2.2857…)."""
    return f"{(Decimal(str(most)) * 100).to_integral_value(rounding='ROUND_FLOOR') / 100:f}"


def _hours_and_minutes(micros: float) -> str:
    minutes = round(micros / 60_000_000)
    return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"


def _scale_visit_time(
    assumption: Assumption, visits: pl.DataFrame, chosen: pl.Series, table: Table
) -> tuple[pl.DataFrame, Applied]:
    micros = elapsed_microseconds(pl.col("end"), pl.col("start")).cast(pl.Float64)
    scaled = visits.select((micros * float(assumption.amount)).round(0)).to_series()
    _scaled_within(assumption, visits, chosen, table, scaled)
    new_end = clock_after(pl.col("start"), pl.lit(scaled).cast(pl.Int64))
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
    assumption: Assumption, visits: pl.DataFrame, chosen: pl.Series, _table: Table
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
    assumption: Assumption, decisions: pl.DataFrame, chosen: pl.Series, _table: Table
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


_APPLY: dict[
    str, Callable[[Assumption, pl.DataFrame, pl.Series, Table], tuple[pl.DataFrame, Applied]]
] = {
    "scale_visit_time": _scale_visit_time,
    "drop_visits_shorter_than": _drop_visits,
    "move_level": _move_level,
}
