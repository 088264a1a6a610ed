# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_facts refuses a Python older than 3.6 before probing, naming the interpreter and the fix.
The real Python 2.7 run is in tests/functional/fleet/test_fleet_failures.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_facts


def test_python_2_7_is_refused_with_the_interpreter_and_the_fix(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (2, 7, 18, "final", 0))
    monkeypatch.setattr(sys, "version", "2.7.18 (default, Nov  1 2026, 10:00:00) \n[GCC 12.2.0]")
    monkeypatch.setattr(sys, "executable", "/usr/bin/python2.7")
    message = kvm_facts.python_too_old()
    assert "needs Python 3.6 or newer on the managed host" in message
    assert "/usr/bin/python2.7 (Python 2.7.18)" in message
    assert "ansible_python_interpreter=/usr/bin/python3" in message


def test_python_3_5_is_refused_and_3_6_accepted(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 5, 10, "final", 0))
    assert "needs Python 3.6" in kvm_facts.python_too_old()
    monkeypatch.setattr(sys, "version_info", (3, 6, 0, "final", 0))
    assert kvm_facts.python_too_old() is None


def test_this_interpreter_is_accepted():
    assert kvm_facts.python_too_old() is None
