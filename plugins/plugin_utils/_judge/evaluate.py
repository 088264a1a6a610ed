# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evaluator: fleet requirements against ansible_facts.kvm, as verdicts.

Two loops over the requirement registry (registry.py): check_requirements() validates the requirements
before any host is touched, and evaluate() judges one host's facts. It never probes: it reads the
facts that kvm_facts gathered and says, for every requirement, what was expected, what the host has,
whether that is enough and, if not, what to do. Pure standard library, no Ansible imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_core import profile_checks, usable_checks
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_guest_cpu import check_qemu_agrees
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_hyperv import windows_summary, windows_why
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import slow_parameter_checks
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import REQUIREMENTS, default_requirements
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.severity import apply_severity
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict, no_facts_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import did_you_mean, fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import blocker
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, Requirements, Verdict

MODES = ("enforce", "audit")


class RequirementError(ValueError):
    """Requirements that cannot be evaluated; the message lists every problem."""


def check_requirements(requirements: Mapping[str, Any] | None, profiles: Profiles) -> Requirements:
    """Validate requirements before any host is touched. Raises RequirementError listing every problem.

    Returns the requirements with defaults filled in and names made canonical (capabilities, features,
    devices, page sizes, parameters, severity selectors).
    """
    merged = default_requirements()
    given = dict((k, v) for k, v in (requirements or {}).items() if v is not None)
    problems = ["unknown requirement %r%s" % (k, did_you_mean(k, list(merged))) for k in sorted(set(given) - set(merged))]
    merged.update(given)
    for entry in REQUIREMENTS:
        if entry["validate"] is not None:
            merged[entry["name"]], found = entry["validate"](merged[entry["name"]], profiles)
            problems.extend(found)
    if problems:
        raise RequirementError("invalid KVM requirements: " + "; ".join(problems))
    return merged


def evaluate(facts: Any, requirements: Requirements, profiles: Profiles, host: str | None = None) -> Verdict:
    """The verdict for one host: `usable`, then every requirement in the registry's order, each with
    expected, actual, ok and a message. `requirements` must come from check_requirements(). What this
    run's probe of the host said (unreachable, failed) is the action's to read (plugin_utils/_action.py)."""
    if not isinstance(facts, dict) or "usable" not in facts:
        return no_facts_verdict(host, "no ansible_facts.kvm for this host: fleetcheck.kvm.kvm_facts did not run "
                                      "or did not return")
    checks = usable_checks(facts, requirements, profiles)
    for item in checks:
        item["family"] = "usable"
    for entry in REQUIREMENTS:
        if entry["check"] is not None:
            for item in entry["check"](facts, requirements, profiles):
                item.setdefault("family", entry["name"])  # what severity selects it by, with its profile
                checks.append(item)
    for family, warnings in (("qemu_check", check_qemu_agrees), ("parameters", slow_parameter_checks)):
        for item in warnings(facts):  # warnings that no requirement asks for: what an expert would point out
            item["family"] = family
            checks.append(item)
    checks.extend(_not_gathered_causes(checks))
    apply_severity(checks, requirements)
    summary = summarize(facts)
    summary["profiles_met"] = profiles_met(facts, profiles)
    return host_verdict(host, checks, summary)


def _not_gathered_causes(checks: list[Check]) -> list[Check]:
    """One root cause per subset that gather_subset left out and a requirement needs: its checks are
    blocked by it ("!<subset>"), and the host cannot pass what was never asked."""
    causes: list[Check] = []
    for by in sorted(set(c["blocked_by"] for c in checks if str(c.get("blocked_by", "")).startswith("!"))):
        subset = by[1:]
        needing = sorted(set(c.get("family") or c["requirement"] for c in checks if c.get("blocked_by") == by))
        item = check("gather_subset", subset, None, False, "the %s facts were not gathered, and %s need%s them; add %r "
                     "to gather_subset" % (subset, ", ".join(needing), "s" if len(needing) == 1 else "", subset),
                     code="facts.not_gathered", subject=subset, remedy="add %r to gather_subset" % subset)
        item.update(subset=by, family="usable")
        causes.append(item)
    return causes


def profiles_met(facts: Facts, profiles: Profiles) -> list[str]:
    """Every known profile, required or not, whose gating checks this host passes (for grouping hosts);
    the profiles' own severities count here (QEMU's vhost_net warns), not the fleet's severity overrides."""
    if not facts.get("usable"):
        return []
    return sorted(name for name in profiles
                  if all(c["ok"] or c["severity"] == "warn"
                         for c in profile_checks(facts, {"profiles": [name]}, profiles)))


def _gathered(facts: Facts, subset: str) -> dict[str, Any] | None:
    value = facts.get(subset)
    return value if isinstance(value, dict) and blocker(facts, subset) is None else None


def capabilities(facts: Facts) -> list[str] | None:
    """The sorted names of the capabilities the kernel answered with a non-zero value, or None when the
    extensions were not gathered. The summary carries their fingerprint; the fleet keeps each distinct set
    once (fleet.json's cap_sets), so that two audits can say which capabilities a host gained or lost."""
    extensions = _gathered(facts, "extensions")
    return sorted(n for n, v in extensions.items() if v) if isinstance(extensions, dict) else None


def summarize(facts: Facts) -> dict[str, Any]:
    """The few facts a report shows beside a verdict, and what fleet drift is computed from.

    Sets travel as short fingerprints (12 hex digits of SHA-256 over the sorted names), so that
    a report of 100,000 hosts need not carry every capability: `caps` is the set of capabilities
    the kernel answered with a non-zero value, `guest_cpu_pool` the guest-visible CPU features.
    A fact whose subset was not gathered, or was blocked, is null: never an empty set that drift or
    the pools would compare with the hosts where it was asked.
    """
    host = _gathered(facts, "host") or {}
    caps = capabilities(facts)
    guest = _gathered(facts, "guest_cpu") or {}
    hyperv = _gathered(facts, "hyperv")
    features = guest.get("features")
    parameters = host.get("parameters")
    return {"usable": facts.get("usable"), "api_version": facts.get("api_version"),
            "backend": host.get("backend"), "arch": host.get("arch"), "kernel": host.get("kernel"),
            "nr_vcpus": facts.get("nr_vcpus"), "max_vcpus": facts.get("max_vcpus"),
            "vcpu_run": (facts.get("vcpu_run") or {}).get("status"),
            "parameters": parameters if isinstance(parameters, dict) else None,
            "caps": None if caps is None else fingerprint(caps),
            "caps_count": None if caps is None else len(caps),
            "guest_cpu_level": guest.get("level"),
            "guest_cpu_pool": fingerprint(features) if isinstance(features, list) else None,
            # {Windows profile: the enlightenments missing}: which hosts can start which Windows guests
            "windows": windows_summary(hyperv), "windows_why": windows_why(hyperv)}
