# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The msrs subset: the MSR lists, grown on E2BIG."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import probe


def test_msr_list_grows_on_e2big(kernel):
    kernel.msr_indices = list(range(1000))
    assert probe(kernel, ["min", "msrs"])["msrs"]["index_count"] == 1000
