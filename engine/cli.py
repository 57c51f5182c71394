"""The command line: a thin layer over `engine.api`.

User mistakes arrive here as EngineError and leave as rendered diagnostics and
an exit code (0 clean, 1 errors, 2 usage); never as a traceback.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import polars as pl

from engine import __version__, api, charts, swedish
from engine.coverage import never_fired
from engine.diagnostics import (
    Diagnostic,
    EngineError,
    printable,
    render_json,
    render_text,
    sorted_diagnostics,
)
from engine.explain import render_json as explain_json
from engine.explain import render_tree
from engine.letter import letters_of
from engine.letter import render_html as render_letters_html
from engine.letter import render_text as render_letters_text
from engine.phrases import DEFAULT as DEFAULT_LANG
from engine.phrases import LANGUAGES, amount, decimal, say, signed
from engine.progress import each, on_terminal
from engine.reports import (
    CSV_DIALECTS,
    WRITTEN,
    neutralised,
    with_amounts,
    write_atomically,
    write_csv,
)
from engine.runner import (
    EXIT_CLEAN,
    KEY_VARIABLE,
    Job,
    Outcome,
    Study,
    execute,
    exit_status,
    foreign_entries,
    pseudonym,
    pseudonym_key,
    write_generated_manifest,
    write_study_manifest,
)
from engine.workbook import write_comparison_workbook

if TYPE_CHECKING:  # read where `carepay test` runs, not at every command's start
    from engine.testing import ModelTestFile


class Failed(click.ClickException):
    """Diagnostics already rendered for the reader; exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def _fail_on_engine_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        WRITTEN.clear()
        try:
            return fn(*args, **kwargs)
        except EngineError as error:
            raise Failed(render_text(error.diagnostics)) from None
        except OSError as error:  # the disk is full, read-only, not ours …
            if error.errno == errno.EPIPE:  # the reader of the summary left (`| head`)
                raise
            where = f" {error.filename}" if error.filename else ""
            raise Failed(
                f"error: cannot read or write{where}: {error.strerror or error}; "
                "nothing was written, and any earlier output is as it was"
            ) from None
        except KeyboardInterrupt:
            _quiet_teardown()
            if WRITTEN:
                raise Interrupted(
                    f"interrupted after the new output was complete in {WRITTEN[-1]}"
                ) from None
            raise Interrupted(
                "interrupted: nothing was written, and any earlier output is as it was"
            ) from None

    return wrapper


def _quiet_teardown() -> None:
    """After a Ctrl-C the half-written objects of a workbook writer are torn down as
    the program ends, each complaining in a traceback that its file is gone. The staging directory holding that file is removed, so their complaints
    are noise that would bury the one line the user needs."""
    sys.unraisablehook = lambda _: None


class Interrupted(Failed):
    """Ctrl-C: the conventional exit status of a program stopped by SIGINT."""

    exit_code = 130


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return api.parse_month(value)
    except EngineError as error:
        problem = error.diagnostics[0]
        raise click.BadParameter(f"{problem.message}; {problem.hint}") from None


def _rows(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """`--rows 10`, or `all` (None: every row)."""
    if value.strip().lower() in ("all", "alla"):
        return None
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    raise click.BadParameter(f"`{value}` is no number of rows: write e.g. 10, or all")


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"`{value}` is not a date; write YYYY-MM-DD, e.g. 2021-05-01"
        ) from None
    if not api.FIRST_YEAR <= day.year <= api.LAST_YEAR:  # 9999-12-31 stopped in a traceback
        raise click.BadParameter(
            f"`{value}` is outside the dates carepay runs ({api.FIRST_YEAR}-01-01 to "
            f"{api.LAST_YEAR}-12-31); check the year"
        )
    return day


def _months(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    return [_month(ctx, param, v) for v in value]


model_argument = click.argument("model", type=click.Path(exists=True, path_type=Path))
data_option = click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Directory of CSV/Parquet tables, or one XLSX workbook (a sheet per table); a "
    "columns.yaml in the directory, or beside the workbook, names the data's own columns "
    "(and files or sheets).",
)


def _party_id(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An id as the data's tables hold it, without the spaces around it (an id copied
    from a sheet with them was "customer ` K000001 ` has no decisions or visits")."""
    return value.strip() if value is not None else None


month_option = click.option("--month", required=True, callback=_month, help="The month, YYYY-MM.")
to_option = click.option(
    "--to", "last", callback=_month, help="Last month of a range (YYYY-MM); default: just --month."
)
summary_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="The terminal summary: a table to read, csv or json for scripts.",
)
force_option = click.option(
    "--force", is_flag=True, help="Replace an existing output directory without asking."
)


class OnceCommand(click.Command):
    """A command whose options that take one value may be given once: click keeps the
    last of `--month 2025-03 --month 2025-04` and the run paid April alone, exit 0,
    where the user asked for two months. A repeated option is a usage error naming
    the way to say what was meant (`--to` for a range, a comma list for `--format`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            seen: set[str] = set()
            for param in order:
                if not _takes_one_value(param) or param.name is None:
                    continue
                if param.name in seen:
                    raise click.UsageError(_given_twice(param), ctx)
                seen.add(param.name)
        return super().parse_args(ctx, args)


def _takes_one_value(param: click.Parameter) -> bool:
    """An option with a value (not a flag, a count or a repeatable one)."""
    return (
        isinstance(param, click.Option)
        and not param.multiple
        and not param.count
        and not param.is_flag
    )


def _given_twice(param: click.Parameter) -> str:
    name = max(param.opts, key=len)
    instead = {
        "--month": "; for several months give the first with --month and the last with --to",
        "--format": "; for several formats give one list: --format csv,xlsx",
    }.get(name, "")
    return f"{name} is given more than once: only one value is taken{instead}"


class OnceGroup(click.Group):
    command_class = OnceCommand


@click.group(cls=OnceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="carepay")
def main() -> None:
    """carepay — compensation models for Swedish home care, as rules you can read.

    \b
    Typical use:
      carepay check examples/hemtjanst/model.yaml
      carepay run examples/hemtjanst/model.yaml --data examples/hemtjanst/data --month 2024-02 --out out
      carepay explain examples/hemtjanst/model.yaml --data examples/hemtjanst/data --month 2024-02 --customer K003
      carepay test examples/hemtjanst/tests
    """


@main.command("check")
@click.argument("rules", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--month",
    "months",
    multiple=True,
    callback=_months,
    help="Also check that every value needed on this month (YYYY-MM) is in force. Repeatable.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json is for editors and CI.",
)
@_fail_on_engine_errors
def check_command(rules: tuple[Path, ...], months: list[Any], fmt: str) -> None:
    """Check rule files: YAML, shape, formulas, names, types and units.

    Reports every problem at once, each with file:line:column and a caret under
    the spot. Exit 0 when clean, 1 when there are errors.

    \b
    Examples:
      carepay check examples/hemtjanst/model.yaml
      carepay check examples/hemtjanst/model.yaml --month 2024-02
    """
    items, files = api.check_model_files(list(rules), months)
    errors = [d for d in items if d.severity == "error"]
    if fmt == "json":
        click.echo(render_json(items))
    elif items:
        click.echo(render_text(items), err=bool(errors))
    else:
        click.echo(_say("check.ok", count=files))
    if errors:
        sys.exit(1)


pseudonymise_option = click.option(
    "--pseudonymise",
    is_flag=True,
    help=f"Replace customer ids by keyed pseudonyms (HMAC-SHA-256; the key is read from {KEY_VARIABLE}).",
)


def _remember_dialect(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta["csv_dialect"] = value
    return value


csv_dialect_option = click.option(
    "--csv-dialect",
    type=click.Choice(CSV_DIALECTS),
    default="standard",
    show_default=True,
    expose_value=False,
    callback=_remember_dialect,
    help="excel-sv: CSV files as Swedish Excel opens them (semicolons, decimal commas, "
    "a byte-order mark). Amounts are kronor in every CSV, in columns ending in _kr.",
)


def _csv_dialect() -> str:
    return str(click.get_current_context().meta.get("csv_dialect", "standard"))


def _remember_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta["lang"] = value
    return value


lang_option = click.Option(
    ["--lang"],
    type=click.Choice(LANGUAGES),
    default=DEFAULT_LANG,
    envvar="CAREPAY_LANG",
    show_default=True,
    show_envvar=True,
    expose_value=False,
    is_eager=True,
    callback=_remember_lang,
    help="The language of the summaries and progress on the terminal (sv: Swedish, en: English).",
)


def _lang() -> str:
    context = click.get_current_context(silent=True)
    return str(context.meta.get("lang", DEFAULT_LANG)) if context else DEFAULT_LANG


def _say(key: str, **values: object) -> str:
    return say(_lang(), key, **values)


def _stages() -> Any:
    return on_terminal(_lang())


def _signed(value: float) -> str:
    return signed(_lang(), value)


def _pseudonym(on: bool) -> Callable[[str], str] | None:
    """The pseudonym function for --pseudonymise (the key is checked first), or None."""
    if not on:
        return None
    secret = pseudonym_key()
    return lambda customer: pseudonym(customer, secret)


@main.command("run")
@model_argument
@data_option
@month_option
@to_option
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory (replaced as a whole when the run succeeds).",
)
@click.option(
    "--format",
    "formats",
    default="csv,parquet,xlsx",
    show_default=True,
    help="Comma-separated: csv, parquet, xlsx (payments.xlsx: the workbook to send providers).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Stop at any bad row, month without visits or value missing where an amount "
    "needs it, listing every problem, and write nothing (default: set bad rows aside in "
    "rejects.csv, pay the rest and warn).",
)
@click.option(
    "--per-provider",
    is_flag=True,
    help="Also write payments_<provider>.xlsx for each provider: its own specification, "
    "customers, visits not counted and rows rejected, to send to it (two ids that make "
    "the same file "
    "name, P/1 and P 1, each get a short digest of the id added).",
)
@csv_dialect_option
@pseudonymise_option
@force_option
@_fail_on_engine_errors
def run_command(
    model: Path,
    data: Path,
    month: Any,
    last: Any,
    out: Path,
    formats: str,
    strict: bool,
    per_provider: bool,
    pseudonymise: bool,
    force: bool,
) -> None:
    """Run a model over a month (or a range) of data and write the payment files.

    Writes statement_lines, exclusions, flags, indicators, provider_totals, rejects
    and coverage (CSV and Parquet), payments.xlsx and manifest.json, atomically: an
    interrupted run leaves the previous output as it was. `carepay verify` repeats
    the run from the manifest.

    payments.xlsx is the month's specification for controllers and providers: the
    invoiceable total per provider and month (and what is paid apart), each payment
    per category, every customer-month (also those paid 0 kr), the visits not
    counted (also those rejected as read), every line and every row rejected, with
    why in Swedish, and the parameter values each month was paid by — Excel tables
    with filters, set to print on A4.

    \b
    Exit status (for batch scripts):
      0  clean: written, nothing rejected
      3  written, but rows were rejected (rejects.csv): review before paying
      4  written, but a month counted no visit (no visits in the data, or all
         rejected or excluded; of a model whose amounts visits change) or had no
         decision in force (of a model reading them)
      5  written, but values were missing where an amount needed them (the
         warnings name the rows), rows were in no customer's or provider's
         month, a table that may be left out was not in the data, or a
         calendar had no date of the month's year
      Where several apply, the status is the first of 4, 3 and 5, and the
      last line names each.
      1  an error: nothing written;  2  a mistyped command;  130  interrupted

    \b
    Example:
      carepay run examples/hemtjanst/model.yaml --data examples/hemtjanst/data \\
          --month 2024-01 --to 2024-02 --out out/exempel
    """
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in ("csv", "parquet", "xlsx")]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown) or '(none)'}; use csv, parquet and/or xlsx",
            param_hint="--format",
        )
    _confirm_replace(out, force, (model, data))
    job = Job(
        str(model.resolve()),
        str(data.resolve()),
        f"{month:%Y-%m}",
        f"{(last or month):%Y-%m}",
        list(chosen),
        strict,
        pseudonymise,
        per_provider,
        _csv_dialect(),
    )
    with _stages() as stages:
        outcome = execute(job, out, stages)
    _warn(outcome.warnings)
    _summary(outcome, out)
    code, why = exit_status(outcome, _lang())
    if code != EXIT_CLEAN:
        click.echo(_say("run.exit", code=code, why=why))
        sys.exit(code)


def _visits_summary(outcome: Outcome) -> None:
    """Where every visit went, and what was set aside."""
    c = outcome.conservation
    parts = [
        _say("run.counted", n=c.counted),
        _say("run.excluded", n=c.excluded),
        _say("run.rejected", n=c.rejected),
    ]
    if c.removed_by_assumptions:
        parts.append(_say("run.removed", n=c.removed_by_assumptions))
    if c.outside_months:
        parts.append(_say("run.outside", n=c.outside_months))
    check = _say("run.balanced" if c.balanced else "run.unbalanced")
    click.echo(_say("run.visits", input=c.input, parts=" + ".join(parts), check=check))
    rejected = outcome.manifest["counts"]["rejected_rows"]
    if rejected:
        tables = ", ".join(f"{table} {n}" for table, n in rejected.items())
        click.echo(_say("run.rejected_rows", tables=tables))
    flagged = outcome.manifest["counts"]["flagged_visits"]
    if flagged:  # counted all the same, for a controller to look at before paying
        rules = ", ".join(f"{rule} {n}" for rule, n in flagged.items())
        click.echo(_say("run.flagged", rules=rules))
    if c.own_outside:  # a date in the wrong year pays nothing: said
        tables = ", ".join(f"{table} {n}" for table, n in c.own_outside.items())
        click.echo(_say("run.own_outside", tables=tables))
    unread = outcome.dataset.unread  # so nobody wonders where their rows went
    if unread:
        origins = outcome.dataset.origins
        click.echo(_say("run.not_read", files=", ".join(origins.get(t, t) for t in unread)))


def _coverage_summary(outcome: Outcome) -> None:
    """The rules, and the sides of their conditions, that never fired, in words: a
    side is "`takfaktor`: the else side at line 77", not the file's `if 1: else`."""
    rows = list(never_fired(outcome.coverage).iter_rows(named=True))
    # a rule whose condition was never true says why it never fired: it is named once
    explained = {row["rule"] for row in rows if row["branch"]}
    dead = [_never_fired_words(r) for r in rows if r["branch"] or r["rule"] not in explained]
    if dead:
        more = " " + _say("run.and_more", n=len(dead) - 8) if len(dead) > 8 else ""
        click.echo(_say("run.never_fired", rules=", ".join(dead[:8]) + more))


def _never_fired_words(row: dict[str, Any]) -> str:
    if not row["branch"]:
        return str(row["rule"])
    side = row["branch"].rsplit(" ", 1)[-1]  # "if 2: then"
    line = str(row["location"]).rsplit(":", 1)[-1]
    return _say(f"run.never_{side}", rule=row["rule"], line=line)


def _charts_ahead(out: Path | None) -> Callable[[], None] | None:
    """For a command whose `--out` has a report: load the charts' library once the
    models are checked, so that it loads while Polars reads and evaluates. Started
    before the models were checked, it slowed their checking: `compare --out` at 1 M
    visits 3.46 s -> 3.13 s (medians of four, alternating; imports aside)."""
    return charts.prepare if out is not None else None


def _confirm_replace(out: Path, force: bool, inputs: tuple[Path | None, ...] = ()) -> None:
    """`--out` may name a new or empty directory, or one that holds only what carepay
    wrote there before (listed in its manifest.json), and never an input or a
    directory holding one: carepay never destroys what it did not write."""
    target = out.resolve()
    for given in inputs:
        if given is None:
            continue
        source = given.resolve()
        if target == source or target in source.parents:
            relation = "is" if target == source else "contains"
            raise Failed(
                f"error: --out {out} {relation} the input {given}; carepay never writes over "
                "its inputs — choose another directory for the outputs"
            )
    if out.exists() and not out.is_dir():
        raise Failed(f"error: --out {out} is a file, not a directory; give a directory")
    if os.path.ismount(out):
        raise Failed(
            f"error: --out {out} is a mount point; carepay replaces its output directory as a "
            f"whole, which a mount point cannot be — give a directory inside it, e.g. {out / 'ut'}"
        )
    below = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if below is not None:
        raise Failed(f"error: --out {out} is below {below}, which is a file, not a directory")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = foreign_entries(out)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise Failed(
            f"error: {out} holds files carepay did not write ({shown}); carepay replaces only "
            "its own outputs — move them or choose another --out"
        )
    if force:
        return
    if sys.stdin.isatty() and click.confirm(f"{out} exists. Replace it?", default=False):
        return
    raise Failed(f"error: {out} already exists; use --force to replace it")


def _warn(items: list[Diagnostic]) -> None:
    if items:
        click.echo(render_text(sorted_diagnostics(items)), err=True)


def _sek(ore: int) -> str:
    return amount(_lang(), ore)


def _summary(outcome: Outcome, out: Path) -> None:
    result = outcome.result
    model = result.checked.model
    months = [m.plan.month.strftime("%Y-%m") for m in result.months]
    span = months[0] if len(months) == 1 else f"{months[0]} – {months[-1]}"
    click.echo(f"{model.title} ({model.id}), {span}")
    for applied in result.assumptions:
        click.echo(_say("run.assumed", what=applied.words(_lang())))
    _visits_summary(outcome)
    totals = (
        result.totals.group_by("provider_id", "category")
        .agg(pl.col("amount_ore").sum())
        .sort("provider_id", "category")
    )
    provider, category = _say("run.provider"), _say("run.category")
    width = max([len(provider), *(len(str(p)) for p in totals["provider_id"])])
    cat_width = max([len(category), *(len(str(c)) for c in totals["category"])])
    click.echo(f"{provider:<{width}}  {category:<{cat_width}}  {_say('run.amount'):>16}")
    for row in totals.iter_rows(named=True):
        click.echo(
            f"{printable(str(row['provider_id'])):<{width}}  {row['category']:<{cat_width}}  {_sek(row['amount_ore']):>16}"
        )
    grand = int(result.lines["amount_ore"].sum() or 0)
    click.echo(f"{_say('run.total'):<{width}}  {'':<{cat_width}}  {_sek(grand):>16}")
    _indicator_summary(result)
    _coverage_summary(outcome)
    click.echo(_say("run.written", lines=result.lines.height, out=out))


def _indicator_summary(result: api.RunResult) -> None:
    """Provider-level follow-up figures (e.g. executed share of granted time)."""
    table = result.indicators.filter(pl.col("customer_id").is_null())
    if table.height == 0:
        return
    click.echo(_say("run.follow_up"))
    for row in table.sort("provider_id", "indicator", "month").iter_rows(named=True):
        number = row["value"]
        if number is None:
            value = "–"
        else:
            value = decimal(_lang(), number, 0 if float(number).is_integer() else 1)
        click.echo(
            f"  {printable(str(row['provider_id']))}  {row['month']}  {row['indicator']}: {value} {row['unit']}".rstrip()
        )


@main.command("verify")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_fail_on_engine_errors
def verify_command(out: Path) -> None:
    """Repeat a run from its manifest.json and check that every output is the same.

    Checks that the model and input files still have the SHA-256 they had, runs the
    job again in a scratch directory, and compares every output file. Exits 1 and
    names what differs when anything does, in the terminal's language (--lang).

    \b
    Example:
      carepay verify out/orebro
    """
    from engine.runner import verify

    differences, manifest = verify(out, lang=_lang())
    outputs = len(manifest.get("outputs", {}))
    if differences:
        for line in differences:
            click.echo(_say("verify.differs", line=line))
        raise Failed(_say("verify.failed", count=len(differences), out=out))
    kind = manifest.get("kind", "run")
    models = manifest["models"] if kind != "run" else [manifest["model"]]
    files = sum(len(m["files"]) for m in models)
    inputs = len(manifest["inputs"])
    phrase = "verify.run" if kind == "run" else "verify.study"
    click.echo(_say(phrase, out=out, kind=kind, outputs=outputs, files=files, inputs=inputs))


@main.command("explain")
@model_argument
@data_option
@month_option
@click.option(
    "--to", "last", callback=_month, default=None, help="With --letter: the last month, YYYY-MM."
)
@click.option(
    "--customer", callback=_party_id, help="The customer's id, as in the customers table."
)
@click.option(
    "--provider",
    callback=_party_id,
    help="With --letter: a letter for each of the provider's customers, and one of its own "
    "payments that are no customer's (with its whole month).",
)
@click.option("--all", "everything", is_flag=True, help="Also show payments that came to 0 kr.")
@click.option(
    "--rows",
    "rows_shown",
    default="3",
    show_default=True,
    callback=_rows,
    help="How many rows of each sum, count … to explain, each with its own values (a "
    "payment summed over 40 visits shows the first 3, and counts the rest); `all` for every one.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--letter",
    is_flag=True,
    help="The provider's letter in plain Swedish: each payment as a sentence with its § "
    "(the model's `letter:` wording), the visits not counted (also those rejected as "
    "read), the customer's other rows rejected (a decision), the month's total.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="With --letter: the file to write, .html (prints on A4) or .txt; else the terminal.",
)
@_fail_on_engine_errors
def explain_command(
    model: Path,
    data: Path,
    month: Any,
    last: Any,
    customer: str | None,
    provider: str | None,
    everything: bool,
    rows_shown: int | None,
    fmt: str,
    letter: bool,
    out: Path | None,
) -> None:
    """Explain one customer's month: every payment, its formula, the values it used, and its source.

    A function whose value its arguments do not show — the minutes of a visit in a
    time band, a decision's days in the month, a step table's bracket, a rounding,
    a clamp — has a line of its own: `minutes_in(tider, "natt") = 90 min`,
    `ceil(minuter, 15 min) = 30 min`, `clamp(tid, 0 min, beviljad * 110 %) = 990 min`.

    A count whose filter reads a value computed on the rows, or compares them with
    the row they are counted for (visits in the customer's language), lists the rows
    it kept, each with what the filter read on it, and counts those it left out;
    with --rows all it lists them too, with why.

    A payment of another row of the customer's — an effect premium per claim, a fee
    per delivery — is explained beneath, one tree per row, named by its key.

    With --provider (and no --customer): the provider's own payments of the month —
    a deduction, a supplement, VAT compensation — explained the same way.

    The tree is in the terminal's language (--lang): Swedish by default, `2 640,00 kr`;
    the model's names and formulas as it writes them. --format json is the same in
    every language.

    With --letter: the letter to the provider, in Swedish, for one customer
    (--customer) or for each customer of a provider (--provider: each month ends
    with a letter of the provider's own payments and its whole month), for a month
    or several (--to).

    \b
    Examples:
      carepay explain examples/hemtjanst/model.yaml --data examples/hemtjanst/data \\
          --month 2024-02 --customer K003
      carepay explain rules/orebro --data examples/orebro --month 2024-03 \\
          --provider P01 --letter --out brev-P01.html
      carepay explain rules/orebro --data examples/orebro --month 2024-03 --provider P03
      carepay explain rules/orebro --data examples/orebro --month 2024-03 \\
          --customer K000005 --rows all
    """
    if letter:
        _letter(model, data, month, last or month, customer, provider, everything, out)
        return
    if (customer is None) == (provider is None) or out is not None or last is not None:
        raise click.UsageError(
            "explain shows one customer's month (--customer) or a provider's own payments "
            "(--provider); --to and --out go with --letter"
        )
    lang = "en" if fmt == "json" else _lang()  # JSON for scripts: the same in any language
    heading, rows = api.explain(
        model, data, month, customer, everything, provider, rows_shown, lang
    )
    if provider is not None:
        _explain_provider(heading, month, provider, rows, fmt)
        return
    assert customer is not None
    if fmt == "json":
        click.echo(explain_json(heading, month, customer, rows))
        return
    for row, traces in rows:
        values = row.values
        provider_id = values.get("provider_id")
        place = ""
        if values.get("district"):
            place = _say("explain.district", district=values["district"])
            if values.get("zone"):
                place += ", " + _say("explain.zone", zone=values["zone"])
            place = f" ({place})"
        whose = _say("explain.customer", customer=customer, provider=provider_id)
        if row.label:  # a payment of its own row: a claim, a delivery
            label = f"{row.kind or row.entity} {row.key}".strip()
            whose = _say(
                "explain.row_of_customer",
                row=label[:1].upper() + label[1:],
                customer=customer,
                provider=provider_id,
            )
        title = f"{heading}\n{whose}, {month:%Y-%m}{place}"
        if not traces:
            of = (
                _say("explain.the_row", row=row.kind or row.entity)
                if row.label
                else _say("explain.the_month")
            )
            title += "\n\n" + _say("explain.nothing_paid", of=of)
            title += _say("explain.rows_follow") if len(rows) > 1 and not row.label else "."
        _echo_tree(traces, title)


def _explain_provider(heading: str, month: Any, provider: str, rows: list[Any], fmt: str) -> None:
    """A provider's own payments of the month (not its customers': those are explained
    per customer)."""
    if fmt == "json":
        click.echo(explain_json(heading, month, None, rows, provider=provider))
        return
    for row, traces in rows:
        name = row.values.get("name")
        whose = _say(
            "explain.provider",
            provider=provider,
            name=f" ({name})" if name else "",
            month=f"{month:%Y-%m}",
        )
        title = f"{heading}\n{whose}"
        if not traces:
            title += "\n\n" + _say("explain.provider_nothing")
        _echo_tree(traces, title)


def _echo_tree(traces: list[Any], title: str) -> None:
    """The tree, in the terminal's language, and where it counted rows it did not
    explain, how to see them."""
    text = render_tree(traces, title, _lang())
    click.echo(text)
    more = re.escape(_say("explain.more_rows", count="{n}")).replace(r"\{n\}", r"\d+")
    if re.search(more, text) or _say("explain.more_rows", count=1) in text:
        click.echo(_say("explain.all_rows"))


def _letter(
    model: Path,
    data: Path,
    first: Any,
    last: Any,
    customer: str | None,
    provider: str | None,
    everything: bool,
    out: Path | None,
) -> None:
    if (customer is None) == (provider is None):
        raise click.UsageError(
            "a letter is for one --customer or for each customer of a --provider"
        )
    if out is not None and out.suffix.lower() not in (".html", ".htm", ".txt"):
        raise click.BadParameter("write the letter to a .html or .txt file", param_hint="--out")
    months = api.months_between(first, last)
    found = letters_of(model, data, months, customer, provider, everything)
    if not found:
        span = f"from {first:%Y-%m} to {last:%Y-%m}"
        raise Failed(
            f"error: customer `{customer}` has no decisions or visits {span}"
            if customer
            else f"error: provider `{provider}` has no customer {span}, and no payment of its "
            "own came to more than 0 kr"
            + ("" if everything else " (--all writes a letter of those of 0 kr)")
        )
    if out is None:
        click.echo(render_letters_text(found), nl=False)
        return
    text = (
        render_letters_html(found) if out.suffix.lower() != ".txt" else render_letters_text(found)
    )
    out.write_text(text, encoding="utf-8")
    click.echo(_say("letters.written", count=len(found), out=out))


@main.command("generate")
@click.option(
    "--profile",
    type=click.Choice(["orebro", "norrtalje"]),
    required=True,
    help="Whose districts, providers and services to imitate.",
)
@click.option("--customers", type=click.IntRange(1, 2_000_000), default=1000, show_default=True)
@click.option("--months", type=click.IntRange(1, 36), default=1, show_default=True)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed gives the same data."
)
@click.option(
    "--start",
    "first",
    default="2024-01",
    show_default=True,
    callback=_month,
    help="First month, YYYY-MM.",
)
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Directory for the tables."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
@click.option(
    "--model",
    type=click.Path(exists=True, path_type=Path),
    help="Also fill the columns this model declares of carepay's tables (from their code "
    "lists and ranges, dates in the months generated) and place the customers in its "
    "districts.",
)
@force_option
@_fail_on_engine_errors
def generate_command(
    profile: str,
    customers: int,
    months: int,
    seed: int,
    first: Any,
    out: Path,
    fmt: str,
    model: Path | None,
    force: bool,
) -> None:
    """Write realistic synthetic input tables (no real person in them).

    Distributions and rates are described in docs/data.md. With --model, each
    column the model declares of carepay's tables (a visit's status, a customer's
    distance) is filled too, a value of its code list or range for each row, and
    the customers live in the model's districts; a table of the model's own is made
    with a row a month for each customer and provider with a decision (or each
    customer, each provider, as its rows belong), its values only such as its
    columns allow; a row a data requirement of the model needs a value of (an omsorg
    decision's hours per month) is given one, drawn from the column's other values.

    \b
    Examples:
      carepay generate --profile orebro --customers 300 --months 3 --seed 1 --out examples/orebro
      carepay generate --profile orebro --customers 300 --start 2026-11 \\
          --model tests/fixtures/fjallby/model.yaml --out fjallby-data
    """
    from engine.generate import (
        SPILL_VISITS,
        expected_visits,
        generate,
        own_tables,
        with_declared_columns,
        with_requirements_met,
        write,
    )

    checked = api.load(model)[0] if model is not None else None  # its mistakes first
    _confirm_replace(out, force)
    job = {"profile": profile, "customers": customers, "months": months, "seed": seed,
           "start": f"{first:%Y-%m}", "format": fmt}  # fmt: skip
    if model is not None:
        job["model"] = str(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".carepay-generate-", dir=out.parent) as scratch:
        # a year of a whole country's visits does not fit in memory: a month at a time on disk
        spill = Path(scratch) if expected_visits(customers, months) > SPILL_VISITS else None
        tables = generate(
            profile,
            customers,
            months,
            seed,
            first,
            progress=lambda s: click.echo(s, err=True),
            spill=spill,
        )
        own: list[str] = []
        if checked is not None:
            vocabulary = checked.model.vocabulary
            districts = [d for places in checked.model.zones.values() for d in places]
            tables, own = with_declared_columns(tables, vocabulary, seed, first, months, districts)
            needs = checked.model.data_requirements
            tables = with_requirements_met(tables, needs, vocabulary, seed, first, months)
            tables.update(own_tables(tables, vocabulary, seed, first, months))
        rows: dict[str, int] = {}

        def write_all(directory: Path) -> None:
            rows.update(write(tables, directory, fmt))
            write_generated_manifest(directory, job)

        write_atomically(out, write_all)
    counts = ", ".join(f"{name} {count}" for name, count in rows.items())
    click.echo(_say("generate.written", out=out, counts=counts))
    if own:
        click.echo(_say("generate.own_tables", tables=", ".join(own)))


def _comparison_summary(comparison: Any, fmt: str) -> None:
    """Totals per provider for A and B with the difference, counts, distribution, extremes."""
    providers = comparison.providers
    if fmt == "json":
        payload = {
            "a": comparison.label_a,
            "b": comparison.label_b,
            "providers": [
                {
                    **row,
                    "amount_a": row["amount_a_ore"] / 100,
                    "amount_b": row["amount_b_ore"] / 100,
                    "diff": row["diff_ore"] / 100,
                }
                for row in providers.iter_rows(named=True)
            ],
            "customers": comparison.counts(),
            "distribution": comparison.distribution(),
            "assumptions": comparison.assumptions,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        click.echo(neutralised(providers).write_csv(), nl=False)
        return
    click.echo(f"A = {comparison.label_a}   B = {comparison.label_b}")
    for assumption in comparison.assumption_words(_lang()):
        click.echo(_say("compare.assumed", what=assumption))
    a_, b_, diff_ = _say("compare.a"), _say("compare.b"), _say("compare.diff")
    click.echo(f"{_say('run.provider'):<10} {a_:>16} {b_:>16} {diff_:>16} {'%':>8}")
    for row in providers.iter_rows(named=True):
        pct = "" if row["diff_pct"] is None else _signed(row["diff_pct"])
        click.echo(
            f"{printable(str(row['provider_id'])):<10} {_sek(row['amount_a_ore']):>16} {_sek(row['amount_b_ore']):>16} {_sek(row['diff_ore']):>16} {pct:>8}"
        )
    a, b = int(providers["amount_a_ore"].sum()), int(providers["amount_b_ore"].sum())
    pct = _signed((b - a) / a * 100) if a else ""
    click.echo(f"{_say('run.total'):<10} {_sek(a):>16} {_sek(b):>16} {_sek(b - a):>16} {pct:>8}")
    click.echo(_say("compare.counts", **comparison.counts()))
    spread = ", ".join(
        f"{k} {decimal(_lang(), v, 0)}" for k, v in comparison.distribution().items()
    )
    click.echo(_say("compare.spread", spread=spread))


def _write_study(
    out: Path,
    study: Study,
    tables: dict[str, Any],
    html: str | Callable[[], str],
    workbook: str | None = None,
    about: list[tuple[str, str]] | None = None,
) -> None:
    """A study's tables as CSV and Parquet (and one workbook), its HTML report and its
    manifest, all or nothing. `html` may be a report still being made (its result
    asked for once the tables are written)."""

    dialect = _csv_dialect()

    def write(directory: Path) -> None:
        for name, frame in tables.items():
            frame = with_amounts(frame) if isinstance(frame, pl.DataFrame) else frame
            write_csv(frame, directory / f"{name}.csv", dialect)
            frame.write_parquet(directory / f"{name}.parquet")
        if workbook is not None:
            write_comparison_workbook(directory / workbook, tables, about or [])
        report = html if isinstance(html, str) else html()
        (directory / "report.html").write_text(report, encoding="utf-8")
        write_study_manifest(directory, study)

    write_atomically(out, write)


def _write_comparison(out: Path, comparison: Any, study: Study) -> None:
    from engine.htmlreport import comparison_report

    gains, losses = comparison.extremes(20)
    tables = {
        "compare_providers": comparison.providers,
        "compare_categories": comparison.categories,
        "compare_customers": comparison.customers,
        "compare_by_zone": comparison.by("zone"),
        "compare_by_hours_band": comparison.by("hours_band"),
        "compare_by_ownership": comparison.by("ownership"),
        "largest_gains": gains,
        "largest_losses": losses,
    }
    if comparison.granted_time is None:  # one row of no band: the models name no granted time
        del tables["compare_by_hours_band"]
        for name in ("compare_customers", "largest_gains", "largest_losses"):  # empty columns
            tables[name] = tables[name].drop("granted_hours", "hours_band")
    months, changes, files = _months_text(study.months), _changes_in_words(study), _about(study)
    about = [
        ("A", comparison.label_a),
        ("B", comparison.label_b),
        ("Månader", months),
        ("Filer och data", files.strip()),
        *(("Ändring", change) for change in changes),
    ]
    # the report's charts are drawn (Python, holding the interpreter) in a second
    # thread while the tables and the workbook are written (Polars, letting it go)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report") as drawing:
        html = drawing.submit(comparison_report, comparison, months, changes, files)
        _write_study(out, study, tables, html.result, workbook="comparison.xlsx", about=about)


def _changes_in_words(study: Study) -> list[str]:
    """What differs between A and B (`carepay diff`), one sentence per change."""
    from engine.modeldiff import diff_models, in_force_sentences, sentences_sv

    if len(study.models) < 2:
        return []
    changes = diff_models(study.models[0].model, study.models[1].model, lang="sv")
    # a model compared as in force on a date: its rule files may be the same, its rules
    # in force are not ("Inga regler eller parametrar skiljer sig" of March's against July's)
    as_of = [
        f"{who} räknas i varje månad med de regler och värden som gällde "
        f"{checked.model.as_of.isoformat()}."
        for who, checked in zip("AB", study.models, strict=False)
        if checked.model.as_of is not None
    ]
    if as_of:
        as_of += in_force_sentences(study.models[0], study.models[1], study.months)
    return (
        as_of
        + sentences_sv(changes)
        + [f"Körd med {o}" for o in study.overrides if not o.startswith("--set")]
    )


def _told_apart(files: list[str]) -> list[str]:
    """Each rule file by its name, with as many of its folders as tell it from the
    others: a model extending its region's was `model.yaml, model.yaml`, now
    `region/model.yaml, town/model.yaml`."""
    parts = [Path(f).parts for f in files]
    out = []
    for mine in parts:
        depth = 1
        while depth < len(mine) and sum(p[-depth:] == mine[-depth:] for p in parts) > 1:
            depth += 1
        out.append("/".join(mine[-depth:]))
    return out


def _about(study: Study) -> str:
    """Which files A and B are, and which data: what a committee paper cites."""
    names = ["A", "B"] if len(study.models) > 1 else ["modellen"]
    files = "; ".join(
        f"{who}: {', '.join(_told_apart(checked.model.files))}"
        + (f" (version {checked.model.version})" if checked.model.version else "")
        for who, checked in zip(names, study.models, strict=False)
    )
    return f"{files}; data: {study.data}. "


@main.command("compare")
@click.argument("model_a", type=click.Path(exists=True, path_type=Path))
@click.argument("model_b", type=click.Path(exists=True, path_type=Path))
@data_option
@month_option
@to_option
@click.option(
    "--a-as-of",
    "a_as_of",
    callback=_day,
    help="Use A's rules and values as in force on this date (YYYY-MM-DD) in every month.",
)
@click.option(
    "--b-as-of",
    "b_as_of",
    callback=_day,
    help="Use B's rules and values as in force on this date (YYYY-MM-DD) in every month.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the comparison here: tables (CSV, Parquet, Excel) and report.html.",
)
@summary_format_option
@csv_dialect_option
@pseudonymise_option
@force_option
@_fail_on_engine_errors
def compare_command(
    model_a: Path,
    model_b: Path,
    data: Path,
    month: Any,
    last: Any,
    a_as_of: Any,
    b_as_of: Any,
    out: Path | None,
    fmt: str,
    pseudonymise: bool,
    force: bool,
) -> None:
    """Compare two models (or a model and a scenario) on the same data, loaded once.

    Lines are aligned by month, provider, customer and category; the summary shows
    totals per provider for A and B with the difference, how many customer-months are
    paid more, less or the same (every customer-month, also one paid nothing by
    either), and the spread of the change. Each side pays what its own run pays: where
    the two read a table by different rules (a data requirement, a range, max_hours …,
    a district in the zones of one alone, a row rejected for a column one alone
    declares or reads), the data is read for each by its own, and the run says so
    (read-differently).

    \b
    Example:
      carepay compare rules/norrtalje scenarios/avdrag_under_80.yaml --data data --month 2024-03

    The old and the new rules of one model, on the same data (A as in force on
    1 May 2021, B as in force in each month run):

    \b
      carepay compare rules/norrtalje rules/norrtalje --a-as-of 2021-05-01 --data data --month 2024-03
    """
    from engine.compare import compare_results, distinct, labels, load_each

    if out is not None:
        _confirm_replace(out, force, (model_a, model_b, data))
    months = api.months_between(month, last)
    checked_a, checked_b, dataset_a, dataset_b, warnings = load_each(
        model_a,
        model_b,
        data,
        months,
        (a_as_of, b_as_of),
        _pseudonym(pseudonymise),
        checked=_charts_ahead(out),
    )
    with _stages() as stages:  # each model on the data as it reads it
        pairs = [(checked_a, dataset_a), (checked_b, dataset_b)]
        pair = each(stages, "models", pairs, lambda p: {"label": p[0].model.id})
        a, b = (api.run_model(checked, dataset, months) for checked, dataset in pair)
    _warn(distinct([*warnings, *a.warnings, *b.warnings]))  # rejected rows, missing values
    comparison = compare_results(a, b, dataset_a, *labels(checked_a, checked_b))
    _comparison_summary(comparison, fmt)
    if out is not None:
        _write_comparison(
            out, comparison, Study("compare", [checked_a, checked_b], data, dataset_a, months)
        )


@main.command("simulate")
@model_argument
@data_option
@month_option
@to_option
@click.option(
    "--set",
    "settings",
    multiple=True,
    help="Change a parameter, the one value for every date it has one (an indexation "
    "within the months run is replaced too, and the run says so): NAME=VALUE, "
    "NAME[key, key]=VALUE, NAME[2].under=VALUE. Repeatable.",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, path_type=Path),
    help="A scenario file (a model that extends MODEL).",
)
@click.option(
    "--sweep",
    help="Run many values of one parameter: NAME=START:STOP:STEP, stepped in the unit "
    "written, e.g. 'kontrollnivåer[2].under=25 %:85 %:5 %', 'timpris=400:500:25 kr/h'.",
)
@click.option(
    "--solve", help="Find the value of this parameter (or cell) that makes the total hit --target."
)
@click.option(
    "--attribute",
    "attribution",
    is_flag=True,
    help="With several --set: the part of each change in every provider's difference (in order, and Shapley).",
)
@click.option(
    "--target",
    help="With --solve: total=A (the unchanged model's total), a change such as -10 % or "
    "'+5 000 kr', or "
    "an amount such as '12 000 kr'.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the comparison (or sweep, or attribution) here: tables and report.html.",
)
@summary_format_option
@csv_dialect_option
@pseudonymise_option
@force_option
@_fail_on_engine_errors
def simulate_command(
    model: Path,
    data: Path,
    month: Any,
    last: Any,
    settings: tuple[str, ...],
    scenario: Path | None,
    sweep: str | None,
    solve: str | None,
    target: str | None,
    attribution: bool,
    out: Path | None,
    fmt: str,
    pseudonymise: bool,
    force: bool,
) -> None:
    """What if? Change parameters or apply a scenario, and compare with the unchanged model.

    The data is read once (a scenario that reads a table by other rules than the
    model reads it by its own: read-differently); the input files are never changed.

    \b
    Examples:
      carepay simulate rules/orebro --data examples/orebro --month 2024-02 --set 'kontrollnivåer[2].under=50 %'
      carepay simulate rules/orebro --data examples/orebro --month 2024-02 --sweep 'kontrollnivåer[2].under=25 %:85 %:5 %'
    """
    from engine.compare import (
        compare_results,
        dates_replaced,
        distinct,
        load_each,
        one_change_a_cell,
        scenario_change,
        sweep_values,
        with_setting,
    )
    from engine.compare import sweep as run_sweep

    if attribution and sweep:  # the sweep was left out without a word
        raise click.UsageError(
            "--attribute shares a difference among the changes --set and --scenario make; "
            "a --sweep is a study of its own: run it without --attribute"
        )
    if solve and not target:
        raise click.UsageError("--solve needs --target: the total to reach (e.g. --target '-10 %')")
    if out is not None:
        _confirm_replace(out, force, (model, data, scenario))
    months = api.months_between(month, last)
    checked_a, checked_b, dataset, dataset_b, warnings = load_each(
        model,
        scenario or model,
        data,
        months,
        pseudonym=_pseudonym(pseudonymise),
        checked=_charts_ahead(out),
    )
    checked_b_scenario = checked_b
    given = [("--set", s) for s in settings] + [
        (option, text) for option, text in (("--solve", solve), ("--sweep", sweep)) if text
    ]
    one_change_a_cell(checked_b, given)
    for setting in settings:
        _say_every_date(dates_replaced(checked_b, setting, months), "--set", setting)
        checked_b = with_setting(checked_b, setting)
    base = api.run_model(checked_a, dataset, months)
    _warn(distinct([*warnings, *base.warnings]))  # rejected rows, missing values
    overrides = [f"--set {s}" for s in settings] + ([f"--scenario {scenario}"] if scenario else [])
    if solve:
        _say_every_date(dates_replaced(checked_b, solve, months), "--solve", solve)
        solved = _solve(checked_b, dataset_b, months, base, solve, target)
        checked_b = with_setting(checked_b, solved)
        settings = (*settings, solved)
        overrides.append(f"--solve {solve} --target {target} gave {solved}")
    if attribution:
        if dataset_b is not dataset:  # its parts would each need a reading of their own
            raise click.UsageError(
                "the scenario reads the data by other rules than the model (the warning "
                "read-differently says which): --attribute needs one reading of it; compare "
                "the two with carepay compare"
            )
        study = Study("attribution", [checked_a], data, dataset, months, overrides)
        changes = [scenario_change(scenario, checked_b_scenario)] if scenario else []
        _attribution(checked_a, dataset, months, changes, list(settings), fmt, out, base, study)
        return
    if sweep:
        target, values = sweep_values(sweep)
        _say_every_date(dates_replaced(checked_b, target, months), "--sweep", target)
        base_total = int(base.lines["amount_ore"].sum() or 0)
        with _stages() as stages:
            steps = partial(each, stages, "sweep", label=lambda _: {})
            table = run_sweep(checked_b, dataset_b, months, target, values, base_total, steps)
        if fmt == "csv":
            click.echo(table.write_csv(), nl=False)
        elif fmt == "json":
            click.echo(json.dumps(table.to_dicts(), ensure_ascii=False, indent=2))
        else:
            click.echo(_say("sweep.title", target=target, amount=_sek(base_total)))
            click.echo(
                f"{_say('sweep.value'):>12} {_say('sweep.total'):>18} {_say('compare.diff'):>16}"
            )
            for row in table.iter_rows(named=True):
                click.echo(
                    f"{row['value']:>12} {_sek(row['total_ore']):>18} {_sek(row['diff_ore']):>16}"
                )
        if out is not None:
            from engine.htmlreport import sweep_report

            html = sweep_report(table, target, base_total, _months_text(months))

            study = Study(
                "sweep", [checked_b], data, dataset_b, months, [*overrides, f"--sweep {sweep}"]
            )
            _write_study(out, study, {"sweep": table}, html)
        return
    if not settings and scenario is None:
        raise click.UsageError("give --set, --scenario, --sweep or --solve")
    variant = api.run_model(checked_b, dataset_b, months)
    said = {(d.code, d.message) for d in base.warnings}  # B's own: they were not shown
    _warn([d for d in distinct(variant.warnings) if (d.code, d.message) not in said])
    label = "; ".join(([scenario.name] if scenario else []) + list(settings))
    comparison = compare_results(
        base, variant, dataset, checked_a.model.id, f"{checked_b.model.id} ({label})"
    )
    _comparison_summary(comparison, fmt)
    if out is not None:
        study = Study("simulate", [checked_a, checked_b], data, dataset, months, overrides)
        _write_comparison(out, comparison, study)


def _say_every_date(dates: list[Any], option: str, setting: str) -> None:
    """Tell that a study's one value replaces each of a parameter's dated values the
    months run are paid by (`compare.dates_replaced`), where there are several."""
    if dates:
        shown = [f"{d:%Y-%m-%d}" for d in dates]
        listed = f"{', '.join(shown[:-1])} {_say('and')} {shown[-1]}"
        name = setting.partition("=")[0].partition("[")[0]
        change = f"{option} {setting}"
        click.echo(_say("simulate.every_date", change=change, name=name, dates=listed), err=True)


def _solve(
    checked: Any,
    dataset: Any,
    months: list[Any],
    base: api.RunResult,
    name: str,
    target: str | None,
) -> str:
    """Goal seek: the setting (with its unit) whose run totals the target; printed,
    and then compared and written like any other setting."""
    from engine.compare import solve

    base_total = int(base.lines["amount_ore"].sum() or 0)
    goal = _goal(target, base_total)
    setting, reached, runs = solve(checked, dataset, months, name, goal)
    said = "solve.unchanged" if reached == base_total != goal else "solve.result"
    amount, wanted = _sek(reached), _sek(goal)
    click.echo(_say(said, name=name, setting=setting, amount=amount, goal=wanted, count=runs))
    return setting


def _goal(target: str | None, base_total: int) -> int:
    """The öre `--target` asks for: `total=A` (the unchanged total), a change (`-10 %`)
    or an amount (`12 000 kr`, `1 200,50 SEK`), read as the rule files read numbers —
    `12,500` is refused (twelve and a half, or twelve thousand five hundred?), where it
    was taken as 12,50 kr and a unit (`12000 SEK`) was refused."""
    from decimal import ROUND_HALF_UP

    from engine.loader import split_quantity

    text = (target or "").strip()
    if text.replace(" ", "").lower() in ("total=a", "a"):
        return base_total
    parts = split_quantity(text.removeprefix("+"))
    number = text.split()[0] if text.split() else ""
    if parts is not None and parts[1] in (None, "SEK", "kr"):
        priced = swedish.point_in_price(number.removeprefix("+"), parts[1] or "SEK")
        if priced is not None:  # `1.200 kr`: 1,20 kr, or 1 200 kr?
            raise click.BadParameter(f"{priced[0]}: {priced[1]}", param_hint="--target")
    if parts is not None and parts[1] == "%":
        return int((base_total * (1 + parts[0] / 100)).to_integral_value(ROUND_HALF_UP))
    if parts is not None and parts[1] in (None, "SEK", "kr"):
        amount = int((parts[0] * 100).to_integral_value(ROUND_HALF_UP))
        # a signed amount is a change, as a signed per cent is: `+100 kr` was taken as
        # a total of 100 kr, and the price solved for it was −6 713 kr/h
        return base_total + amount if text.startswith(("+", "-", "−")) else amount
    if swedish.AMBIGUOUS_COMMA.fullmatch(number.removeprefix("+")):
        decimal, thousands = swedish.comma_readings(number.removeprefix("+"))
        raise click.BadParameter(
            f"`{text}` can be read two ways: write {thousands} or {decimal}",
            param_hint="--target",
        )
    raise click.BadParameter(
        "write total=A, a change such as -10 %, or an amount in SEK (12 000 kr)",
        param_hint="--target",
    )


def _attribution(
    checked: Any,
    dataset: Any,
    months: list[Any],
    changes: list[Any],
    settings: list[str],
    fmt: str,
    out: Path | None,
    base: api.RunResult,
    study: Study,
) -> None:
    from engine.compare import attribute, provider_totals_ore
    from engine.htmlreport import attribution_report

    count = len(changes) + len(settings)
    if count < 2:
        raise click.UsageError(
            "--attribute needs at least two changes (--set, or a --scenario and a --set)"
        )
    runs = 2**count if count <= 6 else count + 1
    with _stages() as stages:
        stages.stage("attribution", total=runs)
        sequential, shapley = attribute(
            checked, dataset, months, settings, lambda: stages.advance(), changes
        )
    tables = {"attribution_in_order": sequential}
    if shapley is not None:
        tables["attribution_shapley"] = shapley
    if fmt == "json":
        click.echo(
            json.dumps({k: v.to_dicts() for k, v in tables.items()}, ensure_ascii=False, indent=2)
        )
    elif fmt == "csv":
        click.echo((shapley if shapley is not None else sequential).write_csv(), nl=False)
    else:
        for title, table in tables.items():
            click.echo(_say(f"attribution.{title.removeprefix('attribution_')}"))
            providers = [c for c in table.columns if c not in ("order", "change")]
            change = _say("attribution.change")
            click.echo(f"  {change:<40}" + "".join(f"{p:>14}" for p in providers))
            for row in table.iter_rows(named=True):
                amounts = "".join(f"{_sek(row[p]):>14}" for p in providers)
                click.echo(f"  {row['change'][:40]:<40}{amounts}")
    if out is not None:
        html = attribution_report(
            sequential, shapley, provider_totals_ore(base), _months_text(months)
        )
        _write_study(out, study, tables, html)


def _months_text(months: list[Any]) -> str:
    first, last = months[0], months[-1]  # in the Swedish reports: a dash, not "to"
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} – {last:%Y-%m}"


@main.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_fail_on_engine_errors
def diff_command(old: Path, new: Path, fmt: str) -> None:
    """What changed between two versions of a model, in words: parameters, rules, zones,
    rounding, invoice categories, data requirements, a scenario's assumptions and what
    it declares of the data (code lists, columns, tables, entities).

    \b
    Example:
      carepay diff rules/norrtalje scenarios/avdrag_under_80.yaml
    """
    from engine.modeldiff import diff_models, render

    a, _ = api.load(old)
    b, _ = api.load(new)
    if fmt == "json":  # for programs: English details, whatever the terminal speaks
        changes = diff_models(a.model, b.model)
        click.echo(json.dumps([c.to_json() for c in changes], ensure_ascii=False, indent=2))
    else:
        changes = diff_models(a.model, b.model, _lang())
        click.echo(render(changes, a.model, b.model, _lang()), nl=False)


@main.command("tables")
@model_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--data",
    type=click.Path(exists=True, path_type=Path),
    help="The data directory (or workbook) whose columns.yaml names the export's own "
    "files and columns: the tables and columns are listed, and the templates written, "
    "by those names.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write an empty CSV file per table with its headings, and the specification "
    "(dataspecifikation.txt), into this directory (a file there is never overwritten); "
    "with --data, under the export's own names, its columns.yaml beside them.",
)
@_fail_on_engine_errors
def tables_command(model: Path, fmt: str, data: Path | None, out: Path | None) -> None:
    """The data a model reads, in Swedish: each table, whether its file must be there,
    and each column read — its kind and unit, whether the file must have it, whether a
    cell may be empty, its code list or range, and whether a rule reads it — and the
    model's data requirements (which rows are rejected for lacking what). What a
    municipality asks of the system that exports its data; a column not listed is not
    read. With --data, each file and column as the export names them (its
    columns.yaml), carepay's name beside.

    \b
    Examples:
      carepay tables rules/orebro
      carepay tables examples/hemtjanst/model.yaml --out export-mall
      carepay tables rules/orebro --data export --out export-mall
    """
    from engine.dataspec import render_text, to_json, write_templates

    checked, _ = api.load(model)
    contract = api.data_contract(checked)
    headers, names_file = api.data_headers(checked, data) if data else (None, None)
    if fmt == "json":
        text = to_json(checked.model, contract, headers)
    else:
        text = render_text(checked.model, contract, headers)
    click.echo(text, nl=False)
    if out is not None:
        try:
            written = write_templates(out, checked.model, contract, headers, names_file)
        except FileExistsError as there:
            raise Failed(f"{out} already has {there}: nothing was written") from None
        click.echo(f"{len(written)} filer skrivna till {out}")


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List every case, not only failures (with --mutants, every change and the case "
    "that noticed it).",
)
@click.option(
    "--mutants",
    is_flag=True,
    help="Then change each rule a little (its value 10 % larger, a condition turned "
    "round, a comparison across its boundary or the other way, an `and` as `or`), one "
    "change at a time, and list the "
    "changes no case notices: what the tests do not check.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar="CAREPAY_WORKERS",
    show_envvar=True,
    help="At most this many processes (default: the cores this process may use; 1 runs "
    "every case in this one).",
)
@_fail_on_engine_errors
def test_command(
    paths: tuple[Path, ...], verbose: bool, mutants: bool, workers: int | None
) -> None:
    """Run model test files: small input tables, a month, and hand-computed amounts.

    A file of many cases is run by several processes, one for every twelve cases
    up to the cores (--workers); the results are those of one process.

    \b
    Examples:
      carepay test examples/hemtjanst/tests
      carepay test examples/hemtjanst/tests --mutants
    """
    from engine.testing import (
        WORKERS_VARIABLE,
        ModelTestFile,
        find_test_files,
        read_test_file,
        run_cases,
    )

    if workers is not None:  # the cap the cases' and the mutants' processes read
        os.environ[WORKERS_VARIABLE] = str(workers)
    files = find_test_files(list(paths))
    if not files:
        raise Failed("error: no test files found (a test file has a `tests:` list)")
    passed = failed = 0
    reads = [read_test_file(file) for file in files]  # each read once, for --mutants too
    with _stages() as stages:  # each case a step, on a terminal
        for read in reads:
            for result in run_cases(read, stages):
                if result.passed:
                    passed += 1
                    if verbose:
                        click.echo(f"PASS {result.file}:{result.span.line} {result.name}")
                    continue
                failed += 1
                click.echo(f"FAIL {result.file}:{result.span.line} {result.name}")
                for line in result.failures:  # a failure of several lines kept together
                    click.echo("     " + line.replace("\n", "\n     "))
                if result.error:
                    click.echo("     " + result.error.replace("\n", "\n     "))
    click.echo(_say("test.summary", passed=passed, failed=failed))
    if failed:
        if mutants:
            click.echo(_say("mutants.not_tried"))
        sys.exit(1)
    if mutants:
        _list_mutants([r for r in reads if isinstance(r, ModelTestFile)], verbose)


def _list_mutants(files: list[ModelTestFile], verbose: bool) -> None:
    """`carepay test --mutants`: each model's mutants tried against its test files;
    those no case caught listed (with `verbose`, each caught one too, and by which
    case). The exit status stays the cases': a change can pay the same by the model's
    own logic (a condition it tests twice), and no case can notice that, so the list is
    read, not counted to zero."""
    from engine.mutants import try_mutants

    by_model: dict[Path, list[ModelTestFile]] = {}
    for read in files:
        by_model.setdefault(read.model_path, []).append(read)
    for model_files in by_model.values():
        with _stages() as stages:
            outcomes = [o for o in try_mutants(model_files, stages) if o.made]
        for outcome in outcomes:
            m = outcome.mutant
            if not outcome.caught:
                click.echo(f"NOT CAUGHT {_shown_path(m.where)} {m.rule}: {m.said}")
            elif verbose:
                click.echo(
                    f"CAUGHT {_shown_path(m.where)} {m.rule}: {m.said}, by {outcome.caught_by}"
                )
        caught = sum(o.caught for o in outcomes)
        click.echo(_say("mutants.summary", caught=caught, total=len(outcomes)))


def _shown_path(where: str) -> str:
    """A place in a file, relative to the working directory where it is below it."""
    try:
        return str(Path(where).relative_to(Path.cwd()))
    except ValueError:
        return where


@main.command("studio")
@model_argument
@data_option
@month_option
@to_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port on 127.0.0.1 (default: a free one).",
)
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@_fail_on_engine_errors
def studio_command(
    model: Path, data: Path, month: Any, last: Any, port: int, no_browser: bool
) -> None:
    """Edit a model in the browser and see what it pays as you type.

    Reads the data once, then shows each edit's diagnostics inline and its totals
    per provider and category beside the saved model's. Listens on 127.0.0.1 only,
    behind a random token in the address it prints.

    \b
    Example:
      carepay studio rules/orebro --data examples/orebro --month 2024-02
    """
    from engine.studio import free_port, new_token, open_studio, port_is_free, serve

    if port and not port_is_free(port):
        raise click.BadParameter(
            f"port {port} is in use on 127.0.0.1; give another, or leave --port out for a free one",
            param_hint="--port",
        )
    workspace = open_studio(model, data, month, last)
    serve(workspace, port or free_port(), new_token(), open_browser=not no_browser)


if __name__ == "__main__":  # pragma: no cover
    main()


for _command in main.commands.values():  # every command speaks the reader's language
    _command.params.append(lang_option)
