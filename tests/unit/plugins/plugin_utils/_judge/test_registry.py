# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requirement registry: well formed, wired to real checks and validators, and every copy generated from it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.fleetcheck.kvm.plugins.action import kvm_validate as validate_action
from ansible_collections.fleetcheck.kvm.plugins.doc_fragments.requirements import ModuleDocFragment
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.subsets import SUBSETS
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_validate as validate_doc
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import registry
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import (
    REQUIREMENTS, REQUIREMENT_NAMES, ROLE_VARIABLES, SEVERITY_FAMILIES, default_requirements)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))))
ROLE = os.path.join(ROOT, "roles", "validate")
PREFIX = "kvm_validate_"
# A value of each requirement that makes its check judge something (not the default, which judges nothing).
SET = {"min_api_version": 12, "min_vcpu_mmap_size": 4096, "require_vcpu_run": True, "required_extensions": ["IRQCHIP"],
       "extension_minimums": {"NR_VCPUS": 1}, "profiles": ["qemu"], "require_nested": True,
       "allowed_backends": ["kvm_intel"], "forbid_world_writable_device": True, "device_users": ["nova"],
       "min_guest_cpu_level": "x86-64-v2", "required_cpu_models": ["Nehalem"], "required_cpu_features": ["avx2"],
       "required_hyperv": ["hv-vapic"], "required_devices": ["tun"], "hugepages_minimums": {"2M": 1}, "require_iommu": True, "secure_guest": ["sev"],
       "module_parameters": {"kvm.halt_poll_ns": "0"}, "severity": {"usable": "fail"}}
# Facts from which no subset was gathered but the core: every requirement's check must say so.
CORE_ONLY = {"usable": True, "reasons": [], "gather_subset": ["device", "api", "vm"], "api_version": 12,
             "vcpu_mmap_size": 12288, "device": {"path": "/dev/kvm", "exists": True, "world_writable": True,
                                                 "mode": "0666", "owner": "root", "group": "kvm"},
             "vm": {"created": True}}


def load(*path):
    with open(os.path.join(*path)) as handle:
        return yaml.safe_load(handle)


def test_every_entry_is_well_formed():
    assert len(set(REQUIREMENT_NAMES)) == len(REQUIREMENTS)
    for entry in REQUIREMENTS + ROLE_VARIABLES:
        assert entry["type"] in ("int", "bool", "list", "dict", "str", "path", "float"), entry["name"]
        assert ("elements" in entry) == (entry["type"] == "list"), entry["name"]
        assert entry["summary"] and not entry["summary"].endswith("."), entry["name"]
        assert entry["doc"] and all(p.endswith(".") for p in entry["doc"]), entry["name"]
    assert not set(REQUIREMENT_NAMES) & set(v["name"] for v in ROLE_VARIABLES)


def test_every_requirement_needs_real_subsets():
    for entry in REQUIREMENTS:
        assert set(entry["needs"]) <= set(SUBSETS), entry["name"]
        assert bool(entry["needs"]) == (entry["name"] != "severity"), entry["name"]


def test_the_set_values_cover_every_requirement():
    assert set(SET) == set(REQUIREMENT_NAMES)


@pytest.mark.parametrize("entry", [e for e in REQUIREMENTS if e["check"] is not None], ids=lambda e: e["name"])
def test_each_check_judges_its_own_requirement_and_only_when_set(entry):
    req = check_requirements({entry["name"]: SET[entry["name"]]}, BUILTIN_PROFILES)
    checks = entry["check"](CORE_ONLY, req, BUILTIN_PROFILES)
    assert checks, "set, the requirement is judged"
    verdict = evaluate(CORE_ONLY, req, BUILTIN_PROFILES, host="h")
    families = set(c["family"] for c in verdict["checks"])
    assert entry["name"] in families
    unset = check_requirements({}, BUILTIN_PROFILES)
    if default_requirements()[entry["name"]] in (None, [], {}, 0, False):
        assert entry["check"](CORE_ONLY, unset, BUILTIN_PROFILES) == []


def test_requirements_judged_without_a_check_of_their_own_say_where():
    without = [e["name"] for e in REQUIREMENTS if e["check"] is None]
    assert without == ["extension_minimums", "severity"]
    req = check_requirements({"extension_minimums": {"NR_VCPUS": 4}}, BUILTIN_PROFILES)
    facts = dict(CORE_ONLY, extensions={"KVM_CAP_NR_VCPUS": 2}, gather_subset=CORE_ONLY["gather_subset"] + ["extensions"])
    checks = [c for c in evaluate(facts, req, BUILTIN_PROFILES)["checks"] if c["requirement"] == "KVM_CAP_NR_VCPUS"]
    assert [(c["family"], c["ok"]) for c in checks] == [("extension_minimums", False)]


@pytest.mark.parametrize("entry", [e for e in REQUIREMENTS if e["validate"] is not None], ids=lambda e: e["name"])
def test_each_validator_accepts_its_set_value_and_names_itself_when_it_refuses(entry):
    value, problems = entry["validate"](SET[entry["name"]], BUILTIN_PROFILES)
    assert problems == []
    bad = {"int": -1, "list": ["no-such-thing"], "dict": {"no-such-thing": "x"}, "str": "no-such-level",
           "bool": "maybe"}[entry["type"]]
    _value, problems = entry["validate"](bad, BUILTIN_PROFILES)
    if entry["name"] in ("profiles", "required_extensions", "required_cpu_models", "required_cpu_features",
                         "allowed_backends", "required_devices", "secure_guest", "extension_minimums",
                         "hugepages_minimums", "module_parameters", "severity", "min_api_version",
                         "min_vcpu_mmap_size", "min_guest_cpu_level", "require_iommu", "required_hyperv"):
        assert problems and all(isinstance(p, str) for p in problems), entry["name"]


def test_defaults_are_fresh_and_typed():
    fresh = default_requirements()
    fresh["required_extensions"].append("IRQCHIP")
    assert default_requirements()["required_extensions"] == [], "a default must never be shared"
    python_types = {"int": int, "bool": bool, "list": list, "dict": dict, "str": (str, type(None))}
    for entry in REQUIREMENTS:
        assert isinstance(entry["default"], python_types[entry["type"]]), entry["name"]
    assert set(check_requirements({}, BUILTIN_PROFILES)) == set(REQUIREMENT_NAMES)


def test_severity_selects_by_requirement_name_or_usable():
    assert SEVERITY_FAMILIES[0] == "usable"
    assert set(SEVERITY_FAMILIES[1:]) == set(REQUIREMENT_NAMES) - {"severity"}


def test_the_action_takes_each_requirement_as_an_option_without_a_default():
    for entry in REQUIREMENTS:
        option = validate_action.ARGUMENT_SPEC[entry["name"]]
        assert (option["type"], option.get("elements")) == (entry["type"], entry.get("elements"))
        assert "default" not in option, "an unset option defers to the requirements mapping and the variables"


def test_the_doc_stub_documents_every_action_option_once():
    documentation = yaml.safe_load(validate_doc.DOCUMENTATION)
    assert "fleetcheck.kvm.requirements" in documentation["extends_documentation_fragment"]
    own = documentation["options"]
    assert not set(own) & set(REQUIREMENT_NAMES), "requirement options are documented in the fragment only"
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    documented = dict(own, **fragment)
    assert set(documented) == set(validate_action.ARGUMENT_SPEC)
    for name, option in validate_action.ARGUMENT_SPEC.items():
        assert (documented[name].get("type", "str"), documented[name].get("elements")) == \
            (option.get("type", "str"), option.get("elements")), name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name


def test_the_generated_copies_parse_and_say_what_the_registry_says():
    # The YAML the generator writes is read back by YAML, not by the generator: a quoting slip fails here.
    defaults = load(ROLE, "defaults", "main.yml")
    specs = load(ROLE, "meta", "argument_specs.yml")["argument_specs"]
    for entry in ROLE_VARIABLES + REQUIREMENTS:
        assert defaults[PREFIX + entry["name"]] == entry["default"], entry["name"]
        for entry_point in ("main", "check", "judge"):
            option = specs[entry_point]["options"][PREFIX + entry["name"]]
            assert option["default"] == entry["default"], entry["name"]
            assert option["description"] == (entry["doc"][0] if len(entry["doc"]) == 1 else entry["doc"])


def test_no_generated_copy_is_stale():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_docs.py"), "--check"], check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_the_audit_variables_are_read_from_the_playbook(tmp_path):
    playbook = tmp_path / "audit.yml"
    playbook.write_text(u"""- hosts: "{{ kvm_audit_hosts | default('all') }}"
  vars:
    __kvm_audit_dir: "{{ kvm_audit_report_dir }}"
  tasks:
    - ansible.builtin.debug: {msg: x}
      register: kvm_audit_report
# kvm_audit_* are one value for the whole audit
""")
    assert registry.audit_variables.__wrapped__(str(playbook)) == ("hosts", "report_dir")


def test_each_audit_variable_is_documented_and_known():
    names = registry.audit_variables()
    root = os.path.dirname(registry.AUDIT_PLAYBOOK)
    with open(os.path.join(root, os.pardir, "docs", "user-guide.md")) as handle:
        guide = handle.read()
    assert names and [n for n in names if "kvm_audit_" + n not in guide] == []
    assert set(n for n in registry.FLEET_WIDE if n.startswith("kvm_audit_")) <= registry.known_variables()
    assert "kvm_audit_report" not in registry.known_variables()  # the audit registers it: not the user's


EVERY_REQUIREMENT = {
    "min_api_version": 12, "min_vcpu_mmap_size": 4096, "require_vcpu_run": True, "required_extensions": ["irqchip"],
    "extension_minimums": {"KVM_CAP_NR_VCPUS": 2}, "profiles": sorted(BUILTIN_PROFILES), "require_nested": True,
    "allowed_backends": ["kvm_intel"], "forbid_world_writable_device": True, "device_users": ["nova"],
    "min_guest_cpu_level": "x86-64-v2", "required_cpu_models": ["Haswell"], "required_cpu_features": ["avx2"],
    "required_hyperv": ["hv-vapic", "windows_nova", "windows_virt_install"], "required_devices": ["tun", "vfio"],
    "hugepages_minimums": {"2048kB": 10, "1G": {"node0": 1}},
    "require_iommu": True, "secure_guest": ["sev"], "module_parameters": {"kvm.halt_poll_ns": "0"}}


def check_names_judged():
    """The check names of verdicts over the fake kernel's facts, every requirement set: each architecture,
    healthy, without the device and refused, every subset gathered and only the core ones; with slow module
    parameters and a QEMU that disagrees; and the verdicts of hosts without a judgement."""
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import verdicts
    from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel
    requirements = check_requirements(dict(EVERY_REQUIREMENT), BUILTIN_PROFILES)
    names = set()
    for machine in ("x86_64", "aarch64", "riscv64"):
        for fault in (None, "absent", "refused"):
            for subsets in (["all"], ["min"]):
                kernel = FakeKernel(machine=machine)
                if fault == "absent":
                    del kernel.nodes["/dev/kvm"]
                elif fault == "refused":
                    kernel.open_errno["/dev/kvm"] = 13
                facts = gather(subsets, kernel=kernel, accounts=["nova"], cpu_models=["all"])
                if machine == "x86_64" and subsets == ["all"] and fault is None:
                    facts["parameters"] = {"kvm_intel": {"ept": "0", "nested": "1"}}
                    facts["guest_cpu"]["qemu_check"] = {"agree": False, "version": "7.2", "binary": "qemu",
                                                        "differences": [{"model": "Haswell", "ours": [], "qemu": ["x"]}]}
                names.update(c["requirement"] for c in evaluate(facts, requirements, BUILTIN_PROFILES, host="h")["checks"])
    for verdict in (verdicts.no_facts_verdict("h", "no facts"), verdicts.unreachable_verdict("h", "no route")):
        names.update(c["requirement"] for c in verdict["checks"])
    return names


def test_the_check_names_the_schema_lists_are_the_ones_judged():
    """docs/fleet-json-schema.md lists each requirement's `checks` and OTHER_CHECKS (tools/gen_docs.py): a check
    name the judge makes that no form matches, or a form the judge never makes, fails here."""
    import re
    forms = [f for entry in REQUIREMENTS for f in entry["checks"]] + list(registry.OTHER_CHECKS)
    patterns = dict((form, re.compile("^%s$" % re.sub(r"<[a-z]+>|<NAME>", ".+", re.escape(form).replace(
        r"\<", "<").replace(r"\>", ">")))) for form in forms)
    judged = check_names_judged()
    assert sorted(n for n in judged if not any(p.match(n) for p in patterns.values())) == []
    assert sorted(f for f, p in patterns.items() if not any(p.match(n) for n in judged)) == []
