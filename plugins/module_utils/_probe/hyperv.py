# SPDX-License-Identifier: GPL-3.0-or-later
"""The hyperv subset (x86): which of QEMU's Hyper-V enlightenments (hv-*) a Windows guest can be given here.

It does what QEMU does when a vCPU with hv-* properties is set up (_cpu/hyperv.py has QEMU's table and the
source): it reads KVM_CAP_HYPERV and its kin and the Hyper-V CPUID leaves KVM emulates, then, on a vCPU of a VM
of its own with an in-kernel LAPIC (SynIC needs one), enables the capabilities QEMU enables, sets the CPUID and
writes each MSR QEMU writes at reset, one at a time, so that a refusal names its MSR. The VM's irqchip is the
split one (KVM_CAP_SPLIT_IRQCHIP, 24 routes, as QEMU's kernel-irqchip=split): KVM answers SynIC alike for both,
and destroying a VM with the full KVM_CREATE_IRQCHIP costs 15 ms, the split one under 1 ms. Each enlightenment is
then judged with what it needs, in QEMU's order: the first refusal is the one QEMU reports. `starts` is whether
QEMU starts with it; `offered` whether the guest then really gets it (without KVM_CAP_HYPERV, QEMU starts and
drops every hv-* property silently).
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import hyperv as hv
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import grow

CAPS = ("KVM_CAP_HYPERV", "KVM_CAP_HYPERV_TIME", "KVM_CAP_HYPERV_VP_INDEX", "KVM_CAP_HYPERV_SYNIC2",
        "KVM_CAP_HYPERV_TLBFLUSH", "KVM_CAP_HYPERV_SEND_IPI", "KVM_CAP_HYPERV_ENLIGHTENED_VMCS",
        "KVM_CAP_HYPERV_CPUID", "KVM_CAP_SYS_HYPERV_CPUID")
NO_HYPERV = ("KVM_CAP_HYPERV is 0: this kernel's KVM emulates no Hyper-V (as Linux 6.8 and later built without "
             "CONFIG_KVM_HYPERV, or a paravirtual KVM); QEMU starts with hv-* properties but gives the guest no Hyper-V "
             "CPUID leaves, so Windows runs without any enlightenment")
SPLIT_IRQCHIP_ROUTES = 24  # QEMU's IOAPIC pins (kvm_arch_irqchip_create with kernel-irqchip=split)
DROPPED = "KVM_CAP_HYPERV is 0: QEMU starts, and drops it silently (see hyperv.reason)"


def probe(ctx):
    if ctx.machine not in abi.X86_ARCHES:
        return not_probed("Hyper-V enlightenments are QEMU's x86 hv-* CPU properties; this host is %s" % ctx.machine), []
    try:
        caps = dict((name, ctx.check_extension(CAP_NUMBER[name])) for name in CAPS)
        facts = {"kvm": caps, "qemu": ctx.qemu_releases()[0][1]}
        vm = ctx.kvm.create_vm(0)
    except OSError as error:
        return {"hyperv": {"error": "%s; the enlightenments are unknown" % error}}, []
    try:
        trial = _trial(ctx, vm, caps, facts)
    except OSError as error:
        return {"hyperv": dict(facts, error="%s; the enlightenments are unknown" % error)}, []
    finally:
        vm.close()
    enabled = caps["KVM_CAP_HYPERV"] > 0
    if not enabled:
        facts["reason"] = NO_HYPERV
    facts["enlightenments"] = dict((name, _verdict(name, hv.closure(name), trial, enabled)) for name in hv.NAMES)
    chosen = [n for n in hv.NAMES if n not in hv.NOT_IN_PASSTHROUGH and not trial.lacks(n)] if enabled else []
    refused = _refusal(chosen, trial, enabled, check_bits=False)
    facts["passthrough"] = {"starts": refused is None, "enlightenments": chosen if refused is None else [],
                            "missing": _worded(refused) if refused else None if enabled else DROPPED}
    return {"hyperv": facts}, []


ENTRY = dict((entry[0], entry) for entry in hv.ENLIGHTENMENTS)


class _Trial(object):
    """The kernel's answers for one vCPU set up as QEMU sets it up: the capabilities, the Hyper-V CPUID leaves and
    where they came from, then why each capability QEMU enables, the CPUID and each MSR were refused (None: taken)."""

    def __init__(self, caps, leaves, leaves_source):
        self.caps, self.leaves, self.leaves_source = caps, leaves, leaves_source
        self.enabled_caps, self.msrs, self.cpuid_error = {}, {}, None

    def lacks(self, name):
        """Why KVM's Hyper-V CPUID does not offer it (the first bit clear), or None."""
        for leaf, register, mask in ENTRY[name][1]:
            value = self.leaves.get(leaf, (0,) * 10)[hv.REGISTERS[register]]
            if value & mask != mask:
                bits = ", ".join(str(bit) for bit in range(32) if mask >> bit & 1 and not value >> bit & 1)
                return "Hyper-V CPUID 0x%08x %s bit %s clear in %s" % (leaf, register.upper(), bits, self.leaves_source)
        return None


def _trial(ctx, vm, caps, facts):
    """Set up one vCPU as QEMU would with every enlightenment, and record each answer."""
    try:
        vm.enable_cap(CAP_NUMBER["KVM_CAP_SPLIT_IRQCHIP"], (SPLIT_IRQCHIP_ROUTES,))
    except OSError as error:
        facts.setdefault("errors", []).append(str(error))
    vcpu = vm.create_vcpu(0, ctx.vcpu_mmap_size())
    try:
        trial = _Trial(caps, *_hv_cpuid(ctx, vcpu, caps))
        facts["hv_cpuid"] = trial.leaves_source
        if caps["KVM_CAP_HYPERV"] > 0:  # QEMU's order (hyperv_init_vcpu, then KVM_SET_CPUID2)
            for cap in ("KVM_CAP_HYPERV_SYNIC2", "KVM_CAP_HYPERV_ENLIGHTENED_VMCS"):
                trial.enabled_caps[cap] = _enable(ctx, vcpu, cap)
            try:
                vcpu.set_cpuid2([e for e in ctx.supported_cpuid() if not 0x40000000 <= e[0] < 0x50000000]
                                + sorted(trial.leaves.values()))
            except OSError as error:
                trial.cpuid_error = str(error)
        listed = set(ctx.msr_index_list())
        for _name, _bits, _needs, msrs, _cap in hv.ENLIGHTENMENTS:
            for index, value in msrs + hv.HYPERCALL_MSRS:
                if index not in trial.msrs and (index != hv.SYNDBG_OPTIONS or index in listed):
                    trial.msrs[index] = _write(vcpu, index, value)
        return trial
    finally:
        vcpu.close()


def _hv_cpuid(ctx, vcpu, caps):
    """({leaf: kvm_cpuid_entry2}, where they came from) of the Hyper-V CPUID KVM emulates, as QEMU reads it."""
    if caps["KVM_CAP_HYPERV_CPUID"] > 0:
        on_system = caps["KVM_CAP_SYS_HYPERV_CPUID"] > 0
        ask = ctx.kvm.get_supported_hv_cpuid if on_system else vcpu.get_supported_hv_cpuid
        leaves = dict((e[0], e) for e in grow(ask, 16, 256))
        if not on_system and caps["KVM_CAP_HYPERV_ENLIGHTENED_VMCS"] > 0 and hv.HV_CPUID_ENLIGHTMENT_INFO in leaves:
            entry = list(leaves[hv.HV_CPUID_ENLIGHTMENT_INFO])  # QEMU sets the eVMCS bit itself here
            entry[3] |= 1 << 14
            leaves[hv.HV_CPUID_ENLIGHTMENT_INFO] = tuple(entry)
        return leaves, "KVM_GET_SUPPORTED_HV_CPUID (%s)" % ("system fd" if on_system else "vCPU")
    return _legacy_leaves(caps, set(ctx.msr_index_list())), "KVM_CAP_HYPERV* and the MSR index list (no KVM_CAP_HYPERV_CPUID)"


def _legacy_leaves(caps, listed):
    """QEMU's get_supported_hv_cpuid_legacy(): the leaves from the capabilities and the MSRs KVM lists."""
    feat, recommended = [0, 0, 0], [0]  # eax ebx edx of HV_CPUID_FEATURES; eax of HV_CPUID_ENLIGHTMENT_INFO
    if caps["KVM_CAP_HYPERV"] > 0:
        feat[0] |= 1 << 5 | 1 << 4
        feat[2] |= 1 << 3
        recommended[0] |= 1 << 5 | 1 << 3
    if caps["KVM_CAP_HYPERV_TIME"] > 0:
        feat[0] |= 1 << 1 | 1 << 9
    for msr, word, bits in ((0x40000022, 0, 1 << 11), (0x40000022, 2, 1 << 8), (0x40000105, 2, 1 << 10),
                            (0x40000106, 0, 1 << 13), (0x40000003, 0, 1 << 7), (0x40000002, 0, 1 << 6),
                            (0x40000010, 0, 1 << 0), (0x400000B0, 0, 1 << 3), (0x400000FF, 2, 1 << 1 | 1 << 11),
                            (0x400000FF, 1, 1 << 12)):
        if msr in listed:
            feat[word] |= bits
    if 0x40000080 in listed and caps["KVM_CAP_HYPERV_SYNIC2"] > 0:
        feat[0] |= 1 << 2
    for cap, bits in (("KVM_CAP_HYPERV_TLBFLUSH", 1 << 2 | 1 << 11), ("KVM_CAP_HYPERV_ENLIGHTENED_VMCS", 1 << 14),
                      ("KVM_CAP_HYPERV_SEND_IPI", 1 << 10 | 1 << 11)):
        if caps[cap] > 0:
            recommended[0] |= bits
    return {hv.HV_CPUID_FEATURES: (hv.HV_CPUID_FEATURES, 0, 0, feat[0], feat[1], 0, feat[2], 0, 0, 0),
            hv.HV_CPUID_ENLIGHTMENT_INFO: (hv.HV_CPUID_ENLIGHTMENT_INFO, 0, 0, recommended[0], 0, 0, 0, 0, 0, 0)}


def _enable(ctx, vcpu, cap):
    """None when the vCPU took the capability as QEMU enables it, else why not."""
    try:
        if cap != "KVM_CAP_HYPERV_ENLIGHTENED_VMCS":
            vcpu.enable_cap(CAP_NUMBER[cap])
            return None
        version, address = ctx.kernel.user_buffer(bytearray(2))  # the kernel writes the versions it supports
        vcpu.enable_cap(CAP_NUMBER[cap], (address,))
        supported = abi.KVM_U16.unpack_from(version)[0]
        if not (supported & 0xff) <= (hv.EVMCS_VERSION & 0xff) <= (hv.EVMCS_VERSION >> 8) <= (supported >> 8):
            return "KVM supports eVMCS %d to %d, QEMU asks for 1" % (supported & 0xff, supported >> 8)
        return None
    except OSError as error:
        return "KVM_ENABLE_CAP(%s) on a vCPU failed with %s" % (cap, errno_text(error))


def _write(vcpu, index, value):
    """None when KVM_SET_MSRS wrote the MSR, else why not."""
    what = "%s (0x%08x) = 0x%x" % (hv.MSR_NAMES.get(index, "MSR"), index, value)
    try:
        if vcpu.set_msrs([(index, value)]) == 1:
            return None
        return "KVM_SET_MSRS refused %s: QEMU aborts at vCPU reset (failed to set MSR 0x%x)" % (what, index)
    except OSError as error:
        return "KVM_SET_MSRS of %s failed with %s" % (what, errno_text(error))


def _refusal(chain, trial, enabled, check_bits=True):
    """(the enlightenment, or None for all of them, and what stops QEMU with these on), the first in QEMU's order; or
    None when QEMU starts."""
    if "hv-vpindex" in chain and trial.caps["KVM_CAP_HYPERV_VP_INDEX"] <= 0:
        return "hv-vpindex", "KVM_CAP_HYPERV_VP_INDEX is 0: the kernel does not let QEMU set VP_INDEX (QEMU refuses to start)"
    if enabled:
        for name in chain if check_bits else ():
            lacking = trial.lacks(name)
            if lacking:
                return name, "%s (QEMU: not supported by kernel)" % lacking
        for name in chain:
            cap = ENTRY[name][4]
            if cap is not None and trial.enabled_caps.get(cap):
                return name, trial.enabled_caps[cap]
        if trial.cpuid_error:
            return None, "KVM_SET_CPUID2 with the Hyper-V leaves: %s" % trial.cpuid_error
    for name in chain:
        for index, _value in ENTRY[name][3]:
            if trial.msrs.get(index):
                return name, trial.msrs[index]
    for index, _value in hv.HYPERCALL_MSRS if enabled and chain else ():  # every Hyper-V guest's
        if trial.msrs.get(index):
            return None, trial.msrs[index]
    return None


def _worded(refused, name=None):
    """A refusal as the facts say it: a needed enlightenment's is said to be that one's."""
    who, why = refused
    return why if who in (None, name) else "needs %s: %s" % (who, why)


def _verdict(name, chain, trial, enabled):
    refused = _refusal(chain, trial, enabled)
    return {"offered": refused is None and enabled, "starts": refused is None,
            "missing": _worded(refused, name) if refused else None if enabled else DROPPED,
            "needs": list(ENTRY[name][2])}


def not_probed(why):
    return {"hyperv": {"skipped": why}}
