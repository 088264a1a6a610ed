# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_facts' action: with vars_prefix, the options the task does not give come from the role's variables, templated
as task arguments would be; the module then runs as ansible.builtin.normal runs it (its own run is mocked here: the
module's behaviour has tests of its own, and the role's tests run it on real hosts)."""

from __future__ import annotations

import pytest

from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.fleetcheck.kvm.plugins.action import kvm_facts
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action, trusted

ROLE_DEFAULTS = {"kvm_validate_device": "/dev/kvm", "kvm_validate_gather_subset": ["all"], "kvm_validate_timeout": 2.0,
                 "kvm_validate_cpu_models": [], "kvm_validate_required_cpu_models": [],
                 "kvm_validate_qemu_version": ["auto"], "kvm_validate_qemu_check": False,
                 "kvm_validate_device_users": []}


@pytest.fixture
def sent(monkeypatch):
    """The module arguments the action hands on to the module's run, as ansible.builtin.normal would send them."""
    found = []

    def module_run(self, tmp=None, task_vars=None):
        found.append(dict(self._task.args))
        return {"changed": False, "ansible_facts": {"kvm": {"usable": True}}}
    monkeypatch.setattr(NormalAction, "run", module_run)
    return found


def test_every_option_is_read_from_the_roles_variables_by_the_roles_names(sent):
    variables = trusted(dict(ROLE_DEFAULTS, kvm_validate_device_users=["nova"], kvm_validate_cpu_models=["EPYC", "Nehalem"],
                             kvm_validate_required_cpu_models=["Nehalem", "Skylake-Server"],
                             kvm_audit_qemu_version=["10.0"], kvm_validate_qemu_version="{{ kvm_audit_qemu_version }}"))
    result = run_action(kvm_facts.ActionModule, {"vars_prefix": "kvm_validate_"}, variables, name="fleetcheck.kvm.kvm_facts")
    assert result["ansible_facts"] == {"kvm": {"usable": True}}
    assert sent == [{"device": "/dev/kvm", "gather_subset": ["all"], "timeout": 2.0, "qemu_check": False,
                     "cpu_models": ["EPYC", "Nehalem", "Skylake-Server"],  # the union, in order, each once
                     "qemu_version": ["10.0"],  # a variable that is a template is rendered
                     "accounts": ["nova"]}]


def test_an_option_the_task_gives_wins_and_an_undefined_variable_leaves_the_modules_default(sent):
    run_action(kvm_facts.ActionModule, {"vars_prefix": "site_", "timeout": 5.0},
               trusted({"site_timeout": 1.0, "site_required_cpu_models": ["Nehalem"], "site_device": "/dev/kvm2"}))
    assert sent == [{"timeout": 5.0, "cpu_models": ["Nehalem"], "device": "/dev/kvm2"}]


def test_without_vars_prefix_the_arguments_are_the_tasks_as_they_are(sent):
    run_action(kvm_facts.ActionModule, {"device": "/dev/kvm", "cpu_models": ["all"]}, trusted(ROLE_DEFAULTS))
    assert sent == [{"device": "/dev/kvm", "cpu_models": ["all"]}]


@pytest.mark.parametrize("prefix", ["", 7, ["kvm_validate_"]])
def test_a_prefix_that_is_not_a_name_fails_naming_the_option(sent, prefix):
    result = run_action(kvm_facts.ActionModule, {"vars_prefix": prefix}, trusted(ROLE_DEFAULTS))
    assert result["failed"] and result["msg"].startswith("vars_prefix must be a non-empty string") and sent == []


def test_a_variable_that_cannot_be_templated_fails_naming_the_prefix(sent):
    result = run_action(kvm_facts.ActionModule, {"vars_prefix": "kvm_validate_"},
                        trusted(dict(ROLE_DEFAULTS, kvm_validate_device="{{ no_such_variable }}")))
    assert result["failed"] and "cannot template a variable of vars_prefix kvm_validate_" in result["msg"]
    assert "no_such_variable" in result["msg"] and sent == []


@pytest.mark.parametrize("values, union", [
    ([[], []], []),
    ([["a", "b"], ["b", "c"]], ["a", "b", "c"]),
    ([["a", "a"], []], ["a"]),
    (["all", ["x"]], ["all", "x"]),  # a value that is not a list is one item, for the module to check
])
def test_the_union_keeps_order_and_each_item_once(values, union):
    assert kvm_facts.union(values) == union
