# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""junit.xml, streamed, parses and counts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import xml.etree.ElementTree as ET

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer as kvm_reports
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import render_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check, host_verdict, unreachable_verdict)

NOW = "2026-11-24T00:00:00Z"
DENIED = "/dev/kvm: EACCES for nova on %s: add nova to group kvm"


def verdict(host, denied=False, kernel="6.1.0", extra=()):
    checks = [check("usable", True, True, True, None),
              check("device_users: nova", True, not denied, not denied, DENIED % host)] + list(extra)
    return host_verdict(host, checks, {"usable": True, "kernel": kernel, "backend": "kvm_intel",
                                       "guest_cpu_level": "x86-64-v2", "guest_cpu_pool": "0123456789ab"})


def big_fleet(count=3000):
    """Every 3rd host denied, every 50th on an old kernel, every 100th unreachable (990, 60, 30)."""
    names = ["kvm%05d.example.net" % i for i in range(count)]
    verdicts = dict((h, unreachable_verdict(h, "ssh: connect to host 10.0.%d.%d port 22: No route to host"
                                            % (i // 256, i % 256)) if i % 100 == 99 else
                     verdict(h, denied=i % 3 == 0, kernel="5.10.0" if i % 50 == 1 else "6.1.0"))
                    for i, h in enumerate(names))
    return build_fleet(names, verdicts, NOW)


def embedded(page):
    start = page.index('id="fleet-data">') + len('id="fleet-data">')
    return json.loads(page[start:page.index("</script>", start)])


# -------------------------------------------------------------- fleet.md ----

def test_streamed_junit_parses_and_counts(tmp_path):
    fleet = big_fleet(300)
    path = kvm_reports.write_reports(str(tmp_path), fleet, ["junit"])["junit"]
    root = ET.parse(path).getroot()
    assert len(root.findall("testsuite")) == 300
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("597", "99", "3")
    bad = verdict("ctl\x01", extra=[check("x\x02", 1, 0, False, 'a "quoted"\nline & <tag>\x1f')])
    root = ET.fromstring(render_junit(build_fleet(["ctl\x01"], {"ctl\x01": bad}, NOW)))
    failure = root.find("testsuite/testcase[@name='x\ufffd']/failure")
    assert failure.get("message") == u'a "quoted"\nline & <tag>\ufffd'
