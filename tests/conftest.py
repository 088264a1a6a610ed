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
import tempfile

try:
    import ansible_collections.fleetcheck.kvm.plugins  # noqa: F401 pylint: disable=unused-import
except ImportError:
    ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    TREE = tempfile.mkdtemp(prefix="fleetcheck-collections-")
    os.makedirs(os.path.join(TREE, "ansible_collections", "fleetcheck"))
    os.symlink(ROOT, os.path.join(TREE, "ansible_collections", "fleetcheck", "kvm"))
    sys.path.insert(0, TREE)
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
