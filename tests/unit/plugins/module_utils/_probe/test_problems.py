# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A problem as data, and as the sentence of `reasons` that it has always been."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem, reason


def test_a_problem_is_its_code_subject_message_and_remedy():
    found = problem("device.eacces", "/dev/kvm", "/dev/kvm: EACCES", "add nova to group kvm")
    assert found == {"code": "device.eacces", "subject": "/dev/kvm", "message": "/dev/kvm: EACCES",
                     "remedy": "add nova to group kvm"}
    assert reason(found) == "/dev/kvm: EACCES; add nova to group kvm"


def test_the_sentence_keeps_its_own_joiner_and_the_problem_does_not():
    found = problem("vm.create_failed", "KVM_CREATE_VM", "KVM_CREATE_VM failed with EBUSY", "stop it", ": ")
    assert reason(found) == "KVM_CREATE_VM failed with EBUSY: stop it" and "joiner" not in found
    assert reason(problem("api.failed", "/dev/kvm", "refused")) == "refused"
