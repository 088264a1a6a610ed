# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one registry of probe subsets: their run order, their kind, and what each gathers.

Each subset is a module of this package with probe(ctx) -> (facts, problems) and, when a gate can stop
it, not_probed(why) -> its facts' empty shape. gather_subset's choices, the core that always runs, the
run order and kvm_facts' documentation of gather_subset (tools/gen_docs.py) all come from SUBSET_TABLE.
Adding a subset: one module here, one line in SUBSET_TABLE, one test file, then tools/gen_docs.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import (
    api, cgroup, cpuid, device, extensions, guest_cpu, host, hugepages, iommu, ioctls, msrs, parameters,
    secure_guest, vcpu_run, vm, vmm_devices)

# Kinds: "gate" problems make the host unusable and stop every later subset that needs an answering
# /dev/kvm (they get not_probed(why)); "decisive" problems make it unusable; "informational" problems go
# to `errors`. The first six need no /dev/kvm and so run before the device gate.
# (name, module, kind, core, what it gathers: one line of kvm_facts' documentation)
SUBSET_TABLE = (
    ("host", host, "informational", False,
     "the architecture, kernel release, loaded KVM backend and its C(nested) parameter"),
    ("parameters", parameters, "informational", False, "every readable parameter of C(kvm) and its backend"),
    ("cgroup", cgroup, "informational", False, "the device cgroup that admits or denies the node"),
    ("iommu", iommu, "informational", False, "the IOMMU groups and the kernel command line's IOMMU options"),
    ("hugepages", hugepages, "informational", False, "huge pages per size and NUMA node"),
    ("devices", vmm_devices, "informational", False,
     "tun, vhost-net, vhost-vsock, vfio, iommufd and sev, each opened and asked"),
    ("device", device, "gate", True, "the node, its owner, mode and ACL, and whether it opens read-write"),
    ("api", api, "gate", True, "C(KVM_GET_API_VERSION) and C(KVM_GET_VCPU_MMAP_SIZE)"),
    ("extensions", extensions, "informational", False, "C(KVM_CHECK_EXTENSION) for every known C(KVM_CAP_*)"),
    ("vm", vm, "decisive", True, "C(KVM_CREATE_VM) and the VM types"),
    ("secure_guest", secure_guest, "informational", False, "SEV, SEV-ES, SEV-SNP and TDX readiness"),
    ("cpuid", cpuid, "informational", False, "C(KVM_GET_SUPPORTED_CPUID) as Linux's feature names (x86)"),
    ("msrs", msrs, "informational", False, "the MSR index and feature lists (x86)"),
    ("ioctls", ioctls, "informational", False, "the classic system ioctls"),
    ("vcpu_run", vcpu_run, "decisive", False, "a few bytes of guest code run on one vCPU, bounded in time"),
    ("guest_cpu", guest_cpu, "informational", False, "the x86-64 level and every QEMU CPU model a guest can have"),
)
SUBSETS = tuple(entry[0] for entry in SUBSET_TABLE)
CORE_SUBSETS = tuple(entry[0] for entry in SUBSET_TABLE if entry[3])  # `usable` is decided by these
