# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ioctl request numbers, pinned: the fake kernel decodes requests with the production table,
so only a pinned number can catch a wrong encoding. Values from linux/kvm.h as the C compiler
expands it (x86_64) and from the powerpc ioctl layout (13 size bits, none=1, write=4, read=2)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi

X86_64 = {
    "KVM_GET_API_VERSION": 0xae00,
    "KVM_CREATE_VM": 0xae01,
    "KVM_GET_MSR_INDEX_LIST": 0xc004ae02,
    "KVM_CHECK_EXTENSION": 0xae03,
    "KVM_GET_VCPU_MMAP_SIZE": 0xae04,
    "KVM_GET_SUPPORTED_CPUID": 0xc008ae05,
    "KVM_TRACE_ENABLE": 0x4008ae06,
    "KVM_TRACE_PAUSE": 0xae07,
    "KVM_TRACE_DISABLE": 0xae08,
    "KVM_GET_MSR_FEATURE_INDEX_LIST": 0xc004ae0a,
    "KVM_CREATE_VCPU": 0xae41,
    "KVM_SET_USER_MEMORY_REGION": 0x4020ae46,
    "KVM_RUN": 0xae80,
    "KVM_GET_REGS": 0x8090ae81,
    "KVM_SET_REGS": 0x4090ae82,
    "KVM_GET_SREGS": 0x8138ae83,
    "KVM_SET_SREGS": 0x4138ae84,
    "KVM_GET_ONE_REG": 0x4010aeab,
    "KVM_SET_ONE_REG": 0x4010aeac,
}
# The layout-independent requests on powerpc; kvm_regs/kvm_sregs differ there and are x86-only here.
PPC64 = {
    "KVM_GET_API_VERSION": 0x2000ae00,
    "KVM_CREATE_VM": 0x2000ae01,
    "KVM_GET_MSR_INDEX_LIST": 0xc004ae02,
    "KVM_CHECK_EXTENSION": 0x2000ae03,
    "KVM_GET_VCPU_MMAP_SIZE": 0x2000ae04,
    "KVM_CREATE_VCPU": 0x2000ae41,
    "KVM_SET_USER_MEMORY_REGION": 0x8020ae46,
    "KVM_RUN": 0x2000ae80,
    "KVM_GET_ONE_REG": 0x8010aeab,
    "KVM_SET_ONE_REG": 0x8010aeac,
}
# arm64 uses the generic layout: struct kvm_vcpu_init is 32 bytes.
AARCH64 = {"KVM_ARM_VCPU_INIT": 0x4020aeae, "KVM_ARM_PREFERRED_TARGET": 0x8020aeaf, "KVM_RUN": 0xae80}


@pytest.mark.parametrize("machine, pinned", [("x86_64", X86_64), ("ppc64le", PPC64), ("ppc64", PPC64),
                                             ("aarch64", AARCH64)])
def test_request_numbers_are_pinned(machine, pinned):
    requests = abi.KvmRequests(machine)
    assert dict((name, getattr(requests, name)) for name in pinned) == pinned


@pytest.mark.parametrize("machine, layout", [("x86_64", "generic"), ("aarch64", "generic"), ("riscv64", "generic"),
                                             ("s390x", "generic"), ("ppc64le", "ppc_mips_sparc"),
                                             ("mips64", "ppc_mips_sparc"), ("sparc64", "ppc_mips_sparc")])
def test_each_machine_gets_its_ioctl_layout(machine, layout):
    assert abi.ioc_layout(machine) is abi._IOC_LAYOUTS[layout]


def test_an_argument_too_large_for_the_size_field_is_refused():
    with pytest.raises(ValueError) as raised:
        abi.IoctlEncoding(abi.ioc_layout("ppc64le")).ior(abi.KVMIO, 1, 1 << 13)
    assert "does not fit the size field" in str(raised.value)


def test_name_of_reverses_the_table():
    requests = abi.KvmRequests("x86_64")
    assert requests.name_of(0xae80) == "KVM_RUN" and requests.name_of(0x1234) == "ioctl 0x1234"


def test_struct_sizes_match_the_uapi():
    assert (abi.KVM_REGS_SIZE, abi.KVM_SREGS_SIZE) == (144, 312)
    assert (abi.KVM_USERSPACE_MEMORY_REGION.size, abi.KVM_CPUID_ENTRY2.size) == (32, 40)
    assert (abi.KVM_VCPU_INIT.size, abi.KVM_ONE_REG.size, abi.KVM_RUN_MMIO.size) == (32, 16, 21)
