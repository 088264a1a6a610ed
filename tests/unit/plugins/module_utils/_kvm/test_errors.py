# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A refusal names its step and its errno the same way everywhere."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import KvmError, errno_name, errno_text


def test_errno_text_gives_the_symbol_and_the_words():
    assert errno_text(errno.EACCES) == "EACCES (Permission denied)"
    assert errno_text(OSError(errno.ENOENT, "whatever the caller said")) == "ENOENT (No such file or directory)"


def test_an_error_without_an_errno_is_its_own_text():
    assert errno_text(OSError("no number")) == "no number"


def test_an_unknown_errno_is_named_by_number():
    assert errno_name(4095) == "errno 4095"
    assert errno_text(4095).startswith("errno 4095 (")


def test_a_kvm_error_is_an_oserror_that_names_the_step():
    error = KvmError("KVM_CREATE_VM", OSError(errno.EBUSY, "Device or resource busy"))
    assert isinstance(error, OSError) and error.errno == errno.EBUSY and error.step == "KVM_CREATE_VM"
    assert str(error) == "KVM_CREATE_VM failed with EBUSY (Device or resource busy)"
