# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secure_guest subset: SEV, SEV-ES, SEV-SNP and TDX from the kernel's own answers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, misc_node

VM_TYPES = CAP_NUMBER["KVM_CAP_VM_TYPES"]


@pytest.fixture
def amd():
    kernel = FakeKernel()
    kernel.sysfs["/sys/module"] = ["kvm", "kvm_amd", "ccp"]
    kernel.sysfs["/sys/module/kvm_amd/parameters"] = {"sev": "Y", "sev_es": "Y", "sev_snp": "N", "npt": "Y"}
    kernel.nodes["/dev/sev"] = misc_node(124, perm=0o600, gid=0)
    kernel.caps[VM_TYPES] = 0b1101  # default, SEV, SEV-ES
    kernel.sysfs["/sys/fs/cgroup"] = {"misc.capacity": "sev 509\nsev_es 10\n"}
    return kernel


def secure(kernel):
    facts = gather(["min", "secure_guest"], kernel=kernel)
    assert kernel.leaks() == []
    return facts["secure_guest"]


def test_sev_and_sev_es_ready_snp_not(amd):
    facts = secure(amd)
    assert facts["sev"] == {"ready": True, "vm_type": True, "parameter": "Y", "asids": 509, "reason": None}
    assert facts["sev_es"]["ready"] is True and facts["sev_es"]["asids"] == 10
    assert facts["sev_snp"]["ready"] is False
    assert facts["sev_snp"]["reason"].startswith("kvm_amd.sev_snp is N: the firmware or kernel did not enable SEV-SNP")
    assert facts["tdx"]["reason"] == "kvm_intel.tdx does not exist: kvm_intel is not loaded or too old for TDX"
    assert facts["vm_types_mask"] == 0b1101 and facts["misc_capacity"] == {"sev": 509, "sev_es": 10}


def test_without_dev_sev(amd):
    del amd.nodes["/dev/sev"]
    assert secure(amd)["sev"]["reason"] == "/dev/sev does not exist: load ccp (modprobe ccp) for SEV"


def test_the_vm_type_bit_must_be_there_when_the_kernel_has_the_capability(amd):
    amd.caps[VM_TYPES] = 0b0101
    assert secure(amd)["sev_es"]["reason"] == "KVM_CAP_VM_TYPES (0x5) lacks the SEV-ES VM type (3)"


def test_an_old_kernel_without_vm_types_is_judged_by_the_rest(amd):
    amd.caps[VM_TYPES] = 0
    assert secure(amd)["sev"]["ready"] is True


def test_no_asids_left(amd):
    amd.sysfs["/sys/fs/cgroup"] = {"misc.capacity": "sev 0\nsev_es 0\n"}
    assert "has no sev ASIDs" in secure(amd)["sev"]["reason"]


def test_tdx_from_kvm_intel():
    kernel = FakeKernel()
    kernel.sysfs["/sys/module/kvm_intel/parameters"]["tdx"] = "Y"
    kernel.caps[VM_TYPES] = 0b100001
    assert secure(kernel)["tdx"] == {"ready": True, "vm_type": True, "parameter": "Y", "asids": None, "reason": None}


def test_off_x86_every_kind_says_why():
    kernel = FakeKernel("aarch64")
    kernel.sysfs["/sys/module"] = ["kvm"]
    facts = gather(["min", "secure_guest"], kernel=kernel)["secure_guest"]
    assert facts["sev"] == {"ready": False, "reason": "SEV and TDX are x86 only; this is aarch64"}


def test_not_probed_without_the_device(amd):
    amd.open_errno["/dev/kvm"] = errno.EACCES
    facts = gather(["min", "secure_guest"], kernel=amd)["secure_guest"]
    assert facts["sev"]["ready"] is False and facts["sev"]["reason"] == "not probed: /dev/kvm could not be opened"


def test_a_parameter_the_operator_set_off_is_named_as_set_where_it_is(amd):
    amd.sysfs["/sys/module/kvm_amd/parameters"]["sev"] = "0"
    amd.sysfs["/etc/modprobe.d"] = {"kvm.conf": "# no SEV here\noptions kvm-amd nested=1 sev=0\n", "x.txt": "options kvm_amd sev=0"}
    amd.sysfs["/usr/lib/modprobe.d"] = {"kvm.conf": "options kvm_amd sev=0", "other.conf": "options kvm_intel sev=0"}
    facts = secure(amd)
    assert facts["sev"]["set_in"] == ["/etc/modprobe.d/kvm.conf: options kvm-amd sev=0"], \
        "the same file name in /usr/lib is hidden by /etc's, a .txt is not read, and kvm_intel is another module"
    assert facts["sev"]["reason"] == (
        "kvm_amd.sev is 0, set so in /etc/modprobe.d/kvm.conf: options kvm-amd sev=0: set sev=1 there and reload "
        "kvm_amd with no VM running (modprobe -r kvm_amd; modprobe kvm_amd)")


def test_off_on_the_kernel_command_line_says_remove_it_and_reboot(amd):
    amd.sysfs["/sys/module/kvm_amd/parameters"]["sev"] = "N"
    amd.sysfs["/proc"] = {"cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 kvm_amd.sev=0 quiet -- kvm_amd.sev=N"}
    assert secure(amd)["sev"]["reason"] == (
        "kvm_amd.sev is N, set so in /proc/cmdline: kvm_amd.sev=0: remove it from the kernel command line and reboot"), \
        "a word after '--' is init's, not the kernel's"


def test_a_setting_that_asks_for_it_on_leaves_the_firmware_or_kernel_to_blame(amd):
    amd.sysfs["/sys/module/kvm_amd/parameters"]["sev"] = "0"
    amd.sysfs["/etc/modprobe.d"] = {"kvm.conf": "options kvm_amd sev=1"}
    facts = secure(amd)
    assert facts["sev"]["set_in"] == []
    assert facts["sev"]["reason"].startswith("kvm_amd.sev is 0: the firmware or kernel did not enable SEV (set ")
