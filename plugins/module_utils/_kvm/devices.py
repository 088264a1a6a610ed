# SPDX-License-Identifier: GPL-3.0-or-later
"""The other devices a VMM opens, one class each with its ioctls: tun, vhost, VFIO, iommufd, SEV."""

import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Fd


class _DeviceFd(Fd):
    """A VMM device other than /dev/kvm (tun, vhost, vfio, iommufd, sev), opened read-write."""

    @classmethod
    def open(cls, kernel, path):
        return cls(kernel, kernel.open(path, os.O_RDWR), devices_abi.DeviceRequests(kernel.machine))


class Tun(_DeviceFd):
    """/dev/net/tun before TUNSETIFF."""

    def get_features(self):
        """TUNGETFEATURES: the IFF_* flags this tun driver supports."""
        buf = self._read("TUNGETFEATURES", devices_abi.TUN_UINT.size)
        return devices_abi.TUN_UINT.unpack_from(buf)[0]


class Vhost(_DeviceFd):
    """/dev/vhost-net or /dev/vhost-vsock."""

    def get_features(self):
        """VHOST_GET_FEATURES: the virtio feature bits the vhost backend offers."""
        buf = self._read("VHOST_GET_FEATURES", devices_abi.VHOST_U64.size)
        return devices_abi.VHOST_U64.unpack_from(buf)[0]


class Vfio(_DeviceFd):
    """The /dev/vfio/vfio container."""

    def get_api_version(self):
        return self._ioctl("VFIO_GET_API_VERSION")

    def check_extension(self, cap):
        """VFIO_CHECK_EXTENSION: nonzero when the container supports the IOMMU type `cap`."""
        return self._ioctl("VFIO_CHECK_EXTENSION", cap)


class Iommufd(_DeviceFd):
    """/dev/iommu (iommufd)."""

    def ioas_alloc(self):
        """IOMMU_IOAS_ALLOC: a new I/O address space id (freed when the fd closes)."""
        buf = bytearray(devices_abi.IOMMU_IOAS_ALLOC.pack(devices_abi.IOMMU_IOAS_ALLOC.size, 0, 0))
        self._ioctl("IOMMU_IOAS_ALLOC", buf)
        return devices_abi.IOMMU_IOAS_ALLOC.unpack_from(buf)[2]


class Sev(_DeviceFd):
    """/dev/sev, the AMD secure processor."""

    def platform_status(self):
        """SEV_ISSUE_CMD(SEV_PLATFORM_STATUS): (api_major, api_minor, state, flags, build, guest_count)."""
        status, address = self.kernel.user_buffer(bytearray(devices_abi.SEV_USER_DATA_STATUS.size))
        command = bytearray(devices_abi.SEV_ISSUE_CMD_STRUCT.pack(devices_abi.SEV_PLATFORM_STATUS, address, 0))
        self._ioctl("SEV_ISSUE_CMD", command)
        return devices_abi.SEV_USER_DATA_STATUS.unpack_from(status)
