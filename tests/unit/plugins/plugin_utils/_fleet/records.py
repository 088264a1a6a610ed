# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet records for the triage and drift tests: verdicts with chosen summaries and failing checks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict

NOW = "2026-11-24T00:00:00Z"


DENIED = "/dev/kvm: EACCES for nova on %s: add nova to group kvm"


def summary(kernel="6.1.0-28-amd64", backend="kvm_intel", caps="aaaaaaaaaaaa", nested="Y", **extra):
    values = {"usable": True, "kernel": kernel, "backend": backend, "caps": caps, "caps_count": 100,
              "parameters": {backend: {"nested": nested, "ept": "Y"}}}
    values.update(extra)
    return values


def verdict(host, failing=(), **facts):
    checks = [check("usable", True, True, True, None)]
    checks += [check(requirement, True, False, False, message.replace("%s", host)) for requirement, message in failing]
    return host_verdict(host, checks, summary(**facts))


def fleet_of(verdicts):
    return build_fleet([v if isinstance(v, str) else v["host"] for v in verdicts],
                       dict((v["host"], v) for v in verdicts if not isinstance(v, str)), NOW)
