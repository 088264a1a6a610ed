# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may open a node: the ACL's binary format, the kernel's order of checks, observed vs derived."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.node import (
    dac_access, decode_acl, judge_accounts, node_facts, node_text, read_acl, unmapped_remedy)
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import (
    KVM_GID, FakeKernel, acl_xattr, kvm_node, oserror)

NOVA_ACL = (("user_obj", None, 6), ("user", 1001, 6), ("group_obj", None, 6), ("mask", None, 6), ("other", None, 0))


@pytest.fixture
def kernel():
    return FakeKernel()


def test_acl_binary_format_is_decoded():
    # The bytes setfacl -m u:1001:rw writes: version 2, then (tag, perm, id) little-endian.
    raw = bytes(bytearray([2, 0, 0, 0, 1, 0, 6, 0, 255, 255, 255, 255, 2, 0, 6, 0, 0xE9, 3, 0, 0]))
    assert decode_acl(raw) == [("user_obj", None, 6), ("user", 1001, 6)]
    assert decode_acl(acl_xattr(*NOVA_ACL)) == list(NOVA_ACL)


@pytest.mark.parametrize("raw,message", [(b"\x02\x00", "not a header and whole entries"),
                                         (b"\x01\x00\x00\x00", "ACL version 1 is not 2")])
def test_malformed_acl_is_an_error_not_a_crash(kernel, raw, message):
    kernel.xattrs["/dev/kvm"] = raw
    entries, error = read_acl(kernel, "/dev/kvm")
    assert entries == [] and message in error


def refusing(number):
    def getxattr(path, name):
        raise oserror(number)
    return getxattr


def test_no_acl_and_unsupported_filesystems_are_no_acl(kernel):
    assert read_acl(kernel, "/dev/kvm") == ([], None)
    kernel.getxattr = refusing(errno.ENOTSUP)
    assert read_acl(kernel, "/dev/kvm") == ([], None)
    kernel.getxattr = refusing(errno.EIO)
    assert "EIO" in read_acl(kernel, "/dev/kvm")[1]


@pytest.mark.parametrize("perm,uid,gids,expected", [
    (0o600, 0, [0], (True, "root")),
    (0o600, 1001, [1001], (False, "other")),
    (0o606, 1001, [1001], (True, "other")),
    (0o660, 1002, [1002, KVM_GID], (True, "group kvm")),
    (0o606, 1002, [1002, KVM_GID], (False, "group kvm")),  # a matching group without rw does not fall to other
    (0o066, 0o0 + 7, [7], (True, "other")),
])
def test_mode_only_access_follows_the_kernel_order(kernel, perm, uid, gids, expected):
    assert dac_access(kernel, kvm_node(perm), [], uid, gids) == expected


def test_the_owner_entry_decides_for_the_owner(kernel):
    assert dac_access(kernel, kvm_node(0o066, uid=1001), [], 1001, [1001]) == (False, "owner")


def test_acl_named_user_and_mask(kernel):
    acl = decode_acl(acl_xattr(*NOVA_ACL))
    assert dac_access(kernel, kvm_node(0o660), acl, 1001, [1001]) == (True, "acl user 1001")
    masked = [(t, i, 4 if t == "mask" else p) for t, i, p in acl]
    assert dac_access(kernel, kvm_node(0o640), masked, 1001, [1001]) == (False, "acl user 1001")


def test_acl_named_group(kernel):
    acl = decode_acl(acl_xattr(("user_obj", None, 6), ("group_obj", None, 0), ("group", 1001, 6),
                               ("mask", None, 6), ("other", None, 0)))
    assert dac_access(kernel, kvm_node(0o660), acl, 1001, [1001]) == (True, "acl group 1001")
    assert dac_access(kernel, kvm_node(0o660), acl, 1002, [1002, KVM_GID]) == (False, "group kvm")


def test_the_mode_does_not_hide_the_mask(kernel):
    acl = decode_acl(acl_xattr(*[(t, i, 0 if t == "group_obj" else p) for t, i, p in NOVA_ACL]))
    facts = node_facts(kernel, kvm_node(0o660), acl)
    assert facts["mode"] == "0660" and facts["group_bits_are_acl_mask"] is True
    assert facts["acl_mask"] == "rw-" and facts["group_perms"] == "---"
    assert node_text(kernel, kvm_node(0o660), acl) == "crw-rw---- root:kvm + acl user:1001:rw-, mask::rw-"


def test_not_root_the_answer_is_derived_and_says_so(kernel):
    kernel.xattrs["/dev/kvm"] = acl_xattr(*NOVA_ACL)
    acl = read_acl(kernel, "/dev/kvm")[0]
    found = judge_accounts(kernel, "/dev/kvm", kvm_node(), acl, ["nova", "ghost"])
    assert found["nova"]["may_open"] is True and found["nova"]["via"] == "acl user 1001"
    assert found["nova"]["judged"] == "derived" and "not observed" in found["nova"]["reason"]
    assert found["ghost"]["exists"] is False and kernel.open_as_calls == []


def test_as_root_the_kernel_is_asked_as_each_account(kernel):
    kernel.euid = 0
    kernel.open_as_result[("/dev/kvm", 1001)] = (None, 0)  # e.g. a uaccess ACL the mode does not show
    found = judge_accounts(kernel, "/dev/kvm", kvm_node(), [], ["nova", "qemu"])
    assert found["nova"] == {"exists": True, "groups": ["1001"], "may_open": True, "judged": "observed",
                             "via": "the kernel (mode and ACL alone would refuse)", "open_error": None,
                             "reason": None}
    assert found["qemu"]["via"] == "group kvm" and found["qemu"]["judged"] == "observed"
    assert ("/dev/kvm", 1002, 1002, (1002, KVM_GID)) in kernel.open_as_calls


def test_as_root_a_denial_carries_the_kernels_errno_and_remedy(kernel):
    kernel.euid = 0
    found = judge_accounts(kernel, "/dev/kvm", kvm_node(), [], ["nova"])["nova"]
    assert found["may_open"] is False and found["open_error"] == "EACCES" and found["judged"] == "observed"
    assert found["reason"] == ("/dev/kvm: EACCES (Permission denied) opening read-write as nova (groups: 1001); "
                               "node is crw-rw---- root:kvm; add nova to group kvm and restart the services that "
                               "run as nova (a running process keeps the groups it started with)")


def test_as_root_eperm_for_an_allowed_account_is_the_device_cgroup(kernel):
    kernel.euid = 0
    kernel.open_as_result[("/dev/kvm", 1002)] = ("open", errno.EPERM)
    found = judge_accounts(kernel, "/dev/kvm", kvm_node(), [], ["qemu"])["qemu"]
    assert "the mode and ACL allow qemu (group kvm), so the device cgroup" in found["reason"]
    assert "--device /dev/kvm" in found["reason"]


def test_an_account_that_cannot_be_assumed_falls_back_to_derived(kernel):
    kernel.euid = 0
    kernel.open_as_result[("/dev/kvm", 1002)] = ("setgroups", errno.EPERM)
    found = judge_accounts(kernel, "/dev/kvm", kvm_node(), [], ["qemu"])["qemu"]
    assert found["judged"] == "derived" and found["may_open"] is True
    assert "setgroups failed with EPERM" in found["reason"]


def test_an_owner_unmapped_in_a_user_namespace_is_named_not_a_missing_device(kernel):
    node = kvm_node(perm=0o660, uid=65534, gid=65534)
    kernel.sysfs["/proc/self"] = {"uid_map": "         0     200000      65536"}
    kernel.sysfs["/proc/sys/kernel"] = {"overflowuid": "65534", "overflowgid": "65534"}
    remedy = unmapped_remedy(kernel, node)
    assert remedy.startswith("the node's owner (shown as 65534) and group (shown as 65534) is not mapped into this "
                             "user namespace (/proc/self/uid_map: 0 200000 65536)")
    assert "podman run --userns=host" in remedy
    kernel.sysfs["/proc/self"] = {"uid_map": "0 0 4294967295"}  # the initial namespace: nothing is unmapped
    assert unmapped_remedy(kernel, node) is None
    kernel.sysfs["/proc/self"] = {"uid_map": "0 200000 65536"}
    assert unmapped_remedy(kernel, kvm_node()) is None  # a mapped owner and group


def test_root_in_a_user_namespace_is_told_why_it_may_not_open_the_node(kernel):
    kernel.euid = 0
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o600, uid=65534, gid=65534)
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    kernel.sysfs["/proc/self"] = {"uid_map": "0 200000 65536"}
    facts = gather(["min"], kernel=kernel)
    assert [p["code"] for p in facts["problems"]] == ["device.unmapped_owner"]
    assert "not mapped into this user namespace" in facts["reasons"][0] and "pass --device" not in facts["reasons"][0]
