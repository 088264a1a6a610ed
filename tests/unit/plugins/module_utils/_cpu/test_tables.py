# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CPU tables: QEMU's feature words and models (generated), Linux's names of CPUID bits.

One test file for the three data modules: they hold no code, only tables whose shape the guest CPU
computation relies on (test_guest_cpu.py checks the computation; tests/functional/qemu checks the
tables against QEMU itself).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits, linux_features, qemu_models


def test_feature_words_name_each_bit_once_per_word():
    for word in cpuid_bits.FEATURE_WORDS:
        bits = word[5]
        assert all(0 <= bit < 64 for bit in bits), word[0]
    names = [name for word in cpuid_bits.FEATURE_WORDS for name in word[5].values()]
    assert {"sse4.2", "popcnt", "avx2", "lm", "vmx", "svm"} <= set(names)


def test_every_model_names_only_known_features():
    known = set(name for word in cpuid_bits.FEATURE_WORDS for name in word[5].values())
    assert qemu_models.QEMU_VERSION
    for model, features in qemu_models.MODEL_FEATURES.items():
        assert set(features.split()) <= known, model
    assert qemu_models.MODEL_FEATURES["base"] == ""  # QEMU's base model asks for nothing
    assert set(qemu_models.ALIASES.values()) <= set(qemu_models.MODEL_FEATURES) | set(qemu_models.ALIASES)


def test_linux_feature_bits_are_cpuid_positions():
    for name, (leaf, subleaf, register, bit) in linux_features.X86_FEATURES.items():
        assert register in ("eax", "ebx", "ecx", "edx") and 0 <= bit < 32, name
        assert leaf >= 0 and subleaf >= 0, name
    assert linux_features.X86_FEATURES["vmx"] == (0x1, 0, "ecx", 5)  # Intel SDM, CPUID.1:ECX.VMX[bit 5]
