# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""required_hyperv and the Windows guest profiles, judged from the fake kernel's hyperv facts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_hyperv as hv
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    RequirementError, check_requirements, evaluate)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES, WINDOWS_PROFILES
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def facts_of(kernel, subsets=("all",)):
    return gather(list(subsets), kernel=kernel)


def like_kvm_pvm():
    """A KVM without Hyper-V emulation, as this project's development host has it: no KVM_CAP_HYPERV*, every Hyper-V
    MSR refused."""
    kernel = FakeKernel()
    for name in ("KVM_CAP_HYPERV", "KVM_CAP_HYPERV_VP_INDEX", "KVM_CAP_HYPERV_CPUID", "KVM_CAP_SYS_HYPERV_CPUID",
                 "KVM_CAP_HYPERV_SYNIC2", "KVM_CAP_HYPERV_TIME"):
        kernel.caps[CAP_NUMBER[name]] = 0
    kernel.msr_refused = set(range(0x40000000, 0x40000200))
    return kernel


def judged(facts, value):
    verdict = evaluate(facts, check_requirements({"required_hyperv": value}, BUILTIN_PROFILES), BUILTIN_PROFILES)
    return dict((c["requirement"], c) for c in verdict["checks"] if c["requirement"].startswith("required_hyperv"))


def test_names_are_made_qemus_and_unknown_ones_get_suggestions():
    assert hv.validate_required_hyperv(["vapic", "HV_TIME", "hv-apicv", "windows_nova", "vapic"], {}) == (
        ["hv-vapic", "hv-time", "hv-avic", "windows_nova"], [])
    with pytest.raises(RequirementError, match=r"unknown Hyper-V enlightenment or Windows guest profile 'hv-vapik'.*"
                                               r"did you mean hv-vapic"):
        check_requirements({"required_hyperv": ["hv-vapik"]}, BUILTIN_PROFILES)
    assert hv.validate_required_hyperv("hv-vapic", {})[1][0].startswith("required_hyperv must be a list")


def test_every_enlightenment_and_profile_is_met_where_kvm_emulates_hyper_v():
    checks = judged(facts_of(FakeKernel()), ["hv-vapic"] + sorted(WINDOWS_PROFILES))
    assert [name for name, c in checks.items() if not c["ok"]] == []
    assert len(checks) == 1 + len(WINDOWS_PROFILES)


def test_without_hyper_v_a_nova_windows_guest_is_said_not_to_start_with_each_enlightenment_and_why():
    checks = judged(facts_of(like_kvm_pvm()), ["windows_nova"])
    nova = checks["required_hyperv: windows_nova"]
    assert nova["ok"] is False and nova["severity"] == "fail" and nova["code"] == "hyperv.profile_not_met"
    assert "cannot start here" in nova["message"] and "Nova 34.0.0" in nova["message"]
    for name in WINDOWS_PROFILES["windows_nova"]["hyperv"]:
        assert name in nova["message"], name
    assert "hv-vapic: KVM_SET_MSRS refused HV_X64_MSR_APIC_ASSIST_PAGE" in nova["message"]
    # each reason once, after what it stops
    assert "hv-relaxed, hv-runtime, hv-reset, hv-frequencies: KVM_CAP_HYPERV is 0" in nova["message"]
    assert ("hv-vpindex, hv-synic (needs hv-vpindex), hv-tlbflush (needs hv-vpindex), hv-ipi (needs hv-vpindex): "
            "KVM_CAP_HYPERV_VP_INDEX is 0") in nova["message"]
    assert nova["message"].count("KVM_CAP_HYPERV_VP_INDEX is 0") == 1
    assert nova["remedy"] == hv.NO_EMULATION and nova["actual"] == []


def test_a_profile_that_adapts_only_warns():
    checks = judged(facts_of(like_kvm_pvm()), ["windows_virt_install", "windows"])
    adapts = checks["required_hyperv: windows_virt_install"]
    assert adapts["ok"] is False and adapts["severity"] == "warn" and "the VMM leaves off hv-relaxed" in adapts["message"]
    assert checks["required_hyperv: windows"]["severity"] == "fail"


def test_one_enlightenment_kvm_does_not_emulate_names_the_clear_bit_and_says_to_leave_it_out():
    kernel = FakeKernel()
    kernel.hv_cpuid[3] = (0x40000004, 0, 0, 0x4e24 & ~(1 << 14), 0, 0, 0, 0, 0, 0)  # no eVMCS: an AMD host
    checks = judged(facts_of(kernel), ["hv-evmcs", "hv-vapic"])
    evmcs = checks["required_hyperv: hv-evmcs"]
    assert evmcs["ok"] is False and evmcs["code"] == "hyperv.not_offered" and evmcs["subject"] == "hv-evmcs"
    assert "EAX bit 14 clear" in evmcs["message"] and evmcs["remedy"] == hv.NOT_HERE
    assert checks["required_hyperv: hv-vapic"]["ok"] is True


@pytest.mark.parametrize("machine", ["aarch64", "riscv64"])
def test_off_x86_it_cannot_be_judged_and_says_to_require_it_of_x86_hosts(machine):
    [check] = judged(facts_of(FakeKernel(machine=machine)), ["hv-vapic"]).values()
    assert check["code"] == "hyperv.unavailable" and "x86 hosts only" in check["remedy"]


def test_not_gathered_is_blocked_by_the_missing_subset_not_failed_with_a_remedy_of_its_own():
    [check] = judged(facts_of(FakeKernel(), ["all", "!hyperv"]), ["windows"]).values()
    assert check["blocked_by"] == "!hyperv"


def test_the_summary_says_which_windows_profiles_each_host_can_start():
    verdict = evaluate(facts_of(like_kvm_pvm()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES)
    windows = verdict["summary"]["windows"]
    assert sorted(windows) == sorted(WINDOWS_PROFILES) and windows["windows"] == ["hv-relaxed", "hv-vapic", "hv-time"]
    healthy = evaluate(facts_of(FakeKernel()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES)
    assert set(map(tuple, healthy["summary"]["windows"].values())) == {()}
    without = evaluate(facts_of(FakeKernel(), ["all", "!hyperv"]), check_requirements({}, BUILTIN_PROFILES),
                       BUILTIN_PROFILES)
    assert without["summary"]["windows"] is None


def test_a_windows_profile_is_also_the_cpu_level_windows_11_24h2_needs():
    assert check_requirements({"min_guest_cpu_level": "windows_nova"}, BUILTIN_PROFILES)
    for profile in WINDOWS_PROFILES.values():
        assert profile["min_guest_cpu_level"] == "x86-64-v2" and "POPCNT" in profile["cpu_source"]
        assert set(WINDOWS_PROFILES["windows"]["hyperv"]) <= set(profile["hyperv"])
