# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's host-dependent guest-CPU rules, per release, as data with their source (pure; shared by both sides).

QEMU does not give a guest KVM's plain answer. It adds bits KVM does not report, hides bits it cannot
use, looks at the host's own CPU, and builds its `host` model with a few features left off by default.
Each rule below names the release of our model tables it applies from (`since`; None: every release),
the one it stops at (`until`), the file and function it was read in, and where it came from upstream.
Read in QEMU 7.2.22 (Debian 12's source, with its v7.2.x stable patches) and 10.0.13 (Debian 13's source);
11.1.2's source is not served by the archive, so its rules were read in upstream's tree and proven against
the 11.1.2 binary on the recorded machines (tests/fixtures/machines/).

guest_cpu.py applies them: `applies(rule, release)` is the only way it asks.
"""

# (id, since, until, where, what, origin)
RULES = (
    ("cpuid-legacy-edx", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 1 EDX gains mtrr, pat, mce and mca", "KVM before Linux 2.6.30 misreported them"),
    ("cpuid-ht", "10.0", None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 1 EDX gains ht (KVM never reports it; QEMU sets it when a guest has more than one thread)",
     "upstream 9.1; not in 7.2.22"),
    ("cpuid-hypervisor", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 1 ECX gains hypervisor; tsc-deadline with the in-kernel irqchip and KVM_CAP_TSC_DEADLINE_TIMER; "
     "x2apic only with the in-kernel irqchip", ""),
    ("cpuid-arat", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 6 EAX gains arat (the APIC is emulated)", ""),
    ("host-cpuid-bits", "10.0", None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "the host's own erms, fsrm, fzrm, fsrs, fsrc and mcdt-no are ORed in (\"not new instructions, just an "
     "optimization\"); read from the kernel's /proc/cpuinfo flags, mcdt-no (not printed by Linux) from KVM only",
     "upstream 8.1 (erms, fsrm) to 9.0; not in 7.2.22"),
    ("tsx-broken", None, None, "target/i386/kvm/kvm.c host_tsx_broken",
     "rtm and hle hidden on Haswell parts with broken TSX (family 6, models 60, 63 up to stepping 3, 69, 70)", ""),
    ("arch-cap-msr-listed", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "arch-capabilities hidden when KVM_GET_MSR_INDEX_LIST lacks MSR 0x10a (Linux 4.17-4.20 on SVM hosts)", ""),
    ("arch-cap-amd", "11.1", None, "target/i386/cpu.c x86_cpu_get_supported_feature_word",
     "arch-capabilities, and with it every ARCH_CAPABILITIES feature, hidden from AMD CPU models, the host's "
     "included (\"Windows does not like ARCH_CAPABILITIES on AMD machines at all\"); machine types up to 10.0 "
     "keep it (x-arch-cap-always-on)",
     "upstream 10.1; a first form in kvm.c (host CPUID) was in a 10.0 stable release and is gone from 10.0.13"),
    ("xcomp-guest-supp", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 0xD.0 EAX/EDX from KVM_X86_XCOMP_GUEST_SUPP when the kernel has it (AMX needs arch_prctl)", ""),
    ("cpuid-topoext", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 0x80000001 ECX gains topoext (\"safe to enable even if not returned\")", ""),
    ("cpuid-amd-aliases", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 0x80000001 EDX gains CPUID 1 EDX's AMD aliases", ""),
    ("cpuid-mca-recovery", "10.0", None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "CPUID 0x80000007 EBX gains overflow-recov and succor", "upstream 9.1; not in 7.2.22"),
    ("mca-recovery-amd-only", "10.0", None, "target/i386/cpu.c x86_cpu_get_supported_feature_word",
     "CPUID 0x80000007 EBX (overflow-recov, succor) unavailable to a non-AMD CPU model, the host's included",
     "upstream 9.1; not in 7.2.22"),
    ("pv-unhalt-irqchip", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "kvm-pv-unhalt only with the in-kernel irqchip", ""),
    ("kvm-hint-realtime", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid",
     "KVM hints EDX gains kvm-hint-dedicated", ""),
    ("vmx-ctls2-backfill", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_msr_feature",
     "VMX_PROCBASED_CTLS2 gains xsaves, rdrand, invpcid, rdseed and rdtscp exiting when KVM_GET_MSR_INDEX_LIST "
     "lacks that MSR (\"KVM forgot to add these bits\")", ""),
    ("vmx-may-be-one", None, None, "target/i386/kvm/kvm.c kvm_arch_get_supported_msr_feature",
     "a VMX control offers the bits that may be one but need not be", ""),
    ("fb-clear", "10.0", None, "target/i386/kvm/kvm.c kvm_arch_get_supported_msr_feature",
     "ARCH_CAPABILITIES gains fb-clear when KVM reports mds-no, taa-no, sbdr-ssdp-no, fbsdp-no and psdp-no "
     "(a host not vulnerable to MDS, for live migration to hosts that clear buffers)",
     "upstream 10.1 ('i386/kvm: Expose ARCH_CAP_FB_CLEAR when invulnerable to MDS'), backported to the 10.0 "
     "stable series (in 10.0.13); not in 7.2.22"),
    ("intel-pt-leaf", None, None, "target/i386/cpu.c x86_cpu_filter_features",
     "intel-pt only when KVM's leaf 0x14 offers what QEMU reports; a model's LIP bit must be the host's", ""),
    ("xsave-components", None, None, "target/i386/cpu.c x86_cpu_enable_xsave_components",
     "a model with xsave misses each feature whose XCR0 state component KVM cannot enable", ""),
    ("host-no-autoenable", None, None, "target/i386/cpu.c feature_word_info .no_autoenable_flags",
     "the host model leaves topoext, kvm-hint-dedicated and vmx-basic's (unnamed) dual monitor off unless asked",
     ""),
    ("host-no-autoenable-ht", "10.0", None, "target/i386/cpu.c feature_word_info .no_autoenable_flags",
     "the host model leaves ht off; QEMU sets it for a guest with more than one thread per package",
     "upstream 9.1; not in 7.2.22"),
    ("host-migratable", None, None, "target/i386/cpu.c x86_cpu_get_migratable_flags",
     "the host model (migratable=on, the default) leaves invtsc off (not migratable) and every bit QEMU has no "
     "name for", ""),
    ("feature-dependencies", None, None, "target/i386/cpu.c feature_dependencies, x86_cpu_expand_features",
     "a feature whose prerequisite is off is dropped (the list is per release: QEMU_DEPENDENCIES)", ""),
)

RULE = dict((rule[0], rule) for rule in RULES)

# target/i386/cpu.c feature_dependencies: (prerequisite, dependent word, dependent names or None for the whole
# word, or "lo"/"hi" for the word's low or high 32 bits; the release that added it). A prerequisite written
# "a|b" is met by any of them (AVX10's vector-length mask).
DEPENDENCIES = (
    ("arch-capabilities", "FEAT_ARCH_CAPABILITIES", None, None),
    ("core-capability", "FEAT_CORE_CAPABILITY", None, None),
    ("pdcm", "FEAT_PERF_CAPABILITIES", None, None),
    ("vmx", "FEAT_VMX_PROCBASED_CTLS", None, None),
    ("vmx", "FEAT_VMX_PINBASED_CTLS", None, None),
    ("vmx", "FEAT_VMX_EXIT_CTLS", None, None),
    ("vmx", "FEAT_VMX_ENTRY_CTLS", None, None),
    ("vmx", "FEAT_VMX_MISC", None, None),
    ("vmx", "FEAT_VMX_BASIC", None, None),
    ("lm", "FEAT_VMX_ENTRY_CTLS", ("vmx-entry-ia32e-mode",), None),
    ("vmx-secondary-ctls", "FEAT_VMX_SECONDARY_CTLS", None, None),
    ("xsaves", "FEAT_VMX_SECONDARY_CTLS", ("vmx-xsaves",), None),
    ("rdrand", "FEAT_VMX_SECONDARY_CTLS", ("vmx-rdrand-exit",), None),
    ("invpcid", "FEAT_VMX_SECONDARY_CTLS", ("vmx-invpcid-exit",), None),
    ("mpx", "FEAT_VMX_EXIT_CTLS", ("vmx-exit-clear-bndcfgs",), None),
    ("mpx", "FEAT_VMX_ENTRY_CTLS", ("vmx-entry-load-bndcfgs",), None),
    ("rdseed", "FEAT_VMX_SECONDARY_CTLS", ("vmx-rdseed-exit",), None),
    ("intel-pt", "FEAT_14_0_ECX", None, None),
    ("rdtscp", "FEAT_VMX_SECONDARY_CTLS", ("vmx-rdtscp-exit",), None),
    ("vmx-ept", "FEAT_VMX_EPT_VPID_CAPS", "lo", None),
    ("vmx-ept", "FEAT_VMX_SECONDARY_CTLS", ("vmx-unrestricted-guest",), None),
    ("vmx-vpid", "FEAT_VMX_EPT_VPID_CAPS", "hi", None),
    ("vmx-vmfunc", "FEAT_VMX_VMFUNC", None, None),
    ("svm", "FEAT_SVM", None, None),
    ("waitpkg", "FEAT_VMX_SECONDARY_CTLS", ("vmx-enable-user-wait-pause",), "10.0"),
    ("lm", "FEAT_7_1_EAX", ("fred",), "10.0"),
    ("lkgs", "FEAT_7_1_EAX", ("fred",), "10.0"),
    ("sgx", "FEAT_7_0_ECX", ("sgxlc",), "10.0"),
    ("sgx", "FEAT_SGX_12_0_EAX", None, "10.0"),
    ("sgx", "FEAT_SGX_12_0_EBX", None, "10.0"),
    ("sgx", "FEAT_SGX_12_1_EAX", None, "10.0"),
    ("avx10-128", "FEAT_24_0_EBX", ("avx10-256",), "10.0"),
    ("avx10-256", "FEAT_24_0_EBX", ("avx10-512",), "10.0"),
    ("avx10-128|avx10-256|avx10-512", "FEAT_7_1_EDX", ("avx10",), "10.0"),
    ("avx10", "FEAT_24_0_EBX", None, "10.0"),
)

# The host model's features a user can still turn on, and why QEMU leaves each off (the rules above).
LEFT_OFF = (
    ("topoext", "host-no-autoenable", None),
    ("kvm-hint-dedicated", "host-no-autoenable", None),
    ("ht", "host-no-autoenable-ht", "10.0"),
    ("invtsc", "host-migratable", None),
)  # vmx-basic's dual-monitor bit is left off too, but QEMU has no name for it

WHY_LEFT_OFF = {
    "host-no-autoenable": "QEMU's host model leaves it off unless asked (no_autoenable); -cpu host,%s=on gives it",
    "host-no-autoenable-ht": "QEMU sets it itself for a guest with more than one thread per package (-smp threads)",
    "host-migratable": "not migratable: QEMU's host model gives it only with migratable=off or a fixed tsc-frequency",
}


def rank(release):
    """(major, minor) of a release such as '10.0' or '10.0.13'; None (no release named) is the newest."""
    if release is None:
        return (1 << 30, 0)
    return tuple(int(part) for part in str(release).split(".")[:2])


def applies(rule_id, release):
    """Whether the rule is in QEMU `release` (None: the newest)."""
    _id, since, until = RULE[rule_id][:3]
    here = rank(release)
    return (since is None or here >= rank(since)) and (until is None or here < rank(until))


def dependencies(release):
    """The feature dependencies of QEMU `release`, in QEMU's order (they are applied in one pass)."""
    return tuple(dep[:3] for dep in DEPENDENCIES if dep[3] is None or rank(release) >= rank(dep[3]))


def left_off(release, rule_applies=applies):
    """{feature: why} of the host model's features QEMU `release` leaves off although KVM offers them."""
    found = {}
    for name, rule_id, since in LEFT_OFF:
        if rule_applies(rule_id, release) and (since is None or rank(release) >= rank(since)):
            found[name] = WHY_LEFT_OFF[rule_id].replace("%s", name)
    return found
