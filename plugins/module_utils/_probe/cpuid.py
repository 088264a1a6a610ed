# SPDX-License-Identifier: GPL-3.0-or-later
"""The cpuid subset (x86): what KVM_GET_SUPPORTED_CPUID offers guests, as Linux's feature names."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.linux_features import (
    CPUID_ENTRY_FIELDS, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, X86_FEATURES)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text


def probe(ctx):
    if ctx.machine not in abi.X86_ARCHES:
        return {"cpuid": {"skipped": "KVM_GET_SUPPORTED_CPUID exists on x86 only; this host is %s" % ctx.machine}}, []
    try:
        entries = ctx.supported_cpuid()
    except OSError as error:
        return {"cpuid": {"error": "KVM_GET_SUPPORTED_CPUID failed with %s" % errno_text(error)}}, []
    return {"cpuid": {"entries": len(entries), "features": decode_cpu_features(entries)}}, []


def decode_cpu_features(entries):
    """{feature: bool} for every feature of the table, from kvm_cpuid_entry2 tuples."""
    by_leaf = {}
    for entry in entries:
        significant = entry[CPUID_ENTRY_FIELDS["flags"]] & KVM_CPUID_FLAG_SIGNIFCANT_INDEX
        index = entry[CPUID_ENTRY_FIELDS["index"]] if significant else 0
        by_leaf[(entry[CPUID_ENTRY_FIELDS["function"]], index)] = entry
    features = {}
    for name, (leaf, subleaf, register, bit) in X86_FEATURES.items():
        entry = by_leaf.get((leaf, subleaf))
        features[name] = bool(entry and entry[CPUID_ENTRY_FIELDS[register]] >> bit & 1)
    return features


def not_probed(why):
    return {"cpuid": {"skipped": why}}
