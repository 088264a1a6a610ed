# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A verdict: only unmet fail checks fail a host; warnings are listed apart; messages list every unmet check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check, failure_message, host_verdict, no_facts_verdict, pass_message, severity_of, unreachable_verdict)


def test_a_met_check_keeps_no_message():
    assert check("usable", True, True, True, "never shown")["message"] is None
    assert check("usable", True, False, False, "why")["message"] == "why"


def test_a_check_without_severity_reads_as_fail():
    assert severity_of({}) == "fail" and severity_of({"severity": "warn"}) == "warn"


def test_only_unmet_fail_checks_fail_the_host():
    warned = host_verdict("h", [check("a", 1, 0, False, "soft", "warn"), check("b", 1, 1, True, None)], {})
    assert (warned["status"], warned["passed"], warned["warnings"], warned["failures"]) == ("pass", True, ["soft"], [])
    assert pass_message(warned).startswith("h meets all 1 gating KVM requirements; 1 warning")
    failed = host_verdict("h", [check("a", 1, 0, False, "hard"), check("b", 1, 0, False, "soft", "warn")], {})
    assert failed["status"] == "fail" and failed["failures"] == ["hard"]
    assert failure_message(failed) == ("h fails 1 KVM requirement:\n  - hard\n"
                                       "1 warning (reported, not gating):\n  - soft")


def test_hosts_without_a_judgement_never_pass():
    assert no_facts_verdict("h", "why")["status"] == "no_facts"
    assert unreachable_verdict("h", None)["failures"] == ["host unreachable: no answer"]
