#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The work is done by plugins/action/kvm_report.py on the controller; this file documents it.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: kvm_report
short_description: Write the fleet KVM reports (JSON, JUnit, Markdown, HTML, Prometheus)
version_added: 0.1.0
description:
  - Collects the C(kvm_validate_result) verdict of every host and writes, on the controller, into O(dest), the
    reports as one consistent set - written into a fresh directory under C(dest/.sets), then switched in by one
    rename of the link C(dest/latest), through which C(dest/fleet.json) and the others point. A reader sees the old
    set or the new one, never a mix, and an interrupt leaves no unfinished file. The set before is kept.
  - Every verdict is read as untrusted input - its keys' types checked, its texts made safe (no control
    characters, no lone surrogates) and capped (65,536 characters in C(fleet.json), 2,000 in the other reports).
  - C(fleet.json), schema C(fleetcheck.kvm/fleet) version 1, one record per host; C(junit.xml), a testsuite
    per host and a testcase per requirement; C(fleet.md), a summary for a change ticket, failing hosts first;
    C(fleet.html), one self-contained page with a hosts by requirements matrix and a detail view per host;
    C(fleet.prom), the fleet's metrics in Prometheus' text exposition format, one sample set per host, for
    node_exporter's textfile collector (the metrics are listed in the collection's docs/user-guide.md).
  - A host without a verdict, with a verdict of another schema, or with a name that is not valid UTF-8 gets a
    record that says so; no other host's result is lost.
author:
  - fleetcheck.kvm developers (@fleetcheck)
options:
  dest:
    description: Directory for the reports; created if missing.
    type: path
    required: true
  hosts:
    description:
      - Every host the audit targeted, reachable or not, in the order the reports list them. Required unless
        O(sources) is given; with O(sources), the inventory's order of the hosts the slices report.
    type: list
    elements: raw
  sources:
    description:
      - Merge the reports of audit slices instead, as the C(fleetcheck.kvm.merge_reports) playbook does - their
        report directories or C(fleet.json) files, relative to the working directory. Read as untrusted - a
        record that is not a host's verdict becomes a host that says so; a file that cannot be read, and a host
        in more than one slice, fail the task naming the slice.
    type: list
    elements: str
  verdicts:
    description: Verdicts by host name. Defaults to each host's C(kvm_validate_result) in C(hostvars).
    type: dict
  formats:
    description: Which reports to write.
    type: list
    elements: str
    choices: [json, junit, markdown, html, prometheus]
    default: [json, junit, markdown, html, prometheus]
  title:
    description: Title of the reports.
    type: str
    default: KVM fleet audit
  guest_cpu_pools:
    description:
      - The RV(fleetcheck.kvm.kvm_validate#module:guest_cpu_pools) of a fleet-mode M(fleetcheck.kvm.kvm_validate).
      - Adds the guest CPU section to the reports, key C(guest_cpu) of C(fleet.json) - the migration pools, the
        fleet-wide common feature set with its level and runnable QEMU models, and the hosts holding it back.
    type: dict
  guest_cpu_slices:
    description:
      - The C(guest_cpu) sections of several slices' C(fleet.json), as the C(fleetcheck.kvm.merge_reports)
        playbook passes them; merged exactly into the whole fleet's view, which replaces O(guest_cpu_pools).
    type: list
    elements: dict
  cap_sets:
    description:
      - The RV(fleetcheck.kvm.kvm_validate#module:cap_sets) of a fleet-mode M(fleetcheck.kvm.kvm_validate) - each
        distinct capability set by its fingerprint. Kept in C(fleet.json), so that a later audit compared with this
        one names the capabilities a host gained or lost (without them it says only that the set changed).
    type: dict
  requirement_sets:
    description:
      - The RV(fleetcheck.kvm.kvm_validate#module:requirement_sets) of a fleet-mode M(fleetcheck.kvm.kvm_validate) -
        each distinct set of requirements the hosts were judged with (their own host, group and play variables), by
        the name a verdict's C(summary.requirements) gives it. Kept in C(fleet.json); C(fleet.md) lists the sets and
        their hosts when there is more than one.
    type: dict
  textfile_hosts:
    description:
      - The hosts whose metrics the C(fleetcheck.kvm.validate) role could not write to their
        C(kvm_validate_textfile_directory) - it puts them in the group C(fleetcheck_kvm_metrics_not_written). The
        role's record of each (why, and what to do) becomes its warning C(metrics.not_written) in every report; the
        host's status does not change, and every report is written. Only these hosts' variables are read.
    type: list
    elements: str
    default: []
  previous:
    description:
      - An earlier audit's C(fleet.json) to compare with, for example O(dest)C(/fleet.json) before it is replaced,
        or a set kept under C(dest/.sets). It is read as untrusted input; one that is not a fleet document fails the
        task with the reason, and no report is written.
      - Adds the changes section to every report, key C(changes) of C(fleet.json) - hosts newly failing, fixed, new
        and gone; per host the status, kernel, backend, API version, module parameters, capabilities, guest CPU
        level, features, runnable models, pool and root causes that changed; pools that split, merged or changed;
        the fleet's common guest CPU level and models; and the regressions.
      - A regression is a host that fails now and did not fail in the previous audit (it passed, or is new), or a
        pool of the previous audit whose hosts no longer all run a model of O(models_in_use).
    type: path
  models_in_use:
    description:
      - The QEMU CPU models the fleet's guests use, whose loss on a pool is a regression.
      - Defaults to the models the previous audit found runnable on every host (its common runnable models).
    type: list
    elements: str
  allow_unreachable:
    description:
      - Whether an unreachable host counts as failing when regressions are found, as in the audit's
        C(kvm_audit_allow_unreachable).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - fleetcheck.kvm.controller_action
attributes:
  check_mode:
    support: full
    details: Writes nothing in check mode and says what it would write.
notes:
  - The fleet.json schema is documented in the collection's docs/fleet-json-schema.md.
seealso:
  - module: fleetcheck.kvm.kvm_validate
"""

EXAMPLES = r"""
- name: Write the reports of the hosts of the kvm group
  fleetcheck.kvm.kvm_report:
    dest: ./kvm-audit
    hosts: "{{ groups['kvm'] }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
counts:
  description: How many hosts have each status.
  returned: always
  type: dict
  sample: {total: 4, pass: 1, fail: 2, unreachable: 1, no_facts: 0}
failed_hosts:
  description: The hosts whose status is not V(pass).
  returned: always
  type: list
  elements: str
  sample: [kvm2, kvm3]
unreachable_hosts:
  description: The hosts whose status is V(unreachable).
  returned: always
  type: list
  elements: str
  sample: [kvm3]
warned_hosts:
  description: The hosts with warnings, unmet checks of severity V(warn) that do not gate (passing or not).
  returned: always
  type: list
  elements: str
  sample: [kvm4]
summary:
  description:
    - What a person reads first, a few dozen lines for any fleet - the counts, the root causes with what to do and
      the hosts, the warnings, the guest CPU levels, the reports' paths and how to see the full facts.
  returned: always
  type: list
  elements: str
  sample: ["KVM fleet audit: 2 hosts: 1 pass, 1 fail, 0 unreachable, 0 without facts",
           "Root causes, the most hosts first (each line: what is wrong; what to do):"]
changes:
  description: With O(previous), how many hosts and pools changed, by kind.
  returned: when O(previous) is given
  type: dict
  sample: {newly_failing: 1, fixed: 0, new: 0, gone: 0, changed: 2, regressions: 1}
regressions:
  description:
    - With O(previous), each regression - C(kind) V(host) with its C(host), or V(pool) with its C(pool) id and
      C(hosts) - and C(why), in words.
  returned: when O(previous) is given
  type: list
  elements: dict
  sample: [{kind: host, host: kvm2, why: "kvm2 was pass, now fail: device.eacces (/dev/kvm)"}]
regression_hosts:
  description: With O(previous), the hosts the regression gate fails - newly failing, or costing a pool a model in use.
  returned: when O(previous) is given
  type: list
  elements: str
  sample: [kvm2]
paths:
  description: The report files by format.
  returned: always
  type: dict
  sample: {json: ./kvm-audit/fleet.json, junit: ./kvm-audit/junit.xml}
"""
