# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm_remedies filter: a plan for a verdict, or a clear message naming what is wrong."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcheck.kvm.plugins.filter.kvm_remedies import FilterModule


def remedies(*args, **kwargs):
    return FilterModule().filters()["kvm_remedies"](*args, **kwargs)


def test_a_verdict_gives_the_plan_of_the_listed_codes():
    verdict = {"root_causes": [{"code": "device.user_denied", "subject": "nova"},
                               {"code": "device.world_writable", "subject": "/dev/kvm"}]}
    result = remedies(verdict, {"device": {"group": "kvm", "mode": "0660"}}, codes=["device.user_denied"],
                      accounts=["nova"])
    assert result == {"fixes": [{"fix": "group", "code": "device.user_denied", "account": "nova", "group": "kvm"}],
                      "left": [], "causes": [{"code": "device.user_denied", "subject": "nova", "fixes": ["group"],
                                              "node": "/dev/kvm"}]}


def test_with_errors_return_an_unusable_option_is_the_plans_error_for_a_task_to_fail_with():
    for mode, phrase in (("1666", "sets the sticky bit (1000): a device node takes read and write bits only"),
                         ("0777", "never makes it world-writable")):
        result = remedies({"root_causes": []}, codes=[], mode=mode, errors="return")
        assert result["fixes"] == [] and phrase in result["error"] and "kvm_remediate_device_mode" in result["error"]
    assert "give it kvm_validate_result" in remedies(None, errors="return")["error"]


def test_the_proof_filter_judges_each_answered_cause_again():
    proof = FilterModule().filters()["kvm_remedy_proof"]
    planned = {"causes": [{"code": "device.user_denied", "subject": "nova", "fixes": ["group"], "node": "/dev/kvm"}]}
    assert proof(planned, {"root_causes": []}) == {"proven": [{"code": "device.user_denied", "subject": "nova"}],
                                                   "not_fixed": [], "pending": []}


def test_no_verdict_and_bad_options_are_filter_errors_that_say_what_to_do():
    with pytest.raises(AnsibleFilterError, match="give it kvm_validate_result"):
        remedies(None)
    with pytest.raises(AnsibleFilterError, match="kvm_remediate_codes: nope is not fixed by this role"):
        remedies({}, codes=["nope"])
    with pytest.raises(AnsibleFilterError, match="never makes it world-writable"):
        remedies({}, mode="0777")
