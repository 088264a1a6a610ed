# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a VMM needs beyond /dev/kvm (controller side, pure): validation and checks.

Requirements, each judged against the facts of one kvm_facts subset:
  required_devices:    devices that must open and answer (devices subset)
  hugepages_minimums:  page size -> pages configured, host-wide or per NUMA node (hugepages)
  require_iommu:       an active IOMMU (iommu)
  secure_guest:        sev, sev_es, sev_snp, tdx that must be ready (secure_guest)
  module_parameters:   "module.parameter" -> the value the kernel prints (parameters)
the validate_* functions give the problems of the values, with suggestions, before any
host is judged; each check_* function takes (facts, value) and returns verdicts.check dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import re

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS, VMM_DEVICES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import did_you_mean, whole_number
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.not_judged import blocked, not_gathered
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Facts, Profiles, Requirements, Validator, mapping

# The devices subset's keys and nodes, as the probe writes them.
DEVICE_PATHS = tuple((entry[0], entry[1]) for entry in VMM_DEVICES)
DEVICE_NAMES = tuple(name for name, _path in DEVICE_PATHS)
SECURE_GUEST_KINDS = ("sev", "sev_es", "sev_snp", "tdx")
PARAMETER_MODULES = ("kvm",) + KVM_BACKENDS
# kstrtobool() (lib/kstrtox.c), how the kernel reads a bool parameter; param_get_bool prints Y or N.
BOOL_SPELLINGS = {"y": "Y", "yes": "Y", "1": "Y", "on": "Y", "true": "Y",
                  "n": "N", "no": "N", "0": "N", "off": "N", "false": "N"}
# Integer parameters documented as on/off switches, which print 1 or 0: Y/1 and N/0 are the same there.
# Source: Documentation/admin-guide/kernel-parameters.txt (Linux 6.1), "kvm-amd.nested= ... Default is 1
# (enabled)"; arch/x86/kvm/svm/svm.c `module_param(nested, int, S_IRUGO)`.
INT_SWITCHES = frozenset(["kvm_amd.nested"])
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_SIZE_KB = {"k": 1, "m": 1024, "g": 1024 * 1024, "t": 1024 * 1024 * 1024}
# A judge of one subset: (the subset's facts, the requirement's value) -> checks.
SubsetJudge = Callable[[dict[str, Any], Any], list[Check]]


def _judges(subset: str, requirement: str, expected: Callable[[Any], Any] = lambda wanted: wanted
            ) -> Callable[[SubsetJudge], Callable[[Facts, Any], list[Check]]]:
    """A check of one subset's facts, as check(facts, wanted): no checks when nothing is wanted, the one
    failed check that says so when the subset was not gathered, else judge(the subset's facts, wanted)."""
    def decorate(judge: SubsetJudge) -> Callable[[Facts, Any], list[Check]]:
        def checks(facts: Facts, wanted: Any) -> list[Check]:
            if not wanted:
                return []
            stopped = blocked(requirement, expected(wanted), facts, subset)
            if stopped:
                return [stopped]
            section = facts.get(subset)
            if not isinstance(section, dict):
                return [not_gathered(requirement, expected(wanted), subset, facts)]
            return judge(section, wanted)
        checks.__name__, checks.__doc__ = judge.__name__, judge.__doc__
        return checks
    return decorate


# ------------------------------------------------------------ validation ----

def device_name(name: Any) -> str | None:
    """The devices subset's key for a name ('vhost-net', 'VHOST_NET', '/dev/vhost-net'), or None."""
    text = str(name).strip()
    for key, path in DEVICE_PATHS:
        if text == path:
            return key
    text = text.lower().replace("-", "_")
    return text if text in DEVICE_NAMES else None


def page_size_key(size: Any) -> str | None:
    """The hugepages facts' key ('2048kB') of a size spelled 2M, 2MB, 2MiB, 2048kB, 1G or 2048 (kB); None if not."""
    if isinstance(size, int) and not isinstance(size, bool):
        size = str(size)
    match = _SIZE.match(str(size))
    if not match or int(match.group(1)) == 0:
        return None
    unit = (match.group(2) or "k").lower()
    return "%dkB" % (int(match.group(1)) * _SIZE_KB[unit])


def _node_key(node: Any) -> str | None:
    text = str(node).strip()
    if text.isdigit():
        return "node" + text
    return text if re.match(r"^node\d+$", text) else None


def _sorted_mapping(value: Any, what: str, problems: list[str]) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a mapping in a stable order, or [] and a problem saying what it must be."""
    if not isinstance(value, dict):
        problems.append("%s, got %s" % (what, type(value).__name__))
        return []
    return sorted(value.items(), key=lambda kv: str(kv[0]))


def _hugepages(value: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """{size key: {"total": count or None, "nodes": {nodeN: count}}}."""
    wanted: dict[str, dict[str, Any]] = {}
    for size, minimum in _sorted_mapping(value, "hugepages_minimums must be a mapping of page size to a count or "
                                                "to {node: count}", problems):
        key = page_size_key(size)
        if key is None:
            problems.append("hugepages_minimums: unknown page size %r: write it as 2M, 1G or 2048kB" % (size,))
            continue
        entry = wanted.setdefault(key, {"total": None, "nodes": {}})
        per_node = minimum if isinstance(minimum, dict) else {"total": minimum}
        for node, count in sorted(per_node.items(), key=lambda kv: str(kv[0])):
            where = "total" if str(node) == "total" else _node_key(node)
            if where is None:
                problems.append("hugepages_minimums.%s: unknown NUMA node %r: write node0 or 0 (or total)"
                                % (size, node))
            elif whole_number(count) is None:
                problems.append("hugepages_minimums.%s%s must be a whole number of 0 or more, got %r"
                                % (size, "" if where == "total" else "." + where, count))
            elif where == "total":
                entry["total"] = whole_number(count)
            else:
                entry["nodes"][where] = whole_number(count)
    return wanted


def parameter_value(value: Any) -> str:
    """The expected value as text: YAML reads an unquoted Y, yes or on as true, so booleans become Y and N."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value).strip()


def _parameters(value: Any, problems: list[str]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for key, expected in _sorted_mapping(value, "module_parameters must be a mapping of module.parameter to a value",
                                         problems):
        module, dot, name = str(key).strip().partition(".")
        module = module.replace("-", "_")  # the kernel command line spells kvm-intel.nested too
        if not dot or not name:
            problems.append("module_parameters: %r is not module.parameter, e.g. kvm_intel.nested" % (key,))
        elif module not in PARAMETER_MODULES:
            problems.append("module_parameters: unknown module %r in %r (the parameters subset reads %s)%s"
                            % (module, key, ", ".join(PARAMETER_MODULES), did_you_mean(module, PARAMETER_MODULES)))
        elif expected is None or isinstance(expected, (dict, list)):
            problems.append("module_parameters.%s must be a value as the kernel prints it, got %r" % (key, expected))
        else:
            wanted["%s.%s" % (module, name)] = parameter_value(expected)
    return wanted


def _names(value: Any, requirement: str, canonical: Callable[[Any], str | None], known: Sequence[str],
           problems: list[str]) -> list[str]:
    if not isinstance(value, list):
        problems.append("%s must be a list, got %s" % (requirement, type(value).__name__))
        return []
    names: list[str] = []
    for item in value:
        name = canonical(item)
        if name is None:
            problems.append("unknown %s entry %r (known: %s)%s" % (
                requirement, item, ", ".join(known), did_you_mean(str(item).lower().replace("-", "_"), known)))
        elif name not in names:
            names.append(name)
    return names


def secure_guest_name(name: Any) -> str | None:
    text = str(name).strip().lower().replace("-", "_")
    return text if text in SECURE_GUEST_KINDS else None


def _validator(normalize: Callable[[Any, list[str]], Any]) -> Validator:
    """A registry validator, (value, profiles) -> (value made canonical, problems), of normalize(value, problems)."""
    def validate(value: Any, profiles: Profiles) -> tuple[Any, list[str]]:
        problems: list[str] = []
        return normalize(value, problems), problems
    validate.__doc__ = normalize.__doc__
    return validate


validate_required_devices = _validator(
    lambda value, problems: _names(value, "required_devices", device_name, DEVICE_NAMES, problems))
validate_secure_guest = _validator(
    lambda value, problems: _names(value, "secure_guest", secure_guest_name, SECURE_GUEST_KINDS, problems))
validate_hugepages_minimums = _validator(_hugepages)
validate_module_parameters = _validator(_parameters)


def validate_require_iommu(value: Any, profiles: Profiles) -> tuple[Any, list[str]]:
    if not isinstance(value, bool):
        return value, ["require_iommu must be true or false, got %r" % (value,)]
    return value, []


def profile_device_problems(name: str, devices: Any) -> list[str]:
    """Problems with a profile's `devices` entry: {source, require: [names], warn: [names]}."""
    if not isinstance(devices, dict):
        return ["profile %r: devices must be a mapping with lists 'require' and 'warn'" % name]
    problems: list[str] = []
    for key in ("require", "warn"):
        listed = devices.get(key, [])
        if not isinstance(listed, list):
            problems.append("profile %r: devices.%s must be a list" % (name, key))
            continue
        problems.extend("profile %r: unknown device %r in devices.%s (known: %s)%s" % (
            name, item, key, ", ".join(DEVICE_NAMES), did_you_mean(str(item), DEVICE_NAMES))
            for item in listed if device_name(item) is None)
    return problems


# ----------------------------------------------------------------- checks ----

def _device_state(entry: Mapping[str, Any]) -> str:
    if entry.get("usable"):
        return "usable"
    if not entry.get("exists"):
        return "absent"
    if not entry.get("can_open_rw"):
        return "not opened (%s)" % (entry.get("open_error") or "refused")
    return "opened, did not answer"


def device_check(requirement: str, facts: Facts, name: str, who: str, severity: str = "fail") -> Check:
    """One device must have opened and answered; the message carries the facts' reason and remedy."""
    devices = facts.get("devices")
    stopped = blocked(requirement, "usable", facts, "devices")
    if stopped or not isinstance(devices, dict):
        return stopped or not_gathered(requirement, "usable", "devices", facts)
    entry = devices.get(name) or {}
    path = entry.get("path") or dict(DEVICE_PATHS)[name]
    message = "%s (%s) is %s, %s needs it: %s" % (path, name, _device_state(entry), who,
                                                  entry.get("reason") or "the devices facts give no reason")
    reason = entry.get("reason") or ""
    return check(requirement, "usable", _device_state(entry), entry.get("usable") is True, message, severity,
                 code="vmm_device.unusable", subject=name, remedy=reason.rpartition("; ")[2] or None)


def check_required_devices(facts: Facts, names: Iterable[str] | None) -> list[Check]:
    return [device_check("required_devices: %s" % name, facts, name, "the fleet") for name in names or ()]


def _hugepage_remedy(size: str, count: int, node: str | None) -> str:
    kb = int(size[:-2])
    sysfs = ("/sys/devices/system/node/%s/hugepages/hugepages-%s/nr_hugepages" % (node, size) if node
             else "/sys/kernel/mm/hugepages/hugepages-%s/nr_hugepages" % size)
    boot = "hugepagesz=%s hugepages=%d" % ("%dG" % (kb // 1048576) if kb % 1048576 == 0 else "%dM" % (kb // 1024)
                                           if kb % 1024 == 0 else "%dK" % kb, count)
    if kb >= 1048576:  # gigantic pages: contiguous memory is rarely left after boot
        return "reserve them at boot with %s on the kernel command line (or write %d to %s early)" % (
            boot, count, sysfs)
    runtime = "write %d to %s" % (count, sysfs)
    if kb == 2048 and not node:
        runtime += " (sysctl vm.nr_hugepages=%d where 2M is the default size; persist it in /etc/sysctl.d)" % count
    return "%s, or boot with %s" % (runtime, boot)


@_judges("hugepages", "hugepages_minimums", lambda wanted: dict((s, w["total"]) for s, w in wanted.items()))
def check_hugepages_minimums(hugepages: dict[str, Any], wanted: dict[str, dict[str, Any]]) -> list[Check]:
    """Huge pages configured (nr_hugepages, the pool's total) of each size, host-wide and per node."""
    checks: list[Check] = []
    sizes = hugepages.get("sizes") or {}
    nodes = hugepages.get("nodes") or {}
    for size, want in sorted(wanted.items()):
        places = ([(None, want["total"])] if want["total"] is not None else []) + sorted(want["nodes"].items())
        for node, minimum in places:
            requirement = "hugepages_minimums: %s%s" % (size, " " + node if node else "")
            pool = (nodes.get(node) or {}).get(size) if node else sizes.get(size)
            where = "on %s" % node if node else "host-wide"
            if node and node not in nodes:
                checks.append(check(requirement, ">= %d" % minimum, None, False, "%s huge pages %s: this host has no "
                                    "NUMA node %s (nodes: %s)" % (size, where, node, ", ".join(sorted(nodes)) or
                                                                  "none reported"), code="hugepages.no_node",
                                    subject=node, remedy="require %s of the hosts that have it" % node))
            elif pool is None:
                checks.append(check(requirement, ">= %d" % minimum, None, minimum == 0,
                                    "%s huge pages %s: this kernel offers no %s page size (sizes: %s); the CPU or "
                                    "kernel lacks it (1G pages need the CPU's pdpe1gb or an arm64 kernel with "
                                    "them)" % (size, where, size, ", ".join(sorted(nodes[node] if node else sizes))
                                               or "none"), code="hugepages.no_size", subject=size))
            else:
                total = pool.get("total")
                checks.append(check(requirement, ">= %d" % minimum, total, total is not None and total >= minimum,
                                    "%s huge pages %s: %s configured (free %s), the fleet requires %d: %s"
                                    % (size, where, total, pool.get("free"), minimum,
                                       _hugepage_remedy(size, minimum, node)), code="hugepages.short",
                                    subject=size, remedy=_hugepage_remedy(size, minimum, node)))
    return checks


@_judges("iommu", "require_iommu", lambda required: True)
def check_require_iommu(iommu: dict[str, Any], required: bool) -> list[Check]:
    actual = "enabled: %s, groups: %s, translation: %s" % (iommu.get("enabled"), iommu.get("groups"),
                                                           iommu.get("translation"))
    return [check("require_iommu", True, actual, iommu.get("enabled") is True,
                  "no active IOMMU (%s): %s" % (actual, iommu.get("reason") or "the iommu facts give no reason"),
                  code="iommu.inactive", subject="iommu")]


@_judges("secure_guest", "secure_guest", list)
def check_secure_guest(secure: dict[str, Any], kinds: list[str]) -> list[Check]:
    checks: list[Check] = []
    for kind in kinds:
        entry = secure.get(kind) or {}
        checks.append(check("secure_guest: %s" % kind, "ready", "ready" if entry.get("ready") else "not ready",
                            entry.get("ready") is True, "%s guests cannot start here: %s" % (
                                kind.upper().replace("_", "-"), entry.get("reason") or "no reason was reported"),
                            code="secure_guest.not_ready", subject=kind))
    return checks


def parameter_matches(key: str, actual: str, expected: str) -> bool:
    """The kernel's text against the wanted one; booleans by kstrtobool, as the kernel reads them."""
    if actual == expected:
        return True
    truth = BOOL_SPELLINGS.get(expected.lower())
    if actual in ("Y", "N") and truth is not None:
        return actual == truth
    if key in INT_SWITCHES and actual in ("0", "1") and truth is not None:
        return {"1": "Y", "0": "N"}[actual] == truth
    return False


@_judges("parameters", "module_parameters")
def check_module_parameters(parameters: dict[str, Any], wanted: dict[str, str]) -> list[Check]:
    checks: list[Check] = []
    for key, expected in sorted(wanted.items()):
        module, _dot, name = key.partition(".")
        requirement = "module_parameters: %s" % key
        values = parameters.get(module)
        if not isinstance(values, dict):
            checks.append(check(requirement, expected, None, False, "%s is not loaded on this host (loaded: %s): "
                                "modprobe %s, or require %s of the hosts that use it" % (
                                    module, ", ".join(sorted(parameters)) or "none", module, key),
                                code="parameter.module_missing", subject=module,
                                remedy="modprobe %s, or require %s of the hosts that use it" % (module, key)))
            continue
        actual = values.get(name)
        if actual is None:
            checks.append(check(requirement, expected, None, False, "%s has no readable parameter %s%s (it has %d "
                                "others; one readable by root only is missing when the probe runs unprivileged)" % (
                                    module, name, did_you_mean(name, values), len(values)),
                                code="parameter.missing", subject=key))
            continue
        remedy = "set 'options %s %s=%s' in /etc/modprobe.d/%s.conf and reload %s (or boot with %s=%s)" % (
            module, name, expected, module, module, key, expected)
        checks.append(check(requirement, expected, actual, parameter_matches(key, actual, expected),
                            "%s is %r, the fleet requires %r: %s" % (key, actual, expected, remedy),
                            code="parameter.mismatch", subject=key, remedy=remedy))
    return checks


# Module parameters that an expert calls a misconfiguration, or a host that cannot run guests at full speed: KVM
# still works, slowly. (module, parameter, code, what it costs, source). Bool parameters print Y or N; a few
# kernels print 0 or 1.
SLOW_PARAMETERS = (
    ("kvm_intel", "ept", "parameter.shadow_paging",
     "EPT is off: KVM shadows every guest's page tables (each guest page-table change exits to KVM), so guests run "
     "much slower", "arch/x86/kvm/vmx/vmx.c enable_ept; Documentation/virt/kvm/x86/mmu.rst (shadow paging)"),
    ("kvm_amd", "npt", "parameter.shadow_paging",
     "NPT is off: KVM shadows every guest's page tables (each guest page-table change exits to KVM), so guests run "
     "much slower", "arch/x86/kvm/svm/svm.c npt_enabled; Documentation/virt/kvm/x86/mmu.rst (shadow paging)"),
    ("kvm_intel", "vpid", "parameter.vpid_off",
     "VPID is off: the TLB is flushed on every VM entry and exit", "arch/x86/kvm/vmx/vmx.c enable_vpid"),
    ("kvm_intel", "unrestricted_guest", "parameter.unrestricted_guest_off",
     "unrestricted guest is off: guest code in real mode (boot loaders, firmware) is emulated instruction by "
     "instruction", "arch/x86/kvm/vmx/vmx.c enable_unrestricted_guest"),
    ("kvm_intel", "enable_apicv", "parameter.apicv_off",
     "APIC virtualization is off: every guest interrupt and APIC access exits to KVM",
     "arch/x86/kvm/vmx/vmx.c enable_apicv"),
)
OFF = ("N", "n", "0")


def slow_parameter_checks(facts: Facts, _requirements: Requirements | None = None, _profiles: Profiles | None = None) -> list[Check]:
    """A warning for each loaded backend parameter of SLOW_PARAMETERS that is off. KVM turns it off itself where the
    CPU (or the hypervisor below) lacks the feature; an option turns it off otherwise: the remedy says both."""
    parameters = mapping(facts.get("parameters"))
    checks: list[Check] = []
    for module, name, code, cost, source in SLOW_PARAMETERS:
        values = mapping(parameters.get(module))
        value = values.get(name)
        if not isinstance(value, str) or value.strip() not in OFF:
            continue
        key = "%s.%s" % (module, name)
        remedy = ("remove %s=%s from /etc/modprobe.d (options %s) and from the kernel command line, then reload %s; if "
                  "no option sets it, the CPU or the hypervisor below does not offer it: enable it there (for a VM, "
                  "nested %s on its hypervisor)" % (name, value.strip(), module, module, name.upper()
                                                    if name in ("ept", "npt", "vpid") else name))
        checks.append(check("parameter warning: %s" % key, "on", value.strip(), False,
                            "%s is %s: %s (%s); %s" % (key, value.strip(), cost, source, remedy), severity="warn",
                            code=code, subject=key, remedy=remedy))
    return checks
