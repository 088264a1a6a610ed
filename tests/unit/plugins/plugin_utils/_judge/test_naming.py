# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the judge reads and names values: suggestions, whole numbers, capability names, set names."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import canonical_cap, did_you_mean, fingerprint, whole_number


def test_did_you_mean_offers_the_close_names_only():
    assert did_you_mean("kvm_intl", ["kvm_intel", "kvm_amd"]) == "; did you mean kvm_intel?"
    assert did_you_mean("zzz", ["kvm_intel", "kvm_amd"]) == ""


@pytest.mark.parametrize("value, expected", [(0, 0), (12, 12), ("64", 64), (" 7 ", 7), (-1, None), (True, None),
                                             ("x", None), (1.5, None), (None, None)])
def test_whole_number(value, expected):
    assert whole_number(value) == expected


def test_a_capability_in_any_spelling_has_one_canonical_name():
    assert canonical_cap("irqchip") == canonical_cap("KVM_CAP_IRQCHIP") == "KVM_CAP_IRQCHIP"
    assert canonical_cap("no_such_capability") is None


def test_a_fingerprint_ignores_order_and_tells_sets_apart():
    assert fingerprint(["b", "a"]) == fingerprint(["a", "b"])
    assert fingerprint(["a"]) != fingerprint(["a", "b"]) and len(fingerprint([])) == 12
