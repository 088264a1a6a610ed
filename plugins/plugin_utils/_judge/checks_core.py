# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The core checks: the device, the API, capabilities, profiles, the vCPU run, nesting and backends.

Each check function takes (facts, requirements, profiles) and returns check dicts (verdicts.check); the
requirement registry (registry.py) says which requirement each serves and which subsets it reads.
Controller side: pure standard library.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_vmm as vmm
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.words import (
    canonical_cap, not_gathered, whole_number)

ALL_ARCHES = "all"

# Why a host may lack a capability, for the messages (linux/kvm.h, Documentation/virt/kvm/api.rst).
CAP_HINTS = {
    "KVM_CAP_XCRS": "the host kernel or CPU lacks XSAVE control registers",
    "KVM_CAP_XSAVE": "the host CPU or KVM backend does not offer XSAVE state to guests",
    "KVM_CAP_IRQCHIP": "this KVM has no in-kernel interrupt controller",
    "KVM_CAP_IRQFD": "this KVM cannot inject interrupts through eventfds",
    "KVM_CAP_IOEVENTFD": "this KVM cannot signal guest I/O through eventfds",
    "KVM_CAP_PIT2": "this KVM has no in-kernel PIT",
    "KVM_CAP_SPLIT_IRQCHIP": "this KVM cannot split the interrupt controller between kernel and VMM",
    "KVM_CAP_ARM_VM_IPA_SIZE": "this arm64 KVM cannot size the guest physical address space",
    "KVM_CAP_NR_VCPUS": "the kernel recommends fewer vCPUs per VM (CONFIG_NR_CPUS or the backend limits it)",
    "KVM_CAP_NR_MEMSLOTS": "the kernel offers fewer memory slots per VM",
}
DEFAULT_CAP_HINT = "this kernel's KVM does not offer it; a newer kernel or another backend may"


def cap_check(requirement, extensions, cap, minimum, who):
    actual = extensions.get(cap, 0)
    if actual >= minimum:
        return check(requirement, ">= %d" % minimum, actual, True, None)
    hint = CAP_HINTS.get(cap, DEFAULT_CAP_HINT)
    if minimum <= 1:
        message = "%s missing (%s needs it): %s" % (cap, who, hint)
    else:
        message = "%s is %d, %s needs at least %d: %s" % (cap, actual, who, minimum, hint)
    return check(requirement, ">= %d" % minimum, actual, False, message)


def usable_checks(facts, req, profiles):
    return [check("usable", True, facts.get("usable"), facts.get("usable") is True,
                  "KVM is not usable: " + "; ".join(facts.get("reasons") or ["no reason was reported"]))]


def api_checks(facts, req, profiles):
    actual = facts.get("api_version")
    if actual is None:
        message = "the KVM API version could not be read, as the device could not be used (see above)"
    else:
        message = "KVM API version is %s, the fleet requires %d or later" % (actual, req["min_api_version"])
    return [check("min_api_version", ">= %d" % req["min_api_version"], actual,
                  actual is not None and actual >= req["min_api_version"], message)]


def mmap_checks(facts, req, profiles):
    if not req["min_vcpu_mmap_size"]:
        return []
    actual = facts.get("vcpu_mmap_size")
    return [check("min_vcpu_mmap_size", ">= %d" % req["min_vcpu_mmap_size"], actual,
                  actual is not None and actual >= req["min_vcpu_mmap_size"],
                  "KVM_GET_VCPU_MMAP_SIZE is %s bytes, the fleet requires at least %d"
                  % (actual, req["min_vcpu_mmap_size"]))]


def extension_checks(facts, req, profiles):
    wanted = [(cap, 1) for cap in req["required_extensions"]] + sorted(req["extension_minimums"].items())
    if not wanted:
        return []
    if "extensions" not in facts:
        return [not_gathered("extensions", "%d capabilities" % len(wanted), "extensions")]
    checks = [cap_check(cap, facts["extensions"], cap, minimum, "the fleet") for cap, minimum in wanted]
    for item in checks:  # a capability in both lists is judged, and selected for severity, as required
        cap = item["requirement"]
        if cap not in req["required_extensions"] and cap in req["extension_minimums"]:
            item["family"] = "extension_minimums"
    return checks


def profile_checks(facts, req, profiles):
    checks = []
    arch = (facts.get("host") or {}).get("arch")
    for name in req["profiles"]:
        first = len(checks)
        profile = profiles[name]
        title = profile.get("title", name)
        minimum_api = whole_number(profile.get("min_api_version"))
        if minimum_api is not None:
            actual = facts.get("api_version")
            checks.append(check("profile %s: api_version" % name, ">= %d" % minimum_api, actual,
                                actual is not None and actual >= minimum_api,
                                "KVM API version is %s, %s needs %d" % (actual, title, minimum_api)))
        if profile.get("require_vm_creation"):
            created = (facts.get("vm") or {}).get("created")
            checks.append(check("profile %s: KVM_CREATE_VM" % name, True, created, created is True,
                                "%s needs KVM_CREATE_VM to succeed; it failed with %s"
                                % (title, (facts.get("vm") or {}).get("error"))))
        sections = profile.get("extensions") or {}
        if arch is None and any(a != ALL_ARCHES for a in sections):
            checks.append(not_gathered("profile %s: architecture" % name, "x86_64 or aarch64", "host"))
        for section in (ALL_ARCHES, arch):
            entry = sections.get(section) if section else None
            if not entry:
                continue
            if "extensions" not in facts:
                checks.append(not_gathered("profile %s" % name, "%s capabilities" % title, "extensions"))
                break
            for cap in entry.get("require", []):
                cap = canonical_cap(cap)
                checks.append(cap_check("profile %s: %s" % (name, cap), facts["extensions"], cap, 1, title))
        devices = profile.get("devices") or {}
        for severity in ("fail", "warn"):  # the profile's own severity; the severity requirement may change it
            for device in devices.get("require" if severity == "fail" else "warn", []):
                device = vmm.device_name(device)
                checks.append(vmm.device_check("profile %s: %s" % (name, device), facts, device, title, severity))
        for item in checks[first:]:  # severity selects a profile's checks by these, not by their names
            item.update(family="profiles", profile="profile %s" % name)
    return checks


def vcpu_run_checks(facts, req, profiles):
    if not req["require_vcpu_run"]:
        return []
    run = facts.get("vcpu_run")
    if run is None:
        return [not_gathered("require_vcpu_run", "ok", "vcpu_run")]
    message = "no vCPU ran guest code (%s): %s" % (run.get("status"), run.get("reason"))
    if run.get("status") == "skipped" and facts.get("usable"):
        message += "; where the run cannot be made, waive it with kvm_validate_require_vcpu_run: false"
    return [check("require_vcpu_run", "ok", run.get("status"), run.get("status") == "ok", message)]


def nested_checks(facts, req, profiles):
    if not req["require_nested"]:
        return []
    features = (facts.get("cpuid") or {}).get("features")
    if features is None:
        return [not_gathered("require_nested", True, "cpuid")]
    host = facts.get("host") or {}
    offered = bool(features.get("vmx") or features.get("svm"))
    actual = "guest vmx: %s, svm: %s; %s nested parameter: %s" % (
        features.get("vmx"), features.get("svm"), host.get("backend"), host.get("nested"))
    return [check("require_nested", True, actual, offered,
                  "nested virtualization is not offered to guests: KVM_GET_SUPPORTED_CPUID has neither vmx nor svm "
                  "(%s nested parameter: %s); load kvm_intel or kvm_amd with nested=1"
                  % (host.get("backend"), "absent" if host.get("nested") is None else host.get("nested")))]


def backend_checks(facts, req, profiles):
    if not req["allowed_backends"]:
        return []
    host = facts.get("host")
    if host is None:
        return [not_gathered("allowed_backends", req["allowed_backends"], "host")]
    return [check("allowed_backends", req["allowed_backends"], host.get("backend"),
                  host.get("backend") in req["allowed_backends"],
                  "KVM backend %s is not allowed here (allowed: %s)"
                  % (host.get("backend") or "none", ", ".join(req["allowed_backends"])))]


def _node(device):
    """(path, 'mode owner:group') of the device facts, for messages."""
    node = "%s %s:%s" % (device.get("mode"), device.get("owner"), device.get("group"))
    return device.get("path", "the KVM device"), node


def world_writable_checks(facts, req, profiles):
    device = facts.get("device") or {}
    if not (req["forbid_world_writable_device"] and device.get("exists")):
        return []
    path, node = _node(device)
    return [check("forbid_world_writable_device", False, device.get("world_writable"), not device.get("world_writable"),
                  "%s is world-writable (%s): any local user can create VMs; set GROUP=\"kvm\", "
                  "MODE=\"0660\" in a udev rule" % (path, node))]


def device_users_checks(facts, req, profiles):
    device = facts.get("device") or {}
    path, node = _node(device)
    accounts = device.get("accounts") or {}
    checks = []
    for user in req["device_users"]:
        account = accounts.get(user)
        requirement = "device_users: %s" % user
        if not device.get("exists"):
            checks.append(check(requirement, True, None, False, "%s does not exist, so %s cannot open it"
                                % (path, user)))
        elif account is None:
            checks.append(not_gathered(requirement, True, "device accounts"))
        elif not account["exists"]:
            checks.append(check(requirement, True, False, False, "user %s does not exist on this host" % user))
        else:
            checks.append(check(requirement, True, account["via"] or False, account["may_open"],
                                _account_remedy(path, node, device, user, account)))
    return checks


def _account_remedy(path, node, device, user, account):
    if account.get("judged") == "observed" and account.get("reason"):
        return account["reason"]  # the kernel refused an open as this account: its errno and the probe's remedy
    group_rw = int(device.get("mode") or "0", 8) & 0o060 == 0o060
    if group_rw and device.get("group") != "root":
        return ("%s is %s and user %s (groups: %s) is not in any group that may open it; add %s to group %s"
                % (path, node, user, ", ".join(account["groups"]) or "none", user, device.get("group")))
    return ("%s is %s and user %s (groups: %s) is not in any group that may open it; give the node a group "
            "(udev rule GROUP=\"kvm\", MODE=\"0660\") and add %s to it"
            % (path, node, user, ", ".join(account["groups"]) or "none", user))
