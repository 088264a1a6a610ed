# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The implicit meta tasks that read no variable: which tasks they are (real ansible-core tasks), and that the audit's
strategies run them as ansible-core would, without resolving the host's variables. (The real plays: the fleet audit's
functional tests, whose recap and reports are unchanged, on the oldest, current and newest ansible-core.)"""

from __future__ import annotations

import pytest

from ansible.playbook.task import Task
from ansible.plugins.strategy.linear import StrategyModule as Linear

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils import _meta_tasks
from ansible_collections.fleetcheck.kvm.plugins.strategy import judge


def module_task():
    task = Task()
    task.action, task.args = "ansible.builtin.debug", {"msg": "x"}
    return task


def meta(action, implicit=True, when=None):
    data = {"meta": action}
    if when is not None:
        data["when"] = when
    task = Task.load(data)
    task.implicit = implicit
    return task


@pytest.mark.parametrize("task, plain", [
    (meta("role_complete"), True),
    (meta("flush_handlers"), True),
    (meta("role_complete", when=[True]), True),  # as ansible-core 2.19 makes it
    (meta("flush_handlers", implicit=False), False),  # written in a play: it may be there for a reason
    (meta("flush_handlers", when="run_them | bool"), False),  # a condition reads variables
    (meta("end_host"), False),
    (meta("reset_connection"), False),  # needs the play context and the host's variables
    (module_task(), False),
    (None, False),
])
def test_only_implicit_unconditional_role_ends_and_flushes_need_no_variables(task, plain):
    assert _meta_tasks.needs_no_variables(task) is plain


class Host(object):
    def __init__(self, name):
        self.name = name


class Iterator(object):
    """A host's remaining tasks; peek gives the next with the state after it, set_state_for_host moves on."""

    def __init__(self, tasks):
        self.tasks = dict((host, list(queue)) for host, queue in tasks.items())

    def get_next_task_for_host(self, host, peek=False):
        queue = self.tasks[host.name]
        return ("after %s" % queue[0].args.get("_raw_params") if queue else None), (queue[0] if queue else None)

    def set_state_for_host(self, name, state):
        self.tasks[name].pop(0)


class Tqm(object):
    def __init__(self, unreachable=()):
        self._unreachable_hosts = dict((name, True) for name in unreachable)


class Strategy(object):
    def __init__(self, blocked=(), unreachable=()):
        self._blocked_hosts = dict((name, True) for name in blocked)
        self._tqm = Tqm(unreachable)
        self.ran = []

    def _execute_meta(self, task, play_context, iterator, host):
        assert play_context is None
        self.ran.append((host.name, task.args["_raw_params"]))
        return []


def test_a_free_host_runs_its_plain_meta_tasks_up_to_its_next_real_task():
    real = module_task()
    later = meta("role_complete")
    iterator = Iterator({"kvm1": [meta("role_complete"), meta("flush_handlers"), real, later]})
    strategy = Strategy()
    assert _meta_tasks.run_plain_meta(strategy, iterator, Host("kvm1")) == 2
    assert strategy.ran == [("kvm1", "role_complete"), ("kvm1", "flush_handlers")]
    assert iterator.tasks["kvm1"] == [real, later]  # the real task is the free strategy's, and what follows it


@pytest.mark.parametrize("blocked, unreachable", [(["kvm1"], []), ([], ["kvm1"])])
def test_a_host_still_waiting_or_unreachable_is_left_to_the_free_strategy(blocked, unreachable):
    iterator = Iterator({"kvm1": [meta("role_complete")]})
    strategy = Strategy(blocked, unreachable)
    assert _meta_tasks.run_plain_meta(strategy, iterator, Host("kvm1")) == 0
    assert strategy.ran == [] and len(iterator.tasks["kvm1"]) == 1


def test_a_result_in_each_core_form_names_its_host():
    class Old(object):
        _host = "h-old"

    class New(object):
        host = "h-new"
    assert [_meta_tasks.result_host(r) for r in (Old(), New(), object())] == ["h-old", "h-new", None]


def test_the_judge_strategy_runs_plain_meta_groups_itself_and_hands_on_the_next_real_group(monkeypatch):
    real = module_task()
    hosts = [Host("kvm1"), Host("kvm2")]
    groups = [[(h, meta("role_complete")) for h in hosts], [(h, meta("flush_handlers")) for h in hosts],
              [(h, real) for h in hosts], []]
    monkeypatch.setattr(Linear, "_get_next_task_lockstep", lambda self, hosts, iterator: groups.pop(0))
    strategy = judge.StrategyModule.__new__(judge.StrategyModule)
    ran = []
    strategy._execute_meta = lambda task, play_context, iterator, host: ran.append((host.name, task.args["_raw_params"]))
    assert strategy._get_next_task_lockstep(hosts, None) == [(h, real) for h in hosts]
    assert ran == [("kvm1", "role_complete"), ("kvm2", "role_complete"),
                   ("kvm1", "flush_handlers"), ("kvm2", "flush_handlers")]
    assert strategy._get_next_task_lockstep(hosts, None) == []  # the end of the play, as linear says it


def test_a_group_with_a_conditional_flush_is_the_linear_strategys(monkeypatch):
    group = [(Host("kvm1"), meta("flush_handlers", when="x | bool"))]
    monkeypatch.setattr(Linear, "_get_next_task_lockstep", lambda self, hosts, iterator: group)
    strategy = judge.StrategyModule.__new__(judge.StrategyModule)
    strategy._execute_meta = None  # must not be called
    assert strategy._get_next_task_lockstep([Host("kvm1")], None) is group
