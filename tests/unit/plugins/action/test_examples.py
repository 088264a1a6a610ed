# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of the controller-side actions work as written: no role variable, no unknown option."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.fleetcheck.kvm.plugins.action import kvm_report, kvm_validate
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_report as report_doc
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_validate as validate_doc
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action, trusted
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def example_tasks(doc_module):
    """(module name, args) of every task in a plugin's EXAMPLES."""
    tasks = []
    for task in yaml.safe_load(doc_module.EXAMPLES):
        modules = [key for key in task if key.startswith("fleetcheck.kvm.")]
        assert len(modules) == 1, task
        tasks.append((modules[0], task[modules[0]] or {}))
    return tasks


def templated(args, task_vars):
    """The args as the task executor hands them to the action: templated over the task's variables."""
    return Templar(loader=DataLoader(), variables=task_vars).template(trusted(args))


def test_the_kvm_validate_examples_run_as_written():
    tasks = example_tasks(validate_doc)
    assert [name for name, args in tasks] == ["fleetcheck.kvm.kvm_facts"] + ["fleetcheck.kvm.kvm_validate"] * 5
    facts = gather(["all"], kernel=FakeKernel(), accounts=tasks[0][1]["accounts"])
    task_vars = {"inventory_hostname": "kvm1", "ansible_facts": {"kvm": facts}, "ansible_play_hosts_all": ["kvm1"],
                 "hostvars": {"kvm1": {"ansible_facts": {"kvm": facts}}}}
    judged = []
    for name, args in tasks[1:]:
        result = run_action(kvm_validate.ActionModule, templated(args, task_vars), task_vars, name=name)
        assert not result["msg"].startswith("invalid KVM requirements"), result["msg"]
        verdict = result["verdicts"]["kvm1"] if "verdicts" in result else result["ansible_facts"]["kvm_validate_result"]
        judged.append(set(c["requirement"].split(":")[0] for c in verdict["checks"]))
    assert {"profile firecracker", "device_users", "KVM_CAP_NR_VCPUS"} <= judged[0]
    assert {"KVM_CAP_IRQCHIP", "KVM_CAP_XSAVE"} <= judged[1]
    assert {"min_guest_cpu_level", "required_cpu_models", "required_cpu_features"} <= judged[2]
    assert {"profile qemu_7_2", "required_devices", "hugepages_minimums", "module_parameters"} <= judged[3]
    assert result["guest_cpu_pools"]["pools"][0]["hosts"] == ["kvm1"]  # the fleet example, last


def test_the_kvm_report_example_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    [(name, args)] = example_tasks(report_doc)
    good = host_verdict("kvm1", [check("usable", True, True, True, None)], {"usable": True})
    task_vars = {"groups": {"kvm": ["kvm1", "kvm2"]},
                 "hostvars": {"kvm1": {"kvm_validate_result": good}, "kvm2": {}}}
    result = run_action(kvm_report.ActionModule, templated(args, task_vars), task_vars, name=name)
    assert result["changed"] is True and result["counts"]["total"] == 2
    assert sorted(n for n in os.listdir(str(tmp_path / "kvm-audit")) if not n.startswith(".") and n != "latest") == [
        "fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml"]
