# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet document every report is rendered from: one checked record per host, the counts,
the hosts grouped by cause and the drift from the fleet's majority.

Every input is checked: a host without a verdict, a verdict of another schema or a name that
is not valid UTF-8 becomes a record with a clear message, and no other host's result is lost.
Clean input is reused, not copied, so that 100,000 hosts fit in memory twice over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._gc import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import JSON_TEXT_MAX, UNSAFE, truncate, is_clean, safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import drift
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.triage import group_by_cause
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    STATUSES, VERDICT_SCHEMA_VERSION, no_facts_verdict)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, Fleet, Verdict

FLEET_SCHEMA = "fleetcheck.kvm/fleet"
FLEET_SCHEMA_VERSION = 1


MAX_SET_NAMES = 4096  # capability names kept per set: the kernel knows some 250


def clean_value(value: Any, depth: int = 0, clean: set[Any] | None = None) -> Any:
    """A JSON value from a host with every text made safe; numbers, booleans and null stay as they are.

    `clean`, a set of texts already found safe, is read and grown: a fleet's summaries repeat their keys and most
    of their values (backend, kernel, level), and each is then checked once, not once a host."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if clean is not None and value in clean:
            return value
        if is_clean(value):
            if clean is not None and len(value) < 200 and len(clean) < 100000:
                clean.add(value)
            return value
    if depth < 8 and isinstance(value, (list, tuple)):
        return [item if _known(item, clean) else clean_value(item, depth + 1, clean) for item in value]
    if depth < 8 and isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():  # a loop, not a generator: a summary is cleaned for every host
            key = key if _known(key, clean) and isinstance(key, str) else clean_value(str(key), 8, clean)
            found[key] = item if _known(item, clean) else clean_value(item, depth + 1, clean)
        return found
    try:
        return safe_text(value)
    except RecursionError:  # a value nested deeper than str() can go
        return "(a value nested too deep to show)"


_PLAIN = frozenset((type(None), bool, int, float))


class Seen(set[Any]):
    """What the door check of one fleet has already found safe: texts (and the null, booleans and numbers of
    checks), and each summary as cleaned, by its repr. A fleet's summaries take a few hundred forms, and a repr
    is made at C speed where a walk is not; repr keeps True apart from "true" and 1 from "1", which JSON would
    not, and a summary with the repr of another is equal to it. Bounded: past the bound, values are checked."""

    MAX_SUMMARIES = 10000

    def __init__(self) -> None:
        super().__init__()
        self.summaries: dict[str, Any] = {}


def _clean_summary(summary: dict[str, Any], seen: set[Any] | None) -> Any:
    """clean_value of a host's summary, made once per form of it when `seen` (a Seen) can remember it."""
    if not isinstance(seen, Seen):
        return clean_value(summary, clean=seen)
    memo = seen.summaries
    try:
        key = repr(summary)
    except (RecursionError, ValueError, TypeError):  # nested past the stack; a value that cannot say what it is
        return clean_value(summary, clean=seen)
    found = memo.get(key)
    if found is None:
        found = clean_value(summary, clean=seen)
        if len(memo) < seen.MAX_SUMMARIES:
            memo[key] = found
    return found


def _known(value: Any, clean: set[Any] | None) -> bool:
    """Whether value is kept as it is without a look: null, a number, or a text `clean` holds."""
    kind = type(value)  # exactly: a subclass may encode differently
    return kind in _PLAIN or (kind is str and clean is not None and value in clean)


# The keys of a check besides requirement, ok and message that hold text, and the values a verdict's status
# and a check's severity may have.
_CHECK_TEXT = ("code", "remedy", "blocked_by", "family", "profile", "subset")
_CAUSE_TEXT = ("code", "message", "remedy", "requirement")
_SEVERITIES = ("fail", "warn")


def _text_or_none(value: str | None, clean: set[Any]) -> str | None:
    if value is None or (isinstance(value, str) and value in clean):
        return value
    if is_clean(value):
        if len(value) < 200 and len(clean) < 100000:
            clean.add(value)
        return value
    return safe_text(value)


def _seen_whole(item: Any, clean: set[Any]) -> bool:
    """Whether a check is well formed and each of its values one that was found safe at another host: most checks
    of a fleet, looked at in one pass at C speed."""
    if type(item) is dict and type(item.get("requirement")) is str and type(item.get("ok")) is bool \
            and item.get("severity", "fail") in _SEVERITIES:  # pylint: disable=unidiomatic-typecheck
        try:
            return clean.issuperset(item.values())
        except TypeError:  # a list or a mapping among the values: looked at one by one
            return False
    return False


def _clean_check(item: Any, index: int, clean: set[Any]) -> tuple[Check, None] | tuple[None, str]:
    """(the check with every text safe, None), or (None, what makes it unreadable). Clean checks are kept as
    they are: a fleet repeats few texts, each is checked once (`clean`)."""
    if not isinstance(item, dict):
        return None, "check %d is %s, not a mapping" % (index, type(item).__name__)
    name = item.get("requirement")
    if not isinstance(name, str):
        return None, "check %d: requirement is %s, not a string" % (index, type(name).__name__)
    if not isinstance(item.get("ok"), bool):
        return None, "check %d (%s): ok is %s, not true or false" % (index, safe_text(name)[:80], type(item.get("ok")).__name__)
    fixed = None
    for key in ("requirement", "message") + _CHECK_TEXT:
        value = item.get(key)
        if value is not None and not (isinstance(value, str) and value in clean):
            text = _text_or_none(value if isinstance(value, str) else safe_text(value), clean)
            if text is not value:
                fixed = fixed or dict(item)
                fixed[key] = text
    for key in ("expected", "actual", "subject"):
        value = item.get(key)
        if value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and value in clean):
            continue
        cleaned = clean_value(value)
        if cleaned is not value:
            fixed = fixed or dict(item)
            fixed[key] = cleaned
        elif isinstance(value, str) and len(value) < 200 and len(clean) < 100000:
            clean.add(value)
    if item.get("severity", "fail") not in _SEVERITIES:
        fixed = fixed or dict(item)
        fixed["severity"] = "fail"
    if len(clean) < 100000:  # its severity, null, booleans and numbers, for the pass above at the next host
        clean.update([value for value in (fixed or item).values() if type(value) in _PLAIN] + list(_SEVERITIES))
    return fixed or item, None


def _clean_checks(checks: list[Any], clean: set[Any]) -> tuple[list[Check], None] | tuple[None, str]:
    """(checks with every text safe, None), or (None, what makes one unreadable)."""
    cleaned = checks
    for index, item in enumerate(checks):
        if _seen_whole(item, clean):
            continue
        fixed, wrong = _clean_check(item, index, clean)
        if wrong:
            return None, wrong
        if fixed is not item:
            if cleaned is checks:
                cleaned = list(checks)
            cleaned[index] = fixed
    return cleaned, None


def _clean_causes(causes: Any, clean: set[Any]) -> list[dict[str, Any]]:
    """The root causes as a list of mappings with safe texts; anything else in the list is dropped."""
    if not isinstance(causes, list):
        return []
    cleaned: list[dict[str, Any]] = []
    for cause in causes:
        if isinstance(cause, dict):
            fixed: dict[str, Any] = dict(
                (key, _text_or_none(cause.get(key) if isinstance(cause.get(key), (str, type(None)))
                                    else safe_text(cause.get(key)), clean)) for key in _CAUSE_TEXT)
            fixed["subject"] = clean_value(cause.get("subject"))
            fixed["severity"] = cause.get("severity") if cause.get("severity") in _SEVERITIES else "fail"
            blocks = cause.get("blocks")
            fixed["blocks"] = [safe_text(b) for b in blocks] if isinstance(blocks, list) else []
            cleaned.append(fixed)
    return cleaned


def _texts(values: Any) -> list[str]:
    return [safe_text(value) for value in values] if isinstance(values, list) else []


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def host_name(host: Any) -> tuple[str, str]:
    """(the name every report shows, what was changed or ""): a clean name as it is; otherwise each control
    character written as an escape (\\t, \\x1b) and each byte that is not UTF-8 as \\xNN, so that names that
    differ stay different and readable."""
    if isinstance(host, bytes):
        decoded = host.decode("utf-8", "backslashreplace")
        return (truncate(_escaped(decoded), JSON_TEXT_MAX, ""),
                "is not valid UTF-8, shown escaped")
    if type(host) is not str:  # pylint: disable=unidiomatic-typecheck
        return safe_text(host), "is not a string"
    if is_clean(host):
        return host, ""
    broken = any(u"\ud800" <= c <= u"\udfff" for c in host)  # undecodable bytes, carried as lone surrogates
    return truncate(_escaped(host), JSON_TEXT_MAX, ""), (
        "is not valid UTF-8" if broken else "has control characters") + ", shown escaped"


def _escaped(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        char = match.group(0)
        if u"\udc80" <= char <= u"\udcff":  # a byte that was not UTF-8 (surrogateescape)
            return "\\x%02x" % (ord(char) - 0xdc00)
        return _ESCAPES.get(char) or ("\\x%02x" % ord(char) if ord(char) < 0x100 else "\\u%04x" % ord(char))
    return UNSAFE.sub(one, text)


def normalize_verdict(host: Any, verdict: Any, clean_names: set[Any] | None = None) -> Verdict:
    """A well-formed verdict for host, or a 'no_facts' one that says what was wrong with it.

    Every text is made safe (safe_text) and every key is of the type the reports read, whatever the
    verdict (from a slice file, a cache, another version) holds: a malformed verdict costs its own host
    its record, never another's."""
    name, changed = host_name(host)
    note = " (the inventory name %s)" % changed if changed else ""
    if verdict is None:
        return no_facts_verdict(name, "the audit reached no verdict for this host%s: it was not judged, "
                                      "e.g. because the play stopped before the role ran" % note)
    if not isinstance(verdict, dict):
        return no_facts_verdict(name, "the verdict of this host is a %s, not a mapping" % type(verdict).__name__,
                                code="facts.malformed")
    if verdict.get("schema_version") != VERDICT_SCHEMA_VERSION:
        return no_facts_verdict(name, "the verdict of this host has schema version %s, this collection reads %d: "
                                      "re-run the audit with this version of fleetcheck.kvm"
                                % (safe_text(repr(verdict.get("schema_version")))[:40], VERDICT_SCHEMA_VERSION),
                                code="facts.malformed")
    given = verdict.get("checks")
    checks, wrong = (_clean_checks(given, set() if clean_names is None else clean_names) if isinstance(given, list)
                     else (None, "checks is %s, not a list" % type(given).__name__))
    status = verdict.get("status")
    if not isinstance(status, str) or status not in STATUSES or checks is None:
        return no_facts_verdict(name, "the verdict of this host is malformed (status %s; %s)"
                                % (safe_text(repr(status))[:40], wrong or "checks are well formed"),
                                code="facts.malformed")
    record = dict(verdict)
    record["host"] = name
    record["checks"] = checks
    record["failures"] = _texts(verdict.get("failures"))
    record["warnings"] = _texts(verdict.get("warnings"))  # optional: verdicts written before severities have none
    record["root_causes"] = _clean_causes(verdict.get("root_causes"), set() if clean_names is None else clean_names)
    blocked = verdict.get("blocked")
    record["blocked"] = blocked if isinstance(blocked, int) and not isinstance(blocked, bool) and blocked >= 0 else 0
    record["summary"] = (_clean_summary(record["summary"], clean_names) if isinstance(record.get("summary"), dict)
                         else {})
    if note:
        record["failures"].append("note: the inventory name of this host %s" % changed)
    return record


def build_fleet(hosts: Iterable[Any], verdicts: Any, generated_at: str | None, title: str = "KVM fleet audit",
                guest_cpu: dict[str, Any] | None = None, cap_sets: Any = None, requirement_sets: Any = None) -> Fleet:
    """The fleet document: one record per host in inventory order, the counts, causes and drift, the
    guest CPU view (_fleet/pools.fleet_view: pools, common set, hosts holding it back) when given, and the
    capability sets ({fingerprint: names}) and requirement sets ({name: requirements that differ from the
    defaults}) that the hosts' summaries name."""
    with PausedGC():
        fleet = _build_fleet(hosts, verdicts, generated_at, title, guest_cpu, cap_sets)
        fleet["requirement_sets"] = _used_requirement_sets(fleet["hosts"], requirement_sets)
        return fleet


def _unique_names(records: list[Verdict]) -> list[Verdict]:
    """Records whose names are the same once escaped (or given twice) get #2, #3, ... in inventory order, and say so:
    every report, fleet.prom's labels included, needs one record per name."""
    taken = set(record["host"] for record in records)
    if len(taken) == len(records):
        return records
    seen = set()
    for index, record in enumerate(records):
        name = record["host"]
        if name in seen:
            number = 2
            while "%s #%d" % (name, number) in taken:
                number += 1
            record = dict(record, host="%s #%d" % (name, number))
            record["failures"] = list(record["failures"]) + [
                "note: another host of the inventory is shown as %s; this one is numbered apart" % name]
            records[index] = record
            taken.add(record["host"])
        seen.add(record["host"])
    return records


def _build_fleet(hosts: Iterable[Any], verdicts: Any, generated_at: str | None, title: str, guest_cpu: dict[str, Any] | None,
                 cap_sets: Any) -> Fleet:
    clean_names = Seen()
    records = _unique_names([normalize_verdict(host, _verdict_of(verdicts, host), clean_names) for host in hosts])
    counts = dict((status, 0) for status in STATUSES)
    warned = 0  # hosts with at least one unmet check of severity warn, passing or not
    requirements = []
    seen = set()
    for record in records:
        counts[record["status"]] += 1
        warned += bool(record["warnings"])
        for check in record["checks"]:
            if check["requirement"] not in seen:
                seen.add(check["requirement"])
                requirements.append(check["requirement"])
    return {"schema": FLEET_SCHEMA, "schema_version": FLEET_SCHEMA_VERSION, "title": safe_text(title),
            "generated_at": generated_at, "counts": dict(counts, total=len(records)), "warned": warned,
            "requirements": requirements, "groups": group_by_cause(records),
            "warnings": group_by_cause(records, warnings=True), "drift": drift(records),
            "guest_cpu": clean_value(guest_cpu) if guest_cpu else None, "cap_sets": _used_sets(records, cap_sets),
            "hosts": records}


def _used_sets(records: list[Verdict], cap_sets: Any) -> dict[str, list[str]]:
    """The capability sets some host's summary names."""
    return clean_cap_sets(cap_sets, set(r["summary"].get("caps") for r in records))


def _used_requirement_sets(records: list[Verdict], sets: Any) -> dict[str, Any]:
    """{set name: {requirement: value}} of the sets some host's summary names (each host's own requirements, as
    Ansible resolved them for it), cleaned like any value that may quote a host."""
    used = set(r["summary"].get("requirements") for r in records)
    if not isinstance(sets, dict):
        return {}
    return dict((safe_text(name), clean_value(given)) for name, given in sorted(sets.items(), key=lambda kv: str(kv[0]))
                if isinstance(name, str) and name in used and isinstance(given, dict))


def clean_cap_sets(value: Any, used: set[Any] | None = None) -> dict[str, list[str]]:
    """{fingerprint: sorted names} of untrusted capability sets (only those in `used`, when given); anything that
    is not a fingerprint with a list of names is left out."""
    if not isinstance(value, dict):
        return {}
    return dict((safe_text(key), sorted(set(safe_text(name) for name in names if isinstance(name, str))))
                for key, names in sorted(value.items(), key=lambda kv: str(kv[0]))
                if isinstance(key, str) and isinstance(names, list) and len(names) <= MAX_SET_NAMES
                and (used is None or key in used))


def _verdict_of(verdicts: Any, host: Any) -> Any:
    try:
        return verdicts.get(host) if isinstance(verdicts, dict) else None
    except TypeError:  # a host name that is a list or a mapping: no verdict is filed under it
        return None


def failing_first(records: list[Verdict]) -> list[Verdict]:
    """Records by status (failing first), then by name."""
    order = dict((status, index) for index, status in enumerate(STATUSES))
    return sorted(records, key=lambda r: (order[r["status"]], r["host"]))
