# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One small wrapper per KVM ioctl, over a replaceable system-call layer.

`Syscalls` is the only code that touches the operating system. Tests inject a
fake with the same methods. The wrappers (`Kvm`, `Vm`, `Vcpu`, in the manner
of rust-vmm's kvm-ioctls) raise OSError exactly as the kernel answers; turning
errors into facts and reasons is the probe's job, not theirs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import grp
import mmap
import os
import pwd
import signal
import time

from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_abi as abi


class Syscalls(object):
    """The real operating system, as the probe sees it."""

    def __init__(self):
        uname = os.uname()
        self.machine = uname[4]
        self.kernel_release = uname[2]

    def stat(self, path):
        return os.stat(path)

    def open(self, path, flags):
        return os.open(path, flags | getattr(os, "O_CLOEXEC", 0))

    def close(self, fd):
        os.close(fd)

    def ioctl(self, fd, request, arg=0):
        """Issue an ioctl; a bytearray argument is passed by reference and updated."""
        if isinstance(arg, bytearray):
            return fcntl.ioctl(fd, request, arg, True)
        return fcntl.ioctl(fd, request, arg)

    def mmap_shared(self, fd, length):
        return mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    def guest_memory(self, length):
        """Anonymous memory for a guest, and its address in this process."""
        import ctypes  # only the vCPU run needs it; some minimal Pythons lack it
        memory = mmap.mmap(-1, length, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                           mmap.PROT_READ | mmap.PROT_WRITE)
        view = ctypes.c_char.from_buffer(memory)
        address = ctypes.addressof(view)
        del view  # release the buffer export, so that memory.close() may unmap
        return memory, address

    def identity(self):
        """(user name, [group names]) of the effective user."""
        gids = sorted(set(os.getgroups()) | set([os.getegid()]))
        return self.user_name(os.geteuid()), [self.group_name(gid) for gid in gids]

    def user_name(self, uid):
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def group_name(self, gid):
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return str(gid)

    def account(self, name):
        """(uid, gid, [group names], [gids]) of a local account, or None if there is none."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        gids = set([entry.pw_gid]) | set(g.gr_gid for g in grp.getgrall() if name in g.gr_mem)
        return entry.pw_uid, entry.pw_gid, [self.group_name(gid) for gid in sorted(gids)], sorted(gids)

    def listdir(self, path):
        return os.listdir(path)

    def read_text(self, path):
        with open(path) as handle:
            return handle.read().strip()

    def monotonic(self):
        return time.monotonic()

    def arm_timer(self, seconds, on_expiry):
        """Deliver SIGALRM after `seconds`, then every 10 ms, until disarmed.

        The repeat closes the race of a signal that lands just before KVM_RUN
        is entered. Returns the state to give back to disarm_timer. Raises
        ValueError outside the main thread, where Python cannot take signals.
        """
        previous_handler = signal.signal(signal.SIGALRM, lambda signum, frame: on_expiry())
        previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.01)
        return previous_handler, previous_timer

    def disarm_timer(self, state):
        signal.setitimer(signal.ITIMER_REAL, 0)
        previous_handler, previous_timer = state
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def errno_text(error):
    """'EACCES (Permission denied)' for an OSError or an errno number."""
    number = getattr(error, "errno", error)
    if number is None:
        return str(error)
    return "%s (%s)" % (errno.errorcode.get(number, "errno %d" % number), os.strerror(number))


def errno_name(error):
    number = getattr(error, "errno", error)
    return errno.errorcode.get(number, "errno %s" % number)


class _Fd(object):
    """An owned file descriptor that closes itself once."""

    def __init__(self, kernel, fd, requests):
        self.kernel = kernel
        self.fd = fd
        self.requests = requests

    def close(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            self.kernel.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Kvm(_Fd):
    """The /dev/kvm system fd and its ioctls."""

    @classmethod
    def open(cls, kernel, path):
        return cls(kernel, kernel.open(path, os.O_RDWR), abi.KvmRequests(kernel.machine))

    def get_api_version(self):
        return self.kernel.ioctl(self.fd, self.requests.KVM_GET_API_VERSION)

    def check_extension(self, cap):
        return self.kernel.ioctl(self.fd, self.requests.KVM_CHECK_EXTENSION, cap)

    def get_vcpu_mmap_size(self):
        return self.kernel.ioctl(self.fd, self.requests.KVM_GET_VCPU_MMAP_SIZE)

    def create_vm(self, machine_type=0):
        return Vm(self.kernel, self.kernel.ioctl(self.fd, self.requests.KVM_CREATE_VM, machine_type), self.requests)

    def get_supported_cpuid(self, max_entries):
        """Return the supported CPUID entries as tuples; E2BIG if max_entries is too few."""
        buf = bytearray(abi.KVM_CPUID2.size + max_entries * abi.KVM_CPUID_ENTRY2.size)
        abi.KVM_CPUID2.pack_into(buf, 0, max_entries, 0)
        self.kernel.ioctl(self.fd, self.requests.KVM_GET_SUPPORTED_CPUID, buf)
        count = abi.KVM_CPUID2.unpack_from(buf, 0)[0]
        return [abi.KVM_CPUID_ENTRY2.unpack_from(buf, abi.KVM_CPUID2.size + i * abi.KVM_CPUID_ENTRY2.size)
                for i in range(count)]

    def _msr_list(self, request, max_entries):
        buf = bytearray(abi.KVM_MSR_LIST.size + max_entries * abi.KVM_MSR_INDEX.size)
        abi.KVM_MSR_LIST.pack_into(buf, 0, max_entries)
        self.kernel.ioctl(self.fd, request, buf)
        count = abi.KVM_MSR_LIST.unpack_from(buf, 0)[0]
        return [abi.KVM_MSR_INDEX.unpack_from(buf, abi.KVM_MSR_LIST.size + i * abi.KVM_MSR_INDEX.size)[0]
                for i in range(count)]

    def get_msr_index_list(self, max_entries):
        return self._msr_list(self.requests.KVM_GET_MSR_INDEX_LIST, max_entries)

    def get_msr_feature_index_list(self, max_entries):
        return self._msr_list(self.requests.KVM_GET_MSR_FEATURE_INDEX_LIST, max_entries)

    def trace_enable(self):
        # Zero-sized trace buffers: even a kernel that still had KVM_TRACE rejects them.
        return self.kernel.ioctl(self.fd, self.requests.KVM_TRACE_ENABLE, bytearray(abi.KVM_USER_TRACE_SETUP.size))

    def trace_pause(self):
        return self.kernel.ioctl(self.fd, self.requests.KVM_TRACE_PAUSE)

    def trace_disable(self):
        return self.kernel.ioctl(self.fd, self.requests.KVM_TRACE_DISABLE)


class Vm(_Fd):
    """A VM fd and its ioctls."""

    def check_extension(self, cap):
        return self.kernel.ioctl(self.fd, self.requests.KVM_CHECK_EXTENSION, cap)

    def set_user_memory_region(self, slot, guest_phys_addr, memory_size, userspace_addr, flags=0):
        region = bytearray(abi.KVM_USERSPACE_MEMORY_REGION.pack(
            slot, flags, guest_phys_addr, memory_size, userspace_addr))
        return self.kernel.ioctl(self.fd, self.requests.KVM_SET_USER_MEMORY_REGION, region)

    def create_vcpu(self, vcpu_id=0):
        return Vcpu(self.kernel, self.kernel.ioctl(self.fd, self.requests.KVM_CREATE_VCPU, vcpu_id), self.requests)


class Vcpu(_Fd):
    """A vCPU fd and its ioctls."""

    def run(self):
        return self.kernel.ioctl(self.fd, self.requests.KVM_RUN)

    def get_regs(self):
        buf = bytearray(abi.KVM_REGS_SIZE)
        self.kernel.ioctl(self.fd, self.requests.KVM_GET_REGS, buf)
        return buf

    def set_regs(self, buf):
        return self.kernel.ioctl(self.fd, self.requests.KVM_SET_REGS, buf)

    def get_sregs(self):
        buf = bytearray(abi.KVM_SREGS_SIZE)
        self.kernel.ioctl(self.fd, self.requests.KVM_GET_SREGS, buf)
        return buf

    def set_sregs(self, buf):
        return self.kernel.ioctl(self.fd, self.requests.KVM_SET_SREGS, buf)

    def map_run(self, mmap_size):
        return self.kernel.mmap_shared(self.fd, mmap_size)
