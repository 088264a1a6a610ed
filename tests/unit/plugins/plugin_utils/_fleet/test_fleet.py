# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet document: every host kept with its status; malformed input becomes a clear no_facts record."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import NOW


def test_every_host_is_kept_with_its_status(fleet):
    assert [(r["host"], r["status"]) for r in fleet["hosts"]] == [
        ("good", "pass"), ("small", "fail"), ("gone", "unreachable"), ("blank", "no_facts"),
        ("old", "no_facts"), (u"kvm-\\xff", "pass")]
    assert fleet["counts"] == {"total": 6, "pass": 2, "fail": 1, "unreachable": 1, "no_facts": 2}


def test_malformed_input_gives_clear_messages(fleet):
    by_host = dict((r["host"], r) for r in fleet["hosts"])
    assert "the audit reached no verdict for this host" in by_host["blank"]["failures"][0]
    assert by_host["old"]["failures"] == [
        "the verdict of this host has schema version 0, this collection reads 1: "
        "re-run the audit with this version of fleetcheck.kvm"]
    assert by_host[u"kvm-\\xff"]["failures"] == [
        "note: the inventory name of this host is not valid UTF-8, shown escaped"]


@pytest.mark.parametrize("bad", ["text", 42, {"schema_version": 1, "status": "pass", "checks": "x"},
                                 {"schema_version": 1, "status": "maybe", "checks": []}])
def test_garbage_verdicts_are_no_facts(bad):
    record = build_fleet(["h"], {"h": bad}, NOW)["hosts"][0]
    assert record["status"] == "no_facts" and record["failures"][0].startswith("the verdict of this host is")


def _verdict(checks, summary=None):
    return {"schema_version": 1, "status": "pass", "checks": checks, "summary": summary or {}, "failures": []}


def _ok(requirement="usable", **more):
    return dict({"requirement": requirement, "expected": ">= 1", "actual": 1, "ok": True, "message": None,
                 "severity": "fail"}, **more)


@pytest.mark.parametrize("wrong, says", [
    ({"ok": 1}, "ok is int, not true or false"),  # 1 was found safe as an actual value at the host before
    ({"requirement": True}, "requirement is bool, not a string"),
])
def test_a_value_found_safe_at_one_host_does_not_make_a_malformed_check_pass_at_the_next(wrong, says):
    fleet = build_fleet(["a", "b"], {"a": _verdict([_ok()]), "b": _verdict([_ok(**wrong)])}, NOW)
    assert [r["status"] for r in fleet["hosts"]] == ["pass", "no_facts"]
    assert says in fleet["hosts"][1]["failures"][0]


def test_a_severity_of_another_list_is_fail_even_when_every_value_was_seen():
    fleet = build_fleet(["a", "b"], {"a": _verdict([_ok(message="pass")]), "b": _verdict([_ok(severity="pass")])},
                        NOW)
    assert fleet["hosts"][1]["checks"][0]["severity"] == "fail"


def test_summaries_of_the_same_form_are_cleaned_once_and_apart_from_look_alikes():
    hostile = {"kernel": "6.1\x1b[31m", "parameters": {True: "Y"}}
    look_alike = {"kernel": "6.1\x1b[31m", "parameters": {"true": "Y"}}
    hosts = ["h%d" % n for n in range(4)]
    verdicts = {"h0": _verdict([_ok()], hostile), "h1": _verdict([_ok()], dict(hostile)),
                "h2": _verdict([_ok()], look_alike), "h3": _verdict([_ok()], {"deep": _nested(3000)})}
    records = build_fleet(hosts, verdicts, NOW)["hosts"]
    assert records[0]["summary"] == records[1]["summary"] == {"kernel": u"6.1\ufffd[31m", "parameters": {"True": "Y"}}
    assert records[0]["summary"] is records[1]["summary"]  # the second host's summary was not walked again
    assert records[2]["summary"] == {"kernel": u"6.1\ufffd[31m", "parameters": {"true": "Y"}}
    assert records[3]["status"] == "pass" and isinstance(records[3]["summary"]["deep"], dict)  # past repr's stack


def _nested(depth):
    value = {}
    for _level in range(depth):
        value = {"x": value}
    return value
