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
                      "left": []}


def test_no_verdict_and_bad_options_are_filter_errors_that_say_what_to_do():
    with pytest.raises(AnsibleFilterError, match="give it kvm_validate_result"):
        remedies(None)
    with pytest.raises(AnsibleFilterError, match="kvm_remediate_codes: nope is not fixed by this role"):
        remedies({}, codes=["nope"])
    with pytest.raises(AnsibleFilterError, match="never makes it world-writable"):
        remedies({}, mode="0777")
