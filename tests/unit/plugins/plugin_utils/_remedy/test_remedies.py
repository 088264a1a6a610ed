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
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES as PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._remedy.remedies import FIXES, RemedyError, plan
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def judged(kernel, **requirements):
    facts = gather(["device", "host", "hugepages"], kernel=kernel, accounts=requirements.get("device_users", ()))
    return evaluate(facts, check_requirements(dict(requirements, require_vcpu_run=False), PROFILES), PROFILES,
                    host="kvm1"), facts


def cause(code, subject):
    return {"root_causes": [{"code": code, "subject": subject}]}


def test_a_denied_account_joins_the_nodes_group_only_when_listed():
    kernel = FakeKernel()
    kernel.euid = 0
    verdict, facts = judged(kernel, device_users=["nova", "qemu"])
    assert [c["subject"] for c in verdict["root_causes"]] == ["nova"]  # qemu is in kvm already
    listed = plan(verdict, facts, ["device.user_denied"], ["nova"])
    assert listed == {"fixes": [{"fix": "group", "code": "device.user_denied", "account": "nova", "group": "kvm"}],
                      "left": []}
    unlisted = plan(verdict, facts, ["device.user_denied"], ["qemu"])
    assert unlisted["fixes"] == [] and "nova is not in kvm_remediate_accounts" in unlisted["left"][0]["why"]


def test_a_code_not_listed_is_left_alone_entirely():
    kernel = FakeKernel()
    kernel.euid = 0
    verdict, facts = judged(kernel, device_users=["nova"])
    assert plan(verdict, facts, [], ["nova"]) == {"fixes": [], "left": []}


def test_the_probing_user_of_eacces_joins_the_fallback_group_when_the_node_grants_its_group_nothing():
    facts = {"device": {"user": "tester", "group": "root", "mode": "0600"}}
    fixes = plan(cause("device.eacces", "/dev/kvm"), facts, ["device.eacces"], ["tester"], group="kvmusers")["fixes"]
    assert fixes == [{"fix": "group", "code": "device.eacces", "account": "tester", "group": "kvmusers"}]


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
