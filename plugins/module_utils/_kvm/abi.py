# SPDX-License-Identifier: GPL-3.0-or-later
"""The KVM userspace ABI: ioctl request numbers, struct layouts, constants.

Everything here is computed from linux/kvm.h and asm-generic/ioctl.h the way
the C preprocessor would, so no request number is pasted as a magic number.
Pure standard library; no Ansible imports.
"""

import struct

# asm-generic/ioctl.h; powerpc, mips and sparc use 13 size bits, 3 direction
# bits and other direction values (arch/*/include/uapi/asm/ioctl.h).
_IOC_LAYOUTS = {
    "generic": {"sizebits": 14, "none": 0, "write": 1, "read": 2},
    "ppc_mips_sparc": {"sizebits": 13, "none": 1, "write": 4, "read": 2},
}
_IOC_NRBITS = 8
_IOC_TYPEBITS = 8


def ioc_layout(machine):
    """Pick the ioctl encoding of a `uname -m` machine name."""
    if machine.startswith(("ppc", "powerpc", "mips", "sparc")):
        return _IOC_LAYOUTS["ppc_mips_sparc"]
    return _IOC_LAYOUTS["generic"]


class IoctlEncoding(object):
    """_IO/_IOR/_IOW/_IOWR for one architecture's layout."""

    def __init__(self, layout):
        self._layout = layout
        self._sizeshift = _IOC_NRBITS + _IOC_TYPEBITS
        self._dirshift = self._sizeshift + layout["sizebits"]

    def _ioc(self, direction, kind, nr, size):
        if size >= 1 << self._layout["sizebits"]:
            raise ValueError("ioctl argument of %d bytes does not fit the size field" % size)
        return (direction << self._dirshift) | (size << self._sizeshift) | (kind << _IOC_NRBITS) | nr

    def io(self, kind, nr):
        return self._ioc(self._layout["none"], kind, nr, 0)

    def ior(self, kind, nr, size):
        return self._ioc(self._layout["read"], kind, nr, size)

    def iow(self, kind, nr, size):
        return self._ioc(self._layout["write"], kind, nr, size)

    def iowr(self, kind, nr, size):
        return self._ioc(self._layout["read"] | self._layout["write"], kind, nr, size)


X86_ARCHES = ("x86_64", "i386", "i486", "i586", "i686")

KVMIO = 0xAE
KVM_API_VERSION = 12  # the only stable version since Linux 2.6.22

# Struct layouts (native byte order, as the kernel sees them).
KVM_MSR_LIST = struct.Struct("=I")                  # nmsrs, then __u32 indices[]
KVM_MSR_INDEX = struct.Struct("=I")
KVM_CPUID2 = struct.Struct("=II")                   # nent, padding, then entries[]
KVM_CPUID_ENTRY2 = struct.Struct("=IIIIIIIIII")     # function index flags eax ebx ecx edx pad[3]
KVM_MSRS = struct.Struct("=II")                     # nmsrs, pad, then entries[]
KVM_MSR_ENTRY = struct.Struct("=IIQ")               # index reserved data
KVM_DEVICE_ATTR = struct.Struct("=IIQQ")            # flags group attr addr
KVM_ENABLE_CAP = struct.Struct("=II4Q64x")          # cap flags args[4] pad[64]
KVM_U16 = struct.Struct("=H")                       # what KVM_CAP_HYPERV_ENLIGHTENED_VMCS writes through args[0]
KVM_X86_XCOMP_GUEST_SUPP = 0                        # arch/x86/include/uapi/asm/kvm.h, system attribute group 0
KVM_U64 = struct.Struct("=Q")                       # the value a kvm_device_attr.addr points at
KVM_USER_TRACE_SETUP = struct.Struct("=II")         # buf_size, buf_nr
KVM_USERSPACE_MEMORY_REGION = struct.Struct("=IIQQQ")  # slot flags guest_phys_addr memory_size userspace_addr
KVM_REGS_SIZE = 18 * 8                              # x86: rax..r15, rip, rflags
KVM_REGS_RIP_OFFSET = 16 * 8
KVM_REGS_RFLAGS_OFFSET = 17 * 8
KVM_SEGMENT_SIZE = 24                               # base limit selector type present dpl db s l g avl unusable pad
KVM_SREGS_SIZE = 8 * KVM_SEGMENT_SIZE + 2 * 16 + 7 * 8 + 4 * 8
KVM_SREGS_CS_OFFSET = 0                             # cs is the first segment
KVM_SEGMENT_BASE = struct.Struct("=Q")
KVM_SEGMENT_SELECTOR = struct.Struct("=H")
KVM_SEGMENT_SELECTOR_OFFSET = 12

# arm64: struct kvm_vcpu_init (target, features[7]) and struct kvm_one_reg (id, addr).
KVM_VCPU_INIT = struct.Struct("=I7I")
KVM_ONE_REG = struct.Struct("=QQ")
# arm64 register ids (arch/arm64/include/uapi/asm/kvm.h): KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
# KVM_REG_ARM_CORE | the offset in struct kvm_regs in 32-bit words; pc follows regs[31] and sp.
KVM_REG_ARM64 = 0x6000000000000000
KVM_REG_SIZE_U64 = 0x0030000000000000
KVM_REG_ARM_CORE = 0x0010 << 16
KVM_REG_ARM64_CORE_PC = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (32 * 8 // 4)
KVM_ARM_VCPU_PSCI_0_2 = 2                           # bit in kvm_vcpu_init.features[0]

# struct kvm_run: the fields the probe reads.
KVM_RUN_EXIT_REASON = struct.Struct("=I")
KVM_RUN_EXIT_REASON_OFFSET = 8
KVM_RUN_UNION_OFFSET = 32
KVM_RUN_IO = struct.Struct("=BBHIQ")                # direction size port count data_offset
KVM_RUN_FAIL_ENTRY = struct.Struct("=QI")           # hardware_entry_failure_reason cpu
KVM_RUN_INTERNAL = struct.Struct("=II")             # suberror ndata
KVM_RUN_MMIO = struct.Struct("=Q8sIB")              # phys_addr data[8] len is_write
KVM_RUN_SYSTEM_EVENT = struct.Struct("=II")         # type ndata (then flags/data[])
KVM_EXIT_IO_OUT = 1
# include/uapi/linux/kvm.h, KVM_SYSTEM_EVENT_*
KVM_SYSTEM_EVENTS = {1: "SHUTDOWN", 2: "RESET", 3: "CRASH", 4: "WAKEUP", 5: "SUSPEND", 6: "SEV_TERM", 7: "TDX_FATAL"}

# include/uapi/linux/kvm.h, KVM_EXIT_*
KVM_EXIT_REASONS = {
    0: "UNKNOWN", 1: "EXCEPTION", 2: "IO", 3: "HYPERCALL", 4: "DEBUG", 5: "HLT",
    6: "MMIO", 7: "IRQ_WINDOW_OPEN", 8: "SHUTDOWN", 9: "FAIL_ENTRY", 10: "INTR",
    11: "SET_TPR", 12: "TPR_ACCESS", 13: "S390_SIEIC", 14: "S390_RESET", 15: "DCR",
    16: "NMI", 17: "INTERNAL_ERROR", 18: "OSI", 19: "PAPR_HCALL", 20: "S390_UCONTROL",
    21: "WATCHDOG", 22: "S390_TSCH", 23: "EPR", 24: "SYSTEM_EVENT", 25: "S390_STSI",
    26: "IOAPIC_EOI", 27: "HYPERV", 28: "ARM_NISV", 29: "X86_RDMSR", 30: "X86_WRMSR",
    31: "DIRTY_RING_FULL", 32: "AP_RESET_HOLD", 33: "X86_BUS_LOCK", 34: "XEN",
    35: "RISCV_SBI", 36: "RISCV_CSR", 37: "NOTIFY", 38: "LOONGARCH_IOCSR",
    39: "MEMORY_FAULT", 40: "TDX", 41: "ARM_SEA",
}
KVM_EXIT_IO = 2
KVM_EXIT_MMIO = 6
KVM_EXIT_SYSTEM_EVENT = 24

# KVM_CREATE_VM machine types named by the KVM_CAP_VM_TYPES bitmask (x86).
KVM_X86_VM_TYPES = {
    0: "KVM_X86_DEFAULT_VM", 1: "KVM_X86_SW_PROTECTED_VM", 2: "KVM_X86_SEV_VM",
    3: "KVM_X86_SEV_ES_VM", 4: "KVM_X86_SNP_VM", 5: "KVM_X86_TDX_VM",
}


class RequestTable(object):
    """Request numbers as attributes named after the ioctl, and the way back from a number to its name."""

    def name_of(self, request):
        for name, value in vars(self).items():
            if value == request:
                return name
        return "ioctl 0x%x" % request


class KvmRequests(RequestTable):
    """The KVM ioctl request numbers for one architecture."""

    def __init__(self, machine):
        enc = IoctlEncoding(ioc_layout(machine))
        # System ioctls, on the /dev/kvm fd.
        self.KVM_GET_API_VERSION = enc.io(KVMIO, 0x00)
        self.KVM_CREATE_VM = enc.io(KVMIO, 0x01)
        self.KVM_GET_MSR_INDEX_LIST = enc.iowr(KVMIO, 0x02, KVM_MSR_LIST.size)
        self.KVM_CHECK_EXTENSION = enc.io(KVMIO, 0x03)
        self.KVM_GET_VCPU_MMAP_SIZE = enc.io(KVMIO, 0x04)
        self.KVM_GET_SUPPORTED_CPUID = enc.iowr(KVMIO, 0x05, KVM_CPUID2.size)
        self.KVM_TRACE_ENABLE = enc.iow(KVMIO, 0x06, KVM_USER_TRACE_SETUP.size)
        self.KVM_TRACE_PAUSE = enc.io(KVMIO, 0x07)
        self.KVM_TRACE_DISABLE = enc.io(KVMIO, 0x08)
        self.KVM_GET_MSR_FEATURE_INDEX_LIST = enc.iowr(KVMIO, 0x0a, KVM_MSR_LIST.size)
        # VM ioctls.
        self.KVM_CREATE_VCPU = enc.io(KVMIO, 0x41)
        self.KVM_SET_USER_MEMORY_REGION = enc.iow(KVMIO, 0x46, KVM_USERSPACE_MEMORY_REGION.size)
        # vCPU ioctls (x86 layouts of kvm_regs and kvm_sregs).
        self.KVM_RUN = enc.io(KVMIO, 0x80)
        self.KVM_GET_REGS = enc.ior(KVMIO, 0x81, KVM_REGS_SIZE)
        self.KVM_SET_REGS = enc.iow(KVMIO, 0x82, KVM_REGS_SIZE)
        self.KVM_GET_SREGS = enc.ior(KVMIO, 0x83, KVM_SREGS_SIZE)
        self.KVM_SET_SREGS = enc.iow(KVMIO, 0x84, KVM_SREGS_SIZE)
        # arm64 vCPU set-up (the VM ioctl KVM_ARM_PREFERRED_TARGET, then per vCPU).
        self.KVM_GET_ONE_REG = enc.iow(KVMIO, 0xab, KVM_ONE_REG.size)
        self.KVM_SET_ONE_REG = enc.iow(KVMIO, 0xac, KVM_ONE_REG.size)
        self.KVM_ARM_VCPU_INIT = enc.iow(KVMIO, 0xae, KVM_VCPU_INIT.size)
        self.KVM_ARM_PREFERRED_TARGET = enc.ior(KVMIO, 0xaf, KVM_VCPU_INIT.size)
        # System ioctls for the guest CPU: feature MSRs (KVM_CAP_GET_MSR_FEATURES) and system
        # attributes (KVM_CAP_SYS_ATTRIBUTES; x86 group 0 attr KVM_X86_XCOMP_GUEST_SUPP).
        self.KVM_GET_MSRS = enc.iowr(KVMIO, 0x88, KVM_MSRS.size)
        self.KVM_GET_DEVICE_ATTR = enc.iow(KVMIO, 0xe2, KVM_DEVICE_ATTR.size)
        # Hyper-V (x86): the leaves KVM emulates, on the system fd (KVM_CAP_SYS_HYPERV_CPUID) or a vCPU, and what
        # QEMU does with them at vCPU set-up: capabilities enabled on the vCPU, its CPUID set, its MSRs written.
        self.KVM_GET_SUPPORTED_HV_CPUID = enc.iowr(KVMIO, 0xc1, KVM_CPUID2.size)
        self.KVM_ENABLE_CAP = enc.iow(KVMIO, 0xa3, KVM_ENABLE_CAP.size)
        self.KVM_SET_CPUID2 = enc.iow(KVMIO, 0x90, KVM_CPUID2.size)
        self.KVM_SET_MSRS = enc.iow(KVMIO, 0x89, KVM_MSRS.size)


# The seven commands of the classic kvm_dev_ioctl (Linux 2.6.2x), in its order.
CLASSIC_SYSTEM_IOCTLS = (
    "KVM_GET_API_VERSION", "KVM_CREATE_VM", "KVM_CHECK_EXTENSION", "KVM_GET_VCPU_MMAP_SIZE",
    "KVM_TRACE_ENABLE", "KVM_TRACE_PAUSE", "KVM_TRACE_DISABLE",
)
