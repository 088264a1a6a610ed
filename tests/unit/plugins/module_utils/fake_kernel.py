# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted kernel with the Syscalls interface, configured per test case.

By default it behaves like a healthy Intel host with KVM; a test changes only
what its case needs (a node, an errno, an API version, the KVM_RUN script)
and then asserts on the facts and on the bookkeeping: every fd closed, every
mapping unmapped, the timer disarmed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat
import struct

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi, abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import aarch64 as guest_arm64
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests.x86_64 import (
    DATA as GUEST_BYTE, PORT as GUEST_PORT)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_MINOR, KVM_MISC_MAJOR

KVM_GID = 36


class FakeNode(object):
    def __init__(self, mode, rdev=0, uid=0, gid=KVM_GID):
        self.st_mode, self.st_rdev, self.st_uid, self.st_gid = mode, rdev, uid, gid


def kvm_node(perm=0o660, uid=0, gid=KVM_GID):
    return FakeNode(stat.S_IFCHR | perm, os.makedev(KVM_MISC_MAJOR, KVM_MINOR), uid, gid)


def misc_node(minor, perm=0o660, uid=0, gid=KVM_GID, major=KVM_MISC_MAJOR):
    """A misc character device node (tun 200, vhost-net 238, ...)."""
    return FakeNode(stat.S_IFCHR | perm, os.makedev(major, minor), uid, gid)


def acl_xattr(*entries):
    """The system.posix_acl_access bytes of (tag, id or None, perm) entries, e.g. ("user", 1001, 6)."""
    tags = {"user_obj": 1, "user": 2, "group_obj": 4, "group": 8, "mask": 0x10, "other": 0x20}
    raw = struct.pack("<I", 2)
    for tag, ident, perm in entries:
        raw += struct.pack("<HHI", tags[tag], perm, 0xFFFFFFFF if ident is None else ident)
    return raw


class FakeMap(bytearray):
    """A mapping: a bytearray that knows whether it was unmapped."""
    closed = False

    def close(self):
        self.closed = True


def oserror(number):
    return OSError(number, os.strerror(number))


def cpuid_entry(function, index=0, eax=0, ebx=0, ecx=0, edx=0, flags=0):
    return (function, index, flags, eax, ebx, ecx, edx, 0, 0, 0)


class FakeKernel(object):
    kernel_release = "6.1.0-fake"

    def __init__(self, machine="x86_64"):
        self.machine = machine
        self.requests = abi.KvmRequests(machine)
        self.device_requests = devices_abi.DeviceRequests(machine)
        self.commands = {}  # argv tuple -> output, for run() (qemu --version)
        self.qmp_answers = {}  # QEMU binary -> [answer per QMP command] or an OSError, for qmp() (qemu_check)
        self.qmp_calls = []
        self.run_calls = []
        self.euid = 1000  # the probe runs as "tester"; 0 makes accounts judged by open_as
        self.xattrs = {}  # path -> raw system.posix_acl_access bytes
        self.open_as_result = {}  # (path, account uid) -> (step, errno); default: the mode/ACL decide
        self.open_as_calls = []
        self.children_reaped = True
        # Devices besides /dev/kvm answer their ioctls with these values.
        self.tun_features = 0x7133
        self.vhost_features = {"/dev/vhost-net": 1 << 32 | 1 << 15, "/dev/vhost-vsock": 1 << 32 | 1}
        self.vfio_api_version = devices_abi.VFIO_API_VERSION
        self.vfio_extensions = {devices_abi.VFIO_TYPE1_IOMMU: 1, devices_abi.VFIO_TYPE1V2_IOMMU: 1}
        self.sev_status = (1, 55, 1, 0, 21, 0)
        # /dev/kvm, and the devices a VMM opens besides it, as a Debian host with KVM has them.
        self.nodes = {"/dev/kvm": kvm_node(), "/dev/net/tun": misc_node(200, perm=0o666, gid=0),
                      "/dev/vhost-net": misc_node(238), "/dev/vhost-vsock": misc_node(241)}
        self.users = {0: "root", 1000: "tester"}
        self.groups = {0: "root", KVM_GID: "kvm", 1000: "tester"}
        self.identity_value = ("tester", ["tester", "kvm"])
        self.accounts = {"root": (0, 0, [0]), "nova": (1001, 1001, [1001]), "qemu": (1002, 1002, [1002, KVM_GID])}
        self.open_errno = {}
        self.directories = {"/", "/dev", "/dev/net", "/run", "/tmp"}  # they exist, whatever nodes they hold
        self.api_version = abi.KVM_API_VERSION
        self.mmap_size = 12288
        self.caps = {CAP_NUMBER["KVM_CAP_IRQCHIP"]: 1, CAP_NUMBER["KVM_CAP_USER_MEMORY"]: 1,
                     CAP_NUMBER["KVM_CAP_NR_VCPUS"]: 4, CAP_NUMBER["KVM_CAP_MAX_VCPUS"]: 288,
                     CAP_NUMBER["KVM_CAP_NR_MEMSLOTS"]: 32764}
        self.cpuid = [cpuid_entry(0x1, ecx=1 << 5 | 1 << 21 | 1 << 31), cpuid_entry(0x7, ebx=1 << 5, flags=1)]
        self.msr_indices = list(range(40))
        self.feature_msrs = [0x10a, 0x345]
        self.msr_values = {}  # feature MSR -> the value KVM_GET_MSRS reads on the system fd (unlisted: not read)
        self.xcomp = None  # KVM_X86_XCOMP_GUEST_SUPP, or None: the kernel has no such attribute (ENXIO)
        self.fail = {}  # ioctl name -> errno, or a list of errnos consumed one per call
        self.run_script = [("IO", GUEST_PORT, GUEST_BYTE), ("HLT",)]
        if machine == "aarch64":  # what guest_arm64's code causes: a 4-byte MMIO write, PSCI SYSTEM_OFF
            self.run_script = [("MMIO", guest_arm64.MMIO_ADDRESS, struct.pack("<I", guest_arm64.DATA)),
                               ("SYSTEM_EVENT", 1)]
        self.arm_target = 5  # KVM_ARM_TARGET_GENERIC_V8
        self.vcpu_init = None  # (target, features...) given to KVM_ARM_VCPU_INIT
        self.one_regs = {}  # register id -> value given to KVM_SET_ONE_REG
        self.sysfs = {"/sys/module": ["kvm", "kvm_intel", "ext4"],
                      "/sys/module/kvm_intel/parameters": {"nested": "Y", "ept": "Y"},
                      "/proc": {"misc": "200 tun\n238 vhost-net\n241 vhost-vsock\n232 kvm"}}
        self.kmsg = []  # the kernel log's messages, or an OSError (not root, dmesg_restrict)
        # Hyper-V, as a kernel with KVM's Hyper-V emulation has it: every capability QEMU reads, every bit of QEMU's
        # table in the leaves KVM_GET_SUPPORTED_HV_CPUID gives, every MSR written, eVMCS 1 only.
        self.caps.update((CAP_NUMBER[name], 1) for name in (
            "KVM_CAP_HYPERV", "KVM_CAP_HYPERV_TIME", "KVM_CAP_HYPERV_VP_INDEX", "KVM_CAP_HYPERV_SYNIC2",
            "KVM_CAP_HYPERV_TLBFLUSH", "KVM_CAP_HYPERV_SEND_IPI", "KVM_CAP_HYPERV_ENLIGHTENED_VMCS",
            "KVM_CAP_HYPERV_CPUID", "KVM_CAP_SYS_HYPERV_CPUID"))
        self.hv_cpuid = [cpuid_entry(0x40000000, eax=0x4000000A), cpuid_entry(0x40000001, eax=0x31237648),
                         cpuid_entry(0x40000003, eax=0x2aff, edx=0x84d10),
                         cpuid_entry(0x40000004, eax=0x4e24), cpuid_entry(0x4000000A, eax=0xa0101)]
        self.msr_refused = set()  # MSRs KVM_SET_MSRS does not write
        self.enable_cap_errno = {}  # capability number -> errno of KVM_ENABLE_CAP on a vCPU
        self.evmcs_versions = 0x0101  # what KVM_CAP_HYPERV_ENLIGHTENED_VMCS writes back: eVMCS 1 to 1
        self.vcpu_cpuid = None  # the entries given to KVM_SET_CPUID2
        self.vm_caps = []  # capability numbers enabled on a VM (KVM_ENABLE_CAP on a VM fd)
        self.fds = {}
        self.next_fd = 100
        self.maps = []
        self.calls = []
        self.call_args = []  # (ioctl name, integer argument or None), in order
        self.user_buffers = {}  # address -> buffer handed out by user_buffer()
        self.timer = None
        self.timer_disarmed = True

    # -- Syscalls interface --------------------------------------------
    def stat(self, path):
        if path not in self.nodes:
            if path in self.directories or any(node.startswith(path.rstrip("/") + "/") for node in self.nodes):
                return FakeNode(stat.S_IFDIR | 0o755)
            raise oserror(errno.ENOENT)
        return self.nodes[path]

    def open(self, path, flags):
        self.stat(path)
        if path in self.open_errno:
            raise oserror(self.open_errno[path])
        return self._new_fd("device " + path)

    def effective_uid(self):
        return self.euid

    def process_gids(self):
        names = self.identity_value[1]
        return sorted(gid for gid, name in self.groups.items() if name in names)

    def getxattr(self, path, name):
        self.stat(path)
        if path not in self.xattrs:
            raise oserror(errno.ENODATA)
        return self.xattrs[path]

    def open_as(self, path, flags, uid, gid, gids):
        """A child that opens as the account: scripted, or the mode and ACL decide as the kernel would."""
        from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.node import dac_access, read_acl
        self.open_as_calls.append((path, uid, gid, tuple(gids)))
        if (path, uid) in self.open_as_result:
            return self.open_as_result[(path, uid)]
        try:
            st = self.stat(path)
        except OSError as error:
            return "open", error.errno
        allowed, _via = dac_access(self, st, read_acl(self, path)[0], uid, gids)
        return (None, 0) if allowed else ("open", errno.EACCES)

    def close(self, fd):
        if fd not in self.fds:
            raise oserror(errno.EBADF)
        del self.fds[fd]

    def mmap_shared(self, fd, length):
        if fd not in self.fds:
            raise oserror(errno.EBADF)
        return self._map(length)

    def guest_memory(self, length):
        return self._map(length), 0x7F0000000000

    def user_buffer(self, data):
        """A real buffer at a fake address; self.user_buffers lets handlers fill what the kernel would write."""
        buf = bytearray(data)
        address = 0x7E0000000000 + 0x1000 * len(self.user_buffers)
        self.user_buffers[address] = buf
        return buf, address

    def identity(self):
        return self.identity_value

    def user_name(self, uid):
        return self.users.get(uid, str(uid))

    def group_name(self, gid):
        return self.groups.get(gid, str(gid))

    def account(self, name):
        if name not in self.accounts:
            return None
        uid, gid, gids = self.accounts[name]
        return uid, gid, [self.group_name(g) for g in gids], gids

    def listdir(self, path):
        if path not in self.sysfs:
            raise oserror(errno.ENOENT)
        return list(self.sysfs[path])

    def read_text(self, path):
        directory, name = os.path.split(path)
        if directory not in self.sysfs or name not in self.sysfs[directory]:
            raise oserror(errno.ENOENT)
        value = self.sysfs[directory][name]
        if isinstance(value, OSError):
            raise value
        return value

    def read_bytes(self, path):
        value = self.read_text(path)
        return value if isinstance(value, bytes) else value.encode("utf-8")

    def read_head(self, path, size):
        return self.read_bytes(path)[:size]

    def run(self, argv, timeout):
        """self.commands: {argv tuple: output text or an OSError}; a program not there does not exist."""
        self.run_calls.append((tuple(argv), timeout))
        value = self.commands.get(tuple(argv), oserror(errno.ENOENT))
        if isinstance(value, OSError):
            raise value
        return value

    def qmp(self, argv, commands, timeout, address_space):
        self.qmp_calls.append((tuple(argv), tuple(commands), timeout, address_space))
        value = self.qmp_answers.get(argv[0], oserror(errno.ENOENT))
        if isinstance(value, OSError):
            raise value
        return list(value)

    def kernel_log(self, limit=4096):
        log = self.kmsg
        if isinstance(log, OSError):  # a test sets an OSError to make the log unreadable
            raise log  # pylint: disable=raising-bad-type
        return list(log)[-limit:]

    def monotonic(self):
        return 0.0

    def arm_timer(self, seconds, on_expiry):
        self.timer, self.timer_disarmed = on_expiry, False
        return "token"

    def disarm_timer(self, state):
        assert state == "token"
        self.timer_disarmed = True

    def ioctl(self, fd, request, arg=0):
        if fd not in self.fds:
            raise oserror(errno.EBADF)
        name = self.requests.name_of(request)
        if name.startswith("ioctl "):
            name = self.device_requests.name_of(request)
        self.calls.append(name)
        self.call_args.append((name, arg if isinstance(arg, int) else None))
        failure = self.fail.get(name)
        if isinstance(failure, list):
            failure = failure.pop(0) if failure else None
        if failure:
            raise oserror(failure)
        return getattr(self, "_" + name)(fd, arg)

    # -- bookkeeping ---------------------------------------------------
    def leaks(self):
        """Open fds and mappings left behind; [] when the probe cleaned up."""
        return sorted(self.fds.values()) + ["mapping" for m in self.maps if not m.closed]

    def _new_fd(self, kind):
        self.next_fd += 1
        self.fds[self.next_fd] = kind
        return self.next_fd

    def _map(self, length):
        mapping = FakeMap(length)
        self.maps.append(mapping)
        return mapping

    # -- ioctl handlers ------------------------------------------------
    def _TUNGETFEATURES(self, fd, buf):
        devices_abi.TUN_UINT.pack_into(buf, 0, self.tun_features)
        return 0

    def _VHOST_GET_FEATURES(self, fd, buf):
        devices_abi.VHOST_U64.pack_into(buf, 0, self.vhost_features[self.fds[fd].split(" ", 1)[1]])
        return 0

    def _VFIO_GET_API_VERSION(self, fd, arg):
        return self.vfio_api_version

    def _VFIO_CHECK_EXTENSION(self, fd, arg):
        return self.vfio_extensions.get(arg, 0)

    def _IOMMU_IOAS_ALLOC(self, fd, buf):
        devices_abi.IOMMU_IOAS_ALLOC.pack_into(buf, 0, devices_abi.IOMMU_IOAS_ALLOC.size, 0, 1)
        return 0

    def _SEV_ISSUE_CMD(self, fd, buf):
        """Writes the platform status where the command points, as the firmware does (SEV_PLATFORM_STATUS)."""
        _command, address, _error = devices_abi.SEV_ISSUE_CMD_STRUCT.unpack_from(buf)
        devices_abi.SEV_USER_DATA_STATUS.pack_into(self.user_buffers[address], 0, *self.sev_status)
        return 0

    def _KVM_GET_API_VERSION(self, fd, arg):
        return self.api_version

    def _KVM_CHECK_EXTENSION(self, fd, arg):
        return self.caps.get(arg, 0)

    def _KVM_GET_VCPU_MMAP_SIZE(self, fd, arg):
        return self.mmap_size

    def _KVM_CREATE_VM(self, fd, arg):
        return self._new_fd("vm")

    def _KVM_CREATE_VCPU(self, fd, arg):
        self._run_steps = list(self.run_script)  # each vCPU plays the whole script
        return self._new_fd("vcpu")

    def _KVM_SET_USER_MEMORY_REGION(self, fd, arg):
        return 0

    def _fill(self, buf, header, item, items):
        capacity = header.unpack_from(buf, 0)[0]
        if capacity < len(items):
            raise oserror(errno.E2BIG)
        header.pack_into(buf, 0, len(items), *([0] * (len(header.format) - 2)))
        for i, value in enumerate(items):
            values = value if isinstance(value, tuple) else (value,)
            item.pack_into(buf, header.size + i * item.size, *values)
        return 0

    def _KVM_GET_SUPPORTED_CPUID(self, fd, buf):
        return self._fill(buf, abi.KVM_CPUID2, abi.KVM_CPUID_ENTRY2, self.cpuid)

    def _KVM_GET_MSR_INDEX_LIST(self, fd, buf):
        return self._fill(buf, abi.KVM_MSR_LIST, abi.KVM_MSR_INDEX, self.msr_indices)

    def _KVM_GET_MSR_FEATURE_INDEX_LIST(self, fd, buf):
        return self._fill(buf, abi.KVM_MSR_LIST, abi.KVM_MSR_INDEX, self.feature_msrs)

    def _KVM_GET_MSRS(self, fd, buf):
        count = abi.KVM_MSRS.unpack_from(buf, 0)[0]
        for i in range(count):
            offset = abi.KVM_MSRS.size + i * abi.KVM_MSR_ENTRY.size
            index = abi.KVM_MSR_ENTRY.unpack_from(buf, offset)[0]
            if index not in self.msr_values:
                return i  # the kernel stops at the first MSR it cannot read
            abi.KVM_MSR_ENTRY.pack_into(buf, offset, index, 0, self.msr_values[index])
        return count

    def _KVM_GET_DEVICE_ATTR(self, fd, buf):
        if self.xcomp is None:
            raise oserror(errno.ENXIO)
        address = abi.KVM_DEVICE_ATTR.unpack_from(buf, 0)[3]
        abi.KVM_U64.pack_into(self.user_buffers[address], 0, self.xcomp)
        return 0

    def _KVM_TRACE_ENABLE(self, fd, arg):
        raise oserror(errno.EINVAL)

    _KVM_TRACE_PAUSE = _KVM_TRACE_DISABLE = _KVM_TRACE_ENABLE

    def _KVM_GET_SREGS(self, fd, buf):
        return 0

    def _KVM_GET_REGS(self, fd, buf):
        return 0

    def _KVM_SET_SREGS(self, fd, buf):
        return 0

    def _KVM_SET_REGS(self, fd, buf):
        return 0

    def _KVM_GET_SUPPORTED_HV_CPUID(self, fd, buf):
        return self._fill(buf, abi.KVM_CPUID2, abi.KVM_CPUID_ENTRY2, self.hv_cpuid)

    def _KVM_ENABLE_CAP(self, fd, buf):
        cap, _flags, address = abi.KVM_ENABLE_CAP.unpack(bytes(buf))[:3]
        if cap in self.enable_cap_errno:
            raise oserror(self.enable_cap_errno[cap])
        if self.fds[fd] == "vm":
            self.vm_caps.append(cap)
            return 0
        if cap == CAP_NUMBER["KVM_CAP_HYPERV_ENLIGHTENED_VMCS"]:
            abi.KVM_U16.pack_into(self.user_buffers[address], 0, self.evmcs_versions)
        return 0

    def _KVM_SET_CPUID2(self, fd, buf):
        count = abi.KVM_CPUID2.unpack_from(buf, 0)[0]
        self.vcpu_cpuid = [abi.KVM_CPUID_ENTRY2.unpack_from(buf, abi.KVM_CPUID2.size + i * abi.KVM_CPUID_ENTRY2.size)
                           for i in range(count)]
        return 0

    def _KVM_SET_MSRS(self, fd, buf):
        count = abi.KVM_MSRS.unpack_from(buf, 0)[0]
        for i in range(count):
            if abi.KVM_MSR_ENTRY.unpack_from(buf, abi.KVM_MSRS.size + i * abi.KVM_MSR_ENTRY.size)[0] in self.msr_refused:
                return i  # the kernel stops at the first MSR it refuses
        return count

    def _KVM_ARM_PREFERRED_TARGET(self, fd, buf):
        abi.KVM_VCPU_INIT.pack_into(buf, 0, self.arm_target, *([0] * 7))
        return 0

    def _KVM_ARM_VCPU_INIT(self, fd, buf):
        self.vcpu_init = abi.KVM_VCPU_INIT.unpack(bytes(buf))
        return 0

    def _KVM_SET_ONE_REG(self, fd, buf):
        reg_id, address = abi.KVM_ONE_REG.unpack(bytes(buf))
        self.one_regs[reg_id] = struct.unpack("=Q", bytes(self.user_buffers[address][:8]))[0]
        return 0

    def _KVM_RUN(self, fd, arg):
        """Play the next step of run_script into the most recent kvm_run mapping."""
        run = self.maps[-1]
        step = self._run_steps.pop(0) if self._run_steps else ("HANG",)
        if step[0] == "HANG":  # KVM_RUN blocks until the timer's signal interrupts it
            self.timer()
            raise oserror(errno.EINTR)
        if step[0] == "EINTR":
            raise oserror(errno.EINTR)
        number = [n for n, name in abi.KVM_EXIT_REASONS.items() if name == step[0]][0]
        abi.KVM_RUN_EXIT_REASON.pack_into(run, abi.KVM_RUN_EXIT_REASON_OFFSET, number)
        if step[0] == "IO":
            abi.KVM_RUN_IO.pack_into(run, abi.KVM_RUN_UNION_OFFSET, abi.KVM_EXIT_IO_OUT, 1, step[1], 1, 0x100)
            run[0x100] = step[2]
        elif step[0] == "FAIL_ENTRY":
            abi.KVM_RUN_FAIL_ENTRY.pack_into(run, abi.KVM_RUN_UNION_OFFSET, step[1], 0)
        elif step[0] == "MMIO":  # ("MMIO", address, data bytes)
            abi.KVM_RUN_MMIO.pack_into(run, abi.KVM_RUN_UNION_OFFSET, step[1], step[2], len(step[2]), 1)
        elif step[0] == "SYSTEM_EVENT":  # ("SYSTEM_EVENT", type number)
            abi.KVM_RUN_SYSTEM_EVENT.pack_into(run, abi.KVM_RUN_UNION_OFFSET, step[1], 0)
        return 0


# What every probe test checks after a gather: nothing left open, no timer left armed.
def probe(kernel, subsets=None, **kwargs):
    facts = gather(subsets or ["all"], kernel=kernel, **kwargs)
    assert kernel.leaks() == [], "the probe left fds or mappings open"
    assert kernel.timer_disarmed, "the KVM_RUN timer was left armed"
    return facts


def only_reason(facts):
    assert facts["usable"] is False
    assert len(facts["reasons"]) == 1, facts["reasons"]
    return facts["reasons"][0]
