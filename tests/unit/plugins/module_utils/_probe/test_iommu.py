# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iommu subset: firmware tables, the kernel's IOMMU units and groups, and the command line's meaning."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.iommu import judge_cmdline, parse_cmdline
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel


def iommu(kernel):
    return gather(["min", "iommu"], kernel=kernel)["iommu"]


@pytest.fixture
def kernel():
    kernel = FakeKernel()
    kernel.sysfs["/sys/firmware/acpi/tables"] = ["APIC", "DMAR", "DSDT"]
    kernel.sysfs["/sys/class/iommu"] = ["dmar0", "dmar1"]
    kernel.sysfs["/sys/kernel/iommu_groups"] = [str(n) for n in range(17)]
    kernel.sysfs["/proc"] = {"cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt quiet"}
    return kernel


def test_an_enabled_intel_iommu(kernel):
    facts = iommu(kernel)
    assert facts["acpi_tables"] == ["DMAR"] and facts["units"] == ["dmar0", "dmar1"] and facts["groups"] == 17
    assert facts["enabled"] is True and facts["reason"] is None
    assert facts["translation"] == "passthrough"
    assert facts["cmdline"] == [
        {"parameter": "intel_iommu=on", "effect": "enable", "meaning": "enable the Intel IOMMU (VT-d DMA remapping)"},
        {"parameter": "iommu=pt", "effect": "passthrough",
         "meaning": "x86: identity-map host DMA (iommu.passthrough=1)"}]


def test_firmware_table_without_the_kernel_enabling_it(kernel):
    kernel.sysfs["/sys/class/iommu"] = []
    kernel.sysfs["/sys/kernel/iommu_groups"] = []
    kernel.sysfs["/proc"]["cmdline"] = "root=/dev/sda1"
    facts = iommu(kernel)
    assert facts["enabled"] is False
    assert facts["reason"].startswith("the firmware describes an IOMMU (DMAR, Intel VT-d) but the kernel did not")
    assert "add intel_iommu=on to the kernel command line" in facts["reason"]


def test_the_command_line_that_disables_it_is_named(kernel):
    kernel.sysfs["/sys/class/iommu"] = []
    kernel.sysfs["/sys/kernel/iommu_groups"] = []
    kernel.sysfs["/proc"]["cmdline"] = "amd_iommu=off quiet"
    facts = iommu(kernel)
    assert facts["translation"] == "off"
    assert facts["reason"] == ("no IOMMU is active: the kernel command line disables it (amd_iommu=off); "
                               "remove amd_iommu=off and reboot")


def test_no_firmware_table_says_enable_it_in_the_firmware(kernel):
    for key in ("/sys/firmware/acpi/tables", "/sys/class/iommu", "/sys/kernel/iommu_groups"):
        del kernel.sysfs[key]
    kernel.sysfs["/proc"]["cmdline"] = ""
    facts = iommu(kernel)
    assert facts["acpi_tables"] == [] and facts["groups"] == 0
    assert "the firmware describes none" in facts["reason"] and "firmware setup" in facts["reason"]


def test_an_unreadable_cmdline_is_an_error_not_a_crash(kernel):
    del kernel.sysfs["/proc"]
    facts = gather(["min", "iommu"], kernel=kernel)
    assert facts["iommu"]["enabled"] is True
    assert facts["errors"] == ["/proc/cmdline: ENOENT (No such file or directory)"]


@pytest.mark.parametrize("cmdline,translation", [
    ("iommu.passthrough=1", "passthrough"), ("iommu.passthrough=off", "translate"), ("iommu=nopt", "translate"),
    ("intel_iommu=on,sm_on", "on"), ("intel_iommu=on iommu=off", "off"), ("iommu=off intel_iommu=on", "on"),
    ("quiet", "default"), ("-- intel_iommu=off", "default"),
])
def test_the_last_documented_word_decides(cmdline, translation):
    assert judge_cmdline(parse_cmdline(cmdline))[1] == translation


def test_undocumented_values_are_unknown_not_guessed():
    judged, translation = judge_cmdline(parse_cmdline("intel_iommu=yes"))
    assert judged == [{"parameter": "intel_iommu=yes", "effect": "unknown", "meaning": "not a documented value"}]
    assert translation == "default"
