# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One escaper per format: nothing from a host can open markup, break a cell, or end a script."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import html, markdown, script_json, xml_attribute, xml_text


def test_markdown_keeps_a_cell_and_a_line():
    assert markdown("a|b\nc<d") == "a\\|b c\\<d"


def test_html_escapes_every_markup_character():
    assert html("<a href=\"x\" title='y'>&</a>") == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"


def test_xml_replaces_what_xml_cannot_hold_and_escapes_the_rest():
    assert xml_attribute('a"b\nc\x00') == "a&quot;b&#10;c\ufffd"
    assert xml_text("<x>&\x1b") == "&lt;x&gt;&amp;\ufffd"
    assert xml_text(None) == ""


def test_lone_surrogates_and_bytes_become_replacement_characters():
    assert html(u"a\udcffb") == u"a\ufffdb" and markdown(b"a\xffb") == u"a\ufffdb"


def test_script_json_cannot_close_its_script_element():
    text = script_json({"x": "</script><script>alert(1)</script>"})
    assert "<" not in text and json.loads(text) == {"x": "</script><script>alert(1)</script>"}


def test_every_report_caps_a_huge_field_and_says_where_the_whole_is():
    huge = "x" * 10000
    assert markdown(huge) == "x" * 2000 + u"\u2026 \\[8000 more characters in fleet.json\\]"
    assert len(html(huge)) < 2100 and len(xml_text(huge)) < 2100
