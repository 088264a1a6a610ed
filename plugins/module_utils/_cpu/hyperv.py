# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's Hyper-V enlightenments, as data: what QEMU asks of KVM for each `hv-*` CPU property.

Source: QEMU's target/i386/kvm/kvm.c (kvm_hyperv_properties[], hyperv_init_vcpu(), kvm_put_msrs()),
target/i386/kvm/hyperv-proto.h (the bits and MSRs) and hw/i386/x86-common.c (x86.c in 7.2: VP_INDEX), read
in the sources of QEMU 7.2.0 and 10.0.13 (Debian's orig tarballs), where they are the same but for the syndbg
entry's passthrough flag; 11.1.2 has the same properties (`-device qemu64-x86_64-cpu,help`) and was checked
by starting it (tests/functional/hyperv). Each entry:
  (QEMU's property, the Hyper-V CPUID bits KVM must offer: ((leaf, register, mask), ...),
   the enlightenments it needs (kvm_hyperv_properties' dependencies, and SynIC's VP_INDEX),
   the MSRs QEMU writes at reset when it is on: ((index, value), ...),
   the vCPU capability QEMU enables for it (linux/kvm.h's name), or None)
"""

# Hyper-V CPUID leaves (hyperv-proto.h)
HV_CPUID_FEATURES = 0x40000003
HV_CPUID_ENLIGHTMENT_INFO = 0x40000004
HV_CPUID_NESTED_FEATURES = 0x4000000A

# The MSRs QEMU writes (hyperv-proto.h), by name for the reasons.
MSR_NAMES = {
    0x40000000: "HV_X64_MSR_GUEST_OS_ID", 0x40000001: "HV_X64_MSR_HYPERCALL", 0x40000002: "HV_X64_MSR_VP_INDEX",
    0x40000021: "HV_X64_MSR_REFERENCE_TSC", 0x40000073: "HV_X64_MSR_APIC_ASSIST_PAGE",
    0x40000080: "HV_X64_MSR_SCONTROL", 0x40000081: "HV_X64_MSR_SVERSION", 0x40000082: "HV_X64_MSR_SIEFP",
    0x40000083: "HV_X64_MSR_SIMP", 0x40000106: "HV_X64_MSR_REENLIGHTENMENT_CONTROL",
    0x40000107: "HV_X64_MSR_TSC_EMULATION_CONTROL", 0x40000108: "HV_X64_MSR_TSC_EMULATION_STATUS",
    0x400000FF: "HV_X64_MSR_SYNDBG_OPTIONS",
}
MSR_NAMES.update((0x40000090 + n, "HV_X64_MSR_SINT%d" % n) for n in range(16))
# Written for every Hyper-V guest (has_msr_hv_hypercall, once hyperv_enabled()).
HYPERCALL_MSRS = ((0x40000000, 0), (0x40000001, 0))
HV_SINT_MASKED = 1 << 16  # QEMU's reset value of each SINT (kvm_arch_init_vcpu)
SYNIC_MSRS = ((0x40000081, 1), (0x40000080, 0), (0x40000082, 0), (0x40000083, 0)) + tuple(
    (0x40000090 + n, HV_SINT_MASKED) for n in range(16))
SYNDBG_OPTIONS = 0x400000FF  # written only where KVM lists it (has_msr_hv_syndbg_options)

EVMCS_VERSION = (1 << 8) | 1  # DEFAULT_EVMCS_VERSION: eVMCS 1 to 1

_FEATURES, _RECOMMENDED, _NESTED = HV_CPUID_FEATURES, HV_CPUID_ENLIGHTMENT_INFO, HV_CPUID_NESTED_FEATURES
ENLIGHTENMENTS = (
    ("hv-relaxed", ((_RECOMMENDED, "eax", 1 << 5),), (), (), None),
    ("hv-vapic", ((_FEATURES, "eax", 1 << 4),), (), ((0x40000073, 0),), None),
    ("hv-time", ((_FEATURES, "eax", 1 << 1 | 1 << 9),), (), ((0x40000021, 0),), None),
    ("hv-crash", ((_FEATURES, "edx", 1 << 10),), (), (), None),
    ("hv-reset", ((_FEATURES, "eax", 1 << 7),), (), (), None),
    ("hv-vpindex", ((_FEATURES, "eax", 1 << 6),), (), ((0x40000002, 0),), None),
    ("hv-runtime", ((_FEATURES, "eax", 1 << 0),), (), (), None),
    ("hv-synic", ((_FEATURES, "eax", 1 << 2),), ("hv-vpindex",), SYNIC_MSRS, "KVM_CAP_HYPERV_SYNIC2"),
    ("hv-stimer", ((_FEATURES, "eax", 1 << 3),), ("hv-synic", "hv-time"), (), None),
    ("hv-frequencies", ((_FEATURES, "eax", 1 << 11), (_FEATURES, "edx", 1 << 8)), (), (), None),
    ("hv-reenlightenment", ((_FEATURES, "eax", 1 << 13),), (),
     ((0x40000106, 0), (0x40000107, 0), (0x40000108, 0)), None),
    ("hv-tlbflush", ((_RECOMMENDED, "eax", 1 << 2 | 1 << 11),), ("hv-vpindex",), (), None),
    ("hv-evmcs", ((_RECOMMENDED, "eax", 1 << 14),), ("hv-vapic",), (), "KVM_CAP_HYPERV_ENLIGHTENED_VMCS"),
    ("hv-ipi", ((_RECOMMENDED, "eax", 1 << 10 | 1 << 11),), ("hv-vpindex",), (), None),
    ("hv-stimer-direct", ((_FEATURES, "edx", 1 << 19),), ("hv-stimer",), (), None),
    ("hv-avic", ((_RECOMMENDED, "eax", 1 << 9),), (), (), None),
    ("hv-syndbg", ((_FEATURES, "edx", 1 << 11),), ("hv-synic", "hv-relaxed"), ((SYNDBG_OPTIONS, 0),), None),
    ("hv-emsr-bitmap", ((_NESTED, "eax", 1 << 19),), (), (), None),
    ("hv-xmm-input", ((_FEATURES, "edx", 1 << 4),), (), (), None),
    ("hv-tlbflush-ext", ((_FEATURES, "edx", 1 << 14),), ("hv-tlbflush",), (), None),
    ("hv-tlbflush-direct", ((_NESTED, "eax", 1 << 17),), ("hv-vapic",), (), None),
)
NAMES = tuple(entry[0] for entry in ENLIGHTENMENTS)
ALIASES = {"hv-apicv": "hv-avic"}  # one property, two names (QEMU 7.2 and later)
# hv-passthrough turns on every supported enlightenment except these (skip_passthrough, QEMU 10.0 and later).
NOT_IN_PASSTHROUGH = ("hv-syndbg",)
# The QEMU releases this table was read or checked for (the same table for each).
RELEASES = ("7.2", "10.0", "11.1")
REGISTERS = {"eax": 3, "ebx": 4, "ecx": 5, "edx": 6}  # in a kvm_cpuid_entry2 tuple


def closure(name):
    """The enlightenment and every one it needs, in ENLIGHTENMENTS' order (QEMU's order of checking them)."""
    needs = dict((entry[0], entry[2]) for entry in ENLIGHTENMENTS)
    wanted, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in wanted:
            wanted.add(current)
            todo.extend(needs[current])
    return [n for n in NAMES if n in wanted]
