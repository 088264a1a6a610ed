# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The api subset: KVM_GET_API_VERSION, then KVM_GET_VCPU_MMAP_SIZE (a gate: without API 12 nothing else is asked)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text

# What the subsets after this gate are told when it stops them.
BLOCKS = "the KVM API did not answer as version %d" % abi.KVM_API_VERSION


def probe(ctx):
    """KVM_GET_API_VERSION, then KVM_GET_VCPU_MMAP_SIZE."""
    device = ctx.node
    facts = {"api_version": None, "vcpu_mmap_size": None}
    try:
        facts["api_version"] = ctx.api_version()
    except OSError as error:
        reason = "%s: KVM_GET_API_VERSION failed with %s" % (device["path"], errno_text(error))
        if not device["kvm_node"]:
            reason += "; the node is character device %s:%s, not KVM (%d:%d)" % (
                device["major"], device["minor"], abi.KVM_MISC_MAJOR, abi.KVM_MINOR)
        return facts, [reason]
    if facts["api_version"] != abi.KVM_API_VERSION:
        return facts, ["%s: KVM_GET_API_VERSION returned %s, but the stable KVM API is %d (since Linux "
                       "2.6.22); this kernel's KVM cannot run today's VMMs" % (
                           device["path"], facts["api_version"], abi.KVM_API_VERSION)]
    try:
        facts["vcpu_mmap_size"] = ctx.vcpu_mmap_size()
    except OSError as error:
        return facts, ["KVM_GET_VCPU_MMAP_SIZE failed with %s" % errno_text(error)]
    return facts, []


def not_probed(why):
    return {"api_version": None, "vcpu_mmap_size": None}
