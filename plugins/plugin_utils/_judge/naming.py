# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the judge reads and names what it is given: suggestions for an unknown name, whole numbers as
ansible-core templates them, a capability's one name in any spelling, and the stable name of a set.

Pure standard library; imports only the generated capability table.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_number


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """'; did you mean a or b?' for the choices closest to word, or '' when none is close."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=3, cutoff=0.6)
    return "; did you mean %s?" % " or ".join(close) if close else ""


def whole_number(value: object) -> int | None:
    """value as an int >= 0, or None. Digit strings count: older ansible-core templates numbers to text."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def canonical_cap(name: object) -> str | None:
    """KVM_CAP_<NAME> for a name in any spelling, or None if the kernel has no such capability."""
    number = cap_number(name)
    if number is None:
        return None
    return KVM_CAPS.get(number, "KVM_CAP_%d" % number)


def fingerprint(names: Iterable[object]) -> str:
    """A short, stable name for a set of names: 12 hex digits of SHA-256 over them, sorted. Migration pools
    and capability sets are named this way, so a report of 100,000 hosts need not carry every set."""
    return hashlib.sha256(",".join(sorted(str(n) for n in names)).encode("utf-8")).hexdigest()[:12]
