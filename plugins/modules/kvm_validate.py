#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by plugins/action/kvm_validate.py on the controller; this file documents it.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: kvm_validate
short_description: Judge ansible_facts.kvm against fleet requirements
version_added: 0.1.0
description:
  - Evaluates the facts of M(fleetcheck.kvm.kvm_facts) against requirements and hypervisor profiles, on the
    controller, and returns a verdict with every requirement's expected value, actual value, outcome and,
    when unmet, a message that says what to do.
  - In V(enforce) mode a host that misses any requirement fails with one message listing every unmet one.
    In V(audit) mode it never fails. Both set the fact C(kvm_validate_result).
  - A host without C(ansible_facts.kvm) gets the status V(no_facts), never a pass.
  - Invalid requirements (an unknown capability, feature, backend or profile, a negative minimum) fail before
    any verdict, with "did you mean" suggestions. O(check_only=true) does only that.
  - The role M(fleetcheck.kvm.validate) wraps this action; see its documentation for the requirement semantics.
author:
  - fleetcheck.kvm developers (@fleetcheck)
options:
  facts:
    description: The C(ansible_facts.kvm) to judge. Defaults to the host's own.
    type: dict
  probe_result:
    description:
      - The registered result of this run's M(fleetcheck.kvm.kvm_facts) task. When given, its facts are judged,
        an unreachable host gets the status V(unreachable) and a failed probe V(no_facts), even if older facts
        of the host are cached.
    type: dict
  hosts:
    description:
      - Judge all these hosts at once, from each one's C(hostvars) (its C(ansible_facts.kvm) and the registered
        probe result named by O(probe_var)), instead of the current host. Returns RV(verdicts) and sets no fact;
        the role's C(judge_fleet) entry point hands each host its verdict.
      - For large fleets this replaces one task per host by one task in all.
    type: list
    elements: str
  probe_var:
    description: With O(hosts), the name of each host's registered M(fleetcheck.kvm.kvm_facts) result.
    type: str
    default: __kvm_validate_probe
  mode:
    description: V(enforce) fails hosts that miss a requirement; V(audit) only records the verdict.
    type: str
    choices: [enforce, audit]
    default: enforce
  check_only:
    description: Only validate the requirements; judge no host.
    type: bool
    default: false
  requirements:
    description:
      - All requirements in one mapping, with the same keys as the options below (the role passes them so).
      - A requirement also given as its own option takes precedence.
    type: dict
    default: {}
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
  required_cpu_features:
    description: Guest-visible CPU features from C(KVM_GET_SUPPORTED_CPUID), for example V(avx2).
    type: list
    elements: str
  profiles:
    description: Hypervisor profiles the host must meet, by name.
    type: list
    elements: str
  builtin_profiles:
    description: The profiles the collection ships; the role passes them.
    type: dict
    default: {}
  custom_profiles:
    description: More profiles in the same shape; a name here replaces a built-in one.
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fleetcheck.kvm.controller_action
attributes:
  check_mode:
    support: full
seealso:
  - module: fleetcheck.kvm.kvm_facts
"""

EXAMPLES = r"""
- name: Probe
  fleetcheck.kvm.kvm_facts:
    accounts: [nova]

- name: Require what Firecracker needs, and that nova may open /dev/kvm
  fleetcheck.kvm.kvm_validate:
    profiles: [firecracker]
    builtin_profiles: "{{ kvm_validate_builtin_profiles }}"
    device_users: [nova]
    extension_minimums:
      NR_VCPUS: 64

- name: Record a verdict without failing
  fleetcheck.kvm.kvm_validate:
    mode: audit
    required_extensions: [irqchip, KVM_CAP_XSAVE]
"""

RETURN = r"""
msg:
  description: A summary; in enforce mode on failure, every unmet requirement, one a line.
  returned: always
  type: str
  sample: "kvm1 fails 1 KVM requirement:\n  - KVM_CAP_XCRS missing (Firecracker needs it): the host kernel or CPU lacks XSAVE control registers"
verdicts:
  description: With O(hosts), the verdict of every host, by name, each shaped like C(kvm_validate_result).
  returned: when O(hosts) is given
  type: dict
  sample: {kvm1: {status: pass, passed: true, checks: [], failures: []}}
counts:
  description: With O(hosts), how many hosts have each status.
  returned: when O(hosts) is given
  type: dict
  sample: {pass: 9, fail: 1}
failed_hosts:
  description: With O(hosts), the hosts that did not pass.
  returned: when O(hosts) is given
  type: list
  elements: str
  sample: [kvm3]
ansible_facts:
  description: The verdict, as C(kvm_validate_result).
  returned: unless O(check_only=true), O(hosts) is given, or the requirements are invalid
  type: dict
  contains:
    kvm_validate_result:
      description: The verdict for this host.
      type: dict
      returned: success
      contains:
        schema_version: {description: Version of this structure., type: int, sample: 1}
        host: {description: The inventory hostname., type: str, sample: kvm1}
        status: {description: "V(pass), V(fail), V(no_facts) or V(unreachable).", type: str, sample: fail}
        passed: {description: True only for V(pass)., type: bool, sample: false}
        checks:
          description: Every requirement with C(requirement), C(expected), C(actual), C(ok) and C(message) (null when ok).
          type: list
          elements: dict
          sample:
            - {requirement: "profile firecracker: KVM_CAP_XCRS", expected: ">= 1", actual: 0, ok: false,
               message: "KVM_CAP_XCRS missing (Firecracker needs it): the host kernel or CPU lacks XSAVE control registers"}
        failures: {description: The messages of the unmet requirements., type: list, elements: str, sample: []}
        summary:
          description:
            - usable, api_version, backend, arch, kernel, nr_vcpus, max_vcpus, vcpu_run status, and C(profiles_met),
              every known profile (required or not) whose capabilities the host has.
          type: dict
          sample: {usable: true, api_version: 12, backend: kvm_intel, arch: x86_64, vcpu_run: ok, profiles_met: [qemu]}
"""
