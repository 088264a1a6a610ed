# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migration pools from synthetic fleets, and the guest CPU requirement checks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_guest_cpu as checks
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_requirements

V1 = level_requirements("x86-64-v1")
V2 = level_requirements("x86-64-v2")
V3 = level_requirements("x86-64-v3")


def host(features, models):
    return {"features": sorted(features), "runnable_models": sorted(models), "level": None}


def test_one_pool_when_every_host_offers_the_same():
    fleet = fleet_pools({"a": host(V2, ["Nehalem"]), "b": host(V2, ["Nehalem"])})
    assert fleet["hosts"] == 2 and fleet["excluded"] == {}
    assert fleet["common"]["level"] == "x86-64-v2" and fleet["common"]["runnable_models"] == ["Nehalem"]
    assert [p["hosts"] for p in fleet["pools"]] == [["a", "b"]]
    assert fleet["pools"][0]["id"] == fingerprint(V2) and fleet["pools"][0]["lacking"] == []
    assert fleet["pools"][0]["without_it"] is None and fleet["holding_back"] == []


def test_host_and_max_run_on_each_host_but_no_pool_offers_them_for_migration():
    """QEMU's query-cpu-definitions marks host and max migration-safe false; base is a static model."""
    fleet = fleet_pools({"a": host(V2, ["Nehalem", "base", "host", "max"]), "b": host(V3, ["base", "host", "max"])})
    assert fleet["common"]["runnable_models"] == ["base"]
    assert [p["runnable_models"] for p in fleet["pools"]] == [["base"], ["Nehalem", "base"]]


def test_one_weak_host_holds_the_fleet_back():
    fleet = fleet_pools({"new1": host(V3, ["Haswell", "Nehalem"]), "new2": host(V3, ["Haswell", "Nehalem"]),
                         "old": host(V1, ["qemu64"])})
    assert fleet["common"]["level"] == "x86-64-v1" and fleet["common"]["runnable_models"] == []
    assert fleet["common"]["missing_for_next_level"] == sorted(set(V2) - set(V1))
    best, weak = fleet["pools"]
    assert best["hosts"] == ["new1", "new2"] and best["level"] == "x86-64-v3" and best["lacking"] == []
    assert weak["hosts"] == ["old"] and weak["lacking"] == sorted(set(V3) - set(V1))
    assert fleet["holding_back"] == [{"host": "old", "pool": weak["id"], "lacks": sorted(set(V3) - set(V1)),
                                      "level_without_it": "x86-64-v3",
                                      "models_gained_without_it": ["Haswell", "Nehalem"]}]


def test_two_identical_weak_hosts_hold_back_only_as_a_pool():
    fleet = fleet_pools({"new": host(V3, ["Haswell"]), "old1": host(V1, []), "old2": host(V1, [])})
    assert fleet["holding_back"] == []
    weak = fleet["pools"][1]
    assert weak["hosts"] == ["old1", "old2"]
    assert weak["without_it"] == {"level": "x86-64-v3", "models_gained": ["Haswell"]}


def test_a_host_that_only_removes_models_holds_back_without_raising_the_level():
    fleet = fleet_pools({"a": host(V2 + ["aes"], ["Westmere", "Nehalem"]), "b": host(V2, ["Nehalem"])})
    assert fleet["common"]["level"] == "x86-64-v2"
    assert fleet["holding_back"] == [{"host": "b", "pool": fingerprint(V2), "lacks": ["aes"],
                                      "level_without_it": "x86-64-v2", "models_gained_without_it": ["Westmere"]}]


def test_hosts_without_guest_cpu_facts_are_excluded_with_the_reason():
    fleet = fleet_pools({"x86": host(V2, []), "arm": {"skipped": "x86 only; this host is aarch64"},
                         "old": None, "broken": {"error": "KVM_GET_SUPPORTED_CPUID failed with EIO"}})
    assert fleet["hosts"] == 1 and sorted(fleet["excluded"]) == ["arm", "broken", "old"]
    assert "aarch64" in fleet["excluded"]["arm"] and "EIO" in fleet["excluded"]["broken"]
    assert "gather_subset" in fleet["excluded"]["old"]


def test_an_empty_fleet():
    fleet = fleet_pools({})
    assert fleet["pools"] == [] and fleet["common"]["level"] is None and fleet["holding_back"] == []


# -- requirement checks --------------------------------------------------------------------------

FACTS = {"guest_cpu": {"features": V1 + ["aes"], "level": "x86-64-v1",
                       "models": {"Nehalem": {"runnable": False, "missing": ["pni", "ssse3"]},
                                  "qemu64": {"runnable": True, "missing": []}},
                       "runnable_models": ["qemu64"], "qemu_version": "7.2.22"}}


def test_min_level_names_the_level_and_the_missing_features():
    [result] = checks.check_min_guest_cpu_level(FACTS, "x86-64-v2")
    assert result["ok"] is False and result["expected"] == "x86-64-v2" and result["actual"] == "x86-64-v1"
    assert "cx16, lahf-lm, pni, popcnt, sse4.1, sse4.2, ssse3" in result["message"]
    assert checks.check_min_guest_cpu_level(FACTS, "x86-64-v1")[0]["ok"] is True


def test_a_guest_profile_gives_its_level_and_source():
    [result] = checks.check_min_guest_cpu_level(FACTS, "rhel9")
    assert result["ok"] is False and result["expected"] == "x86-64-v2" and "Red Hat" in result["message"]
    assert checks.resolve_level("rhel10")[0] == "x86-64-v3"
    for profile in checks.GUEST_PROFILES.values():
        assert profile["source"] and profile["min_guest_cpu_level"] in ("x86-64-v1", "x86-64-v2", "x86-64-v3")


def test_required_models_name_what_each_lacks():
    nehalem, qemu64 = checks.check_required_cpu_models(FACTS, ["Nehalem", "qemu64"])
    assert nehalem["ok"] is False and "Nehalem" in nehalem["message"] and "pni, ssse3" in nehalem["message"]
    assert qemu64["ok"] is True and qemu64["message"] is None


def test_required_features_use_the_full_set_and_accept_older_spellings():
    [ok] = checks.check_required_cpu_features(FACTS, ["aes", "lm", "i64"])
    assert ok["ok"] is True and ok["expected"] == ["aes", "lm"]
    [bad] = checks.check_required_cpu_features(FACTS, ["sse4_2", "sse3", "avx512_vnni"])
    assert bad["ok"] is False and bad["expected"] == ["avx512vnni", "pni", "sse4.2"]
    assert "avx512vnni, pni, sse4.2" in bad["message"]


@pytest.mark.parametrize("facts, why", [({}, "gather"), ({"guest_cpu": {"skipped": "aarch64"}}, "aarch64"),
                                        ({"guest_cpu": {"error": "EIO"}}, "EIO")])
def test_checks_without_guest_cpu_facts_fail_saying_why(facts, why):
    for result in (checks.check_min_guest_cpu_level(facts, "x86-64-v2") +
                   checks.check_required_cpu_models(facts, ["Nehalem"]) +
                   checks.check_required_cpu_features(facts, ["aes"])):
        assert result["ok"] is False and why in result["message"]


def test_unknown_names_are_rejected_with_suggestions():
    problems = checks.validate_guest_cpu_requirements("x86-64-v5", ["Nehalen"], ["sse4.3", "popcnt"])
    assert len(problems) == 3
    assert "x86-64-v5" in problems[0] and "did you mean" in problems[0]
    assert "Nehalem" in problems[1] and "did you mean" in problems[1]
    assert "sse4.3" in problems[2] and "sse4.2" in problems[2]
    assert checks.validate_guest_cpu_requirements("rhel9", ["Nehalem-v2", "host"], ["sse4_2", "tsc_deadline_timer"]) == []


def test_every_old_linux_name_of_the_curated_map_is_known():
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.cpuid import LINUX_NAMES
    assert [name for name in LINUX_NAMES if checks.canonical_feature(name) is None] == []


# -- Hyper-V: the enlightenments every host of a pool offers ---------------------------------------

def hyperv(offered, passthrough=()):
    """A host's hyperv facts offering these enlightenments (and hv-passthrough giving those)."""
    return {"enlightenments": dict((name, {"offered": name in offered, "starts": True, "missing": None, "needs": []})
                                   for name in ("hv-relaxed", "hv-vapic", "hv-time", "hv-stimer", "hv-stimer-direct",
                                                "hv-syndbg")),
            "passthrough": {"starts": True, "enlightenments": list(passthrough), "missing": None}}


def test_a_pool_offers_the_enlightenments_every_host_of_it_offers_and_says_what_passthrough_would_add():
    view = fleet_pools({"a": host(V2, ["Nehalem"]), "b": host(V2, ["Nehalem"])}, {},
                       {"a": hyperv(["hv-relaxed", "hv-vapic", "hv-time"], ["hv-relaxed", "hv-vapic", "hv-time"]),
                        "b": hyperv(["hv-relaxed", "hv-time", "hv-stimer", "hv-stimer-direct"], ["hv-stimer"])})
    [pool] = view["pools"]
    assert pool["hyperv"] == ["hv-relaxed", "hv-time"] and pool["hyperv_passthrough"] == [
        "hv-relaxed", "hv-stimer", "hv-time", "hv-vapic"]
    block = pool["config"]["hyperv"]
    assert block["enlightenments"] == ["hv-relaxed", "hv-time"] and block["qemu"] == "hv-relaxed,hv-time"
    assert block["libvirt"] == "<hyperv mode='custom'><relaxed state='on'/></hyperv>"
    assert block["libvirt_clock"] == "<clock offset='utc'><timer name='hypervclock' present='yes'/></clock>"
    assert block["lost_against_passthrough"] == ["hv-vapic", "hv-stimer"]
    assert view["common"]["config"]["hyperv"] == block


def test_a_host_without_hyperv_facts_leaves_its_pool_without_a_hyper_v_block():
    view = fleet_pools({"a": host(V2, ["Nehalem"]), "b": host(V2, ["Nehalem"])}, {}, {"a": hyperv(["hv-relaxed"])})
    [pool] = view["pools"]
    assert pool["hyperv"] is None and "hyperv" not in pool["config"] and "hyperv" not in view["common"]["config"]


def test_stimer_direct_is_a_child_of_stimer_and_what_libvirt_cannot_say_is_listed():
    view = fleet_pools({"a": host(V2, ["Nehalem"])}, {}, {"a": hyperv(["hv-stimer", "hv-stimer-direct", "hv-syndbg"])})
    block = view["pools"][0]["config"]["hyperv"]
    assert "<stimer state='on'><direct state='on'/></stimer>" in block["libvirt"]
    assert block["not_in_libvirt"] == ["hv-syndbg"]


def test_slices_merge_their_pools_hyper_v_sets_exactly():
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import merge_views
    one = fleet_pools({"a": host(V2, ["Nehalem"])}, {}, {"a": hyperv(["hv-relaxed", "hv-vapic"])})
    two = fleet_pools({"b": host(V2, ["Nehalem"])}, {}, {"b": hyperv(["hv-vapic", "hv-time"])})
    [pool] = merge_views([one, two])["pools"]
    assert pool["hosts"] == ["a", "b"] and pool["hyperv"] == ["hv-vapic"]
    broken = dict(two, pools=[dict(two["pools"][0], hyperv="hv-vapic")])  # untrusted: not a list of names
    assert merge_views([one, broken])["pools"][0]["hyperv"] is None
