# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit the way AWX runs it: ansible-runner with podman isolation in the fleetcheck.kvm
execution environment (tools/ee, built by tools/lib.sh fc_ee), against hosts reached over SSH
(containers of the sshd image). Then as three job slices (slice i of N gets hosts i, i+N, ...),
merged by fleetcheck.kvm.merge_reports into one report equal to the unsliced run's."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RUNNER = os.path.join(ROOT, ".cache", "runner", "bin", "ansible-runner")
EE_IMAGE = "localhost/fleetcheck-kvm-ee:latest"
SSHD_IMAGE = "localhost/fleetcheck-sshd:bookworm"
PREFIX = "fc11o-ee-"
# inventory order; the containers without /dev/kvm fail, the ghost is unreachable
HOSTS = ["%s%d" % (PREFIX, i) for i in range(5)]
NO_DEVICE = set([HOSTS[1], HOSTS[4]])
GHOST = PREFIX + "ghost"
SLICES = 3


def podman(*args):
    return subprocess.check_output(["podman"] + list(args), universal_newlines=True, stderr=subprocess.STDOUT).strip()


def remove_containers():
    for name in HOSTS:
        subprocess.call(["podman", "rm", "-f", "-t", "0", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def private_data_dir(tmp_path_factory, kvm_device):
    if not shutil.which("podman"):
        missing("podman is not installed (tools/test-all.sh installs it)")
    if not os.path.exists(RUNNER):
        missing("ansible-runner is not installed in .cache/runner (tools/lib.sh fc_runner)")
    for image, how in ((EE_IMAGE, "fc_ee"), (SSHD_IMAGE, "fc_sshd_image")):
        if subprocess.call(["podman", "image", "exists", image]) != 0:
            missing("the image %s is not built (tools/lib.sh %s)" % (image, how))
    pdd = tmp_path_factory.mktemp("runner")
    for sub in ("project", "inventory", "reports"):
        (pdd / sub).mkdir()
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(pdd / "id")])
    remove_containers()
    addresses = {}
    for name in HOSTS:
        podman("run", "-d", "--name", name, "--device", kvm_device, "-e", "FC_SSH_KEY=" + (pdd / "id.pub").read_text(),
               SSHD_IMAGE)
        if name in NO_DEVICE:
            podman("exec", name, "rm", "-f", "/dev/kvm")
        addresses[name] = podman("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name)
    lines = ["[kvm]"] + ["%s ansible_host=%s" % (name, addresses[name]) for name in HOSTS]
    lines += ["%s ansible_host=%s ansible_port=9" % (GHOST, addresses[HOSTS[0]]), "[all:vars]", "ansible_user=root",
              "ansible_ssh_private_key_file=/runner/id", "ansible_python_interpreter=/usr/bin/python3",
              "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5'"]
    (pdd / "inventory" / "hosts").write_text(u"\n".join(lines) + u"\n")
    for name, playbook in (("audit.yml", "fleetcheck.kvm.audit"), ("merge.yml", "fleetcheck.kvm.merge_reports")):
        (pdd / "project" / name).write_text(u"---\n- name: %s\n  ansible.builtin.import_playbook: %s\n" % (playbook, playbook))
    yield pdd
    remove_containers()


def run(pdd, playbook, *args):
    """One job as AWX runs it: ansible-runner, the EE image, podman isolation. Returns rc, stdout."""
    process = subprocess.run([RUNNER, "run", str(pdd), "-p", playbook, "--process-isolation",
                              "--process-isolation-executable", "podman", "--container-image", EE_IMAGE,
                              # rootful podman here: the EE's user 1000 may not write the private data dir
                              "--container-option=--user=root"] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    return process.returncode, process.stdout


def read(pdd, run_name, filename="fleet.json"):
    path = pdd / "reports" / run_name / filename
    assert path.exists(), "%s was not written" % path
    text = path.read_text()
    return json.loads(text) if filename.endswith(".json") else text


@pytest.fixture(scope="module")
def runs(private_data_dir):
    pdd = private_data_dir
    inventory = HOSTS + [GHOST]
    outputs = {"all": run(pdd, "audit.yml", "--cmdline", "-e kvm_audit_report_dir=/runner/reports/all")}
    for index in range(SLICES):
        outputs["slice-%d" % index] = run(pdd, "audit.yml", "--limit", ",".join(inventory[index::SLICES]), "--cmdline",
                                          "-e kvm_audit_report_dir=/runner/reports/slice-%d" % index)
    sources = json.dumps({"kvm_merge_sources": ["/runner/reports/slice-%d" % i for i in range(SLICES)],
                          "kvm_audit_report_dir": "/runner/reports/merged"})
    outputs["merged"] = run(pdd, "merge.yml", "--cmdline", "-e '%s'" % sources)
    return pdd, outputs


def test_the_audit_in_the_execution_environment_reports_every_host(runs):
    pdd, outputs = runs
    rc, output = outputs["all"]
    assert rc != 0 and "KVM fleet audit: %d hosts: " % (len(HOSTS) + 1) in output, output
    fleet = read(pdd, "all")
    statuses = dict((r["host"], r["status"]) for r in fleet["hosts"])
    assert statuses == dict([(h, "fail" if h in NO_DEVICE else "pass") for h in HOSTS] + [(GHOST, "unreachable")])
    records = dict((r["host"], r) for r in fleet["hosts"])
    # --device lets the node's number through the container's cgroup: v1 says so (mknod there works, the host's
    # remedy); on v2 nobody can read it, and the remedy is the container's
    failure = records[HOSTS[1]]["failures"][0]
    assert "in a container pass --device /dev/kvm" in failure or "recreate it with --device /dev/kvm" in failure, failure


def test_each_slice_reports_its_own_hosts_only(runs):
    pdd, outputs = runs
    inventory = HOSTS + [GHOST]
    for index in range(SLICES):
        fleet = read(pdd, "slice-%d" % index)
        assert [r["host"] for r in fleet["hosts"]] == inventory[index::SLICES], outputs["slice-%d" % index][1]


def test_the_merged_slices_equal_the_unsliced_run_but_for_the_time(runs):
    pdd, outputs = runs
    whole, merged = read(pdd, "all"), read(pdd, "merged")
    assert [r["host"] for r in merged["hosts"]] == HOSTS + [GHOST], outputs["merged"][1]
    times = whole.pop("generated_at"), merged.pop("generated_at")
    assert merged == whole
    for name in ("fleet.md", "fleet.html", "junit.xml"):
        assert read(pdd, "merged", name).replace(times[1], "T") == read(pdd, "all", name).replace(times[0], "T"), name
    rc, output = outputs["merged"]
    assert rc != 0 and "3 of 6 hosts need action" in " ".join(output.split()), output
