# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cgroup subset: v1, v2 or hybrid, this process's controllers, its device cgroup."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.cgroup import allows
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

V2 = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
HYBRID = ("tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
          "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0\n"
          "cgroup /sys/fs/cgroup/devices cgroup rw,relatime,devices 0 0\n"
          "cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,xattr,name=systemd 0 0\n"
          "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n")


@pytest.fixture
def kernel():
    return FakeKernel()


def cgroup(kernel):
    return gather(["min", "cgroup"], kernel=kernel)["cgroup"]


def test_v2_lists_the_controllers_of_this_process(kernel):
    kernel.sysfs["/proc/self"] = {"mounts": V2, "cgroup": "0::/system.slice/nova.service\n"}
    kernel.sysfs["/sys/fs/cgroup/system.slice/nova.service"] = {"cgroup.controllers": "cpu memory pids"}
    facts = cgroup(kernel)
    assert facts["version"] == "v2" and facts["controllers"] == ["cpu", "memory", "pids"]
    assert facts["device_controller"] == "v2 BPF device program (not readable from files)"


def test_hybrid_reads_the_v1_devices_list(kernel):
    kernel.sysfs["/proc/self"] = {"mounts": HYBRID, "cgroup": "3:devices:/lxc/a\n2:cpu,cpuacct:/\n0::/\n"}
    kernel.sysfs["/sys/fs/cgroup/devices/lxc/a"] = {"devices.list": "c 10:232 rwm"}
    kernel.sysfs["/sys/fs/cgroup/unified"] = {"cgroup.controllers": ""}
    facts = cgroup(kernel)
    assert facts["version"] == "hybrid" and facts["v1_controllers"] == ["cpu", "cpuacct", "devices"]
    assert facts["device_controller"] == "v1 devices (/lxc/a)" and facts["devices_list"] == ["c 10:232 rwm"]


def test_v1_only(kernel):
    kernel.sysfs["/proc/self"] = {"mounts": HYBRID.replace("cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n",
                                                           ""), "cgroup": "3:devices:/\n"}
    assert cgroup(kernel)["version"] == "v1"


def test_unreadable_proc_is_an_error_not_a_crash(kernel):
    facts = gather(["min", "cgroup"], kernel=kernel)
    assert facts["cgroup"]["version"] is None and "cgroup: cannot read /proc/self/mounts" in facts["errors"][0]


@pytest.mark.parametrize("entries,expected", [
    (["a *:* rwm"], True), (["c 10:232 rwm"], True), (["c 10:* rw"], True), (["c 10:232 r"], False),
    (["b 10:232 rwm"], False), (["c 10:200 rwm"], False), ([], False),
])
def test_devices_list_grammar(entries, expected):
    assert allows(entries, 10, 232) is expected
