# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ioctls subset: the classic system ioctls, supported or their errno."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe


def test_system_ioctls_report_the_classic_surface(kernel):
    outcomes = probe(kernel, ["min", "ioctls"])["system_ioctls"]
    assert list(outcomes) == list(abi.CLASSIC_SYSTEM_IOCTLS)
    assert outcomes["KVM_GET_API_VERSION"] == {"supported": True, "result": 12}
    assert outcomes["KVM_TRACE_PAUSE"] == {"supported": False, "errno": "EINVAL", "error": "Invalid argument"}
