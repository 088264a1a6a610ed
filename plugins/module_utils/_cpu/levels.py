# SPDX-License-Identifier: GPL-3.0-or-later
"""The x86-64 micro-architecture levels, as data, in QEMU's feature names; and the level of a feature set.

Source: System V Application Binary Interface, AMD64 Architecture Processor Supplement
(x86-64 psABI) 1.0, section 3.1.1, table "Micro-Architecture Levels"
(https://gitlab.com/x86-psABIs/x86-64-ABI). Each level requires the ones below it.
The psABI names are mapped to QEMU's names (target/i386/cpu.c feature_word_info):
SSE3 is QEMU's `pni`, LAHF-SAHF is `lahf-lm`, LZCNT is `abm`, SCE (SYSCALL) is `syscall`,
OSXSAVE (set by the guest kernel) needs `xsave`, OSFXSR needs `fxsr`.
Pure data and set arithmetic: used on the host (facts) and the controller (fleet pools).
"""

# (level, features it adds to the level below). The baseline also needs long mode (`lm`):
# the psABI's baseline is "x86-64", CPUID 0x80000001 EDX.LM.
X86_64_LEVELS = (
    ("x86-64-v1", ("cmov", "cx8", "fpu", "fxsr", "lm", "mmx", "sse", "sse2", "syscall")),
    ("x86-64-v2", ("cx16", "lahf-lm", "pni", "popcnt", "sse4.1", "sse4.2", "ssse3")),
    ("x86-64-v3", ("abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave")),
    ("x86-64-v4", ("avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl")),
)
LEVEL_NAMES = tuple(name for name, _adds in X86_64_LEVELS)


def level_requirements(level):
    # type: (str) -> list[str]
    """Every feature a level needs (its own and those of the levels below)."""
    needed = []
    for name, adds in X86_64_LEVELS:
        needed.extend(adds)
        if name == level:
            return sorted(needed)
    raise KeyError(level)


def x86_64_level(features):
    # type: (object) -> tuple[str | None, list[str]]
    """(highest level met or None, sorted features missing for the next level ([] at the top))."""
    available = set(features)
    reached = None
    for name, adds in X86_64_LEVELS:
        missing = sorted(set(adds) - available)
        if missing:
            return reached, missing
        reached = name
    return reached, []


def level_rank(level):
    # type: (object) -> int
    """0 for None, 1..4 for x86-64-v1..v4: levels compare by rank."""
    return LEVEL_NAMES.index(level) + 1 if level in LEVEL_NAMES else 0
