# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The devices subset: every device opened and asked, every errno and reason, against a scripted kernel."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import stat

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.vmm_devices import not_probed
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import (
    VMM_DEVICES as DEVICES)
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import (
    FakeKernel, FakeNode, acl_xattr, misc_node)

MINORS = {"tun": 200, "vhost_net": 238, "vhost_vsock": 241, "vfio": 196, "iommufd": 123, "sev": 124}
NAMES = tuple(entry[0] for entry in DEVICES)
MISC = dict((key, misc) for key, _path, misc, _minor, _module, _who in DEVICES)
PATHS = dict((key, path) for key, path, _misc, _minor, _module, _who in DEVICES)


@pytest.fixture
def kernel():
    """A host where every device exists, is registered in /proc/misc and answers."""
    kernel = FakeKernel()
    kernel.sysfs["/proc"] = {"misc": "\n".join("%d %s" % (MINORS[k], MISC[k]) for k in NAMES)}
    for key in NAMES:
        kernel.nodes[PATHS[key]] = misc_node(MINORS[key])
    return kernel


def devices(kernel, **kwargs):
    facts = gather(["min", "devices"], kernel=kernel, **kwargs)
    assert kernel.leaks() == [], "the probe left fds open"
    return facts["devices"]


# ------------------------------------------------------------------ ABI ----

def test_request_numbers_are_pinned_to_the_headers():
    """Values of Linux 6.1's uapi headers as gcc computes them (x86_64)."""
    requests = devices_abi.DeviceRequests("x86_64")
    assert requests.TUNGETFEATURES == 0x800454cf
    assert requests.VHOST_GET_FEATURES == 0x8008af00
    assert requests.VFIO_GET_API_VERSION == 0x3b64 and requests.VFIO_CHECK_EXTENSION == 0x3b65
    assert requests.SEV_ISSUE_CMD == 0xc0105300
    assert requests.IOMMU_IOAS_ALLOC == 0x3b81
    assert devices_abi.SEV_USER_DATA_STATUS.size == 12


def test_powerpc_uses_its_own_direction_bits():
    assert devices_abi.DeviceRequests("ppc64le").TUNGETFEATURES == 0x400454cf


def test_flag_names_name_unknown_bits_by_number():
    assert devices_abi.flag_names(0x1 | 0x4000 | 1 << 20, devices_abi.TUN_FEATURES) == [
        "IFF_TUN", "IFF_VNET_HDR", "bit 20"]


# -------------------------------------------------------- every answer ----

def test_every_device_is_opened_and_asked(kernel):
    found = devices(kernel)
    assert set(found) == set(NAMES)
    for key in NAMES:
        assert found[key]["usable"] is True, (key, found[key]["reason"])
        assert found[key]["can_open_rw"] and found[key]["node_matches"] and found[key]["reason"] is None
        assert found[key]["expected"] == "10:%d" % MINORS[key] and found[key]["expected_source"] == "/proc/misc"
    assert found["tun"]["answer"]["features"] == kernel.tun_features
    assert "IFF_VNET_HDR" in found["tun"]["answer"]["flags"] and "IFF_MULTI_QUEUE" in found["tun"]["answer"]["flags"]
    assert found["vhost_net"]["answer"]["flags"] == ["VIRTIO_NET_F_MRG_RXBUF", "VIRTIO_F_VERSION_1"]
    assert found["vhost_vsock"]["answer"]["flags"] == ["VIRTIO_VSOCK_F_STREAM", "VIRTIO_F_VERSION_1"]
    assert found["vfio"]["answer"] == {"api_version": 0, "type1": True, "type1v2": True}
    assert found["iommufd"]["answer"] == {"ioas_id": 1}
    # the fake firmware's SEV_PLATFORM_STATUS (1, 55, 1, 0, 21, 0), decoded field by field
    assert found["sev"]["answer"] == {"api_version": "1.55", "state": "INIT", "flags": 0, "build": 21, "guest_count": 0}
    for name in ("TUNGETFEATURES", "VHOST_GET_FEATURES", "VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION",
                 "IOMMU_IOAS_ALLOC", "SEV_ISSUE_CMD"):
        assert name in kernel.calls


def test_sysfs_number_wins_over_proc_misc(kernel):
    kernel.sysfs["/sys/class/misc/iommu"] = {"dev": "10:99"}
    found = devices(kernel)["iommufd"]
    assert found["expected"] == "10:99" and found["expected_source"] == "/sys/class/misc/iommu/dev"
    assert "has the wrong number 10:123; the kernel's iommu is 10:99" in found["reason"]


# --------------------------------------------------------- every node ----

@pytest.mark.parametrize("key", NAMES)
def test_missing_and_unregistered_says_modprobe(kernel, key):
    del kernel.nodes[PATHS[key]]
    kernel.sysfs["/proc"]["misc"] = ""
    found = devices(kernel)[key]
    module = {"tun": "tun", "vhost_net": "vhost_net", "vhost_vsock": "vhost_vsock", "vfio": "vfio",
              "iommufd": "iommufd", "sev": "ccp"}[key]
    assert found["exists"] is False and found["open_error"] == "ENOENT" and found["usable"] is False
    assert "%s does not exist and the kernel has no %s device" % (PATHS[key], MISC[key]) in found["reason"]
    assert "modprobe %s" % module in found["reason"] and "--device %s" % PATHS[key] in found["reason"]


def test_missing_but_registered_says_mknod_and_device(kernel):
    del kernel.nodes["/dev/net/tun"]
    reason = devices(kernel)["tun"]["reason"]
    assert reason == ("/dev/net/tun does not exist although the kernel registered tun as 10:200 (/proc/misc): "
                      "create it (mknod /dev/net/tun c 10 200) or let devtmpfs or udev do it; "
                      "in a container pass --device /dev/net/tun")


def test_a_regular_file_is_not_the_device(kernel):
    kernel.nodes["/dev/vhost-net"] = FakeNode(stat.S_IFREG | 0o644)
    found = devices(kernel)["vhost_net"]
    assert found["char_device"] is False and "is not a character device" in found["reason"]


def test_wrong_minor_says_recreate(kernel):
    kernel.nodes["/dev/vhost-vsock"] = misc_node(242)
    found = devices(kernel)["vhost_vsock"]
    assert found["node_matches"] is False and found["can_open_rw"] is False
    assert found["reason"] == ("/dev/vhost-vsock has the wrong number 10:242; the kernel's vhost-vsock is 10:241 "
                               "(/proc/misc): recreate it (rm /dev/vhost-vsock; mknod /dev/vhost-vsock c 10 241) "
                               "or let devtmpfs or udev create it")


def test_static_minor_is_the_fallback_when_the_kernel_does_not_say(kernel):
    kernel.sysfs["/proc"]["misc"] = ""
    found = devices(kernel)
    assert found["tun"]["expected"] == "10:200" and found["tun"]["expected_source"] == "include/linux/miscdevice.h"
    assert found["iommufd"]["expected"] is None and found["iommufd"]["usable"] is True  # dynamic minor: not judged


# -------------------------------------------------------- every errno ----

def test_eacces_names_the_group_to_join(kernel):
    kernel.open_errno["/dev/vhost-net"] = errno.EACCES
    kernel.identity_value = ("nova", ["nova"])
    reason = devices(kernel)["vhost_net"]["reason"]
    assert reason == ("/dev/vhost-net: EACCES (Permission denied) opening read-write for user nova (groups: nova); "
                      "node is crw-rw---- root:kvm; add nova to group kvm and log in again")


def test_eacces_on_an_owner_only_node_gives_the_udev_rule(kernel):
    kernel.nodes["/dev/net/tun"] = misc_node(200, perm=0o600, gid=0)
    kernel.open_errno["/dev/net/tun"] = errno.EACCES
    reason = devices(kernel)["tun"]["reason"]
    assert 'udev rule KERNEL=="tun", GROUP="kvm", MODE="0660"' in reason and "setfacl -m u:tester:rw" in reason


def test_eperm_names_the_device_cgroup_and_the_container_flag(kernel):
    kernel.nodes["/dev/net/tun"] = misc_node(200, perm=0o666)
    kernel.open_errno["/dev/net/tun"] = errno.EPERM
    reason = devices(kernel)["tun"]["reason"]
    assert "EPERM (Operation not permitted)" in reason and "the mode and ACL allow tester (group kvm)" in reason
    assert "device cgroup" in reason and "--device /dev/net/tun" in reason and "c 10:200 rw" in reason


@pytest.mark.parametrize("number", [errno.ENXIO, errno.ENODEV])
def test_no_driver_behind_the_node_says_modprobe(kernel, number):
    kernel.open_errno["/dev/vhost-net"] = number
    reason = devices(kernel)["vhost_net"]["reason"]
    assert "no driver serves 10:238: modprobe vhost_net" in reason


@pytest.mark.parametrize("key,ioctl", [("tun", "TUNGETFEATURES"), ("vhost_net", "VHOST_GET_FEATURES"),
                                       ("vhost_vsock", "VHOST_GET_FEATURES"), ("vfio", "VFIO_GET_API_VERSION"),
                                       ("iommufd", "IOMMU_IOAS_ALLOC"), ("sev", "SEV_ISSUE_CMD")])
def test_a_node_that_does_not_answer_is_not_usable(kernel, key, ioctl):
    kernel.fail[ioctl] = errno.ENOTTY
    found = devices(kernel)[key]
    assert found["can_open_rw"] is True and found["usable"] is False and found["answer"] is None
    assert found["reason"] == "%s: %s failed with ENOTTY (Inappropriate ioctl for device); the node does not " \
                              "answer as %s" % (PATHS[key], ioctl, MISC[key])


def test_vfio_without_type1v2_says_load_the_iommu_backend(kernel):
    kernel.vfio_extensions = {devices_abi.VFIO_TYPE1_IOMMU: 1}
    found = devices(kernel)["vfio"]
    assert found["answer"] == {"api_version": 0, "type1": True, "type1v2": False} and not found["usable"]
    assert "modprobe vfio_iommu_type1" in found["reason"]


def test_vfio_with_another_api_version(kernel):
    kernel.vfio_api_version = 1
    assert "VFIO_GET_API_VERSION returned 1, not 0" in devices(kernel)["vfio"]["reason"]


def test_not_probed_shape_has_every_device():
    shape = not_probed("why")["devices"]
    assert set(shape) == set(NAMES) and shape["tun"]["reason"] == "not probed: why"


# ----------------------------------------------------- accounts and ACL ----

def test_acl_entries_are_reported_and_the_mask_is_named(kernel):
    kernel.nodes["/dev/net/tun"] = misc_node(200, perm=0o660, gid=0)
    kernel.xattrs["/dev/net/tun"] = acl_xattr(("user_obj", None, 6), ("user", 1001, 6), ("group_obj", None, 0),
                                              ("mask", None, 6), ("other", None, 0))
    found = devices(kernel)["tun"]
    assert {"tag": "user", "id": 1001, "name": "1001", "perms": "rw-"} in found["acl"]
    assert found["mode"] == "0660" and found["group_bits_are_acl_mask"] is True
    assert found["acl_mask"] == "rw-" and found["group_perms"] == "---"


def test_accounts_are_judged_for_every_device(kernel):
    kernel.euid = 0
    kernel.open_as_result[("/dev/net/tun", 1002)] = ("open", errno.EPERM)
    found = devices(kernel, accounts=["qemu", "nova"])
    assert found["vhost_net"]["accounts"]["qemu"]["may_open"] is True
    assert found["vhost_net"]["accounts"]["qemu"]["judged"] == "observed"
    tun_qemu = found["tun"]["accounts"]["qemu"]
    assert tun_qemu["may_open"] is False and tun_qemu["open_error"] == "EPERM"
    assert "the mode and ACL allow qemu (group kvm)" in tun_qemu["reason"] and "device cgroup" in tun_qemu["reason"]
    assert found["sev"]["accounts"]["nova"]["may_open"] is False
    assert len([c for c in kernel.open_as_calls if c[0] == "/dev/net/tun"]) == 2


def test_a_device_of_the_names_table_without_a_question_stops_the_import_naming_it(monkeypatch):
    import importlib
    from ansible_collections.fleetcheck.kvm.plugins.module_utils import _names
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import vmm_devices
    assert list(vmm_devices.ASK) == list(NAMES)
    added = ("vhost_scsi", "/dev/vhost-scsi", "vhost-scsi", None, "vhost_scsi", "vhost-scsi")
    monkeypatch.setattr(_names, "VMM_DEVICES", DEVICES + (added,))
    try:
        with pytest.raises(KeyError) as raised:
            importlib.reload(vmm_devices)
        assert raised.value.args == ("vhost_scsi",)
    finally:
        monkeypatch.undo()
        importlib.reload(vmm_devices)
    assert list(vmm_devices.ASK) == list(NAMES)


def test_the_fake_kernel_answers_for_every_device_of_the_names_table(kernel):
    """Adding a device means teaching the fake kernel its answer, and MINORS its number (the recipe's step 4)."""
    found = devices(kernel)
    assert [key for key in NAMES if not found[key]["usable"] or found[key]["answer"] is None] == []
