# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request numbers of arm64, ppc64el, riscv64 and s390x, pinned from those architectures' headers.

fixtures/kvm_ioctls_by_arch.json is written by tools/gen_kvm_ioctl_numbers.py from Debian's
linux-libc-dev-*-cross packages (each value is the header's own macro, compiled); the functional
suite (tests/functional/arm64/test_cross_headers.py) checks the file is still what the headers say.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

with open(os.path.join(os.path.dirname(__file__), "fixtures", "kvm_ioctls_by_arch.json")) as _handle:
    HEADERS = json.load(_handle)
ARCHES = sorted(name for name in HEADERS if not name.startswith("_"))
# KvmRequests encodes these with x86's struct kvm_regs / kvm_sregs; each architecture has its own
# struct, so its number differs, and only the x86 guest issues them (checked below).
X86_STRUCT_REQUESTS = ("KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS")
# What every probe run issues, on every architecture.
CORE_REQUESTS = ("KVM_GET_API_VERSION", "KVM_CREATE_VM", "KVM_CHECK_EXTENSION", "KVM_GET_VCPU_MMAP_SIZE",
                 "KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION", "KVM_RUN")
# Constants that are not requests, pinned beside them.
CONSTANTS = ("KVM_REG_ARM64_CORE_PC", "KVM_ARM_VCPU_PSCI_0_2")


def test_the_data_covers_the_four_architectures_from_their_packages():
    assert ARCHES == ["aarch64", "ppc64le", "riscv64", "s390x"]
    for machine in ARCHES:
        assert HEADERS[machine]["header"].startswith("linux-libc-dev-")
        assert "KVM_RUN" in HEADERS[machine]["values"]


@pytest.mark.parametrize("machine", ARCHES)
def test_every_request_the_header_defines_has_the_headers_number(machine):
    header = HEADERS[machine]["values"]
    requests = vars(abi.KvmRequests(machine))
    names = [n for n in header if n not in CONSTANTS and n not in X86_STRUCT_REQUESTS]
    assert set(names) <= set(requests)
    assert dict((n, requests[n]) for n in names) == dict((n, header[n]) for n in names)
    assert set(CORE_REQUESTS) <= set(names)


@pytest.mark.parametrize("machine", ARCHES)
def test_requests_with_x86_structs_really_differ_there(machine):
    """Why X86_STRUCT_REQUESTS are left out above: the architecture's own struct has another size."""
    header = HEADERS[machine]["values"]
    requests = abi.KvmRequests(machine)
    assert [n for n in X86_STRUCT_REQUESTS if n in header and header[n] == getattr(requests, n)] == []


@pytest.mark.parametrize("machine", ["aarch64", "riscv64"])
def test_no_guest_off_x86_issues_an_x86_struct_request(machine):
    kernel = FakeKernel(machine=machine)
    gather(["all"], kernel=kernel)
    assert [c for c in kernel.calls if c in X86_STRUCT_REQUESTS] == []


def test_arm64_register_id_and_psci_feature_bit_are_the_headers():
    header = HEADERS["aarch64"]["values"]
    assert abi.KVM_REG_ARM64_CORE_PC == header["KVM_REG_ARM64_CORE_PC"]
    assert abi.KVM_ARM_VCPU_PSCI_0_2 == header["KVM_ARM_VCPU_PSCI_0_2"]


def test_x86_only_requests_do_not_exist_in_the_other_headers():
    for machine in ARCHES:
        header = HEADERS[machine]["values"]
        assert [n for n in ("KVM_GET_SUPPORTED_CPUID", "KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSRS") if n in header] == []
