# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge strategy without a play: the fleet judge's result is found in each ansible-core's result form, and
each known host gets its verdict as set_fact with cacheable gives it. (The real plays: the fleet audit's tests,
whose constructed groups read kvm_validate_result from the fact cache, on the oldest, current and newest
ansible-core.)"""

from __future__ import annotations

from ansible_collections.fleetcheck.kvm.plugins.strategy import judge

VERDICTS = {"kvm1": {"status": "pass"}, "kvm2": {"status": "fail"}}


class Task(object):
    def __init__(self, action):
        self.action = action


class Old(object):
    """ansible-core 2.16 to 2.18: TaskResult, _task and _result."""

    def __init__(self, action, data):
        self._task, self._result = Task(action), data


class Raw(object):
    """2.19 and 2.20: _RawTaskResult, task and _return_data."""

    def __init__(self, action, data):
        self.task, self._return_data = Task(action), data


class Unified(object):
    def __init__(self, data):
        self.data = data

    def as_result_dict(self):
        return dict(self.data)


class Host(object):
    """2.21 and later: HostTaskResult, task and utr."""

    def __init__(self, action, data):
        self.task, self.utr = Task(action), Unified(data)


def fleet_result(**more):
    found = {"verdicts": VERDICTS, "verdicts_id": "abc", "counts": {"pass": 1, "fail": 1}}
    found.update(more)
    return found


def test_the_fleet_judges_result_is_found_in_every_form():
    for form in (Old, Raw, Host):
        assert judge.judged(form("fleetcheck.kvm.kvm_validate", fleet_result())) == ("abc", VERDICTS), form
        assert judge.judged(form("kvm_validate", fleet_result())) == ("abc", VERDICTS), form


def test_other_results_are_left_alone():
    assert judge.judged(Raw("ansible.builtin.set_fact", fleet_result())) is None
    assert judge.judged(Raw("fleetcheck.kvm.kvm_validate", {"verdict": {"status": "pass"}})) is None  # one host
    assert judge.judged(Raw("fleetcheck.kvm.kvm_validate", fleet_result(verdicts_id=None))) is None
    assert judge.judged(Raw("fleetcheck.kvm.kvm_validate", fleet_result(failed=True))) is None
    assert judge.judged(Raw("fleetcheck.kvm.kvm_validate", fleet_result(skipped=True))) is None
    assert judge.judged(object()) is None


class Inventory(object):
    def __init__(self, names):
        self.names = names

    def get_host(self, name):
        return name if name in self.names else None


class Variables(object):
    def __init__(self):
        self.facts, self.play_facts = {}, {}

    def set_host_facts(self, host, facts):
        self.facts.setdefault(host, {}).update(facts)

    def set_nonpersistent_facts(self, host, facts):
        self.play_facts.setdefault(host, {}).update(facts)


def test_each_known_host_gets_its_verdict_as_a_cacheable_fact_and_the_judges_mark():
    strategy = judge.StrategyModule.__new__(judge.StrategyModule)  # no TaskQueueManager: only what it touches
    strategy._inventory, strategy._variable_manager = Inventory(["kvm1", "kvm2"]), Variables()
    strategy.give_verdicts("abc", dict(VERDICTS, gone={"status": "pass"}))
    assert strategy._variable_manager.facts == {"kvm1": {"kvm_validate_result": {"status": "pass"}},
                                                "kvm2": {"kvm_validate_result": {"status": "fail"}}}
    assert strategy._variable_manager.play_facts["kvm2"] == {"kvm_validate_result": {"status": "fail"},
                                                             judge.GIVEN: "abc"}
    assert "gone" not in strategy._variable_manager.play_facts  # not in the inventory: nothing to give
