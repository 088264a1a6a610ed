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

from __future__ import annotations

from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import is_clean, safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Verdict

VERDICT_SCHEMA_VERSION = 1
STATUSES = ("fail", "unreachable", "no_facts", "pass")  # failing hosts first
SEVERITIES = ("fail", "warn")  # fail gates the deployment; warn is reported and does not


def check(requirement: str, expected: Any, actual: Any, ok: object, message: str | None, severity: str = "fail",
          code: str | None = None, subject: object = None, remedy: str | None = None) -> Check:
    """One judged requirement; the message, code, subject and remedy are kept only when it is unmet.

    `code` is stable (automation branches on it), `subject` what it is about (a path, a capability, a
    model, an account), `message` the whole sentence with what to do, `remedy` what to do alone."""
    item = {"requirement": requirement, "expected": expected, "actual": actual, "ok": bool(ok),
            "message": None if ok else _safe(message), "severity": severity}
    if not ok:
        item.update(code=code or requirement.partition(":")[0], subject=_safe(subject), remedy=_safe(remedy))
    return item


def _safe(text: Any) -> Any:
    """A message or subject that may quote a host: no control character reaches a terminal, a log or a report
    (a str that is clean, by far the most, is kept as it is)."""
    return text if not isinstance(text, str) or is_clean(text) else safe_text(text)


def blocked_check(requirement: str, expected: Any, by: str, why: str) -> Check:
    """A requirement that was not judged: its input was never gathered. `by` names the root cause (the
    subset whose failure stopped it, or the subset that was not gathered); it is never a failure of its own."""
    return {"requirement": requirement, "expected": expected, "actual": None, "ok": False,
            "message": _safe("not judged: %s" % why), "severity": "fail", "blocked_by": by}


def is_blocked(item: Check) -> bool:
    return bool(item.get("blocked_by"))


def severity_of(item: Check) -> str:
    """A check's severity; checks written before severities existed are `fail`."""
    return "warn" if item.get("severity") == "warn" else "fail"


def host_verdict(host: str | None, checks: list[Check], summary: dict[str, Any]) -> Verdict:
    """The verdict of a host whose facts were judged: its root causes (unmet `fail` checks that were
    judged) fail it; checks blocked by a root cause are counted apart, never as failures of their own."""
    judged = [c for c in checks if not c["ok"] and not is_blocked(c)]
    failures = [c["message"] for c in judged if severity_of(c) == "fail"]
    # A warning about what already fails the host (a profile's vhost_net warning where vhost_net is also
    # required) is not listed twice: the failure says it.
    failing = set((c.get("code"), str(c.get("subject"))) for c in judged if severity_of(c) == "fail")
    warnings = [c["message"] for c in judged if severity_of(c) == "warn"
                and (c.get("code"), str(c.get("subject"))) not in failing]
    blocked = [c for c in checks if is_blocked(c)]
    causes: list[dict[str, Any]] = []
    for item in judged:
        cause: dict[str, Any] = dict((key, item.get(key)) for key in ("code", "subject", "message", "remedy", "requirement", "severity"))
        cause["blocks"] = [b["requirement"] for b in blocked if b["blocked_by"] in _keys(item)]
        causes.append(cause)
    # A blocked check always names a root cause that failed; should one not, the host must not pass unjudged.
    orphans = [b["requirement"] for b in blocked if not any(b["requirement"] in c["blocks"] for c in causes)]
    if orphans and not failures:
        failures = ["%d requirement%s could not be judged: %s" % (len(orphans), "" if len(orphans) == 1 else "s",
                                                                  ", ".join(orphans))]
    return {"schema_version": VERDICT_SCHEMA_VERSION, "host": host, "status": "fail" if failures else "pass",
            "passed": not failures, "checks": checks, "failures": failures, "warnings": warnings,
            "root_causes": causes, "blocked": len(blocked), "summary": summary}


def with_warning(verdict: Verdict, item: Check) -> Verdict:
    """A copy of the verdict with one more unmet check of severity warn (a side output that failed): listed in its
    checks, warnings and root causes; its status is unchanged."""
    cause = dict((key, item.get(key)) for key in ("code", "subject", "message", "remedy", "requirement", "severity"))
    cause["blocks"] = []
    return dict(verdict, checks=list(verdict.get("checks") or []) + [item],
                warnings=list(verdict.get("warnings") or []) + [item["message"]],
                root_causes=list(verdict.get("root_causes") or []) + [cause])


def _keys(item: Check) -> list[str]:
    """What a blocked check's blocked_by may name to point at this root cause: its subset, or its code."""
    return [key for key in (item.get("subset"), item.get("code")) if key]


def _empty_verdict(host: str | None, status: str, message: str, code: str, requirement: str | None = None,
                   remedy: str | None = None) -> Verdict:
    item = check(requirement or status, "facts", None, False, message, code=code, subject=host, remedy=remedy)
    cause = dict((key, item.get(key)) for key in ("code", "subject", "message", "remedy", "requirement", "severity"))
    cause["blocks"] = []
    return {"schema_version": VERDICT_SCHEMA_VERSION, "host": host, "status": status, "passed": False,
            "checks": [item], "failures": [message], "warnings": [], "root_causes": [cause], "blocked": 0,
            "summary": {}}


def no_facts_verdict(host: str | None, message: object, code: str = "facts.missing") -> Verdict:
    return _empty_verdict(host, "no_facts", _safe(message), code=code)


def invalid_requirements_verdict(host: str | None, message: str) -> Verdict:
    """A host whose own requirements (its host or group variables) cannot be used: it fails, unjudged, with the
    error that names the variable; every other host is judged with its own."""
    return _empty_verdict(host, "fail", _safe("this host's KVM requirements cannot be used, so it was not judged: %s"
                                              % message), code="requirements.invalid", requirement="requirements",
                          remedy="correct the variable the message names where this host gets it (host_vars, "
                                 "group_vars, the play or -e)")


def unreachable_verdict(host: str | None, message: str | None) -> Verdict:
    return _empty_verdict(host, "unreachable", _safe("host unreachable: %s" % (message or "no answer")),
                          code="host.unreachable")


def _listed(messages: list[str]) -> str:
    return "\n".join("  - " + m for m in messages)


def warning_message(verdict: Verdict) -> str:
    """The unmet `warn` checks of a verdict as one paragraph, or '' when there are none."""
    warnings = verdict.get("warnings") or []
    if not warnings:
        return ""
    return "%d warning%s (reported, not gating):\n%s" % (
        len(warnings), "" if len(warnings) == 1 else "s", _listed(warnings))


def failure_message(verdict: Verdict) -> str:
    """One message that lists every unmet `fail` requirement of a failed verdict, then its warnings."""
    failures = verdict["failures"]
    text = "%s fails %d KVM requirement%s:\n%s" % (
        verdict.get("host") or "this host", len(failures), "" if len(failures) == 1 else "s", _listed(failures))
    warnings = warning_message(verdict)
    return text + "\n" + warnings if warnings else text


def pass_message(verdict: Verdict) -> str:
    """The message of a verdict that passed, with its warnings if it has any."""
    gating = [c for c in verdict["checks"] if severity_of(c) == "fail"]
    if len(gating) == len(verdict["checks"]):
        return "%s meets all %d KVM requirements" % (verdict["host"], len(gating))
    text = "%s meets all %d gating KVM requirements" % (verdict["host"], len(gating))
    warnings = warning_message(verdict)
    return text + "; " + warnings if warnings else text
