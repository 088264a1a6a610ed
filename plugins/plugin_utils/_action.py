# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the collection's controller-side actions (kvm_validate, kvm_report) share."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.schema import KNOWN_SCHEMAS, check_facts
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    no_facts_verdict, unreachable_verdict)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._probe_failures import (
    describe_probe_failure, probe_failure_code)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Facts, Profiles, Requirements, Verdict


class ControllerAction(ActionBase):
    """An action that runs on the controller only and validates its arguments against ARGUMENT_SPEC."""

    TRANSFERS_FILES = False
    ARGUMENT_SPEC: dict[str, Any] = {}

    def start(self, tmp: Any, task_vars: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The opening of every run: (result, validated arguments, task_vars)."""
        task_vars = task_vars or {}
        result: dict[str, Any] = super().run(tmp, task_vars)
        # A copy: validation fills sub-options into a default mapping in place, which must not leak into the next task.
        args: dict[str, Any] = self.validate_argument_spec(argument_spec=copy.deepcopy(self.ARGUMENT_SPEC))[1]
        return result, args, task_vars


def host_variables(task_vars: Mapping[str, Any], host: str) -> Mapping[str, Any]:
    """Another host's variables as stored, not templated; {} for a host the inventory does not know.

    The actions read only what modules and set_fact stored there (facts, registered results, verdicts):
    data, never templates. hostvars.raw_get gives it without running the templating engine over every
    fact of every host, which on ansible-core 2.19 cost about 40 ms a host and nearly all of the time
    of judging a fleet. A hostvars without raw_get (a plain mapping) is read by key.

    hostvars answers an unknown host with an undefined value (not a KeyError), so anything that is not a
    mapping counts as unknown. hostvars is never tested for truth: it has length 0 when the implicit
    localhost is the only host.
    """
    hostvars = task_vars.get("hostvars", {})
    raw_get = getattr(hostvars, "raw_get", None)
    try:
        variables = raw_get(host) if raw_get is not None else hostvars[host]
    except (KeyError, TypeError):
        return {}
    return variables if isinstance(variables, Mapping) else {}


class TaskVariables:
    """Each host's variables as Ansible resolves them for this task had it run on that host.

    A task that runs once for the fleet (run_once) is given the variables of one host; the requirements of
    every other host are its own: host and group variables, facts and set_fact, then the play's vars, the
    role's defaults and the task's vars, by Ansible's precedence (VariableManager.get_vars with this play,
    this host and this task, as the strategy calls it). Where the variables are a plain mapping (no variable
    manager, as in unit tests), a host's own variables are laid over the task's.
    """

    INHERITED = ("kvm_validate_", "kvm_audit_")

    def __init__(self, task: Any, task_vars: dict[str, Any]) -> None:
        self._task = task
        self._task_vars = task_vars
        hostvars = task_vars.get("hostvars", {})
        self._manager = getattr(hostvars, "_variable_manager", None)
        self._inventory = getattr(hostvars, "_inventory", None)
        get_play = getattr(task, "get_play", None)
        self._play = get_play() if self._manager is not None and callable(get_play) else None
        # The play's host lists, as the strategy passes them: never recomputed per host.
        self._hosts = task_vars.get("ansible_play_batch")
        self._hosts_all = task_vars.get("ansible_play_hosts_all")

    @property
    def exact(self) -> bool:
        """Whether the variables come from Ansible's variable manager (else the fallback)."""
        return self._manager is not None and self._inventory is not None and self._play is not None

    def __call__(self, host: str) -> Mapping[str, Any]:
        """The host's variables; {} for a host the inventory does not know."""
        manager, inventory = self._manager, self._inventory
        if manager is None or inventory is None or self._play is None:  # not exact: the fallback
            # the task's settings (kvm_validate_*, kvm_audit_*), then the host's own
            variables = dict((k, v) for k, v in self._task_vars.items() if k.startswith(self.INHERITED))
            variables.update(host_variables(self._task_vars, host))
            return variables
        found = inventory.get_host(host)
        if found is None:
            return {}
        resolved: Mapping[str, Any] = manager.get_vars(play=self._play, host=found, task=self._task, include_hostvars=True,
                                                       _hosts=self._hosts, _hosts_all=self._hosts_all)
        return resolved


def judge_host(facts: object, requirements: Requirements, profiles: Profiles, host: str | None = None,
               probe_result: object = None, core_version: object = None) -> tuple[Verdict, Facts | None]:
    """(verdict, the facts judged) of one host.

    `probe_result` is the registered result of this run's kvm_facts task, if there was one: an
    unreachable host is reported as 'unreachable' and a failed probe as 'no_facts', even when older
    facts of the host are still cached, with the cause and the fix read from the failed result
    (`core_version`: the controller's ansible-core). Otherwise its facts, not the cached ones, are judged.
    """
    if isinstance(probe_result, dict) and not probe_result.get("skipped"):
        if probe_result.get("unreachable"):
            return unreachable_verdict(host, probe_result.get("msg")), None
        answered = probe_result.get("ansible_facts")
        facts = answered.get("kvm") if isinstance(answered, dict) else None
        if facts is None and isinstance(answered, dict) and "kvm" in answered and not probe_result.get("failed"):
            # the module ran and answered, with null where the facts belong: say what came, not "no output"
            return no_facts_verdict(host, "the facts of this host are malformed: kvm_facts returned ansible_facts.kvm "
                                          "as null, not a mapping; probe it again with this version of fleetcheck.kvm",
                                    code="facts.malformed"), None
        if facts is None:
            return no_facts_verdict(host, describe_probe_failure(probe_result, core_version),
                                    code=probe_failure_code(probe_result)), None
    if facts is not None:
        problems, newer = check_facts(facts)
        if newer is not None:
            return no_facts_verdict(host, "the facts of this host were written by a newer fleetcheck.kvm (schema %d); "
                                          "this collection reads schemas %s: update it on the controller"
                                    % (newer, ", ".join(str(v) for v in KNOWN_SCHEMAS)), code="facts.newer"), None
        if problems:
            return no_facts_verdict(host, "the facts of this host are malformed: %s" % "; ".join(problems),
                                    code="facts.malformed"), None
    try:
        return evaluate(facts, requirements, profiles, host=host), facts if isinstance(facts, dict) else None
    except Exception as error:  # pylint: disable=broad-except
        # The door lets through only the shapes the judge reads; should one still surprise it, this host gets
        # the cause, and no other host loses its verdict.
        return no_facts_verdict(host, "the facts of this host could not be judged (%s: %s); probe it again with "
                                      "this version of fleetcheck.kvm" % (type(error).__name__, error),
                                code="facts.malformed"), None
