# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe play's strategy: ansible.builtin.free, where a worker that dies without answering fails its own host.

ansible-core's free strategy waits for a worker's result as long as the host is blocked on it; a worker process
killed outright (SIGKILL, or a signal it does not handle) never sends one, so the play never ends and the audit
writes no report. The probe's own deadline (the task's timeout) lives in that dead worker and cannot fire. This
strategy looks at its workers each time it reads results: one that has exited with a non-zero status while its host
still waits is given, after a short grace (a result it sent may still be in the queue), a failed result saying
that it died, and its slot is freed, so that the host is reported (probe.worker_died) and the audit goes on.

It also waits for results without the free strategy's busy loop. ansible-core's free strategy, between two
results, walks every host of the play about a thousand times a second (the inventory's host list, then a peek at
each host's next task, which copies its state); while the hosts' modules run, that walk costs the controller more
than the tasks themselves (measured over SSH at 30 hosts: 134 ms of controller CPU a host for one module task
under free, 102 ms under linear). Here, while a task is in flight and no result is waiting, it only looks at the
result queue (every millisecond, up to IDLE seconds) before the next walk: a result is taken as soon as it comes.
And when every fork is busy, ansible-core's queue looks at each worker every 0.1 ms until one exits (measured: at 30
hosts and 15 forks, 155,000 looks, the largest part of the controller's own CPU in the probe play). Here it sleeps
until a worker exits (the kernel wakes it on the worker's sentinel, its end of a pipe), then queues as before.

A host whose task came back runs the implicit meta tasks that follow and read no variable (plugin_utils/_meta_tasks.py)
at once: the free strategy would resolve the host's variables, its new facts copied, for each.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: probe
short_description: Free strategy in which a worker that dies without answering fails its own host
description:
  - Runs tasks as the C(ansible.builtin.free) strategy does.
  - When the worker process running a task for a host dies before it sends a result (killed by a signal, or exited
    with an error), that host's task fails with a message naming the exit status, instead of the play waiting for
    it forever. The other hosts are not touched, and the dead worker's slot takes the next host at once.
  - When every fork is busy, it sleeps until a worker exits instead of looking at every worker ten thousand times
    a second as ansible-core's queue does.
  - When a host's task comes back, the implicit meta tasks that follow it and read no variable (the end of an
    imported role, the flush of handlers) run at once, without resolving the host's variables (a copy of the facts
    it just returned).
  - The fleet audit playbook C(fleetcheck.kvm.audit) runs its probe play with it.
author:
  - fleetcheck.kvm developers (@fleetcheck)
version_added: 0.1.0
"""

import inspect
import signal
import time
import typing as t
from multiprocessing.connection import wait as wait_for_exit

from ansible.errors import AnsibleError
from ansible.plugins.strategy.free import StrategyModule as FreeStrategy

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._meta_tasks import result_host, run_plain_meta

GRACE = 1.0  # seconds a dead worker's host waits for a result the worker may have sent just before it died
IDLE = 0.05  # the longest wait for a result before the free strategy's next walk over the hosts
POLL = 0.001  # how often the wait looks at the result queue (ansible-core's own internal poll interval)
DIED = "the worker process running this task for the host died before it answered (%s)"


def exit_status(code: int) -> str:
    """Words for a multiprocessing exit code: negative is the signal that ended the process."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "signal %d" % -code
        return "killed by %s" % name
    return "exit status %d" % code


def send_failure(final_q: t.Any, host: t.Any, task: t.Any, message: str, task_vars: dict[str, t.Any] | None = None) -> None:
    """Send the host's failed result through the queue the worker would have used, in this ansible-core's form."""
    parameters = list(inspect.signature(final_q.send_task_result).parameters)
    if parameters[:3] == ["host", "task", "utr"]:  # ansible-core 2.21 and later: a result made in the task's context
        from ansible._internal import _task  # pylint: disable=import-outside-toplevel
        with _task.TaskContext.create(task=task, task_vars=dict(task_vars or {}), host_name=host.name):
            result = None
            try:
                raise AnsibleError(message)
            except AnsibleError as error:
                result = _task.UnifiedTaskResult.create_from_action_exception(error)
            result.finalize_registered_values()
        final_q.send_task_result(host, task, result)
    elif parameters[:1] == ["task_result"]:  # 2.19 and 2.20
        from ansible.executor.task_result import _RawTaskResult  # pylint: disable=import-outside-toplevel
        final_q.send_task_result(_RawTaskResult(host=host, task=task, return_data={"failed": True, "msg": message},
                                                task_fields={}))
    else:  # 2.16 to 2.18
        final_q.send_task_result(host.name, task._uuid, {"failed": True, "msg": message}, task_fields={})


class StrategyModule(FreeStrategy):
    """ansible.builtin.free, and a dead worker's host fails instead of blocking the play."""

    def __init__(self, tqm: t.Any) -> None:
        super().__init__(tqm)
        # Workers that died while their host waited, out of their slot so that it can be used again:
        # [when first seen dead, host, task, task_vars, exit code]
        self._dead: list[list[t.Any]] = []

    def _queue_task(self, host: t.Any, task: t.Any, task_vars: dict[str, t.Any], play_context: t.Any) -> None:
        self._wait_for_a_free_worker()
        super()._queue_task(host, task, task_vars, play_context)

    def _wait_for_a_free_worker(self) -> None:
        """Return when a slot is free (or the run ends), asleep until a worker exits instead of spinning."""
        while not self._tqm._terminated:
            self._take_dead_workers()
            sentinels = []
            for worker in self._workers:
                if worker is None or not worker.is_alive():
                    return
                sentinels.append(worker.sentinel)
            wait_for_exit(sentinels, timeout=IDLE)  # bounded: a signal's end of the run is seen

    def _process_pending_results(self, iterator: t.Any, one_pass: bool = False, max_passes: int | None = None) -> t.Any:
        self._fail_dead_workers()
        self._wait_for_a_result()
        results = super()._process_pending_results(iterator, one_pass=one_pass, max_passes=max_passes)
        # A host whose task came back: the end of its role and the flush of its handlers run now, without the free
        # strategy's variable resolution (plugin_utils/_meta_tasks.py), which would copy the facts it just returned.
        for host in dict((id(h), h) for h in (result_host(r) for r in results or ()) if h is not None).values():
            run_plain_meta(self, iterator, host)
        return results

    def _wait_for_a_result(self) -> None:
        """While tasks are in flight and nothing has come back, wait here instead of walking every host again."""
        deadline = time.monotonic() + IDLE
        while self._pending_results > 0 and not self._results and not self._tqm._terminated:
            if time.monotonic() >= deadline:
                return
            time.sleep(POLL)

    def _waits_for(self, host: t.Any, task: t.Any) -> bool:
        """Whether the host's task has had no result yet (ansible-core drops its queue entry when one is read)."""
        queued = getattr(self, "_queued_task_cache", None)
        if isinstance(queued, dict):
            return (host.name, getattr(task, "_uuid", None)) in queued
        return bool(self._blocked_hosts.get(host.name))

    def _take_dead_workers(self) -> None:
        """Move each worker that exited with an error out of its slot; remember it while its host's task waits."""
        now = time.monotonic()
        for slot, worker in enumerate(self._workers):
            code = getattr(worker, "exitcode", None)
            if not code:  # no worker, still running, or done after sending its result
                continue
            self._workers[slot] = None
            host, task = getattr(worker, "_host", None), getattr(worker, "_task", None)
            if host is not None and task is not None and self._waits_for(host, task):
                self._dead.append([now, host, task, getattr(worker, "_task_vars", None), code])
            close = getattr(worker, "close", None)
            if callable(close):
                close()  # its pipe to the kernel's exit notice; the slot's next worker would close it otherwise

    def _fail_dead_workers(self) -> None:
        """Fail, after the grace (a result it sent may still be queued), each host whose worker died unanswered."""
        self._take_dead_workers()
        now, waiting = time.monotonic(), []
        for dead in self._dead:
            since, host, task, task_vars, code = dead
            if not self._waits_for(host, task):
                continue  # its result came after all
            if now - since < GRACE:
                waiting.append(dead)
                continue
            send_failure(self._final_q, host, task, DIED % exit_status(code), task_vars)
        self._dead = waiting
