# SPDX-License-Identifier: GPL-3.0-or-later
"""The hugepages subset: every huge page size, host-wide and per NUMA node, and the THP mode.

Read from the kernel's own files (Documentation/admin-guide/mm/hugetlbpage.rst and transhuge.rst).
"""

import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text

HUGEPAGES_DIR = "/sys/kernel/mm/hugepages"
NODES_DIR = "/sys/devices/system/node"
THP_DIR = "/sys/kernel/mm/transparent_hugepage"
# fact name -> file of a hugepages-<size>kB directory (per node: no resv or overcommit files)
COUNTERS = (("total", "nr_hugepages"), ("free", "free_hugepages"), ("reserved", "resv_hugepages"),
            ("surplus", "surplus_hugepages"), ("overcommit", "nr_overcommit_hugepages"))


def _sizes(kernel, directory):
    """{"2048kB": {total, free, ...}} of one hugepages directory."""
    sizes = {}
    for entry in sorted(kernel.listdir(directory)):
        if not entry.startswith("hugepages-"):
            continue
        counts = {"size_kb": int(entry[len("hugepages-"):-len("kB")])}
        for fact, name in COUNTERS:
            try:
                counts[fact] = int(kernel.read_text(os.path.join(directory, entry, name)))
            except (OSError, ValueError):
                continue  # per-node directories have no reserved or overcommit counters
        sizes[entry[len("hugepages-"):]] = counts
    return sizes


def selected(text):
    """'always [madvise] never' -> 'madvise'."""
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return text.strip() or None


def probe(ctx):
    kernel = ctx.kernel
    facts = {"sizes": {}, "nodes": {}, "thp": {"enabled": None, "defrag": None}}
    errors = []
    try:
        facts["sizes"] = _sizes(kernel, HUGEPAGES_DIR)
    except OSError as error:
        errors.append("%s: %s (a kernel without hugetlbfs)" % (HUGEPAGES_DIR, errno_text(error)))
    try:
        nodes = sorted(n for n in kernel.listdir(NODES_DIR) if n.startswith("node") and n[4:].isdigit())
    except OSError:
        nodes = []  # a kernel without NUMA sysfs: the host-wide counters above are all there is
    for node in nodes:
        try:
            facts["nodes"][node] = _sizes(kernel, os.path.join(NODES_DIR, node, "hugepages"))
        except OSError:
            continue
    for key in ("enabled", "defrag"):
        try:
            facts["thp"][key] = selected(kernel.read_text(os.path.join(THP_DIR, key)))
        except OSError:
            pass  # no THP in this kernel: null
    return {"hugepages": facts}, errors
