# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A mixed fleet: a good host, one short of vCPUs, one unreachable, one never judged, one of an old schema and one whose name is not UTF-8."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

NOW = "2026-11-24T00:00:00Z"


BAD_NAME = b"kvm-\xff".decode("utf-8", "surrogateescape")  # what a non-UTF-8 inventory name becomes


def verdict(host, **requirements):
    return evaluate(gather(kernel=FakeKernel()), check_requirements(requirements, {}), {}, host=host)


def mixed_fleet():
    verdicts = {
        "good": verdict("good"),
        "small": verdict("small", extension_minimums={"NR_VCPUS": 64}),
        "gone": unreachable_verdict("gone", "Failed to connect to the host via ssh"),
        "blank": None,
        "old": {"schema_version": 0, "status": "pass"},
        BAD_NAME: verdict(BAD_NAME),
    }
    return build_fleet(["good", "small", "gone", "blank", "old", BAD_NAME], verdicts, NOW)
