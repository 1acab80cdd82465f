// keysweep audit report: draws the summary, the findings table and the timeline from the
// JSON in #keysweep-data. Vanilla JS, no network. Every value goes in as text
// (textContent / setAttribute), never as markup. Each change redraws the table, at most
// ROWS_AT_ONCE rows of it (a button draws more): a table's layout, not the filtering, is
// what gets slow past a few hundred rows. The timeline draws every matching finding.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("keysweep-data").textContent);
  const FINDINGS = DATA.findings;
  const STAND_LABELS = { present: "present", removed: "removed", history: "history only", unknown: "unknown" };
  const PER_FINDING_LIMIT = 40; // more findings than this: the timeline draws one row per rule
  const ROWS_AT_ONCE = 500;
  const state = { q: "", status: "", rule: "", stand: "", key: "first", dir: 1, open: new Set(), limit: ROWS_AT_ONCE };

  // --- helpers --------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const shortCommit = (commit) => (commit ? commit.slice(0, 12) : "");
  const day = (date) => (date ? date.slice(0, 10) : "");
  const time = (date) => {
    const t = date ? Date.parse(date) : NaN;
    return Number.isNaN(t) ? null : t;
  };
  const safeLink = (url) => /^https?:\/\//i.test(url);

  function standText(f) {
    if (f.stand === "present") return f.ref ? "present at " + f.ref : "present (scanned files)";
    if (f.stand === "removed") return "removed in " + shortCommit(f.removed_commit);
    if (f.stand === "history") return "history only";
    return "unknown";
  }

  function standTitle(f) {
    if (f.stand === "removed") return "removed " + (f.removed_date || "") + " in commit " + f.removed_commit;
    if (f.stand === "history") return "not in " + (f.ref || "the scanned ref") + "'s tree; only in history";
    if (f.stand === "unknown") return "where it stands needs the datastore (--datastore)";
    return "";
  }

  // --- prepared values ------------------------------------------------------------------

  for (const [index, f] of FINDINGS.entries()) {
    f.index = index;
    f.places = f.locations.length;
    f.firstTime = time(f.first_date);
    f.endTime = f.stand === "removed" ? time(f.removed_date) : null;
    const parts = [f.rule, f.description, f.secret, f.status, f.note, f.fingerprint, standText(f)];
    for (const loc of f.locations) parts.push(loc.file, loc.author, loc.email, loc.commit);
    f.haystack = parts.filter(Boolean).join("\n").toLowerCase();
  }

  const SORTERS = {
    rule: (f) => f.rule,
    description: (f) => f.description,
    secret: (f) => f.secret,
    status: (f) => f.status,
    stand: (f) => standText(f),
    first: (f) => f.firstTime,
    places: (f) => f.places,
    branches: (f) => f.branches,
  };

  function compare(a, b) {
    const get = SORTERS[state.key];
    const x = get(a);
    const y = get(b);
    // Missing values last, whichever the direction.
    if (x === null || x === undefined) return y === null || y === undefined ? a.index - b.index : 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return order * state.dir || a.index - b.index;
  }

  function visible() {
    const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    return FINDINGS.filter(
      (f) =>
        (!state.status || f.status === state.status) &&
        (!state.rule || f.rule === state.rule) &&
        (!state.stand || f.stand === state.stand) &&
        words.every((word) => f.haystack.includes(word))
    ).sort(compare);
  }

  // --- summary --------------------------------------------------------------------------

  function countBy(key) {
    const counts = new Map();
    for (const f of FINDINGS) counts.set(f[key], (counts.get(f[key]) || 0) + 1);
    return counts;
  }

  function filterButton(field, value, label) {
    const button = el("button", { type: "button", "data-filter": field, "data-value": value, text: label });
    button.addEventListener("click", () => setFilter(field, state[field] === value ? "" : value));
    return button;
  }

  function fillSummaries() {
    const byRule = countBy("rule");
    const open = new Map();
    for (const f of FINDINGS) if (f.status === "open") open.set(f.rule, (open.get(f.rule) || 0) + 1);
    const ruleRows = [...byRule.keys()].sort().map((rule) =>
      el("tr", { "data-filter": "rule", "data-value": rule }, [
        el("td", {}, [filterButton("rule", rule, rule)]),
        el("td", { text: (DATA.rules[rule] || {}).description || "" }),
        el("td", { class: "n", text: byRule.get(rule) }),
        el("td", { class: "n", text: open.get(rule) || 0 }),
      ])
    );
    document.querySelector("#by-rule tbody").replaceChildren(...ruleRows);
    const byStatus = countBy("status");
    const statuses = [...new Set([...DATA.statuses, ...byStatus.keys()])];
    fillCounts("#by-status", "status", statuses, byStatus, (s) => s);
    const byStand = countBy("stand");
    fillCounts("#by-stand", "stand", Object.keys(STAND_LABELS), byStand, (s) => STAND_LABELS[s]);
  }

  function fillCounts(selector, field, values, counts, label) {
    const rows = values.map((value) =>
      el("tr", { "data-filter": field, "data-value": value }, [
        el("td", {}, [counts.get(value) ? filterButton(field, value, label(value)) : label(value)]),
        el("td", { class: "n", text: counts.get(value) || 0 }),
      ])
    );
    document.querySelector(selector + " tbody").replaceChildren(...rows);
  }

  function fillSelect(id, values, label) {
    const select = document.getElementById(id);
    for (const value of values) select.append(el("option", { value: value, text: label(value) }));
  }

  // --- findings table -------------------------------------------------------------------

  function findingRow(f) {
    const open = state.open.has(f.index);
    const toggle = el("button", {
      type: "button",
      class: "toggle",
      "aria-expanded": open ? "true" : "false",
      "aria-controls": "detail-" + f.index,
      "aria-label": "Locations of " + f.rule + " in " + f.locations[0].file,
      text: open ? "\u2212" : "+",
    });
    const status = el("span", { class: "badge st-" + f.status, text: f.status });
    const row = el("tr", { class: open ? "finding open" : "finding", "data-index": f.index }, [
      el("td", {}, [toggle]),
      el("td", {}, [el("code", { text: f.rule })]),
      el("td", { text: f.description }),
      el("td", {}, [el("code", { class: "secret", text: f.secret })]),
      el("td", {}, [status, DATA.datastore && f.new ? el("span", { class: "new", text: "new" }) : null]),
      el("td", { class: "stand-" + f.stand, title: standTitle(f), text: standText(f) }),
      el("td", { title: f.first_date || "", text: day(f.first_date) }),
      el("td", { class: "n", text: f.places }),
      el("td", { class: "n", text: f.branches === null ? "" : f.branches }),
    ]);
    row.addEventListener("click", (event) => {
      if (!event.target.closest("a")) toggleRow(f.index);
    });
    return row;
  }

  function detailList(f) {
    const facts = [
      ["Fingerprint", f.fingerprint],
      ["Status", f.status + (f.triaged_at ? " (triaged " + f.triaged_at + ")" : "")],
      ["Note", f.note],
      ["First added", [shortCommit(f.first_commit), f.first_date].filter(Boolean).join("  ")],
      ["Removed", f.removed_commit ? shortCommit(f.removed_commit) + "  " + (f.removed_date || "") : ""],
      ["Scanned ref", f.ref],
      ["First seen by a scan", f.first_seen],
    ];
    const items = [];
    for (const [label, value] of facts) {
      if (value) items.push(el("dt", { text: label }), el("dd", { text: value }));
    }
    const refs = ((DATA.rules[f.rule] || {}).references || []).filter(safeLink);
    if (refs.length) {
      const links = refs.map((url) => el("li", {}, [el("a", { href: url, rel: "noopener noreferrer", text: url })]));
      items.push(el("dt", { text: "Provider docs" }), el("dd", {}, [el("ul", {}, links)]));
    }
    return el("dl", {}, items);
  }

  function locationsTable(f) {
    const head = ["File:line", "Commit", "Author", "Date"].map((h) => el("th", { scope: "col", text: h }));
    const rows = f.locations.map((loc) =>
      el("tr", {}, [
        el("td", {}, [el("code", { text: loc.file + ":" + loc.line })]),
        el("td", { title: loc.commit || "" }, [el("code", { text: shortCommit(loc.commit) })]),
        el("td", { title: loc.email || "", text: loc.author || "" }),
        el("td", { title: loc.date || "", text: day(loc.date) }),
      ])
    );
    return el("table", { class: "locations" }, [
      el("caption", { text: f.places + (f.places === 1 ? " location" : " locations") }),
      el("thead", {}, [el("tr", {}, head)]),
      el("tbody", {}, rows),
    ]);
  }

  function detailRow(f) {
    const cell = el("td", { colspan: 9 }, [detailList(f), locationsTable(f)]);
    return el("tr", { class: "detail", id: "detail-" + f.index }, [cell]);
  }

  function toggleRow(index) {
    if (state.open.has(index)) state.open.delete(index);
    else state.open.add(index);
    const focused = document.activeElement && document.activeElement.classList.contains("toggle");
    drawTable(visible());
    if (focused) {
      const again = document.querySelector('tr.finding[data-index="' + index + '"] button.toggle');
      if (again) again.focus();
    }
  }

  function drawTable(rows) {
    const body = document.querySelector("#findings tbody");
    const fragment = document.createDocumentFragment();
    for (const f of rows.slice(0, state.limit)) {
      fragment.append(findingRow(f));
      if (state.open.has(f.index)) fragment.append(detailRow(f));
    }
    body.replaceChildren(fragment);
    const empty = document.getElementById("empty");
    empty.hidden = rows.length > 0;
    empty.textContent = FINDINGS.length ? "No finding matches the search and filters." : "No leaks found.";
    document.getElementById("findings").hidden = FINDINGS.length === 0;
    document.getElementById("count").textContent = countText(rows.length);
    const more = document.getElementById("more");
    const left = rows.length - state.limit;
    more.hidden = left <= 0;
    more.textContent = "Show " + Math.min(left, ROWS_AT_ONCE) + " more (" + left + " not shown)";
    for (const th of document.querySelectorAll("#findings thead th[data-key]")) {
      const sorted = th.dataset.key === state.key;
      th.setAttribute("aria-sort", sorted ? (state.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  function countText(matching) {
    const all = FINDINGS.length;
    if (!all) return "No findings";
    const shown = matching === all ? "all " + all : matching + " of " + all;
    const drawn = matching > state.limit ? " (the first " + state.limit + " drawn)" : "";
    return "Showing " + shown + (all === 1 ? " finding" : " findings") + drawn;
  }

  // --- timeline -------------------------------------------------------------------------

  function timelineRows(rows) {
    const dated = rows.filter((f) => f.firstTime !== null);
    if (dated.length <= PER_FINDING_LIMIT) {
      return dated.map((f) => ({ label: f.rule + "  " + f.secret, spans: [f] }));
    }
    const byRule = new Map();
    for (const f of dated) {
      if (!byRule.has(f.rule)) byRule.set(f.rule, []);
      byRule.get(f.rule).push(f);
    }
    return [...byRule.keys()].sort().map((rule) => {
      const spans = byRule.get(rule);
      return { label: rule + " (" + spans.length + ")", spans: spans, dense: true };
    });
  }

  function axis(chart, x, from, to, top, height) {
    const group = svg("g", { class: "axis" });
    const ticks = 6;
    for (let i = 0; i <= ticks; i++) {
      const t = from + ((to - from) * i) / ticks;
      group.append(svg("line", { x1: x(t), x2: x(t), y1: top, y2: top + height }));
      // Under a week the days repeat: show the hour too.
      const iso = new Date(t).toISOString();
      const label = to - from < 7 * 86400000 ? iso.slice(0, 10) + " " + iso.slice(11, 16) : iso.slice(0, 10);
      const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
      group.append(svg("text", { x: x(t), y: top - 6, "text-anchor": anchor }, label));
    }
    chart.append(group);
  }

  const endOf = (f, now) => Math.max(f.endTime !== null ? f.endTime : now, f.firstTime);

  function spanBar(f, x, y, height, now) {
    const x1 = x(f.firstTime);
    const bar = svg("rect", { class: "bar " + f.stand, x: x1, y: y, width: Math.max(x(endOf(f, now)) - x1, 3), height });
    const until = f.stand === "removed" ? "removed " + day(f.removed_date) : "until this scan";
    bar.append(svg("title", {}, f.rule + " " + f.secret + ": added " + day(f.first_date) + ", " + until));
    return bar;
  }

  // One rule's row when there are many findings: its span, and a tick where each secret was added.
  function ruleBars(line, x, y, height, now) {
    const first = Math.min(...line.spans.map((f) => f.firstTime));
    const last = Math.max(...line.spans.map((f) => endOf(f, now)));
    const removed = line.spans.filter((f) => f.stand === "removed").length;
    const span = svg("rect", { class: "span", x: x(first), y: y, width: Math.max(x(last) - x(first), 3), height });
    const summary = line.spans.length + " findings, the first added " + new Date(first).toISOString().slice(0, 10);
    span.append(svg("title", {}, line.label + ": " + summary + ", " + removed + " removed since"));
    const ticks = line.spans.map((f) => {
      const at = x(f.firstTime);
      return svg("line", { class: "tick " + f.stand, x1: at, x2: at, y1: y, y2: y + height });
    });
    return [span, ...ticks];
  }

  function timelineNote(rows) {
    const undated = rows.filter((f) => f.firstTime === null).length;
    if (!undated) return null;
    const who = undated === 1 ? "1 finding has" : undated + " findings have";
    return el("p", { class: "hint", text: who + " no commit date (read from files as they are), so no bar." });
  }

  function drawTimeline(rows) {
    const box = document.getElementById("timeline");
    const lines = timelineRows(rows);
    const note = timelineNote(rows);
    if (!lines.length) {
      box.replaceChildren(...[el("p", { class: "hint", text: "No dated finding to draw." }), note].filter(Boolean));
      return;
    }
    const now = time(DATA.generated) || Date.now();
    const dated = lines.flatMap((line) => line.spans);
    const from = Math.min(...dated.map((f) => f.firstTime));
    const to = Math.max(from + 86400000, ...dated.map((f) => endOf(f, now)));
    const width = 960, labelWidth = 300, top = 24, rowHeight = 18;
    const x = (t) => labelWidth + ((t - from) / (to - from)) * (width - labelWidth - 16);
    const label = "Timeline of " + dated.length + " findings" + (lines[0].dense ? ", one row per rule" : "");
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (top + lines.length * rowHeight + 8), role: "img", "aria-label": label });
    axis(chart, x, from, to, top, lines.length * rowHeight);
    lines.forEach((line, i) => {
      const y = top + i * rowHeight;
      const text = line.label.length > 48 ? line.label.slice(0, 47) + "\u2026" : line.label;
      chart.append(svg("text", { class: "label", x: 4, y: y + 12 }, text));
      if (line.dense) chart.append(...ruleBars(line, x, y + 3, rowHeight - 6, now));
      else for (const f of line.spans) chart.append(spanBar(f, x, y + 3, rowHeight - 6, now));
    });
    const legend = el(
      "p",
      { class: "legend" },
      Object.keys(STAND_LABELS).map((s) => el("span", {}, [el("i", { class: s }), STAND_LABELS[s]]))
    );
    box.replaceChildren(...[chart, legend, note].filter(Boolean));
  }

  // --- wiring ---------------------------------------------------------------------------

  function setFilter(field, value) {
    state[field] = value;
    state.limit = ROWS_AT_ONCE;
    const select = document.getElementById("f-" + field);
    if (select) select.value = value;
    update();
  }

  function update() {
    const rows = visible();
    drawTable(rows);
    drawTimeline(rows);
    for (const tr of document.querySelectorAll(".summary tr[data-filter]")) {
      tr.classList.toggle("active", state[tr.dataset.filter] === tr.dataset.value);
    }
  }

  function wire() {
    document.getElementById("q").addEventListener("input", (event) => {
      state.q = event.target.value;
      state.limit = ROWS_AT_ONCE;
      update();
    });
    for (const field of ["status", "rule", "stand"]) {
      document.getElementById("f-" + field).addEventListener("change", (event) => setFilter(field, event.target.value));
    }
    document.getElementById("more").addEventListener("click", () => {
      state.limit += ROWS_AT_ONCE;
      drawTable(visible());
    });
    const form = document.getElementById("controls");
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("reset", () => {
      Object.assign(state, { q: "", status: "", rule: "", stand: "", limit: ROWS_AT_ONCE });
      setTimeout(update, 0);
    });
    for (const button of document.querySelectorAll("#findings th button.sort")) {
      button.addEventListener("click", () => {
        const key = button.dataset.key;
        state.dir = state.key === key ? -state.dir : 1;
        state.key = key;
        update();
      });
    }
  }

  fillSummaries();
  fillSelect("f-status", [...new Set([...DATA.statuses, ...countBy("status").keys()])], (s) => s);
  fillSelect("f-rule", [...countBy("rule").keys()].sort(), (r) => r);
  fillSelect("f-stand", Object.keys(STAND_LABELS), (s) => STAND_LABELS[s]);
  wire();
  update();
})();
