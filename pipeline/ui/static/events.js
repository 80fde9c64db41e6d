// The Events page: list, filters, detail and charts over events/api/*. No libraries; charts are
// inline SVG. Every value from the warehouse reaches the page as text (textContent), never as HTML.
"use strict";

const TYPES = ["meeting", "agreement", "tariff", "trade_restriction"];
const COLORS = { meeting: "#3b6ea8", agreement: "#4c9a52", tariff: "#c0603a", trade_restriction: "#8a5aa8",
                 loaded: "#3b6ea8", rejected: "#c04040" };
const SVG_NS = "http://www.w3.org/2000/svg";
const state = { page: 1, pages: 1, selected: null };

function $(sel) { return document.querySelector(sel); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function title(text) { return svg("title", {}, text); }

async function api(path, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined) query.set(k, v);
  const url = "api/" + path + (query.toString() ? "?" + query : "");
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (resp.status === 401 || resp.status === 403) {
    throw new Error("Sign in to Airflow to see the events (the session may have expired).");
  }
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map(d => d.msg).join("; ") : body.detail;
    throw new Error(detail || resp.statusText);
  }
  return body;
}

function report(err) { $("#status").textContent = err ? String(err.message || err) : ""; }

function fmtType(t) { return t ? t.replace("_", " ") : ""; }
function fmtRate(r) { return r === null || r === undefined ? "" : r + "%"; }
function fmtActors(actors) {
  return (actors || []).map(a => `${a.role}:${a.country ?? a.country_code ?? "?"}`).join(" ");
}
function typeBadge(t) { return el("span", { class: "type", style: `background:${COLORS[t] || "#666"}` }, fmtType(t)); }

// ---- list -----------------------------------------------------------------------------------------

function filterParams() {
  const params = Object.fromEntries(new FormData($("#filters")).entries());
  params.page = state.page;
  return params;
}

async function loadEvents() {
  try {
    const data = await api("events", filterParams());
    report(null);
    state.pages = Math.max(1, Math.ceil(data.total / data.page_size));
    const body = $("#events tbody");
    body.replaceChildren();
    if (!data.events.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No events match.")));
    for (const e of data.events) {
      const row = el("tr", { tabindex: 0, "data-event-id": e.event_id },
        el("td", {}, e.event_day || ""), el("td", {}, typeBadge(e.event_type)), el("td", {}, e.status || ""),
        el("td", {}, fmtRate(e.rate_pct)), el("td", {}, fmtActors(e.actors)), el("td", {}, e.num_documents),
        el("td", {}, e.confidence === null ? "" : e.confidence.toFixed(2)),
        el("td", { class: "evidence" }, e.evidence || ""));
      if (e.event_id === state.selected) row.classList.add("selected");
      row.addEventListener("click", () => openEvent(e.event_id));
      row.addEventListener("keydown", ev => { if (ev.key === "Enter") openEvent(e.event_id); });
      body.append(row);
    }
    $("#page-info").textContent = `page ${data.page} of ${state.pages} · ${data.total} events`;
    $("#prev").disabled = data.page <= 1;
    $("#next").disabled = data.page >= state.pages;
  } catch (err) { report(err); }
}

// ---- detail ---------------------------------------------------------------------------------------

function highlighted(sentence, spans) {
  const out = [];
  let at = 0;
  for (const s of spans || []) {
    if (s.start < at) continue;
    out.push(sentence.slice(at, s.start));
    out.push(el("mark", { class: "k-" + s.kind, title: s.kind }, sentence.slice(s.start, s.end)));
    at = s.end;
  }
  out.push(sentence.slice(at));
  return el("p", { class: "sentence" }, out);
}

async function openEvent(eventId) {
  try {
    const e = await api("events/" + encodeURIComponent(eventId));
    report(null);
    state.selected = eventId;
    for (const row of document.querySelectorAll("#events tbody tr")) {
      row.classList.toggle("selected", row.dataset.eventId === eventId);
    }
    const box = $("#detail");
    const actors = e.actors.map(a => `${a.role} ${a.country_code}${a.actor_name ? " (" + a.actor_name + ")" : ""}`);
    const mentions = e.mentions.map(m => el("div", { class: "mention", "data-mention-id": m.mention_id },
      highlighted(m.sentence, m.spans),
      el("div", { class: "meta" },
        m.link ? el("a", { href: m.link, target: "_blank", rel: "noopener noreferrer" }, m.title || m.link)
               : el("span", {}, m.title || "(untitled)"),
        ` · ${m.source_name || ""} · ${m.published_date || "no date"} · ${m.source_uri}`,
        ` · trigger “${m.trigger_text || ""}” · confidence ${m.confidence.toFixed(2)}`)));
    const story = e.story_events.length
      ? el("ul", {}, e.story_events.map(s => el("li", {},
          el("a", { href: "#", "data-event-id": s.event_id }, `${fmtType(s.event_type)} ${s.event_day || ""} ${s.status || ""} ${fmtRate(s.rate_pct)}`))))
      : el("p", { class: "empty" }, "No other events in this story.");
    box.replaceChildren(
      el("h2", {}, typeBadge(e.event_type), " ", e.event_day || "no date", " ", e.status || "", " ", fmtRate(e.rate_pct)),
      el("p", {}, `Actors: ${actors.join(", ") || "none"} · ${e.num_mentions} mentions in ${e.num_documents} documents`
        + ` · first reported ${e.first_reported_at || "?"} · id ${e.event_id}`),
      el("p", { class: "legend" }, ["trigger", "imposer", "target", "participant", "date"].map(k =>
        el("mark", { class: "k-" + k }, k)).flatMap(m => [m, " "])),
      el("h3", {}, "Evidence"), ...mentions,
      el("h3", {}, "Other events of the same story"), story);
    for (const a of box.querySelectorAll("a[data-event-id]")) {
      a.addEventListener("click", ev => { ev.preventDefault(); openEvent(a.dataset.eventId); });
    }
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
  } catch (err) { report(err); }
}

// ---- charts ---------------------------------------------------------------------------------------

const W = 460, H = 220, M = { top: 10, right: 12, bottom: 34, left: 40 };

function frame(label) {
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, xmlns: SVG_NS });
}

function noData(root, label) {
  root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "no-data" }, label));
}

// Counts get whole-number ticks: the axis top is rounded up to a multiple of the step.
function countAxis(max) {
  const step = Math.max(1, Math.ceil(max / 4));
  return step * Math.max(1, Math.ceil(max / step));
}

function axisY(root, max, fmt) {
  const ticks = fmt ? 4 : Math.min(4, max);
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks, y = M.top + (H - M.top - M.bottom) * (1 - i / ticks);
    root.append(svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, stroke: "#eee" }));
    root.append(svg("text", { x: M.left - 4, y: y + 3, "text-anchor": "end" }, fmt ? fmt(v) : Math.round(v)));
  }
}

function legend(keys) {
  return el("div", { class: "legend" }, keys.map(k => el("span", {}, el("i", { style: `background:${COLORS[k]}` }), fmtType(k))));
}

const DAY = 86400000;
function ms(d) { return new Date(d + "T00:00:00Z").getTime(); }

function drawWeekly(data) {
  const root = frame("events per week by type");
  const box = $("#chart-weekly");
  if (!data.rows.length) { noData(root, "no dated events"); box.replaceChildren(root); return; }
  const weeks = [...new Set(data.rows.map(r => r.week))].sort();
  const t0 = ms(weeks[0]), t1 = ms(weeks[weeks.length - 1]) + 7 * DAY;
  const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
  const x = t => M.left + ((t - t0) / (t1 - t0)) * plotW;
  const totals = {};
  for (const r of data.rows) totals[r.week] = (totals[r.week] || 0) + r.events;
  const max = countAxis(Math.max(...Object.values(totals)));
  axisY(root, max);
  const barW = Math.min(40, Math.max(2, (7 * DAY / (t1 - t0)) * plotW - 1));
  for (const week of weeks) {
    let y = M.top + plotH;
    for (const type of TYPES) {
      const row = data.rows.find(r => r.week === week && r.event_type === type);
      if (!row) continue;
      const h = (row.events / max) * plotH;
      y -= h;
      root.append(svg("rect", { x: x(ms(week)), y, width: barW, height: h, fill: COLORS[type], class: "mark" },
        title(`week of ${week}: ${row.events} ${fmtType(type)}`)));
    }
  }
  root.append(svg("text", { x: M.left, y: H - 14 }, weeks[0]));
  root.append(svg("text", { x: W - M.right, y: H - 14, "text-anchor": "end" }, weeks[weeks.length - 1]));
  box.replaceChildren(root, legend(TYPES));
}

function drawRates(data) {
  const root = frame("tariff rate over time");
  const box = $("#chart-rates");
  const select = $("#rate-pair");
  if (!select.options.length) {
    for (const p of data.pairs) {
      select.append(el("option", { value: `${p.imposer}|${p.target ?? ""}` },
        `${p.imposer} on ${p.target ?? "unknown target"} (${p.events})`));
    }
  }
  select.value = `${data.imposer}|${data.target ?? ""}`;
  const pts = data.points;
  if (!pts.length) { noData(root, "no tariff rates"); box.replaceChildren(root); return; }
  const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
  let t0 = ms(pts[0].day), t1 = ms(pts[pts.length - 1].day);
  if (t1 === t0) { t0 -= 15 * DAY; t1 += 15 * DAY; }
  const max = Math.max(...pts.map(p => p.rate_pct)) * 1.1 || 1;
  const x = d => M.left + ((ms(d) - t0) / (t1 - t0)) * plotW;
  const y = r => M.top + plotH * (1 - r / max);
  axisY(root, max, v => Math.round(v) + "%");
  // A rate holds until the next one is reported: a step line, not a slope.
  let path = `M${x(pts[0].day)},${y(pts[0].rate_pct)}`;
  for (const p of pts.slice(1)) path += ` H${x(p.day)} V${y(p.rate_pct)}`;
  path += ` H${W - M.right}`;
  root.append(svg("path", { d: path, fill: "none", stroke: COLORS.tariff, "stroke-width": 2, class: "mark" }));
  for (const p of pts) {
    root.append(svg("circle", { cx: x(p.day), cy: y(p.rate_pct), r: 3.5, fill: COLORS.tariff, class: "mark" },
      title(`${p.day}: ${p.rate_pct}% ${p.status || ""} (${p.imposer} on ${p.target ?? "?"})`)));
  }
  root.append(svg("text", { x: M.left, y: H - 14 }, pts[0].day));
  root.append(svg("text", { x: W - M.right, y: H - 14, "text-anchor": "end" }, pts[pts.length - 1].day));
  box.replaceChildren(root);
}

function drawPairs(data) {
  const rows = data.rows;
  const rowH = 20, height = Math.max(60, rows.length * rowH + 20);
  const root = svg("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": "most active country pairs", xmlns: SVG_NS });
  const box = $("#chart-pairs");
  if (!rows.length) { noData(root, "no events with two countries"); box.replaceChildren(root); return; }
  const left = 80, plotW = W - left - 40, max = Math.max(...rows.map(r => r.events));
  rows.forEach((r, i) => {
    const yy = 5 + i * rowH;
    root.append(svg("text", { x: left - 6, y: yy + 13, "text-anchor": "end" }, `${r.a}–${r.b}`));
    let xx = left;
    for (const type of TYPES) {
      if (!r[type]) continue;
      const w = (r[type] / max) * plotW;
      root.append(svg("rect", { x: xx, y: yy, width: w, height: rowH - 5, fill: COLORS[type], class: "mark" },
        title(`${r.a}–${r.b}: ${r[type]} ${fmtType(type)}`)));
      xx += w;
    }
    root.append(svg("text", { x: xx + 4, y: yy + 13 }, r.events));
  });
  box.replaceChildren(root, legend(TYPES));
}

function drawRuns(data) {
  const root = frame("documents loaded and rejected per run");
  const box = $("#chart-runs");
  const rows = data.rows;
  const reasons = $("#run-reasons");
  reasons.replaceChildren();
  if (!rows.length) { noData(root, "no runs recorded"); box.replaceChildren(root); return; }
  const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
  const max = countAxis(Math.max(1, ...rows.map(r => Math.max(r.num_ingested || 0, r.num_rejected || 0))));
  axisY(root, max);
  const slot = plotW / rows.length, barW = Math.max(1.5, Math.min(18, slot / 2 - 1));
  rows.forEach((r, i) => {
    const x0 = M.left + i * slot + slot / 2 - barW;
    const why = r.reasons.map(x => `${x.documents} × ${x.reason}`).join("\n");
    for (const [k, v, dx] of [["loaded", r.num_ingested || 0, 0], ["rejected", r.num_rejected || 0, barW]]) {
      const h = (v / max) * plotH;
      root.append(svg("rect", { x: x0 + dx, y: M.top + plotH - h, width: barW, height: Math.max(h, 0.5),
                                fill: COLORS[k], class: "mark" },
        title(`${r.started_at}: ${v} ${k}, ${r.num_skipped || 0} unchanged${k === "rejected" && why ? "\n" + why : ""}`)));
    }
    if (r.reasons.length) {
      reasons.append(el("li", {}, `${r.started_at.slice(0, 16)}: `,
        r.reasons.map(x => `${x.documents} × ${x.reason}`).join("; ")));
    }
  });
  root.append(svg("text", { x: M.left, y: H - 14 }, rows[0].started_at.slice(0, 10)));
  root.append(svg("text", { x: W - M.right, y: H - 14, "text-anchor": "end" }, rows[rows.length - 1].started_at.slice(0, 10)));
  box.replaceChildren(root, legend(["loaded", "rejected"]));
}

async function loadRates(imposer, target) {
  try { drawRates(await api("charts/tariff_rates", { imposer, target })); } catch (err) { report(err); }
}

async function loadCharts() {
  const jobs = [["charts/weekly", drawWeekly], ["charts/pairs", drawPairs], ["charts/runs", drawRuns]];
  await Promise.all(jobs.map(async ([path, draw]) => {
    try { draw(await api(path)); } catch (err) { report(err); }
  }));
  await loadRates();
}

async function loadDigest() {
  try {
    const d = await api("digest");
    if (d.href) $("#digest").replaceChildren(el("a", { href: d.href, target: "_blank", rel: "noopener" }, `Latest digest: ${d.name}`));
  } catch (err) { report(err); }
}

// ---- wiring ---------------------------------------------------------------------------------------

$("#filters").addEventListener("submit", ev => { ev.preventDefault(); state.page = 1; loadEvents(); });
$("#filters").addEventListener("reset", () => setTimeout(() => { state.page = 1; loadEvents(); }));
$("#prev").addEventListener("click", () => { if (state.page > 1) { state.page--; loadEvents(); } });
$("#next").addEventListener("click", () => { if (state.page < state.pages) { state.page++; loadEvents(); } });
$("#rate-pair").addEventListener("change", ev => {
  const [imposer, target] = ev.target.value.split("|");
  loadRates(imposer, target);
});

loadEvents();
loadCharts();
loadDigest();
