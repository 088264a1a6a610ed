# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports: every format from the same fleet, malformed input never loses a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer as kvm_reports
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.json_report import render_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import render_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import NOW


def test_json_is_versioned_and_round_trips(fleet):
    data = json.loads(render_json(fleet))
    assert (data["schema"], data["schema_version"]) == ("fleetcheck.kvm/fleet", 1)
    assert data == json.loads(json.dumps(fleet))


def test_junit_has_a_testcase_per_host_and_requirement(fleet):
    root = ET.fromstring(render_junit(fleet).encode("utf-8"))
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert set(suites) == set(["good", "small", "gone", "blank", "old", u"kvm-\ufffd"])
    small = [c for c in suites["small"].findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in small] == ["KVM_CAP_NR_VCPUS"]
    assert small[0].find("failure").get("message").startswith("KVM_CAP_NR_VCPUS is 4, the fleet needs at least 64")
    assert suites["gone"].find("testcase/error").get("message") == "host unreachable: Failed to connect to the host via ssh"
    assert root.get("failures") == "1" and root.get("errors") == "3"


def test_markdown_puts_failing_hosts_first_with_reasons(fleet):
    text = render_markdown(fleet)
    assert "| 6 | 2 | 1 | 1 | 2 |" in text
    need = text.index("## Hosts that need action")
    assert need < text.index("| small | fail | KVM_CAP_NR_VCPUS is 4") < text.index("| gone | unreachable |")
    assert text.rstrip().endswith(u"good, kvm-\ufffd")


def test_html_is_self_contained_and_carries_the_data(fleet):
    page = render_html(fleet)
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    start = page.index('id="fleet-data">') + len('id="fleet-data">')
    data = json.loads(page[start:page.index("</script>", start)].replace("<\\/", "</"))
    assert data["counts"] == fleet["counts"]


def test_html_cannot_be_broken_out_of_by_a_message():
    evil = unreachable_verdict("h", "</script><script>alert(1)</script>")
    page = render_html(build_fleet(["h"], {"h": evil}, NOW))
    assert page.count("</script>") == 2  # the data block's and the code's own


def test_reports_are_written_atomically_and_completely(tmp_path, fleet):
    paths = kvm_reports.write_reports(str(tmp_path / "out"), fleet)
    assert sorted(os.listdir(str(tmp_path / "out"))) == ["fleet.html", "fleet.json", "fleet.md", "junit.xml"]
    assert json.load(open(paths["json"]))["counts"]["total"] == 6


def test_a_failed_write_leaves_no_partial_file(tmp_path, fleet, monkeypatch):
    def broken(fleet):
        raise RuntimeError("disk full")
    monkeypatch.setitem(kvm_reports.RENDERERS, "markdown", broken)
    with pytest.raises(RuntimeError):
        kvm_reports.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    assert sorted(os.listdir(str(tmp_path))) == ["fleet.json"]
