# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The x86_64 guest: mov al, 0x4b; out 0x10, al; hlt, in flat real mode, and how its exits are judged."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import x86_64 as guest


class Vcpu(object):
    def __init__(self):
        self.sregs = bytearray(b"\xff" * abi.KVM_SREGS_SIZE)
        self.regs = None

    def get_sregs(self):
        return bytearray(self.sregs)

    def set_sregs(self, sregs):
        self.sregs = sregs

    def set_regs(self, regs):
        self.regs = regs


def test_the_code_is_the_three_instructions():
    assert guest.CODE == bytes(bytearray([0xB0, 0x4B, 0xE6, 0x10, 0xF4]))  # mov al, 0x4b; out 0x10, al; hlt
    assert (guest.EXPECTED_EXITS, guest.FINAL_EXIT) == (("IO",), "HLT")


def test_set_up_gives_a_flat_code_segment_rip_at_the_code_and_the_reserved_flag():
    vcpu = Vcpu()
    guest.set_up(None, vcpu)
    assert abi.KVM_SEGMENT_BASE.unpack_from(vcpu.sregs, abi.KVM_SREGS_CS_OFFSET)[0] == 0
    assert abi.KVM_SEGMENT_BASE.unpack_from(vcpu.regs, abi.KVM_REGS_RIP_OFFSET)[0] == guest.ADDRESS
    assert abi.KVM_SEGMENT_BASE.unpack_from(vcpu.regs, abi.KVM_REGS_RFLAGS_OFFSET)[0] == 0x2


def test_only_the_expected_write_passes():
    write = {"reason": "IO", "direction": "out", "port": 0x10, "data": 0x4B}
    assert guest.judge([write, {"reason": "HLT"}]) is None
    assert "0x4b to port 0x10" in guest.judge([dict(write, data=0), {"reason": "HLT"}])
    assert guest.judge([{"reason": "HLT"}]) is not None
