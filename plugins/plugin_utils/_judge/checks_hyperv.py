# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows guests: the Hyper-V enlightenments a requirement or a Windows guest profile asks for, judged against
ansible_facts.kvm.hyperv (controller side, pure).

required_hyperv lists QEMU's names (hv-vapic, or vapic) and Windows guest profiles (windows_nova, ...; profiles.py
WINDOWS_PROFILES, each the set a VMM turns on, read in its source). One check per name: an enlightenment is met when
the guest is offered it; a profile when every enlightenment of it is, and its failure names each one missing and
the kernel's answer that stops it. A profile that adapts (virt-install 5.0) leaves off what is missing, so its check
only warns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.hyperv import ALIASES, NAMES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import did_you_mean
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import subset_facts
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import WINDOWS_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, mapping

REQUIREMENT = "required_hyperv"
NO_EMULATION = ("run Windows guests on hosts whose kernel's KVM emulates Hyper-V (CONFIG_KVM_HYPERV=y, as Debian's, "
                "Ubuntu's and RHEL's kernels have it); a paravirtual or nested KVM may offer none of it")
NOT_HERE = "this host's KVM does not emulate it (hv-evmcs needs an Intel host): leave it out of these hosts' guests"


def canonical_name(name: Any) -> str | None:
    """QEMU's name of an enlightenment (hv-vapic from vapic, HV_VAPIC or hv-apicv) or a Windows profile's; None if
    neither."""
    text = str(name).strip()
    if text in WINDOWS_PROFILES:
        return text
    spelled = text.lower().replace("_", "-")
    spelled = spelled if spelled.startswith("hv-") else "hv-" + spelled
    spelled = ALIASES.get(spelled, spelled)
    return spelled if spelled in NAMES else None


def validate_required_hyperv(value: Any, profiles: Profiles) -> tuple[Any, list[str]]:
    """(the names made canonical, each unknown one with suggestions)."""
    if not isinstance(value, list):
        return value, ["required_hyperv must be a list of Hyper-V enlightenments (hv-vapic, ...) or Windows guest "
                       "profiles (%s), got %s" % (", ".join(WINDOWS_PROFILES), type(value).__name__)]
    names: list[str] = []
    problems = []
    for item in value:
        name = canonical_name(item)
        if name is None:
            problems.append("unknown Hyper-V enlightenment or Windows guest profile %r in required_hyperv%s" % (
                item, did_you_mean(str(item).lower(), list(NAMES) + list(WINDOWS_PROFILES))))
        elif name not in names:
            names.append(name)
    return names, problems


def remedy_for(missing: str) -> str:
    """What to do about an enlightenment the facts say is missing, by the kernel's answer."""
    return NOT_HERE if "CPUID" in missing and "clear" in missing else NO_EMULATION


def _missing(entries: dict[str, Any], names: Iterable[str]) -> list[tuple[str, str]]:
    """[(enlightenment, why)] of those the guest is not offered; one without an entry is missing as unknown."""
    found = []
    for name in names:
        entry = mapping(entries.get(name))
        if entry.get("offered") is not True:
            found.append((name, str(entry.get("missing") or "the hyperv facts have no answer for it")))
    return found


def check_required_hyperv(facts: Facts, value: Iterable[str] | None) -> list[Check]:
    """One check per enlightenment or Windows profile of required_hyperv."""
    wanted = list(value or ())
    if not wanted:
        return []
    hyperv, failed = subset_facts(facts, "hyperv", REQUIREMENT, wanted, code="hyperv.unavailable")
    if failed:
        return [failed]
    entries = mapping(hyperv.get("enlightenments"))
    return [_profile_check(name, entries) if name in WINDOWS_PROFILES else _one_check(name, entries)
            for name in wanted]


def _one_check(name: str, entries: dict[str, Any]) -> Check:
    missing = _missing(entries, [name])
    why = missing[0][1] if missing else ""
    return check("%s: %s" % (REQUIREMENT, name), "offered", "offered" if not missing else "not offered", not missing,
                 "Windows guests cannot be given %s here: %s" % (name, why), code="hyperv.not_offered", subject=name,
                 remedy=remedy_for(why))


def grouped(missing: list[tuple[str, str]]) -> str:
    """Each reason once, after the enlightenments it stops (one that only needs a refused one says which): the kernel
    gives a whole VMM's set few distinct answers."""
    groups: dict[str, list[str]] = {}
    for name, why in missing:
        if why.startswith("needs "):
            needed, _colon, why = why[len("needs "):].partition(": ")
            name = "%s (needs %s)" % (name, needed)
        groups.setdefault(why, []).append(name)
    return "; ".join("%s: %s" % (", ".join(names), why) for why, names in groups.items())


def _profile_check(name: str, entries: dict[str, Any]) -> Check:
    profile = WINDOWS_PROFILES[name]
    missing = _missing(entries, profile["hyperv"])
    said = grouped(missing)
    if profile.get("adapts"):
        message = "%s: the VMM leaves off %s here, so Windows runs without them: %s" % (
            profile["title"], ", ".join(n for n, _why in missing), said)
    else:
        message = "a Windows guest of %s cannot start here with its Hyper-V enlightenments (%s): %s" % (
            profile["title"], profile["cite"], said)
    return check("%s: %s" % (REQUIREMENT, name), sorted(profile["hyperv"]), sorted(set(profile["hyperv"]) - set(
        n for n, _why in missing)), not missing, message, severity="warn" if profile.get("adapts") else "fail",
        code="hyperv.profile_not_met", subject=name, remedy=remedy_for(said))


def windows_why(hyperv: dict[str, Any] | None) -> str | None:
    """Why the first enlightenment that any Windows profile needs and the guest is not offered is missing, for the
    reports (the whole answer, per enlightenment, is in the hyperv facts): None when every one is offered or none is
    known."""
    entries = mapping(hyperv).get("enlightenments")
    if not isinstance(entries, dict):
        return None
    needed = [n for n in NAMES if any(n in p["hyperv"] for p in WINDOWS_PROFILES.values())]
    missing = _missing(entries, needed)
    if not missing:
        return None
    # one that stops QEMU says more than one it drops; and where KVM has no Hyper-V, that is the root of it all
    stops = [pair for pair in missing if mapping(entries.get(pair[0])).get("starts") is False]
    said = "%s: %s" % (stops or missing)[0]
    reason = mapping(hyperv).get("reason")
    return said + ("; %s" % reason if isinstance(reason, str) else "")


def windows_summary(hyperv: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """{Windows profile: the enlightenments of it the guest is not offered} for the reports, or None when the hyperv
    facts are not there to say."""
    entries = mapping(hyperv).get("enlightenments")
    if not isinstance(entries, dict):
        return None
    return dict((name, [n for n, _why in _missing(entries, profile["hyperv"])])
                for name, profile in WINDOWS_PROFILES.items())
