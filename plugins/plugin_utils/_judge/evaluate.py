# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evaluator: fleet requirements against ansible_facts.kvm, as verdicts.

Used by the kvm_validate action (and so the validate role); the verdict
shapes are in kvm_verdicts, the requirements in kvm_requirement_spec and the
built-in profiles in kvm_profiles. It never probes: it reads the facts that kvm_facts gathered and says,
for every requirement, what was expected, what the host has, whether that is
enough and, if not, what to do. Pure standard library, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib

from ansible_collections.fleetcheck.kvm.plugins.module_utils.names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_number
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils.probe_failures import describe_probe_failure
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_guest_cpu as guest_cpu
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_vmm as vmm
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.severity import apply_severity, validate_severity
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import (
    WHOLE_NUMBER_REQUIREMENTS, default_requirements)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check as _check, host_verdict, no_facts_verdict, unreachable_verdict)

MODES = ("enforce", "audit")
DEFAULT_REQUIREMENTS = default_requirements()  # from the one requirement spec
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


class RequirementError(ValueError):
    """Requirements that cannot be evaluated; the message lists every problem."""


def canonical_cap(name):
    """KVM_CAP_<NAME> for a name in any spelling, or None if the kernel has no such capability."""
    number = cap_number(name)
    if number is None:
        return None
    return KVM_CAPS.get(number, "KVM_CAP_%d" % number)


def _did_you_mean(word, choices):
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    return "; did you mean %s?" % " or ".join(close) if close else ""


def _unknown_cap_message(where, name):
    spelled = str(name).strip().upper()
    spelled = spelled if spelled.startswith("KVM_CAP_") else "KVM_CAP_" + spelled
    return "unknown capability %r in %s%s" % (name, where, _did_you_mean(spelled, list(KVM_CAPS.values())))


def _whole_number(value):
    """value as an int >= 0, or None. Digit strings count: older ansible-core templates numbers to text."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _profile_problems(name, profile):
    problems = []
    if not isinstance(profile, dict):
        return ["profile %r must be a mapping, got %s" % (name, type(profile).__name__)]
    if profile.get("min_api_version") is not None and _whole_number(profile["min_api_version"]) is None:
        problems.append("profile %r: min_api_version must be a whole number, got %r"
                        % (name, profile["min_api_version"]))
    if not isinstance(profile.get("extensions") or {}, dict):
        return problems + ["profile %r: extensions must be a mapping of architecture to a list 'require'" % name]
    for arch, entry in (profile.get("extensions") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("require", []), list):
            problems.append("profile %r: extensions.%s must be a mapping with a list 'require'" % (name, arch))
            continue
        problems.extend(_unknown_cap_message("profile %r (%s)" % (name, arch), cap)
                        for cap in entry.get("require", []) if canonical_cap(cap) is None)
    if profile.get("devices") is not None:
        problems.extend(vmm.profile_device_problems(name, profile["devices"]))
    return problems


def check_requirements(requirements, profiles):
    """Validate requirements before any host is touched. Raises RequirementError listing every problem.

    Returns the requirements with defaults filled in and capability names made canonical.
    """
    merged = default_requirements()
    merged.update(dict((k, v) for k, v in (requirements or {}).items() if v is not None))
    problems = []
    unknown_keys = sorted(set(merged) - set(DEFAULT_REQUIREMENTS))
    problems.extend("unknown requirement %r%s" % (k, _did_you_mean(k, list(DEFAULT_REQUIREMENTS)))
                    for k in unknown_keys)
    for key in WHOLE_NUMBER_REQUIREMENTS:
        if _whole_number(merged[key]) is None:
            problems.append("%s must be a whole number of 0 or more, got %r" % (key, merged[key]))
        else:
            merged[key] = _whole_number(merged[key])
    extensions = []
    for name in merged["required_extensions"]:
        canonical = canonical_cap(name)
        if canonical is None:
            problems.append(_unknown_cap_message("required_extensions", name))
        else:
            extensions.append(canonical)
    minimums = {}
    for name, minimum in sorted((merged["extension_minimums"] or {}).items()):
        canonical = canonical_cap(name)
        if canonical is None:
            problems.append(_unknown_cap_message("extension_minimums", name))
        elif _whole_number(minimum) is None:
            problems.append("extension_minimums.%s must be a whole number of 0 or more, got %r" % (name, minimum))
        else:
            minimums[canonical] = _whole_number(minimum)
    if not isinstance(merged["min_guest_cpu_level"], (str, type(None))):
        problems.append("min_guest_cpu_level must be a level or a guest profile name, got %r"
                        % (merged["min_guest_cpu_level"],))
        merged["min_guest_cpu_level"] = None
    problems.extend(guest_cpu.validate_guest_cpu_requirements(
        merged["min_guest_cpu_level"], merged["required_cpu_models"], merged["required_cpu_features"]))
    for backend in merged["allowed_backends"]:
        if backend not in KVM_BACKENDS:
            problems.append("unknown KVM backend %r in allowed_backends%s (known: %s)"
                            % (backend, _did_you_mean(str(backend), list(KVM_BACKENDS)), ", ".join(KVM_BACKENDS)))
    for name in merged["profiles"]:
        if name not in profiles:
            problems.append("unknown profile %r%s (known: %s)" % (
                name, _did_you_mean(str(name), list(profiles)), ", ".join(sorted(profiles))))
        else:
            problems.extend(_profile_problems(name, profiles[name]))
    merged, vmm_problems = vmm.validate_vmm_requirements(merged)
    problems.extend(vmm_problems)
    merged["severity"], severity_problems = validate_severity(merged["severity"], profiles)
    problems.extend(severity_problems)
    if problems:
        raise RequirementError("invalid KVM requirements: " + "; ".join(problems))
    merged["required_extensions"] = extensions
    merged["extension_minimums"] = minimums
    features = [guest_cpu.canonical_feature(f) for f in merged["required_cpu_features"]]  # QEMU's names
    merged["required_cpu_features"] = sorted(set(features), key=features.index)
    return merged


# ------------------------------------------------------------- verdicts ----

def _not_gathered(requirement, expected, subset):
    return _check(requirement, expected, None, False,
                  "%s cannot be judged: the %s facts were not gathered (add %r to gather_subset)"
                  % (requirement, subset, subset))


def _cap_check(requirement, extensions, cap, minimum, who):
    actual = extensions.get(cap, 0)
    if actual >= minimum:
        return _check(requirement, ">= %d" % minimum, actual, True, None)
    hint = CAP_HINTS.get(cap, DEFAULT_CAP_HINT)
    if minimum <= 1:
        message = "%s missing (%s needs it): %s" % (cap, who, hint)
    else:
        message = "%s is %d, %s needs at least %d: %s" % (cap, actual, who, minimum, hint)
    return _check(requirement, ">= %d" % minimum, actual, False, message)


def _usable_checks(facts, req, profiles):
    return [_check("usable", True, facts.get("usable"), facts.get("usable") is True,
                   "KVM is not usable: " + "; ".join(facts.get("reasons") or ["no reason was reported"]))]


def _api_checks(facts, req, profiles):
    actual = facts.get("api_version")
    if actual is None:
        message = "the KVM API version could not be read, as the device could not be used (see above)"
    else:
        message = "KVM API version is %s, the fleet requires %d or later" % (actual, req["min_api_version"])
    return [_check("min_api_version", ">= %d" % req["min_api_version"], actual,
                   actual is not None and actual >= req["min_api_version"], message)]


def _mmap_checks(facts, req, profiles):
    if not req["min_vcpu_mmap_size"]:
        return []
    actual = facts.get("vcpu_mmap_size")
    return [_check("min_vcpu_mmap_size", ">= %d" % req["min_vcpu_mmap_size"], actual,
                   actual is not None and actual >= req["min_vcpu_mmap_size"],
                   "KVM_GET_VCPU_MMAP_SIZE is %s bytes, the fleet requires at least %d"
                   % (actual, req["min_vcpu_mmap_size"]))]


def _extension_checks(facts, req, profiles):
    wanted = [(cap, 1) for cap in req["required_extensions"]] + sorted(req["extension_minimums"].items())
    if not wanted:
        return []
    if "extensions" not in facts:
        return [_not_gathered("extensions", "%d capabilities" % len(wanted), "extensions")]
    return [_cap_check(cap, facts["extensions"], cap, minimum, "the fleet") for cap, minimum in wanted]


def _profile_checks(facts, req, profiles):
    checks = []
    arch = (facts.get("host") or {}).get("arch")
    for name in req["profiles"]:
        profile = profiles[name]
        title = profile.get("title", name)
        minimum_api = _whole_number(profile.get("min_api_version"))
        if minimum_api is not None:
            actual = facts.get("api_version")
            checks.append(_check("profile %s: api_version" % name, ">= %d" % minimum_api, actual,
                                 actual is not None and actual >= minimum_api,
                                 "KVM API version is %s, %s needs %d" % (actual, title, minimum_api)))
        if profile.get("require_vm_creation"):
            created = (facts.get("vm") or {}).get("created")
            checks.append(_check("profile %s: KVM_CREATE_VM" % name, True, created, created is True,
                                 "%s needs KVM_CREATE_VM to succeed; it failed with %s"
                                 % (title, (facts.get("vm") or {}).get("error"))))
        sections = profile.get("extensions") or {}
        if arch is None and any(a != ALL_ARCHES for a in sections):
            checks.append(_not_gathered("profile %s: architecture" % name, "x86_64 or aarch64", "host"))
        for section in (ALL_ARCHES, arch):
            entry = sections.get(section) if section else None
            if not entry:
                continue
            if "extensions" not in facts:
                checks.append(_not_gathered("profile %s" % name, "%s capabilities" % title, "extensions"))
                break
            for cap in entry.get("require", []):
                cap = canonical_cap(cap)
                checks.append(_cap_check("profile %s: %s" % (name, cap), facts["extensions"], cap, 1, title))
        devices = profile.get("devices") or {}
        for severity in ("fail", "warn"):  # the profile's own severity; the severity requirement may change it
            for device in devices.get("require" if severity == "fail" else "warn", []):
                device = vmm.device_name(device)
                checks.append(vmm.device_check("profile %s: %s" % (name, device), facts, device, title, severity))
    return checks


def _vcpu_run_checks(facts, req, profiles):
    if not req["require_vcpu_run"]:
        return []
    run = facts.get("vcpu_run")
    if run is None:
        return [_not_gathered("require_vcpu_run", "ok", "vcpu_run")]
    message = "no vCPU ran guest code (%s): %s" % (run.get("status"), run.get("reason"))
    if run.get("status") == "skipped" and facts.get("usable"):
        message += "; where the run cannot be made, waive it with kvm_validate_require_vcpu_run: false"
    return [_check("require_vcpu_run", "ok", run.get("status"), run.get("status") == "ok", message)]


def _nested_checks(facts, req, profiles):
    if not req["require_nested"]:
        return []
    features = (facts.get("cpuid") or {}).get("features")
    if features is None:
        return [_not_gathered("require_nested", True, "cpuid")]
    host = facts.get("host") or {}
    offered = bool(features.get("vmx") or features.get("svm"))
    actual = "guest vmx: %s, svm: %s; %s nested parameter: %s" % (
        features.get("vmx"), features.get("svm"), host.get("backend"), host.get("nested"))
    return [_check("require_nested", True, actual, offered,
                   "nested virtualization is not offered to guests: KVM_GET_SUPPORTED_CPUID has neither vmx nor svm "
                   "(%s nested parameter: %s); load kvm_intel or kvm_amd with nested=1"
                   % (host.get("backend"), "absent" if host.get("nested") is None else host.get("nested")))]


def _backend_checks(facts, req, profiles):
    if not req["allowed_backends"]:
        return []
    host = facts.get("host")
    if host is None:
        return [_not_gathered("allowed_backends", req["allowed_backends"], "host")]
    return [_check("allowed_backends", req["allowed_backends"], host.get("backend"),
                   host.get("backend") in req["allowed_backends"],
                   "KVM backend %s is not allowed here (allowed: %s)"
                   % (host.get("backend") or "none", ", ".join(req["allowed_backends"])))]


def _device_checks(facts, req, profiles):
    device = facts.get("device") or {}
    path = device.get("path", "the KVM device")
    node = "%s %s:%s" % (device.get("mode"), device.get("owner"), device.get("group"))
    checks = []
    if req["forbid_world_writable_device"] and device.get("exists"):
        checks.append(_check("forbid_world_writable_device", False, device.get("world_writable"),
                             not device.get("world_writable"),
                             "%s is world-writable (%s): any local user can create VMs; set GROUP=\"kvm\", "
                             "MODE=\"0660\" in a udev rule" % (path, node)))
    accounts = device.get("accounts") or {}
    for user in req["device_users"]:
        account = accounts.get(user)
        requirement = "device_users: %s" % user
        if not device.get("exists"):
            checks.append(_check(requirement, True, None, False, "%s does not exist, so %s cannot open it"
                                 % (path, user)))
        elif account is None:
            checks.append(_not_gathered(requirement, True, "device accounts"))
        elif not account["exists"]:
            checks.append(_check(requirement, True, False, False, "user %s does not exist on this host" % user))
        else:
            checks.append(_check(requirement, True, account["via"] or False, account["may_open"],
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


# Requirements judged by a check of their own module: (requirement, check(facts, value)); an unset
# (empty) requirement is not judged.
VALUE_CHECKS = (
    ("min_guest_cpu_level", guest_cpu.check_min_guest_cpu_level),
    ("required_cpu_models", guest_cpu.check_required_cpu_models),
    # against the full QEMU-named set of guest_cpu (the old cpuid.features map is a curated subset)
    ("required_cpu_features", guest_cpu.check_required_cpu_features),
    ("required_devices", vmm.check_required_devices),
    ("hugepages_minimums", vmm.check_hugepages_minimums),
    ("require_iommu", vmm.check_require_iommu),
    ("secure_guest", vmm.check_secure_guest),
    ("module_parameters", vmm.check_module_parameters),
)


def _value_checks(facts, req, profiles):
    checks = []
    for name, check in VALUE_CHECKS:
        if req[name]:
            checks.extend(check(facts, req[name]))
    return checks


CHECKS = (_usable_checks, _api_checks, _mmap_checks, _vcpu_run_checks, _extension_checks, _profile_checks,
          _nested_checks, _backend_checks, _device_checks, _value_checks)


def evaluate(facts, requirements, profiles, host=None, probe_result=None, core_version=None):
    """The verdict for one host: every requirement with expected, actual, ok and a message.

    `requirements` must come from check_requirements(). `probe_result` is the
    registered result of this run's kvm_facts task, if there was one: an
    unreachable host is reported as 'unreachable' and a failed probe as
    'no_facts', even when older facts of the host are still cached, with the cause and
    the fix read from the failed result (`core_version`: the controller's ansible-core).
    """
    if isinstance(probe_result, dict) and not probe_result.get("skipped"):
        if probe_result.get("unreachable"):
            return unreachable_verdict(host, probe_result.get("msg"))
        facts = (probe_result.get("ansible_facts") or {}).get("kvm")
        if facts is None:
            return no_facts_verdict(host, describe_probe_failure(probe_result, core_version))
    if not isinstance(facts, dict) or "usable" not in facts:
        return no_facts_verdict(host, "no ansible_facts.kvm for this host: fleetcheck.kvm.kvm_facts did not run "
                                      "or did not return")
    checks = []
    for judge in CHECKS:
        checks.extend(judge(facts, requirements, profiles))
    apply_severity(checks, requirements)
    summary = summarize(facts)
    summary["profiles_met"] = profiles_met(facts, profiles)
    return host_verdict(host, checks, summary)


def profiles_met(facts, profiles):
    """Every known profile, required or not, whose gating checks this host passes (for grouping hosts);
    the profiles' own severities count here (QEMU's vhost_net warns), not the fleet's severity overrides."""
    if not facts.get("usable"):
        return []
    return sorted(name for name in profiles
                  if all(c["ok"] or c["severity"] == "warn"
                         for c in _profile_checks(facts, {"profiles": [name]}, profiles)))


def summarize(facts):
    """The few facts a report shows beside a verdict, and what fleet drift is computed from.

    Sets travel as short fingerprints (12 hex digits of SHA-256 over the sorted names), so that
    a report of 100,000 hosts need not carry every capability: `caps` is the set of capabilities
    the kernel answered with a non-zero value, `guest_cpu_pool` the guest-visible CPU features.
    """
    # The short, stable name of a set that names migration pools also names capability sets.
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import pool_id as fingerprint

    host = facts.get("host") if isinstance(facts.get("host"), dict) else {}
    extensions = facts.get("extensions")
    caps = sorted(n for n, v in extensions.items() if v) if isinstance(extensions, dict) else None
    guest = facts.get("guest_cpu") if isinstance(facts.get("guest_cpu"), dict) else {}
    features = guest.get("features")
    parameters = host.get("parameters")
    return {"usable": facts.get("usable"), "api_version": facts.get("api_version"),
            "backend": host.get("backend"), "arch": host.get("arch"), "kernel": host.get("kernel"),
            "nr_vcpus": facts.get("nr_vcpus"), "max_vcpus": facts.get("max_vcpus"),
            "vcpu_run": (facts.get("vcpu_run") or {}).get("status"),
            "parameters": parameters if isinstance(parameters, dict) else None,
            "caps": None if caps is None else fingerprint(caps),
            "caps_count": None if caps is None else len(caps),
            "guest_cpu_level": guest.get("level"),
            "guest_cpu_pool": fingerprint(features) if isinstance(features, list) else None}
