# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The api subset: API version 12 or a reason."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import only_reason, probe


def test_api_version_other_than_12(kernel):
    kernel.api_version = 11
    facts = probe(kernel)
    assert "KVM_GET_API_VERSION returned 11, but the stable KVM API is 12" in only_reason(facts)
    assert facts["api_version"] == 11 and facts["vcpu_run"]["status"] == "skipped"
