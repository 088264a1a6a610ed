# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest_cpu subset: what it asks the kernel (CPUID, feature MSRs, the XSAVE attribute), what it reports,
and how a refusal or another architecture reads."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import guest_cpu as g
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import X86_64_LEVELS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils._cpu.test_guest_cpu import entries_for
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


class GuestCpuKernel(FakeKernel):
    """The fake kernel, with feature MSRs and the XCOMP system attribute."""

    def __init__(self, machine="x86_64"):
        FakeKernel.__init__(self, machine)
        # an x86-64-v2 model, with the ARCH_CAPABILITIES MSR its feature bits depend on
        self.cpuid = entries_for(g.builtin_models()["features"]["Nehalem-v1"] + ["arch-capabilities"])
        self.caps[CAP_NUMBER["KVM_CAP_GET_MSR_FEATURES"]] = 1
        self.caps[CAP_NUMBER["KVM_CAP_SYS_ATTRIBUTES"]] = 1
        self.caps[CAP_NUMBER["KVM_CAP_TSC_DEADLINE_TIMER"]] = 1
        self.feature_msrs = [0x10a, 0x345]
        self.msr_values = {0x10a: 1 << 5, 0x345: 0}
        self.msr_indices = [0x10a]
        self.xcomp = 0x3


def test_the_subset_reports_level_models_and_features():
    kernel = GuestCpuKernel()
    facts = gather.gather(["guest_cpu"], kernel=kernel)
    guest = facts["guest_cpu"]
    assert guest["level"] == "x86-64-v2" and guest["missing_for_next_level"] == sorted(X86_64_LEVELS[2][1])
    assert "mds-no" in guest["features"] and "tsc-deadline" in guest["features"]
    assert guest["models"]["Nehalem"]["runnable"] is True
    assert guest["models"]["Haswell"]["runnable"] is False and "avx2" in guest["models"]["Haswell"]["missing"]
    assert "notes" not in guest and facts["errors"] == [] and facts["usable"] is True
    assert {"KVM_GET_MSRS", "KVM_GET_DEVICE_ATTR"} <= set(kernel.calls)
    assert kernel.leaks() == []


def test_feature_msrs_the_kernel_does_not_read_are_noted():
    kernel = GuestCpuKernel()
    del kernel.msr_values[0x345]
    guest = gather.gather(["guest_cpu"], kernel=kernel)["guest_cpu"]
    assert guest["notes"] == ["KVM_GET_MSRS did not read feature MSR(s) 0x345"]
    assert guest["level"] == "x86-64-v2"


@pytest.mark.parametrize("ioctl", ["KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSR_FEATURE_INDEX_LIST", "KVM_GET_MSRS",
                                   "KVM_GET_DEVICE_ATTR"])
def test_a_refused_optional_ioctl_is_a_note_not_a_failure(ioctl):
    kernel = GuestCpuKernel()
    kernel.fail[ioctl] = errno.EPERM
    facts = gather.gather(["guest_cpu"], kernel=kernel)
    assert any(ioctl in note and "EPERM" in note for note in facts["guest_cpu"]["notes"])
    assert facts["guest_cpu"]["level"] == "x86-64-v2" and facts["reasons"] == []
    assert kernel.leaks() == []


def test_a_kernel_without_the_xcomp_attribute_falls_back_to_leaf_0xd():
    kernel = GuestCpuKernel()
    kernel.fail["KVM_GET_DEVICE_ATTR"] = errno.ENXIO
    guest = gather.gather(["guest_cpu"], kernel=kernel)["guest_cpu"]
    assert "notes" not in guest and guest["level"] == "x86-64-v2"


def test_a_refused_supported_cpuid_is_an_error_fact():
    kernel = GuestCpuKernel()
    kernel.fail["KVM_GET_SUPPORTED_CPUID"] = errno.EIO
    facts = gather.gather(["guest_cpu"], kernel=kernel)
    assert "KVM_GET_SUPPORTED_CPUID" in facts["guest_cpu"]["error"] and "EIO" in facts["guest_cpu"]["error"]
    assert facts["reasons"] == [] and kernel.leaks() == []


def test_other_architectures_skip_with_the_reason():
    facts = gather.gather(["guest_cpu"], kernel=GuestCpuKernel("aarch64"))
    assert "x86 only" in facts["guest_cpu"]["skipped"] and "aarch64" in facts["guest_cpu"]["skipped"]


def test_no_device_means_not_probed():
    kernel = GuestCpuKernel()
    del kernel.nodes["/dev/kvm"]
    facts = gather.gather(["guest_cpu"], kernel=kernel)
    assert "skipped" in facts["guest_cpu"] and facts["usable"] is False


# -- the generated tables agree with each other -----------------------------------------------------
