# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's host-dependent rules as data: each names its source and release, and the release tests read them right.
What each rule does to the answers is tested in test_guest_cpu.py and on the recorded machines
(test_recorded_machines.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_rules
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import FEATURE_WORDS, known_features


def test_every_rule_names_its_source_and_release():
    import os
    import sys
    tools = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))))), "tools")
    sys.path.insert(0, tools)
    from gen_qemu_rules import read_rules  # tools/gen_qemu_rules.py: the source of the probe's table
    documented = read_rules()
    assert [(r["id"], r["since"], r["until"]) for r in documented] == list(qemu_rules.RULES)
    for rule in documented:
        assert rule["where"].startswith("target/i386/") and rule["what"], rule["id"]
        for release in (rule["since"], rule["until"]):
            assert release is None or qemu_rules.rank(release) >= (7, 2), rule["id"]
    assert qemu_rules.applies("fb-clear", "10.0") and not qemu_rules.applies("fb-clear", "7.2")
    assert qemu_rules.applies("arch-cap-amd", None) and not qemu_rules.applies("arch-cap-amd", "10.0")


def test_dependencies_grow_by_release_and_name_real_features():
    names = set(name for word in FEATURE_WORDS for name in word[5].values())
    words = set(word[0] for word in FEATURE_WORDS)
    assert len(qemu_rules.dependencies("7.2")) == 24 and len(qemu_rules.dependencies("10.0")) == 35
    for prerequisite, word, dependents in qemu_rules.dependencies(None):
        assert set(prerequisite.split("|")) <= names and word in words, prerequisite
        assert dependents in (None, "lo", "hi") or set(dependents) <= names, dependents


def test_left_off_is_per_release_and_says_why():
    assert sorted(qemu_rules.left_off("7.2")) == ["invtsc", "kvm-hint-dedicated", "topoext"]
    assert sorted(qemu_rules.left_off("11.1")) == ["ht", "invtsc", "kvm-hint-dedicated", "topoext"]
    assert "topoext=on" in qemu_rules.left_off("10.0")["topoext"]
    assert qemu_rules.left_off("10.0", lambda rule, release: False) == {}


def test_each_release_knows_the_names_before_it_and_only_those():
    assert known_features("7.2") < known_features("10.0") < known_features("11.1")
    assert "gds-no" not in known_features("7.2") and "its-no" not in known_features("10.0")
    assert "its-no" in known_features("11.1") and known_features(None) == known_features("11.1")
