# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The extensions subset: every capability by name, asked once, refusals named."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER, KVM_CAPS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe, FakeKernel


def test_extensions_hold_only_nonzero_answers_by_kernel_name(kernel):
    facts = probe(kernel, ["min", "extensions"])
    assert set(facts["extensions"]) == set(KVM_CAPS[n] for n in kernel.caps)
    assert "cpuid" not in facts and "vcpu_run" not in facts


def test_capability_beyond_the_table_is_reported_by_number(kernel):
    beyond = max(KVM_CAPS) + 5
    kernel.caps[beyond] = 7
    facts = probe(kernel, ["min", "extensions"])
    assert facts["extensions"]["KVM_CAP_%d" % beyond] == 7


def test_a_capability_the_kernel_refuses_is_named_and_the_sweep_goes_on(kernel):
    refused = CAP_NUMBER["KVM_CAP_IOEVENTFD"]
    kernel.caps[refused] = 1
    answer = kernel._KVM_CHECK_EXTENSION

    def refuse_one(fd, arg):
        if arg == refused:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return answer(fd, arg)

    kernel._KVM_CHECK_EXTENSION = refuse_one
    facts = probe(kernel)
    assert "KVM_CHECK_EXTENSION(KVM_CAP_IOEVENTFD) failed with EIO (%s)" % os.strerror(errno.EIO) in facts["errors"]
    assert "KVM_CAP_IOEVENTFD" not in facts["extensions"]
    assert set(facts["extensions"]) == set(KVM_CAPS[n] for n in kernel.caps if n != refused and kernel.caps[n])
    asked = [arg for name, arg in kernel.call_args if name == "KVM_CHECK_EXTENSION"]
    assert asked.count(refused) == 1  # the refusal is remembered, as an answer is


def test_a_capability_is_asked_once_and_a_refusal_stays_a_refusal():
    calls = []

    class Kvm(object):
        def check_extension(self, number):
            calls.append(number)
            if number == 3:
                raise OSError(errno.ENOTTY, os.strerror(errno.ENOTTY))
            return number * 10

    ctx = ProbeContext(FakeKernel(), "/dev/kvm", 1.0, (), ["extensions"])
    ctx.kvm = Kvm()
    assert [ctx.check_extension(2), ctx.check_extension(2)] == [20, 20]
    for _attempt in range(2):
        with pytest.raises(OSError) as refused:
            ctx.check_extension(3)  # a refusal in the sweep stays a refusal for the later subsets
        assert refused.value.errno == errno.ENOTTY
    assert calls == [2, 3]
