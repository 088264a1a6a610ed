# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A side output never costs the fleet its reports: hosts whose textfile directory is missing, or is a file, get a
warning with a code (metrics.not_written) and keep their status; every report is written; the directory is
created only when asked; check mode says what a real run would do and changes nothing.

Real local hosts (this machine's probe), each with its own kvm_validate_textfile_directory as a host variable."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import pytest

HOSTS = ("t-ok", "t-missing", "t-create", "t-file")


def audit(ansible_bin, inventory, reports, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    return subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "fleetcheck.kvm.audit", "-i", str(inventory),
                           "-e", "kvm_audit_report_dir=%s" % reports] + list(extra), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False, timeout=600)


def inventory(work):
    (work / "ok").mkdir()
    (work / "a-file").write_text(u"not a directory\n")
    where = {"t-ok": {"kvm_validate_textfile_directory": str(work / "ok")},
             "t-missing": {"kvm_validate_textfile_directory": str(work / "missing")},
             "t-create": {"kvm_validate_textfile_directory": str(work / "made"), "kvm_validate_textfile_create": True},
             "t-file": {"kvm_validate_textfile_directory": str(work / "a-file")}}
    path = work / "hosts.yml"
    # the hosts pass on any machine: only what is written differs between them
    path.write_text(json.dumps({"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter":
                                                 "/usr/bin/python3", "kvm_validate_require_vcpu_run": False},
                                        "hosts": dict((h, where[h]) for h in HOSTS)}}))
    return path


def records(reports):
    with open(str(reports / "fleet.json")) as handle:
        return dict((r["host"], r) for r in json.load(handle)["hosts"])


def warning_codes(record):
    return [c["code"] for c in record["root_causes"] if c["severity"] == "warn"]


@pytest.fixture(scope="module")
def checked_then_run(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("textfiles")
    hosts = inventory(work)
    checked = audit(ansible_bin, hosts, work / "checked", "--check")
    after_check = sorted(os.listdir(str(work))) + ["ok/" + name for name in os.listdir(str(work / "ok"))]
    real = audit(ansible_bin, hosts, work / "real")
    return work, checked, after_check, real


def test_check_mode_creates_nothing_and_says_what_would_be_missing(checked_then_run):
    work, checked, after_check = checked_then_run[:3]
    assert "missing" not in after_check and "made" not in after_check and "ok/fleetcheck_kvm.prom" not in after_check, \
        after_check
    summary = " ".join(checked.stdout.split())
    assert "metrics.not_written: the metrics were not written: %s does not exist on this host" % (work / "missing") \
        in summary
    assert "%s is not a directory" % (work / "a-file") in summary


def test_a_missing_directory_is_a_warning_and_every_report_is_written(checked_then_run):
    work, real = checked_then_run[0], checked_then_run[3]
    assert real.returncode == 0, real.stdout[-3000:]
    assert set(os.listdir(str(work / "real"))) >= set(["fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml"])
    found = records(work / "real")
    assert dict((h, found[h]["status"]) for h in HOSTS) == dict((h, "pass") for h in HOSTS), real.stdout[-3000:]
    assert dict((h, warning_codes(found[h])) for h in HOSTS) == {
        "t-ok": [], "t-create": [], "t-missing": ["metrics.not_written"], "t-file": ["metrics.not_written"]}
    cause = [c for c in found["t-missing"]["root_causes"] if c["code"] == "metrics.not_written"][0]
    assert cause["subject"] == str(work / "missing") and "kvm_validate_textfile_create: true" in cause["remedy"]
    assert "metrics.not_written" in (work / "real" / "fleet.md").read_text()


def test_the_directory_is_created_only_where_asked_and_the_metrics_written(checked_then_run):
    work = checked_then_run[0]
    assert not (work / "missing").exists()
    for directory in ("ok", "made"):
        text = (work / directory / "fleetcheck_kvm.prom").read_text()
        assert 'fleetcheck_kvm_host_status{status="pass"} 1' in text, text[:500]
