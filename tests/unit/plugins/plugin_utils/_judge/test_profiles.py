# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The profiles as data: every built-in hypervisor profile well formed, every guest profile a real level."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES, GUEST_PROFILES, profiles_with
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import profile_problems


def test_every_builtin_profile_is_well_formed_with_its_release_and_how_it_was_verified():
    for name, profile in BUILTIN_PROFILES.items():
        assert profile_problems(name, profile) == [], name
        assert profile["title"] and profile["release"] and profile["verified"], name
    assert "qemu" in BUILTIN_PROFILES  # the newest QEMU, the name the docs give; Debian 12 hosts: qemu_7_2


def test_every_guest_profile_needs_a_real_level_and_says_where_that_is_written():
    for name, profile in GUEST_PROFILES.items():
        assert profile["min_guest_cpu_level"] in LEVEL_NAMES and profile["title"] and profile["source"], name


def test_custom_profiles_add_and_replace_without_touching_the_builtins():
    mine = {"mine": {"title": "Mine", "extensions": {}}, "qemu": {"title": "Replaced"}}
    merged = profiles_with(mine)
    assert merged["mine"]["title"] == "Mine" and merged["qemu"]["title"] == "Replaced"
    assert BUILTIN_PROFILES["qemu"]["title"] != "Replaced"
