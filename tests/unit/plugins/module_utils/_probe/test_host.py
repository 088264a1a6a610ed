# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host subset: the backend and its nested parameter."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe


def test_backend_without_a_nested_parameter_reports_null(kernel):
    kernel.sysfs = {"/sys/module": ["kvm", "kvm_pvm"], "/sys/module/kvm_pvm/parameters": {"pvm_native": "Y"}}
    host = probe(kernel, ["min", "host"])["host"]
    assert (host["backend"], host["nested"], host["parameters"]) == ("kvm_pvm", None, {"kvm_pvm": {"pvm_native": "Y"}})


def test_nested_disabled(kernel):
    kernel.sysfs["/sys/module/kvm_intel/parameters"]["nested"] = "N"
    assert probe(kernel, ["min", "host"])["host"]["nested"] is False
