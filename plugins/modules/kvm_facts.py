#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: kvm_facts
short_description: Ask /dev/kvm what this host can really run
version_added: 0.1.0
description:
  - Opens the KVM device of the managed host and asks the kernel directly through the KVM ioctls
    (C(KVM_GET_API_VERSION), C(KVM_CHECK_EXTENSION) for every known C(KVM_CAP_*), C(KVM_GET_VCPU_MMAP_SIZE),
    C(KVM_CREATE_VM), C(KVM_GET_SUPPORTED_CPUID), the MSR lists) and runs a few bytes of guest code on one vCPU.
  - Returns the answers as C(ansible_facts.kvm). Nothing is guessed from C(/proc/cpuinfo), so paravirtual
    backends such as C(kvm_pvm) are judged by what the kernel does, not by CPU flags.
  - A host without KVM is not an error for this module. It returns C(usable=false) with the reasons;
    only invalid options fail.
  - Needs no root when the user may open the device read-write.
  - Can be used as a fact-gathering module, see the examples.
author:
  - fleetcheck.kvm developers (@fleetcheck)
options:
  device:
    description:
      - Absolute path of the KVM device node.
    type: path
    default: /dev/kvm
  # BEGIN gather_subset (tools/gen_docs.py): from plugins/module_utils/_probe/subsets.py
  gather_subset:
    description:
      - Which probes to run, as for M(ansible.builtin.setup) - V(all), V(min), or subset names; prefix a name with
        V(!) to exclude it.
      - The subsets, in the order they run - V(host), V(parameters), V(cgroup), V(iommu), V(hugepages), V(devices),
        V(device), V(api), V(extensions), V(vm), V(secure_guest), V(cpuid), V(msrs), V(ioctls), V(vcpu_run) and
        V(guest_cpu).
      - V(device), V(api) and V(vm) (that is V(min)) always run, because RV(ansible_facts.kvm.usable) depends on
        them, and cannot be excluded.
      - V(host), V(parameters), V(cgroup), V(iommu), V(hugepages) and V(devices) need no C(/dev/kvm), so they run
        even when it cannot be opened.
    type: list
    elements: str
    default: [all]
  # END gather_subset (tools/gen_docs.py)
  accounts:
    description:
      - Other local accounts, such as C(libvirt-qemu) or C(nova), whose right to open the device (and each
        device of the V(devices) subset) is judged.
      - As root, by opening the node as each account in a short-lived child process (its uid, gid and
        supplementary groups), so that ACLs, security modules and the device cgroup count (C(judged=observed)).
        Otherwise from the node's mode and POSIX ACL (C(judged=derived)).
      - The result is RV(ansible_facts.kvm.device.accounts) and C(accounts) of each RV(ansible_facts.kvm.devices) entry.
    type: list
    elements: str
    default: []
  cpu_models:
    description:
      - Which QEMU CPU models C(guest_cpu.models) of RV(ansible_facts.kvm.guest_cpu) details (whether each can run, and the
        features it lacks). V(all) details every named model; a list of model names details only those, and
        V([]) none. Unknown names are refused, with suggestions, before anything is probed.
      - C(guest_cpu.runnable_models) always names every runnable model, whatever this says.
      - The full map is about three quarters of the returned facts, which Ansible processes on the host and
        the controller for every host; the fleet audit asks only for the models its requirements name.
    type: list
    elements: str
    default: [all]
  timeout:
    description:
      - Seconds the vCPU run may take before C(KVM_RUN) is interrupted and the run reported as V(timeout).
      - Between 0.01 and 300.
    type: float
    default: 2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - Runs on the managed host's Python 3.6 or later, standard library only.
  - The vCPU run carries guest code for x86_64 (real mode, an C(OUT) then C(HLT)) and aarch64 (an MMIO write,
    then PSCI C(SYSTEM_OFF) through C(HVC)); elsewhere it reports V(skipped).
  - The C(KVM_RUN) time bound uses C(SIGALRM) and restores any previous handler and timer.
seealso:
  - name: The Definitive KVM API Documentation
    description: The kernel's description of every ioctl this module issues.
    link: https://docs.kernel.org/virt/kvm/api.html
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Probe KVM on every host
  fleetcheck.kvm.kvm_facts:

- name: Show whether the host can run VMs, and why not
  ansible.builtin.debug:
    msg: "{{ ansible_facts.kvm.usable }}: {{ ansible_facts.kvm.reasons }}"

- name: Only the cheap core and the capability sweep, no vCPU run
  fleetcheck.kvm.kvm_facts:
    gather_subset:
      - min
      - extensions

- name: The guest CPU, detailing only the QEMU models a deployment uses
  fleetcheck.kvm.kvm_facts:
    cpu_models:
      - Nehalem
      - EPYC-Rome

- name: Everything but the vCPU run, against a device bind-mounted elsewhere
  fleetcheck.kvm.kvm_facts:
    device: /run/kvm/kvm
    gather_subset:
      - all
      - "!vcpu_run"

# As a fact-gathering module, so that a plain gather_facts fills ansible_facts.kvm
# (ansible.cfg):
#   [defaults]
#   facts_modules = ansible.builtin.setup, fleetcheck.kvm.kvm_facts
# or ANSIBLE_FACTS_MODULES=ansible.builtin.setup,fleetcheck.kvm.kvm_facts
"""

RETURN = r"""
ansible_facts:
  description: Facts added to C(ansible_facts).
  returned: always
  type: dict
  contains:
    kvm:
      description: What the kernel answered about KVM on this host.
      returned: always
      type: dict
      contains:
        schema_version:
          description: Version of this structure; raised when a key changes meaning.
          type: int
          returned: always
          sample: 2
        usable:
          description:
            - True only if the device opened read-write, the API version is 12, a VM could be created and,
              when the vCPU run was gathered, the vCPU ran the guest code to its HLT.
          type: bool
          returned: always
          sample: true
        reasons:
          description: Why the host is not usable, one actionable sentence each; empty when usable.
          type: list
          elements: str
          returned: always
          sample:
            - "/dev/kvm: EACCES (Permission denied) opening read-write for user nova (groups: nova); node is
              crw-rw---- root:kvm; add nova to group kvm and log in again"
        problems:
          description:
            - The same reasons as data, for automation - C(code) (stable, such as V(device.eacces); the user guide
              lists every one), C(subject), C(message), C(remedy) and C(subset), the subset that found it.
          type: list
          elements: dict
          returned: always
          sample: [{code: device.eacces, subject: /dev/kvm, subset: device, remedy: add nova to group kvm and log in
                    again, message: "/dev/kvm: EACCES (Permission denied) opening read-write for user nova ..."}]
        blocked:
          description: The subsets asked for that could not run, with C(by), the subset whose failure stopped them.
          type: dict
          returned: always
          sample: {api: {by: device, why: /dev/kvm could not be opened}}
        errors:
          description: Failures of informational probes that do not decide RV(ansible_facts.kvm.usable).
          type: list
          elements: str
          returned: always
          sample: []
        gather_subset:
          description: The probes that ran, after resolving the option.
          type: list
          elements: str
          returned: always
          sample: [device, api, vm]
        device:
          description: The device node and whether this user may open it.
          type: dict
          returned: always
          contains:
            path: {description: "The path probed.", type: str, sample: /dev/kvm}
            exists: {description: "Whether the path exists.", type: bool, sample: true}
            char_device: {description: "Whether it is a character device.", type: bool, sample: true}
            major: {description: "Major device number (10 for KVM), or null.", type: int, sample: 10}
            minor: {description: "Minor device number (232 for KVM), or null.", type: int, sample: 232}
            kvm_node: {description: "Whether the node is 10:232, the KVM misc device.", type: bool, sample: true}
            mode: {description: "Permission bits as an octal string.", type: str, sample: "0660"}
            owner: {description: "Owner of the node.", type: str, sample: root}
            group: {description: "Group of the node.", type: str, sample: kvm}
            world_writable: {description: "Whether anyone may write the node (a security finding).", type: bool, sample: false}
            can_open_rw: {description: "Whether this user opened it read-write.", type: bool, sample: true}
            open_error: {description: "Errno name of a failed stat or open, or null.", type: str, sample: EACCES}
            user: {description: "The user the probe ran as.", type: str, sample: nova}
            user_groups: {description: "The groups of that user's process.", type: list, elements: str, sample: [nova, kvm]}
            acl:
              description: The node's POSIX ACL entries (C(system.posix_acl_access)); empty without an ACL.
              type: list
              elements: dict
              sample: [{tag: user_obj, perms: rw-}, {tag: user, id: 1001, name: nova, perms: rw-}]
            acl_mask: {description: "The ACL mask entry's permissions, or null without an extended ACL.", type: str, sample: rw-}
            group_bits_are_acl_mask:
              description: True when the node has an ACL mask, so that the group bits of C(mode) show the mask, not the group.
              type: bool
              sample: false
            group_perms: {description: "The owning group's real permissions (from the ACL when there is a mask).", type: str, sample: rw-}
            accounts:
              description:
                - Per account of the O(accounts) option, whether it exists, its groups, whether it may open the node
                  (C(may_open)) and through what (C(via) is V(root), V(owner), V(group <name>), V(acl user <name>),
                  V(acl group <name>), V(other) or null).
                - C(judged) is V(observed) (the kernel answered an open as that account) or V(derived) (mode and ACL);
                  C(open_error) the kernel's errno name; C(reason) what to do when it may not.
              type: dict
              returned: when O(accounts) is given and the node exists
              sample: {nova: {exists: true, groups: [nova], may_open: false, via: null, judged: observed,
                              open_error: EACCES, reason: "/dev/kvm: EACCES ... add nova to group kvm and log in again"}}
        api_version:
          description: Answer of C(KVM_GET_API_VERSION), or null.
          type: int
          returned: always
          sample: 12
        vcpu_mmap_size:
          description: Answer of C(KVM_GET_VCPU_MMAP_SIZE) in bytes, or null.
          type: int
          returned: always
          sample: 12288
        extensions:
          description:
            - Every capability with a nonzero C(KVM_CHECK_EXTENSION) answer, by kernel name.
            - Numbers beyond the collection's table (Linux 6.18) appear as C(KVM_CAP_<n>).
          type: dict
          returned: when the extensions subset was gathered
          sample: {KVM_CAP_IRQCHIP: 1, KVM_CAP_NR_VCPUS: 2, KVM_CAP_NR_MEMSLOTS: 32764}
        nr_vcpus:
          description: Recommended vCPUs per VM (C(KVM_CAP_NR_VCPUS)), or null.
          type: int
          returned: when the extensions subset was gathered
          sample: 2
        max_vcpus:
          description: Maximum vCPUs per VM (C(KVM_CAP_MAX_VCPUS), else C(KVM_CAP_NR_VCPUS) as the KVM API prescribes).
          type: int
          returned: when the extensions subset was gathered
          sample: 1024
        max_vcpu_id:
          description: Maximum vCPU id (C(KVM_CAP_MAX_VCPU_ID), else max_vcpus as the KVM API prescribes).
          type: int
          returned: when the extensions subset was gathered
          sample: 4096
        nr_memslots:
          description: Memory slots per VM (C(KVM_CAP_NR_MEMSLOTS)), or null.
          type: int
          returned: when the extensions subset was gathered
          sample: 32764
        vm:
          description:
            - Whether C(KVM_CREATE_VM) with the default type succeeded, and its errno name if not.
            - On aarch64, C(arm_preferred_target) holds the answer of C(KVM_ARM_PREFERRED_TARGET) for that VM
              (C(target), the seven C(features) words, C(error)).
          type: dict
          returned: always
          sample: {created: true, error: null}
        vm_types:
          description: Machine types C(KVM_CREATE_VM) accepts, from C(KVM_CAP_VM_TYPES), else the default only.
          type: list
          elements: str
          returned: always
          sample: [KVM_X86_DEFAULT_VM]
        cpuid:
          description:
            - From C(KVM_GET_SUPPORTED_CPUID) (x86), the number of entries and the guest-visible features that
              matter to operators, each true or false. C(vmx) or C(svm) true means nested virtualization is offered.
            - Holds C(skipped) or C(error) instead when the probe could not run.
          type: dict
          returned: when the cpuid subset was gathered
          sample: {entries: 56, features: {avx2: true, vmx: false, x2apic: true, hypervisor: true}}
        guest_cpu:
          description:
            - The CPU that QEMU under KVM can give a guest (x86), computed as QEMU 7.2 does
              (C(target/i386/kvm/kvm.c), C(target/i386/cpu.c)) from the kernel's answers to
              C(KVM_GET_SUPPORTED_CPUID), C(KVM_GET_MSR_INDEX_LIST), C(KVM_GET_MSR_FEATURE_INDEX_LIST) and
              C(KVM_GET_MSRS) of the feature MSRs, C(KVM_CHECK_EXTENSION) and C(KVM_X86_XCOMP_GUEST_SUPP).
              Often much weaker than the host CPU, for example under a paravirtual or nested hypervisor.
            - C(features), every feature offered, sorted, by QEMU's names (as C(-cpu help) lists them); the bit
              table is generated from QEMU's C(feature_word_info) by C(tools/gen_x86_cpuid_bits.py).
            - C(level), the highest x86-64 micro-architecture level (x86-64 psABI 1.0, 3.1.1) whose features are all
              offered, V(x86-64-v1) to V(x86-64-v4) or null, and C(missing_for_next_level), what blocks the next.
            - C(models), for every named QEMU CPU model (or those O(cpu_models) names), whether it can run
              (C(runnable)) and the features it lacks (C(missing)); C(models_complete) whether every model is there;
              C(runnable_models) the names of all those that can run; C(qemu_version) the QEMU whose
              C(query-cpu-model-expansion) gave the model table (C(tools/gen_qemu_cpu_models.py)).
            - Holds C(skipped) on other architectures, or C(error), instead; C(notes) lists answers it could not get.
            - Informational; it never makes RV(ansible_facts.kvm.usable) false. Supersedes the curated C(cpuid.features)
              map (Linux's names), which stays for compatibility.
          type: dict
          returned: when the guest_cpu subset was gathered
          sample:
            features: [apic, arat, clflush, cmov, cx16, cx8, fpu, fxsr, lahf-lm, lm, mmx, nx, sse, sse2, syscall,
                       tsc, tsc-deadline, x2apic]
            level: x86-64-v1
            missing_for_next_level: [pni, popcnt, sse4.1, sse4.2, ssse3]
            models:
              Nehalem: {runnable: false, missing: [pni, popcnt, sse4.1, sse4.2, ssse3]}
              qemu64: {runnable: false, missing: [pni]}
              host: {runnable: true, missing: []}
            models_complete: true
            runnable_models: ["486", base, host, max, pentium, pentium2, pentium3]
            qemu_version: 7.2.22
        msrs:
          description: Counts of C(KVM_GET_MSR_INDEX_LIST) and C(KVM_GET_MSR_FEATURE_INDEX_LIST) (x86).
          type: dict
          returned: when the msrs subset was gathered
          sample: {index_count: 40, feature_count: 4}
        vcpu_run:
          description:
            - A VM with one vCPU ran guest code. On x86_64, real-mode code that writes one byte to an I/O port and
              halts (exits C(IO), C(HLT)); on aarch64, code that writes 4 bytes to an address outside guest memory
              and calls PSCI C(SYSTEM_OFF) (exits C(MMIO) with C(phys_addr), C(len), C(data), C(is_write), then
              C(SYSTEM_EVENT) of C(type) V(SHUTDOWN)).
            - C(status) is V(ok), V(failed), V(timeout) or V(skipped); C(exits) lists the exits seen;
              C(elapsed_ms) is the time of the whole run including set-up; C(reason) says why it was not V(ok).
          type: dict
          returned: when the vcpu_run subset was gathered
          sample:
            status: ok
            ok: true
            exits: [{reason: IO, direction: out, port: 16, size: 1, count: 1, data: 75}, {reason: HLT}]
            elapsed_ms: 2.7
            reason: null
        host:
          description:
            - Architecture, kernel release, the KVM backend modules loaded (from C(/sys/module)), their readable
              parameters, and C(nested) (true, false, or null where the backend exposes no C(nested) parameter).
          type: dict
          returned: when the host subset was gathered
          sample:
            arch: x86_64
            kernel: 6.18.44
            kvm_module: true
            backends: [kvm_pvm]
            backend: kvm_pvm
            parameters: {kvm_pvm: {pvm_native: "Y"}}
            nested: null
        devices:
          description:
            - The devices a VMM opens besides C(/dev/kvm), keyed V(tun), V(vhost_net), V(vhost_vsock), V(vfio),
              V(iommufd) and V(sev). Each is opened read-write and asked (C(TUNGETFEATURES), C(VHOST_GET_FEATURES),
              C(VFIO_GET_API_VERSION) and C(VFIO_CHECK_EXTENSION), C(IOMMU_IOAS_ALLOC), C(SEV_PLATFORM_STATUS)).
            - Each entry has C(path), C(exists), C(char_device), C(major), C(minor), C(expected) (the kernel's number from
              C(/sys/class/misc) or C(/proc/misc)) and C(expected_source), C(node_matches), C(mode), C(owner), C(group),
              C(acl), C(acl_mask), C(group_bits_are_acl_mask), C(group_perms), C(can_open_rw), C(open_error), C(answer),
              C(usable) (opened and answered) and C(reason) (what to do, or null), and C(accounts) as for RV(ansible_facts.kvm.device).
          type: dict
          returned: when the devices subset was gathered
          sample:
            tun: {path: /dev/net/tun, exists: true, char_device: true, major: 10, minor: 200, expected: "10:200",
                  node_matches: true, mode: "0666", can_open_rw: true, usable: true, reason: null,
                  answer: {features: 29043, flags: [IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR]}}
            vhost_net: {path: /dev/vhost-net, exists: false, usable: false,
                        reason: "/dev/vhost-net does not exist and the kernel has no vhost-net device ...: modprobe vhost_net"}
        iommu:
          description:
            - The IOMMU - C(acpi_tables) among DMAR, IVRS, IORT and VIOT, C(units) (C(/sys/class/iommu)), C(groups)
              (the number of C(/sys/kernel/iommu_groups)), C(enabled), C(cmdline) (each IOMMU parameter of the kernel
              command line with its documented C(effect) and C(meaning), C(source) naming the document),
              C(translation) (V(default), V(on), V(off), V(passthrough) or V(translate)) and C(reason).
          type: dict
          returned: when the iommu subset was gathered
          sample: {acpi_tables: [DMAR], units: [dmar0], groups: 17, enabled: true, translation: passthrough,
                   cmdline: [{parameter: iommu=pt, effect: passthrough, meaning: "x86: identity-map host DMA"}], reason: null}
        hugepages:
          description:
            - C(sizes) - per page size (V(2048kB), V(1048576kB)) the C(total), C(free), C(reserved), C(surplus) and
              C(overcommit) pages; C(nodes) - the same per NUMA node (no reserved or overcommit there);
              C(thp) - the transparent hugepage C(enabled) and C(defrag) modes.
          type: dict
          returned: when the hugepages subset was gathered
          sample: {sizes: {2048kB: {size_kb: 2048, total: 512, free: 500, reserved: 4, surplus: 0, overcommit: 0}},
                   nodes: {node0: {2048kB: {size_kb: 2048, total: 512, free: 500, surplus: 0}}},
                   thp: {enabled: madvise, defrag: madvise}}
        secure_guest:
          description:
            - V(sev), V(sev_es), V(sev_snp) and V(tdx), each with C(ready), C(reason), C(vm_type) (its bit of
              C(KVM_CAP_VM_TYPES)), C(parameter) (C(kvm_amd) or C(kvm_intel)) and C(asids) (misc cgroup capacity);
              and C(vm_types_mask), C(sev_device), C(misc_capacity).
          type: dict
          returned: when the secure_guest subset was gathered
          sample: {sev: {ready: false, vm_type: false, parameter: null, asids: null,
                         reason: "kvm_amd.sev does not exist: kvm_amd is not loaded or too old for SEV"}}
        cgroup:
          description:
            - C(version) (V(v1), V(v2), V(hybrid) or null), C(controllers) available to this process (C(v1_controllers),
              C(v2_controllers)), C(cgroups) (C(/proc/self/cgroup)), C(device_controller) and, for v1, C(devices_list).
          type: dict
          returned: when the cgroup subset was gathered
          sample: {version: v2, controllers: [cpu, memory, pids], device_controller: "v2 BPF device program (not readable from files)"}
        parameters:
          description: Every readable parameter of C(kvm) and of each loaded backend module, by module.
          type: dict
          returned: when the parameters subset was gathered
          sample: {kvm: {nx_huge_pages: never, halt_poll_ns: "200000"}, kvm_intel: {ept: "Y", nested: "Y"}}
        system_ioctls:
          description:
            - The seven commands of the classic C(kvm_dev_ioctl), each with C(supported) and either C(result)
              or C(errno) and C(error). Modern kernels reject the C(KVM_TRACE_*) commands.
          type: dict
          returned: when the ioctls subset was gathered
          sample:
            KVM_GET_API_VERSION: {supported: true, result: 12}
            KVM_TRACE_ENABLE: {supported: false, errno: EINVAL, error: Invalid argument}
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import (
    DEFAULT_DEVICE, DEFAULT_TIMEOUT, gather)

TIMEOUT_RANGE = (0.01, 300.0)
MINIMUM_PYTHON = (3, 6)


def python_too_old():
    """Why this interpreter cannot probe, or None. ansible-core 2.16 still runs modules on Python 2.7,
    where the ioctl buffers the probe passes are refused; say so before probing anything."""
    import sys  # here, not at the top: this check must not depend on any other import
    if tuple(sys.version_info[:2]) >= MINIMUM_PYTHON:
        return None
    return ("kvm_facts needs Python %d.%d or newer on the managed host, but ansible ran it with %s (Python %s). "
            "Point ansible_python_interpreter at a Python 3 on this host, e.g. ansible_python_interpreter=/usr/bin/python3 "
            "in the inventory or in host_vars, or -e ansible_python_interpreter=/usr/bin/python3"
            % (MINIMUM_PYTHON + (sys.executable or "an unknown interpreter", sys.version.split()[0])))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            device=dict(type="path", default=DEFAULT_DEVICE),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            accounts=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=DEFAULT_TIMEOUT),
            cpu_models=dict(type="list", elements="str", default=["all"]),
        ),
        supports_check_mode=True,
    )
    too_old = python_too_old()
    if too_old:
        module.fail_json(msg=too_old)
    for name in ("device", "accounts"):  # an option's own name in every error, never a bare OS message
        values = module.params[name] if name == "accounts" else [module.params[name]]
        if any("\0" in value for value in values):
            module.fail_json(msg="%s must not contain a NUL byte" % name)
    device = module.params["device"]
    if not device.startswith("/"):
        module.fail_json(msg="device must be the absolute path of the KVM device node, such as /dev/kvm, got %r"
                         % device)
    timeout = module.params["timeout"]
    if not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
        module.fail_json(msg="timeout must be between %g and %g seconds, got %g" % (TIMEOUT_RANGE + (timeout,)))
    try:
        facts = gather(module.params["gather_subset"], device, timeout,
                       accounts=module.params["accounts"], cpu_models=module.params["cpu_models"])
    except ValueError as error:  # an invalid gather_subset or cpu_models, refused before anything was probed
        module.fail_json(msg=str(error))
    except Exception as error:  # a bug in the probe must still answer in one clear sentence
        module.fail_json(msg="kvm_facts: internal error while probing %s: %s" % (module.params["device"], error),
                         exception=traceback.format_exc())
    module.exit_json(changed=False, ansible_facts={"kvm": facts})


if __name__ == "__main__":
    main()
