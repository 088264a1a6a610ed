# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm_validate action: requirements from options, a mapping or the role's variables, judged on the controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.fleetcheck.kvm.plugins.action.kvm_validate import ARGUMENT_SPEC, ActionModule
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.registry import default_requirements
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action, trusted
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, kvm_node

# The fake kernel answers IRQCHIP and USER_MEMORY but none of Firecracker's other capabilities.
FIRECRACKER_MISSING = sorted(set("KVM_CAP_" + c for c in BUILTIN_PROFILES["firecracker"]["extensions"]["x86_64"]["require"])
                             - {"KVM_CAP_IRQCHIP", "KVM_CAP_USER_MEMORY"})


def good_facts():
    return gather(["all"], kernel=FakeKernel())


def world_writable_facts():
    kernel = FakeKernel()
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    return gather(["all"], kernel=kernel)


def validate(args, task_vars=None):
    variables = {"inventory_hostname": "kvm1"}
    variables.update(task_vars or {})
    return run_action(ActionModule, args, variables, name="fleetcheck.kvm.kvm_validate")


def unmet(result):
    return sorted(c["requirement"] for c in result["ansible_facts"]["kvm_validate_result"]["checks"] if not c["ok"])


# ----------------------------------------------------------- one host ----

def test_a_host_that_meets_the_defaults_passes_and_gets_its_verdict():
    result = validate({}, {"ansible_facts": {"kvm": good_facts()}})
    verdict = result["ansible_facts"]["kvm_validate_result"]
    assert not result.get("failed") and result["changed"] is False
    assert verdict["status"] == "pass" and verdict["host"] == "kvm1"
    assert result["msg"] == "kvm1 meets all %d KVM requirements" % len(verdict["checks"])


def test_enforce_fails_a_host_with_every_unmet_requirement_in_one_message():
    result = validate({"profiles": ["firecracker"]}, {"ansible_facts": {"kvm": world_writable_facts()}})
    assert result["failed"] is True
    assert result["msg"].startswith("kvm1 fails %d KVM requirements:\n" % (len(FIRECRACKER_MISSING) + 1))
    assert "KVM_CAP_XCRS missing (Firecracker needs it)" in result["msg"]
    assert "/dev/kvm is world-writable" in result["msg"]
    assert unmet(result) == sorted(["forbid_world_writable_device"] +
                                   ["profile firecracker: " + cap for cap in FIRECRACKER_MISSING])


def test_audit_records_the_same_verdict_without_failing():
    task_vars = {"ansible_facts": {"kvm": world_writable_facts()}}
    enforce = validate({"profiles": ["firecracker"]}, task_vars)
    audit = validate({"profiles": ["firecracker"], "mode": "audit"}, task_vars)
    assert "failed" not in audit
    assert audit["msg"] == enforce["msg"]
    assert audit["ansible_facts"] == enforce["ansible_facts"]


def test_facts_given_as_an_option_are_judged_instead_of_the_hosts_own():
    result = validate({"facts": world_writable_facts(), "mode": "audit"}, {"ansible_facts": {"kvm": good_facts()}})
    assert unmet(result) == ["forbid_world_writable_device"]


def test_a_host_without_facts_is_no_facts_never_a_pass():
    result = validate({})
    verdict = result["ansible_facts"]["kvm_validate_result"]
    assert result["failed"] is True and verdict["status"] == "no_facts"
    assert "fleetcheck.kvm.kvm_facts did not run or did not return" in result["msg"]


def test_an_unreachable_probe_result_outweighs_cached_facts():
    result = validate({"mode": "audit", "probe_result": {"unreachable": True, "msg": "ssh: No route to host"}},
                      {"ansible_facts": {"kvm": good_facts()}})
    verdict = result["ansible_facts"]["kvm_validate_result"]
    assert verdict["status"] == "unreachable" and verdict["failures"] == ["host unreachable: ssh: No route to host"]


# --------------------------------------------------------- validation ----

def test_invalid_requirements_fail_before_any_verdict_with_suggestions():
    result = validate({"required_extensions": ["IRQCHP"], "profiles": ["firecraker"],
                       "extension_minimums": {"NR_VCPUS": -1}}, {"ansible_facts": {"kvm": good_facts()}})
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith("invalid KVM requirements: ")
    assert "unknown capability 'IRQCHP' in required_extensions; did you mean KVM_CAP_IRQCHIP" in result["msg"]
    assert "unknown profile 'firecraker'; did you mean firecracker?" in result["msg"]
    assert "extension_minimums.NR_VCPUS must be a whole number of 0 or more, got -1" in result["msg"]


def test_check_only_validates_judges_nothing_and_returns_what_is_in_effect():
    result = validate({"check_only": True, "required_extensions": ["irqchip"], "profiles": ["kata"]})
    assert not result.get("failed") and "ansible_facts" not in result
    assert result["msg"] == "the KVM requirements are valid"
    expected = default_requirements()
    expected.update(required_extensions=["KVM_CAP_IRQCHIP"], profiles=["kata"])
    assert result["requirements"] == expected
    assert result["profiles"] == BUILTIN_PROFILES


def test_a_value_of_the_wrong_type_is_rejected_by_the_argument_spec():
    with pytest.raises(AnsibleActionFail, match="min_api_version"):
        validate({"min_api_version": "twelve"})


def test_the_removed_builtin_profiles_option_is_rejected():
    with pytest.raises(AnsibleActionFail, match="builtin_profiles"):
        validate({"builtin_profiles": {}})


# ----------------------------------------------------------- profiles ----

def test_the_builtin_profiles_are_used_without_being_passed():
    result = validate({"profiles": ["qemu", "firecracker", "cloud_hypervisor", "kata"], "mode": "audit"},
                      {"ansible_facts": {"kvm": good_facts()}})
    required = set(c["requirement"].split(":")[0] for c in result["ansible_facts"]["kvm_validate_result"]["checks"])
    assert {"profile qemu", "profile firecracker", "profile cloud_hypervisor", "profile kata"} <= required


def test_a_custom_profile_adds_to_and_replaces_the_builtin_ones():
    mine = {"title": "Mine", "extensions": {"all": {"source": "test", "require": ["IRQCHIP"]}}}
    lenient = {"title": "Lenient Firecracker", "extensions": {"x86_64": {"source": "test", "require": ["IRQFD"]}}}
    result = validate({"profiles": ["mine", "firecracker"], "mode": "audit",
                       "custom_profiles": {"mine": mine, "firecracker": lenient}},
                      {"ansible_facts": {"kvm": good_facts()}})
    assert unmet(result) == ["profile firecracker: KVM_CAP_IRQFD"]
    assert "(Lenient Firecracker needs it)" in result["msg"]
    assert BUILTIN_PROFILES["firecracker"]["title"] == "Firecracker", "the built-in table is never changed"
    summary = result["ansible_facts"]["kvm_validate_result"]["summary"]
    assert "mine" in summary["profiles_met"] and "firecracker" not in summary["profiles_met"]


# ------------------------------------------------- the role's variables ----

def test_vars_prefix_reads_and_templates_the_roles_variables():
    task_vars = trusted({"ansible_facts": {"kvm": good_facts()}, "wanted": ["IRQCHIP", "XCRS"],
                         "kvm_validate_required_extensions": "{{ wanted }}",
                         "kvm_validate_min_api_version": "12", "kvm_validate_mode": "ignored: not a requirement"})
    result = validate({"vars_prefix": "kvm_validate_", "mode": "audit"}, task_vars)
    assert unmet(result) == ["KVM_CAP_XCRS"]
    assert [c for c in result["ansible_facts"]["kvm_validate_result"]["checks"]
            if c["requirement"] == "min_api_version"][0]["expected"] == ">= 12"


def test_options_outweigh_the_requirements_mapping_which_outweighs_the_variables():
    task_vars = {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_required_extensions": ["XCRS"],
                 "kvm_validate_required_cpu_features": ["avx512f"], "kvm_validate_min_vcpu_mmap_size": 1 << 20}
    result = validate({"vars_prefix": "kvm_validate_", "mode": "audit",
                       "requirements": {"required_extensions": ["XSAVE"], "min_vcpu_mmap_size": 1 << 30},
                       "min_vcpu_mmap_size": 4096}, task_vars)
    assert unmet(result) == ["KVM_CAP_XSAVE", "required_cpu_features"]


def test_without_vars_prefix_the_variables_are_ignored():
    result = validate({}, {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_required_extensions": ["XCRS"]})
    assert result["ansible_facts"]["kvm_validate_result"]["status"] == "pass"


def test_a_variable_of_the_wrong_type_is_named():
    result = validate({"vars_prefix": "kvm_validate_"}, {"kvm_validate_require_nested": "perhaps"})
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith("invalid KVM requirements: ")
    assert "kvm_validate_require_nested" in result["msg"]


def test_a_variable_that_cannot_be_templated_is_named():
    task_vars = trusted({"kvm_validate_profiles": "{{ no_such_variable }}"})
    result = validate({"vars_prefix": "kvm_validate_", "check_only": True}, task_vars)
    assert result["failed"] is True
    assert result["msg"].startswith("invalid KVM requirements: cannot template kvm_validate_profiles: ")
    assert "no_such_variable" in result["msg"]


# --------------------------------------------------------- fleet mode ----

def fleet_hostvars():
    return {"good": {"ansible_facts": {"kvm": good_facts()}},
            "open": {"ansible_facts": {"kvm": world_writable_facts()}},
            "gone": {"ansible_facts": {"kvm": good_facts()},  # cached from an earlier run
                     "__kvm_validate_probe": {"unreachable": True, "msg": "ssh: No route to host"}},
            "failed_probe": {"__kvm_validate_probe": {"failed": True, "msg": "boom"}}}


def test_fleet_mode_judges_every_host_from_its_hostvars_in_one_go():
    hosts = ["good", "open", "gone", "failed_probe", "not_in_inventory"]
    result = validate({"hosts": hosts, "mode": "audit"}, {"hostvars": fleet_hostvars()})
    assert "failed" not in result and "ansible_facts" not in result
    assert dict((h, v["status"]) for h, v in result["verdicts"].items()) == {
        "good": "pass", "open": "fail", "gone": "unreachable", "failed_probe": "no_facts", "not_in_inventory": "no_facts"}
    assert result["counts"] == {"pass": 1, "fail": 1, "unreachable": 1, "no_facts": 2}
    assert result["failed_hosts"] == ["open", "gone", "failed_probe", "not_in_inventory"]
    assert result["msg"].startswith("open fails 1 KVM requirement:\n  - /dev/kvm is world-writable")
    assert "fleetcheck.kvm.kvm_facts returned no facts: boom" in result["msg"]


def test_fleet_mode_never_fails_the_one_task_and_names_the_failing_hosts():
    # The task runs once; a failure would be charged to the play's first host (the role fails each host itself).
    hostvars = fleet_hostvars()
    result = validate({"hosts": ["good", "open"]}, {"hostvars": hostvars})
    assert "failed" not in result and result["failed_hosts"] == ["open"]
    passing = validate({"hosts": ["good"]}, {"hostvars": hostvars})
    assert "failed" not in passing and passing["msg"] == "all 1 hosts meet the KVM requirements"


def test_fleet_mode_reads_the_probe_result_named_by_probe_var():
    hostvars = {"h": {"ansible_facts": {"kvm": good_facts()}, "probe": {"unreachable": True, "msg": "gone"}}}
    default = validate({"hosts": ["h"], "mode": "audit"}, {"hostvars": copy.deepcopy(hostvars)})
    named = validate({"hosts": ["h"], "mode": "audit", "probe_var": "probe"}, {"hostvars": hostvars})
    assert default["verdicts"]["h"]["status"] == "pass"
    assert named["verdicts"]["h"]["status"] == "unreachable"


def test_fleet_mode_judges_each_host_with_its_own_requirements_and_names_the_sets():
    # The task's host sets one requirement; another host sets its own: neither leaks to the other.
    hostvars = {"first": {"ansible_facts": {"kvm": good_facts()}},
                "second": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_min_api_version": 13}}
    result = validate({"hosts": ["first", "second"], "mode": "audit", "vars_prefix": "kvm_validate_"},
                      {"hostvars": hostvars, "inventory_hostname": "first", "kvm_validate_device_users": []})
    expected = dict((h, [c["expected"] for c in v["checks"] if c["requirement"] == "min_api_version"])
                    for h, v in result["verdicts"].items())
    assert expected == {"first": [">= 12"], "second": [">= 13"]}
    assert result["verdicts"]["second"]["status"] == "fail" and result["verdicts"]["first"]["status"] == "pass"
    names = dict((h, v["summary"]["requirements"]) for h, v in result["verdicts"].items())
    assert names["first"] != names["second"]
    assert result["requirement_sets"] == {names["first"]: {}, names["second"]: {"min_api_version": 13}}


def test_fleet_mode_names_the_hosts_that_asked_for_metrics_and_can_be_written_to():
    """The audit writes metrics on these hosts only: no other host pays a task for them."""
    hostvars = {"asked": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_textfile_directory": "/var/lib/ne"},
                "templated": {"ansible_facts": {"kvm": good_facts()}, "where": "/srv/ne",
                              "kvm_validate_textfile_directory": "{{ where }}"},
                "blank": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_textfile_directory": " "},
                "quiet": {"ansible_facts": {"kvm": good_facts()}},
                "gone": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_textfile_directory": "/var/lib/ne",
                         "__kvm_validate_probe": {"unreachable": True, "msg": "ssh: No route to host"}}}
    result = validate({"hosts": sorted(hostvars), "mode": "audit", "vars_prefix": "kvm_validate_"},
                      {"hostvars": hostvars, "inventory_hostname": "quiet"})
    assert result["textfile_hosts"] == ["asked", "templated"]
    assert validate({"hosts": ["asked"], "mode": "audit"}, {"hostvars": hostvars})["textfile_hosts"] == []


def test_fleet_mode_fails_alone_a_host_whose_own_requirements_are_invalid():
    hostvars = {"good": {"ansible_facts": {"kvm": good_facts()}},
                "typo": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_min_api_version": "twelve"}}
    result = validate({"hosts": ["good", "typo"], "mode": "audit", "vars_prefix": "kvm_validate_"},
                      {"hostvars": hostvars, "inventory_hostname": "good"})
    assert result["verdicts"]["good"]["status"] == "pass"
    typo = result["verdicts"]["typo"]
    assert typo["status"] == "fail" and typo["root_causes"][0]["code"] == "requirements.invalid"
    assert "kvm_validate_min_api_version" in typo["failures"][0] and "host_vars" in typo["root_causes"][0]["remedy"]
    assert result["counts"] == {"pass": 1, "fail": 1} and result["failed_hosts"] == ["typo"]


def test_hosts_with_the_same_values_share_one_validation_and_keep_their_own_verdicts(monkeypatch):
    import ansible_collections.fleetcheck.kvm.plugins.action.kvm_validate as action
    validations = []

    class Counting(action.ArgumentSpecValidator):
        def validate(self, *args, **kwargs):
            validations.append(args[0])
            return super(Counting, self).validate(*args, **kwargs)

    monkeypatch.setattr(action, "ArgumentSpecValidator", Counting)
    hostvars = dict(("same%d" % n, {"ansible_facts": {"kvm": good_facts()}}) for n in range(5))
    hostvars.update({"own": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_min_api_version": 13},
                     "typo1": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_min_api_version": "twelve"},
                     "typo2": {"ansible_facts": {"kvm": good_facts()}, "kvm_validate_min_api_version": "twelve"}})
    result = validate({"hosts": sorted(hostvars), "mode": "audit", "vars_prefix": "kvm_validate_"},
                      {"hostvars": hostvars, "inventory_hostname": "same0"})
    assert len(validations) == 3  # the shared values, the host's own, the invalid ones
    statuses = dict((h, v["status"]) for h, v in result["verdicts"].items())
    expected = dict(("same%d" % n, "pass") for n in range(5))
    expected.update(own="fail", typo1="fail", typo2="fail")
    assert statuses == expected
    assert all("kvm_validate_min_api_version" in result["verdicts"][h]["failures"][0] for h in ("typo1", "typo2"))


def test_the_fleet_check_fails_only_when_no_host_has_valid_requirements():
    hostvars = {"good": {}, "typo": {"kvm_validate_profiles": ["firecrackr"]}}
    some = validate({"hosts": ["good", "typo"], "check_only": True, "vars_prefix": "kvm_validate_"},
                    {"hostvars": hostvars, "inventory_hostname": "good"})
    assert "failed" not in some and some["msg"] == "the KVM requirements are valid on 1 of 2 hosts"
    assert any(w.startswith("on typo: invalid KVM requirements: unknown profile 'firecrackr'") for w in some["warnings"])
    every = validate({"hosts": ["typo"], "check_only": True, "vars_prefix": "kvm_validate_"},
                     {"hostvars": hostvars, "inventory_hostname": "good"})
    assert every["failed"] is True and every["msg"].startswith("on typo: invalid KVM requirements")


def test_a_fleet_wide_variable_that_a_host_sets_otherwise_is_said_to_be_unused():
    hostvars = {"a": {"ansible_facts": {"kvm": good_facts()}},
                "b": {"ansible_facts": {"kvm": good_facts()}, "kvm_audit_gate": "regressions"}}
    result = validate({"hosts": ["a", "b"], "mode": "audit", "vars_prefix": "kvm_validate_"},
                      {"hostvars": hostvars, "inventory_hostname": "a", "kvm_audit_gate": "all"})
    assert result["warnings"][0] == ("kvm_audit_gate is one value for the whole audit (read on a: 'all'), yet b sets "
                                     "it otherwise; that value is not used: set it once, for all hosts (group all, the "
                                     "play, or -e)")


def test_a_run_leaves_the_argument_spec_as_it_was():
    before = copy.deepcopy(ARGUMENT_SPEC)
    validate({"requirements": {"min_api_version": 12}}, {"ansible_facts": {"kvm": good_facts()}})
    validate({}, {"ansible_facts": {"kvm": good_facts()}})
    assert ARGUMENT_SPEC == before


def test_a_misspelt_variable_is_named_with_the_closest_known_one():
    result = validate({"check_only": True, "vars_prefix": "kvm_validate_"},
                      {"kvm_validate_profile": ["firecracker"], "kvm_audit_report_directory": "/tmp/r",
                       "kvm_validate_profiles": [], "kvm_validate_result": {}})
    assert "failed" not in result
    assert result["warnings"][:2] == [
        "kvm_audit_report_directory is not a variable of fleetcheck.kvm; did you mean kvm_audit_report_dir?",
        "kvm_validate_profile is not a variable of fleetcheck.kvm; did you mean kvm_validate_profiles?"]


def test_strict_mode_refuses_an_unknown_variable():
    result = validate({"check_only": True, "vars_prefix": "kvm_validate_", "strict": True},
                      {"kvm_validate_profile": ["firecracker"]})
    assert result["failed"] is True
    assert result["msg"] == ("invalid KVM requirements: kvm_validate_profile is not a variable of fleetcheck.kvm; "
                             "did you mean kvm_validate_profiles? (kvm_validate_strict is true)")
    assert "warnings" not in validate({"check_only": True, "vars_prefix": "kvm_validate_", "strict": True},
                                      {"kvm_validate_profiles": ["firecracker"]})


def test_each_fleet_judging_has_a_new_verdicts_id():
    hostvars = {"a": {"ansible_facts": {"kvm": good_facts()}}}
    first = validate({"hosts": ["a"], "mode": "audit"}, {"hostvars": hostvars})
    second = validate({"hosts": ["a"], "mode": "audit"}, {"hostvars": hostvars})
    assert len(first["verdicts_id"]) == 32 and first["verdicts_id"] != second["verdicts_id"]
    assert "verdicts_id" not in validate({"mode": "audit"}, {"ansible_facts": {"kvm": good_facts()}})
