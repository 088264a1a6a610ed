# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm_metrics filter: one verdict as a textfile without host label or time; untrusted input stays metrics."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcheck.kvm.plugins.filter.kvm_metrics import FilterModule
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict

kvm_metrics = FilterModule().filters()["kvm_metrics"]


def samples(text):
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))


def test_a_verdict_gives_its_samples_without_host_label_or_time():
    verdict = host_verdict("kvm1", [check("usable", True, False, False, "EACCES", code="device.eacces",
                                          subject="/dev/kvm")],
                           {"usable": False, "backend": "kvm_amd", "kernel": "6.1.0-28-amd64", "api_version": 12})
    text = kvm_metrics(verdict)
    assert samples(text) == {
        'fleetcheck_kvm_host_status{status="fail"}': "1", 'fleetcheck_kvm_host_status{status="unreachable"}': "0",
        'fleetcheck_kvm_host_status{status="no_facts"}': "0", 'fleetcheck_kvm_host_status{status="pass"}': "0",
        "fleetcheck_kvm_host_usable": "0", 'fleetcheck_kvm_host_root_causes{code="device.eacces"}': "1",
        "fleetcheck_kvm_host_blocked_checks": "0", "fleetcheck_kvm_host_guest_cpu_level": "0",
        'fleetcheck_kvm_host_info{api_version="12",arch="",backend="kvm_amd",kernel="6.1.0-28-amd64",pool=""}': "1"}
    assert "kvm1" not in text and "timestamp" not in text
    assert kvm_metrics(verdict) == text, "the same verdict gives the same file (the role's copy stays unchanged)"


@pytest.mark.parametrize("verdict", ["text", {"status": "weird"}, {"host": ["x"], "checks": 3}])
def test_a_malformed_verdict_gives_the_metrics_of_a_host_without_facts(verdict):
    found = samples(kvm_metrics(verdict))
    assert found['fleetcheck_kvm_host_status{status="no_facts"}'] == "1"
    assert found['fleetcheck_kvm_host_root_causes{code="facts.malformed"}'] == "1"


def test_no_verdict_is_an_error_that_says_what_to_give():
    with pytest.raises(AnsibleFilterError, match="give it kvm_validate_result"):
        kvm_metrics(None)


def test_kvm_textfile_problem_is_the_role_record_of_a_directory_not_there():
    from ansible_collections.fleetcheck.kvm.plugins.filter.kvm_metrics import FilterModule
    problem = FilterModule().filters()["kvm_textfile_problem"]
    assert problem({"stat": {"exists": False}}, "/srv/textfile")["subject"] == "/srv/textfile"
    assert problem({"stat": {"exists": True, "isdir": True}}, "/srv/textfile", None, {"changed": False}) == {}
