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

from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_abi as abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_probe import CAP_NUMBER, GUEST_BYTE, GUEST_PORT

KVM_GID = 36


class FakeNode(object):
    def __init__(self, mode, rdev=0, uid=0, gid=KVM_GID):
        self.st_mode, self.st_rdev, self.st_uid, self.st_gid = mode, rdev, uid, gid


def kvm_node(perm=0o660, uid=0, gid=KVM_GID):
    return FakeNode(stat.S_IFCHR | perm, os.makedev(abi.KVM_MISC_MAJOR, abi.KVM_MINOR), uid, gid)


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
        self.nodes = {"/dev/kvm": kvm_node()}
        self.users = {0: "root", 1000: "tester"}
        self.groups = {0: "root", KVM_GID: "kvm", 1000: "tester"}
        self.identity_value = ("tester", ["tester", "kvm"])
        self.accounts = {"root": (0, 0, [0]), "nova": (1001, 1001, [1001]), "qemu": (1002, 1002, [1002, KVM_GID])}
        self.open_errno = {}
        self.api_version = abi.KVM_API_VERSION
        self.mmap_size = 12288
        self.caps = {CAP_NUMBER["KVM_CAP_IRQCHIP"]: 1, CAP_NUMBER["KVM_CAP_USER_MEMORY"]: 1,
                     CAP_NUMBER["KVM_CAP_NR_VCPUS"]: 4, CAP_NUMBER["KVM_CAP_MAX_VCPUS"]: 288,
                     CAP_NUMBER["KVM_CAP_NR_MEMSLOTS"]: 32764}
        self.cpuid = [cpuid_entry(0x1, ecx=1 << 5 | 1 << 21 | 1 << 31), cpuid_entry(0x7, ebx=1 << 5, flags=1)]
        self.msr_indices = list(range(40))
        self.feature_msrs = [0x10a, 0x345]
        self.fail = {}  # ioctl name -> errno, or a list of errnos consumed one per call
        self.run_script = [("IO", GUEST_PORT, GUEST_BYTE), ("HLT",)]
        self.sysfs = {"/sys/module": ["kvm", "kvm_intel", "ext4"],
                      "/sys/module/kvm_intel/parameters": {"nested": "Y", "ept": "Y"}}
        self.fds = {}
        self.next_fd = 100
        self.maps = []
        self.calls = []
        self.timer = None
        self.timer_disarmed = True

    # -- Syscalls interface --------------------------------------------
    def stat(self, path):
        if path not in self.nodes:
            raise oserror(errno.ENOENT)
        return self.nodes[path]

    def open(self, path, flags):
        self.stat(path)
        if path in self.open_errno:
            raise oserror(self.open_errno[path])
        return self._new_fd("device")

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
        return self.sysfs[directory][name]

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
        self.calls.append(name)
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
        return 0
