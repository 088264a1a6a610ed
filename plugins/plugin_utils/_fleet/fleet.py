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

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gc

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import drift
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.triage import group_by_cause
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import (
    STATUSES, VERDICT_SCHEMA_VERSION, no_facts_verdict)

FLEET_SCHEMA = "fleetcheck.kvm/fleet"
FLEET_SCHEMA_VERSION = 1
STATUS_ORDER = STATUSES


def safe_text(value):
    """Text that every report format can carry: undecodable bytes and lone surrogates become U+FFFD."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = value if isinstance(value, str) else str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _is_clean(value):
    # exactly str: a subclass may encode differently
    if type(value) is not str:  # pylint: disable=unidiomatic-typecheck
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_checks(checks, clean_names):
    """checks with every text safe, or None if one is malformed. Clean checks are kept as they are.

    clean_names: requirement names already found clean (a fleet has few; each is checked once).
    """
    cleaned = checks
    for index, item in enumerate(checks):
        if not isinstance(item, dict) or "requirement" not in item or "ok" not in item:
            return None
        name, message = item["requirement"], item.get("message")
        if name in clean_names or _is_clean(name):
            if message is None or _is_clean(message):
                if len(clean_names) < 10000:
                    clean_names.add(name)
                continue
        if cleaned is checks:
            cleaned = list(checks)
        cleaned[index] = dict(item, requirement=safe_text(item["requirement"]),
                              message=None if message is None else safe_text(message))
    return cleaned


def normalize_verdict(host, verdict, clean_names=None):
    """A well-formed verdict for host, or a 'no_facts' one that says what was wrong with it."""
    name = safe_text(host)
    note = "" if name == host else " (the inventory name is not valid UTF-8)"
    if verdict is None:
        return no_facts_verdict(name, "the audit reached no verdict for this host%s: it was not judged, "
                                      "e.g. because the play stopped before the role ran" % note)
    if not isinstance(verdict, dict):
        return no_facts_verdict(name, "the verdict of this host is a %s, not a mapping" % type(verdict).__name__)
    if verdict.get("schema_version") != VERDICT_SCHEMA_VERSION:
        return no_facts_verdict(name, "the verdict of this host has schema version %r, this collection reads %d: "
                                      "re-run the audit with this version of fleetcheck.kvm"
                                % (verdict.get("schema_version"), VERDICT_SCHEMA_VERSION))
    checks = verdict.get("checks")
    checks = _clean_checks(checks, set() if clean_names is None else clean_names) if isinstance(checks, list) else None
    if verdict.get("status") not in STATUS_ORDER or checks is None:
        return no_facts_verdict(name, "the verdict of this host is malformed (status %r, checks %s)"
                                % (verdict.get("status"), type(verdict.get("checks")).__name__))
    record = dict(verdict)
    record["host"] = name
    record["checks"] = checks
    failures = verdict.get("failures")
    record["failures"] = [safe_text(f) for f in failures] if isinstance(failures, list) else []
    warnings = verdict.get("warnings")  # optional: verdicts written before severities have none
    record["warnings"] = [safe_text(w) for w in warnings] if isinstance(warnings, list) else []
    if not isinstance(record.get("summary"), dict):
        record["summary"] = {}
    if note:
        record["failures"].append("note: the inventory name of this host is not valid UTF-8")
    return record


class PausedGC(object):
    """The cyclic garbage collector paused. The reports make no reference cycles, and with millions of
    live objects (100,000 verdicts) every collection would walk them all: a third of the time."""

    def __init__(self):
        self.was_enabled = False

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc_info):
        if self.was_enabled:
            gc.enable()
        return False


def build_fleet(hosts, verdicts, generated_at, title="KVM fleet audit", guest_cpu=None):
    """The fleet document: one record per host in inventory order, the counts, causes and drift, and the
    guest CPU view (kvm_cpu_pools.fleet_view: pools, common set, hosts holding it back) when given."""
    with PausedGC():
        return _build_fleet(hosts, verdicts, generated_at, title, guest_cpu)


def _build_fleet(hosts, verdicts, generated_at, title, guest_cpu):
    clean_names = set()
    records = [normalize_verdict(host, verdicts.get(host), clean_names) for host in hosts]
    counts = dict((status, 0) for status in STATUS_ORDER)
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
            "guest_cpu": guest_cpu or None, "hosts": records}


def failing_first(records):
    """Records by status (failing first), then by name."""
    order = dict((status, index) for index, status in enumerate(STATUS_ORDER))
    return sorted(records, key=lambda r: (order[r["status"]], r["host"]))
