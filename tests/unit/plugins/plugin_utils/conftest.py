# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `fleet` of the fleet and report tests: a new mixed fleet document per test."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import mixed_fleet


@pytest.fixture
def fleet():
    return mixed_fleet()
