# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm_report action: the fleet reports written on the controller, or only announced in check mode."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from collections.abc import Mapping

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible_collections.fleetcheck.kvm.plugins.action import kvm_report
from ansible_collections.fleetcheck.kvm.plugins.action.kvm_report import ActionModule
from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_report as report_doc
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check, host_verdict, unreachable_verdict)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._action import host_variables
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.action.harness import run_action

FILES = {"json": "fleet.json", "junit": "junit.xml", "markdown": "fleet.md", "html": "fleet.html",
         "prometheus": "fleet.prom"}


def verdicts():
    return {"kvm1": host_verdict("kvm1", [check("usable", True, True, True, None)], {"usable": True}),
            "kvm2": host_verdict("kvm2", [check("KVM_CAP_XCRS", ">= 1", 0, False, "KVM_CAP_XCRS missing")], {}),
            "kvm3": unreachable_verdict("kvm3", "ssh: No route to host")}


def report(args, task_vars=None, check_mode=False):
    return run_action(ActionModule, args, task_vars, check_mode=check_mode, name="fleetcheck.kvm.kvm_report")


def test_the_reports_are_written_with_the_counts(tmp_path):
    dest = str(tmp_path / "reports")
    result = report({"dest": dest, "hosts": ["kvm1", "kvm2", "kvm3"], "verdicts": verdicts()})
    assert not result.get("failed") and result["changed"] is True
    assert result["counts"] == {"total": 3, "pass": 1, "fail": 1, "unreachable": 1, "no_facts": 0}
    assert result["failed_hosts"] == ["kvm2", "kvm3"]
    assert result["msg"] == "3 hosts: 1 pass, 1 fail, 1 unreachable, 0 without facts"
    assert result["paths"] == dict((f, os.path.join(dest, name)) for f, name in FILES.items())
    assert sorted(n for n in os.listdir(dest) if not n.startswith(".") and n != "latest") == sorted(FILES.values())
    with open(os.path.join(dest, "fleet.json")) as handle:
        fleet = json.load(handle)
    assert [h["host"] for h in fleet["hosts"]] == ["kvm1", "kvm2", "kvm3"]


def test_only_the_formats_asked_for_are_written(tmp_path):
    result = report({"dest": str(tmp_path), "hosts": ["kvm1"], "verdicts": verdicts(), "formats": ["junit"]})
    assert list(result["paths"]) == ["junit"]
    assert sorted(os.listdir(str(tmp_path))) == [".sets", "junit.xml", "latest"]


def test_check_mode_writes_nothing_and_says_what_it_would_write(tmp_path):
    dest = str(tmp_path / "reports")
    result = report({"dest": dest, "hosts": ["kvm1", "kvm2"], "verdicts": verdicts()}, check_mode=True)
    assert result["changed"] is False and not result.get("failed")
    assert not os.path.exists(dest)
    assert result["msg"] == "check mode: no report was written; it would write %s" % ", ".join(
        sorted(os.path.join(dest, name) for name in FILES.values()))
    assert result["summary"][-2].startswith("No report was written (check mode)")
    assert result["counts"]["fail"] == 1


def test_the_summary_names_the_root_causes_their_hosts_and_where_the_reports_are(tmp_path):
    dest = str(tmp_path / "reports")
    result = report({"dest": dest, "hosts": ["kvm1", "kvm2"], "verdicts": verdicts()})
    summary = result["summary"]
    assert summary[0].startswith("KVM fleet audit: 2 hosts: 1 pass, 1 fail")
    assert any(line.startswith("  \u2717 1 host [") for line in summary) and "      on: kvm2" in summary
    assert summary[-2] == "Reports: " + ", ".join(result["paths"][f] for f in sorted(result["paths"]))


def test_an_unwritable_dest_fails_with_the_reason(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text(u"not a directory")
    dest = str(blocker / "reports")
    result = report({"dest": dest, "hosts": ["kvm1"], "verdicts": verdicts()})
    assert result["failed"] is True
    assert result["msg"].startswith("cannot write the reports to %s: " % dest)
    assert "Not a directory" in result["msg"] or "File exists" in result["msg"]


def test_verdicts_default_to_each_hosts_kvm_validate_result(tmp_path):
    hostvars = {"kvm1": {"kvm_validate_result": verdicts()["kvm1"]}, "kvm2": {}}
    result = report({"dest": str(tmp_path), "hosts": ["kvm1", "kvm2", "unknown"]}, {"hostvars": hostvars})
    assert result["counts"] == {"total": 3, "pass": 1, "fail": 0, "unreachable": 0, "no_facts": 2}
    assert result["failed_hosts"] == ["kvm2", "unknown"]


def test_a_missing_dest_is_an_argument_error():
    with pytest.raises(AnsibleActionFail, match="dest"):
        report({"hosts": ["kvm1"]})


class UndefinedHost(object):
    """What hostvars returns for a host the inventory does not know: an undefined value, not a KeyError."""


class FakeHostvars(dict):
    def __getitem__(self, host):
        return dict.__getitem__(self, host) if host in self else UndefinedHost()


@pytest.mark.parametrize("task_vars, host", [
    ({}, "kvm1"),                                             # no hostvars at all
    ({"hostvars": {}}, "kvm1"),                               # KeyError
    ({"hostvars": FakeHostvars()}, "kvm1"),                   # undefined, as ansible-core answers
    ({"hostvars": {"kvm1": {}}}, ["an", "unhashable name"]),  # TypeError
])
def test_an_unknown_host_has_no_variables(task_vars, host):
    assert host_variables(task_vars, host) == {}


def test_a_known_hosts_variables_are_its_mapping():
    hostvars = FakeHostvars(kvm1={"kvm_validate_result": "x"})
    assert host_variables({"hostvars": hostvars}, "kvm1") == {"kvm_validate_result": "x"}


class RawHostvars(FakeHostvars):
    """hostvars as ansible-core has it: raw_get gives the stored variables, [] templates them (here: fails)."""

    def __getitem__(self, host):
        raise AssertionError("hostvars[%r] templates every fact; the actions read raw_get" % host)

    def raw_get(self, host):
        return dict.__getitem__(self, host) if host in self else UndefinedHost()


def test_the_stored_variables_are_read_without_templating():
    hostvars = RawHostvars(kvm1={"ansible_facts": {"kvm": {"usable": True}}})
    assert host_variables({"hostvars": hostvars}, "kvm1") == {"ansible_facts": {"kvm": {"usable": True}}}
    assert host_variables({"hostvars": hostvars}, "kvm9") == {}  # unknown: undefined, not a mapping


class ImplicitLocalhostHostvars(Mapping):
    """hostvars when only the implicit localhost runs: it has no hosts (length 0), yet answers localhost."""

    def __init__(self, localhost_variables):
        self.localhost_variables = localhost_variables

    def __len__(self):
        return 0

    def __iter__(self):
        return iter(())

    def __getitem__(self, host):
        if host == "localhost":
            return self.localhost_variables
        raise KeyError(host)


def test_the_implicit_localhost_has_its_variables(tmp_path):
    task_vars = {"hostvars": ImplicitLocalhostHostvars({"kvm_validate_result": verdicts()["kvm1"]})}
    assert host_variables(task_vars, "localhost") == {"kvm_validate_result": verdicts()["kvm1"]}
    result = report({"dest": str(tmp_path), "hosts": ["localhost", "kvm9"]}, task_vars)
    assert result["counts"]["pass"] == 1 and result["failed_hosts"] == ["kvm9"]


def test_the_documented_options_are_the_actions_argument_spec():
    """The module file only documents the action: each option's type, elements, choices and default as the action
    validates them (formats' choices are writer.FORMATS)."""
    options = yaml.safe_load(report_doc.DOCUMENTATION)["options"]
    keys = ("type", "elements", "choices", "default", "required")
    assert dict((name, dict((k, v) for k, v in spec.items() if k in keys)) for name, spec in options.items()) == \
        dict((name, dict((k, v) for k, v in spec.items() if k in keys)) for name, spec in kvm_report.ARGUMENT_SPEC.items())


def test_a_second_audit_compared_with_the_first_names_the_regression(tmp_path):
    dest = str(tmp_path / "reports")
    first = verdicts()
    report({"dest": dest, "hosts": ["kvm1", "kvm2", "kvm3"], "verdicts": first})
    second = dict(first, kvm1=host_verdict("kvm1", [check("usable", True, False, False, "KVM is not usable")], {}))
    # dest's own fleet.json, as the audit passes it: read before the new set replaces it
    result = report({"dest": dest, "hosts": ["kvm1", "kvm2", "kvm3"], "verdicts": second,
                     "previous": os.path.join(dest, "fleet.json")})
    assert not result.get("failed")
    assert result["regression_hosts"] == ["kvm1"] and result["changes"]["newly_failing"] == 1
    assert result["regressions"][0]["why"] == "kvm1 was pass, now fail: usable"
    with open(os.path.join(dest, "fleet.json")) as handle:
        assert json.load(handle)["changes"]["newly_failing"][0]["host"] == "kvm1"
    # kvm3 stays unreachable: an old failure, and allowed or not no regression
    assert "kvm3" not in result["regression_hosts"]


def test_a_previous_report_that_cannot_be_read_fails_naming_the_option(tmp_path):
    missing = report({"dest": str(tmp_path), "hosts": ["kvm1"], "verdicts": verdicts(),
                      "previous": str(tmp_path / "nothing.json")})
    assert missing["failed"] and missing["msg"].startswith("previous: cannot read the previous audit's report")
    (tmp_path / "other.json").write_text(u'{"hosts": []}')
    other = report({"dest": str(tmp_path), "hosts": ["kvm1"], "verdicts": verdicts(),
                    "previous": str(tmp_path / "other.json")})
    assert other["failed"] and "is not a fleet.json of fleetcheck.kvm" in other["msg"]
    assert not os.path.exists(str(tmp_path / "fleet.json"))  # nothing written
