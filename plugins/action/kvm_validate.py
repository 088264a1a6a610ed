# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action for fleetcheck.kvm.kvm_validate: runs on the controller, never on the host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_requirements import (
    MODES, RequirementError, check_requirements, evaluate, failure_message)

REQUIREMENT_OPTIONS = dict(
    min_api_version=dict(type="int"),
    required_extensions=dict(type="list", elements="str"),
    extension_minimums=dict(type="dict"),
    min_vcpu_mmap_size=dict(type="int"),
    require_vcpu_run=dict(type="bool"),
    require_nested=dict(type="bool"),
    allowed_backends=dict(type="list", elements="str"),
    forbid_world_writable_device=dict(type="bool"),
    device_users=dict(type="list", elements="str"),
    required_cpu_features=dict(type="list", elements="str"),
    profiles=dict(type="list", elements="str"),
)
ARGUMENT_SPEC = dict(
    REQUIREMENT_OPTIONS,
    requirements=dict(type="dict", options=REQUIREMENT_OPTIONS, default={}),
    facts=dict(type="dict"),
    probe_result=dict(type="dict"),
    hosts=dict(type="list", elements="str"),
    probe_var=dict(type="str", default="__kvm_validate_probe"),
    mode=dict(type="str", choices=list(MODES), default="enforce"),
    check_only=dict(type="bool", default=False),
    builtin_profiles=dict(type="dict", default={}),
    custom_profiles=dict(type="dict", default={}),
)


def _hostvars_of(hostvars, host):
    """A host's variables (read lazily); {} for a host the inventory does not know."""
    try:
        return hostvars[host]
    except KeyError:
        return {}


def _merged_requirements(args):
    """The requirements dict, with any requirement also given as its own option taking precedence."""
    merged = dict((k, v) for k, v in (args["requirements"] or {}).items() if v is not None)
    merged.update((k, args[k]) for k in REQUIREMENT_OPTIONS if args[k] is not None)
    return merged


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        result["changed"] = False
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        profiles = dict(args["builtin_profiles"])
        profiles.update(args["custom_profiles"])
        try:
            requirements = check_requirements(_merged_requirements(args), profiles)
        except RequirementError as error:
            result.update(failed=True, msg=str(error))
            return result
        if args["check_only"]:
            result["msg"] = "the KVM requirements are valid"
            return result
        if args["hosts"] is not None:
            return self._judge_fleet(result, args, requirements, profiles, task_vars.get("hostvars", {}))
        facts = args["facts"]
        if facts is None:
            facts = task_vars.get("ansible_facts", {}).get("kvm")
        verdict = evaluate(facts, requirements, profiles, host=task_vars.get("inventory_hostname"),
                           probe_result=args["probe_result"])
        result["ansible_facts"] = {"kvm_validate_result": verdict}
        if verdict["passed"]:
            result["msg"] = "%s meets all %d KVM requirements" % (verdict["host"], len(verdict["checks"]))
        elif args["mode"] == "enforce":
            result.update(failed=True, msg=failure_message(verdict))
        else:
            result["msg"] = failure_message(verdict)
        return result

    def _judge_fleet(self, result, args, requirements, profiles, hostvars):
        """Judge every named host from its hostvars in one go; return verdicts by host and counts."""
        verdicts, counts = {}, {}
        for host in args["hosts"]:
            variables = _hostvars_of(hostvars, host)
            probe_result = variables.get(args["probe_var"])
            facts = (variables.get("ansible_facts") or {}).get("kvm")
            verdicts[host] = evaluate(facts, requirements, profiles, host=host,
                                      probe_result=probe_result if isinstance(probe_result, dict) else None)
            counts[verdicts[host]["status"]] = counts.get(verdicts[host]["status"], 0) + 1
        failed = [verdicts[h] for h in args["hosts"] if not verdicts[h]["passed"]]
        result.update(verdicts=verdicts, counts=counts, failed_hosts=[v["host"] for v in failed])
        result["msg"] = "\n".join(failure_message(v) for v in failed) or \
            "all %d hosts meet the KVM requirements" % len(verdicts)
        if failed and args["mode"] == "enforce":
            result["failed"] = True
        return result
