# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why /dev/kvm is missing, each cause with its code, from the kernel's own statements on a fake kernel.

The kernel log lines are the kernel's words: Linux 6.1 arch/x86/kvm/x86.c ("kvm: no hardware support for '%s'",
"kvm: support for '%s' disabled by bios"), arch/x86/kernel/cpu/feat_ctl.c ("x86/cpu: VMX (outside TXT)
disabled by BIOS"), amd.c ("SVM disabled (by BIOS) in MSR_VM_CR"), and later kernels' vmx.c ("VMX not enabled (by
BIOS) in MSR_IA32_FEAT_CTL on CPU %d") and svm.c ("SVM not supported by CPU %d, %s")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import zlib

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, oserror

RELEASE = "6.1.0-fake"
INTEL = "vendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr pae vmx lm\n"
AMD = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse tsc msr pae svm lm\n"
AMD_NO_SVM = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse tsc msr pae lm\n"
GUEST_NO_SVM = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse tsc msr pae lm hypervisor\n"
DEP = ("kernel/arch/x86/kvm/kvm.ko: kernel/virt/lib/irqbypass.ko\n"
       "kernel/arch/x86/kvm/kvm-intel.ko: kernel/arch/x86/kvm/kvm.ko\n"
       "kernel/arch/x86/kvm/kvm-amd.ko: kernel/drivers/crypto/ccp/ccp.ko kernel/arch/x86/kvm/kvm.ko\n")


@pytest.fixture
def host():
    """A host without /dev/kvm and without any KVM module loaded; the test gives it its CPU and the rest."""
    kernel = FakeKernel()
    kernel.kernel_release = RELEASE
    del kernel.nodes["/dev/kvm"]
    kernel.sysfs["/sys/module"] = ["ext4"]
    kernel.sysfs["/boot"] = {"config-" + RELEASE: "CONFIG_KVM=m\nCONFIG_KVM_INTEL=m\nCONFIG_KVM_AMD=m\n"}
    kernel.sysfs["/lib/modules/" + RELEASE] = {"modules.dep": DEP, "modules.builtin": "kernel/fs/ext4/ext4.ko\n"}
    kernel.sysfs["/proc"]["cpuinfo"] = AMD
    return kernel


def problem(kernel):
    facts = gather(["min"], kernel=kernel)
    assert kernel.leaks() == []
    assert facts["usable"] is False and len(facts["problems"]) == 1, facts["problems"]
    return facts["problems"][0]


def test_svm_without_the_module_says_load_kvm_amd(host):
    found = problem(host)
    assert found["code"] == "device.missing.not_loaded" and found["subject"] == "kvm_amd"
    assert "kvm_amd (/lib/modules/6.1.0-fake/kernel/arch/x86/kvm/kvm-amd.ko) is available but not loaded" in found["message"]
    assert found["remedy"] == "modprobe kvm_amd, and list it in /etc/modules-load.d to load it at boot"


def test_a_built_in_module_is_named_as_such(host):
    host.sysfs["/proc"]["cpuinfo"] = INTEL
    host.sysfs["/lib/modules/" + RELEASE]["modules.builtin"] = "kernel/arch/x86/kvm/kvm-intel.ko\n"
    host.sysfs["/lib/modules/" + RELEASE]["modules.dep"] = ""
    assert "kvm_intel (built in) is available but not loaded" in problem(host)["message"]


def test_a_blacklist_line_is_named_with_its_file_and_line(host):
    host.sysfs["/etc/modprobe.d"] = {"fbdev.conf": "blacklist vga16fb\n",
                                     "no-kvm.conf": "# keep VMs off this box\nblacklist kvm-amd\n"}
    found = problem(host)
    assert found["code"] == "device.missing.blacklisted" and found["subject"] == "kvm_amd"
    assert "kvm_amd is kept from loading by /etc/modprobe.d/no-kvm.conf line 2: 'blacklist kvm-amd'" in found["message"]
    assert found["remedy"] == "remove that line, then modprobe kvm_amd"


def test_an_install_false_line_in_lib_modprobe_d_is_named(host):
    host.sysfs["/lib/modprobe.d"] = {"50-kvm.conf": "install kvm_amd /bin/false\n"}
    assert "/lib/modprobe.d/50-kvm.conf line 1: 'install kvm_amd /bin/false'" in problem(host)["message"]


def test_a_kernel_without_kvm(host):
    host.sysfs["/boot"] = {"config-" + RELEASE: "CONFIG_VIRTUALIZATION=y\n# CONFIG_KVM is not set\n"}
    found = problem(host)
    assert found["code"] == "device.missing.kernel_without_kvm"
    assert "kernel 6.1.0-fake was built without KVM (CONFIG_KVM is not set in /boot/config-6.1.0-fake)" in found["message"]


def test_the_config_is_read_from_proc_config_gz_when_boot_has_none(host):
    del host.sysfs["/boot"]
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    host.sysfs["/proc"]["config.gz"] = packer.compress(b"# CONFIG_KVM is not set\n") + packer.flush()
    assert "(CONFIG_KVM is not set in /proc/config.gz)" in problem(host)["message"]


def test_a_missing_module_file_says_install_the_kernels_modules(host):
    host.sysfs["/lib/modules/" + RELEASE]["modules.dep"] = "kernel/fs/ext4/ext4.ko:\n"
    found = problem(host)
    assert found["code"] == "device.missing.module_absent"
    assert found["remedy"] == "install this kernel's modules package (Debian: linux-image-6.1.0-fake)"


@pytest.mark.parametrize("cpuinfo, line, what", [
    (AMD_NO_SVM, "SVM disabled (by BIOS) in MSR_VM_CR", "VT-x or AMD-V"),  # amd.c clears the svm flag
    (INTEL.replace(" vmx", ""), "x86/cpu: VMX (outside TXT) disabled by BIOS", "VT-x or AMD-V"),  # feat_ctl.c too
    (INTEL, "kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0", "Intel VT-x (VMX)"),
    (INTEL, "kvm: support for 'kvm_intel' disabled by bios", "Intel VT-x (VMX)"),
    (AMD, "kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 3", "AMD-V (SVM)"),
])
def test_virtualization_disabled_by_the_firmware_quotes_the_kernel(host, cpuinfo, line, what):
    host.sysfs["/proc"]["cpuinfo"] = cpuinfo
    host.kmsg = ["Linux version 6.1.0-fake", line, "EXT4-fs (vda1): mounted filesystem"]
    found = problem(host)
    assert found["code"] == "device.missing.firmware_disabled"
    assert "the firmware disabled %s; the kernel says %r" % (what, line) in found["message"]
    assert found["remedy"].startswith("enable %s in the firmware (BIOS/UEFI) setup" % what)


def test_a_vm_without_svm_names_the_outer_platform_and_how_to_nest(host):
    host.sysfs["/proc"]["cpuinfo"] = GUEST_NO_SVM
    host.sysfs["/sys/class/dmi/id"] = {"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"}
    host.kmsg = ["kvm: no hardware support for 'kvm_amd'"]
    found = problem(host)
    assert found["code"] == "device.missing.nested_disabled"
    assert "virtual machine on QEMU/KVM (DMI: QEMU Standard PC (Q35 + ICH9, 2009))" in found["message"]
    assert "nested=1" in found["remedy"] and "host-passthrough" in found["remedy"]


@pytest.mark.parametrize("vendor, product, platform, words", [
    ("VMware, Inc.", "VMware Virtual Platform", "VMware", "vhv.enable"),
    ("Microsoft Corporation", "Virtual Machine", "Hyper-V or Azure", "ExposeVirtualizationExtensions"),
    ("Amazon EC2", "m5.large", "Amazon EC2", ".metal"),
    ("Google", "Google Compute Engine", "Google Compute Engine", "--enable-nested-virtualization"),
    ("innotek GmbH", "VirtualBox", "VirtualBox", "--nested-hw-virt on"),
])
def test_each_platform_gets_its_own_way_to_nest(host, vendor, product, platform, words):
    host.sysfs["/proc"]["cpuinfo"] = GUEST_NO_SVM
    host.sysfs["/sys/class/dmi/id"] = {"sys_vendor": vendor, "product_name": product}
    found = problem(host)
    assert "virtual machine on %s" % platform in found["message"] and words in found["remedy"]


def test_a_physical_cpu_without_svm_or_vmx_and_an_unreadable_log_says_both(host):
    host.sysfs["/proc"]["cpuinfo"] = AMD_NO_SVM
    host.kmsg = oserror(errno.EPERM)
    found = problem(host)
    assert found["code"] == "device.missing.no_cpu_support"
    assert "the CPU (AuthenticAMD) offers neither vmx nor svm" in found["message"]
    assert "the kernel log (/dev/kmsg) is not readable here" in found["message"]


def test_kvm_intel_tried_on_an_amd_cpu(host):
    host.kmsg = ["kvm: no hardware support for 'kvm_intel'"]
    found = problem(host)
    assert found["code"] == "device.missing.wrong_module" and found["subject"] == "kvm_intel"
    assert "kvm_intel was loaded on this AuthenticAMD CPU, whose virtualization is AMD-V (SVM)" in found["message"]
    assert found["remedy"].startswith("load kvm_amd instead (modprobe kvm_amd)")


def test_kvm_amd_refused_on_its_own_cpu_quotes_the_kernel(host):
    host.kmsg = ["kvm_amd: SVM not supported by CPU 1, not amd or hygon"]
    found = problem(host)
    assert found["code"] == "device.missing.load_failed" and found["subject"] == "kvm_amd"
    assert "loading kvm_amd failed; the kernel says 'kvm_amd: SVM not supported by CPU 1, not amd or hygon'" in \
        found["message"]


def test_another_architecture_keeps_the_general_answer(host):
    host.machine = "aarch64"
    host.sysfs["/proc"]["cpuinfo"] = "processor\t: 0\nFeatures\t: fp asimd\n"
    assert problem(host)["code"] == "device.missing.no_module"


def test_usable_stays_the_devices_answer_whatever_the_cpu_flags_say(host):
    host.sysfs["/proc"]["cpuinfo"] = INTEL  # vmx offered, yet no node: not usable
    assert gather(["min"], kernel=host)["usable"] is False


@pytest.mark.parametrize("dep", [None, "kernel/fs/ext4/ext4.ko:\n"], ids=["no modules.dep", "not listed"])
def test_a_module_file_that_depmod_never_indexed_says_depmod_not_reinstall(host, dep):
    tree = "/lib/modules/%s/kernel/arch/x86/kvm" % RELEASE
    host.sysfs[tree] = {"kvm.ko.xz": "", "kvm-intel.ko.xz": "", "kvm-amd.ko.xz": ""}
    if dep is None:
        del host.sysfs["/lib/modules/" + RELEASE]["modules.dep"]
    else:
        host.sysfs["/lib/modules/" + RELEASE]["modules.dep"] = dep
    found = problem(host)
    assert (found["code"], found["subject"]) == ("device.missing.depmod_stale", "kvm_amd")
    assert "%s/kvm-amd.ko.xz" % tree in found["message"]
    assert ("is missing" if dep is None else "does not list it") in found["message"]
    assert found["remedy"] == "depmod -a %s, then modprobe kvm_amd" % RELEASE
    del host.sysfs[tree]  # no file either: the module really is absent
    assert problem(host)["code"] == "device.missing.module_absent"
