# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports: every format from the same fleet, malformed input never loses a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import rendered
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import unreachable_verdict
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils.mixed_fleet import NOW
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import verdict


def test_json_is_versioned_and_round_trips(fleet):
    data = json.loads(rendered("json", fleet))
    assert (data["schema"], data["schema_version"]) == ("fleetcheck.kvm/fleet", 1)
    assert data == json.loads(json.dumps(fleet))


def test_junit_has_a_testcase_per_host_and_requirement(fleet):
    root = ET.fromstring(rendered("junit", fleet).encode("utf-8"))
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert set(suites) == set(["good", "small", "gone", "blank", "old", u"kvm-\\xff"])
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
    assert text.rstrip().endswith(u"good, kvm-\\\\xff")  # the escaped name, its backslash escaped for Markdown


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
    paths = writer.write_reports(out, fleet)
    names, sets = reports_in(out)
    assert names == ["fleet.html", "fleet.json", "fleet.md", "fleet.prom", "junit.xml"] and len(sets) == 1
    assert os.readlink(os.path.join(out, "latest")) == os.path.join(".sets", sets[0])
    assert all(os.readlink(path) == os.path.join("latest", os.path.basename(path)) for path in paths.values())
    assert json.load(open(paths["json"]))["counts"]["total"] == 6


def test_the_set_before_the_latest_is_kept_and_older_ones_go(tmp_path, fleet, monkeypatch):
    out = str(tmp_path / "out")
    stamps = iter(["20260101T000000", "20260102T000000", "20260103T000000"])
    monkeypatch.setattr(writer.time, "strftime", lambda fmt, when: next(stamps))
    for _run in range(3):
        writer.write_reports(out, fleet, ["json"])
    sets = reports_in(out)[1]
    assert [s.split("-")[0] for s in sets] == ["20260102T000000", "20260103T000000"]
    assert os.readlink(os.path.join(out, "latest")).startswith(os.path.join(".sets", "20260103T000000"))


def test_a_failed_write_leaves_no_partial_file(tmp_path, fleet, monkeypatch):
    def broken(fleet):
        raise RuntimeError("disk full")
    monkeypatch.setitem(writer.RENDERERS, "markdown", broken)
    with pytest.raises(RuntimeError):
        writer.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    assert reports_in(str(tmp_path)) == ([], []), "no set is published, and no unfinished one stays"


def test_a_failed_set_leaves_the_old_one_in_place(tmp_path, fleet, monkeypatch):
    old = writer.write_reports(str(tmp_path), fleet, ["json", "markdown"])
    before = open(old["markdown"]).read()
    monkeypatch.setitem(writer.RENDERERS, "markdown", lambda fleet: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        writer.write_reports(str(tmp_path), fleet, ["json", "markdown"])
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
@pytest.mark.parametrize("fmt", list(writer.FORMATS))
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
    epoch = writer.time.gmtime(0)
    monkeypatch.setattr(writer.time, "gmtime", lambda *_: epoch)
    for kernel in ("1", "2", "3", "4"):
        fleet = build_fleet(["kvm1"], {"kvm1": verdict("kvm1", kernel=kernel)}, NOW)
        writer.write_reports(str(tmp_path), fleet, ["json"])
    with open(str(tmp_path / "fleet.json")) as handle:
        assert json.load(handle)["hosts"][0]["summary"]["kernel"] == "4"
    kept = sorted(n for n in os.listdir(str(tmp_path / ".sets")) if not n.startswith("."))
    assert len(kept) == writer.KEEP and kept[-1].endswith(".003")


@pytest.mark.parametrize("name,make", [("fleet.json", os.mkdir), ("latest", os.mkdir),
                                       ("junit.xml", lambda p: open(p, "w").close()),
                                       (".sets", lambda p: open(p, "w").close())])
def test_a_name_the_writer_did_not_make_is_refused_before_anything_is_written(tmp_path, fleet, name, make):
    out = str(tmp_path / "out")
    writer.write_reports(out, fleet)
    before = sorted(os.listdir(out))
    latest = os.readlink(os.path.join(out, "latest"))
    victim = os.path.join(out, name)
    if os.path.isdir(victim) and not os.path.islink(victim):
        shutil.rmtree(victim)
    else:
        os.unlink(victim)
    make(victim)
    with pytest.raises(writer.ReportDirectoryError) as raised:
        writer.write_reports(out, fleet)
    assert victim in raised.value.strerror and "nothing was written" in raised.value.strerror
    assert sorted(os.listdir(out)) == before  # no .link file, no new set, latest untouched
    if name != "latest":
        assert os.readlink(os.path.join(out, "latest")) == latest


def test_an_empty_directory_name_is_refused(fleet):
    with pytest.raises(writer.ReportDirectoryError) as raised:
        writer.write_reports("", fleet)
    assert "empty" in raised.value.strerror


def test_nothing_is_published_once_the_audit_is_gone(tmp_path, fleet):
    out = str(tmp_path / "out")
    old = writer.write_reports(out, fleet, ["json"])
    before = open(old["json"]).read()
    with pytest.raises(writer.AuditGone):
        writer.write_reports(out, build_fleet(["other"], {}, NOW), ["json"], alive=lambda: False)
    assert open(old["json"]).read() == before and len(reports_in(out)[1]) == 1
    assert [n for n in os.listdir(os.path.join(out, ".sets")) if n.startswith(".")] == []


@pytest.mark.skipif(not writer.O_TMPFILE, reason="needs Linux's O_TMPFILE")
def test_a_writer_killed_outright_while_rendering_leaves_nothing(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))))
    out = str(tmp_path / "reports")
    assert subprocess.run([sys.executable, "-c", INTERRUPTED, root, out, "old", "0", "none"], check=False).returncode == 0
    done = subprocess.run([sys.executable, "-c", INTERRUPTED, root, out, "new", str(int(signal.SIGKILL)), "html"],
                          check=False)
    assert done.returncode == -signal.SIGKILL
    names, sets = reports_in(out)
    assert len(sets) == 1 and os.listdir(os.path.join(out, ".sets")) == sets  # no .tmp- left, even by SIGKILL
    assert [n for n in os.listdir(out) if n.startswith(".") and n != ".sets"] == []
    assert "new" not in open(os.path.join(out, "fleet.md")).read().replace("news", "")


HELD = r'''
import os, signal, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tools"))
from checkout import importable
importable()
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
signal.signal(signal.SIGINT, signal.default_int_handler)
real = writer._publish
def publish(*args):
    os.kill(os.getpid(), int(sys.argv[3]))  # Ctrl-C just as the set is switched in
    real(*args)
    sys.stdout.write("published\n")
    sys.stdout.flush()
writer._publish = publish
writer.write_reports(sys.argv[2], build_fleet(["new-a"], {}, "2026-12-07T00:00:00Z", "new"))
'''


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_while_the_set_is_switched_in_waits_until_it_is_whole(tmp_path, number):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))))
    out = str(tmp_path / "reports")
    done = subprocess.run([sys.executable, "-c", HELD, root, out, str(int(number))], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert done.stdout == "published\n" and done.returncode != 0  # the signal came after, and still ended it
    names, sets = reports_in(out)
    assert len(names) == 5 and len(sets) == 1 and "new" in open(os.path.join(out, "fleet.md")).read()
    assert [n for n in os.listdir(out) if n.startswith(".") and n != ".sets"] == []


ORPHAN = r'''
import os, signal, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "tools"))
from checkout import importable
importable()
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.lifeline import tie_to_parent
if os.fork():  # the parent stands for ansible-playbook: it waits for its worker, and is killed (SIGKILL)
    time.sleep(600)
alive = tie_to_parent()  # the worker, as the kvm_report action starts
with open(sys.argv[3], "w") as handle:
    handle.write("%d\n" % os.getpid())
original = writer.RENDERERS["html"]
def slow(document):
    time.sleep(float(sys.argv[4]))  # rendering when the playbook dies
    return original(document)
writer.RENDERERS["html"] = slow
writer.write_reports(sys.argv[2], build_fleet(["orphan-a"], {}, "2026-12-07T00:00:00Z", "orphan"), alive=alive)
'''


@pytest.mark.parametrize("death", ["pdeathsig", "alive"])
def test_a_writer_whose_audit_is_killed_outright_dies_and_publishes_nothing(tmp_path, death):
    """The audit (the parent) is killed with SIGKILL while its writer renders: the writer must not live on, and
    must not publish. With the tie's signal ignored, as on a system without it, alive() alone stops it."""
    import time
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))))
    out, pid_file = str(tmp_path / "reports"), str(tmp_path / "worker.pid")
    os.makedirs(out)
    script = ORPHAN if death == "pdeathsig" else ORPHAN.replace("alive = tie_to_parent()",
                                                                "alive = tie_to_parent(signal.SIGUSR2); "
                                                                "signal.signal(signal.SIGUSR2, signal.SIG_IGN)")
    parent = subprocess.Popen([sys.executable, "-c", script, root, out, pid_file, "1.5"])
    deadline = time.monotonic() + 30
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    worker = int(open(pid_file).read())
    parent.kill()
    parent.wait()
    while time.monotonic() < deadline:  # the orphan must end on its own, soon
        try:
            os.kill(worker, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the writer outlived its audit")
    assert reports_in(out) == ([], []), "nothing published"
    assert os.listdir(os.path.join(out, ".sets")) == [], "nothing left behind"


def test_every_report_of_the_writer_is_documented():
    """Adding a report format (the README's recipe): its entry in writer.REPORTS, its renderer in a module of its own
    with a test file, and its file in the kvm_report module's documentation and the user guide; the module's
    formats' choices are writer.FORMATS (tests/unit/plugins/action/test_kvm_report.py)."""
    from ansible_collections.fleetcheck.kvm.plugins.modules import kvm_report as report_doc
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))))
    with open(os.path.join(root, "docs", "user-guide.md")) as handle:
        guide = handle.read()
    documented = report_doc.DOCUMENTATION + report_doc.RETURN
    assert [name for name in writer.FILENAMES.values() if name not in guide or name not in documented] == []
    for _fmt, _name, render in writer.REPORTS:
        module = render.__module__.rsplit(".", 1)[1]
        assert os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_%s.py" % module)), module
