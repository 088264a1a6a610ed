# SPDX-License-Identifier: GPL-3.0-or-later
"""The userspace ABI of the devices a VMM opens besides /dev/kvm: tun, vhost, vfio, iommufd, sev.

Request numbers are computed with abi.IoctlEncoding, as the C preprocessor would, from the
uapi headers named beside each one (checked against Debian 12's linux-libc-dev 6.1 headers by
tests/functional/real_device/test_devices_real.py; iommufd.h is newer than 6.1: Linux 6.2).
Pure standard library; no Ansible imports.
"""

import struct

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.abi import IoctlEncoding, RequestTable, ioc_layout

# Every device below is a misc device: its major is _names.KVM_MISC_MAJOR.

# linux/if_tun.h: TUNGETFEATURES = _IOR('T', 207, unsigned int) and the IFF_* flags it answers.
TUN_TYPE = ord("T")
TUN_UINT = struct.Struct("=I")
TUN_FEATURES = {0: "IFF_TUN", 1: "IFF_TAP", 4: "IFF_NAPI", 5: "IFF_NAPI_FRAGS", 6: "IFF_NO_CARRIER",
                8: "IFF_MULTI_QUEUE", 9: "IFF_ATTACH_QUEUE", 10: "IFF_DETACH_QUEUE", 11: "IFF_PERSIST",
                12: "IFF_NO_PI", 13: "IFF_ONE_QUEUE", 14: "IFF_VNET_HDR", 15: "IFF_TUN_EXCL"}  # bit numbers

# linux/vhost.h: VHOST_GET_FEATURES = _IOR(VHOST_VIRTIO 0xAF, 0x00, __u64); virtio feature bits.
VHOST_VIRTIO = 0xAF
VHOST_U64 = struct.Struct("=Q")
VIRTIO_FEATURES = {24: "VIRTIO_F_NOTIFY_ON_EMPTY", 27: "VIRTIO_F_ANY_LAYOUT", 28: "VIRTIO_RING_F_INDIRECT_DESC",
                   29: "VIRTIO_RING_F_EVENT_IDX", 30: "VHOST_F_LOG_ALL", 32: "VIRTIO_F_VERSION_1",
                   33: "VIRTIO_F_ACCESS_PLATFORM", 15: "VIRTIO_NET_F_MRG_RXBUF",
                   0: "VIRTIO_VSOCK_F_STREAM", 1: "VIRTIO_VSOCK_F_SEQPACKET"}

# linux/vfio.h: VFIO_TYPE ';', VFIO_BASE 100; VFIO_GET_API_VERSION = _IO(;, 100),
# VFIO_CHECK_EXTENSION = _IO(;, 101); the API version and the IOMMU types a VMM uses.
VFIO_TYPE = ord(";")
VFIO_BASE = 100
VFIO_API_VERSION = 0
VFIO_TYPE1_IOMMU = 1
VFIO_TYPE1V2_IOMMU = 3
VFIO_EXTENSIONS = (("type1", VFIO_TYPE1_IOMMU), ("type1v2", VFIO_TYPE1V2_IOMMU))

# linux/iommufd.h (Linux 6.2): IOMMUFD_TYPE ';', IOMMUFD_CMD_BASE 0x80; IOMMU_IOAS_ALLOC is
# _IO(;, 0x81) on struct iommu_ioas_alloc {u32 size, u32 flags, u32 out_ioas_id}. Closing the fd frees it.
IOMMUFD_CMD_IOAS_ALLOC = 0x81
IOMMU_IOAS_ALLOC = struct.Struct("=III")

# linux/psp-sev.h: SEV_ISSUE_CMD = _IOWR('S', 0x0, struct sev_issue_cmd) (packed u32 cmd, u64 data,
# u32 error); cmd SEV_PLATFORM_STATUS (1) fills struct sev_user_data_status (packed u8 api_major,
# u8 api_minor, u8 state, u32 flags, u8 build, u32 guest_count).
SEV_TYPE = ord("S")
SEV_ISSUE_CMD_STRUCT = struct.Struct("=IQI")
SEV_PLATFORM_STATUS = 1
SEV_USER_DATA_STATUS = struct.Struct("=BBBIBI")
SEV_STATES = {0: "UNINIT", 1: "INIT", 2: "WORKING"}


class DeviceRequests(RequestTable):
    """The request numbers of the device ioctls for one architecture."""

    def __init__(self, machine):
        enc = IoctlEncoding(ioc_layout(machine))
        self.TUNGETFEATURES = enc.ior(TUN_TYPE, 207, TUN_UINT.size)
        self.VHOST_GET_FEATURES = enc.ior(VHOST_VIRTIO, 0x00, VHOST_U64.size)
        self.VFIO_GET_API_VERSION = enc.io(VFIO_TYPE, VFIO_BASE + 0)
        self.VFIO_CHECK_EXTENSION = enc.io(VFIO_TYPE, VFIO_BASE + 1)
        self.IOMMU_IOAS_ALLOC = enc.io(VFIO_TYPE, IOMMUFD_CMD_IOAS_ALLOC)
        self.SEV_ISSUE_CMD = enc.iowr(SEV_TYPE, 0x00, SEV_ISSUE_CMD_STRUCT.size)


def flag_names(mask, table):
    """The names of the set bits of mask from a {bit number: name} table; unknown bits by number."""
    return [table.get(bit, "bit %d" % bit) for bit in range(64) if mask & (1 << bit)]
