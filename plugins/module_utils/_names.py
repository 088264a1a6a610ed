# SPDX-License-Identifier: GPL-3.0-or-later
"""The few names both sides share: pure data, no code that touches the OS.

The probe writes facts with these names and the judge reads them; the controller may import this
module and the generated tables (_kvm.caps, _cpu.cpuid_bits, _cpu.qemu_models, _cpu.releases, _cpu.levels) from
module_utils, and nothing else (tests/unit/test_layout.py).
"""

# The version of ansible_facts.kvm's shape: raised when a key changes meaning or type.
SCHEMA_VERSION = 2

# Every known backend module of KVM: its directory name under /sys/module.
KVM_BACKENDS = ("kvm_intel", "kvm_amd", "kvm_pvm", "kvm_hv", "kvm_pr", "kvm_arm", "kvm_riscv", "kvm_loongarch")

# The KVM node: the misc major and KVM's static minor (include/linux/miscdevice.h), the node devtmpfs creates.
KVM_MISC_MAJOR, KVM_MINOR = 10, 232

# key, path, misc device name (/proc/misc), static minor of include/linux/miscdevice.h (None: dynamic),
# the module that registers it, and who needs it. Source: Linux 6.1 drivers/net/tun.c, drivers/vhost/
# net.c and vsock.c, drivers/vfio/vfio_main.c (container.c in 6.2+), drivers/iommu/iommufd/main.c,
# drivers/crypto/ccp/sev-dev.c.
VMM_DEVICES = (
    ("tun", "/dev/net/tun", "tun", 200, "tun", "tap networking (Firecracker, QEMU, Cloud Hypervisor)"),
    ("vhost_net", "/dev/vhost-net", "vhost-net", 238, "vhost_net", "in-kernel virtio-net (QEMU vhost=on, Kata)"),
    ("vhost_vsock", "/dev/vhost-vsock", "vhost-vsock", 241, "vhost_vsock", "virtio-vsock (Kata agent)"),
    ("vfio", "/dev/vfio/vfio", "vfio", 196, "vfio", "device passthrough (VFIO container)"),
    ("iommufd", "/dev/iommu", "iommu", None, "iommufd", "device passthrough (iommufd, Linux 6.2+)"),
    ("sev", "/dev/sev", "sev", None, "ccp", "AMD SEV guests (the platform security processor)"),
)
