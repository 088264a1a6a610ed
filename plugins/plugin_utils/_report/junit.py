# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""junit.xml: a testsuite per host, a testcase per requirement; unreachable hosts are errors.

An unmet check of severity warn does not gate: it is a passing testcase whose system-out says
"warning: ..." (CI stays green, the note stays visible).

Written as text in chunks, not as an element tree: a million testcases would need a gigabyte.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import xml_attribute, xml_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Fleet, Verdict


def _root_cause(check: Check) -> bool:
    return not check["ok"] and check.get("severity") != "warn" and not check.get("blocked_by")


def _blocked_text(record: Verdict, check: Check) -> str:
    """The checks this root cause kept from being judged, for its failure's text."""
    for cause in record.get("root_causes") or ():
        if isinstance(cause, dict) and (cause.get("requirement"), cause.get("code"), cause.get("message")) == (
                check["requirement"], check.get("code"), check.get("message")) and cause.get("blocks"):
            return "\nnot judged because of it: %s" % ", ".join(str(b) for b in cause["blocks"])
    return ""


def iter_junit(fleet: Fleet) -> Iterator[str]:
    """The XML in chunks, one per host; the totals go on the root element, so they are counted first.

    One failure per root cause per host: a check its root cause kept from being judged is a skipped
    testcase, and the root cause's text lists it."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for record in fleet["hosts"]:
        totals["tests"] += len(record["checks"])
        failed = sum(1 for c in record["checks"] if _root_cause(c))
        totals["skipped"] += sum(1 for c in record["checks"] if c.get("blocked_by"))
        totals["errors" if record["status"] in ("unreachable", "no_facts") else "failures"] += failed
    regressions = (fleet.get("changes") or {}).get("regressions") or []
    if fleet.get("changes"):  # one more suite: the regressions since the previous audit, for a CI that gates on them
        totals["tests"] += len(regressions) or 1
        totals["failures"] += len(regressions)
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="%s" tests="%d" failures="%d" errors="%d" '
           'skipped="%d">' % (xml_attribute(fleet["title"]), totals["tests"], totals["failures"], totals["errors"],
                              totals["skipped"]))
    if fleet.get("changes"):
        yield _regressions_suite(regressions, xml_attribute(fleet["generated_at"]))
    names: dict[str, str] = {}  # requirement -> attribute text; a fleet has few distinct requirements
    stamp = xml_attribute(fleet["generated_at"])
    for record in fleet["hosts"]:
        kind = "error" if record["status"] in ("unreachable", "no_facts") else "failure"
        host = xml_attribute(record["host"])
        cases = []
        failed = skipped = 0
        for check in record["checks"]:
            name = names.get(check["requirement"])
            if name is None:
                name = names[check["requirement"]] = xml_attribute(check["requirement"])
            if check["ok"]:
                cases.append('<testcase classname="kvm.%s" name="%s" />' % (host, name))
                continue
            if check.get("blocked_by"):
                skipped += 1
                cases.append('<testcase classname="kvm.%s" name="%s"><skipped message="%s" /></testcase>' % (
                    host, name, xml_attribute(check.get("message"))))
                continue
            if check.get("severity") == "warn":
                cases.append('<testcase classname="kvm.%s" name="%s"><system-out>%s</system-out></testcase>' % (
                    host, name, xml_text("warning (severity warn, not gating): %s\ncode: %s\nexpected: %s\nactual: %s" % (
                        check["message"], check.get("code") or check["requirement"], check.get("expected"),
                        check.get("actual")))))
                continue
            failed += 1
            cases.append('<testcase classname="kvm.%s" name="%s"><%s message="%s" type="%s">%s</%s></testcase>' % (
                host, name, kind, xml_attribute(check["message"]), record["status"],
                xml_text("code: %s\nexpected: %s\nactual: %s\n%s%s" % (
                    check.get("code") or check["requirement"], check.get("expected"), check.get("actual"),
                    check["message"], _blocked_text(record, check))), kind))
        yield '<testsuite name="%s" timestamp="%s" tests="%d" failures="%d" errors="%d" skipped="%d">%s</testsuite>' % (
            host, stamp, len(cases), 0 if kind == "error" else failed, failed if kind == "error" else 0, skipped,
            "".join(cases))
    yield "</testsuites>\n"


def _regressions_suite(regressions: list[dict[str, Any]], stamp: str) -> str:
    cases = ['<testcase classname="kvm.changes" name="%s"><failure message="%s" type="regression">%s</failure>'
             '</testcase>' % (xml_attribute(r["host"] if r["kind"] == "host" else "pool " + r["pool"]),
                              xml_attribute(r["why"]), xml_text(r["why"])) for r in regressions]
    return '<testsuite name="regressions since the previous audit" timestamp="%s" tests="%d" failures="%d" errors="0" ' \
        'skipped="0">%s</testsuite>' % (stamp, len(cases) or 1, len(cases), "".join(cases) or
                                        '<testcase classname="kvm.changes" name="no regression" />')
