# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest-visible x86 CPU features that matter to operators, as data.

Each entry: name -> (leaf, subleaf, register, bit). Names and bits follow
arch/x86/include/asm/cpufeatures.h (the names /proc/cpuinfo prints) and the
Intel SDM / AMD APM CPUID tables.
"""

# Registers are named as in struct kvm_cpuid_entry2.
X86_FEATURES = {
    # CPUID.1:ECX
    "sse3": (0x1, 0, "ecx", 0),
    "vmx": (0x1, 0, "ecx", 5),
    "ssse3": (0x1, 0, "ecx", 9),
    "fma": (0x1, 0, "ecx", 12),
    "cx16": (0x1, 0, "ecx", 13),
    "pcid": (0x1, 0, "ecx", 17),
    "sse4_1": (0x1, 0, "ecx", 19),
    "sse4_2": (0x1, 0, "ecx", 20),
    "x2apic": (0x1, 0, "ecx", 21),
    "movbe": (0x1, 0, "ecx", 22),
    "popcnt": (0x1, 0, "ecx", 23),
    "tsc_deadline_timer": (0x1, 0, "ecx", 24),
    "aes": (0x1, 0, "ecx", 25),
    "xsave": (0x1, 0, "ecx", 26),
    "avx": (0x1, 0, "ecx", 28),
    "f16c": (0x1, 0, "ecx", 29),
    "rdrand": (0x1, 0, "ecx", 30),
    "hypervisor": (0x1, 0, "ecx", 31),
    # CPUID.1:EDX
    "tsc": (0x1, 0, "edx", 4),
    "msr": (0x1, 0, "edx", 5),
    "pae": (0x1, 0, "edx", 6),
    "apic": (0x1, 0, "edx", 9),
    "sse": (0x1, 0, "edx", 25),
    "sse2": (0x1, 0, "edx", 26),
    # CPUID.(7,0):EBX
    "fsgsbase": (0x7, 0, "ebx", 0),
    "bmi1": (0x7, 0, "ebx", 3),
    "avx2": (0x7, 0, "ebx", 5),
    "smep": (0x7, 0, "ebx", 7),
    "bmi2": (0x7, 0, "ebx", 8),
    "erms": (0x7, 0, "ebx", 9),
    "invpcid": (0x7, 0, "ebx", 10),
    "rtm": (0x7, 0, "ebx", 11),
    "avx512f": (0x7, 0, "ebx", 16),
    "avx512dq": (0x7, 0, "ebx", 17),
    "rdseed": (0x7, 0, "ebx", 18),
    "adx": (0x7, 0, "ebx", 19),
    "smap": (0x7, 0, "ebx", 20),
    "clflushopt": (0x7, 0, "ebx", 23),
    "clwb": (0x7, 0, "ebx", 24),
    "avx512cd": (0x7, 0, "ebx", 28),
    "sha_ni": (0x7, 0, "ebx", 29),
    "avx512bw": (0x7, 0, "ebx", 30),
    "avx512vl": (0x7, 0, "ebx", 31),
    # CPUID.(7,0):ECX
    "avx512vbmi": (0x7, 0, "ecx", 1),
    "umip": (0x7, 0, "ecx", 2),
    "pku": (0x7, 0, "ecx", 3),
    "gfni": (0x7, 0, "ecx", 8),
    "vaes": (0x7, 0, "ecx", 9),
    "vpclmulqdq": (0x7, 0, "ecx", 10),
    "avx512_vnni": (0x7, 0, "ecx", 11),
    "la57": (0x7, 0, "ecx", 16),
    "rdpid": (0x7, 0, "ecx", 22),
    # CPUID.(7,0):EDX
    "md_clear": (0x7, 0, "edx", 10),
    "amx_bf16": (0x7, 0, "edx", 22),
    "amx_tile": (0x7, 0, "edx", 24),
    "amx_int8": (0x7, 0, "edx", 25),
    "spec_ctrl": (0x7, 0, "edx", 26),
    "arch_capabilities": (0x7, 0, "edx", 29),
    # CPUID.(0xD,1):EAX
    "xsaves": (0xD, 1, "eax", 3),
    # CPUID.0x80000001:ECX/EDX
    "lahf_lm": (0x80000001, 0, "ecx", 0),
    "svm": (0x80000001, 0, "ecx", 2),
    "abm": (0x80000001, 0, "ecx", 5),
    "nx": (0x80000001, 0, "edx", 20),
    "pdpe1gb": (0x80000001, 0, "edx", 26),
    "rdtscp": (0x80000001, 0, "edx", 27),
    "lm": (0x80000001, 0, "edx", 29),
}

# Position of each register in a struct kvm_cpuid_entry2 tuple
# (function, index, flags, eax, ebx, ecx, edx, padding x3).
CPUID_ENTRY_FIELDS = {"function": 0, "index": 1, "flags": 2, "eax": 3, "ebx": 4, "ecx": 5, "edx": 6}
KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1  # sic, as spelled in linux/kvm.h
