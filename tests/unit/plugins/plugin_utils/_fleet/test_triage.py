# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Triage: hosts grouped by cause, drift from the fleet's majority, and the summary they read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.triage import cause_of, group_by_cause
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._fleet.records import (
    DENIED, fleet_of, verdict)


# ---------------------------------------------------------------- causes ----

def test_a_cause_loses_what_is_particular_to_one_host():
    assert cause_of(DENIED % "kvm01.example.net", "kvm01.example.net") == DENIED % "{host}"
    assert cause_of("ssh: connect to host kvm01 (10.1.2.3) port 22", "kvm01.example.net") == \
        "ssh: connect to host {host} ({address}) port 22"
    # another host's name, a longer name and a version number are left alone
    assert cause_of("kvm010 and kvm01x differ; kernel 6.1.0", "kvm01") == "kvm010 and kvm01x differ; kernel 6.1.0"


def test_hosts_with_the_same_cause_form_one_group_with_a_count():
    fleet = fleet_of([verdict("kvm%02d" % i, [("device_users: nova", DENIED)]) for i in range(5)] +
                     [verdict("odd", [("device_users: nova", DENIED), ("KVM_CAP_XSAVE", "KVM_CAP_XSAVE missing")]),
                      verdict("fine"),
                      unreachable_verdict("gone", "ssh: connect to host 192.0.2.7 port 22: No route to host")])
    groups = fleet["groups"]
    assert [(g["count"], g["status"], g["code"], g["cause"]) for g in groups] == [
        (6, "fail", "device_users", DENIED % "{host}"),
        (1, "fail", "KVM_CAP_XSAVE", "KVM_CAP_XSAVE missing"),
        (1, "unreachable", "host.unreachable", "host unreachable: ssh: connect to host {address} port 22: No route to host")]
    assert groups[0]["hosts"] == ["kvm00", "kvm01", "kvm02", "kvm03", "kvm04", "odd"]
    assert groups[0]["requirement"] == "device_users: nova"
    assert all("fine" not in g["hosts"] for g in groups)


def test_a_host_counts_once_per_group_even_with_two_equal_messages():
    record = {"host": "h", "status": "fail", "checks": [check("a", 1, 0, False, "same"), check("a", 1, 0, False, "same")]}
    assert [(g["count"], g["hosts"]) for g in group_by_cause([record])] == [(1, ["h"])]


# ----------------------------------------------------------------- drift ----


def test_malformed_summaries_do_not_break_drift_or_grouping():
    odd = verdict("odd")
    odd["summary"] = {"kernel": ["not", "text"], "parameters": "nested=Y", "backend": {"x": 1}}
    broken = verdict("broken")
    broken["summary"] = "not a mapping"
    fleet = fleet_of([verdict("a"), verdict("b"), odd, broken])
    assert fleet["hosts"][3]["summary"] == {}
    assert [h["host"] for h in fleet["drift"]["hosts"]] == ["odd"]


# -------------------------------------------------------------- summary ----
