# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subset registry: one entry per subset module, the core always runs, gates come after what needs no device."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.subsets import CORE_SUBSETS, SUBSETS, SUBSET_TABLE

KINDS = ("gate", "decisive", "informational")


def test_every_entry_is_a_subset_module_of_a_known_kind():
    assert len(set(SUBSETS)) == len(SUBSET_TABLE)
    for name, module, kind, core in SUBSET_TABLE:
        assert callable(module.probe), name
        assert kind in KINDS and isinstance(core, bool), name


def test_the_core_is_what_usable_depends_on_and_only_gates_or_decisive_subsets():
    assert CORE_SUBSETS == ("device", "api", "vm")
    assert all(kind != "informational" for _name, _module, kind, core in SUBSET_TABLE if core)


def test_what_needs_no_device_runs_before_the_first_gate_and_everything_after_it_can_be_stopped():
    kinds = [entry[2] for entry in SUBSET_TABLE]
    first_gate = kinds.index("gate")
    assert SUBSETS[:first_gate] == ("host", "parameters", "cgroup", "iommu", "hugepages", "devices")
    for name, module, kind, _core in SUBSET_TABLE[first_gate:]:
        assert kind == "gate" or callable(getattr(module, "not_probed", None)), name
    for name, module, kind, _core in SUBSET_TABLE:
        if kind == "gate":
            assert module.BLOCKS % {"device": "/dev/kvm"}, name  # what the later subsets are told
