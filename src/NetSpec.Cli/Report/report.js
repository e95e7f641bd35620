// The report's script: shows the selected node's values, gradient, update and arithmetic for
// the selected step, and every value of that step. No library; the data is the JSON above.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const byName = new Map(data.values.map(v => [v.name, v]));
  const stepSelect = document.getElementById("step");
  const detailTitle = document.getElementById("detail-title");
  const detailBody = document.getElementById("detail-body");
  const valuesBody = document.getElementById("values-body");
  const valuesStep = document.getElementById("values-step");
  let stepIndex = 0;
  let selected = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  // Whole numbers exactly; others with the report's significant digits, no trailing zeros.
  function fmt(v) {
    if (typeof v === "string") return v === "Infinity" ? "inf" : v === "-Infinity" ? "-inf" : "nan";
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    // As NumberText.Of: a power of ten below 1e-5 and from 10^digits on.
    let s = v.toPrecision(data.digits);
    if (v !== 0 && Math.abs(Number(s)) < 1e-5) s = Number(s).toExponential(data.digits - 1);
    if (s.includes("e")) {
      let [m, e] = s.split("e");
      if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
      return m + "e" + e.replace("+", "");
    }
    if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s;
  }

  // A tensor as a table: a scalar, a row, a matrix, or rows of the last axis for higher ranks.
  function tensorTable(t, values, name, kind) {
    const dims = t.dims;
    const cols = dims.length === 0 ? 1 : dims[dims.length - 1];
    const rows = Math.ceil(t.total / cols);
    const table = el("table", { class: "tensor", "data-name": name, "data-kind": kind });
    const maxRows = 64;
    const shownRows = Math.min(rows, maxRows, Math.ceil(values.length / cols));
    if (dims.length >= 2 || cols > 1) {
      const head = el("tr", {}, el("th", {}, ""));
      for (let j = 0; j < cols; j++) head.append(el("th", {}, String(j + 1)));
      table.append(head);
    }
    for (let i = 0; i < shownRows; i++) {
      const tr = el("tr", {});
      if (dims.length >= 2 || cols > 1) tr.append(el("th", {}, rowLabel(dims, i)));
      for (let j = 0; j < cols; j++) {
        const k = i * cols + j;
        if (k >= values.length) break;
        const v = values[k];
        tr.append(el("td", { "data-index": String(k), "data-value": String(v), title: String(v) }, fmt(v)));
      }
      table.append(tr);
    }
    const wrap = el("div", {}, table);
    if (shownRows * cols < t.total)
      wrap.append(el("p", { class: "note-truncated" }, `showing ${Math.min(shownRows * cols, values.length)} of ${t.total} entries`));
    return wrap;
  }

  // 1-based row labels, as the explanations count: "1" for a matrix, "1,2" for rank 3.
  function rowLabel(dims, row) {
    if (dims.length <= 2) return String(row + 1);
    const lead = dims.slice(0, -1);
    const idx = [];
    for (let a = lead.length - 1; a >= 0; a--) { idx.unshift(row % lead[a] + 1); row = Math.floor(row / lead[a]); }
    return idx.join(",");
  }

  function step() { return data.steps[stepIndex]; }

  function explanationFor(name) {
    const x = data.explanation;
    if (!x) return null;
    const s = step();
    const es = x.steps.find(e => s && e.step === s.step);
    return es ? es.blocks.filter(b => b.name === name) : [];
  }

  function renderBlock(b) {
    const div = el("div", { class: "explain-block", "data-block": b.name, "data-phase": b.phase },
      el("div", { class: "title" }, b.title));
    for (const item of b.items) {
      if (item.t === "eq" || item.t === "formula") {
        const eq = el("div", { class: "eq" + (item.t === "formula" ? " formula" : ""), "data-text": item.text });
        eq.innerHTML = item.math;
        div.append(eq);
      } else if (item.t === "note") div.append(el("p", { class: "note" }, item.text));
      else div.append(el("p", { class: "sample" }, item.text));
    }
    return div;
  }

  function select(name) {
    selected = name;
    for (const g of document.querySelectorAll("#graph .node"))
      g.classList.toggle("selected", g.dataset.node === name);
    for (const e of document.querySelectorAll("#graph .edge"))
      e.classList.toggle("lit", e.dataset.from === name || e.dataset.to === name);
    const v = byName.get(name);
    detailTitle.textContent = `${name}: ${v.op} ${v.shape}`;
    detailBody.replaceChildren();
    detailBody.dataset.node = name;
    if (v.expression) detailBody.append(el("p", {}, el("code", {}, `${name} = ${v.expression}`)));
    const s = step();
    if (!s) {
      detailBody.append(el("p", { class: "absent" }, "No step was traced."));
      return;
    }
    const fwd = s.forward[name], bwd = s.backward[name], upd = s.update[name];
    if (fwd) detailBody.append(el("h3", {}, `Value at step ${s.step}`), tensorTable(fwd, fwd.values, name, "forward"));
    if (bwd) detailBody.append(el("h3", {}, `Gradient dJ/d${name}`), tensorTable(bwd, bwd.values, name, "gradient"));
    if (upd) {
      detailBody.append(el("h3", {}, `Update: ${upd.expression}`));
      detailBody.append(el("p", {}, "before"), tensorTable(upd, upd.old || [], name, "old"));
      detailBody.append(el("p", {}, `after (${name}*)`), tensorTable(upd, upd.new, name, "updated"));
    }
    if (!fwd && !bwd && !upd) detailBody.append(el("p", { class: "absent" }, `${name} was not traced at step ${s.step}.`));
    const blocks = explanationFor(name);
    const box = el("div", { id: "explanation" }, el("h3", {}, "The arithmetic"));
    if (blocks === null) box.append(el("p", { class: "absent" }, data.explanationAbsent));
    else if (blocks.length === 0) box.append(el("p", { class: "absent" }, `No arithmetic is written out for ${name} at this step (its value is given, or it is explained with the node that uses it).`));
    else {
      let phase = null;
      for (const b of blocks) {
        if (b.phase !== phase) { phase = b.phase; box.append(el("h4", {}, phase)); }
        box.append(renderBlock(b));
      }
    }
    detailBody.append(box);
  }

  function renderValues() {
    const s = step();
    valuesBody.replaceChildren();
    if (!s) {
      valuesStep.textContent = "no step";
      valuesBody.append(el("p", { class: "absent" }, "The run traced no step."));
      return;
    }
    valuesStep.textContent = `step ${s.step}`;
    if (data.stepsNote) valuesBody.append(el("p", { class: "note-truncated" }, data.stepsNote));
    for (const [key, title] of [["forward", "Forward values"], ["backward", "Gradients dJ/d(value)"], ["update", "Updated parameters"]]) {
      const names = Object.keys(s[key]);
      if (names.length === 0) continue;
      const list = el("div", { class: "value-list phase-values", "data-phase": key });
      for (const name of names) {
        const t = s[key][name];
        const label = el("span", { class: "value-name", "data-select": name }, key === "backward" ? `dJ/d${name}` : key === "update" ? `${name}*` : name);
        label.addEventListener("click", () => select(name));
        const expr = t.expression === name ? "" : t.expression;
        list.append(el("div", {}, label, el("span", { class: "expr" }, expr), tensorTable(t, key === "update" ? t.new : t.values, name, key)));
      }
      valuesBody.append(el("h3", {}, title), list);
    }
  }

  data.steps.forEach((s, i) => stepSelect.append(el("option", { value: String(i) }, `step ${s.step}`)));
  stepSelect.disabled = data.steps.length <= 1;
  stepSelect.addEventListener("change", () => {
    stepIndex = Number(stepSelect.value);
    renderValues();
    if (selected) select(selected);
  });
  for (const g of document.querySelectorAll("#graph .node")) {
    g.addEventListener("click", () => select(g.dataset.node));
    g.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(g.dataset.node); } });
  }
  renderValues();
  const first = data.values.find(v => v.kind === "op" || v.kind === "objective");
  if (first) select(first.name);
})();
