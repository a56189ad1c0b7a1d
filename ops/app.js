// The bfs ops console. Plain JavaScript over the JSON API under /api/ (OpsRouter.swift lists
// it). Every mutating call carries the session's CSRF token in X-CSRF-Token. The DOM is built
// with createElement/textContent only, so names from the cluster are never parsed as HTML.
"use strict";

const state = { csrf: "", overview: null, jobs: new Map(), tab: "overview" };

// ---- helpers ---------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function $(id) { return document.getElementById(id); }

function bytes(n) {
  if (n === undefined || n === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function percent(x) { return Math.round(x * 100) + " %"; }

function message(text, isError) {
  const el = $("message");
  el.textContent = text || "";
  el.className = isError ? "error" : "ok";
}

async function api(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { window.location.assign("/login"); throw new Error("log in first"); }
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error || ("HTTP " + response.status));
  return json;
}

function resultTable(rows) {
  return h("table", { class: "result" },
    h("thead", {}, h("tr", {}, h("th", {}, "Store"), h("th", {}, "Result"))),
    h("tbody", {}, rows.map(r => h("tr", { "data-store": r.store, class: r.ok ? "ok" : "error" },
      h("td", {}, r.store), h("td", {}, (r.ok ? "ok: " : "failed: ") + r.detail)))));
}

// ---- overview --------------------------------------------------------------------------

// One overview request at a time: a refresh asked for while one is in flight (the 2 s timer
// behind a slow store, or an action's follow-up) runs once when it ends, so requests never pile up.
let overviewInFlight = false, overviewAgain = false;

async function refreshOverview() {
  if (overviewInFlight) { overviewAgain = true; return; }
  overviewInFlight = true;
  try {
    await loadOverview();
  } finally {
    overviewInFlight = false;
    if (overviewAgain) { overviewAgain = false; refreshOverview(); }
  }
}

async function loadOverview() {
  try {
    const o = await api("GET", "/api/overview");
    state.overview = o;
    renderOverview(o);
    renderChoices(o);
    for (const job of o.jobs) state.jobs.set(job.id, job);
    renderJobs();
    $("refresh-status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    $("refresh-status").textContent = "refresh failed: " + e.message;
  }
}

function renderOverview(o) {
  $("stores").tBodies[0].replaceChildren(...o.stores.map(s => h("tr", { "data-store": s.id },
    h("td", {}, s.id, h("div", { class: "muted" }, s.api)),
    h("td", {}, s.rack),
    h("td", {}, h("span", { class: "badge " + s.status }, s.status)),
    h("td", {}, h("span", { class: "badge " + (s.live ? "yes" : "no") }, s.live ? "live" : "gone")),
    h("td", { class: "group" }, s.group === undefined ? "—" : String(s.group)),
    h("td", { class: "free-volumes" }, String(s.free_volumes)),
    h("td", {}, bytes(s.free_space)),
    h("td", {}, s.error ? h("span", { class: "error" }, s.error) : null,
      s.volumes.map(v => h("span", { class: "vol", "data-vid": v.id, title: bytes(v.size) + " of " + bytes(v.capacity) + ", " + v.needles + " needles, " + v.deleted + " deleted" },
        "#" + v.id, h("progress", { max: 1, value: v.fill }), percent(v.fill), v.compacting ? " compacting" : "")),
      s.failed_volumes.map(f => h("div", { class: "error" }, "volume " + f.id + " failed: " + f.error))))));

  $("groups").tBodies[0].replaceChildren(...o.groups.map(g => h("tr", { "data-group": g.id },
    h("td", {}, String(g.id)),
    h("td", {}, g.stores.join(", ")),
    h("td", {}, g.racks.join(", "), g.rack_diverse ? "" : h("span", { class: "badge read" }, " racks shared")),
    h("td", {}, h("span", { class: "badge " + (g.writable ? "yes" : "no") }, g.writable ? "writable" : "not writable")),
    h("td", {}, g.volumes.length ? g.volumes.map(v => "#" + v).join(" ") : "none"))));

  const storeIds = o.stores.map(s => s.id);
  $("volumes").tBodies[0].replaceChildren(...o.volumes.map(v => {
    const target = h("select", { "data-repair-target": v.id }, storeIds.map(id => h("option", { value: id }, id)));
    return h("tr", { "data-volume": v.id },
      h("td", {}, "#" + v.id),
      h("td", {}, v.replicas.join(", ")),
      h("td", {}, v.free_space === undefined ? "unknown" : bytes(v.free_space)),
      h("td", {},
        h("button", { "data-compact": v.id, onclick: () => startJob("/api/compact", { vid: v.id }) }, "Compact"),
        " ", target,
        h("button", { "data-repair": v.id, onclick: () => startJob("/api/repair", { vid: v.id, store: target.value }) }, "Repair from a peer")));
  }));

  $("control").replaceChildren(
    h("div", {}, "Racks: ", o.racks.map(r => r.name + " (" + r.stores.join(", ") + ")").join("; ") || "none"),
    h("div", {}, "Pitchforks: ", o.pitchforks.join(", ") || "none"),
    h("div", {}, "Directories (key worker leases): ", o.directories.join(", ") || "none"));

  $("history").tBodies[0].replaceChildren(...o.history.slice(0, 30).map(c => h("tr", {},
    h("td", {}, new Date(c.time).toLocaleTimeString()), h("td", {}, c.store), h("td", {}, c.change))));
}

// Store and group checkboxes of the provisioning forms, kept when the overview refreshes.
function renderChoices(o) {
  syncChecks($("free-stores"), "free-store", o.stores.map(s => s.id));
  syncChecks($("allocate-groups"), "allocate-group", o.groups.map(g => String(g.id)));
}

function syncChecks(container, name, values) {
  const have = [...container.querySelectorAll("input")].map(i => i.value);
  if (have.join() === values.join()) return;
  const checked = new Set([...container.querySelectorAll("input:checked")].map(i => i.value));
  container.replaceChildren(...values.map(v => h("label", {},
    h("input", { type: "checkbox", name, value: v, checked: have.length === 0 || checked.has(v) || !have.includes(v) }), " " + v)));
  if (values.length === 0) container.textContent = "none yet";
}

function checkedValues(name) {
  return [...document.querySelectorAll("input[name=" + name + "]:checked")].map(i => i.value);
}

// ---- provisioning ----------------------------------------------------------------------

$("free-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { stores: checkedValues("free-store") };
  const size = $("free-size").value.trim();
  if (size) body.size = size;
  else if ($("free-at-least").checked) body.at_least = Number($("free-count").value);
  else body.count = Number($("free-count").value);
  if ($("free-dir").value.trim()) body.dir = $("free-dir").value.trim();
  await act($("free-result"), async () => {
    const r = await api("POST", "/api/stores/free-volumes", body);
    return [h("p", { class: r.ok ? "ok" : "error" }, r.ok ? "done on every store" : "some stores failed"), resultTable(r.results)];
  });
});

$("groups-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  await act($("groups-result"), async () => {
    const r = await api("POST", "/api/groups", { copies: Number($("groups-copies").value) });
    return [
      h("p", { class: r.ok ? "ok" : "error" }, r.groups.length + " group(s) created"),
      h("ul", {}, r.groups.map(g => h("li", { "data-created-group": g.id },
        "group " + g.id + ": " + g.stores.join(", ") + " on racks " + g.racks.join(", ") + " — " + g.detail))),
      r.skipped.length ? h("p", { class: "muted" }, "skipped: " + r.skipped.map(s => s.store + " (" + s.detail + ")").join(", ")) : null,
      r.leftover.length ? h("p", { class: "muted" }, "left ungrouped: " + r.leftover.join(", ")) : null,
    ];
  });
});

$("allocate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { groups: checkedValues("allocate-group").map(Number), keep_free: Number($("allocate-keep-free").value) };
  if ($("allocate-count").value) body.count = Number($("allocate-count").value);
  await act($("allocate-result"), async () => {
    const r = await api("POST", "/api/volumes", body);
    return [h("p", { class: r.ok ? "ok" : "error" }, r.ok ? "allocated" : "not all allocated (see below)"),
      r.groups.map(g => h("div", { "data-allocated-group": g.group },
        h("p", {}, "group " + g.group + ": " + g.detail),
        g.volumes.map(v => h("div", { "data-allocated-vid": v.vid }, h("strong", {}, "volume " + v.vid + (v.ok ? " ok" : " failed")), resultTable(v.stores)))))];
  });
});

async function act(target, work) {
  target.replaceChildren(h("p", { class: "muted" }, "working…"));
  try {
    target.replaceChildren(...(await work()).flat().filter(Boolean));
    refreshOverview();
  } catch (e) {
    target.replaceChildren(h("p", { class: "error" }, e.message));
  }
}

// ---- jobs ------------------------------------------------------------------------------

async function startJob(path, body) {
  try {
    const r = await api("POST", path, body);
    state.jobs.set(r.job, { id: r.job, kind: path.slice(5), vid: body.vid, state: "running", started: Date.now(), stores: [] });
    message("started " + r.job);
    showTab("jobs");
    pollJob(r.job);
  } catch (e) {
    message(e.message, true);
  }
}

async function pollJob(id) {
  try {
    const job = await api("GET", "/api/jobs/" + encodeURIComponent(id));
    state.jobs.set(id, job);
    renderJobs();
    if (job.state === "running") setTimeout(() => pollJob(id), 400);
    else refreshOverview();
  } catch (e) {
    message(e.message, true);
  }
}

function renderJobs() {
  const jobs = [...state.jobs.values()].sort((a, b) => b.started - a.started);
  $("jobs").replaceChildren(...(jobs.length ? jobs : [null]).map(job => job === null ? h("p", { class: "muted" }, "no jobs yet") :
    h("div", { class: "card job", "data-job": job.id, "data-state": job.state },
      h("strong", {}, job.kind + " of volume " + job.vid), " ",
      h("span", { class: "badge " + (job.state === "done" ? "yes" : job.state === "failed" ? "no" : "read") }, job.state),
      h("table", {}, h("tbody", {}, job.stores.map(p => h("tr", {},
        h("td", {}, p.store),
        h("td", {}, h("progress", { max: 1, value: p.progress, "data-store": p.store }), " ",
          h("span", { class: "pct", "data-store": p.store }, percent(p.progress))),
        h("td", {}, p.total ? bytes(p.done) + " of " + bytes(p.total) : ""),
        h("td", { class: p.state === "failed" ? "error" : "muted" }, p.state + (p.error ? ": " + p.error : "")))))))));
}

// ---- buckets ---------------------------------------------------------------------------

const access = ["private", "public read", "public write", "public read and write"];

async function refreshBuckets() {
  try {
    const r = await api("GET", "/api/buckets");
    $("buckets").tBodies[0].replaceChildren(...(r.buckets || []).map(b => {
      const flags = h("select", {}, access.map((a, i) => h("option", { value: i, selected: i === b.flags }, a)));
      const cache = h("input", { value: b.cache_policy || "" });
      const domain = h("input", { value: b.domain || "" });
      return h("tr", { "data-bucket": b.name },
        h("td", {}, b.name), h("td", {}, b.key_id), h("td", {}, flags), h("td", {}, cache), h("td", {}, domain),
        h("td", {},
          h("button", { onclick: () => bucketAction("update", { name: b.name, flags: Number(flags.value), cache_policy: cache.value, domain: domain.value }) }, "Save"), " ",
          h("button", { "data-rotate": b.name, onclick: () => { if (confirm("Replace the key id and secret of " + b.name + "? Clients using the old ones stop working.")) bucketAction("rotate", { name: b.name }); } }, "Rotate key")));
    }));
  } catch (e) {
    message(e.message, true);
  }
}

async function bucketAction(action, body) {
  try {
    const r = await api("POST", "/api/buckets/" + action, body);
    if (r.bucket && r.bucket.secret) showSecret(r.bucket);
    else message("saved " + body.name);
    refreshBuckets();
  } catch (e) {
    message(e.message, true);
  }
}

function showSecret(bucket) {
  const box = $("bucket-secret");
  box.hidden = false;
  box.replaceChildren(
    h("div", {}, "Bucket ", h("strong", {}, bucket.name), ": copy the secret now, it is not shown again."),
    h("div", {}, "key id: ", h("code", { id: "shown-key-id" }, bucket.key_id)),
    h("div", {}, "secret: ", h("code", { id: "shown-secret" }, bucket.secret)),
    h("button", { onclick: () => { box.hidden = true; box.replaceChildren(); } }, "I have stored it"));
}

$("bucket-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = { name: $("bucket-name").value.trim(), flags: Number($("bucket-flags").value) };
  if ($("bucket-cache").value.trim()) body.cache_policy = $("bucket-cache").value.trim();
  if ($("bucket-domain").value.trim()) body.domain = $("bucket-domain").value.trim();
  bucketAction("create", body);
});

// ---- lookup ----------------------------------------------------------------------------

$("lookup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = "bucket=" + encodeURIComponent($("lookup-bucket").value) + "&filename=" + encodeURIComponent($("lookup-filename").value);
  const out = $("lookup-result");
  try {
    const r = await api("GET", "/api/lookup?" + q);
    out.replaceChildren(h("table", { id: "lookup-table" }, h("tbody", {},
      [["key", r.key_text], ["volume", r.vid], ["size", r.size === undefined ? "no replica answered" : bytes(r.size)], ["sha1", r.sha1], ["mime", r.mine], ["updated", new Date((r.update_time || 0) / 1e6).toISOString()]]
        .map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { "data-field": k }, String(v)))),
      (r.replicas || []).map(rep => h("tr", {}, h("th", {}, "replica " + rep.store),
        h("td", {}, rep.rack + ", " + rep.status + (rep.live ? "" : ", gone") + (rep.error ? ", not readable: " + rep.error : "") + " — ",
          h("a", { href: rep.url, target: "_blank", rel: "noopener" }, "fetch")))))));
  } catch (err) {
    out.replaceChildren(h("p", { class: "error" }, err.message));
  }
});

// ---- tabs, session, timers -------------------------------------------------------------

function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.tab === tab);
  for (const s of document.querySelectorAll("main section")) s.classList.toggle("active", s.id === "tab-" + tab);
  if (tab === "buckets") refreshBuckets();
  if (tab === "overview" || tab === "provision") refreshOverview();
}

for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));

$("logout").addEventListener("click", async () => {
  await api("POST", "/api/logout").catch(() => {});
  window.location.assign("/login");
});

(async function start() {
  const response = await fetch("/api/session", { credentials: "same-origin" });
  if (response.status === 401) { window.location.assign("/login"); return; }
  state.csrf = (await response.json()).csrf || "";
  document.body.dataset.ready = "true";
  await refreshOverview();
  for (const job of state.jobs.values()) if (job.state === "running") pollJob(job.id);
  setInterval(() => { if (state.tab === "overview" || state.tab === "provision") refreshOverview(); }, 2000);
})();
