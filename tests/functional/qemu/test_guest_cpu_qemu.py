# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oracle for guest_cpu: QEMU itself, under -accel kvm, on this host.

QEMU's query-cpu-definitions says, for every CPU model, which features this host's
KVM cannot give it (unavailable-features). The probe's guest_cpu facts must say the
same, model by model: runnable, and the exact missing features.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import (
    guest_cpu as kvm_guest_cpu, qemu_models as kvm_qemu_cpu_models)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather as kvm_probe
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import NOT_MIGRATION_SAFE, fleet_pools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
QEMU = "qemu-system-x86_64"
sys.path.insert(0, os.path.join(ROOT, "tools"))
from qmp import Qmp  # noqa: E402  (tools/qmp.py, shared with tools/gen_qemu_cpu_models.py) pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def qemu(kvm_device):
    binary = shutil.which(QEMU)
    if not binary:
        missing("%s is not installed (Debian package qemu-system-x86, installed by tools/test-all.sh)" % QEMU)
    if os.uname()[4] != "x86_64":
        missing("the QEMU oracle needs an x86_64 host; this one is %s" % os.uname()[4])
    qmp = Qmp(binary)
    try:
        yield qmp, binary
    finally:
        qmp.close()


@pytest.fixture(scope="module")
def guest_cpu(kvm_device):
    facts = kvm_probe.gather(["guest_cpu"], device=kvm_device)
    assert "guest_cpu" in facts, facts
    assert "error" not in facts["guest_cpu"] and "skipped" not in facts["guest_cpu"], facts["guest_cpu"]
    return facts["guest_cpu"]


def test_the_model_table_is_this_qemus(qemu):
    """The committed table is what this QEMU answers (else: run tools/gen_qemu_cpu_models.py)."""
    _qmp, binary = qemu
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_qemu_cpu_models.py"), "--check",
                             "--qemu", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout


def test_every_model_agrees_with_query_cpu_definitions(qemu, guest_cpu):
    qmp, _binary = qemu
    definitions = qmp.command("query-cpu-definitions")
    assert len(definitions) > 100, "QEMU listed only %d CPU models" % len(definitions)
    assert sorted(d["name"] for d in definitions) == sorted(guest_cpu["models"])
    differences = []
    for definition in definitions:
        # QEMU lists a feature once per feature word it is missing from (pku: CPUID and XCR0).
        expected = sorted(set(definition["unavailable-features"]))
        ours = guest_cpu["models"][definition["name"]]
        if ours != {"runnable": not expected, "missing": expected}:
            differences.append((definition["name"], expected, ours))
    assert differences == [], "\n".join("%s: QEMU %s, probe %s" % d for d in differences)
    runnable = sorted(d["name"] for d in definitions if not d["unavailable-features"])
    assert guest_cpu["runnable_models"] == runnable


def test_features_cover_what_qemu_gives_the_host_model(qemu, guest_cpu):
    """`-cpu host` is every migratable feature QEMU can offer: each must be in `features`."""
    qmp, _binary = qemu
    props = qmp.command("query-cpu-model-expansion", type="static", model={"name": "host"})["model"]["props"]
    offered = set(name for name, value in props.items() if value is True)
    assert sorted((offered & kvm_guest_cpu.ALL_NAMES) - set(guest_cpu["features"])) == []
    assert guest_cpu["qemu_version"] == kvm_qemu_cpu_models.QEMU_VERSION


def test_the_level_is_the_highest_whose_features_are_all_offered(guest_cpu):
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES, level_requirements
    features = set(guest_cpu["features"])
    met = [level for level in LEVEL_NAMES if set(level_requirements(level)) <= features]
    assert guest_cpu["level"] == (met[-1] if met else None)


def test_pools_offer_no_model_qemu_marks_not_migration_safe(qemu, guest_cpu):
    qmp, _binary = qemu
    unsafe = sorted(d["name"] for d in qmp.command("query-cpu-definitions") if d.get("migration-safe") is False)
    assert unsafe == sorted(NOT_MIGRATION_SAFE)
    view = fleet_pools({"here": guest_cpu})
    assert set(unsafe) & set(guest_cpu["runnable_models"]), "this host runs -cpu host, so the test can fail"
    assert not set(unsafe) & set(view["common"]["runnable_models"])
    assert sorted(set(guest_cpu["runnable_models"]) - set(unsafe)) == view["common"]["runnable_models"]
