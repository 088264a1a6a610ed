# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux's names of CPUID bits: each a CPUID position, as the SDM gives it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import linux_features


def test_linux_feature_bits_are_cpuid_positions():
    for name, (leaf, subleaf, register, bit) in linux_features.X86_FEATURES.items():
        assert register in ("eax", "ebx", "ecx", "edx") and 0 <= bit < 32, name
        assert leaf >= 0 and subleaf >= 0, name
    assert linux_features.X86_FEATURES["vmx"] == (0x1, 0, "ecx", 5)  # Intel SDM, CPUID.1:ECX.VMX[bit 5]
