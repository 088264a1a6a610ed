# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ioctl wrappers: each names its step when the kernel refuses, and a Vcpu decodes its own exits."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Kvm, decode_exit
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import KvmError
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, oserror


@pytest.fixture
def kernel():
    return FakeKernel()


def vcpu_playing(kernel, *steps):
    kernel.run_script = list(steps)
    kvm = Kvm.open(kernel, "/dev/kvm")
    vm = kvm.create_vm()
    return kvm, vm, vm.create_vcpu(0, 4096)


def test_a_refused_ioctl_raises_a_kvm_error_naming_it(kernel):
    kernel.fail["KVM_CREATE_VM"] = errno.EBUSY
    with Kvm.open(kernel, "/dev/kvm") as kvm:
        with pytest.raises(KvmError) as raised:
            kvm.create_vm()
    assert raised.value.step == "KVM_CREATE_VM" and raised.value.errno == errno.EBUSY
    assert str(raised.value) == "KVM_CREATE_VM failed with EBUSY (Device or resource busy)"
    assert isinstance(raised.value, OSError) and kernel.leaks() == []


def test_the_vcpu_decodes_io_then_hlt(kernel):
    kvm, vm, vcpu = vcpu_playing(kernel, ("IO", 0x10, 0x4B), ("HLT",))
    assert vcpu.run() == {"reason": "IO", "direction": "out", "size": 1, "port": 0x10, "count": 1, "data": 0x4B}
    assert vcpu.run() == {"reason": "HLT"}
    for fd in (vcpu, vm, kvm):
        fd.close()
    assert kernel.leaks() == []


def test_the_vcpu_decodes_mmio_and_system_events(kernel):
    kvm, vm, vcpu = vcpu_playing(kernel, ("MMIO", 0x10000000, b"\x4b\x00\x00\x00"), ("SYSTEM_EVENT", 1))
    assert vcpu.run() == {"reason": "MMIO", "phys_addr": 0x10000000, "len": 4, "is_write": True, "data": 0x4B}
    assert vcpu.run() == {"reason": "SYSTEM_EVENT", "type": "SHUTDOWN"}
    for fd in (vcpu, vm, kvm):
        fd.close()


def test_an_unknown_exit_is_named_by_number():
    run = bytearray(64)
    abi.KVM_RUN_EXIT_REASON.pack_into(run, abi.KVM_RUN_EXIT_REASON_OFFSET, 999)
    assert decode_exit(run) == {"reason": "exit 999"}


def test_a_failed_kvm_run_mapping_closes_the_new_vcpu(kernel):
    def refuse(fd, length):
        raise oserror(errno.ENOMEM)
    kernel.mmap_shared = refuse
    with Kvm.open(kernel, "/dev/kvm") as kvm:
        with kvm.create_vm() as vm:
            with pytest.raises(KvmError) as raised:
                vm.create_vcpu(0, 4096)
    assert raised.value.step == "mmap of the kvm_run area" and kernel.leaks() == []


def test_closing_a_vcpu_unmaps_its_kvm_run_once(kernel):
    kvm, vm, vcpu = vcpu_playing(kernel)
    run = vcpu.kvm_run
    vcpu.close()
    vcpu.close()
    assert run.closed and vcpu.fd is None
    vm.close()
    kvm.close()
    assert kernel.leaks() == []
