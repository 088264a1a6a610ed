# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QEMU's CPU models (generated): every feature a model asks for is a known one."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits, qemu_models


def test_every_model_names_only_known_features():
    known = set(name for word in cpuid_bits.FEATURE_WORDS for name in word[5].values())
    assert qemu_models.QEMU_VERSION
    for model, features in qemu_models.MODEL_FEATURES.items():
        assert set(features.split()) <= known, model
    assert qemu_models.MODEL_FEATURES["base"] == ""  # QEMU's base model asks for nothing
    assert set(qemu_models.ALIASES.values()) <= set(qemu_models.MODEL_FEATURES) | set(qemu_models.ALIASES)
