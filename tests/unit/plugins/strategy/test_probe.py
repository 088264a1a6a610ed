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

from ansible_collections.fleetcheck.kvm.plugins.strategy import probe


class Host(object):
    def __init__(self, name):
        self.name = name


class Task(object):
    _uuid = "task-uuid"


class Worker(object):
    def __init__(self, host, exitcode):
        self._host, self._task, self.exitcode, self._task_vars = Host(host), Task(), exitcode, {}


class OldQueue(object):
    """ansible-core 2.16 to 2.18: send_task_result(host name, task uuid, return data, task_fields)."""

    def __init__(self):
        self.sent = []

    def send_task_result(self, *args, **kwargs):
        self.sent.append((args, kwargs))


def strategy(workers, blocked):
    found = probe.StrategyModule.__new__(probe.StrategyModule)  # no TaskQueueManager: only what the check reads
    found._workers, found._blocked_hosts, found._final_q, found._dead_since = workers, blocked, OldQueue(), {}
    return found


def test_exit_statuses_are_named():
    assert probe.exit_status(-signal.SIGKILL) == "killed by SIGKILL"
    assert probe.exit_status(-signal.SIGINT) == "killed by SIGINT"
    assert probe.exit_status(1) == "exit status 1"


def test_a_dead_worker_whose_host_waits_fails_it_once_after_the_grace(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(probe.time, "monotonic", lambda: now[0])
    dead = Worker("hang", -signal.SIGKILL)
    running, answered = Worker("busy", None), Worker("done", 0)
    found = strategy([dead, running, answered, None], {"hang": True, "busy": True, "done": False})
    found._fail_dead_workers()
    assert found._final_q.sent == [] and found._workers[0] is dead  # a result it sent may still be queued
    now[0] += probe.GRACE + 0.1
    found._fail_dead_workers()
    (args, kwargs), = found._final_q.sent
    assert args[:2] == ("hang", "task-uuid") and kwargs == {"task_fields": {}}
    assert args[2] == {"failed": True, "msg": probe.DIED % "killed by SIGKILL"}
    assert found._workers == [None, running, answered, None]  # the slot is free; the others untouched
    found._fail_dead_workers()
    assert len(found._final_q.sent) == 1


def test_a_dead_worker_whose_host_already_has_its_result_is_only_cleared():
    found = strategy([Worker("hang", -signal.SIGTERM)], {"hang": False})
    found._fail_dead_workers()
    assert found._final_q.sent == [] and found._workers == [None]


class Tqm(object):
    _terminated = False


def waiting(pending, results, monkeypatch, arrives_after=None):
    """A strategy with `pending` tasks in flight and `results` queued; the clock moves only when it sleeps, and a
    result arrives after `arrives_after` sleeps. Returns the strategy and the sleeps it took."""
    found = strategy([], {})
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
