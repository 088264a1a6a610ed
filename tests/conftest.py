# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Let plain pytest import the collection as ansible_collections.fleetcheck.kvm.

ansible-test units does this itself; under plain pytest the repo root is
linked into a temporary ansible_collections tree.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from checkout import importable  # noqa: E402 pylint: disable=wrong-import-position,import-error

importable()
