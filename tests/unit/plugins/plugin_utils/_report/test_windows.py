# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Windows guests section: which hosts start a Windows guest of each VMM's profile, in every report."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import WINDOWS_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check, host_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import windows
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.summary import render_summary
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import NOW

NONE_MISSING = dict((name, []) for name in WINDOWS_PROFILES)
NO_HYPER_V = dict((name, list(p["hyperv"])) for name, p in WINDOWS_PROFILES.items())


def fleet_of(summaries):
    verdicts = dict((host, host_verdict(host, [check("usable", True, True, True, None)], {"usable": True, "windows": w}))
                    for host, w in summaries.items())
    return build_fleet(list(summaries), verdicts, NOW)


def test_each_profile_counts_the_hosts_that_can_and_groups_those_that_cannot_by_what_they_lack():
    hosts = dict(("ok%d" % n, NONE_MISSING) for n in range(2))
    hosts.update(("pvm%d" % n, NO_HYPER_V) for n in range(7))
    hosts["old"] = None  # facts without hyperv
    view = windows.windows_view(fleet_of(hosts))
    nova = view["windows_nova"]
    assert (nova["can"], nova["unknown"]) == (2, 1)
    assert nova["cannot"] == {", ".join(WINDOWS_PROFILES["windows_nova"]["hyperv"]): ["pvm%d" % n for n in range(7)]}
    lines = "\n".join(windows.markdown_section(fleet_of(hosts)))
    assert "| `windows_nova` | 2 | 7 lack hv-relaxed, hv-vapic" in lines and "pvm4 and 2 more | 1 |" in lines


def test_without_any_hyperv_facts_there_is_no_section():
    fleet = fleet_of({"a": None})
    assert windows.windows_view(fleet) == {} and windows.markdown_section(fleet) == []
    assert windows.html_section(fleet) == "" and "Windows guests" not in "\n".join(render_summary(fleet, {}))


def test_host_names_and_what_they_lack_are_escaped_for_each_format():
    fleet = fleet_of({"<b>|x": dict(NONE_MISSING, windows=["hv-<i>"])})
    assert "&lt;b&gt;" in windows.html_section(fleet) and "<b>|x" not in windows.html_section(fleet)
    section = "\n".join(windows.markdown_section(fleet))
    assert "lack hv-\\<i\\>: \\<b\\>\\|x" in section and "<b>" not in section
    assert '<section id="windows">' in render_html(fleet)


def test_the_console_says_where_no_host_gives_even_the_common_set():
    [line] = [l for l in render_summary(fleet_of({"a": NO_HYPER_V, "b": NO_HYPER_V}), {}) if "Windows" in l]
    assert "windows_nova on 0 of 2" in line and "no host gives even the common set (lacking hv-relaxed" in line


def test_the_audit_says_why_a_windows_guest_of_nova_cannot_start_on_a_kvm_without_hyper_v():
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
    from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._judge.test_checks_hyperv import like_kvm_pvm
    verdict = evaluate(gather(["all"], kernel=like_kvm_pvm()), check_requirements({}, BUILTIN_PROFILES), BUILTIN_PROFILES,
                       host="pvm")
    fleet = build_fleet(["pvm"], {"pvm": verdict}, NOW)
    [line] = [l for l in render_summary(fleet, {}) if "Windows" in l]
    assert "windows_nova on 0 of 1" in line and "hv-vapic: KVM_SET_MSRS refused HV_X64_MSR_APIC_ASSIST_PAGE" in line
    assert "this kernel's KVM emulates no Hyper-V" in line
    section = "\n".join(windows.markdown_section(fleet))
    assert section.count("(reason 1)") == len(WINDOWS_PROFILES) and "\n1. hv-vapic: KVM_SET_MSRS refused" in section
    assert "<li>hv-vapic: KVM_SET_MSRS refused" in windows.html_section(fleet)
