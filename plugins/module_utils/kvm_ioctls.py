# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One small wrapper per KVM ioctl, over a replaceable system-call layer.

`Syscalls` is the only code that touches the operating system. Tests inject a
fake with the same methods. The wrappers (`Kvm`, `Vm`, `Vcpu`, in the manner
of rust-vmm's kvm-ioctls) raise KvmError, an OSError with the kernel's errno
that names the failed step; turning errors into facts and reasons is the
probe's job, not theirs. A `Vcpu` owns its kvm_run mapping and decodes its
own exits, as kvm-ioctls' `VcpuFd::run()` does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import os
import time

# mmap, signal (which pulls in enum), ctypes, pwd and grp are imported where they are used: the probe
# process of a host that is not asked for a vCPU run or accounts never pays for them.

from ansible_collections.fleetcheck.kvm.plugins.module_utils import devices_abi, kvm_abi as abi


class Syscalls(object):
    """The real operating system, as the probe sees it."""

    def __init__(self):
        uname = os.uname()
        self.machine = uname[4]
        self.kernel_release = uname[2]
        self._names = {}

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
        import mmap
        return mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    def guest_memory(self, length):
        """Page-aligned, zeroed memory for a guest, and its address in this process."""
        return addressable_memory(length)

    def user_buffer(self, data):
        """(buffer, address) of a copy of data, for ioctl structs that point at user memory."""
        buf, address = addressable_memory(len(data), aligned=False)
        memoryview(buf)[0:len(data)] = bytes(data)  # an mmap or, on the fallback, an array
        return buf, address

    def identity(self):
        """(user name, [group names]) of the effective user."""
        gids = sorted(set(os.getgroups()) | set([os.getegid()]))
        return self.user_name(os.geteuid()), [self.group_name(gid) for gid in gids]

    def user_name(self, uid):
        return self._name("user", uid)

    def group_name(self, gid):
        return self._name("group", gid)

    def _name(self, kind, number):
        """An account's name, remembered: several nodes share owner and group, and each lookup may
        ask NSS (files, nscd, LDAP) again."""
        key = (kind, number)
        if key not in self._names:
            try:
                if kind == "user":
                    import pwd
                    name = pwd.getpwuid(number).pw_name
                else:
                    import grp
                    name = grp.getgrgid(number).gr_name
            except KeyError:
                name = str(number)
            self._names[key] = name
        return self._names[key]

    def account(self, name):
        """(uid, gid, [group names], [gids]) of a local account, or None if there is none."""
        import grp
        import pwd
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        gids = set([entry.pw_gid]) | set(g.gr_gid for g in grp.getgrall() if name in g.gr_mem)
        return entry.pw_uid, entry.pw_gid, [self.group_name(gid) for gid in sorted(gids)], sorted(gids)

    def effective_uid(self):
        return os.geteuid()

    def process_gids(self):
        """The effective and supplementary group ids of this process."""
        return sorted(set(os.getgroups()) | set([os.getegid()]))

    def getxattr(self, path, name):
        """The raw value of an extended attribute; OSError ENODATA when the file has none."""
        return os.getxattr(path, name)

    def open_as(self, path, flags, uid, gid, gids):
        """Open path as another account in a short-lived child, so that the kernel itself judges
        (mode, ACL, security modules, device cgroup). Returns (step, errno): (None, 0) when it opened,
        else the step that failed ("setgroups", "setgid", "setuid", "open" or "fork") and its errno."""
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            os.close(read_end)
            os.close(write_end)
            return "fork", error.errno
        if pid == 0:  # the child: drop to the account, try, report, never return into the caller
            step, number = "setgroups", 0
            try:
                os.close(read_end)
                os.setgroups(list(gids))
                step = "setgid"
                os.setgid(gid)
                step = "setuid"
                os.setuid(uid)
                step = "open"
                os.close(os.open(path, flags))
                step = ""
            except OSError as error:
                number = error.errno or 255
            except BaseException:
                number = 255
            finally:
                try:
                    os.write(write_end, ("%s %d" % (step or "-", number)).encode("ascii"))
                finally:
                    os._exit(0)
        os.close(write_end)
        try:
            answer = b""
            while True:
                chunk = os.read(read_end, 64)
                if not chunk:
                    break
                answer += chunk
        finally:
            os.close(read_end)
            os.waitpid(pid, 0)
        parts = answer.decode("ascii", "replace").split()
        if len(parts) != 2:
            return "fork", errno.ECHILD
        step, number = parts[0], int(parts[1])
        return (None, 0) if number == 0 else (step, number)

    def listdir(self, path):
        return os.listdir(path)

    def read_text(self, path):
        return read_file(path).decode("utf-8").strip()

    def monotonic(self):
        return time.monotonic()

    def arm_timer(self, seconds, on_expiry):
        """Deliver SIGALRM after `seconds`, then every 10 ms, until disarmed.

        The repeat closes the race of a signal that lands just before KVM_RUN
        is entered. Returns the state to give back to disarm_timer. Raises
        ValueError outside the main thread, where Python cannot take signals.
        """
        signal = _signals()
        previous_handler = signal.signal(signal.SIGALRM, lambda signum, frame: on_expiry())
        previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.01)
        return previous_handler, previous_timer

    def disarm_timer(self, state):
        signal = _signals()
        signal.setitimer(signal.ITIMER_REAL, 0)
        previous_handler, previous_timer = state
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def _signals():
    """The signal functions: CPython's _signal has them all, without the enum wrapping of the signal
    module, whose import (enum, functools) costs the probe process about 2 ms."""
    try:
        import _signal as signal
        signal.setitimer, signal.ITIMER_REAL, signal.SIGALRM  # pylint: disable=pointless-statement
    except (ImportError, AttributeError):
        import signal
    return signal


_MEMFD_COUNT = [0]  # tells this process's memfds apart in /proc/self/maps


def addressable_memory(length, aligned=True):
    """(buffer, address) of `length` zeroed bytes of this process, at a page boundary when `aligned`.

    ctypes would give an address, but its import costs more than the whole probe; an array's
    buffer_info() gives one too, but importing array pulls in collections (about 1.5 ms). So the
    memory is a named memfd, mapped, and its address is read where the kernel states it: that
    name's line in /proc/self/maps. Python 3.6 and 3.7 have no memfd_create and use the array.
    """
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        import mmap
        page = mmap.PAGESIZE
        size = max(page, -(-length // page) * page)  # whole pages: nothing past the file's end faults
        _MEMFD_COUNT[0] += 1
        name = "fleetcheck-%d-%d" % (os.getpid(), _MEMFD_COUNT[0])
        try:
            fd = memfd_create(name, getattr(os, "MFD_CLOEXEC", 1))
        except OSError:  # a kernel older than 3.17, or a seccomp filter
            fd = None
        if fd is not None:
            try:
                os.ftruncate(fd, size)
                buf = mmap.mmap(fd, size)
            finally:
                os.close(fd)  # the mapping keeps the memory
            address = _mapped_address("/memfd:%s (deleted)" % name)
            if address is not None:
                return buf, address
            buf.close()
    return _array_memory(length, aligned)


def _mapped_address(suffix):
    """The start address of the line of /proc/self/maps that ends with `suffix`, or None."""
    try:
        maps = read_file("/proc/self/maps")
    except OSError:
        return None  # no /proc: the array's address serves
    end = maps.find(suffix.encode("utf-8") + b"\n")
    if end < 0:
        return None
    start = maps.rfind(b"\n", 0, end) + 1
    try:
        return int(maps[start:maps.index(b"-", start)], 16)
    except ValueError:
        return None


def read_file(path):
    """The whole content of a (kernel) file, as bytes.

    os.read rather than open(): the probe reads some 70 small sysfs and procfs files, and a Python
    file object costs each of them an fstat, an isatty ioctl, an lseek and a codec lookup."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = [os.read(fd, 65536)]
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
    finally:
        os.close(fd)
    return b"".join(chunks)


def _array_memory(length, aligned):
    import array
    if not aligned:
        backing = array.array("B", bytes(length))
        return backing, backing.buffer_info()[0]
    page = os.sysconf("SC_PAGE_SIZE")
    backing = array.array("B", bytes(length + page))
    start = backing.buffer_info()[0]
    offset = -start % page
    return ArrayWindow(backing, offset, length), start + offset


class ArrayWindow(object):
    """`length` bytes at `offset` in an array: page-aligned memory where no memfd can be had."""

    def __init__(self, backing, offset, length):
        self.backing, self.offset, self.length = backing, offset, length

    def __setitem__(self, window, data):
        self.backing[self.offset + window.start:self.offset + window.stop] = type(self.backing)("B", data)

    def close(self):
        self.backing = None


def errno_text(error):
    """'EACCES (Permission denied)' for an OSError or an errno number."""
    number = getattr(error, "errno", error)
    if number is None:
        return str(error)
    return "%s (%s)" % (errno.errorcode.get(number, "errno %d" % number), os.strerror(number))


class KvmError(OSError):
    """The kernel's refusal of one step (an ioctl by name, or the kvm_run mmap), with its errno."""

    def __init__(self, step, error):
        OSError.__init__(self, error.errno, error.strerror)
        self.step = step

    def __str__(self):
        return "%s failed with %s" % (self.step, errno_text(self))


def errno_name(error):
    number = getattr(error, "errno", error)
    return errno.errorcode.get(number, "errno %s" % number)


class _Fd(object):
    """An owned file descriptor that closes itself once."""

    def __init__(self, kernel, fd, requests):
        self.kernel = kernel
        self.fd = fd
        self.requests = requests

    def _ioctl(self, name, arg=0):
        try:
            return self.kernel.ioctl(self.fd, getattr(self.requests, name), arg)
        except OSError as error:
            raise KvmError(name, error)

    def _read(self, name, size):
        buf = bytearray(size)
        self._ioctl(name, buf)
        return buf

    def check_extension(self, cap):
        return self._ioctl("KVM_CHECK_EXTENSION", cap)

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
        return self._ioctl("KVM_GET_API_VERSION")

    def get_vcpu_mmap_size(self):
        return self._ioctl("KVM_GET_VCPU_MMAP_SIZE")

    def create_vm(self, machine_type=0):
        return Vm(self.kernel, self._ioctl("KVM_CREATE_VM", machine_type), self.requests)

    def get_supported_cpuid(self, max_entries):
        """Return the supported CPUID entries as tuples; E2BIG if max_entries is too few."""
        buf = bytearray(abi.KVM_CPUID2.size + max_entries * abi.KVM_CPUID_ENTRY2.size)
        abi.KVM_CPUID2.pack_into(buf, 0, max_entries, 0)
        self._ioctl("KVM_GET_SUPPORTED_CPUID", buf)
        count = abi.KVM_CPUID2.unpack_from(buf, 0)[0]
        return [abi.KVM_CPUID_ENTRY2.unpack_from(buf, abi.KVM_CPUID2.size + i * abi.KVM_CPUID_ENTRY2.size)
                for i in range(count)]

    def _msr_list(self, name, max_entries):
        buf = bytearray(abi.KVM_MSR_LIST.size + max_entries * abi.KVM_MSR_INDEX.size)
        abi.KVM_MSR_LIST.pack_into(buf, 0, max_entries)
        self._ioctl(name, buf)
        count = abi.KVM_MSR_LIST.unpack_from(buf, 0)[0]
        return [abi.KVM_MSR_INDEX.unpack_from(buf, abi.KVM_MSR_LIST.size + i * abi.KVM_MSR_INDEX.size)[0]
                for i in range(count)]

    def get_msr_index_list(self, max_entries):
        return self._msr_list("KVM_GET_MSR_INDEX_LIST", max_entries)

    def get_msr_feature_index_list(self, max_entries):
        return self._msr_list("KVM_GET_MSR_FEATURE_INDEX_LIST", max_entries)

    def get_msrs(self, indices):
        """KVM_GET_MSRS on the system fd (feature MSRs): {index: value} for the MSRs the kernel read."""
        buf = bytearray(abi.KVM_MSRS.size + len(indices) * abi.KVM_MSR_ENTRY.size)
        abi.KVM_MSRS.pack_into(buf, 0, len(indices), 0)
        for i, index in enumerate(indices):
            abi.KVM_MSR_ENTRY.pack_into(buf, abi.KVM_MSRS.size + i * abi.KVM_MSR_ENTRY.size, index, 0, 0)
        count = self._ioctl("KVM_GET_MSRS", buf)
        entries = [abi.KVM_MSR_ENTRY.unpack_from(buf, abi.KVM_MSRS.size + i * abi.KVM_MSR_ENTRY.size)
                   for i in range(min(count, len(indices)))]
        return dict((index, value) for index, _reserved, value in entries)

    def get_device_attr(self, group, attr):
        """KVM_GET_DEVICE_ATTR on the system fd: the 64-bit value of a system attribute."""
        value, address = self.kernel.user_buffer(bytearray(8))
        self._ioctl("KVM_GET_DEVICE_ATTR", bytearray(abi.KVM_DEVICE_ATTR.pack(0, group, attr, address)))
        return abi.KVM_U64.unpack_from(value)[0]

    def trace_enable(self):
        # Zero-sized trace buffers: even a kernel that still had KVM_TRACE rejects them.
        return self._ioctl("KVM_TRACE_ENABLE", bytearray(abi.KVM_USER_TRACE_SETUP.size))

    def trace_pause(self):
        return self._ioctl("KVM_TRACE_PAUSE")

    def trace_disable(self):
        return self._ioctl("KVM_TRACE_DISABLE")


class Vm(_Fd):
    """A VM fd and its ioctls."""

    def set_user_memory_region(self, slot, guest_phys_addr, memory_size, userspace_addr, flags=0):
        region = bytearray(abi.KVM_USERSPACE_MEMORY_REGION.pack(
            slot, flags, guest_phys_addr, memory_size, userspace_addr))
        return self._ioctl("KVM_SET_USER_MEMORY_REGION", region)

    def create_vcpu(self, vcpu_id, mmap_size):
        """A vCPU with its kvm_run area mapped; nothing stays open if the mapping fails."""
        vcpu = Vcpu(self.kernel, self._ioctl("KVM_CREATE_VCPU", vcpu_id), self.requests)
        try:
            vcpu.map_run(mmap_size)
        except Exception:
            vcpu.close()
            raise
        return vcpu

    def arm_preferred_target(self):
        """(target, [features]) of KVM_ARM_PREFERRED_TARGET (arm64)."""
        values = abi.KVM_VCPU_INIT.unpack(bytes(self._read("KVM_ARM_PREFERRED_TARGET", abi.KVM_VCPU_INIT.size)))
        return values[0], list(values[1:])


class Vcpu(_Fd):
    """A vCPU fd, its kvm_run mapping and its ioctls."""

    kvm_run = None

    def map_run(self, mmap_size):
        try:
            self.kvm_run = self.kernel.mmap_shared(self.fd, mmap_size)
        except OSError as error:
            raise KvmError("mmap of the kvm_run area", error)

    def run(self):
        """KVM_RUN once; returns the exit, decoded (see decode_exit)."""
        self._ioctl("KVM_RUN")
        return decode_exit(self.kvm_run)

    def get_regs(self):
        return self._read("KVM_GET_REGS", abi.KVM_REGS_SIZE)

    def set_regs(self, buf):
        return self._ioctl("KVM_SET_REGS", buf)

    def get_sregs(self):
        return self._read("KVM_GET_SREGS", abi.KVM_SREGS_SIZE)

    def set_sregs(self, buf):
        return self._ioctl("KVM_SET_SREGS", buf)

    def arm_vcpu_init(self, target, features=()):
        features = list(features) + [0] * (7 - len(features))
        return self._ioctl("KVM_ARM_VCPU_INIT", bytearray(abi.KVM_VCPU_INIT.pack(target, *features)))

    def set_one_reg(self, reg_id, value):
        """Set a 64-bit register by its KVM_REG_* id."""
        data, address = self.kernel.user_buffer(abi.KVM_SEGMENT_BASE.pack(value))
        return self._ioctl("KVM_SET_ONE_REG", bytearray(abi.KVM_ONE_REG.pack(reg_id, address)))

    def close(self):
        if self.kvm_run is not None:
            run, self.kvm_run = self.kvm_run, None
            run.close()
        _Fd.close(self)


def decode_exit(run):
    """The exit a kvm_run area reports, as a dict: {"reason": name, ...details}."""
    number = abi.KVM_RUN_EXIT_REASON.unpack_from(run, abi.KVM_RUN_EXIT_REASON_OFFSET)[0]
    name = abi.KVM_EXIT_REASONS.get(number, "exit %d" % number)
    fact = {"reason": name}
    if number == abi.KVM_EXIT_IO:
        direction, size, port, count, data_offset = abi.KVM_RUN_IO.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)
        fact.update(direction="out" if direction == abi.KVM_EXIT_IO_OUT else "in", size=size, port=port,
                    count=count)
        if size == 1 and data_offset + 1 <= len(run):
            fact["data"] = bytearray(run[data_offset:data_offset + 1])[0]
    elif number == abi.KVM_EXIT_MMIO:
        address, data, length, is_write = abi.KVM_RUN_MMIO.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)
        length = min(length, 8)
        fact.update(phys_addr=address, len=length, is_write=bool(is_write),
                    data=int.from_bytes(data[:length], "little") if is_write else None)
    elif number == abi.KVM_EXIT_SYSTEM_EVENT:
        event = abi.KVM_RUN_SYSTEM_EVENT.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)[0]
        fact["type"] = abi.KVM_SYSTEM_EVENTS.get(event, "event %d" % event)
    elif name == "FAIL_ENTRY":
        fact["hardware_entry_failure_reason"] = abi.KVM_RUN_FAIL_ENTRY.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)[0]
    elif name == "INTERNAL_ERROR":
        fact["suberror"] = abi.KVM_RUN_INTERNAL.unpack_from(run, abi.KVM_RUN_UNION_OFFSET)[0]
    return fact


class _DeviceFd(_Fd):
    """A VMM device other than /dev/kvm (tun, vhost, vfio, iommufd, sev), opened read-write."""

    @classmethod
    def open(cls, kernel, path):
        return cls(kernel, kernel.open(path, os.O_RDWR), devices_abi.DeviceRequests(kernel.machine))


class Tun(_DeviceFd):
    """/dev/net/tun before TUNSETIFF."""

    def get_features(self):
        """TUNGETFEATURES: the IFF_* flags this tun driver supports."""
        buf = self._read("TUNGETFEATURES", devices_abi.TUN_UINT.size)
        return devices_abi.TUN_UINT.unpack_from(buf)[0]


class Vhost(_DeviceFd):
    """/dev/vhost-net or /dev/vhost-vsock."""

    def get_features(self):
        """VHOST_GET_FEATURES: the virtio feature bits the vhost backend offers."""
        buf = self._read("VHOST_GET_FEATURES", devices_abi.VHOST_U64.size)
        return devices_abi.VHOST_U64.unpack_from(buf)[0]


class Vfio(_DeviceFd):
    """The /dev/vfio/vfio container."""

    def get_api_version(self):
        return self._ioctl("VFIO_GET_API_VERSION")

    def check_extension(self, cap):
        """VFIO_CHECK_EXTENSION: nonzero when the container supports the IOMMU type `cap`."""
        return self._ioctl("VFIO_CHECK_EXTENSION", cap)


class Iommufd(_DeviceFd):
    """/dev/iommu (iommufd)."""

    def ioas_alloc(self):
        """IOMMU_IOAS_ALLOC: a new I/O address space id (freed when the fd closes)."""
        buf = bytearray(devices_abi.IOMMU_IOAS_ALLOC.pack(devices_abi.IOMMU_IOAS_ALLOC.size, 0, 0))
        self._ioctl("IOMMU_IOAS_ALLOC", buf)
        return devices_abi.IOMMU_IOAS_ALLOC.unpack_from(buf)[2]


class Sev(_DeviceFd):
    """/dev/sev, the AMD secure processor."""

    def platform_status(self):
        """SEV_ISSUE_CMD(SEV_PLATFORM_STATUS): (api_major, api_minor, state, flags, build, guest_count)."""
        status, address = self.kernel.user_buffer(bytearray(devices_abi.SEV_USER_DATA_STATUS.size))
        command = bytearray(devices_abi.SEV_ISSUE_CMD_STRUCT.pack(devices_abi.SEV_PLATFORM_STATUS, address, 0))
        self._ioctl("SEV_ISSUE_CMD", command)
        return devices_abi.SEV_USER_DATA_STATUS.unpack_from(status)
