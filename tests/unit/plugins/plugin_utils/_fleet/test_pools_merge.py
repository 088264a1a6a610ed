# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet view is derivable from its pools alone: slices merge exactly; pool ids equal the inventory groups'."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import hashlib
import os
import random

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import (
    fleet_pools, fleet_view, merge_views)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_requirements
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import trusted

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
CONSTRUCTED = os.path.join(ROOT, "docs", "examples", "kvm_groups.constructed.yml")

V1, V2, V3, V4 = (level_requirements("x86-64-v%d" % n) for n in (1, 2, 3, 4))
EXTRAS = ("aes", "pclmulqdq", "rdrand", "sha-ni", "vaes", "x2apic")
MODELS = ("Haswell", "Nehalem", "Westmere", "qemu64", "base")


def host(features, models):
    return {"features": sorted(set(features)), "runnable_models": sorted(set(models)), "level": None}


def random_fleet(seed, size=40):
    """Hosts drawn from a few feature sets; hosts with one feature set may differ in runnable models."""
    rng = random.Random(seed)
    shapes = [(V1, ()), (V2, ("Nehalem",)), (V2 + ["aes"], ("Nehalem", "Westmere")), (V3, ("Haswell", "Nehalem")),
              (V4 + ["vaes"], ("Haswell", "Nehalem", "Westmere"))]
    fleet = {}
    for index in range(size):
        features, models = rng.choice(shapes)
        features = list(features) + rng.sample(EXTRAS, rng.randint(0, 1))
        models = [m for m in models if rng.random() > 0.1] + ["base"]
        fleet["h%03d" % index] = host(features, models)
    fleet["arm"] = {"skipped": "x86 only; this host is aarch64"}
    fleet["old"] = None
    return fleet


@pytest.mark.parametrize("seed", range(8))
def test_the_view_recomputed_from_its_own_pools_is_the_same(seed):
    view = fleet_pools(random_fleet(seed))
    assert fleet_view(copy.deepcopy(view["pools"]), view["excluded"]) == view


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("slices", [2, 3, 7])
def test_slices_merge_exactly_into_the_view_of_the_whole_fleet(seed, slices):
    fleet = random_fleet(seed)
    names = sorted(fleet)
    random.Random(seed).shuffle(names)
    views = [fleet_pools(dict((h, fleet[h]) for h in names[i::slices])) for i in range(slices)]
    assert merge_views(views + [None]) == fleet_pools(fleet)  # a slice without a guest CPU view adds nothing


def test_hosts_of_one_feature_set_in_two_slices_keep_only_the_models_both_run():
    merged = fleet_view([{"hosts": ["b"], "features": V2, "runnable_models": ["Nehalem", "base"]},
                         {"hosts": ["a"], "features": V2, "runnable_models": ["base"]}])
    [pool] = merged["pools"]
    assert pool["hosts"] == ["a", "b"] and pool["runnable_models"] == ["base"] and pool["id"] == fingerprint(V2)


def test_every_pool_carries_what_a_merge_needs():
    view = fleet_pools({"a": host(V3, ["Haswell"]), "b": host(V1, [])})
    for pool in view["pools"]:
        assert pool["id"] == fingerprint(pool["features"]) and pool["features"] == sorted(pool["features"])
        assert set(pool) == {"id", "hosts", "level", "features", "runnable_models", "feature_count", "lacking",
                             "without_it", "deprecated_models", "config", "hyperv", "hyperv_passthrough"}


def test_pool_id_is_sha256_of_the_sorted_names_joined_by_commas():
    assert fingerprint(["sse2", "Zeta", "abm"]) == hashlib.sha256(b"Zeta,abm,sse2").hexdigest()[:12]


# -- the constructed inventory example ------------------------------------------------------------

def keyed_group(prefix):
    with open(CONSTRUCTED) as handle:
        inventory = yaml.safe_load(handle)
    [entry] = [k for k in inventory["keyed_groups"] if k["prefix"] == prefix]
    return entry["key"]


def groups(prefix, kvm):
    """The groups the constructed plugin makes from this key: prefix_value for each value of the key's list."""
    templar = Templar(loader=DataLoader(), variables={"kvm": kvm} if kvm is not None else {})
    values = templar.template(trusted("{{ %s }}" % keyed_group(prefix)))
    return ["%s_%s" % (prefix, value) for value in values]


@pytest.mark.parametrize("features", [V1, V2 + ["Zeta", "aes"], V4 + ["sha-ni", "vaes", "kvm-pv-eoi"],
                                      ["lm", "LM", "fpu", "sse4.2", "sse4_2"]])
def test_the_pool_group_of_the_constructed_example_is_named_by_pool_id(features):
    kvm = {"guest_cpu": {"features": sorted(features), "level": "x86-64-v1"}}
    assert groups("kvm_guest_cpu_pool", kvm) == ["kvm_guest_cpu_pool_" + fingerprint(features)]
    kvm["guest_cpu"]["features"] = list(reversed(kvm["guest_cpu"]["features"]))  # order never matters
    assert groups("kvm_guest_cpu_pool", kvm) == ["kvm_guest_cpu_pool_" + fingerprint(features)]


@pytest.mark.parametrize("level", ["x86-64-v1", "x86-64-v2", "x86-64-v3", "x86-64-v4"])
def test_the_level_group_of_the_constructed_example(level):
    assert groups("kvm_guest_cpu", {"guest_cpu": {"level": level, "features": []}}) == [
        "kvm_guest_cpu_" + level.replace("-", "_")]


@pytest.mark.parametrize("kvm", [None, {"usable": False}, {"guest_cpu": {"skipped": "aarch64"}},
                                 {"guest_cpu": {"level": None, "features": ["fpu"]}}])
def test_hosts_without_a_level_or_features_get_no_such_group(kvm):
    assert groups("kvm_guest_cpu", kvm) == []
    expected = ["kvm_guest_cpu_pool_" + fingerprint(["fpu"])] if kvm and "features" in kvm.get("guest_cpu", {}) else []
    assert groups("kvm_guest_cpu_pool", kvm) == expected
