# SPDX-License-Identifier: GPL-3.0-or-later
"""The cgroup subset: v1, v2 or hybrid, the controllers this process can use, and its device cgroup.

From /proc/self/mounts, /proc/self/cgroup and the cgroup files (Documentation/admin-guide/cgroup-v1/
devices.rst and cgroup-v2.rst). Also used by the device probes to explain EPERM.
"""

import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text

MOUNTS = "/proc/self/mounts"
SELF_CGROUP = "/proc/self/cgroup"


def _mounts(kernel, controllers):
    """{"v1": {controller: mount point}, "v2": mount point or None}; a v1 mount's options name its
    controllers among the mount flags, so only the controllers the kernel lists count."""
    found = {"v1": {}, "v2": None}
    for line in kernel.read_text(MOUNTS).splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup2":
            found["v2"] = found["v2"] or fields[1]
        elif fields[2] == "cgroup":
            for option in fields[3].split(","):
                if option in controllers:
                    found["v1"][option] = fields[1]
    return found


def _memberships(kernel):
    """{hierarchy controllers ("" for v2): cgroup path} from /proc/self/cgroup."""
    found = {}
    for line in kernel.read_text(SELF_CGROUP).splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            found[parts[1]] = parts[2]
    return found


def layout(kernel):
    """The cgroup facts of this process."""
    member = _memberships(kernel)
    mounts = _mounts(kernel, set(c for names in member if names for c in names.split(",")))
    v1 = sorted(mounts["v1"])
    version = "hybrid" if v1 and mounts["v2"] else "v1" if v1 else "v2" if mounts["v2"] else None
    v2_controllers = []
    if mounts["v2"] and "" in member:
        try:
            v2_controllers = kernel.read_text(os.path.join(mounts["v2"], member[""].lstrip("/"),
                                                           "cgroup.controllers")).split()
        except OSError:
            v2_controllers = []
    facts = {"version": version, "v1_controllers": [c for c in v1 if not c.startswith("name=")],
             "v2_controllers": v2_controllers, "unified_mount": mounts["v2"],
             "controllers": sorted(set(c for c in v1 if not c.startswith("name=")) | set(v2_controllers)),
             "cgroups": member, "device_controller": None, "devices_list": None}
    if "devices" in mounts["v1"]:
        path = next((p for names, p in member.items() if "devices" in names.split(",")), "/")
        facts["device_controller"] = "v1 devices (%s)" % path
        # Without a cgroup namespace a container sees its host path in /proc/self/cgroup but its own
        # cgroup at the mount's root: try the path, then the root.
        for where in (path.lstrip("/"), ""):
            try:
                facts["devices_list"] = kernel.read_text(os.path.join(mounts["v1"]["devices"], where,
                                                                      "devices.list")).splitlines()
                break
            except OSError:
                continue
    elif mounts["v2"]:
        facts["device_controller"] = "v2 BPF device program (not readable from files)"
    return facts


def allows(devices_list, major, minor):
    """Whether a v1 devices.list grants read-write on c major:minor (Documentation/admin-guide/cgroup-v1/
    devices.rst: entries 'type major:minor access', 'a' for all, '*' for any number)."""
    for entry in devices_list or ():
        fields = entry.split()
        if len(fields) != 3:
            continue
        kind, number, access = fields
        want = number.split(":")
        if kind in ("a", "c") and len(want) == 2 and want[0] in ("*", str(major)) and \
                want[1] in ("*", str(minor)) and "r" in access and "w" in access:
            return True
    return False


def eperm_note(kernel, major, minor):
    """A sentence naming the device cgroup as the cause of EPERM, from what this process can read."""
    try:
        facts = layout(kernel)
    except OSError:
        return "the device cgroup of this process does not allow c %d:%d" % (major, minor)
    if facts["devices_list"] is not None:
        verdict = "allows" if allows(facts["devices_list"], major, minor) else "does not allow"
        return "the device cgroup %s %s c %d:%d (its devices.list: %s)" % (
            facts["device_controller"], verdict, major, minor, "; ".join(facts["devices_list"]) or "empty")
    return "the device cgroup (%s) does not allow c %d:%d" % (facts["device_controller"], major, minor)


def probe(ctx):
    try:
        return {"cgroup": layout(ctx.kernel)}, []
    except OSError as error:
        return {"cgroup": {"version": None, "controllers": [], "error": errno_text(error)}}, [
            "cgroup: cannot read %s or %s: %s" % (MOUNTS, SELF_CGROUP, errno_text(error))]
