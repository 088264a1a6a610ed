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
