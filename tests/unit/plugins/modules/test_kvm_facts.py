# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module: options in, ansible_facts.kvm out, failures as one clear message."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import SUBSETS, gather as probe_gather
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_facts
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


class Exit(Exception):
    pass


def run_module(monkeypatch, args, gather=None):
    """Run main() with args; return ('exit' or 'fail', the result dict)."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
        context = patch_module_args(args)
    except ImportError:
        context = None
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))

    def record(kind):
        def handler(self, **result):
            raise Exit(kind, result)
        return handler
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", record("exit"))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", record("fail"))
    if gather is not None:
        monkeypatch.setattr(kvm_facts, "gather", gather)
    with pytest.raises(Exit) as raised:
        if context is not None:
            with context:
                kvm_facts.main()
        else:
            kvm_facts.main()
    return raised.value.args


def with_fake_kernel(kernel):
    return lambda subsets, device, timeout, accounts, cpu_models, qemu_version, qemu_check: probe_gather(
        subsets, device, timeout, kernel, accounts, cpu_models, qemu_version, qemu_check)


def test_returns_facts_unchanged(monkeypatch):
    kind, result = run_module(monkeypatch, {}, with_fake_kernel(FakeKernel()))
    assert kind == "exit" and result["changed"] is False
    assert result["ansible_facts"]["kvm"]["usable"] is True


def test_check_mode_is_supported(monkeypatch):
    kind, result = run_module(monkeypatch, {"_ansible_check_mode": True}, with_fake_kernel(FakeKernel()))
    assert kind == "exit" and result["ansible_facts"]["kvm"]["usable"] is True


def test_a_host_without_kvm_is_not_a_module_failure(monkeypatch):
    kernel = FakeKernel()
    kernel.nodes.clear()
    kind, result = run_module(monkeypatch, {}, with_fake_kernel(kernel))
    assert kind == "exit" and result["ansible_facts"]["kvm"]["usable"] is False
    assert "does not exist" in result["ansible_facts"]["kvm"]["reasons"][0]


def test_options_reach_the_probe(monkeypatch):
    seen = {}

    def gather(subsets, device, timeout, accounts, cpu_models, qemu_version, qemu_check):
        seen.update(subsets=subsets, device=device, timeout=timeout, accounts=accounts, cpu_models=cpu_models,
                    qemu_version=qemu_version)
        return {}
    run_module(monkeypatch, {"device": "/run/kvm", "gather_subset": ["!cpuid"], "timeout": 0.5,
                             "accounts": ["nova"], "cpu_models": ["Nehalem"], "qemu_version": ["10.0"]}, gather)
    assert seen == {"subsets": ["!cpuid"], "device": "/run/kvm", "timeout": 0.5, "accounts": ["nova"],
                    "cpu_models": ["Nehalem"], "qemu_version": ["10.0"]}


def test_cpu_models_limits_the_models_detailed_and_defaults_to_none(monkeypatch):
    _kind, result = run_module(monkeypatch, {"cpu_models": ["Nehalem"]}, with_fake_kernel(FakeKernel()))
    guest_cpu = result["ansible_facts"]["kvm"]["guest_cpu"]
    assert list(guest_cpu["models"]) == ["Nehalem"] and guest_cpu["models_complete"] is False
    _kind, result = run_module(monkeypatch, {}, with_fake_kernel(FakeKernel()))
    guest_cpu = result["ansible_facts"]["kvm"]["guest_cpu"]
    assert guest_cpu["models"] == {} and guest_cpu["models_complete"] is False
    _kind, result = run_module(monkeypatch, {"cpu_models": ["all"]}, with_fake_kernel(FakeKernel()))
    full = result["ansible_facts"]["kvm"]["guest_cpu"]
    assert full["models_complete"] is True and "Nehalem" in full["models"]
    # every runnable model is still named without the details
    assert guest_cpu["runnable_models"] == sorted(name for name, verdict in full["models"].items() if verdict["runnable"])


def test_the_probe_resolves_the_subsets_once(monkeypatch):
    kind, result = run_module(monkeypatch, {"gather_subset": ["!cpuid"]}, with_fake_kernel(FakeKernel()))
    assert result["ansible_facts"]["kvm"]["gather_subset"] == [s for s in SUBSETS if s != "cpuid"]


@pytest.mark.parametrize("args, message", [
    ({"timeout": 0}, "timeout must be between 0.01 and 300 seconds, got 0.0"),
    ({"timeout": 301}, "timeout must be between 0.01 and 300 seconds, got 301.0"),
    ({"timeout": 300.0001}, "timeout must be between 0.01 and 300 seconds, got 300.0001"),  # as given, not rounded
    ({"gather_subset": ["cpu"]}, "unknown gather_subset 'cpu'"),
    ({"cpu_models": ["Nehalm"]}, "unknown QEMU CPU model(s) in cpu_models: 'Nehalm' (did you mean Nehalem"),
    ({"device": ""}, "device must be the absolute path of the KVM device node, such as /dev/kvm, got ''"),
    ({"device": "dev/kvm"}, "device must be the absolute path of the KVM device node, such as /dev/kvm, got 'dev/kvm'"),
    ({"device": "/dev/kvm\0x"}, "device must not contain a NUL byte"),
    ({"accounts": ["nova\0"]}, "accounts must not contain a NUL byte"),
    ({"qemu_version": ["latest"]}, "qemu_version must be 'auto' or QEMU releases such as 10.0 or 8.2.2, got 'latest'"),
    ({"qemu_version": ["auto", "10.0"]}, "qemu_version must be 'auto' or QEMU releases such as 10.0 or 8.2.2, got 'auto'"),
    ({"qemu_version": ["7.2"], "cpu_models": ["EPYC-Genoa9"]},
     "unknown QEMU CPU model(s) in cpu_models: 'EPYC-Genoa9' (did you mean EPYC-Genoa"),
])
def test_invalid_options_fail(monkeypatch, args, message):
    kind, result = run_module(monkeypatch, args, with_fake_kernel(FakeKernel()))
    assert kind == "fail" and message in result["msg"]


def test_a_probe_bug_is_one_clear_failure_not_a_traceback(monkeypatch):
    def broken(subsets, device, timeout, accounts, cpu_models, qemu_version, qemu_check):
        raise KeyError("oops")
    kind, result = run_module(monkeypatch, {}, broken)
    assert kind == "fail"
    assert result["msg"] == "kvm_facts: internal error while probing /dev/kvm: 'oops'"
    assert "KeyError" in result["exception"]
