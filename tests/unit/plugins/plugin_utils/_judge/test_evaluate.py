# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evaluator: requirements validated up front, verdicts that say what to do."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    RequirementError, check_requirements, evaluate)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import failure_message, unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, kvm_node
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._judge.judging import assert_not_gathered


def facts_of(kernel, accounts=()):
    return gather(["all"], kernel=kernel, accounts=accounts)


def verdict_for(kernel, accounts=(), **requirements):
    req = check_requirements(requirements, BUILTIN_PROFILES)
    return evaluate(facts_of(kernel, accounts), req, BUILTIN_PROFILES, host="kvm1")


def failed_check(verdict, requirement):
    matches = [c for c in verdict["checks"] if c["requirement"] == requirement]
    assert len(matches) == 1, [c["requirement"] for c in verdict["checks"]]
    assert matches[0]["ok"] is False
    return matches[0]


def with_caps(kernel, *names):
    kernel.caps.update((CAP_NUMBER["KVM_CAP_" + n], 1) for n in names)
    return kernel


# ------------------------------------------------------------ validation ----

def test_builtin_profiles_name_only_known_capabilities_and_their_sources():
    check_requirements({"profiles": list(BUILTIN_PROFILES)}, BUILTIN_PROFILES)
    for name, profile in BUILTIN_PROFILES.items():
        assert profile["release"] and profile["verified"], name
        for arch, entry in profile.get("extensions", {}).items():
            assert entry["source"] and isinstance(entry["require"], list), (name, arch)  # QEMU's arm list is empty
        if "devices" in profile:
            assert profile["devices"]["source"] and profile["devices"]["require"], name


@pytest.mark.parametrize("requirements, message", [
    ({"required_extensions": ["IRQCHP"]}, "unknown capability 'IRQCHP' in required_extensions; did you mean KVM_CAP_IRQCHIP or"),
    ({"extension_minimums": {"NR_VCPU": 4}}, "unknown capability 'NR_VCPU' in extension_minimums; did you mean KVM_CAP_NR_VCPUS"),
    ({"extension_minimums": {"NR_VCPUS": -1}}, "extension_minimums.NR_VCPUS must be a whole number of 0 or more, got -1"),
    ({"min_api_version": -12}, "min_api_version must be a whole number of 0 or more, got -12"),
    ({"profiles": ["firecraker"]}, "unknown profile 'firecraker'; did you mean firecracker?"),
    ({"required_cpu_features": ["avx3"]}, "unknown CPU feature 'avx3' in required_cpu_features; did you mean avx or avx2 or avx10?"),
    ({"allowed_backends": ["kvm-intel"]}, "unknown KVM backend 'kvm-intel' in allowed_backends; did you mean kvm_intel"),
    ({"mnimum": 1}, "unknown requirement 'mnimum'"),
])
def test_invalid_requirements_are_rejected_with_suggestions(requirements, message):
    with pytest.raises(RequirementError) as raised:
        check_requirements(requirements, BUILTIN_PROFILES)
    assert message in str(raised.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(RequirementError) as raised:
        check_requirements({"required_extensions": ["nope1"], "extension_minimums": {"NR_VCPUS": -3}}, BUILTIN_PROFILES)
    assert "'nope1'" in str(raised.value) and "got -3" in str(raised.value)


@pytest.mark.parametrize("profile, message", [
    ({"extensions": ["IRQFD"]}, "profile 'mine': extensions must be a mapping of architecture to a list 'require'"),
    ({"extensions": {"all": ["IRQFD"]}}, "profile 'mine': extensions.all must be a mapping with a list 'require'"),
    ({"min_api_version": "twelve"}, "profile 'mine': min_api_version must be a whole number, got 'twelve'"),
    (["IRQFD"], "profile 'mine' must be a mapping, got list"),
])
def test_a_malformed_custom_profile_is_rejected_not_crashed(profile, message):
    with pytest.raises(RequirementError) as raised:
        check_requirements({"profiles": ["mine"]}, dict(BUILTIN_PROFILES, mine=profile))
    assert message in str(raised.value)


def test_numbers_templated_to_text_are_accepted():
    req = check_requirements({"min_api_version": "12", "extension_minimums": {"NR_VCPUS": "64"}}, BUILTIN_PROFILES)
    assert (req["min_api_version"], req["extension_minimums"]) == (12, {"KVM_CAP_NR_VCPUS": 64})


def test_a_custom_profile_with_an_unknown_capability_is_rejected():
    profiles = dict(BUILTIN_PROFILES, mine={"extensions": {"all": {"source": "x", "require": ["IOEVENTFDX"]}}})
    with pytest.raises(RequirementError) as raised:
        check_requirements({"profiles": ["mine"]}, profiles)
    assert "unknown capability 'IOEVENTFDX' in profile 'mine' (all); did you mean KVM_CAP_IOEVENTFD" in str(raised.value)


def test_capability_names_are_made_canonical():
    req = check_requirements({"required_extensions": ["irqchip", "KVM_CAP_XSAVE", "Kvm_Cap_Hlt"],
                              "extension_minimums": {"nr_vcpus": 8}}, BUILTIN_PROFILES)
    assert req["required_extensions"] == ["KVM_CAP_IRQCHIP", "KVM_CAP_XSAVE", "KVM_CAP_HLT"]
    assert req["extension_minimums"] == {"KVM_CAP_NR_VCPUS": 8}


# -------------------------------------------------------------- verdicts ----

def test_a_healthy_host_passes_with_every_check_recorded():
    verdict = verdict_for(FakeKernel(), required_extensions=["IRQCHIP"])
    assert verdict["status"] == "pass" and verdict["passed"] and verdict["failures"] == []
    assert [c["requirement"] for c in verdict["checks"]] == [
        "usable", "min_api_version", "require_vcpu_run", "KVM_CAP_IRQCHIP", "forbid_world_writable_device"]
    assert verdict["summary"]["backend"] == "kvm_intel"


def test_firecracker_missing_xcrs_names_the_capability_the_vmm_and_the_cause():
    kernel = with_caps(FakeKernel(), "IOEVENTFD", "IRQFD", "SET_TSS_ADDR", "PIT2", "PIT_STATE2", "ADJUST_CLOCK",
                       "DEBUGREGS", "MP_STATE", "VCPU_EVENTS", "XSAVE", "EXT_CPUID")
    verdict = verdict_for(kernel, profiles=["firecracker"])
    assert verdict["failures"] == [
        "KVM_CAP_XCRS missing (Firecracker needs it): the host kernel or CPU lacks XSAVE control registers"]
    check = failed_check(verdict, "profile firecracker: KVM_CAP_XCRS")
    assert (check["expected"], check["actual"]) == (">= 1", 0)


def test_profiles_read_the_section_of_the_host_architecture():
    verdict = verdict_for(FakeKernel(machine="aarch64"), profiles=["firecracker"], require_vcpu_run=False)
    assert any(f.startswith("KVM_CAP_ARM_PSCI_0_2 missing (Firecracker needs it)") for f in verdict["failures"])
    assert not [c for c in verdict["checks"] if "KVM_CAP_SET_TSS_ADDR" in c["requirement"]]  # an x86_64 capability
    assert verdict_for(FakeKernel(), profiles=["kata"])["status"] == "pass"  # x86_64: API 12 and a VM suffice


def test_an_extension_minimum_above_the_host_names_expected_and_actual():
    verdict = verdict_for(FakeKernel(), extension_minimums={"NR_VCPUS": 64})
    check = failed_check(verdict, "KVM_CAP_NR_VCPUS")
    assert (check["expected"], check["actual"]) == (">= 64", 4)
    assert check["message"].startswith("KVM_CAP_NR_VCPUS is 4, the fleet needs at least 64")


def test_enforce_message_lists_every_unmet_requirement():
    verdict = verdict_for(FakeKernel(), extension_minimums={"NR_VCPUS": 64}, required_extensions=["XCRS"],
                          require_nested=False, allowed_backends=["kvm_amd"])
    message = failure_message(verdict)
    assert message.startswith("kvm1 fails 3 KVM requirements:\n  - ")
    assert "KVM_CAP_NR_VCPUS is 4" in message and "KVM_CAP_XCRS missing" in message
    assert "KVM backend kvm_intel is not allowed here (allowed: kvm_amd)" in message


def test_an_unusable_host_fails_with_the_probes_reason():
    kernel = FakeKernel()
    kernel.fail["KVM_CREATE_VM"] = errno.EBUSY
    verdict = verdict_for(kernel)
    assert verdict["failures"][0].startswith("KVM is not usable: KVM_CREATE_VM failed with EBUSY")


def test_device_user_denied_on_an_owner_only_node():
    kernel = FakeKernel()
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o600, gid=0)
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    verdict = verdict_for(kernel, accounts=["nova"], device_users=["nova"])
    assert verdict["root_causes"][0]["code"] == "device.eacces"  # the probing user's own refusal, first
    assert failed_check(verdict, "device_users: nova")["message"] == (
        "/dev/kvm is 0600 root:root and user nova (groups: 1001) is not in any group that may open it; "
        "give the node a group (udev rule GROUP=\"kvm\", MODE=\"0660\") and add nova to it")


def test_device_user_outside_the_nodes_group_is_told_which_group():
    verdict = verdict_for(FakeKernel(), accounts=["nova", "qemu"], device_users=["nova", "qemu"])
    assert failed_check(verdict, "device_users: nova")["message"].endswith("add nova to group kvm")
    assert [c["ok"] for c in verdict["checks"] if c["requirement"] == "device_users: qemu"] == [True]


def test_device_user_that_does_not_exist():
    verdict = verdict_for(FakeKernel(), accounts=["ghost"], device_users=["ghost"])
    assert failed_check(verdict, "device_users: ghost")["message"] == "user ghost does not exist on this host"


def test_a_world_writable_device_is_a_security_finding():
    kernel = FakeKernel()
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    verdict = verdict_for(kernel)
    assert "/dev/kvm is world-writable (0666 root:kvm)" in failed_check(verdict, "forbid_world_writable_device")["message"]
    assert verdict_for(kernel, forbid_world_writable_device=False)["passed"]


def test_nested_and_cpu_features_come_from_supported_cpuid():
    kernel = FakeKernel()
    assert verdict_for(kernel, require_nested=True, required_cpu_features=["avx2", "x2apic"])["passed"]
    kernel.cpuid = []
    verdict = verdict_for(kernel, require_nested=True, required_cpu_features=["avx2"])
    assert "nested virtualization is not offered to guests" in failed_check(verdict, "require_nested")["message"]
    # guest_cpu: the full QEMU-named set QEMU under KVM can offer (tests/unit/.../test_kvm_requirements_guest_cpu.py)
    assert "KVM does not offer guests the CPU feature avx2" in failed_check(verdict, "required_cpu_features")["message"]


def test_a_failed_vcpu_run_is_one_root_cause_and_blocks_the_requirement_unless_waived():
    kernel = FakeKernel()
    kernel.run_script = [("HANG",)]
    verdict = verdict_for(kernel)
    [cause] = verdict["root_causes"]
    assert (cause["code"], cause["subject"], cause["blocks"]) == ("vcpu_run.timeout", "vCPU 0", ["require_vcpu_run"])
    assert verdict["failures"] == [cause["message"]] and cause["message"].startswith("KVM is not usable: vCPU run timeout")
    assert failed_check(verdict, "require_vcpu_run")["blocked_by"] == "vcpu_run"
    waived = verdict_for(kernel, require_vcpu_run=False)
    assert "require_vcpu_run" not in [c["requirement"] for c in waived["checks"]]
    assert waived["failures"][0].startswith("KVM is not usable: vCPU run timeout")  # usable still says so


def test_a_skipped_vcpu_run_is_not_a_pass():
    verdict = verdict_for(FakeKernel(machine="riscv64"))
    assert failed_check(verdict, "require_vcpu_run")["message"] == (
        "no vCPU ran guest code (skipped): the vCPU run carries guest code for aarch64, x86_64 only; "
        "this host is riscv64; "
        "where the run cannot be made, waive it with kvm_validate_require_vcpu_run: false")


def test_facts_not_gathered_are_never_a_pass():
    req = check_requirements({"required_extensions": ["IRQCHIP"]}, BUILTIN_PROFILES)
    facts = gather(["min"], kernel=FakeKernel())
    assert_not_gathered(evaluate(facts, req, BUILTIN_PROFILES), "required_extensions", "extensions")


@pytest.mark.parametrize("facts", [None, {}, "garbage", {"api_version": 12}])
def test_a_host_without_facts_is_reported_as_such(facts):
    verdict = evaluate(facts, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm9")
    assert verdict["status"] == "no_facts" and verdict["passed"] is False
    assert "no ansible_facts.kvm for this host" in verdict["failures"][0]


def test_unreachable_verdict():
    verdict = unreachable_verdict("kvm7", "ssh: connect to host kvm7 port 22: No route to host")
    assert verdict["status"] == "unreachable" and not verdict["passed"]
    assert verdict["failures"] == ["host unreachable: ssh: connect to host kvm7 port 22: No route to host"]


def test_profiles_met_lists_every_known_profile_the_host_meets():
    kernel = with_caps(FakeKernel(), "IOEVENTFD", "IRQFD", "SET_TSS_ADDR", "PIT2", "PIT_STATE2", "ADJUST_CLOCK",
                       "DEBUGREGS", "MP_STATE", "VCPU_EVENTS", "XSAVE", "EXT_CPUID", "XCRS")
    assert verdict_for(kernel)["summary"]["profiles_met"] == ["firecracker", "kata"]
