# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merging slices read as untrusted input: a damaged record becomes a host that says so, a damaged pool leaves its
hosts out of the pools with the reason, a file that cannot be read is named; the merged report is written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet import merge
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.merge import (
    SliceError, merge_slices, read_slice, read_without_checks)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import merge_views
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.writer import write_reports
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import mixed_fleet

POOL = {"hosts": ["good"], "features": ["sse2", "lm"], "runnable_models": ["qemu64"]}


def slice_of(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def good_slice():
    return json.loads(json.dumps(mixed_fleet(), default=str))


def damaged(change):
    document = good_slice()
    change(document)
    return document


def first_check(key, value):
    def change(document):
        document["hosts"][0]["checks"][0][key] = value
    return change


# damage -> the phrase the damaged host's record must hold
RECORDS = {
    "requirement as a list": (first_check("requirement", ["usable"]), "requirement is list, not a string"),
    "requirement as a mapping": (first_check("requirement", {"a": 1}), "requirement is dict, not a string"),
    "ok as text": (first_check("ok", "yes"), "ok is str, not true or false"),
    "checks as a mapping": (lambda d: d["hosts"][0].update(checks={}), "checks is dict, not a list"),
    "a host that is a number": (lambda d: d["hosts"][0].update(host=7), "is not a host's verdict (host is int)"),
    "a record that is text": (lambda d: d["hosts"].__setitem__(0, "text"), "is not a host's verdict (str)"),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_damaged_record_becomes_a_host_that_says_so_and_the_others_stay(tmp_path, name):
    change, phrase = RECORDS[name]
    path = slice_of(tmp_path, "slice.json", damaged(change))
    hosts, verdicts, views, title, _sets, _requirements = merge_slices([path], str(tmp_path))
    fleet = build_fleet(hosts, verdicts, "2026-12-04T00:00:00Z", title)
    assert len(fleet["hosts"]) == len(good_slice()["hosts"])
    bad = [r for r in fleet["hosts"] if r["status"] == "no_facts" and phrase in r["failures"][0]]
    assert len(bad) == 1, [r["failures"][:1] for r in fleet["hosts"]]
    paths = write_reports(str(tmp_path / "merged"), fleet)
    assert sorted(paths) == ["html", "json", "junit", "markdown", "prometheus"]


@pytest.mark.parametrize("text, phrase", [
    ("not json", "is not JSON"), ("[1, 2]", "is list, not a fleet document"),
    ('{"hosts": "kvm1"}', "has no list of hosts (hosts is str)"), ('{"title": "x"}', "has no list of hosts"),
])
def test_a_slice_that_cannot_be_read_is_named(tmp_path, text, phrase):
    path = slice_of(tmp_path, "bad.json", text)
    with pytest.raises(SliceError) as raised:
        merge_slices([path], str(tmp_path))
    assert path in str(raised.value) and phrase in str(raised.value)


def test_a_host_in_two_slices_is_named_with_both_and_relative_paths_are_from_the_working_directory(tmp_path):
    slice_of(tmp_path, "a.json", good_slice())
    os.mkdir(str(tmp_path / "b"))
    slice_of(tmp_path / "b", "fleet.json", good_slice())
    with pytest.raises(SliceError) as raised:
        merge_slices(["a.json", "b"], str(tmp_path))
    assert "good is in more than one slice: %s and %s" % (tmp_path / "a.json", tmp_path / "b" / "fleet.json") \
        in str(raised.value)
    with pytest.raises(SliceError):
        merge_slices([], str(tmp_path))


def test_hosts_come_in_the_inventorys_order_then_the_slices(tmp_path):
    path = slice_of(tmp_path, "s.json", good_slice())
    hosts = merge_slices([path], str(tmp_path), inventory=["old", "missing", "good"])[0]
    assert hosts[:2] == ["old", "good"] and len(hosts) == len(good_slice()["hosts"])


@pytest.mark.parametrize("damage", [
    lambda pool: pool.pop("features"), lambda pool: pool.update(features=[["sse2"]]),
    lambda pool: pool.update(features={"sse2": 1}), lambda pool: pool.update(hosts="good"),
], ids=["no features", "unhashable features", "features as a mapping", "hosts as text"])
def test_a_damaged_pool_leaves_its_hosts_out_of_the_pools_with_the_reason(damage):
    pool = copy.deepcopy(POOL)
    damage(pool)
    other = dict(POOL, hosts=["other"])
    view = merge_views([{"pools": [pool, other], "excluded": {"arm": "x86 only"}}, {"excluded": ["listed"]}, "junk"])
    assert [p["hosts"] for p in view["pools"]] == [["other"]]
    assert view["excluded"]["arm"] == "x86 only"
    if isinstance(pool.get("hosts"), list):
        assert "malformed" in view["excluded"]["good"]


def test_each_slices_requirement_sets_survive_the_merge_and_only_used_ones_are_reported(tmp_path):
    first, second = good_slice(), good_slice()
    for document, name, value in ((first, "aaaa", "x86-64-v2"), (second, "bbbb", "x86-64-v3")):
        document["requirement_sets"] = {name: {"min_guest_cpu_level": value}}
        for record in document["hosts"]:
            record["host"] = "%s-%s" % (name, record["host"])
            record.setdefault("summary", {})["requirements"] = name
    paths = [slice_of(tmp_path, "a.json", first), slice_of(tmp_path, "b.json", second)]
    hosts, verdicts, _views, title, _sets, requirements = merge_slices(paths, str(tmp_path))
    assert requirements == {"aaaa": {"min_guest_cpu_level": "x86-64-v2"}, "bbbb": {"min_guest_cpu_level": "x86-64-v3"}}
    fleet = build_fleet(hosts, verdicts, "2026-12-04T00:00:00Z", title, requirement_sets=dict(requirements, cccc={}))
    assert sorted(fleet["requirement_sets"]) == ["aaaa", "bbbb"]


def test_a_slice_that_is_not_utf8_throughout_is_still_read_with_the_bad_bytes_replaced(tmp_path):
    document = good_slice()
    document["title"] = "TITLE"
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(document).encode("utf-8").replace(b"TITLE", b"caf\xe9"))
    hosts, _verdicts, _views, title, _sets, _requirements = merge_slices([str(path)], str(tmp_path))
    assert title == u"caf\ufffd" and len(hosts) == len(good_slice()["hosts"])


def written(tmp_path):
    """The fleet.json that the writer lays out (a host per line, its checks last), of the mixed fleet."""
    write_reports(str(tmp_path), mixed_fleet(), ["json"])
    return str(tmp_path / "fleet.json")


def without_checks(document):
    found = copy.deepcopy(document)
    for record in found["hosts"]:
        record.pop("checks", None)
    return found


def test_a_previous_report_is_read_without_its_checks_and_equals_the_whole_read_otherwise(tmp_path, monkeypatch):
    path = written(tmp_path)
    whole = read_slice(path)
    assert any(record["checks"] for record in whole["hosts"])
    parsed = []
    loads = merge._loads
    monkeypatch.setattr(merge, "_loads", lambda data: parsed.append(data) or loads(data))
    fast = read_without_checks(path)
    assert parsed and not any(b'"checks"' in data for data in parsed)  # no check was parsed: the writer's layout
    assert fast == without_checks(whole) and not any("checks" in record for record in fast["hosts"])


def test_a_checks_key_nested_before_a_records_own_is_parsed_whole(tmp_path):
    """A summary holding a "checks" key (host data): the cut there leaves a brace open, and the record is parsed
    whole, its summary intact."""
    path = written(tmp_path)
    raw = open(path, "rb").read()
    first = raw.index(b'"summary": {', raw.index(b'\n "hosts": [')) + len(b'"summary": {')
    raw = raw[:first] + b'"nested": {"x": 1, "checks": [1, 2]}, ' + raw[first:]
    open(path, "wb").write(raw)
    fast = read_without_checks(path)
    nested = [r for r in fast["hosts"] if r["summary"].get("nested", {}).get("checks") == [1, 2]]
    assert len(nested) == 1 and isinstance(nested[0]["checks"], list)
    assert without_checks(fast) == without_checks(read_slice(path))


@pytest.mark.parametrize("layout", ["sorted keys, a host per line", "indented", "one line"])
def test_a_report_laid_out_otherwise_is_read_whole(tmp_path, layout):
    document = read_slice(written(tmp_path))
    path = tmp_path / "other.json"
    if layout == "indented":
        path.write_text(json.dumps(document, indent=2))
    elif layout == "one line":
        path.write_text(json.dumps(document))
    else:  # as earlier versions wrote it: checks in the sorted order, second
        path.write_text("{\n" + "".join(' %s: %s,\n' % (json.dumps(k), json.dumps(document[k], sort_keys=True))
                                        for k in sorted(document) if k != "hosts") + ' "hosts": [' +
                        ",".join("\n  " + json.dumps(r, sort_keys=True) for r in document["hosts"]) + "\n ]\n}\n")
    fast = read_without_checks(str(path))
    assert fast["hosts"] == document["hosts"] or without_checks(fast) == without_checks(document)
    assert [r["host"] for r in fast["hosts"]] == [r["host"] for r in document["hosts"]]


def test_a_previous_report_cut_short_or_not_utf8_is_named_or_read_with_the_bad_bytes_replaced(tmp_path):
    path = written(tmp_path)
    raw = open(path, "rb").read()
    open(path, "wb").write(raw[:len(raw) // 2])
    with pytest.raises(SliceError, match="is not JSON"):
        read_without_checks(path)
    open(path, "wb").write(raw.replace(b'"status": "pass"', b'"status": "pass", "note": "caf\xe9"', 1))
    fast = read_without_checks(path)
    assert [r.get("note") for r in fast["hosts"] if "note" in r] == [u"caf\ufffd"]


def test_a_file_nested_deeper_than_the_parser_goes_is_named_not_raised(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text('{"schema": "x", "hosts": [' + '{"a": ' * 5000 + '1' + '}' * 5000 + ']}')
    for read in (merge.read_slice, merge.read_without_checks):
        with pytest.raises(merge.SliceError, match="is not JSON: it is nested deeper than this Python can parse"):
            read(str(path))


@pytest.mark.parametrize("count", [0, 1, 2])
def test_the_writers_file_of_no_one_or_two_hosts_reads_as_the_whole_read_without_checks(tmp_path, count):
    fleet = mixed_fleet()
    fleet["hosts"] = fleet["hosts"][:count]
    write_reports(str(tmp_path), fleet, ["json"])
    path = str(tmp_path / "fleet.json")
    fast = read_without_checks(path)
    assert [r["host"] for r in fast["hosts"]] == [r["host"] for r in fleet["hosts"]]
    assert fast == without_checks(read_slice(path))
