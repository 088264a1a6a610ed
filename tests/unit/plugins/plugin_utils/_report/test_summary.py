# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's closing summary: root causes first, every list capped, nothing a terminal would obey."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.summary import MAX_CAUSES, render_summary

PATHS = {"json": "/r/fleet.json", "markdown": "/r/fleet.md"}


def denied(host, cause="/dev/kvm: EACCES; add nova to group kvm"):
    return host_verdict(host, [check("usable", True, False, False, cause, code="device.eacces", subject="/dev/kvm")],
                        {"guest_cpu_level": "x86-64-v2"})


def test_the_summary_counts_names_the_root_causes_and_says_where_the_reports_are():
    fleet = build_fleet(["a", "b"], {"a": denied("a"), "b": host_verdict("b", [], {"guest_cpu_level": "x86-64-v2"})},
                        "2026-12-04T00:00:00Z")
    lines = render_summary(fleet, PATHS)
    assert lines[0] == "KVM fleet audit: 2 hosts: 1 pass, 1 fail, 0 unreachable, 0 without facts"
    assert lines[2] == u"  \u2717 1 host [device.eacces] /dev/kvm: EACCES; add nova to group kvm" and lines[3] == "      on: a"
    assert "Guest CPU level: x86-64-v2 on a, b" in lines
    assert lines[-2] == "Reports: /r/fleet.json, /r/fleet.md"


def test_every_list_is_capped_and_control_bytes_are_replaced():
    hosts = ["h%02d" % i for i in range(30)]
    fleet = build_fleet(hosts, dict((h, denied(h, "cause %d \x1b[2J" % (i % 15))) for i, h in enumerate(hosts)),
                        "2026-12-04T00:00:00Z")
    lines = render_summary(fleet, PATHS, written=False)
    assert sum(1 for line in lines if line.startswith(u"  \u2717")) == MAX_CAUSES
    assert "  and 5 more causes (see the reports)" in lines
    assert not [line for line in lines if "\x1b" in line]
    assert lines[-2].startswith("No report was written (check mode)")


def test_the_summary_names_the_cpu_model_to_start_guests_with():
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
    passing = dict((h, host_verdict(h, [], {"guest_cpu_level": "x86-64-v2"})) for h in ("a", "b", "c"))
    together = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["Nehalem", "Westmere"]},
                            "b": {"features": ["fpu"], "runnable_models": ["Nehalem"]}})
    lines = render_summary(build_fleet(["a", "b"], passing, "now", guest_cpu=together), PATHS)
    assert ("Guest CPU model for every host with KVM (2 hosts): Nehalem (-cpu Nehalem,enforce; libvirt, Nova and "
            "KubeVirt in fleet.md)") in lines
    assert not [line for line in lines if "64-bit guests" in line]  # Nehalem is a 64-bit model (no lm offered)
    no_pni = fleet_pools({"a": {"features": ["fpu", "lm"], "runnable_models": ["pentium3"]}})
    lines = render_summary(build_fleet(["a"], passing, "now", guest_cpu=no_pni), PATHS)
    index = lines.index("Guest CPU model for every host with KVM (1 host): pentium3 (-cpu pentium3,enforce; libvirt, "
                        "Nova and KubeVirt in fleet.md)")
    assert lines[index + 1].startswith("  64-bit guests: no 64-bit model runs on every host: the nearest, ")
    apart = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["Westmere"]},
                         "c": {"features": ["fpu", "pni"], "runnable_models": ["Nehalem"]}})
    lines = render_summary(build_fleet(["a", "c"], passing, "now", guest_cpu=apart), PATHS)
    assert ("Guest CPU model per migration pool (no model runs on every host): Nehalem on c; Westmere on a"
            in lines)
    assert not [line for line in render_summary(build_fleet(["a"], passing, "now"), PATHS) if "CPU model" in line]


def test_the_cpu_model_for_every_host_counts_only_hosts_with_kvm_and_names_the_others():
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
    verdicts = dict((h, host_verdict(h, [], {"guest_cpu_level": "x86-64-v2"})) for h in ("a", "b", "nodev"))
    view = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["Nehalem"]},
                        "b": {"features": ["fpu"], "runnable_models": ["Nehalem"]}},
                       excluded={"nodev": "KVM is not usable"})
    lines = render_summary(build_fleet(["a", "b", "nodev"], verdicts, "now", guest_cpu=view), PATHS)
    index = [i for i, line in enumerate(lines) if line.startswith("Guest CPU model for every host with KVM")][0]
    assert lines[index].startswith("Guest CPU model for every host with KVM (2 hosts): Nehalem")
    assert lines[index + 1] == "  no guest CPU on nodev"
