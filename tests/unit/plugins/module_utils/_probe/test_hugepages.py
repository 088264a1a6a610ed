# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hugepages subset: every size, host-wide and per NUMA node, and the THP mode."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.hugepages import selected
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

HP = "/sys/kernel/mm/hugepages"
NODE = "/sys/devices/system/node"


@pytest.fixture
def kernel():
    kernel = FakeKernel()
    kernel.sysfs[HP] = ["hugepages-2048kB", "hugepages-1048576kB"]
    kernel.sysfs[HP + "/hugepages-2048kB"] = {"nr_hugepages": "512", "free_hugepages": "500", "resv_hugepages": "4",
                                              "surplus_hugepages": "0", "nr_overcommit_hugepages": "0"}
    kernel.sysfs[HP + "/hugepages-1048576kB"] = {"nr_hugepages": "2", "free_hugepages": "2", "resv_hugepages": "0",
                                                 "surplus_hugepages": "0", "nr_overcommit_hugepages": "0"}
    kernel.sysfs[NODE] = ["node0", "node1", "possible", "online"]
    for node, total in (("node0", "256"), ("node1", "256")):
        kernel.sysfs["%s/%s/hugepages" % (NODE, node)] = ["hugepages-2048kB"]
        kernel.sysfs["%s/%s/hugepages/hugepages-2048kB" % (NODE, node)] = {
            "nr_hugepages": total, "free_hugepages": "250", "surplus_hugepages": "0"}
    kernel.sysfs["/sys/kernel/mm/transparent_hugepage"] = {"enabled": "always [madvise] never",
                                                           "defrag": "always defer defer+madvise [madvise] never"}
    return kernel


def test_every_size_and_node(kernel):
    facts = gather(["min", "hugepages"], kernel=kernel)["hugepages"]
    assert facts["sizes"]["2048kB"] == {"size_kb": 2048, "total": 512, "free": 500, "reserved": 4, "surplus": 0,
                                        "overcommit": 0}
    assert facts["sizes"]["1048576kB"]["total"] == 2
    assert facts["nodes"] == {"node0": {"2048kB": {"size_kb": 2048, "total": 256, "free": 250, "surplus": 0}},
                              "node1": {"2048kB": {"size_kb": 2048, "total": 256, "free": 250, "surplus": 0}}}
    assert facts["thp"] == {"enabled": "madvise", "defrag": "madvise"}


def test_a_kernel_without_hugetlbfs_numa_or_thp(kernel):
    for key in (HP, NODE, "/sys/kernel/mm/transparent_hugepage"):
        del kernel.sysfs[key]
    facts = gather(["min", "hugepages"], kernel=kernel)
    assert facts["hugepages"] == {"sizes": {}, "nodes": {}, "thp": {"enabled": None, "defrag": None}}
    assert facts["errors"] == ["/sys/kernel/mm/hugepages: ENOENT (No such file or directory) (a kernel without "
                               "hugetlbfs)"]
    assert facts["usable"] is True


def test_thp_selection():
    assert selected("[always] madvise never") == "always" and selected("never") == "never"
