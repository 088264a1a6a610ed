# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports of audit slices (AWX job slicing, runs with --limit), read back to be merged into one.

A slice file is read like a host's facts: as untrusted input. A file that cannot be read at all is named
with what is wrong; a record that is not a host's verdict becomes a no_facts host named after its slice and
place, with the cause; a verdict that does not fit is the report writer's to turn into a no_facts record.
Nothing in one slice costs another slice, or another host, its place in the merged report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._gc import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import no_facts_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._text import safe_text
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet, Verdict

MAX_SLICE_BYTES = 1 << 30  # a fleet.json of 100,000 hosts is some 200 MB


class SliceError(ValueError):
    """A slice that cannot be merged; the message names it and says why."""


def slice_file(source: str, cwd: str) -> str:
    """The fleet.json of a source: the file itself, or fleet.json in the directory; relative to cwd."""
    path = source if os.path.isabs(source) else os.path.join(cwd, source)
    return path if path.endswith(".json") else os.path.join(path, "fleet.json")


def _loads(data: bytes) -> Any:
    """JSON from bytes as they are (no decoded copy of a file that may be hundreds of MB: a quarter faster), or, where
    they are not UTF-8 throughout, from what can be read of them."""
    try:
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            return json.loads(data.decode("utf-8", "replace"))
    except RecursionError:  # the parser recurses per level: a hostile file nested thousands deep
        raise ValueError("it is nested deeper than this Python can parse")


def _read_bytes(path: str, what: str) -> bytes:
    try:
        if os.path.getsize(path) > MAX_SLICE_BYTES:
            raise SliceError("%s %s is larger than %d bytes" % (what, path, MAX_SLICE_BYTES))
        with open(path, "rb") as handle:
            return handle.read()
    except (OSError, IOError) as error:
        raise SliceError("cannot read %s %s: %s" % (what, path, error))


def _document(document: Any, path: str, what: str) -> Fleet:
    if not isinstance(document, dict):
        raise SliceError("%s %s is %s, not a fleet document" % (what, path, type(document).__name__))
    if not isinstance(document.get("hosts"), list):
        raise SliceError("%s %s has no list of hosts (hosts is %s)" % (what, path, type(document.get("hosts")).__name__))
    return document


def read_slice(path: str, what: str = "the slice") -> Fleet:
    """The fleet document at path (a mapping with a list of hosts): a slice, or a previous audit's. Raises
    SliceError naming what and the file."""
    raw = _read_bytes(path, what)
    try:
        # Millions of objects made at once: with the collector on, each collection walks all that were made
        # before, and with a fleet's verdicts already in memory that was two thirds of the read (100,000 hosts).
        with PausedGC():
            document = _loads(raw)
    except ValueError as error:
        raise SliceError("%s %s is not JSON: %s" % (what, path, error))
    return _document(document, path, what)


# fleet.json as iter_json writes it: the top-level keys a line each, then a host per line, each record's checks last,
# after CHECKS_LAST (the writer joins them with it).
CHECKS_LAST = ', "checks": '
_HEAD, _HOSTS, _END, _CHECKS = b"{\n", b'\n "hosts": [\n', b"\n ]\n}\n", CHECKS_LAST.encode("ascii") + b"["


def read_without_checks(path: str, what: str = "the previous audit's report") -> Fleet:
    """read_slice's document, each host's record without its checks (the comparison with a previous audit reads
    none), parsed from the part of each line before them where the file is laid out as iter_json writes it: a
    third of the bytes, and only that third copied. A record whose cut does not parse to a host's record (another
    writer's key order, a "checks" key nested before the record's own: the cut then leaves a brace open) is parsed
    whole, and a file laid out otherwise is read whole (read_slice)."""
    raw = _read_bytes(path, what)
    hosts_at = raw.find(_HOSTS)
    if hosts_at < 0 or not raw.startswith(_HEAD) or not raw.endswith(_END):
        return read_slice(path, what)
    try:
        with PausedGC():
            document = _loads(b"{" + raw[len(_HEAD):hosts_at].replace(b"\n", b"") + b' "hosts": []}')
            if not isinstance(document, dict):
                return _document(document, path, what)
            hosts, start, end = [], hosts_at + len(_HOSTS), len(raw) - len(_END)
            while start <= end:  # an empty list: its line and the end share their newline, start is end + 1
                stop = raw.find(b"\n", start, end)
                stop = end if stop < 0 else stop
                cut = raw.find(_CHECKS, start, stop)
                record = None
                if cut > start:
                    try:
                        record = _loads(raw[start:cut] + b"}")
                    except ValueError:
                        record = None
                if not (isinstance(record, dict) and "host" in record and "status" in record):
                    line = raw[start:stop]
                    record = _loads(line[:-1] if line.endswith(b",") else line)
                hosts.append(record)
                start = stop + 1
    except ValueError as error:
        raise SliceError("%s %s is not JSON: %s" % (what, path, error))
    document["hosts"] = hosts
    return document


def merge_slices(sources: list[Any], cwd: str, inventory: Iterable[object] = ()) -> tuple[
        list[str], dict[str, Verdict], list[dict[str, Any]], str | None, dict[str, Any], dict[str, Any]]:
    """(hosts in order, {host: verdict}, guest CPU views, title, capability sets, requirement sets) of the slices. Hosts come in the inventory's
    order, then those the inventory lacks in the slices' order. Raises SliceError for a slice that cannot be
    read and for a host in more than one slice."""
    if not sources:
        raise SliceError("set kvm_merge_sources to the report directories (or fleet.json files) of the slices")
    records: list[tuple[str, Verdict]] = []
    origin: dict[str, str] = {}
    views: list[dict[str, Any]] = []
    title: str | None = None
    sets: dict[str, Any] = {}
    requirements: dict[str, Any] = {}
    for source in sources:
        path = slice_file(safe_text(source), cwd)
        document = read_slice(path)
        title = title or (document.get("title") if isinstance(document.get("title"), str) else None)
        if isinstance(document.get("guest_cpu"), dict):
            views.append(document["guest_cpu"])
        if isinstance(document.get("cap_sets"), dict):  # a fingerprint names one set: the slices agree on it
            sets.update(document["cap_sets"])
        if isinstance(document.get("requirement_sets"), dict):  # so does a requirement set's name (a fingerprint)
            requirements.update(document["requirement_sets"])
        for index, record in enumerate(document["hosts"]):
            host = record.get("host") if isinstance(record, dict) else None
            if not isinstance(host, str) or not host:
                host = "%s#%d" % (path, index)
                record = no_facts_verdict(host, "record %d of the slice %s is not a host's verdict (%s): the slice "
                                                "is damaged; audit that slice again" % (
                                                    index, path, type(record).__name__ if not isinstance(record, dict)
                                                    else "host is %s" % type(record.get("host")).__name__),
                                          code="facts.malformed")
            if host in origin:
                raise SliceError("%s is in more than one slice: %s and %s" % (host, origin[host], path))
            origin[host] = path
            records.append((host, record))
    verdicts = dict(records)
    listed = [host for host in inventory if isinstance(host, str) and host in verdicts]
    first = set(listed)
    ordered = listed + [host for host, _record in records if host not in first]
    return ordered, verdicts, views, title, sets, requirements
