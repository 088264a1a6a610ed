# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every part of the judge says the same way: suggestions, counts, capability names, sets.

Pure standard library; imports only the generated capability table and the verdict shape.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import hashlib

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_number
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import blocked_check, check


def did_you_mean(word, choices):
    """'; did you mean a or b?' for the choices closest to word, or '' when none is close."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=3, cutoff=0.6)
    return "; did you mean %s?" % " or ".join(close) if close else ""


def whole_number(value):
    """value as an int >= 0, or None. Digit strings count: older ansible-core templates numbers to text."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def canonical_cap(name):
    """KVM_CAP_<NAME> for a name in any spelling, or None if the kernel has no such capability."""
    number = cap_number(name)
    if number is None:
        return None
    return KVM_CAPS.get(number, "KVM_CAP_%d" % number)


def fingerprint(names):
    """A short, stable name for a set of names: 12 hex digits of SHA-256 over them, sorted. Migration pools
    and capability sets are named this way, so a report of 100,000 hosts need not carry every set."""
    return hashlib.sha256(",".join(sorted(str(n) for n in names)).encode("utf-8")).hexdigest()[:12]


def not_gathered(requirement, expected, subset, facts=None):
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


def blocker(facts, subset):
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


def blocked(requirement, expected, facts, subset):
    """The blocked check of a requirement whose subset cannot be judged, or None when it can."""
    found = blocker(facts, subset)
    return None if found is None else blocked_check(requirement, expected, found[0], found[1])
