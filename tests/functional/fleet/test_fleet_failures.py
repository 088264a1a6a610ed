# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An audit in which every host's probe fails (or the host is unreachable) still writes all four
reports, with every targeted host in each (hosts left out by --limit stay out), and each reason
names the cause and the fix.
On the oldest ansible-core, which still runs modules on Python 2.7, kvm_facts itself says so."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re
import stat
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PYTHON27 = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7.*/bin/python2.7")))
# host -> (interpreter, phrases its reason must hold)
FAILING = {
    "fc11o-missing": ("/usr/bin/python9", ["no Python interpreter at /usr/bin/python9", "set ansible_python_interpreter"]),
    "fc11o-pyenv": ("{work}/shims/python3.13", ["pyenv shim has no python3.13", "set ansible_python_interpreter"]),
    "fc11o-noexec": ("{work}/noexec/python3", ["permission denied", "rc 126"]),
    "fc11o-py27": (PYTHON27[-1] if PYTHON27 else "", ["too old for this ansible-core", "set ansible_python_interpreter"]),
}
GHOST = "fc11o-ghost"  # unreachable: nothing listens on port 9
EXCLUDED = "fc11o-excluded"


def write_executable(path, text, mode=0o755):
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


@pytest.fixture(scope="module")
def audited(tmp_path_factory, ansible_bin):
    if not PYTHON27:
        missing("no CPython 2.7 under ~/.pyenv/versions for the too-old interpreter case")
    work = str(tmp_path_factory.mktemp("allfail"))
    # what pyenv's shim prints when the version is not installed for this shell
    write_executable(os.path.join(work, "shims", "python3.13"),
                     "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\n"
                     "echo \"The \\`python3.13' command exists in these Python versions:\" >&2\nexit 127\n")
    write_executable(os.path.join(work, "noexec", "python3"), "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n",
                     stat.S_IRUSR | stat.S_IWUSR)
    inventory = os.path.join(work, "hosts.ini")
    with open(inventory, "w") as handle:
        handle.write("[fleet]\n")
        for host, (interpreter, _phrases) in FAILING.items():
            handle.write("%s ansible_python_interpreter=%s\n" % (host, interpreter.format(work=work)))
        handle.write("%s ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=9 ansible_ssh_common_args="
                     "'-o ConnectTimeout=5 -o StrictHostKeyChecking=no -o BatchMode=yes'\n" % GHOST)
        handle.write("[other]\n%s ansible_python_interpreter=/usr/bin/python9\n" % EXCLUDED)
        handle.write("[all:vars]\nansible_connection=local\n")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    reports = os.path.join(work, "reports")
    process = subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "fleetcheck.kvm.audit", "-i", inventory,
                              "--limit", "fleet", "-e", "kvm_audit_report_dir=%s" % reports],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             check=False)
    return reports, process.returncode, process.stdout


def test_the_run_fails_and_names_every_host(audited):
    reports, rc, output = audited
    assert rc != 0, output
    assert "KVM fleet audit: 5 hosts: 0 pass, 0 fail, 1 unreachable, 4 without facts" in output, output
    recap = output.split("PLAY RECAP", 1)[1]
    for host in FAILING:  # each host fails its own task: the recap names it
        assert re.search(r"^%s\s+:.*failed=1" % host, recap, re.M), recap
    assert re.search(r"^%s\s+:.*unreachable=1" % GHOST, recap, re.M), recap


def test_all_four_reports_are_written_with_every_targeted_host_and_no_other(audited):
    reports, rc, output = audited
    for name in ("fleet.json", "junit.xml", "fleet.md", "fleet.html"):
        path = os.path.join(reports, name)
        assert os.path.exists(path), output
        with open(path) as handle:
            text = handle.read()
        for host in list(FAILING) + [GHOST]:
            assert host in text, (name, host)
        assert EXCLUDED not in text, name
    suites = [suite.get("name") for suite in ET.parse(os.path.join(reports, "junit.xml")).getroot().iter("testsuite")]
    assert sorted(suites) == sorted(list(FAILING) + [GHOST])


def test_each_reason_says_the_cause_and_the_fix(audited):
    with open(os.path.join(audited[0], "fleet.json")) as handle:
        data = json.load(handle)
    assert data["counts"]["total"] == len(FAILING) + 1 and data["counts"]["no_facts"] == len(FAILING)
    records = dict((record["host"], record) for record in data["hosts"])
    assert set(records) == set(FAILING) | set([GHOST])
    assert records[GHOST]["status"] == "unreachable"
    for host, (_interpreter, phrases) in FAILING.items():
        assert records[host]["status"] == "no_facts"
        reason = records[host]["failures"][0]
        for phrase in phrases:
            assert phrase in reason, reason
        assert "deserialization" not in reason


def test_kvm_facts_on_python_2_7_under_the_oldest_core_says_what_to_do(tmp_path, ansible_bin):
    oldest = os.path.join(ROOT, ".cache", "cores", "oldest", "bin")
    if not os.path.exists(os.path.join(oldest, "ansible")):
        missing("the oldest ansible-core venv is not set up (tools/test-all.sh sets it up)")
    if not PYTHON27:
        missing("no CPython 2.7 under ~/.pyenv/versions")
    subprocess.check_call([os.path.join(ansible_bin, "ansible-galaxy"), "collection", "build", "--output-path",
                           str(tmp_path / "dist"), ROOT], stdout=subprocess.DEVNULL)
    subprocess.check_call([os.path.join(oldest, "ansible-galaxy"), "collection", "install", "--force", "-p", str(tmp_path / "c")]
                          + glob.glob(str(tmp_path / "dist" / "*.tar.gz")), stdout=subprocess.DEVNULL)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "c"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    process = subprocess.run([os.path.join(oldest, "ansible"), "localhost", "-c", "local", "-m", "fleetcheck.kvm.kvm_facts",
                              "-e", "ansible_python_interpreter=%s" % PYTHON27[-1]],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert process.returncode != 0, process.stdout
    # 2.16 has no json callback for ad-hoc runs: the minimal output is "localhost | FAILED! => {...}"
    assert "localhost | FAILED! => " in process.stdout, process.stdout
    result = json.loads(process.stdout.split("localhost | FAILED! => ", 1)[1])
    assert "exception" not in result, result
    assert "needs Python 3.6 or newer on the managed host" in result["msg"]
    assert "%s (Python 2.7." % PYTHON27[-1] in result["msg"]
    assert "ansible_python_interpreter=/usr/bin/python3" in result["msg"]
