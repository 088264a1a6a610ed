# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""device_users: an account the kernel itself refused (judged as root) gets the probe's reason, not a group hint."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def verdict(kernel, users):
    req = check_requirements({"device_users": users}, BUILTIN_PROFILES)
    return evaluate(gather(["all"], kernel=kernel, accounts=users), req, BUILTIN_PROFILES, host="kvm1")


def test_an_account_in_the_group_refused_by_the_device_cgroup_is_told_so():
    kernel = FakeKernel()
    kernel.euid = 0  # as root the probe opens /dev/kvm as each account
    kernel.open_as_result[("/dev/kvm", 1002)] = ("open", errno.EPERM)  # qemu is in kvm, the node is 0660 root:kvm
    failures = verdict(kernel, ["qemu"])["failures"]
    assert failures[0].startswith("/dev/kvm: EPERM (Operation not permitted) opening read-write as qemu")
    assert "the mode and ACL allow qemu (group kvm), so the device cgroup" in failures[0]
    assert "not in any group" not in failures[0]


def test_a_derived_refusal_keeps_the_group_remedy():
    failures = verdict(FakeKernel(), ["nova"])["failures"]
    assert failures[0].endswith("add nova to group kvm")


def judge(facts, **requirements):
    return evaluate(facts, check_requirements(requirements, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm1")


def test_a_listed_subset_missing_from_the_facts_is_malformed_facts_not_a_missing_gather_subset():
    facts = gather(["all"], kernel=FakeKernel())
    assert "vcpu_run" in facts["gather_subset"]
    del facts["vcpu_run"]
    checks = [c for c in judge(facts)["checks"] if c["requirement"] == "require_vcpu_run"]
    assert [c["code"] for c in checks] == ["facts.malformed"]
    assert "gather_subset lists vcpu_run, yet the facts hold no vcpu_run entry" in checks[0]["message"]
    assert "add 'vcpu_run' to gather_subset" not in checks[0]["message"]


def test_facts_without_the_device_entry_leave_the_world_writable_check_not_judged_never_dropped():
    facts = gather(["all"], kernel=FakeKernel())
    del facts["device"]
    checks = [c for c in judge(facts)["checks"] if c["requirement"] == "forbid_world_writable_device"]
    assert len(checks) == 1 and checks[0]["ok"] is False and checks[0]["code"] == "facts.malformed", checks
    waived = judge(facts, forbid_world_writable_device=False)["checks"]
    assert not [c for c in waived if c["requirement"] == "forbid_world_writable_device"]
