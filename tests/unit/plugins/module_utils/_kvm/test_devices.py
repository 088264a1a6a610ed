# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One class per VMM device, one method per ioctl, each answer decoded; a refusal is a KvmError naming the ioctl."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.devices import Iommufd, Sev, Tun, Vfio, Vhost
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import KvmError
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, misc_node


@pytest.fixture
def kernel():
    kernel = FakeKernel()
    # minors: vfio 196 (static, miscdevice.h); iommu and sev are dynamic, any free one serves
    kernel.nodes.update({"/dev/vfio/vfio": misc_node(196), "/dev/iommu": misc_node(123), "/dev/sev": misc_node(124)})
    return kernel


def test_tun_answers_its_features(kernel):
    with Tun.open(kernel, "/dev/net/tun") as tun:
        assert tun.get_features() == kernel.tun_features
    assert kernel.leaks() == []


def test_vhost_answers_the_virtio_features_of_its_node(kernel):
    with Vhost.open(kernel, "/dev/vhost-vsock") as vhost:
        assert vhost.get_features() == kernel.vhost_features["/dev/vhost-vsock"]


def test_vfio_answers_its_api_version_and_iommu_types(kernel):
    with Vfio.open(kernel, "/dev/vfio/vfio") as vfio:
        assert vfio.get_api_version() == devices_abi.VFIO_API_VERSION
        assert vfio.check_extension(devices_abi.VFIO_TYPE1V2_IOMMU) == 1


def test_iommufd_allocates_an_address_space(kernel):
    with Iommufd.open(kernel, "/dev/iommu") as iommufd:
        assert iommufd.ioas_alloc() == 1


def test_sev_answers_the_platform_status(kernel):
    with Sev.open(kernel, "/dev/sev") as sev:
        assert tuple(sev.platform_status()) == kernel.sev_status


def test_a_refused_ioctl_names_itself_and_the_fd_still_closes(kernel):
    kernel.fail["TUNGETFEATURES"] = errno.ENOTTY
    with pytest.raises(KvmError) as raised:
        with Tun.open(kernel, "/dev/net/tun") as tun:
            tun.get_features()
    assert raised.value.step == "TUNGETFEATURES" and raised.value.errno == errno.ENOTTY
    assert kernel.leaks() == []
