# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The facts' shape at the door: what the probe writes fits it; what does not fit is named key by key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.schema import MAX_ERRORS, check_facts
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def no_device(kernel):
    del kernel.nodes["/dev/kvm"]


def refused(kernel):
    kernel.open_errno["/dev/kvm"] = errno.EACCES


@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "riscv64"])
@pytest.mark.parametrize("fault", [lambda kernel: None, no_device, refused], ids=["healthy", "no device", "EACCES"])
def test_every_shape_the_probe_writes_fits(machine, fault):
    kernel = FakeKernel(machine=machine)
    fault(kernel)
    assert check_facts(gather(["all"], kernel=kernel, accounts=["nova", "nobody-here"])) == ([], None)


@pytest.mark.parametrize("change, problem", [
    (lambda f: f.update(device="x"), "device is a string, expected a mapping"),
    (lambda f: f.update(reasons="x"), "reasons is a string, expected a list"),
    (lambda f: f.update(reasons=[1]), "reasons[0] is a number, expected a string"),
    (lambda f: f.update(api_version=True), "api_version is a boolean, expected a whole number or null"),
    (lambda f: f.update(extensions={"KVM_CAP_X": "1"}), "extensions.KVM_CAP_X is a string, expected a whole number"),
    (lambda f: f["host"].update(parameters={"kvm": ["x"]}), "host.parameters.kvm is a list, expected a mapping"),
    (lambda f: f["guest_cpu"].update(models={"Nehalem": {"runnable": "yes"}}),
     "guest_cpu.models.Nehalem.runnable is a string, expected true or false"),
    (lambda f: f.pop("usable"), "usable is missing"),
    (lambda f: f.update(schema_version=0), "schema_version is 0, this collection reads 1 and 2"),
])
def test_what_does_not_fit_is_named(change, problem):
    facts = gather(["all"], kernel=FakeKernel())
    change(facts)
    assert check_facts(facts) == ([problem], None)


def test_a_newer_schema_is_not_read_further_and_garbage_is_no_mapping():
    assert check_facts({"schema_version": 99, "device": "anything"}) == ([], 99)
    assert check_facts("facts") == (["the facts are a string, expected a mapping"], None)
    assert len(check_facts({"reasons": list(range(50)), "usable": 1})[0]) == MAX_ERRORS


def undescribed(value, spec, where="kvm"):
    """The paths of the facts that the spec does not describe (a key no mapping of the spec names)."""
    if isinstance(spec, list) and isinstance(value, list):
        return [path for item in value for path in undescribed(item, spec[0], where + "[]")]
    if not isinstance(spec, dict) or not isinstance(value, dict):
        return []
    if "*" in spec:
        return [path for key, item in value.items() for path in undescribed(item, spec["*"], "%s.%s" % (where, key))]
    found = []
    for key, item in value.items():
        if key not in spec:
            found.append("%s.%s" % (where, key))
        else:
            found.extend(undescribed(item, spec[key], "%s.%s" % (where, key)))
    return found


@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "riscv64"])
@pytest.mark.parametrize("fault", [lambda kernel: None, no_device, refused], ids=["healthy", "no device", "EACCES"])
def test_every_fact_the_probe_writes_is_described(machine, fault):
    """A new fact must be added to schema.FACTS (and docs/fleet-json-schema.md), or the door would let any value
    of it through unchecked."""
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.schema import FACTS
    kernel = FakeKernel(machine=machine)
    fault(kernel)
    facts = gather(["all"], kernel=kernel, accounts=["nova", "nobody-here"], cpu_models=["all"], qemu_check=True)
    assert undescribed(facts, FACTS) == []


def test_the_walk_finds_an_undescribed_fact():
    assert undescribed({"usable": True, "new": 1, "device": {"path": "/dev/kvm", "odd": 2}},
                       {"usable": "bool", "device": {"path": "str"}}) == ["kvm.new", "kvm.device.odd"]
