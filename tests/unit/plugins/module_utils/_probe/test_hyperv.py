# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hyperv subset on the fake kernel: each way KVM refuses an enlightenment, named as QEMU meets it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import hyperv as hv
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, probe


def hyperv(kernel, **kwargs):
    return probe(kernel, ["min", "hyperv"], **kwargs)["hyperv"]


def refused(facts):
    return dict((name, entry["missing"]) for name, entry in facts["enlightenments"].items() if not entry["starts"])


def without(kernel, *caps):
    for cap in caps:
        kernel.caps[CAP_NUMBER[cap]] = 0


def test_a_kernel_with_hyper_v_offers_every_enlightenment_and_passthrough_all_but_syndbg(kernel):
    facts = hyperv(kernel)
    assert refused(facts) == {} and all(e["offered"] for e in facts["enlightenments"].values())
    assert sorted(facts["enlightenments"]) == sorted(hv.NAMES)
    assert facts["enlightenments"]["hv-stimer"]["needs"] == ["hv-synic", "hv-time"]
    assert facts["hv_cpuid"] == "KVM_GET_SUPPORTED_HV_CPUID (system fd)"
    assert facts["passthrough"] == {"starts": True, "enlightenments": [n for n in hv.NAMES if n != "hv-syndbg"],
                                    "missing": None}
    assert facts["qemu"]["why"] in ("installed", "newest") and "reason" not in facts


def test_the_vcpu_is_set_up_as_qemu_sets_it_up(kernel):
    hyperv(kernel)
    assert CAP_NUMBER["KVM_CAP_SPLIT_IRQCHIP"] in kernel.vm_caps  # SynIC needs an in-kernel LAPIC
    leaves = [entry[0] for entry in kernel.vcpu_cpuid]
    assert 0x40000001 in leaves and 0x1 in leaves  # the guest's CPUID and the Hyper-V leaves, set together
    enabled = [arg for name, arg in kernel.call_args if name == "KVM_ENABLE_CAP"]
    assert len(enabled) == 3  # the split irqchip, SynIC2 and eVMCS
    assert kernel.calls.index("KVM_ENABLE_CAP") < kernel.calls.index("KVM_SET_CPUID2") < kernel.calls.index("KVM_SET_MSRS")


def test_without_kvm_cap_hyperv_qemu_starts_but_the_guest_gets_nothing(kernel):
    without(kernel, "KVM_CAP_HYPERV", "KVM_CAP_HYPERV_VP_INDEX", "KVM_CAP_HYPERV_CPUID", "KVM_CAP_SYS_HYPERV_CPUID")
    kernel.msr_refused = set(range(0x40000000, 0x40000200))  # no Hyper-V MSR: CONFIG_KVM_HYPERV off
    facts = hyperv(kernel)
    entry = facts["enlightenments"]["hv-relaxed"]
    assert entry["starts"] is True and entry["offered"] is False and "drops it silently" in entry["missing"]
    assert "CONFIG_KVM_HYPERV" in facts["reason"]
    assert "HV_X64_MSR_APIC_ASSIST_PAGE (0x40000073)" in refused(facts)["hv-vapic"]
    assert "HV_X64_MSR_REFERENCE_TSC" in refused(facts)["hv-time"]
    assert refused(facts)["hv-synic"].startswith("needs hv-vpindex: KVM_CAP_HYPERV_VP_INDEX is 0")
    assert "KVM_SET_CPUID2" not in kernel.calls  # QEMU sets no Hyper-V leaves then
    assert facts["passthrough"]["starts"] is True and facts["passthrough"]["enlightenments"] == []


def test_a_clear_cpuid_bit_refuses_the_enlightenment_and_those_that_need_it(kernel):
    kernel.hv_cpuid[3] = (0x40000004, 0, 0, 0x4e24 & ~(1 << 14), 0, 0, 0, 0, 0, 0)  # no eVMCS (an AMD host)
    found = refused(hyperv(kernel))
    assert list(found) == ["hv-evmcs"]
    assert found["hv-evmcs"] == ("Hyper-V CPUID 0x40000004 EAX bit 14 clear in KVM_GET_SUPPORTED_HV_CPUID (system fd) "
                                 "(QEMU: not supported by kernel)")


def test_a_refused_msr_names_it_and_each_enlightenment_that_needs_it(kernel):
    kernel.msr_refused = {0x40000021}
    found = refused(hyperv(kernel))
    assert sorted(found) == ["hv-stimer", "hv-stimer-direct", "hv-time"]
    assert found["hv-time"].startswith("KVM_SET_MSRS refused HV_X64_MSR_REFERENCE_TSC (0x40000021) = 0x0")
    assert found["hv-stimer"].startswith("needs hv-time: KVM_SET_MSRS refused")


def test_an_msr_write_that_fails_outright_gives_its_errno(kernel):
    kernel.fail["KVM_SET_MSRS"] = [0] * 4 + [errno.EFAULT] + [0] * 40  # the 5th MSR written: VP_INDEX
    found = refused(hyperv(kernel))
    assert found["hv-vpindex"] == "KVM_SET_MSRS of HV_X64_MSR_VP_INDEX (0x40000002) = 0x0 failed with EFAULT (Bad address)"
    assert found["hv-synic"] == "needs " + found["hv-vpindex"].replace("KVM_SET", "hv-vpindex: KVM_SET", 1)


def test_vp_index_that_cannot_be_set_stops_qemu_before_anything_else(kernel):
    without(kernel, "KVM_CAP_HYPERV_VP_INDEX")
    found = refused(hyperv(kernel))
    assert sorted(found) == sorted(n for n in hv.NAMES if "hv-vpindex" in hv.closure(n))
    assert found["hv-vpindex"].startswith("KVM_CAP_HYPERV_VP_INDEX is 0")


def test_passthrough_turns_vp_index_on_and_so_fails_where_it_cannot_be_set(kernel):
    without(kernel, "KVM_CAP_HYPERV_VP_INDEX")
    passthrough = hyperv(kernel)["passthrough"]
    assert passthrough["starts"] is False and passthrough["enlightenments"] == []
    assert passthrough["missing"].startswith("needs hv-vpindex: KVM_CAP_HYPERV_VP_INDEX is 0")


@pytest.mark.parametrize("cap, name", [("KVM_CAP_HYPERV_SYNIC2", "hv-synic"),
                                       ("KVM_CAP_HYPERV_ENLIGHTENED_VMCS", "hv-evmcs")])
def test_a_vcpu_capability_the_kernel_refuses_refuses_its_enlightenment(kernel, cap, name):
    kernel.enable_cap_errno[CAP_NUMBER[cap]] = errno.EINVAL
    found = refused(hyperv(kernel))
    assert found[name] == "KVM_ENABLE_CAP(%s) on a vCPU failed with EINVAL (Invalid argument)" % cap


def test_an_evmcs_version_range_without_1_is_refused(kernel):
    kernel.evmcs_versions = 0x0202
    assert refused(hyperv(kernel))["hv-evmcs"] == "KVM supports eVMCS 2 to 2, QEMU asks for 1"


def test_before_sys_hyperv_cpuid_the_leaves_come_from_a_vcpu_with_qemus_evmcs_bit(kernel):
    without(kernel, "KVM_CAP_SYS_HYPERV_CPUID")
    kernel.hv_cpuid[3] = (0x40000004, 0, 0, 0x4e24 & ~(1 << 14), 0, 0, 0, 0, 0, 0)
    facts = hyperv(kernel)
    assert facts["hv_cpuid"] == "KVM_GET_SUPPORTED_HV_CPUID (vCPU)" and refused(facts) == {}


def test_before_hyperv_cpuid_the_leaves_come_from_the_capabilities_and_the_msr_list(kernel):
    without(kernel, "KVM_CAP_HYPERV_CPUID", "KVM_CAP_SYS_HYPERV_CPUID", "KVM_CAP_HYPERV_SEND_IPI")
    kernel.msr_indices = [0x40000002, 0x40000080, 0x400000B0]  # VP_INDEX, SynIC, stimer; no frequencies
    found = refused(hyperv(kernel))
    assert "KVM_CAP_HYPERV* and the MSR index list" in found["hv-ipi"] and "bit 10" in found["hv-ipi"]
    assert "0x40000003 EAX bit 11 clear" in found["hv-frequencies"]
    assert "hv-synic" not in found and "hv-relaxed" not in found


def test_kvm_set_cpuid2_refused_stops_every_enlightenment(kernel):
    kernel.fail["KVM_SET_CPUID2"] = errno.E2BIG
    facts = hyperv(kernel)
    assert len(refused(facts)) == len(hv.NAMES)
    assert refused(facts)["hv-relaxed"].startswith("KVM_SET_CPUID2 with the Hyper-V leaves: KVM_SET_CPUID2 failed with E2BIG")


@pytest.mark.parametrize("step", ["KVM_CREATE_VM", "KVM_CREATE_VCPU", "KVM_GET_SUPPORTED_HV_CPUID"])
def test_a_step_that_fails_leaves_the_enlightenments_unknown_and_nothing_open(kernel, step):
    kernel.fail[step] = [errno.ENOMEM] * 3 if step != "KVM_CREATE_VM" else [0, errno.ENOMEM]
    facts = hyperv(kernel)  # probe() asserts that every fd and mapping was closed
    assert "enlightenments" not in facts and "ENOMEM" in facts["error"], facts


def test_a_split_irqchip_refused_is_said_and_synic_is_then_refused_by_the_kernel(kernel):
    kernel.enable_cap_errno[CAP_NUMBER["KVM_CAP_SPLIT_IRQCHIP"]] = errno.EINVAL
    facts = hyperv(kernel)
    assert "KVM_ENABLE_CAP failed with EINVAL" in facts["errors"][0]


@pytest.mark.parametrize("machine", ["aarch64", "riscv64"])
def test_off_x86_the_subset_is_skipped_with_the_reason(machine):
    facts = hyperv(FakeKernel(machine=machine))
    assert facts == {"skipped": "Hyper-V enlightenments are QEMU's x86 hv-* CPU properties; this host is %s" % machine}


def test_the_table_names_each_dependency_and_msr_once():
    for name, _bits, needs, msrs, _cap in hv.ENLIGHTENMENTS:
        assert set(needs) <= set(hv.NAMES) and name not in needs
        assert [index for index, _value in msrs if index not in hv.MSR_NAMES] == []
    assert hv.closure("hv-stimer-direct") == ["hv-time", "hv-vpindex", "hv-synic", "hv-stimer", "hv-stimer-direct"]
