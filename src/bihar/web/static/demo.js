// The demo page: every figure comes from the API's JSON endpoints.
"use strict";

const $ = (id) => document.getElementById(id);
const WINDOW_DAYS = 30;
const SERIES = ["observed", "predicted", "seasonal_naive"];

async function getJson(path, params) {
  const query = new URLSearchParams(params).toString();
  const answer = await fetch(query ? `${path}?${query}` : path);
  const body = await answer.json();
  return { ok: answer.ok, status: answer.status, body };
}

function shiftDay(iso, days) {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

function show(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

function cell(row, text, numeric) {
  const td = row.insertCell();
  td.textContent = text;
  if (numeric) td.className = "number";
}

function fixed(value, digits = 2) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

// "2025-10-31T03:00:00Z" or "…T03:00:00-04:00": the slot's clock time as the API states it.
const clock = (time) => time.slice(11, 16);

async function showDay(location, date) {
  $("day-title").textContent = `Forecast of ${date} (${location})`;
  const answer = await getJson("/predictions", { date, location });
  const body = $("slots").tBodies[0];
  body.replaceChildren();
  $("slots").hidden = !answer.ok;
  show("day-message", answer.ok ? "" : answer.body.detail);
  if (!answer.ok) return answer;
  for (const slot of answer.body.slots) {
    const row = body.insertRow();
    cell(row, clock(slot.target_time));
    cell(row, fixed(slot.predicted_celsius, 1), true);
    cell(row, slot.model_version);
    cell(row, slot.issue_time.replace("T", " ").slice(0, 16));
  }
  return answer;
}

let chart = null;

async function showPeriod(location, end) {
  const start = shiftDay(end, 1 - WINDOW_DAYS);
  $("period-title").textContent = `Predicted vs observed, ${start} to ${end} (${location})`;
  const [model, naive] = await Promise.all([
    getJson("/predictions/observed", { start, end, location }),
    getJson("/baselines/seasonal-naive", { start, end, location }),
  ]);
  if (chart) chart.destroy();
  chart = null;
  $("chart").dataset.points = "";
  show("period-message", model.ok ? "" : model.body.detail);
  if (!model.ok) {
    $("scores").textContent = "";
    return;
  }
  const summary = model.body.summary;
  const baseline = naive.ok ? naive.body.summary : { mae: null };
  $("scores").innerHTML = "";
  $("scores").append(
    `Model MAE ${fixed(summary.mae)} °C, seasonal naive MAE ${fixed(baseline.mae)} °C ` +
      `on ${summary.count} observed slots (bias ${fixed(summary.bias)} °C).`
  );
  const naiveByTime = new Map(
    (naive.ok ? naive.body.slots : []).map((s) => [Date.parse(s.target_time), s.predicted_celsius])
  );
  const slots = model.body.slots;
  const zone = model.body.timezone || "Etc/UTC"; // the location's clock, as the API answers it
  const times = slots.map((s) => Date.parse(s.target_time) / 1000);
  const data = [
    times,
    slots.map((s) => s.observed_celsius),
    slots.map((s) => s.predicted_celsius),
    times.map((t) => naiveByTime.get(t * 1000) ?? null),
  ];
  chart = new uPlot(
    {
      width: Math.min(1120, document.body.clientWidth - 40),
      height: 360,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      scales: { x: { time: true } },
      axes: [{ label: `target time (local, ${zone})` }, { label: "3-hour mean temperature (°C)" }],
      series: [
        {},
        { label: "observed", stroke: "#111", width: 1.5, points: { show: true, size: 4 } },
        { label: "predicted", stroke: "#d62728", width: 1.5, points: { show: true, size: 4 } },
        { label: "seasonal naive", stroke: "#888", width: 1, dash: [6, 4], points: { show: false } },
      ],
      hooks: { draw: [recordDrawnPoints] },
    },
    data,
    $("chart")
  );
}

// What the chart drew: the non-null values of each series inside the drawn index range.
function recordDrawnPoints(u) {
  const drawn = {};
  u.series.slice(1).forEach((series, i) => {
    const [lo, hi] = series.idxs ?? [0, -1];
    const values = u.data[i + 1].slice(lo, hi + 1);
    drawn[SERIES[i]] = values.filter((v) => v !== null && v !== undefined).length;
  });
  $("chart").dataset.points = JSON.stringify(drawn);
}

async function showModels() {
  const answer = await getJson("/models");
  const body = $("models").tBodies[0];
  body.replaceChildren();
  const locations = new Set();
  for (const m of answer.body) {
    if (m.location) locations.add(m.location);
    const row = body.insertRow();
    cell(row, m.name);
    cell(row, m.version, true);
    cell(row, m.stage);
    cell(row, m.algorithm);
    cell(row, m.location ?? "–");
    cell(row, `${m.train_start.slice(0, 10)} to ${m.train_end.slice(0, 10)}`);
    cell(row, fixed(m.metrics.mae), true);
    cell(row, fixed(m.metrics.mae_ratio_vs_seasonal_naive), true);
  }
  return [...locations];
}

function fillLocations(locations, chosen) {
  const select = $("location");
  select.replaceChildren();
  for (const name of new Set([chosen, ...locations].filter(Boolean))) {
    select.add(new Option(name, name, false, name === chosen));
  }
}

async function load() {
  document.body.dataset.state = "loading";
  const params = new URLSearchParams(location.search);
  const [version, locations] = await Promise.all([getJson("/version"), showModels()]);
  $("version").textContent = `version ${version.body}`;
  const place = params.get("location") || locations[0] || "";
  fillLocations(locations, place);
  $("monitoring-link").href = `/monitoring/plot.png?location=${encodeURIComponent(place)}`;
  let date = params.get("date");
  if (!date) {
    // No day asked: today, or the newest day with forecasts when today has none.
    const today = new Date().toISOString().slice(0, 10);
    const probe = await getJson("/predictions", { date: today, location: place });
    date = !probe.ok && probe.body.available ? probe.body.available.last : today;
  }
  $("date").value = date;
  await Promise.all([showDay(place, date), showPeriod(place, date)]);
  document.body.dataset.state = "ready";
}

$("picker").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ location: $("location").value, date: $("date").value });
  history.pushState(null, "", `/?${params}`);
  load();
});
window.addEventListener("popstate", load);
load().catch((error) => {
  show("day-message", `The page could not load: ${error}`);
  document.body.dataset.state = "failed";
});
