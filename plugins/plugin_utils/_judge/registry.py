# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet requirements, each written once: name, type, elements, default and a short description.

The evaluator's defaults, the kvm_validate action's options and the variables it
reads for the role (kvm_validate_<name>) are derived from REQUIREMENT_SPEC.
The doc fragment (plugins/doc_fragments/requirements.py), the role's
meta/argument_specs.yml and defaults/main.yml repeat it for Ansible's tools;
tests/unit/plugins/module_utils/test_kvm_requirement_spec.py keeps them equal.

A new requirement is one entry here and one check function in the evaluator.
Controller side: pure standard library, no Ansible imports, no host-side code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

REQUIREMENT_SPEC = (
    {"name": "min_api_version", "type": "int", "default": 12,
     "description": "Lowest acceptable KVM_GET_API_VERSION answer."},
    {"name": "required_extensions", "type": "list", "elements": "str", "default": [],
     "description": "Capability names that must answer nonzero; with or without KVM_CAP_, any case."},
    {"name": "extension_minimums", "type": "dict", "default": {},
     "description": "Minimum values of counting capabilities, for example {NR_VCPUS: 64}."},
    {"name": "min_vcpu_mmap_size", "type": "int", "default": 0,
     "description": "Lowest acceptable KVM_GET_VCPU_MMAP_SIZE in bytes; 0 means no requirement."},
    {"name": "require_vcpu_run", "type": "bool", "default": True,
     "description": "Require that a vCPU ran guest code to its HLT."},
    {"name": "require_nested", "type": "bool", "default": False,
     "description": "Require that guests are offered vmx or svm (nested virtualization)."},
    {"name": "allowed_backends", "type": "list", "elements": "str", "default": [],
     "description": "KVM backend modules allowed, for example kvm_intel and kvm_amd. Empty allows any."},
    {"name": "forbid_world_writable_device", "type": "bool", "default": True,
     "description": "Treat a world-writable device node as a failure."},
    {"name": "device_users", "type": "list", "elements": "str", "default": [],
     "description": "Accounts that must be able to open the device by owner, group or mode."},
    {"name": "min_guest_cpu_level", "type": "str", "default": None,
     "description": "Lowest x86-64 level KVM must offer guests (x86-64-v1 to v4), or a guest profile such as rhel9."},
    {"name": "required_cpu_models", "type": "list", "elements": "str", "default": [],
     "description": "QEMU CPU models that must be runnable under KVM, for example Nehalem."},
    {"name": "required_cpu_features", "type": "list", "elements": "str", "default": [],
     "description": "CPU features KVM must offer guests, by QEMU's or Linux's names, for example avx2."},
    {"name": "required_devices", "type": "list", "elements": "str", "default": [],
     "description": "Devices that must open and answer: tun, vhost_net, vhost_vsock, vfio, iommufd, sev."},
    {"name": "hugepages_minimums", "type": "dict", "default": {},
     "description": "Huge pages configured per page size (2M, 1G or 2048kB), a count or {node: count}."},
    {"name": "require_iommu", "type": "bool", "default": False,
     "description": "Require an active IOMMU (device passthrough)."},
    {"name": "secure_guest", "type": "list", "elements": "str", "default": [],
     "description": "Secure guest kinds that must be ready: sev, sev_es, sev_snp, tdx."},
    {"name": "module_parameters", "type": "dict", "default": {},
     "description": "KVM module parameters as the kernel prints them, for example {kvm.nx_huge_pages: never}."},
    {"name": "profiles", "type": "list", "elements": "str", "default": [],
     "description": "Hypervisor profiles the host must meet, by name."},
    {"name": "severity", "type": "dict", "default": {},
     "description": "fail (gates) or warn (reported only) per requirement, profile or check name."},
)

REQUIREMENT_NAMES = tuple(entry["name"] for entry in REQUIREMENT_SPEC)
# Requirements that are counts: a whole number of 0 or more.
WHOLE_NUMBER_REQUIREMENTS = tuple(entry["name"] for entry in REQUIREMENT_SPEC if entry["type"] == "int")


def default_requirements():
    """Every requirement at its default, as a fresh dict (the defaults are never shared)."""
    return dict((entry["name"], copy.deepcopy(entry["default"])) for entry in REQUIREMENT_SPEC)


def requirement_options():
    """The requirements as Ansible argument-spec options, without defaults.

    An option left unset defers to the next source (the requirements mapping,
    the role's variables, then default_requirements()).
    """
    return dict((entry["name"], dict((key, entry[key]) for key in ("type", "elements") if key in entry))
                for entry in REQUIREMENT_SPEC)
