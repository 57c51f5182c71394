"""What the terminal says to the people who run carepay, in Swedish by default and in
English with `--lang en`. Only the summaries and progress that users read live
here; the code, the docs, the diagnostics' codes and messages stay English.

A phrase is a template for `str.format`; numbers reach it already formatted for its
language (`amount`, `count`), so that a controller reads `1 234,56` and an English
reader `1 234.56`."""

from __future__ import annotations

from decimal import Decimal

from engine import swedish

LANGUAGES = ("sv", "en")
DEFAULT = "sv"

PHRASES: dict[str, dict[str, str]] = {
    # check
    "check.ok": {
        "sv": "ok: {count} modellfiler kontrollerade, inga problem",
        "en": "ok: {count} model files checked, no problems",
    },
    "check.ok.one": {
        "sv": "ok: 1 modellfil kontrollerad, inga problem",
        "en": "ok: 1 model file checked, no problems",
    },
    # run
    "run.assumed": {"sv": "antaget: {what}", "en": "assumed: {what}"},
    # what an assumption changed (run, compare, simulate, the committee report)
    "assumed.scale": {
        "sv": "{count} av {total} besök tar {factor} × sin tid",
        "en": "{count} of {total} visits take {factor} × their time",
    },
    "assumed.drop": {
        "sv": "{count} av {total} besök kortare än {minutes} min registreras inte",
        "en": "{count} of {total} visits shorter than {minutes} min are not registered",
    },
    "assumed.move": {
        "sv": "{count} beslut för {customer_count} kunder flyttas {steps} {levels} {direction} "
        "(inom nivåerna {low}–{high})",
        "en": "{count} decisions of {customer_count} customers move {steps} {levels} {direction} "
        "(kept within levels {low}–{high})",
    },
    "assumed.level": {"sv": "nivå", "en": "level"},
    "assumed.levels": {"sv": "nivåer", "en": "levels"},
    "assumed.down": {"sv": "ned", "en": "down"},
    "assumed.up": {"sv": "upp", "en": "up"},
    "assumed.no_level": {"sv": "inget beslut har en nivå", "en": "no decision has a level"},
    "run.visits": {
        "sv": "besök i indata {input} = {parts}  ({check})",
        "en": "input visits {input} = {parts}  ({check})",
    },
    "run.counted": {"sv": "räknade {n}", "en": "counted {n}"},
    "run.excluded": {"sv": "ej räknade {n}", "en": "excluded {n}"},
    "run.rejected": {"sv": "avvisade {n}", "en": "rejected {n}"},
    "run.removed": {"sv": "borttagna av antaganden {n}", "en": "removed by assumptions {n}"},
    "run.outside": {"sv": "utanför månaderna {n}", "en": "outside the months {n}"},
    "run.own_outside": {
        "sv": "rader i ingen av månaderna (betalas inte nu): {tables}",
        "en": "rows in none of the months (not paid now): {tables}",
    },
    "run.balanced": {
        "sv": "varje besök redovisat en gång",
        "en": "every visit accounted for once",
    },
    "run.unbalanced": {"sv": "GÅR INTE IHOP", "en": "NOT BALANCED"},
    "run.rejected_rows": {
        "sv": "avvisade rader: {tables} (se rejects.csv)",
        "en": "rejected rows: {tables} (see rejects.csv)",
    },
    "run.flagged": {
        "sv": "flaggade besök att granska (räknas ändå): {rules} "
        "(se flags.csv, Flaggade besök i payments.xlsx)",
        "en": "visits flagged for review (still counted): {rules} "
        "(see flags.csv, Flaggade besök in payments.xlsx)",
    },
    "run.not_read": {
        "sv": "inte inlästa, modellen använder dem inte: {files} (se manifest.json)",
        "en": "not read, the model does not use them: {files} (see manifest.json)",
    },
    "run.never_fired": {
        "sv": "slog aldrig till på dessa data: {rules} (se coverage.csv)",
        "en": "never fired on this data: {rules} (see coverage.csv)",
    },
    "run.never_then": {
        "sv": "{rule} (villkoret på rad {line} var aldrig sant)",
        "en": "{rule} (the condition at line {line} was never true)",
    },
    "run.never_else": {
        "sv": "{rule} (villkoret på rad {line} var aldrig falskt)",
        "en": "{rule} (the condition at line {line} was never false)",
    },
    "run.and_more": {"sv": "och {n} till", "en": "and {n} more"},
    "run.provider": {"sv": "utförare", "en": "provider"},
    "run.category": {"sv": "kategori", "en": "category"},
    "run.amount": {"sv": "belopp (kr)", "en": "amount (SEK)"},
    "run.total": {"sv": "summa", "en": "total"},
    "run.follow_up": {"sv": "uppföljning (betalas inte):", "en": "follow-up (not paid):"},
    "run.written": {
        "sv": "{lines} specifikationsrader skrivna till {out} (med manifest.json)",
        "en": "{lines} statement lines written to {out} (with manifest.json)",
    },
    "run.exit": {
        "sv": "slutstatus {code}: {why} (utdata är skrivna; granska innan ni betalar)",
        "en": "exit status {code}: {why} (the output is written; review before paying)",
    },
    "exit.empty": {
        "sv": "inget besök räknat i {months}",
        "en": "no visit counted in {months}",
    },
    "exit.undecided": {
        "sv": "inga beslut i kraft i {months}",
        "en": "no decision in force in {months}",
    },
    "exit.rejected": {"sv": "{count} rader avvisade", "en": "{count} rows rejected"},
    "exit.rejected.one": {"sv": "1 rad avvisad", "en": "1 row rejected"},
    "exit.incomplete": {
        "sv": "{count} varningar om värden som saknades där ett belopp behövde dem",
        "en": "{count} warnings of values missing where an amount needed them",
    },
    "exit.incomplete.one": {
        "sv": "1 varning om värden som saknades där ett belopp behövde dem",
        "en": "1 warning of values missing where an amount needed them",
    },
    "exit.missing_table": {
        "sv": "{count} tabeller som modellen läser saknades i indata och lästes som tomma",
        "en": "{count} tables the model reads were not in the data and were read as empty",
    },
    "exit.missing_table.one": {
        "sv": "en tabell som modellen läser saknades i indata och lästes som tom",
        "en": "a table the model reads was not in the data and was read as empty",
    },
    "exit.unpaired": {
        "sv": "{count} varningar om rader i ingen kunds eller utförares månad",
        "en": "{count} warnings of rows in no customer's or provider's month",
    },
    "exit.unpaired.one": {
        "sv": "1 varning om rader i ingen kunds eller utförares månad",
        "en": "1 warning of rows in no customer's or provider's month",
    },
    "exit.stale_calendar": {
        "sv": "{count} varningar om kalendrar utan datum för månadens år",
        "en": "{count} warnings of calendars with no date of the month's year",
    },
    "exit.stale_calendar.one": {
        "sv": "1 varning om en kalender utan datum för månadens år",
        "en": "1 warning of a calendar with no date of the month's year",
    },
    "exit.clean": {"sv": "rent", "en": "clean"},
    # verify
    "verify.differs": {"sv": "skiljer sig: {line}", "en": "differs: {line}"},
    # what `verify` found to differ, one line each
    "verify.other_version": {
        "sv": "körningen gjordes av carepay {then}; detta är carepay {now}",
        "en": "the run was made by carepay {then}; this is carepay {now}",
    },
    "verify.other_build": {
        "sv": "körningen gjordes av en annan byggversion av carepay {now} (dess kod skiljer "
        "sig från denna): en utdatafil kan skilja sig i sin form, inte bara i sina belopp",
        "en": "the run was made by another build of carepay {now} (its code differs from "
        "this one's): an output may differ in its form, not only in its amounts",
    },
    "verify.no_build": {
        "sv": "manifestet säger inte vilken byggversion av carepay som gjorde körningen (en "
        "från före byggversionernas fingeravtryck): en utdatafil kan skilja sig i sin form, "
        "inte bara i sina belopp",
        "en": "the manifest does not say which build of carepay made the run (one before "
        "the builds were fingerprinted): an output may differ in its form, not only in "
        "its amounts",
    },
    "verify.model_file": {"sv": "regelfilen", "en": "model file"},
    "verify.input": {"sv": "indatafilen", "en": "input"},
    "verify.file_missing": {"sv": "{kind} {file} saknas", "en": "{kind} {file} is missing"},
    "verify.file_changed": {
        "sv": "{kind} {file} har ändrats sedan körningen (dess SHA-256 skiljer sig)",
        "en": "{kind} {file} has changed since the run (its SHA-256 differs)",
    },
    "verify.unlisted": {
        "sv": "{name} i {out} är ingen utdatafil som manifestet listar",
        "en": "{name} in {out} is not an output the manifest lists",
    },
    "verify.output_missing": {
        "sv": "utdatafilen {name} saknas i {out}",
        "en": "output {name} is missing from {out}",
    },
    "verify.output_edited": {
        "sv": "utdatafilen {name} i {out} har ändrats sedan den skrevs",
        "en": "output {name} in {out} has been changed since it was written",
    },
    "verify.output_changed": {
        "sv": "utdatafilen {name} i {out} har ändrats sedan körningen",
        "en": "output {name} in {out} has been changed since the run",
    },
    "verify.not_repeated": {
        "sv": "körningen kan inte upprepas: {why}",
        "en": "the run cannot be repeated: {why}",
    },
    "verify.manifest_field": {
        "sv": "manifestets `{field}` är inte vad körningen ger {why}",
        "en": "the manifest's `{field}` is not what the run gives {why}",
    },
    "verify.why_file": {"sv": "(den ändrade filen ovan)", "en": "(the changed file above)"},
    "verify.why_build": {
        "sv": "(en annan byggversion av carepay kan skriva det annorlunda)",
        "en": "(another build of carepay may record it otherwise)",
    },
    "verify.why_edited": {"sv": "(ändrat efter körningen?)", "en": "(edited after the run?)"},
    "verify.no_longer": {
        "sv": "utdatafilen {name} skrivs inte längre",
        "en": "output {name} is no longer written",
    },
    "verify.new": {"sv": "utdatafilen {name} är ny", "en": "output {name} is new"},
    "verify.output_differs": {
        "sv": "utdatafilen {name} skiljer sig",
        "en": "output {name} differs",
    },
    "verify.failed": {
        "sv": "verifieringen misslyckades: {count} skillnad(er) i {out}",
        "en": "verify failed: {count} difference(s) in {out}",
    },
    "verify.run": {
        "sv": "verifierad: {out} — körningen upprepad: samma {outputs} utdatafiler från "
        "samma {files} regelfil(er) och {inputs} indatafil(er)",
        "en": "verified: {out} — the run repeated: the same {outputs} outputs from the "
        "same {files} model file(s) and {inputs} input file(s)",
    },
    "verify.study": {
        "sv": "verifierad: {out} — en studie ({kind}; kontrollerad, inte omkörd): samma "
        "{outputs} utdatafiler från samma {files} regelfil(er) och {inputs} indatafil(er)",
        "en": "verified: {out} — a {kind} (checked, not re-run): the same {outputs} "
        "outputs from the same {files} model file(s) and {inputs} input file(s)",
    },
    # explain and generate
    "letters.written": {
        "sv": "{count} brev skrivna till {out}",
        "en": "{count} letters written to {out}",
    },
    "letters.written.one": {
        "sv": "1 brev skrivet till {out}",
        "en": "1 letter written to {out}",
    },
    "generate.written": {"sv": "skrev {out}: {counts}", "en": "wrote {out}: {counts}"},
    "generate.own_tables": {
        "sv": "modellens egna tabeller har en rad i månaden per kund och utförare med beslut "
        "(eller per kund, per utförare; eller en per nyckel som andra tabellers rader nämner, "
        "eller per rad i tabellen en kolumn refererar till) "
        "med värden som kolumnerna tillåter, inte ett verkligt mönster: {tables}",
        "en": "the model's own tables have a row a month for each customer and provider with "
        "a decision (or each customer, each provider; or one for each key other tables' rows "
        "name, or for each row of the table a column references), with values their columns "
        "allow, not a real pattern: {tables}",
    },
    # compare and simulate
    "compare.assumed": {"sv": "antaget i {what}", "en": "assumed in {what}"},
    "compare.a": {"sv": "A (kr)", "en": "A (SEK)"},
    "compare.b": {"sv": "B (kr)", "en": "B (SEK)"},
    "compare.diff": {"sv": "B − A (kr)", "en": "B − A (SEK)"},
    "compare.counts": {
        "sv": "kundmånader som får mer: {more}, mindre: {less}, lika: {same}",
        "en": "customer-months paid more: {more}, less: {less}, the same: {same}",
    },
    "compare.spread": {
        "sv": "förändring per kundmånad (kr): {spread}",
        "en": "per customer-month change (SEK): {spread}",
    },
    "sweep.title": {
        "sv": "svep över {target}; oförändrad modell: {amount} kr",
        "en": "sweep of {target}; unchanged model: {amount} SEK",
    },
    "and": {"sv": "och", "en": "and"},
    "simulate.every_date": {
        "sv": "obs: {change} ger alla månaderna samma värde: {name} har under dem värden "
        "från {dates}, och alla ersätts",
        "en": "note: {change} gives every month the same value: {name} has values from "
        "{dates} over the months run, and each is replaced",
    },
    "sweep.value": {"sv": "värde", "en": "value"},
    "sweep.total": {"sv": "summa (kr)", "en": "total (SEK)"},
    "solve.result": {
        "sv": "{setting} ger {amount} kr (mål {goal} kr; {count} körningar)",
        "en": "{setting} gives {amount} SEK (target {goal} SEK; {count} runs)",
    },
    "solve.result.one": {
        "sv": "{setting} ger {amount} kr (mål {goal} kr; 1 körning)",
        "en": "{setting} gives {amount} SEK (target {goal} SEK; 1 run)",
    },
    "solve.unchanged": {
        "sv": "inget värde av {name} kommer närmare målet {goal} kr än modellens eget: "
        "{setting} ger {amount} kr ({count} körningar)",
        "en": "no value of {name} comes nearer the target {goal} SEK than the model's own: "
        "{setting} gives {amount} SEK ({count} runs)",
    },
    "solve.unchanged.one": {
        "sv": "inget värde av {name} kommer närmare målet {goal} kr än modellens eget: "
        "{setting} ger {amount} kr (1 körning)",
        "en": "no value of {name} comes nearer the target {goal} SEK than the model's own: "
        "{setting} gives {amount} SEK (1 run)",
    },
    "attribution.in_order": {
        "sv": "förändringarnas del i tur och ordning (kr per utförare):",
        "en": "attribution in order (SEK per provider):",
    },
    "attribution.shapley": {
        "sv": "förändringarnas del, rättvist fördelad (Shapley; kr per utförare):",
        "en": "attribution, Shapley (SEK per provider):",
    },
    "attribution.change": {"sv": "förändring", "en": "change"},
    # test
    "test.summary": {
        "sv": "{passed} godkända, {failed} underkända",
        "en": "{passed} passed, {failed} failed",
    },
    "mutants.summary": {
        "sv": "{caught} av {total} ändringar av reglerna upptäcktes av ett testfall",
        "en": "{caught} of {total} changes to the rules were caught by a case",
    },
    "mutants.not_tried": {
        "sv": "reglerna ändras inte förrän alla testfall är godkända",
        "en": "the rules are not changed until every case passes",
    },
    # what changed between two models (carepay diff, and the committee report)
    "diff.removed_value": {
        "sv": "värdet från {day} tas bort (var {value})",
        "en": "value from {day} removed (was {value})",
    },
    "diff.new_value": {
        "sv": "nytt värde från {day}: {value}",
        "en": "new value from {day}: {value}",
    },
    "diff.cell": {
        "sv": "från {day}, {cell}: {old} → {new}",
        "en": "from {day}, {cell}: {old} → {new}",
    },
    "diff.value": {"sv": "från {day}: {old} → {new}", "en": "from {day}: {old} → {new}"},
    "diff.calendar": {"sv": "(kalender {name})", "en": "(calendar {name})"},
    "diff.rounding": {
        "sv": "till {step} kr, {mode} ({name})",
        "en": "to {step} SEK, {mode} ({name})",
    },
    "diff.rounding.half_up": {"sv": "halvor bort från noll", "en": "half away from zero"},
    "diff.rounding.half_even": {"sv": "halvor till jämnt", "en": "half to even"},
    "diff.rounding.down": {"sv": "nedåt, mot noll", "en": "down, towards zero"},
    "diff.rest": {"sv": "(resten av veckan)", "en": "(the rest of the week)"},
    "diff.added": {"sv": "från {day}: läggs till {items}", "en": "from {day}: adds {items}"},
    "diff.removed": {"sv": "från {day}: tas bort {items}", "en": "from {day}: removes {items}"},
    "diff.order": {
        "sv": "från {day}, ordningen (den första som täcker en minut tar den): {old} → {new}",
        "en": "from {day}, the order (the first that covers a minute takes it): {old} → {new}",
    },
    "diff.field": {"sv": "{field}: {old} → {new}", "en": "{field}: {old} → {new}"},
    "diff.codes_added": {"sv": "läggs till: {items}", "en": "adds: {items}"},
    "diff.codes_removed": {"sv": "tas bort: {items}", "en": "removes: {items}"},
    "diff.none": {"sv": "ingen", "en": "none"},
    "diff.unlisted": {"sv": "ej listad", "en": "not listed"},
    "diff.unlisted_otherwise": {
        "sv": "ej listad (otherwise: {value})",
        "en": "not listed (otherwise: {value})",
    },
    "diff.rule": {"sv": "{kind} för {entity}: {formulas}", "en": "{kind} on {entity}: {formulas}"},
    # a rule's kind, as a committee paper names it (the English read "payment för visit")
    "rule.definition": {"sv": "definition", "en": "definition"},
    "rule.payment": {"sv": "ersättning", "en": "payment"},
    "rule.exclusion": {"sv": "undantag", "en": "exclusion"},
    "rule.flag": {"sv": "flagga", "en": "flag"},
    "rule.indicator": {"sv": "indikator", "en": "indicator"},
    "diff.header": {
        "sv": "Ändringar från {old}{old_version} till {new}{new_version}:",
        "en": "Changes from {old}{old_version} to {new}{new_version}:",
    },
    "diff.same": {
        "sv": "{old} och {new} räknar likadant: ingen parameter, regel, zon, avrundning, "
        "datakrav, antagande eller deklaration av data skiljer sig.",
        "en": "{old} and {new} compute the same: no parameter, rule, zone, rounding, data "
        "requirement, assumption or declaration of the data differs.",
    },
    "field.unit": {"sv": "enhet", "en": "unit"},
    "field.indexation": {"sv": "uppräkning", "en": "indexation"},
    "field.otherwise": {"sv": "för nycklar som saknas", "en": "otherwise"},
    "field.minimum": {"sv": "minst", "en": "minimum"},
    "field.maximum": {"sv": "högst", "en": "maximum"},
    "field.brackets": {"sv": "gränserna", "en": "brackets"},
    "field.formula": {"sv": "formel", "en": "formula"},
    "field.category": {"sv": "kategori", "en": "category"},
    "field.source": {"sv": "källa", "en": "source"},
    "field.entity": {"sv": "entitet", "en": "entity"},
    "field.reason": {"sv": "skäl", "en": "reason"},
    "field.quantity": {"sv": "antal på raden", "en": "the line's quantity"},
    # explain's tree: the words around the model's own names and formulas
    "explain.customer": {
        "sv": "Kund {customer} hos utförare {provider}",
        "en": "Customer {customer} with provider {provider}",
    },
    "explain.row_of_customer": {
        "sv": "{row} för kund {customer} hos utförare {provider}",
        "en": "{row} of customer {customer} with provider {provider}",
    },
    "explain.district": {"sv": "distrikt {district}", "en": "district {district}"},
    "explain.zone": {"sv": "zon {zone}", "en": "zone {zone}"},
    "explain.nothing_paid": {
        "sv": "Ingen ersättning för {of}: varje sådan regel gav 0 kr (--all visar dem)",
        "en": "No payment of {of}: every such rule came to 0 kr (--all shows them)",
    },
    "explain.the_month": {"sv": "kundens månad", "en": "the customer's month"},
    "explain.the_row": {"sv": "raden {row}", "en": "the {row}"},
    "explain.rows_follow": {
        "sv": "; ersättningarna för kundens rader följer.",
        "en": "; the payments of its rows follow.",
    },
    "explain.provider": {
        "sv": "Utförare {provider}{name}, {month}: dess egna ersättningar (kundernas: "
        "explain --customer)",
        "en": "Provider {provider}{name}, {month}: its own payments (each customer's: "
        "explain --customer)",
    },
    "explain.provider_nothing": {
        "sv": "Ingen egen ersättning för utföraren: varje sådan regel gav 0 kr (--all visar dem).",
        "en": "No payment of the provider's own: every such rule came to 0 kr (--all shows them).",
    },
    "explain.all_rows": {
        "sv": "(--rows all förklarar varje rad)",
        "en": "(--rows all explains every row)",
    },
    "explain.model": {"sv": "modell {id}", "en": "model {id}"},
    "explain.assumed": {"sv": "antaget: {what}", "en": "assumed: {what}"},
    "explain.no_value": {"sv": "(inget värde)", "en": "(no value)"},
    "explain.true": {"sv": "sant", "en": "true"},
    "explain.false": {"sv": "falskt", "en": "false"},
    "explain.kronor": {"sv": "kr", "en": "SEK"},
    "explain.rows": {"sv": "({count} rader{left_out})", "en": "({count} rows{left_out})"},
    "explain.rows.one": {"sv": "(1 rad{left_out})", "en": "(1 row{left_out})"},
    "explain.without_value": {
        "sv": ", {count} utan värde utelämnade",
        "en": ", {count} with no value left out",
    },
    "explain.without_value.one": {
        "sv": ", 1 utan värde utelämnad",
        "en": ", 1 with no value left out",
    },
    "explain.before_rounding": {
        "sv": "(före avrundning {amount})",
        "en": "(before rounding {amount})",
    },
    "explain.parameter": {"sv": "[parameter]", "en": "[parameter]"},
    "explain.see_above": {"sv": "(se ovan)", "en": "(see above)"},
    "explain.formula": {"sv": "formel: ", "en": "formula: "},
    "explain.indexed": {"sv": "uppräknad: ", "en": "indexed: "},
    "explain.more_rows": {"sv": "… och {count} rader till", "en": "… and {count} more rows"},
    "explain.more_rows.one": {"sv": "… och 1 rad till", "en": "… and 1 more row"},
    "explain.left_out_by_filter": {
        "sv": ", utelämnad av filtret",
        "en": ", left out by the filter",
    },
    "explain.rows_left_out": {
        "sv": "{count} rader utelämnade av filtret",
        "en": "{count} rows left out by the filter",
    },
    "explain.rows_left_out.one": {
        "sv": "1 rad utelämnad av filtret",
        "en": "1 row left out by the filter",
    },
    "explain.period": {
        "sv": "{row}: {start} – {until}, {count} dagar av månaden",
        "en": "{row}: {start} – {until}, {count} days of the month",
    },
    "explain.period.one": {
        "sv": "{row}: {start} – {until}, 1 dag av månaden",
        "en": "{row}: {start} – {until}, 1 day of the month",
    },
    "explain.open": {"sv": "(öppen)", "en": "(open)"},
    "explain.no_exclusion": {"sv": "inget undantag gäller", "en": "no exclusion applies"},
    "explain.unknown_condition": {
        "sv": "`{formula}` är okänt (ett värde det läser är tomt), vilket räknas som falskt",
        "en": "`{formula}` is unknown (a value it reads is empty), which counts as false",
    },
    "explain.clock_forward": {
        "sv": "klockan ställdes fram från 02:00 till 03:00 den {day}: {shown} min på "
        "klockan, {passed} min förflöt",
        "en": "the clocks went forward from 02:00 to 03:00 on {day}: {shown} min on the "
        "clock, {passed} min passed",
    },
    "explain.clock_back": {
        "sv": "klockan ställdes tillbaka från 03:00 till 02:00 den {day}: {shown} min på "
        "klockan, {passed} min förflöt",
        "en": "the clocks went back from 03:00 to 02:00 on {day}: {shown} min on the "
        "clock, {passed} min passed",
    },
    "explain.given": {"sv": "{amount} från {day}", "en": "{amount} given from {day}"},
    "explain.brackets_given": {
        "sv": "stegens {amount} från {day}",
        "en": "the brackets' {amount} given from {day}",
    },
    "explain.indexed_on": {"sv": "× {factor} den {day}", "en": "× {factor} on {day}"},
    "explain.rounded": {"sv": ", avrundat till {step}", "en": ", rounded to {step}"},
    # progress, one label per stage of the work
    "stage.rules": {
        "sv": "läser och kontrollerar reglerna",
        "en": "reading and checking the rules",
    },
    "stage.data": {"sv": "läser och kontrollerar data", "en": "reading and checking the data"},
    "stage.evaluate": {"sv": "beräknar {month}", "en": "evaluating {month}"},
    "stage.account": {"sv": "stämmer av besöken", "en": "accounting for the visits"},
    "stage.write": {"sv": "skriver utdata", "en": "writing the outputs"},
    "stage.models": {"sv": "kör modell {label}", "en": "running model {label}"},
    "stage.sweep": {"sv": "svep", "en": "sweep"},
    "stage.attribution": {"sv": "körningar för fördelningen", "en": "attribution runs"},
    "stage.test": {"sv": "testfall i {file}", "en": "cases of {file}"},
    "stage.mutants": {
        "sv": "ändringar av {file} prövas mot testfallen",
        "en": "changes to {file} tried against the cases",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The phrase `key` in `lang`, filled in; `key.one` instead when `count` is 1
    and the phrase has a singular."""
    if values.get("count") == 1 and f"{key}.one" in PHRASES:
        key = f"{key}.one"
    return PHRASES[key].get(lang, PHRASES[key][DEFAULT]).format(**values)


def figure(lang: str, written: str) -> str:
    """A number Python wrote (`1,234.5`, `1.022`) as the language writes it: spaces
    between thousands, and a decimal comma in Swedish (`1 234,5`, `1,022`)."""
    spaced = written.replace(",", " ")
    return spaced.replace(".", ",") if lang == "sv" else spaced


def amount(lang: str, ore: int) -> str:
    """Whole öre as kronor: `1 234,56` in Swedish, `1 234.56` in English."""
    if lang == "sv":
        return swedish.kronor(ore)
    return f"{ore / 100:,.2f}".replace(",", " ")


def decimal(lang: str, value: float, places: int = 1) -> str:
    """A plain figure (per cent, hours) with a sign when asked by the format."""
    if lang == "sv":
        return swedish.number(Decimal(str(round(value, places))), "#,##0." + "0" * places)
    return f"{value:,.{places}f}".replace(",", " ")


def signed(lang: str, value: float, places: int = 1) -> str:
    """A change with its sign: `+2,1` / `−0,4` in Swedish, `+2.1` / `-0.4` in English."""
    if lang == "sv":
        text = decimal(lang, value, places)
        return "+" + text if value > 0 else text
    return f"{value:+,.{places}f}".replace(",", " ")


# payments.xlsx's sheet of customers: its own columns, beside the model's customer
# columns and its payments' labels (an Excel table's headings are each other's apart,
# whatever their case)
CUSTOMER_SHEET_HEADINGS = ("Månad", "Utförare", "Kund", "Summa")
