# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe, specified case by case against a scripted kernel."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import x86_64 as guest_x86
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi as kvm_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER, KVM_CAPS, cap_number
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import (
    CORE_SUBSETS, SUBSETS, gather, resolve_subsets)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import (
    FakeKernel, FakeNode, cpuid_entry, kvm_node)


@pytest.fixture
def kernel():
    return FakeKernel()


def probe(kernel, subsets=None, **kwargs):
    facts = gather(subsets or ["all"], kernel=kernel, **kwargs)
    assert kernel.leaks() == [], "the probe left fds or mappings open"
    assert kernel.timer_disarmed, "the KVM_RUN timer was left armed"
    return facts


def only_reason(facts):
    assert facts["usable"] is False
    assert len(facts["reasons"]) == 1, facts["reasons"]
    return facts["reasons"][0]


# -------------------------------------------------------- healthy host ----

def test_healthy_host_is_usable_with_every_fact(kernel):
    facts = probe(kernel)
    assert facts["usable"] is True and facts["reasons"] == []
    assert facts["api_version"] == 12 and facts["vcpu_mmap_size"] == 12288
    assert facts["device"]["mode"] == "0660" and facts["device"]["group"] == "kvm"
    assert facts["device"]["kvm_node"] and facts["device"]["can_open_rw"]
    assert facts["extensions"]["KVM_CAP_NR_VCPUS"] == 4
    assert (facts["nr_vcpus"], facts["max_vcpus"], facts["nr_memslots"]) == (4, 288, 32764)
    assert facts["max_vcpu_id"] == 288  # KVM_CAP_MAX_VCPU_ID absent: the API says max_vcpus
    assert facts["vm"] == {"created": True, "error": None}
    assert facts["vm_types"] == ["KVM_X86_DEFAULT_VM"]
    assert facts["cpuid"]["features"]["vmx"] and facts["cpuid"]["features"]["avx2"]
    assert not facts["cpuid"]["features"]["svm"]
    assert facts["msrs"] == {"index_count": 40, "feature_count": 2}
    assert facts["host"]["backend"] == "kvm_intel" and facts["host"]["nested"] is True
    assert facts["vcpu_run"]["status"] == "ok"
    assert [e["reason"] for e in facts["vcpu_run"]["exits"]] == ["IO", "HLT"]


def test_extensions_hold_only_nonzero_answers_by_kernel_name(kernel):
    facts = probe(kernel, ["min", "extensions"])
    assert set(facts["extensions"]) == set(KVM_CAPS[n] for n in kernel.caps)
    assert "cpuid" not in facts and "vcpu_run" not in facts


def test_capability_beyond_the_table_is_reported_by_number(kernel):
    beyond = max(KVM_CAPS) + 5
    kernel.caps[beyond] = 7
    facts = probe(kernel, ["min", "extensions"])
    assert facts["extensions"]["KVM_CAP_%d" % beyond] == 7


def test_a_capability_the_kernel_refuses_is_named_and_the_sweep_goes_on(kernel):
    refused = CAP_NUMBER["KVM_CAP_IOEVENTFD"]
    kernel.caps[refused] = 1
    answer = kernel._KVM_CHECK_EXTENSION

    def refuse_one(fd, arg):
        if arg == refused:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return answer(fd, arg)

    kernel._KVM_CHECK_EXTENSION = refuse_one
    facts = probe(kernel)
    assert "KVM_CHECK_EXTENSION(KVM_CAP_IOEVENTFD) failed with EIO (%s)" % os.strerror(errno.EIO) in facts["errors"]
    assert "KVM_CAP_IOEVENTFD" not in facts["extensions"]
    assert set(facts["extensions"]) == set(KVM_CAPS[n] for n in kernel.caps if n != refused and kernel.caps[n])
    asked = [arg for name, arg in kernel.call_args if name == "KVM_CHECK_EXTENSION"]
    assert asked.count(refused) == 1  # the refusal is remembered, as an answer is


def test_a_capability_is_asked_once_and_a_refusal_stays_a_refusal():
    calls = []

    class Kvm(object):
        def check_extension(self, number):
            calls.append(number)
            if number == 3:
                raise OSError(errno.ENOTTY, os.strerror(errno.ENOTTY))
            return number * 10

    ctx = ProbeContext(FakeKernel(), "/dev/kvm", 1.0, (), ["extensions"])
    ctx.kvm = Kvm()
    assert [ctx.check_extension(2), ctx.check_extension(2)] == [20, 20]
    for _attempt in range(2):
        with pytest.raises(OSError) as refused:
            ctx.check_extension(3)  # a refusal in the sweep stays a refusal for the later subsets
        assert refused.value.errno == errno.ENOTTY
    assert calls == [2, 3]


def test_vm_types_come_from_the_bitmask(kernel):
    kernel.caps[CAP_NUMBER["KVM_CAP_VM_TYPES"]] = 0b11101
    facts = probe(kernel, ["min"])
    assert facts["vm_types"] == ["KVM_X86_DEFAULT_VM", "KVM_X86_SEV_VM", "KVM_X86_SEV_ES_VM", "KVM_X86_SNP_VM"]


def test_accounts_are_judged_by_owner_group_and_mode(kernel):
    facts = probe(kernel, ["min"], accounts=["nova", "qemu", "root", "ghost"])
    accounts = facts["device"]["accounts"]
    legacy = ("exists", "groups", "may_open", "via")
    assert dict((k, accounts["nova"][k]) for k in legacy) == {
        "exists": True, "groups": ["1001"], "may_open": False, "via": None}
    assert accounts["qemu"]["may_open"] is True and accounts["qemu"]["via"] == "group kvm"
    assert accounts["root"]["via"] == "root"
    assert dict((k, accounts["ghost"][k]) for k in legacy) == {
        "exists": False, "groups": [], "may_open": False, "via": None}
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    assert probe(kernel, ["min"], accounts=["nova"])["device"]["accounts"]["nova"]["via"] == "other"


# ------------------------------------------------------- broken device ----

def test_no_device(kernel):
    del kernel.nodes["/dev/kvm"]
    kernel.sysfs["/sys/module"] = ["ext4"]
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "/dev/kvm does not exist" in reason and "no KVM backend module is loaded" in reason
    assert "--device /dev/kvm" in reason
    assert facts["device"]["exists"] is False and facts["device"]["open_error"] == "ENOENT"
    assert facts["vcpu_run"]["status"] == "skipped" and facts["api_version"] is None


def test_no_device_although_a_backend_is_loaded(kernel):
    del kernel.nodes["/dev/kvm"]
    reason = only_reason(probe(kernel, ["min"]))
    assert "although kvm_intel is loaded" in reason and "mknod /dev/kvm c 10 232" in reason


def test_permission_denied_names_user_groups_node_and_remedy(kernel):
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    kernel.identity_value = ("nova", ["nova"])
    facts = probe(kernel)
    reason = only_reason(facts)
    assert reason == ("/dev/kvm: EACCES (Permission denied) opening read-write for user nova (groups: nova); "
                      "node is crw-rw---- root:kvm; add nova to group kvm and log in again")
    assert facts["device"]["can_open_rw"] is False and facts["device"]["open_error"] == "EACCES"


def test_permission_denied_on_an_owner_only_node_suggests_a_group(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o600, gid=0)
    kernel.open_errno["/dev/kvm"] = errno.EACCES
    reason = only_reason(probe(kernel))
    assert "node is crw------- root:root" in reason
    assert "open to its owner root only" in reason and 'GROUP="kvm", MODE="0660"' in reason


def test_eperm_from_the_device_cgroup(kernel):
    kernel.nodes["/dev/kvm"] = kvm_node(perm=0o666)
    kernel.open_errno["/dev/kvm"] = errno.EPERM
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "EPERM (Operation not permitted)" in reason and "device cgroup" in reason
    assert "--device /dev/kvm" in reason
    assert facts["device"]["world_writable"] is True


def test_regular_file_at_the_path(kernel):
    kernel.nodes["/dev/kvm"] = FakeNode(stat.S_IFREG | 0o644)
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "/dev/kvm is a regular file, not the KVM character device 10:232 (-rw-r--r-- root:kvm)" in reason
    assert facts["device"]["char_device"] is False


def test_character_device_that_is_not_kvm(kernel):
    kernel.nodes["/dev/kvm"] = FakeNode(stat.S_IFCHR | 0o666, os.makedev(1, 3))
    kernel.fail["KVM_GET_API_VERSION"] = errno.ENOTTY
    facts = probe(kernel)
    reason = only_reason(facts)
    assert "KVM_GET_API_VERSION failed with ENOTTY" in reason
    assert "character device 1:3, not KVM (10:232)" in reason
    assert facts["device"]["kvm_node"] is False and facts["extensions"] == {}


def test_api_version_other_than_12(kernel):
    kernel.api_version = 11
    facts = probe(kernel)
    assert "KVM_GET_API_VERSION returned 11, but the stable KVM API is 12" in only_reason(facts)
    assert facts["api_version"] == 11 and facts["vcpu_run"]["status"] == "skipped"


def test_create_vm_busy_names_the_other_hypervisor(kernel):
    kernel.fail["KVM_CREATE_VM"] = errno.EBUSY
    facts = probe(kernel)
    assert only_reason(facts).startswith("KVM_CREATE_VM failed with EBUSY (Device or resource busy): "
                                         "another hypervisor")
    assert facts["vm"] == {"created": False, "error": "EBUSY"} and facts["vm_types"] == []
    assert facts["vcpu_run"] == {"status": "skipped", "ok": False, "exits": [], "elapsed_ms": None,
                                 "reason": "no VM could be created"}


# ------------------------------------------------------ buffer growth ----

def test_cpuid_buffer_grows_on_e2big(kernel):
    kernel.cpuid = [cpuid_entry(0x40000000 + i) for i in range(600)]
    facts = probe(kernel, ["min", "cpuid"])
    assert facts["cpuid"]["entries"] == 600
    assert kernel.calls.count("KVM_GET_SUPPORTED_CPUID") == 3  # 256, 512, 1024 entries


def test_cpuid_is_asked_once_with_room_for_the_kernels_maximum(kernel):
    kernel.cpuid = [cpuid_entry(0x40000000 + i) for i in range(256)]  # KVM_MAX_CPUID_ENTRIES
    assert probe(kernel, ["min", "cpuid"])["cpuid"]["entries"] == 256
    assert kernel.calls.count("KVM_GET_SUPPORTED_CPUID") == 1


def test_msr_list_grows_on_e2big(kernel):
    kernel.msr_indices = list(range(1000))
    assert probe(kernel, ["min", "msrs"])["msrs"]["index_count"] == 1000


def test_cpuid_gives_up_past_its_limit(kernel):
    kernel.fail["KVM_GET_SUPPORTED_CPUID"] = [errno.E2BIG] * 20
    facts = probe(kernel, ["min", "cpuid"])
    assert facts["cpuid"] == {"error": "KVM_GET_SUPPORTED_CPUID failed with E2BIG (Argument list too long)"}
    assert facts["usable"] is True  # CPUID is informational


# ------------------------------------------------------------ vcpu run ----

def test_kvm_run_that_never_returns_times_out(kernel):
    kernel.run_script = [("HANG",)]
    facts = probe(kernel, timeout=0.5)
    run = facts["vcpu_run"]
    assert run["status"] == "timeout" and run["ok"] is False
    assert "KVM_RUN did not return within 0.5 s" in run["reason"]
    assert "vCPU run timeout: KVM_RUN did not return within 0.5 s" in only_reason(facts)


def test_kvm_run_interrupted_by_a_stray_signal_runs_on(kernel):
    kernel.run_script = [("EINTR",), ("IO", guest_x86.PORT, guest_x86.DATA), ("HLT",)]
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "ok" and facts["usable"] is True


def test_kvm_run_entry_failure_is_explained(kernel):
    kernel.run_script = [("FAIL_ENTRY", 0x80000021)]
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "failed"
    assert facts["vcpu_run"]["reason"] == ("the guest stopped with exit FAIL_ENTRY "
                                           "(hardware_entry_failure_reason 2147483681)")
    assert facts["usable"] is False


def test_halt_without_the_expected_io_is_a_failure(kernel):
    kernel.run_script = [("HLT",)]
    facts = probe(kernel)
    assert "halted without the expected write of 0x4b to port 0x10" in facts["vcpu_run"]["reason"]


def test_guest_that_never_halts_is_bounded_in_exits(kernel):
    kernel.run_script = [("IO", 0x99, 1)] * 20
    assert "did not halt within 16 exits" in probe(kernel)["vcpu_run"]["reason"]


@pytest.mark.parametrize("step", ["KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION", "KVM_SET_SREGS", "KVM_RUN"])
def test_vcpu_setup_failures_name_the_ioctl_and_release_everything(kernel, step):
    kernel.fail[step] = errno.ENOMEM
    facts = probe(kernel)  # probe() asserts that nothing leaked
    assert facts["vcpu_run"]["reason"] == "%s failed with ENOMEM (Cannot allocate memory)" % step


def test_vcpu_run_outside_the_main_thread_is_skipped_not_crashed(kernel):
    def refuse(seconds, on_expiry):
        raise ValueError("signal only works in main thread of the main interpreter")
    kernel.arm_timer = refuse
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "skipped" and "main thread" in facts["vcpu_run"]["reason"]
    assert facts["usable"] is True


def test_vcpu_run_is_skipped_where_no_guest_code_exists(kernel):
    kernel = FakeKernel(machine="riscv64")
    facts = probe(kernel)
    assert facts["vcpu_run"]["status"] == "skipped" and "this host is riscv64" in facts["vcpu_run"]["reason"]
    assert "skipped" in facts["cpuid"] and facts["vm_types"] == ["type 0"]
    assert facts["usable"] is True


# ---------------------------------------------------------------- host ----

def test_backend_without_a_nested_parameter_reports_null(kernel):
    kernel.sysfs = {"/sys/module": ["kvm", "kvm_pvm"], "/sys/module/kvm_pvm/parameters": {"pvm_native": "Y"}}
    host = probe(kernel, ["min", "host"])["host"]
    assert (host["backend"], host["nested"], host["parameters"]) == ("kvm_pvm", None, {"kvm_pvm": {"pvm_native": "Y"}})


def test_nested_disabled(kernel):
    kernel.sysfs["/sys/module/kvm_intel/parameters"]["nested"] = "N"
    assert probe(kernel, ["min", "host"])["host"]["nested"] is False


def test_system_ioctls_report_the_classic_surface(kernel):
    outcomes = probe(kernel, ["min", "ioctls"])["system_ioctls"]
    assert list(outcomes) == list(kvm_abi.CLASSIC_SYSTEM_IOCTLS)
    assert outcomes["KVM_GET_API_VERSION"] == {"supported": True, "result": 12}
    assert outcomes["KVM_TRACE_PAUSE"] == {"supported": False, "errno": "EINVAL", "error": "Invalid argument"}


# ----------------------------------------------------- ask the kernel once ----

def test_a_full_probe_creates_exactly_one_vm_and_asks_each_capability_once(kernel):
    facts = probe(kernel)
    assert facts["usable"] is True and facts["system_ioctls"]["KVM_CREATE_VM"] == {"supported": True, "result": 0}
    assert kernel.calls.count("KVM_CREATE_VM") == 1
    asked = [arg for name, arg in kernel.call_args if name == "KVM_CHECK_EXTENSION"]
    assert len(asked) == len(set(asked)), "a capability was asked twice"
    assert asked.count(CAP_NUMBER["KVM_CAP_VM_TYPES"]) == 1
    assert kernel.calls.count("KVM_GET_API_VERSION") == 1 and kernel.calls.count("KVM_GET_VCPU_MMAP_SIZE") == 1
    for shared in ("KVM_GET_SUPPORTED_CPUID", "KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSR_FEATURE_INDEX_LIST"):
        assert kernel.calls.count(shared) == 1, shared


def test_the_vcpu_runs_in_the_one_vm(kernel):
    probe(kernel, ["min", "vcpu_run"])
    assert kernel.calls.count("KVM_CREATE_VM") == 1 and kernel.calls.count("KVM_CREATE_VCPU") == 1
    assert kernel.calls.index("KVM_CREATE_VM") < kernel.calls.index("KVM_SET_USER_MEMORY_REGION")


def test_a_missing_device_with_host_excluded_reads_no_module_parameters(kernel):
    del kernel.nodes["/dev/kvm"]
    read = []
    kernel.read_text = read.append
    facts = probe(kernel, ["all", "!host", "!parameters", "!cgroup", "!iommu", "!hugepages", "!devices"])
    assert "host" not in facts and read == []
    assert "although kvm_intel is loaded" in only_reason(facts)


def test_module_parameters_are_read_once_for_the_host_and_parameters_subsets(kernel):
    read = []
    original = kernel.read_text
    kernel.read_text = lambda path: read.append(path) or original(path)
    facts = probe(kernel, ["min", "host", "parameters"])
    assert facts["host"]["parameters"]["kvm_intel"] == facts["parameters"]["kvm_intel"] == {"nested": "Y", "ept": "Y"}
    assert read and len(read) == len(set(read)), read


def test_sys_module_is_listed_once(kernel):
    del kernel.nodes["/dev/kvm"]
    listed = []
    original = kernel.listdir
    kernel.listdir = lambda path: listed.append(path) or original(path)
    probe(kernel)
    assert listed.count("/sys/module") == 1


def test_an_invalid_spec_is_refused_before_anything_is_touched(kernel):
    with pytest.raises(ValueError):
        gather(["bogus"], kernel=kernel)
    assert kernel.calls == [] and kernel.fds == {}


# ------------------------------------------------------------- subsets ----

@pytest.mark.parametrize("spec, expected", [
    (["all"], list(SUBSETS)),
    (None, list(SUBSETS)),
    (["min"], list(CORE_SUBSETS)),
    (["!all"], list(CORE_SUBSETS)),
    (["!vcpu_run"], [s for s in SUBSETS if s != "vcpu_run"]),
    (["all", "!cpuid", "!msrs"], [s for s in SUBSETS if s not in ("cpuid", "msrs")]),
    (["host"], ["host", "device", "api", "vm"]),  # in run order: host needs no device
])
def test_resolve_subsets(spec, expected):
    assert resolve_subsets(spec) == expected


@pytest.mark.parametrize("spec, message", [
    (["hardware"], "unknown gather_subset 'hardware'"),
    (["!vm"], "gather_subset '!vm' cannot be excluded"),
    (["!min"], "gather_subset '!min' cannot be excluded"),
])
def test_resolve_subsets_rejects(spec, message):
    with pytest.raises(ValueError) as raised:
        resolve_subsets(spec)
    assert message in str(raised.value)


@pytest.mark.parametrize("name, number", [
    ("KVM_CAP_IRQCHIP", 0), ("irqchip", 0), ("nr_vcpus", 9), ("Kvm_Cap_Xsave", 55), ("KVM_CAP_300", 300),
    ("no_such_cap", None),
])
def test_cap_number_accepts_any_spelling(name, number):
    assert cap_number(name) == number
