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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import json
import os

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import failing_first
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import STATUSES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import truncate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import REPORT_TEXT_MAX, html, script_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.triage import cause_of
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import (
    DRIFT_FACTS, drift_by_value, flat_parameters)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.changes import html_section as changes_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.cpu import html_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.windows import html_section as windows_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet

VIEW_SCHEMA = "fleetcheck.kvm/fleet-html"
VALUE_COLUMNS = ("backend", "kernel", "level", "pool", "params", "caps", "facts")  # interned: rows hold indexes
# A host row's fields in order. The page reads each field's position from the embedded data ("fields"),
# so a new column is one name here, its value in build_view, and its cell in fleet.html.
ROW_FIELDS = ("name", "status") + VALUE_COLUMNS + ("checks", "drift")
DRIFT_BITS = dict((fact, 1 << index) for index, fact in enumerate(DRIFT_FACTS))
MAX_DRIFT_VALUES = 50
_FACT_KEYS = ("arch", "usable", "api_version", "vcpu_run", "nr_vcpus", "max_vcpus", "caps_count")


class _Interner:
    """Values stored once, referenced by index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def add(self, key: Any, value: Any = None) -> int:
        try:
            found = self._index.get(key)
        except TypeError:  # an unhashable expected/actual (a list or a mapping)
            key = json.dumps(key, sort_keys=True, default=str)
            found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.values)
            self.values.append(key if value is None else value)
        return found


def _facts_key(summary: Mapping[str, Any]) -> tuple[Any, ...]:
    profiles = summary.get("profiles_met")
    return tuple(summary.get(k) for k in _FACT_KEYS) + (tuple(profiles) if isinstance(profiles, list) else None,)


def _facts(key: Any) -> dict[str, Any]:
    """The few other facts of the detail view, from their interned key."""
    if not isinstance(key, tuple):  # a malformed summary, interned as text
        return {}
    facts = dict((k, v) for k, v in zip(_FACT_KEYS, key) if v is not None)
    if key[-1] is not None:
        facts["profiles_met"] = list(key[-1])
    return facts


def build_view(fleet: Fleet) -> dict[str, Any]:
    """The compact form of the fleet that the page embeds."""
    requirements = dict((r, i) for i, r in enumerate(fleet["requirements"]))
    statuses = dict((s, i) for i, s in enumerate(STATUSES))
    groups = fleet.get("groups") or []
    group_of: dict[tuple[str, str, str | None, str], int] = {}  # (host, requirement, code, cause) -> group index
    for index, group in enumerate(groups):
        for host in group["hosts"]:
            group_of[(host, group["requirement"], group.get("code"), group["cause"])] = index
    drift = fleet.get("drift") or {"hosts": [], "majority": {}, "counts": {}, "judged": 0}
    masks: dict[str, int] = {}
    for entry in drift["hosts"]:
        masks[entry["host"]] = sum(DRIFT_BITS[fact] for fact in entry["differs"])
    columns = dict((name, _Interner()) for name in VALUE_COLUMNS)
    checks, checksets = _Interner(), _Interner()
    notes: dict[int, list[Any]] = {}
    known_sets: dict[tuple[Any, ...], int] = {}  # the checks of a host, as a tuple -> checkset index: most hosts share one
    rows: list[list[Any]] = []
    for record in failing_first(fleet["hosts"]):
        host, summary = record["host"], record.get("summary") or {}
        found = []
        failing = 0
        for check in record["checks"]:
            # 1 met, 0 a root cause (unmet and gating), 2 unmet of severity warn (reported, not gating),
            # 3 not judged (blocked by a root cause)
            ok = 1 if check["ok"] else 3 if check.get("blocked_by") else 2 if check.get("severity") == "warn" else 0
            group = -1 if ok else group_of.get((host, check["requirement"], check.get("code") or check["requirement"],
                                                cause_of(check.get("message") or "(no reason recorded)", host)), -1)
            failing += ok == 0
            found.append((check["requirement"], check.get("expected"), check.get("actual"), ok, check.get("message"),
                         group))
        keys = tuple(found)
        try:
            checkset = known_sets.get(keys)
        except TypeError:  # an unhashable expected/actual: intern check by check
            checkset = None
        if checkset is None:
            ids = [checks.add(k, [requirements[k[0]], k[3], k[1], k[2], _capped(k[4]), k[5]]) for k in keys]
            checkset = checksets.add(tuple(ids), ids)
            try:
                known_sets[keys] = checkset
            except TypeError:
                pass
        if len(record["failures"]) > failing:  # notes beyond the checks, e.g. about the inventory name
            notes[len(rows)] = [_capped(note) for note in record["failures"][failing:]]
        params = " ".join("%s=%s" % kv for kv in sorted(flat_parameters(summary.get("parameters")).items())) or None
        fields = {"name": host, "status": statuses[record["status"]], "checks": checkset, "drift": masks.get(host, 0),
                  "backend": summary.get("backend"), "kernel": summary.get("kernel"),
                  "level": summary.get("guest_cpu_level"), "pool": summary.get("guest_cpu_pool"), "params": params,
                  "caps": summary.get("caps"), "facts": _facts_key(summary)}
        rows.append([columns[f].add(fields[f]) if f in columns else fields[f] for f in ROW_FIELDS])
    majority = dict(drift["majority"])
    if isinstance(majority.get("parameters"), dict):
        majority["parameters"] = " ".join("%s=%s" % kv for kv in sorted(majority["parameters"].items()))
    return {"schema": VIEW_SCHEMA, "title": fleet["title"], "generated_at": fleet["generated_at"],
            "counts": fleet["counts"], "statuses": list(STATUSES), "requirements": fleet["requirements"],
            "columns": dict((name, [_facts(v) for v in interner.values] if name == "facts" else interner.values)
                            for name, interner in columns.items()),
            "checks": checks.values, "checksets": checksets.values, "notes": notes,
            "groups": [dict((k, _capped(g.get(k)) if k == "cause" else g.get(k))
                            for k in ("cause", "code", "requirement", "status", "count", "blocked")) for g in groups],
            "warned": fleet.get("warned") or 0,
            "warnings": [dict((k, _capped(g.get(k)) if k == "cause" else g.get(k))
                              for k in ("cause", "code", "requirement", "count")) for g in fleet.get("warnings") or []],
            "drift": {"judged": drift["judged"], "majority": majority, "counts": drift["counts"],
                      "bits": DRIFT_BITS, "values": [[fact, value, len(hosts)] for fact, value, hosts
                                                     in drift_by_value(drift)[:MAX_DRIFT_VALUES]]},
            "fields": list(ROW_FIELDS), "hosts": rows}


def _capped(text: Any) -> Any:
    """A host's text as the page shows it (as text, never as markup: the script sets textContent)."""
    return text if not isinstance(text, str) else truncate(text, REPORT_TEXT_MAX, " in fleet.json")


def template() -> str:
    """The page (fleet.html beside this file): HTML, CSS and the script that renders the embedded data."""
    if not _TEMPLATE:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fleet.html"), "rb") as handle:
            _TEMPLATE.append(handle.read().decode("utf-8"))
    return _TEMPLATE[0]


_TEMPLATE: list[str] = []


def render_html(fleet: Fleet) -> str:
    title = html(fleet["title"])
    head, rest = template().split("__TITLE__", 1)
    middle, rest = rest.split("__TITLE__", 1)
    counts, rest = rest.split("__CHANGES__", 1)
    panels, rest = rest.split("__GUEST_CPU__", 1)
    before, after = rest.split("__DATA__", 1)
    return "".join([head, title, middle, title, counts, changes_section(fleet.get("changes")), panels,
                    html_section(fleet.get("guest_cpu")) + windows_section(fleet), before, script_json(build_view(fleet)), after])
