# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recorded machines (tests/fixtures/machines/<name>/, written by tools/record/record.sh), replayed.

A recording holds a machine's KVM answers (kvm.json) and each QEMU release's own answers on it
(qemu-<release>.json). `recorded_kernel` makes a fake kernel that gives the probe exactly those KVM answers,
so that any machine anyone recorded is judged here, on whatever CPU the tests run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import known_features
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

MACHINES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                        "fixtures", "machines")


def machine_names():
    return sorted(name for name in os.listdir(MACHINES) if os.path.isfile(os.path.join(MACHINES, name, "kvm.json")))


def _load(name, filename):
    with open(os.path.join(MACHINES, name, filename)) as handle:
        return json.load(handle)


def kvm_answers(name):
    return _load(name, "kvm.json")


def qemu_answers(name):
    """{feature release: that QEMU's answers on the machine}."""
    found = {}
    for filename in sorted(os.listdir(os.path.join(MACHINES, name))):
        if filename.startswith("qemu-") and filename.endswith(".json"):
            found[filename[len("qemu-"):-len(".json")]] = _load(name, filename)
    return found


def recorded_pairs():
    """(machine, release) for every QEMU answer recorded."""
    return [(name, release) for name in machine_names() for release in sorted(qemu_answers(name))]


class RecordedKernel(FakeKernel):
    """The fake kernel giving a recorded machine's KVM answers, as its own /dev/kvm gave them."""

    def __init__(self, name):
        FakeKernel.__init__(self, "x86_64")
        answers = kvm_answers(name)
        self.recording = name
        self.cpuid = [(int(e[0], 16), e[1], e[2]) + tuple(int(r, 16) for r in e[3:7]) + (0, 0, 0)
                      for e in answers["supported_cpuid"]]
        for cap, value in answers["caps"].items():
            self.caps[CAP_NUMBER[cap]] = value
        self.msr_indices = [int(index, 16) for index in answers["msr_index_list"]]
        self.msr_values = dict((int(index, 16), int(value, 16)) for index, value in answers["feature_msrs"].items())
        self.feature_msrs = sorted(self.msr_values)
        self.xcomp = int(answers["xcomp_guest_supp"], 16) if answers["xcomp_guest_supp"] else None
        self.sysfs["/proc"]["cpuinfo"] = answers["proc_cpuinfo_first_cpu"] + "\n\n"


def expected_models(answer):
    """{model: sorted unavailable features} of one QEMU's query-cpu-definitions (its list may repeat a name)."""
    return dict((entry["name"], sorted(set(entry["unavailable-features"]))) for entry in answer["definitions"])


def expected_features(answer, known):
    """(on, off): the feature names the QEMU's `host` model sets true, and those it has but leaves false."""
    props = answer["host"]["props"]
    on = sorted(name for name in known if props.get(name) is True)
    off = sorted(name for name in known if props.get(name) is False)
    return on, off


def differences_from_qemu(guest, answer, release):
    """[(what, the probe's, QEMU's)] where the probe's guest_cpu for `release` says what that QEMU's `answer` did
    not: a model's missing features, the host model's features, or a feature left off that QEMU turns on."""
    found = []
    for model, unavailable in sorted(expected_models(answer).items()):
        ours = guest["models"].get(model)
        if ours is None or sorted(ours["missing"]) != unavailable:
            found.append((model, ours and ours["missing"], unavailable))
    on, off = expected_features(answer, known_features(release))
    if guest["features"] != on:
        found.append(("features", guest["features"], on))
    if not set(guest["off_by_default"]) <= set(off):
        found.append(("off_by_default", sorted(guest["off_by_default"]), off))
    return found
