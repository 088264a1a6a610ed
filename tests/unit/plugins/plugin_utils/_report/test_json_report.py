# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.json, streamed, equals the document."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import big_fleet, rendered


# -------------------------------------------------------------- fleet.md ----

def test_streamed_json_equals_the_document():
    fleet = big_fleet(300)
    assert json.loads("".join(writer.RENDERERS["json"](fleet))) == json.loads(json.dumps(fleet))
    assert json.loads(rendered("json", fleet))["drift"]["counts"]["kernel"] == 6


def test_each_host_is_one_line_with_its_checks_last():
    fleet = big_fleet(20)
    lines = rendered("json", fleet).split("\n")
    records = lines[lines.index(' "hosts": [') + 1:-3]
    assert len(records) == 20
    for line in records:
        assert line.startswith("  {") and line.rstrip(",").endswith("]}")
        assert line.index(', "checks": [') > line.index('"status": ')
