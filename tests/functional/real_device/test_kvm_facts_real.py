# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_facts through real ansible-core against this machine's /dev/kvm.

Every value is checked against an independent source (the C probe, os.stat,
/sys), never against a constant of one machine.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import platform
import stat

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.extensions import CAP_SWEEP_BEYOND_TABLE
from ansible_collections.fleetcheck.kvm.tests.functional.ansible_runner import module_result, run_ansible

MAX_CAP = max(KVM_CAPS) + CAP_SWEEP_BEYOND_TABLE


@pytest.fixture(scope="module")
def facts(ansible_bin, kvm_device):
    rc, output = run_ansible(ansible_bin, ["ansible", "localhost", "-m", "fleetcheck.kvm.kvm_facts"])
    result = module_result(output)
    assert result["changed"] is False
    return result["ansible_facts"]["kvm"]


@pytest.fixture(scope="module")
def c_answers(c_probe, kvm_device):
    answers = {"caps": {}}
    for fields in c_probe(kvm_device, MAX_CAP):
        if fields[0] == "cap":
            answers["caps"][int(fields[1])] = int(fields[2])
        else:
            answers[fields[0]] = int(fields[1])
    return answers


def test_usable_with_a_vcpu_run_that_saw_io_then_hlt(facts):
    assert facts["usable"] is True, facts["reasons"]
    assert facts["reasons"] == []
    run = facts["vcpu_run"]
    if platform.machine() != "x86_64":
        assert run["status"] == "skipped"
        return
    assert run["status"] == "ok" and run["ok"] is True
    assert [e["reason"] for e in run["exits"]] == ["IO", "HLT"]
    assert run["exits"][0]["direction"] == "out" and run["exits"][0]["data"] == 0x4B


def test_api_version_and_mmap_size_match_the_c_probe(facts, c_answers):
    assert facts["api_version"] == c_answers["api_version"]
    assert facts["vcpu_mmap_size"] == c_answers["vcpu_mmap_size"]
    assert facts["system_ioctls"]["KVM_GET_API_VERSION"]["result"] == c_answers["api_version"]


def test_every_capability_value_matches_the_c_probe(facts, c_answers):
    expected = dict((cap_name(n), v) for n, v in c_answers["caps"].items() if v)
    assert facts["extensions"] == expected
    assert len(expected) > 0


def test_cpuid_and_msr_counts_match_the_c_probe(facts, c_answers):
    if "cpuid_entries" not in c_answers:
        assert "skipped" in facts["cpuid"]
        return
    assert facts["cpuid"]["entries"] == c_answers["cpuid_entries"]
    assert facts["msrs"]["index_count"] == c_answers["msr_index_count"]


def test_device_facts_match_os_stat(facts, kvm_device):
    st = os.stat(kvm_device)
    device = facts["device"]
    assert device["mode"] == "%04o" % stat.S_IMODE(st.st_mode)
    assert (device["major"], device["minor"]) == (os.major(st.st_rdev), os.minor(st.st_rdev))
    assert device["kvm_node"] is True and device["can_open_rw"] is True
    assert device["world_writable"] == bool(st.st_mode & stat.S_IWOTH)


def test_backend_matches_sys_module(facts):
    loaded = [name for name in KVM_BACKENDS if os.path.isdir(os.path.join("/sys/module", name))]
    assert facts["host"]["backends"] == loaded
    assert facts["host"]["backend"] == (loaded[0] if loaded else None)
    assert facts["host"]["kernel"] == platform.release() and facts["host"]["arch"] == platform.machine()
    nested_file = "/sys/module/%s/parameters/nested" % facts["host"]["backend"]
    if os.path.exists(nested_file):
        with open(nested_file) as handle:
            assert facts["host"]["nested"] == (handle.read().strip() in ("Y", "1"))
    else:
        assert facts["host"]["nested"] is None


def test_check_mode_reports_the_same_and_changes_nothing(ansible_bin, kvm_device):
    rc, output = run_ansible(ansible_bin, ["ansible", "localhost", "--check", "-m", "fleetcheck.kvm.kvm_facts",
                                           "-a", "gather_subset=min"])
    result = module_result(output)
    assert result["changed"] is False and result["ansible_facts"]["kvm"]["usable"] is True
    assert result["ansible_facts"]["kvm"]["gather_subset"] == ["device", "api", "vm"]


@pytest.mark.parametrize("args, message", [
    ("gather_subset=hardware", "unknown gather_subset 'hardware'"),
    ("gather_subset=!vm", "cannot be excluded"),
    ("timeout=0", "timeout must be between 0.01 and 300 seconds, got 0"),
    ("timeout=abc", "timeout"),
    ("colour=blue", "Unsupported parameters"),
])
def test_invalid_options_fail_with_a_clear_message(ansible_bin, args, message):
    rc, output = run_ansible(ansible_bin, ["ansible", "localhost", "-m", "fleetcheck.kvm.kvm_facts", "-a", args],
                             check=False)
    result = module_result(output)
    assert rc != 0 and result["failed"] is True
    assert message in result["msg"]
    assert "Traceback" not in result.get("module_stderr", "")


@pytest.mark.parametrize("device, expected", [
    ("/nonexistent/kvm", "/nonexistent/kvm does not exist"),
    ("/dev/null", "KVM_GET_API_VERSION failed with ENOTTY (Inappropriate ioctl for device); "
                  "the node is character device 1:3, not KVM (10:232)"),
    ("/etc/hostname", "/etc/hostname is a regular file, not the KVM character device 10:232"),
])
def test_broken_device_paths_give_a_precise_reason(ansible_bin, device, expected):
    rc, output = run_ansible(ansible_bin, ["ansible", "localhost", "-m", "fleetcheck.kvm.kvm_facts",
                                           "-a", "device=%s" % device])
    kvm = module_result(output)["ansible_facts"]["kvm"]
    assert kvm["usable"] is False and len(kvm["reasons"]) == 1
    assert expected in kvm["reasons"][0]


def test_gather_facts_fills_kvm_through_facts_modules(ansible_bin, kvm_device, tmp_path):
    playbook = tmp_path / "gather.yml"
    playbook.write_text(u"- hosts: localhost\n  gather_facts: true\n  tasks:\n"
                        u"    - ansible.builtin.debug:\n        var: ansible_facts.kvm.usable\n")
    rc, output = run_ansible(ansible_bin, ["ansible-playbook", str(playbook)], env={
        "ANSIBLE_FACTS_MODULES": "ansible.builtin.setup,fleetcheck.kvm.kvm_facts"})
    debug = output["plays"][0]["tasks"][1]["hosts"]["localhost"]
    assert debug["ansible_facts.kvm.usable"] is True
