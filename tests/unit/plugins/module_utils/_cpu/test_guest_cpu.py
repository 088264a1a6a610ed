# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guest_cpu from fake kernel answers: x86-64 levels, QEMU's KVM fixups, CPU models, the subset."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import guest_cpu as g
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits as bits, qemu_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import (
    X86_64_LEVELS, level_rank, level_requirements, x86_64_level)

REGISTERS = ("eax", "ebx", "ecx", "edx")
# What QEMU adds to every KVM answer (pc/q35 defaults), so tests can state the offered set exactly.
ALWAYS = ["arat", "hypervisor", "kvm-hint-dedicated", "mca", "mce", "mtrr", "pat", "topoext"]


def entries_for(names, extra=None):
    """KVM_GET_SUPPORTED_CPUID entries with exactly the CPUID bits of `names` set (QEMU's names)."""
    leaves = {}
    for name in names:
        for index, bit in g.name_bits(name):
            word = bits.FEATURE_WORDS[index]
            assert word[1] == "cpuid", name
            regs = leaves.setdefault((word[2], word[3]), dict((r, 0) for r in REGISTERS))
            regs[word[4]] |= 1 << bit
    for (leaf, subleaf), regs in (extra or {}).items():
        entry = leaves.setdefault((leaf, subleaf), dict((r, 0) for r in REGISTERS))
        for register, value in regs.items():
            entry[register] |= value
    return [(leaf, subleaf, 1 if leaf in (7, 0xd, 0x12, 0x14) else 0, regs["eax"], regs["ebx"], regs["ecx"], regs["edx"],
             0, 0, 0) for (leaf, subleaf), regs in sorted(leaves.items())]


def merged(first, second):
    both = dict(first)
    both.update(second)
    return both


def answers(names, **kwargs):
    kwargs.setdefault("msr_index_list", [g.MSR_IA32_ARCH_CAPABILITIES, g.MSR_IA32_VMX_PROCBASED_CTLS2])
    return g.KernelAnswers(entries_for(names, kwargs.pop("extra", None)), **kwargs)


def offered(names, release="7.2", **kwargs):
    return g.feature_names(g.supported_words(answers(names, **kwargs), release))


def level_features(level):
    return level_requirements(level)


# -- x86-64 levels ----------------------------------------------------------------------------

@pytest.mark.parametrize("position", range(len(X86_64_LEVELS)))
def test_each_level_is_met_exactly_with_its_features(position):
    level, _adds = X86_64_LEVELS[position]
    facts = g.guest_cpu_facts(answers(level_features(level)))
    assert facts["level"] == level
    following = X86_64_LEVELS[position + 1][1] if position + 1 < len(X86_64_LEVELS) else ()
    assert facts["missing_for_next_level"] == sorted(following)


@pytest.mark.parametrize("position", range(len(X86_64_LEVELS)))
def test_each_level_is_missed_by_one_feature(position):
    level, adds = X86_64_LEVELS[position]
    for lacking in adds:
        names = [n for n in level_features(level) if n != lacking]
        facts = g.guest_cpu_facts(answers(names))
        assert facts["level"] == (X86_64_LEVELS[position - 1][0] if position else None), lacking
        assert facts["missing_for_next_level"] == [lacking]


def test_a_level_needs_the_levels_below_it():
    names = [n for n in level_features("x86-64-v4") if n != "pni"]  # v3 and v4 features, no SSE3
    assert x86_64_level(set(names)) == ("x86-64-v1", ["pni"])
    assert x86_64_level(set()) == (None, sorted(X86_64_LEVELS[0][1]))
    assert level_rank(None) == 0 and level_rank("x86-64-v4") == 4 and level_rank("bogus") == 0


# -- QEMU's fixups of KVM's answer (target/i386/kvm/kvm.c) ----------------------------------------

def test_qemu_adds_what_it_can_always_offer():
    assert offered([]) == sorted(ALWAYS + ["tsc-deadline"])
    # QEMU 10.0 adds HT ("QEMU can support when vcpus > 1") and AMD's overflow-recov and succor
    newest = sorted(ALWAYS + ["tsc-deadline", "ht", "overflow-recov", "succor"])
    assert offered([], "10.0") == newest and offered([], None) == newest and offered([], "11.1") == newest


def test_tsc_deadline_and_x2apic_need_the_in_kernel_irqchip():
    assert "tsc-deadline" not in offered([], tsc_deadline=False)
    with_irqchip = offered(["x2apic", "kvm-pv-unhalt"])
    without = offered(["x2apic", "kvm-pv-unhalt"], irqchip=False)
    assert "x2apic" in with_irqchip and "kvm-pv-unhalt" in with_irqchip
    assert "x2apic" not in without and "kvm-pv-unhalt" not in without and "tsc-deadline" not in without


def test_arch_capabilities_needs_its_msr_in_the_index_list():
    assert "arch-capabilities" in offered(["arch-capabilities"])
    assert "arch-capabilities" not in offered(["arch-capabilities"], msr_index_list=[])


def test_amd_aliases_are_copied_from_leaf_1():
    words = g.supported_words(answers(["fpu", "cmov", "sse2"]))
    ext2 = words[g.WORD_INDEX["FEAT_8000_0001_EDX"]]
    assert ext2 & 1 and ext2 >> 15 & 1 and not ext2 >> 26 & 1  # fpu, cmov copied; sse2 is not an alias


def test_tsx_is_dropped_on_haswell_parts_with_broken_tsx():
    intel = {(0, 0): {"ebx": 0x756e6547, "edx": 0x49656e69, "ecx": 0x6c65746e}}  # GenuineIntel
    haswell = merged(intel, {(1, 0): {"eax": 0x306c3}})  # family 6 model 60 stepping 3
    assert g.host_fms(answers([], extra=haswell)) == ("GenuineIntel", 6, 60, 3)
    assert "rtm" not in offered(["rtm", "hle"], extra=haswell)
    skylake = merged(intel, {(1, 0): {"eax": 0x50654}})  # family 6 model 85
    assert {"rtm", "hle"} <= set(offered(["rtm", "hle"], extra=skylake))


def test_vmx_controls_offer_the_bits_that_may_be_one_but_need_not_be():
    procbased2 = (1 << 1 | 1 << 5) << 32 | 1 << 5  # ept may be one; vpid may be one but must be one
    names = offered([], feature_msrs={0x48b: procbased2})
    assert "vmx-ept" in names and "vmx-vpid" not in names


def test_procbased_ctls2_is_backfilled_when_kvm_does_not_list_it():
    names = offered(["rdrand", "rdtscp"], feature_msrs={0x48b: 0}, msr_index_list=[g.MSR_IA32_ARCH_CAPABILITIES])
    assert {"vmx-rdrand-exit", "vmx-rdtscp-exit"} <= set(names)
    assert "vmx-rdrand-exit" not in offered(["rdrand"], feature_msrs={0x48b: 0})


def test_feature_msrs_kvm_does_not_list_offer_nothing():
    assert "rdctl-no" in offered([], feature_msrs={0x10a: 1})
    assert "rdctl-no" not in offered([])


def test_xcomp_guest_supp_replaces_the_xcr0_of_leaf_0xd():
    plain = answers(["xsave"], extra={(0xd, 0): {"eax": 0x3}})
    amx = answers(["xsave"], extra={(0xd, 0): {"eax": 0x3}}, xcomp_guest_supp=0x60003)
    assert "amx-tile" in g.xsave_lacking(g.supported_words(plain))
    assert "amx-tile" not in g.xsave_lacking(g.supported_words(amx))


def test_intel_pt_needs_leaf_0x14_to_offer_enough():
    good = {(0x14, 0): {"eax": 1, "ebx": 0xf, "ecx": 0x7}, (0x14, 1): {"eax": 0x02490002, "ebx": 0x003f1fff}}
    assert "intel-pt" in offered(["intel-pt"], extra=good)
    poor = merged(good, {(0x14, 0): {"eax": 1, "ebx": 0x1, "ecx": 0x7}})
    assert "intel-pt" not in offered(["intel-pt"], extra=poor)


def test_a_name_with_two_bits_needs_both():
    words = g.supported_words(answers([]))
    words[g.WORD_INDEX["FEAT_KVM"]] = 1  # kvmclock's first bit only
    assert "kvmclock" not in g.feature_names(words)
    words[g.WORD_INDEX["FEAT_KVM"]] = 1 | 1 << 3
    assert "kvmclock" in g.feature_names(words)


# -- CPU models -----------------------------------------------------------------------------------

TABLE = {"features": {"Old-v1": ["fpu", "sse2"], "New-v1": ["avx", "fpu", "sse4.2", "xsave"],
                      "Pt-v1": ["intel-pt"], "Lip-v1": ["intel-pt", "intel-pt-lip"]},
         "aliases": {"Old": "Old-v1"}, "host_dependent": ("host",), "qemu_version": "test", "release": "7.2"}


def test_models_are_runnable_or_name_what_they_lack():
    facts = g.guest_cpu_facts(answers(["fpu", "sse2", "xsave"], extra={(0xd, 0): {"eax": 0x7}}), TABLE)
    assert facts["models"]["Old-v1"] == {"runnable": True, "missing": []}
    assert facts["models"]["Old"] == facts["models"]["Old-v1"]
    assert facts["models"]["New-v1"] == {"runnable": False, "missing": ["avx", "sse4.2"]}
    assert facts["models"]["host"] == {"runnable": True, "missing": []}
    assert facts["runnable_models"] == ["Old", "Old-v1", "host"]
    assert facts["qemu_version"] == "test"


def test_a_model_lacks_a_feature_whose_xsave_state_kvm_cannot_enable():
    names = ["avx", "fpu", "sse4.2", "xsave"]
    without_ymm = g.guest_cpu_facts(answers(names, extra={(0xd, 0): {"eax": 0x3}}), TABLE)
    assert without_ymm["models"]["New-v1"] == {"runnable": False, "missing": ["avx"]}
    with_ymm = g.guest_cpu_facts(answers(names, extra={(0xd, 0): {"eax": 0x7}}), TABLE)
    assert with_ymm["models"]["New-v1"]["runnable"]


def test_intel_pt_models_must_match_the_hosts_lip_bit():
    leaf = {(0x14, 0): {"eax": 1, "ebx": 0xf, "ecx": 0x7 | 1 << 31}, (0x14, 1): {"eax": 0x02490002, "ebx": 0x003f1fff}}
    facts = g.guest_cpu_facts(answers(["intel-pt", "intel-pt-lip"], extra=leaf), TABLE)
    assert facts["models"]["Pt-v1"] == {"runnable": False, "missing": ["intel-pt"]}
    assert facts["models"]["Lip-v1"] == {"runnable": True, "missing": []}


def test_the_builtin_table_nehalem_on_a_v1_host():
    nehalem = g.builtin_models()["features"]["Nehalem-v1"]
    lacking = ["pni", "popcnt", "sse4.1", "sse4.2", "ssse3"]
    names = [n for n in nehalem if n not in lacking and g.name_bits(n)[0][0] < g.WORD_INDEX["FEAT_ARCH_CAPABILITIES"]]
    facts = g.guest_cpu_facts(answers(names))
    assert facts["models"]["Nehalem"] == {"runnable": False, "missing": lacking}
    assert facts["level"] == "x86-64-v1" and facts["missing_for_next_level"] == lacking
    assert set(facts["models"]) == set(g.builtin_models()["features"]) | set(g.builtin_models()["aliases"]) | \
        set(g.builtin_models()["host_dependent"])


# -- the subset, on the fake kernel ---------------------------------------------------------------

def test_the_tables_name_only_known_features():
    assert all(name in g.ALL_NAMES for name in bits.FEATURE_ALIASES.values())
    for component, (word_name, bit) in bits.XSAVE_COMPONENTS.items():
        assert bits.FEATURE_WORDS[g.WORD_INDEX[word_name]][5].get(bit), component
    table = g.builtin_models()
    unknown = sorted(set(n for features in table["features"].values() for n in features) - g.ALL_NAMES)
    assert unknown == sorted(qemu_models.UNPLACED_FEATURES.split())  # named, and never offered
    assert not set(unknown) & set(n for f in g.builtin_models("10.0")["features"].values() for n in f)
    assert all(target in table["features"] for target in table["aliases"].values())
    assert g.builtin_models("10.0")["qemu_version"] == bits.QEMU_VERSION  # the bits come from QEMU 10.0's source


# -- the host model and the rules that depend on the host (qemu_rules.py) ----------------------------

def vendor_leaf(vendor):
    """Leaf 0 with a vendor string, as KVM_GET_SUPPORTED_CPUID passes the host's through."""
    raw = vendor.encode("ascii")
    return {(0, 0): {"ebx": int.from_bytes(raw[0:4], "little"), "edx": int.from_bytes(raw[4:8], "little"),
                     "ecx": int.from_bytes(raw[8:12], "little")}}


NOT_MDS = 1 << 5 | 1 << 8 | 1 << 13 | 1 << 14 | 1 << 15  # mds-no taa-no sbdr-ssdp-no fbsdp-no psdp-no


def host_facts(names, release, vendor="GenuineIntel", arch_caps=None):
    kwargs = {"extra": vendor_leaf(vendor)}
    if arch_caps is not None:
        kwargs["feature_msrs"] = {g.MSR_IA32_ARCH_CAPABILITIES: arch_caps}
    return g.guest_cpu_facts(answers(names, **kwargs), g.builtin_models(release))


def test_fb_clear_is_added_from_10_0_for_a_host_not_vulnerable_to_mds():
    for release, expected in (("7.2", False), ("10.0", True), ("11.1", True)):
        facts = host_facts(["arch-capabilities"], release, arch_caps=NOT_MDS)
        assert ("fb-clear" in facts["features"]) is expected, release
    partly = host_facts(["arch-capabilities"], "11.1", arch_caps=NOT_MDS & ~(1 << 14))  # fbsdp-no missing
    assert "fb-clear" not in partly["features"] and "mds-no" in partly["features"]


def test_amd_hosts_lose_arch_capabilities_and_its_features_from_11_1():
    for release, expected in (("7.2", True), ("10.0", True), ("11.1", False)):
        facts = host_facts(["arch-capabilities"], release, vendor="AuthenticAMD", arch_caps=1 << 5)
        assert ("arch-capabilities" in facts["features"]) is expected and ("mds-no" in facts["features"]) is expected
    intel = host_facts(["arch-capabilities"], "11.1", arch_caps=1 << 5)
    assert "arch-capabilities" in intel["features"] and "mds-no" in intel["features"]


def test_mca_recovery_is_for_amd_hosts_only():
    assert {"overflow-recov", "succor"} <= set(host_facts([], "10.0", vendor="AuthenticAMD")["features"])
    assert not {"overflow-recov", "succor"} & set(host_facts([], "10.0")["features"])
    assert not {"overflow-recov", "succor"} & set(host_facts([], "7.2", vendor="AuthenticAMD")["features"])


def test_the_host_model_leaves_off_what_qemu_does_not_enable_and_says_why():
    facts = host_facts(["invtsc"], "11.1")
    assert not {"invtsc", "topoext", "kvm-hint-dedicated", "ht"} & set(facts["features"])
    assert sorted(facts["off_by_default"]) == ["ht", "invtsc", "kvm-hint-dedicated", "topoext"]
    assert "migratable" in facts["off_by_default"]["invtsc"] and "topoext=on" in facts["off_by_default"]["topoext"]
    assert "ht" not in host_facts([], "7.2")["off_by_default"]  # 7.2 does not offer ht at all
    assert "invtsc" not in host_facts([], "11.1")["off_by_default"]  # not offered by KVM: not something to turn on


def test_a_feature_without_its_prerequisite_is_dropped_from_the_host_model():
    without = host_facts([], "11.1", arch_caps=1 << 5)  # the MSR, but not the CPUID bit that announces it
    assert "mds-no" not in without["features"]
    assert "fred" not in host_facts(["lkgs", "fred"], "11.1")["features"]  # FRED needs lm too (10.0's list)
    assert "fred" in host_facts(["lkgs", "fred", "lm"], "11.1")["features"]


def test_features_are_written_in_the_names_of_the_release_judged():
    facts = host_facts(["arch-capabilities"], "7.2", arch_caps=1 << 26 | 1 << 5)  # gds-no is 10.0's name
    assert "mds-no" in facts["features"] and "gds-no" not in facts["features"]
    assert "gds-no" in host_facts(["arch-capabilities"], "10.0", arch_caps=1 << 26)["features"]
