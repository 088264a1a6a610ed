# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_validate and the guest CPU: requirements from the role's variables, and the fleet's migration pools."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.fleetcheck.kvm.plugins.action.kvm_validate import ActionModule
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import guest_cpu as g
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools, fleet_view
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import GUEST_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_requirements
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils._cpu.test_guest_cpu import entries_for


def facts_offering(names, machine="x86_64"):
    kernel = FakeKernel(machine)
    kernel.cpuid = entries_for(names)
    return gather(["all"], kernel=kernel)


def model_features(model):
    return g.builtin_models()["features"][model]


def validate(args, task_vars=None):
    variables = {"inventory_hostname": "kvm1"}
    variables.update(task_vars or {})
    return run_action(ActionModule, args, variables, name="fleetcheck.kvm.kvm_validate")


def fleet_hostvars():
    haswell, nehalem = facts_offering(model_features("Haswell-v4")), facts_offering(model_features("Nehalem-v1"))
    return {"haswell1": {"ansible_facts": {"kvm": haswell}},
            "haswell2": {"ansible_facts": {"kvm": copy.deepcopy(haswell)}},
            "nehalem": {"ansible_facts": {"kvm": nehalem}},
            "arm": {"ansible_facts": {"kvm": facts_offering([], machine="aarch64")}},
            "gone": {"ansible_facts": {"kvm": copy.deepcopy(nehalem)},  # cached, but unreachable in this run
                     "__kvm_validate_probe": {"unreachable": True, "msg": "ssh: No route to host"}},
            "reprobed": {"ansible_facts": {"kvm": copy.deepcopy(nehalem)},  # cached Nehalem, probed Haswell now
                         "__kvm_validate_probe": {"ansible_facts": {"kvm": copy.deepcopy(haswell)}}}}


def test_fleet_mode_returns_the_migration_pools_of_the_judged_facts():
    hostvars = fleet_hostvars()
    hosts = ["haswell1", "haswell2", "nehalem", "arm", "gone", "reprobed"]
    result = validate({"hosts": hosts, "mode": "audit", "require_vcpu_run": False}, {"hostvars": hostvars})
    pools = result["guest_cpu_pools"]
    haswell_features = hostvars["haswell1"]["ansible_facts"]["kvm"]["guest_cpu"]["features"]
    nehalem_guest = hostvars["nehalem"]["ansible_facts"]["kvm"]["guest_cpu"]
    assert [p["hosts"] for p in pools["pools"]] == [["haswell1", "haswell2", "reprobed"], ["nehalem"]]
    assert pools["pools"][0]["id"] == fingerprint(haswell_features) and pools["pools"][0]["level"] == "x86-64-v3"
    assert pools["common"]["level"] == nehalem_guest["level"] == "x86-64-v2"
    assert pools["common"]["features"] == sorted(set(haswell_features) & set(nehalem_guest["features"]))
    assert "Haswell" not in pools["common"]["runnable_models"] and "Nehalem" in pools["common"]["runnable_models"]
    assert [e["host"] for e in pools["holding_back"]] == ["nehalem"]
    assert set(level_requirements("x86-64-v3")) - set(nehalem_guest["features"]) <= set(pools["holding_back"][0]["lacks"])
    assert sorted(pools["excluded"]) == ["arm", "gone"]
    assert "aarch64" in pools["excluded"]["arm"] and "No route to host" in pools["excluded"]["gone"]
    assert fleet_view(pools["pools"], pools["excluded"]) == pools, "the pools alone give the whole view"
    # the same pool ids as each host's verdict summary
    for pool in pools["pools"]:
        for name in pool["hosts"]:
            assert result["verdicts"][name]["summary"]["guest_cpu_pool"] == pool["id"]
            # and its pool's CPU model, for the inventory groups
            assert result["verdicts"][name]["summary"]["guest_cpu_model"] == pool["config"]["model"]
    # (the fake answers give no AVX state, so no AVX model runs: Westmere-IBRS is the richest that does)
    assert pools["pools"][0]["config"]["model"] == "Westmere-IBRS" and pools["pools"][1]["config"]["model"] == "Nehalem"
    assert pools["common"]["config"]["model"] == "Nehalem"  # Nehalem-IBRS asks for spec-ctrl, which it lacks
    assert "guest_cpu_model" not in result["verdicts"]["arm"]["summary"]


def test_fleet_pools_equal_those_of_the_hosts_guest_cpu_facts():
    hostvars = fleet_hostvars()
    hosts = ["haswell1", "nehalem"]
    result = validate({"hosts": hosts, "mode": "audit"}, {"hostvars": hostvars})
    assert result["guest_cpu_pools"] == fleet_pools(
        dict((h, hostvars[h]["ansible_facts"]["kvm"]["guest_cpu"]) for h in hosts), {},
        dict((h, hostvars[h]["ansible_facts"]["kvm"].get("hyperv")) for h in hosts))


def test_an_empty_fleet_has_no_pools():
    result = validate({"hosts": [], "mode": "audit"}, {"hostvars": {}})
    assert result["guest_cpu_pools"]["pools"] == [] and result["guest_cpu_pools"]["hosts"] == 0


def test_one_host_mode_returns_no_pools():
    result = validate({"mode": "audit"}, {"ansible_facts": {"kvm": facts_offering(model_features("Nehalem-v1"))}})
    assert "guest_cpu_pools" not in result
    assert result["ansible_facts"]["kvm_validate_result"]["summary"]["guest_cpu_level"] == "x86-64-v2"


def test_the_role_variables_set_the_guest_cpu_requirements():
    facts = facts_offering(model_features("Nehalem-v1"))
    task_vars = {"ansible_facts": {"kvm": facts}, "kvm_validate_min_guest_cpu_level": "rhel10",
                 "kvm_validate_required_cpu_models": ["Nehalem", "Haswell"],
                 "kvm_validate_required_cpu_features": ["sse4_2", "avx2"]}
    result = validate({"vars_prefix": "kvm_validate_", "mode": "audit"}, task_vars)
    verdict = result["ansible_facts"]["kvm_validate_result"]
    failing = dict((c["requirement"] + ":" + str(c["expected"]), c["message"]) for c in verdict["checks"] if not c["ok"])
    assert sorted(failing) == ["min_guest_cpu_level:x86-64-v3", "required_cpu_features:['avx2', 'sse4.2']",
                               "required_cpu_models:Haswell"]
    assert GUEST_PROFILES["rhel10"]["title"] in failing["min_guest_cpu_level:x86-64-v3"]
    assert failing["required_cpu_models:Haswell"].endswith(", ".join(facts["guest_cpu"]["models"]["Haswell"]["missing"]))
    assert failing["required_cpu_features:['avx2', 'sse4.2']"] == "KVM does not offer guests the CPU feature avx2"


def test_check_only_rejects_unknown_guest_cpu_names_and_lists_the_guest_profiles():
    bad = validate({"check_only": True, "min_guest_cpu_level": "rhel8", "required_cpu_models": ["Skylake"]})
    assert bad["failed"] is True and "did you mean rhel9" in bad["msg"] and "did you mean Skylake" in bad["msg"]
    good = validate({"check_only": True, "min_guest_cpu_level": "rhel9", "required_cpu_features": ["sse4_2"]})
    assert "failed" not in good and good["requirements"]["required_cpu_features"] == ["sse4.2"]
    assert good["guest_profiles"] == GUEST_PROFILES
