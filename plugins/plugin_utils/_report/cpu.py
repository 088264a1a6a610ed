# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest CPU section of the fleet reports: migration pools, the common set, the hosts holding it back.

Renders the view of _fleet/pools.fleet_view (the kvm_validate action's guest_cpu_pools) as
  json_section(view):     the data for fleet.json, complete (slices merge with fleet_view)
  markdown_section(view): lines for fleet.md, every list capped ("and 12 more")
  html_section(view):     a self-contained <section> for fleet.html: no script, no external
                          resource, every text escaped.
Controller side, pure standard library; no ioctl code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.cpu_config import kubevirt_yaml, nova_conf
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import html, markdown

MAX_POOLS = 20  # pools shown in fleet.md and fleet.html; fleet.json has all
MAX_NAMES = 8  # host, model and feature names shown per cell
JSON_KEYS = ("hosts", "excluded", "common", "pools", "holding_back")


def json_section(view: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The pools for fleet.json, exactly as fleet_view gives them (None when no view was given)."""
    if not view:
        return None
    return dict((key, view[key]) for key in JSON_KEYS)


def _capped(items: Iterable[Any] | None, limit: int = MAX_NAMES) -> tuple[list[str], int]:
    """(shown items, how many more)."""
    texts = [safe_text(i) for i in items or ()]
    return texts[:limit], max(0, len(texts) - limit)


def _level(level: str | None) -> str:
    return safe_text(level) if level else "below x86-64-v1"


# ---------------------------------------------------------------- Markdown ----

def _md_list(items: Iterable[Any] | None, limit: int = MAX_NAMES, empty: str = "none") -> str:
    shown, more = _capped(items, limit)
    if not shown:
        return empty
    return ", ".join(markdown(i) for i in shown) + (" and %d more" % more if more else "")


def _configs(view: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """[(title, config)] to show: the whole fleet's, then each pool's (capped) that differs from it."""
    fleet = view["common"].get("config")
    found = [("the whole fleet (every host)", fleet)]
    found += [("pool %s (%d host%s)" % (safe_text(pool["id"]), len(pool["hosts"]), "" if len(pool["hosts"]) == 1 else "s"),
               pool.get("config")) for pool in view["pools"][:MAX_POOLS] if pool.get("config") != fleet]
    return [(title, config) for title, config in found if isinstance(config, dict)]


def _config_blocks(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) of each configuration; the model names come from the model table (fleet_view recomputes
    every config from the pools' models), so a code block cannot be broken out of."""
    blocks = [("QEMU", config["qemu"]), ("libvirt domain XML", config["libvirt"]), ("nova.conf", nova_conf(config)),
              ("KubeVirt VirtualMachineInstance", kubevirt_yaml(config))]
    hyperv = config.get("hyperv")
    if isinstance(hyperv, dict) and hyperv.get("enlightenments"):  # Windows guests: the pool's Hyper-V set
        blocks += [("QEMU Hyper-V enlightenments (append to -cpu)", hyperv["qemu"]),
                   ("libvirt <hyperv> (in <features>)", hyperv["libvirt"])]
        if hyperv.get("libvirt_clock"):
            blocks.append(("libvirt <clock> (hv-time is the hypervclock timer)", hyperv["libvirt_clock"]))
    return blocks


def _hyperv_line(config: dict[str, Any]) -> str | None:
    """What the Hyper-V block says in words: the set, what hv-passthrough would add, what libvirt cannot say."""
    hyperv = config.get("hyperv")
    if not isinstance(hyperv, dict):
        return None
    return "%s; lost against hv-passthrough: %s; not in libvirt's <hyperv>: %s" % (
        ", ".join(hyperv["enlightenments"]) or "none (no enlightenment is offered on every host)",
        ", ".join(hyperv["lost_against_passthrough"]) or "nothing", ", ".join(hyperv["not_in_libvirt"]) or "nothing")


CONFIG_RULE = ("The model to use: of the models every host of the pool runs that QEMU marks migration-safe and "
               "not deprecated, under a name libvirt, Nova and KubeVirt know (unversioned), a 64-bit one first, then "
               "the one asking for the most CPU features. Nova lists the less advanced models first, as its "
               "cpu_models option asks. A pool not listed uses the whole fleet's configuration.")


def _config_markdown(view: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for title, config in _configs(view):
        lines += ["### CPU configuration for %s" % markdown(title), "",
                  "- **model**: `%s`; runners-up: %s" % (markdown(config["model"]), _md_list(config["runners_up"])),
                  "- **lost against host-passthrough**: %s" % _md_list(config["lost"], 20),
                  "- **KubeVirt** node label: `%s`" % markdown(config["kubevirt"]["node_label"]), ""]
        if config.get("note"):
            lines[-1:] = ["- **64-bit guests**: %s" % markdown(config["note"]), ""]
        if _hyperv_line(config):
            lines[-1:] = ["- **Hyper-V for Windows guests** (every host starts and offers them): %s"
                          % markdown(_hyperv_line(config)), ""]
        for label, text in _config_blocks(config):
            lines += ["%s:" % label, "", "```", text.rstrip("\n"), "```", ""]
    return (["## CPU configuration to use", "", CONFIG_RULE, ""] + lines) if lines else []


def markdown_section(view: Mapping[str, Any] | None) -> list[str]:
    """Lines of the "Guest CPU and migration pools" section of fleet.md ([] when no view was given)."""
    if not view:
        return []
    common = view["common"]
    lines = ["## Guest CPU and migration pools", "",
             "A guest started with the common feature set can live-migrate to every host; within a pool, "
             "any guest can move freely.", "",
             "- **common level**: %s (%d features); next level lacks: %s" % (
                 _level(common["level"]), len(common["features"]), _md_list(common["missing_for_next_level"])),
             "- **QEMU models runnable on every host**: %s" % _md_list(common["runnable_models"], 20),
             "- **host-dependent models** (built from each host's own CPU; QEMU marks them not migration-safe, so no "
             "pool offers them): %s" % _md_list(common.get("host_dependent_models")),
             "- **hosts in pools**: %d; excluded: %d" % (view["hosts"], len(view["excluded"])), ""]
    if view["pools"]:
        lines += ["| pool | hosts | level | features | runnable models | lacks against the best pool |",
                  "|---|---|---|---|---|---|"]
        for pool in view["pools"][:MAX_POOLS]:
            lines.append("| `%s` | %d: %s | %s | %d | %s | %s |" % (
                markdown(pool["id"]), len(pool["hosts"]), _md_list(pool["hosts"]), _level(pool["level"]),
                pool["feature_count"], _md_list(pool["runnable_models"]), _md_list(pool["lacking"])))
        if len(view["pools"]) > MAX_POOLS:
            lines.append("")
            lines.append("and %d more pools (see fleet.json)" % (len(view["pools"]) - MAX_POOLS))
        lines.append("")
    lines += _config_markdown(view)
    if view["holding_back"]:
        lines += ["### Hosts holding the fleet back", "",
                  "Without each of these hosts the fleet would reach a higher level or run more models.", ""]
        for entry in view["holding_back"][:MAX_POOLS]:
            lines.append("- **%s** lacks %s; without it: level %s, models gained: %s" % (
                markdown(entry["host"]), _md_list(entry["lacks"]), _level(entry["level_without_it"]),
                _md_list(entry["models_gained_without_it"])))
        if len(view["holding_back"]) > MAX_POOLS:
            lines.append("- and %d more (see fleet.json)" % (len(view["holding_back"]) - MAX_POOLS))
        lines.append("")
    if view["excluded"]:
        excluded = sorted(view["excluded"].items())
        lines += ["Not in any pool:", ""]
        lines += ["- %s: %s" % (markdown(host), markdown(why)) for host, why in excluded[:MAX_NAMES]]
        if len(excluded) > MAX_NAMES:
            lines.append("- and %d more (see fleet.json)" % (len(excluded) - MAX_NAMES))
        lines.append("")
    return lines


# -------------------------------------------------------------------- HTML ----

def _h_list(items: Iterable[Any] | None, limit: int = MAX_NAMES, empty: str = "none") -> str:
    shown, more = _capped(items, limit)
    if not shown:
        return empty
    return ", ".join(html(i) for i in shown) + (" and %d more" % more if more else "")


_STYLE = ("#guest-cpu table{border-collapse:collapse}#guest-cpu th,#guest-cpu td{border:1px solid #ccc;"
          "padding:2px 6px;text-align:left;vertical-align:top}#guest-cpu th{background:#fafafa}"
          "#guest-cpu code{font-size:.95em}")


def html_section(view: Mapping[str, Any] | None) -> str:
    """A self-contained <section id="guest-cpu"> for fleet.html ("" when no view was given)."""
    if not view:
        return ""
    common = view["common"]
    parts = [u'<section id="guest-cpu"><style>%s</style>' % _STYLE,
             u"<h2>Guest CPU and migration pools</h2>",
             u"<p>A guest started with the common feature set can live-migrate to every host; within a pool, "
             u"any guest can move freely.</p>",
             u"<ul><li>common level: <b>%s</b> (%d features); next level lacks: %s</li>" % (
                 html(_level(common["level"])), len(common["features"]), _h_list(common["missing_for_next_level"])),
             u"<li>QEMU models runnable on every host: %s</li>" % _h_list(common["runnable_models"], 20),
             u"<li>host-dependent models (built from each host's own CPU; QEMU marks them not migration-safe, so no "
             u"pool offers them): %s</li>" % _h_list(common.get("host_dependent_models")),
             u"<li>hosts in pools: %d; excluded: %d</li></ul>" % (view["hosts"], len(view["excluded"]))]
    if view["pools"]:
        parts.append(u"<table><thead><tr><th>pool</th><th>hosts</th><th>level</th><th>features</th>"
                     u"<th>runnable models</th><th>lacks against the best pool</th></tr></thead><tbody>")
        for pool in view["pools"][:MAX_POOLS]:
            parts.append(u"<tr><td><code>%s</code></td><td>%d: %s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>" % (
                html(pool["id"]), len(pool["hosts"]), _h_list(pool["hosts"]), html(_level(pool["level"])),
                pool["feature_count"], _h_list(pool["runnable_models"]), _h_list(pool["lacking"])))
        parts.append(u"</tbody></table>")
        if len(view["pools"]) > MAX_POOLS:
            parts.append(u"<p>and %d more pools (see fleet.json)</p>" % (len(view["pools"]) - MAX_POOLS))
    configs = _configs(view)
    if configs:
        parts.append(u"<h3>CPU configuration to use</h3><p>%s</p>" % html(CONFIG_RULE))
        for title, config in configs:
            parts.append(u"<h4>%s</h4><p>model <code>%s</code>; runners-up: %s; lost against host-passthrough: %s</p>" % (
                html(title), html(config["model"]), _h_list(config["runners_up"]), _h_list(config["lost"], 20)))
            if config.get("note"):
                parts.append(u"<p><b>64-bit guests</b>: %s</p>" % html(config["note"]))
            if _hyperv_line(config):
                parts.append(u"<p><b>Hyper-V for Windows guests</b> (every host starts and offers them): %s</p>"
                             % html(_hyperv_line(config)))
            parts.extend(u"<p>%s:</p><pre>%s</pre>" % (html(label), html(text)) for label, text in _config_blocks(config))
    if view["holding_back"]:
        parts.append(u"<h3>Hosts holding the fleet back</h3><ul>")
        for entry in view["holding_back"][:MAX_POOLS]:
            parts.append(u"<li><b>%s</b> lacks %s; without it: level %s, models gained: %s</li>" % (
                html(entry["host"]), _h_list(entry["lacks"]), html(_level(entry["level_without_it"])),
                _h_list(entry["models_gained_without_it"])))
        if len(view["holding_back"]) > MAX_POOLS:
            parts.append(u"<li>and %d more (see fleet.json)</li>" % (len(view["holding_back"]) - MAX_POOLS))
        parts.append(u"</ul>")
    if view["excluded"]:
        excluded = sorted(view["excluded"].items())
        parts.append(u"<p>Not in any pool:</p><ul>")
        parts.extend(u"<li>%s: %s</li>" % (html(host), html(why)) for host, why in excluded[:MAX_NAMES])
        if len(excluded) > MAX_NAMES:
            parts.append(u"<li>and %d more (see fleet.json)</li>" % (len(excluded) - MAX_NAMES))
        parts.append(u"</ul>")
    parts.append(u"</section>")
    return u"".join(parts)
