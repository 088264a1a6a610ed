# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remediation proves its work, in real containers reached with containers.podman.podman:

- a 0600 root:kvm node with nova already in kvm: the fix is the node's mode (a udev rule and chmod), not the group
  nova has; the new probe shows nova may open it (proven), and --diff showed the change;
- a container without /dev/kvm and without the device in its cgroup: the verdict's remedy is the container's
  (--device), and the role refuses to make a node there, saying why (the unit tests prove the proof's other
  path: a node made and refused is removed and the host fails naming the new cause);
- a refused mode fails in a task of its own that names the variable."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.fleet.containers import (
    inventory_lines, podman, remove, start)

KVM_GROUP = ["groupadd -r kvm", "chgrp kvm /dev/kvm"]
HOSTS = {  # name -> (podman run options, commands run in the container before the playbook)
    "fc-rp-mode": (["--privileged", "--device", "/dev/kvm"], KVM_GROUP + ["chmod 0600 /dev/kvm",
                                                                          "useradd -m -G kvm nova"]),
    "fc-rp-group": (["--privileged", "--device", "/dev/kvm"], KVM_GROUP + ["chmod 0660 /dev/kvm", "useradd -m nova"]),
    # not privileged and no --device: /dev/kvm is missing and its number is not in the device cgroup
    "fc-rp-nodev": ([], ["useradd -m nova"]),
}
CODES = {"fc-rp-mode": ["device.user_denied"], "fc-rp-group": ["device.user_denied"],
         "fc-rp-nodev": ["device.missing.module_loaded"]}

PLAYBOOK = """---
- name: Audit, remediate, keep what each said
  hosts: all
  gather_facts: false
  vars:
    kvm_validate_mode: audit
    kvm_validate_device_users: [nova]
    kvm_validate_require_vcpu_run: false
    kvm_remediate_accounts: [nova]
  tasks:
    - name: Audit
      ansible.builtin.include_role:
        name: fleetcheck.kvm.validate

    - name: Keep the verdict before
      ansible.builtin.set_fact:
        before: "{{ kvm_validate_result }}"

    - name: Remediate
      block:
        - name: Remediate the listed codes
          ansible.builtin.include_role:
            name: fleetcheck.kvm.remediate
      rescue:
        - name: Keep the failure
          ansible.builtin.set_fact:
            failure: "{{ ansible_failed_result.msg }}"

    - name: Read the node after
      ansible.builtin.stat:
        path: /dev/kvm
      register: node

    - name: Write what happened, on the controller
      ansible.builtin.copy:
        content: "{{ {'before': before, 'result': kvm_remediate_result | default(none), 'failure': failure | default(none),
          'node': node.stat, 'device': ansible_facts.kvm.device} | to_json }}"
        dest: "{{ out }}/{{ inventory_hostname }}.json"
        mode: "0644"
      delegate_to: localhost
"""


def playbook(ansible_bin, work, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    return subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), str(work / "play.yml"), "-i",
                           str(work / "hosts.ini"), "-e", "out=%s" % work] + list(extra), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                          timeout=600)


@pytest.fixture(scope="module")
def remediated(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("remediate")
    start(HOSTS, kvm_device)
    try:
        lines = inventory_lines(HOSTS)
        lines = [line + (" kvm_remediate_codes='%s'" % json.dumps(CODES[line.split()[0]])
                         if line.split()[0] in CODES else "") for line in lines]
        (work / "hosts.ini").write_text(u"\n".join(lines) + u"\n")
        (work / "play.yml").write_text(PLAYBOOK)
        run = playbook(ansible_bin, work, "--diff")
        done = dict((name, json.loads((work / ("%s.json" % name)).read_text())) for name in HOSTS
                    if (work / ("%s.json" % name)).exists())
        output = playbook(ansible_bin, work, "--limit", "fc-rp-mode", "-e", "kvm_remediate_device_mode=1666").stdout
        refused = (output, json.loads((work / "fc-rp-mode.json").read_text())["failure"])
        groups = podman("exec", "fc-rp-mode", "id", "-nG", "nova").split()
        yield run, done, refused, groups
    finally:
        remove(HOSTS)


def test_a_node_whose_mode_is_the_cause_gets_the_mode_and_the_proof_says_nova_may_open_it(remediated):
    run, done, _refused, groups = remediated
    mode = done["fc-rp-mode"]
    assert [(c["code"], c["subject"]) for c in mode["before"]["root_causes"]] == [("device.user_denied", "nova")], \
        run.stdout
    assert [f["fix"] for f in mode["result"]["fixes"]] == ["udev"], mode["result"]
    assert mode["result"]["proven"] == [{"code": "device.user_denied", "subject": "nova"}]
    assert mode["result"]["not_fixed"] == [] and mode["failure"] is None
    assert mode["node"]["mode"] == "0660" and mode["node"]["gr_name"] == "kvm"
    assert mode["device"]["accounts"]["nova"]["may_open"] is True  # the new probe's own answer
    assert "kvm" in groups
    assert '-KERNEL=="kvm"' not in run.stdout and '+KERNEL=="kvm", GROUP="kvm", MODE="0660"' in run.stdout, \
        "--diff shows the rule it writes"


def test_in_a_container_without_the_device_the_remedy_is_the_containers_and_nothing_is_said_fixed(remediated):
    run, done, _refused, _groups = remediated
    nodev = done["fc-rp-nodev"]
    [cause] = [c for c in nodev["before"]["root_causes"] if c["code"] == "device.missing.module_loaded"]
    container = nodev["device"]["container"]
    assert container["runtime"] == "podman" and container["evidence"] == "/run/.containerenv"
    assert "recreate it with --device /dev/kvm" in cause["remedy"] and not cause["remedy"].startswith("create it")
    result = nodev["result"]
    assert result["proven"] == [], run.stdout
    # the node is made only where a cgroup v1 list allows it: here it says no (v1) or cannot be read (v2)
    assert container["mknod_allowed"] is not True
    assert result["fixes"] == [] and result["changed"] == [] and nodev["failure"] is None
    assert "recreate the container with --device /dev/kvm" in result["left"][0]["why"]
    assert nodev["node"]["exists"] is False, "a node the kernel refuses is not left behind"


def test_a_refused_mode_fails_in_its_own_task_naming_the_variable(remediated):
    _run, _done, (output, failure), _groups = remediated
    assert failure.startswith("fleetcheck.kvm.remediate: kvm_remediate_device_mode 1666 sets the sticky bit (1000)"), \
        output
    assert "TASK [fleetcheck.kvm.remediate : Refuse options that cannot be used, naming the variable]" in output
    assert "Finalization of task args" not in output and "templat" not in output.lower()
