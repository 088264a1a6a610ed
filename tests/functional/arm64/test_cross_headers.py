# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pinned request numbers of the other architectures are still what their installed headers say."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import ROOT, missing

TRIPLETS = ("aarch64-linux-gnu", "powerpc64le-linux-gnu", "riscv64-linux-gnu", "s390x-linux-gnu")


def test_the_pinned_numbers_are_what_the_cross_headers_give():
    absent = [t for t in TRIPLETS if not os.path.exists("/usr/%s/include/linux/kvm.h" % t)]
    if absent:
        missing("no cross KVM headers for %s (fc_arm64_vm installs linux-libc-dev-*-cross)" % ", ".join(absent))
    process = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_kvm_ioctl_numbers.py"), "--check"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert process.returncode == 0, process.stdout
