# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What changed between two audits: two fleet documents in, the changes section of the reports out.

compare(previous, current) reads only what both audits recorded (the records' statuses, root causes and
summaries, the capability sets and the guest CPU pools); it judges nothing anew. The previous document is
untrusted (an old file, another version, a hand edit): previous_fleet() checks it first, record by record.

Regressions are what the regression gate fails on:
  - a host that fails now and did not fail in the previous audit (it passed, or is new);
  - a pool of the previous audit whose hosts together no longer run a model the fleet uses.
A host that failed before and still fails is no regression, whatever else changed on it.

Sets are compared once per distinct pair (hosts share capability sets and pools), so that fleets of
100,000 hosts compare in about a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.drift import flat_parameters
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._gc import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import (
    FLEET_SCHEMA, Seen, clean_cap_sets, normalize_verdict)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import merge_views
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet, Verdict

# The summary facts compared as one value each: (key in the summary, name in the changes).
SCALARS = (("kernel", "kernel"), ("backend", "backend"), ("api_version", "api_version"),
           ("guest_cpu_level", "guest_cpu_level"), ("guest_cpu_pool", "pool"))
FAILING = ("fail", "no_facts", "unreachable")
_KEPT = ("schema_version", "status", "summary", "root_causes", "failures")  # of a previous record, not its checks


class PreviousError(ValueError):
    """A previous fleet.json that cannot be compared with; the message says why."""


def previous_fleet(document: Any, where: str) -> dict[str, Any]:
    """The previous audit's fleet document, every record checked as build_fleet checks a verdict.
    Raises PreviousError when it is no fleet document at all."""
    if not isinstance(document, dict) or document.get("schema") != FLEET_SCHEMA:
        raise PreviousError("%s is not a fleet.json of fleetcheck.kvm (schema %s)" % (
            where, safe_text(repr(document.get("schema") if isinstance(document, dict) else type(document).__name__))[:60]))
    if not isinstance(document.get("hosts"), list):
        raise PreviousError("%s has no list of hosts" % where)
    with PausedGC():
        records: dict[str, Verdict] = {}
        clean = Seen()
        for record in document["hosts"]:
            host = record.get("host") if isinstance(record, dict) else None
            if not isinstance(host, str) or not host:
                continue  # a record without a name cannot be matched with a host of this audit
            # Only what a comparison reads is checked and kept: the checks are two thirds of a record.
            records[safe_text(host)] = normalize_verdict(host, dict([(k, record.get(k)) for k in _KEPT], checks=[]), clean)
        view = merge_views([document["guest_cpu"]]) if isinstance(document.get("guest_cpu"), dict) else None
    generated = document.get("generated_at")
    return {"generated_at": safe_text(generated) if isinstance(generated, str) else None,
            "title": safe_text(document.get("title")) if isinstance(document.get("title"), str) else None,
            "records": records, "guest_cpu": view, "cap_sets": clean_cap_sets(document.get("cap_sets"))}


def _failing(status: str, allow_unreachable: bool) -> bool:
    return status in FAILING and not (allow_unreachable and status == "unreachable")


def _causes(record: Verdict) -> set[tuple[Any, str | None]]:
    """The root causes of a record as (code, subject) pairs."""
    return set((c.get("code") or c.get("requirement"), safe_text(c.get("subject")) if c.get("subject") is not None
                else None) for c in record.get("root_causes") or ())


class _SetDiff:
    """gained/lost between two named sets, computed once per pair of names."""

    def __init__(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        self.before, self.after = before, after
        self._done: dict[tuple[str, str], dict[str, list[str]] | None] = {}

    def __call__(self, old: str, new: str) -> dict[str, list[str]] | None:
        key = (old, new)
        if key not in self._done:
            a, b = self.before.get(old), self.after.get(new)
            self._done[key] = None if a is None or b is None else {
                "gained": sorted(set(b) - set(a)), "lost": sorted(set(a) - set(b))}
        return self._done[key]


def _pool_sets(view: Mapping[str, Any] | None) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """({pool id: features}, {pool id: runnable models}, {host: pool id}) of a guest CPU view."""
    features: dict[str, list[str]] = {}
    models: dict[str, list[str]] = {}
    of_host: dict[str, str] = {}
    for pool in (view or {}).get("pools") or ():
        features[pool["id"]] = pool["features"]
        models[pool["id"]] = pool["runnable_models"]
        for host in pool["hosts"]:
            of_host[host] = pool["id"]
    return features, models, of_host


def _host_changes(old: Verdict, new: Verdict, caps_diff: _SetDiff, features_diff: _SetDiff, models_diff: _SetDiff
                  ) -> dict[str, Any] | None:
    """The changes of one host present in both audits, or None."""
    changes: dict[str, Any] = {}
    a, b = old.get("summary") or {}, new.get("summary") or {}
    if old["status"] != new["status"]:
        changes["status"] = [old["status"], new["status"]]
    # A fact not gathered in one of the audits (null: the host failed before it, or the subset was left out) is
    # no change of that fact: the status and the root causes say what happened, not a cascade of "now none".
    for key, name in SCALARS:
        if a.get(key) != b.get(key) and a.get(key) is not None and b.get(key) is not None:
            changes[name] = [a.get(key), b.get(key)]
    params_a, params_b = flat_parameters(a.get("parameters")), flat_parameters(b.get("parameters"))
    if params_a != params_b and isinstance(a.get("parameters"), dict) and isinstance(b.get("parameters"), dict):
        changed = dict((k, [params_a.get(k), params_b.get(k)]) for k in set(params_a) | set(params_b)
                       if params_a.get(k) != params_b.get(k))
        changes["parameters"] = dict(sorted(changed.items()))
    if a.get("caps") != b.get("caps") and a.get("caps") is not None and b.get("caps") is not None:
        diff = caps_diff(a["caps"], b["caps"])
        changes["caps"] = dict(diff or {}, count=[a.get("caps_count"), b.get("caps_count")])
    pool_a, pool_b = a.get("guest_cpu_pool"), b.get("guest_cpu_pool")
    if pool_a != pool_b and pool_a is not None and pool_b is not None:
        for name, diff in (("features", features_diff(pool_a, pool_b)), ("runnable_models", models_diff(pool_a, pool_b))):
            if diff and (diff["gained"] or diff["lost"]):
                changes[name] = diff
    causes_a, causes_b = _causes(old), _causes(new)
    if causes_a != causes_b:
        changes["root_causes"] = {"gained": [_cause_name(k) for k in sorted(causes_b - causes_a, key=str)],
                                  "lost": [_cause_name(k) for k in sorted(causes_a - causes_b, key=str)]}
    return changes or None


def _cause_name(key: tuple[Any, str | None]) -> str:
    code, subject = key
    return code if subject is None else "%s (%s)" % (code, subject)


def _pools(before: Mapping[str, str], after: Mapping[str, str], both: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Pools of the previous audit that split and pools of this one that merged, by the hosts in both."""
    into: dict[str, set[str]] = {}
    came_from: dict[str, set[str]] = {}
    for host in both:
        old, new = before.get(host), after.get(host)
        if old is not None and new is not None:
            into.setdefault(old, set()).add(new)
            came_from.setdefault(new, set()).add(old)
    split = [{"pool": old, "into": sorted(new)} for old, new in sorted(into.items()) if len(new) > 1]
    merged = [{"pool": new, "from": sorted(old)} for new, old in sorted(came_from.items()) if len(old) > 1]
    renamed = [{"pool": old, "now": next(iter(new))} for old, new in sorted(into.items())
               if len(new) == 1 and next(iter(new)) != old and len(came_from[next(iter(new))]) == 1]
    return {"split": split, "merged": merged, "changed": renamed}


def _pool_regressions(prev_view: Mapping[str, Any] | None, cur_models: Mapping[str, list[str]], cur_of: Mapping[str, str],
                      in_use: set[str]) -> list[dict[str, Any]]:
    """Pools of the previous audit whose hosts (those still judged) no longer all run a model in use."""
    found: list[dict[str, Any]] = []
    for pool in (prev_view or {}).get("pools") or ():
        hosts = [h for h in pool["hosts"] if cur_of.get(h) is not None]
        if not hosts:
            continue
        used = set(pool["runnable_models"]) & in_use
        lacking: dict[str, list[str]] = {}
        for host in hosts:
            missing = used - set(cur_models[cur_of[host]])
            if missing:
                lacking[host] = sorted(missing)
        if lacking:
            lost = sorted(set(m for models in lacking.values() for m in models))
            found.append({"pool": pool["id"], "lost": lost, "hosts": sorted(lacking)})
    return found


def compare(previous: Mapping[str, Any], current: Fleet, models_in_use: Iterable[str] | None = None,
            allow_unreachable: bool = False) -> dict[str, Any]:
    """The changes section: `previous` from previous_fleet(), `current` a fleet document of build_fleet,
    `models_in_use` the models whose loss is a regression (default: the previous audit's common runnable
    models)."""
    with PausedGC():
        return _compare(previous, current, models_in_use, allow_unreachable, current.get("cap_sets") or {})


def _compare(previous: Mapping[str, Any], current: Fleet, models_in_use: Iterable[str] | None, allow_unreachable: bool,
             cap_names: Mapping[str, Any]) -> dict[str, Any]:
    before = previous["records"]
    order = [r["host"] for r in current["hosts"]]
    now = dict(zip(order, current["hosts"]))
    prev_features, prev_models, prev_of = _pool_sets(previous["guest_cpu"])
    cur_features, cur_models, cur_of = _pool_sets(current.get("guest_cpu"))
    caps_diff = _SetDiff(previous["cap_sets"], cap_names)
    features_diff = _SetDiff(prev_features, cur_features)
    models_diff = _SetDiff(prev_models, cur_models)
    new: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    newly_failing: list[dict[str, Any]] = []
    hosts: list[dict[str, Any]] = []
    regressions: list[dict[str, Any]] = []
    for host in order:
        record, old = now[host], before.get(host)
        failing = _failing(record["status"], allow_unreachable)
        if old is None:
            new.append({"host": host, "status": record["status"]})
        elif old["status"] != "pass" and record["status"] == "pass":
            fixed.append({"host": host, "was": old["status"]})
        if failing and (old is None or not _failing(old["status"], allow_unreachable)):
            entry = {"host": host, "was": old["status"] if old else None, "now": record["status"],
                     "causes": [_cause_name(k) for k in sorted(_causes(record), key=str)]}
            newly_failing.append(entry)
            regressions.append({"kind": "host", "host": host, "why": "%s %s, now %s: %s" % (
                host, "is new in this audit" if old is None else "was %s" % old["status"], record["status"],
                "; ".join(entry["causes"]) or "no cause recorded")})
        if old is not None:
            changed = _host_changes(old, record, caps_diff, features_diff, models_diff)
            if changed:
                hosts.append({"host": host, "changes": changed})
    gone = [{"host": host, "was": old["status"]} for host, old in sorted(before.items()) if host not in now]
    prev_common = ((previous["guest_cpu"] or {}).get("common") or {})
    cur_common = ((current.get("guest_cpu") or {}).get("common") or {})
    in_use = set(models_in_use if models_in_use is not None else prev_common.get("runnable_models") or ())
    pool_regressions = _pool_regressions(previous["guest_cpu"], cur_models, cur_of, in_use)
    for pool in pool_regressions:
        regressions.append({"kind": "pool", "pool": pool["pool"], "hosts": pool["hosts"], "why": (
            "pool %s no longer runs %s on %s" % (pool["pool"], ", ".join(pool["lost"]), ", ".join(pool["hosts"])))})
    common: dict[str, Any] = {}
    if prev_common and cur_common:
        if prev_common.get("level") != cur_common.get("level"):
            common["level"] = [prev_common.get("level"), cur_common.get("level")]
        gained = sorted(set(cur_common.get("runnable_models") or ()) - set(prev_common.get("runnable_models") or ()))
        lost = sorted(set(prev_common.get("runnable_models") or ()) - set(cur_common.get("runnable_models") or ()))
        if gained or lost:
            common["runnable_models"] = {"gained": gained, "lost": lost}
    both = [h for h in order if h in before]
    return {"previous": {"generated_at": previous["generated_at"], "title": previous["title"], "hosts": len(before)},
            "counts": {"newly_failing": len(newly_failing), "fixed": len(fixed), "new": len(new), "gone": len(gone),
                       "changed": len(hosts), "regressions": len(regressions)},
            "models_in_use": sorted(in_use),
            "newly_failing": newly_failing, "fixed": fixed, "new": new, "gone": gone, "hosts": hosts,
            "pools": _pools(prev_of, cur_of, both), "common": common, "regressions": regressions}


def regression_hosts(changes: Mapping[str, Any] | None) -> list[str]:
    """The hosts the regression gate fails: each newly failing host and each host that costs a pool a model."""
    hosts: list[str] = []
    seen: set[str] = set()
    for entry in (changes or {}).get("regressions") or ():
        for host in [entry["host"]] if entry["kind"] == "host" else entry["hosts"]:
            if host not in seen:
                seen.add(host)
                hosts.append(host)
    return hosts
