# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Changes between two audits: synthetic pairs of fleets, one for each kind of change.

Each audit is made as the real one makes it: facts gathered from the fake kernel, judged, pooled, built into
a fleet document and written as JSON; the previous one is read back from that JSON."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.changes import (
    PreviousError, compare, previous_fleet, regression_hosts)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import capabilities, check_requirements
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._action import judge_host
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, cpuid_entry

SUBSETS = ["device", "extensions", "host", "vcpu_run", "cpuid", "guest_cpu"]
V2_ECX = 1 << 0 | 1 << 9 | 1 << 13 | 1 << 19 | 1 << 20 | 1 << 23  # sse3 ssse3 cx16 sse4.1 sse4.2 popcnt
X2APIC = 1 << 21
KVM_PV = 1 << 0 | 1 << 1 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 24  # kvmclock ... the models' kvm-* features
BASE_EDX = 0x078BFBFF  # fpu ... sse2 as x86-64-v1 needs them


def kernel(release="6.1.0-28-amd64", nested="Y", caps=(), level2=True, denied=False):
    """A fake kvm_intel host; level2 gives guests x86-64-v2, else only v1."""
    fake = FakeKernel()
    fake.kernel_release = release
    fake.sysfs["/sys/module/kvm_intel/parameters"] = {"nested": nested, "ept": "Y"}
    fake.caps.update((CAP_NUMBER[name], 1) for name in caps)
    fake.cpuid = [cpuid_entry(0x1, ecx=(V2_ECX if level2 else 0) | X2APIC, edx=BASE_EDX),
                  cpuid_entry(0x40000001, eax=KVM_PV),
                  cpuid_entry(0x80000001, ecx=1 << 0, edx=1 << 29 | 1 << 20 | 1 << 11)]  # lahf_lm; lm nx syscall
    if denied:
        fake.euid = 1000
        fake.identity_value = ("tester", ["tester"])
        fake.nodes["/dev/kvm"].st_mode = 0o20660
        fake.open_errno["/dev/kvm"] = 13
    return fake


def audit(kernels, requirements=None, allow_unreachable=False):
    """The fleet document of one audit of {host: fake kernel or None for unreachable}, as fleet.json holds it."""
    required = check_requirements(requirements or {}, BUILTIN_PROFILES)
    verdicts, guest_cpu, excluded, cap_sets = {}, {}, {}, {}
    for host, fake in kernels.items():
        if fake is None:
            verdicts[host], judged = judge_host(None, required, BUILTIN_PROFILES, host=host,
                                                probe_result={"unreachable": True, "msg": "no route"})
        else:
            verdicts[host], judged = judge_host(gather(SUBSETS, kernel=fake), required, BUILTIN_PROFILES, host=host)
        if verdicts[host]["status"] in ("pass", "fail"):
            guest_cpu[host] = judged["guest_cpu"]
            cap_sets[verdicts[host]["summary"]["caps"]] = capabilities(judged)
        else:
            excluded[host] = verdicts[host]["failures"][0]
    fleet = build_fleet(list(kernels), verdicts, "2026-12-05T00:00:00Z", guest_cpu=fleet_pools(guest_cpu, excluded),
                        cap_sets=cap_sets)
    return json.loads(json.dumps(fleet))


def changes(before, after, **options):
    return compare(previous_fleet(before, "previous"), after, **options)


def hosts_changed(result):
    return dict((entry["host"], entry["changes"]) for entry in result["hosts"])


def test_the_same_fleet_twice_has_no_changes():
    fleet = audit({"a": kernel(), "b": kernel()})
    result = changes(fleet, audit({"a": kernel(), "b": kernel()}))
    assert result["counts"] == {"newly_failing": 0, "fixed": 0, "new": 0, "gone": 0, "changed": 0, "regressions": 0}
    assert result["hosts"] == [] and result["regressions"] == [] and result["common"] == {}
    assert result["pools"] == {"split": [], "merged": [], "changed": []}


def test_a_host_that_passed_and_now_fails_is_a_regression_with_its_cause():
    result = changes(audit({"a": kernel(), "b": kernel()}), audit({"a": kernel(), "b": kernel(denied=True)}))
    assert [(e["host"], e["was"], e["now"]) for e in result["newly_failing"]] == [("b", "pass", "fail")]
    assert result["newly_failing"][0]["causes"] == ["device.eacces (/dev/kvm)"]
    assert regression_hosts(result) == ["b"]
    assert hosts_changed(result)["b"]["status"] == ["pass", "fail"]
    assert hosts_changed(result)["b"]["root_causes"] == {"gained": ["device.eacces (/dev/kvm)"], "lost": []}
    # what the denied device kept from being gathered is no change of its own: a root cause, not a cascade
    assert sorted(hosts_changed(result)["b"]) == ["root_causes", "status"]


def test_an_old_failure_is_no_regression_and_a_fix_is_told():
    before = audit({"a": kernel(denied=True), "b": kernel()})
    old_failure = changes(before, audit({"a": kernel(denied=True), "b": kernel()}))
    assert old_failure["regressions"] == [] and old_failure["newly_failing"] == []
    fixed = changes(audit({"a": kernel(denied=True)}), audit({"a": kernel()}))
    assert fixed["fixed"] == [{"host": "a", "was": "fail"}] and fixed["regressions"] == []


def test_new_and_gone_hosts_and_a_new_failing_host_is_a_regression():
    result = changes(audit({"a": kernel(), "old": kernel()}), audit({"a": kernel(), "fresh": kernel(denied=True)}))
    assert result["new"] == [{"host": "fresh", "status": "fail"}]
    assert result["gone"] == [{"host": "old", "was": "pass"}]
    assert regression_hosts(result) == ["fresh"]
    assert result["regressions"][0]["why"] == "fresh is new in this audit, now fail: device.eacces (/dev/kvm)"


def test_unreachable_counts_as_failing_unless_allowed():
    before, after = audit({"a": kernel()}), audit({"a": None})
    assert regression_hosts(changes(before, after)) == ["a"]
    assert changes(before, after, allow_unreachable=True)["regressions"] == []
    # a host that stays unreachable is an old failure
    assert changes(after, audit({"a": None}))["regressions"] == []


def test_kernel_and_module_parameter_changes_per_host():
    result = changes(audit({"a": kernel()}), audit({"a": kernel(release="6.1.0-29-amd64", nested="N")}))
    assert hosts_changed(result)["a"]["kernel"] == ["6.1.0-28-amd64", "6.1.0-29-amd64"]
    assert hosts_changed(result)["a"]["parameters"] == {"kvm_intel.nested": ["Y", "N"]}


def test_a_new_backend_is_named():
    amd = kernel()
    amd.sysfs["/sys/module"] = ["kvm", "kvm_amd"]
    del amd.sysfs["/sys/module/kvm_intel/parameters"]
    amd.sysfs["/sys/module/kvm_amd/parameters"] = {"nested": "1"}
    host = hosts_changed(changes(audit({"a": kernel()}), audit({"a": amd})))["a"]
    assert host["backend"] == ["kvm_intel", "kvm_amd"]
    assert host["parameters"] == {"kvm_amd.nested": [None, "1"], "kvm_intel.ept": ["Y", None],
                                  "kvm_intel.nested": ["Y", None]}


def test_capabilities_gained_and_lost_are_named():
    result = changes(audit({"a": kernel(caps=["KVM_CAP_XSAVE"])}), audit({"a": kernel(caps=["KVM_CAP_XCRS"])}))
    caps = hosts_changed(result)["a"]["caps"]
    assert caps["gained"] == ["KVM_CAP_XCRS"] and caps["lost"] == ["KVM_CAP_XSAVE"]
    assert caps["count"][0] == caps["count"][1]


def test_capability_sets_without_names_still_say_that_the_set_changed():
    before = audit({"a": kernel(caps=["KVM_CAP_XSAVE"])})
    before["cap_sets"] = {}  # an audit written without them (the role's per-host judge)
    caps = hosts_changed(changes(before, audit({"a": kernel()})))["a"]["caps"]
    assert "gained" not in caps and caps["count"][0] == caps["count"][1] + 1


def test_a_host_that_loses_cpu_features_changes_level_pool_models_and_the_pool_regresses():
    before = audit({"a": kernel(), "b": kernel()})
    after = audit({"a": kernel(), "b": kernel(level2=False)})
    host = hosts_changed(changes(before, after))["b"]
    assert host["guest_cpu_level"] == ["x86-64-v2", "x86-64-v1"]
    assert "sse4.2" in host["features"]["lost"] and host["features"]["gained"] == []
    assert "Nehalem" in host["runnable_models"]["lost"]
    assert host["pool"][0] != host["pool"][1]
    result = changes(before, after)
    assert result["pools"]["split"] == [{"pool": host["pool"][0], "into": sorted(host["pool"])}]
    assert result["common"]["level"] == ["x86-64-v2", "x86-64-v1"]
    assert "Nehalem" in result["common"]["runnable_models"]["lost"]
    pool = [r for r in result["regressions"] if r["kind"] == "pool"]
    assert len(pool) == 1 and pool[0]["hosts"] == ["b"] and "Nehalem" in pool[0]["why"]
    assert regression_hosts(result) == ["b"]  # it still passes: only the pool regressed


def test_a_pool_that_loses_a_model_nobody_uses_is_no_regression():
    before = audit({"a": kernel(), "b": kernel()})
    after = audit({"a": kernel(), "b": kernel(level2=False)})
    assert changes(before, after, models_in_use=["486", "486-v1"])["regressions"] == []
    assert changes(before, after, models_in_use=["Nehalem"])["regressions"][0]["kind"] == "pool"


def test_pools_that_merge():
    before = audit({"a": kernel(), "b": kernel(level2=False)})
    after = audit({"a": kernel(), "b": kernel()})
    result = changes(before, after)
    assert len(result["pools"]["merged"]) == 1 and len(result["pools"]["merged"][0]["from"]) == 2
    assert result["common"]["level"] == ["x86-64-v1", "x86-64-v2"]
    assert result["regressions"] == []


def test_a_previous_file_that_is_no_fleet_is_refused_with_the_reason():
    with pytest.raises(PreviousError, match="not a fleet.json of fleetcheck.kvm"):
        previous_fleet({"hosts": []}, "old.json")
    with pytest.raises(PreviousError, match="no list of hosts"):
        previous_fleet({"schema": "fleetcheck.kvm/fleet", "hosts": "x"}, "old.json")


def test_hostile_records_of_the_previous_file_cost_only_themselves():
    before = audit({"a": kernel(), "b": kernel()})
    before["hosts"][0]["status"] = {"evil": 1}
    before["hosts"].append("not a record")
    before["guest_cpu"]["pools"].append({"hosts": "x"})
    before["cap_sets"] = {"k": "not a list"}
    result = changes(before, audit({"a": kernel(), "b": kernel()}))
    assert result["fixed"] == [{"host": "a", "was": "no_facts"}]  # its malformed record read as no facts
    assert "b" not in hosts_changed(result)
