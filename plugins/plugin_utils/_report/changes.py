# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The changes since the previous audit, worded once (items()) and rendered for fleet.md, fleet.html and the
audit's console summary. Each list is capped; fleet.json's `changes` has everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import html, markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import safe_text

MAX_ITEMS = 25  # host changes listed per report; fleet.json has all
MAX_NAMES = 8  # names listed per item
_LABELS = (("kernel", "kernel"), ("backend", "backend"), ("api_version", "API version"),
           ("guest_cpu_level", "guest CPU level"), ("pool", "pool"))


def _names(items: list[str], limit: int = MAX_NAMES) -> str:
    items = [safe_text(i) for i in items]
    return ", ".join(items[:limit]) + (" and %d more" % (len(items) - limit) if len(items) > limit else "")


def _set_change(label: str, diff: Any) -> str | None:
    parts = []
    if diff.get("gained"):
        parts.append("+%s" % _names(diff["gained"]))
    if diff.get("lost"):
        parts.append("-%s" % _names(diff["lost"]))
    return "%s %s" % (label, " ".join(parts)) if parts else None


def _was(value: object) -> str:
    return "none" if value is None else safe_text(value)


def host_words(changes: dict[str, Any]) -> list[str]:
    """One host's changes as short phrases: 'kernel 6.1.0-25 -> 6.1.0-26', 'caps -KVM_CAP_X', ..."""
    words: list[str] = []
    if "status" in changes:
        words.append("status %s -> %s" % tuple(changes["status"]))
    for key, label in _LABELS:
        if key in changes:
            words.append("%s %s -> %s" % (label, _was(changes[key][0]), _was(changes[key][1])))
    for name, (old, new) in sorted((changes.get("parameters") or {}).items()):
        words.append("%s %s -> %s" % (safe_text(name), _was(old), _was(new)))
    caps = changes.get("caps")
    if caps:
        words.append(_set_change("capabilities", caps) or "capability set changed (%s -> %s capabilities)" % tuple(
            _was(c) for c in caps.get("count") or (None, None)))
    for key, label in (("features", "guest CPU features"), ("runnable_models", "runnable models"),
                       ("root_causes", "root causes")):
        if changes.get(key):
            said = _set_change(label, changes[key])
            if said:
                words.append(said)
    return words


def _status(value: object) -> object:
    return value or "absent"


def _moved(changes: dict[str, Any]) -> list[str]:
    """["1 fixed: kvm3 (was fail)", ...]: the hosts that are newly failing, fixed, new or gone, by name."""
    moved = []
    phrases: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
        ("newly_failing", "newly failing", lambda e: "%s (was %s, now %s)" % (
            safe_text(e["host"]), _status(e["was"]), e["now"])),
        ("fixed", "fixed", lambda e: "%s (was %s)" % (safe_text(e["host"]), e["was"])),
        ("new", "new", lambda e: "%s (%s)" % (safe_text(e["host"]), e["status"])),
        ("gone", "gone", lambda e: "%s (was %s)" % (safe_text(e["host"]), e["was"])))
    for key, label, what in phrases:
        entries = changes.get(key) or []
        if entries:
            moved.append("%d %s: %s" % (len(entries), label, _names([what(e) for e in entries])))
    return moved


def items(changes: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """[(heading, [text])] of the changes section, plain text (each renderer escapes it)."""
    sections: list[tuple[str, list[str]]] = []
    regressions = changes.get("regressions") or []
    sections.append(("Regressions (what the regression gate fails on)",
                     [safe_text(r["why"]) for r in regressions[:MAX_ITEMS]] + _more(regressions) or ["none"]))
    moved = _moved(changes)
    sections.append(("Hosts", moved or ["no host is newly failing, fixed, new or gone"]))
    changed = changes.get("hosts") or []
    sections.append(("Changes per host (%d)" % len(changed), [
        "%s: %s" % (safe_text(entry["host"]), "; ".join(host_words(entry["changes"])))
        for entry in changed[:MAX_ITEMS]] + _more(changed) or ["no host changed"]))
    pools, common = changes.get("pools") or {}, changes.get("common") or {}
    fleet = ["pool %s split into %s" % (p["pool"], _names(p["into"])) for p in pools.get("split") or ()]
    fleet += ["pools %s merged into %s" % (_names(p["from"]), p["pool"]) for p in pools.get("merged") or ()]
    fleet += ["pool %s is now %s (its features changed)" % (p["pool"], p["now"]) for p in pools.get("changed") or ()]
    if "level" in common:
        fleet.append("common guest CPU level %s -> %s" % tuple(_was(v) for v in common["level"]))
    said = _set_change("common runnable models", common["runnable_models"]) if common.get("runnable_models") else None
    if said:
        fleet.append(said)
    sections.append(("Pools and the fleet's common CPU", fleet or ["unchanged"]))
    return sections


def _more(entries: list[Any]) -> list[str]:
    return ["and %d more (see fleet.json)" % (len(entries) - MAX_ITEMS)] if len(entries) > MAX_ITEMS else []


def since(changes: dict[str, Any]) -> str:
    previous = changes.get("previous") or {}
    hosts = previous.get("hosts") or 0
    return "Changes since the previous audit (%s, %d host%s)" % (
        safe_text(previous.get("generated_at") or "time unknown"), hosts, "" if hosts == 1 else "s")


def markdown_section(changes: dict[str, Any] | None) -> list[str]:
    """Lines of fleet.md's changes section ([] when no previous audit was compared)."""
    if not changes:
        return []
    lines = ["## %s" % markdown(since(changes)), ""]
    for heading, texts in items(changes):
        lines += ["**%s**" % markdown(heading), ""] + ["- %s" % markdown(text) for text in texts] + [""]
    return lines


def html_section(changes: dict[str, Any] | None) -> str:
    """fleet.html's changes <section> (empty when no previous audit was compared): static, every text escaped."""
    if not changes:
        return ""
    parts = ['<section id="changes"><h2>%s</h2>' % html(since(changes))]
    for heading, texts in items(changes):
        parts.append("<h3>%s</h3><ul>%s</ul>" % (html(heading), "".join("<li>%s</li>" % html(t) for t in texts)))
    return "".join(parts) + "</section>"


def summary_lines(changes: dict[str, Any] | None) -> list[str]:
    """The console summary's lines about the changes ([] when no previous audit was compared)."""
    if not changes:
        return []
    counts = changes["counts"]
    lines = [u"%s: %d regression%s; %d newly failing, %d fixed, %d new, %d gone; %d host%s changed" % (
        since(changes), counts["regressions"], "" if counts["regressions"] == 1 else "s", counts["newly_failing"],
        counts["fixed"], counts["new"], counts["gone"], counts["changed"], "" if counts["changed"] == 1 else "s")]
    lines += [u"  regression: %s" % safe_text(r["why"]) for r in (changes.get("regressions") or [])[:MAX_NAMES]]
    if counts["regressions"] > MAX_NAMES:
        lines.append(u"  and %d more regressions (see the reports)" % (counts["regressions"] - MAX_NAMES))
    return lines + [u"  %s" % text for text in _moved(changes)]  # which hosts, not only how many
