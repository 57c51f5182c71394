"""The benchmark's small core (bench/core.yaml) as one DuckDB SQL query over the same
Parquet files: a second yardstick beside bench/handwritten.py. It must give the same
öre per provider (bench/tasks.py checks)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bench.handwritten import LEVEL_AMOUNT, LEVEL_MINUTES, ZONES, clock_change

QUERY = """
WITH
visits AS (
  SELECT customer_id, provider_id,
    sum({minutes}) FILTER (WHERE service = 'omsorg') AS executed,
    sum({minutes}) FILTER (WHERE service = 'palliativt_vak') AS vak
  FROM read_parquet('{dir}/visits.parquet')
  WHERE "start" >= TIMESTAMP '{first}' AND "start" < TIMESTAMP '{stop}'
  GROUP BY ALL
),
levels(level, level_minutes) AS (VALUES {levels}),
decisions AS (
  SELECT customer_id, provider_id,
    sum(level_minutes) FILTER (WHERE service = 'omsorg') AS granted,
    max(d.level) FILTER (WHERE service = 'omsorg') AS level
  FROM read_parquet('{dir}/decisions.parquet') d LEFT JOIN levels USING (level)
  WHERE start_date::DATE <= DATE '{last}'
    AND (end_date IS NULL OR end_date::DATE >= DATE '{first}')
  GROUP BY ALL
),
zones(district, zone) AS (VALUES {zones}),
amounts(zone, level, level_amount) AS (VALUES {amounts}),
pairs AS (
  SELECT coalesce(v.customer_id, d.customer_id) AS customer_id,
         coalesce(v.provider_id, d.provider_id) AS provider_id,
         v.executed, v.vak, d.granted, d.level
  FROM visits v FULL JOIN decisions d
    ON v.customer_id = d.customer_id AND v.provider_id = d.provider_id
),
priced AS (
  SELECT p.customer_id, p.provider_id, p.vak, a.level_amount * CASE
      WHEN coalesce(p.granted, 0) = 0 THEN 0.0
      WHEN coalesce(p.executed, 0) / p.granted < 0.2 THEN 0.4
      WHEN coalesce(p.executed, 0) / p.granted < 0.4 THEN 0.7
      ELSE 1.0 END AS omsorg, p.level
  FROM pairs p
  LEFT JOIN read_parquet('{dir}/customers.parquet') c USING (customer_id)
  LEFT JOIN zones z ON z.district = c.district
  LEFT JOIN amounts a ON a.zone = z.zone AND a.level = p.level
)
SELECT customer_id, provider_id,
  coalesce(CASE WHEN level > 0 THEN floor(round(omsorg * 100, 6) + 0.5) ELSE 0 END, 0)
  + floor(round(coalesce(vak, 0) * 7.5 * 100, 6) + 0.5) AS amount_ore
FROM priced
"""


def _minutes(month: date) -> str:
    """A visit's minutes, the time that passed: on the month's night the clock moves,
    less (March) or more (October) the hour it jumped."""
    minutes = """date_diff('microsecond', "start", "end") / 60e6"""
    change = clock_change(month)
    if change is None:
        return minutes
    at, jump = change
    crossed = f"""(("end" >= TIMESTAMP '{at}')::INT - ("start" >= TIMESTAMP '{at}')::INT)"""
    return f"({minutes} - {crossed} * {jump})"


def from_files(directory: Path, month: date) -> tuple[int, dict[str, int]]:
    """The per-customer table, made in DuckDB (its row count returned), and the
    per-provider totals."""
    import duckdb

    stop = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    sql = QUERY.format(
        dir=directory,
        minutes=_minutes(month),
        first=month.isoformat(),
        stop=stop.isoformat(),
        last=(stop - timedelta(days=1)).isoformat(),
        levels=", ".join(f"({i + 1}, {m})" for i, m in enumerate(LEVEL_MINUTES)),
        zones=", ".join(f"('{d}', '{z}')" for d, z in ZONES.items()),
        amounts=", ".join(
            f"('{zone}', {i + 1}, {float(v)})"
            for zone, values in LEVEL_AMOUNT.items()
            for i, v in enumerate(values)
        ),
    )
    with duckdb.connect() as connection:
        connection.execute("SET threads TO 2")
        connection.execute(f"CREATE TABLE customers AS {sql}")
        rows = connection.sql("SELECT count(*) FROM customers").fetchall()[0][0]
        providers = connection.sql(
            "SELECT provider_id, sum(amount_ore)::BIGINT FROM customers "
            "GROUP BY provider_id ORDER BY provider_id"
        ).fetchall()
    return rows, {str(p): int(v) for p, v in providers}
