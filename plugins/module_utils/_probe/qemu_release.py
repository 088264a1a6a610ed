# SPDX-License-Identifier: GPL-3.0-or-later
"""Which QEMU release a host's guest CPU is judged for: the qemu_version option.

`auto` asks the host what is installed, cheaply and without starting a VM: the package database of
Debian and Ubuntu (/var/lib/dpkg/status, qemu-system-x86), else the version line of the first
QEMU binary found (RHEL and its family ship /usr/libexec/qemu-kvm). A host without QEMU is judged
for the newest table. A release without a table gets the nearest older one, named as such.
"""

import re

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import nearest_table, release_rank, releases

DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_PACKAGE = b"qemu-system-x86"
QEMU_BINARIES = ("/usr/bin/qemu-system-x86_64", "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm")
VERSION_TIMEOUT = 5.0  # seconds `qemu --version` may take; it prints one line and exits
RELEASE = re.compile(r"^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?$")
DPKG_VERSION = re.compile(br"^Version: ((?:\d+:)?(\d+\.\d+(?:\.\d+)?)\S*)", re.M)  # the whole, the upstream part
BINARY_VERSION = re.compile(r"version (\d+\.\d+(?:\.\d+)?)")


def parse_spec(spec):
    """The qemu_version option as ['auto'] or release strings; ValueError naming the option otherwise."""
    values = ["auto"] if spec in (None, "", []) else [str(value).strip() for value in spec]
    if values == ["auto"]:
        return values
    bad = [value for value in values if not RELEASE.match(value)]
    if bad or not values:
        raise ValueError("qemu_version must be 'auto' or QEMU releases such as 10.0 or 8.2.2, got %s"
                         % ", ".join(repr(value) for value in (bad or values)))
    return list(dict.fromkeys(values))  # each release once, in the order given


def table_for(version):
    """(the table's release, why not the release itself or None) for a QEMU version such as '8.2.2'."""
    table = nearest_table(version)
    if release_rank(table) == release_rank(version):
        return table, None
    if release_rank(table) < release_rank(version):
        return table, "no table for QEMU %s: the nearest older release's, %s, is used" % (version, table)
    return table, ("QEMU %s is older than every table: the oldest, %s, is used, and may name models %s lacks"
                   % (version, table, version))


def installed(kernel):
    """(version, where it was read) of the QEMU installed on the host, or (None, why none was found)."""
    try:
        status = kernel.read_bytes(DPKG_STATUS)
    except OSError:
        status = b""
    start = status.find(b"Package: " + DPKG_PACKAGE + b"\n")
    if start >= 0:
        end = status.find(b"\n\n", start)
        paragraph = status[start:end if end >= 0 else len(status)]
        version = DPKG_VERSION.search(paragraph)
        if b"Status: install ok installed" in paragraph and version:
            return version.group(2).decode("ascii"), "dpkg: %s %s" % (
                DPKG_PACKAGE.decode("ascii"), version.group(1).decode("ascii", "replace"))
    for binary in QEMU_BINARIES:
        try:
            output = kernel.run([binary, "--version"], VERSION_TIMEOUT)
        except OSError:
            continue
        found = BINARY_VERSION.search(output)
        if found:
            return found.group(1), "%s --version" % binary
    return None, "no %s package in %s and none of %s" % (DPKG_PACKAGE.decode("ascii"), DPKG_STATUS, ", ".join(QEMU_BINARIES))


def choose(spec, kernel):
    """[(table release, the facts' qemu entry)] for a parsed qemu_version option, first the main one."""
    if spec != ["auto"]:
        versions = [(value, "requested", None) for value in spec]
    else:
        version, source = installed(kernel)
        versions = [(version, "installed", source) if version else (releases()[-1], "newest", source)]
    chosen = []
    for version, why, source in versions:
        table, note = table_for(version)
        entry = {"version": version, "why": why, "table": table}
        if source:
            entry["source"] = source
        if note:
            entry["note"] = note
        chosen.append((table, entry))
    return chosen
