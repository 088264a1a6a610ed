# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fleet.html as a person sees it in headless Chromium: the counts, a reason in the host table,
the causes with their counts, the charts, and headers that never overlap the controls.

The page is rendered from a synthetic fleet with long requirement names; Chromium runs the page's
script (--dump-dom after it ran) and takes a screenshot, which is decoded here with zlib alone."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import json
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    check, host_verdict, unreachable_verdict)
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

WINDOW = (1280, 900)
HOSTS = 350
LONG = ["profile firecracker: KVM_CAP_IOEVENTFD", "profile cloud-hypervisor-with-a-long-name: KVM_CAP_SPLIT_IRQCHIP",
        "device_users: a-service-account-with-a-very-long-name"]
DENIED = "/dev/kvm: EACCES (Permission denied) for nova on %s; node is crw-rw---- root:kvm; add nova to group kvm"


def expected():
    """The counts by the same rules as synthetic_fleet, counted independently of the report code."""
    reachable = [i for i in range(HOSTS) if i % 50 != 49]
    denied = [i for i in reachable if i % 4 == 0]
    lacking = [i for i in reachable if i % 7 == 3]
    failing = set(denied) | set(lacking)
    return {"total": HOSTS, "fail": len(failing), "unreachable": HOSTS - len(reachable), "no_facts": 0,
            "pass": len(reachable) - len(failing), "denied": len(denied), "lacking": len(lacking),
            "old_kernel": len([i for i in reachable if i % 25 == 2])}


EXPECTED = expected()


def synthetic_fleet():
    """Every 4th host denied, every 7th lacks IOEVENTFD, every 50th unreachable (see EXPECTED)."""
    names = ["node%03d.dc1.example.org" % i for i in range(HOSTS)]
    verdicts = {}
    for i, host in enumerate(names):
        if i % 50 == 49:
            verdicts[host] = unreachable_verdict(host, "ssh: connect to host 10.9.0.%d port 22: No route to host" % i)
            continue
        checks = [check("usable", True, True, True, None),
                  check(LONG[0], ">= 1", 0 if i % 7 == 3 else 1, i % 7 != 3,
                        "KVM_CAP_IOEVENTFD missing (Firecracker needs it): this KVM cannot signal guest I/O"),
                  check(LONG[1], ">= 1", 1, True, None),
                  check(LONG[2], True, i % 4 != 0, i % 4 != 0, DENIED % host)]
        verdicts[host] = host_verdict(host, checks, {"usable": True, "backend": "kvm_intel", "arch": "x86_64",
                                                     "kernel": "5.10.0-33-amd64" if i % 25 == 2 else "6.1.0-28-amd64",
                                                     "guest_cpu_level": "x86-64-v2", "guest_cpu_pool": "5a1f0c0ffee1"})
    return build_fleet(names, verdicts, "2026-11-24T00:00:00Z", "Fleet <b>audit</b>")


def chromium_run(chromium, profile, *args):
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           "--user-data-dir=%s" % profile, "--window-size=%d,%d" % WINDOW, "--hide-scrollbars"]
                          + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          timeout=120, check=True).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    chromium = shutil.which("chromium")
    if not chromium:
        missing("chromium is not installed (tools/test-all.sh installs it)")
    work = tmp_path_factory.mktemp("fleet-html")
    fleet = synthetic_fleet()
    page = writer.write_reports(str(work), fleet, ["html"])["html"]
    dom = chromium_run(chromium, str(work / "profile"), "--virtual-time-budget=5000", "--dump-dom", "file://" + page)
    chromium_run(chromium, str(work / "profile"), "--screenshot=%s" % (work / "shot.png"), "file://" + page)
    with open(page) as handle:  # the same page, with a script that clicks what a person would click
        (work / "clicked.html").write_text(handle.read().replace("</body>", CLICKS + "</body>"))
    clicked = chromium_run(chromium, str(work / "profile"), "--virtual-time-budget=5000", "--dump-dom",
                           "file://%s" % (work / "clicked.html"))
    return fleet, dom, (work / "shot.png").read_bytes(), clicked


CLICKS = """<script>
(function () {
  var out = {};
  function $(id) { return document.getElementById(id); }
  function rows() {
    return Array.prototype.map.call(document.querySelectorAll("#matrix tbody tr"), function (r) {
      return [r.getAttribute("data-host"), r.getAttribute("data-status")]; });
  }
  function choose(id, value) { $(id).value = value; $(id).dispatchEvent(new Event("change")); }
  choose("f-status", "1"); out.unreachable = rows(); $("reset").click();
  document.querySelector("#groups li button").click(); out.group = [$("page").textContent, rows()]; $("reset").click();
  choose("f-drift", "kernel"); out.drift = rows(); $("reset").click();
  var byHost = document.querySelector('#matrix th[data-sort="0"]'); byHost.click(); byHost.click();
  out.descending = rows()[0]; $("reset").click();
  $("text").value = "node010."; $("text").dispatchEvent(new Event("input")); out.text = rows();
  document.querySelector("#matrix tbody tr button").click(); out.detail = $("detail").textContent;
  document.body.setAttribute("data-clicked", JSON.stringify(out));
}());
</script>"""


def text_of(dom, element_id):
    match = re.search(r'<[a-z]+ id="%s"[^>]*>(.*?)</' % re.escape(element_id), dom, re.S)
    assert match, "no element #%s in the rendered page" % element_id
    return html.unescape(match.group(1))


def test_the_counts_are_on_the_page(rendered):
    fleet, dom = rendered[0], rendered[1]
    assert fleet["counts"] == dict((k, EXPECTED[k]) for k in ("total", "fail", "unreachable", "no_facts", "pass"))
    for status, count in fleet["counts"].items():
        assert text_of(dom, "count-" + status) == "%s: %d" % (status.replace("_", " "), count)


def test_the_reason_is_in_the_host_table_and_only_one_page_is_rendered(rendered):
    dom = rendered[1]
    rows = re.findall(r'<tr data-host="([^"]+)" data-status="([a-z_]+)">(.*?)</tr>', dom, re.S)
    assert len(rows) == 100, "a page of rows, not every host"
    host, status, cells = rows[0]
    assert (host, status) == ("node000.dc1.example.org", "fail")
    reason = html.unescape(re.search(r'<td class="reason"[^>]*>(.*?)</td>', cells).group(1))
    assert reason == DENIED % host
    assert text_of(dom, "page").strip() == "page 1 of 4 (350 hosts)"


def test_hosts_are_grouped_by_cause_with_counts(rendered):
    dom = rendered[1]
    groups = re.findall(r'<li data-group="\d+"[^>]*><b>(\d+) hosts?:</b><code>([^<]*)</code><button[^>]*>(.*?)</button>',
                        dom)
    assert [(int(n), code.strip(), html.unescape(cause)) for n, code, cause in groups] == [
        (EXPECTED["denied"], "device_users", DENIED % "{host}"),
        (EXPECTED["lacking"], "profile firecracker",
         "KVM_CAP_IOEVENTFD missing (Firecracker needs it): this KVM cannot signal guest I/O"),
        (EXPECTED["unreachable"], "host.unreachable",
         "host unreachable: ssh: connect to host {address} port 22: No route to host")]
    assert "<title>Fleet &lt;b&gt;audit&lt;/b&gt;</title>" in dom and "<b>audit</b>" not in dom


def test_charts_and_drift_are_drawn(rendered):
    dom = rendered[1]
    charts = re.findall(r'<figure data-chart="([a-z]+)"><figcaption>[^<]*</figcaption><svg[^>]*>(.*?)</svg>', dom, re.S)
    assert [chart[0] for chart in charts] == ["status", "backend", "kernel", "level"]
    assert all("<rect" in chart[1] for chart in charts)
    assert "%d hosts:</b>" % EXPECTED["old_kernel"] in dom and "kernel 5.10.0-33-amd64" in dom
    page = re.sub(r'<script type="application/json".*?</script>', "", dom, flags=re.S)
    assert "<script src" not in page and "http" not in page, "nothing is fetched from the network"


def overlap(a, b):
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_headers_never_overlap_the_controls(rendered):
    dom = rendered[1]
    layout = json.loads(html.unescape(re.search(r'<body data-layout="([^"]+)"', dom).group(1)))
    assert layout["headers"] and len(layout["labels"]) == 5  # every requirement, the unreachable one included
    for header in layout["headers"] + layout["labels"]:
        assert not overlap(header, layout["controls"]), (header, layout["controls"])
        assert not overlap(header, layout["pager"]), (header, layout["pager"])
    assert layout["thead"][1] >= layout["controls"][3]
    for label, header in zip(layout["labels"], layout["headers"][-len(layout["labels"]):]):
        assert header[0] - 0.5 <= label[0] and label[2] <= header[2] + 0.5, "a label stays inside its header"
        assert header[1] - 0.5 <= label[1] and label[3] <= header[3] + 0.5, "a label stays inside its header"
    assert re.search(r'data-rendered-ms="\d+"', dom)


def test_every_root_cause_is_on_the_first_screen(rendered):
    layout = json.loads(html.unescape(re.search(r'<body data-layout="([^"]+)"', rendered[1]).group(1)))
    assert len(layout["causes"]) == 3 and layout["viewport"][0] == WINDOW[0]
    for cause in layout["causes"]:  # the viewport: the window less what the browser itself takes
        assert 0 <= cause[1] and cause[3] <= layout["viewport"][1], (cause, "below the first screen")


def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG, with the five row filters undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        offset += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6), header
    size = 3 if color == 2 else 4
    raw, stride, previous, rows = zlib.decompress(b"".join(idat)), width * size, bytearray(width * size), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(size, stride):
                line[i] = (line[i] + line[i - size]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - size] if i >= size else 0) + previous[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - size] if i >= size else 0
                b, c = previous[i], previous[i - size] if i >= size else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, size)])
        previous = line
    return width, height, rows


def test_the_screenshot_shows_a_colored_report(rendered):
    width, height, rows = png_pixels(rendered[2])
    assert (width, height) == WINDOW
    counts = {}
    for row in rows:
        for pixel in row:
            counts[pixel] = counts.get(pixel, 0) + 1
    assert len(counts) > 50, "text and charts, not a blank page"
    assert counts.get((0xff, 0x99, 0x99), 0) > 500, "failed cells in the table's colour"
    assert counts.get((0xcc, 0xff, 0xcc), 0) > 500, "passed cells in the table's colour"
    assert counts.get((0xff, 0xff, 0xff), 0) < width * height * 0.95


def test_filters_sorting_and_the_detail_view_respond_to_clicks(rendered):
    fleet, clicked = rendered[0], rendered[3]
    out = json.loads(html.unescape(re.search(r'data-clicked="([^"]+)"', clicked).group(1)))
    assert sorted(out["unreachable"]) == sorted([r["host"], "unreachable"] for r in fleet["hosts"]
                                                if r["status"] == "unreachable")
    assert out["group"][0].strip() == "page 1 of 1 (%d hosts)" % EXPECTED["denied"]
    assert all(status == "fail" for _host, status in out["group"][1])
    assert sorted(host for host, _status in out["drift"]) == sorted(h["host"] for h in fleet["drift"]["hosts"])
    assert out["descending"][0] == "node%03d.dc1.example.org" % (HOSTS - 1)
    assert out["text"] == [["node010.dc1.example.org", "fail"]]
    for text in ("node010.dc1.example.org", "kernel 6.1.0-28-amd64", "profile firecracker: KVM_CAP_IOEVENTFD",
                 "KVM_CAP_IOEVENTFD missing (Firecracker needs it)", "device_users: a-service-account"):
        assert text in out["detail"]


def test_warnings_show_apart_from_failures(tmp_path):
    """A warn check that is unmet: an amber cell with a warning sign, a count, the Warnings panel; the host passes."""
    chromium = shutil.which("chromium")
    if not chromium:
        missing("chromium is not installed (tools/test-all.sh installs it)")
    vhost = "/dev/vhost-net (vhost_net) is absent, QEMU needs it: modprobe vhost_net"
    verdicts = {"kvm1": host_verdict("kvm1", [check("usable", True, True, True, None),
                                              check("profile qemu: vhost_net", "usable", "absent", False, vhost,
                                                    "warn")], {"backend": "kvm_intel"}),
                "kvm2": host_verdict("kvm2", [check("usable", True, True, True, None),
                                              check("profile qemu: vhost_net", "usable", "usable", True, None,
                                                    "warn")], {"backend": "kvm_intel"})}
    fleet = build_fleet(["kvm1", "kvm2"], verdicts, "2026-11-25T00:00:00Z")
    page = writer.write_reports(str(tmp_path), fleet, ["html"])["html"]
    dom = chromium_run(chromium, str(tmp_path / "profile"), "--virtual-time-budget=5000", "--dump-dom", "file://" + page)
    assert text_of(dom, "count-pass") == "pass: 2" and text_of(dom, "count-fail") == "fail: 0"
    assert text_of(dom, "count-warn") == u"\u26a0 with warnings: 1"
    assert re.search(r'<td class="warn" data-requirement="profile qemu: vhost_net">\u26a0</td>', dom)
    panel = dom.split('id="warnings"', 1)[1].split("</section>", 1)[0]
    assert u"\u26a0 warn \u2014 1 host:<code> profile qemu </code> " + html.escape(vhost, quote=False) in panel
    assert 'id="groups-none"' in dom and "No host needs action." in dom
