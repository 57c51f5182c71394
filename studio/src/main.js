// carepay studio, the browser part: an editor of the model's rule files with the
// checker's diagnostics inline and completion of its names, and beside it what the
// model as typed pays, against the model as saved. Everything comes from the local
// server (engine/studio.py); nothing is loaded from anywhere else.
import { EditorView, basicSetup } from "codemirror";
import { EditorState, Prec, RangeSetBuilder } from "@codemirror/state";
import { Decoration, ViewPlugin } from "@codemirror/view";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, forceLinting } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";

const token = new URLSearchParams(location.search).get("token") || "";
const texts = {}; // file name -> text as typed
const states = {}; // file name -> editor state (undo history kept per file)
let names = { parameters: [], rules: [], columns: [], functions: [], entities: [] };
let current = null; // the file in the editor
let view = null;
let months = [];

const $ = (id) => document.getElementById(id);

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json", "X-Carepay-Token": token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

// ------------------------------------------------------------------ numbers, Swedish

const kronor = new Intl.NumberFormat("sv-SE", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
function kr(ore) {
  return `${kronor.format(ore / 100)} kr`;
}
function signed(ore) {
  return (ore > 0 ? "+" : "") + kr(ore);
}

function cell(text, attrs = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs)) td.setAttribute(k, v);
  return td;
}

function amountCells(row) {
  return [
    cell(kr(row.saved_ore), { "data-ore": row.saved_ore, class: "num" }),
    cell(kr(row.edited_ore), { "data-ore": row.edited_ore, class: "num" }),
    cell(signed(row.diff_ore), {
      "data-ore": row.diff_ore,
      class: "num " + (row.diff_ore > 0 ? "up" : row.diff_ore < 0 ? "down" : ""),
    }),
  ];
}

function fill(tbody, rows, make) {
  tbody.replaceChildren(...rows.map(make));
}

// ------------------------------------------------------------------ results

function showResults(results) {
  if (!results) return;
  const total = results.total;
  $("total-saved").textContent = kr(total.saved_ore);
  $("total-saved").dataset.ore = total.saved_ore;
  $("total-edited").textContent = kr(total.edited_ore);
  $("total-edited").dataset.ore = total.edited_ore;
  $("total-diff").textContent = signed(total.diff_ore);
  $("total-diff").dataset.ore = total.diff_ore;
  fill($("providers"), results.by_provider, (row) => {
    const tr = document.createElement("tr");
    tr.dataset.provider = row.provider_id;
    const name = cell(`${row.provider_id} ${row.name || ""}`);
    name.className = "link";
    name.addEventListener("click", () => showCustomers(row.provider_id));
    tr.append(name, ...amountCells(row));
    return tr;
  });
  fill($("categories"), results.categories, (row) => {
    const tr = document.createElement("tr");
    tr.dataset.category = row.category;
    tr.append(cell(row.category), ...amountCells(row));
    return tr;
  });
  const people = (rows) => (row) => {
    const tr = document.createElement("tr");
    const who = cell(`${row.customer_id} (${row.provider_id}, ${row.month})`);
    who.className = "link";
    who.addEventListener("click", () => showExplanation(row.customer_id, row.month));
    tr.append(who, ...amountCells(row));
    return tr;
  };
  fill($("winners"), results.winners, people());
  fill($("losers"), results.losers, people());
  const c = results.counts;
  $("counts").textContent = `${c.more} kundmånader får mer, ${c.less} mindre, ${c.same} lika`;
  const named = (rows) => rows.map((r) => `${r.provider_id} ${signed(r.diff_ore)}`).join(", ") || "ingen";
  $("providers-more").textContent = `Utförare som får mer: ${named(results.providers_more)}`;
  $("providers-less").textContent = `Utförare som får mindre: ${named(results.providers_less)}`;
}

async function showCustomers(provider) {
  const answer = await call(`/api/customers?provider=${encodeURIComponent(provider)}`);
  $("customers-heading").textContent = `Kunder hos ${provider}`;
  fill($("customers"), answer.rows, (row) => {
    const tr = document.createElement("tr");
    tr.dataset.customer = row.customer_id;
    const who = cell(`${row.customer_id} (${row.month})`);
    who.className = "link";
    who.addEventListener("click", () => showExplanation(row.customer_id, row.month));
    tr.append(who, ...amountCells(row));
    return tr;
  });
  showTab("explain");
}

async function showExplanation(customer, month) {
  const answer = await call(
    `/api/explain?customer=${encodeURIComponent(customer)}&month=${encodeURIComponent(month)}`,
  );
  showTab("explain");
  if (answer.ok === false) {
    $("letter").textContent = answer.diagnostics.map((d) => d.message).join("\n");
    $("tree").textContent = "";
    return;
  }
  $("letter").textContent = answer.letter;
  $("tree").textContent = answer.tree;
}

// ------------------------------------------------------------------ diagnostics

function position(doc, line, col) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(col - 1, 0), l.to);
}

let lastDiagnostics = [];

function showDiagnostics(list) {
  lastDiagnostics = list;
  fill($("diagnostics"), list, (d) => {
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.code = d.code;
    li.textContent = `${d.where || ""}: ${d.severity}[${d.code}]: ${d.message}` + (d.hint ? ` — ${d.hint}` : "");
    if (d.file && d.line) {
      li.classList.add("link");
      li.addEventListener("click", () => openFile(d.file, d.line, d.col));
    }
    return li;
  });
  const errors = list.filter((d) => d.severity === "error").length;
  $("status").textContent = errors ? `${errors} fel: resultaten gäller senaste felfria version` : "inga fel";
  $("status").className = errors ? "bad" : "good";
}

// What was typed and not saved survives a reload of the page (this tab only).
const KEPT = `carepay-studio:${location.pathname}`;
function keepTyped() {
  sessionStorage.setItem(KEPT, JSON.stringify({ texts, disk }));
}
const disk = {}; // file name -> text as on disk when the page opened or last saved

// Edits are checked one request each; the answers can come back out of order (a
// check of the text as opened, still running, answering after the check of an edit
// made meanwhile), so only the answer to the latest request is shown.
let edits = 0;

async function lintSource(v) {
  texts[current] = v.state.doc.toString();
  keepTyped();
  const asked = ++edits;
  const answer = await call("/api/edit", { texts });
  if (asked !== edits) return []; // a later edit's answer is, or will be, shown
  names = answer.names || names;
  const list = answer.diagnostics || [];
  showDiagnostics(list);
  if (answer.ok) showResults(answer.results);
  if (answer.parameters) showParameters(answer.parameters);
  if (v !== view) return [];
  return list
    .filter((d) => d.file === current && d.line)
    .map((d) => {
      const from = position(v.state.doc, d.line, d.col);
      const to = Math.max(position(v.state.doc, d.end_line, d.end_col + 1), from + 1);
      return {
        from,
        to: Math.min(to, v.state.doc.length),
        severity: d.severity === "error" ? "error" : "warning",
        message: d.message + (d.hint ? `\n${d.hint}` : ""),
        source: d.code,
      };
    });
}

// ------------------------------------------------------------------ completion

function complete(context) {
  const word = context.matchBefore(/[\wåäöÅÄÖ_.]+/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const kinds = [
    ["parameters", "variable", "parameter"],
    ["rules", "function", "definition"],
    ["columns", "property", "column"],
    ["functions", "keyword", "function"],
    ["entities", "type", "entity"],
  ];
  const options = [];
  for (const [key, type, detail] of kinds) {
    for (const label of names[key] || []) options.push({ label, type, detail });
  }
  return { from: word.from, options, validFor: /^[\wåäöÅÄÖ_]*$/ };
}

// ------------------------------------------------------------------ formula highlighting

// The formula language inside the YAML: the values of `formula:`, `when:`,
// `quantity:` and `condition:` (one line, or a block after `|`). Its words are marked
// by what the checker knows them as: a parameter, a definition or payment, a
// function, a column, a keyword; numbers with their units.
const FORMULA_KEY = /^(\s*)(?:-\s+)?(formula|when|quantity|condition):\s?(.*)$/;
const KEYWORDS = new Set(["if", "then", "else", "and", "or", "not", "where", "in", "true", "false", "missing"]);
const TOKEN = /\d+(?:[.,]\d+)?(?:\s?(?:%|SEK\/h|SEK|min|h|days?|kr))?|[\p{L}_][\p{L}\p{N}_]*/gu;
const marks = {
  parameter: Decoration.mark({ class: "cm-formula-parameter" }),
  rule: Decoration.mark({ class: "cm-formula-rule" }),
  function: Decoration.mark({ class: "cm-formula-function" }),
  column: Decoration.mark({ class: "cm-formula-column" }),
  keyword: Decoration.mark({ class: "cm-formula-keyword" }),
  number: Decoration.mark({ class: "cm-formula-number" }),
};

function kindOf(word) {
  if (/^\d/.test(word)) return "number";
  if (KEYWORDS.has(word)) return "keyword";
  if (names.parameters.includes(word)) return "parameter";
  if (names.rules.includes(word)) return "rule";
  if (names.functions.includes(word)) return "function";
  if (names.columns.includes(word)) return "column";
  return null;
}

function formulaMarks(view) {
  const builder = new RangeSetBuilder();
  const doc = view.state.doc;
  let blockIndent = -1; // inside a block formula: the indentation of its key
  for (const { from, to } of view.visibleRanges) {
    let line = doc.lineAt(from);
    while (true) {
      const text = line.text;
      const indent = text.length - text.trimStart().length;
      let start = -1;
      const key = FORMULA_KEY.exec(text);
      if (key) {
        const rest = key[3];
        blockIndent = /^[|>]/.test(rest.trim()) ? key[1].length : -1;
        if (blockIndent < 0 && !rest.trim().startsWith("#")) start = text.length - rest.length;
      } else if (blockIndent >= 0 && (text.trim() === "" || indent > blockIndent)) {
        start = indent;
      } else {
        blockIndent = -1;
      }
      if (start >= 0) {
        const body = text.slice(start).replace(/\s#.*$/, "");
        for (const m of body.matchAll(TOKEN)) {
          const kind = kindOf(m[0]);
          if (kind) builder.add(line.from + start + m.index, line.from + start + m.index + m[0].length, marks[kind]);
        }
      }
      if (line.to >= to || line.number >= doc.lines) break;
      line = doc.line(line.number + 1);
    }
  }
  return builder.finish();
}

const formulaHighlighting = ViewPlugin.fromClass(
  class {
    constructor(view) {
      this.decorations = formulaMarks(view);
    }
    update(update) {
      if (update.docChanged || update.viewportChanged) this.decorations = formulaMarks(update.view);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

// ------------------------------------------------------------------ editor and files

function newState(text) {
  return EditorState.create({
    doc: text,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      linter(lintSource, { delay: 350 }),
      autocompletion({ override: [complete] }),
      Prec.lowest(formulaHighlighting), // inside the YAML's own marks, so its colour shows
      EditorView.lineWrapping,
    ],
  });
}

function openFile(name, line, col) {
  if (current && view) {
    texts[current] = view.state.doc.toString();
    states[current] = view.state;
  }
  current = name;
  if (!states[name]) states[name] = newState(texts[name]);
  view.setState(states[name]);
  for (const tab of document.querySelectorAll("#files button")) {
    tab.classList.toggle("active", tab.dataset.file === name);
  }
  if (line) {
    const at = position(view.state.doc, line, col || 1);
    view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
    view.focus();
  }
}

// ------------------------------------------------------------------ parameters

function showParameters(list) {
  const host = $("parameters");
  if (host.contains(document.activeElement)) return; // not under the user's typing
  host.replaceChildren(
    ...list.map((p) => {
      const box = document.createElement("section");
      box.className = "parameter";
      box.dataset.parameter = p.name;
      const title = document.createElement("h3");
      title.textContent = `${p.name}` + (p.unit ? ` (${p.unit})` : "");
      const about = document.createElement("p");
      about.textContent = [p.description, p.source ? `Källa: ${p.source}` : ""].filter(Boolean).join(" · ");
      box.append(title, about);
      for (const v of p.values) {
        const label = document.createElement("label");
        const path = v.path.slice(1).join(" › ");
        label.textContent = path;
        const input = document.createElement("input");
        input.value = v.text;
        input.dataset.path = JSON.stringify(v.path);
        input.dataset.unit = p.unit;
        input.addEventListener("change", () => setValue(p, v.path, withUnit(input.value, v.text)));
        label.append(input);
        box.append(label);
      }
      return box;
    }),
  );
}

// A number typed without its unit takes the unit the value was written with
// ("50" in a field that held "40 %" is 50 %, never 50 as a fraction); a value with a
// unit is taken as typed and checked like the rule file.
function withUnit(typed, before) {
  const unit = (before.match(/^\s*-?[\d\s]+(?:[.,]\d+)?\s*([^\d\s].*)$/) || [])[1];
  return unit && /^\s*-?[\d\s]+(?:[.,]\d+)?\s*$/.test(typed) ? `${typed.trim()} ${unit}` : typed;
}

async function setValue(parameter, path, value) {
  texts[current] = view.state.doc.toString();
  const answer = await call("/api/set", { texts, file: parameter.file, name: parameter.name, path, value });
  if (!answer.ok) {
    showDiagnostics(answer.diagnostics);
    return;
  }
  texts[parameter.file] = answer.text;
  if (states[parameter.file]) {
    const state = states[parameter.file];
    const replaced = state.update({ changes: { from: 0, to: state.doc.length, insert: answer.text } }).state;
    states[parameter.file] = replaced;
    if (parameter.file === current) view.setState(replaced);
  }
  if (parameter.file !== current) openFile(parameter.file);
  forceLinting(view);
}

// ------------------------------------------------------------------ save and sweep

async function showDiff() {
  texts[current] = view.state.doc.toString();
  const answer = await call("/api/diff", { file: current, text: texts[current] });
  showTab("save");
  if (!answer.ok) {
    $("diff").textContent = "Modellen har fel och kan inte sparas:\n" + answer.diagnostics.map((d) => d.message).join("\n");
    $("confirm-save").disabled = true;
    return;
  }
  $("diff").textContent = answer.text || "Inga ändringar.";
  $("confirm-save").disabled = false;
}

async function save() {
  // saving runs the model's tests, which take seconds (Örebro's 123 cases some 20): say
  // so at once, and let the file not be saved twice by a second click meanwhile
  $("confirm-save").disabled = true;
  $("saved").textContent = `Sparar ${current} och kör modellens tester …`;
  const answer = await call("/api/save", { file: current, text: view.state.doc.toString() });
  if (answer.ok === false) {
    $("saved").textContent = ["Inte sparad:", ...said(answer.diagnostics)].join("\n");
    return;
  }
  if (answer.saved) {
    disk[current] = view.state.doc.toString();
    keepTyped();
  }
  const lines = [`Sparad: ${answer.saved}`, `Föregående version: ${answer.previous}`];
  if (answer.diagnostics && answer.diagnostics.length) {
    lines.push("Den sparade modellen kan inte köras på datan:", ...said(answer.diagnostics));
  }
  for (const t of answer.tests || []) {
    lines.push(`${t.passed ? "ok  " : "FEL "} ${t.file}: ${t.name}` + (t.passed ? "" : `\n     ${[...(t.failures || []), t.error || ""].join("\n     ")}`));
  }
  $("saved").textContent = lines.join("\n");
  $("confirm-save").disabled = true;
  forceLinting(view);
}

function said(diagnostics) {
  return (diagnostics || []).map(
    (d) => `  ${d.where ? `${d.where}: ` : ""}${d.message}` + (d.hint ? ` — ${d.hint}` : ""),
  );
}

async function runSweep() {
  const answer = await call("/api/sweep", { spec: $("sweep-spec").value });
  if (!answer.ok) {
    $("sweep-table").replaceChildren();
    $("sweep-chart").replaceChildren();
    $("sweep-error").textContent = answer.diagnostics.map((d) => d.message + (d.hint ? ` — ${d.hint}` : "")).join("\n");
    return;
  }
  $("sweep-error").textContent = "";
  fill($("sweep-table"), answer.rows, (row) => {
    const tr = document.createElement("tr");
    tr.append(cell(row.value), cell(kr(row.total_ore), { "data-ore": row.total_ore, class: "num" }));
    return tr;
  });
  drawChart(answer.rows);
}

function drawChart(rows) {
  const svg = "http://www.w3.org/2000/svg";
  const chart = document.createElementNS(svg, "svg");
  const w = 520, h = 220, pad = 40;
  chart.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const totals = rows.map((r) => r.total_ore);
  const low = Math.min(...totals), high = Math.max(...totals);
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(rows.length - 1, 1);
  const y = (v) => h - pad - ((v - low) * (h - 2 * pad)) / Math.max(high - low, 1);
  const line = document.createElementNS(svg, "polyline");
  line.setAttribute("points", rows.map((r, i) => `${x(i)},${y(r.total_ore)}`).join(" "));
  line.setAttribute("class", "sweep-line");
  chart.append(line);
  rows.forEach((r, i) => {
    const label = document.createElementNS(svg, "text");
    label.setAttribute("x", x(i));
    label.setAttribute("y", h - 10);
    label.setAttribute("class", "sweep-label");
    label.textContent = r.value;
    chart.append(label);
  });
  $("sweep-chart").replaceChildren(chart);
}

// ------------------------------------------------------------------ tabs and start

function showTab(name) {
  for (const tab of document.querySelectorAll("#tabs button")) tab.classList.toggle("active", tab.dataset.tab === name);
  for (const panel of document.querySelectorAll(".panel")) panel.hidden = panel.id !== `panel-${name}`;
}

async function start() {
  const state = await call("/api/state");
  months = state.months;
  names = state.names;
  $("title").textContent = `${state.title} · ${months.join(" – ")}`;
  const kept = JSON.parse(sessionStorage.getItem(KEPT) || "null");
  const restored = [];
  for (const f of state.files) {
    disk[f.name] = f.text;
    // typed before a reload, over the same file on disk: taken back
    const typed = kept && kept.disk[f.name] === f.text ? kept.texts[f.name] : undefined;
    texts[f.name] = typed !== undefined ? typed : f.text;
    if (typed !== undefined && typed !== f.text) restored.push(f.name);
  }
  if (restored.length) $("restored").textContent = `osparade ändringar återställda: ${restored.join(", ")}`;
  $("files").replaceChildren(
    ...state.files.map((f) => {
      const b = document.createElement("button");
      b.textContent = f.name;
      b.dataset.file = f.name;
      b.addEventListener("click", () => openFile(f.name));
      return b;
    }),
  );
  view = new EditorView({ parent: $("editor") });
  openFile(state.model);
  showResults(state.results);
  showParameters(state.parameters);
  for (const tab of document.querySelectorAll("#tabs button")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("show-diff").addEventListener("click", showDiff);
  $("confirm-save").addEventListener("click", save);
  $("run-sweep").addEventListener("click", runSweep);
  showTab("results");
  document.body.dataset.ready = "true";
}

start();
