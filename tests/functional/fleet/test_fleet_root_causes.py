# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Root causes on a real mixed fleet, as a new user runs it: podman containers with /dev/kvm, without it, one
where nova may not open it, one denied by the device cgroup, and one unreachable host, audited with

    ansible-playbook fleetcheck.kvm.audit -e '{"kvm_validate_profiles": ["firecracker"],
                                               "kvm_validate_device_users": ["nova"]}'

Asserted as a person sees it: the recap's failed= per host, the root causes in fleet.md (their count and
order, no cascade), one JUnit failure per root cause, every root cause on fleet.html's first screen, and
drift that never names a host for a fact that was not gathered there."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import chromium_dom
from ansible_collections.fleetcheck.kvm.tests.functional.fleet.containers import GHOST_VARS, inventory_lines, remove, start

GHOST = "fc-rc-ghost"
KVM_GROUP = ["groupadd -r kvm", "chgrp kvm /dev/kvm", "chmod 0660 /dev/kvm"]
HOSTS = {  # name -> (podman run options, commands run in the container before the audit)
    "fc-rc-kvm": (["--privileged", "--device", "/dev/kvm"], KVM_GROUP + ["useradd -m -G kvm nova"]),
    "fc-rc-nodev": (["--privileged", "--device", "/dev/kvm"], ["useradd -m nova", "rm -f /dev/kvm"]),
    "fc-rc-nova": (["--privileged", "--device", "/dev/kvm"], KVM_GROUP + ["useradd -m nova"]),
    # not privileged and no --device: the node made inside is refused by the device cgroup (EPERM)
    "fc-rc-cgroup": ([], ["mknod /dev/kvm c 10 232"] + KVM_GROUP + ["useradd -m -G kvm nova"]),
}
# host -> the codes of its root causes that say why KVM or nova cannot work there (capabilities the real
# kernel lacks for Firecracker come on top, on the hosts whose /dev/kvm answered)
EXPECTED = {
    "fc-rc-kvm": [],
    "fc-rc-nodev": ["device.missing.module_loaded"],
    "fc-rc-nova": ["device.user_denied"],
    # and, without --device, no /dev/net/tun for Firecracker's tap devices
    "fc-rc-cgroup": ["device.eperm", "device.user_denied", "vmm_device.unusable"],
    GHOST: ["host.unreachable"],
}
NEVER = ("api.too_old", "vcpu_run.not_ok", "facts.not_gathered", "usable")  # codes of cascades and unknown causes
EXTRA_VARS = '{"kvm_validate_profiles": ["firecracker"], "kvm_validate_device_users": ["nova"]}'


@pytest.fixture(scope="module")
def audited(tmp_path_factory, kvm_device, ansible_bin):
    start(HOSTS, kvm_device)
    work = tmp_path_factory.mktemp("root-causes")
    inventory = work / "hosts.ini"
    inventory.write_text(u"\n".join(inventory_lines(HOSTS) + ["%s %s" % (GHOST, GHOST_VARS), ""]))
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1")
    process = subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "fleetcheck.kvm.audit", "-i", str(inventory),
                              "-e", "kvm_audit_report_dir=%s" % (work / "reports"), "-e", EXTRA_VARS],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             check=False)
    with open(str(work / "reports" / "fleet.json")) as handle:
        fleet = json.load(handle)
    yield work, process.returncode, process.stdout, fleet
    remove(HOSTS)


def records(fleet):
    return dict((r["host"], r) for r in fleet["hosts"])


def expected_codes(record):
    """The codes the fleet's definition fixes, plus the capabilities this real kernel lacks for Firecracker."""
    caps = sorted(c["code"] for c in record["root_causes"] if c["code"] in ("cap.missing", "cap.too_low"))
    return sorted(EXPECTED[record["host"]] + caps)


def test_each_host_has_exactly_its_root_causes_and_no_cascade(audited):
    fleet = audited[3]
    for host, record in records(fleet).items():
        codes = [c["code"] for c in record["root_causes"]]
        assert sorted(codes) == expected_codes(record), (host, record["root_causes"])
        assert not set(codes) & set(NEVER), (host, codes)
        assert record["failures"] == [c["message"] for c in record["root_causes"] if c["severity"] == "fail"]
    blocked = records(fleet)["fc-rc-nodev"]
    assert blocked["blocked"] > 0 and all(c["blocks"] for c in blocked["root_causes"])
    for host in ("fc-rc-nodev", "fc-rc-cgroup"):  # /dev/kvm never answered: no capability can be said missing
        assert not [c for c in records(fleet)[host]["root_causes"] if c["code"].startswith("cap.")], host


def test_every_remedy_is_the_one_that_fixes_that_host(audited):
    fleet = records(audited[3])
    nodev = fleet["fc-rc-nodev"]["root_causes"][0]
    # privileged: the device cgroup allows every node, so one made inside opens as on a host
    assert nodev["remedy"].startswith("create it (mknod /dev/kvm c 10 232)") or "mknod inside works only where" \
        in nodev["remedy"], nodev
    assert "--device /dev/kvm" in nodev["remedy"] and "does not exist although" in nodev["message"]
    eperm = [c for c in fleet["fc-rc-cgroup"]["root_causes"] if c["code"] == "device.eperm"][0]
    assert "device cgroup" in eperm["remedy"] and "c 10:232 rw" in eperm["remedy"]
    nova = [c for c in fleet["fc-rc-nova"]["root_causes"] if c["code"] == "device.user_denied"][0]
    assert nova["subject"] == "nova" and nova["remedy"].startswith("add nova to group kvm")


def test_the_recap_fails_exactly_the_hosts_that_need_action(audited):
    rc, output, fleet = audited[1], audited[2], audited[3]
    recap = dict(re.findall(r"^(fc-rc-[a-z]+)\s+:\s+(.*)$", output.split("PLAY RECAP", 1)[1], re.M))
    assert sorted(recap) == sorted(EXPECTED), output
    for host, record in records(fleet).items():
        counts = dict(re.findall(r"(\w+)=(\d+)", recap[host]))
        failing, unreachable = record["status"] in ("fail", "no_facts"), record["status"] == "unreachable"
        assert (counts["failed"], counts["unreachable"]) == (str(int(failing)), str(int(unreachable))), (host, recap[host])
    assert rc != 0, "a failing host fails the run"


def test_fleet_md_leads_with_the_root_causes_most_hosts_first(audited):
    text = (audited[0] / "reports" / "fleet.md").read_text()
    section = text.split("## Root causes", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("- **")]
    groups = audited[3]["groups"]
    assert len(lines) == len(groups) > 0
    counts = [int(re.match(r"- \*\*(\d+) host", line).group(1)) for line in lines]
    assert counts == sorted(counts, reverse=True)
    codes = set(re.search(r"`([^`]+)`", line).group(1) for line in lines)
    assert set(c for host in EXPECTED.values() for c in host) <= codes and not codes & set(NEVER)
    assert "&lt;" not in text


def test_junit_has_one_failure_per_root_cause(audited):
    root = ET.parse(str(audited[0] / "reports" / "junit.xml")).getroot()
    fleet = records(audited[3])
    total = 0
    for suite in root.findall("testsuite"):
        found = len(suite.findall("testcase/failure")) + len(suite.findall("testcase/error"))
        assert found == len(fleet[suite.get("name")]["root_causes"]), suite.get("name")
        total += found
    assert int(root.get("failures")) + int(root.get("errors")) == total
    assert int(root.get("skipped")) == sum(r["blocked"] for r in fleet.values())


def test_fleet_html_shows_every_root_cause_on_the_first_screen(audited):
    dom = chromium_dom(audited[0] / "reports" / "fleet.html", audited[0] / "chrome", "--window-size=1280,800")
    layout = json.loads(html.unescape(re.search(r'<body data-layout="([^"]+)"', dom).group(1)))
    assert len(layout["causes"]) == len(audited[3]["groups"]) > 0
    for cause in layout["causes"]:
        assert cause[3] <= layout["viewport"][1], (cause, layout["viewport"])
    shown = re.findall(r'<li data-group="\d+"[^>]*>.*?<code>([^<]*)</code>', dom)
    assert [code.strip() for code in shown] == [g["code"] for g in audited[3]["groups"]]


def test_drift_never_names_a_host_for_a_fact_not_gathered_there(audited):
    fleet = audited[3]
    drift = fleet["drift"]
    named = dict((entry["host"], entry["differs"]) for entry in drift["hosts"])
    for host in ("fc-rc-nodev", "fc-rc-cgroup"):  # no capability set was asked of these
        assert "caps" not in named.get(host, {}), named
        assert records(fleet)[host]["summary"]["caps"] is None
    assert drift["left_out"]["caps"] == 2
    assert "fc-rc-kvm" not in named or "caps" not in named["fc-rc-kvm"], "the one working host is not the odd one"


def test_the_summary_names_the_root_causes_and_where_the_reports_are(audited):
    output = audited[2]
    assert "Root causes, the most hosts first" in output and "device.eperm" in output
    assert "Reports: " in output and str(audited[0] / "reports" / "fleet.json") in output
