# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metrics in Prometheus' text exposition format, for node_exporter's textfile collector: fleet.prom with one
sample set per host, and one host's own file (the kvm_metrics filter, which the role drops on the host).

Names and labels follow Prometheus' conventions (a `fleetcheck_kvm_` prefix, base units, an `_info` metric for
the facts that are labels). Every label value is bounded by design: statuses and codes come from this
collection's own lists (an unknown code from a foreign slice is `other`), the guest CPU pool is a 12-digit
fingerprint, and a text from a host (kernel release, backend) is made safe and capped. The host name is a
label only in the fleet's file. Each family is written whole before the next, as the format asks, in one
pass over the hosts per family, so that 100,000 hosts need no second copy.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import level_rank
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.codes import CODES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import STATUSES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.escape import prometheus_label
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet, Verdict

Sample = tuple[dict[str, Any], Any]  # one sample: its labels and its value

PREFIX = "fleetcheck_kvm_"
KNOWN_CODES = frozenset(code for code, _where, _meaning, _remedy in CODES)
_POOL = re.compile(r"^[0-9a-f]{12}$")


def _summary(record: Verdict, key: str, kind: type | tuple[type, ...]) -> Any:
    value = record["summary"].get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _status(record: Verdict) -> list[Sample]:
    return [({"status": status}, int(record["status"] == status)) for status in STATUSES]


def _usable(record: Verdict) -> list[Sample]:
    return [({}, int(record["summary"].get("usable") is True))]


def _root_causes(record: Verdict) -> list[Sample]:
    by_code: dict[str, int] = {}
    for cause in record["root_causes"]:
        code = cause.get("code") if cause.get("code") in KNOWN_CODES else "other"
        by_code[code] = by_code.get(code, 0) + 1
    return [({"code": code}, by_code[code]) for code in sorted(by_code)]


def _blocked(record: Verdict) -> list[Sample]:
    return [({}, record["blocked"])]


def _level(record: Verdict) -> list[Sample]:
    return [({}, level_rank(_summary(record, "guest_cpu_level", str)))]


def _info(record: Verdict) -> list[Sample]:
    api = _summary(record, "api_version", int)
    pool = _summary(record, "guest_cpu_pool", str)
    return [({"backend": _summary(record, "backend", str) or "", "kernel": _summary(record, "kernel", str) or "",
              "arch": _summary(record, "arch", str) or "", "api_version": "" if api is None else str(api),
              "pool": pool if pool is not None and _POOL.match(pool) else ""}, 1)]


# (name, help, samples of one host's record: [({label: value}, number)]), in the order they are written.
HOST_FAMILIES = (
    ("status", "The verdict: 1 for its status, 0 for the others.", _status),
    ("usable", "1 when the KVM device opened and answered, else 0 (also when not known).", _usable),
    ("root_causes", "Root causes of the verdict by problem code (docs/user-guide.md lists every code).",
     _root_causes),
    ("blocked_checks", "Checks not judged because a root cause kept their facts from being gathered.", _blocked),
    ("guest_cpu_level", "The x86-64 micro-architecture level KVM offers guests (1 to 4; 0 when none or not "
     "gathered).", _level),
    ("info", "The KVM as labels (empty when not gathered); always 1.", _info),
)


def _escaper() -> Callable[[object], str]:
    """prometheus_label, each value escaped once: a fleet's label values repeat (statuses, codes, kernels), and
    each host's name is on every one of its samples (measured: a third of fleet.prom's time at 100,000 hosts)."""
    done: dict[object, str] = {}

    def escaped(value: object) -> str:
        try:
            found = done.get(value)
        except TypeError:  # not hashable: escaped each time
            return prometheus_label(value)
        if found is None:
            found = done[value] = prometheus_label(value)
        return found
    return escaped


def _labels(labels: dict[str, Any], escaped: Callable[[object], str] = prometheus_label) -> str:
    if not labels:
        return ""
    return "{%s}" % ",".join('%s="%s"' % (name, escaped(labels[name])) for name in sorted(labels))


def _family(name: str, help_text: str, samples: Iterable[Sample],
            escaped: Callable[[object], str] = prometheus_label) -> Iterator[str]:
    yield "# HELP %s%s %s\n# TYPE %s%s gauge\n" % (PREFIX, name, help_text, PREFIX, name)
    start = PREFIX + name
    for labels, value in samples:
        yield "%s%s %s\n" % (start, _labels(labels, escaped), value)


def _timestamp(generated_at: Any) -> int | None:
    try:
        return calendar.timegm(time.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return None


def _of_every_host(name: str, help_text: str, hosts: list[Verdict], samples: Callable[[Verdict], list[Sample]],
                   escaped: Callable[[object], str]) -> Iterator[str]:
    """A family's samples of every host, each with its `host` label, a host's lines in one chunk. The labels of a
    sample but the host take few values in a fleet (statuses, codes, kernels): each set is rendered once, as the
    text before and after the host's label (labels are written sorted by name)."""
    yield "# HELP %s%s %s\n# TYPE %s%s gauge\n" % (PREFIX, name, help_text, PREFIX, name)
    start = PREFIX + name
    rendered: dict[tuple[tuple[str, Any], ...], tuple[str, str]] = {}
    for record in hosts:
        host, lines = escaped(record["host"]), []
        for labels, value in samples(record):
            key = tuple(sorted(labels.items()))
            around = rendered.get(key)
            if around is None:
                around = rendered[key] = (
                    "%s{%s" % (start, "".join('%s="%s",' % (k, escaped(v)) for k, v in key if k < "host")),
                    "".join(',%s="%s"' % (k, escaped(v)) for k, v in key if k > "host") + "} ")
            lines.append('%shost="%s"%s%s\n' % (around[0], host, around[1], value))
        yield "".join(lines)


def iter_prometheus(fleet: Fleet) -> Iterator[str]:
    """fleet.prom: the audit's time, the hosts by status, and each host's families with a `host` label."""
    generated = _timestamp(fleet.get("generated_at"))
    if generated is not None:
        yield from _family("audit_timestamp_seconds", "When the audit reported, in seconds since the epoch.",
                           [({}, generated)])
    yield from _family("hosts", "Hosts of the audit by verdict status.",
                       (({"status": s}, fleet["counts"].get(s, 0)) for s in STATUSES))
    changes = fleet.get("changes")
    if changes:  # an alert on regressions needs no parsing of the reports
        yield from _family("changes", "Changes since the previous audit, by kind (a regression is what the "
                           "regression gate fails on).", (({"kind": kind}, changes["counts"][kind])
                                                          for kind in sorted(changes["counts"])))
    escaped = _escaper()
    for name, help_text, samples in HOST_FAMILIES:
        yield from _of_every_host("host_" + name, help_text, fleet["hosts"], samples, escaped)


def host_textfile(record: Verdict) -> str:
    """One host's own file (a normalized verdict's record): its families without a host label, and no time, so
    that an unchanged verdict writes the same file (node_exporter's node_textfile_mtime_seconds says when it
    last changed)."""
    return "".join(chunk for name, help_text, samples in HOST_FAMILIES
                   for chunk in _family("host_" + name, help_text, samples(record)))
