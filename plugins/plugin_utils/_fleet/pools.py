# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migration pools of a fleet, from each host's guest_cpu facts (controller side, pure).

Live migration needs the destination to offer every CPU feature the guest was started
with. So a guest started with the fleet's common feature set can go anywhere; hosts
with identical feature sets form a pool in which any guest can move freely.

fleet_pools({host: guest_cpu facts}) returns:
  hosts (count), excluded ({host: why}: no guest_cpu facts, skipped, error),
  common: features, level, missing_for_next_level, runnable_models (on every host; never host or max, which
         QEMU marks not migration-safe),
  pools: best first; each id (naming.fingerprint of its features), hosts, level, features,
         runnable_models (on every host of the pool), feature_count, lacking (features of
         the best pool it lacks), without_it (the common level and the models gained if the
         whole pool left, or None),
  holding_back: hosts whose removal would raise the common level or add runnable models,
         with what they lack (features the others all share), the level and models gained.
Everything but the pools' hosts, features and runnable_models is derived from them, so
fleet_view(pools of several slices, excluded of all) gives exactly the view of the whole
fleet: slice reports merge without the hosts' facts.
No ioctl code: this runs in the evaluator and the reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_rank, x86_64_level
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.cpu_config import (
    DEPRECATED, NOT_MIGRATION_SAFE, cpu_config)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import mapping


def usable_guest_cpu(guest_cpu: object) -> tuple[frozenset[str], frozenset[str]] | tuple[None, str]:
    """(features, runnable models) of a host's guest_cpu facts, or (None, why not)."""
    if not isinstance(guest_cpu, dict):
        return None, "no guest_cpu facts (gather_subset lacks guest_cpu)"
    for key in ("skipped", "error"):
        if guest_cpu.get(key):
            return None, "guest_cpu %s: %s" % (key, guest_cpu[key])
    if not isinstance(guest_cpu.get("features"), list) or not isinstance(guest_cpu.get("runnable_models"), list):
        return None, "guest_cpu facts without features and runnable_models"
    # host and max take whatever the host has: QEMU marks them migration-safe false, so they run on the host but
    # are no model a guest can be moved across a pool with.
    return frozenset(guest_cpu["features"]), frozenset(guest_cpu["runnable_models"]) - NOT_MIGRATION_SAFE


def hyperv_of(hyperv: object) -> dict[str, list[str]]:
    """{"hyperv": offered, "hyperv_passthrough": what hv-passthrough gives} of a host's hyperv facts, for its pool; {}
    when they are not there (the pool's Hyper-V set is then unknown)."""
    if not isinstance(hyperv, dict) or not isinstance(hyperv.get("enlightenments"), dict):
        return {}
    offered = [name for name, entry in hyperv["enlightenments"].items() if isinstance(entry, dict) and entry.get("offered") is True]
    given = mapping(hyperv.get("passthrough")).get("enlightenments")
    return {"hyperv": sorted(offered), "hyperv_passthrough": sorted(given) if isinstance(given, list) and _names(given) else []}


def _hyperv(pools: list[dict[str, Any]]) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(the Hyper-V enlightenments every host of these pools offers, or None when one host's are unknown; the union of
    what hv-passthrough gives on them)."""
    known = [p.get("hyperv") for p in pools]
    lists = [h for h in known if _names(h)]
    offered = _intersection(lists) if known and len(lists) == len(known) else None
    passthrough = frozenset(name for p in pools if _names(p.get("hyperv_passthrough")) for name in p["hyperv_passthrough"])
    return offered, passthrough


def _intersection(sets: Iterable[Iterable[str]]) -> frozenset[str]:
    sets = list(sets)
    if not sets:
        return frozenset()
    common = set(sets[0])
    for other in sets[1:]:
        common.intersection_update(other)
    return frozenset(common)


def _summary(features: Iterable[str], models: Iterable[str]) -> dict[str, Any]:
    level, missing = x86_64_level(features)
    return {"features": sorted(features), "level": level, "missing_for_next_level": missing,
            "runnable_models": sorted(models)}


def fleet_pools(hosts: Mapping[str, object], excluded: Mapping[str, str] | None = None,
                hyperv_facts: Mapping[str, object] | None = None) -> dict[str, Any]:
    """The fleet view of {host: guest_cpu facts}; see the module docstring.

    `excluded` ({host: why}) adds hosts the caller already knows have no usable facts; `hyperv_facts` ({host: hyperv
    facts}) gives each pool the Hyper-V enlightenments all its hosts offer.
    """
    excluded = dict(excluded or {})
    pools: dict[frozenset[str], dict[str, Any]] = {}  # grouped here already: one set per pool, not per host, for fleets of 100,000 hosts
    for host in sorted(hosts):
        features, models = usable_guest_cpu(hosts[host])
        if features is None:
            excluded[host] = str(models)  # the reason
            continue
        hyperv = hyperv_of((hyperv_facts or {}).get(host))
        pool = pools.get(features)
        if pool is None:
            pools[features] = {"hosts": [host], "features": features, "runnable_models": models, "members": [hyperv]}
        else:
            pool["hosts"].append(host)
            pool["runnable_models"] = pool["runnable_models"] & models
            pool["members"].append(hyperv)
    for pool in pools.values():  # the Hyper-V set of the pool: what each of its hosts offers
        offered, passthrough = _hyperv(pool.pop("members"))
        pool.update(hyperv=None if offered is None else sorted(offered), hyperv_passthrough=sorted(passthrough))
    return fleet_view(list(pools.values()), excluded)


def fleet_view(pools: list[dict[str, Any]], excluded: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fleet view from pools alone (hosts, features, runnable_models each), e.g. of several slices.

    Pools with the same features merge: their hosts join, and only the models runnable on
    all of them stay runnable. Everything else is recomputed.
    """
    by_features: dict[frozenset[str], dict[str, Any]] = {}
    for given in pools:
        features = frozenset(given["features"])
        pool = by_features.setdefault(features, {"hosts": set(), "models": [], "given": []})
        pool["hosts"].update(given["hosts"])
        pool["models"].append(frozenset(given["runnable_models"]))
        pool["given"].append(given)
    pools = []
    for features, pool in by_features.items():
        models = _intersection(pool["models"])
        level, _missing = x86_64_level(features)
        hyperv, passthrough = _hyperv(pool["given"])
        pools.append({"id": fingerprint(features), "hosts": sorted(pool["hosts"]), "level": level, "features": features,
                      "models": models, "feature_count": len(features), "hyperv": hyperv, "passthrough": passthrough})
    # Best first: highest level, then most runnable models, then most features; the id breaks ties.
    pools.sort(key=lambda p: (-level_rank(p["level"]), -len(p["models"]), -p["feature_count"], p["id"]))
    common_features = _intersection(p["features"] for p in pools)
    common_models = _intersection(p["models"] for p in pools)
    common = _summary(common_features, common_models)
    common_hyperv = None if not pools or any(p["hyperv"] is None for p in pools) else _intersection(
        p["hyperv"] for p in pools)
    common["config"] = cpu_config(common_models, common_features, common_hyperv,
                                  frozenset().union(*(p["passthrough"] for p in pools)))
    common["host_dependent_models"] = sorted(NOT_MIGRATION_SAFE)  # run on each host; never offered for migration
    best = pools[0]["features"] if pools else frozenset()
    for index, pool in enumerate(pools):
        pool["lacking"] = sorted(best - pool["features"])
        pool["without_it"] = _gains(pools[:index] + pools[index + 1:], common)
    holding_back = _holding_back(pools, common)
    shown = []
    for pool in pools:
        gains = pool["without_it"]
        shown.append({"id": pool["id"], "hosts": pool["hosts"], "level": pool["level"],
                      "features": sorted(pool["features"]), "runnable_models": sorted(pool["models"]),
                      "feature_count": pool["feature_count"], "lacking": pool["lacking"],
                      "deprecated_models": sorted(pool["models"] & DEPRECATED),
                      "hyperv": None if pool["hyperv"] is None else sorted(pool["hyperv"]),
                      "hyperv_passthrough": sorted(pool["passthrough"]),
                      "config": cpu_config(pool["models"], pool["features"], pool["hyperv"], pool["passthrough"]),
                      "without_it": {"level": gains["level"], "models_gained": gains["models_gained"]} if gains else None})
    return {"hosts": sum(len(p["hosts"]) for p in pools), "excluded": dict(sorted((excluded or {}).items())),
            "common": common, "pools": shown, "holding_back": holding_back}


def _names(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def merge_views(views: Iterable[object]) -> dict[str, Any]:
    """One fleet view from the views of several slices (each fleet.json's guest_cpu): the pools carry
    their feature lists, so the merge is exact; hosts excluded from any slice stay excluded. A slice's view
    is read as untrusted: a pool that is not hosts, features and runnable models, each a list of names,
    is left out and its hosts are excluded with that reason."""
    excluded: dict[str, str] = {}
    pools: list[dict[str, Any]] = []
    for view in views:
        if not isinstance(view, dict):
            continue
        if isinstance(view.get("excluded"), dict):
            excluded.update((str(host), str(why)) for host, why in view["excluded"].items())
        listed = view.get("pools")
        for pool in listed if isinstance(listed, list) else ():
            if isinstance(pool, dict) and all(_names(pool.get(key)) for key in ("hosts", "features", "runnable_models")):
                pools.append(pool)
            elif isinstance(pool, dict) and _names(pool.get("hosts")):
                excluded.update((host, "its pool in a slice's fleet.json is malformed (hosts, features and "
                                       "runnable_models must be lists of names)") for host in pool["hosts"])
    return fleet_view(pools, excluded)


def _gains(others: list[dict[str, Any]], common: dict[str, Any]) -> dict[str, Any] | None:
    """{"level", "models_gained", "features"} of the fleet without some pools, or None if nothing is gained."""
    if not others:
        return None
    features = _intersection(p["features"] for p in others)
    gained_models = sorted(_intersection(p["models"] for p in others) - set(common["runnable_models"]))
    level, _missing = x86_64_level(features)
    if level_rank(level) > level_rank(common["level"]) or gained_models:
        return {"level": level, "models_gained": gained_models, "features": features}
    return None


def _holding_back(pools: list[dict[str, Any]], common: dict[str, Any]) -> list[dict[str, Any]]:
    """Hosts alone in their pool whose removal raises the common level or adds runnable models.

    A host that shares its pool holds nothing back alone (its pool mates offer the same set);
    such pools show their own gains in their `without_it`.
    """
    found = []
    for pool in pools:
        gains = pool["without_it"]
        if len(pool["hosts"]) == 1 and gains:
            found.append({"host": pool["hosts"][0], "pool": pool["id"],
                          "lacks": sorted(gains["features"] - pool["features"]),
                          "level_without_it": gains["level"], "models_gained_without_it": gains["models_gained"]})
    return found
