# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""junit.xml, streamed, parses and counts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import NOW, big_fleet, rendered, verdict


# -------------------------------------------------------------- fleet.md ----

def test_streamed_junit_parses_and_counts(tmp_path):
    fleet = big_fleet(300)
    path = writer.write_reports(str(tmp_path), fleet, ["junit"])["junit"]
    root = ET.parse(path).getroot()
    assert len(root.findall("testsuite")) == 300
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("597", "99", "3")
    bad = verdict("ctl\x01", extra=[check("x\x02", 1, 0, False, 'a "quoted"\nline & <tag>\x1f')])
    root = ET.fromstring(rendered("junit", build_fleet(["ctl\x01"], {"ctl\x01": bad}, NOW)))
    failure = root.find("testsuite/testcase[@name='x\ufffd']/failure")
    # host text is one line in every report: its line breaks become spaces, other control bytes U+FFFD
    assert failure.get("message") == u'a "quoted" line & <tag>\ufffd'
