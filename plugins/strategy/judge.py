# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge play's strategy: ansible.builtin.linear, in which the fleet's judge gives each host its verdict.

The fleet's judge (fleetcheck.kvm.kvm_validate with hosts) runs once and returns every host's verdict. Each host
then needs it as its own cacheable fact, kvm_validate_result. With set_fact that is one loop item per host, and
ansible-core resolves each delegated host's variables for its item (a copy of its facts included): measured, 7 to
14 ms of controller CPU a host, as much as the judging of the whole fleet. This strategy sets the same facts
(cacheable: the host's facts and its play facts, as set_fact with cacheable does) in the controller's own process
as soon as the judge's result is read, and tells the role's loop, by the result's verdicts_id, that they are set.
Under any other strategy the loop does the work, as before.

The implicit meta tasks that read no variable (plugin_utils/_meta_tasks.py) run here without the per-host variable
resolution that linear does before it looks at a task: the audit's check, judge and metrics plays each end an
imported role.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: judge
short_description: Linear strategy in which the fleet's judge gives each host its verdict as a fact
description:
  - Runs tasks as the C(ansible.builtin.linear) strategy does.
  - When a M(fleetcheck.kvm.kvm_validate) task that judged several hosts (O(fleetcheck.kvm.kvm_validate#module:hosts))
    returns, each judged host gets its verdict as the cacheable fact C(kvm_validate_result) at once, as
    C(ansible.builtin.set_fact) with C(cacheable) would give it, without a task per host.
  - The implicit meta tasks that read no variable, the end of an imported role and the flush of handlers, run as
    C(ansible.builtin.linear) runs them but without resolving each host's variables first (a copy of its facts).
  - The fleet audit playbook C(fleetcheck.kvm.audit) runs its check, judge and metrics plays with it; the role
    C(fleetcheck.kvm.validate)'s C(verdicts_fleet) and C(judge_fleet) entry points then skip their own loop.
author:
  - fleetcheck.kvm developers (@fleetcheck)
version_added: 0.1.0
"""

import typing as t

from ansible.plugins.strategy.linear import StrategyModule as LinearStrategy

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._meta_tasks import needs_no_variables

JUDGE_ACTIONS = frozenset(("fleetcheck.kvm.kvm_validate", "kvm_validate"))
FACT = "kvm_validate_result"
GIVEN = "__kvm_validate_verdicts_given"  # the verdicts_id of the judge whose verdicts the hosts hold


def return_data(result: object) -> dict[str, t.Any] | None:
    """A processed task result's return values, in this ansible-core's form; None when not recognised."""
    for name in ("_return_data", "_result"):  # 2.19 and 2.20; 2.16 to 2.18
        data = getattr(result, name, None)
        if isinstance(data, dict):
            return data
    unified = getattr(result, "utr", None)  # 2.21 and later
    as_dict = getattr(unified, "as_result_dict", None)
    if callable(as_dict):
        data = as_dict()
        return data if isinstance(data, dict) else None
    return None


def judged(result: object) -> tuple[str, dict[str, t.Any]] | None:
    """(verdicts_id, {host: verdict}) of a fleet judge's result, else None."""
    task = getattr(result, "task", None) or getattr(result, "_task", None)
    if getattr(task, "action", None) not in JUDGE_ACTIONS:
        return None
    data = return_data(result)
    if data is None or data.get("failed") or data.get("skipped"):
        return None
    verdicts, verdicts_id = data.get("verdicts"), data.get("verdicts_id")
    if not isinstance(verdicts, dict) or not isinstance(verdicts_id, str):
        return None
    return verdicts_id, verdicts


class StrategyModule(LinearStrategy):
    """ansible.builtin.linear, and each host judged by the fleet's judge gets its verdict as a cacheable fact."""

    def _get_next_task_lockstep(self, hosts: list[t.Any], iterator: t.Any) -> list[t.Any]:
        """The next task of the hosts in lock step, as linear gives it; the implicit meta tasks that read no variable
        (plugin_utils/_meta_tasks.py) are run here, as linear runs them, without resolving each host's variables."""
        while True:
            host_tasks: list[t.Any] = super()._get_next_task_lockstep(hosts, iterator)
            if not host_tasks or not all(needs_no_variables(task) for _host, task in host_tasks):
                return host_tasks
            for host, task in host_tasks:
                self._execute_meta(task, None, iterator, host)

    def _process_pending_results(self, iterator: t.Any, one_pass: bool = False, max_passes: int | None = None) -> t.Any:
        results = super()._process_pending_results(
            iterator, one_pass=one_pass, max_passes=max_passes)
        for result in results or ():
            found = judged(result)
            if found is not None:
                self.give_verdicts(*found)
        return results

    def give_verdicts(self, verdicts_id: str, verdicts: dict[str, t.Any]) -> None:
        """Each known host's verdict as set_fact with cacheable sets it: its facts (the fact cache) and its play
        facts; and the id of the judge that gave them, for the role's loop to see that it has nothing to do."""
        for host, verdict in verdicts.items():
            if not isinstance(host, str) or self._inventory.get_host(host) is None:
                continue
            self._variable_manager.set_host_facts(host, {FACT: verdict})
            self._variable_manager.set_nonpersistent_facts(host, {FACT: verdict, GIVEN: verdicts_id})
