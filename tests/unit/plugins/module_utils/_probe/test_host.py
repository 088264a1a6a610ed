# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host subset: the backend and its nested parameter; the first CPU's flags and vendor from /proc/cpuinfo."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.host import first_cpu
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel, oserror, probe


def test_backend_without_a_nested_parameter_reports_null(kernel):
    kernel.sysfs = {"/sys/module": ["kvm", "kvm_pvm"], "/sys/module/kvm_pvm/parameters": {"pvm_native": "Y"}}
    host = probe(kernel, ["min", "host"])["host"]
    assert (host["backend"], host["nested"], host["parameters"]) == ("kvm_pvm", None, {"kvm_pvm": {"pvm_native": "Y"}})


def test_nested_disabled(kernel):
    kernel.sysfs["/sys/module/kvm_intel/parameters"]["nested"] = "N"
    assert probe(kernel, ["min", "host"])["host"]["nested"] is False


# ---------------------------------------------------------- /proc/cpuinfo ----

X86 = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme svm lm\n"
       "bugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n")


def kernel_with(cpuinfo):
    kernel = FakeKernel()
    kernel.sysfs.setdefault("/proc", {})["cpuinfo"] = cpuinfo
    return kernel


def test_the_first_cpus_flags_and_vendor_only():
    assert first_cpu(kernel_with(X86)) == (["fpu", "vme", "svm", "lm"], "AuthenticAMD")


def test_another_architecture_has_no_flags_line():
    arm = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n\n"
    assert first_cpu(kernel_with(arm)) == (None, None)


def test_an_unreadable_cpuinfo_says_nothing():
    assert first_cpu(kernel_with(oserror(errno.EACCES))) == (None, None)


def test_only_the_head_is_read_and_bytes_that_are_not_utf8_do_not_stop_it():
    huge = "processor\t: 0\nvendor_id\t: \xff\xfe\nflags\t\t: fpu\n\n" + "x" * 65536
    kernel = kernel_with(huge.encode("latin-1"))
    flags, vendor = first_cpu(kernel)
    assert flags == ["fpu"] and vendor == u"\ufffd\ufffd"
