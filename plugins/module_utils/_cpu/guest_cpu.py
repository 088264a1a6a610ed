# SPDX-License-Identifier: GPL-3.0-or-later
"""What CPU QEMU can give a guest under KVM: pure computation from the kernel's answers.

QEMU asks KVM what it supports, word by word, and then adjusts some words; a CPU model
is runnable when every bit it asks for is in the adjusted word, and the `host` model is
what is left once QEMU has turned off what it does not enable by itself. This module repeats
QEMU's computation for the release asked for, for QEMU started as pc or q35 with its defaults:
in-kernel irqchip (not split) and cpu-pm=off. Every host-dependent rule, with the release it
starts in and its source, is data in qemu_rules.py; this module asks `applies(rule, release)`.

No ioctls here: the probe (_probe/guest_cpu.py) gathers the kernel's answers into a
KernelAnswers, the unit tests build one by hand, and the replay tests load recorded machines.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits as bits
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import x86_64_level
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.qemu_rules import applies, dependencies, left_off
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import (
    FEATURE_WORDS, builtin_models, known_features, model_names)

REGISTER_FIELD = {"eax": 3, "ebx": 4, "ecx": 5, "edx": 6}  # in a kvm_cpuid_entry2 tuple

# target/i386/cpu.h and include/standard-headers/asm-x86/kvm_para.h, QEMU 7.2.
CPUID_MCE, CPUID_MTRR, CPUID_MCA, CPUID_PAT, CPUID_HT = 1 << 7, 1 << 12, 1 << 14, 1 << 16, 1 << 28
CPUID_8000_0007_EBX_OVERFLOW_RECOV, CPUID_8000_0007_EBX_SUCCOR = 1 << 0, 1 << 1
CPUID_EXT_X2APIC, CPUID_EXT_TSC_DEADLINE_TIMER, CPUID_EXT_HYPERVISOR = 1 << 21, 1 << 24, 1 << 31
CPUID_6_EAX_ARAT = 1 << 2
CPUID_7_0_EBX_HLE, CPUID_7_0_EBX_RTM, CPUID_7_0_EBX_INTEL_PT = 1 << 4, 1 << 11, 1 << 25
CPUID_7_0_EDX_ARCH_CAPABILITIES = 1 << 29
# MSR_IA32_ARCH_CAPABILITIES bits (target/i386/cpu.h): the host is not vulnerable to MDS (qemu_rules "fb-clear").
ARCH_CAP_MDS_NO, ARCH_CAP_TAA_NO, ARCH_CAP_FB_CLEAR = 1 << 5, 1 << 8, 1 << 17
ARCH_CAP_SBDR_SSDP_NO, ARCH_CAP_FBSDP_NO, ARCH_CAP_PSDP_NO = 1 << 13, 1 << 14, 1 << 15
ARCH_CAP_NOT_MDS = ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO
AMD = "AuthenticAMD"  # cpu.c IS_AMD_CPU: this vendor only (Hygon is not AMD)
# QEMU 10.0 kvm.c: bits of the host's own CPUID it adds, by the name Linux prints in /proc/cpuinfo.
HOST_CPUID_BITS = {(7, 0, "ebx"): (("erms", 1 << 9),), (7, 0, "edx"): (("fsrm", 1 << 4),),
                   (7, 1, "eax"): (("fzrm", 1 << 10), ("fsrs", 1 << 11), ("fsrc", 1 << 12))}
CPUID_EXT3_TOPOEXT = 1 << 22
CPUID_EXT2_AMD_ALIASES = 0x0183F3FF  # fpu vme de pse tsc msr pae mce cx8 apic mtrr pge mca cmov pat pse36 mmx fxsr
CPUID_14_0_ECX_LIP = 1 << 31
KVM_FEATURE_PV_UNHALT = 1 << 7
KVM_HINTS_REALTIME = 1 << 0
KVM_CPUID_FEATURES = 0x40000001
MSR_IA32_ARCH_CAPABILITIES = 0x10a
MSR_IA32_VMX_PROCBASED_CTLS2 = 0x48b
# VMX control MSRs: QEMU offers the bits that may be one but need not be (kvm.c).
VMX_CONTROL_MSRS = (0x48b, 0x48d, 0x48e, 0x48f, 0x490)
# Added to VMX_PROCBASED_CTLS2 when KVM_GET_MSR_INDEX_LIST lacks that MSR (kvm.c): (leaf, subleaf, register, bit) -> control bit.
CTLS2_BACKFILL = (((0xd, 1, "ecx", 3), 20), ((0x1, 0, "ecx", 30), 11), ((0x7, 0, "ebx", 10), 12),
                  ((0x7, 0, "ebx", 18), 16), ((0x80000001, 0, "edx", 27), 3))
# Haswell parts with broken TSX (kvm.c host_tsx_broken): (family, model, highest broken stepping or None for all).
TSX_BROKEN = ((6, 63, 3), (6, 60, None), (6, 69, None), (6, 70, None))
# cpu.c INTEL_PT_* : what KVM must offer in leaf 0x14 for QEMU to offer intel-pt.
INTEL_PT_MINIMAL_EBX, INTEL_PT_MINIMAL_ECX = 0xf, 0x7
INTEL_PT_MTC_BITMAP, INTEL_PT_ADDR_RANGES_NUM, INTEL_PT_ADDR_RANGES_NUM_MASK = 0x0249 << 16, 2, 0x3
INTEL_PT_PSB_CYCLE = (0x003f << 16) | 0x1fff

WORD_INDEX = dict((word[0], index) for index, word in enumerate(FEATURE_WORDS))
XCR0_WORDS = (WORD_INDEX["FEAT_XSAVE_XCR0_LO"], WORD_INDEX["FEAT_XSAVE_XCR0_HI"])
ALL_NAMES = set()  # every feature name QEMU knows
_TWICE = set()  # names that own two bits (kvmclock, vmx-invept-single-context)
for _word in FEATURE_WORDS:
    for _name in _word[5].values():
        (_TWICE if _name in ALL_NAMES else ALL_NAMES).add(_name)


NAME_BITS = {}  # feature name -> [(word index, bit)] (two places for kvmclock)
for _index, _word in enumerate(FEATURE_WORDS):
    for _bit, _name in _word[5].items():
        NAME_BITS.setdefault(_name, []).append((_index, _bit))


def name_bits(name):
    """[(word index, bit)] of a feature name (two places for kvmclock)."""
    return NAME_BITS.get(name, [])


MULTI_BIT_NAMES = tuple((_name, tuple(name_bits(_name))) for _name in sorted(_TWICE))


class KernelAnswers(object):
    """What the kernel answered, as QEMU reads it.

    entries: KVM_GET_SUPPORTED_CPUID tuples; irqchip: KVM_CAP_IRQCHIP; tsc_deadline:
    KVM_CAP_TSC_DEADLINE_TIMER; msr_index_list: KVM_GET_MSR_INDEX_LIST; feature_msrs:
    {index: value} from KVM_GET_MSRS of the feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST);
    xcomp_guest_supp: KVM_GET_DEVICE_ATTR(KVM_X86_XCOMP_GUEST_SUPP) or None when the kernel
    has no such attribute.
    """

    def __init__(self, entries, irqchip=True, tsc_deadline=True, msr_index_list=(), feature_msrs=None,
                 xcomp_guest_supp=None, host_flags=()):
        self.cpuid = dict(((e[0], e[1]), e) for e in entries)  # kvm.c cpuid_find_entry: function and index
        self.irqchip = irqchip
        self.tsc_deadline = tsc_deadline
        self.msr_index_list = set(msr_index_list)
        self.feature_msrs = dict(feature_msrs or {})
        self.xcomp_guest_supp = xcomp_guest_supp
        self.host_flags = frozenset(host_flags)  # the host CPU's flags as /proc/cpuinfo prints them

    def register(self, leaf, subleaf, register):
        entry = self.cpuid.get((leaf, subleaf))
        return entry[REGISTER_FIELD[register]] if entry else 0


def host_fms(kernel):
    """(vendor, family, model, stepping) as QEMU's host_cpu_vendor_fms (cpu.c) decodes them.

    KVM_GET_SUPPORTED_CPUID passes the host's vendor (leaf 0) and signature (leaf 1 EAX)
    through (arch/x86/kvm/cpuid.c __do_cpuid_func), so they are the host CPU's.
    """
    vendor = b"".join(kernel.register(0, 0, r).to_bytes(4, "little") for r in ("ebx", "edx", "ecx"))
    eax = kernel.register(1, 0, "eax")
    family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff)
    model = ((eax >> 4) & 0xf) | ((eax & 0xf0000) >> 12)
    return vendor.decode("latin-1"), family, model, eax & 0xf


def _tsx_broken(kernel):
    vendor, family, model, stepping = host_fms(kernel)
    if vendor != "GenuineIntel":
        return False
    return any(family == f and model == m and (last is None or stepping <= last) for f, m, last in TSX_BROKEN)


def uses_host_flags(release):
    """Whether QEMU `release` (None: the newest) ORs in bits of the host's own CPUID (qemu_rules "host-cpuid-bits")."""
    return applies("host-cpuid-bits", release)


def supported_cpuid_word(kernel, leaf, subleaf, register, release=None):
    """kvm.c kvm_arch_get_supported_cpuid of QEMU `release` (default: the newest): KVM's answer, with QEMU's fixups
    (each a rule of qemu_rules.py, by its id)."""
    value = kernel.register(leaf, subleaf, register)
    if uses_host_flags(release):
        for flag, bit in HOST_CPUID_BITS.get((leaf, subleaf, register), ()):
            if flag in kernel.host_flags:
                value |= bit
    if (leaf, register) == (1, "edx"):
        if applies("cpuid-legacy-edx", release):
            value |= CPUID_MTRR | CPUID_PAT | CPUID_MCE | CPUID_MCA  # "KVM before 2.6.30 misreports"
        if applies("cpuid-ht", release):
            value |= CPUID_HT  # "KVM never reports CPUID_HT but QEMU can support when vcpus > 1"
    elif (leaf, register) == (1, "ecx") and applies("cpuid-hypervisor", release):
        value |= CPUID_EXT_HYPERVISOR  # QEMU sets it itself
        if kernel.irqchip and kernel.tsc_deadline:
            value |= CPUID_EXT_TSC_DEADLINE_TIMER  # not in GET_SUPPORTED_CPUID; needs the in-kernel irqchip
        if not kernel.irqchip:
            value &= ~CPUID_EXT_X2APIC
        # cpu-pm=on would add monitor (KVM_CAP_X86_DISABLE_EXITS); QEMU's default is off.
    elif (leaf, register) == (6, "eax") and applies("cpuid-arat", release):
        value |= CPUID_6_EAX_ARAT  # emulated APIC
    elif (leaf, subleaf, register) == (7, 0, "ebx"):
        if applies("tsx-broken", release) and _tsx_broken(kernel):
            value &= ~(CPUID_7_0_EBX_RTM | CPUID_7_0_EBX_HLE)
    elif (leaf, subleaf, register) == (7, 0, "edx"):
        if applies("arch-cap-msr-listed", release) and MSR_IA32_ARCH_CAPABILITIES not in kernel.msr_index_list:
            value &= ~CPUID_7_0_EDX_ARCH_CAPABILITIES  # Linux 4.17-4.20 bug on SVM hosts
    elif (leaf, subleaf) == (0xd, 0) and register in ("eax", "edx") and kernel.xcomp_guest_supp is not None \
            and applies("xcomp-guest-supp", release):
        # XSAVE components that need arch_prctl (AMX) are only in KVM_X86_XCOMP_GUEST_SUPP.
        value = kernel.xcomp_guest_supp & 0xffffffff if register == "eax" else kernel.xcomp_guest_supp >> 32
    elif (leaf, register) == (0x80000001, "ecx") and applies("cpuid-topoext", release):
        value |= CPUID_EXT3_TOPOEXT  # "safe to enable even if not returned"
    elif (leaf, register) == (0x80000001, "edx") and applies("cpuid-amd-aliases", release):
        value |= supported_cpuid_word(kernel, 1, 0, "edx", release) & CPUID_EXT2_AMD_ALIASES
    elif (leaf, register) == (0x80000007, "ebx") and applies("cpuid-mca-recovery", release):
        value |= CPUID_8000_0007_EBX_OVERFLOW_RECOV | CPUID_8000_0007_EBX_SUCCOR
    elif (leaf, register) == (KVM_CPUID_FEATURES, "eax"):
        if not kernel.irqchip and applies("pv-unhalt-irqchip", release):
            value &= ~KVM_FEATURE_PV_UNHALT
        # a split irqchip would add kvm-msi-ext-dest-id; pc and q35 default to a full in-kernel irqchip.
    elif (leaf, register) == (KVM_CPUID_FEATURES, "edx") and applies("kvm-hint-realtime", release):
        value |= KVM_HINTS_REALTIME
    return value


def supported_msr_word(kernel, index, release=None):
    """kvm.c kvm_arch_get_supported_msr_feature: a feature MSR, or 0 when KVM does not list it."""
    if index not in kernel.feature_msrs:
        return 0
    value = kernel.feature_msrs[index]
    if index == MSR_IA32_VMX_PROCBASED_CTLS2 and index not in kernel.msr_index_list \
            and applies("vmx-ctls2-backfill", release):
        for (leaf, subleaf, register, bit), control in CTLS2_BACKFILL:  # "KVM forgot to add these bits"
            if supported_cpuid_word(kernel, leaf, subleaf, register, release) >> bit & 1:
                value |= 1 << (control + 32)
    if index in VMX_CONTROL_MSRS and applies("vmx-may-be-one", release):
        return (value >> 32) & ~value & 0xffffffff  # may be one, need not be
    if index == MSR_IA32_ARCH_CAPABILITIES and applies("fb-clear", release) and value & ARCH_CAP_NOT_MDS == ARCH_CAP_NOT_MDS:
        value |= ARCH_CAP_FB_CLEAR  # a host not vulnerable to MDS can take guests from hosts that clear buffers
    return value


def intel_pt_usable(kernel):
    """cpu.c x86_cpu_filter_features: KVM's leaf 0x14 must offer what QEMU reports for intel-pt."""
    eax_0, ebx_0, ecx_0 = (kernel.register(0x14, 0, r) for r in ("eax", "ebx", "ecx"))
    eax_1, ebx_1 = kernel.register(0x14, 1, "eax"), kernel.register(0x14, 1, "ebx")
    return bool(eax_0 and ebx_0 & INTEL_PT_MINIMAL_EBX == INTEL_PT_MINIMAL_EBX
                and ecx_0 & INTEL_PT_MINIMAL_ECX == INTEL_PT_MINIMAL_ECX
                and eax_1 & INTEL_PT_MTC_BITMAP == INTEL_PT_MTC_BITMAP
                and eax_1 & INTEL_PT_ADDR_RANGES_NUM_MASK >= INTEL_PT_ADDR_RANGES_NUM
                and ebx_1 & INTEL_PT_PSB_CYCLE == INTEL_PT_PSB_CYCLE)


def supported_words(kernel, release=None):
    """Every feature word, in QEMU's order, as QEMU `release` (default: the newest) under KVM would offer it."""
    words = []
    for _name, kind, where, subleaf, register, _names in FEATURE_WORDS:
        if kind == "cpuid":
            words.append(supported_cpuid_word(kernel, where, subleaf, register, release))
        else:
            words.append(supported_msr_word(kernel, where, release))
    if words[WORD_INDEX["FEAT_7_0_EBX"]] & CPUID_7_0_EBX_INTEL_PT and not intel_pt_usable(kernel) \
            and applies("intel-pt-leaf", release):
        words[WORD_INDEX["FEAT_7_0_EBX"]] &= ~CPUID_7_0_EBX_INTEL_PT
    return words


_NAMED_MASKS = {}  # release -> per word, the bits that release has a name for


def named_masks(release):
    """Per feature word, the bits QEMU `release` names: cpu.c x86_cpu_get_migratable_flags keeps only those in the
    host model (the XCR0 words, whose components QEMU enables itself, are kept whole)."""
    if release not in _NAMED_MASKS:
        known = known_features(release)
        masks = []
        for index, word in enumerate(FEATURE_WORDS):
            if index in XCR0_WORDS:
                masks.append(-1)
            else:
                masks.append(sum(1 << bit for bit, name in word[5].items() if name in known))
        _NAMED_MASKS[release] = masks
    return _NAMED_MASKS[release]


def _clear(words, names):
    for name in names:
        for index, bit in NAME_BITS.get(name, ()):
            words[index] &= ~(1 << bit)


def _any_set(words, names):
    return any(words[index] >> bit & 1 for name in names for index, bit in NAME_BITS.get(name, ()))


def vendor_words(kernel, supported, release=None):
    """The words QEMU `release` lets the host model have: cpu.c x86_cpu_get_supported_feature_word's vendor rules
    for the host's vendor, and only the bits that release names. Named models are not touched by these rules: no
    AMD model asks for arch-capabilities, and only AMD models ask for overflow-recov or succor (a unit test holds
    the tables to that)."""
    words = list(supported)
    if applies("host-migratable", release):
        words = [value & mask for value, mask in zip(words, named_masks(release))]
    vendor = host_fms(kernel)[0]
    if vendor != AMD and applies("mca-recovery-amd-only", release):
        words[WORD_INDEX["FEAT_8000_0007_EBX"]] = 0
    if vendor == AMD and applies("arch-cap-amd", release):
        words[WORD_INDEX["FEAT_7_0_EDX"]] &= ~CPUID_7_0_EDX_ARCH_CAPABILITIES
    return words


def host_model_words(words, release=None):
    """cpu.c x86_cpu_expand_features for `-cpu host` (max_features): what the host model turns on by itself, after
    the features it leaves off (qemu_rules.left_off) and the feature dependencies of that release."""
    words = list(words)
    _clear(words, left_off(release, applies))
    for prerequisite, word_name, dependents in dependencies(release) if applies("feature-dependencies", release) else ():
        if _any_set(words, prerequisite.split("|")):
            continue
        index = WORD_INDEX[word_name]
        if dependents is None:
            words[index] = 0
        elif dependents == "lo":
            words[index] &= ~0xffffffff
        elif dependents == "hi":
            words[index] &= 0xffffffff
        else:
            _clear(words, dependents)
    return words


def feature_names(words):
    """Sorted names of every feature whose bits are all set in the words.

    A name that owns two bits (kvmclock) counts only with both, as QEMU's property does.
    """
    names = set()
    for index, word in enumerate(FEATURE_WORDS):
        value = words[index]
        if value:
            names.update(name for bit, name in word[5].items() if value >> bit & 1)
    for name, places in MULTI_BIT_NAMES:
        if name in names and not all(words[index] >> bit & 1 for index, bit in places):
            names.discard(name)
    return sorted(names)


def xsave_lacking(words):
    """Names of the features whose XSAVE state component QEMU cannot enable.

    cpu.c x86_cpu_enable_xsave_components asks, for a model with xsave, the XCR0 component
    of each of its features; x86_cpu_feature_name names a missing component after that feature.
    The XSS components have no name in QEMU 7.2, so they cannot show here.
    """
    xcr0 = words[XCR0_WORDS[0]] | words[XCR0_WORDS[1]] << 32
    lacking = set()
    for component, (word_name, bit) in bits.XSAVE_COMPONENTS.items():
        if bits.XCR0_MASK >> component & 1 and not xcr0 >> component & 1:
            lacking.add(FEATURE_WORDS[WORD_INDEX[word_name]][5][bit])
    return lacking


def model_verdicts(supported, host_lip=False, table=None, offered=None):
    """{model: {"runnable", "missing"}} for every named QEMU model (cpu.c x86_cpu_filter_features).

    host and max are built from what KVM supports (cpu.c max_features), so nothing they
    ask for is missing; intel-pt is already left out of `supported` when QEMU cannot offer it.
    An alias (Nehalem of Nehalem-v1) gets the verdict of the model it names.
    """
    table = table or builtin_models()
    offered = frozenset(feature_names(supported) if offered is None else offered)
    release = table.get("release")
    lacking_state = xsave_lacking(supported) if applies("xsave-components", release) else set()
    found = {}
    for name, features in table["features"].items():  # features are sorted, so missing is too
        if "xsave" in features:
            missing = [f for f in features if f not in offered or f in lacking_state]
        else:
            missing = [f for f in features if f not in offered]
        if "intel-pt" in offered and host_lip and "intel-pt" in features and "intel-pt-lip" not in features \
                and applies("intel-pt-leaf", release):
            # QEMU cannot change the LIP bit it reports, so the model's must match the host's; a model
            # asking for LIP on a host without it already misses intel-pt-lip (and is compared without).
            missing = sorted(set(missing) | set(["intel-pt"]))
        found[name] = missing
    for name in table["host_dependent"]:
        found[name] = []
    for alias, target in table["aliases"].items():
        found[alias] = found[target]
    return dict((name, {"runnable": not missing, "missing": list(missing)}) for name, missing in found.items())


def resolve_models(names):
    """The models that guest_cpu.models details: None for all, else a frozenset of names.

    `names` is the cpu_models option: 'all' or model names. Raises ValueError naming unknown ones,
    before anything is probed. A name is known when the newest table has it (models are only ever added);
    a release judged that lacks it details it as not in that release, for the judge to say so."""
    names = ["all"] if names is None else [str(name).strip() for name in names]
    if "all" in names:
        return None
    table = builtin_models()
    known = model_names(table)
    unknown = [name for name in names if name not in known]
    if unknown:
        import difflib  # the error path only
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, 2)
            hints.append("%r (did you mean %s?)" % (name, " or ".join(close)) if close else repr(name))
        raise ValueError("unknown QEMU CPU model(s) in cpu_models: %s; choose 'all' or names of QEMU %s's "
                         "x86 models" % (", ".join(hints), table["qemu_version"]))
    return frozenset(names)


NOT_IN_RELEASE = {"runnable": False, "missing": [], "not_in_release": True}


def guest_cpu_facts(kernel, table=None, detail=None):
    """The guest_cpu facts from the kernel's answers for one release's `table` (default: the newest);
    `detail` (resolve_models) limits `models`, and a detailed model the release lacks says so."""
    table = table or builtin_models()
    release = table["release"]
    supported = supported_words(kernel, release)
    allowed = vendor_words(kernel, supported, release)
    features = feature_names(host_model_words(allowed, release))
    offered = set(feature_names(allowed))
    level, missing_for_next = x86_64_level(features)
    verdicts = model_verdicts(supported, bool(kernel.register(0x14, 0, "ecx") & CPUID_14_0_ECX_LIP), table)
    return {
        "features": features,
        "off_by_default": dict((name, why) for name, why in left_off(release, applies).items() if name in offered),
        "level": level,
        "missing_for_next_level": missing_for_next,
        "models": verdicts if detail is None else dict((name, verdicts.get(name, NOT_IN_RELEASE)) for name in detail),
        "models_complete": detail is None,
        "runnable_models": sorted(name for name, verdict in verdicts.items() if verdict["runnable"]),
        "qemu_version": table["qemu_version"],
    }
