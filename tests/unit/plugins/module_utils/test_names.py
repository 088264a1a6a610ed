# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names both sides share: unique, and each VMM device a misc node with an absolute path."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS, SCHEMA_VERSION, VMM_DEVICES


def test_backends_are_unique_module_names():
    assert len(set(KVM_BACKENDS)) == len(KVM_BACKENDS)
    assert all(name.startswith("kvm_") for name in KVM_BACKENDS)
    assert {"kvm_intel", "kvm_amd", "kvm_pvm", "kvm_arm"} <= set(KVM_BACKENDS)


def test_each_vmm_device_has_a_key_path_misc_name_minor_module_and_user():
    assert tuple(entry[0] for entry in VMM_DEVICES) == ("tun", "vhost_net", "vhost_vsock", "vfio", "iommufd", "sev")
    for key, path, misc, minor, module, who in VMM_DEVICES:
        assert path.startswith("/dev/") and misc and module and who, key
        assert minor is None or 0 < minor < 256, key


def test_the_schema_version_is_a_positive_number():
    assert isinstance(SCHEMA_VERSION, int) and SCHEMA_VERSION >= 1
