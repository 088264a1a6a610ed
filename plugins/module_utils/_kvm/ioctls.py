# SPDX-License-Identifier: GPL-3.0-or-later
"""One small wrapper per KVM ioctl: the system, VM and vCPU fds, as rust-vmm's kvm-ioctls splits them.

The wrappers (`Kvm`, `Vm`, `Vcpu`) issue their ioctls through a kernel object (`syscalls.Syscalls`, or a
fake in the tests) and raise KvmError, an OSError with the kernel's errno that names the failed step;
turning errors into facts and reasons is the probe's job, not theirs. A `Vcpu` owns its kvm_run mapping
and decodes its own exits, as kvm-ioctls' `VcpuFd::run()` does.
"""

import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import KvmError


def _array(header, item, rows):
    """A kvm_cpuid2 or kvm_msrs buffer: the count (and padding), then one packed item per row."""
    buf = bytearray(header.size + len(rows) * item.size)
    header.pack_into(buf, 0, len(rows), 0)
    for i, row in enumerate(rows):
        item.pack_into(buf, header.size + i * item.size, *row)
    return buf


class Fd(object):
    """An owned file descriptor that closes itself once."""

    def _cpuid2(self, name, max_entries):
        """A struct kvm_cpuid2 the kernel fills (room for max_entries), as kvm_cpuid_entry2 tuples."""
        buf = bytearray(abi.KVM_CPUID2.size + max_entries * abi.KVM_CPUID_ENTRY2.size)
        abi.KVM_CPUID2.pack_into(buf, 0, max_entries, 0)
        self._ioctl(name, buf)
        count = min(abi.KVM_CPUID2.unpack_from(buf, 0)[0], max_entries)
        return [abi.KVM_CPUID_ENTRY2.unpack_from(buf, abi.KVM_CPUID2.size + i * abi.KVM_CPUID_ENTRY2.size)
                for i in range(count)]

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

    def enable_cap(self, cap, args=()):
        """KVM_ENABLE_CAP on this VM or vCPU, with up to four 64-bit arguments."""
        values = list(args) + [0] * (4 - len(args))
        return self._ioctl("KVM_ENABLE_CAP", bytearray(abi.KVM_ENABLE_CAP.pack(cap, 0, *values)))

    def close(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            self.kernel.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Kvm(Fd):
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
        return self._cpuid2("KVM_GET_SUPPORTED_CPUID", max_entries)

    def get_supported_hv_cpuid(self, max_entries):
        """The Hyper-V CPUID leaves KVM emulates (KVM_CAP_SYS_HYPERV_CPUID), as tuples; E2BIG if too few."""
        return self._cpuid2("KVM_GET_SUPPORTED_HV_CPUID", max_entries)

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
        buf = _array(abi.KVM_MSRS, abi.KVM_MSR_ENTRY, [(index, 0, 0) for index in indices])
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


class Vm(Fd):
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


class Vcpu(Fd):
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

    def get_supported_hv_cpuid(self, max_entries):
        """The Hyper-V CPUID leaves KVM emulates, asked of this vCPU (before KVM_CAP_SYS_HYPERV_CPUID)."""
        return self._cpuid2("KVM_GET_SUPPORTED_HV_CPUID", max_entries)

    def set_cpuid2(self, entries):
        """KVM_SET_CPUID2 with kvm_cpuid_entry2 tuples."""
        return self._ioctl("KVM_SET_CPUID2", _array(abi.KVM_CPUID2, abi.KVM_CPUID_ENTRY2, entries))

    def set_msrs(self, entries):
        """KVM_SET_MSRS with (index, value) pairs: how many the kernel wrote, in order (it stops at the first it
        refuses)."""
        return self._ioctl("KVM_SET_MSRS", _array(abi.KVM_MSRS, abi.KVM_MSR_ENTRY,
                                                  [(index, 0, value) for index, value in entries]))

    def set_one_reg(self, reg_id, value):
        """Set a 64-bit register by its KVM_REG_* id."""
        data, address = self.kernel.user_buffer(abi.KVM_SEGMENT_BASE.pack(value))
        return self._ioctl("KVM_SET_ONE_REG", bytearray(abi.KVM_ONE_REG.pack(reg_id, address)))

    def close(self):
        if self.kvm_run is not None:
            run, self.kvm_run = self.kvm_run, None
            run.close()
        Fd.close(self)


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
