# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Audits over time on a real fleet of podman containers: audit, change one host, audit again. The changes
name exactly that host and that change, and the regression gate passes an old failure and fails a new one."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.fleet.containers import podman, remove, start_kvm_fleet
from ansible_collections.fleetcheck.kvm.tests.functional.fleet.test_fleet_audit import audit
from ansible_collections.fleetcheck.kvm.tests.functional.fleet.test_fleet_prometheus import tool

HOSTS = {
    "fc-chg-a": [],
    "fc-chg-b": [],
    "fc-chg-old": ["groupadd -r kvm", "useradd -m tester", "chgrp kvm /dev/kvm", "chmod 0660 /dev/kvm"],
}


@pytest.fixture(scope="module")
def audits(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("changes")
    inventory = start_kvm_fleet(HOSTS, kvm_device, work, {"fc-chg-old": "tester"})
    runs = {"first": audit(ansible_bin, work, inventory)}
    runs["again"] = audit(ansible_bin, work, inventory, "-e", "kvm_audit_gate=regressions")
    with open(str(work / "reports" / "fleet.json")) as handle:
        runs["again_fleet"] = json.load(handle)
    podman("exec", "fc-chg-b", "rm", "-f", "/dev/kvm")  # the one change
    runs["changed"] = audit(ansible_bin, work, inventory, "-e", "kvm_audit_gate=regressions")
    with open(str(work / "reports" / "fleet.json")) as handle:
        runs["changed_fleet"] = json.load(handle)
    with open(str(work / "reports" / "fleet.md")) as handle:
        runs["changed_md"] = handle.read()
    with open(str(work / "reports" / "fleet.prom"), "rb") as handle:
        runs["changed_prom"] = handle.read()
    yield work, runs
    remove(HOSTS)


def recap(output, host):
    return [line for line in output.splitlines() if line.startswith(host + " ") and "ok=" in line][0]


def test_the_first_audit_fails_on_the_old_failure_and_compares_with_nothing(audits):
    _work, runs = audits
    rc, output = runs["first"]
    assert rc != 0 and "failed=1" in recap(output, "fc-chg-old"), output
    assert "Changes since the previous audit" not in output


def test_an_unchanged_fleet_passes_the_regression_gate_despite_its_old_failure(audits):
    _work, runs = audits
    rc, output = runs["again"]
    assert rc == 0, output
    assert "failed=0" in recap(output, "fc-chg-old")
    changes = runs["again_fleet"]["changes"]
    assert changes["counts"] == {"newly_failing": 0, "fixed": 0, "new": 0, "gone": 0, "changed": 0, "regressions": 0}
    assert runs["again_fleet"]["counts"]["fail"] == 1  # the old failure is still reported


def test_the_changed_host_alone_is_named_with_its_change_and_fails_the_gate(audits):
    work, runs = audits
    rc, output = runs["changed"]
    assert rc != 0, output
    assert "failed=1" in recap(output, "fc-chg-b") and "failed=0" in recap(output, "fc-chg-old")
    assert "failed=0" in recap(output, "fc-chg-a")
    changes = runs["changed_fleet"]["changes"]
    assert [entry["host"] for entry in changes["hosts"]] == ["fc-chg-b"]
    change = changes["hosts"][0]["changes"]
    assert sorted(change) == ["root_causes", "status"] and change["status"] == ["pass", "fail"]
    assert [c.split(" ")[0] for c in change["root_causes"]["gained"]] == ["device.missing.module_loaded"]
    assert change["root_causes"]["lost"] == []
    assert [r["host"] for r in changes["regressions"]] == ["fc-chg-b"]
    assert changes["previous"]["generated_at"] == runs["again_fleet"]["generated_at"]
    assert "fc-chg-b (was pass, now fail)" in runs["changed_md"]
    assert "regression: fc-chg-b was pass, now fail: device.missing.module_loaded" in output
    # the previous set is kept beside the latest, for the next comparison
    assert len([n for n in os.listdir(str(work / "reports" / ".sets")) if not n.startswith(".")]) == 2


def test_promtool_accepts_fleet_prom_with_the_changes(audits):
    _work, runs = audits
    assert b'fleetcheck_kvm_changes{kind="regressions"} 1' in runs["changed_prom"]
    checked = subprocess.run([tool("promtool"), "check", "metrics"], input=runs["changed_prom"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, check=False)
    assert checked.returncode == 0, checked.stdout
