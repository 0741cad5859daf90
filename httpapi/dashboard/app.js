// The logstats dashboard: the overview of every customer over a range of
// days (of the database's day zone, which answers name), worst first; and a
// customer's page: the requests, uptime and latency of each day, week or
// month as charts (with the customer's objectives as target lines) and as
// a table, the headline figures against the range before, and the
// customer's endpoints, one of which may narrow the page to it. It only
// reads the JSON API, at paths relative to this page, so it works wherever
// the handler is mounted (http.StripPrefix included).
"use strict";
(function () {
  const DAY = 86400;
  const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const $ = (id) => document.getElementById(id);
  const form = $("controls"), customerIn = $("customer"), fromIn = $("from"), toIn = $("to"), intervalIn = $("interval");
  // The view: "overview" (every customer) or "customer" (one's page).
  let view = "customer";
  const setView = (v) => {
    view = v;
    document.body.dataset.view = v;
  };
  const customers = new Map(); // id -> {total_requests, first_day, last_day}
  let lastDay = null; // the last day with data, of the listed customers
  let charts = [];
  let seq = 0; // the latest query; older answers are dropped

  // The page opened as /#key=KEY (a customer key, or the admin token) keeps
  // the key in this tab's session storage and takes it out of the address,
  // so that it is in no bookmark, history entry or shared link; the
  // fragment never reaches the server or its logs. Every request sends it.
  const keyItem = "logstats-key";
  (function takeKey() {
    const p = new URLSearchParams(location.hash.slice(1));
    const key = p.get("key");
    if (key == null) return;
    if (key) sessionStorage.setItem(keyItem, key);
    p.delete("key");
    history.replaceState(null, "", location.pathname + location.search + (p.toString() ? "#" + p.toString() : ""));
  })();
  const key = sessionStorage.getItem(keyItem);
  // A customer key reads one customer: the page shows it alone, no picker.
  const customerKey = key != null && key.startsWith("lsk_");
  if (customerKey) document.body.dataset.mode = "customer";

  // NeedsKey is the error of an answer 401: the server wants credentials.
  class NeedsKey extends Error {}

  // api fetches a JSON answer. With etag, it asks for it only if it
  // changed: the answer is then null when it did not (a 304).
  async function api(path, etag, meta) {
    const headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    if (key) headers.Authorization = "Bearer " + key;
    const res = await fetch(base + path, { headers, cache: "no-store" });
    if (meta) meta.etag = res.headers.get("ETag");
    if (res.status === 304) return null;
    let body = null;
    try { body = await res.json(); } catch (e) { /* not JSON: reported below */ }
    if (!res.ok) {
      const msg = body && body.error ? body.error : res.status + " " + res.statusText;
      throw res.status === 401 ? new NeedsKey(msg) : new Error(msg);
    }
    return body;
  }

  // Dates are "YYYY-MM-DD" calendar days (of the day zone); arithmetic goes
  // through their UTC midnights in seconds, which is calendar arithmetic.
  const toSec = (date) => Date.parse(date + "T00:00:00Z") / 1000;
  const toDate = (sec) => new Date(sec * 1000).toISOString().slice(0, 10);
  const addDays = (date, n) => toDate(toSec(date) + n * DAY);
  const today = () => new Date().toISOString().slice(0, 10);

  // One precision a unit: requests whole, uptime to 2 decimals (as the
  // API), latencies in milliseconds to a tenth (the API answers seconds).
  const fmtInt = (n) => n.toLocaleString("en-US");
  const fmtMs = (s) => (s == null ? "–" : (s * 1000).toFixed(1));
  const fmtUptime = (u) => (u == null ? "–" : u.toFixed(2));

  function showMessage(text, isError) {
    const m = $("message");
    m.textContent = text;
    m.className = isError ? "error" : "";
    m.hidden = !text;
  }

  // loadCustomers lists the customers for the picker, up to maxListed of
  // them (any id can still be typed in); it returns whether the list is cut.
  const maxListed = 50000;
  async function loadCustomers() {
    let after = null;
    while (customers.size < maxListed) {
      const q = "customers/?limit=10000" + (after == null ? "" : "&after=" + encodeURIComponent(after));
      const body = await api(q);
      for (const c of body.customers) {
        customers.set(c.customer_id, c);
        if (lastDay == null || c.last_day > lastDay) lastDay = c.last_day;
      }
      if (body.next_after == null) {
        after = null;
        break;
      }
      after = body.next_after;
    }
    const list = $("customers");
    list.replaceChildren(...[...customers.keys()].map((id) => {
      const o = document.createElement("option");
      o.value = id;
      return o;
    }));
    return after != null;
  }

  // busiest returns the customer with the most requests, the one shown
  // first ("" when there is none).
  function busiest() {
    let best = "", most = -1;
    for (const [id, c] of customers) {
      if (c.total_requests > most) [best, most] = [id, c.total_requests];
    }
    return best;
  }

  // The default range: the last 30 days with data of the customer (or of
  // anyone, for an unknown customer).
  function defaultRange(id) {
    const c = customers.get(id);
    const end = c ? c.last_day : (lastDay || today());
    return [addDays(end, -29), end];
  }

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    return { view: p.get("view"), customer: p.get("customer"), from: p.get("from"), to: p.get("to"),
      interval: p.get("interval"), endpoint: parseEndpoint(p.get("endpoint")) };
  }

  function writeHash() {
    const p = view === "overview"
      ? new URLSearchParams({ view: "overview", from: fromIn.value, to: toIn.value })
      : new URLSearchParams({ customer: customerIn.value, from: fromIn.value, to: toIn.value });
    if (view !== "overview" && intervalIn.value !== "day") p.set("interval", intervalIn.value);
    if (view !== "overview" && endpoint) p.set("endpoint", endpointText(endpoint));
    history.replaceState(null, "", "#" + p.toString());
  }

  // The endpoint the page is narrowed to ({method, route}, or null for all),
  // written in the address as "METHOD ROUTE", as the API's endpoint= filter.
  let endpoint = null;
  const endpointText = (e) => e.method + " " + e.route;
  function parseEndpoint(text) {
    if (!text) return null;
    const i = text.indexOf(" ");
    return i < 0 ? null : { method: text.slice(0, i), route: text.slice(i + 1) };
  }
  const sameEndpoint = (a, b) => a != null && b != null && a.method === b.method && a.route === b.route;

  // live is what the page shows, for refreshing it: a range that includes
  // today (of the day zone) is asked for again every few seconds, with the
  // answer's ETag, and redrawn when the numbers changed.
  const live = { path: null, etag: null, zone: "UTC", updated: 0, busy: false };
  const refreshEvery = 2000;

  // todayIn is today's date in zone.
  function todayIn(zone) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    } catch (e) {
      return today();
    }
  }

  const isLive = () => live.path != null && fromIn.value <= todayIn(live.zone) && todayIn(live.zone) <= toIn.value;

  function showUpdated() {
    const el = $("updated");
    if (!live.updated) {
      el.textContent = "";
      return;
    }
    const ago = Math.max(0, Math.round((Date.now() - live.updated) / 1000));
    el.textContent = "updated " + ago + " s ago" + (isLive() ? " · live" : "");
    el.dataset.live = isLive() ? "on" : "off";
  }

  async function refresh() {
    if (live.busy || document.hidden || !isLive()) return;
    live.busy = true;
    const path = live.path, mine = seq, meta = {};
    try {
      const st = await api(path, live.etag, meta);
      if (mine !== seq || path !== live.path) return; // the user asked for something else meanwhile
      live.updated = Date.now();
      if (st) {
        live.etag = meta.etag;
        render(st);
        showMessage("", false);
        // The numbers changed: so may the endpoints'.
        loadEndpoints(live.customerPath, fromIn.value, toIn.value, mine, true);
      }
    } catch (e) {
      // Kept quiet: the last numbers stay, and "updated" says how old they are.
    } finally {
      live.busy = false;
      showUpdated();
    }
  }
  setInterval(refresh, refreshEvery);
  setInterval(showUpdated, 1000);

  // show asks for the stats of the page's selection and draws them; the
  // endpoints table too, asked again when forceEndpoints is set (else only
  // for another customer or range).
  async function show(forceEndpoints) {
    if (view === "overview") return showOverview();
    const id = customerIn.value, from = fromIn.value, to = toIn.value;
    const mine = ++seq; // an answer still on its way is now stale
    if (!id || !from || !to) {
      document.body.dataset.state = "ready";
      return;
    }
    if (to < from) {
      render(null);
      showMessage("The range ends (" + to + ") before it starts (" + from + ").", true);
      document.body.dataset.state = "ready";
      return;
    }
    writeHash();
    if (id === "." || id === "..") {
      // Browsers resolve these path segments even escaped (%2E%2E), so the
      // request would reach another route.
      render(null);
      showMessage("A browser cannot ask for customer \"" + id + "\": it rewrites that path. " +
        "Ask the API directly: curl --path-as-is '" + location.origin + base + "customers/" + id + "/stats/?from=" + from + "'", true);
      document.body.dataset.state = "ready";
      return;
    }
    document.body.dataset.state = "loading";
    const customerPath = "customers/" + encodeURIComponent(id);
    try {
      // The range before, to compare the headline figures with; weeks or
      // months when asked.
      let path = customerPath + "/stats/?from=" + from + "&to=" + to + "&compare=previous";
      if (intervalIn.value !== "day") path += "&interval=" + intervalIn.value;
      if (endpoint) path += "&method=" + encodeURIComponent(endpoint.method) + "&route=" + encodeURIComponent(endpoint.route);
      const meta = {};
      const [st] = await Promise.all([api(path, null, meta), loadEndpoints(customerPath, from, to, mine, forceEndpoints === true)]);
      if (mine !== seq) return;
      Object.assign(live, { path, customerPath, etag: meta.etag, zone: st.day_zone || "UTC", updated: Date.now() });
      showUpdated();
      render(st);
      if (periodsOf(st).length === 0) {
        showMessage(endpoint
          ? "No requests of " + id + " to " + endpointText(endpoint) + " from " + from + " to " + to + "."
          : customers.has(id)
            ? "No requests of " + id + " from " + from + " to " + to + "."
            : "No customer " + id + " has any requests loaded. Pick one from the list.", false);
      } else {
        showMessage("", false);
      }
    } catch (e) {
      if (mine !== seq) return;
      live.path = null;
      render(null);
      showMessage("Could not load the stats: " + e.message, true);
    }
    document.body.dataset.state = "ready";
  }

  // The endpoints table: the customer's breakdown by endpoint over the
  // range, sorted in the page (by any column; requests first), each row a
  // way to narrow the page to that endpoint.
  const endpoints = { key: null, groups: [], total: 0, note: "", sort: "total_requests", desc: true };
  const maxEndpoints = 1000;

  async function loadEndpoints(customerPath, from, to, mine, force) {
    const key = customerPath + "|" + from + "|" + to;
    if (force || endpoints.key !== key) {
      let groups = [], total = 0, note = "";
      try {
        const b = await api(customerPath + "/breakdown?by=endpoint&from=" + from + "&to=" + to + "&limit=" + maxEndpoints);
        groups = b.groups;
        total = b.total_groups;
      } catch (e) {
        note = "No endpoints: " + e.message;
      }
      if (mine !== seq) return;
      Object.assign(endpoints, { key, groups, total, note });
    }
    renderEndpoints();
  }

  function sortedEndpoints() {
    const f = endpoints.sort, sign = endpoints.desc ? -1 : 1;
    const value = (g) => (f === "method" || f === "route" ? g.key[f] : g.stats[f]);
    return [...endpoints.groups].sort((a, b) => {
      const va = value(a), vb = value(b);
      if (va == null || vb == null) return (va == null) - (vb == null); // no figure: last
      if (va < vb) return -sign;
      if (va > vb) return sign;
      // Ties in the keys' order, as the API breaks them.
      return a.key.method < b.key.method ? -1 : a.key.method > b.key.method ? 1 : (a.key.route < b.key.route ? -1 : 1);
    });
  }

  function renderEndpoints() {
    const section = $("endpoints-section");
    // While an endpoint is chosen the section stays, with its way back to
    // all endpoints, even when nothing could be shown.
    section.hidden = !endpoint && (endpoints.key == null || (endpoints.groups.length === 0 && !endpoints.note));
    const note = $("endpoints-note");
    note.textContent = endpoints.note || (endpoints.total > endpoints.groups.length
      ? "The " + endpoints.groups.length + " busiest of " + fmtInt(endpoints.total) + " endpoints." : "");
    note.hidden = !note.textContent;
    $("endpoint-chosen").textContent = endpoint ? endpointText(endpoint) : "";
    $("endpoint-clear").hidden = !endpoint;
    for (const b of section.querySelectorAll("th button")) {
      b.parentElement.setAttribute("aria-sort", b.dataset.sort !== endpoints.sort ? "none" : endpoints.desc ? "descending" : "ascending");
    }
    $("endpoints").tBodies[0].replaceChildren(...sortedEndpoints().map((g) => {
      const s = g.stats;
      const tr = row([g.key.method || "–", g.key.route, fmtInt(s.total_requests), fmtInt(s.total_failed_requests),
        fmtUptime(s.uptime), fmtMs(s.median_latency), fmtMs(s.p99_latency)]);
      tr.tabIndex = 0;
      tr.setAttribute("aria-selected", String(sameEndpoint(endpoint, g.key)));
      const choose = () => {
        endpoint = sameEndpoint(endpoint, g.key) ? null : { method: g.key.method, route: g.key.route };
        show();
      };
      tr.addEventListener("click", choose);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          choose();
        }
      });
      return tr;
    }));
  }

  for (const b of document.querySelectorAll("#endpoints th button")) {
    b.addEventListener("click", () => {
      const f = b.dataset.sort;
      endpoints.desc = endpoints.sort === f ? !endpoints.desc : f !== "method" && f !== "route";
      endpoints.sort = f;
      renderEndpoints();
    });
  }
  $("endpoint-clear").addEventListener("click", () => {
    endpoint = null;
    show();
  });

  // periodsOf returns the days, weeks or months of an answer, each with
  // its stats fields, its first day as date and how the table names it.
  function periodsOf(st) {
    if (!st) return [];
    if (st.daily) return st.daily.map((d) => Object.assign({ label: d.date }, d));
    return (st.periods || []).map((p) => Object.assign({ date: p.start, label: p.start === p.end ? p.start : p.start + " – " + p.end }, p));
  }

  function render(st) {
    const days = periodsOf(st);
    if (!st) {
      Object.assign(endpoints, { key: null, groups: [], total: 0, note: "" }); // nothing shown: no endpoints either
      renderEndpoints();
    }
    if (st && st.day_zone) $("day-zone").textContent = st.day_zone;
    if (st && st.failed_statuses) $("failed-statuses").textContent = st.failed_statuses;
    const per = st && st.periods ? intervalIn.value : "day";
    for (const el of document.querySelectorAll(".per")) el.textContent = per;
    $("days-period").textContent = { day: "Date", week: "Week", month: "Month" }[per];
    renderSummary(st ? st.stats : null, st && st.previous ? st.previous : null);
    renderTable(days, st ? st.stats : null);
    renderCharts(days, st ? st.slo || [] : [], per);
  }

  // change says how a headline figure moved against the range before: a
  // percent for counts and latencies, points for the uptime; better or
  // worse as higher says.
  function change(cur, prev, kind, higherIsBetter) {
    if (cur == null || prev == null) return { text: "– vs before", cls: "" };
    let diff, text;
    if (kind === "points") {
      diff = cur - prev;
      text = (diff >= 0 ? "+" : "−") + Math.abs(diff).toFixed(2) + " pts";
    } else {
      if (prev === 0) return { text: "– vs before", cls: "" };
      diff = (cur - prev) / prev * 100;
      text = (diff >= 0 ? "+" : "−") + Math.abs(diff).toFixed(1) + " %";
    }
    const cls = higherIsBetter == null || Math.abs(diff) < 1e-9 ? "" : (diff > 0) === higherIsBetter ? "better" : "worse";
    return { text: text + " vs before", cls };
  }

  function renderSummary(s, previous) {
    const p = previous ? previous.stats : {};
    const cards = s == null ? [] : [
      ["Requests", fmtInt(s.total_requests), change(s.total_requests, p.total_requests, "percent", null)],
      ["Successful", fmtInt(s.total_successful_requests), change(s.total_successful_requests, p.total_successful_requests, "percent", null)],
      ["Failed", fmtInt(s.total_failed_requests), change(s.total_failed_requests, p.total_failed_requests, "percent", false)],
      ["Uptime %", fmtUptime(s.uptime), change(s.uptime, p.uptime, "points", true)],
      ["Average ms", fmtMs(s.average_latency), change(s.average_latency, p.average_latency, "percent", false)],
      ["Median ms", fmtMs(s.median_latency), change(s.median_latency, p.median_latency, "percent", false)],
      ["p99 ms", fmtMs(s.p99_latency), change(s.p99_latency, p.p99_latency, "percent", false)],
    ];
    $("summary").replaceChildren(...cards.map(([label, value, delta]) => {
      const d = document.createElement("div");
      d.className = "card";
      const l = document.createElement("div"); l.className = "label"; l.textContent = label;
      const v = document.createElement("div"); v.className = "value"; v.textContent = value;
      const c = document.createElement("div"); c.className = "delta " + delta.cls; c.textContent = delta.text;
      if (previous) c.title = "against " + previous.from_date + " – " + previous.to_date;
      d.append(l, v, c);
      return d;
    }));
  }

  function row(cells, tag) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement(tag || "td");
      td.textContent = c;
      tr.append(td);
    }
    return tr;
  }

  function statCells(s) {
    return [fmtInt(s.total_requests), fmtInt(s.total_successful_requests), fmtInt(s.total_failed_requests),
      fmtUptime(s.uptime), fmtMs(s.average_latency), fmtMs(s.median_latency), fmtMs(s.p99_latency)];
  }

  function renderTable(days, total) {
    const body = $("days").tBodies[0];
    body.replaceChildren(...days.map((d) => row([d.label, ...statCells(d)])));
    $("days").tFoot.replaceChildren(...(total ? [row(["Total", ...statCells(total)])] : []));
  }

  const utc = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");

  // The x axis has day ticks whatever the range (never hours), as
  // MM-DD; months as YYYY-MM.
  const dayIncrs = [1, 2, 7, 14, 28, 91, 182, 364].map((n) => n * DAY);
  function chartOpts(el, series, yRange, per) {
    const tick = per === "month" ? (t) => toDate(t).slice(0, 7) : (t) => toDate(t).slice(5);
    const half = { day: DAY / 2, week: 3.5 * DAY, month: 15 * DAY }[per];
    return {
      width: Math.max(200, el.clientWidth),
      height: 220,
      tzDate: utc,
      legend: { live: true },
      cursor: { points: { size: 6 } },
      scales: {
        x: { time: true, range: (u, min, max) => [min - half, max + half] },
        y: yRange ? { range: yRange } : {},
      },
      axes: [{ space: 60, incrs: dayIncrs, values: (u, ticks) => ticks.map(tick) }, { size: 56 }],
      series: [{ label: { day: "Day", week: "Week of", month: "Month" }[per], value: (u, ts) => (ts == null ? "–" : tick(ts)) }, ...series],
    };
  }

  // targetSeries are the target lines of the objectives that match: a
  // dashed line at each target, the same every day.
  function targetSeries(slo, latency, xs) {
    const out = [], data = [];
    for (const o of slo) {
      const isLatency = o.objective.startsWith("p");
      if (isLatency !== latency) continue;
      const y = latency ? o.target * 1000 : o.target;
      out.push({
        label: latency ? o.objective.split("<=")[0] + " target ≤ " + y.toFixed(1) : "target ≥ " + y.toFixed(2),
        stroke: color("--target"), width: 1.5, dash: [6, 4], points: { show: false },
        value: (u, v) => (v == null ? "–" : latency ? v.toFixed(1) : v.toFixed(2)),
      });
      data.push(xs.map(() => y));
    }
    return [out, data];
  }

  const color = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function renderCharts(days, slo, per) {
    for (const c of charts) c.destroy();
    charts = [];
    $("charts").hidden = days.length === 0;
    if (days.length === 0) return;
    const xs = days.map((d) => toSec(d.date));
    const ok = days.map((d) => d.total_successful_requests);
    const failed = days.map((d) => d.total_failed_requests);
    const total = days.map((d) => d.total_requests);
    const ms = (key) => days.map((d) => (d[key] == null ? null : d[key] * 1000));
    const bars = uPlot.paths.bars({ size: [0.7, 48] });

    // Stacked bars: the failed bar is drawn at the day's total, behind the
    // successful one, so it shows as the part above.
    const el1 = $("chart-requests");
    charts.push(new uPlot(chartOpts(el1, [
      { label: "Failed", fill: color("--fail"), stroke: color("--fail"), paths: bars, points: { show: false },
        value: (u, v, si, i) => (i == null ? "–" : fmtInt(failed[i])) },
      { label: "Successful", fill: color("--ok"), stroke: color("--ok"), paths: bars, points: { show: false },
        value: (u, v, si, i) => (i == null ? "–" : fmtInt(ok[i])) },
    ], (u, min, max) => [0, Math.max(1, max)], per), [xs, total, ok], el1));

    const el2 = $("chart-uptime");
    const [uptimeTargets, uptimeTargetData] = targetSeries(slo, false, xs);
    charts.push(new uPlot(chartOpts(el2, [
      { label: "Uptime %", stroke: color("--ok"), width: 2, value: (u, v) => (v == null ? "–" : v.toFixed(2)) },
      ...uptimeTargets,
    ], (u, min, max) => [Math.max(0, Math.floor(min - 1)), 100], per), [xs, days.map((d) => d.uptime), ...uptimeTargetData], el2));

    const el3 = $("chart-latency");
    el3.replaceChildren();
    if (!days.some((d) => d.timed_requests > 0)) {
      // A log without request times (combined, common): counts and uptime,
      // no latency to draw.
      const note = document.createElement("p");
      note.className = "no-latency";
      note.textContent = "No latency in this log: its lines carry no request time (log $request_time in nginx, %D in Apache).";
      el3.append(note);
      return;
    }
    const msValue = (u, v) => (v == null ? "–" : v.toFixed(1));
    const [latencyTargets, latencyTargetData] = targetSeries(slo, true, xs);
    charts.push(new uPlot(chartOpts(el3, [
      { label: "Average", stroke: color("--avg"), width: 2, value: msValue },
      { label: "Median", stroke: color("--median"), width: 2, value: msValue },
      { label: "p99", stroke: color("--p99"), width: 2, value: msValue },
      ...latencyTargets,
    ], (u, min, max) => [0, Math.max(1, max)], per), [xs, ms("average_latency"), ms("median_latency"), ms("p99_latency"), ...latencyTargetData], el3));
  }

  // The overview: every customer with requests in the range, with its
  // stats and objectives, worst first (the smallest error budget left,
  // then the lowest uptime); sorted by any column, a row opens the
  // customer's page.
  const fleet = { customers: [], total: 0, sort: "worst", desc: false };
  const maxFleet = 10000;

  async function showOverview() {
    const from = fromIn.value, to = toIn.value, mine = ++seq;
    live.path = null;
    $("updated").textContent = "";
    $("customer-name").textContent = "";
    if (!from || !to || to < from) {
      showMessage(to < from ? "The range ends (" + to + ") before it starts (" + from + ")." : "", true);
      document.body.dataset.state = "ready";
      return;
    }
    writeHash();
    document.body.dataset.state = "loading";
    try {
      const f = await api("customers/?from=" + from + "&to=" + to + "&limit=" + maxFleet + "&sort=slo_remaining&order=asc");
      if (mine !== seq) return;
      if (f.day_zone) $("day-zone").textContent = f.day_zone;
      if (f.failed_statuses) $("failed-statuses").textContent = f.failed_statuses;
      Object.assign(fleet, { customers: f.customers, total: f.total_customers });
      showMessage(f.customers.length === 0 ? "No requests of any customer from " + from + " to " + to + "." : "", false);
    } catch (e) {
      if (mine !== seq) return;
      Object.assign(fleet, { customers: [], total: 0 });
      showMessage("Could not load the customers: " + e.message, true);
    }
    $("overview-range").textContent = from + " to " + to;
    renderFleet();
    document.body.dataset.state = "ready";
  }

  // leastBudget is the smallest error budget left of a customer's
  // objectives (null when none has one); breached whether one is not met.
  const leastBudget = (c) => {
    const r = (c.slo || []).map((o) => o.budget.remaining).filter((v) => v != null);
    return r.length ? Math.min(...r) : null;
  };
  const breached = (c) => (c.slo || []).some((o) => !o.met);

  function sortedFleet() {
    const sign = fleet.desc ? -1 : 1;
    const value = (c) => {
      switch (fleet.sort) {
        case "customer_id": return c.customer_id;
        case "slo": return leastBudget(c);
        default: return c.stats[fleet.sort];
      }
    };
    const cmp = (va, vb) => (va == null || vb == null ? (va == null) - (vb == null) : va < vb ? -sign : va > vb ? sign : 0);
    return [...fleet.customers].sort((a, b) => {
      if (fleet.sort === "worst") {
        // Breached first, then the smallest budget left, then the lowest
        // uptime: worst first.
        return (breached(b) - breached(a)) || cmp(leastBudget(a), leastBudget(b)) || cmp(a.stats.uptime, b.stats.uptime) ||
          (a.customer_id < b.customer_id ? -1 : 1);
      }
      return cmp(value(a), value(b)) || (a.customer_id < b.customer_id ? -1 : 1);
    });
  }

  function objectivesText(c) {
    if (!c.slo || c.slo.length === 0) return "–";
    const bad = c.slo.filter((o) => !o.met).map((o) => o.objective);
    return bad.length ? "breached: " + bad.join(", ") : "met";
  }

  function renderFleet() {
    $("overview-note").textContent = fleet.total > fleet.customers.length
      ? "(the first " + fleet.customers.length + " of " + fmtInt(fleet.total) + ")" : "(" + fmtInt(fleet.total) + ")";
    for (const b of document.querySelectorAll("#fleet th button")) {
      b.parentElement.setAttribute("aria-sort", b.dataset.sort !== fleet.sort ? "none" : fleet.desc ? "descending" : "ascending");
    }
    $("fleet").tBodies[0].replaceChildren(...sortedFleet().map((c) => {
      const s = c.stats;
      const tr = row([c.customer_id, fmtInt(s.total_requests), fmtInt(s.total_failed_requests), fmtUptime(s.uptime),
        fmtMs(s.p99_latency), objectivesText(c)]);
      tr.lastChild.className = !c.slo || c.slo.length === 0 ? "" : breached(c) ? "breached" : "met";
      tr.tabIndex = 0;
      const open = () => {
        setView("customer");
        customerIn.value = c.customer_id;
        endpoint = null;
        show(true);
      };
      tr.addEventListener("click", open);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          open();
        }
      });
      return tr;
    }));
  }

  for (const b of document.querySelectorAll("#fleet th button")) {
    b.addEventListener("click", () => {
      const f = b.dataset.sort;
      fleet.desc = fleet.sort === f ? !fleet.desc : f === "total_requests" || f === "total_failed_requests" || f === "p99_latency";
      fleet.sort = f;
      renderFleet();
    });
  }
  $("nav-overview").addEventListener("click", (e) => {
    e.preventDefault();
    setView("overview");
    show();
  });

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of charts) c.setSize({ width: Math.max(200, c.root.parentElement.clientWidth), height: 220 });
    }, 100);
  });

  customerIn.addEventListener("change", () => {
    endpoint = null; // another customer's endpoints
    const [from, to] = defaultRange(customerIn.value);
    fromIn.value = from;
    toIn.value = to;
    show();
  });
  fromIn.addEventListener("change", show);
  toIn.addEventListener("change", show);
  intervalIn.addEventListener("change", show);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    show(true);
  });

  async function start() {
    let cut = false;
    try {
      cut = await loadCustomers();
    } catch (e) {
      render(null);
      if (e instanceof NeedsKey) {
        showMessage(key
          ? "This page's key is not valid (it may have been revoked): ask for a new link."
          : "This server shares its numbers by link: open the link you were given (it ends in #key=...).", true);
        document.body.dataset.state = "ready";
        return;
      }
      showMessage("Could not list the customers: " + e.message, true);
    }
    const h = readHash();
    if (["day", "week", "month"].includes(h.interval)) intervalIn.value = h.interval;
    if (h.view === "overview" && !customerKey) {
      setView("overview");
      const [from, to] = defaultRange(null);
      fromIn.value = h.from || from;
      toIn.value = h.to || to;
      customerIn.value = busiest();
      await show();
      return;
    }
    setView("customer");
    // With a customer key, the one customer /customers/ lists, whatever the
    // address says (the server would answer 404 for any other anyway).
    const id = customerKey ? busiest() : h.customer || busiest();
    if (!id) {
      render(null);
      showMessage(customerKey
        ? "No requests loaded yet for the customer of this link."
        : "No data loaded yet: POST a log to /load, or run examples/runner.", false);
      document.body.dataset.state = "ready";
      return;
    }
    if (customerKey) {
      customerIn.readOnly = true;
      $("customer-name").textContent = id;
    }
    const [from, to] = defaultRange(id);
    customerIn.value = id;
    fromIn.value = h.from || from;
    toIn.value = h.to || to;
    endpoint = h.endpoint;
    await show();
    if (cut && !$("message").textContent) {
      showMessage("The list holds the first " + customers.size + " customers by id; type any other id.", false);
    }
  }

  start();
})();
