# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why the metrics were not written, from the registered results of the role's tasks, and the warning it becomes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.side_outputs import (
    textfile_check, textfile_record)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import with_warning

DIR = "/var/lib/prometheus/node-exporter"
SKIPPED = {"skipped": True, "changed": False}


@pytest.mark.parametrize("looked, made, written, subject, phrase", [
    ({"stat": {"exists": False}}, SKIPPED, SKIPPED, DIR, "%s does not exist on this host" % DIR),
    ({"stat": {"exists": True, "isdir": False}}, SKIPPED, SKIPPED, DIR, "%s is not a directory" % DIR),
    ({"failed": True, "msg": "Permission denied"}, None, None, DIR, "cannot look at %s: Permission denied" % DIR),
    ({"stat": {"exists": False}}, {"failed": True, "msg": "read-only\nfile system"}, SKIPPED, DIR,
     "cannot create %s: read-only file system" % DIR),
    ({"stat": {"exists": True, "isdir": True}}, SKIPPED, {"failed": True, "msg": "No space left"},
     DIR + "/fleetcheck_kvm.prom", "%s/fleetcheck_kvm.prom: No space left" % DIR),
])
def test_each_way_of_not_writing_names_its_subject_and_what_the_host_said(looked, made, written, subject, phrase):
    record = textfile_record(DIR, looked, made, written)
    assert record["subject"] == subject and phrase in record["message"] and record["remedy"]


@pytest.mark.parametrize("looked, made, written", [
    (None, None, None),  # not asked for
    (SKIPPED, None, None),  # a host without a verdict to write
    ({"stat": {"exists": True, "isdir": True}}, SKIPPED, {"changed": True}),
    ({"stat": {"exists": False}}, {"changed": True}, {"changed": True}),  # created as asked, check mode included
])
def test_written_or_not_asked_is_no_problem(looked, made, written):
    assert textfile_record(DIR, looked, made, written) == {}


def test_a_record_becomes_a_warning_that_keeps_the_status_and_is_cleaned():
    record = textfile_record(DIR, {"stat": {"exists": False}})
    item = textfile_check(dict(record, message=record["message"] + "\x1b[2J"))
    assert item["code"] == "metrics.not_written" and item["severity"] == "warn" and "\x1b" not in item["message"]
    verdict = {"status": "pass", "passed": True, "checks": [], "warnings": [], "root_causes": []}
    warned = with_warning(verdict, item)
    assert (warned["status"], warned["passed"]) == ("pass", True) and verdict["warnings"] == []
    assert [c["code"] for c in warned["root_causes"]] == ["metrics.not_written"]
    assert warned["warnings"] == [item["message"]]


@pytest.mark.parametrize("record", [None, "text", {}, {"message": 3}, {"message": ""}])
def test_a_record_that_is_not_one_gives_no_warning(record):
    assert textfile_check(record) is None
