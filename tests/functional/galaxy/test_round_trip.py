# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The round trip a user makes: build the tarball, install it into an empty collections path,
read its docs and run the module, the role and the audit from it, on the current ansible-core,
the oldest one meta/runtime.yml claims and the newest on PyPI. Also the execution environment."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import tarfile

import pytest
import yaml

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CORES = os.path.join(ROOT, ".cache", "cores")


def core_names():
    names = ["current"]
    with open(os.path.join(ROOT, "tests", "requirements-cores.txt")) as handle:
        names += [line.split()[0] for line in handle if line.strip() and not line.startswith("#")]
    return names


@pytest.fixture(scope="module")
def tarball(tmp_path_factory, ansible_bin):
    out = tmp_path_factory.mktemp("dist")
    subprocess.check_call([os.path.join(ansible_bin, "ansible-galaxy"), "collection", "build", "--output-path",
                           str(out), ROOT], stdout=subprocess.DEVNULL)
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        version = yaml.safe_load(handle)["version"]
    path = out / ("fleetcheck-kvm-%s.tar.gz" % version)
    assert path.exists()
    return path


def test_the_tarball_holds_the_collection_and_nothing_private(tarball):
    with tarfile.open(str(tarball)) as archive:
        names = set(archive.getnames())
    for needed in ("MANIFEST.json", "FILES.json", "plugins/modules/kvm_facts.py", "plugins/action/kvm_validate.py",
                   "plugins/module_utils/_probe/gather.py", "roles/validate/meta/argument_specs.yml",
                   "plugins/plugin_utils/_judge/profiles.py", "plugins/plugin_utils/_action.py",
                   "plugins/plugin_utils/_report/fleet.html", "playbooks/audit.yml", "meta/runtime.yml",
                   "meta/execution-environment.yml", "docs/examples/kvm_groups.constructed.yml"):
        assert needed in names
    assert not [n for n in names if n.startswith((".venv", ".cache", "tests/output", ".git/"))]


def core_bin(name, ansible_bin):
    if name == "current":
        return ansible_bin
    directory = os.path.join(CORES, name, "bin")
    if not os.path.exists(os.path.join(directory, "ansible")):
        missing("the %s ansible-core venv is not set up (tools/test-all.sh sets it up)" % name)
    return directory


@pytest.fixture(scope="module", params=core_names())
def installed(request, tarball, tmp_path_factory, ansible_bin):
    bin_dir = core_bin(request.param, ansible_bin)
    collections = tmp_path_factory.mktemp("collections-" + request.param)
    subprocess.check_call([os.path.join(bin_dir, "ansible-galaxy"), "collection", "install", "--force", "-p", str(collections),
                           str(tarball)], stdout=subprocess.DEVNULL)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0")
    return request.param, bin_dir, env


def run(bin_dir, args, env, check=True):
    process = subprocess.run([os.path.join(bin_dir, args[0])] + args[1:], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    if check:
        assert process.returncode == 0, process.stdout
    return process.stdout


def test_ansible_doc_renders_the_module_and_the_role(installed):
    name, bin_dir, env = installed
    module = run(bin_dir, ["ansible-doc", "fleetcheck.kvm.kvm_facts"], env)
    for text in ("Opens the KVM device of the managed host", "gather_subset", "timeout", "accounts",
                 "vcpu_run", "EXAMPLES", "RETURN VALUES"):
        assert text in module, text
    role = run(bin_dir, ["ansible-doc", "-t", "role", "fleetcheck.kvm.validate"], env)
    for text in ("kvm_validate_profiles", "kvm_validate_extension_minimums", "kvm_validate_mode"):
        assert text in role, text
    for plugin in ("fleetcheck.kvm.kvm_validate", "fleetcheck.kvm.kvm_report"):
        assert "EXAMPLES" in run(bin_dir, ["ansible-doc", plugin], env)


def test_the_module_runs_from_the_installed_collection(installed, kvm_device):
    name, bin_dir, env = installed
    output = run(bin_dir, ["ansible", "localhost", "-o", "-m", "fleetcheck.kvm.kvm_facts", "-a", "gather_subset=min",
                           "-e", "ansible_python_interpreter=%s" % os.path.join(bin_dir, "python")], env)
    line = [text for text in output.splitlines() if text.startswith("localhost | ")][0]
    result = json.loads(line.split(" => ", 1)[1])
    assert result["changed"] is False and result["ansible_facts"]["kvm"]["usable"] is True


def test_the_role_and_the_audit_run_from_the_installed_collection(installed, kvm_device, tmp_path):
    name, bin_dir, env = installed
    reports = tmp_path / "reports"
    output = run(bin_dir, ["ansible-playbook", "fleetcheck.kvm.audit", "-e", "kvm_audit_report_dir=%s" % reports,
                           "-e", "ansible_python_interpreter=%s" % os.path.join(bin_dir, "python"),
                           "-e", '{"kvm_validate_profiles": ["kata"], "kvm_validate_required_extensions": ["irqchip"], '
                                 '"kvm_validate_severity": {"profile kata: vhost_vsock": "warn", '
                                 '"profile kata: vhost_net": "warn"}}'],
                 env)
    with open(str(reports / "fleet.json")) as handle:
        fleet = json.load(handle)
    assert fleet["counts"]["pass"] == 1 and fleet["counts"]["total"] == 1, output
    requirements = [c["requirement"] for c in fleet["hosts"][0]["checks"]]
    # Kata checks KVM_CREATE_VM, not the API version (kata-check.go genericKvmIsUsable)
    assert "KVM_CAP_IRQCHIP" in requirements and "profile kata: KVM_CREATE_VM" in requirements
    assert "profile kata: api_version" not in requirements
    # Kata's devices were made warnings through the role variable: reported, never gating.
    kata_devices = ("profile kata: vhost_vsock", "profile kata: vhost_net")
    devices = [c for c in fleet["hosts"][0]["checks"] if c["requirement"] in kata_devices]
    assert [c["severity"] for c in devices] == ["warn", "warn"]
    assert fleet["hosts"][0]["warnings"] == [c["message"] for c in devices if not c["ok"]]
    # A passing audit's console is clean: its only warnings are the host's own (the kata devices that are absent),
    # none of ansible-core's (the metrics and gate plays name their group only once it exists), with deprecations
    # and the inventory's warnings off as above.
    warnings = [line for line in output.splitlines() if line.startswith("[WARNING]")]
    assert len(warnings) == len(fleet["hosts"][0]["warnings"]), output
    assert all(line.startswith("[WARNING]: localhost: /dev/vhost-") for line in warnings), output


def test_execution_environment_metadata_is_read_by_ansible_builder(tarball, tmp_path, ansible_bin):
    collections = str(tmp_path / "collections")
    subprocess.check_call([os.path.join(ansible_bin, "ansible-galaxy"), "collection", "install", "--force", "-p",
                           collections, str(tarball)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections)
    installed_root = os.path.join(collections, "ansible_collections", "fleetcheck", "kvm")
    # The collection needs no packages; a marker line proves that builder finds the files the metadata names.
    for filename, marker in (("requirements.txt", "fleetcheck-marker-python"), ("bindep.txt", "fleetcheck-marker-system")):
        with open(os.path.join(installed_root, filename), "a") as handle:
            handle.write(marker + "\n")
    introspected = yaml.safe_load(run(ansible_bin, ["ansible-builder", "introspect", collections], env))
    assert "fleetcheck-marker-python" in json.dumps(introspected["python"])
    assert "fleetcheck-marker-system" in json.dumps(introspected["system"])
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(u"---\nversion: 3\nimages:\n  base_image:\n    name: quay.io/ansible/awx-ee:latest\n"
                          u"dependencies:\n  galaxy: requirements.yml\n")
    (tmp_path / "requirements.yml").write_text(u"---\ncollections:\n  - name: %s\n    type: file\n"
                                               % os.path.join(collections, "ansible_collections", "fleetcheck", "kvm"))
    run(ansible_bin, ["ansible-builder", "create", "-f", str(definition), "-c", str(tmp_path / "context")], env)
    assert (tmp_path / "context" / "Containerfile").exists()
    assert "requirements.yml" in os.listdir(str(tmp_path / "context" / "_build"))
