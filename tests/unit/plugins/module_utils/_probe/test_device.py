# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The device subset: a missing, denied or wrong node, why, and the remedy; its ACL and account facts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import (
    FakeKernel, FakeNode, acl_xattr, kvm_node, misc_node, only_reason, probe)

V1_MOUNTS = "cgroup /sys/fs/cgroup/devices cgroup rw,nosuid,devices 0 0\n"


@pytest.fixture
def kernel():
    return FakeKernel()


def reason_of(kernel, **kwargs):
    facts = gather(["min"], kernel=kernel, **kwargs)
    assert kernel.leaks() == []
    assert facts["usable"] is False and len(facts["reasons"]) == 1, facts["reasons"]
    return facts["reasons"][0]


def test_eperm_for_root_on_an_owner_only_node_is_the_device_cgroup_not_a_group(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o600, gid=0)
    kernel.euid, kernel.identity_value = 0, ("root", ["root"])
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    kernel.sysfs["/proc/self"] = {"mounts": V1_MOUNTS, "cgroup": "4:devices:/machine/fc\n"}
    kernel.sysfs["/sys/fs/cgroup/devices/machine/fc"] = {"devices.list": "c 1:3 rwm\nc 10:200 rwm"}
    reason = reason_of(kernel)
    assert reason == (
        "/dev/kvm: EPERM (Operation not permitted) opening read-write for user root (groups: root); node is "
        "crw------- root:root; the mode and ACL allow root (root), so the device cgroup v1 devices "
        "(/machine/fc) does not allow c 10:232 (its devices.list: c 1:3 rwm; c 10:200 rwm): in a container "
        "pass --device /dev/kvm, or add c 10:232 rw to the device cgroup's allow-list "
        "(systemd: DeviceAllow=/dev/kvm rw)")
    assert "add root" not in reason


def test_eperm_on_cgroup_v2_names_the_bpf_program(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    kernel.sysfs["/proc/self"] = {"mounts": "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n", "cgroup": "0::/\n"}
    assert "the device cgroup (v2 BPF device program (not readable from files)) does not allow c 10:232" \
        in reason_of(kernel)


def test_eacces_for_a_member_the_mode_allows_is_a_security_module_or_cgroup(kernel):
    kernel.open_errno["/dev/kvm"] = errno.EACCES  # tester is in kvm, the node is 0660 root:kvm
    reason = reason_of(kernel)
    assert "the mode and ACL allow tester (group kvm), so the device cgroup or a security module" in reason


def test_a_node_with_kvms_major_and_another_minor_is_recreated_not_modprobed(kernel):
    kernel.nodes["/dev/kvm"] = misc_node(233)
    kernel.open_errno["/dev/kvm"] = errno.ENODEV
    kernel.sysfs["/sys/class/misc/kvm"] = {"dev": "10:232"}
    reason = reason_of(kernel)
    assert reason.endswith("; the node has the wrong number 10:233, KVM is 10:232 (/sys/class/misc/kvm/dev): "
                           "recreate it (rm /dev/kvm; mknod /dev/kvm c 10 232; then chown and chmod it as before) "
                           "or let devtmpfs or udev create it")
    assert "load the KVM module" not in reason


def test_the_right_number_without_a_driver_still_says_load_the_module(kernel):
    kernel.open_errno["/dev/kvm"] = errno.ENXIO
    assert reason_of(kernel).endswith("no driver serves 10:232: load the KVM module")


def test_acl_grant_is_reported_on_the_kvm_device(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o660, gid=0)
    kernel.xattrs["/dev/kvm"] = acl_xattr(("user_obj", None, 6), ("user", 1001, 6), ("group_obj", None, 0),
                                          ("mask", None, 6), ("other", None, 0))
    device = gather(["min"], kernel=kernel, accounts=["nova"])["device"]
    assert device["group_bits_are_acl_mask"] and device["group_perms"] == "---" and device["acl_mask"] == "rw-"
    assert device["accounts"]["nova"]["may_open"] is True and device["accounts"]["nova"]["via"] == "acl user 1001"
    assert device["accounts"]["nova"]["judged"] == "derived"


def test_accounts_are_observed_as_root(kernel):
    kernel.euid = 0
    device = gather(["min"], kernel=kernel, accounts=["nova", "qemu"])["device"]
    assert [c[1] for c in kernel.open_as_calls] == [1001, 1002]
    assert device["accounts"]["qemu"]["judged"] == "observed" and device["accounts"]["qemu"]["may_open"]
    assert device["accounts"]["nova"]["open_error"] == "EACCES"


def test_accounts_are_judged_by_owner_group_and_mode(kernel):
    facts = probe(kernel, ["min"], accounts=["nova", "qemu", "root", "ghost"])
    accounts = facts["device"]["accounts"]
    legacy = ("exists", "groups", "may_open", "via")
    assert dict((k, accounts["nova"][k]) for k in legacy) == {
        "exists": True, "groups": ["1001"], "may_open": False, "via": None}
    assert accounts["qemu"]["may_open"] is True and accounts["qemu"]["via"] == "group kvm"
    assert accounts["root"]["via"] == "root"
    assert dict((k, accounts["ghost"][k]) for k in legacy) == {
        "exists": False, "groups": [], "may_open": False, "via": None}
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    assert probe(kernel, ["min"], accounts=["nova"])["device"]["accounts"]["nova"]["via"] == "other"


def test_no_device(kernel):
    del kernel.nodes["/dev/kvm"]
    kernel.sysfs["/sys/module"] = ["ext4"]
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "/dev/kvm does not exist" in reason and "no KVM backend module is loaded" in reason
    assert "--device /dev/kvm" in reason
    assert facts["device"]["exists"] is False and facts["device"]["open_error"] == "ENOENT"
    assert facts["vcpu_run"]["status"] == "skipped" and facts["api_version"] is None


def test_no_device_although_a_backend_is_loaded(kernel):
    del kernel.nodes["/dev/kvm"]
    reason = only_reason(probe(kernel, ["min"]))
    assert "although kvm_intel is loaded" in reason and "mknod /dev/kvm c 10 232" in reason


def test_permission_denied_names_user_groups_node_and_remedy(kernel):
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    kernel.identity_value = ("nova", ["nova"])
    facts = probe(kernel)
    reason = only_reason(facts)
    assert reason == ("/dev/kvm: EACCES (Permission denied) opening read-write for user nova (groups: nova); "
                      "node is crw-rw---- root:kvm; add nova to group kvm and log in again")
    assert facts["device"]["can_open_rw"] is False and facts["device"]["open_error"] == "EACCES"


def test_permission_denied_on_an_owner_only_node_suggests_a_group(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o600, gid=0)
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    reason = only_reason(probe(kernel))
    assert "node is crw------- root:root" in reason
    assert "open to its owner root only" in reason and 'GROUP="kvm", MODE="0660"' in reason


def test_eperm_from_the_device_cgroup(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "EPERM (Operation not permitted)" in reason and "device cgroup" in reason
    assert "--device /dev/kvm" in reason
    assert facts["device"]["world_writable"] is True


def test_regular_file_at_the_path(kernel):
    kernel.nodes["/dev/kvm"] = FakeNode(stat.S_IFREG | 0o644)
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "/dev/kvm is a regular file, not the KVM character device 10:232 (-rw-r--r-- root:kvm)" in reason
    assert facts["device"]["char_device"] is False


def test_character_device_that_is_not_kvm(kernel):
    kernel.nodes["/dev/kvm"] = FakeNode(stat.S_IFCHR | 0o666, os.makedev(1, 3))
    kernel.fail["KVM_GET_API_VERSION"] = errno.ENOTTY
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "KVM_GET_API_VERSION failed with ENOTTY" in reason
    assert "character device 1:3, not KVM (10:232)" in reason
    assert facts["device"]["kvm_node"] is False and facts["extensions"] == {}


def test_a_path_whose_directory_does_not_exist_is_a_typo_not_a_missing_node():
    kernel = FakeKernel()
    facts = probe(kernel, ["device"], device="/nonexistent/kvm")
    found = facts["problems"][0]
    assert (found["code"], found["subject"]) == ("device.missing.no_directory", "/nonexistent/kvm")
    assert "mistyped" in found["message"] and "mknod" not in found["remedy"] and "/dev/kvm" in found["remedy"]
    del kernel.nodes["/dev/kvm"]  # the real directory, without the node: still the missing-node diagnosis
    assert probe(kernel, ["device"])["problems"][0]["code"].startswith("device.missing.") and \
        probe(kernel, ["device"])["problems"][0]["code"] != "device.missing.no_directory"
