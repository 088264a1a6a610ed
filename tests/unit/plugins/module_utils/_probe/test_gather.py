# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The orchestrator: a healthy host end to end, gather_subset resolved, an invalid spec refused untouched."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import cap_number
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import (
    CORE_SUBSETS, SUBSETS, gather, resolve_subsets)
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe


def test_healthy_host_is_usable_with_every_fact(kernel):
    facts = probe(kernel)
    assert facts["usable"] is True and facts["reasons"] == []
    assert facts["api_version"] == 12 and facts["vcpu_mmap_size"] == 12288
    assert facts["device"]["mode"] == "0660" and facts["device"]["group"] == "kvm"
    assert facts["device"]["kvm_node"] and facts["device"]["can_open_rw"]
    assert facts["extensions"]["KVM_CAP_NR_VCPUS"] == 4
    assert (facts["nr_vcpus"], facts["max_vcpus"], facts["nr_memslots"]) == (4, 288, 32764)
    assert facts["max_vcpu_id"] == 288  # KVM_CAP_MAX_VCPU_ID absent: the API says max_vcpus
    assert facts["vm"] == {"created": True, "error": None}
    assert facts["vm_types"] == ["KVM_X86_DEFAULT_VM"]
    assert facts["cpuid"]["features"]["vmx"] and facts["cpuid"]["features"]["avx2"]
    assert not facts["cpuid"]["features"]["svm"]
    assert facts["msrs"] == {"index_count": 40, "feature_count": 2}
    assert facts["host"]["backend"] == "kvm_intel" and facts["host"]["nested"] is True
    assert facts["vcpu_run"]["status"] == "ok"
    assert [e["reason"] for e in facts["vcpu_run"]["exits"]] == ["IO", "HLT"]


def test_an_invalid_spec_is_refused_before_anything_is_touched(kernel):
    with pytest.raises(ValueError):
        gather(["bogus"], kernel=kernel)
    assert kernel.calls == [] and kernel.fds == {}


@pytest.mark.parametrize("spec, expected", [
    (["all"], list(SUBSETS)),
    (None, list(SUBSETS)),
    (["min"], list(CORE_SUBSETS)),
    (["!all"], list(CORE_SUBSETS)),
    (["!vcpu_run"], [s for s in SUBSETS if s != "vcpu_run"]),
    (["all", "!cpuid", "!msrs"], [s for s in SUBSETS if s not in ("cpuid", "msrs")]),
    (["host"], ["host", "device", "api", "vm"]),  # in run order: host needs no device
])
def test_resolve_subsets(spec, expected):
    assert resolve_subsets(spec) == expected


@pytest.mark.parametrize("spec, message", [
    (["hardware"], "unknown gather_subset 'hardware'"),
    (["!vm"], "gather_subset '!vm' cannot be excluded"),
    (["!min"], "gather_subset '!min' cannot be excluded"),
])
def test_resolve_subsets_rejects(spec, message):
    with pytest.raises(ValueError) as raised:
        resolve_subsets(spec)
    assert message in str(raised.value)


@pytest.mark.parametrize("name, number", [
    ("KVM_CAP_IRQCHIP", 0), ("irqchip", 0), ("nr_vcpus", 9), ("Kvm_Cap_Xsave", 55), ("KVM_CAP_300", 300),
    ("no_such_cap", None),
])
def test_cap_number_accepts_any_spelling(name, number):
    assert cap_number(name) == number
