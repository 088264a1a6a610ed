# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest CPU requirements (controller side, pure): validation and checks.

Proposed requirements, each judged against ansible_facts.kvm.guest_cpu:
  min_guest_cpu_level:   "x86-64-v1".."x86-64-v4", or a guest profile name (rhel9, ...)
  required_cpu_models:   QEMU model names that must be runnable
  required_cpu_features: CPUID features that KVM must offer, by QEMU's names (the
                         older spellings QEMU accepts and Linux's names work too)
Each check function takes (facts, requirement value) and returns check dicts shaped
by verdicts.check(). validate_guest_cpu_requirements() gives the problems of the
values (unknown names, with suggestions) before any host is judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits as bits
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import (
    FEATURE_WORDS, builtin_models, first_release, model_names)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import GUEST_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import did_you_mean
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import subset_facts
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import (
    LEVEL_NAMES, level_rank, level_requirements)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, Requirements, mapping

# Linux's names (/proc/cpuinfo) that are neither QEMU's names nor an older QEMU spelling.
# Source: arch/x86/include/asm/cpufeatures.h against target/i386/cpu.c feature_word_info.
LINUX_NAMES = {"tsc_deadline_timer": "tsc-deadline", "avx512_vnni": "avx512vnni"}
KNOWN_FEATURES = frozenset(name for word in FEATURE_WORDS for name in word[5].values())
NEWEST = builtin_models()  # models are only ever added, so the newest table knows every name
KNOWN_MODELS = model_names(NEWEST)


def canonical_feature(name: Any) -> str | None:
    """QEMU's name of a CPU feature, from QEMU's name, an older QEMU spelling or Linux's; None if unknown.

    QEMU reads '_' as '-' in feature names (cpu.c feat2prop) and keeps a few aliases (sse3, i64, ...).
    """
    name = str(name).strip()
    for spelled in (name, name.lower()):
        for candidate in (spelled, bits.FEATURE_ALIASES.get(spelled), LINUX_NAMES.get(spelled),
                          spelled.replace("_", "-"), bits.FEATURE_ALIASES.get(spelled.replace("_", "-"))):
            if candidate in KNOWN_FEATURES:
                return candidate
    return None


def resolve_level(value: Any) -> tuple[str | None, str | None]:
    """(level, where it came from) of a level or a guest profile name; (None, None) if unknown."""
    if value in LEVEL_NAMES:
        return value, None
    profile = GUEST_PROFILES.get(value)
    if profile:
        return profile["min_guest_cpu_level"], "%s (%s; the guest profile %s in the docs)" % (
            profile["title"], profile["cite"], value)
    return None, None


def validate_guest_cpu_requirements(min_level: Any = None, required_models: Iterable[Any] | None = (),
                                    required_features: Iterable[Any] | None = ()) -> list[str]:
    """Problems with the requirement values themselves, each naming the fix."""
    problems: list[str] = []
    if min_level not in (None, "") and resolve_level(min_level)[0] is None:
        problems.append("unknown min_guest_cpu_level %r: choose one of %s or a guest profile (%s)%s" % (
            min_level, ", ".join(LEVEL_NAMES), ", ".join(sorted(GUEST_PROFILES)),
            did_you_mean(min_level, list(LEVEL_NAMES) + list(GUEST_PROFILES))))
    for model in required_models or ():
        if model not in KNOWN_MODELS:
            problems.append("unknown QEMU CPU model %r in required_cpu_models (no QEMU up to %s has it)%s" % (
                model, NEWEST["qemu_version"], did_you_mean(model, KNOWN_MODELS)))
    for feature in required_features or ():
        if canonical_feature(feature) is None:
            problems.append("unknown CPU feature %r in required_cpu_features%s" % (
                feature, did_you_mean(str(feature).replace("_", "-"), KNOWN_FEATURES)))
    return problems


def check_min_guest_cpu_level(facts: Facts, value: str) -> list[Check]:
    """The guest CPU level must reach `value` (a level or a guest profile)."""
    level, why = resolve_level(value)
    level = level or str(value)  # validated (check_requirements): a level, or a profile that names one
    guest, failed = subset_facts(facts, "guest_cpu", "min_guest_cpu_level", value, code="guest_cpu.unavailable")
    if failed:
        return [failed]
    actual = guest.get("level")
    lacking = sorted(set(level_requirements(level)) - set(guest.get("features") or ()))
    for_whom = " for %s" % why if why else ""
    message = ("guest CPU level is %s, below %s%s: KVM does not offer guests %s (CPUID features, QEMU's names); "
               "the host CPU or the hypervisor in between hides them"
               % (actual or "below x86-64-v1", level, for_whom, ", ".join(lacking)))
    return [check("min_guest_cpu_level", level, actual, level_rank(actual) >= level_rank(level) and not lacking,
                  message, code="guest_cpu.level", subject=level,
                  remedy="enable %s for guests on this host, or lower the level" % ", ".join(lacking))]


def check_required_cpu_models(facts: Facts, value: Iterable[str] | None) -> list[Check]:
    """Every listed QEMU CPU model must be runnable; a failure names the model's missing features."""
    checks: list[Check] = []
    for model in value or ():
        guest, failed = subset_facts(facts, "guest_cpu", "required_cpu_models", model, code="guest_cpu.unavailable")
        if failed:
            return [failed]
        verdict = (guest.get("models") or {}).get(model)
        if verdict is None and guest.get("models_complete") is False:  # the probe detailed other models only
            runnable = model in (guest.get("runnable_models") or ())
            checks.append(check("required_cpu_models", model, "runnable" if runnable else "not runnable", runnable,
                                "QEMU CPU model %s cannot run here; the probe detailed only other models "
                                "(kvm_facts cpu_models), so what it lacks is not in the facts: probe with "
                                "cpu_models including %s (the role's kvm_validate_cpu_models)"
                                % (model, model), code="guest_cpu.model", subject=model))
            continue
        if verdict is None:
            checks.append(check("required_cpu_models", model, None, False,
                                "QEMU CPU model %s is unknown to the probe's model table (QEMU %s)"
                                % (model, guest.get("qemu_version")), code="guest_cpu.model_unknown", subject=model))
            continue
        if verdict.get("not_in_release"):
            since = first_release(model)
            checks.append(check("required_cpu_models", model, "not in QEMU %s" % guest.get("qemu_version"), False,
                                "QEMU CPU model %s is not in QEMU %s, the release this host is judged for (%s); "
                                "it came with QEMU %s" % (model, guest.get("qemu_version"), _judged_for(guest), since),
                                code="guest_cpu.model_not_in_release", subject=model,
                                remedy="run QEMU %s or newer on this host (and judge it with kvm_validate_qemu_version), "
                                       "or require a model QEMU %s has" % (since, guest.get("qemu_version"))))
            continue
        checks.append(check("required_cpu_models", model, "runnable" if verdict["runnable"] else "not runnable",
                            verdict["runnable"],
                            "QEMU CPU model %s cannot run here: KVM does not offer %s"
                            % (model, ", ".join(verdict["missing"])), code="guest_cpu.model", subject=model))
    return checks


def _judged_for(guest: Mapping[str, Any]) -> str:
    qemu = mapping(guest.get("qemu"))
    return {"installed": "installed here", "requested": "as requested by qemu_version",
            "newest": "no QEMU installed: the newest table"}.get(str(qemu.get("why")), "the table of the facts")


def check_required_cpu_features(facts: Facts, value: Iterable[Any] | None) -> list[Check]:
    """Every listed CPU feature must be offered to guests: in the host model, or one QEMU leaves off by default but
    gives when asked (off_by_default: invtsc with migratable=off, topoext=on, ...)."""
    if not value:
        return []
    guest, failed = subset_facts(facts, "guest_cpu", "required_cpu_features", list(value), code="guest_cpu.unavailable")
    if failed:
        return [failed]
    off = mapping(guest.get("off_by_default"))
    offered = set(guest.get("features") or ()) | set(off)
    wanted = sorted(set(canonical_feature(f) or str(f) for f in value))
    lacking = [f for f in wanted if f not in offered]
    message = "KVM does not offer guests the CPU feature%s %s" % ("" if len(lacking) == 1 else "s", ", ".join(lacking))
    return [check("required_cpu_features", wanted, sorted(set(wanted) & offered), not lacking, message,
                  code="guest_cpu.features", subject=", ".join(lacking))]


QEMU_CHECK_SHOWN = 8  # differences worded, per host; the facts keep every one


def check_qemu_agrees(facts: Facts, _requirements: Requirements | None = None, _profiles: Profiles | None = None) -> list[Check]:
    """A warning for each difference between QEMU's own answer on the host (kvm_facts qemu_check) and the probe's:
    the facts already give QEMU's answer, and the machine should be recorded so that the rule missing here is found."""
    guest = mapping(facts.get("guest_cpu"))
    entry = mapping(guest.get("qemu_check"))
    if entry.get("agree") is not False:
        return []
    remedy = ("record this host (bash tools/record/record.sh DIR in fleetcheck.kvm's source, "
              "docs/user-guide.md#recording-a-machine) and send DIR with the collection's version")
    checks: list[Check] = []
    for difference in (entry.get("differences") or [])[:QEMU_CHECK_SHOWN]:
        model, ours, qemu = difference.get("model"), difference.get("ours") or [], difference.get("qemu") or []
        if model == "host":
            message = ("QEMU %s's host model on this host has %s and lacks %s, unlike the probe's guest CPU features"
                       % (entry.get("version"), ", ".join(qemu) or "nothing more", ", ".join(ours) or "nothing"))
        else:
            message = ("QEMU %s on this host says CPU model %s lacks %s; the probe said %s" % (
                entry.get("version"), model, ", ".join(qemu) or "nothing (it runs)", ", ".join(ours) or "nothing"))
        message += "; the facts give QEMU's answer: %s" % remedy
        checks.append(check("qemu_check", "agree", "differs", False, message, severity="warn",
                            code="guest_cpu.qemu_disagrees", subject=model, remedy=remedy))
    return checks
