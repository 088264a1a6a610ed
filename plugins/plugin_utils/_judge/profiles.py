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

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Profiles

# QEMU's tap networking opens /dev/net/tun (net/tap-linux.c tap_open, PATH_NET_TUN) and, with vhost=on,
# /dev/vhost-net (net/tap.c net_init_tap_one); libvirt turns vhost on where the device opens and falls
# back to userspace virtio-net where it does not, so vhost_net only warns. Read in QEMU 7.2.
QEMU_DEVICES = {
    "source": "qemu 7.2 net/tap-linux.c (tap_open opens PATH_NET_TUN, /dev/net/tun) and net/tap.c "
              "(net_init_tap_one opens /dev/vhost-net for vhost=on); libvirt uses vhost-net where it opens",
    "require": ["tun"],
    "warn": ["vhost_net"],
}
# Where a list was read: the VMM's public source at a commit (tests/unit/plugins/plugin_utils/_judge/
# fixtures/vmm_required_caps.txt holds the extract, and a unit test pins each profile to it).
NO_VERSION_FILE = "no version file is stored at that commit, so the release is inferred"

BUILTIN_PROFILES = {
    "qemu": {
        "title": "QEMU (newest release)",
        "release": "QEMU 9.2 and later: the generic and x86 lists as grown in QEMU 8.2 (the 'require' series "
                   "pulled on 26 Oct 2023), the arm list as in QEMU 9.2 (DEVICE_CTRL, Oct 2024); " + NO_VERSION_FILE,
        "verified": "yes: read in patchew-project/qemu at f89f5c4a1ecd (accel/kvm/kvm-all.c, "
                    "target/i386/kvm/kvm.c) and qemu/qemu at dfc56946a700 (target/arm/kvm.c), and again in "
                    "Debian 13's QEMU 10.0.13 source package (the same three lists). Hosts running "
                    "Debian 12's QEMU 7.2 should use the profile qemu_7_2, verified at that release",
        "min_api_version": 12,
        "devices": QEMU_DEVICES,
        "extensions": {
            "all": {
                "source": "qemu accel/kvm/kvm-all.c (kvm_required_capabilites[]; and kvm_irqchip_create exits with "
                          "'irqfd not implemented' when the in-kernel irqchip, the default, lacks IRQFD)",
                "require": ["USER_MEMORY", "DESTROY_MEMORY_REGION_WORKS", "JOIN_MEMORY_REGIONS_WORKS",
                            "INTERNAL_ERROR_DATA", "IOEVENTFD", "IOEVENTFD_ANY_LENGTH", "IRQFD"],
            },
            "x86_64": {
                "source": "qemu target/i386/kvm/kvm.c (kvm_arch_required_capabilities[])",
                "require": ["SET_TSS_ADDR", "EXT_CPUID", "MP_STATE", "SIGNAL_MSI", "IRQ_ROUTING", "DEBUGREGS",
                            "XSAVE", "VCPU_EVENTS", "X86_ROBUST_SINGLESTEP", "MCE", "ADJUST_CLOCK",
                            "SET_IDENTITY_MAP_ADDR"],
            },
            "aarch64": {
                "source": "qemu target/arm/kvm.c (kvm_arch_required_capabilities[]: DEVICE_CTRL since QEMU 9.2; "
                          "empty in 7.2)",
                "require": ["DEVICE_CTRL"],
            },
        },
    },
    "qemu_7_2": {
        "title": "QEMU 7.2 (Debian 12)",
        "release": "QEMU 7.2.22, Debian 12 package qemu 1:7.2+dfsg-7+deb12u18",
        "verified": "yes: read from that source by tools/extract_qemu_required_caps.py; the extract is "
                    "tests/unit/plugins/plugin_utils/_judge/fixtures/qemu_7_2_required_caps.txt",
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
        "release": "the 2025 main branch (commits b9ee9396247a and fb546a6b59af); " + NO_VERSION_FILE,
        "verified": "partly: both lists equal DEFAULT_CAPABILITIES in firecracker-microvm/firecracker "
                    "src/vmm/src/arch/x86_64/kvm.rs at b9ee9396247a and src/vmm/src/arch/aarch64/kvm.rs at "
                    "fb546a6b59af (src/vmm/src/vstate/kvm.rs also checks API version 12), and tap.rs at "
                    "da878fb69f94 opens /dev/net/tun; read at commits, not at a tagged release",
        "min_api_version": 12,
        "devices": {
            "source": "firecracker src/vmm/src/devices/virtio/net/tap.rs at da878fb69f94 (Tap::open_named opens "
                      "/dev/net/tun, then TUNSETIFF; every network interface is a tap)",
            "require": ["tun"],
        },
        "extensions": {
            "x86_64": {
                "source": "firecracker src/vmm/src/arch/x86_64/kvm.rs at b9ee9396247a (DEFAULT_CAPABILITIES)",
                "require": ["IRQCHIP", "IOEVENTFD", "IRQFD", "USER_MEMORY", "SET_TSS_ADDR", "PIT2", "PIT_STATE2",
                            "ADJUST_CLOCK", "DEBUGREGS", "MP_STATE", "VCPU_EVENTS", "XCRS", "XSAVE", "EXT_CPUID"],
            },
            "aarch64": {
                "source": "firecracker src/vmm/src/arch/aarch64/kvm.rs at fb546a6b59af (DEFAULT_CAPABILITIES)",
                "require": ["IOEVENTFD", "IRQFD", "USER_MEMORY", "ARM_PSCI_0_2", "DEVICE_CTRL", "MP_STATE",
                            "ONE_REG"],
            },
        },
    },
    "cloud_hypervisor": {
        "title": "Cloud Hypervisor",
        "release": "aarch64 as in v44.0.0 (Cargo.toml at ed4c86162bab); x86_64 as at d7ec1b3ee15d, "
                   + NO_VERSION_FILE,
        "verified": "partly: both lists equal check_required_kvm_extensions in cloud-hypervisor/cloud-hypervisor "
                    "hypervisor/src/kvm/aarch64/mod.rs at ed4c86162bab (v44.0.0) and hypervisor/src/kvm/x86_64/"
                    "mod.rs at d7ec1b3ee15d; DeviceCtrl, EnableCap and SetGuestDebug are needed too but not "
                    "checked by Cloud Hypervisor, as some kernels lack their capability flags",
        "min_api_version": 12,
        "extensions": {
            "x86_64": {
                "source": "cloud-hypervisor hypervisor/src/kvm/x86_64/mod.rs at d7ec1b3ee15d "
                          "(check_required_kvm_extensions)",
                "require": ["ADJUST_CLOCK", "EXT_CPUID", "GET_TSC_KHZ", "IMMEDIATE_EXIT", "IOEVENTFD", "IRQCHIP",
                            "IRQFD", "IRQ_ROUTING", "MP_STATE", "SET_IDENTITY_MAP_ADDR", "SET_TSS_ADDR",
                            "SPLIT_IRQCHIP", "TSC_DEADLINE_TIMER", "USER_MEMORY", "USER_NMI", "VCPU_EVENTS",
                            "XCRS", "XSAVE"],
            },
            "aarch64": {
                "source": "cloud-hypervisor hypervisor/src/kvm/aarch64/mod.rs at ed4c86162bab, v44.0.0 "
                          "(check_required_kvm_extensions)",
                "require": ["IMMEDIATE_EXIT", "IOEVENTFD", "IRQCHIP", "IRQFD", "IRQ_ROUTING", "MP_STATE", "ONE_REG",
                            "USER_MEMORY"],
            },
        },
    },
    "kata": {
        "title": "Kata Containers",
        "release": "Kata 3.x (kata-check*.go at 7c315b3063d6, 0a4b755cd9e2 and 9b03172c4bda); " + NO_VERSION_FILE,
        "verified": "partly: read in kata-containers/kata-containers src/runtime/cmd/kata-runtime/kata-check.go, "
                    "kata-check_amd64.go and kata-check_arm64.go at those commits. genericKvmIsUsable opens "
                    "/dev/kvm and issues KVM_CREATE_VM; it checks no API version. kata-check_arm64.go only prints "
                    "KVM_CAP_ARM_VM_IPA_SIZE (a 0 answer passes), so this profile does not require it. Kata's "
                    "vmx/svm, lm and sse4_1 checks read /proc/cpuinfo and are left to the guest_cpu facts",
        "source": "kata-containers src/runtime/cmd/kata-runtime/kata-check.go at 7c315b3063d6 "
                  "(genericKvmIsUsable: KVM_CREATE_VM)",
        "require_vm_creation": True,
        "devices": {
            "source": "kata-containers src/runtime/cmd/kata-runtime/kata-check_amd64.go at 0a4b755cd9e2 and "
                      "kata-check_arm64.go at 9b03172c4bda (archRequiredKernelModules: vhost and vhost_net "
                      "required: true, vhost_vsock required: false)",
            "require": ["vhost_net"],
            "warn": ["vhost_vsock"],
        },
        "extensions": {},
    },
}
# Guest operating systems and the x86-64 level their x86_64 builds need, each with its source: in full in the
# docs and check_only's guest_profiles, cited short (cite) in a failure, which every failing host repeats.
GUEST_PROFILES: dict[str, dict[str, Any]] = {
    "rhel9": {
        "title": "Red Hat Enterprise Linux 9 and its rebuilds (CentOS Stream 9, AlmaLinux 9, Rocky Linux 9)",
        "min_guest_cpu_level": "x86-64-v2",
        "cite": "RHEL 9.0 release notes",
        "source": "Red Hat Enterprise Linux 9.0 release notes (RHEL 9 on AMD and Intel 64-bit needs "
                  "x86-64-v2); Red Hat Developer blog, F. Weimer, 'Building Red Hat Enterprise Linux 9 "
                  "for the x86-64-v2 microarchitecture level' (2021-01-05)",
    },
    "rhel10": {
        "title": "Red Hat Enterprise Linux 10 (and CentOS Stream 10)",
        "min_guest_cpu_level": "x86-64-v3",
        "cite": "RHEL 10.0 release notes",
        "source": "Red Hat Enterprise Linux 10.0 release notes (RHEL 10 on AMD and Intel 64-bit needs "
                  "x86-64-v3); AlmaLinux 10 release notes (RHEL 10 requires x86-64-v3, AlmaLinux adds a separate "
                  "x86-64-v2 build); Red Hat Developer, 'Exploring x86-64-v3 for Red Hat Enterprise Linux 10' "
                  "(2024-01-02)",
    },
    "debian12": {
        "title": "Debian 12 (amd64)",
        "min_guest_cpu_level": "x86-64-v1",
        "cite": "Debian 12 installation guide, 2.1.1",
        "source": "Debian 12 installation guide, 2.1.1 'Supported hardware': the amd64 port "
                  "supports every x86-64 processor (the psABI baseline)",
    },
}

# Windows guests: the Hyper-V enlightenments each VMM turns on for them (QEMU's hv-* names: libvirt's hypervclock timer
# is hv-time, KubeVirt's synictimer hv-stimer, its direct mode hv-stimer-direct; hv-spinlocks, a value that asks KVM
# for nothing more, is left out), read in its source at the release named, and the CPU level Windows needs. A VMM that
# `adapts` turns on only what libvirt's domain capabilities say the host has: a missing one is left off (a warning),
# where for the others the guest does not start (a failure).
WINDOWS_CPU_LEVEL = "x86-64-v2"
WINDOWS_CPU_SOURCE = ("Microsoft, 'Windows Processor Requirements' (Windows 11 24H2 and Windows Server 2025 need SSE4.2 "
                      "and POPCNT; Windows 8.1 and later CMPXCHG16B and LAHF/SAHF): x86-64-v2 is these and the SSE3, "
                      "SSSE3 and SSE4.1 that every CPU with SSE4.2 has")
WINDOWS_PROFILES: dict[str, dict[str, Any]] = {
    "windows": {
        "title": "Windows, the enlightenments every VMM below turns on",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time"],
        "cite": "the windows_* profiles below, intersected",
        "source": "the enlightenments that windows_virt_install_4, windows_nova, windows_proxmox and windows_kubevirt all turn on",
    },
    "windows_virt_install_4": {
        "title": "Windows installed by virt-install 4.1 (Debian 12) with libvirt",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time"],
        "cite": "virt-install 4.1.0, virtinst/domain/features.py",
        "source": "virt-install of virt-manager 4.1.0 (Debian 12 virtinst 1:4.1.0-2): DomainFeatures.set_defaults turns on hyperv "
                  "relaxed, vapic and spinlocks (8191) for an osinfo Windows OS; DomainClock.set_defaults adds the "
                  "hypervclock timer (hv-time)",
    },
    "windows_virt_install": {
        "title": "Windows installed by virt-install 5.0 (Debian 13) with libvirt",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time", "hv-vpindex", "hv-runtime", "hv-synic", "hv-stimer",
                   "hv-stimer-direct", "hv-frequencies", "hv-tlbflush", "hv-ipi", "hv-avic"],
        "adapts": True,
        "cite": "virt-install 5.0.0, virtinst/domain/features.py",
        "source": "virt-install of virt-manager 5.0.0 (Debian 13 virtinst 1:5.0.0-5): _set_hyperv_defaults turns on relaxed, vapic, "
                  "spinlocks (8191), vpindex, runtime, synic, stimer and its direct mode (with the hypervclock timer, "
                  "hv-time), frequencies, tlbflush, ipi, avic, and evmcs on Intel hosts, each only where libvirt's "
                  "domain capabilities list it",
    },
    "windows_nova": {
        "title": "Windows instances of OpenStack Nova's libvirt driver (os_type=windows)",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time", "hv-vpindex", "hv-runtime", "hv-synic", "hv-reset",
                   "hv-frequencies", "hv-tlbflush", "hv-ipi"],
        "cite": "Nova 34.0.0, nova/virt/libvirt/driver.py",
        "source": "Nova 34.0.0 (PyPI nova): LibvirtDriver._set_features turns on hyperv relaxed, spinlocks (8191), vapic, "
                  "vpindex, runtime, synic, reset, frequencies, tlbflush and ipi for os_type windows; _set_kvm_timers adds "
                  "the hypervclock timer (hv-time)",
    },
    "windows_proxmox": {
        "title": "Windows 7 and later guests of Proxmox VE (qemu-server, ostype win7 to win11)",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time", "hv-reset", "hv-vpindex", "hv-runtime", "hv-synic",
                   "hv-stimer", "hv-ipi"],
        "cite": "qemu-server, src/PVE/QemuServer/CPUConfig.pm",
        "source": "proxmox/qemu-server at 0538c83c41603b50096ab418be166d1f86b6bd35, get_hyperv_enlightenments: for machine versions 3.1 and "
                  "later, hv_spinlocks=0x1fff, hv_vapic, hv_time, hv_reset, hv_vpindex, hv_runtime, and for Windows 7 "
                  "and later hv_relaxed, hv_synic, hv_stimer and hv_ipi",
    },
    "windows_kubevirt": {
        "title": "Windows VMs of KubeVirt with the common-instancetypes Windows preferences",
        "hyperv": ["hv-relaxed", "hv-vapic", "hv-time", "hv-vpindex", "hv-synic", "hv-stimer", "hv-stimer-direct",
                   "hv-tlbflush", "hv-frequencies", "hv-reenlightenment", "hv-ipi", "hv-runtime", "hv-reset"],
        "cite": "common-instancetypes, components/hyperv/hyperv.yaml",
        "source": "kubevirt/common-instancetypes at db1b724528119cc986340f545cc58665ceab4f42, "
                  "preferences/components/hyperv/hyperv.yaml, the hyperv component of "
                  "the windows preferences: relaxed, vapic, vpindex, spinlocks (8191), synic, synictimer with direct, "
                  "tlbflush, frequencies, reenlightenment, ipi, runtime, reset, and the hyperv clock timer (hv-time)",
    },
}
for _profile in WINDOWS_PROFILES.values():  # each also sets the CPU level, as the guest profiles above do
    _profile.update(min_guest_cpu_level=WINDOWS_CPU_LEVEL, cpu_source=WINDOWS_CPU_SOURCE)
GUEST_PROFILES.update(WINDOWS_PROFILES)


def profiles_with(custom_profiles: Profiles | None = None) -> Profiles:
    """The built-in profiles and the custom ones, as a fresh dict; a custom name replaces a built-in one."""
    profiles = copy.deepcopy(BUILTIN_PROFILES)
    profiles.update(custom_profiles or {})
    return profiles
