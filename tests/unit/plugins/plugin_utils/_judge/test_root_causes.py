# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Root causes, not cascades: each way a host can fail is one root cause with its code, and every check whose
input it kept from being gathered is blocked by it, never failed with a remedy of its own."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, kvm_node

# The issue's fleet: the firecracker profile and nova as a device user.
REQUIREMENTS = {"profiles": ["firecracker"], "device_users": ["nova"]}
V1_MOUNTS = "cgroup /sys/fs/cgroup/devices cgroup rw,nosuid,devices 0 0\n"


def no_device(kernel):
    del kernel.nodes["/dev/kvm"]


def no_device_no_module(kernel):
    del kernel.nodes["/dev/kvm"]
    kernel.sysfs["/sys/module"] = [name for name in kernel.sysfs["/sys/module"] if name != "kvm_intel"]


def eacces(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o660, gid=0)
    kernel.open_errno["/dev/kvm"] = errno.EACCES


def eperm(kernel):
    kernel.euid = 0
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    kernel.sysfs["/proc/self"] = {"mounts": V1_MOUNTS, "cgroup": "4:devices:/machine/fc\n"}
    kernel.sysfs["/sys/fs/cgroup/devices/machine/fc"] = {"devices.list": "c 1:3 rwm"}


def api_refused(kernel):
    kernel.fail["KVM_GET_API_VERSION"] = errno.ENOTTY


def api_old(kernel):
    kernel.api_version = 11


def vm_refused(kernel):
    kernel.fail["KVM_CREATE_VM"] = errno.EBUSY


# scenario -> (the kernel's fault, the root cause's code, the subset that found it)
SCENARIOS = {
    "no device, backend loaded": (no_device, "device.missing.module_loaded", "device"),
    "no device, no backend": (no_device_no_module, "device.missing.no_module", "device"),
    "EACCES": (eacces, "device.eacces", "device"),
    "EPERM": (eperm, "device.eperm", "device"),
    "API refused": (api_refused, "api.failed", "api"),
    "API 11": (api_old, "api.version", "api"),
    "VM refused": (vm_refused, "vm.create_failed", "vm"),
}


def verdict_of(fault, accounts=("nova",), subsets=("all",), requirements=None):
    kernel = FakeKernel()
    fault(kernel)
    facts = gather(list(subsets), kernel=kernel, accounts=list(accounts))
    return facts, evaluate(facts, check_requirements(requirements or REQUIREMENTS, BUILTIN_PROFILES), BUILTIN_PROFILES, host="h")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_one_root_cause_with_its_code_and_every_cascade_blocked(name):
    fault, code, subset = SCENARIOS[name]
    facts, verdict = verdict_of(fault)
    assert [(p["code"], p["subset"]) for p in facts["problems"]] == [(code, subset)]
    joiner = ": " if code in ("vm.create_failed", "device.missing.no_module", "device.missing.module_loaded") else "; "
    assert facts["reasons"] == [p["message"] + joiner + p["remedy"] for p in facts["problems"]]
    usable = [c for c in verdict["root_causes"] if c["requirement"] == "usable"]
    assert [c["code"] for c in usable] == [code]
    # nothing that was never asked is failed: no capability, API or vCPU cascade, no "a newer kernel"
    never_asked = ("api.too_old", "vcpu_run.not_ok") + (("cap.missing", "cap.too_low") if "extensions" in
                                                        facts["blocked"] else ())
    for cause in verdict["root_causes"]:
        assert cause["code"] not in never_asked, cause
        assert "extensions" not in facts["blocked"] or "newer kernel" not in cause["message"], cause
    assert verdict["failures"] == [c["message"] for c in verdict["root_causes"]]
    blocked = [c for c in verdict["checks"] if c.get("blocked_by")]
    assert blocked and all(c["message"].startswith("not judged: ") and "remedy" not in c for c in blocked)
    assert verdict["blocked"] == len(blocked) == len(usable[0]["blocks"])
    assert verdict["status"] == "fail"


def test_a_blocked_check_names_the_root_cause_it_waits_for():
    _facts, verdict = verdict_of(eacces)
    caps = [c for c in verdict["checks"] if c["requirement"].startswith("profile firecracker: KVM_CAP")
            or c["requirement"] == "profile firecracker"]
    assert caps and all(c["blocked_by"] == "device" for c in caps)
    assert caps[0]["message"] == "not judged: /dev/kvm could not be opened"


def test_the_device_users_check_is_judged_whenever_the_node_exists():
    _facts, verdict = verdict_of(eacces)
    nova = [c for c in verdict["checks"] if c["requirement"] == "device_users: nova"][0]
    assert "blocked_by" not in nova and nova["code"] == "device.user_denied" and nova["subject"] == "nova"
    _facts, missing = verdict_of(no_device)
    nova = [c for c in missing["checks"] if c["requirement"] == "device_users: nova"][0]
    assert nova["blocked_by"] == "device" and "does not exist" in nova["message"]


def test_a_subset_left_out_is_one_root_cause_for_every_requirement_that_needs_it():
    _facts, verdict = verdict_of(lambda kernel: None, subsets=("all", "!extensions", "!devices"),
                                 requirements={"profiles": ["firecracker"]})
    causes = dict((c["subject"], c) for c in verdict["root_causes"] if c["code"] == "facts.not_gathered")
    assert sorted(causes) == ["devices", "extensions"]
    assert causes["extensions"]["remedy"] == "add 'extensions' to gather_subset"
    assert causes["extensions"]["blocks"] == ["profile firecracker"]
    assert causes["devices"]["blocks"] == ["profile firecracker: tun"]
    assert verdict["status"] == "fail" and len(verdict["failures"]) == 2


def test_a_healthy_host_has_no_root_cause_and_nothing_blocked():
    kernel = FakeKernel()
    facts = gather(["all"], kernel=kernel, accounts=["qemu"])
    verdict = evaluate(facts, check_requirements({"device_users": ["qemu"]}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="h")
    assert (verdict["status"], verdict["root_causes"], verdict["blocked"]) == ("pass", [], 0)
    assert facts["problems"] == [] and facts["blocked"] == {}


def test_facts_of_schema_1_are_still_judged_by_their_reasons():
    facts = {"schema_version": 1, "usable": False, "reasons": ["/dev/kvm does not exist"], "gather_subset": ["device"]}
    verdict = evaluate(facts, check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES, host="old")
    assert verdict["root_causes"][0]["code"] == "usable"
    assert verdict["failures"][0] == "KVM is not usable: /dev/kvm does not exist"


def test_a_warning_about_what_already_fails_the_host_is_not_listed_twice():
    kernel = FakeKernel()
    del kernel.nodes["/dev/vhost-net"]
    facts = gather(["all"], kernel=kernel)
    req = check_requirements({"profiles": ["qemu_7_2"], "required_devices": ["vhost_net"]}, BUILTIN_PROFILES)
    verdict = evaluate(facts, req, BUILTIN_PROFILES, host="h")
    vhost = [c for c in verdict["checks"] if c.get("subject") == "vhost_net" and not c["ok"]]
    assert sorted(c["severity"] for c in vhost) == ["fail", "warn"]  # both checks are judged and shown
    assert [m for m in verdict["failures"] if "vhost-net" in m] and not [m for m in verdict["warnings"] if "vhost-net" in m]
