# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The x86-64 psABI levels: each level's features are its own plus those below; ranks order them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES, level_rank, level_requirements, x86_64_level


def test_the_four_levels_in_order():
    assert LEVEL_NAMES == ("x86-64-v1", "x86-64-v2", "x86-64-v3", "x86-64-v4")
    assert [level_rank(name) for name in LEVEL_NAMES] == [1, 2, 3, 4]
    assert level_rank(None) == 0 and level_rank("x86-64-v9") == 0


def test_each_level_needs_everything_below_it():
    for lower, higher in zip(LEVEL_NAMES, LEVEL_NAMES[1:]):
        assert set(level_requirements(lower)) < set(level_requirements(higher))
    assert "popcnt" in level_requirements("x86-64-v2") and "popcnt" not in level_requirements("x86-64-v1")
    with pytest.raises(KeyError):
        level_requirements("x86-64-v5")


def test_the_level_reached_and_what_blocks_the_next():
    v1 = level_requirements("x86-64-v1")
    assert x86_64_level(v1) == ("x86-64-v1", ["cx16", "lahf-lm", "pni", "popcnt", "sse4.1", "sse4.2", "ssse3"])
    assert x86_64_level(level_requirements("x86-64-v4")) == ("x86-64-v4", [])
    assert x86_64_level([f for f in v1 if f != "lm"]) == (None, ["lm"])
