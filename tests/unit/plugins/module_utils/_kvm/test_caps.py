# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The generated capability table agrees with the kernel header and its data."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))))
HEADER = "/usr/include/linux/kvm.h"
TSV = os.path.join(ROOT, "tools", "data", "kvm_caps.tsv")
DEFINE = re.compile(r"^#define\s+(KVM_CAP_\w+)\s+(\d+)\b")


def header_caps():
    with open(HEADER) as handle:
        return dict((int(m.group(2)), m.group(1)) for m in (DEFINE.match(line) for line in handle) if m)


@pytest.mark.skipif(not os.path.exists(HEADER), reason="no linux/kvm.h on this machine (Debian: linux-libc-dev)")
def test_table_matches_every_capability_of_the_header():
    caps = header_caps()
    assert len(caps) > 100
    assert dict((n, KVM_CAPS.get(n)) for n in caps) == caps


def test_table_is_what_the_generator_makes_from_the_data():
    with open(TSV) as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip() and not line.startswith("#")]
    assert KVM_CAPS == dict((int(number), name) for number, name in rows)


def test_table_names_are_unique_and_prefixed():
    names = list(KVM_CAPS.values())
    assert len(names) == len(set(names))
    assert all(name.startswith("KVM_CAP_") for name in names)
