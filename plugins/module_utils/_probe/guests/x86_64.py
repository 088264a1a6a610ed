# SPDX-License-Identifier: GPL-3.0-or-later
"""The x86 guest of the vCPU run: real mode at 0x1000, `mov al, 0x4b; out 0x10, al; hlt`.

A guest description gives the run harness its memory layout and code, sets up
the vCPU's registers, and judges the exits it caused: ok when the guest wrote
DATA to PORT (an IO exit) and then halted (FINAL_EXIT).
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi

ADDRESS = 0x1000
MEMORY_SIZE = 0x1000
PORT = 0x10
DATA = 0x4B
CODE = bytes(bytearray([0xB0, DATA, 0xE6, PORT, 0xF4]))
EXPECTED_EXITS = ("IO",)
FINAL_EXIT = "HLT"


def set_up(ctx, vcpu):
    """Flat real-mode code segment, rip at the code, the reserved rflags bit set."""
    sregs = vcpu.get_sregs()
    abi.KVM_SEGMENT_BASE.pack_into(sregs, abi.KVM_SREGS_CS_OFFSET, 0)
    abi.KVM_SEGMENT_SELECTOR.pack_into(sregs, abi.KVM_SREGS_CS_OFFSET + abi.KVM_SEGMENT_SELECTOR_OFFSET, 0)
    vcpu.set_sregs(sregs)
    regs = bytearray(abi.KVM_REGS_SIZE)
    abi.KVM_SEGMENT_BASE.pack_into(regs, abi.KVM_REGS_RIP_OFFSET, ADDRESS)
    abi.KVM_SEGMENT_BASE.pack_into(regs, abi.KVM_REGS_RFLAGS_OFFSET, 0x2)  # bit 1 is reserved, always set
    vcpu.set_regs(regs)


def judge(exits):
    """None when the guest did what its code says, else why not."""
    if any(e["reason"] == "IO" and e.get("direction") == "out" and e.get("port") == PORT and e.get("data") == DATA
           for e in exits):
        return None
    return ("the guest halted without the expected write of 0x%02x to port 0x%x: guest memory or registers "
            "were not set up as requested" % (DATA, PORT))
