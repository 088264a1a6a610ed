# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe strategy without a play: a dead worker whose host still waits gets a failed result after the grace,
once; a worker that answered, or still runs, is left alone. (The real processes: tests/functional/fleet/
test_fleet_signals.py, on the oldest, current and newest ansible-core.)"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import signal

import pytest

from ansible_collections.fleetcheck.kvm.plugins.strategy import probe


class Host(object):
    def __init__(self, name):
        self.name = name


class Task(object):
    _uuid = "task-uuid"


class Worker(object):
    def __init__(self, host, exitcode, sentinel=None):
        self._host, self._task, self.exitcode, self._task_vars = Host(host), Task(), exitcode, {}
        self.sentinel, self.closed = sentinel, False

    def is_alive(self):
        return self.exitcode is None

    def close(self):
        assert self.exitcode is not None, "multiprocessing refuses to close a running process"
        self.closed = True


class OldQueue(object):
    """ansible-core 2.16 to 2.18: send_task_result(host name, task uuid, return data, task_fields)."""

    def __init__(self):
        self.sent = []

    def send_task_result(self, *args, **kwargs):
        self.sent.append((args, kwargs))


class Tqm(object):
    _terminated = False


def strategy(workers, waiting_hosts):
    """The strategy without a play: only what the checks read. waiting_hosts: the hosts whose task has no result."""
    found = probe.StrategyModule.__new__(probe.StrategyModule)
    found._workers, found._final_q, found._dead, found._tqm = workers, OldQueue(), [], Tqm()
    found._queued_task_cache = dict(((name, Task._uuid), {}) for name in waiting_hosts)
    found._blocked_hosts = dict((name, True) for name in waiting_hosts)
    return found


def test_exit_statuses_are_named():
    assert probe.exit_status(-signal.SIGKILL) == "killed by SIGKILL"
    assert probe.exit_status(-signal.SIGINT) == "killed by SIGINT"
    assert probe.exit_status(1) == "exit status 1"


def test_a_dead_worker_whose_host_waits_frees_its_slot_at_once_and_fails_the_host_once_after_the_grace(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(probe.time, "monotonic", lambda: now[0])
    dead = Worker("hang", -signal.SIGKILL)
    running, answered = Worker("busy", None), Worker("done", 0)
    found = strategy([dead, running, answered, None], ["hang", "busy"])
    found._fail_dead_workers()
    assert found._final_q.sent == []  # a result it sent may still be queued
    assert found._workers == [None, running, answered, None] and dead.closed  # the slot can take the next task
    now[0] += probe.GRACE + 0.1
    found._fail_dead_workers()
    (args, kwargs), = found._final_q.sent
    assert args[:2] == ("hang", "task-uuid") and kwargs == {"task_fields": {}}
    assert args[2] == {"failed": True, "msg": probe.DIED % "killed by SIGKILL"}
    assert found._workers == [None, running, answered, None] and not answered.closed  # the others untouched
    found._fail_dead_workers()
    assert len(found._final_q.sent) == 1


def test_a_dead_worker_whose_result_came_in_the_grace_fails_nothing(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(probe.time, "monotonic", lambda: now[0])
    found = strategy([Worker("hang", -signal.SIGKILL)], ["hang"])
    found._fail_dead_workers()
    del found._queued_task_cache[("hang", Task._uuid)]  # ansible-core read its result
    found._blocked_hosts["hang"] = True  # and the host went on to its next task, in another worker
    now[0] += probe.GRACE + 0.1
    found._fail_dead_workers()
    assert found._final_q.sent == [] and found._dead == []


def test_a_dead_worker_whose_host_already_has_its_result_is_only_cleared():
    found = strategy([Worker("hang", -signal.SIGTERM)], [])
    found._fail_dead_workers()
    assert found._final_q.sent == [] and found._workers == [None] and found._dead == []


def test_without_a_queue_cache_the_blocked_hosts_say_who_waits():
    found = strategy([Worker("hang", -signal.SIGTERM), Worker("done", -signal.SIGTERM)], ["hang"])
    del found._queued_task_cache
    found._fail_dead_workers()
    assert [dead[1].name for dead in found._dead] == ["hang"]


def test_a_free_slot_is_taken_without_waiting(monkeypatch):
    waits = []
    monkeypatch.setattr(probe, "wait_for_exit", lambda *args, **kwargs: waits.append(args))
    for workers in ([Worker("busy", None), None], [Worker("busy", None), Worker("done", 0)]):
        strategy(workers, ["busy"])._wait_for_a_free_worker()
    assert waits == []


def test_when_every_fork_is_busy_the_queue_sleeps_on_the_workers_until_one_exits(monkeypatch):
    first, second = Worker("a", None, sentinel=11), Worker("b", None, sentinel=12)
    waits = []

    def wait(sentinels, timeout):
        waits.append((list(sentinels), timeout))
        if len(waits) == 2:
            second.exitcode = 0

    monkeypatch.setattr(probe, "wait_for_exit", wait)
    strategy([first, second], ["a", "b"])._wait_for_a_free_worker()
    assert waits == [([11, 12], probe.IDLE)] * 2


def test_a_worker_that_dies_while_every_fork_is_busy_frees_its_slot_and_its_host_is_kept(monkeypatch):
    first, second = Worker("a", None, sentinel=11), Worker("b", None, sentinel=12)

    def wait(_sentinels, timeout):
        first.exitcode = -signal.SIGKILL

    monkeypatch.setattr(probe, "wait_for_exit", wait)
    found = strategy([first, second], ["a", "b"])
    found._wait_for_a_free_worker()
    assert found._workers == [None, second] and [dead[1].name for dead in found._dead] == ["a"]


def test_the_queue_stops_waiting_when_the_run_is_ended(monkeypatch):
    monkeypatch.setattr(probe, "wait_for_exit", lambda *args, **kwargs: pytest.fail("waited after the end"))
    found = strategy([Worker("a", None, sentinel=11)], ["a"])
    found._tqm._terminated = True
    found._wait_for_a_free_worker()
    assert found._workers[0].exitcode is None


def waiting(pending, results, monkeypatch, arrives_after=None):
    """A strategy with `pending` tasks in flight and `results` queued; the clock moves only when it sleeps, and a
    result arrives after `arrives_after` sleeps. Returns the strategy and the sleeps it took."""
    found = strategy([], [])
    found._pending_results, found._results, found._tqm = pending, list(results), Tqm()
    now, sleeps = [0.0], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
        if arrives_after is not None and len(sleeps) == arrives_after:
            found._results.append("a result")

    monkeypatch.setattr(probe.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(probe.time, "sleep", sleep)
    found._wait_for_a_result()
    return found, sleeps


def test_a_queued_result_is_taken_without_waiting(monkeypatch):
    assert waiting(3, ["a result"], monkeypatch)[1] == []


def test_nothing_in_flight_is_not_waited_for(monkeypatch):
    assert waiting(0, [], monkeypatch)[1] == []


def test_the_wait_ends_when_a_result_comes(monkeypatch):
    found, sleeps = waiting(2, [], monkeypatch, arrives_after=7)
    assert sleeps == [probe.POLL] * 7 and found._results == ["a result"]


def test_the_wait_is_bounded_so_that_dead_workers_and_new_hosts_are_seen(monkeypatch):
    _found, sleeps = waiting(2, [], monkeypatch)
    assert 0 < len(sleeps) <= round(probe.IDLE / probe.POLL) + 1 and abs(sum(sleeps) - probe.IDLE) < probe.POLL * 1.5
