# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Windows guests section of the fleet reports: for each Windows guest profile (the Hyper-V enlightenments a VMM
turns on), the hosts that can start such a guest and those that cannot, with what they lack.

Read from each host's summary (`windows`: {profile: the enlightenments missing}, evaluate.summarize), so slices and
cached verdicts give it too. Why an enlightenment is missing is in each host's facts and, where kvm_validate_required_hyperv
asks for it, in its checks and root causes.
  windows_view(fleet):     {profile: {"can": n, "cannot": {missing as text: [hosts]}, "unknown": n}}
  markdown_section(fleet): lines for fleet.md; html_section(fleet): a self-contained <section> for fleet.html.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import WINDOWS_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import html, markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet, mapping

MAX_HOSTS = 5  # hosts named per cell; fleet.json has every host's summary


def windows_view(fleet: Fleet) -> dict[str, dict[str, Any]]:
    """{profile: {"can", "cannot": {what is missing: [hosts]}, "unknown"}}; {} when no host has hyperv facts."""
    view: dict[str, dict[str, Any]] = dict((name, {"can": 0, "cannot": {}, "unknown": 0, "why": {}})
                                           for name in WINDOWS_PROFILES)
    seen = False
    for record in fleet.get("hosts") or ():
        said = mapping(record.get("summary")).get("windows")
        for name, entry in view.items():
            missing = mapping(said).get(name)
            if not isinstance(missing, list):
                entry["unknown"] += 1
                continue
            seen = True
            if missing:
                lacking = ", ".join(safe_text(m) for m in missing)
                entry["cannot"].setdefault(lacking, []).append(record["host"])
                why = mapping(record.get("summary")).get("windows_why")
                if isinstance(why, str):  # the first host's words, for the group
                    entry["why"].setdefault(lacking, safe_text(why))
            else:
                entry["can"] += 1
    return view if seen else {}


def _cannot(entry: dict[str, Any], escape: Any, reasons: list[str]) -> list[str]:
    """'<n> lack <missing>: host, host and 3 more (reason 1)' per distinct set missing, the most hosts first; each
    distinct reason (the first host's of the group) is numbered once in `reasons`, said below the table."""
    cells = []
    for missing, hosts in sorted(entry["cannot"].items(), key=lambda kv: (-len(kv[1]), kv[0])):
        why = entry["why"].get(missing)
        if why is not None and why not in reasons:
            reasons.append(why)
        cells.append("%d lack %s: %s%s%s" % (
            len(hosts), escape(missing), ", ".join(escape(h) for h in hosts[:MAX_HOSTS]),
            " and %d more" % (len(hosts) - MAX_HOSTS) if len(hosts) > MAX_HOSTS else "",
            " (reason %d)" % (reasons.index(why) + 1) if why is not None else ""))
    return cells


INTRO = ("A Windows guest is started with the Hyper-V enlightenments its VMM turns on; where KVM refuses one, QEMU does "
         "not start (virt-install 5.0 leaves it off instead). The profiles and their sources: the user guide's "
         "Windows guests; why a host lacks one: its `hyperv` facts, and the checks of kvm_validate_required_hyperv.")


def markdown_section(fleet: Fleet) -> list[str]:
    view = windows_view(fleet)
    if not view:
        return []
    lines = ["## Windows guests", "", INTRO, "", "| profile | hosts that can start it | hosts that cannot | not known |",
             "|---|---|---|---|"]
    reasons: list[str] = []
    for name, entry in view.items():
        cannot = "<br>".join(_cannot(entry, markdown, reasons)) or "none"
        lines.append("| `%s` | %d | %s | %d |" % (name, entry["can"], cannot, entry["unknown"]))
    lines.append("")
    lines.extend("%d. %s" % (number, markdown(why)) for number, why in enumerate(reasons, 1))
    return lines + ([""] if reasons else [])


def html_section(fleet: Fleet) -> str:
    view = windows_view(fleet)
    if not view:
        return ""
    reasons: list[str] = []
    rows = "".join(u"<tr><td><code>%s</code></td><td>%d</td><td>%s</td><td>%d</td></tr>" % (
        html(name), entry["can"], "<br>".join(_cannot(entry, html, reasons)) or "none", entry["unknown"])
        for name, entry in view.items())
    said = u"".join(u"<li>%s</li>" % html(why) for why in reasons)
    return (u'<section id="windows"><h2>Windows guests</h2><p>%s</p><table><thead><tr><th>profile</th><th>hosts that '
            u"can start it</th><th>hosts that cannot</th><th>not known</th></tr></thead><tbody>%s</tbody></table>%s"
            u"</section>" % (html(INTRO), rows, u"<ol>%s</ol>" % said if said else u""))
