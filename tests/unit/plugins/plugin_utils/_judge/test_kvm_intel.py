# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_intel, which TCG cannot emulate, on the fake kernel with Intel's own answers.

The parameters are kvm_intel's as arch/x86/kvm/vmx/vmx.c declares them (module_param_named(ept, enable_ept, bool,
0444), unrestricted_guest, nested, ...): sysfs shows a bool parameter as Y or N. VMX disabled by the firmware is
covered with the kernel's messages in tests/unit/plugins/module_utils/_probe/test_missing.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, cpuid_entry

VMX = 1 << 5  # CPUID.1:ECX


def intel(nested="Y", ept="Y", unrestricted_guest="Y", guest_vmx=True):
    kernel = FakeKernel()
    kernel.sysfs["/sys/module/kvm_intel/parameters"] = {
        "nested": nested, "ept": ept, "unrestricted_guest": unrestricted_guest, "enable_apicv": "Y"}
    kernel.cpuid = [cpuid_entry(0x1, ecx=VMX if guest_vmx else 0)]
    return gather(["device", "host", "parameters", "cpuid", "vcpu_run"], kernel=kernel)


def judge(facts, **requirements):
    return evaluate(facts, check_requirements(requirements, BUILTIN_PROFILES), BUILTIN_PROFILES, host="intel1")


def causes(verdict):
    return dict((c["code"], c) for c in verdict["root_causes"])


def test_nested_on_kvm_intel_offers_vmx_to_guests():
    facts = intel()
    assert facts["host"]["backend"] == "kvm_intel" and facts["host"]["nested"] is True
    assert judge(facts, require_nested=True)["passed"]


def test_nested_off_names_kvm_intels_own_value():
    verdict = judge(intel(nested="N", guest_vmx=False), require_nested=True)
    cause = causes(verdict)["nested.not_offered"]
    assert cause["subject"] == "kvm_intel"
    assert "(kvm_intel nested parameter: N)" in cause["message"]
    assert cause["remedy"] == "load kvm_intel or kvm_amd with nested=1"


def test_ept_and_unrestricted_guest_off_are_named_with_the_modprobe_remedy():
    verdict = judge(intel(ept="N", unrestricted_guest="N"),
                    module_parameters={"kvm_intel.ept": "Y", "kvm_intel.unrestricted_guest": "Y"})
    mismatches = [c for c in verdict["root_causes"] if c["code"] == "parameter.mismatch"]
    assert sorted(c["subject"] for c in mismatches) == ["kvm_intel.ept", "kvm_intel.unrestricted_guest"]
    for cause in mismatches:
        assert "options kvm_intel" in cause["remedy"], cause
    assert judge(intel(), module_parameters={"kvm_intel.ept": "Y", "kvm_intel.unrestricted_guest": True})["passed"]
