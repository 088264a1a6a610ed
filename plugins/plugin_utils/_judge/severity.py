# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Severities: which unmet checks gate a host (`fail`) and which are only reported (`warn`).

The `severity` requirement maps selectors to a severity. A selector is, from the most specific:
  - a check's own name, as verdicts list it: "required_devices: vfio", "profile qemu: vhost_net",
    "KVM_CAP_IRQCHIP" (a capability may be spelled as in required_extensions);
  - "profile <name>": every check of that profile;
  - a requirement's name: every check it makes ("required_devices", "profiles", "usable").
A check no selector names keeps its built-in severity: `fail`, or `warn` where a profile says so
(QEMU's vhost_net). Controller side: pure standard library.
"""

from __future__ import annotations

from collections.abc import Sequence

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import canonical_cap, did_you_mean
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import SEVERITIES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Profiles, Requirements


def _selector(key: str, profiles: Profiles, families: Sequence[str]) -> str | None:
    """The canonical selector for a key, or None if it names nothing that can be judged."""
    if key in families:
        return key
    family, sep, item = key.partition(": ")
    if family.startswith("profile ") and family[len("profile "):] in profiles:
        cap = canonical_cap(item) if item and item == item.upper() else None  # "profile qemu: XSAVE" names KVM_CAP_XSAVE
        return "%s: %s" % (family, cap) if cap else key
    if sep and family in families:
        return key
    if not sep:
        return canonical_cap(key)
    return None


def validate_severity(mapping: object, profiles: Profiles,
                      families: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(selectors {canonical key: severity}, problems), each problem naming the fix. `families`: what a
    requirement-name selector may name (every requirement that makes checks, and `usable`)."""
    if not isinstance(mapping, dict):
        return {}, ["severity must be a mapping of requirement or check names to fail or warn, got %s"
                    % type(mapping).__name__]
    selectors, problems = {}, []
    known = list(families) + ["profile %s" % name for name in sorted(profiles)]
    for key, value in sorted(mapping.items(), key=lambda kv: str(kv[0])):
        level = str(value).strip().lower() if value is not None else None
        if level not in SEVERITIES:
            problems.append("severity.%s must be fail or warn, got %r" % (key, value))
            continue
        selector = _selector(str(key).strip(), profiles, families)
        if selector is None:
            problems.append("unknown severity selector %r: name a requirement (%s), 'profile <name>' or a check as "
                            "verdicts name it ('required_devices: vfio')%s"
                            % (key, ", ".join(families[:4]) + ", ...",
                               did_you_mean(str(key).partition(": ")[0], known)))
            continue
        selectors[selector] = level
    return selectors, problems


def apply_severity(checks: list[Check], requirements: Requirements) -> list[Check]:
    """Set each check's severity from the most specific selector that names it (its own name, its profile,
    its requirement); others keep their own."""
    selectors = requirements.get("severity") or {}
    if not selectors:
        return checks
    for item in checks:
        for selector in (item["requirement"], item.get("profile"), item.get("family")):
            if selector is not None and selector in selectors:
                item["severity"] = selectors[selector]
                break
    return checks
