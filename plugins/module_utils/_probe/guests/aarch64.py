# SPDX-License-Identifier: GPL-3.0-or-later
"""The aarch64 guest of the vCPU run: an MMIO write, then PSCI SYSTEM_OFF through HVC.

The vCPU starts at EL1 with the MMU off (the state KVM_ARM_VCPU_INIT gives), so the
store to an address outside guest memory is a stage-2 fault with a valid syndrome, and
KVM hands it to userspace as an MMIO exit. SYSTEM_OFF needs PSCI 0.2 or later, which the
vCPU asks for with the KVM_ARM_VCPU_PSCI_0_2 feature; KVM answers it with a SYSTEM_EVENT
exit of type SHUTDOWN.
"""

import struct

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi

ADDRESS = 0x10000
MEMORY_SIZE = 0x10000          # 64 KiB: one page even on 64K-page kernels
MMIO_ADDRESS = 0x20000         # the first address after guest memory: no memslot, so MMIO
MMIO_LEN = 4
DATA = 0x4B
PSCI_0_2_FN_SYSTEM_OFF = 0x84000008  # Arm DEN 0022 (PSCI), SMC32/HVC32 function id
CODE = struct.pack(
    "<7I",
    0xD2A00040,  # movz x0, #0x2, lsl #16       x0 = MMIO_ADDRESS
    0x52800961,  # movz w1, #0x4b               w1 = DATA
    0xB9000001,  # str  w1, [x0]                4-byte store: the MMIO exit
    0x52800100,  # movz w0, #0x0008
    0x72B08000,  # movk w0, #0x8400, lsl #16    w0 = PSCI_0_2_FN_SYSTEM_OFF
    0xD4000002,  # hvc  #0                      the SYSTEM_EVENT exit
    0x14000000,  # b    .                       never reached
)
EXPECTED_EXITS = ("MMIO",)
FINAL_EXIT = "SYSTEM_EVENT"


def set_up(ctx, vcpu):
    """Initialise the vCPU as the kernel's preferred target (asked once per run) with PSCI 0.2, pc at the code."""
    target, features = ctx.arm_preferred_target()
    features = list(features)
    features[0] |= 1 << abi.KVM_ARM_VCPU_PSCI_0_2
    vcpu.arm_vcpu_init(target, features)
    vcpu.set_one_reg(abi.KVM_REG_ARM64_CORE_PC, ADDRESS)


def judge(exits):
    """None when the guest did what its code says, else why not."""
    wrote = any(e["reason"] == "MMIO" and e.get("is_write") and e.get("phys_addr") == MMIO_ADDRESS
                and e.get("len") == MMIO_LEN and e.get("data") == DATA for e in exits)
    if not wrote:
        return ("the guest ended without the expected %d-byte MMIO write of 0x%02x to 0x%x: guest memory or "
                "registers were not set up as requested" % (MMIO_LEN, DATA, MMIO_ADDRESS))
    event = exits[-1].get("type") if exits else None
    if event != "SHUTDOWN":
        return ("PSCI SYSTEM_OFF through HVC gave a system event of type %s, not SHUTDOWN: the host's KVM "
                "did not take the PSCI call as asked" % event)
    return None
