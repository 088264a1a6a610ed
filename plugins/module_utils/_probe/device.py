# SPDX-License-Identifier: GPL-3.0-or-later
"""The device subset: is the path the KVM node, and may this user open it? If not, why, and what to do."""

import errno
import os
import stat

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Kvm
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_name, errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS, KVM_MINOR, KVM_MISC_MAJOR
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.container import detect as detect_container, \
    device_remedy
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.node import (
    denied_remedy, judge_accounts, misc_number, node_facts, node_text, read_acl, unmapped_remedy)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem

# What the subsets after this gate are told when it stops them.
BLOCKS = "%(device)s could not be opened"


def probe(ctx):
    """Stat and open the device; on success the open fd becomes ctx.kvm.

    ctx.accounts are other local users (e.g. libvirt-qemu, nova), judged under device.accounts: as
    root by opening the node as each of them, otherwise from the node's mode and ACL (probe_access).
    """
    kernel, path = ctx.kernel, ctx.device
    user, groups = kernel.identity()
    facts = {"path": path, "exists": False, "char_device": False, "major": None, "minor": None,
             "kvm_node": False, "mode": None, "owner": None, "group": None, "world_writable": False,
             "can_open_rw": False, "open_error": None, "user": user, "user_groups": groups,
             "container": detect_container(kernel)}
    found = {"device": facts}
    ctx.node = facts
    try:
        st = kernel.stat(path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        if error.errno == errno.ENOENT:
            return found, [_in_container(_missing(ctx), facts["container"], path)]
        return found, [problem("device.stat_failed", path, "%s: cannot stat: %s for user %s"
                               % (path, errno_text(error), user),
                               "make every directory on the path searchable for this user, or probe as another")]
    acl, acl_error = read_acl(kernel, path)
    facts.update(node_facts(kernel, st, acl))
    facts.update({
        "exists": True,
        "char_device": stat.S_ISCHR(st.st_mode),
        "world_writable": bool(st.st_mode & stat.S_IWOTH),
    })
    if acl_error:
        facts["acl_error"] = acl_error
    if ctx.accounts:
        facts["accounts"] = judge_accounts(kernel, path, st, acl, ctx.accounts)
    if not facts["char_device"]:
        return found, [_not_a_node(kernel, path, st)]
    facts["major"], facts["minor"] = os.major(st.st_rdev), os.minor(st.st_rdev)
    facts["kvm_node"] = (facts["major"], facts["minor"]) == (KVM_MISC_MAJOR, KVM_MINOR)
    try:
        ctx.kvm = Kvm.open(kernel, path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        message = "%s: %s opening read-write for user %s (groups: %s); node is %s" % (
            path, errno_text(error), user, ", ".join(groups) or "none", node_text(kernel, st, acl))
        if error.errno in (errno.EACCES, errno.EPERM):
            unmapped = unmapped_remedy(kernel, st)
            if unmapped:
                return found, [problem("device.unmapped_owner", path, message, unmapped)]
            return found, [problem("device." + errno_name(error).lower(), path, message, denied_remedy(
                kernel, path, st, acl, user, kernel.effective_uid(), kernel.process_gids(), error.errno,
                facts["container"]))]
        if error.errno in (errno.ENXIO, errno.ENODEV):
            return found, [_no_driver(kernel, path, facts, message)]
        return found, [problem("device.open_failed", path, message, "see the kernel log (dmesg) for the driver's account")]
    facts["can_open_rw"] = True
    return found, []


def _in_container(found, container, path):
    """A missing node, inside a container: the node is the container's to be given. Where the module is loaded that
    is all there is to do; otherwise the host that runs the container is fixed first. A container whose device
    cgroup allows the node (privileged, read from cgroup v1) may make it, as a host does."""
    if not container or container.get("mknod_allowed") or found["code"] == "device.missing.no_directory":
        return found
    if found["code"] == "device.missing.module_loaded":
        found["remedy"] = device_remedy(container, path)
    elif found["remedy"]:
        given = device_remedy(container, path)
        found["remedy"] = "on the host that runs this container: %s; then %s" % (found["remedy"], given)
    return found


def _not_a_node(kernel, path, st):
    """A path that is not a character device: a directory is a wrong option, a file a wrong node."""
    where = "%s is %%s, not the KVM character device %d:%d (%s)" % (path, KVM_MISC_MAJOR, KVM_MINOR,
                                                                    node_text(kernel, st))
    if stat.S_ISDIR(st.st_mode):
        return problem("device.not_a_node", path, where % "a directory, not a device node",
                       "set the device option to the KVM node (normally /dev/kvm)")
    kind = "a regular file" if stat.S_ISREG(st.st_mode) else "not a character device"
    remedy = "remove it so that devtmpfs or udev create the real node" if path.startswith("/dev/") else \
        "set the device option to the KVM node (normally /dev/kvm)"
    return problem("device.not_a_node", path, where % kind, remedy)


def _no_driver(kernel, path, facts, message):
    """ENXIO/ENODEV: a node of KVM's major with another minor is a wrong node, not a missing module."""
    major, minor, source = misc_number(kernel, "kvm", KVM_MINOR)
    if (facts["major"], facts["minor"]) != (major, minor) and facts["major"] == major:
        return problem("device.wrong_node", path, message + "; the node has the wrong number %s:%s, KVM is %d:%d (%s)"
                       % (facts["major"], facts["minor"], major, minor, source),
                       "recreate it (rm %s; mknod %s c %d %d; then chown and chmod it as before) or let devtmpfs "
                       "or udev create it" % (path, path, major, minor), ": ")
    return problem("device.no_driver", path, message + "; the node exists but no driver serves %s:%s"
                   % (facts["major"], facts["minor"]), "load the KVM module", ": ")


def _missing(ctx):
    path = ctx.device
    directory = os.path.dirname(path.rstrip("/")) or "/"
    try:
        ctx.kernel.stat(directory)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):  # not a missing node: a path that cannot be one
            return problem("device.missing.no_directory", path, "%s does not exist, and neither does its directory %s:"
                           " the device path looks mistyped (the KVM node is /dev/kvm)" % (path, directory),
                           "set device (kvm_validate_device) to the KVM node's path: /dev/kvm, unless it is "
                           "bind-mounted elsewhere", ": ")
    try:
        backends = [name for name in KVM_BACKENDS if name in ctx.loaded_modules()]
    except OSError:
        backends = []
    if backends:
        return problem("device.missing.module_loaded", path, "%s does not exist although %s is loaded"
                       % (path, ", ".join(backends)),
                       "create it (mknod %s c %d %d) or let udev do it; in a container pass --device %s"
                       % (path, KVM_MISC_MAJOR, KVM_MINOR, path), ": ")
    # why no backend is loaded, from the kernel's own statements: read only here, on a host that has no KVM
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.missing import diagnose
    return diagnose(ctx, path)
