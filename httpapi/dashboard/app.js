// The logstats dashboard: pick a customer and a range of days (of the
// database's day zone, which answers name), see the
// requests, uptime and latency of each day as charts and as a table, and
// the customer's endpoints, one of which may narrow the page to it. It only
// reads the JSON API, at paths relative to this page, so it works wherever
// the handler is mounted (http.StripPrefix included).
"use strict";
(function () {
  const DAY = 86400;
  const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  const $ = (id) => document.getElementById(id);
  const form = $("controls"), customerIn = $("customer"), fromIn = $("from"), toIn = $("to");
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

  const fmtInt = (n) => n.toLocaleString("en-US");
  const fmtMs = (s) => (s == null ? "–" : String(Number((s * 1000).toFixed(3))));
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
    return { customer: p.get("customer"), from: p.get("from"), to: p.get("to"), endpoint: parseEndpoint(p.get("endpoint")) };
  }

  function writeHash() {
    const p = new URLSearchParams({ customer: customerIn.value, from: fromIn.value, to: toIn.value });
    if (endpoint) p.set("endpoint", endpointText(endpoint));
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
      let path = customerPath + "/stats/?from=" + from + "&to=" + to;
      if (endpoint) path += "&method=" + encodeURIComponent(endpoint.method) + "&route=" + encodeURIComponent(endpoint.route);
      const meta = {};
      const [st] = await Promise.all([api(path, null, meta), loadEndpoints(customerPath, from, to, mine, forceEndpoints === true)]);
      if (mine !== seq) return;
      Object.assign(live, { path, customerPath, etag: meta.etag, zone: st.day_zone || "UTC", updated: Date.now() });
      showUpdated();
      render(st);
      if (st.daily.length === 0) {
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

  function render(st) {
    const days = st ? st.daily : [];
    if (!st) {
      Object.assign(endpoints, { key: null, groups: [], total: 0, note: "" }); // nothing shown: no endpoints either
      renderEndpoints();
    }
    if (st && st.day_zone) document.getElementById("day-zone").textContent = st.day_zone;
    renderSummary(st ? st.stats : null);
    renderTable(days, st ? st.stats : null);
    renderCharts(days);
  }

  function renderSummary(s) {
    const cards = s == null ? [] : [
      ["Requests", fmtInt(s.total_requests)],
      ["Successful", fmtInt(s.total_successful_requests)],
      ["Failed", fmtInt(s.total_failed_requests)],
      ["Uptime %", fmtUptime(s.uptime)],
      ["Average ms", fmtMs(s.average_latency)],
      ["Median ms", fmtMs(s.median_latency)],
      ["p99 ms", fmtMs(s.p99_latency)],
    ];
    $("summary").replaceChildren(...cards.map(([label, value]) => {
      const d = document.createElement("div");
      d.className = "card";
      const l = document.createElement("div"); l.className = "label"; l.textContent = label;
      const v = document.createElement("div"); v.className = "value"; v.textContent = value;
      d.append(l, v);
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
    body.replaceChildren(...days.map((d) => row([d.date, ...statCells(d)])));
    $("days").tFoot.replaceChildren(...(total ? [row(["Total", ...statCells(total)])] : []));
  }

  const utc = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");

  function chartOpts(el, series, yRange) {
    return {
      width: Math.max(200, el.clientWidth),
      height: 220,
      tzDate: utc,
      legend: { live: true },
      cursor: { points: { size: 6 } },
      scales: {
        x: { time: true, range: (u, min, max) => [min - DAY / 2, max + DAY / 2] },
        y: yRange ? { range: yRange } : {},
      },
      axes: [{ space: 60 }, { size: 56 }],
      series: [{ label: "Day", value: (u, ts) => (ts == null ? "–" : toDate(ts)) }, ...series],
    };
  }

  function renderCharts(days) {
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
    const css = getComputedStyle(document.documentElement);
    const color = (name) => css.getPropertyValue(name).trim();

    // Stacked bars: the failed bar is drawn at the day's total, behind the
    // successful one, so it shows as the part above.
    const el1 = $("chart-requests");
    charts.push(new uPlot(chartOpts(el1, [
      { label: "Failed", fill: color("--fail"), stroke: color("--fail"), paths: bars, points: { show: false },
        value: (u, v, si, i) => (i == null ? "–" : fmtInt(failed[i])) },
      { label: "Successful", fill: color("--ok"), stroke: color("--ok"), paths: bars, points: { show: false },
        value: (u, v, si, i) => (i == null ? "–" : fmtInt(ok[i])) },
    ], (u, min, max) => [0, Math.max(1, max)]), [xs, total, ok], el1));

    const el2 = $("chart-uptime");
    charts.push(new uPlot(chartOpts(el2, [
      { label: "Uptime %", stroke: color("--ok"), width: 2, value: (u, v) => (v == null ? "–" : v.toFixed(2)) },
    ], (u, min, max) => [Math.max(0, Math.floor(min - 1)), 100]), [xs, days.map((d) => d.uptime)], el2));

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
    const msValue = (u, v) => (v == null ? "–" : String(Number(v.toFixed(3))));
    charts.push(new uPlot(chartOpts(el3, [
      { label: "Average", stroke: color("--avg"), width: 2, value: msValue },
      { label: "Median", stroke: color("--median"), width: 2, value: msValue },
      { label: "p99", stroke: color("--p99"), width: 2, value: msValue },
    ], (u, min, max) => [0, Math.max(1, max)]), [xs, ms("average_latency"), ms("median_latency"), ms("p99_latency")], el3));
  }

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
