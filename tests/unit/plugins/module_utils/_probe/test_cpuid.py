# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cpuid subset: KVM_GET_SUPPORTED_CPUID, grown on E2BIG, asked once."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno


from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe, cpuid_entry


def test_cpuid_buffer_grows_on_e2big(kernel):
    kernel.cpuid = [cpuid_entry(0x40000000 + i) for i in range(600)]
    facts = probe(kernel, ["min", "cpuid"])
    assert facts["cpuid"]["entries"] == 600
    assert kernel.calls.count("KVM_GET_SUPPORTED_CPUID") == 3  # 256, 512, 1024 entries


def test_cpuid_is_asked_once_with_room_for_the_kernels_maximum(kernel):
    kernel.cpuid = [cpuid_entry(0x40000000 + i) for i in range(256)]  # KVM_MAX_CPUID_ENTRIES
    assert probe(kernel, ["min", "cpuid"])["cpuid"]["entries"] == 256
    assert kernel.calls.count("KVM_GET_SUPPORTED_CPUID") == 1


def test_cpuid_gives_up_past_its_limit(kernel):
    kernel.fail["KVM_GET_SUPPORTED_CPUID"] = [errno.E2BIG] * 20
    facts = probe(kernel, ["min", "cpuid"])
    assert facts["cpuid"] == {"error": "KVM_GET_SUPPORTED_CPUID failed with E2BIG (Argument list too long)"}
    assert facts["usable"] is True  # CPUID is informational


def test_linux_names_sit_at_the_cpuid_positions_the_sdm_and_apm_give():
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.cpuid import LINUX_NAMES, positions
    where = positions()
    assert list(where) == list(LINUX_NAMES)
    assert where["vmx"] == (0x1, 0, "ecx", 5)  # Intel SDM, CPUID.1:ECX.VMX[bit 5]
    assert where["sse4_2"] == (0x1, 0, "ecx", 20)
    assert where["avx2"] == (0x7, 0, "ebx", 5)
    assert where["svm"] == (0x80000001, 0, "ecx", 2)  # AMD APM, CPUID Fn8000_0001_ECX[SVM]
    assert where["lm"] == (0x80000001, 0, "edx", 29)
    assert where["xsaves"] == (0xD, 1, "eax", 3)
