# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each host is judged with its own requirements, as Ansible resolves them for it: host vars over group vars,
play vars over both, in the audit and in a playbook of the role's judge_fleet, whichever host comes first.

The hosts are local-connection hosts whose "Python" prints the same well-formed facts (API version 12, a
12288-byte vCPU area), so that only the requirements differ between them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.fleet.test_fleet_hostile import good

# group -> {host: its own variables}; group variables below. a1 comes first in the inventory: what it sets must not
# reach any other host, and what a group sets must reach exactly that group's hosts.
GROUPS = {
    "alpha": {"a1": {"kvm_validate_min_api_version": 13}, "a2": {"kvm_validate_min_vcpu_mmap_size": 0}},
    "beta": {"b1": {"kvm_audit_gate": "regressions"}, "b2": {"kvm_validate_min_api_version": 12}},
    "gamma": {"c1": {"kvm_validate_required_extensions": ["KVM_CAP_NO_SUCH_THING"]}},
}
GROUP_VARS = {"beta": {"kvm_validate_min_api_version": 13}}
# host -> what the audit must say: (status, the minimum API version it was judged with, or the code of its cause)
EXPECTED = {"a1": ("fail", 13), "a2": ("pass", 12), "b1": ("fail", 13), "b2": ("pass", 12),
            "c1": ("fail", "requirements.invalid")}


def inventory(work):
    script = os.path.join(str(work), "py-facts")
    with open(script + ".json", "w") as data:
        json.dump({"changed": False, "ansible_facts": {"kvm": good()}}, data)
    with open(script, "w") as handle:
        handle.write("#!/bin/sh\nexec cat %s.json\n" % script)
    os.chmod(script, 0o755)
    children = dict((group, {"hosts": hosts, "vars": GROUP_VARS.get(group, {})}) for group, hosts in GROUPS.items())
    path = work / "hosts.yml"
    # the facts gather no vCPU run: the fleet does not require one, so that only what the hosts set differs
    path.write_text(json.dumps({"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": script,
                                                 "kvm_validate_require_vcpu_run": False},
                                        "children": children}}))
    return path


def run(ansible_bin, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    return subprocess.run([os.path.join(ansible_bin, "ansible-playbook")] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def audited(tmp_path_factory, ansible_bin):
    work = tmp_path_factory.mktemp("requirements")
    hosts = inventory(work)
    process = run(ansible_bin, "fleetcheck.kvm.audit", "-i", str(hosts), "-e", "kvm_audit_report_dir=%s" % (work / "r"))
    with open(str(work / "r" / "fleet.json")) as handle:
        return work, hosts, process, json.load(handle)


def api_check(record):
    return [c for c in record["checks"] if c["requirement"] == "min_api_version"]


def test_each_host_is_judged_with_its_own_requirements_in_the_audit(audited):
    output, fleet = audited[2].stdout, audited[3]
    records = dict((r["host"], r) for r in fleet["hosts"])
    assert sorted(records) == sorted(EXPECTED), output[-2000:]
    for host, (status, expected) in EXPECTED.items():
        assert records[host]["status"] == status, (host, records[host]["failures"])
        if isinstance(expected, int):
            assert [c["expected"] for c in api_check(records[host])] == [">= %d" % expected], host
        else:
            assert [c["code"] for c in records[host]["root_causes"]] == [expected], host
            assert "KVM_CAP_NO_SUCH_THING" in records[host]["failures"][0]


def test_the_recap_fails_exactly_the_hosts_whose_own_requirements_fail(audited):
    output = audited[2].stdout
    recap = dict((line.split()[0], line) for line in output.splitlines()[output.splitlines().index(
        next(line for line in output.splitlines() if line.startswith("PLAY RECAP"))) + 1:] if line.strip())
    for host, (status, _expected) in EXPECTED.items():
        assert ("failed=1" in recap[host]) == (status == "fail"), recap[host]
    assert audited[2].returncode != 0


def test_the_reports_show_each_set_of_requirements_with_its_hosts(audited):
    work, fleet = audited[0], audited[3]
    sets = fleet["requirement_sets"]
    by_set = {}
    for record in fleet["hosts"]:
        by_set.setdefault(record["summary"].get("requirements"), []).append(record["host"])
    assert sorted(map(sorted, (h for name, h in by_set.items() if name))) == [["a1", "b1"], ["a2", "b2"]]
    assert sorted(sets.values(), key=len) == [{"require_vcpu_run": False},
                                              {"require_vcpu_run": False, "min_api_version": 13}]
    markdown = (work / "r" / "fleet.md").read_text()
    assert "## Requirements per host" in markdown and "min_api_version=13; require_vcpu_run=false" in markdown


def test_a_fleet_wide_variable_set_on_one_host_is_said_not_to_be_used(audited):
    output = " ".join(audited[2].stdout.split())  # ansible-core 2.16 wraps warnings
    assert "kvm_audit_gate is one value for the whole audit (read on a1: unset), yet b1 sets it otherwise" in output


PLAYBOOK = """
- name: Judge with play vars over host and group vars
  hosts: all
  gather_facts: false
  vars:
    kvm_validate_min_vcpu_mmap_size: 99999
  tasks:
    - name: Probe
      ansible.builtin.import_role:
        name: fleetcheck.kvm.validate
        tasks_from: probe
    - name: Judge every host at once
      ansible.builtin.import_role:
        name: fleetcheck.kvm.validate
        tasks_from: judge_fleet
      vars:
        kvm_validate_mode: audit
    - name: Keep the verdicts
      ansible.builtin.copy:
        content: "{{ __kvm_validate_fleet.verdicts | to_json }}"
        dest: "%s"
        mode: "0644"
      run_once: true
      delegate_to: localhost
"""


def test_play_vars_win_over_host_and_group_vars_on_every_host(audited, ansible_bin):
    work, hosts = audited[0], audited[1]
    (work / "play.yml").write_text(PLAYBOOK % (work / "verdicts.json"))
    process = run(ansible_bin, "-i", str(hosts), "--limit", "alpha,beta", str(work / "play.yml"))
    assert process.returncode == 0, process.stdout[-3000:]
    with open(str(work / "verdicts.json")) as handle:
        verdicts = json.load(handle)
    assert sorted(verdicts) == ["a1", "a2", "b1", "b2"]
    for host, verdict in verdicts.items():
        mmap = [c for c in verdict["checks"] if c["requirement"] == "min_vcpu_mmap_size"]
        assert [(c["expected"], c["ok"]) for c in mmap] == [(">= 99999", False)], host  # a2's own 0 loses to the play
        assert [c["expected"] for c in api_check(verdict)] == [">= %d" % EXPECTED[host][1]], host  # the inventory's
