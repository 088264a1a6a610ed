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
  - Invalid requirements (an unknown capability, CPU feature, CPU model, guest CPU level, backend or profile, a
    negative minimum) fail before any verdict, with "did you mean" suggestions. O(check_only=true) does only that.
  - The built-in hypervisor profiles are always available; O(custom_profiles) adds more.
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
      - This task never fails, in either O(mode), so that no host is charged with another's failure; the role's
        C(judge_fleet) entry point then fails each host that misses a requirement in its own task.
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
  strict:
    description:
      - With O(check_only=true) and O(vars_prefix), fail instead of warning when a variable named C(kvm_validate_*) or
        C(kvm_audit_*) is not one this collection reads, such as a misspelt requirement. The role passes
        C(kvm_validate_strict).
    type: bool
    default: false
  requirements:
    description:
      - All requirements in one mapping, with the same keys as the requirement options below.
      - A requirement also given as its own option takes precedence.
    type: dict
    default: {}
  vars_prefix:
    description:
      - Read each requirement not given as an option or in O(requirements) from the variable named by this prefix
        and the requirement, if it is defined, for example C(kvm_validate_min_api_version) with V(kvm_validate_).
        The role M(fleetcheck.kvm.validate) passes V(kvm_validate_).
      - Each variable is templated and checked like the option of the same name.
    type: str
  custom_profiles:
    description:
      - More profiles, in the shape of the built-in ones (see O(profiles)); a name here replaces a built-in one.
    type: dict
    default: {}
extends_documentation_fragment:
  - fleetcheck.kvm.requirements
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
    device_users: [nova]
    extension_minimums:
      NR_VCPUS: 64

- name: Record a verdict without failing
  fleetcheck.kvm.kvm_validate:
    mode: audit
    required_extensions: [irqchip, KVM_CAP_XSAVE]

- name: Require the guest CPU that RHEL 9 guests need, and that QEMU's Nehalem model can run
  fleetcheck.kvm.kvm_validate:
    min_guest_cpu_level: rhel9
    required_cpu_models: [Nehalem]
    required_cpu_features: [aes]

- name: Require what QEMU with vhost-net needs beyond /dev/kvm; only report a missing vfio
  fleetcheck.kvm.kvm_validate:
    profiles: [qemu_7_2]
    required_devices: [tun, vhost_net, vfio]
    hugepages_minimums: {2M: 512}
    module_parameters: {kvm.nx_huge_pages: never}
    severity: {"required_devices: vfio": warn}

- name: Judge the whole play at once; the result also holds the fleet's migration pools
  fleetcheck.kvm.kvm_validate:
    hosts: "{{ ansible_play_hosts_all }}"
    mode: audit
  register: fleet
  run_once: true
"""

RETURN = r"""
requirements:
  description: With O(check_only=true), the requirements in effect, with defaults filled in and capability names canonical.
  returned: when O(check_only=true) and the requirements are valid
  type: dict
  sample: {min_api_version: 12, required_extensions: [KVM_CAP_IRQCHIP], profiles: [firecracker]}
profiles:
  description: With O(check_only=true), the profiles in effect by name, the built-in ones and O(custom_profiles).
  returned: when O(check_only=true) and the requirements are valid
  type: dict
  sample: {kata: {title: Kata Containers, min_api_version: 12, require_vm_creation: true}}
guest_profiles:
  description:
    - With O(check_only=true), the guest profiles O(min_guest_cpu_level) accepts, by name, each with the x86-64
      level its guests need and the source of that fact.
  returned: when O(check_only=true) and the requirements are valid
  type: dict
  sample: {rhel9: {title: Red Hat Enterprise Linux 9 and its rebuilds, min_guest_cpu_level: x86-64-v2,
                   source: Red Hat Enterprise Linux 9.0 release notes}}
msg:
  description:
    - A summary; on failure, every unmet requirement of severity C(fail), one a line, then the unmet C(warn) ones
      under "warnings (reported, not gating)". Warnings never fail the task, in either mode.
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
warned_hosts:
  description: With O(hosts), the hosts that passed with warnings (unmet checks of severity C(warn)).
  returned: when O(hosts) is given
  type: list
  elements: str
  sample: [kvm4]
verdicts_id:
  description:
    - With O(hosts), a name of this judging, new each time. The strategy C(fleetcheck.kvm.judge) gives each host its
      verdict as the fact C(kvm_validate_result) when it reads this result, and marks the host with it; the role's
      loop, which gives them otherwise, then has nothing to do.
  returned: when O(hosts) is given
  type: str
  sample: 3f2a9c0d8e7b4a61b2c3d4e5f6a7b8c9
textfile_hosts:
  description:
    - With O(hosts) and O(vars_prefix), the hosts whose own C(<prefix>textfile_directory) is set and that can be
      written to (not unreachable, no probe that timed out); the role writes metrics on these hosts only.
  returned: when O(hosts) is given
  type: list
  elements: str
  sample: [kvm1]
cap_sets:
  description:
    - With O(hosts), each distinct set of capabilities the judged hosts offer (those the kernel answered with a
      non-zero value), once, by its fingerprint (a verdict's C(summary.caps)). M(fleetcheck.kvm.kvm_report) keeps them
      in C(fleet.json), so that a later audit can name the capabilities a host gained or lost.
  returned: when O(hosts) is given
  type: dict
  sample: {"3f2a9c01b7de": [KVM_CAP_IRQCHIP, KVM_CAP_HLT, KVM_CAP_USER_MEMORY]}
requirement_sets:
  description:
    - With O(hosts), each distinct set of requirements the hosts were judged with, by name (a verdict's
      C(summary.requirements)), as what differs from the defaults. Each host's requirements are its own variables as
      Ansible resolves them for that host - host_vars, group_vars, facts, the play's vars, the role's defaults and the
      task's vars - so hosts of two groups may carry two sets.
  returned: when O(hosts) is given
  type: dict
  sample: {"8d1e0c55a3f2": {"device_users": [nova]}, "44136fa355b3": {}}
guest_cpu_pools:
  description:
    - With O(hosts), the live-migration pools of the fleet, from each judged host's C(ansible_facts.kvm.guest_cpu)
      (the facts of this run's probe, else the cached ones). A guest started with the features of a pool can move
      freely between its hosts; one started with the common set can go anywhere.
    - Only each pool's C(hosts), C(features) and C(runnable_models) are primary; everything else is derived from
      them, so the pools of several slices of a fleet merge exactly (C(fleet_view) in the collection's
      C(plugins/plugin_utils/_fleet/pools.py)).
  returned: when O(hosts) is given
  type: dict
  contains:
    hosts: {description: How many hosts are in the pools., type: int, sample: 3}
    excluded:
      description: Hosts in no pool, by name, with why (unreachable, no facts, C(guest_cpu) not gathered, skipped on non-x86).
      type: dict
      sample: {arm1: "guest_cpu skipped: QEMU x86 CPU models and x86-64 levels apply to x86 only; this host is aarch64"}
    common:
      description: The fleet-wide common feature set (QEMU's names), its x86-64 level, the features missing for the
        next level, the QEMU CPU models runnable on every host (never the host-dependent C(host) and C(max), listed
        apart in C(host_dependent_models)), and C(config), the CPU configuration for the whole fleet (as a pool's).
      type: dict
      sample: {features: [fpu, lm, sse2], level: x86-64-v1, missing_for_next_level: [pni, popcnt], runnable_models: [qemu64],
               host_dependent_models: [host, max], config: null}
    pools:
      description:
        - Hosts grouped by identical guest-visible feature sets, best first (highest level, most models, most features).
        - Each has C(id) (12 hex digits of SHA-256 over the sorted feature names, the same as the verdict summary's
          C(guest_cpu_pool) and the inventory group C(kvm_guest_cpu_pool_<id>)), C(hosts), C(level), C(features),
          C(runnable_models) (runnable on every host of the pool), C(feature_count), C(lacking) (the features of
          the best pool it lacks), C(without_it) (the common level and the models gained if the whole pool
          left the fleet, or null) and C(deprecated_models).
        - C(config), the CPU configuration the pool should use, or null when no model fits. C(model) is, of the
          models every host of the pool runs that QEMU marks migration-safe and no release deprecates, under an
          unversioned name (the names libvirt, Nova and KubeVirt know), the one asking for the most features;
          C(runners_up) the next three. C(qemu) is V(-cpu MODEL,enforce), C(libvirt) the domain's C(<cpu>) element,
          C(nova) C(cpu_mode) and C(cpu_models) (less advanced first, as Nova's option asks), C(kubevirt) the
          field C(spec.domain.cpu.model) and the node label, and C(lost) the features a guest gives up against
          host-passthrough. A 64-bit model comes first when the pool offers C(lm); when none runs, C(note) and
          C(nearest_64_bit) (C(model), C(lacks), C(qemu)) say what a 64-bit guest needs.
      type: list
      elements: dict
      sample:
        - {id: 3f1a9c0d2b7e, hosts: [kvm1, kvm2], level: x86-64-v3, features: [abm, avx2], runnable_models: [Haswell],
           feature_count: 2, lacking: [], without_it: null, deprecated_models: [],
           config: {model: Haswell, runners_up: [], lost: [], qemu: "-cpu Haswell,enforce",
                    libvirt: "<cpu mode='custom' match='exact' check='full'><model fallback='forbid'>Haswell</model></cpu>",
                    nova: {cpu_mode: custom, cpu_models: [Haswell]},
                    kubevirt: {path: spec.domain.cpu.model, model: Haswell, node_label: cpu-model.node.kubevirt.io/Haswell}}}
    holding_back:
      description: Every host alone in its pool whose removal would raise the common level or add runnable models,
        with C(pool), C(lacks) (features all other hosts share), C(level_without_it) and C(models_gained_without_it).
      type: list
      elements: dict
      sample:
        - {host: kvm3, pool: 9b2e4f6a8c01, lacks: [pni, popcnt], level_without_it: x86-64-v3,
           models_gained_without_it: [Haswell, Nehalem]}
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
        status:
          description: "V(pass), V(fail), V(no_facts) or V(unreachable); only unmet checks of severity V(fail) make V(fail)."
          type: str
          sample: fail
        passed: {description: True only for V(pass)., type: bool, sample: false}
        checks:
          description:
            - Every requirement with C(requirement), C(expected), C(actual), C(ok), C(message) (null when ok) and
              C(severity) (V(fail) gates, V(warn) is only reported; see O(severity)).
          type: list
          elements: dict
          sample:
            - {requirement: "profile firecracker: KVM_CAP_XCRS", expected: ">= 1", actual: 0, ok: false, severity: fail,
               message: "KVM_CAP_XCRS missing (Firecracker needs it): the host kernel or CPU lacks XSAVE control registers"}
        failures: {description: The messages of the unmet requirements of severity V(fail)., type: list, elements: str, sample: []}
        warnings:
          description: The messages of the unmet requirements of severity V(warn), which do not gate.
          type: list
          elements: str
          sample: ["/dev/vhost-net (vhost_net) is absent, QEMU (newest release) needs it: ... modprobe vhost_net"]
        summary:
          description:
            - usable, api_version, backend, arch, kernel, nr_vcpus, max_vcpus, vcpu_run status, and C(profiles_met),
              every known profile (required or not) whose capabilities the host has.
            - C(guest_cpu_level), the x86-64 level guests get (even when no requirement asks for it), and
              C(guest_cpu_pool), the id of the host's migration pool (see RV(guest_cpu_pools)).
          type: dict
          sample: {usable: true, api_version: 12, backend: kvm_intel, arch: x86_64, vcpu_run: ok, profiles_met: [qemu]}
"""
