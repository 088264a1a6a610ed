# SPDX-License-Identifier: GPL-3.0-or-later
"""The devices subset: the nodes a VMM opens besides /dev/kvm, each opened and asked.

tun (TUNGETFEATURES), vhost-net and vhost-vsock (VHOST_GET_FEATURES), the VFIO container
(VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION), iommufd (IOMMU_IOAS_ALLOC) and the AMD secure
processor (SEV_PLATFORM_STATUS). A device counts as usable only when it opened and answered.
Missing devices are facts, not errors: each entry carries its reason and remedy, and the
requirements (kvm_validate_required_devices) decide what a host needs.
"""

import errno
import os
import stat

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import VMM_DEVICES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.devices import Iommufd, Sev, Tun, Vfio, Vhost
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_name, errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.node import (
    denied_remedy, judge_accounts, misc_number, node_facts, node_text, read_acl)


def _empty(path):
    return {"path": path, "exists": False, "char_device": False, "major": None, "minor": None, "expected": None,
            "expected_source": None, "node_matches": False, "mode": None, "owner": None, "group": None, "acl": [],
            "acl_mask": None, "group_bits_are_acl_mask": False, "group_perms": None, "can_open_rw": False,
            "open_error": None, "answer": None, "usable": False, "reason": None}


def not_probed(why):
    return {"devices": dict((key, dict(_empty(path), reason="not probed: %s" % why))
                            for key, path, _misc, _minor, _module, _who in VMM_DEVICES)}


def probe(ctx):
    return {"devices": dict((entry[0], probe_one(ctx, *entry)) for entry in VMM_DEVICES)}, []


def probe_one(ctx, key, path, misc, static_minor, module, who):
    kernel = ctx.kernel
    facts = _empty(path)
    major, minor, source = misc_number(kernel, misc, static_minor)
    facts["expected"] = None if major is None else "%d:%d" % (major, minor)
    facts["expected_source"] = source
    registered = source in ("/proc/misc", "/sys/class/misc/%s/dev" % misc)
    container = "in a container pass --device %s" % path
    try:
        st = kernel.stat(path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        if error.errno != errno.ENOENT:
            facts["reason"] = "%s: cannot stat: %s" % (path, errno_text(error))
        elif registered:
            facts["reason"] = ("%s does not exist although the kernel registered %s as %s (%s): create it "
                               "(mknod %s c %s) or let devtmpfs or udev do it; %s"
                               % (path, misc, facts["expected"], source, path, facts["expected"].replace(":", " "),
                                  container))
        else:
            facts["reason"] = ("%s does not exist and the kernel has no %s device (not in /proc/misc): "
                               "modprobe %s (needed for %s); %s" % (path, misc, module, who, container))
        return facts
    acl, acl_error = read_acl(kernel, path)
    facts.update(node_facts(kernel, st, acl), exists=True, char_device=stat.S_ISCHR(st.st_mode))
    if acl_error:
        facts["acl_error"] = acl_error
    if ctx.accounts:
        facts["accounts"] = judge_accounts(kernel, path, st, acl, ctx.accounts)
    if not facts["char_device"]:
        facts["reason"] = ("%s is not a character device (%s); remove it so that devtmpfs or udev create the "
                           "real node" % (path, node_text(kernel, st, acl)))
        return facts
    node_major, node_minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    facts["major"], facts["minor"] = node_major, node_minor
    facts["node_matches"] = facts["expected"] == "%d:%d" % (node_major, node_minor)
    if facts["expected"] is not None and not facts["node_matches"]:
        facts["reason"] = ("%s has the wrong number %d:%d; the kernel's %s is %s (%s): recreate it (rm %s; mknod %s "
                           "c %s) or let devtmpfs or udev create it"
                           % (path, node_major, node_minor, misc, facts["expected"], source, path, path,
                              facts["expected"].replace(":", " ")))
        return facts
    opener = ASK[key][0]
    try:
        device = opener.open(kernel, path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        reason = "%s: %s opening read-write for user %s (groups: %s); node is %s" % (
            path, errno_text(error), kernel.identity()[0], ", ".join(kernel.identity()[1]) or "none",
            node_text(kernel, st, acl))
        if error.errno in (errno.EACCES, errno.EPERM):
            remedy = denied_remedy(kernel, path, st, acl, kernel.identity()[0], kernel.effective_uid(),
                                   kernel.process_gids(), error.errno)
            reason += "; " + remedy
        elif error.errno in (errno.ENXIO, errno.ENODEV):
            reason += "; no driver serves %d:%d: modprobe %s" % (node_major, node_minor, module)
        facts["reason"] = reason
        return facts
    facts["can_open_rw"] = True
    try:
        facts["answer"], facts["reason"] = ASK[key][1](device)
    except OSError as error:
        facts["reason"] = "%s: %s; the node does not answer as %s" % (path, error, misc)
    finally:
        device.close()
    facts["usable"] = facts["reason"] is None
    return facts


def _ask_tun(device):
    mask = device.get_features()
    return {"features": mask, "flags": devices_abi.flag_names(mask, devices_abi.TUN_FEATURES)}, None


def _ask_vhost(device):
    mask = device.get_features()
    return {"features": mask, "flags": devices_abi.flag_names(mask, devices_abi.VIRTIO_FEATURES)}, None


def _ask_vfio(device):
    version = device.get_api_version()
    answer = {"api_version": version}
    for name, number in devices_abi.VFIO_EXTENSIONS:
        answer[name] = bool(device.check_extension(number))
    if version != devices_abi.VFIO_API_VERSION:
        return answer, ("VFIO_GET_API_VERSION returned %d, not %d: this VFIO is not the one VMMs speak"
                        % (version, devices_abi.VFIO_API_VERSION))
    if not answer["type1v2"]:
        return answer, ("VFIO_CHECK_EXTENSION: no Type1v2 IOMMU backend: modprobe vfio_iommu_type1 and check "
                        "that the IOMMU is on (the iommu subset)")
    return answer, None


def _ask_iommufd(device):
    return {"ioas_id": device.ioas_alloc()}, None


def _ask_sev(device):
    api_major, api_minor, state, flags, build, guests = device.platform_status()
    return {"api_version": "%d.%d" % (api_major, api_minor), "build": build, "flags": flags,
            "state": devices_abi.SEV_STATES.get(state, "state %d" % state), "guest_count": guests}, None


# key -> (the wrapper class that opens it, the question it is asked), in _names.VMM_DEVICES's order: a device there
# without a question here is a KeyError at import
ASKERS = {"tun": (Tun, _ask_tun), "vhost_net": (Vhost, _ask_vhost), "vhost_vsock": (Vhost, _ask_vhost),
          "vfio": (Vfio, _ask_vfio), "iommufd": (Iommufd, _ask_iommufd), "sev": (Sev, _ask_sev)}
ASK = dict((entry[0], ASKERS[entry[0]]) for entry in VMM_DEVICES)
