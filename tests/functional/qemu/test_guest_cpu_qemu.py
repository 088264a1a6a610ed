# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oracle for guest_cpu's features and level: QEMU itself, under -accel kvm, on this host.

Model by model, each QEMU release is compared in test_qemu_releases.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import sys

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import ALL_NAMES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import builtin_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather

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
    facts = gather.gather(["guest_cpu"], device=kvm_device)
    assert "guest_cpu" in facts, facts
    assert "error" not in facts["guest_cpu"] and "skipped" not in facts["guest_cpu"], facts["guest_cpu"]
    return facts["guest_cpu"]


def test_features_cover_what_qemu_gives_the_host_model(qemu, guest_cpu):
    """`-cpu host` is every migratable feature QEMU can offer: each must be in `features`."""
    qmp, _binary = qemu
    props = qmp.command("query-cpu-model-expansion", type="static", model={"name": "host"})["model"]["props"]
    offered = set(name for name, value in props.items() if value is True)
    assert sorted((offered & ALL_NAMES) - set(guest_cpu["features"])) == []
    assert guest_cpu["qemu"]["why"] == "installed"  # auto: this host's QEMU, whose expansion this is
    assert guest_cpu["qemu_version"] == builtin_models(guest_cpu["qemu"]["table"])["qemu_version"]


def test_the_level_is_the_highest_whose_features_are_all_offered(guest_cpu):
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES, level_requirements
    features = set(guest_cpu["features"])
    met = [level for level in LEVEL_NAMES if set(level_requirements(level)) <= features]
    assert guest_cpu["level"] == (met[-1] if met else None)
