# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.html: one self-contained page (no external assets) for triage at 2 a.m.

The page carries a compact view of the fleet as JSON: repeated values (backends, kernels,
identical checks, identical sets of checks) are stored once and referenced by index, so 100,000
hosts take a few megabytes. The inline script renders only the rows on screen (paged), the
causes, the drift and small SVG charts; all text goes through textContent, never HTML.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.fleet import STATUS_ORDER, failing_first, safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.triage import (
    DRIFT_FACTS, drift_by_value, flat_parameters)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.cpu import html_section

VIEW_SCHEMA = "fleetcheck.kvm/fleet-html"
VALUE_COLUMNS = ("backend", "kernel", "level", "pool", "params", "caps", "facts")
DRIFT_BITS = dict((fact, 1 << index) for index, fact in enumerate(DRIFT_FACTS))
MAX_DRIFT_VALUES = 50
_FACT_KEYS = ("arch", "usable", "api_version", "vcpu_run", "nr_vcpus", "max_vcpus", "caps_count")


class _Interner(object):
    """Values stored once, referenced by index."""

    def __init__(self):
        self.values = []
        self._index = {}

    def add(self, key, value=None):
        try:
            found = self._index.get(key)
        except TypeError:  # an unhashable expected/actual (a list or a mapping)
            key = json.dumps(key, sort_keys=True, default=str)
            found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.values)
            self.values.append(key if value is None else value)
        return found


def _facts_key(summary):
    profiles = summary.get("profiles_met")
    return tuple(summary.get(k) for k in _FACT_KEYS) + (tuple(profiles) if isinstance(profiles, list) else None,)


def _facts(key):
    """The few other facts of the detail view, from their interned key."""
    if not isinstance(key, tuple):  # a malformed summary, interned as text
        return {}
    facts = dict((k, v) for k, v in zip(_FACT_KEYS, key) if v is not None)
    if key[-1] is not None:
        facts["profiles_met"] = list(key[-1])
    return facts


def build_view(fleet):
    """The compact form of the fleet that the page embeds."""
    requirements = dict((r, i) for i, r in enumerate(fleet["requirements"]))
    statuses = dict((s, i) for i, s in enumerate(STATUS_ORDER))
    groups = fleet.get("groups") or []
    group_of = {}  # (host, requirement) -> group index
    for index, group in enumerate(groups):
        for host in group["hosts"]:
            group_of[(host, group["requirement"])] = index
    drift = fleet.get("drift") or {"hosts": [], "majority": {}, "counts": {}, "judged": 0}
    masks = {}
    for entry in drift["hosts"]:
        masks[entry["host"]] = sum(DRIFT_BITS[fact] for fact in entry["differs"])
    columns = dict((name, _Interner()) for name in VALUE_COLUMNS)
    checks, checksets = _Interner(), _Interner()
    notes = {}
    known_sets = {}  # the checks of a host, as a tuple -> checkset index: most hosts share one
    rows = []
    for record in failing_first(fleet["hosts"]):
        host, summary = record["host"], record.get("summary") or {}
        keys = []
        failing = 0
        for check in record["checks"]:
            # 1 met, 0 unmet and gating, 2 unmet of severity warn (reported, not gating)
            ok = 1 if check["ok"] else 2 if check.get("severity") == "warn" else 0
            group = -1 if ok else group_of.get((host, check["requirement"]), -1)
            failing += ok == 0
            keys.append((check["requirement"], check.get("expected"), check.get("actual"), ok, check.get("message"),
                         group))
        keys = tuple(keys)
        try:
            checkset = known_sets.get(keys)
        except TypeError:  # an unhashable expected/actual: intern check by check
            checkset = None
        if checkset is None:
            ids = [checks.add(k, [requirements[k[0]], k[3], k[1], k[2], k[4], k[5]]) for k in keys]
            checkset = checksets.add(tuple(ids), ids)
            try:
                known_sets[keys] = checkset
            except TypeError:
                pass
        if len(record["failures"]) > failing:  # notes beyond the checks, e.g. about the inventory name
            notes[len(rows)] = record["failures"][failing:]
        params = flat_parameters(summary.get("parameters"))
        params = " ".join("%s=%s" % kv for kv in sorted(params.items())) or None
        rows.append([host, statuses[record["status"]], columns["backend"].add(summary.get("backend")),
                     columns["kernel"].add(summary.get("kernel")), columns["level"].add(summary.get("guest_cpu_level")),
                     columns["pool"].add(summary.get("guest_cpu_pool")), columns["params"].add(params),
                     columns["caps"].add(summary.get("caps")), columns["facts"].add(_facts_key(summary)),
                     checkset, masks.get(host, 0)])
    majority = dict(drift["majority"])
    if isinstance(majority.get("parameters"), dict):
        majority["parameters"] = " ".join("%s=%s" % kv for kv in sorted(majority["parameters"].items()))
    return {"schema": VIEW_SCHEMA, "title": fleet["title"], "generated_at": fleet["generated_at"],
            "counts": fleet["counts"], "statuses": list(STATUS_ORDER), "requirements": fleet["requirements"],
            "columns": dict((name, [_facts(v) for v in interner.values] if name == "facts" else interner.values)
                            for name, interner in columns.items()),
            "checks": checks.values, "checksets": checksets.values, "notes": notes,
            "groups": [dict((k, g[k]) for k in ("cause", "requirement", "status", "count")) for g in groups],
            "warned": fleet.get("warned") or 0,
            "warnings": [dict((k, g[k]) for k in ("cause", "requirement", "count")) for g in fleet.get("warnings") or []],
            "drift": {"judged": drift["judged"], "majority": majority, "counts": drift["counts"],
                      "bits": DRIFT_BITS, "values": [[fact, value, len(hosts)] for fact, value, hosts
                                                     in drift_by_value(drift)[:MAX_DRIFT_VALUES]]},
            "hosts": rows}


def _html_escape(text):
    return safe_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def embed_json(value):
    """JSON that cannot end its <script> element: every '<' is written as \\u003c."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=str).replace("<", "\\u003c")


def render_html(fleet):
    title = _html_escape(fleet["title"])
    head, rest = _HTML_TEMPLATE.split("__TITLE__", 1)
    middle, rest = rest.split("__TITLE__", 1)
    panels, rest = rest.split("__GUEST_CPU__", 1)
    before, after = rest.split("__DATA__", 1)
    return "".join([head, title, middle, title, panels, html_section(fleet.get("guest_cpu")), before,
                    embed_json(build_view(fleet)), after])


_HTML_TEMPLATE = u"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1em 1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:.8em 0 .3em}
#counts span{display:inline-block;margin:.2em 1em .2em 0;padding:.2em .6em;border-radius:4px;background:#eee}
#counts .fail{background:#f99}#counts .pass{background:#cfc}#counts .unreachable{background:#ccc}
#counts .no_facts{background:#fd9}
#charts{display:flex;flex-wrap:wrap;gap:1em}#charts figure{margin:0}#charts figcaption{font-weight:bold}
#panels{display:flex;flex-wrap:wrap;gap:2em}#panels section{flex:1 1 30em;min-width:20em}
#groups ul,#drift ul{margin:.2em 0;padding:0;list-style:none;max-height:16em;overflow:auto}
#groups li,#drift li{margin:.15em 0;display:flex;gap:.5em;align-items:baseline}
#groups b,#drift b{flex:0 0 6em;text-align:right}
button.link{border:0;background:none;color:#04c;cursor:pointer;padding:0;text-align:left;font:inherit}
button.link:hover{text-decoration:underline}
#controls{position:relative;margin:1em 0 .5em;padding:.5em;background:#f4f4f4;border:1px solid #ddd;
  display:flex;flex-wrap:wrap;gap:.4em .8em;align-items:center}
#controls label{white-space:nowrap}#controls select{max-width:16em}#text{width:16em}
#active{color:#a00}
#wrap{position:relative;overflow:auto;max-width:100%}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:center;vertical-align:bottom}
th{background:#fafafa;cursor:pointer;user-select:none}th.sorted{background:#e4ecff}
th.req{padding:2px 0;width:1.6em;min-width:1.6em;max-width:1.6em}
th.req div{writing-mode:vertical-rl;transform:rotate(180deg);height:13em;max-height:13em;overflow:hidden;
  text-overflow:ellipsis;white-space:nowrap;margin:0 auto;font-weight:normal}
td{white-space:nowrap}td.host{text-align:left}
td.reason{text-align:left;max-width:28em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
td.pass{background:#cfc}td.fail{background:#f99}td.unreachable{background:#ccc}td.no_facts{background:#fd9}
td.none{background:#fff}td.drift{background:#ffe08a}td.warn{background:#ffd27f}#counts .warn{background:#ffd27f}
#warnings li{margin:.15em 0}#detail tr.warn td{background:#fff3d6}
#detail{margin-top:1em;padding:.6em;border:1px solid #888;display:none}
#detail li.fail{color:#a00}#detail table td{text-align:left;vertical-align:top}
</style></head><body>
<h1>__TITLE__</h1>
<div id="generated"></div>
<div id="counts"></div>
<div id="charts"></div>
<div id="panels">
<section id="groups"><h2>Causes</h2><p id="groups-none">No host needs action.</p><ul></ul>
<button id="groups-all" class="link" type="button"></button></section>
<section id="drift"><h2>Drift from the fleet's majority</h2><p id="drift-summary"></p><ul></ul></section>
<section id="warnings"><h2>Warnings (not gating)</h2><p id="warnings-none">No warnings.</p><ul></ul></section>
</div>
__GUEST_CPU__
<div id="controls">
<input id="text" type="search" placeholder="host name or reason">
<label>status <select id="f-status"></select></label>
<label>backend <select id="f-backend"></select></label>
<label>kernel <select id="f-kernel"></select></label>
<label>guest CPU level <select id="f-level"></select></label>
<label>pool <select id="f-pool"></select></label>
<label>drift <select id="f-drift"></select></label>
<label>cause <select id="f-group"></select></label>
<button id="reset" type="button">clear filters</button>
<span id="pager"><button id="first" type="button">&laquo;</button><button id="prev" type="button">&lsaquo;</button>
<span id="page"></span><button id="next" type="button">&rsaquo;</button><button id="last" type="button">&raquo;</button></span>
</div>
<div id="wrap"><table id="matrix"><thead></thead><tbody></tbody></table></div>
<div id="detail"></div>
<script type="application/json" id="fleet-data">__DATA__</script>
<script>
(function () {
  "use strict";
  var V = JSON.parse(document.getElementById("fleet-data").textContent);
  var H = {name: 0, status: 1, backend: 2, kernel: 3, level: 4, pool: 5, params: 6, caps: 7, facts: 8, checks: 9, drift: 10};
  var C = V.columns, hosts = V.hosts, PAGE = 100, page = 0, shown = hosts, sortKey = null, sortDir = 1;
  var NS = (function () { var d = document.createElement("div"); d.innerHTML = "<svg></svg>"; return d.firstChild.namespaceURI; }());  // no URL in the page
  var COLORS = {pass: "#7c7", fail: "#e66", unreachable: "#aaa", no_facts: "#eb5"};
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function show(v) { return v === null || v === undefined ? "\\u2014" : String(v); }
  function status(h) { return V.statuses[h[H.status]]; }
  // What a set of checks says, computed once per distinct set: first reason, causes, failed requirements.
  var sets = V.checksets.map(function (ids) {
    var info = {reason: "", groups: {}, state: {}};
    ids.forEach(function (id) {
      var c = V.checks[id];
      info.state[c[0]] = c[1] === 1 ? "pass" : c[1] === 2 ? "warn" : "fail";
      if (c[1] === 2 && !info.warning) { info.warning = "\\u26a0 " + (c[4] || "warning"); }
      if (c[1] === 0) {
        if (!info.reason) { info.reason = c[4] || "(no reason recorded)"; }
        if (c[5] >= 0) { info.groups[c[5]] = true; }
      }
    });
    if (!info.reason && info.warning) { info.reason = info.warning; }  // a host that passes with warnings
    return info;
  });
  function reason(h) { return sets[h[H.checks]].reason; }

  $("generated").textContent = "Generated " + V.generated_at + " \\u2014 " + V.counts.total + " hosts";
  ["total", "fail", "unreachable", "no_facts", "pass"].forEach(function (k) {
    $("counts").appendChild(el("span", {id: "count-" + k, "class": k}, k.replace("_", " ") + ": " + V.counts[k]));
  });
  $("counts").appendChild(el("span", {id: "count-warn", "class": "warn"}, "\u26a0 with warnings: " + V.warned));
  if (V.warnings.length) { $("warnings-none").style.display = "none"; }
  V.warnings.forEach(function (w) {
    $("warnings").querySelector("ul").appendChild(
      el("li", {"class": "warn"}, "\u26a0 warn \u2014 " + w.count + " host" + (w.count === 1 ? "" : "s") + ": " + w.cause));
  });

  // ---- charts: counts of a column over the whole fleet, as inline SVG bars
  function tally(column) {
    var counts = {};
    hosts.forEach(function (h) {
      var v = column === "status" ? status(h) : C[column][h[H[column]]], k = v === null ? "unknown" : String(v);
      counts[k] = (counts[k] || 0) + 1;
    });
    return Object.keys(counts).map(function (k) { return [k, counts[k]]; }).sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
  }
  function chart(title, column) {
    var items = tally(column), top = items.slice(0, 6), rest = items.slice(6);
    if (rest.length) { top.push(["other (" + rest.length + ")", rest.reduce(function (s, i) { return s + i[1]; }, 0)]); }
    var max = Math.max.apply(null, top.map(function (i) { return i[1]; }).concat([1]));
    var width = 280, bar = 16, svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", width); svg.setAttribute("height", top.length * (bar + 4));
    svg.setAttribute("role", "img"); svg.setAttribute("aria-label", title);
    top.forEach(function (item, i) {
      var rect = document.createElementNS(NS, "rect"), text = document.createElementNS(NS, "text");
      rect.setAttribute("x", 0); rect.setAttribute("y", i * (bar + 4));
      rect.setAttribute("width", Math.max(1, Math.round(item[1] / max * 120))); rect.setAttribute("height", bar);
      rect.setAttribute("fill", COLORS[item[0]] || "#8ab");
      text.setAttribute("x", 126); text.setAttribute("y", i * (bar + 4) + bar - 4); text.setAttribute("font-size", "12");
      text.textContent = item[1] + "  " + (item[0].length > 26 ? item[0].slice(0, 25) + "\\u2026" : item[0]);
      var tip = document.createElementNS(NS, "title"); tip.textContent = item[0] + ": " + item[1];
      rect.appendChild(tip); svg.appendChild(rect); svg.appendChild(text);
    });
    var figure = el("figure", {"data-chart": column});
    figure.appendChild(el("figcaption", {}, title));
    figure.appendChild(svg);
    $("charts").appendChild(figure);
  }
  chart("status", "status"); chart("backend", "backend"); chart("kernel release", "kernel"); chart("guest CPU level", "level");

  // ---- causes and drift
  var GROUPS_SHOWN = 12;
  function renderGroups(all) {
    var list = document.querySelector("#groups ul");
    list.textContent = "";
    $("groups-none").style.display = V.groups.length ? "none" : "";
    V.groups.slice(0, all ? V.groups.length : GROUPS_SHOWN).forEach(function (g, i) {
      var item = el("li", {"data-group": i, "class": g.status});
      var button = el("button", {"class": "link", type: "button", title: "show these hosts"}, g.cause);
      button.addEventListener("click", function () { $("f-group").value = String(i); filter(); });
      item.appendChild(el("b", {}, g.count + (g.count === 1 ? " host:" : " hosts:")));
      item.appendChild(button);
      list.appendChild(item);
    });
    var more = V.groups.length - GROUPS_SHOWN;
    $("groups-all").style.display = more > 0 ? "" : "none";
    $("groups-all").textContent = all ? "show fewer" : "show " + more + " more causes";
  }
  var allGroups = false;
  $("groups-all").addEventListener("click", function () { allGroups = !allGroups; renderGroups(allGroups); });
  renderGroups(false);
  var LABEL = {kernel: "kernel", backend: "backend", caps: "capability set", parameters: "module parameter"};
  (function () {
    var d = V.drift, m = d.majority, usual = [];
    if (m.kernel) { usual.push("kernel " + m.kernel); }
    if (m.backend) { usual.push("backend " + m.backend); }
    if (m.caps) { usual.push("capability set " + m.caps + " (" + m.caps_count + " capabilities)"); }
    if (m.parameters) {
      var params = m.parameters.split(" ");
      usual.push(params.slice(0, 4).join(" ") + (params.length > 4 ? " and " + (params.length - 4) + " more module parameters" : ""));
    }
    var drifting = hosts.filter(function (h) { return h[H.drift]; }).length;
    $("drift-summary").textContent = drifting + " of " + d.judged + " judged hosts differ" +
      (usual.length ? " from the most common: " + usual.join("; ") : "") + ".";
    d.values.forEach(function (v) {
      var item = el("li", {"data-fact": v[0]});
      var button = el("button", {"class": "link", type: "button", title: "show the hosts that drift in " + LABEL[v[0]]},
                      LABEL[v[0]] + " " + v[1]);
      button.addEventListener("click", function () { $("f-drift").value = v[0]; filter(); });
      item.appendChild(el("b", {}, v[2] + (v[2] === 1 ? " host:" : " hosts:")));
      item.appendChild(button);
      document.querySelector("#drift ul").appendChild(item);
    });
  }());

  // ---- filters
  function options(id, label, entries) {
    var select = $(id);
    select.appendChild(el("option", {value: ""}, label));
    entries.forEach(function (e) { select.appendChild(el("option", {value: e[0]}, e[1])); });
  }
  function valueOptions(column) {
    var counts = C[column].map(function () { return 0; });
    hosts.forEach(function (h) { counts[h[H[column]]] += 1; });
    return C[column].map(function (v, i) { return [String(i), show(v) + " (" + counts[i] + ")", counts[i]]; })
      .sort(function (a, b) { return b[2] - a[2]; });
  }
  options("f-status", "all", V.statuses.map(function (s, i) { return [String(i), s + " (" + V.counts[s] + ")"]; }));
  options("f-backend", "all", valueOptions("backend"));
  options("f-kernel", "all", valueOptions("kernel"));
  options("f-level", "all", valueOptions("level"));
  options("f-pool", "all", valueOptions("pool"));
  options("f-drift", "all", [["any", "any drift"]].concat(Object.keys(V.drift.bits).map(function (f) {
    return [f, LABEL[f] + " (" + (V.drift.counts[f] || 0) + ")"];
  })));
  options("f-group", "all", V.groups.map(function (g, i) {
    return [String(i), g.count + ": " + (g.cause.length > 60 ? g.cause.slice(0, 59) + "\\u2026" : g.cause)];
  }));
  function filter() {
    var text = $("text").value.toLowerCase(), want = {};
    ["status", "backend", "kernel", "level", "pool"].forEach(function (k) {
      var v = $("f-" + k).value; if (v !== "") { want[k] = Number(v); }
    });
    var driftSel = $("f-drift").value, bit = driftSel === "any" ? -1 : (V.drift.bits[driftSel] || 0);
    var group = $("f-group").value === "" ? null : $("f-group").value;
    var keys = Object.keys(want);
    shown = hosts.filter(function (h) {
      for (var i = 0; i < keys.length; i++) { if (h[H[keys[i]]] !== want[keys[i]]) { return false; } }
      if (driftSel && !(bit < 0 ? h[H.drift] : h[H.drift] & bit)) { return false; }
      if (group !== null && !sets[h[H.checks]].groups[group]) { return false; }
      return !text || h[H.name].toLowerCase().indexOf(text) >= 0 || reason(h).toLowerCase().indexOf(text) >= 0;
    });
    if (sortKey !== null) { sortRows(); }
    var active = keys.length + (driftSel ? 1 : 0) + (group !== null ? 1 : 0) + (text ? 1 : 0);
    $("reset").textContent = active ? "clear " + active + " filter" + (active > 1 ? "s" : "") : "clear filters";
    page = 0;
    render();
  }
  $("text").addEventListener("input", filter);
  ["status", "backend", "kernel", "level", "pool", "drift", "group"].forEach(function (k) {
    $("f-" + k).addEventListener("change", filter);
  });
  $("reset").addEventListener("click", function () {
    $("text").value = "";
    document.querySelectorAll("#controls select").forEach(function (s) { s.value = ""; });
    filter();
  });

  // ---- the table: sortable headers, rows rendered a page at a time
  var COLS = [["host", function (h) { return h[H.name]; }], ["status", function (h) { return h[H.status]; }],
    ["reason", reason], ["backend", function (h) { return show(C.backend[h[H.backend]]); }],
    ["kernel", function (h) { return show(C.kernel[h[H.kernel]]); }],
    ["guest CPU", function (h) { return show(C.level[h[H.level]]); }],
    ["pool", function (h) { return show(C.pool[h[H.pool]]); }]];
  var head = el("tr");
  COLS.forEach(function (col, i) { head.appendChild(headCell(el("th", {"data-sort": i, title: "sort by " + col[0]}, col[0]), i)); });
  V.requirements.forEach(function (r, i) {
    var th = el("th", {"class": "req", title: r, "data-sort": "r" + i});
    th.appendChild(el("div", {}, r.replace(/^profile /, "").replace(/KVM_CAP_/g, "")));  // the full name is the title
    head.appendChild(headCell(th, "r" + i));
  });
  document.querySelector("#matrix thead").appendChild(head);
  function headCell(th, key) {
    th.addEventListener("click", function () {
      sortDir = sortKey === key ? -sortDir : 1;
      sortKey = key;
      document.querySelectorAll("#matrix th").forEach(function (t) { t.classList.remove("sorted"); });
      th.classList.add("sorted");
      sortRows(); page = 0; render();
    });
    return th;
  }
  function sortRows() {
    var get;
    if (typeof sortKey === "string") {
      var req = Number(sortKey.slice(1));
      get = function (h) { var s = sets[h[H.checks]].state[req]; return s === "fail" ? 0 : s === "pass" ? 3 : s === "warn" ? 2 : 1; };
    } else { get = COLS[sortKey][1]; }
    var keyed = shown.map(function (h, i) { return [get(h), i, h]; });
    keyed.sort(function (a, b) { return (a[0] < b[0] ? -sortDir : a[0] > b[0] ? sortDir : a[1] - b[1]); });
    shown = keyed.map(function (k) { return k[2]; });
  }
  function render() {
    var body = document.querySelector("#matrix tbody"), pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.max(0, Math.min(page, pages - 1));
    $("page").textContent = " page " + (page + 1) + " of " + pages + " (" + shown.length + " hosts) ";
    var fragment = document.createDocumentFragment();
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (h) {
      var st = status(h), info = sets[h[H.checks]];
      var row = el("tr", {"data-host": h[H.name], "data-status": st});
      var name = el("td", {"class": "host"});
      var link = el("button", {"class": "link", type: "button"}, h[H.name]);
      link.addEventListener("click", function () { detail(h); });
      name.appendChild(link);
      row.appendChild(name);
      row.appendChild(el("td", {"class": st}, st));
      row.appendChild(el("td", {"class": "reason", title: info.reason}, info.reason));
      [["backend", 2], ["kernel", 1], ["level", 0], ["pool", 0]].forEach(function (c) {
        var bit = c[0] === "backend" ? V.drift.bits.backend : c[0] === "kernel" ? V.drift.bits.kernel : 0;
        row.appendChild(el("td", {"class": bit && (h[H.drift] & bit) ? "drift" : ""}, show(C[c[0]][h[H[c[0]]]])));
      });
      V.requirements.forEach(function (r, i) {
        var s = info.state[i], cls = !s ? "none" : s === "pass" || s === "warn" ? s : (st === "pass" || st === "fail") ? "fail" : st;
        row.appendChild(el("td", {"class": cls, "data-requirement": r},
                           !s ? "" : s === "pass" ? "\\u2713" : s === "warn" ? "\\u26a0" : "\\u2717"));
      });
      fragment.appendChild(row);
    });
    body.textContent = "";
    body.appendChild(fragment);
  }
  function detail(h) {
    var box = $("detail"), info = C.facts[h[H.facts]] || {}, index = hosts.indexOf(h);
    box.textContent = "";
    box.style.display = "block";
    box.appendChild(el("h2", {}, h[H.name] + " \\u2014 " + status(h)));
    var facts = el("p");
    facts.textContent = ["backend " + show(C.backend[h[H.backend]]), "kernel " + show(C.kernel[h[H.kernel]]),
      "guest CPU " + show(C.level[h[H.level]]), "pool " + show(C.pool[h[H.pool]]),
      "capability set " + show(C.caps[h[H.caps]]), "parameters " + show(C.params[h[H.params]])].concat(
      Object.keys(info).map(function (k) { return k + " " + JSON.stringify(info[k]); })).join("; ");
    box.appendChild(facts);
    if (h[H.drift]) {
      box.appendChild(el("p", {"class": "drift"}, "Drifts from the fleet in: " + Object.keys(V.drift.bits).filter(
        function (f) { return h[H.drift] & V.drift.bits[f]; }).map(function (f) { return LABEL[f]; }).join(", ")));
    }
    var table = el("table"), top = el("tr");
    ["requirement", "ok", "expected", "actual", "message"].forEach(function (t) { top.appendChild(el("th", {}, t)); });
    table.appendChild(top);
    V.checksets[h[H.checks]].forEach(function (id) {
      var c = V.checks[id], state = c[1] === 1 ? "pass" : c[1] === 2 ? "warn" : "fail";
      var tr = el("tr", {"class": state});
      [V.requirements[c[0]], state === "pass" ? "\\u2713" : state === "warn" ? "\\u26a0 warn" : "\\u2717",
       JSON.stringify(c[2]), JSON.stringify(c[3]), c[4] || ""].forEach(
        function (t) { tr.appendChild(el("td", {}, t)); });
      table.appendChild(tr);
    });
    box.appendChild(table);
    (V.notes[index] || []).forEach(function (n) { box.appendChild(el("p", {}, n)); });
    box.scrollIntoView();
  }
  $("first").addEventListener("click", function () { page = 0; render(); });
  $("prev").addEventListener("click", function () { page -= 1; render(); });
  $("next").addEventListener("click", function () { page += 1; render(); });
  $("last").addEventListener("click", function () { page = 1e9; render(); });
  render();
  // For tests and benchmarks: when the first screen was ready, and where the controls and headers are.
  function box(node) { var r = node.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
  document.body.setAttribute("data-layout", JSON.stringify({
    controls: box($("controls")), pager: box($("pager")), thead: box(document.querySelector("#matrix thead")),
    headers: Array.prototype.map.call(document.querySelectorAll("#matrix th"), box),
    labels: Array.prototype.map.call(document.querySelectorAll("#matrix th.req div"), box)}));
  document.body.setAttribute("data-rendered-ms", String(Math.round(performance.now())));
}());
</script>
</body></html>
"""
