# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest CPU section of the reports: pools, the common set and the hosts holding the fleet back."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from html.parser import HTMLParser

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import cpu as report
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools, fleet_view
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_requirements

V1, V2, V3 = (level_requirements("x86-64-v%d" % n) for n in (1, 2, 3))
EVIL = '<script>alert("x")</script>&|'


def host(features, models):
    return {"features": sorted(features), "runnable_models": sorted(models)}


def fleet():
    return fleet_pools({"new1": host(V3, ["Haswell", "Nehalem"]), "new2": host(V3, ["Haswell", "Nehalem"]),
                        "old": host(V1, ["qemu64"]), EVIL: host(V2, ["Nehalem", EVIL]),
                        "arm": {"skipped": "x86 only; this host is aarch64"}})


class Collector(HTMLParser):
    """Tags, attributes and text of an HTML fragment."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.tags, self.text, self.attributes, self.open = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def parsed(fragment):
    collector = Collector()
    collector.feed(fragment)
    collector.close()
    assert collector.open == [], "every element is closed"
    return collector


def test_the_json_section_is_the_view_and_merges_back():
    view = fleet()
    section = json.loads(json.dumps(report.json_section(view)))
    assert section == json.loads(json.dumps(view))
    assert fleet_view(section["pools"], section["excluded"]) == view
    assert report.json_section(None) is None


def test_the_markdown_section_shows_common_set_pools_and_who_holds_the_fleet_back():
    view = fleet()
    text = "\n".join(report.markdown_section(view))
    assert text.startswith("## Guest CPU and migration pools")
    assert "**common level**: x86-64-v1 (%d features)" % len(V1) in text
    for pool in view["pools"]:
        assert "| `%s` | %d: " % (pool["id"], len(pool["hosts"])) in text
    assert "### Hosts holding the fleet back" in text
    [old] = [e for e in view["holding_back"] if e["host"] == "old"]
    assert "- **old** lacks %s; without it: level x86-64-v2" % ", ".join(old["lacks"]) in text
    assert "- arm: guest_cpu skipped: x86 only; this host is aarch64" in text
    assert "<script>" not in text and "\\|" in text, "table cells are escaped"
    assert report.markdown_section(None) == []


def test_the_markdown_section_caps_long_lists():
    many = dict(("h%03d" % i, host(V1 + ["aes"] * (i % 2), [])) for i in range(100))
    text = "\n".join(report.markdown_section(fleet_pools(many)))
    assert "and %d more" % (50 - report.MAX_NAMES) in text


def test_the_html_fragment_is_self_contained_and_escaped():
    view = fleet()
    fragment = report.html_section(view)
    collector = parsed(fragment)
    assert collector.tags[0] == "section" and ("id", "guest-cpu") in collector.attributes
    assert "script" not in collector.tags and "link" not in collector.tags and "img" not in collector.tags
    assert not [v for k, v in collector.attributes if k in ("src", "href")], "no external resource"
    text = "".join(collector.text)
    assert EVIL in text, "the hostile name shows as text"
    assert "common level: x86-64-v1" in text and "Hosts holding the fleet back" in text
    for pool in view["pools"]:
        assert pool["id"] in text
    assert report.html_section(None) == ""


def test_an_empty_fleet_renders_without_pools():
    view = fleet_pools({"arm": {"skipped": "aarch64"}})
    assert "below x86-64-v1 (0 features)" in "\n".join(report.markdown_section(view))
    assert "<table>" not in report.html_section(view)
    parsed(report.html_section(view))


def test_every_report_format_carries_the_pools_of_the_fleet_document(tmp_path):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.writer import write_reports
    view = fleet()
    document = build_fleet(["new1", "old"], {}, "2026-11-25T00:00:00Z", guest_cpu=view)
    paths = write_reports(str(tmp_path), document, ["json", "markdown", "html"])
    with open(paths["json"]) as handle:
        assert json.load(handle)["guest_cpu"] == report.json_section(view)
    with open(paths["markdown"]) as handle:
        markdown = handle.read()
    assert all(pool["id"] in markdown for pool in view["pools"])
    with open(paths["html"]) as handle:
        assert handle.read().count('<section id="guest-cpu">') == 1
    assert build_fleet(["new1"], {}, "now")["guest_cpu"] is None


def test_each_pool_and_the_fleet_show_the_configuration_to_use():
    view = fleet()
    markdown = "\n".join(report.markdown_section(view))
    assert "## CPU configuration to use" in markdown
    assert "### CPU configuration for pool %s (2 hosts)" % view["pools"][0]["id"] in markdown
    assert "```\n-cpu Haswell,enforce\n```" in markdown  # the best Haswell pool runs Haswell
    assert "```\n[libvirt]\ncpu_mode = custom\ncpu_models = Nehalem,Haswell\n```" in markdown
    assert "<model fallback='forbid'>Haswell</model>" in markdown
    assert "cpu-model.node.kubevirt.io/Haswell" in markdown and "spec:\n  domain:\n    cpu:\n      model: Haswell" in markdown
    assert "host-dependent models** (built from each host's own CPU" in markdown
    assert "CPU configuration for the whole fleet" not in markdown  # no model runs on every host
    fragment = report.html_section(view)
    text = "".join(parsed(fragment).text)
    assert "CPU configuration to use" in text and "-cpu Haswell,enforce" in text
    assert "<model fallback='forbid'>Haswell</model>" in text  # shown as text, escaped in the page
    assert "<pre>&lt;cpu mode=&#39;custom&#39; match=&#39;exact&#39;" in fragment  # escaped for HTML
    assert EVIL not in markdown.split("## CPU configuration to use")[1]  # names from hosts never reach a config


def test_a_32_bit_choice_says_what_64_bit_guests_need_and_pools_like_the_fleet_are_not_repeated():
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.cpu_config import model_features
    no_pni = sorted(set(model_features("pentium3")) | set(model_features("qemu64")) - {"pni"})
    view = fleet_pools({"a": host(no_pni, ["pentium3", "486"]), "b": host(no_pni, ["pentium3", "486"])})
    markdown = "\n".join(report.markdown_section(view))
    note = view["common"]["config"]["note"]
    assert "- **64-bit guests**: %s" % note in markdown and "boots 32-bit guests only" in note
    assert "### CPU configuration for the whole fleet" in markdown
    assert "### CPU configuration for pool" not in markdown  # the one pool's is the fleet's: shown once
    assert "64-bit guests</b>: " in report.html_section(view)
    view = fleet_pools({"a": host(V3, ["Haswell", "Nehalem"]), "b": host(V2, ["Nehalem"])})
    markdown = "\n".join(report.markdown_section(view))
    assert "### CPU configuration for pool %s (1 host)" % view["pools"][0]["id"] in markdown  # Haswell: differs
    assert "### CPU configuration for pool %s" % view["pools"][1]["id"] not in markdown  # Nehalem: the fleet's
