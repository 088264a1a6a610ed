# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The requirement options of fleetcheck.kvm.kvm_validate. Their names, types and defaults are written once,
    # in plugins/module_utils/kvm_requirement_spec.py; tests/unit/plugins/module_utils/test_kvm_requirement_spec.py
    # fails when this list and the spec differ. An unset option defers to O(requirements), then to the variables
    # named by O(vars_prefix), then to the default.
    DOCUMENTATION = r"""
options:
  min_api_version:
    description: Lowest acceptable C(KVM_GET_API_VERSION) answer. Default 12.
    type: int
  required_extensions:
    description: Capability names that must answer nonzero; with or without C(KVM_CAP_), any case.
    type: list
    elements: str
  extension_minimums:
    description: "Minimum values of counting capabilities, for example C({NR_VCPUS: 64, NR_MEMSLOTS: 509})."
    type: dict
  min_vcpu_mmap_size:
    description: Lowest acceptable C(KVM_GET_VCPU_MMAP_SIZE) in bytes; 0 means no requirement.
    type: int
  require_vcpu_run:
    description: Require that a vCPU ran guest code to its HLT. Default true.
    type: bool
  require_nested:
    description: Require that guests are offered vmx or svm (nested virtualization). Default false.
    type: bool
  allowed_backends:
    description: KVM backend modules allowed, for example V(kvm_intel) and V(kvm_amd). Empty allows any.
    type: list
    elements: str
  forbid_world_writable_device:
    description: Treat a world-writable device node as a failure. Default true.
    type: bool
  device_users:
    description:
      - Accounts that must be able to open the device by owner, group or mode.
      - Their access is read from C(ansible_facts.kvm.device.accounts); gather it with the O(fleetcheck.kvm.kvm_facts#module:accounts) option.
    type: list
    elements: str
  min_guest_cpu_level:
    description:
      - Lowest x86-64 micro-architecture level (psABI) that KVM must offer guests, V(x86-64-v1) to V(x86-64-v4),
        judged against C(ansible_facts.kvm.guest_cpu.level); a failure names the CPUID features that are missing.
      - Or a guest profile, the level a guest operating system needs, with its source in the collection's
        C(plugins/module_utils/kvm_guest_cpu_checks.py) (C(GUEST_PROFILES)); V(rhel9) is V(x86-64-v2), V(rhel10) is
        V(x86-64-v3), V(debian12) is V(x86-64-v1).
      - Needs the C(guest_cpu) facts (x86 only); without them, or on another architecture, the check fails saying so.
    type: str
  required_cpu_models:
    description:
      - QEMU CPU models (QEMU's names, for example V(Nehalem) or V(EPYC-v4)) that must be runnable under KVM, as
        C(ansible_facts.kvm.guest_cpu.models) says; a failure names the features each model lacks.
      - Unknown names are rejected with suggestions.
    type: list
    elements: str
  required_cpu_features:
    description:
      - CPU features that KVM must offer guests, judged against the full set C(ansible_facts.kvm.guest_cpu.features).
      - QEMU's names (V(sse4.2), V(pni)), the older spellings QEMU accepts (V(sse4_2), V(sse3)) and Linux's names
        (V(tsc_deadline_timer)) are accepted; unknown names are rejected with suggestions.
    type: list
    elements: str
  required_devices:
    description:
      - Devices a VMM opens besides C(/dev/kvm) that must have opened read-write and answered their ioctl, as
        C(ansible_facts.kvm.devices) says - V(tun), V(vhost_net), V(vhost_vsock), V(vfio), V(iommufd), V(sev) (also
        spelled V(vhost-net) or V(/dev/vhost-net)). A failure carries the facts' reason and remedy
        (C(modprobe vhost_net), C(--device /dev/net/tun), ...). Needs the C(devices) facts.
    type: list
    elements: str
  hugepages_minimums:
    description:
      - Huge pages that must be configured (C(nr_hugepages), the pool's total) per page size, written V(2M), V(1G)
        or V(2048kB); the value is a count for the whole host, or a mapping of NUMA node (V(node0) or V(0), and
        V(total)) to a count. Needs the C(hugepages) facts.
      - "For example C({2M: 1024, 1G: {node0: 4, node1: 4}})."
    type: dict
  require_iommu:
    description: Require an active IOMMU (C(ansible_facts.kvm.iommu.enabled)), for device passthrough. Default false.
    type: bool
  secure_guest:
    description:
      - Secure guest kinds that must be ready, from V(sev), V(sev_es), V(sev_snp) and V(tdx), as
        C(ansible_facts.kvm.secure_guest) judges them. Needs the C(secure_guest) facts.
    type: list
    elements: str
  module_parameters:
    description:
      - KVM module parameters (C(kvm) and the backends) and their values as the kernel prints them in
        C(/sys/module/<module>/parameters).
      - 'For example C({kvm_intel.nested: "Y", kvm.nx_huge_pages: never}).'
      - For a boolean parameter (printed V(Y) or V(N)) any spelling the kernel accepts counts (V(1), V(on), V(true),
        V(0), V(off)); for C(kvm_amd.nested), an integer the kernel documents as a switch, V(Y) means V(1).
        An unquoted V(Y) that YAML reads as true counts as V(Y). Needs the C(parameters) facts.
    type: dict
  profiles:
    description:
      - Hypervisor profiles the host must meet, by name.
      - Built in are V(qemu) (the newest QEMU, 9.2 and later, read at a commit), V(qemu_7_2) (Debian 12's QEMU, verified against
        its source), V(firecracker), V(cloud_hypervisor) and V(kata), with the release and sources they were read
        from, in the collection's C(plugins/module_utils/kvm_profiles.py); O(custom_profiles) adds more.
      - Profiles name devices too (QEMU tun, and vhost_net as a warning; Firecracker tun; Kata vhost_vsock and
        vhost_net).
    type: list
    elements: str
  severity:
    description:
      - Which unmet checks gate the host (V(fail), the default) and which are only reported (V(warn)).
      - "A mapping of selector to V(fail) or V(warn); a selector is a check's name as verdicts list it
        (V(required_devices: vfio), V(profile qemu: vhost_net), V(KVM_CAP_IRQCHIP)), V(profile <name>) for all
        checks of a profile, or a requirement's name (V(required_devices), V(profiles), V(usable)) for all of
        its checks; the most specific selector wins."
      - 'Example C({required_devices: warn, "profile qemu: vhost_net": fail}).'
    type: dict
"""
