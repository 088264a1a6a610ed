# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parameters subset: kvm's and every loaded backend's readable parameters."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, oserror


def test_kvm_and_each_backend():
    kernel = FakeKernel()
    kernel.sysfs["/sys/module/kvm/parameters"] = {"nx_huge_pages": "never", "halt_poll_ns": "200000",
                                                  "secret": oserror(errno.EACCES)}
    facts = gather(["min", "parameters"], kernel=kernel)
    assert facts["parameters"] == {"kvm": {"nx_huge_pages": "never", "halt_poll_ns": "200000"},
                                   "kvm_intel": {"nested": "Y", "ept": "Y"}}


def test_unreadable_sys_module_is_an_error():
    kernel = FakeKernel()
    del kernel.sysfs["/sys/module"]
    facts = gather(["min", "parameters"], kernel=kernel)
    assert facts["parameters"] == {} and "/sys/module: ENOENT" in facts["errors"][0]
