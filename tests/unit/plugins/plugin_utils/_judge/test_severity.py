# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Severity: `fail` gates a host, `warn` is reported and does not; every report shows which is which."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet, normalize_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import build_view, render_html
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import rendered
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    RequirementError, check_requirements, evaluate)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    VERDICT_SCHEMA_VERSION, check, failure_message, host_verdict, pass_message)
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

VHOST = "/dev/vhost-net (vhost_net) is absent, the fleet needs it"


def no_vhost_facts():
    kernel = FakeKernel()
    del kernel.nodes["/dev/vhost-net"]
    kernel.sysfs["/proc"]["misc"] = "200 tun\n241 vhost-vsock\n232 kvm"
    return gather(["all"], kernel=kernel)


def judge(host_facts, host="kvm1", **requirements):
    return evaluate(host_facts, check_requirements(requirements, BUILTIN_PROFILES), BUILTIN_PROFILES, host=host)


def by_name(verdict, name):
    return [c for c in verdict["checks"] if c["requirement"] == name][0]


# ------------------------------------------------------------- verdicts ----

def test_every_check_has_a_severity_and_fail_is_the_default():
    verdict = judge(no_vhost_facts(), required_devices=["vhost_net"])
    assert set(c["severity"] for c in verdict["checks"]) == {"fail"}
    assert verdict["status"] == "fail" and verdict["warnings"] == []
    assert verdict["schema_version"] == VERDICT_SCHEMA_VERSION == 1


@pytest.mark.parametrize("selector", ["required_devices", "required_devices: vhost_net"])
def test_a_warn_check_does_not_gate_and_is_listed_in_warnings(selector):
    verdict = judge(no_vhost_facts(), required_devices=["vhost_net", "tun"], severity={selector: "warn"})
    check_ = by_name(verdict, "required_devices: vhost_net")
    assert (check_["ok"], check_["severity"]) == (False, "warn")
    assert verdict["status"] == "pass" and verdict["passed"] is True and verdict["failures"] == []
    assert len(verdict["warnings"]) == 1 and verdict["warnings"][0].startswith(VHOST)


def test_the_most_specific_selector_wins():
    verdict = judge(no_vhost_facts(), required_devices=["vhost_net", "vhost_vsock"],
                    severity={"required_devices": "warn", "required_devices: vhost_net": "FAIL"})
    assert by_name(verdict, "required_devices: vhost_net")["severity"] == "fail"
    assert by_name(verdict, "required_devices: vhost_vsock")["severity"] == "warn"
    assert verdict["status"] == "fail"


def test_severity_turns_a_profiles_own_warning_into_a_gate_and_back():
    qemu = judge(no_vhost_facts(), profiles=["qemu_7_2"], require_vcpu_run=False,
                 severity={"profile qemu_7_2: vhost_net": "fail", "profile qemu_7_2": "warn"})
    assert by_name(qemu, "profile qemu_7_2: vhost_net")["severity"] == "fail"  # the check's own name first
    assert by_name(qemu, "profile qemu_7_2: tun")["severity"] == "warn"  # then the profile
    kata = judge(no_vhost_facts(), profiles=["kata"], severity={"profiles": "warn"})
    assert kata["status"] == "pass" and kata["warnings"][0].startswith("/dev/vhost-net (vhost_net) is absent, Kata")


def test_capability_selectors_take_any_spelling():
    verdict = judge(gather(["all"], kernel=FakeKernel()), required_extensions=["XCRS"], severity={"xcrs": "warn"})
    assert by_name(verdict, "KVM_CAP_XCRS")["severity"] == "warn" and verdict["status"] == "pass"
    profile = judge(gather(["all"], kernel=FakeKernel()), profiles=["firecracker"], severity={
        "profile firecracker: XCRS": "warn"})
    assert by_name(profile, "profile firecracker: KVM_CAP_XCRS")["severity"] == "warn"
    both = judge(gather(["all"], kernel=FakeKernel()), required_extensions=["XCRS"],
                 severity={"required_extensions": "warn"})
    assert both["status"] == "pass"


@pytest.mark.parametrize("severity, message", [
    ({"required_devices": "info"}, "severity.required_devices must be fail or warn, got 'info'"),
    ({"required_device": "warn"}, "unknown severity selector 'required_device'"),
    ({"profile qemmu": "warn"}, "did you mean profile qemu"),
    ({"profile nosuch: tun": "warn"}, "unknown severity selector 'profile nosuch: tun'"),
    ("warn", "severity must be a mapping of requirement or check names to fail or warn, got str"),
])
def test_malformed_severities_are_rejected_with_suggestions(severity, message):
    with pytest.raises(RequirementError) as error:
        check_requirements({"severity": severity}, BUILTIN_PROFILES)
    assert message in str(error.value)
    if severity == {"required_device": "warn"}:
        assert "did you mean required_devices" in str(error.value)


def test_messages_list_warnings_apart_from_failures():
    checks = [check("a", 1, 0, False, "a is missing"), check("b", 1, 0, False, "b is slow", "warn"),
              check("c", 1, 1, True, None)]
    verdict = host_verdict("kvm1", checks, {})
    assert failure_message(verdict) == ("kvm1 fails 1 KVM requirement:\n  - a is missing\n"
                                        "1 warning (reported, not gating):\n  - b is slow")
    passing = host_verdict("kvm2", checks[1:], {})
    assert pass_message(passing) == ("kvm2 meets all 1 gating KVM requirements; "
                                     "1 warning (reported, not gating):\n  - b is slow")


def test_old_verdicts_without_severity_still_read_as_fail():
    old = {"schema_version": 1, "host": "kvm9", "status": "fail", "passed": False, "summary": {},
           "checks": [{"requirement": "usable", "expected": True, "actual": False, "ok": False, "message": "no"}],
           "failures": ["no"]}
    record = normalize_verdict("kvm9", old)
    assert record["status"] == "fail" and record["warnings"] == []
    fleet = build_fleet(["kvm9"], {"kvm9": old}, "2026-11-25T00:00:00Z")
    assert fleet["groups"][0]["requirement"] == "usable" and fleet["warnings"] == []


# --------------------------------------------------------------- reports ----

def fleet():
    warned = host_verdict("kvm1", [check("usable", True, True, True, None),
                                   check("profile qemu: vhost_net", "usable", "absent", False,
                                         "/dev/vhost-net is absent: modprobe vhost_net", "warn")], {})
    failed = host_verdict("kvm2", [check("usable", True, True, True, None),
                                   check("required_devices: tun", "usable", "absent", False,
                                         "/dev/net/tun is absent: modprobe tun"),
                                   check("profile qemu: vhost_net", "usable", "absent", False,
                                         "/dev/vhost-net is absent: modprobe vhost_net", "warn")], {})
    clean = host_verdict("kvm3", [check("usable", True, True, True, None)], {})
    return build_fleet(["kvm1", "kvm2", "kvm3"], {"kvm1": warned, "kvm2": failed, "kvm3": clean},
                       "2026-11-25T00:00:00Z")


def test_the_fleet_document_counts_and_groups_warnings_apart():
    doc = fleet()
    assert doc["counts"] == {"total": 3, "pass": 2, "fail": 1, "unreachable": 0, "no_facts": 0}
    assert doc["warned"] == 2
    assert [(g["requirement"], g["hosts"]) for g in doc["groups"]] == [("required_devices: tun", ["kvm2"])]
    assert [(g["requirement"], g["count"], g["hosts"]) for g in doc["warnings"]] == [
        ("profile qemu: vhost_net", 2, ["kvm1", "kvm2"])]


def test_fleet_json_carries_severity_and_warnings():
    doc = json.loads(rendered("json", fleet()))
    kvm1 = doc["hosts"][0]
    assert kvm1["status"] == "pass" and kvm1["warnings"] == ["/dev/vhost-net is absent: modprobe vhost_net"]
    assert [c["severity"] for c in kvm1["checks"]] == ["fail", "warn"]
    assert doc["warned"] == 2 and doc["warnings"][0]["cause"] == "/dev/vhost-net is absent: modprobe vhost_net"


def test_fleet_md_shows_warnings_separately():
    text = render_markdown(fleet())
    assert u"\u26a0 2 hosts with warnings (reported, not gating; see Warnings)." in text
    section = text.split("## Warnings (2 hosts, not gating)", 1)[1].split("##", 1)[0]
    assert u"- \u26a0 **warn** 2 hosts `profile qemu`: /dev/vhost-net is absent: modprobe vhost_net \u2014 kvm1, kvm2" in section
    causes = text.split("## Root causes", 1)[1].split("## Warnings", 1)[0]
    assert "modprobe tun" in causes and "vhost" not in causes


def test_junit_marks_warn_checks_as_passing_with_a_note():
    root = ET.fromstring(rendered("junit", fleet()))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "1", "0")
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert suites["kvm1"].get("failures") == "0" and suites["kvm2"].get("failures") == "1"
    case = [c for c in suites["kvm1"].findall("testcase") if c.get("name") == "profile qemu: vhost_net"][0]
    assert case.find("failure") is None and case.find("skipped") is None
    assert case.find("system-out").text.startswith(
        "warning (severity warn, not gating): /dev/vhost-net is absent: modprobe vhost_net")


def test_fleet_html_marks_warn_checks_and_counts_them():
    doc = fleet()
    view = build_view(doc)
    assert view["warned"] == 2 and view["warnings"][0]["count"] == 2
    states = sorted(set(c[1] for c in view["checks"]))
    assert states == [0, 1, 2]  # unmet and gating, met, unmet warning
    page = render_html(doc)
    assert 'id="warnings"' in page and "td.warn{" in page and "count-warn" in page


def test_the_html_script_still_parses(tmp_path):
    page = render_html(fleet())
    script = re.findall(r"<script>(.*?)</script>", page, re.S)[-1]
    assert "c[1] === 2" in script
    node = [p for p in ("/usr/bin/node", "/usr/bin/nodejs") if os.path.exists(p)]
    if node:  # a syntax check where Node.js is installed; the browser test runs the page itself
        path = tmp_path / "page.js"
        path.write_text(script)
        completed = subprocess.run([node[0], "--check", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   check=False)
        assert completed.returncode == 0, completed.stderr
