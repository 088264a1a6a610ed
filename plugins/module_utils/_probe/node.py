# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may open a device node: its mode, its POSIX ACL, and, as root, the kernel's own answer.

Shared by the device subset (/dev/kvm) and the devices subset (tun, vhost, vfio, ...). As root each
account is judged by opening the node as that account in a child process (Syscalls.open_as), so
ACLs, security modules and the device cgroup all count; otherwise the answer is derived from the
mode and the ACL, and says so.
"""

import errno
import os
import stat
import struct

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_name, errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.cgroup import eperm_note
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.container import device_remedy

# include/uapi/linux/posix_acl_xattr.h: a little-endian u32 version (2), then entries of
# (le16 tag, le16 perm, le32 id); tags from include/uapi/linux/posix_acl.h.
ACL_XATTR = "system.posix_acl_access"
ACL_VERSION = 2
ACL_HEADER = struct.Struct("<I")
ACL_ENTRY = struct.Struct("<HHI")
ACL_TAGS = {0x01: "user_obj", 0x02: "user", 0x04: "group_obj", 0x08: "group", 0x10: "mask", 0x20: "other"}
ACL_UNDEFINED_ID = 0xFFFFFFFF
RW = 6  # ACL read (4) and write (2)


def perm_text(perm):
    return "".join(c if perm & bit else "-" for c, bit in (("r", 4), ("w", 2), ("x", 1)))


def decode_acl(raw):
    """[(tag, id or None, perm)] of a system.posix_acl_access value; ValueError if malformed."""
    if len(raw) < ACL_HEADER.size or (len(raw) - ACL_HEADER.size) % ACL_ENTRY.size:
        raise ValueError("ACL of %d bytes is not a header and whole entries" % len(raw))
    if ACL_HEADER.unpack_from(raw)[0] != ACL_VERSION:
        raise ValueError("ACL version %d is not %d" % (ACL_HEADER.unpack_from(raw)[0], ACL_VERSION))
    entries = []
    for offset in range(ACL_HEADER.size, len(raw), ACL_ENTRY.size):
        tag, perm, ident = ACL_ENTRY.unpack_from(raw, offset)
        entries.append((ACL_TAGS.get(tag, "tag 0x%x" % tag), None if ident == ACL_UNDEFINED_ID else ident, perm))
    return entries


def read_acl(kernel, path):
    """(entries, error): the node's ACL entries ([] for none) and an error string if it could not be read."""
    try:
        return decode_acl(bytearray(kernel.getxattr(path, ACL_XATTR))), None
    except OSError as error:
        if error.errno in (errno.ENODATA, getattr(errno, "ENOATTR", errno.ENODATA), errno.ENOTSUP):
            return [], None
        return [], "%s of %s: %s" % (ACL_XATTR, path, errno_text(error))
    except ValueError as error:
        return [], "%s of %s: %s" % (ACL_XATTR, path, error)


def acl_facts(kernel, acl):
    """The ACL entries as facts, e.g. {tag: user, name: nova, id: 1001, perms: rw-}."""
    facts = []
    for tag, ident, perm in acl:
        entry = {"tag": tag, "perms": perm_text(perm)}
        if ident is not None:
            entry["id"] = ident
            entry["name"] = kernel.user_name(ident) if tag == "user" else kernel.group_name(ident)
        facts.append(entry)
    return facts


def _acl_perm(acl, tag):
    for entry_tag, _ident, perm in acl:
        if entry_tag == tag:
            return perm
    return None


def node_facts(kernel, st, acl):
    """Mode, owner, group and ACL of a node. With an ACL mask the mode's group bits are the mask, not
    the owning group's permission: both are then reported, and `group_bits_are_acl_mask` says so."""
    mask = _acl_perm(acl, "mask")
    facts = {"mode": "%04o" % stat.S_IMODE(st.st_mode), "owner": kernel.user_name(st.st_uid),
             "group": kernel.group_name(st.st_gid), "acl": acl_facts(kernel, acl),
             "acl_mask": None if mask is None else perm_text(mask), "group_bits_are_acl_mask": mask is not None,
             "group_perms": perm_text(((st.st_mode >> 3) & 7) if mask is None else _acl_perm(acl, "group_obj") or 0)}
    return facts


def node_text(kernel, st, acl=()):
    """'crw-rw---- root:kvm', with '+ acl user:nova:rw-, mask::rw-' when the node has an extended ACL."""
    text = "%s %s:%s" % (stat.filemode(st.st_mode), kernel.user_name(st.st_uid), kernel.group_name(st.st_gid))
    extended = [(t, i, p) for t, i, p in acl if t in ("user", "group", "mask")]
    if extended:
        text += " + acl " + ", ".join(
            "%s:%s:%s" % (t, "" if i is None else (kernel.user_name(i) if t == "user" else kernel.group_name(i)),
                          perm_text(p)) for t, i, p in extended)
    return text


def dac_access(kernel, st, acl, uid, gids):
    """(allowed, via) for read-write by mode and ACL, in the kernel's order (fs/posix_acl.c
    posix_acl_permission): root; owner; named user; owning or named groups; other."""
    if uid == 0:
        return True, "root"
    mode = st.st_mode
    if uid == st.st_uid:
        return (mode >> 6) & RW == RW, "owner"
    mask = _acl_perm(acl, "mask")
    if mask is None:  # no extended ACL: the mode's group and other bits
        if st.st_gid in gids:
            return (mode >> 3) & RW == RW, "group %s" % kernel.group_name(st.st_gid)
        return mode & RW == RW, "other"
    for tag, ident, perm in acl:
        if tag == "user" and ident == uid:
            return perm & mask & RW == RW, "acl user %s" % kernel.user_name(uid)
    matched = None
    for tag, ident, perm in acl:
        if (tag == "group_obj" and st.st_gid in gids) or (tag == "group" and ident in gids):
            name = "group %s" % kernel.group_name(st.st_gid) if tag == "group_obj" \
                else "acl group %s" % kernel.group_name(ident)
            if perm & mask & RW == RW:
                return True, name
            matched = matched or name
    if matched:
        return False, matched
    return mode & RW == RW, "other"


def unmapped_remedy(kernel, st):
    """When the node's owner or group is unmapped in this user namespace (a rootless or --uidmap container):
    the kernel shows them as the overflow ids, root here is not root there and only the node's "other"
    bits apply. None when the namespace is the initial one or the node's ids are mapped."""
    try:
        uid_map = " ".join(kernel.read_text("/proc/self/uid_map").split())
    except (OSError, UnicodeDecodeError):
        return None
    if uid_map == "0 0 4294967295":  # the initial user namespace maps every id to itself
        return None
    unmapped = []
    for kind, value in (("owner", st.st_uid), ("group", st.st_gid)):
        try:
            overflow = int(kernel.read_text("/proc/sys/kernel/overflow" + ("uid" if kind == "owner" else "gid")))
        except (OSError, UnicodeDecodeError, ValueError):
            overflow = 65534  # the kernel's default (DEFAULT_OVERFLOWUID)
        if value == overflow:
            unmapped.append("%s (shown as %d)" % (kind, overflow))
    if not unmapped:
        return None
    return ("the node's %s is not mapped into this user namespace (/proc/self/uid_map: %s), so root here is "
            "not root there and only the node's 'other' bits apply; run the container without user-namespace "
            "remapping for the device (podman run --userns=host, no --uidmap/--gidmap), or map the node's group "
            "into the namespace and give the user that group (podman --gidmap and --group-add keep-groups)"
            % (" and ".join(unmapped), uid_map))


def denied_remedy(kernel, path, st, acl, user, uid, gids, number, container=None, account=False):
    """What to do when `user` may not open path read-write (number: the kernel's errno, or None). In a container
    (container.detect's answer) a refusal by the device cgroup is the container's to lift. An `account` (a service
    account of kvm_validate_device_users, not this session's user) gets its new group in the processes started
    after the change: its services are restarted, where a person logs in again."""
    allowed, via = dac_access(kernel, st, acl, uid, gids)
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    if allowed or number == errno.EPERM:
        cause = eperm_note(kernel, major, minor) if number == errno.EPERM else \
            "the device cgroup or a security module (SELinux, AppArmor) denies it"
        why = "the mode and ACL allow %s (%s), so " % (user, via) if allowed \
            else "EPERM is not a mode or ACL refusal: "
        if container and number == errno.EPERM:
            return "%s%s: %s" % (why, cause, device_remedy(container, path, major, minor))
        return ("%s%s: in a container pass --device %s, or add c %d:%d rw to the device cgroup's allow-list "
                "(systemd: DeviceAllow=%s rw)" % (why, cause, path, major, minor, path))
    group = kernel.group_name(st.st_gid)
    again = "restart the services that run as %s (a running process keeps the groups it started with)" % user \
        if account else "log in again"
    if (st.st_mode >> 3) & RW == RW and st.st_gid != 0 and not _acl_perm(acl, "mask"):
        return "add %s to group %s and %s" % (user, group, again)
    if _acl_perm(acl, "mask") is not None and _acl_perm(acl, "group_obj") and \
            _acl_perm(acl, "group_obj") & RW == RW and st.st_gid != 0:
        return "add %s to group %s and %s, or setfacl -m u:%s:rw %s" % (user, group, again, user, path)
    return ("the node is open to its owner %s only; give it a group, e.g. a udev rule "
            'KERNEL=="%s", GROUP="kvm", MODE="0660", and add %s to that group (or setfacl -m u:%s:rw %s)'
            % (kernel.user_name(st.st_uid), os.path.basename(path), user, user, path))


def judge_accounts(kernel, path, st, acl, names):
    """{name: {exists, groups, may_open, via, judged, open_error, reason}} for each account.

    As root (effective uid 0) the kernel is asked by opening path as the account (judged: observed);
    otherwise the answer is derived from the mode and ACL (judged: derived)."""
    observe = kernel.effective_uid() == 0
    result = {}
    for name in names:
        found = kernel.account(name)
        if found is None:
            result[name] = {"exists": False, "groups": [], "may_open": False, "via": None,
                            "judged": "derived", "open_error": None, "reason": "no such account: %s" % name}
            continue
        uid, gid, group_names, gids = found
        allowed, via = dac_access(kernel, st, acl, uid, gids)
        entry = {"exists": True, "groups": group_names, "may_open": allowed, "via": via if allowed else None,
                 "judged": "derived", "open_error": None, "reason": None}
        if observe:
            step, number = kernel.open_as(path, os.O_RDWR, uid, gid, gids)
            if step in (None, "open"):
                entry.update(judged="observed", may_open=number == 0, open_error=errno_name(number) if number else None)
                entry["via"] = (via if allowed else "the kernel (mode and ACL alone would refuse)") if number == 0 \
                    else None
            else:
                entry["reason"] = ("could not act as %s to ask the kernel (%s failed with %s); judged from the mode "
                                   "and ACL only" % (name, step, errno_text(number)))
        elif allowed:
            entry["reason"] = "derived from the mode and ACL, not observed (run as root to ask the kernel)"
        if not entry["may_open"]:
            entry["reason"] = "%s: %s%s; node is %s; %s" % (
                path, "%s opening read-write as %s" % (errno_text(number), name) if entry["judged"] == "observed"
                else "%s may not open it read-write (derived from the mode and ACL, not observed)" % name,
                " (groups: %s)" % (", ".join(group_names) or "none"), node_text(kernel, st, acl),
                denied_remedy(kernel, path, st, acl, name, uid, gids,
                              number if entry["judged"] == "observed" else None, account=True))
        result[name] = entry
    return result


def misc_number(kernel, name, static_minor=None):
    """(major, minor, source) the kernel gives a misc device: /sys/class/misc/<name>/dev, else its line
    in /proc/misc (major 10), else the static minor of include/linux/miscdevice.h; (None, None, None)
    when none knows it (a dynamic minor of a driver that is not loaded)."""
    try:
        major, minor = kernel.read_text("/sys/class/misc/%s/dev" % name).split(":")
        return int(major), int(minor), "/sys/class/misc/%s/dev" % name
    except (OSError, ValueError, KeyError):
        pass
    try:
        for line in kernel.read_text("/proc/misc").splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[1] == name:
                return 10, int(fields[0]), "/proc/misc"
    except (OSError, ValueError, KeyError):
        pass
    if static_minor is not None:
        return 10, static_minor, "include/linux/miscdevice.h"
    return None, None, None
