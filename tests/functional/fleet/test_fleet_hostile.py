# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One bad host never costs the fleet: a real audit in which hosts send malformed, future, huge and hostile
facts, and one never answers, each placed between healthy hosts.

The harness: local-connection hosts whose "Python" is a script that prints a crafted module result (or
sleeps for ever). For every case, all four reports are written, every host is in each, the healthy hosts'
verdicts are those of an audit of the healthy hosts alone, fleet.md renders (markdown-it-py, and cmark-gfm
as GitHub does) with no link, image or HTML from host data and no control byte, and the hanging host is
cut off by the default probe deadline."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

DEADLINE = 60  # the documented default of kvm_audit_probe_timeout
HOSTILE = u"[click](javascript:alert(1)) ![img](https://example.org/x.png) <script>x</script> \x1b]0;owned\x07\x1b[2J\r| \x00"


def good():
    """A well-formed fact set of schema 2, as the probe writes it, for the cases to damage one key of."""
    return {"schema_version": 2, "usable": True, "reasons": [], "problems": [], "errors": [], "blocked": {},
            "gather_subset": ["device", "api", "vm"], "api_version": 12, "vcpu_mmap_size": 12288,
            "device": {"path": "/dev/kvm", "exists": True, "char_device": True, "major": 10, "minor": 232,
                       "kvm_node": True, "mode": "0660", "owner": "root", "group": "kvm", "world_writable": False,
                       "can_open_rw": True, "open_error": None, "user": "root", "user_groups": ["root"]},
            "vm": {"created": True, "error": None}, "vm_types": ["DEFAULT"]}


def with_(key, value):
    facts = good()
    facts[key] = value
    return facts


def unusable(reason):
    facts = good()
    facts.update(usable=False, reasons=[reason], problems=[{"code": "device.eacces", "subject": "/dev/kvm",
                                                            "message": reason, "remedy": reason, "subset": "device"}])
    return facts


# host -> (the facts it sends, the status it must get, a phrase its first failure must hold)
CASES = {
    "bad-reasons-ints": (with_("reasons", [1, 2]), "no_facts", "reasons[0] is a number, expected a string"),
    "bad-reasons-string": (with_("reasons", "oops"), "no_facts", "reasons is a string, expected a list"),
    "bad-api-string": (with_("api_version", "12"), "no_facts", "api_version is a string"),
    "bad-device-string": (with_("device", "/dev/kvm"), "no_facts", "device is a string, expected a mapping"),
    "bad-device-list": (with_("device", ["/dev/kvm"]), "no_facts", "device is a list, expected a mapping"),
    "bad-host": (with_("host", "x86_64"), "no_facts", "host is a string, expected a mapping"),
    "bad-vcpu-run": (with_("vcpu_run", 1), "no_facts", "vcpu_run is a number, expected a mapping"),
    "bad-extensions": (with_("extensions", ["KVM_CAP_IRQCHIP"]), "no_facts", "extensions is a list"),
    "bad-guest-cpu-dicts": (with_("guest_cpu", {"features": [{"a": 1}], "runnable_models": []}), "no_facts",
                            "guest_cpu.features[0] is a mapping, expected a string"),
    "bad-guest-cpu-mixed": (with_("guest_cpu", {"features": ["sse2", None, 3]}), "no_facts",
                            "guest_cpu.features[1] is null"),
    "future-schema": (with_("schema_version", 99), "no_facts", "written by a newer fleetcheck.kvm (schema 99)"),
    "hostile-text": (unusable(HOSTILE), "fail", "KVM is not usable: [click]"),
    "huge-reason": (unusable("x" * (10 << 20)), "fail", "KVM is not usable: xxxx"),
    # accepted only where ANSIBLE_MODULE_STRICT_UTF8_RESPONSE=False, as the audit below runs
    "lone-surrogates": (unusable(u"bad \ud800 text \udcff"), "fail", u"KVM is not usable: bad \ufffd text \ufffd"),
    "not-json": (None, "no_facts", "kvm_facts"),
}
HEALTHY = ["healthy-a", "healthy-b"]
HANG = "hang"
# Healthy hosts whose names the old cleaning made one ("twin\ufffda" thrice): a tab, a space and a control byte.
TWINS = ["twin\ta", "twin a", "twin\x01a"]
TWINS_SHOWN = {"twin\ta": "twin\\ta", "twin a": "twin a", "twin\x01a": "twin\\x01a"}


def inventory_text(work):
    """A YAML inventory (JSON is YAML): INI cannot carry a tab or a control byte in a name."""
    hosts = {}
    order = [HEALTHY[0]] + sorted(CASES)[:7] + [HANG] + sorted(CASES)[7:] + TWINS + [HEALTHY[1]]
    for host in order:
        if host in HEALTHY or host in TWINS:
            hosts[host] = {"ansible_python_interpreter": "/usr/bin/python3"}
            continue
        script = os.path.join(str(work), "py-" + host)
        with open(script, "w") as handle:
            if host == HANG:  # its pid (the same after exec) lets the fixture end it: the audit only stops waiting
                handle.write("#!/bin/sh\necho $$ >> %s.pids\nexec sleep 100000\n" % script)
            elif CASES[host][0] is None:
                handle.write("#!/bin/sh\necho 'this is not JSON'\n")
            else:
                result = {"changed": False, "ansible_facts": {"kvm": CASES[host][0]}}
                with open(script + ".json", "w") as data:
                    json.dump(result, data)
                handle.write("#!/bin/sh\nexec cat %s.json\n" % script)
        os.chmod(script, 0o755)
        hosts[host] = {"ansible_python_interpreter": script}
    inventory = {"all": {"vars": {"ansible_connection": "local"}, "children": {"fleet": {"hosts": hosts}}}}
    return json.dumps(inventory), [TWINS_SHOWN.get(host, host) for host in order]


def audit(ansible_bin, inventory, reports, *extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_MODULE_STRICT_UTF8_RESPONSE="False")
    started = time.monotonic()
    process = subprocess.run([os.path.join(ansible_bin, "ansible-playbook"), "fleetcheck.kvm.audit", "-i",
                              str(inventory), "-e", "kvm_audit_report_dir=%s" % reports] + list(extra), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                             timeout=DEADLINE + 240)
    return process.returncode, process.stdout, time.monotonic() - started


@pytest.fixture(scope="module")
def audited(tmp_path_factory, kvm_device, ansible_bin):
    work = tmp_path_factory.mktemp("hostile")
    text, order = inventory_text(work)
    (work / "hosts.yml").write_text(text)
    rc, output, took = audit(ansible_bin, work / "hosts.yml", work / "reports")
    (work / "healthy.ini").write_text(u"[fleet]\n%s\n[all:vars]\nansible_connection=local\n"
                                      % "\n".join("%s ansible_python_interpreter=/usr/bin/python3" % h for h in HEALTHY))
    reference = audit(ansible_bin, work / "healthy.ini", work / "reference")
    yield work, order, rc, output, took, reference
    pids = work / ("py-" + HANG + ".pids")
    for pid in (pids.read_text().split() if pids.exists() else ()):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:  # already gone
            pass


def load(directory):
    with open(os.path.join(str(directory), "fleet.json")) as handle:
        return json.load(handle)


def test_every_report_is_written_with_every_host(audited):
    work, order = audited[0], audited[1]
    reports = work / "reports"
    fleet = load(reports)
    assert [r["host"] for r in fleet["hosts"]] == order, audited[3][-3000:]
    suites = [s.get("name") for s in ET.parse(str(reports / "junit.xml")).getroot().findall("testsuite")]
    assert sorted(suites) == sorted(order)
    markdown = (reports / "fleet.md").read_text()
    page = (reports / "fleet.html").read_text()
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import markdown as in_markdown
    for host in order:
        assert in_markdown(host) in markdown and json.dumps(host)[1:-1] in page, host  # the page carries JSON


def test_each_bad_host_is_reported_with_its_cause_and_no_other_host_is_touched(audited):
    fleet = load(audited[0] / "reports")
    records = dict((r["host"], r) for r in fleet["hosts"])
    for host, (_facts, status, phrase) in CASES.items():
        assert records[host]["status"] == status, (host, records[host]["failures"][:1])
        assert phrase in records[host]["failures"][0], (host, records[host]["failures"][0][:300])
    reference = dict((r["host"], r) for r in load(audited[0] / "reference")["hosts"])
    for host in HEALTHY:
        mine, theirs = records[host], reference[host]
        assert (mine["status"], mine["failures"], [c["requirement"] for c in mine["checks"]]) == (
            theirs["status"], theirs["failures"], [c["requirement"] for c in theirs["checks"]]), host


def test_a_host_that_never_answers_is_cut_off_by_the_default_deadline(audited):
    took, fleet = audited[4], load(audited[0] / "reports")
    record = [r for r in fleet["hosts"] if r["host"] == HANG][0]
    assert record["status"] == "no_facts" and record["root_causes"][0]["code"] == "probe.timeout"
    assert "did not finish within %d s" % DEADLINE in record["failures"][0]
    assert took < DEADLINE + 120, "the audit waited %.0f s" % took


def test_names_that_cleaning_would_merge_stay_distinct_everywhere_and_notes_are_true(audited):
    reports = audited[0] / "reports"
    records = dict((r["host"], r) for r in load(reports)["hosts"])
    for raw, shown in TWINS_SHOWN.items():
        assert records[shown]["status"] == "pass", (shown, records[shown]["failures"])
        notes = [f for f in records[shown]["failures"] if f.startswith("note:")]
        assert notes == ([] if raw == shown else ["note: the inventory name of this host has control characters, "
                                                  "shown escaped"]), notes
    series = [line for line in (reports / "fleet.prom").read_text().splitlines() if not line.startswith("#")]
    assert len(series) == len(set(series)), "a series twice: node_exporter would serve only one"
    for shown in TWINS_SHOWN.values():
        assert 'host="%s"' % shown.replace("\\", "\\\\") in "\n".join(series), shown


def test_no_host_text_reaches_the_console_raw(audited):
    """What the audit prints: no escape sequence, BEL, NUL, backspace or carriage return from a host. (Ansible
    prints each inventory name itself, in its [host] labels and recap: the twins' tab and control byte are there,
    and only there.)"""
    output = audited[3]
    for line in output.splitlines():
        labels = line.count("twin\t") + line.count("twin\x01")
        bad = [c for c in line if (ord(c) < 32 and c != "\t" and c != "\x01") or 0x7f <= ord(c) < 0xa0]
        assert not bad, repr(line[:300])
        if "\t" in line or "\x01" in line:
            assert labels, repr(line[:300])
    assert "KVM is not usable: [click]" in output  # the hostile reason did reach the console, made safe
    assert u"\ufffd]0;owned\ufffd" in output


def test_fleet_md_renders_without_links_images_html_or_control_bytes(audited):
    from markdown_it import MarkdownIt
    text = (audited[0] / "reports" / "fleet.md").read_text()
    assert not [c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    kinds = set()
    for token in tokens:
        kinds.add(token.type)
        kinds.update(child.type for child in token.children or ())
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    cmark = shutil.which("cmark-gfm")
    if not cmark:
        missing("cmark-gfm is not installed (tools/test-all.sh installs it)")
    rendered = subprocess.run([cmark, "-e", "table", "-e", "autolink", "-e", "tagfilter"], input=text,
                              stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered


def test_one_huge_field_does_not_make_huge_reports(audited):
    reports = audited[0] / "reports"
    sizes = dict((name, os.path.getsize(str(reports / name))) for name in ("fleet.md", "fleet.html", "junit.xml"))
    assert all(size < 400 * 1024 for size in sizes.values()), sizes
    assert os.path.getsize(str(reports / "fleet.json")) < 2 * 1024 * 1024
