# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleets for the report tests: a large one with repeated causes, and how to read a page's embedded data."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check, host_verdict, unreachable_verdict)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.writer import RENDERERS

NOW = "2026-11-24T00:00:00Z"


def rendered(fmt, fleet):
    """A report as one text, as the writer renders it (some renderers yield it in pieces)."""
    return "".join(RENDERERS[fmt](fleet))


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
