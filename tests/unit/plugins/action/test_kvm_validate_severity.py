# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm_validate action with severities: enforce fails only on `fail` checks and lists warnings apart."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.action.kvm_validate import ActionModule
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

VHOST = "/dev/vhost-net (vhost_net) is absent, the fleet needs it: "
TUN = "/dev/net/tun (tun) is absent, the fleet needs it: "


def facts(tun=True, vhost_net=True):
    kernel = FakeKernel()
    misc = ["241 vhost-vsock", "232 kvm"]
    if tun:
        misc.append("200 tun")
    else:
        del kernel.nodes["/dev/net/tun"]
    if vhost_net:
        misc.append("238 vhost-net")
    else:
        del kernel.nodes["/dev/vhost-net"]
    kernel.sysfs["/proc"]["misc"] = "\n".join(misc)
    return gather(["all"], kernel=kernel)


def validate(args, task_vars):
    variables = {"inventory_hostname": "kvm1"}
    variables.update(task_vars)
    return run_action(ActionModule, args, variables, name="fleetcheck.kvm.kvm_validate")


def test_enforce_passes_a_host_whose_only_unmet_checks_warn_and_says_so():
    result = validate({"required_devices": ["tun", "vhost_net"], "severity": {"required_devices: vhost_net": "warn"}},
                      {"ansible_facts": {"kvm": facts(vhost_net=False)}})
    verdict = result["ansible_facts"]["kvm_validate_result"]
    assert "failed" not in result
    assert verdict["status"] == "pass" and verdict["warnings"][0].startswith(VHOST)
    assert result["msg"].startswith("kvm1 meets all %d gating KVM requirements; 1 warning (reported, not gating):\n"
                                    "  - " % (len(verdict["checks"]) - 1) + VHOST)


def test_enforce_fails_on_fail_checks_and_lists_the_warnings_separately():
    result = validate({"required_devices": ["tun", "vhost_net"], "severity": {"required_devices: vhost_net": "warn"}},
                      {"ansible_facts": {"kvm": facts(tun=False, vhost_net=False)}})
    assert result["failed"] is True
    failures, warnings = result["msg"].split("\n1 warning (reported, not gating):\n")
    assert failures.startswith("kvm1 fails 1 KVM requirement:\n  - " + TUN)
    assert warnings.startswith("  - " + VHOST) and "vhost" not in failures


def test_audit_gives_the_same_message_without_failing():
    args = {"required_devices": ["tun", "vhost_net"], "severity": {"required_devices: vhost_net": "warn"}}
    task_vars = {"ansible_facts": {"kvm": facts(tun=False, vhost_net=False)}}
    enforce = validate(args, task_vars)
    audit = validate(dict(args, mode="audit"), task_vars)
    assert "failed" not in audit and audit["msg"] == enforce["msg"]


def test_the_role_variable_sets_severity_and_bad_values_are_refused():
    task_vars = {"ansible_facts": {"kvm": facts(vhost_net=False)}, "kvm_validate_required_devices": ["vhost_net"],
                 "kvm_validate_severity": {"required_devices": "warn"}}
    result = validate({"vars_prefix": "kvm_validate_"}, task_vars)
    assert "failed" not in result and result["ansible_facts"]["kvm_validate_result"]["warnings"]
    bad = validate({"vars_prefix": "kvm_validate_"}, dict(task_vars, kvm_validate_severity={"required_devices": "x"}))
    assert bad["failed"] is True and "severity.required_devices must be fail or warn, got 'x'" in bad["msg"]


def test_check_only_returns_the_profiles_with_their_devices_and_sources():
    result = validate({"check_only": True, "severity": {"profile qemu: vhost_net": "fail"}}, {})
    assert result["requirements"]["severity"] == {"profile qemu: vhost_net": "fail"}
    assert result["profiles"]["qemu"]["devices"]["warn"] == ["vhost_net"]
    assert result["profiles"]["qemu_7_2"]["release"].startswith("QEMU 7.2.22")


def test_fleet_mode_gates_only_on_fail_checks_and_reports_warned_hosts():
    hostvars = {"warned": {"ansible_facts": {"kvm": facts(vhost_net=False)}},
                "failed": {"ansible_facts": {"kvm": facts(tun=False)}},
                "clean": {"ansible_facts": {"kvm": facts()}}}
    args = {"hosts": ["warned", "failed", "clean"], "required_devices": ["tun", "vhost_net"],
            "severity": {"required_devices: vhost_net": "warn"}}
    result = validate(args, {"hostvars": hostvars})
    assert "failed" not in result  # the one task never fails; the role fails each failing host itself
    assert result["failed_hosts"] == ["failed"] and result["warned_hosts"] == ["warned"]
    assert result["warnings"] == ["warned: " + result["verdicts"]["warned"]["warnings"][0]]  # on the console
    assert result["counts"] == {"pass": 2, "fail": 1}
    assert result["msg"].startswith("failed fails 1 KVM requirement:\n  - " + TUN)
    assert "\nwarned: 1 warning (reported, not gating):\n  - " + VHOST in result["msg"]
    passing = validate(dict(args, hosts=["warned", "clean"]), {"hostvars": hostvars})
    assert "failed" not in passing and passing["msg"].startswith("warned: 1 warning")
