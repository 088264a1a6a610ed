# SPDX-License-Identifier: GPL-3.0-or-later
"""Is this process in a container, and which? Read from what the runtimes leave and the kernel exposes, so that
a device problem gets the container's remedy (--device, the device cgroup), not the host's (mknod, modprobe).

The evidence, first found wins: podman's /run/.containerenv, the `container=` variable that systemd, LXC, podman
and systemd-nspawn give PID 1 (/proc/1/environ, readable as root), the cgroup paths runtimes create
(/proc/1/cgroup: docker-<id>.scope, libpod-, kubepods, lxc, machine-<name>.scope), and last Docker's /.dockerenv.
/.dockerenv lives in the image, so a VM or machine image made from a container image (docker export) keeps it: it
counts only when the root file system is not a block device's own file system, mounted from its root.
"""

import re

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_MINOR, KVM_MISC_MAJOR
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.cgroup import allows, layout

PODMAN_MARKER = "/run/.containerenv"  # on the container's /run, a tmpfs: it never leaks into an image
DOCKER_MARKER = "/.dockerenv"
MOUNTINFO = "/proc/self/mountinfo"
PID1_ENVIRON = "/proc/1/environ"
PID1_CGROUP = "/proc/1/cgroup"
# (pattern in a cgroup path, runtime), the most specific first: kubepods paths hold the CRI's own scope too
CGROUP_PATHS = ((r"kubepods", "kubernetes"), (r"libpod", "podman"), (r"/docker[-/]", "docker"),
                (r"/lxc[./]|/lxc\.payload", "lxc"), (r"/machine\.slice/machine-", "systemd-nspawn"),
                (r"/containerd|cri-containerd", "containerd"))
RUNTIME_WORD = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")


def detect(kernel, major=KVM_MISC_MAJOR, minor=KVM_MINOR):
    """{"runtime": name, "evidence": what said so, "mknod_allowed": whether the device cgroup lets a node made
    inside (c major:minor) be opened: True or False from a v1 devices.list, None where the kernel keeps it in a BPF
    program (cgroup v2)}, or None on a host that shows no sign of a container."""
    found = _runtime(kernel)
    if found:
        try:
            listed = layout(kernel)["devices_list"]
        except OSError:
            listed = None
        found["mknod_allowed"] = None if listed is None else allows(listed, major, minor)
    return found


def _runtime(kernel):
    if _exists(kernel, PODMAN_MARKER):
        return {"runtime": "podman", "evidence": PODMAN_MARKER}
    try:
        environ = kernel.read_bytes(PID1_ENVIRON)
    except OSError:  # not root, or no /proc: the cgroup paths may still say
        environ = b""
    for entry in environ.split(b"\0"):
        if entry.startswith(b"container="):
            name = entry[len(b"container="):].decode("ascii", "replace")
            return {"runtime": name if RUNTIME_WORD.match(name) else "unknown",
                    "evidence": "%s (container=)" % PID1_ENVIRON}
    try:
        cgroups = kernel.read_text(PID1_CGROUP)
    except (OSError, UnicodeDecodeError):
        cgroups = ""
    for pattern, runtime in CGROUP_PATHS:
        if re.search(pattern, cgroups):
            return {"runtime": runtime, "evidence": "%s (%s)" % (PID1_CGROUP, runtime)}
    if _exists(kernel, DOCKER_MARKER) and not _root_is_a_disk(kernel):
        return {"runtime": "docker", "evidence": DOCKER_MARKER}
    return None


def _exists(kernel, path):
    try:
        kernel.stat(path)
        return True
    except OSError:
        return False


def _root_is_a_disk(kernel):
    """Is / a block device's file system mounted from its own root, as a machine boots it? (mountinfo: the mount
    point "/", the root within the file system "/", a source under /dev/). A container's root is an overlay, a
    bind mount of a directory, or a volume's subtree."""
    try:
        lines = kernel.read_text(MOUNTINFO).splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    whole = False
    for line in lines:  # the last mount on "/" is the one on top
        fields = line.split()
        if len(fields) < 5 or fields[4] != "/" or " - " not in line:
            continue
        source = line.split(" - ", 1)[1].split()
        whole = fields[3] == "/" and len(source) >= 2 and source[1].startswith("/dev/") \
            and source[0] not in ("overlay", "fuse-overlayfs", "tmpfs")
    return whole


def device_remedy(container, path, major=KVM_MISC_MAJOR, minor=KVM_MINOR):
    """What to do about a KVM node missing from, or refused to, a container: the container's configuration, for
    a node made inside with mknod is refused by the device cgroup unless it allows the number."""
    if container.get("mknod_allowed") is False:
        inside = "a node made inside with mknod stays refused"
    else:  # a privileged container's cgroup allows every device; cgroup v2 keeps its list in a BPF program
        inside = "mknod inside works only where its device cgroup allows c %d:%d (a privileged container)" % (
            major, minor)
    return ("this host is a %s container (%s): give it the host's node - recreate it with --device %s (podman, "
            "docker; Kubernetes: a KVM device plugin) - or let its device cgroup allow c %d:%d rw "
            "(--device-cgroup-rule='c %d:%d rwm'); %s"
            % (container["runtime"], container["evidence"], path, major, minor, major, minor, inside))
