# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PausedGC: the collector is off inside, and back as it was after, an exception included."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gc

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._gc import PausedGC


def test_the_collector_is_paused_inside_and_enabled_again_after():
    assert gc.isenabled()
    with PausedGC():
        assert not gc.isenabled()
        with PausedGC():  # nested: the inner one leaves it off for the outer
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_exception_inside_is_raised_and_the_collector_restored():
    with pytest.raises(ValueError):
        with PausedGC():
            raise ValueError("inside")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with PausedGC():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
