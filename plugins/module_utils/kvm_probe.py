# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe orchestrator: subsets in, ansible_facts.kvm out.

Each subset lives in its own probe_*.py with the same shape: probe(ctx) returns
(facts, problems), not_probed(why) gives the facts' empty shape. Errors are
values: the probes return what they saw plus sentences a person can act on;
only the module decides what fails. Pure standard library, Python 3.6 to 3.13.
Adding a subset: one probe file, one line in SUBSET_TABLE, one test file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils import (
    probe_api, probe_cpuid, probe_device, probe_guest_cpu, probe_host, probe_ioctls, probe_vcpu_run, probe_vm)
from ansible_collections.fleetcheck.kvm.plugins.module_utils import (
    probe_cgroup, probe_devices, probe_hugepages, probe_iommu, probe_parameters, probe_secure_guest)
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_abi import KVM_API_VERSION
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_guest_cpu import resolve_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils.probe_context import ProbeContext

SCHEMA_VERSION = 1
DEFAULT_DEVICE = "/dev/kvm"
DEFAULT_TIMEOUT = 2.0

# In run order: (name, probe, not_probed, kind). Kinds: "gate" problems make the host unusable and stop
# the probes that need an answering /dev/kvm; "decisive" problems make it unusable; "informational"
# problems go to `errors`; "host" needs no device. gather_subset lists them in SUBSETS order.
SUBSET_TABLE = (
    ("host", probe_host.probe, None, "host"),
    ("parameters", probe_parameters.probe, None, "informational"),  # these run before the device gate:
    ("cgroup", probe_cgroup.probe, None, "informational"),  # they need no /dev/kvm
    ("iommu", probe_iommu.probe, None, "informational"),
    ("hugepages", probe_hugepages.probe, None, "informational"),
    ("devices", probe_devices.probe, None, "informational"),
    ("device", probe_device.probe, None, "gate"),
    ("api", probe_api.probe_api, probe_api.api_not_probed, "gate"),
    ("extensions", probe_api.probe_extensions, probe_api.extensions_not_probed, "informational"),
    ("vm", probe_vm.probe, probe_vm.not_probed, "decisive"),
    ("secure_guest", probe_secure_guest.probe, probe_secure_guest.not_probed, "informational"),
    ("cpuid", probe_cpuid.probe_cpuid, probe_cpuid.cpuid_not_probed, "informational"),
    ("msrs", probe_cpuid.probe_msrs, probe_cpuid.msrs_not_probed, "informational"),
    ("ioctls", probe_ioctls.probe, probe_ioctls.not_probed, "informational"),
    ("vcpu_run", probe_vcpu_run.probe, probe_vcpu_run.not_probed, "decisive"),
    ("guest_cpu", probe_guest_cpu.probe, probe_guest_cpu.not_probed, "informational"),
)
SUBSETS = ("device", "api", "extensions", "cpuid", "msrs", "vm", "vcpu_run", "host", "ioctls", "guest_cpu",
           "devices", "iommu", "hugepages", "secure_guest", "cgroup", "parameters")
CORE_SUBSETS = ("device", "api", "vm")  # `usable` is decided by these, so they always run
GATE_WHY = {"device": "%s could not be opened", "api": "the KVM API did not answer as version %d" % KVM_API_VERSION}


def resolve_subsets(spec):
    """Turn a gather_subset list into the ordered subsets to probe.

    Like setup: 'all', 'min' (the core), names, and '!name' to exclude.
    Raises ValueError naming the problem.
    """
    include, exclude = set(), set()
    for item in spec or ["all"]:
        item = str(item).strip()
        negate = item.startswith("!")
        name = item[1:] if negate else item
        if name == "all":
            names = SUBSETS
        elif name == "min":
            names = CORE_SUBSETS
        elif name in SUBSETS:
            names = (name,)
        else:
            raise ValueError("unknown gather_subset %r: choose from all, min, %s (prefix ! to exclude)"
                             % (item, ", ".join(SUBSETS)))
        if negate and name != "all" and set(names) & set(CORE_SUBSETS):
            raise ValueError("gather_subset %r cannot be excluded: %s always run, as `usable` depends on them"
                             % (item, ", ".join(CORE_SUBSETS)))
        (exclude if negate else include).update(names)
    if not include:
        include = set(SUBSETS)
    chosen = (include - exclude) | set(CORE_SUBSETS)
    return [name for name in SUBSETS if name in chosen]


def gather(spec=None, device=DEFAULT_DEVICE, timeout=DEFAULT_TIMEOUT, kernel=None, accounts=(), cpu_models=None):
    """Probe the host for a gather_subset `spec`. Returns the ansible_facts.kvm dict; never raises
    for a broken host. Raises ValueError, before touching anything, for an invalid spec or cpu_models
    (the QEMU models guest_cpu.models details: None or ['all'] for every one)."""
    subsets = resolve_subsets(spec)
    detail = resolve_models(cpu_models)
    if kernel is None:
        from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_ioctls import Syscalls
        kernel = Syscalls()
    ctx = ProbeContext(kernel, device, timeout, accounts, subsets, detail)
    facts = ctx.facts
    facts.update(schema_version=SCHEMA_VERSION, gather_subset=list(subsets), usable=False, reasons=[], errors=[])
    try:
        _run(ctx, facts, [entry for entry in SUBSET_TABLE if entry[0] in subsets])
    finally:
        ctx.close()
    facts["usable"] = not facts["reasons"]
    return facts


def _run(ctx, facts, table):
    for index, (name, probe, not_probed, kind) in enumerate(table):
        found, problems = probe(ctx)
        facts.update(found)
        facts["errors" if kind == "informational" else "reasons"].extend(problems)
        if kind == "gate" and problems:
            why = GATE_WHY[name] % ctx.device if name == "device" else GATE_WHY[name]
            for _name, _probe, rest_not_probed, _kind in table[index + 1:]:
                if rest_not_probed is not None:
                    facts.update(rest_not_probed(why))
            return
