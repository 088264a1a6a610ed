# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metrics for real: the role, on this machine, drops its verdict into a textfile directory (check mode and
diff first, then written, then left as it is), kvm_report writes fleet.prom; promtool (Debian's prometheus)
accepts both, and a real node_exporter started on loopback serves them back over HTTP with the verdict's
values. (Hostile label values are the unit tests' cases, tests/unit/plugins/plugin_utils/_report/test_prometheus.py.)"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket
import subprocess
import time
import urllib.request

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOLS = os.path.join(ROOT, ".cache", "prometheus", "usr", "bin")
PLAYBOOK = """
- name: Judge this machine and write its metrics
  hosts: all
  gather_facts: false
  roles:
    - role: fleetcheck.kvm.validate
  post_tasks:
    - name: Write the fleet's reports
      fleetcheck.kvm.kvm_report:
        dest: "{{ reports }}"
        hosts: "{{ ansible_play_hosts_all }}"
      run_once: true
      delegate_to: localhost
"""


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.access(path, os.X_OK):
        missing("%s is not unpacked (tools/test-all.sh does it: fc_prometheus_tools)" % path)
    return path


def play(ansible_bin, work, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    return subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "-i", str(work / "hosts.ini"),
                           str(work / "play.yml"), "-e", "kvm_validate_mode=audit",
                           "-e", "kvm_validate_textfile_directory=%s" % (work / "textfile"),
                           "-e", "reports=%s" % (work / "reports")] + list(extra),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=600, check=False)


def metrics_task(output):
    """How the task that writes the metrics ended: changed, ok or skipping."""
    return re.search(r"^TASK \[fleetcheck\.kvm\.validate : Write this host's KVM metrics[^\n]*\n+(?:--- [^\n]*\n)?"
                     r"(?:[^\n]*\n)*?(changed|ok|skipping): \[this\]", output, re.M).group(1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("prometheus")
    (work / "hosts.ini").write_text(u"this ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    (work / "play.yml").write_text(PLAYBOOK)
    (work / "textfile").mkdir()
    checked = play(ansible_bin, work, "--check", "--diff")
    listed_after_check = os.listdir(str(work / "textfile"))
    applied = play(ansible_bin, work)
    again = play(ansible_bin, work)
    return work, checked, listed_after_check, applied, again


def test_check_mode_shows_the_file_and_writes_nothing_then_it_is_written_once(runs):
    work, checked, listed_after_check, applied, again = runs
    assert checked.returncode == 0 and applied.returncode == 0 and again.returncode == 0, again.stdout[-3000:]
    assert listed_after_check == [], "check mode wrote nothing"
    assert "+fleetcheck_kvm_host_usable " in checked.stdout, "the diff shows the new file's lines"
    assert [metrics_task(run.stdout) for run in (checked, applied, again)] == ["changed", "changed", "ok"], \
        "shown in check mode, written, then an unchanged verdict leaves the file as it is"
    assert os.listdir(str(work / "textfile")) == ["fleetcheck_kvm.prom"]


def test_promtool_accepts_the_host_file_and_fleet_prom(runs):
    work = runs[0]
    for path in (work / "textfile" / "fleetcheck_kvm.prom", work / "reports" / "fleet.prom"):
        with open(str(path), "rb") as handle:
            checked = subprocess.run([tool("promtool"), "check", "metrics"], stdin=handle, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert checked.returncode == 0 and checked.stdout.strip() == "", (path, checked.stdout)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(directory):
    """The fleetcheck samples node_exporter serves from its textfile collector reading directory."""
    port = free_port()
    exporter = subprocess.Popen([tool("prometheus-node-exporter"), "--web.listen-address=127.0.0.1:%d" % port,
                                 "--collector.disable-defaults", "--collector.textfile",
                                 "--collector.textfile.directory=%s" % directory],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as response:
                    text = response.read().decode("utf-8")
                break
            except OSError:  # not listening yet (URLError is an OSError)
                assert time.monotonic() < deadline, "node_exporter did not answer within 30 s"
                time.sleep(0.2)
    finally:
        exporter.terminate()
        exporter.wait(10)
    assert "node_textfile_scrape_error 0" in text
    return dict((line.rsplit(" ", 1)[0], float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                if line.startswith("fleetcheck_kvm_"))


def test_node_exporter_serves_the_verdict_of_this_host_and_of_the_fleet(runs):
    work = runs[0]
    with open(str(work / "reports" / "fleet.json")) as handle:
        [record] = json.load(handle)["hosts"]
    usable = 1.0 if record["summary"]["usable"] is True else 0.0
    own = scrape(str(work / "textfile"))
    assert own["fleetcheck_kvm_host_usable"] == usable
    assert own['fleetcheck_kvm_host_status{status="%s"}' % record["status"]] == 1.0
    assert sum(v for k, v in own.items() if k.startswith("fleetcheck_kvm_host_status{")) == 1.0
    [info] = [k for k in own if k.startswith("fleetcheck_kvm_host_info{")]
    assert 'backend="%s"' % record["summary"]["backend"] in info and 'api_version="%s"' % record["summary"][
        "api_version"] in info
    fleet = scrape(str(work / "reports"))  # fleet.prom is a link through latest/: the collector follows it
    assert fleet['fleetcheck_kvm_host_usable{host="this"}'] == usable
    assert fleet['fleetcheck_kvm_hosts{status="%s"}' % record["status"]] == 1.0
