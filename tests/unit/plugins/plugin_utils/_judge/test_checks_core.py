# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""device_users: an account the kernel itself refused (judged as root) gets the probe's reason, not a group hint."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES as PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def verdict(kernel, users):
    req = check_requirements({"device_users": users}, PROFILES)
    return evaluate(gather(["all"], kernel=kernel, accounts=users), req, PROFILES, host="kvm1")


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
