# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe context: one VM, each capability, the module list and parameters, asked of the kernel once."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, only_reason, probe


def test_a_full_probe_creates_one_shared_vm_and_asks_each_capability_once(kernel):
    facts = probe(kernel)
    assert facts["usable"] is True and facts["system_ioctls"]["KVM_CREATE_VM"] == {"supported": True, "result": 0}
    # the run's VM, and the hyperv subset's own: its vCPU needs an in-kernel LAPIC, which the vCPU run's HLT cannot have
    assert kernel.calls.count("KVM_CREATE_VM") == 2
    others = FakeKernel()
    probe(others, ["all", "!hyperv"])
    assert others.calls.count("KVM_CREATE_VM") == 1
    asked = [arg for name, arg in kernel.call_args if name == "KVM_CHECK_EXTENSION"]
    assert len(asked) == len(set(asked)), "a capability was asked twice"
    assert asked.count(CAP_NUMBER["KVM_CAP_VM_TYPES"]) == 1
    assert kernel.calls.count("KVM_GET_API_VERSION") == 1 and kernel.calls.count("KVM_GET_VCPU_MMAP_SIZE") == 1
    for shared in ("KVM_GET_SUPPORTED_CPUID", "KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSR_FEATURE_INDEX_LIST"):
        assert kernel.calls.count(shared) == 1, shared


def test_the_vcpu_runs_in_the_one_vm(kernel):
    probe(kernel, ["min", "vcpu_run"])
    assert kernel.calls.count("KVM_CREATE_VM") == 1 and kernel.calls.count("KVM_CREATE_VCPU") == 1
    assert kernel.calls.index("KVM_CREATE_VM") < kernel.calls.index("KVM_SET_USER_MEMORY_REGION")


def test_a_missing_device_with_host_excluded_reads_no_module_parameters(kernel):
    del kernel.nodes["/dev/kvm"]
    read, original = [], kernel.read_text
    kernel.read_text = lambda path: read.append(path) or original(path)
    facts = probe(kernel, ["all", "!host", "!parameters", "!cgroup", "!iommu", "!hugepages", "!devices"])
    assert "host" not in facts and [path for path in read if path.startswith("/sys/module/")] == []
    assert "although kvm_intel is loaded" in only_reason(facts)


def test_module_parameters_are_read_once_for_the_host_and_parameters_subsets(kernel):
    read = []
    original = kernel.read_text
    kernel.read_text = lambda path: read.append(path) or original(path)
    facts = probe(kernel, ["min", "host", "parameters"])
    assert facts["host"]["parameters"]["kvm_intel"] == facts["parameters"]["kvm_intel"] == {"nested": "Y", "ept": "Y"}
    assert read and len(read) == len(set(read)), read


def test_sys_module_is_listed_once(kernel):
    del kernel.nodes["/dev/kvm"]
    listed = []
    original = kernel.listdir
    kernel.listdir = lambda path: listed.append(path) or original(path)
    probe(kernel)
    assert listed.count("/sys/module") == 1
