# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The changes section as each report shows it: worded once, escaped for each format, capped."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.changes import compare, previous_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.changes import MAX_ITEMS, host_words, items
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.prometheus import iter_prometheus
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.summary import render_summary
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import big_fleet, rendered, verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet

NOW = "2026-12-05T00:00:00Z"
HOSTILE = u"<img src=x onerror=alert(1)>|**x**\x1b[2J"


def fleets(before, after):
    old = build_fleet([v["host"] for v in before], dict((v["host"], v) for v in before), "2026-12-04T00:00:00Z")
    new = build_fleet([v["host"] for v in after], dict((v["host"], v) for v in after), NOW)
    new["changes"] = compare(previous_fleet(old, "old"), new)
    return new


def test_each_report_names_the_regression_and_the_kernel_change():
    fleet = fleets([verdict("kvm1"), verdict("kvm2")], [verdict("kvm1", kernel="6.1.1"), verdict("kvm2", denied=True)])
    assert fleet["changes"]["counts"]["regressions"] == 1
    page, text = render_html(fleet), render_markdown(fleet)
    for report in (page, text, "\n".join(render_summary(fleet, {"json": "fleet.json"}))):
        assert "kvm2 was pass, now fail" in report
    assert "kernel 6.1.0 -&gt; 6.1.1" in page and "kernel 6.1.0 -\\> 6.1.1" in text
    assert '<section id="changes">' in page and "## Changes since the previous audit (2026-12-04T00:00:00Z, 2 hosts)" in text
    suite = [s for s in ET.fromstring(rendered("junit", fleet)) if s.get("name") == "regressions since the previous audit"]
    assert suite[0].get("failures") == "1" and suite[0][0].get("name") == "kvm2"
    assert 'fleetcheck_kvm_changes{kind="regressions"} 1' in "".join(iter_prometheus(fleet))


def test_without_a_previous_audit_no_report_has_a_changes_section():
    fleet = build_fleet(["kvm1"], {"kvm1": verdict("kvm1")}, NOW)
    assert "Changes since" not in render_markdown(fleet) and 'id="changes"' not in render_html(fleet)
    assert "regressions since" not in rendered("junit", fleet) and "fleetcheck_kvm_changes" not in "".join(iter_prometheus(fleet))


def test_a_clean_comparison_says_so_and_junit_has_a_passing_case():
    fleet = fleets([verdict("kvm1")], [verdict("kvm1")])
    assert dict(items(fleet["changes"]))["Regressions (what the regression gate fails on)"] == ["none"]
    suite = [s for s in ET.fromstring(rendered("junit", fleet)) if s.get("name") == "regressions since the previous audit"]
    assert suite[0].get("failures") == "0" and suite[0][0].get("name") == "no regression"


def test_a_hostile_host_name_and_kernel_are_escaped_in_every_format():
    fleet = fleets([verdict(HOSTILE)], [verdict(HOSTILE, kernel=HOSTILE, denied=True)])
    page, text = render_html(fleet), render_markdown(fleet)
    section = page[page.index('<section id="changes">'):page.index("</section>", page.index('<section id="changes">'))]
    assert "<img" not in section and "&lt;img" in section
    assert "\x1b" not in text and "\\<img" in text and "\\|" in text
    assert "\x1b" not in "".join(render_summary(fleet, {}))
    ET.fromstring(rendered("junit", fleet))  # well-formed


def test_long_lists_are_capped_and_point_to_fleet_json():
    old = big_fleet(300)
    new = big_fleet(300)
    for record in new["hosts"]:
        record["summary"] = dict(record["summary"], kernel="6.2.0")
    new["changes"] = compare(previous_fleet(old, "old"), new)
    changed = dict(items(new["changes"]))
    per_host = [v for k, v in changed.items() if k.startswith("Changes per host")][0]
    assert len(per_host) == MAX_ITEMS + 1 and per_host[-1].startswith("and %d more" % (len(new["changes"]["hosts"]) - MAX_ITEMS))


def test_host_words_name_every_kind_of_change():
    words = host_words({"status": ["pass", "fail"], "backend": ["kvm_intel", "kvm_amd"], "pool": ["a", None],
                        "parameters": {"kvm_amd.nested": [None, "1"]},
                        "caps": {"gained": ["KVM_CAP_X"], "lost": [], "count": [1, 2]},
                        "runnable_models": {"gained": [], "lost": ["Nehalem"]}})
    assert words == ["status pass -> fail", "backend kvm_intel -> kvm_amd", "pool a -> none",
                     "kvm_amd.nested none -> 1", "capabilities +KVM_CAP_X", "runnable models -Nehalem"]


def test_the_console_names_the_hosts_that_are_fixed_newly_failing_new_or_gone():
    fleet = fleets([verdict("kvm1", denied=True), verdict("kvm2"), verdict("old")],
                   [verdict("kvm1"), verdict("kvm2", denied=True), verdict("kvm3")])
    console = "\n".join(render_summary(fleet, {"json": "fleet.json"}))
    assert "1 fixed: kvm1 (was fail)" in console
    assert "1 newly failing: kvm2 (was pass, now fail)" in console
    assert "1 new: kvm3 (pass)" in console and "1 gone: old (was pass)" in console
