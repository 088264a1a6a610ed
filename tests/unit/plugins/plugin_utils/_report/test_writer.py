# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports: every format from the same fleet, malformed input never loses a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer as kvm_reports
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.json_report import render_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import render_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import NOW
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import verdict


def test_json_is_versioned_and_round_trips(fleet):
    data = json.loads(render_json(fleet))
    assert (data["schema"], data["schema_version"]) == ("fleetcheck.kvm/fleet", 1)
    assert data == json.loads(json.dumps(fleet))


def test_junit_has_a_testcase_per_host_and_requirement(fleet):
    root = ET.fromstring(render_junit(fleet).encode("utf-8"))
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert set(suites) == set(["good", "small", "gone", "blank", "old", u"kvm-\ufffd"])
    small = [c for c in suites["small"].findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in small] == ["KVM_CAP_NR_VCPUS"]
    assert small[0].find("failure").get("message").startswith("KVM_CAP_NR_VCPUS is 4, the fleet needs at least 64")
    assert suites["gone"].find("testcase/error").get("message") == "host unreachable: Failed to connect to the host via ssh"
    assert root.get("failures") == "1" and root.get("errors") == "3"


def test_markdown_puts_failing_hosts_first_with_reasons(fleet):
    text = render_markdown(fleet)
    assert "| 6 | 2 | 1 | 1 | 2 |" in text
    need = text.index("## Hosts that need action")
    assert need < text.index("| small | fail | KVM_CAP_NR_VCPUS is 4") < text.index("| gone | unreachable |")
    assert text.rstrip().endswith(u"good, kvm-\ufffd")


def test_html_is_self_contained_and_carries_the_data(fleet):
    page = render_html(fleet)
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    start = page.index('id="fleet-data">') + len('id="fleet-data">')
    data = json.loads(page[start:page.index("</script>", start)].replace("<\\/", "</"))
    assert data["counts"] == fleet["counts"]


def test_html_cannot_be_broken_out_of_by_a_message():
    evil = unreachable_verdict("h", "</script><script>alert(1)</script>")
    page = render_html(build_fleet(["h"], {"h": evil}, NOW))
    assert page.count("</script>") == 2  # the data block's and the code's own


def reports_in(directory):
    """The report files a reader sees, and the sets behind them."""
    names = sorted(n for n in os.listdir(directory) if not n.startswith(".") and n != "latest")
    return names, sorted(os.listdir(os.path.join(directory, ".sets")))


def test_reports_are_published_as_one_set_through_one_link(tmp_path, fleet):
    out = str(tmp_path / "out")
    paths = kvm_reports.write_reports(out, fleet)
    names, sets = reports_in(out)
    assert names == ["fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml"] and len(sets) == 1
    assert os.readlink(os.path.join(out, "latest")) == os.path.join(".sets", sets[0])
    assert all(os.readlink(path) == os.path.join("latest", os.path.basename(path)) for path in paths.values())
    assert json.load(open(paths["json"]))["counts"]["total"] == 6


def test_the_set_before_the_latest_is_kept_and_older_ones_go(tmp_path, fleet, monkeypatch):
    out = str(tmp_path / "out")
    stamps = iter(["20260101T000000", "20260102T000000", "20260103T000000"])
    monkeypatch.setattr(kvm_reports.time, "strftime", lambda fmt, when: next(stamps))
    for _run in range(3):
        kvm_reports.write_reports(out, fleet, ["json"])
    sets = reports_in(out)[1]
    assert [s.split("-")[0] for s in sets] == ["20260102T000000", "20260103T000000"]
    assert os.readlink(os.path.join(out, "latest")).startswith(os.path.join(".sets", "20260103T000000"))


def test_a_failed_write_leaves_no_partial_file(tmp_path, fleet, monkeypatch):
    def broken(fleet):
        raise RuntimeError("disk full")
    monkeypatch.setitem(kvm_reports.RENDERERS, "markdown", broken)
    with pytest.raises(RuntimeError):
        kvm_reports.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    assert reports_in(str(tmp_path)) == ([], []), "no set is published, and no unfinished one stays"


def test_a_failed_set_leaves_the_old_one_in_place(tmp_path, fleet, monkeypatch):
    old = kvm_reports.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    before = open(old["markdown"]).read()
    monkeypatch.setitem(kvm_reports.RENDERERS, "markdown", lambda fleet: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        kvm_reports.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    assert open(old["markdown"]).read() == before and len(reports_in(str(tmp_path))[1]) == 1


INTERRUPTED = r'''
import os, signal, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tools"))
from checkout import importable
importable()
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
# A process started in the background by a shell without job control inherits SIGINT ignored, and Python
# then installs no handler; restore the one a foreground process has, whose Ctrl-C this stands for.
signal.signal(signal.SIGINT, signal.default_int_handler)
fleet = build_fleet([sys.argv[3] + "-a", sys.argv[3] + "-b"], {}, "2026-12-04T00:00:00Z", sys.argv[3])  # the title in every file
original = dict(writer.RENDERERS)
def interrupting(fmt):
    def render(document):
        os.kill(os.getpid(), int(sys.argv[4]))  # the signal lands while this file is being written
        return original[fmt](document)
    return render
if sys.argv[5] != "none":
    writer.RENDERERS[sys.argv[5]] = interrupting(sys.argv[5])
writer.write_reports(sys.argv[2], fleet)
'''


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("fmt", list(kvm_reports.FORMATS))
def test_an_interrupt_at_any_report_leaves_the_old_set_whole_and_nothing_else(tmp_path, number, fmt):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))))
    out = str(tmp_path / "reports")

    def run(title, signal_number, at):
        return subprocess.run([sys.executable, "-c", INTERRUPTED, root, out, title, str(int(signal_number)), at],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).returncode
    assert run("old", 0, "none") == 0
    assert run("new", number, fmt) != 0
    names, sets = reports_in(out)
    assert names == ["fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml"] and len(sets) == 1, (names, sets)
    assert [n for n in os.listdir(out) if n.startswith(".") and n != ".sets"] == []
    for name in names:  # one consistent set: every file is the old run's
        with open(os.path.join(out, name)) as handle:
            text = handle.read()
        assert ("old" in text) and ("new" not in text.replace("news", "")), name


def test_sets_written_within_one_second_keep_their_order(tmp_path, monkeypatch):
    epoch = kvm_reports.time.gmtime(0)
    monkeypatch.setattr(kvm_reports.time, "gmtime", lambda *_: epoch)
    for kernel in ("1", "2", "3", "4"):
        fleet = build_fleet(["kvm1"], {"kvm1": verdict("kvm1", kernel=kernel)}, NOW)
        kvm_reports.write_reports(str(tmp_path), fleet, ["json"])
    with open(str(tmp_path / "fleet.json")) as handle:
        assert json.load(handle)["hosts"][0]["summary"]["kernel"] == "4"
    kept = sorted(n for n in os.listdir(str(tmp_path / ".sets")) if not n.startswith("."))
    assert len(kept) == kvm_reports.KEEP and kept[-1].endswith(".003")
