# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's CPU models of each release (generated) and the tables built from them (_cpu/releases.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits, qemu_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import releases as r


def test_every_model_names_only_known_features_or_says_it_cannot_place_them():
    known = set(name for word in r.FEATURE_WORDS for name in word[5].values())
    unplaced = set(qemu_models.UNPLACED_FEATURES.split())
    assert unplaced == set()  # every name is placed: from a source tree, over QMP, or from the binary's own table
    assert qemu_models.PLACED_FEATURES["its-no"] == ("msr", 0x10a, None, None, 62)  # IA32_ARCH_CAPABILITIES
    assert not unplaced & known
    newest = r.builtin_models()
    for model, features in newest["features"].items():
        assert set(features) <= known | unplaced, model
    assert newest["features"]["base"] == []  # QEMU's base model asks for nothing
    assert set(newest["features"]) == set(qemu_models.MODEL_FEATURES)


def test_a_version_written_against_the_one_before_it_decodes_to_its_own_features():
    # Cascadelake-Server-v2 adds the arch-capabilities MSR and four of its bits to v1 (QEMU's cpu.c)
    assert qemu_models.MODEL_FEATURES["Cascadelake-Server-v2"].startswith("=Cascadelake-Server-v1 +")
    features = r.builtin_models()["features"]
    assert set(features["Cascadelake-Server-v2"]) - set(features["Cascadelake-Server-v1"]) == {
        "arch-capabilities", "ibrs-all", "mds-no", "rdctl-no", "skip-l1dfl-vmentry"}
    assert features["Cascadelake-Server-v2"] == sorted(features["Cascadelake-Server-v2"])
    written = {"A-v1": "a b c", "A-v2": "=A-v1 +d -a", "A-v3": "=A-v2 -b"}
    decoded = {}
    assert r._decode(written, "A-v3", decoded) == ["c", "d"] and decoded["A-v2"] == ["b", "c", "d"]
    assert set(qemu_models.ALIASES.values()) <= set(qemu_models.MODEL_FEATURES)


def test_placed_features_join_the_word_of_their_leaf_or_a_new_one():
    words = dict((word[0], word) for word in r.FEATURE_WORDS)
    assert words["FEAT_7_0_ECX"][5][7] == "cet-ss" and words["FEAT_7_0_EDX"][5][20] == "cet-ibt"
    assert words["FEAT_1E_1_EAX"][1:5] == ("cpuid", 0x1e, 1, "eax") and words["FEAT_1E_1_EAX"][5][7] == "amx-avx512"
    assert 7 not in dict(cpuid_bits.FEATURE_WORDS[[w[0] for w in cpuid_bits.FEATURE_WORDS].index("FEAT_7_0_ECX")][5])
    assert words["FEAT_ARCH_CAPABILITIES"][5][62] == "its-no"
    assert [w[0] for w in r.FEATURE_WORDS[len(cpuid_bits.FEATURE_WORDS):]] == [
        "FEAT_1E_1_EAX", "FEAT_29_0_EBX", "FEAT_24_1_ECX", "FEAT_80000021_0_ECX"]  # new words, in the order placed


def test_each_release_has_its_own_models_and_every_older_one():
    assert r.releases() == ("7.2", "10.0", "11.1")
    tables = [r.builtin_models(release) for release in r.releases()]
    assert [len(r.model_names(t)) for t in tables] == [132, 154, 189]  # QEMU's own query-cpu-definitions counts
    for older, newer in zip(tables, tables[1:]):
        assert r.model_names(older) < r.model_names(newer)
    assert "EPYC-Genoa" not in r.model_names(tables[0]) and "EPYC-Genoa" in r.model_names(tables[1])
    assert "EPYC-Turin" in r.model_names(tables[2]) and "EPYC-Turin" not in r.model_names(tables[1])
    assert tables[0]["qemu_version"] == "7.2.22" and tables[2]["release"] == "11.1"
    assert r.builtin_models() is tables[-1]


def test_a_models_first_release():
    assert r.first_release("Nehalem") == "7.2" and r.first_release("host") == "7.2"
    assert r.first_release("SapphireRapids-v3") == "10.0" and r.first_release("DiamondRapids") == "11.1"
    assert r.first_release("Pentium9") is None


def test_a_release_without_a_table_gets_the_nearest_older_or_the_oldest():
    assert r.nearest_table("10.0.13") == "10.0" and r.nearest_table("8.2.2") == "7.2"
    assert r.nearest_table("10.2") == "10.0" and r.nearest_table("12.0") == "11.1"
    assert r.nearest_table("6.2") == "7.2"
    assert r.release_rank("10.0.13") == (10, 0) and r.release_rank("9.2") < r.release_rank("10.0")
