# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.json: the fleet document, streamed a host per line so that 100,000 hosts need no second copy."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def iter_json(fleet):
    """The document in chunks: top-level keys indented, each host record on one line (C-speed encoding)."""
    keys = sorted(k for k in fleet if k != "hosts")
    yield "{\n"
    for key in keys:
        yield ' %s: %s,\n' % (json.dumps(key), json.dumps(fleet[key], sort_keys=True, ensure_ascii=False))
    yield ' "hosts": ['
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    separator = "\n  "
    for record in fleet["hosts"]:
        yield separator + encode(record)
        separator = ",\n  "
    yield "\n ]\n}\n"


def render_json(fleet):
    return "".join(iter_json(fleet))
