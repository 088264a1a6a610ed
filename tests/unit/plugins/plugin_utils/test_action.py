# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the actions share: this run's probe result outweighs cached facts, and other hosts' variables are read raw."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES as PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils.action import host_variables, judge_host
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def facts_of(kernel):
    return gather(["all"], kernel=kernel)


def test_an_unreachable_probe_beats_cached_facts():
    cached = facts_of(FakeKernel())
    verdict, judged = judge_host(cached, check_requirements({}, PROFILES), PROFILES, host="kvm3",
                                 probe_result={"unreachable": True, "msg": "Failed to connect to the host via ssh"})
    assert verdict["status"] == "unreachable"
    assert verdict["failures"] == ["host unreachable: Failed to connect to the host via ssh"]


def test_a_failed_probe_beats_cached_facts():
    verdict, judged = judge_host(facts_of(FakeKernel()), check_requirements({}, PROFILES), PROFILES,
                                 probe_result={"failed": True, "msg": "/usr/bin/python3: not found"})
    assert verdict["status"] == "no_facts"
    assert verdict["failures"] == ["fleetcheck.kvm.kvm_facts returned no facts: /usr/bin/python3: not found"]


def test_a_skipped_probe_judges_the_cached_facts():
    verdict, judged = judge_host(facts_of(FakeKernel()), check_requirements({}, PROFILES), PROFILES,
                                 probe_result={"skipped": True, "changed": False})
    assert verdict["status"] == "pass"


def test_a_probe_that_returned_facts_is_judged_on_those_not_the_cached_ones():
    fresh = facts_of(FakeKernel())
    cached = dict(fresh, usable=False, reasons=["stale"])
    verdict, judged = judge_host(cached, check_requirements({}, PROFILES), PROFILES, host="kvm4",
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
