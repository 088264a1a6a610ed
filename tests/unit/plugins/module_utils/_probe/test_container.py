# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A probe in a container says so, and its device remedies are the container's (--device, the device cgroup),
never mknod or modprobe, which a container cannot make work."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import stat

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.container import detect
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import (
    FakeKernel, FakeNode, kvm_node, only_reason, probe)


@pytest.fixture
def kernel():
    return FakeKernel()


def in_podman(kernel):
    kernel.nodes["/run/.containerenv"] = FakeNode(stat.S_IFREG | 0o644)
    return kernel


@pytest.mark.parametrize("setup, expected", [
    (in_podman, {"runtime": "podman", "evidence": "/run/.containerenv", "mknod_allowed": None}),
    (lambda k: k.nodes.update({"/.dockerenv": FakeNode(stat.S_IFREG | 0o644)}),
     {"runtime": "docker", "evidence": "/.dockerenv", "mknod_allowed": None}),
    (lambda k: k.sysfs.update({"/proc/1": {"environ": b"PATH=/bin\0container=lxc\0"}}),
     {"runtime": "lxc", "evidence": "/proc/1/environ (container=)", "mknod_allowed": None}),
    (lambda k: k.sysfs.update({"/proc/1": {"environ": b"container=$(rm -rf /)\0"}}),
     {"runtime": "unknown", "evidence": "/proc/1/environ (container=)", "mknod_allowed": None}),
    (lambda k: k.sysfs.update({"/proc/1": {"environ": OSError(errno.EACCES, "denied"),
                                           "cgroup": "0::/kubepods/burstable/pod1/cri-containerd-ab\n"}}),
     {"runtime": "kubernetes", "evidence": "/proc/1/cgroup (kubernetes)", "mknod_allowed": None}),
    (lambda k: k.sysfs.update({"/proc/1": {"cgroup": "0::/system.slice/docker-0123.scope\n"}}),
     {"runtime": "docker", "evidence": "/proc/1/cgroup (docker)", "mknod_allowed": None}),
], ids=["podman", "docker", "lxc", "hostile name", "kubernetes", "docker cgroup"])
def test_the_runtime_and_what_said_so(kernel, setup, expected):
    setup(kernel)
    assert detect(kernel) == expected


def test_a_host_shows_no_container(kernel):
    kernel.sysfs["/proc/1"] = {"environ": b"HOME=/\0TERM=linux\0", "cgroup": "0::/init.scope\n"}
    assert detect(kernel) is None
    assert probe(kernel, ["min"])["device"]["container"] is None


def test_a_missing_node_with_the_module_loaded_is_given_by_the_container_not_made(kernel):
    del in_podman(kernel).nodes["/dev/kvm"]
    facts = probe(kernel, ["min"])
    reason = only_reason(facts)
    assert facts["device"]["container"] == {"runtime": "podman", "evidence": "/run/.containerenv", "mknod_allowed": None}
    assert "recreate it with --device /dev/kvm" in reason and "mknod inside works only where its device cgroup " \
        "allows c 10:232 (a privileged container)" in reason
    assert facts["problems"][0]["code"] == "device.missing.module_loaded"
    assert "create it (mknod" not in facts["problems"][0]["remedy"]


def test_a_missing_node_without_a_module_is_fixed_on_the_host_first(kernel):
    del in_podman(kernel).nodes["/dev/kvm"]
    kernel.sysfs["/sys/module"] = ["ext4"]
    remedy = probe(kernel, ["min"])["problems"][0]["remedy"]
    assert remedy.startswith("on the host that runs this container: ")
    assert "; then this host is a podman container" in remedy


def test_eperm_in_a_container_is_the_containers_device_list(kernel):
    in_podman(kernel).nodes["/dev/kvm"] = kvm_node(perm=0o666)
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    detail = probe(kernel, ["min"])["problems"][0]
    assert detail["code"] == "device.eperm"
    assert "--device-cgroup-rule='c 10:232 rwm'" in detail["remedy"]


DISK_ROOT = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
OVERLAY_ROOT = "600 500 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u\n"


@pytest.mark.parametrize("mountinfo, expected", [
    (DISK_ROOT, None), (OVERLAY_ROOT, {"runtime": "docker", "evidence": "/.dockerenv", "mknod_allowed": None}),
    (DISK_ROOT + OVERLAY_ROOT, {"runtime": "docker", "evidence": "/.dockerenv", "mknod_allowed": None}),
    ("27 1 254:0 /var/lib/c1 / rw - ext4 /dev/vda rw\n", {"runtime": "docker", "evidence": "/.dockerenv", "mknod_allowed": None}),
], ids=["a machine booted from an image that kept it", "overlay", "overlay on top", "a bind-mounted directory"])
def test_dockerenv_counts_only_when_the_root_is_not_a_disk_of_its_own(kernel, mountinfo, expected):
    kernel.nodes["/.dockerenv"] = FakeNode(stat.S_IFREG | 0o644)
    kernel.sysfs["/proc/self"] = {"mountinfo": mountinfo}
    assert detect(kernel) == expected


V1_MOUNTS = "cgroup /sys/fs/cgroup/devices cgroup rw,nosuid,devices 0 0\n"


@pytest.mark.parametrize("devices_list, allowed", [("a *:* rwm", True), ("c 1:3 rwm\nc 10:200 rwm", False)],
                         ids=["privileged", "the default list"])
def test_a_v1_device_list_says_whether_a_node_made_inside_would_open(kernel, devices_list, allowed):
    del in_podman(kernel).nodes["/dev/kvm"]
    kernel.sysfs["/proc/self"] = {"mounts": V1_MOUNTS, "cgroup": "4:devices:/\n"}
    kernel.sysfs["/sys/fs/cgroup/devices"] = {"devices.list": devices_list}
    facts = probe(kernel, ["min"])
    assert facts["device"]["container"]["mknod_allowed"] is allowed
    remedy = facts["problems"][0]["remedy"]
    if allowed:  # a privileged container makes the node as a host does
        assert remedy.startswith("create it (mknod /dev/kvm c 10 232)")
    else:
        assert remedy.endswith("a node made inside with mknod stays refused") and "--device /dev/kvm" in remedy
