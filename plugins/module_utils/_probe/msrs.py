# SPDX-License-Identifier: GPL-3.0-or-later
"""The msrs subset (x86): how many MSRs KVM saves and restores, and how many feature MSRs it answers."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi


def probe(ctx):
    if ctx.machine not in abi.X86_ARCHES:
        return {"msrs": {"skipped": "MSR lists exist on x86 only; this host is %s" % ctx.machine}}, []
    facts = {"index_count": None, "feature_count": None}
    for key, call in (("index_count", ctx.msr_index_list), ("feature_count", ctx.msr_feature_index_list)):
        try:
            facts[key] = len(call())
        except OSError as error:
            facts.setdefault("errors", []).append(str(error))
    return {"msrs": facts}, []


def not_probed(why):
    return {"msrs": {"skipped": why}}
