# SPDX-License-Identifier: GPL-3.0-or-later
"""The one registry of probe subsets: their run order, their kind, and what each gathers.

Each subset is a module of this package with probe(ctx) -> (facts, problems) and, when a gate can stop
it, not_probed(why) -> its facts' empty shape. gather_subset's choices, the core that always runs, the
run order and kvm_facts' documentation of gather_subset (tools/gen_docs.py) all come from SUBSET_TABLE.
Adding a subset: one module here, one line in SUBSET_TABLE, one test file, then tools/gen_docs.py.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import (
    api, cgroup, cpuid, device, extensions, guest_cpu, host, hugepages, hyperv, iommu, ioctls, msrs, parameters,
    secure_guest, vcpu_run, vm, vmm_devices)

# Kinds: "gate" problems make the host unusable and stop every later subset that needs an answering
# /dev/kvm (they get not_probed(why)); "decisive" problems make it unusable; "informational" problems go
# to `errors`. The first six need no /dev/kvm and so run before the device gate.
# (name, module, kind, core: `usable` depends on it, so it always runs)
SUBSET_TABLE = (
    ("host", host, "informational", False),
    ("parameters", parameters, "informational", False),
    ("cgroup", cgroup, "informational", False),
    ("iommu", iommu, "informational", False),
    ("hugepages", hugepages, "informational", False),
    ("devices", vmm_devices, "informational", False),
    ("device", device, "gate", True),
    ("api", api, "gate", True),
    ("extensions", extensions, "informational", False),
    ("vm", vm, "decisive", True),
    ("secure_guest", secure_guest, "informational", False),
    ("cpuid", cpuid, "informational", False),
    ("msrs", msrs, "informational", False),
    ("ioctls", ioctls, "informational", False),
    ("vcpu_run", vcpu_run, "decisive", False),
    ("guest_cpu", guest_cpu, "informational", False),
    ("hyperv", hyperv, "informational", False),
)
SUBSETS = tuple(entry[0] for entry in SUBSET_TABLE)
CORE_SUBSETS = tuple(entry[0] for entry in SUBSET_TABLE if entry[3])
