# SPDX-License-Identifier: GPL-3.0-or-later
"""The cpuid subset (x86): what KVM_GET_SUPPORTED_CPUID offers guests, as Linux's feature names."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.cpuid_bits import FEATURE_ALIASES, FEATURE_WORDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text

# The guest-visible features the facts report, by the names /proc/cpuinfo prints (arch/x86/include/asm/
# cpufeatures.h). Their CPUID positions are QEMU's table's (cpuid_bits, generated): each Linux name is one QEMU
# accepts for the same bit (its alias, or with - for _), or the one RENAMED gives.
LINUX_NAMES = (
    "sse3", "vmx", "ssse3", "fma", "cx16", "pcid", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt",
    "tsc_deadline_timer", "aes", "xsave", "avx", "f16c", "rdrand", "hypervisor", "tsc", "msr", "pae", "apic", "sse",
    "sse2", "fsgsbase", "bmi1", "avx2", "smep", "bmi2", "erms", "invpcid", "rtm", "avx512f", "avx512dq", "rdseed",
    "adx", "smap", "clflushopt", "clwb", "avx512cd", "sha_ni", "avx512bw", "avx512vl", "avx512vbmi", "umip", "pku",
    "gfni", "vaes", "vpclmulqdq", "avx512_vnni", "la57", "rdpid", "md_clear", "amx_bf16", "amx_tile", "amx_int8",
    "spec_ctrl", "arch_capabilities", "xsaves", "lahf_lm", "svm", "abm", "nx", "pdpe1gb", "rdtscp", "lm")
RENAMED = {"tsc_deadline_timer": "tsc-deadline", "avx512_vnni": "avx512vnni"}
# struct kvm_cpuid_entry2 as a tuple: function, index, flags, eax, ebx, ecx, edx (then padding)
FIELDS = {"function": 0, "index": 1, "flags": 2, "eax": 3, "ebx": 4, "ecx": 5, "edx": 6}
KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1  # sic, as spelled in linux/kvm.h


def positions():
    """{Linux name: (leaf, subleaf, register, bit)}, from QEMU's feature words."""
    where = dict((name, (leaf, subleaf, register, bit)) for _word, kind, leaf, subleaf, register, bits in FEATURE_WORDS
                 if kind == "cpuid" for bit, name in bits.items())
    return dict((name, where[RENAMED.get(name) or FEATURE_ALIASES.get(name, name.replace("_", "-"))])
                for name in LINUX_NAMES)


def probe(ctx):
    if ctx.machine not in abi.X86_ARCHES:
        return {"cpuid": {"skipped": "KVM_GET_SUPPORTED_CPUID exists on x86 only; this host is %s" % ctx.machine}}, []
    try:
        entries = ctx.supported_cpuid()
    except OSError as error:
        return {"cpuid": {"error": "KVM_GET_SUPPORTED_CPUID failed with %s" % errno_text(error)}}, []
    return {"cpuid": {"entries": len(entries), "features": decode_cpu_features(entries)}}, []


def decode_cpu_features(entries):
    """{feature: bool} for every Linux name, from kvm_cpuid_entry2 tuples."""
    by_leaf = {}
    for entry in entries:
        index = entry[FIELDS["index"]] if entry[FIELDS["flags"]] & KVM_CPUID_FLAG_SIGNIFCANT_INDEX else 0
        by_leaf[(entry[FIELDS["function"]], index)] = entry
    features = {}
    for name, (leaf, subleaf, register, bit) in positions().items():
        entry = by_leaf.get((leaf, subleaf))
        features[name] = bool(entry and entry[FIELDS[register]] >> bit & 1)
    return features


def not_probed(why):
    return {"cpuid": {"skipped": why}}
