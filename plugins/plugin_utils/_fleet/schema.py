# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape of a host's ansible_facts.kvm, checked at the door before anything reads it.

Facts come from managed hosts: a host can be broken, run an older or newer fleetcheck.kvm, or be
compromised. check_facts() says, in words, every way a host's facts do not fit; the judge then gives that
host a no_facts verdict with the cause, and no other host is touched. docs/fleet-json-schema.md documents
the shape; tests/unit checks that what the probe writes fits it.

A spec is a type name ("int", "str", "bool", "float", "any"), the same ending in "?" for a value that may be
null, [spec] for a list of such items, or a dict of key -> spec (a mapping with these optional keys, others
allowed), or {"*": spec} (a mapping of string keys to such values).
"""

from __future__ import annotations

from typing import Any, Union

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import SCHEMA_VERSION

# A spec (the module's docstring): a type name, [spec], or a mapping of key -> spec ("*": any key, "?": may be null).
Spec = Union[str, list[Any], dict[str, Any]]
KNOWN_SCHEMAS = tuple(range(1, SCHEMA_VERSION + 1))
REQUIRED = ("schema_version", "usable", "reasons")
MAX_ERRORS = 5  # in one message; the first few say enough

_ACCOUNT = {"exists": "bool", "may_open": "bool", "groups": ["str"], "via": "any", "judged": "str?", "reason": "str?",
            "open_error": "str?"}
_NODE = {"path": "str", "exists": "bool", "char_device": "bool", "major": "int?", "minor": "int?", "mode": "str?",
         "owner": "str?", "group": "str?", "can_open_rw": "bool", "open_error": "str?", "usable": "bool",
         "reason": "str?", "accounts": {"*": _ACCOUNT},
         "acl": [{"tag": "str", "perms": "str", "id": "int", "name": "str?"}], "acl_mask": "str?",
         "group_bits_are_acl_mask": "bool", "group_perms": "str?",
         # the VMM devices': the node the kernel names, and the device's answer (its own shape per device)
         "expected": "str?", "expected_source": "str?", "node_matches": "bool", "answer": "any"}
_QEMU = {"version": "str?", "why": "str", "table": "str", "source": "str", "note": "str"}  # the release judged for
FACTS = {
    "schema_version": "int", "usable": "bool", "reasons": ["str"], "errors": ["str"], "gather_subset": ["str"],
    "problems": [{"code": "str", "subject": "any", "message": "str", "remedy": "str?", "subset": "str?"}],
    "blocked": {"*": {"by": "str", "why": "str"}},
    "api_version": "int?", "vcpu_mmap_size": "int?", "extensions": {"*": "int"},
    "nr_vcpus": "int?", "max_vcpus": "int?", "max_vcpu_id": "int?", "nr_memslots": "int?",
    "device": dict(_NODE, kvm_node="bool", world_writable="bool", user="str?", user_groups=["str"],
                   container={"?": True, "runtime": "str", "evidence": "str", "mknod_allowed": "bool?"}),
    "vm": {"created": "bool", "error": "str?", "arm_preferred_target": "any"}, "vm_types": ["str"],
    "vcpu_run": {"status": "str", "reason": "str?", "ok": "bool", "elapsed_ms": "float?",
                 "exits": [{"reason": "str", "count": "int", "type": "str", "direction": "str", "size": "int",
                            "port": "int", "data": "int?", "phys_addr": "int", "len": "int", "is_write": "bool",
                            "hardware_entry_failure_reason": "int", "suberror": "int"}]},
    "host": {"arch": "str?", "kernel": "str?", "kvm_module": "bool", "backends": ["str"], "backend": "str?",
             "parameters": {"*": {"*": "str"}}, "nested": "bool?"},
    "parameters": {"*": {"*": "str"}},
    "cpuid": {"entries": "int", "features": {"*": "bool"}, "skipped": "str", "error": "str"},
    "msrs": {"index_count": "int?", "feature_count": "int?", "skipped": "str"},
    "guest_cpu": {"level": "str?", "features": ["str"], "off_by_default": {"*": "str"},
                  "missing_for_next_level": ["str"], "runnable_models": ["str"],
                  "models": {"*": {"runnable": "bool", "missing": ["str"]}}, "models_complete": "bool",
                  "qemu_version": "str?", "skipped": "str", "error": "str",
                  "qemu": _QEMU,
                  "qemu_check": {"version": "str?", "binary": "str?", "agree": "bool", "elapsed_ms": "float?",
                                 "differences": [{"model": "str", "ours": ["str"], "qemu": ["str"]}],
                                 "skipped": "str", "error": "str"}},
    "hyperv": {"kvm": {"*": "int"}, "qemu": _QEMU, "hv_cpuid": "str", "reason": "str", "errors": ["str"],
               "enlightenments": {"*": {"offered": "bool", "starts": "bool", "missing": "str?", "needs": ["str"]}},
               "passthrough": {"starts": "bool", "enlightenments": ["str"], "missing": "str?"},
               "skipped": "str", "error": "str"},
    "devices": {"*": _NODE},
    "iommu": {"enabled": "bool?", "groups": "int?", "reason": "str?", "acpi_tables": ["str"], "units": ["str"],
              "cmdline": [{"parameter": "str", "effect": "str", "meaning": "str"}], "translation": "str",
              "source": "str"},
    "hugepages": {"sizes": {"*": {"*": "int?"}}, "nodes": {"*": {"*": {"*": "int?"}}},
                  "thp": {"enabled": "str?", "defrag": "str?"}},
    "secure_guest": dict(((kind, {"ready": "bool", "reason": "str?", "vm_type": "bool", "parameter": "str?",
                                  "asids": "int?"}) for kind in ("sev", "sev_es", "sev_snp", "tdx")),
                         vm_types_mask="int?", sev_device="bool?", misc_capacity={"?": True, "*": "int"}),
    "cgroup": {"version": "str?", "controllers": ["str"], "error": "str", "v1_controllers": ["str"],
               "v2_controllers": ["str"], "unified_mount": "str?", "cgroups": {"*": "str"}, "device_controller": "str?",
               "devices_list": "any"},  # null where the controller is v2's BPF program, else the lines of devices.list
    "system_ioctls": {"*": "any"},
}
_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "str": str, "bool": bool, "float": (int, float)}


def _name(value: object) -> str:
    return "null" if value is None else {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
                                         int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _check(value: object, spec: Spec, where: str, errors: list[str]) -> None:
    if len(errors) >= MAX_ERRORS:
        return
    if isinstance(spec, str):
        if spec == "any" or (spec.endswith("?") and value is None):
            return
        wanted = _TYPES[spec.rstrip("?")]
        # a boolean is no number, even where Python says it is
        if not isinstance(value, wanted) or (isinstance(value, bool) and spec.rstrip("?") != "bool"):
            errors.append("%s is %s, expected %s" % (where, _name(value), {
                "int": "a whole number", "str": "a string", "bool": "true or false", "float": "a number"}[
                    spec.rstrip("?")] + (" or null" if spec.endswith("?") else "")))
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            errors.append("%s is %s, expected a list" % (where, _name(value)))
            return
        for index, item in enumerate(value):
            _check(item, spec[0], "%s[%d]" % (where, index), errors)
        return
    if value is None and spec.get("?"):  # a mapping that may be null: {"?": True, ...}
        return
    if not isinstance(value, dict):
        errors.append("%s is %s, expected a mapping%s" % (where, _name(value), " or null" if spec.get("?") else ""))
        return
    for key, item in value.items():
        if not isinstance(key, str):
            errors.append("%s has a key that is %s, expected a string" % (where, _name(key)))
            continue
        inner = spec.get("*", spec.get(key))
        if inner is not None:
            _check(item, inner, "%s.%s" % (where, key) if where else key, errors)


def check_facts(facts: object) -> tuple[list[str], int | None]:
    """(problems, newer): every way the facts do not fit, in words, at most MAX_ERRORS; and the schema version
    when it is newer than this collection reads (then the facts are not read further)."""
    if not isinstance(facts, dict):
        return ["the facts are %s, expected a mapping" % _name(facts)], None
    version = facts.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > KNOWN_SCHEMAS[-1]:
        return [], version
    errors = ["%s is missing" % key for key in REQUIRED if key not in facts]
    _check(facts, FACTS, "", errors)
    if isinstance(version, int) and not isinstance(version, bool) and version not in KNOWN_SCHEMAS:
        errors.append("schema_version is %d, this collection reads %s" % (version, " and ".join(
            str(v) for v in KNOWN_SCHEMAS)))
    return errors[:MAX_ERRORS], None
