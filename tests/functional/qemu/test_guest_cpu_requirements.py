# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validate role on this host with kvm_validate_min_guest_cpu_level: x86-64-v2, against two oracles.

What the verdict must name is never written here: it is derived from the psABI level table and the
probe's own facts, and cross-checked against QEMU's expansion of `-cpu host` under -accel kvm.
The same run's fact cache then feeds the constructed inventory example, whose guest CPU groups must
be named by the level and by naming.fingerprint (plugin_utils/_judge/naming.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.ansible_runner import run_ansible
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing
from ansible_collections.fleetcheck.kvm.tests.functional.qemu.test_guest_cpu_qemu import QEMU, Qmp

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import ALL_NAMES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_requirements

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LEVEL = "x86-64-v2"
PLAY = """---
- name: Gate on the guest CPU level
  hosts: localhost
  gather_facts: false
  roles:
    - role: fleetcheck.kvm.validate
      vars:
        kvm_validate_min_guest_cpu_level: %s
""" % LEVEL


@pytest.fixture(scope="module")
def role_run(kvm_device, ansible_bin, tmp_path_factory):
    """(json-callback output, environment, work dir) of the role on localhost, from this working tree."""
    if os.uname()[4] != "x86_64":
        missing("guest_cpu levels need an x86_64 host; this one is %s" % os.uname()[4])
    work = tmp_path_factory.mktemp("h9w-guest-cpu-role")
    os.makedirs(str(work / "collections" / "ansible_collections" / "fleetcheck"))
    os.symlink(ROOT, str(work / "collections" / "ansible_collections" / "fleetcheck" / "kvm"))
    (work / "play.yml").write_text(PLAY)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(work / "collections"), "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
           "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(work / "facts")}
    _rc, output = run_ansible(ansible_bin, ["ansible-playbook", "-i", "localhost,", "-c", "local",
                                            str(work / "play.yml")], env=env, check=False)
    return output, env, work


def task_results(output, name):
    return [task["hosts"]["localhost"] for play in output["plays"] for task in play["tasks"]
            if task["task"]["name"].split(" : ")[-1] == name and "localhost" in task["hosts"]]


@pytest.fixture(scope="module")
def run_facts(role_run):
    [probe] = task_results(role_run[0], "Ask /dev/kvm what this host can run")
    guest = probe["ansible_facts"]["kvm"]["guest_cpu"]
    assert "skipped" not in guest and "error" not in guest, guest
    [judged] = task_results(role_run[0], "Judge this host against the KVM requirements")
    return guest, judged["ansible_facts"]["kvm_validate_result"]


def expected_missing(features):
    return sorted(set(level_requirements(LEVEL)) - set(features))


def test_the_role_fails_below_the_level_naming_exactly_the_missing_features(role_run, run_facts):
    output = role_run[0]
    guest, verdict = run_facts
    lacking = expected_missing(guest["features"])
    [check] = [c for c in verdict["checks"] if c["requirement"] == "min_guest_cpu_level"]
    assert check["expected"] == LEVEL and check["actual"] == guest["level"]
    failed = task_results(output, "Fail the host that misses KVM requirements")
    if not lacking:  # a host that reaches the level: the requirement passes
        assert check["ok"] is True
        return
    if guest["level"] == "x86-64-v1":  # the level just below: what blocks it is missing_for_next_level
        assert lacking == guest["missing_for_next_level"]
    assert check["ok"] is False
    assert "KVM does not offer guests %s (CPUID features" % ", ".join(lacking) in check["message"]
    assert failed and failed[0]["failed"] is True and output["stats"]["localhost"]["failures"] == 1
    assert check["message"] in failed[0]["msg"], failed[0]["msg"]


def test_the_missing_features_are_those_qemu_cannot_give_the_host_model(kvm_device, run_facts):
    binary = shutil.which(QEMU)
    if not binary:
        missing("%s is not installed (Debian package qemu-system-x86, installed by tools/test-all.sh)" % QEMU)
    guest, verdict = run_facts
    qmp = Qmp(binary)
    try:
        props = qmp.command("query-cpu-model-expansion", type="full", model={"name": "host"})["model"]["props"]
    finally:
        qmp.close()
    offered_by_qemu = set(name for name, value in props.items() if value is True) & ALL_NAMES
    assert expected_missing(offered_by_qemu) == expected_missing(guest["features"])
    [check] = [c for c in verdict["checks"] if c["requirement"] == "min_guest_cpu_level"]
    assert check["ok"] is (not expected_missing(offered_by_qemu))


def test_the_verdict_summary_always_carries_level_and_pool(run_facts):
    guest, verdict = run_facts
    assert verdict["summary"]["guest_cpu_level"] == guest["level"]
    assert verdict["summary"]["guest_cpu_pool"] == fingerprint(guest["features"])


def test_the_constructed_example_groups_this_host_by_level_and_pool(role_run, run_facts, ansible_bin):
    _output, env, _work = role_run
    guest, _verdict = run_facts
    process = subprocess.run([os.path.join(ansible_bin, "ansible-inventory"), "-i", "localhost,", "-i",
                              os.path.join(ROOT, "docs", "examples", "kvm_groups.constructed.yml"), "--list"],
                             env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, check=True)
    groups = json.loads(process.stdout)
    assert groups["kvm_guest_cpu_pool_" + fingerprint(guest["features"])]["hosts"] == ["localhost"], sorted(groups)
    if guest["level"]:
        assert groups["kvm_guest_cpu_" + guest["level"].replace("-", "_")]["hosts"] == ["localhost"]
    assert [g for g in groups if g.startswith("kvm_guest_cpu_") and "pool" not in g] == (
        ["kvm_guest_cpu_" + guest["level"].replace("-", "_")] if guest["level"] else [])
