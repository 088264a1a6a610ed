# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probes: ask /dev/kvm and /sys what this host can do, as plain dicts.

Errors are values: a probe returns what it saw, plus a reason a person can act
on when it could not see. Only the caller decides what fails. Pure standard
library, runs on Python 3.6 to 3.13, no Ansible imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat

from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_abi as abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_caps import KVM_CAPS
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_cpu_features import (
    CPUID_ENTRY_FIELDS, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, X86_FEATURES)
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_ioctls import (
    Kvm, Syscalls, errno_name, errno_text)

SCHEMA_VERSION = 1
DEFAULT_DEVICE = "/dev/kvm"
DEFAULT_TIMEOUT = 2.0
SUBSETS = ("device", "api", "extensions", "cpuid", "msrs", "vm", "vcpu_run", "host", "ioctls")
CORE_SUBSETS = ("device", "api", "vm")  # `usable` is decided by these, so they always run
CAP_NUMBER = dict((name, number) for number, name in KVM_CAPS.items())
# Capabilities above the table that the sweep still asks for, reported as KVM_CAP_<n>.
CAP_SWEEP_BEYOND_TABLE = 32
CPUID_START_ENTRIES = 64
CPUID_MAX_ENTRIES = 1 << 12
MSR_START_ENTRIES = 256
MSR_MAX_ENTRIES = 1 << 16
VCPU_RUN_MAX_EXITS = 16

# The vCPU run's guest: real mode at 0x1000: mov al, 0x4b; out 0x10, al; hlt.
GUEST_ADDRESS = 0x1000
GUEST_PORT = 0x10
GUEST_BYTE = 0x4B
GUEST_CODE = bytes(bytearray([0xB0, GUEST_BYTE, 0xE6, GUEST_PORT, 0xF4]))
VCPU_RUN_ARCHES = ("x86_64",)
X86_ARCHES = ("x86_64", "i386", "i486", "i586", "i686")

# Every known backend module of KVM (directory names under /sys/module).
KVM_BACKENDS = ("kvm_intel", "kvm_amd", "kvm_pvm", "kvm_hv", "kvm_pr", "kvm_arm", "kvm_riscv", "kvm_loongarch")
NESTED_PARAMETER = "nested"

# What an operator does about each way KVM_CREATE_VM can fail.
CREATE_VM_HINTS = {
    errno.EBUSY: "another hypervisor (VirtualBox, VMware, a second KVM instance) holds the CPU's "
                 "virtualization extensions; stop it or unload its kernel module",
    errno.ENOMEM: "the host is out of memory for a VM; free memory or check the memory cgroup",
    errno.EINVAL: "the kernel does not accept the default machine type",
    errno.EPERM: "a security module or seccomp filter forbids creating VMs",
    errno.EACCES: "a security module forbids creating VMs",
    errno.EMFILE: "the process is out of file descriptors; raise the nofile limit",
    errno.ENODEV: "KVM is present but the CPU's virtualization extensions are off or in use; "
                  "enable VT-x/AMD-V in the firmware",
}


def resolve_subsets(spec):
    """Turn a gather_subset list into the ordered subsets to probe.

    Like setup: 'all', 'min' (the core), names, and '!name' to exclude.
    Raises ValueError naming the problem.
    """
    include, exclude = set(), set()
    for item in spec or ["all"]:
        item = str(item).strip()
        negate = item.startswith("!")
        name = item[1:] if negate else item
        if name == "all":
            names = SUBSETS
        elif name == "min":
            names = CORE_SUBSETS
        elif name in SUBSETS:
            names = (name,)
        else:
            raise ValueError("unknown gather_subset %r: choose from all, min, %s (prefix ! to exclude)"
                             % (item, ", ".join(SUBSETS)))
        if negate and name != "all" and set(names) & set(CORE_SUBSETS):
            raise ValueError("gather_subset %r cannot be excluded: %s always run, as `usable` depends on them"
                             % (item, ", ".join(CORE_SUBSETS)))
        (exclude if negate else include).update(names)
    if not include:
        include = set(SUBSETS)
    chosen = (include - exclude) | set(CORE_SUBSETS)
    return [name for name in SUBSETS if name in chosen]


def cap_name(number):
    return KVM_CAPS.get(number, "KVM_CAP_%d" % number)


def cap_number(name):
    """KVM_CAP_* number of a name given with or without prefix, any case; None if unknown."""
    name = str(name).strip().upper()
    if not name.startswith("KVM_CAP_"):
        name = "KVM_CAP_" + name
    if name in CAP_NUMBER:
        return CAP_NUMBER[name]
    suffix = name[len("KVM_CAP_"):]
    return int(suffix) if suffix.isdigit() else None


def _grow(call, start, limit):
    """Call call(n) with n doubling from start while the kernel answers E2BIG."""
    size = start
    while True:
        try:
            return call(size)
        except OSError as error:
            if error.errno != errno.E2BIG or size >= limit:
                raise
            size *= 2


# ---------------------------------------------------------------- device ----

def _node_text(kernel, st):
    return "%s %s:%s" % (stat.filemode(st.st_mode), kernel.user_name(st.st_uid), kernel.group_name(st.st_gid))


def _denied_remedy(kernel, path, st, user, groups):
    """What to do when open(O_RDWR) is refused although the node is KVM's."""
    group = kernel.group_name(st.st_gid)
    group_rw = st.st_mode & (stat.S_IRGRP | stat.S_IWGRP) == (stat.S_IRGRP | stat.S_IWGRP)
    other_rw = st.st_mode & (stat.S_IROTH | stat.S_IWOTH) == (stat.S_IROTH | stat.S_IWOTH)
    if other_rw or (group_rw and group in groups):
        return ("the mode allows it, so an ACL, a security module (SELinux, AppArmor) or the device "
                "cgroup denies it; in a container pass --device %s" % path)
    if group_rw and st.st_gid != 0:
        return "add %s to group %s and log in again" % (user, group)
    return ("the node is open to its owner %s only; give it a group, e.g. a udev rule "
            'KERNEL=="kvm", GROUP="kvm", MODE="0660", and add %s to that group'
            % (kernel.user_name(st.st_uid), user))


def account_access(kernel, st, names):
    """For each account name: whether the node's owner, group or mode let it open the node read-write."""
    rw = {"owner": stat.S_IRUSR | stat.S_IWUSR, "group": stat.S_IRGRP | stat.S_IWGRP,
          "other": stat.S_IROTH | stat.S_IWOTH}
    result = {}
    for name in names:
        found = kernel.account(name)
        if found is None:
            result[name] = {"exists": False, "groups": [], "may_open": False, "via": None}
            continue
        uid, gid, group_names, gids = found
        via = None
        if uid == 0:
            via = "root"
        elif uid == st.st_uid and st.st_mode & rw["owner"] == rw["owner"]:
            via = "owner"
        elif st.st_gid in gids and st.st_mode & rw["group"] == rw["group"]:
            via = "group %s" % kernel.group_name(st.st_gid)
        elif st.st_mode & rw["other"] == rw["other"]:
            via = "other"
        result[name] = {"exists": True, "groups": group_names, "may_open": via is not None, "via": via}
    return result


def probe_device(kernel, path, host=None, accounts=()):
    """Stat and open the device. Returns (facts, open Kvm or None, reason or None).

    `accounts` are other local users (e.g. libvirt-qemu, nova) whose access is judged from
    the node's owner, group and mode, under facts["accounts"].
    """
    user, groups = kernel.identity()
    facts = {"path": path, "exists": False, "char_device": False, "major": None, "minor": None,
             "kvm_node": False, "mode": None, "owner": None, "group": None, "world_writable": False,
             "can_open_rw": False, "open_error": None, "user": user, "user_groups": groups}
    try:
        st = kernel.stat(path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        if error.errno == errno.ENOENT:
            return facts, None, _missing_reason(path, host if host is not None else probe_host(kernel))
        return facts, None, "%s: cannot stat: %s for user %s" % (path, errno_text(error), user)
    facts.update({
        "exists": True,
        "char_device": stat.S_ISCHR(st.st_mode),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "owner": kernel.user_name(st.st_uid),
        "group": kernel.group_name(st.st_gid),
        "world_writable": bool(st.st_mode & stat.S_IWOTH),
    })
    if accounts:
        facts["accounts"] = account_access(kernel, st, accounts)
    if not facts["char_device"]:
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a regular file" if stat.S_ISREG(st.st_mode) \
            else "not a character device"
        return facts, None, ("%s is %s, not the KVM character device %d:%d (%s); remove it so that "
                             "devtmpfs or udev create the real node" % (
                                 path, kind, abi.KVM_MISC_MAJOR, abi.KVM_MINOR, _node_text(kernel, st)))
    facts["major"], facts["minor"] = os.major(st.st_rdev), os.minor(st.st_rdev)
    facts["kvm_node"] = (facts["major"], facts["minor"]) == (abi.KVM_MISC_MAJOR, abi.KVM_MINOR)
    try:
        kvm = Kvm.open(kernel, path)
    except OSError as error:
        facts["open_error"] = errno_name(error)
        reason = "%s: %s opening read-write for user %s (groups: %s); node is %s" % (
            path, errno_text(error), user, ", ".join(groups) or "none", _node_text(kernel, st))
        if error.errno in (errno.EACCES, errno.EPERM):
            reason += "; " + _denied_remedy(kernel, path, st, user, groups)
        elif error.errno in (errno.ENXIO, errno.ENODEV):
            reason += "; the node exists but no driver serves %s:%s: load the KVM module" % (
                facts["major"], facts["minor"])
        return facts, None, reason
    facts["can_open_rw"] = True
    return facts, kvm, None


def _missing_reason(path, host):
    if host and host.get("backends"):
        return ("%s does not exist although %s is loaded: create it (mknod %s c %d %d) or let udev do it; "
                "in a container pass --device %s" % (path, ", ".join(host["backends"]), path,
                                                     abi.KVM_MISC_MAJOR, abi.KVM_MINOR, path))
    return ("%s does not exist and no KVM backend module is loaded (none of %s under /sys/module): "
            "enable virtualization in the firmware and load the module for this CPU; in a container "
            "pass --device %s" % (path, ", ".join(KVM_BACKENDS), path))


# ------------------------------------------------------------------- api ----

def probe_api(kvm, device_facts):
    """Returns ({api_version, vcpu_mmap_size}, reason or None)."""
    facts = {"api_version": None, "vcpu_mmap_size": None}
    try:
        facts["api_version"] = kvm.get_api_version()
    except OSError as error:
        reason = "%s: KVM_GET_API_VERSION failed with %s" % (device_facts["path"], errno_text(error))
        if not device_facts["kvm_node"]:
            reason += "; the node is character device %s:%s, not KVM (%d:%d)" % (
                device_facts["major"], device_facts["minor"], abi.KVM_MISC_MAJOR, abi.KVM_MINOR)
        return facts, reason
    if facts["api_version"] != abi.KVM_API_VERSION:
        return facts, ("%s: KVM_GET_API_VERSION returned %s, but the stable KVM API is %d (since Linux "
                       "2.6.22); this kernel's KVM cannot run today's VMMs" % (
                           device_facts["path"], facts["api_version"], abi.KVM_API_VERSION))
    try:
        facts["vcpu_mmap_size"] = kvm.get_vcpu_mmap_size()
    except OSError as error:
        return facts, "KVM_GET_VCPU_MMAP_SIZE failed with %s" % errno_text(error)
    return facts, None


# ------------------------------------------------------------ extensions ----

def probe_extensions(kvm):
    """Every capability with a nonzero answer, by name, and the friendly limits."""
    extensions, errors = {}, []
    for number in range(max(KVM_CAPS) + 1 + CAP_SWEEP_BEYOND_TABLE):
        try:
            value = kvm.check_extension(number)
        except OSError as error:
            errors.append("KVM_CHECK_EXTENSION(%s) failed with %s" % (cap_name(number), errno_text(error)))
            continue
        if value:
            extensions[cap_name(number)] = value
    facts = {"extensions": extensions}
    facts.update(limits(extensions))
    return facts, errors


def limits(extensions):
    """The vCPU and memslot limits, with the fallbacks that the KVM API document prescribes."""
    nr_vcpus = extensions.get("KVM_CAP_NR_VCPUS")
    max_vcpus = extensions.get("KVM_CAP_MAX_VCPUS") or nr_vcpus
    return {
        "nr_vcpus": nr_vcpus,
        "max_vcpus": max_vcpus,
        "max_vcpu_id": extensions.get("KVM_CAP_MAX_VCPU_ID") or max_vcpus,
        "nr_memslots": extensions.get("KVM_CAP_NR_MEMSLOTS"),
    }


# -------------------------------------------------------------------- vm ----

def probe_vm(kvm, machine):
    """Create (and close) a default VM; list the machine types the host accepts."""
    facts = {"vm": {"created": False, "error": None}, "vm_types": []}
    try:
        kvm.create_vm(0).close()
    except OSError as error:
        facts["vm"]["error"] = errno_name(error)
        hint = CREATE_VM_HINTS.get(error.errno, "see dmesg for the kernel's account")
        return facts, "KVM_CREATE_VM failed with %s: %s" % (errno_text(error), hint)
    facts["vm"]["created"] = True
    try:
        mask = kvm.check_extension(CAP_NUMBER["KVM_CAP_VM_TYPES"])
    except OSError:
        mask = 0
    mask = mask or 1  # without KVM_CAP_VM_TYPES, the default type (just created) is all we know
    names = abi.KVM_X86_VM_TYPES if machine in X86_ARCHES else {}
    facts["vm_types"] = [names.get(bit, "type %d" % bit) for bit in range(32) if mask & (1 << bit)]
    return facts, None


# ----------------------------------------------------------------- cpuid ----

def probe_cpuid(kvm, machine):
    if machine not in X86_ARCHES:
        return {"skipped": "KVM_GET_SUPPORTED_CPUID exists on x86 only; this host is %s" % machine}
    try:
        entries = _grow(kvm.get_supported_cpuid, CPUID_START_ENTRIES, CPUID_MAX_ENTRIES)
    except OSError as error:
        return {"error": "KVM_GET_SUPPORTED_CPUID failed with %s" % errno_text(error)}
    return {"entries": len(entries), "features": decode_cpu_features(entries)}


def decode_cpu_features(entries):
    """{feature: bool} for every feature of the table, from kvm_cpuid_entry2 tuples."""
    by_leaf = {}
    for entry in entries:
        significant = entry[CPUID_ENTRY_FIELDS["flags"]] & KVM_CPUID_FLAG_SIGNIFCANT_INDEX
        index = entry[CPUID_ENTRY_FIELDS["index"]] if significant else 0
        by_leaf[(entry[CPUID_ENTRY_FIELDS["function"]], index)] = entry
    features = {}
    for name, (leaf, subleaf, register, bit) in X86_FEATURES.items():
        entry = by_leaf.get((leaf, subleaf))
        features[name] = bool(entry and entry[CPUID_ENTRY_FIELDS[register]] >> bit & 1)
    return features


# ------------------------------------------------------------------ msrs ----

def probe_msrs(kvm, machine):
    if machine not in X86_ARCHES:
        return {"skipped": "MSR lists exist on x86 only; this host is %s" % machine}
    facts = {"index_count": None, "feature_count": None}
    for key, call, name in (("index_count", kvm.get_msr_index_list, "KVM_GET_MSR_INDEX_LIST"),
                            ("feature_count", kvm.get_msr_feature_index_list, "KVM_GET_MSR_FEATURE_INDEX_LIST")):
        try:
            facts[key] = len(_grow(call, MSR_START_ENTRIES, MSR_MAX_ENTRIES))
        except OSError as error:
            facts.setdefault("errors", []).append("%s failed with %s" % (name, errno_text(error)))
    return facts


# -------------------------------------------------------------- vcpu run ----

class _Expiry(object):
    def __init__(self):
        self.expired = False

    def __call__(self):
        self.expired = True


def probe_vcpu_run(kvm, kernel, mmap_size, timeout, guest_code=GUEST_CODE):
    """Run real-mode guest code on one vCPU, bounded by `timeout` seconds.

    ok means the guest wrote GUEST_BYTE to GUEST_PORT (an IO exit) and then
    halted (an HLT exit). Every fd and mapping is released on every path.
    """
    facts = {"status": "skipped", "ok": False, "exits": [], "elapsed_ms": None, "reason": None}
    if kernel.machine not in VCPU_RUN_ARCHES:
        facts["reason"] = "the vCPU run carries x86 real-mode guest code only; this host is %s" % kernel.machine
        return facts
    if not mmap_size:
        facts["reason"] = "KVM_GET_VCPU_MMAP_SIZE gave no size for the kvm_run area"
        return facts
    started = kernel.monotonic()
    held = []  # (what, object to close), released in reverse
    try:
        facts.update(_run_guest(kvm, kernel, mmap_size, timeout, guest_code, held))
    except OSError as error:
        facts.update(status="failed", reason="%s failed with %s" % (
            getattr(error, "kvm_step", "vCPU setup"), errno_text(error)))
    except ImportError as error:
        facts.update(status="skipped", reason="this Python cannot map guest memory: %s" % error)
    except ValueError as error:  # signal handlers only work in the main thread
        facts.update(status="skipped", reason="KVM_RUN cannot be bounded in time here: %s" % error)
    finally:
        for item in reversed(held):
            try:
                item.close()
            except (OSError, ValueError, BufferError):
                pass
    facts["elapsed_ms"] = round((kernel.monotonic() - started) * 1000.0, 3)
    return facts


def _step(name, call, *args):
    try:
        return call(*args)
    except OSError as error:
        error.kvm_step = name
        raise


def _run_guest(kvm, kernel, mmap_size, timeout, guest_code, held):
    vm = _step("KVM_CREATE_VM", kvm.create_vm, 0)
    held.append(vm)
    memory, address = kernel.guest_memory(0x1000)
    held.append(memory)
    memory[0:len(guest_code)] = guest_code
    _step("KVM_SET_USER_MEMORY_REGION", vm.set_user_memory_region, 0, GUEST_ADDRESS, 0x1000, address)
    vcpu = _step("KVM_CREATE_VCPU", vm.create_vcpu, 0)
    held.append(vcpu)
    run = _step("mmap of the kvm_run area", vcpu.map_run, mmap_size)
    held.append(run)
    sregs = _step("KVM_GET_SREGS", vcpu.get_sregs)
    abi.KVM_SEGMENT_BASE.pack_into(sregs, abi.KVM_SREGS_CS_OFFSET, 0)
    abi.KVM_SEGMENT_SELECTOR.pack_into(sregs, abi.KVM_SREGS_CS_OFFSET + abi.KVM_SEGMENT_SELECTOR_OFFSET, 0)
    _step("KVM_SET_SREGS", vcpu.set_sregs, sregs)
    regs = bytearray(abi.KVM_REGS_SIZE)
    abi.KVM_SEGMENT_BASE.pack_into(regs, abi.KVM_REGS_RIP_OFFSET, GUEST_ADDRESS)
    abi.KVM_SEGMENT_BASE.pack_into(regs, abi.KVM_REGS_RFLAGS_OFFSET, 0x2)  # bit 1 is reserved, always set
    _step("KVM_SET_REGS", vcpu.set_regs, regs)
    return _bounded_run_loop(vcpu, run, kernel, timeout)


def _bounded_run_loop(vcpu, run, kernel, timeout):
    exits = []
    expiry = _Expiry()
    timer = kernel.arm_timer(timeout, expiry)
    try:
        for _exit_count in range(VCPU_RUN_MAX_EXITS):
            try:
                vcpu.run()
            except OSError as error:
                if error.errno != errno.EINTR:
                    error.kvm_step = "KVM_RUN"
                    raise
                if expiry.expired:
                    return {"status": "timeout", "exits": exits, "reason": (
                        "KVM_RUN did not return within %g s: the guest ran without exiting; the host may be "
                        "overloaded or the KVM backend stuck" % timeout)}
                continue  # a stray signal: run on
            exit_fact = decode_exit(run)
            exits.append(exit_fact)
            if exit_fact["reason"] == "HLT":
                return _judge_exits(exits)
            if exit_fact["reason"] != "IO":
                return {"status": "failed", "exits": exits, "reason": "the guest stopped with exit %s%s" % (
                    exit_fact["reason"], _exit_detail(exit_fact))}
        return {"status": "failed", "exits": exits,
                "reason": "the guest did not halt within %d exits" % VCPU_RUN_MAX_EXITS}
    finally:
        kernel.disarm_timer(timer)


def decode_exit(run):
    """The exit a kvm_run area reports, as a dict."""
    number = abi.KVM_RUN_EXIT_REASON.unpack_from(run, abi.KVM_RUN_EXIT_REASON_OFFSET)[0]
    fact = {"reason": abi.KVM_EXIT_REASONS.get(number, "exit %d" % number)}
    if number == abi.KVM_EXIT_IO:
        direction, size, port, count, data_offset = abi.KVM_RUN_IO.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)
        fact.update(direction="out" if direction == abi.KVM_EXIT_IO_OUT else "in", size=size, port=port,
                    count=count)
        if size == 1 and data_offset + 1 <= len(run):
            fact["data"] = bytearray(run[data_offset:data_offset + 1])[0]
    elif abi.KVM_EXIT_REASONS.get(number) == "FAIL_ENTRY":
        fact["hardware_entry_failure_reason"] = abi.KVM_RUN_FAIL_ENTRY.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)[0]
    elif abi.KVM_EXIT_REASONS.get(number) == "INTERNAL_ERROR":
        fact["suberror"] = abi.KVM_RUN_INTERNAL.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)[0]
    return fact


def _exit_detail(fact):
    details = ["%s %s" % (key, value) for key, value in sorted(fact.items()) if key != "reason"]
    return " (%s)" % ", ".join(details) if details else ""


def _judge_exits(exits):
    wrote = [e for e in exits if e["reason"] == "IO" and e.get("direction") == "out"
             and e.get("port") == GUEST_PORT and e.get("data") == GUEST_BYTE]
    if wrote:
        return {"status": "ok", "ok": True, "exits": exits, "reason": None}
    return {"status": "failed", "exits": exits, "reason": (
        "the guest halted without the expected write of 0x%02x to port 0x%x: guest memory or registers "
        "were not set up as requested" % (GUEST_BYTE, GUEST_PORT))}


# ------------------------------------------------------------------ host ----

def probe_host(kernel, sysfs_module="/sys/module"):
    """Architecture, kernel, the loaded KVM backend(s), their parameters and nesting."""
    facts = {"arch": kernel.machine, "kernel": kernel.kernel_release, "kvm_module": False, "backends": [],
             "backend": None, "parameters": {}, "nested": None}
    try:
        loaded = set(kernel.listdir(sysfs_module))
    except OSError as error:
        facts["error"] = "%s: %s" % (sysfs_module, errno_text(error))
        return facts
    facts["kvm_module"] = "kvm" in loaded
    facts["backends"] = [name for name in KVM_BACKENDS if name in loaded]
    facts["backend"] = facts["backends"][0] if facts["backends"] else None
    for backend in facts["backends"]:
        facts["parameters"][backend] = _read_parameters(kernel, os.path.join(sysfs_module, backend, "parameters"))
        nested = facts["parameters"][backend].get(NESTED_PARAMETER)
        if nested is not None and facts["nested"] is None:
            facts["nested"] = nested.upper() in ("Y", "1")
    return facts


def _read_parameters(kernel, directory):
    parameters = {}
    try:
        names = sorted(kernel.listdir(directory))
    except OSError:
        return parameters  # a built-in backend without parameters has no such directory
    for name in names:
        try:
            parameters[name] = kernel.read_text(os.path.join(directory, name))
        except (OSError, UnicodeDecodeError):
            continue  # write-only or root-only parameters: not readable by this user
    return parameters


# ---------------------------------------------------------------- ioctls ----

UNSUPPORTED_ERRNOS = (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP)


def probe_system_ioctls(kvm):
    """The outcome of each command of the classic kvm_dev_ioctl, in its order."""
    calls = {
        "KVM_GET_API_VERSION": kvm.get_api_version,
        "KVM_CREATE_VM": lambda: kvm.create_vm(0).close() or 0,
        "KVM_CHECK_EXTENSION": lambda: kvm.check_extension(CAP_NUMBER["KVM_CAP_USER_MEMORY"]),
        "KVM_GET_VCPU_MMAP_SIZE": kvm.get_vcpu_mmap_size,
        "KVM_TRACE_ENABLE": kvm.trace_enable,
        "KVM_TRACE_PAUSE": kvm.trace_pause,
        "KVM_TRACE_DISABLE": kvm.trace_disable,
    }
    outcomes = {}
    for name in abi.CLASSIC_SYSTEM_IOCTLS:
        try:
            outcomes[name] = {"supported": True, "result": calls[name]()}
        except OSError as error:
            outcomes[name] = {"supported": error.errno not in UNSUPPORTED_ERRNOS,
                              "errno": errno_name(error), "error": os.strerror(error.errno)}
    if outcomes["KVM_TRACE_ENABLE"]["supported"] and "result" in outcomes["KVM_TRACE_ENABLE"]:
        try:
            kvm.trace_disable()  # never leave a trace running on an ancient kernel
        except OSError:
            pass
    return outcomes


# ---------------------------------------------------------------- gather ----

def gather(subsets=None, device=DEFAULT_DEVICE, timeout=DEFAULT_TIMEOUT, kernel=None, accounts=()):
    """Probe the host. Returns the ansible_facts.kvm dict; never raises for a broken host."""
    kernel = kernel or Syscalls()
    subsets = resolve_subsets(subsets)
    facts = {"schema_version": SCHEMA_VERSION, "gather_subset": subsets, "usable": False, "reasons": [],
             "errors": []}
    host = probe_host(kernel) if "host" in subsets else None
    if host is not None:
        facts["host"] = host
    facts["device"], kvm, reason = probe_device(kernel, device, host, accounts)
    if kvm is None:
        facts["reasons"].append(reason)
        return _not_probed(facts, subsets, "%s could not be opened" % device)
    try:
        _gather_open(kvm, kernel, subsets, timeout, facts)
    finally:
        kvm.close()
    facts["usable"] = not facts["reasons"]
    return facts


def _gather_open(kvm, kernel, subsets, timeout, facts):
    api, reason = probe_api(kvm, facts["device"])
    facts.update(api)
    if reason:
        facts["reasons"].append(reason)
        _not_probed(facts, subsets, "the KVM API did not answer as version %d" % abi.KVM_API_VERSION)
        return
    if "extensions" in subsets:
        extension_facts, errors = probe_extensions(kvm)
        facts.update(extension_facts)
        facts["errors"].extend(errors)
    vm_facts, reason = probe_vm(kvm, kernel.machine)
    facts.update(vm_facts)
    if reason:
        facts["reasons"].append(reason)
    if "cpuid" in subsets:
        facts["cpuid"] = probe_cpuid(kvm, kernel.machine)
    if "msrs" in subsets:
        facts["msrs"] = probe_msrs(kvm, kernel.machine)
    if "ioctls" in subsets:
        facts["system_ioctls"] = probe_system_ioctls(kvm)
    if "vcpu_run" in subsets:
        if reason:
            facts["vcpu_run"] = _skipped_run("no VM could be created")
        else:
            facts["vcpu_run"] = probe_vcpu_run(kvm, kernel, facts["vcpu_mmap_size"], timeout)
            if facts["vcpu_run"]["status"] in ("failed", "timeout"):
                facts["reasons"].append("vCPU run %s: %s" % (facts["vcpu_run"]["status"],
                                                             facts["vcpu_run"]["reason"]))


def _skipped_run(why):
    return {"status": "skipped", "ok": False, "exits": [], "elapsed_ms": None, "reason": why}


def _not_probed(facts, subsets, why):
    """Give every requested fact its empty shape, so consumers never meet a missing key."""
    facts.setdefault("api_version", None)
    facts.setdefault("vcpu_mmap_size", None)
    if "extensions" in subsets:
        facts["extensions"] = {}
        facts.update(limits({}))
    facts.setdefault("vm", {"created": False, "error": None})
    facts.setdefault("vm_types", [])
    for subset, key in (("cpuid", "cpuid"), ("msrs", "msrs"), ("ioctls", "system_ioctls")):
        if subset in subsets:
            facts[key] = {"skipped": why}
    if "vcpu_run" in subsets:
        facts["vcpu_run"] = _skipped_run(why)
    return facts
