# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text from hosts is data: one escaper per output format, each over text made safe (_text.safe_text).

Every renderer escapes through this module and nowhere else.
"""

from __future__ import annotations

import json
import re

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import truncate, safe_text

# Every text from a host is cut to this many characters in fleet.md, fleet.html, junit.xml and on the console;
# fleet.json keeps it whole up to fleet.JSON_TEXT_MAX.
REPORT_TEXT_MAX = 2000
_CUT = " in fleet.json"
# Markdown that could turn host text into markup: links and images (they need [ and ]), HTML and autolinks
# (<, >), entities (&), table cells (|), code spans (`) and the escape itself. Emphasis (* and _) and
# parentheses are left: they make no link and no HTML, and the raw file stays readable.
_MARKDOWN = re.compile(r"([\\`\[\]<>&|])")
# What GitHub's Markdown turns into links without any markup: a scheme's "://", "www." and an address's "@".
_AUTOLINKS = re.compile(u"(://|www\\.|@)")

_XML_INVALID = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}
_XML_ATTRIBUTE = re.compile(u'[&<>"\n\r\t]')
_XML_TEXT = re.compile(u"[&<>\r]")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_HTML = re.compile(u"[&<>\"']")


def markdown(value: object) -> str:
    """value inside a Markdown table cell or list item: one line, every character that Markdown reads as
    markup escaped, and a zero-width space where a renderer would make a link of plain text."""
    text = _MARKDOWN.sub(r"\\\1", truncate(safe_text(value), REPORT_TEXT_MAX, _CUT))
    return _AUTOLINKS.sub(lambda m: m.group(0)[0] + u"\u200b" + m.group(0)[1:], text)


def markdown_code(value: object) -> str:
    """value inside a Markdown code span (`...`): no backtick to end it, one line, capped."""
    return truncate(safe_text(value), REPORT_TEXT_MAX, _CUT).replace("`", "'")


def html(value: object) -> str:
    """value as HTML text or the inside of a quoted attribute."""
    return _HTML.sub(lambda m: _HTML_ENTITIES[m.group(0)], truncate(safe_text(value, lines=True), REPORT_TEXT_MAX, _CUT))


def _xml_clean(value: object) -> str:
    text = truncate(safe_text(value if value is not None else "", lines=True), REPORT_TEXT_MAX, _CUT)
    return _XML_INVALID.sub(u"\ufffd", text)


def xml_attribute(value: object) -> str:
    """value as the inside of a double-quoted XML attribute."""
    return _XML_ATTRIBUTE.sub(lambda m: _XML_ENTITIES[m.group(0)], _xml_clean(value))


def xml_text(value: object) -> str:
    """value as XML character data."""
    return _XML_TEXT.sub(lambda m: _XML_ENTITIES[m.group(0)], _xml_clean(value))


def script_json(value: object) -> str:
    """JSON that cannot end its <script> element: every '<' is written as \\u003c."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=str).replace("<", "\\u003c")


# A Prometheus label value is kept short: each distinct value is a time series, and none from a host may be large.
PROMETHEUS_LABEL_MAX = 256
_PROMETHEUS_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n"}
_PROMETHEUS = re.compile(r'[\\"\n]')


def prometheus_label(value: object) -> str:
    """value as the inside of a Prometheus label value's double quotes (text exposition format)."""
    text = truncate(safe_text(value), PROMETHEUS_LABEL_MAX, _CUT)
    return _PROMETHEUS.sub(lambda m: _PROMETHEUS_ESCAPES[m.group(0)], text)
