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
      - Path of the KVM device node.
    type: path
    default: /dev/kvm
  gather_subset:
    description:
      - Which probes to run, as for M(ansible.builtin.setup).
      - V(all), V(min), or names among V(device), V(api), V(extensions), V(cpuid), V(msrs), V(vm), V(vcpu_run),
        V(host) and V(ioctls). Prefix a name with V(!) to exclude it.
      - V(device), V(api) and V(vm) (that is V(min)) always run, because RV(ansible_facts.kvm.usable)
        depends on them, and cannot be excluded.
    type: list
    elements: str
    default: [all]
  accounts:
    description:
      - Other local accounts, such as C(libvirt-qemu) or C(nova), whose right to open the device is judged
        from the node's owner, group and mode and the host's user and group databases.
      - The result is RV(ansible_facts.kvm.device.accounts).
    type: list
    elements: str
    default: []
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
  - The vCPU run carries x86 real-mode guest code and runs on x86_64 only; elsewhere it reports V(skipped).
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
          sample: 1
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
            accounts:
              description:
                - Per account of the O(accounts) option, whether it exists, its groups, whether it may open the node
                  (C(may_open)) and through what (C(via) is V(root), V(owner), V(group <name>), V(other) or null).
              type: dict
              returned: when O(accounts) is given and the node exists
              sample: {nova: {exists: true, groups: [nova], may_open: false, via: null}}
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
          description: Whether C(KVM_CREATE_VM) with the default type succeeded, and its errno name if not.
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
        msrs:
          description: Counts of C(KVM_GET_MSR_INDEX_LIST) and C(KVM_GET_MSR_FEATURE_INDEX_LIST) (x86).
          type: dict
          returned: when the msrs subset was gathered
          sample: {index_count: 40, feature_count: 4}
        vcpu_run:
          description:
            - A VM with one vCPU ran real-mode guest code that writes one byte to an I/O port and halts.
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

from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_probe import (
    DEFAULT_DEVICE, DEFAULT_TIMEOUT, gather, resolve_subsets)

TIMEOUT_RANGE = (0.01, 300.0)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            device=dict(type="path", default=DEFAULT_DEVICE),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            accounts=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    timeout = module.params["timeout"]
    if not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
        module.fail_json(msg="timeout must be between %g and %g seconds, got %g" % (TIMEOUT_RANGE + (timeout,)))
    try:
        subsets = resolve_subsets(module.params["gather_subset"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    try:
        facts = gather(subsets, module.params["device"], timeout, accounts=module.params["accounts"])
    except Exception as error:  # a bug in the probe must still answer in one clear sentence
        module.fail_json(msg="kvm_facts: internal error while probing %s: %s" % (module.params["device"], error),
                         exception=traceback.format_exc())
    module.exit_json(changed=False, ansible_facts={"kvm": facts})


if __name__ == "__main__":
    main()
