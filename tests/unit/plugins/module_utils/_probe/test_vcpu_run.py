# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vcpu_run subset: a bounded KVM_RUN, its exits, and everything released on every path."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import x86_64 as guest_x86
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import only_reason, probe, FakeKernel


def test_kvm_run_that_never_returns_times_out(kernel):
    kernel.run_script = [("HANG",)]
    facts = probe(kernel, timeout=0.5)
    run = facts["vcpu_run"]
    assert run["status"] == "timeout" and run["ok"] is False
    assert "KVM_RUN did not return within 0.5 s" in run["reason"]
    assert "vCPU run timeout: KVM_RUN did not return within 0.5 s" in only_reason(facts)


def test_kvm_run_interrupted_by_a_stray_signal_runs_on(kernel):
    kernel.run_script = [("EINTR",), ("IO", guest_x86.PORT, guest_x86.DATA), ("HLT",)]
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "ok" and facts["usable"] is True


def test_kvm_run_entry_failure_is_explained(kernel):
    kernel.run_script = [("FAIL_ENTRY", 0x80000021)]
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "failed"
    assert facts["vcpu_run"]["reason"] == ("the guest stopped with exit FAIL_ENTRY "
                                           "(hardware_entry_failure_reason 2147483681)")
    assert facts["usable"] is False


def test_halt_without_the_expected_io_is_a_failure(kernel):
    kernel.run_script = [("HLT",)]
    facts = probe(kernel)
    assert "halted without the expected write of 0x4b to port 0x10" in facts["vcpu_run"]["reason"]


def test_guest_that_never_halts_is_bounded_in_exits(kernel):
    kernel.run_script = [("IO", 0x99, 1)] * 20
    assert "did not halt within 16 exits" in probe(kernel)["vcpu_run"]["reason"]


@pytest.mark.parametrize("step", ["KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION", "KVM_SET_SREGS", "KVM_RUN"])
def test_vcpu_setup_failures_name_the_ioctl_and_release_everything(kernel, step):
    kernel.fail[step] = errno.ENOMEM
    facts = probe(kernel)  # probe() asserts that nothing leaked
    assert facts["vcpu_run"]["reason"] == "%s failed with ENOMEM (Cannot allocate memory)" % step


def test_vcpu_run_outside_the_main_thread_is_skipped_not_crashed(kernel):
    def refuse(seconds, on_expiry):
        raise ValueError("signal only works in main thread of the main interpreter")
    kernel.arm_timer = refuse
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "skipped" and "main thread" in facts["vcpu_run"]["reason"]
    assert facts["usable"] is True


def test_vcpu_run_is_skipped_where_no_guest_code_exists(kernel):
    kernel = FakeKernel(machine="riscv64")
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "skipped" and "this host is riscv64" in facts["vcpu_run"]["reason"]
    assert "skipped" in facts["cpuid"] and facts["vm_types"] == ["type 0"]
    assert facts["usable"] is True
