# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The aarch64 vCPU run and the arm64 VM facts, against a scripted arm64 kernel.

The same run on a real arm64 KVM is tests/functional/arm64/test_arm64_kvm.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import struct

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import aarch64 as guest_arm64
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


@pytest.fixture
def kernel():
    return FakeKernel(machine="aarch64")


def probe(kernel):
    facts = gather(["all"], kernel=kernel)
    assert kernel.leaks() == [], "the probe left fds or mappings open"
    assert kernel.timer_disarmed, "the KVM_RUN timer was left armed"
    return facts


def mmio(address=guest_arm64.MMIO_ADDRESS, data=guest_arm64.DATA, length=guest_arm64.MMIO_LEN):
    return ("MMIO", address, struct.pack("<Q", data)[:length])


def test_the_run_writes_mmio_then_shuts_down_through_psci(kernel):
    facts = probe(kernel)
    run = facts["vcpu_run"]
    assert run["status"] == "ok" and run["reason"] is None and facts["usable"] is True
    assert run["exits"] == [
        {"reason": "MMIO", "phys_addr": 0x20000, "len": 4, "is_write": True, "data": 0x4B},
        {"reason": "SYSTEM_EVENT", "type": "SHUTDOWN"}]


def test_the_vcpu_is_the_preferred_target_with_psci_0_2_and_pc_at_the_code(kernel):
    kernel.arm_target = 10
    probe(kernel)
    assert kernel.vcpu_init == (10, 1 << 2, 0, 0, 0, 0, 0, 0)
    assert kernel.one_regs == {0x6030000000100040: guest_arm64.ADDRESS}
    assert kernel.maps[0][:len(guest_arm64.CODE)] == guest_arm64.CODE  # guest memory, mapped first


def test_the_code_is_the_documented_instructions():
    words = struct.unpack("<7I", guest_arm64.CODE)
    assert words[0] == 0xD2A00000 | (guest_arm64.MMIO_ADDRESS >> 16) << 5  # movz x0, #imm16, lsl #16
    assert words[1] == 0x52800001 | guest_arm64.DATA << 5                  # movz w1, #DATA
    assert (words[3] >> 5 & 0xFFFF, words[4] >> 5 & 0xFFFF) == (0x0008, 0x8400)
    assert guest_arm64.PSCI_0_2_FN_SYSTEM_OFF == 0x84000008
    assert guest_arm64.MMIO_ADDRESS >= guest_arm64.ADDRESS + guest_arm64.MEMORY_SIZE  # outside the memslot


def test_the_vm_facts_carry_the_preferred_target(kernel):
    kernel.arm_target = 5
    assert probe(kernel)["vm"] == {"created": True, "error": None,
                                   "arm_preferred_target": {"target": 5, "features": [0] * 7, "error": None}}


def test_a_refused_preferred_target_is_a_fact_and_a_failed_run(kernel):
    kernel.fail["KVM_ARM_PREFERRED_TARGET"] = errno.ENODEV
    facts = probe(kernel)
    assert facts["vm"]["arm_preferred_target"] == {"target": None, "features": [], "error": "ENODEV"}
    assert facts["vcpu_run"]["status"] == "failed"
    assert facts["vcpu_run"]["reason"] == "KVM_ARM_PREFERRED_TARGET failed with ENODEV (No such device)"


@pytest.mark.parametrize("step", ["KVM_ARM_VCPU_INIT", "KVM_SET_ONE_REG", "KVM_CREATE_VCPU"])
def test_a_refused_vcpu_set_up_step_is_named_and_nothing_leaks(kernel, step):
    kernel.fail[step] = errno.EINVAL
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "failed"
    assert facts["vcpu_run"]["reason"] == "%s failed with EINVAL (Invalid argument)" % step
    assert "vCPU run failed: %s failed with EINVAL" % step in facts["reasons"][0]


@pytest.mark.parametrize("script, reason", [
    ([("SYSTEM_EVENT", 1)], "without the expected 4-byte MMIO write of 0x4b to 0x20000"),
    ([mmio(address=0x30000), ("SYSTEM_EVENT", 1)], "without the expected 4-byte MMIO write"),
    ([mmio(data=0x4C), ("SYSTEM_EVENT", 1)], "without the expected 4-byte MMIO write"),
    ([mmio(), ("SYSTEM_EVENT", 2)], "gave a system event of type RESET, not SHUTDOWN"),
    ([mmio(), ("INTERNAL_ERROR",)], "the guest stopped with exit INTERNAL_ERROR"),
    ([mmio()] * 20, "the guest did not end with SYSTEM_EVENT within 16 exits"),
])
def test_a_guest_that_does_not_do_what_its_code_says_fails_with_why(kernel, script, reason):
    kernel.run_script = script
    run = probe(kernel)["vcpu_run"]
    assert run["status"] == "failed" and reason in run["reason"]


def test_a_guest_that_never_exits_times_out(kernel):
    kernel.run_script = [mmio(), ("HANG",)]
    run = probe(kernel)["vcpu_run"]
    assert run["status"] == "timeout" and [e["reason"] for e in run["exits"]] == ["MMIO"]


def test_the_register_id_is_the_header_formula():
    # arch/arm64/include/uapi/asm/kvm.h: KVM_REG_ARM_CORE_REG(regs.pc), struct user_pt_regs {regs[31], sp, pc}
    assert abi.KVM_REG_ARM64_CORE_PC == 0x6030000000100040


def test_the_preferred_target_is_asked_once_for_the_facts_and_the_run(kernel):
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "ok" and facts["vm"]["arm_preferred_target"]["error"] is None
    assert kernel.calls.count("KVM_ARM_PREFERRED_TARGET") == 1 and kernel.calls.count("KVM_CREATE_VM") == 1
