# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's host-dependent guest-CPU rules, per release (pure; shared by both sides).

QEMU does not give a guest KVM's plain answer. It adds bits KVM does not report, hides bits it cannot
use, looks at the host's own CPU, and builds its `host` model with a few features left off by default.
Each rule (qemu_rule_table.RULES, generated from tools/data/qemu_rules.tsv with its source) applies from a
release of our model tables (`since`; None: every release) up to another (`until`). guest_cpu.py applies
them: `applies(rule, release)` is the only way it asks.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.qemu_rule_table import RULES

# Each rule's id and releases; its file, function, meaning and origin are in tools/data/qemu_rules.tsv, which
# tools/gen_qemu_rules.py makes this table and the user guide's of.
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
