# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest_cpu subset (x86): the CPU that QEMU under KVM can give a guest.

Asks the kernel what QEMU asks (KVM_GET_SUPPORTED_CPUID, KVM_CHECK_EXTENSION,
the MSR lists, the feature MSRs, KVM_X86_XCOMP_GUEST_SUPP) and lets _cpu/guest_cpu.py
compute features, x86-64 level and QEMU models from the answers. Informational:
it never makes a host unusable.
"""

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits as bits
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import (
    NOT_IN_RELEASE, KernelAnswers, builtin_models, guest_cpu_facts, uses_host_flags)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.host import first_cpu

KVM_CAP_IRQCHIP = CAP_NUMBER["KVM_CAP_IRQCHIP"]
KVM_CAP_TSC_DEADLINE_TIMER = CAP_NUMBER["KVM_CAP_TSC_DEADLINE_TIMER"]
KVM_CAP_GET_MSR_FEATURES = CAP_NUMBER["KVM_CAP_GET_MSR_FEATURES"]
KVM_CAP_SYS_ATTRIBUTES = CAP_NUMBER["KVM_CAP_SYS_ATTRIBUTES"]
# The feature MSRs QEMU reads (the MSR feature words of its table).
FEATURE_MSRS = tuple(word[2] for word in bits.FEATURE_WORDS if word[1] == "msr")


def _cap(ctx, number):
    try:
        return ctx.check_extension(number) > 0
    except OSError:
        return False


def gather_answers(ctx, flags_needed=True):
    """A KernelAnswers from the kernel, and the notes of the answers it could not get. The host's CPU flags are
    read only when a release that uses them (10.0 and later) is judged."""
    notes = []
    entries = ctx.supported_cpuid()
    try:
        index_list = ctx.msr_index_list()
    except OSError as error:
        index_list = ()
        notes.append(str(error))
    feature_msrs = {}
    if _cap(ctx, KVM_CAP_GET_MSR_FEATURES):
        try:
            listed = set(ctx.msr_feature_index_list())
            wanted = [index for index in FEATURE_MSRS if index in listed]
            if wanted:
                feature_msrs = ctx.kvm.get_msrs(wanted)
            unread = [index for index in wanted if index not in feature_msrs]
            if unread:
                notes.append("KVM_GET_MSRS did not read feature MSR(s) %s" % ", ".join("0x%x" % i for i in unread))
        except OSError as error:
            notes.append(str(error))
    xcomp = None
    if _cap(ctx, KVM_CAP_SYS_ATTRIBUTES):
        try:
            xcomp = ctx.kvm.get_device_attr(0, abi.KVM_X86_XCOMP_GUEST_SUPP)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: no such attribute; QEMU then reads CPUID 0xd as well
                notes.append(str(error))
    kernel = KernelAnswers(entries, irqchip=_cap(ctx, KVM_CAP_IRQCHIP), tsc_deadline=_cap(ctx, KVM_CAP_TSC_DEADLINE_TIMER),
                           msr_index_list=index_list, feature_msrs=feature_msrs, xcomp_guest_supp=xcomp,
                           # QEMU 10.0 adds a few of the host's own CPUID bits (guest_cpu.HOST_CPUID_BITS)
                           host_flags=(first_cpu(ctx.kernel)[0] or ()) if flags_needed else ())
    return kernel, notes


def probe(ctx):
    if ctx.machine not in abi.X86_ARCHES:
        return not_probed("QEMU x86 CPU models and x86-64 levels apply to x86 only; this host is %s" % ctx.machine), []
    chosen = ctx.qemu_releases()
    try:
        kernel, notes = gather_answers(ctx, any(uses_host_flags(table) for table, _qemu in chosen))
    except OSError as error:
        return {"guest_cpu": {"error": "%s; the guest CPU is unknown" % error}}, []
    facts = None
    for table, qemu in chosen:  # the first release is the main answer; each other adds its own models
        checked = facts is None and ctx.qemu_check
        found = guest_cpu_facts(kernel, builtin_models(table), detail=None if checked else ctx.cpu_models)
        found["qemu"] = qemu
        if checked:
            found["qemu_check"] = qemu_check(ctx, found, table)
        if facts is None:
            facts = found
        else:
            facts.setdefault("other_releases", {})[qemu["version"]] = dict(
                (key, found[key]) for key in ("qemu", "qemu_version", "runnable_models", "models", "models_complete"))
    if notes:
        facts["notes"] = notes
    return {"guest_cpu": facts}, []


def qemu_check(ctx, facts, table):
    """The qemu_check entry: QEMU's own answer compared (and, where it differs, used); the models then detailed as
    cpu_models asks."""
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import qemu_check as check  # only when asked
    answers, entry = check.ask(ctx.kernel, table)
    if answers is not None:
        check.compare(facts, answers, entry, table)
    if ctx.cpu_models is not None:
        facts["models"] = dict((name, facts["models"].get(name, NOT_IN_RELEASE)) for name in ctx.cpu_models)
        facts["models_complete"] = False
    return entry


def not_probed(why):
    return {"guest_cpu": {"skipped": why}}
