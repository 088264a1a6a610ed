# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape of a verdict and its schema version, shared by the evaluator and the reports.

A verdict is a plain dict: host, status (pass, fail, no_facts, unreachable),
passed, checks (requirement, expected, actual, ok, message, severity), failures and warnings.
Only unmet checks of severity `fail` gate a host; unmet `warn` checks are listed in `warnings`.
Schema version 1 still: `severity` and `warnings` are new optional keys, and a check without
`severity` reads as `fail`, which is what every check was before severities existed.
Pure standard library, no Ansible imports, no host-side code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

VERDICT_SCHEMA_VERSION = 1
STATUSES = ("fail", "unreachable", "no_facts", "pass")  # failing hosts first
SEVERITIES = ("fail", "warn")  # fail gates the deployment; warn is reported and does not


def check(requirement, expected, actual, ok, message, severity="fail"):
    """One judged requirement; the message is kept only when it is unmet."""
    return {"requirement": requirement, "expected": expected, "actual": actual, "ok": bool(ok),
            "message": None if ok else message, "severity": severity}


def severity_of(item):
    """A check's severity; checks written before severities existed are `fail`."""
    return "warn" if item.get("severity") == "warn" else "fail"


def host_verdict(host, checks, summary):
    """The verdict of a host whose facts were judged: only unmet `fail` checks fail it."""
    failures = [c["message"] for c in checks if not c["ok"] and severity_of(c) == "fail"]
    warnings = [c["message"] for c in checks if not c["ok"] and severity_of(c) == "warn"]
    return {"schema_version": VERDICT_SCHEMA_VERSION, "host": host, "status": "fail" if failures else "pass",
            "passed": not failures, "checks": checks, "failures": failures, "warnings": warnings,
            "summary": summary}


def _empty_verdict(host, status, message):
    return {"schema_version": VERDICT_SCHEMA_VERSION, "host": host, "status": status, "passed": False,
            "checks": [check(status, "facts", None, False, message)], "failures": [message], "warnings": [],
            "summary": {}}


def no_facts_verdict(host, message):
    return _empty_verdict(host, "no_facts", message)


def unreachable_verdict(host, message):
    return _empty_verdict(host, "unreachable", "host unreachable: %s" % (message or "no answer"))


def _listed(messages):
    return "\n".join("  - " + m for m in messages)


def warning_message(verdict):
    """The unmet `warn` checks of a verdict as one paragraph, or '' when there are none."""
    warnings = verdict.get("warnings") or []
    if not warnings:
        return ""
    return "%d warning%s (reported, not gating):\n%s" % (
        len(warnings), "" if len(warnings) == 1 else "s", _listed(warnings))


def failure_message(verdict):
    """One message that lists every unmet `fail` requirement of a failed verdict, then its warnings."""
    failures = verdict["failures"]
    text = "%s fails %d KVM requirement%s:\n%s" % (
        verdict.get("host") or "this host", len(failures), "" if len(failures) == 1 else "s", _listed(failures))
    warnings = warning_message(verdict)
    return text + "\n" + warnings if warnings else text


def pass_message(verdict):
    """The message of a verdict that passed, with its warnings if it has any."""
    gating = [c for c in verdict["checks"] if severity_of(c) == "fail"]
    if len(gating) == len(verdict["checks"]):
        return "%s meets all %d KVM requirements" % (verdict["host"], len(gating))
    text = "%s meets all %d gating KVM requirements" % (verdict["host"], len(gating))
    warnings = warning_message(verdict)
    return text + "; " + warnings if warnings else text
