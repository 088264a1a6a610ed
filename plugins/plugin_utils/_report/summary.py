# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the audit prints at its end: the counts, the root causes and their fixes, the warnings, the guest
CPU levels, where the reports are and how to see the full facts. A few dozen lines for any fleet.

Plain text for a console: every line is escaped for a terminal (no control characters from a host).
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.changes import summary_lines
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import REPORT_TEXT_MAX
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.windows import windows_view
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import truncate, safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet

MAX_CAUSES = 10
MAX_NAMES = 5
_CONTROL = re.compile(u"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(value: object) -> str:
    return truncate(_CONTROL.sub(u"\ufffd", safe_text(value)), REPORT_TEXT_MAX, " in fleet.json")


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return "%d %s" % (count, word if count == 1 else plural or word + "s")


def _names(hosts: list[str]) -> str:
    shown = ", ".join(_text(h) for h in hosts[:MAX_NAMES])
    return shown + (" and %d more" % (len(hosts) - MAX_NAMES) if len(hosts) > MAX_NAMES else "")


def _model_lines(view: object) -> list[str]:
    """The CPU model to start guests with: the whole fleet's, else each pool's (the configurations are in fleet.md)."""
    if not isinstance(view, dict) or not isinstance(view.get("common"), dict):
        return []
    config = view["common"].get("config")
    if isinstance(config, dict):
        # every host whose KVM gave a guest CPU: a host without KVM has no model to run guests with
        pooled = sorted(set(h for p in view.get("pools") or () if isinstance(p, dict)
                            for h in p.get("hosts") or () if isinstance(h, str)))
        excluded = sorted(h for h in (view.get("excluded") or {}) if isinstance(h, str)) \
            if isinstance(view.get("excluded"), dict) else []
        return [u"Guest CPU model for every host with KVM (%s): %s (-cpu %s,enforce; libvirt, Nova and KubeVirt in "
                u"fleet.md)" % (_plural(len(pooled), "host"), _text(config["model"]), _text(config["model"]))] + \
            ([u"  64-bit guests: %s" % _text(config["note"])] if config.get("note") else []) + \
            ([u"  no guest CPU on %s" % _names(excluded)] if excluded else [])
    pools = [p for p in view.get("pools") or () if isinstance(p, dict) and isinstance(p.get("config"), dict)]
    if not pools:
        return []
    return [u"Guest CPU model per migration pool (no model runs on every host): %s" % "; ".join(
        "%s on %s" % (_text(p["config"]["model"]), _names(p["hosts"])) for p in pools[:MAX_NAMES])
        + (" and %d more pools" % (len(pools) - MAX_NAMES) if len(pools) > MAX_NAMES else "")]


def _cause_lines(groups: list[dict[str, Any]], marker: str) -> list[str]:
    lines = []
    for group in groups[:MAX_CAUSES]:
        blocked = group.get("blocked") or 0
        lines.append(u"  %s %s [%s] %s%s" % (marker, _plural(group["count"], "host"), _text(group.get("code") or
                                                                                            group["requirement"]),
                                             _text(group["cause"]),
                                             " (blocks %s)" % _plural(blocked, "check") if blocked else ""))
        lines.append(u"      on: %s" % _names(group["hosts"]))
    if len(groups) > MAX_CAUSES:
        lines.append(u"  and %d more cause%s (see the reports)" % (len(groups) - MAX_CAUSES,
                                                                   "" if len(groups) - MAX_CAUSES == 1 else "s"))
    return lines


def _windows_lines(fleet: Fleet) -> list[str]:
    """One line: on how many hosts a Windows guest of each VMM's profile starts, and, where none does, what they lack."""
    view = windows_view(fleet)
    if not view:
        return []
    judged = dict((name, entry["can"] + sum(len(h) for h in entry["cannot"].values())) for name, entry in view.items())
    said = ["%s on %d of %d" % (name, entry["can"], judged[name]) for name, entry in view.items()]
    line = u"Windows guests, with the Hyper-V enlightenments each VMM turns on, start: %s hosts" % ", ".join(said)
    common = view.get("windows")
    if common and common["cannot"] and not common["can"]:
        lacking = sorted(common["cannot"].items(), key=lambda kv: -len(kv[1]))[0][0]
        line += u"; no host gives even the common set (lacking %s)%s" % (_text(lacking), u": %s" % _text(
            common["why"][lacking]) if lacking in common["why"] else u"")
    return [line]


def render_summary(fleet: Fleet, paths: dict[str, str], written: bool = True) -> list[str]:
    """The summary as a list of lines."""
    counts = fleet["counts"]
    lines = [u"%s: %s: %d pass, %d fail, %d unreachable, %d without facts%s" % (
        _text(fleet["title"]), _plural(counts["total"], "host"), counts["pass"], counts["fail"], counts["unreachable"],
        counts["no_facts"], "; %s with warnings" % _plural(fleet["warned"], "host") if fleet.get("warned") else "")]
    lines.extend(_text(line) for line in summary_lines(fleet.get("changes")))
    if fleet.get("groups"):
        lines.append(u"Root causes, the most hosts first (each line: what is wrong; what to do):")
        lines.extend(_cause_lines(fleet["groups"], u"\u2717"))
    if fleet.get("warnings"):
        lines.append(u"Warnings (reported, not gating):")
        lines.extend(_cause_lines(fleet["warnings"], u"\u26a0"))
    levels: dict[str, list[str]] = {}
    for record in fleet["hosts"]:
        level = (record.get("summary") or {}).get("guest_cpu_level")
        if record["status"] in ("pass", "fail"):
            levels.setdefault(level or "not gathered", []).append(record["host"])
    if levels:
        lines.append(u"Guest CPU level: %s" % "; ".join(
            "%s on %s" % (_text(level), _names(hosts)) for level, hosts in sorted(levels.items(), key=lambda kv: str(kv[0]))))
    lines.extend(_model_lines(fleet.get("guest_cpu")))
    lines.extend(_windows_lines(fleet))
    if written:
        lines.append(u"Reports: %s" % ", ".join(_text(paths[f]) for f in sorted(paths)))
    else:
        lines.append(u"No report was written (check mode); they would be: %s" % ", ".join(
            _text(paths[f]) for f in sorted(paths)))
    lines.append(u"Full facts of a host: ansible HOST -m fleetcheck.kvm.kvm_facts; every verdict and check: fleet.json.")
    return lines
