# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit under signals, with real processes: a killed worker never hangs it, and its report writer never
outlives it, publishes half a set, or leaves a file behind.

- The worker process probing one host is killed (SIGKILL, SIGTERM or SIGINT, to that one process): the audit ends
  at once (its probe deadline is two minutes), that host is reported as probe.worker_died, the other passes, and
  every report is written.
- The playbook is killed with SIGKILL while its report writer renders (30,000 hosts): the writer dies with it,
  nothing is published and nothing is left. With SIGINT to the whole process group (Ctrl-C), the set is published
  whole or not at all, and no process and no unfinished file stays.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess
import time

import pytest

ENV = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
PROBE_DEADLINE = 120  # the audit's probe timeout in these tests: the audit must end long before it


def parent_of(pid):
    with open("/proc/%d/stat" % pid) as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def children_of(pid):
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if parent_of(int(name)) == pid:
                    found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("waited %d s for %s" % (seconds, what))


def leftovers(reports):
    """Files of an unfinished write: a .tmp- set or a link being replaced."""
    found = [n for n in os.listdir(reports) if n.startswith(".") and n != ".sets"] if os.path.isdir(reports) else []
    sets = os.path.join(reports, ".sets")
    return found + ([n for n in os.listdir(sets) if n.startswith(".")] if os.path.isdir(sets) else [])


@pytest.fixture
def hanging_fleet(tmp_path):
    """A host whose probe never answers (its "Python" sleeps), then a healthy one, over the local connection."""
    script = tmp_path / "py-hang"
    script.write_text(u"#!/bin/sh\necho $$ >> %s.pids\nexec sleep 100000\n" % script)
    os.chmod(str(script), 0o755)
    (tmp_path / "hosts.ini").write_text(u"[fleet]\nhang ansible_python_interpreter=%s\n"
                                        u"healthy ansible_python_interpreter=/usr/bin/python3\n"
                                        u"[all:vars]\nansible_connection=local\n" % script)
    yield tmp_path, tmp_path / "py-hang.pids"
    pids = tmp_path / "py-hang.pids"
    for pid in (pids.read_text().split() if pids.exists() else ()):  # the fake host's process: ours to end
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.parametrize("core,number,forks", [("current", signal.SIGKILL, 5), ("current", signal.SIGTERM, 5),
                                               ("current", signal.SIGINT, 5), ("oldest", signal.SIGKILL, 5),
                                               ("newest", signal.SIGKILL, 5), ("current", signal.SIGKILL, 1),
                                               ("oldest", signal.SIGKILL, 1)],
                         ids=["SIGKILL", "SIGTERM", "SIGINT", "SIGKILL-oldest-core", "SIGKILL-newest-core",
                              "SIGKILL-one-fork", "SIGKILL-one-fork-oldest-core"])
def test_a_killed_worker_fails_its_host_and_the_audit_ends(hanging_fleet, ansible_bin, core, number, forks):
    """Each ansible-core takes a dead worker's result in its own form (plugins/strategy/probe.py send_failure).
    With one fork, the healthy host waits for the hanging host's slot: the killed worker's slot goes to it at once,
    and its own host is still failed (the strategy keeps the dead worker apart from its slot)."""
    from ansible_collections.fleetcheck.kvm.tests.functional.galaxy.test_round_trip import core_bin
    work, pids = hanging_fleet
    reports = str(work / "reports")
    started = time.monotonic()
    playbook = subprocess.Popen([os.path.join(core_bin(core, ansible_bin), "ansible-playbook"), "fleetcheck.kvm.audit", "-i",
                                 str(work / "hosts.ini"), "-e", "kvm_audit_report_dir=%s" % reports,
                                 "-e", "kvm_audit_probe_timeout=%d" % PROBE_DEADLINE],
                                env=dict(ENV, ANSIBLE_FORKS=str(forks)), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True)
    try:
        wait_for(lambda: pids.exists() and pids.read_text().strip(), 60, "the hanging host's probe to start")
        worker = int(pids.read_text().split()[0])
        while parent_of(worker) != playbook.pid:  # up from the host's process to the worker that started it
            worker = parent_of(worker)
        assert worker != playbook.pid
        os.kill(worker, number)
        output = playbook.communicate(timeout=PROBE_DEADLINE - 30)[0]
    finally:
        if playbook.poll() is None:
            playbook.kill()
            playbook.communicate()
    took = time.monotonic() - started
    assert playbook.returncode == 2, output[-3000:]  # the failing host fails the run
    assert took < 60, "the audit waited %.0f s" % took
    with open(os.path.join(reports, "fleet.json")) as handle:
        fleet = json.load(handle)
    records = dict((record["host"], record) for record in fleet["hosts"])
    assert records["healthy"]["status"] == "pass"
    assert records["hang"]["status"] == "no_facts"
    codes = [check.get("code") for check in records["hang"]["checks"] if not check["ok"]]
    assert codes == ["probe.worker_died"], records["hang"]["checks"]
    assert "killed by %s" % signal.Signals(number).name in records["hang"]["failures"][0]
    assert sorted(n for n in os.listdir(reports) if not n.startswith(".")) == [
        "fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml", "latest"]
    assert leftovers(reports) == []
    assert children_of(playbook.pid) == []


REPORT_PLAY = u"""- name: Write the reports of a large fleet, on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write them
      fleetcheck.kvm.kvm_report:
        dest: {dest}
        verdicts: {{}}
        hosts: "{{{{ range(0, 30000) | map('string') | list }}}}"
"""


@pytest.mark.parametrize("how", ["SIGKILL to the playbook", "SIGINT to the process group"])
def test_the_report_writer_never_outlives_the_audit_nor_leaves_a_file(tmp_path, ansible_bin, how):
    reports = str(tmp_path / "reports")
    (tmp_path / "write.yml").write_text(REPORT_PLAY.format(dest=reports))
    playbook = subprocess.Popen([os.path.join(ansible_bin, "ansible-playbook"), str(tmp_path / "write.yml")],
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                start_new_session=True)  # its own process group, as a terminal gives it
    writer = None
    try:
        # the worker that runs the kvm_report action: a child of the playbook, once the fleet is being rendered
        writer = wait_for(lambda: children_of(playbook.pid), 120, "the report writer to start")[0]
        wait_for(lambda: os.path.isdir(os.path.join(reports, ".sets")), 60, "the writer to start writing")
        if how.startswith("SIGKILL"):
            playbook.kill()
        else:
            os.killpg(playbook.pid, signal.SIGINT)
        playbook.communicate(timeout=60)
        wait_for(lambda: not alive(writer), 30, "the writer to end with its audit")
    finally:
        if playbook.poll() is None:
            playbook.kill()
            playbook.communicate()
        if writer is not None and alive(writer):
            os.kill(writer, signal.SIGKILL)
    time.sleep(2)  # a writer that lived on would publish now
    names = sorted(n for n in os.listdir(reports) if not n.startswith("."))
    sets = os.listdir(os.path.join(reports, ".sets"))
    if how.startswith("SIGKILL"):
        assert names == [] and sets == [], (names, sets)  # nothing published after the audit died
    else:  # Ctrl-C: the set is whole, or there is none
        assert names in ([], ["fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml", "latest"]), names
        assert len(sets) == (1 if names else 0), sets
    assert leftovers(reports) == []
