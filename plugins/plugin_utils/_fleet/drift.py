# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosts that drift from the fleet: a kernel, backend, capability set or module parameter that
differs from the fleet's most common value.

It reads only the records' summaries (the evaluator's verdicts); it judges nothing anew.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Verdict

# The summary keys compared with the fleet's most common value. `parameters` is compared per
# module parameter ("kvm_intel.nested"), among the hosts that report that parameter.
DRIFT_FACTS = ("kernel", "backend", "caps", "parameters")
JUDGED = ("pass", "fail")


def _hashable(value: object) -> object:
    if value is None or type(value) is str or isinstance(value, (int, float, bool)):  # pylint: disable=unidiomatic-typecheck
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _most_common(counts: dict[Any, int]) -> Any:
    """The most common value; ties go to the smallest, so the answer does not depend on host order."""
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0]


def flat_parameters(parameters: object) -> dict[str, Any]:
    """{"kvm_intel": {"nested": "Y"}} as {"kvm_intel.nested": "Y"}; anything else as {}."""
    flat: dict[str, Any] = {}
    if isinstance(parameters, dict):
        for module, values in parameters.items():
            if isinstance(values, dict):
                for name, value in values.items():
                    flat["%s.%s" % (module, name)] = _hashable(value)
    return flat


def drift(records: list[Verdict]) -> dict[str, Any]:
    """The hosts whose kernel, backend, capability set or module parameters differ from the fleet's
    most common value. Each fact is compared only across the judged hosts (pass or fail) where it was
    gathered; `left_out` counts, per fact, the judged hosts where it was not (null: never a value)."""
    judged = [(r["host"], r["summary"]) for r in records if r["status"] in JUDGED and r.get("summary")]
    scalars = DRIFT_FACTS[:3]
    columns = [[_hashable(summary.get(fact)) for _host, summary in judged] for fact in scalars]
    majority = dict((fact, _most_common(Counter(v for v in column if v is not None)))
                    for fact, column in zip(scalars, columns))
    flats = [flat_parameters(summary.get("parameters")) for _host, summary in judged]
    parameter_counts: dict[str, dict[Any, int]] = {}
    for flat in flats:
        for key, value in flat.items():
            seen = parameter_counts.setdefault(key, {})
            seen[value] = seen.get(value, 0) + 1
    majority["parameters"] = dict((key, _most_common(seen)) for key, seen in sorted(parameter_counts.items()))
    majority["caps_count"] = None
    hosts = []
    totals = dict((fact, 0) for fact in DRIFT_FACTS)
    usual = tuple(majority[fact] for fact in scalars)
    usual_parameters = majority["parameters"]
    for index, (host, summary) in enumerate(judged):
        differs = {}
        for column, fact, expected in zip(columns, scalars, usual):
            value = column[index]
            if value is not None and value != expected:
                differs[fact] = value
        if majority["caps_count"] is None and columns[2][index] is not None and columns[2][index] == usual[2]:
            majority["caps_count"] = summary.get("caps_count")
        odd = dict((key, value) for key, value in flats[index].items() if value != usual_parameters[key])
        if odd:
            differs["parameters"] = odd
        if differs:
            for fact in differs:
                totals[fact] += 1
            hosts.append({"host": host, "differs": differs})
    left_out = dict((fact, sum(1 for value in column if value is None)) for fact, column in zip(scalars, columns))
    left_out["parameters"] = sum(1 for _host, summary in judged if not isinstance(summary.get("parameters"), dict))
    return {"judged": len(judged), "majority": majority, "counts": totals, "hosts": hosts, "left_out": left_out}


def drift_by_value(fleet_drift: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """The drifting hosts grouped by (fact, value), the largest group first: [(fact, value, hosts)]."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for entry in fleet_drift["hosts"]:
        for fact, value in entry["differs"].items():
            if fact == "parameters":
                for key, param in sorted(value.items()):
                    grouped.setdefault((fact, "%s=%s" % (key, param)), []).append(entry["host"])
            else:
                grouped.setdefault((fact, value), []).append(entry["host"])
    return sorted(((fact, value, hosts) for (fact, value), hosts in grouped.items()),
                  key=lambda item: (-len(item[2]), item[0], str(item[1])))
