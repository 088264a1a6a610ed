# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks the judge cannot judge: a requirement whose input the probe was never asked for, or whose
subset failed, is "not judged, blocked by" that root cause, never a failure with a remedy of its own.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import blocked_check, check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts


def not_gathered(requirement: str, expected: Any, subset: str, facts: Facts | None = None) -> Check:
    """The failed check of a requirement whose input is not in the facts: not asked for, or, when the facts'
    gather_subset lists it (so the probe was asked and would have answered), facts that are malformed or were
    written by another version, where adding it to gather_subset would change nothing."""
    listed = facts.get("gather_subset") if isinstance(facts, dict) else None
    if isinstance(listed, list) and subset in listed:
        remedy = "probe again with this version of fleetcheck.kvm (its kvm_facts), and judge what it returns"
        return check(requirement, expected, None, False, "%s cannot be judged: gather_subset lists %s, yet the facts "
                     "hold no %s entry: they are malformed or from another version of fleetcheck.kvm; %s"
                     % (requirement, subset, subset, remedy), code="facts.malformed", subject=subset, remedy=remedy)
    return check(requirement, expected, None, False, "%s cannot be judged: the %s facts were not gathered (add %r "
                 "to gather_subset)" % (requirement, subset, subset), code="facts.not_gathered", subject=subset,
                 remedy="add %r to gather_subset" % subset)


def blocker(facts: Facts, subset: str) -> tuple[str, str] | None:
    """None when the subset's facts were gathered and can be judged; else (by, why): `by` is the subset
    whose failure stopped it (its own, when it ran and failed), or "!<subset>" when gather_subset left it out.
    Facts of schema 1 say neither: there a subset counts as gathered when its key is there."""
    blocked = facts.get("blocked")
    if isinstance(blocked, dict) and isinstance(blocked.get(subset), dict):
        return blocked[subset].get("by") or subset, blocked[subset].get("why") or "%s was not probed" % subset
    listed = facts.get("gather_subset")
    if isinstance(listed, list) and subset not in listed:
        return "!" + subset, "the %s facts were not gathered" % subset
    for found in facts.get("problems") or ():
        if isinstance(found, dict) and found.get("subset") == subset:
            return subset, "the %s subset failed (%s)" % (subset, found.get("code"))
    return None


def subset_facts(facts: Facts, subset: str, requirement: str, expected: Any, code: str
                 ) -> tuple[dict[str, Any], Check | None]:
    """(the subset's facts, None), or ({}, the failed check that says why a requirement reading them cannot be judged):
    blocked, not gathered, or gathered as `skipped` (another architecture) or `error`, with `code`."""
    stopped = blocked(requirement, expected, facts, subset)
    if stopped:
        return {}, stopped
    found = facts.get(subset)
    if not isinstance(found, dict):
        return {}, check(requirement, expected, None, False, "%s needs the %s facts: gather them (gather_subset all "
                         "or %s)" % (requirement, subset, subset), code="facts.not_gathered", subject=subset,
                         remedy="add '%s' to gather_subset" % subset)
    remedy = {"skipped": "require it of x86 hosts only (set it in their group_vars)",
              "error": "see the kvm_facts errors of this host"}
    for key in ("skipped", "error"):
        if found.get(key):
            return {}, check(requirement, expected, None, False, "%s cannot be judged: %s %s: %s; %s"
                             % (requirement, subset, key, found[key], remedy[key]), code=code,
                             subject=key, remedy=remedy[key])
    return found, None


def blocked(requirement: str, expected: Any, facts: Facts, subset: str) -> Check | None:
    """The blocked check of a requirement whose subset cannot be judged, or None when it can."""
    found = blocker(facts, subset)
    return None if found is None else blocked_check(requirement, expected, found[0], found[1])
