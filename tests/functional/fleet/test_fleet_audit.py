# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One audit of a real fleet: podman containers with KVM, without the device, with a denied
user, and one unreachable host. Every report format is read back by a real consumer: json,
a JUnit parser, the Markdown text, and the HTML page as headless Chromium renders it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import chromium_dom, constructed_groups
from ansible_collections.fleetcheck.kvm.tests.functional.fleet.containers import GHOST_VARS, remove, start_kvm_fleet

HOSTS = {
    "fc-fleet-kvm": [],
    "fc-fleet-nodev": ["rm -f /dev/kvm"],
    "fc-fleet-denied": ["groupadd -r kvm", "useradd -m tester", "chgrp kvm /dev/kvm", "chmod 0660 /dev/kvm"],
}
GHOST = "fc-fleet-ghost"
EXPECTED = {  # host -> (status, a phrase of its first reason)
    "fc-fleet-kvm": ("pass", None),
    "fc-fleet-nodev": ("fail", "/dev/kvm does not exist"),
    "fc-fleet-denied": ("fail", "EACCES (Permission denied) opening read-write for user tester"),
    GHOST: ("unreachable", "host unreachable: "),
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("fleet")
    inventory = start_kvm_fleet(HOSTS, kvm_device, work, {"fc-fleet-denied": "tester"}, ["%s %s" % (GHOST, GHOST_VARS)])
    yield work, inventory
    remove(HOSTS)


def audit(ansible_bin, work, inventory, *extra):
    env = dict(os.environ, ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(work / "facts"), ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_NOCOLOR="1")
    process = subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "fleetcheck.kvm.audit", "-i",
                              str(inventory), "-e", "kvm_audit_report_dir=%s" % (work / "reports")] + list(extra),
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             check=False)
    return process.returncode, process.stdout


@pytest.fixture(scope="module")
def audited(fleet, ansible_bin):
    work, inventory = fleet
    rc, output = audit(ansible_bin, work, inventory)
    return work, inventory, rc, output


def test_the_audit_fails_the_run_and_says_why(audited):
    work, inventory, rc, output = audited
    assert rc != 0, output
    assert "KVM fleet audit: 4 hosts: 1 pass, 2 fail, 1 unreachable, 0 without facts" in output
    for host in ("fc-fleet-nodev", "fc-fleet-denied"):  # each failing host fails its own task
        assert re.search(r"fatal: \[%s\]: FAILED! .*\"msg\": \"fail: " % host, output), host
    assert re.search(r"fatal: \[%s\]: UNREACHABLE!" % GHOST, output)


def test_fleet_json_has_each_hosts_verdict_and_reason(audited):
    work = audited[0]
    with open(str(work / "reports" / "fleet.json")) as handle:
        data = json.load(handle)
    assert (data["schema"], data["schema_version"]) == ("fleetcheck.kvm/fleet", 1)
    assert data["counts"] == {"total": 4, "pass": 1, "fail": 2, "unreachable": 1, "no_facts": 0}
    records = dict((r["host"], r) for r in data["hosts"])
    for host, (status, phrase) in EXPECTED.items():
        assert records[host]["status"] == status, records[host]
        if phrase:
            assert phrase in records[host]["failures"][0]
        else:
            assert records[host]["failures"] == []


def test_junit_read_by_a_real_junit_parser(audited):
    from junitparser import Error, Failure, JUnitXml
    report = JUnitXml.fromfile(str(audited[0] / "reports" / "junit.xml"))
    outcomes = {}
    for suite in report:
        results = [r for case in suite for r in case.result]
        outcomes[suite.name] = (
            "unreachable" if any(isinstance(r, Error) for r in results) else
            "fail" if any(isinstance(r, Failure) for r in results) else "pass",
            results[0].message if results else None)
    for host, (status, phrase) in EXPECTED.items():
        assert outcomes[host][0] == status
        assert phrase is None or phrase in outcomes[host][1]


def test_markdown_lists_failing_hosts_first_with_reasons(audited):
    text = (audited[0] / "reports" / "fleet.md").read_text()
    assert "| 4 | 1 | 2 | 1 | 0 |" in text
    for host, (status, phrase) in EXPECTED.items():
        if phrase:
            assert "| %s | %s | " % (host, status) in text and phrase in text
    assert text.index("fc-fleet-ghost") < text.index("## Hosts that pass (1)") < text.rindex("fc-fleet-kvm")


def test_html_matrix_as_chromium_renders_it(audited):
    dom = chromium_dom(audited[0] / "reports" / "fleet.html", audited[0] / "chrome")
    matrix = dom.index('<table id="matrix"')  # the host matrix, not the guest CPU section's table
    root = ET.fromstring(dom[matrix:dom.index("</table>", matrix) + len("</table>")])
    rows = dict((tr.get("data-host"), tr) for tr in root.iter("tr") if tr.get("data-host"))
    assert set(rows) == set(EXPECTED)
    order = [tr.get("data-host") for tr in root.iter("tr") if tr.get("data-host")]
    assert order[-1] == "fc-fleet-kvm", "failing hosts come first"
    for host, (status, phrase) in EXPECTED.items():
        cells = dict((td.get("data-requirement"), td.get("class")) for td in rows[host] if td.get("data-requirement"))
        assert rows[host].get("data-status") == status
        if phrase:  # the reason is in the host table, not only in the detail view
            assert phrase in "".join([td for td in rows[host] if td.get("class") == "reason"][0].itertext())
        if status == "pass":
            assert set(cells[r] for r in cells if cells[r] != "none") == set(["pass"])
        elif status == "unreachable":
            assert cells["unreachable"] == "unreachable"
        else:
            assert cells["usable"] == "fail"


def test_constructed_inventory_groups_hosts_from_the_fact_cache(audited, ansible_bin):
    work, inventory = audited[0], audited[1]
    groups = constructed_groups(ansible_bin, inventory, work / "facts")

    def hosts(group):
        return groups.get(group, [])
    assert hosts("kvm_usable") == ["fc-fleet-kvm"]
    assert hosts("kvm_unusable") == ["fc-fleet-denied", "fc-fleet-nodev"]
    assert hosts("kvm_unknown") == [GHOST]
    assert hosts("kvm_audit_pass") == ["fc-fleet-kvm"]
    with open(str(work / "reports" / "fleet.json")) as handle:
        kvm_record = [r for r in json.load(handle)["hosts"] if r["host"] == "fc-fleet-kvm"][0]
    for profile in kvm_record["summary"]["profiles_met"]:
        assert hosts("kvm_profile_" + profile) == ["fc-fleet-kvm"]
    assert hosts("kvm_backend_" + kvm_record["summary"]["backend"]) == ["fc-fleet-kvm"]
    model = kvm_record["summary"]["guest_cpu_model"]  # its pool's configuration, by the documented rule
    with open(str(work / "reports" / "fleet.json")) as handle:
        pools = json.load(handle)["guest_cpu"]["pools"]
    assert model == [p for p in pools if "fc-fleet-kvm" in p["hosts"]][0]["config"]["model"]
    assert hosts("kvm_guest_cpu_model_" + model.replace("-", "_")) == ["fc-fleet-kvm"]
    assert hosts("kvm_qemu_11_1") == ["fc-fleet-kvm"]  # no QEMU in its container: judged for the newest table


def test_unreachable_hosts_may_be_allowed(fleet, ansible_bin):
    work, inventory = fleet
    rc, output = audit(ansible_bin, work, inventory, "--limit", "fc-fleet-kvm,%s" % GHOST,
                       "-e", "kvm_audit_allow_unreachable=true", "-e", "kvm_audit_report_dir=%s" % (work / "r2"))
    assert rc == 0, output
    with open(str(work / "r2" / "fleet.json")) as handle:
        assert json.load(handle)["counts"] == {"total": 2, "pass": 1, "fail": 0, "unreachable": 1, "no_facts": 0}


def test_the_real_fleet_is_pooled_by_guest_cpu(audited):
    """Hosts whose guest CPU is known form pools; the others are left out with the reason, never dropped."""
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
    work = audited[0]
    with open(str(work / "reports" / "fleet.json")) as handle:
        data = json.load(handle)
    view, records = data["guest_cpu"], dict((r["host"], r) for r in data["hosts"])
    pooled = dict((host, pool) for pool in view["pools"] for host in pool["hosts"])
    assert sorted(list(pooled) + list(view["excluded"])) == sorted(EXPECTED), view
    assert "fc-fleet-kvm" in pooled and view["excluded"][GHOST]
    for host, pool in pooled.items():
        summary = records[host]["summary"]
        assert pool["id"] == summary["guest_cpu_pool"] == fingerprint(pool["features"])
        assert pool["level"] == summary["guest_cpu_level"]
    assert view["common"]["level"] == min(pool["level"] for pool in view["pools"])
    with open(str(work / "reports" / "fleet.md")) as handle:
        assert pooled["fc-fleet-kvm"]["id"] in handle.read()
    with open(str(work / "reports" / "fleet.html")) as handle:
        assert '<section id="guest-cpu">' in handle.read()


def ad_hoc(ansible_bin, inventory, host, module, args, cache=None):
    """One ad-hoc task's result for host, through the json callback; cache: the jsonfile fact cache to use."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    if cache:
        env.update(ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=cache)
    output = subprocess.check_output([os.path.join(ansible_bin, "ansible"), host, "-i", str(inventory), "-m", module,
                                      "-a", args], env=env, universal_newlines=True)
    return json.loads(output)["plays"][0]["tasks"][0]["hosts"][host]


def test_the_audit_details_only_the_required_models_and_keeps_runnable_models_whole(audited, ansible_bin):
    """The audit's probe asks for the models its requirements name (none here): the fact cache holds no
    model map, yet runnable_models and features equal those of a full probe of the same host."""
    work, inventory = audited[0], audited[1]
    cached = ad_hoc(ansible_bin, inventory, "fc-fleet-kvm", "ansible.builtin.debug", "var=ansible_facts.kvm.guest_cpu",
                    cache=str(work / "facts"))["ansible_facts.kvm.guest_cpu"]
    assert cached["models"] == {} and cached["models_complete"] is False
    full = ad_hoc(ansible_bin, inventory, "fc-fleet-kvm", "fleetcheck.kvm.kvm_facts",
                  "gather_subset=min,guest_cpu cpu_models=all")["ansible_facts"]["kvm"]["guest_cpu"]
    assert full["models_complete"] is True and len(full["models"]) > len(full["runnable_models"]) > 0
    assert cached["runnable_models"] == full["runnable_models"]
    assert cached["features"] == full["features"]
