# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every problem code the code gives is in the one list of codes (and so in the user guide), once; none is listed
that the code never gives."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.codes import CODES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))))
# Codes built from a value: the errno of an open the mode refuses, the status of a failed vCPU run.
BUILT = {"device.": ("device.eacces", "device.eperm"), "vcpu_run.": ("vcpu_run.failed", "vcpu_run.timeout")}
# Every code is written as code="..." or as a problem's first argument.
LITERAL = re.compile(r'(?:code=|code: str = |problem\(|return |else )"([a-z_]+\.[a-z_.]*|usable)"')


def given():
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import SLOW_PARAMETERS
    found = set(code for _module, _name, code, _cost, _source in SLOW_PARAMETERS)  # codes kept in a data table
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        with open(path) as handle:
            for code in LITERAL.findall(handle.read()):
                found.update(BUILT.get(code, (code,)))
    return found


def test_every_code_given_is_listed_once_and_every_listed_code_is_given():
    listed = [code for code, _where, _meaning, _remedy in CODES]
    assert len(listed) == len(set(listed))
    assert given() == set(listed)


def test_each_code_is_in_the_user_guide_once():
    with open(os.path.join(ROOT, "docs", "user-guide.md")) as handle:
        guide = handle.read()
    for code, where, meaning, remedy in CODES:
        assert guide.count("| `%s` |" % code) == 1, code
        assert where in ("facts", "verdict") and meaning and remedy, code
