# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu_version: which QEMU release a host's guest CPU is judged for, on the fake kernel."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import qemu_release as q
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils._probe.test_guest_cpu import GuestCpuKernel
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import oserror

DPKG = (b"Package: qemu-utils\nStatus: install ok installed\nVersion: 1:11.1.2+ds-3\n\n"
        b"Package: qemu-system-x86\nStatus: install ok installed\nPriority: optional\n"
        b"Version: 1:10.0.13+ds-0+deb13u1\nDescription: QEMU\n\n"
        b"Package: zsh\nStatus: install ok installed\nVersion: 5.9-4\n")


def kernel_with(status=None, commands=None):
    kernel = GuestCpuKernel()
    if status is not None:
        kernel.sysfs.setdefault("/var/lib/dpkg", {})["status"] = status
    kernel.commands.update(commands or {})
    return kernel


def test_auto_reads_the_debian_package_and_starts_nothing():
    kernel = kernel_with(DPKG)
    guest = gather.gather(["guest_cpu"], kernel=kernel)["guest_cpu"]
    assert guest["qemu"] == {"version": "10.0.13", "why": "installed", "table": "10.0",
                             "source": "dpkg: qemu-system-x86 1:10.0.13+ds-0+deb13u1"}
    assert guest["qemu_version"] == "10.0.13" and kernel.run_calls == []
    assert "SapphireRapids" in guest["models"] and "EPYC-Turin" not in guest["models"]


def test_a_package_that_is_not_installed_does_not_count():
    removed = DPKG.replace(b"Package: qemu-system-x86\nStatus: install ok installed",
                           b"Package: qemu-system-x86\nStatus: deinstall ok config-files")
    assert q.installed(kernel_with(removed))[0] is None


def test_auto_asks_the_binary_when_there_is_no_package_database():
    kernel = kernel_with(commands={("/usr/libexec/qemu-kvm", "--version"):
                                   "QEMU emulator version 9.1.0 (qemu-kvm-9.1.0-15.el9)\nCopyright\n"})
    guest = gather.gather(["guest_cpu"], kernel=kernel)["guest_cpu"]
    assert guest["qemu"] == {"version": "9.1.0", "why": "installed", "table": "7.2",
                             "source": "/usr/libexec/qemu-kvm --version",
                             "note": "no table for QEMU 9.1.0: the nearest older release's, 7.2, is used"}
    assert [call[0][0] for call in kernel.run_calls] == ["/usr/bin/qemu-system-x86_64", "/usr/libexec/qemu-kvm"]
    assert all(call[1] == q.VERSION_TIMEOUT for call in kernel.run_calls)


def test_a_binary_that_hangs_or_fails_is_passed_over():
    kernel = kernel_with(commands={("/usr/bin/qemu-system-x86_64", "--version"): oserror(errno.ETIMEDOUT),
                                   ("/usr/libexec/qemu-kvm", "--version"): "no version here\n"})
    assert q.installed(kernel) == (None, "no qemu-system-x86 package in /var/lib/dpkg/status and none of "
                                         "/usr/bin/qemu-system-x86_64, /usr/libexec/qemu-kvm, /usr/bin/qemu-kvm")


def test_a_host_without_qemu_is_judged_for_the_newest_table():
    guest = gather.gather(["guest_cpu"], kernel=kernel_with())["guest_cpu"]
    assert guest["qemu"]["why"] == "newest" and guest["qemu"]["table"] == "11.1"
    assert guest["qemu_version"] == "11.1.2" and "DiamondRapids" in guest["models"]
    # QEMU 10.0 and later offer HT, and set it themselves for a guest with more than one thread per package
    assert "ht" in guest["off_by_default"] and "ht" not in guest["features"]


def test_requested_releases_each_get_their_models_and_the_first_is_the_answer():
    kernel = kernel_with(DPKG)
    guest = gather.gather(["guest_cpu"], kernel=kernel, qemu_version=["7.2", "11.1", "8.2.2"],
                          cpu_models=["Nehalem", "EPYC-Genoa"])["guest_cpu"]
    assert guest["qemu"] == {"version": "7.2", "why": "requested", "table": "7.2"}
    assert "ht" not in guest["features"] and "ht" not in guest["off_by_default"]  # QEMU 7.2 does not add it
    assert guest["models"]["EPYC-Genoa"] == {"runnable": False, "missing": [], "not_in_release": True}
    assert guest["models"]["Nehalem"]["runnable"] is True
    others = guest["other_releases"]
    assert sorted(others) == ["11.1", "8.2.2"]
    assert others["11.1"]["models"]["EPYC-Genoa"]["runnable"] is False
    assert others["11.1"]["models"]["EPYC-Genoa"]["missing"]  # what this host lacks for it
    assert others["8.2.2"]["qemu"]["table"] == "7.2" and "nearest older" in others["8.2.2"]["qemu"]["note"]
    assert kernel.run_calls == [] and kernel.leaks() == []


@pytest.mark.parametrize("spec", [["latest"], ["10"], ["10.0", "auto"], ["1.2.3.4"], [" "]])
def test_an_invalid_qemu_version_is_refused_before_anything_is_probed(spec):
    kernel = kernel_with()
    with pytest.raises(ValueError) as raised:
        gather.gather(["guest_cpu"], kernel=kernel, qemu_version=spec)
    assert str(raised.value).startswith("qemu_version must be 'auto' or QEMU releases")
    assert kernel.calls == []


def test_a_release_older_than_every_table_says_so():
    assert q.table_for("6.2") == ("7.2", "QEMU 6.2 is older than every table: the oldest, 7.2, is used, and may "
                                         "name models 6.2 lacks")
    assert q.table_for("10.0.13") == ("10.0", None) and q.table_for("12.1")[0] == "11.1"
    assert q.parse_spec(None) == ["auto"] and q.parse_spec(["10.0", "10.0", "7.2"]) == ["10.0", "7.2"]


CPUINFO = ("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme erms fsrm\nbugs\t\t:\n\n"
           "processor\t: 1\nflags\t\t: fpu\n")


def test_qemu_10_adds_the_hosts_own_erms_and_fsrm_from_the_first_cpus_flags_and_7_2_does_not_read_them():
    kernel = kernel_with()
    kernel.sysfs["/proc"] = {"cpuinfo": CPUINFO}
    heads = []
    original = kernel.read_head
    kernel.read_head = lambda path, size: heads.append((path, size)) or original(path, size)
    newer = gather.gather(["guest_cpu"], kernel=kernel, qemu_version=["10.0"])["guest_cpu"]
    assert {"erms", "fsrm"} <= set(newer["features"]) and heads == [("/proc/cpuinfo", 16384)]
    older = gather.gather(["guest_cpu"], kernel=kernel, qemu_version=["7.2"])["guest_cpu"]
    assert not {"erms", "fsrm"} & set(older["features"]) and len(heads) == 1  # not read for 7.2
    kernel.sysfs["/proc"] = {"cpuinfo": oserror(errno.EACCES)}  # unreadable: KVM's answer alone
    assert "erms" not in gather.gather(["guest_cpu"], kernel=kernel, qemu_version=["10.0"])["guest_cpu"]["features"]
