# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one requirement registry: each requirement written once, with everything that follows from it.

An entry has its name, type (and list elements), default, a one-line summary (Markdown, for the role
README's table), its documentation (Ansible markup, for the doc fragment and the role's argument specs),
the subsets its check reads, its validator and its check function. In the order of REQUIREMENTS:
  - check_requirements() runs the validators (evaluate.py);
  - evaluate() runs the checks, after `usable`, and a verdict lists them in this order;
  - the kvm_validate action's options and the role's kvm_validate_<name> variables come from it;
  - tools/gen_docs.py writes the doc fragment, the role's defaults, argument specs and README table.
ROLE_VARIABLES are the role's own variables (how it runs, not what a host must have), written once too.

Adding a requirement: one entry here, its check function (checks_*.py) and validator, their tests,
then `python tools/gen_docs.py`. Controller side: pure standard library.
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_core as core
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_guest_cpu as guest_cpu
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_hyperv as hyperv
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import checks_vmm as vmm
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import canonical_cap, did_you_mean, whole_number
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.severity import validate_severity
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, Requirements, Validator

# A check function: (facts, every requirement, profiles) -> the checks it made.
CheckFunction = Callable[[Facts, Requirements, Profiles], list[Check]]
Requirement = dict[str, Any]  # one entry of REQUIREMENTS or ROLE_VARIABLES (_requirement)


# ------------------------------------------------------------ validators ----
# Each takes (value, profiles) and returns (the value made canonical, [problems, each naming the fix]).

def _whole_number(name: str) -> Validator:
    def validate(value: Any, profiles: Profiles) -> tuple[Any, list[str]]:
        if whole_number(value) is None:
            return value, ["%s must be a whole number of 0 or more, got %r" % (name, value)]
        return whole_number(value), []
    return validate


def _unknown_cap(where: str, name: Any) -> str:
    spelled = str(name).strip().upper()
    spelled = spelled if spelled.startswith("KVM_CAP_") else "KVM_CAP_" + spelled
    return "unknown capability %r in %s%s" % (name, where, did_you_mean(spelled, list(KVM_CAPS.values())))


def _required_extensions(value: list[Any], profiles: Profiles) -> tuple[list[str | None], list[str]]:
    names = [canonical_cap(name) for name in value]
    return names, [_unknown_cap("required_extensions", name) for name, cap in zip(value, names) if cap is None]


def _extension_minimums(value: Mapping[Any, Any] | None, profiles: Profiles) -> tuple[dict[str, int | None], list[str]]:
    minimums: dict[str, int | None] = {}
    problems: list[str] = []
    for name, minimum in sorted((value or {}).items()):
        canonical = canonical_cap(name)
        if canonical is None:
            problems.append(_unknown_cap("extension_minimums", name))
        elif whole_number(minimum) is None:
            problems.append("extension_minimums.%s must be a whole number of 0 or more, got %r" % (name, minimum))
        else:
            minimums[canonical] = whole_number(minimum)
    return minimums, problems


def _profiles(value: list[str], profiles: Profiles) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    for name in value:
        if name not in profiles:
            problems.append("unknown profile %r%s (known: %s)" % (
                name, did_you_mean(name, list(profiles)), ", ".join(sorted(profiles))))
        else:
            problems.extend(profile_problems(name, profiles[name]))
    return value, problems


def _allowed_backends(value: list[str], profiles: Profiles) -> tuple[list[str], list[str]]:
    return value, ["unknown KVM backend %r in allowed_backends%s (known: %s)"
                   % (backend, did_you_mean(backend, KVM_BACKENDS), ", ".join(KVM_BACKENDS))
                   for backend in value if backend not in KVM_BACKENDS]


def _min_guest_cpu_level(value: Any, profiles: Profiles) -> tuple[str | None, list[str]]:
    if not isinstance(value, (str, type(None))):
        return None, ["min_guest_cpu_level must be a level or a guest profile name, got %r" % (value,)]
    return value, guest_cpu.validate_guest_cpu_requirements(min_level=value)


def _required_cpu_models(value: list[str], profiles: Profiles) -> tuple[list[str], list[str]]:
    return value, guest_cpu.validate_guest_cpu_requirements(required_models=value)


def _required_cpu_features(value: list[str], profiles: Profiles) -> tuple[list[str], list[str]]:
    problems = guest_cpu.validate_guest_cpu_requirements(required_features=value)
    features = [guest_cpu.canonical_feature(f) or str(f) for f in value]  # QEMU's names (an unknown one is a problem)
    return sorted(set(features), key=features.index), problems


def _severity(value: Any, profiles: Profiles) -> tuple[Any, list[str]]:
    return validate_severity(value, profiles, SEVERITY_FAMILIES)


def profile_problems(name: str, profile: Any) -> list[str]:
    """Problems with a profile's shape (built-in or custom), each naming the fix."""
    problems: list[str] = []
    if not isinstance(profile, dict):
        return ["profile %r must be a mapping, got %s" % (name, type(profile).__name__)]
    if profile.get("min_api_version") is not None and whole_number(profile["min_api_version"]) is None:
        problems.append("profile %r: min_api_version must be a whole number, got %r"
                        % (name, profile["min_api_version"]))
    if not isinstance(profile.get("extensions") or {}, dict):
        return problems + ["profile %r: extensions must be a mapping of architecture to a list 'require'" % name]
    for arch, entry in (profile.get("extensions") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("require", []), list):
            problems.append("profile %r: extensions.%s must be a mapping with a list 'require'" % (name, arch))
            continue
        problems.extend(_unknown_cap("profile %r (%s)" % (name, arch), cap)
                        for cap in entry.get("require", []) if canonical_cap(cap) is None)
    if profile.get("devices") is not None:
        problems.extend(vmm.profile_device_problems(name, profile["devices"]))
    return problems


def _value_check(check: Callable[[Facts, Any], list[Check]], name: str) -> CheckFunction:
    """A check of the form check(facts, the requirement's value), judged only when the value is set."""
    return lambda facts, req, profiles: check(facts, req[name]) if req[name] else []


def _requirement(name: str, kind: str, default: Any, summary: str, doc: list[str], check: Callable[..., list[Check]] | None = None,
                 needs: tuple[str, ...] = (), validate: Validator | None = None, elements: str | None = None,
                 value_checked: bool = False, checks: tuple[str, ...] = ()) -> Requirement:
    """One requirement. value_checked: its check takes the requirement's own value (and runs only when it is set)
    rather than all the requirements. checks: the forms of the names of the checks it makes (the `requirement`
    of each check in a verdict; <word> stands for a value), listed in docs/fleet-json-schema.md."""
    entry: Requirement = {
        "name": name, "type": kind, "default": default, "summary": summary, "doc": doc, "needs": needs,
        "check": _value_check(check, name) if check is not None and value_checked else check,
        "validate": validate, "value_checked": value_checked, "checks": checks}
    if elements:
        entry["elements"] = elements
    return entry


REQUIREMENTS: tuple[Requirement, ...] = (
    _requirement(
        "min_api_version", "int", 12, "lowest acceptable `KVM_GET_API_VERSION`",
        ["Lowest acceptable C(KVM_GET_API_VERSION) answer."],
        core.api_checks, ("api",), _whole_number("min_api_version"), checks=("min_api_version",)),
    _requirement(
        "min_vcpu_mmap_size", "int", 0, "lowest acceptable `KVM_GET_VCPU_MMAP_SIZE`; 0 means none",
        ["Lowest acceptable C(KVM_GET_VCPU_MMAP_SIZE) in bytes; V(0) means no requirement."],
        core.mmap_checks, ("api",), _whole_number("min_vcpu_mmap_size"), checks=("min_vcpu_mmap_size",)),
    _requirement(
        "require_vcpu_run", "bool", True,
        "a vCPU must run guest code to its HLT (the run is x86_64 and aarch64 only: waive it elsewhere)",
        ["Require that a vCPU ran guest code to its HLT."],
        core.vcpu_run_checks, ("vm", "vcpu_run"), checks=("require_vcpu_run",)),
    _requirement(
        "required_extensions", "list", [],
        "capabilities that must answer nonzero; `IRQCHIP`, `irqchip` and `KVM_CAP_IRQCHIP` are the same",
        ["Capabilities that must answer nonzero, with or without the C(KVM_CAP_) prefix and in any case, for "
         "example V(IRQCHIP) or V(kvm_cap_xsave)."],
        core.extension_checks, ("extensions",), _required_extensions, elements="str",
        checks=("KVM_CAP_<NAME>", "extensions")),
    _requirement(
        "extension_minimums", "dict", {},
        "minimum values of counting capabilities, e.g. `{NR_VCPUS: 64, NR_MEMSLOTS: 509}`",
        ["Minimum values of counting capabilities, for example C({NR_VCPUS: 64, NR_MEMSLOTS: 509})."],
        None, ("extensions",), _extension_minimums,
        checks=("KVM_CAP_<NAME>",)),  # judged with required_extensions, in one check function
    _requirement(
        "profiles", "list", [],
        "profiles every host must meet: `qemu`, `qemu_7_2`, `firecracker`, `cloud_hypervisor`, `kata`, or your own",
        ["Hypervisor profiles the host must meet, by name.",
         "Built in are V(qemu) (the newest QEMU, 9.2 and later, read at a commit), V(qemu_7_2) (Debian 12's QEMU, "
         "verified against its source), V(firecracker), V(cloud_hypervisor) and V(kata), with the release and sources "
         "they were read from, in the collection's C(plugins/plugin_utils/_judge/profiles.py); custom profiles add more.",
         "Profiles name devices too (QEMU tun, and vhost_net as a warning; Firecracker tun; Kata vhost_vsock and "
         "vhost_net)."],
        core.profile_checks, ("host", "api", "extensions", "vm", "devices"), _profiles, elements="str",
        checks=("profile <name>", "profile <name>: KVM_CAP_<NAME>", "profile <name>: api_version",
                "profile <name>: KVM_CREATE_VM", "profile <name>: <device>")),
    _requirement(
        "require_nested", "bool", False, "guests must be offered vmx or svm",
        ["Require that guests are offered vmx or svm, that is nested virtualization."],
        core.nested_checks, ("cpuid", "host"), checks=("require_nested",)),
    _requirement(
        "allowed_backends", "list", [], "allowed backend modules, e.g. `[kvm_intel, kvm_amd]`; empty allows any",
        ["KVM backend modules allowed, for example V(kvm_intel) and V(kvm_amd). Empty allows any."],
        core.backend_checks, ("host",), _allowed_backends, elements="str", checks=("allowed_backends",)),
    _requirement(
        "forbid_world_writable_device", "bool", True, "a world-writable device node is a security finding",
        ["Treat a world-writable device node as a security finding that fails the host."],
        core.world_writable_checks, ("device",), checks=("forbid_world_writable_device",)),
    _requirement(
        "device_users", "list", [],
        "accounts such as `libvirt-qemu` or `nova` that must be able to open the device by owner or group",
        ["Accounts, such as V(libvirt-qemu) or V(nova), that must be able to open the device by owner, group or "
         "mode.",
         "Their access is read from C(ansible_facts.kvm.device.accounts); gather it with the "
         "O(fleetcheck.kvm.kvm_facts#module:accounts) option."],
        core.device_users_checks, ("device",), elements="str", checks=("device_users: <user>",)),
    _requirement(
        "min_guest_cpu_level", "str", None,
        "lowest x86-64 level KVM must offer guests (`x86-64-v1` .. `x86-64-v4`) or a guest profile (`rhel9`, "
        "`rhel10`, `debian12`; see [Guest CPU](#guest-cpu))",
        ["Lowest x86-64 micro-architecture level (psABI) that KVM must offer guests, V(x86-64-v1) to V(x86-64-v4), "
         "judged against C(ansible_facts.kvm.guest_cpu.level); a failure names the CPUID features that are missing.",
         "Or a guest profile, the level a guest operating system needs, with its source in the collection's "
         "C(plugins/plugin_utils/_judge/profiles.py) (C(GUEST_PROFILES)); V(rhel9) is V(x86-64-v2), V(rhel10) is "
         "V(x86-64-v3), V(debian12) is V(x86-64-v1).",
         "Needs the C(guest_cpu) facts (x86 only); without them, or on another architecture, the check fails "
         "saying so."],
        guest_cpu.check_min_guest_cpu_level, ("guest_cpu",), _min_guest_cpu_level, value_checked=True,
        checks=("min_guest_cpu_level",)),
    _requirement(
        "required_cpu_models", "list", [],
        "QEMU CPU models that must be runnable under KVM, e.g. `[Nehalem, EPYC-v4]`",
        ["QEMU CPU models (QEMU's names, for example V(Nehalem) or V(EPYC-v4)) that must be runnable under KVM, as "
         "C(ansible_facts.kvm.guest_cpu.models) says; a failure names the features each model lacks.",
         "Unknown names are rejected with suggestions."],
        guest_cpu.check_required_cpu_models, ("guest_cpu",), _required_cpu_models, elements="str", value_checked=True,
        checks=("required_cpu_models",)),
    _requirement(
        "required_cpu_features", "list", [],
        "CPU features KVM must offer guests, QEMU's or Linux's names, e.g. `[avx2, x2apic, sse4.2]`",
        ["CPU features that KVM must offer guests, judged against the full set "
         "C(ansible_facts.kvm.guest_cpu.features).",
         "QEMU's names (V(sse4.2), V(pni)), the older spellings QEMU accepts (V(sse4_2), V(sse3)) and Linux's names "
         "(V(tsc_deadline_timer)) are accepted; unknown names are rejected with suggestions."],
        guest_cpu.check_required_cpu_features, ("guest_cpu",), _required_cpu_features, elements="str", value_checked=True,
        checks=("required_cpu_features",)),
    _requirement(
        "required_hyperv", "list", [],
        "Hyper-V enlightenments Windows guests must be given, QEMU's names (`hv-vapic`, `hv-time`) or a Windows "
        "guest profile (`windows`, `windows_nova`, `windows_proxmox`, `windows_kubevirt`, `windows_virt_install`, "
        "`windows_virt_install_4`; see [Windows guests](#windows-guests))",
        ["Hyper-V enlightenments that Windows guests must be given, by QEMU's names (V(hv-vapic), V(hv-time); also "
         "V(vapic) or V(hv-apicv)), judged against C(ansible_facts.kvm.hyperv.enlightenments): each must be "
         "C(offered), that is QEMU starts with it and the guest gets it. A failure carries the kernel's answer that "
         "stops it.",
         "Or a Windows guest profile, the set a VMM turns on for Windows, read in its source at a named release "
         "(C(WINDOWS_PROFILES) in the collection's C(plugins/plugin_utils/_judge/profiles.py)): V(windows) (what every "
         "one of them turns on), V(windows_nova), V(windows_proxmox), V(windows_kubevirt), V(windows_virt_install_4) "
         "(virt-install 4.1) and V(windows_virt_install) (virt-install 5.0, which leaves off what libvirt says is "
         "missing: its check only warns). A failure names each enlightenment missing and why. The same names set "
         "O(min_guest_cpu_level) to the level Windows 11 24H2 needs.",
         "Unknown names are rejected with suggestions. Needs the C(hyperv) facts (x86 only)."],
        hyperv.check_required_hyperv, ("hyperv",), hyperv.validate_required_hyperv, elements="str", value_checked=True,
        checks=("required_hyperv: <name>", "required_hyperv")),
    _requirement(
        "required_devices", "list", [],
        "devices that must open and answer: `tun`, `vhost_net`, `vhost_vsock`, `vfio`, `iommufd`, `sev` (see "
        "[Devices, huge pages, IOMMU, secure guests, parameters](#devices-huge-pages-iommu-secure-guests-parameters))",
        ["Devices a VMM opens besides C(/dev/kvm) that must have opened read-write and answered their ioctl, as "
         "C(ansible_facts.kvm.devices) says - V(tun), V(vhost_net), V(vhost_vsock), V(vfio), V(iommufd), V(sev) "
         "(also spelled V(vhost-net) or V(/dev/vhost-net)). A failure carries the facts' reason and remedy "
         "(C(modprobe vhost_net), C(--device /dev/net/tun), ...). Needs the C(devices) facts."],
        vmm.check_required_devices, ("devices",), vmm.validate_required_devices, elements="str", value_checked=True,
        checks=("required_devices: <device>",)),
    _requirement(
        "hugepages_minimums", "dict", {},
        "huge pages configured per page size, host-wide or per NUMA node, e.g. `{2M: 1024, 1G: {node0: 4, node1: 4}}`",
        ["Huge pages that must be configured (C(nr_hugepages), the pool's total) per page size, written V(2M), "
         "V(1G) or V(2048kB); the value is a count for the whole host, or a mapping of NUMA node (V(node0) or V(0), "
         "and V(total)) to a count. Needs the C(hugepages) facts.",
         "For example C({2M: 1024, 1G: {node0: 4, node1: 4}})."],
        vmm.check_hugepages_minimums, ("hugepages",), vmm.validate_hugepages_minimums, value_checked=True,
        checks=("hugepages_minimums", "hugepages_minimums: <size>", "hugepages_minimums: <size> <node>")),
    _requirement(
        "require_iommu", "bool", False, "an IOMMU must be active (device passthrough)",
        ["Require an active IOMMU (C(ansible_facts.kvm.iommu.enabled)), for device passthrough."],
        vmm.check_require_iommu, ("iommu",), vmm.validate_require_iommu, value_checked=True, checks=("require_iommu",)),
    _requirement(
        "secure_guest", "list", [], "secure guest kinds that must be ready: `sev`, `sev_es`, `sev_snp`, `tdx`",
        ["Secure guest kinds that must be ready, from V(sev), V(sev_es), V(sev_snp) and V(tdx), as "
         "C(ansible_facts.kvm.secure_guest) judges them. Needs the C(secure_guest) facts."],
        vmm.check_secure_guest, ("secure_guest",), vmm.validate_secure_guest, elements="str", value_checked=True,
        checks=("secure_guest", "secure_guest: <kind>")),
    _requirement(
        "module_parameters", "dict", {},
        "KVM module parameters as the kernel prints them, e.g. `{kvm_intel.nested: \"Y\", kvm.nx_huge_pages: never}`",
        ["KVM module parameters (C(kvm) and the backends) and their values as the kernel prints them in "
         "C(/sys/module/<module>/parameters).",
         "For example C({kvm_intel.nested: \"Y\", kvm.nx_huge_pages: never}).",
         "For a boolean parameter (printed V(Y) or V(N)) any spelling the kernel accepts counts (V(1), V(on), "
         "V(true), V(0), V(off)); for C(kvm_amd.nested), an integer the kernel documents as a switch, V(Y) means "
         "V(1). An unquoted V(Y) that YAML reads as true counts as V(Y). Needs the C(parameters) facts."],
        vmm.check_module_parameters, ("parameters",), vmm.validate_module_parameters, value_checked=True,
        checks=("module_parameters", "module_parameters: <module>.<parameter>")),
    _requirement(
        "severity", "dict", {},
        "`fail` (gates) or `warn` (reported only) per requirement, profile or check (see [Severity](#severity))",
        ["Which unmet checks gate the host (V(fail), the default) and which are only reported (V(warn)).",
         "A mapping of selector to V(fail) or V(warn); a selector is a check's name as verdicts list it "
         "(V(required_devices: vfio), V(profile qemu: vhost_net), V(KVM_CAP_IRQCHIP)), V(profile <name>) for all "
         "checks of a profile, or a requirement's name (V(required_devices), V(profiles), V(usable)) for all of "
         "its checks; the most specific selector wins.",
         "Example C({required_devices: warn, \"profile qemu: vhost_net\": fail})."],
        None, (), _severity, checks=()),
)

REQUIREMENT_NAMES = tuple(entry["name"] for entry in REQUIREMENTS)
# The checks no requirement makes: the device's own answer (every host), the subsets to add to judge what was not
# gathered (the root cause of the checks it blocks), the installed QEMU's answer compared (qemu_check) and the module
# parameters that make guests slow (warnings), and a host without a judgement.
OTHER_CHECKS = ("usable", "gather_subset", "qemu_check", "parameter warning: <module>.<parameter>", "unreachable",
                "no_facts")
# What a requirement-name selector of `severity` may name: every requirement that makes checks, and `usable`.
SEVERITY_FAMILIES = ("usable",) + tuple(name for name in REQUIREMENT_NAMES if name != "severity")

# The role's own variables (kvm_validate_<name>): how it runs, not what a host must have.
ROLE_VARIABLES: tuple[Requirement, ...] = (
    {"name": "mode", "type": "str", "default": "enforce", "choices": ["enforce", "audit"],
     "summary": "`enforce` fails hosts that miss a requirement; `audit` only records `kvm_validate_result`",
     "doc": ["V(enforce) fails hosts that miss a requirement; V(audit) only records C(kvm_validate_result)."]},
    {"name": "probe", "type": "bool", "default": True,
     "summary": "run `kvm_facts` first; `false` judges facts already gathered or cached",
     "doc": ["Run M(fleetcheck.kvm.kvm_facts) first. Set V(false) to judge facts already gathered or cached."]},
    {"name": "device", "type": "path", "default": "/dev/kvm", "summary": "the device node on the hosts",
     "doc": ["Path of the KVM device node on the hosts."]},
    {"name": "gather_subset", "type": "list", "elements": "str", "default": ["all"],
     "summary": "the probes, as `kvm_facts` takes them",
     "doc": ["The probes to run, as M(fleetcheck.kvm.kvm_facts) takes them."]},
    {"name": "timeout", "type": "float", "default": 2.0, "summary": "seconds the vCPU run may take",
     "doc": ["Seconds the vCPU run may take."]},
    {"name": "cpu_models", "type": "list", "elements": "str", "default": [],
     "summary": "more QEMU CPU models for `guest_cpu.models` to detail, beside those `kvm_validate_required_cpu_models` "
                "names, as `kvm_facts` takes its `cpu_models` option (`[all]` for every one; `runnable_models` always "
                "lists every runnable one)",
     "doc": ["More QEMU CPU models whose verdict C(ansible_facts.kvm.guest_cpu.models) details, as "
             "M(fleetcheck.kvm.kvm_facts) takes its C(cpu_models) option; V([all]) details every one.",
             "The probe always details the models C(kvm_validate_required_cpu_models) names, the ones the checks read; "
             "the other models' verdicts are three quarters of the facts, which Ansible handles for every host."]},
    {"name": "qemu_version", "type": "list", "elements": "str", "default": ["auto"],
     "summary": "the QEMU release each host is judged for, as `kvm_facts` takes its `qemu_version` option: `auto` "
                "(the QEMU installed on the host, else the newest table), a release such as `10.0`, or several; the "
                "fleet audit sets it to `kvm_audit_qemu_version`",
     "doc": ["The QEMU release whose CPU models each host is judged for, as M(fleetcheck.kvm.kvm_facts) takes its "
             "C(qemu_version) option: V(auto) (the QEMU installed on the host, else the newest table), a release "
             "such as V(10.0), or several (the first is the main answer).",
             "The fleet audit playbook sets it to C(kvm_audit_qemu_version)."]},
    {"name": "qemu_check", "type": "bool", "default": False,
     "summary": "start the QEMU installed on each host (stopped, no guest, bounded to 10 s and 1 GiB of address "
                "space; about 0.1 to 0.2 s) and compare its own CPU model answer with the probe's, as `kvm_facts` "
                "takes its `qemu_check` option; a difference is a warning (`guest_cpu.qemu_disagrees`) and QEMU's "
                "answer is used; the fleet audit sets it to `kvm_audit_qemu_check`",
     "doc": ["Start the QEMU installed on each host and compare its own answer (C(query-cpu-definitions) and the "
             "C(host) model's features) with the probe's, as M(fleetcheck.kvm.kvm_facts) takes its C(qemu_check) "
             "option. QEMU is started stopped (C(-S)), with no guest and no disk, within 10 seconds and 1 GiB of "
             "address space.",
             "Where they differ the facts give QEMU's answer and the verdict warns with the code "
             "C(guest_cpu.qemu_disagrees).",
             "The fleet audit playbook sets it to C(kvm_audit_qemu_check)."]},
    {"name": "tolerate_unreachable", "type": "bool", "default": False,
     "summary": "keep unreachable hosts in the play with the verdict `unreachable` (the audit playbook sets it)",
     "doc": ["Go on with a host that cannot be reached, so that it gets the verdict V(unreachable) (and fails in "
             "V(enforce) mode) instead of dropping out of the play. The fleet audit playbook sets it."]},
    {"name": "strict", "type": "bool", "default": False,
     "summary": "fail, instead of warning, on a `kvm_validate_*` or `kvm_audit_*` variable this collection does not "
                "know (a misspelt requirement is otherwise ignored)",
     "doc": ["Fail, instead of warning, when a variable named C(kvm_validate_*) or C(kvm_audit_*) is one this "
             "collection does not know, such as a misspelt requirement, which would otherwise be ignored."]},
    {"name": "textfile_directory", "type": "path", "default": None,
     "summary": "write the host's verdict as metrics, `fleetcheck_kvm.prom`, into this directory on the host: "
                "node_exporter's textfile collector directory (opt-in: it writes on the host; check and diff mode "
                "apply)",
     "doc": ["Write this host's verdict as Prometheus metrics (the M(fleetcheck.kvm.kvm_metrics#filter) filter) "
             "into C(fleetcheck_kvm.prom) in this directory on the managed host, for node_exporter's textfile "
             "collector, for example V(/var/lib/prometheus/node-exporter).",
             "Off when unset: this writes on the host. Check mode and diff mode apply, and an unchanged verdict "
             "leaves the file as it is."]},
    {"name": "textfile_create", "type": "bool", "default": False,
     "summary": "create `kvm_validate_textfile_directory` on the host when it is missing (off: a missing directory is "
                "a warning, `metrics.not_written`, and nothing is created)",
     "doc": ["Create C(kvm_validate_textfile_directory) on the host, mode C(0755), when it does not exist.",
             "Off by default - a missing directory is then a warning of that host, C(metrics.not_written), in the "
             "reports and on the console, and nothing is created: a side output never fails a host."]},
    {"name": "custom_profiles", "type": "dict", "default": {},
     "summary": "your own profiles, in the shape of the built-in ones; a name here replaces a built-in profile",
     "doc": ["More profiles, in the shape of the built-in ones; a name here replaces a built-in profile."]},
)


# The fleet audit playbook, whose own variables (kvm_audit_<name>) are read from it: the two cannot differ.
AUDIT_PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, "playbooks",
                              "audit.yml")


@functools.lru_cache(maxsize=1)
def audit_variables(path: str = AUDIT_PLAYBOOK) -> tuple[str, ...]:
    """The names (after kvm_audit_) of the variables the audit playbook reads, less those it registers itself
    (kvm_audit_report); its private ones are __kvm_audit_*. Documented in the user guide."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    registered = set(re.findall(r"^\s*register:\s*kvm_audit_(\w+)\s*$", text, re.M))
    return tuple(sorted(set(re.findall(r"(?<!\w)kvm_audit_([a-z]\w*)", text)) - registered))


# What is one value for the whole audit, read once (by the task that runs once): the gate, the pools' models,
# the reports' place and the comparison, and the profiles' definitions. Every other variable is each host's own.
FLEET_WIDE = ("kvm_audit_gate", "kvm_audit_models_in_use", "kvm_audit_report_dir", "kvm_audit_previous",
              "kvm_audit_allow_unreachable", "kvm_validate_custom_profiles")
# Variables the role sets itself: not the user's to misspell.
ROLE_SET = ("result",)


def known_variables() -> set[str]:
    """Every kvm_validate_* and kvm_audit_* variable name this collection reads."""
    return (set("kvm_validate_" + name for name in REQUIREMENT_NAMES + tuple(v["name"] for v in ROLE_VARIABLES)
                + ROLE_SET) | set("kvm_audit_" + name for name in audit_variables()))


def unknown_variables(names: Iterable[Any]) -> list[tuple[str, str | None]]:
    """[(name, closest known name or None)] for each kvm_validate_* or kvm_audit_* name this collection does not read."""
    known = known_variables()
    unknown = sorted(n for n in names if isinstance(n, str) and n.startswith(("kvm_validate_", "kvm_audit_"))
                     and n not in known)
    closest = [difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6) for name in unknown]
    return [(name, close[0] if close else None) for name, close in zip(unknown, closest)]


def default_requirements() -> Requirements:
    """Every requirement at its default, as a fresh dict (the defaults are never shared)."""
    return dict((entry["name"], copy.deepcopy(entry["default"])) for entry in REQUIREMENTS)


def requirement_options() -> dict[str, dict[str, Any]]:
    """The requirements as Ansible argument-spec options, without defaults.

    An option left unset defers to the next source (the requirements mapping,
    the role's variables, then default_requirements()).
    """
    return dict((entry["name"], dict((key, entry[key]) for key in ("type", "elements") if key in entry))
                for entry in REQUIREMENTS)


def given_requirements(requirements: Requirements, defaults: Requirements) -> Requirements:
    """The requirements that differ from their defaults: what a set of requirements is, in a report."""
    return dict((name, value) for name, value in requirements.items() if defaults.get(name) != value)


def fleet_wide_differences(hosts: list[str], variables: Mapping[str, Mapping[str, Any]],
                           reference: str | None) -> list[str]:
    """A warning for each fleet-wide variable (FLEET_WIDE) that some host sets to another value than the host
    the audit read it from (`reference`): that host's value is not used."""
    said: list[str] = []
    base = variables.get(reference, {}) if reference is not None else {}
    for name in FLEET_WIDE:
        differ = [h for h in hosts if h != reference and variables[h].get(name, None) != base.get(name, None)]
        if differ:
            said.append("%s is one value for the whole audit (read on %s: %s), yet %s set%s it otherwise; that value "
                        "is not used: set it once, for all hosts (group all, the play, or -e)"
                        % (name, reference, _shown(base.get(name)), ", ".join(differ[:5]) +
                           (" and %d more" % (len(differ) - 5) if len(differ) > 5 else ""),
                           "s" if len(differ) == 1 else ""))
    return said


def _shown(value: Any) -> str:
    return "unset" if value is None else repr(value)[:60]
