# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The device ioctls' request numbers, as the kernel's headers give them on x86_64.

Expected values: <linux/if_tun.h> TUNGETFEATURES _IOR('T', 207, unsigned int); <linux/vhost.h>
VHOST_GET_FEATURES _IOR(0xAF, 0x00, __u64); <linux/vfio.h> VFIO_GET_API_VERSION _IO(';', 100),
VFIO_CHECK_EXTENSION _IO(';', 101); <linux/iommufd.h> IOMMU_IOAS_ALLOC _IO(';', 0x81);
<linux/psp-sev.h> SEV_ISSUE_CMD _IOWR('S', 0x0, struct sev_issue_cmd) (16 bytes).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.devices_abi import TUN_FEATURES, DeviceRequests, flag_names


def test_x86_64_request_numbers_are_the_headers():
    requests = DeviceRequests("x86_64")
    assert (requests.TUNGETFEATURES, requests.VHOST_GET_FEATURES) == (0x800454CF, 0x8008AF00)
    assert (requests.VFIO_GET_API_VERSION, requests.VFIO_CHECK_EXTENSION) == (0x3B64, 0x3B65)
    assert requests.IOMMU_IOAS_ALLOC == 0x3B81
    assert requests.SEV_ISSUE_CMD == 0xC0105300


def test_flag_names_name_known_bits_and_number_the_others():
    assert flag_names(1 << 1 | 1 << 40, TUN_FEATURES) == ["IFF_TAP", "bit 40"]
    assert flag_names(0, TUN_FEATURES) == []
