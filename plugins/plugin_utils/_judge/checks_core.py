# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The core checks: the device, the API, capabilities, profiles, the vCPU run, nesting and backends.

Each check function takes (facts, requirements, profiles) and returns check dicts (verdicts.check); the
requirement registry (registry.py) says which requirement each serves and which subsets it reads.
Controller side: pure standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_vmm as vmm
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import blocked_check, check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import canonical_cap, whole_number
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import blocked, not_gathered
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, Requirements, mapping

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
    # x86 KVM answers min(online CPUs, KVM_MAX_VCPUS): on a small host it is simply its CPU count
    "KVM_CAP_NR_VCPUS": "the kernel recommends no more vCPUs per VM than this host has CPUs online; "
                        "KVM_CAP_MAX_VCPUS is the hard limit",
    "KVM_CAP_NR_MEMSLOTS": "the kernel offers fewer memory slots per VM",
}
DEFAULT_CAP_HINT = "this kernel's KVM does not offer it; a newer kernel or another backend may"


def cap_check(requirement: str, extensions: Mapping[str, Any], cap: str, minimum: int, who: str) -> Check:
    actual = extensions.get(cap, 0)
    if actual >= minimum:
        return check(requirement, ">= %d" % minimum, actual, True, None)
    hint = CAP_HINTS.get(cap, DEFAULT_CAP_HINT)
    if minimum <= 1:
        return check(requirement, ">= %d" % minimum, actual, False, "%s missing (%s needs it): %s" % (cap, who, hint),
                     code="cap.missing", subject=cap, remedy=hint)
    return check(requirement, ">= %d" % minimum, actual, False, "%s is %d, %s needs at least %d: %s"
                 % (cap, actual, who, minimum, hint), code="cap.too_low", subject=cap, remedy=hint)


def usable_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    """One passing check, or one root cause per problem the probe found (schema 1: per reason)."""
    if facts.get("usable") is True:
        return [check("usable", True, True, True, None)]
    problems = [p for p in facts.get("problems") or () if isinstance(p, dict)]
    if not problems:
        return [check("usable", True, facts.get("usable"), False,
                      "KVM is not usable: " + "; ".join(facts.get("reasons") or ["no reason was reported"]),
                      code="usable")]
    checks: list[Check] = []
    for found in problems:
        remedy = found.get("remedy")
        item = check("usable", True, False, False, "KVM is not usable: %s%s" % (
            found.get("message"), "; " + remedy if remedy else ""), code=found.get("code"), subject=found.get("subject"),
            remedy=remedy)
        item["subset"] = found.get("subset")
        checks.append(item)
    return checks


def api_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    minimum = req["min_api_version"]
    stopped = blocked("min_api_version", ">= %d" % minimum, facts, "api")
    if stopped:
        return [stopped]
    actual = facts.get("api_version")
    return [check("min_api_version", ">= %d" % minimum, actual, actual is not None and actual >= minimum,
                  "KVM API version is %s, the fleet requires %d or later" % (actual, minimum),
                  code="api.too_old", subject="KVM_GET_API_VERSION", remedy="boot a kernel whose KVM offers API %d"
                  % minimum)]


def mmap_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    if not req["min_vcpu_mmap_size"]:
        return []
    stopped = blocked("min_vcpu_mmap_size", ">= %d" % req["min_vcpu_mmap_size"], facts, "api")
    if stopped:
        return [stopped]
    actual = facts.get("vcpu_mmap_size")
    return [check("min_vcpu_mmap_size", ">= %d" % req["min_vcpu_mmap_size"], actual,
                  actual is not None and actual >= req["min_vcpu_mmap_size"],
                  "KVM_GET_VCPU_MMAP_SIZE is %s bytes, the fleet requires at least %d"
                  % (actual, req["min_vcpu_mmap_size"]), code="mmap.too_small", subject="KVM_GET_VCPU_MMAP_SIZE")]


def extension_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    wanted = [(cap, 1) for cap in req["required_extensions"]] + sorted(req["extension_minimums"].items())
    if not wanted:
        return []
    stopped = blocked("extensions", "%d capabilities" % len(wanted), facts, "extensions")
    if stopped:
        return [stopped]
    if not isinstance(facts.get("extensions"), dict):
        return [not_gathered("extensions", "%d capabilities" % len(wanted), "extensions", facts)]
    checks = [cap_check(cap, facts["extensions"], cap, minimum, "the fleet") for cap, minimum in wanted]
    for item in checks:  # a capability in both lists is judged, and selected for severity, as required
        cap = item["requirement"]
        if cap not in req["required_extensions"] and cap in req["extension_minimums"]:
            item["family"] = "extension_minimums"
    return checks


def profile_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    checks: list[Check] = []
    arch = (facts.get("host") or {}).get("arch")
    for name in req["profiles"]:
        first = len(checks)
        profile = profiles[name]
        title = profile.get("title", name)
        minimum_api = whole_number(profile.get("min_api_version"))
        if minimum_api is not None:
            requirement = "profile %s: api_version" % name
            actual = facts.get("api_version")
            checks.append(blocked(requirement, ">= %d" % minimum_api, facts, "api") or check(
                requirement, ">= %d" % minimum_api, actual, actual is not None and actual >= minimum_api,
                "KVM API version is %s, %s needs %d" % (actual, title, minimum_api), code="api.too_old",
                subject="KVM_GET_API_VERSION"))
        if profile.get("require_vm_creation"):
            requirement = "profile %s: KVM_CREATE_VM" % name
            created = (facts.get("vm") or {}).get("created")
            checks.append(blocked(requirement, True, facts, "vm") or check(
                requirement, True, created, created is True, "%s needs KVM_CREATE_VM to succeed; it failed with %s"
                % (title, (facts.get("vm") or {}).get("error")), code="vm.create_failed", subject="KVM_CREATE_VM"))
        sections = profile.get("extensions") or {}
        if arch is None and any(a != ALL_ARCHES for a in sections):
            checks.append(blocked("profile %s: architecture" % name, "x86_64 or aarch64", facts, "host") or
                          not_gathered("profile %s: architecture" % name, "x86_64 or aarch64", "host", facts))
        for section in (ALL_ARCHES, arch):
            entry = sections.get(section) if section else None
            if not entry:
                continue
            stopped = blocked("profile %s" % name, "%s capabilities" % title, facts, "extensions")
            if stopped or not isinstance(facts.get("extensions"), dict):
                checks.append(stopped or not_gathered("profile %s" % name, "%s capabilities" % title, "extensions", facts))
                break
            for spelled in entry.get("require", []):
                cap = canonical_cap(spelled) or str(spelled)  # the profile was validated: never unknown here
                checks.append(cap_check("profile %s: %s" % (name, cap), facts["extensions"], cap, 1, title))
        devices = profile.get("devices") or {}
        for severity in ("fail", "warn"):  # the profile's own severity; the severity requirement may change it
            for spelled in devices.get("require" if severity == "fail" else "warn", []):
                device = vmm.device_name(spelled) or str(spelled)  # the profile was validated: never unknown here
                checks.append(vmm.device_check("profile %s: %s" % (name, device), facts, device, title, severity))
        for item in checks[first:]:  # severity selects a profile's checks by these, not by their names
            item.update(family="profiles", profile="profile %s" % name)
    return checks


def vcpu_run_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    if not req["require_vcpu_run"]:
        return []
    stopped = blocked("require_vcpu_run", "ok", facts, "vcpu_run")
    if stopped:
        return [stopped]
    run = facts.get("vcpu_run")
    if not isinstance(run, dict):
        return [not_gathered("require_vcpu_run", "ok", "vcpu_run", facts)]
    remedy = "see the vcpu_run facts and the kernel log (dmesg)"
    if run.get("status") == "skipped" and facts.get("usable"):
        remedy = "where the run cannot be made, waive it with kvm_validate_require_vcpu_run: false"
    return [check("require_vcpu_run", "ok", run.get("status"), run.get("status") == "ok", "no vCPU ran guest code "
                  "(%s): %s; %s" % (run.get("status"), run.get("reason"), remedy), code="vcpu_run.not_ok",
                  subject="vCPU 0", remedy=remedy)]


def nested_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    if not req["require_nested"]:
        return []
    stopped = blocked("require_nested", True, facts, "cpuid")
    if stopped:
        return [stopped]
    cpuid = mapping(facts.get("cpuid"))
    features = cpuid.get("features")
    if not isinstance(features, dict):
        reason = cpuid.get("skipped") or cpuid.get("error")
        if reason:  # gathered, and KVM_GET_SUPPORTED_CPUID could not be asked here (not x86, or refused)
            return [check("require_nested", True, None, False, "nested virtualization cannot be judged: %s" % reason,
                          code="nested.unknown", subject="cpuid", remedy="require it of x86 hosts only")]
        return [not_gathered("require_nested", True, "cpuid", facts)]
    host = facts.get("host") or {}
    offered = bool(features.get("vmx") or features.get("svm"))
    # the parameter as the kernel reports it (kvm_amd says 0 or 1, kvm_intel N or Y), else the probe's reading of it
    raw = ((host.get("parameters") or {}).get(host.get("backend")) or {}).get("nested", host.get("nested"))
    actual = "guest vmx: %s, svm: %s; %s nested parameter: %s" % (
        features.get("vmx"), features.get("svm"), host.get("backend"), raw)
    remedy = "load kvm_intel or kvm_amd with nested=1"
    return [check("require_nested", True, actual, offered,
                  "nested virtualization is not offered to guests: KVM_GET_SUPPORTED_CPUID has neither vmx nor svm "
                  "(%s nested parameter: %s); %s" % (host.get("backend"), "absent" if raw is None else raw, remedy),
                  code="nested.not_offered", subject=host.get("backend"), remedy=remedy)]


def backend_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    if not req["allowed_backends"]:
        return []
    stopped = blocked("allowed_backends", req["allowed_backends"], facts, "host")
    if stopped:
        return [stopped]
    host = facts.get("host")
    if not isinstance(host, dict):
        return [not_gathered("allowed_backends", req["allowed_backends"], "host", facts)]
    return [check("allowed_backends", req["allowed_backends"], host.get("backend"),
                  host.get("backend") in req["allowed_backends"],
                  "KVM backend %s is not allowed here (allowed: %s)"
                  % (host.get("backend") or "none", ", ".join(req["allowed_backends"])),
                  code="backend.not_allowed", subject=host.get("backend") or "none",
                  remedy="load one of %s instead" % ", ".join(req["allowed_backends"]))]


def _node(device: Mapping[str, Any]) -> tuple[str, str]:
    """(path, 'mode owner:group') of the device facts, for messages."""
    node = "%s %s:%s" % (device.get("mode"), device.get("owner"), device.get("group"))
    return device.get("path", "the KVM device"), node


def world_writable_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    if not req["forbid_world_writable_device"]:
        return []
    device = facts.get("device")
    if not isinstance(device, dict):  # the input is missing: not judged, never dropped
        return [blocked("forbid_world_writable_device", False, facts, "device")
                or not_gathered("forbid_world_writable_device", False, "device", facts)]
    if not device.get("exists"):
        return []
    path, node = _node(device)
    remedy = 'set GROUP="kvm", MODE="0660" in a udev rule'
    return [check("forbid_world_writable_device", False, device.get("world_writable"), not device.get("world_writable"),
                  "%s is world-writable (%s): any local user can create VMs; %s" % (path, node, remedy),
                  code="device.world_writable", subject=path, remedy=remedy)]


def device_users_checks(facts: Facts, req: Requirements, profiles: Profiles) -> list[Check]:
    device = facts.get("device") or {}
    path, node = _node(device)
    accounts = device.get("accounts") or {}
    checks: list[Check] = []
    for user in req["device_users"]:
        account = accounts.get(user)
        requirement = "device_users: %s" % user
        if not device.get("exists"):  # the missing node is the root cause, named by usable; the accounts'
            # access is judged whenever the node exists, even where the probing user could not open it
            checks.append(blocked_check(requirement, True, "device", "%s does not exist, so whether %s may open it "
                                        "is moot" % (path, user)))
        elif account is None:
            checks.append(check(requirement, True, None, False, "device_users: %s cannot be judged: the probe was "
                                "not asked about this account" % user, code="facts.not_gathered",
                                subject="accounts", remedy="pass %s in kvm_facts' accounts option (the role does "
                                "this from kvm_validate_device_users)" % user))
        elif not account["exists"]:
            checks.append(check(requirement, True, False, False, "user %s does not exist on this host" % user,
                                code="account.missing", subject=user, remedy="create the account, or remove it "
                                "from device_users"))
        else:
            message = _account_remedy(path, node, device, user, account)
            checks.append(check(requirement, True, account["via"] or False, account["may_open"], message,
                                code="device.user_denied", subject=user, remedy=message.rpartition("; ")[2]))
    return checks


def _account_remedy(path: str, node: str, device: Mapping[str, Any], user: str, account: Mapping[str, Any]) -> str:
    if account.get("judged") == "observed" and account.get("reason"):
        return str(account["reason"])  # the kernel refused an open as this account: its errno and the probe's remedy
    group_rw = int(device.get("mode") or "0", 8) & 0o060 == 0o060
    if group_rw and device.get("group") != "root":
        return ("%s is %s and user %s (groups: %s) is not in any group that may open it; add %s to group %s"
                % (path, node, user, ", ".join(account["groups"]) or "none", user, device.get("group")))
    return ("%s is %s and user %s (groups: %s) is not in any group that may open it; give the node a group "
            "(udev rule GROUP=\"kvm\", MODE=\"0660\") and add %s to it"
            % (path, node, user, ", ".join(account["groups"]) or "none", user))
