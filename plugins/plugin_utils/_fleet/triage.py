# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person on call needs first: the hosts grouped by cause.

It reads only the records' checks (the evaluator's verdicts); it judges nothing anew.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Verdict

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Plain words, not <host>: a placeholder is read in Markdown, HTML and on a console alike.
HOST_PLACEHOLDER = "{host}"
ADDRESS_PLACEHOLDER = "{address}"


def _replace_name(text: str, name: str) -> str:
    if len(name) < 2 or name not in text:
        return text
    return re.sub(r"(?<![\w.-])%s(?![\w-])" % re.escape(name), HOST_PLACEHOLDER, text)


def cause_of(message: str, host: str) -> str:
    """message without what is particular to one host: its inventory name, short name and IPv4 addresses."""
    text = _replace_name(message, host)
    short = host.split(".", 1)[0]
    if short != host and len(short) >= 3:
        text = _replace_name(text, short)
    return _IPV4.sub(ADDRESS_PLACEHOLDER, text) if "." in text else text


def _is_warning(check: Check) -> bool:
    return check.get("severity") == "warn"


def _blocks(record: Verdict) -> dict[tuple[Any, ...], int]:
    """{root cause key: how many checks it blocks} of a record, from its verdict's root causes."""
    found: dict[tuple[Any, ...], int] = {}
    for cause in record.get("root_causes") or ():
        if isinstance(cause, dict) and isinstance(cause.get("blocks"), list):
            key = (cause.get("requirement"), cause.get("code"), cause.get("subject"), cause.get("message"))
            found[key] = found.get(key, 0) + len(cause["blocks"])
    return found


def group_by_cause(records: Iterable[Verdict], warnings: bool = False) -> list[dict[str, Any]]:
    """The root causes of the fleet, grouped by code, subject and normalized message: the most hosts first,
    then the most checks they block.

    A root cause is an unmet check that was judged; a check blocked by one (its input was never gathered)
    is counted in `blocked`, never as a cause of its own. A host with several root causes is in several
    groups. Each group: cause, code, subject, requirement, status (fail, unreachable or no_facts), count,
    hosts (in inventory order) and blocked. Only checks of severity fail count; with warnings=True only
    those of severity warn, on passing hosts too.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        if record["status"] == "pass" and not warnings:
            continue
        host = record["host"]
        blocks = _blocks(record)
        failing = set((c.get("code"), str(c.get("subject"))) for c in record["checks"]
                      if not c["ok"] and not c.get("blocked_by") and not _is_warning(c)) if warnings else ()
        for check in record["checks"]:
            if check["ok"] or check.get("blocked_by") or _is_warning(check) != warnings:
                continue
            if warnings and (check.get("code"), str(check.get("subject"))) in failing:
                continue  # the host's failure already says it
            cause = cause_of(check.get("message") or "(no reason recorded)", host)
            code = check.get("code") or check["requirement"]
            key = (code, check.get("subject") is not None and cause_of(str(check.get("subject")), host), cause)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {"cause": cause, "code": code, "subject": check.get("subject"),
                                       "requirement": check["requirement"], "status": record["status"],
                                       "count": 0, "hosts": [], "blocked": 0}
            group["blocked"] += blocks.get((check["requirement"], check.get("code"), check.get("subject"),
                                            check.get("message")), 0)
            if not group["hosts"] or group["hosts"][-1] != host:  # a host counts once per group
                group["hosts"].append(host)
                group["count"] += 1
    return sorted(groups.values(), key=lambda g: (-g["count"], -g["blocked"], g["code"], g["cause"]))
