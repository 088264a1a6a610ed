# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's feature words (generated): each bit named once per word, the names the levels and checks use among them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits


def test_feature_words_name_each_bit_once_per_word():
    for word in cpuid_bits.FEATURE_WORDS:
        bits = word[5]
        assert all(0 <= bit < 64 for bit in bits), word[0]
    names = [name for word in cpuid_bits.FEATURE_WORDS for name in word[5].values()]
    assert {"sse4.2", "popcnt", "avx2", "lm", "vmx", "svm"} <= set(names)
