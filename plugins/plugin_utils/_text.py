# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text from hosts, made safe once for every output: the reports, the console, the registered results.

The judge cleans the messages it writes (a terminal must not obey a host's escape sequences), the fleet
document every record it reads, and each report format escapes for itself on top (_report/escape.py).
"""

from __future__ import annotations

import re

# What host text may not carry into any report: control characters (a terminal obeys them, a Markdown table
# row breaks on a carriage return) and lone surrogates (no UTF-8 encoder writes them).
UNSAFE = re.compile(u"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = {"\t": " ", "\n": " ", "\r": " "}
# Every text from a host is kept whole in fleet.json up to this length; the other reports truncate it shorter
# (escape.REPORT_TEXT_MAX). A hostile host cannot make the reports huge.
JSON_TEXT_MAX = 65536


def truncate(text: str, limit: int, where: str) -> str:
    """text cut to limit characters, saying how much was left out and where the whole is."""
    if len(text) <= limit:
        return text
    return u"%s\u2026 [%d more characters%s]" % (text[:limit], len(text) - limit, where)


def safe_text(value: object, lines: bool = False) -> str:
    """Text that every report format can carry: undecodable bytes and lone surrogates become U+FFFD, tabs and
    line breaks a space (kept, with `lines`, for a text a report composes of several lines), other control
    characters U+FFFD, and it is capped at JSON_TEXT_MAX characters."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = value if type(value) is str else str(value)  # pylint: disable=unidiomatic-typecheck
    if UNSAFE.search(value):
        keep = u"\n" if lines else u""
        value = UNSAFE.sub(lambda m: m.group(0) if m.group(0) == keep else _SPACES.get(m.group(0), u"\ufffd"), value)
    return truncate(value, JSON_TEXT_MAX, "")


def is_clean(value: object) -> bool:
    """Whether value is a str that every report can carry as it is."""
    # exactly str: a subclass may encode differently
    return type(value) is str and len(value) <= JSON_TEXT_MAX and not UNSAFE.search(value)  # pylint: disable=unidiomatic-typecheck
