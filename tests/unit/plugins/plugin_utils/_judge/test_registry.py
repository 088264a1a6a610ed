# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One requirement schema: every place that repeats a requirement says what the spec says."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest
import yaml

from ansible_collections.fleetcheck.kvm.plugins.action import kvm_validate as validate_action
from ansible_collections.fleetcheck.kvm.plugins.doc_fragments.requirements import ModuleDocFragment
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import (
    REQUIREMENT_NAMES, REQUIREMENT_SPEC, WHOLE_NUMBER_REQUIREMENTS, default_requirements, requirement_options)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    DEFAULT_REQUIREMENTS, check_requirements)
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_validate as validate_doc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))))
ROLE = os.path.join(ROOT, "roles", "validate")
PREFIX = "kvm_validate_"
# The role's own variables: how it runs, not what the fleet requires.
ROLE_ONLY = {"mode", "probe", "device", "gather_subset", "timeout", "cpu_models", "tolerate_unreachable",
             "custom_profiles"}


def load(*path):
    with open(os.path.join(*path)) as handle:
        return yaml.safe_load(handle)


def typing(option):
    """What must agree between two statements of one option: its type and its elements."""
    return (option.get("type", "str"), option.get("elements"))


def test_the_spec_is_well_formed():
    assert len(set(REQUIREMENT_NAMES)) == len(REQUIREMENT_SPEC)
    for entry in REQUIREMENT_SPEC:
        assert set(entry) <= {"name", "type", "elements", "default", "description"}, entry
        assert entry["type"] in ("int", "bool", "list", "dict", "str"), entry
        assert ("elements" in entry) == (entry["type"] == "list"), entry
        assert entry["description"].endswith("."), entry
    assert WHOLE_NUMBER_REQUIREMENTS == ("min_api_version", "min_vcpu_mmap_size")


def test_the_evaluator_defaults_come_from_the_spec():
    assert DEFAULT_REQUIREMENTS == default_requirements()
    assert DEFAULT_REQUIREMENTS == dict((e["name"], e["default"]) for e in REQUIREMENT_SPEC)
    assert set(check_requirements({}, BUILTIN_PROFILES)) == set(REQUIREMENT_NAMES)
    fresh = default_requirements()
    fresh["required_extensions"].append("IRQCHIP")
    assert default_requirements()["required_extensions"] == [], "a default must never be shared"


def test_the_action_options_come_from_the_spec():
    assert validate_action.REQUIREMENT_OPTIONS == requirement_options()
    for entry in REQUIREMENT_SPEC:
        option = validate_action.ARGUMENT_SPEC[entry["name"]]
        assert typing(option) == (entry["type"], entry.get("elements"))
        assert "default" not in option, "an unset option defers to the requirements mapping and the variables"
    assert validate_action.ARGUMENT_SPEC["requirements"]["options"] == requirement_options()


@pytest.mark.parametrize("entry_point", ["main", "check", "judge"])
def test_the_role_argument_specs_match_the_spec(entry_point):
    options = load(ROLE, "meta", "argument_specs.yml")["argument_specs"][entry_point]["options"]
    for entry in REQUIREMENT_SPEC:
        option = options[PREFIX + entry["name"]]
        assert typing(option) == (entry["type"], entry.get("elements")), entry["name"]
        assert option["default"] == entry["default"], entry["name"]
    assert set(options) == set(PREFIX + name for name in set(REQUIREMENT_NAMES) | ROLE_ONLY)


def test_the_role_defaults_match_the_spec():
    defaults = load(ROLE, "defaults", "main.yml")
    for entry in REQUIREMENT_SPEC:
        assert defaults[PREFIX + entry["name"]] == entry["default"], entry["name"]
    assert set(defaults) == set(PREFIX + name for name in set(REQUIREMENT_NAMES) | ROLE_ONLY)


def test_the_role_readme_lists_every_requirement_with_its_default():
    with open(os.path.join(ROLE, "README.md")) as handle:
        readme = handle.read()
    for entry in REQUIREMENT_SPEC:
        row = "| `%s%s` | `%s` |" % (PREFIX, entry["name"], json.dumps(entry["default"]))
        assert row in readme, row


def test_the_doc_fragment_lists_exactly_the_spec_options_with_their_types():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert list(options) == list(REQUIREMENT_NAMES)
    for entry in REQUIREMENT_SPEC:
        option = options[entry["name"]]
        assert typing(option) == (entry["type"], entry.get("elements")), entry["name"]
        assert "default" not in option, entry["name"]
        assert option["description"], entry["name"]


def test_the_doc_stub_documents_every_action_option_once():
    documentation = yaml.safe_load(validate_doc.DOCUMENTATION)
    assert "fleetcheck.kvm.requirements" in documentation["extends_documentation_fragment"]
    own = documentation["options"]
    assert not set(own) & set(REQUIREMENT_NAMES), "requirement options are documented in the fragment only"
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    documented = dict(own, **fragment)
    assert set(documented) == set(validate_action.ARGUMENT_SPEC)
    for name, option in validate_action.ARGUMENT_SPEC.items():
        assert typing(documented[name]) == typing(option), name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name
