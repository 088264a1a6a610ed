# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A requirement whose input was never gathered cannot be judged, and says which subset to add."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import not_gathered


def test_not_gathered_fails_and_names_the_subset_to_add():
    item = not_gathered("require_iommu", True, "iommu")
    assert item["ok"] is False and item["actual"] is None
    assert item["message"] == ("require_iommu cannot be judged: the iommu facts were not gathered (add 'iommu' "
                               "to gather_subset)")
