# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.md: causes with counts, every list capped, and no reason can break it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import MAX_NAMES, MAX_ROWS
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import NOW, big_fleet, verdict


# -------------------------------------------------------------- fleet.md ----

def test_markdown_groups_by_cause_and_caps_every_list():
    fleet = big_fleet()
    text = render_markdown(fleet)
    assert len(text) < 16000, "short enough to paste into a ticket"
    assert "- **990 hosts** (fail) `device_users`: /dev/kvm: EACCES for nova on {host}: add nova to group kvm — " \
           "kvm00000.example.net, kvm00003.example.net" in text
    assert "&lt;" not in text and "<host>" not in text, "placeholders read the same raw and rendered"
    assert "and %d more" % (990 - MAX_NAMES) in text
    assert "- **30 hosts** (unreachable) `host.unreachable`: host unreachable: ssh: connect to host {address}" in text
    assert "## Drift from the fleet's majority" in text and "- **60 hosts** with kernel 5.10.0 — " in text
    assert "## Hosts that need action (1020)" in text
    assert text.count("| kvm") == MAX_ROWS
    assert "And %d more hosts that need action" % (1020 - MAX_ROWS) in text
    assert re.search(r"## Hosts that pass \(1980\)\n\n(kvm\d{5}\.example\.net, ){39}kvm\d{5}\.example\.net "
                     r"and 1940 more\n$", text)


def test_markdown_cannot_be_broken_by_a_reason():
    evil = verdict("h", extra=[check("x", 1, 0, False, "a | b\n# heading <img src=x>")])
    text = render_markdown(build_fleet(["h"], {"h": evil}, NOW))
    assert "a \\| b # heading \\<img src=x\\>" in text and "\n# heading" not in text


# ------------------------------------------------------------ fleet.html ----


def test_host_text_gives_no_link_no_image_no_html_and_no_control_byte():
    evil = "[x](javascript:alert(1)) ![i](https://example.org/p.png) <b>x</b> &amp; www.example.org \x1b]0;t\x07\r|"
    record = verdict("h", extra=[check("x", 1, 0, False, evil)])
    text = render_markdown(build_fleet(["h"], {"h": record}, NOW))
    line = [row for row in text.splitlines() if row.startswith("| h | fail |")][0]
    assert line == (u"| h | fail | \\[x\\](javascript:alert(1)) !\\[i\\](https:\u200b//example.org/p.png) "
                    u"\\<b\\>x\\</b\\> \\&amp; w\u200bww.example.org \ufffd\\]0;t\ufffd \\| |")
    assert not [c for c in text if ord(c) < 32 and c != "\n"]
