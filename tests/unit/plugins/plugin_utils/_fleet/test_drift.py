# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drift: the hosts that differ from the majority (judged hosts only, ties independent of order), and the summary it reads."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import drift_by_value
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import summarize
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._fleet.records import fleet_of, verdict


# ---------------------------------------------------------------- causes ----

def facts(**extra):
    values = {"usable": True, "api_version": 12, "host": {"kernel": "6.1.0", "backend": "kvm_intel", "arch": "x86_64",
                                                          "parameters": {"kvm_intel": {"nested": "Y"}}},
              "extensions": {"KVM_CAP_IRQCHIP": 1, "KVM_CAP_XSAVE": 1, "KVM_CAP_PIT2": 0},
              "vcpu_run": {"status": "ok"}}
    values.update(extra)
    return values


def test_drift_lists_the_hosts_that_differ_from_the_majority():
    fleet = fleet_of([verdict("a%d" % i) for i in range(6)] + [
        verdict("old-kernel", kernel="5.10.0-33-amd64"),
        verdict("amd", backend="kvm_amd"),
        verdict("no-nested", nested="N"),
        verdict("other-caps", caps="bbbbbbbbbbbb"),
        verdict("unknown-kernel", kernel=None),
        unreachable_verdict("gone", "no route")])
    drift = fleet["drift"]
    assert drift["judged"] == 11  # unreachable hosts are not judged
    assert drift["majority"]["kernel"] == "6.1.0-28-amd64"
    assert drift["majority"]["backend"] == "kvm_intel"
    assert drift["majority"]["caps"] == "aaaaaaaaaaaa" and drift["majority"]["caps_count"] == 100
    assert drift["majority"]["parameters"] == {"kvm_amd.ept": "Y", "kvm_amd.nested": "Y", "kvm_intel.ept": "Y",
                                               "kvm_intel.nested": "Y"}
    assert dict((h["host"], h["differs"]) for h in drift["hosts"]) == {
        "old-kernel": {"kernel": "5.10.0-33-amd64"},
        "amd": {"backend": "kvm_amd"},  # its kvm_amd parameters are compared only with other kvm_amd hosts
        "no-nested": {"parameters": {"kvm_intel.nested": "N"}},
        "other-caps": {"caps": "bbbbbbbbbbbb"}}
    assert drift["counts"] == {"kernel": 1, "backend": 1, "caps": 1, "parameters": 1}
    assert drift_by_value(drift) == [("backend", "kvm_amd", ["amd"]), ("caps", "bbbbbbbbbbbb", ["other-caps"]),
                                     ("kernel", "5.10.0-33-amd64", ["old-kernel"]),
                                     ("parameters", "kvm_intel.nested=N", ["no-nested"])]


def test_a_uniform_fleet_has_no_drift_and_ties_do_not_depend_on_order():
    assert fleet_of([verdict("a"), verdict("b")])["drift"]["hosts"] == []
    one = fleet_of([verdict("a", kernel="2"), verdict("b", kernel="1")])["drift"]
    other = fleet_of([verdict("b", kernel="1"), verdict("a", kernel="2")])["drift"]
    assert one["majority"]["kernel"] == other["majority"]["kernel"] == "1"
    assert one["hosts"] == [{"host": "a", "differs": {"kernel": "2"}}]


def test_the_summary_carries_what_drift_and_the_reports_need():
    result = summarize(facts())
    assert (result["kernel"], result["backend"], result["arch"], result["usable"], result["api_version"],
            result["vcpu_run"]) == ("6.1.0", "kvm_intel", "x86_64", True, 12, "ok")
    assert result["parameters"] == {"kvm_intel": {"nested": "Y"}}
    assert len(result["caps"]) == 12 and result["caps_count"] == 2
    assert result["guest_cpu_level"] is None and result["guest_cpu_pool"] is None


def test_the_capability_fingerprint_is_the_set_of_offered_capabilities():
    same = summarize(facts(extensions={"KVM_CAP_XSAVE": 1, "KVM_CAP_IRQCHIP": 7}))["caps"]
    assert same == summarize(facts())["caps"]  # order and values do not matter, zero means absent
    assert summarize(facts(extensions={"KVM_CAP_XSAVE": 1}))["caps"] != same
    assert summarize(facts(extensions=None))["caps"] is None


def test_the_guest_cpu_level_and_pool_come_from_guest_cpu_facts():
    first = summarize(facts(guest_cpu={"level": "x86-64-v2", "features": ["sse4.2", "popcnt", "ssse3"]}))
    second = summarize(facts(guest_cpu={"level": "x86-64-v2", "features": ["ssse3", "sse4.2", "popcnt"]}))
    third = summarize(facts(guest_cpu={"level": "x86-64-v2", "features": ["ssse3", "sse4.2"]}))
    assert first["guest_cpu_level"] == "x86-64-v2"
    assert first["guest_cpu_pool"] == second["guest_cpu_pool"] != third["guest_cpu_pool"]
    assert first["guest_cpu_pool"] == fingerprint(["popcnt", "sse4.2", "ssse3"]), "the name the fleet's pools use"
    skipped = summarize(facts(guest_cpu={"skipped": "not x86"}))
    assert skipped["guest_cpu_level"] is None and skipped["guest_cpu_pool"] is None
