# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The built-in hypervisor profiles: per VMM and architecture, the KVM capabilities that the
VMM checks at start-up, each list with the source file it was read from.

The kvm_validate action uses them by default; users add their own profiles in the same
shape through its custom_profiles option (the role's kvm_validate_custom_profiles), where
a name replaces a built-in profile.

  <profile>:
    title: shown in messages
    release: the VMM release the lists were read at
    verified: whether the lists were checked against that release's source here, and how
    source: optional, where min_api_version and require_vm_creation were read from
    min_api_version: optional
    require_vm_creation: optional, true if the VMM's checker creates a VM
    devices: optional
      source: where the VMM opens them
      require: [device names of the devices subset: tun, vhost_net, ...] (severity fail)
      warn: [device names] (severity warn: reported, not gating)
    extensions:
      all|x86_64|aarch64:
        source: the file (and function) the list was read from
        require: [capability names, with or without KVM_CAP_]

Controller side: data only, pure standard library.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

# QEMU's tap networking opens /dev/net/tun (net/tap-linux.c tap_open, PATH_NET_TUN) and, with vhost=on,
# /dev/vhost-net (net/tap.c net_init_tap_one); libvirt turns vhost on where the device opens and falls
# back to userspace virtio-net where it does not, so vhost_net only warns. Read in QEMU 7.2.
QEMU_DEVICES = {
    "source": "qemu 7.2 net/tap-linux.c (tap_open opens PATH_NET_TUN, /dev/net/tun) and net/tap.c "
              "(net_init_tap_one opens /dev/vhost-net for vhost=on); libvirt uses vhost-net where it opens",
    "require": ["tun"],
    "warn": ["vhost_net"],
}
UNVERIFIED = ("from the project's documentation and source as recalled, not verified at a release here "
              "(no copy of its source was available offline)")

BUILTIN_PROFILES = {
    "qemu": {
        "title": "QEMU (newest release)",
        "release": "newest QEMU (9.1 and later, as recalled)",
        "verified": "no: " + UNVERIFIED + ". The generic and x86 lists grew in QEMU 9.1, when QEMU dropped "
                    "kernels older than 4.5; the arm list is believed empty, as in 7.2. Hosts running Debian "
                    "12's QEMU 7.2 should use the profile qemu_7_2, verified at that release",
        "min_api_version": 12,
        "devices": QEMU_DEVICES,
        "extensions": {
            "all": {
                "source": "qemu accel/kvm/kvm-all.c (kvm_required_capabilites[]; kvm_init exits without IRQFD)",
                "require": ["USER_MEMORY", "DESTROY_MEMORY_REGION_WORKS", "JOIN_MEMORY_REGIONS_WORKS",
                            "INTERNAL_ERROR_DATA", "IOEVENTFD", "IOEVENTFD_ANY_LENGTH", "IRQFD"],
            },
            "x86_64": {
                "source": "qemu target/i386/kvm/kvm.c (kvm_arch_required_capabilities[])",
                "require": ["SET_TSS_ADDR", "EXT_CPUID", "MP_STATE", "SIGNAL_MSI", "IRQ_ROUTING", "DEBUGREGS",
                            "XSAVE", "VCPU_EVENTS", "X86_ROBUST_SINGLESTEP", "MCE"],
            },
            "aarch64": {
                "source": "qemu target/arm/kvm.c (kvm_arch_required_capabilities[], empty as in 7.2; QEMU asks "
                          "for DEVICE_CTRL only when it creates an in-kernel GIC)",
                "require": [],
            },
        },
    },
    "qemu_7_2": {
        "title": "QEMU 7.2 (Debian 12)",
        "release": "QEMU 7.2.22, Debian 12 package qemu 1:7.2+dfsg-7+deb12u18",
        "verified": "yes: read from that source by tools/extract_qemu_required_caps.py; the extract is "
                    "tests/unit/plugins/module_utils/fixtures/qemu_7_2_required_caps.txt",
        "source": "qemu 7.2 accel/kvm/kvm-all.c (kvm_init: KVM_GET_API_VERSION must be 12)",
        "min_api_version": 12,
        "devices": QEMU_DEVICES,
        "extensions": {
            "all": {
                "source": "qemu 7.2.22 accel/kvm/kvm-all.c (kvm_required_capabilites[])",
                "require": ["USER_MEMORY", "DESTROY_MEMORY_REGION_WORKS", "JOIN_MEMORY_REGIONS_WORKS"],
            },
            "x86_64": {
                "source": "qemu 7.2.22 target/i386/kvm/kvm.c (kvm_arch_required_capabilities[])",
                "require": ["SET_TSS_ADDR", "EXT_CPUID", "MP_STATE"],
            },
            "aarch64": {
                "source": "qemu 7.2.22 target/arm/kvm.c (kvm_arch_required_capabilities[], empty)",
                "require": [],
            },
        },
    },
    "firecracker": {
        "title": "Firecracker",
        "release": "not pinned (main branch, commit 0efae509)",
        "verified": "partly: both capability lists equal src/vmm/src/vstate/kvm.rs at firecracker commit 0efae509 "
                    "and tap.rs (commit 053b461f) opens /dev/net/tun, as read in the project's public source; "
                    "not at a tagged release",
        "min_api_version": 12,
        "devices": {
            "source": "firecracker src/vmm/src/devices/virtio/net/tap.rs (Tap::open_named opens /dev/net/tun; "
                      "every network interface is a tap), " + UNVERIFIED,
            "require": ["tun"],
        },
        "extensions": {
            "x86_64": {
                "source": "firecracker src/vmm/src/vstate/kvm.rs and src/vmm/src/arch/x86_64/kvm.rs "
                          "(required capabilities), " + UNVERIFIED,
                "require": ["IRQCHIP", "IOEVENTFD", "IRQFD", "USER_MEMORY", "SET_TSS_ADDR", "PIT2", "PIT_STATE2",
                            "ADJUST_CLOCK", "DEBUGREGS", "MP_STATE", "VCPU_EVENTS", "XCRS", "XSAVE", "EXT_CPUID"],
            },
            "aarch64": {
                "source": "firecracker src/vmm/src/vstate/kvm.rs and src/vmm/src/arch/aarch64/kvm.rs "
                          "(required capabilities), " + UNVERIFIED,
                "require": ["IOEVENTFD", "IRQFD", "USER_MEMORY", "ARM_PSCI_0_2", "DEVICE_CTRL", "MP_STATE",
                            "ONE_REG"],
            },
        },
    },
    "cloud_hypervisor": {
        "title": "Cloud Hypervisor",
        "release": "not pinned",
        "verified": "no: " + UNVERIFIED,
        "min_api_version": 12,
        "extensions": {
            "x86_64": {
                "source": "cloud-hypervisor hypervisor/src/kvm/x86_64/mod.rs (check_required_kvm_extensions), "
                          + UNVERIFIED,
                "require": ["ADJUST_CLOCK", "EXT_CPUID", "GET_TSC_KHZ", "IMMEDIATE_EXIT", "IOEVENTFD", "IRQCHIP",
                            "IRQFD", "IRQ_ROUTING", "MP_STATE", "SET_IDENTITY_MAP_ADDR", "SET_TSS_ADDR",
                            "SPLIT_IRQCHIP", "TSC_DEADLINE_TIMER", "USER_MEMORY", "USER_NMI", "VCPU_EVENTS",
                            "XSAVE"],
            },
            "aarch64": {
                "source": "cloud-hypervisor hypervisor/src/kvm/aarch64/mod.rs (check_required_kvm_extensions), "
                          + UNVERIFIED,
                "require": ["IMMEDIATE_EXIT", "IOEVENTFD", "IRQCHIP", "IRQFD", "IRQ_ROUTING", "MP_STATE", "ONE_REG",
                            "USER_MEMORY"],
            },
        },
    },
    "kata": {
        "title": "Kata Containers",
        "release": "not pinned",
        "verified": "no: " + UNVERIFIED + ". kata-check_arm64.go only prints KVM_CAP_ARM_VM_IPA_SIZE, it does "
                    "not require it, so this profile no longer does",
        "source": "kata-containers src/runtime/pkg/katautils/kata-check.go (genericKvmIsUsable, API 12 and "
                  "KVM_CREATE_VM), " + UNVERIFIED,
        "min_api_version": 12,
        "require_vm_creation": True,
        "devices": {
            "source": "kata-containers src/runtime/pkg/katautils/kata-check_amd64.go and kata-check_arm64.go "
                      "(archRequiredKernelModules: vhost and vhost_net required: true, vhost_vsock required: false; "
                      "read in the project's public source, not at a tagged release)",
            "require": ["vhost_net"],
            "warn": ["vhost_vsock"],
        },
        "extensions": {},
    },
}
# The profile the name `qemu` means: the newest QEMU. Debian 12 hosts: qemu_7_2.
DEFAULT_QEMU_PROFILE = "qemu"


def profiles_with(custom_profiles=None):
    """The built-in profiles and the custom ones, as a fresh dict; a custom name replaces a built-in one."""
    profiles = copy.deepcopy(BUILTIN_PROFILES)
    profiles.update(custom_profiles or {})
    return profiles
