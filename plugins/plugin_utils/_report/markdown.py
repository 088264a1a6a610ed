# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.md: short enough to paste into a ticket, whatever the size of the fleet.

Counts, then the causes with their host counts, then the drift, then the hosts that need action
and those that pass. Every list is capped ("and 402 more"); fleet.json has everything.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import drift_by_value
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import failing_first
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.changes import markdown_section as changes_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.cpu import markdown_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.windows import markdown_section as windows_section
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import markdown, markdown_code
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet

MAX_GROUPS = 15  # causes listed
MAX_NAMES = 8  # host names shown per cause or drift value
MAX_ROWS = 40  # hosts in the table of hosts that need action
MAX_PASSING = 40  # names of passing hosts
DRIFT_LABELS = {"kernel": "kernel", "backend": "backend", "caps": "capability set", "parameters": "module parameter"}


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return "%d %s" % (count, word if count == 1 else plural or word + "s")


def names(hosts: list[str], limit: int = MAX_NAMES) -> str:
    """Up to limit names, then "and K more"."""
    shown = ", ".join(markdown(h) for h in hosts[:limit])
    return shown + (" and %d more" % (len(hosts) - limit) if len(hosts) > limit else "")


def _causes(fleet: Fleet) -> list[str]:
    groups = fleet.get("groups") or []
    if not groups:
        return []
    lines = ["## Root causes", "", "What is really wrong, the most hosts first; a host with several is counted in each. "
             "Checks whose input a root cause kept from being gathered are not judged, and counted here.", ""]
    for group in groups[:MAX_GROUPS]:
        blocked = group.get("blocked") or 0
        lines.append(u"- **%s** (%s) `%s`: %s%s \u2014 %s" % (
            _plural(group["count"], "host"), group["status"], markdown_code(group.get("code") or group["requirement"]),
            markdown(group["cause"]), " (blocks %s)" % _plural(blocked, "check") if blocked else "",
            names(group["hosts"])))
    if len(groups) > MAX_GROUPS:
        rest = groups[MAX_GROUPS:]
        lines.append("- and %s more with %s (see fleet.json)" % (
            _plural(len(rest), "cause"), _plural(sum(g["count"] for g in rest), "host entry", "host entries")))
    return lines + [""]


def _warnings(fleet: Fleet) -> list[str]:
    """Unmet checks of severity warn, grouped like the causes: reported, never gating."""
    groups = fleet.get("warnings") or []
    if not groups:
        return []
    lines = [u"## Warnings (%s, not gating)" % _plural(fleet.get("warned") or 0, "host"), "",
             "Unmet checks of severity warn; they do not fail a host.", ""]
    for group in groups[:MAX_GROUPS]:
        code = u" `%s`" % markdown_code(group["code"]) if group.get("code") else ""
        lines.append(u"- \u26a0 **warn** %s%s: %s \u2014 %s" % (
            _plural(group["count"], "host"), code, markdown(group["cause"]), names(group["hosts"])))
    if len(groups) > MAX_GROUPS:
        lines.append("- and %s more (see fleet.json)" % _plural(len(groups) - MAX_GROUPS, "warning"))
    return lines + [""]


def _drift(fleet: Fleet) -> list[str]:
    drift = fleet.get("drift") or {}
    grouped = drift_by_value(drift) if drift.get("hosts") else []
    if not grouped:
        return []
    majority = drift["majority"]
    usual = ["kernel %s" % markdown(majority["kernel"])] if majority.get("kernel") else []
    usual += ["backend %s" % markdown(majority["backend"])] if majority.get("backend") else []
    if majority.get("caps"):
        usual.append("capability set %s (%s capabilities)" % (majority["caps"], majority.get("caps_count")))
    usual += ["%s=%s" % (markdown(k), markdown(v)) for k, v in sorted(majority["parameters"].items())]
    lines = ["## Drift from the fleet's majority", "",
             "%s of %s differ from the most common values: %s." % (
                 _plural(len(drift["hosts"]), "host"), _plural(drift["judged"], "judged host"), "; ".join(usual))]
    left_out = ["%s (%s)" % (DRIFT_LABELS[fact], _plural(count, "host")) for fact, count in
                sorted((drift.get("left_out") or {}).items()) if count]
    if left_out:
        lines.append("Left out, where the fact was not gathered: %s." % ", ".join(left_out))
    lines.append("")
    for fact, value, hosts in grouped[:MAX_GROUPS]:
        lines.append(u"- **%s** with %s %s \u2014 %s" % (
            _plural(len(hosts), "host"), DRIFT_LABELS[fact], markdown(value), names(hosts)))
    if len(grouped) > MAX_GROUPS:
        lines.append("- and %d more differing values (see fleet.json)" % (len(grouped) - MAX_GROUPS))
    return lines + [""]


def requirement_groups(fleet: Fleet) -> list[tuple[str, Any, list[str]]]:
    """[(set name, requirements, hosts)] when the hosts were judged with more than one set of requirements (host or
    group variables), the most hosts first; [] when every host had the same."""
    sets = fleet.get("requirement_sets") or {}
    hosts: dict[str, list[str]] = {}
    for record in fleet["hosts"]:
        name = record["summary"].get("requirements")
        if name in sets:
            hosts.setdefault(name, []).append(record["host"])
    if len(hosts) < 2:
        return []
    return sorted(((name, sets[name], names_) for name, names_ in hosts.items()), key=lambda g: (-len(g[2]), g[0]))


def _requirements(fleet: Fleet) -> list[str]:
    groups = requirement_groups(fleet)
    if not groups:
        return []
    lines = ["## Requirements per host", "", "The hosts were judged with %d sets of requirements (their own host, "
             "group and play variables); each set is what differs from the defaults." % len(groups), ""]
    for name, given, hosts in groups[:MAX_GROUPS]:
        shown = "; ".join("%s=%s" % (markdown(k), markdown(json.dumps(v, sort_keys=True))) for k, v in sorted(given.items()))
        count = _plural(len(hosts), "host")
        lines.append(u"- `%s` %s: %s — %s" % (markdown_code(name), count, shown or "the defaults", names(hosts)))
    if len(groups) > MAX_GROUPS:
        lines.append("- and %d more sets (see fleet.json)" % (len(groups) - MAX_GROUPS))
    return lines + [""]


def _needing_action(fleet: Fleet) -> list[str]:
    bad = [r for r in failing_first(fleet["hosts"]) if r["status"] != "pass"]
    if not bad:
        return []
    lines = ["## Hosts that need action (%d)" % len(bad), "", "| host | status | reason |", "|---|---|---|"]
    for record in bad[:MAX_ROWS]:
        lines.extend("| %s | %s | %s |" % (markdown(record["host"]), record["status"], markdown(reason))
                     for reason in record["failures"] or ["(no reason recorded)"])
    if len(bad) > MAX_ROWS:
        lines.append("")
        lines.append("And %d more hosts that need action (see the causes above and fleet.json)." % (len(bad) - MAX_ROWS))
    return lines + [""]


def render_markdown(fleet: Fleet) -> str:
    counts = fleet["counts"]
    lines = ["# %s" % markdown(fleet["title"]), "", "Generated %s." % fleet["generated_at"], "",
             "| hosts | pass | fail | unreachable | no facts |", "|---:|---:|---:|---:|---:|",
             "| %d | %d | %d | %d | %d |" % tuple(counts[k] for k in ("total", "pass", "fail", "unreachable", "no_facts")),
             ""]
    if fleet.get("warned"):
        lines += [u"\u26a0 %s with warnings (reported, not gating; see Warnings)." % _plural(fleet["warned"], "host"),
                  ""]
    lines += changes_section(fleet.get("changes")) + _causes(fleet) + _warnings(fleet) + _requirements(fleet)
    lines += _drift(fleet)
    lines += markdown_section(fleet.get("guest_cpu")) + windows_section(fleet) + _needing_action(fleet)
    good = [r["host"] for r in fleet["hosts"] if r["status"] == "pass"]
    lines += ["## Hosts that pass (%d)" % len(good), ""]
    lines.append(names(good, MAX_PASSING) if good else "None.")
    lines.append("")
    return "\n".join(lines)
