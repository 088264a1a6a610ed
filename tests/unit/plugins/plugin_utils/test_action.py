# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the actions share: this run's probe result outweighs cached facts, and other hosts' variables are read raw."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._action import host_variables, judge_host
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def facts_of(kernel):
    return gather(["all"], kernel=kernel)


def test_an_unreachable_probe_beats_cached_facts():
    cached = facts_of(FakeKernel())
    verdict, judged = judge_host(cached, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm3",
                                 probe_result={"unreachable": True, "msg": "Failed to connect to the host via ssh"})
    assert verdict["status"] == "unreachable"
    assert verdict["failures"] == ["host unreachable: Failed to connect to the host via ssh"]


def test_a_failed_probe_beats_cached_facts():
    verdict, judged = judge_host(facts_of(FakeKernel()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES,
                                 probe_result={"failed": True, "msg": "/usr/bin/python3: not found"})
    assert verdict["status"] == "no_facts"
    assert verdict["failures"] == ["fleetcheck.kvm.kvm_facts returned no facts: /usr/bin/python3: not found"]


def test_a_skipped_probe_judges_the_cached_facts():
    verdict, judged = judge_host(facts_of(FakeKernel()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES,
                                 probe_result={"skipped": True, "changed": False})
    assert verdict["status"] == "pass"


def test_a_probe_that_returned_facts_is_judged_on_those_not_the_cached_ones():
    fresh = facts_of(FakeKernel())
    cached = dict(fresh, usable=False, reasons=["stale"])
    verdict, judged = judge_host(cached, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm4",
                                 probe_result={"changed": False, "ansible_facts": {"kvm": fresh}})
    assert verdict["status"] == "pass" and judged is fresh


class RawHostvars(dict):
    def raw_get(self, host):
        return self[host]


def test_host_variables_reads_raw_and_treats_anything_but_a_mapping_as_unknown():
    hostvars = RawHostvars(a={"x": 1}, b="undefined")
    assert host_variables({"hostvars": hostvars}, "a") == {"x": 1}
    assert host_variables({"hostvars": hostvars}, "b") == {}
    assert host_variables({"hostvars": hostvars}, "c") == {}
    assert host_variables({"hostvars": {"a": {"y": 2}}}, "a") == {"y": 2}


def test_malformed_and_newer_facts_are_no_facts_with_the_cause():
    req = check_requirements({}, BUILTIN_PROFILES)
    facts = facts_of(FakeKernel())
    facts["device"] = "/dev/kvm"
    verdict, judged = judge_host(facts, req, BUILTIN_PROFILES, host="bad")
    assert (verdict["status"], verdict["root_causes"][0]["code"], judged) == ("no_facts", "facts.malformed", None)
    assert verdict["failures"] == ["the facts of this host are malformed: device is a string, expected a mapping"]
    verdict = judge_host({"schema_version": 7}, req, BUILTIN_PROFILES, host="new")[0]
    assert verdict["root_causes"][0]["code"] == "facts.newer" and "(schema 7)" in verdict["failures"][0]


def test_a_judge_that_raises_costs_only_its_own_host(monkeypatch):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils import _action
    monkeypatch.setattr(_action, "evaluate", lambda *args, **kwargs: 1 / 0)
    verdict = judge_host(facts_of(FakeKernel()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="odd")[0]
    assert verdict["status"] == "no_facts" and "ZeroDivisionError" in verdict["failures"][0]


def test_a_probe_cut_off_by_the_deadline_is_coded_as_a_timeout():
    result = {"failed": True, "msg": "The fleetcheck.kvm.kvm_facts action failed to execute in the expected time "
                                     "frame (60) and was terminated"}
    verdict = judge_host(None, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="slow", probe_result=result)[0]
    assert verdict["root_causes"][0]["code"] == "probe.timeout" and "within 60 s" in verdict["failures"][0]


def test_facts_that_are_null_are_named_as_received_not_as_no_output():
    verdict, judged = judge_host(None, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm4",
                                 probe_result={"changed": False, "ansible_facts": {"kvm": None}})
    assert judged is None and verdict["status"] == "no_facts"
    assert verdict["root_causes"][0]["code"] == "facts.malformed"
    assert "returned ansible_facts.kvm as null" in verdict["failures"][0] and "no output" not in verdict["failures"][0]
