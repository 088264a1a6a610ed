# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet reports from verdicts: fleet.json, junit.xml, fleet.md and fleet.html.

The reports only present what the evaluator decided; they judge nothing anew.
Every input is checked: a host without a verdict, a verdict of another schema
or a name that is not valid UTF-8 becomes a record with a clear message, and
no other host's result is lost. Files are written atomically.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_requirements import (
    VERDICT_SCHEMA_VERSION, no_facts_verdict)

FLEET_SCHEMA = "fleetcheck.kvm/fleet"
FLEET_SCHEMA_VERSION = 1
STATUS_ORDER = ("fail", "unreachable", "no_facts", "pass")  # failing hosts first
FORMATS = ("json", "junit", "markdown", "html")
FILENAMES = {"json": "fleet.json", "junit": "junit.xml", "markdown": "fleet.md", "html": "fleet.html"}
_XML_INVALID = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_text(value):
    """Text that every report format can carry: undecodable bytes and lone surrogates become U+FFFD."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = value if isinstance(value, str) else str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def normalize_verdict(host, verdict):
    """A well-formed verdict for host, or a 'no_facts' one that says what was wrong with it."""
    name = safe_text(host)
    note = "" if name == host else " (the inventory name is not valid UTF-8)"
    if verdict is None:
        return no_facts_verdict(name, "the audit reached no verdict for this host%s: it was not judged, "
                                      "e.g. because the play stopped before the role ran" % note)
    if not isinstance(verdict, dict):
        return no_facts_verdict(name, "the verdict of this host is a %s, not a mapping" % type(verdict).__name__)
    if verdict.get("schema_version") != VERDICT_SCHEMA_VERSION:
        return no_facts_verdict(name, "the verdict of this host has schema version %r, this collection reads %d: "
                                      "re-run the audit with this version of fleetcheck.kvm"
                                % (verdict.get("schema_version"), VERDICT_SCHEMA_VERSION))
    checks = verdict.get("checks")
    if verdict.get("status") not in STATUS_ORDER or not isinstance(checks, list) or not all(
            isinstance(c, dict) and "requirement" in c and "ok" in c for c in checks):
        return no_facts_verdict(name, "the verdict of this host is malformed (status %r, checks %s)"
                                % (verdict.get("status"), type(checks).__name__))
    record = dict(verdict)
    record["host"] = name
    record["checks"] = [dict(c, requirement=safe_text(c["requirement"]),
                             message=None if c.get("message") is None else safe_text(c["message"])) for c in checks]
    record["failures"] = [safe_text(f) for f in verdict.get("failures") or []]
    if note:
        record["failures"].append("note: the inventory name of this host is not valid UTF-8")
    return record


def build_fleet(hosts, verdicts, generated_at, title="KVM fleet audit"):
    """The fleet document: one record per host, in inventory order, and the counts."""
    records = [normalize_verdict(host, verdicts.get(host)) for host in hosts]
    counts = dict((status, 0) for status in STATUS_ORDER)
    for record in records:
        counts[record["status"]] += 1
    requirements = []
    seen = set()
    for record in records:
        for check in record["checks"]:
            if check["requirement"] not in seen:
                seen.add(check["requirement"])
                requirements.append(check["requirement"])
    return {"schema": FLEET_SCHEMA, "schema_version": FLEET_SCHEMA_VERSION, "title": title,
            "generated_at": generated_at, "counts": dict(counts, total=len(records)),
            "requirements": requirements, "hosts": records}


def failing_first(records):
    return sorted(records, key=lambda r: (STATUS_ORDER.index(r["status"]), r["host"]))


# ------------------------------------------------------------- renderers ----

def render_json(fleet):
    return json.dumps(fleet, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _xml_text(value):
    return _XML_INVALID.sub(u"\ufffd", safe_text(value if value is not None else ""))


def render_junit(fleet):
    """JUnit XML: a testsuite per host, a testcase per requirement; unreachable hosts are errors."""
    suites = ET.Element("testsuites", name=fleet["title"])
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for record in fleet["hosts"]:
        error = record["status"] in ("unreachable", "no_facts")
        suite = ET.SubElement(suites, "testsuite", name=_xml_text(record["host"]), timestamp=fleet["generated_at"])
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for check in record["checks"]:
            case = ET.SubElement(suite, "testcase", classname="kvm." + _xml_text(record["host"]),
                                 name=_xml_text(check["requirement"]))
            counts["tests"] += 1
            if not check["ok"]:
                kind = "error" if error else "failure"
                counts["errors" if error else "failures"] += 1
                element = ET.SubElement(case, kind, message=_xml_text(check["message"]), type=record["status"])
                element.text = _xml_text("expected: %s\nactual: %s\n%s" % (
                    check.get("expected"), check.get("actual"), check["message"]))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _md(value):
    return safe_text(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(fleet):
    """A summary for a change ticket: counts, failing hosts first with every reason, then the rest."""
    counts = fleet["counts"]
    lines = ["# %s" % fleet["title"], "", "Generated %s." % fleet["generated_at"], "",
             "| hosts | pass | fail | unreachable | no facts |", "|---:|---:|---:|---:|---:|",
             "| %d | %d | %d | %d | %d |" % tuple(counts[k] for k in ("total", "pass", "fail", "unreachable", "no_facts")),
             ""]
    bad = [r for r in failing_first(fleet["hosts"]) if r["status"] != "pass"]
    if bad:
        lines += ["## Hosts that need action", "", "| host | status | reason |", "|---|---|---|"]
        for record in bad:
            lines.extend("| %s | %s | %s |" % (_md(record["host"]), record["status"], _md(reason))
                         for reason in record["failures"] or ["(no reason recorded)"])
        lines.append("")
    good = [r["host"] for r in fleet["hosts"] if r["status"] == "pass"]
    lines += ["## Hosts that pass (%d)" % len(good), ""]
    lines.append(", ".join(_md(h) for h in good) if good else "None.")
    lines.append("")
    return "\n".join(lines)


def render_html(fleet):
    """One self-contained page: the data as JSON, rendered by inline script, paged so thousands of hosts stay fast."""
    data = json.dumps(fleet, sort_keys=True, ensure_ascii=True).replace("</", "<\\/")
    return _HTML_TEMPLATE.replace("__TITLE__", _html_escape(fleet["title"])).replace("__DATA__", data)


def _html_escape(text):
    return safe_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


RENDERERS = {"json": render_json, "junit": render_junit, "markdown": render_markdown, "html": render_html}


def write_reports(directory, fleet, formats=FORMATS):
    """Write each report atomically (temporary file, fsync, rename). Returns {format: path}."""
    if not os.path.isdir(directory):
        os.makedirs(directory)
    paths = {}
    for fmt in formats:
        path = os.path.join(directory, FILENAMES[fmt])
        handle, temporary = tempfile.mkstemp(prefix="." + FILENAMES[fmt] + ".", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(RENDERERS[fmt](fleet).encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)
            os.rename(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        paths[fmt] = path
    return paths


_HTML_TEMPLATE = u"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
#counts span{display:inline-block;margin-right:1em;padding:.2em .6em;border-radius:4px;background:#eee}
#controls{margin:1em 0}#controls input{width:20em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:center}
th.req{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;max-height:14em;white-space:nowrap}
td.host{text-align:left;cursor:pointer;color:#04c;white-space:nowrap}
td.pass{background:#cfc}td.fail{background:#f99}td.unreachable{background:#ccc}td.no_facts{background:#fd9}
td.none{background:#fff}
#detail{margin-top:1em;padding:.6em;border:1px solid #888;display:none}
#detail li.fail{color:#a00}
</style></head><body>
<h1>__TITLE__</h1>
<div id="generated"></div>
<div id="counts"></div>
<div id="controls">
<input id="filter" placeholder="filter hosts by name or reason">
<select id="status"><option value="">all statuses</option><option>fail</option><option>unreachable</option>
<option>no_facts</option><option>pass</option></select>
<button id="prev">&lt;</button><span id="page"></span><button id="next">&gt;</button>
</div>
<table id="matrix"><thead></thead><tbody></tbody></table>
<div id="detail"></div>
<script type="application/json" id="fleet-data">__DATA__</script>
<script>
(function () {
  "use strict";
  var fleet = JSON.parse(document.getElementById("fleet-data").textContent);
  var order = {fail: 0, unreachable: 1, no_facts: 2, pass: 3};
  var hosts = fleet.hosts.slice().sort(function (a, b) {
    return (order[a.status] - order[b.status]) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
  });
  var PAGE = 200, page = 0, shown = hosts;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  document.getElementById("generated").textContent = "Generated " + fleet.generated_at;
  var counts = document.getElementById("counts");
  ["total", "pass", "fail", "unreachable", "no_facts"].forEach(function (k) {
    counts.appendChild(el("span", {id: "count-" + k}, k + ": " + fleet.counts[k]));
  });
  var head = el("tr");
  head.appendChild(el("th", {}, "host"));
  head.appendChild(el("th", {}, "status"));
  fleet.requirements.forEach(function (r) { head.appendChild(el("th", {"class": "req", title: r}, r)); });
  document.querySelector("#matrix thead").appendChild(head);
  function render() {
    var body = document.querySelector("#matrix tbody");
    body.textContent = "";
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    document.getElementById("page").textContent = " page " + (page + 1) + " of " + pages + " (" + shown.length + " hosts) ";
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (h) {
      var row = el("tr", {"data-host": h.host, "data-status": h.status});
      var name = el("td", {"class": "host"}, h.host);
      name.addEventListener("click", function () { detail(h); });
      row.appendChild(name);
      row.appendChild(el("td", {"class": h.status}, h.status));
      var byReq = {};
      h.checks.forEach(function (c) { byReq[c.requirement] = c; });
      fleet.requirements.forEach(function (r) {
        var c = byReq[r], cls = !c ? "none" : c.ok ? "pass" : (h.status === "pass" || h.status === "fail") ? "fail" : h.status;
        var cell = el("td", {"class": cls, "data-requirement": r, title: c ? (c.message || "ok") : "not judged"},
                      !c ? "" : c.ok ? "\\u2713" : "\\u2717");
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }
  function detail(h) {
    var box = document.getElementById("detail");
    box.textContent = "";
    box.style.display = "block";
    box.appendChild(el("h2", {}, h.host + " \\u2014 " + h.status));
    var list = el("ul");
    h.checks.forEach(function (c) {
      list.appendChild(el("li", {"class": c.ok ? "pass" : "fail"}, c.requirement + ": expected " +
        JSON.stringify(c.expected) + ", actual " + JSON.stringify(c.actual) + (c.ok ? "" : " \\u2014 " + c.message)));
    });
    box.appendChild(list);
  }
  function filter() {
    var text = document.getElementById("filter").value.toLowerCase();
    var status = document.getElementById("status").value;
    shown = hosts.filter(function (h) {
      return (!status || h.status === status) && (!text || h.host.toLowerCase().indexOf(text) >= 0 ||
        h.failures.join(" ").toLowerCase().indexOf(text) >= 0);
    });
    page = 0;
    render();
  }
  document.getElementById("filter").addEventListener("input", filter);
  document.getElementById("status").addEventListener("change", filter);
  document.getElementById("prev").addEventListener("click", function () { page = Math.max(0, page - 1); render(); });
  document.getElementById("next").addEventListener("click", function () { page += 1; render(); });
  render();
}());
</script>
</body></html>
"""
