# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.prom: one sample set per host, families whole, label values escaped and bounded.
(promtool itself checks the files in tests/functional/fleet/test_fleet_prometheus.py.)"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import PROMETHEUS_LABEL_MAX
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.prometheus import iter_prometheus
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import NOW, big_fleet

# A sample line: name, optional labels (each value a quoted string with \\, \" and \n escapes), a value.
SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$')
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


UNESCAPE = re.compile(r'\\(["n\\\\])')  # the exposition format's escapes, read in one pass


def parse(text):
    """[(name, {label: value}, value)] of every sample, and the families in the order their TYPE lines come."""
    samples, families = [], []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.append(line.split()[2])
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, line
        labels = dict((k, UNESCAPE.sub(lambda m: {'"': '"', "n": "\n", "\\": "\\"}[m.group(1)], v))
                      for k, v in LABEL.findall(match.group(2) or ""))
        samples.append((match.group(1), labels, float(match.group(3))))
    return samples, families


def test_every_host_has_one_sample_set_and_the_counts_agree():
    fleet = big_fleet(300)
    samples, families = parse("".join(iter_prometheus(fleet)))
    assert len(families) == len(set(families)), "each family is written whole, once"
    names = [s[0] for s in samples]
    assert names == sorted(names, key=families.index), "samples stay under their family"
    hosts = [r["host"] for r in fleet["hosts"]]
    for family in ("fleetcheck_kvm_host_usable", "fleetcheck_kvm_host_info", "fleetcheck_kvm_host_guest_cpu_level"):
        assert [s[1]["host"] for s in samples if s[0] == family] == hosts, family
    status = dict((s[1]["host"], s[1]["status"]) for s in samples if s[0] == "fleetcheck_kvm_host_status" and s[2] == 1)
    assert status == dict((r["host"], r["status"]) for r in fleet["hosts"])
    by_status = dict((s[1]["status"], s[2]) for s in samples if s[0] == "fleetcheck_kvm_hosts")
    assert by_status == {"pass": 198, "fail": 99, "unreachable": 3, "no_facts": 0}
    denied = [s for s in samples if s[0] == "fleetcheck_kvm_host_root_causes"]
    assert len(denied) == 99 + 3 and all(s[2] == 1 for s in denied)
    assert [s[2] for s in samples if s[0] == "fleetcheck_kvm_audit_timestamp_seconds"] == [1795478400]


def test_info_labels_come_from_the_summary_and_levels_are_ranks():
    samples, _families = parse("".join(iter_prometheus(big_fleet(2))))
    info = [s[1] for s in samples if s[0] == "fleetcheck_kvm_host_info"][1]
    assert info == {"host": "kvm00001.example.net", "backend": "kvm_intel", "kernel": "5.10.0", "arch": "",
                    "api_version": "", "pool": "0123456789ab"}
    assert [s[2] for s in samples if s[0] == "fleetcheck_kvm_host_guest_cpu_level"] == [2, 2]


def test_hostile_values_are_escaped_and_bounded_and_unknown_codes_are_other():
    host = u'evil"} 1\nfleetcheck_kvm_hosts{status="pass"} 9\\'
    checks = [check("usable", True, False, False, "refused", code="made.up\"code")]
    summary = {"usable": "yes", "kernel": "6.1" + "x" * 100000, "backend": u"kvm\x1b[2J\ud800",
               "api_version": "12", "guest_cpu_pool": "not a fingerprint", "guest_cpu_level": ["x86-64-v4"]}
    fleet = build_fleet([host], {host: host_verdict(host, checks, summary)}, NOW)
    text = "".join(iter_prometheus(fleet))
    samples, _families = parse(text)
    assert len([s for s in samples if s[0] == "fleetcheck_kvm_hosts"]) == 4, "no sample was injected"
    info = [s[1] for s in samples if s[0] == "fleetcheck_kvm_host_info"][0]
    assert info["host"] == host.replace("\n", "\\n")  # the inventory name, its line break shown escaped
    assert len(info["kernel"]) < PROMETHEUS_LABEL_MAX + 60 and info["kernel"].startswith("6.1xxx")
    assert info["backend"] == u"kvm\ufffd[2J\ufffd" and info["api_version"] == "" and info["pool"] == ""
    assert [s[1]["code"] for s in samples if s[0] == "fleetcheck_kvm_host_root_causes"] == ["other"]
    assert [s[2] for s in samples if s[0] in ("fleetcheck_kvm_host_usable", "fleetcheck_kvm_host_guest_cpu_level")] \
        == [0, 0]


def test_a_generated_at_that_is_not_a_utc_timestamp_leaves_out_the_time_only():
    fleet = build_fleet(["a"], {}, "yesterday")
    samples, families = parse("".join(iter_prometheus(fleet)))
    assert "fleetcheck_kvm_audit_timestamp_seconds" not in families
    assert [s[1]["status"] for s in samples if s[0] == "fleetcheck_kvm_host_status" and s[2] == 1] == ["no_facts"]
