# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action for fleetcheck.kvm.kvm_validate: runs on the controller, never on the host."""

from __future__ import annotations

import copy
import json
import typing as t
import uuid

from ansible.errors import AnsibleError
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import GUEST_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import profiles_with
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import (
    REQUIREMENT_NAMES, fleet_wide_differences, given_requirements, requirement_options, unknown_variables)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    MODES, RequirementError, capabilities, check_requirements)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    failure_message, invalid_requirements_verdict, pass_message, warning_message)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._action import ControllerAction, TaskVariables, judge_host
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Profiles, Requirements, Verdict

REQUIREMENT_OPTIONS = requirement_options()
MAX_WARNINGS = 20  # on the console; the reports list every one
ARGUMENT_SPEC = dict(
    REQUIREMENT_OPTIONS,
    requirements=dict(type="dict", options=REQUIREMENT_OPTIONS, default={}),
    vars_prefix=dict(type="str"),
    facts=dict(type="dict"),
    probe_result=dict(type="dict"),
    hosts=dict(type="list", elements="str"),
    probe_var=dict(type="str", default="__kvm_validate_probe"),
    mode=dict(type="str", choices=list(MODES), default="enforce"),
    check_only=dict(type="bool", default=False),
    strict=dict(type="bool", default=False),
    custom_profiles=dict(type="dict", default={}),
)

# A host's requirements: (checked requirements, None, set name), or (None, why they are invalid, None).
ByHost = tuple[Requirements | None, str | None, str | None]


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result, args, task_vars = self.start(tmp, task_vars)
        result["changed"] = False
        profiles = profiles_with(args["custom_profiles"])
        if args["check_only"] and args["hosts"] is not None:
            return self._check_fleet(result, args, profiles, task_vars)
        try:
            requirements = check_requirements(self._merged_requirements(args, task_vars), profiles)
        except RequirementError as error:
            result.update(failed=True, msg=str(error))
            return result
        if args["check_only"]:
            said = self._unknown(args, task_vars)
            if said and args["strict"]:
                result.update(failed=True, msg="invalid KVM requirements: " + "; ".join(said) +
                              " (kvm_validate_strict is true)")
                return result
            if said:
                result["warnings"] = said + ["set kvm_validate_strict: true to fail on such variables"]
            result.update(msg="the KVM requirements are valid", requirements=requirements, profiles=profiles,
                          guest_profiles=GUEST_PROFILES)
            return result
        if args["hosts"] is not None:
            return self._judge_fleet(result, args, profiles, task_vars)
        facts = args["facts"]
        if facts is None:
            facts = task_vars.get("ansible_facts", {}).get("kvm")
        verdict = judge_host(facts, requirements, profiles, host=task_vars.get("inventory_hostname"),
                             probe_result=args["probe_result"], core_version=ANSIBLE_CORE_VERSION)[0]
        result["ansible_facts"] = {"kvm_validate_result": verdict}
        if verdict.get("warnings"):  # shown on the console on a pass too: a warning nobody sees is no warning
            result["warnings"] = ["%s: %s" % (verdict["host"], warning) for warning in verdict["warnings"]]
        if verdict["passed"]:
            result["msg"] = pass_message(verdict)  # with its warnings: reported, never gating
        elif args["mode"] == "enforce":
            result.update(failed=True, msg=failure_message(verdict))
        else:
            result["msg"] = failure_message(verdict)
        return result

    @staticmethod
    def _unknown(args: dict[str, t.Any], variables: t.Iterable[t.Any]) -> list[str]:
        """What is said of each kvm_validate_* or kvm_audit_* variable this collection does not read."""
        unknown = unknown_variables(variables) if args["vars_prefix"] else []
        return ["%s is not a variable of fleetcheck.kvm%s" % (name, "; did you mean %s?" % close if close else "")
                for name, close in unknown]

    def _merged_requirements(self, args: dict[str, t.Any], variables: t.Mapping[str, t.Any], templar: t.Any = None) -> dict[str, t.Any]:
        """The requirements: the vars_prefix variables, then the requirements dict, then each own option."""
        merged = self._prefixed_variables(args["vars_prefix"], variables, templar or self._templar) \
            if args["vars_prefix"] else {}
        merged.update((k, v) for k, v in (args["requirements"] or {}).items() if v is not None)
        merged.update((k, args[k]) for k in REQUIREMENT_OPTIONS if args[k] is not None)
        return merged

    def _prefixed_variables(self, prefix: str, variables: t.Mapping[str, t.Any], templar: t.Any) -> dict[str, t.Any]:
        """Each requirement set as the variable <prefix><name>, templated and typed as the option would be.

        Hosts whose templated values are the same share one validation: a fleet judged at once has few
        distinct sets, and the argument spec's validation was a third of the check's time a host."""
        spec = dict((prefix + name, REQUIREMENT_OPTIONS[name]) for name in REQUIREMENT_NAMES)
        values: dict[str, t.Any] = {}
        for variable in (v for v in spec if v in variables):
            try:
                values[variable] = templar.template(variables[variable])
            except AnsibleError as error:
                raise RequirementError("invalid KVM requirements: cannot template %s: %s" % (variable, error))
        cache = self.__dict__.setdefault("_validated", {})
        key = (prefix, json.dumps(values, sort_keys=True, default=repr))
        if key not in cache:
            validation = ArgumentSpecValidator(spec).validate(values)
            cache[key] = (validation.error_messages, dict(
                (variable[len(prefix):], value) for variable, value in validation.validated_parameters.items()
                if value is not None))
        errors, validated = cache[key]
        if errors:
            raise RequirementError("invalid KVM requirements: " + "; ".join(errors))
        return copy.deepcopy(validated)  # each host's own: the judge may normalize what it is given

    def _requirements_by_host(self, args: dict[str, t.Any], profiles: Profiles, task_vars: dict[str, t.Any]
                              ) -> tuple[dict[str, t.Mapping[str, t.Any]], dict[str, ByHost], dict[str, Requirements]]:
        """(variables by host, {host: (requirements or None, error or None, set name)}, {set name: requirements}).

        Each host's requirements are its own variables as Ansible resolves them for this task on that host
        (TaskVariables); hosts that resolve to the same values share one check and one set name."""
        resolve = TaskVariables(self._task, task_vars)
        variables: dict[str, t.Mapping[str, t.Any]] = {}
        by_host: dict[str, ByHost] = {}
        sets: dict[str, Requirements] = {}
        checked: dict[str, Requirements] = {}
        defaults = check_requirements({}, profiles)
        for host in args["hosts"]:
            variables[host] = resolve(host)
            templar = self._templar.copy_with_new_env(available_variables=variables[host])
            try:
                merged = self._merged_requirements(args, variables[host], templar)
                key = json.dumps(merged, sort_keys=True, default=repr)
                if key not in checked:
                    checked[key] = check_requirements(merged, profiles)
                    sets[fingerprint([key])] = given_requirements(checked[key], defaults)
                by_host[host] = (checked[key], None, fingerprint([key]))
            except RequirementError as error:
                by_host[host] = (None, str(error), None)
        return variables, by_host, sets

    def _check_fleet(self, result: dict[str, t.Any], args: dict[str, t.Any], profiles: Profiles, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """check_only for every host of `hosts`: each host's requirements are checked; the check fails only when no
        host has valid ones (an invalid set on some hosts fails those hosts when they are judged)."""
        variables, by_host, sets = self._requirements_by_host(args, profiles, task_vars)
        invalid = dict((host, error) for host, (_r, error, _s) in by_host.items() if error)
        said = sorted(set(w for host in args["hosts"] for w in self._unknown(args, variables[host])))
        if said and args["strict"]:
            result.update(failed=True, msg="invalid KVM requirements: " + "; ".join(said) +
                          " (kvm_validate_strict is true)")
            return result
        warnings = said + (["set kvm_validate_strict: true to fail on such variables"] if said else [])
        if invalid and len(invalid) == len(by_host):
            result.update(failed=True, msg=_by_error(invalid))
            return result
        if invalid:
            warnings.append(_by_error(invalid) + "; these hosts fail, and every other host is judged")
        warnings.extend(fleet_wide_differences(args["hosts"], variables, task_vars.get("inventory_hostname")))
        if warnings:
            result["warnings"] = warnings
        where = " on %d of %d hosts" % (len(by_host) - len(invalid), len(by_host)) if invalid else ""
        result.update(msg="the KVM requirements are valid" + where,
                      requirement_sets=sets, profiles=profiles, guest_profiles=GUEST_PROFILES)
        return result

    def _judge_fleet(self, result: dict[str, t.Any], args: dict[str, t.Any], profiles: Profiles, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """Judge every named host, each with its own requirements, from its variables in one go; return verdicts by
        host, counts, CPU pools and the requirement sets the verdicts name."""
        verdicts: dict[str, Verdict] = {}
        counts: dict[str, int] = {}
        guest_cpu: dict[str, t.Any] = {}
        hyperv: dict[str, t.Any] = {}
        excluded: dict[str, str] = {}
        cap_sets: dict[str, list[str] | None] = {}
        variables, by_host, sets = self._requirements_by_host(args, profiles, task_vars)
        for host in args["hosts"]:
            requirements, error, set_name = by_host[host]
            if requirements is None:  # with the error that makes them invalid
                verdicts[host] = invalid_requirements_verdict(host, str(error))
                counts["fail"] = counts.get("fail", 0) + 1
                excluded[host] = verdicts[host]["failures"][0]
                continue
            probe_result = variables[host].get(args["probe_var"])
            probe_result = probe_result if isinstance(probe_result, dict) else None
            facts = (variables[host].get("ansible_facts") or {}).get("kvm")
            verdicts[host], judged = judge_host(facts, requirements, profiles, host=host, probe_result=probe_result,
                                                core_version=ANSIBLE_CORE_VERSION)
            verdicts[host].setdefault("summary", {})["requirements"] = set_name
            counts[verdicts[host]["status"]] = counts.get(verdicts[host]["status"], 0) + 1
            if verdicts[host]["status"] in ("pass", "fail"):  # the facts judged: this run's probe, else the cached
                judged = judged or {}  # a pass or a fail was judged from facts
                guest_cpu[host] = judged.get("guest_cpu")
                hyperv[host] = judged.get("hyperv")
                fingerprint = (verdicts[host].get("summary") or {}).get("caps")
                if fingerprint is not None and fingerprint not in cap_sets:  # each distinct set once
                    cap_sets[fingerprint] = capabilities(judged)
            else:
                excluded[host] = verdicts[host]["failures"][0]
        failed = [verdicts[h] for h in args["hosts"] if not verdicts[h]["passed"]]
        pools = fleet_pools(guest_cpu, excluded, hyperv)
        for pool in pools["pools"]:  # each host learns its pool's CPU model (the inventory groups by it)
            for host in pool["hosts"]:
                verdicts[host].setdefault("summary", {})["guest_cpu_model"] = (pool["config"] or {}).get("model")
        # verdicts_id names this judging: the judge strategy marks the hosts it gave these verdicts to, and the role's
        # loop, seeing the mark, does not give them again (nor skips a later judging's)
        result.update(verdicts=verdicts, counts=counts, failed_hosts=[v["host"] for v in failed],
                      guest_cpu_pools=pools, cap_sets=cap_sets, requirement_sets=sets,
                      textfile_hosts=self._textfile_hosts(args, variables, verdicts), verdicts_id=uuid.uuid4().hex)
        warned = [verdicts[h] for h in args["hosts"] if verdicts[h]["passed"] and verdicts[h].get("warnings")]
        result["warned_hosts"] = [v["host"] for v in warned]
        result["msg"] = "\n".join([failure_message(v) for v in failed] +
                                  ["%s: %s" % (v["host"], warning_message(v)) for v in warned]) or \
            "all %d hosts meet the KVM requirements" % len(verdicts)
        said = fleet_wide_differences(args["hosts"], variables, task_vars.get("inventory_hostname")) + [
            "%s: %s" % (v["host"], w) for v in verdicts.values() for w in v.get("warnings") or ()]
        if said:
            result["warnings"] = said[:MAX_WARNINGS] + (["and %d more warnings (see the reports)"
                                                         % (len(said) - MAX_WARNINGS)] if len(said) > MAX_WARNINGS else [])
        # Never failed here: this task runs once, and a failure would be charged to the play's first host. Each
        # failing host fails its own task after it (the role's judge_fleet in enforce mode, the audit's gate).
        return result

    def _textfile_hosts(self, args: dict[str, t.Any], variables: dict[str, t.Mapping[str, t.Any]], verdicts: dict[str, Verdict]) -> list[str]:
        """The hosts that asked for metrics (their own textfile directory set) and can be written to: the role writes
        them on those hosts only, so that no other host pays a task for them. An unreachable host has nowhere to
        write, and one whose probe hung would hang the write too."""
        hosts: list[str] = []
        for host in args["hosts"]:
            verdict = verdicts[host]
            if verdict["status"] == "unreachable" or "probe.timeout" in [
                    c.get("code") for c in verdict.get("root_causes") or () if isinstance(c, dict)]:
                continue
            directory = variables[host].get(args["vars_prefix"] + "textfile_directory") if args["vars_prefix"] else None
            try:
                directory = self._templar.copy_with_new_env(available_variables=variables[host]).template(directory)
            except Exception:  # pylint: disable=broad-except
                hosts.append(host)  # a template that fails here fails in the role's own task, which says why
                continue
            if isinstance(directory, str) and directory.strip():
                hosts.append(host)
        return hosts


def _by_error(invalid: dict[str, str]) -> str:
    """'invalid KVM requirements on a, b: <error>' for each distinct error, its hosts named."""
    hosts_of: dict[str, list[str]] = {}
    for host, error in invalid.items():
        hosts_of.setdefault(error, []).append(host)
    return "; ".join("on %s: %s" % (", ".join(hosts), error) for error, hosts in hosts_of.items())
