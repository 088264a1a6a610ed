# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.html: values stored once, 100,000 hosts in a few megabytes, nothing injected."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import build_view
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import DENIED, NOW, big_fleet, embedded, verdict


# -------------------------------------------------------------- fleet.md ----

def test_html_stores_repeated_values_once():
    fleet = big_fleet()
    view = build_view(fleet)
    assert len(view["hosts"]) == 3000 and view["counts"] == fleet["counts"]
    assert sorted(v for v in view["columns"]["kernel"] if v) == ["5.10.0", "6.1.0"]
    # the denied hosts share their checks except for the host name in the message
    assert len(view["checksets"]) < 1100
    first = view["hosts"][0]
    assert (first[0], view["statuses"][first[1]]) == ("kvm00000.example.net", "fail")
    denied = [view["checks"][i] for i in view["checksets"][first[9]] if not view["checks"][i][1]][0]
    assert view["groups"][denied[5]]["cause"] == DENIED % "{host}" and view["groups"][denied[5]]["count"] == 990
    assert view["hosts"][-1][1] == view["statuses"].index("pass"), "failing hosts come first"
    old = [h for h in view["hosts"] if h[0] == "kvm00001.example.net"][0]
    assert old[10] == 1, "drift bit 1: the kernel"


def test_html_of_100000_hosts_is_a_few_megabytes_not_a_hundred():
    page = render_html(big_fleet(20000))
    assert len(page) < 2500000  # 20,000 hosts; the page once grew by 1.3 kB a host


def test_html_cannot_be_injected_through_names_titles_or_messages():
    name = u'<img src=x onerror="alert(1)">\u2028'
    evil = verdict(name, extra=[check("</script><script>alert(2)</script>", 1, ["<b>"], False,
                                      "<!--<script>alert(3)</script>")])
    fleet = build_fleet([name], {name: evil}, NOW, title="</title><script>alert(4)</script>")
    page = render_html(fleet)
    assert page.count("</script>") == 2 and page.count("<script") == 2
    assert "<img" not in page and "<!--" not in page and "<b>" not in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;</title>" in page
    data = embedded(page)
    assert data["hosts"][0][0] == name
    assert data["requirements"][-1] == "</script><script>alert(2)</script>"
    assert ".innerHTML" not in page.replace('d.innerHTML = "<svg></svg>"', ""), "all text goes through textContent"


def test_html_keeps_unhashable_and_malformed_values():
    odd = verdict("odd", extra=[check("allowed_backends", ["kvm_amd"], {"backend": None}, False, "no")])
    odd["summary"] = {"kernel": ["a"], "parameters": {"kvm": "not a mapping"}, "profiles_met": "qemu"}
    data = embedded(render_html(build_fleet(["odd"], {"odd": odd}, NOW)))
    failed = [data["checks"][i] for i in data["checksets"][data["hosts"][0][9]] if not data["checks"][i][1]]
    assert [c[2:5] for c in failed] == [[["kvm_amd"], {"backend": None}, "no"]]
    assert data["columns"]["kernel"][data["hosts"][0][3]] == '["a"]' and data["columns"]["params"] == [None]


# --------------------------------------------------------- json and junit ----
