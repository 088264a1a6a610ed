# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm subset: KVM_CREATE_VM, the VM types, and who holds the hardware when it is busy."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno


from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import only_reason, probe


def test_vm_types_come_from_the_bitmask(kernel):
    kernel.caps[CAP_NUMBER["KVM_CAP_VM_TYPES"]] = 0b11101
    facts = probe(kernel, ["min"])
    assert facts["vm_types"] == ["KVM_X86_DEFAULT_VM", "KVM_X86_SEV_VM", "KVM_X86_SEV_ES_VM", "KVM_X86_SNP_VM"]


def test_create_vm_busy_names_the_other_hypervisor(kernel):
    kernel.fail["KVM_CREATE_VM"] = errno.EBUSY
    facts = probe(kernel)
    assert only_reason(facts).startswith("KVM_CREATE_VM failed with EBUSY (Device or resource busy): "
                                         "another hypervisor")
    assert facts["vm"] == {"created": False, "error": "EBUSY"} and facts["vm_types"] == []
    assert facts["vcpu_run"] == {"status": "skipped", "ok": False, "exits": [], "elapsed_ms": None,
                                 "reason": "no VM could be created"}
