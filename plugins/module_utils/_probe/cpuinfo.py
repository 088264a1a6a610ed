# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The first CPU's entry of /proc/cpuinfo: its flags and vendor, as the kernel prints them.

Read by the guest CPU subset (QEMU 10.0 adds a few of the host's own CPUID bits) and by the explanation of a
missing /dev/kvm (vmx or svm, and whether the host is itself a guest). The flags may explain, never decide.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The first CPU's entry, flags included, is 2 to 4 kB; the kernel writes the rest only if read, CPU by CPU.
CPUINFO_HEAD = 16384


def first_cpu(kernel):
    """(flags, vendor) of the first CPU: flags a list of the kernel's names, or None when /proc/cpuinfo cannot be
    read or has no flags line (other architectures); vendor the vendor_id, or None."""
    try:
        head = kernel.read_head("/proc/cpuinfo", CPUINFO_HEAD)
    except OSError:
        return None, None
    entry = head.decode("utf-8", "replace").split("\n\n", 1)[0]
    fields = {}
    for line in entry.split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip(), value.strip())
    flags = fields.get("flags")
    return (flags.split() if flags is not None else None), (fields.get("vendor_id") or None)
