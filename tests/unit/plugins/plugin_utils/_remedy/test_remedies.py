# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediation plan: only listed codes, only listed accounts, never a world-writable node; each fix from the
verdict's code and subject, with real verdicts of the fake kernel where the judge gives them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._remedy.remedies import FIXES, RemedyError, plan, prove
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def judged(kernel, **requirements):
    facts = gather(["device", "host", "hugepages"], kernel=kernel, accounts=requirements.get("device_users", ()))
    return evaluate(facts, check_requirements(dict(requirements, require_vcpu_run=False), BUILTIN_PROFILES), BUILTIN_PROFILES,
                    host="kvm1"), facts


def cause(code, subject):
    return {"root_causes": [{"code": code, "subject": subject}]}


def test_a_denied_account_joins_the_nodes_group_only_when_listed():
    kernel = FakeKernel()
    kernel.euid = 0
    verdict, facts = judged(kernel, device_users=["nova", "qemu"])
    assert [c["subject"] for c in verdict["root_causes"]] == ["nova"]  # qemu is in kvm already
    listed = plan(verdict, facts, ["device.user_denied"], ["nova"])
    assert listed["fixes"] == [{"fix": "group", "code": "device.user_denied", "account": "nova", "group": "kvm"}]
    assert listed["left"] == [] and [c["subject"] for c in listed["causes"]] == ["nova"]
    unlisted = plan(verdict, facts, ["device.user_denied"], ["qemu"])
    assert unlisted["fixes"] == [] and "nova is not in kvm_remediate_accounts" in unlisted["left"][0]["why"]


def test_a_code_not_listed_is_left_alone_entirely():
    kernel = FakeKernel()
    kernel.euid = 0
    verdict, facts = judged(kernel, device_users=["nova"])
    assert plan(verdict, facts, [], ["nova"]) == {"fixes": [], "left": [], "causes": []}


def test_a_node_that_grants_its_group_nothing_gets_the_group_and_mode_and_the_user_joins_that_group():
    facts = {"device": {"user": "tester", "group": "root", "mode": "0600", "path": "/dev/kvm"}}
    fixes = plan(cause("device.eacces", "/dev/kvm"), facts, ["device.eacces"], ["tester"], group="kvmusers")["fixes"]
    assert [(f["fix"], f["group"]) for f in fixes] == [("udev", "kvmusers"), ("group", "kvmusers")]
    assert fixes[0]["mode"] == "0660" and fixes[0]["node"] == "/dev/kvm"


def test_an_account_already_in_the_nodes_group_gets_the_mode_not_the_group_it_has():
    """The operator's case: 0600 root:kvm, nova in kvm. Joining kvm again would change nothing."""
    kernel = FakeKernel()
    kernel.euid = 0
    kernel.nodes["/dev/kvm"].st_mode = 0o20600
    kernel.accounts["nova"] = (1001, 1001, [1001, 36])
    verdict, facts = judged(kernel, device_users=["nova"])
    assert [(c["code"], c["subject"]) for c in verdict["root_causes"]] == [("device.user_denied", "nova")]
    result = plan(verdict, facts, ["device.user_denied"], ["nova"])
    assert [(f["fix"], f["group"], f.get("mode")) for f in result["fixes"]] == [("udev", "kvm", "0660")]
    assert result["left"] == []


def test_an_account_in_a_group_the_mode_grants_is_left_with_why():
    facts = {"device": {"path": "/dev/kvm", "group": "kvm", "mode": "0660",
                        "accounts": {"nova": {"groups": ["nova", "kvm"]}}}}
    result = plan(cause("device.user_denied", "nova"), facts, ["device.user_denied"], ["nova"])
    assert result["fixes"] == [] and "nova is already in kvm, which the node's mode 0660 lets read and write" \
        in result["left"][0]["why"]


@pytest.mark.parametrize("allowed, fixed", [(False, False), (None, False), (True, True)])
def test_in_a_container_a_node_is_made_only_where_the_device_cgroup_may_allow_it(allowed, fixed):
    container = {"runtime": "podman", "evidence": "/run/.containerenv", "mknod_allowed": allowed}
    result = plan(cause("device.missing.module_loaded", "/dev/kvm"), {"device": {"container": container}},
                  ["device.missing.module_loaded"], [])
    assert bool(result["fixes"]) is fixed
    if not fixed:
        assert "recreate the container with --device /dev/kvm" in result["left"][0]["why"]
        assert ("refuses a node made inside" if allowed is False else "cannot be read") in result["left"][0]["why"]


def test_a_nested_option_is_never_written_in_a_container():
    container = {"runtime": "docker", "evidence": "/.dockerenv", "mknod_allowed": None}
    result = plan(cause("nested.not_offered", "kvm_intel"), {"device": {"container": container}},
                  ["nested.not_offered"], [])
    assert result["fixes"] == [] and "never reads the container's /etc/modprobe.d" in result["left"][0]["why"]


@pytest.mark.parametrize("mode, phrase", [
    ("1666", "sets the sticky bit (1000)"), ("4660", "sets setuid (4000)"), ("06660", "three or four digits"),
    ("0606", "never makes it world-writable"), ("660", None), ("0640", None),
])
def test_a_mode_is_refused_for_what_is_wrong_with_it(mode, phrase):
    if phrase is None:
        assert plan({}, {}, [], [], mode=mode) == {"fixes": [], "left": [], "causes": []}
        return
    with pytest.raises(RemedyError, match=r"kvm_remediate_device_mode") as raised:
        plan({}, {}, [], [], mode=mode)
    assert phrase in str(raised.value)


def planned_cause(code, subject, fixes=("group",)):
    return {"causes": [{"code": code, "subject": subject, "fixes": list(fixes), "node": "/dev/kvm"}]}


def test_the_proof_says_a_cause_is_gone_only_when_no_cause_is_left_on_its_subject():
    planned = planned_cause("device.missing.module_loaded", "/dev/kvm", ["node"])
    assert prove(planned, {"root_causes": []})["proven"] == [{"code": "device.missing.module_loaded",
                                                              "subject": "/dev/kvm"}]
    # the container's case: the node made inside is refused by the device cgroup
    eperm = {"root_causes": [{"code": "device.eperm", "subject": "/dev/kvm", "message": "/dev/kvm: EPERM"}]}
    proof = prove(planned, eperm)
    assert proof["proven"] == [] and proof["not_fixed"] == [{"code": "device.missing.module_loaded",
                                                             "subject": "/dev/kvm", "now": "device.eperm",
                                                             "why": "/dev/kvm: EPERM"}]


def test_the_proof_keeps_a_cause_that_is_still_there_and_waits_for_what_needs_a_reload_or_a_login():
    still = {"root_causes": [{"code": "device.user_denied", "subject": "nova", "message": "nova: EACCES"},
                             {"code": "device.eacces", "subject": "/dev/kvm", "message": "EACCES"}]}
    assert prove(planned_cause("device.user_denied", "nova"), still)["not_fixed"][0]["now"] == "device.user_denied"
    assert "next login" in prove(planned_cause("device.eacces", "/dev/kvm"), still)["pending"][0]["why"]
    nested = prove(planned_cause("nested.not_offered", "kvm_intel", ["nested"]), still)
    assert nested["pending"][0]["subject"] == "kvm_intel" and "next loaded" in nested["pending"][0]["why"]
    assert prove(None, still) == {"proven": [], "not_fixed": [], "pending": []}


def test_a_world_writable_node_gets_a_udev_rule_and_a_world_writable_mode_is_refused():
    kernel = FakeKernel()
    kernel.nodes["/dev/kvm"].st_mode = 0o20666
    verdict, facts = judged(kernel, forbid_world_writable_device=True)
    fixes = plan(verdict, facts, ["device.world_writable"], [])["fixes"]
    assert fixes == [{"fix": "udev", "code": "device.world_writable", "node": "/dev/kvm", "group": "kvm", "mode": "0660",
                      "file": "/etc/udev/rules.d/65-fleetcheck-kvm.rules",
                      "line": 'KERNEL=="kvm", GROUP="kvm", MODE="0660"\n'}]
    for mode in ("0666", "0662", "666"):
        with pytest.raises(RemedyError, match="never makes it world-writable"):
            plan(verdict, facts, ["device.world_writable"], [], mode=mode)
    with pytest.raises(RemedyError, match="kvm_remediate_device_mode is 'rw'"):
        plan(verdict, facts, ["device.world_writable"], [], mode="rw")


def test_a_missing_node_with_the_module_loaded_is_created():
    kernel = FakeKernel()
    del kernel.nodes["/dev/kvm"]
    verdict, facts = judged(kernel)
    assert verdict["root_causes"][0]["code"] == "device.missing.module_loaded"
    fix = plan(verdict, facts, ["device.missing.module_loaded"], [])["fixes"][0]
    assert (fix["fix"], fix["node"], fix["major"], fix["minor"], fix["mode"]) == ("node", "/dev/kvm", 10, 232, "0660")


def test_the_backend_module_is_loaded_only_when_known():
    verdict = cause("device.missing.no_module", "/dev/kvm")
    assert plan(verdict, {}, ["device.missing.no_module"], [], backend="kvm_amd")["fixes"] == [
        {"fix": "module", "code": "device.missing.no_module", "module": "kvm_amd",
         "file": "/etc/modules-load.d/fleetcheck-kvm.conf", "line": "kvm_amd\n"}]
    for backend in (None, "", "kvm_amd; rm -rf /", "ext4"):
        left = plan(verdict, {}, ["device.missing.no_module"], [], backend=backend)["left"]
        assert "set kvm_remediate_backend" in left[0]["why"]


def test_nested_is_set_for_kvm_intel_and_kvm_amd_only():
    for backend in ("kvm_intel", "kvm_amd"):
        fix = plan(cause("nested.not_offered", backend), {}, ["nested.not_offered"], [])["fixes"][0]
        assert fix["line"] == "options %s nested=1\n" % backend and fix["file"] == "/etc/modprobe.d/fleetcheck-kvm-nested.conf"
    left = plan(cause("nested.not_offered", "kvm_pvm"), {}, ["nested.not_offered"], [])["left"]
    assert "kvm_pvm has no nested parameter" in left[0]["why"]


def test_short_huge_pages_are_reserved_by_the_requirements_count():
    kernel = FakeKernel()
    kernel.sysfs["/sys/kernel/mm/hugepages"] = ["hugepages-2048kB"]
    kernel.sysfs["/sys/kernel/mm/hugepages/hugepages-2048kB"] = {"nr_hugepages": "0", "free_hugepages": "0"}
    verdict, facts = judged(kernel, hugepages_minimums={"2M": 512})
    short = [c for c in verdict["root_causes"] if c["code"] == "hugepages.short"]
    assert short, verdict["root_causes"]
    fix = plan(verdict, facts, ["hugepages.short"], [], hugepages_minimums={"2M": 512})["fixes"][0]
    assert fix["count"] == 512 and fix["path"] == "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    assert fix["line"] == "w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages - - - - 512\n"
    per_node = plan(verdict, facts, ["hugepages.short"], [], hugepages_minimums={"2M": {"node0": 4}})
    assert per_node["fixes"] == [] and "no host-wide count" in per_node["left"][0]["why"]


def test_unknown_codes_and_bad_accounts_are_refused_naming_the_variable():
    with pytest.raises(RemedyError, match="kvm_remediate_codes: api.version is not fixed by this role; it fixes "):
        plan({}, {}, ["api.version"], [])
    with pytest.raises(RemedyError, match="kvm_remediate_accounts must be a list of account names"):
        plan({}, {}, [], ["nova; id"])
    with pytest.raises(RemedyError, match="kvm_remediate_device_group"):
        plan({}, {}, [], [], group="")


def test_every_fix_has_its_task_file():
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    tasks = os.path.join(here, "..", "..", "..", "..", "..", "roles", "remediate", "tasks")
    assert sorted(set(fix for _code, fix, _doc in FIXES)) == sorted(
        name[len("fix_"):-len(".yml")] for name in os.listdir(tasks) if name.startswith("fix_"))


def test_a_module_the_probe_found_available_is_loaded_by_its_name():
    fix = plan(cause("device.missing.not_loaded", "kvm_amd"), {}, ["device.missing.not_loaded"], [])["fixes"][0]
    assert (fix["fix"], fix["module"], fix["line"]) == ("module", "kvm_amd", "kvm_amd\n")


def test_every_fix_answers_a_code_the_probe_or_the_judge_gives():
    """Adding a remediation (the README's recipe): a code of _judge/codes.py, its entry in FIXES, its plan in plan(),
    its task file, then python tools/gen_docs.py (the role README's table)."""
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.codes import CODES
    known = set(code for code, _where, _meaning, _remedy in CODES)
    assert [code for code, _fix, _doc in FIXES if code not in known] == []
