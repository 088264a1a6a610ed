# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe on a real arm64 KVM: Debian's arm64 kernel in QEMU's virt board with EL2.

One boot per KVM mode (VHE and nVHE; a session fixture) runs, inside the arm64 machine: the
kvm_facts module exactly as ansible-core ships it to a host (its AnsiballZ payload, built here by
ansible-core with the module's arguments in it), the C probe cross-compiled for arm64, and
`dmesg`, `stat` and `ls /sys/module` as oracles. The controller side (the evaluator) then judges the aarch64
profiles from those facts, here on the host, as it would in a play.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import aarch64 as guest_arm64
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.abi import KvmRequests
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER, KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import canonical_cap
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.extensions import CAP_SWEEP_BEYOND_TABLE
from ansible_collections.fleetcheck.kvm.tests.functional import emulated_machine as arm64_machine
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import ROOT, missing

MAX_CAP = max(KVM_CAPS) + CAP_SWEEP_BEYOND_TABLE
CROSS_GCC = "aarch64-linux-gnu-gcc"
BOOT_TIMEOUT = 400       # seconds; a boot and the whole payload take about a minute here
# qemu_7_2 requires no capability on aarch64 (QEMU 7.2's arm list is empty): judged by the API check only;
# qemu (9.2 and later) requires DEVICE_CTRL there.
AARCH64_PROFILES = ("firecracker", "cloud_hypervisor", "qemu", "qemu_7_2")
# The two ways arm64 KVM runs: the kernel itself at EL2 (VHE, the default where the CPU has
# FEAT_VHE, as -cpu max does) and a small hypervisor at EL2 under a kernel at EL1 (nVHE, the
# only way on CPUs without VHE). Each mode, and the line the kernel logs when it is up.
KVM_MODES = {"vhe": ("", "VHE mode initialized successfully"),
             "nvhe": ("kvm-arm.mode=nvhe", "Hyp mode initialized successfully")}


def _image_dir():
    """The cached machine of the current build inputs (fc_arm64_vm exports it; else ask lib.sh)."""
    directory = os.environ.get("FLEETCHECK_ARM64_IMAGE")
    if not directory:
        directory = subprocess.check_output(
            ["bash", "-c", 'source "$1/tools/lib.sh" && fc_arm64_vm_dir', "bash", ROOT],
            universal_newlines=True).strip()
    if not os.path.isfile(os.path.join(directory, "ready")):
        missing("the emulated arm64 machine is not built in %s: run fc_arm64_vm from tools/lib.sh" % directory)
    return directory


def _c_probe(tmp):
    compiler = shutil.which(CROSS_GCC)
    if not compiler:
        missing("%s is not installed (fc_arm64_vm installs gcc-aarch64-linux-gnu)" % CROSS_GCC)
    binary = os.path.join(tmp, "kvm_c_probe")
    subprocess.check_call([compiler, "-O2", "-Wall", "-Werror", "-static", "-o", binary,
                           os.path.join(ROOT, "tests", "functional", "c_probe", "kvm_c_probe.c")])
    with open(binary, "rb") as handle:
        return handle.read()


@pytest.fixture(scope="session")
def payload_files(tmp_path_factory, ansible_bin):
    tmp = str(tmp_path_factory.mktemp("arm64_payload"))
    return {"kvm_c_probe": _c_probe(tmp), "AnsiballZ_kvm_facts.py": arm64_machine.ansiballz(ansible_bin, tmp)}


@pytest.fixture(scope="session", params=sorted(KVM_MODES))
def arm64(request, tmp_path_factory, payload_files):
    """One boot of the arm64 machine per KVM mode with every payload; the Boot with its sections."""
    if not shutil.which(arm64_machine.QEMU):
        missing("%s is not installed (fc_arm64_vm installs qemu-system-arm)" % arm64_machine.QEMU)
    image = _image_dir()
    work = str(tmp_path_factory.mktemp("arm64_" + request.param))
    commands = [
        ("kvm_log", "dmesg"),
        ("kvm_node", "stat -c '%F %t:%T' /dev/kvm"),
        ("uname", "uname -rm"),
        ("modules", "ls /sys/module"),
        ("c_requests", "./kvm_c_probe requests"),
        ("c_probe", "./kvm_c_probe /dev/kvm %d" % MAX_CAP),
        ("kvm_facts", "python3 AnsiballZ_kvm_facts.py"),
    ]
    boot = arm64_machine.boot(image, work, commands, payload_files, BOOT_TIMEOUT,
                              kernel_args=KVM_MODES[request.param][0])
    boot.mode = request.param
    assert boot.returncode == 0, "QEMU: %s\nconsole tail:\n%s" % (boot.qemu_output, boot.console[-3000:])
    return boot


@pytest.fixture(scope="session")
def facts(arm64):
    result = json.loads(arm64.output("kvm_facts"))
    assert not result.get("failed"), result
    return result["ansible_facts"]["kvm"]


@pytest.fixture(scope="session")
def c_answers(arm64):
    answers = {"caps": {}}
    for fields in (line.split() for line in arm64.output("c_probe").splitlines()):
        if fields[0] == "cap":
            answers["caps"][int(fields[1])] = int(fields[2])
        elif fields[0] == "arm_preferred_target":
            answers["arm_preferred_target"] = (int(fields[1]), int(fields[2]))
        else:
            answers[fields[0]] = int(fields[1])
    return answers


def test_the_guest_kernel_gives_a_kvm_device_within_the_time_budget(arm64):
    assert KVM_MODES[arm64.mode][1] in arm64.output("kvm_log")
    assert arm64.output("kvm_node").split() == ["character", "special", "file", "a:e8"]  # 10:232 in hex
    assert arm64.output("uname").split()[1] == "aarch64"
    booted, done = arm64.uptime("BOOTED"), arm64.uptime("DONE")
    assert booted is not None and done is not None and done > booted
    assert arm64.seconds < BOOT_TIMEOUT


def test_kvm_facts_is_usable_with_api_12_as_the_c_probe_reads(facts, c_answers):
    assert facts["usable"] is True, facts["reasons"]
    assert facts["reasons"] == []
    assert facts["api_version"] == c_answers["api_version"] == 12
    assert facts["vcpu_mmap_size"] == c_answers["vcpu_mmap_size"]
    assert facts["vm"]["created"] is True


def test_every_capability_value_matches_the_arm64_c_probe(facts, c_answers):
    expected = dict((cap_name(n), v) for n, v in c_answers["caps"].items() if v)
    assert facts["extensions"] == expected
    assert len(expected) > 0


def test_vm_ipa_size_and_preferred_target_are_the_kernels(facts, c_answers):
    ipa = c_answers["caps"][CAP_NUMBER["KVM_CAP_ARM_VM_IPA_SIZE"]]
    assert ipa >= 32  # KVM_CAP_ARM_VM_IPA_SIZE answers the largest IPA size in bits (at least 32 when present)
    assert facts["extensions"]["KVM_CAP_ARM_VM_IPA_SIZE"] == ipa
    target = facts["vm"]["arm_preferred_target"]
    assert target["error"] is None
    assert (target["target"], target["features"][0]) == c_answers["arm_preferred_target"]
    assert len(target["features"]) == 7


def test_vcpu_run_writes_mmio_then_powers_off_through_psci(facts):
    run = facts["vcpu_run"]
    assert run["status"] == "ok" and run["ok"] is True, run
    assert [e["reason"] for e in run["exits"]] == ["MMIO", "SYSTEM_EVENT"]
    mmio, event = run["exits"]
    assert mmio["is_write"] is True
    assert (mmio["phys_addr"], mmio["len"], mmio["data"]) == (
        guest_arm64.MMIO_ADDRESS, guest_arm64.MMIO_LEN, guest_arm64.DATA)
    assert event["type"] == "SHUTDOWN"
    assert run["elapsed_ms"] < 60000


GUEST_SOURCE = """
    movz x0, #0x2, lsl #16
    movz w1, #0x4b
    str  w1, [x0]
    movz w0, #0x0008
    movk w0, #0x8400, lsl #16
    hvc  #0
    b    .
"""


def test_the_guest_code_is_what_the_gnu_assembler_makes_of_its_listing(tmp_path):
    assembler = shutil.which("aarch64-linux-gnu-as")
    if not assembler:
        missing("aarch64-linux-gnu-as is not installed (binutils-aarch64-linux-gnu, with the cross gcc)")
    (tmp_path / "guest.S").write_text(GUEST_SOURCE)
    subprocess.check_call([assembler, "-o", str(tmp_path / "guest.o"), str(tmp_path / "guest.S")])
    subprocess.check_call(["aarch64-linux-gnu-objcopy", "-O", "binary", "-j", ".text",
                           str(tmp_path / "guest.o"), str(tmp_path / "guest.bin")])
    assert (tmp_path / "guest.bin").read_bytes() == guest_arm64.CODE


def test_request_numbers_match_the_arm64_c_header(arm64):
    lines = arm64.output("c_requests").splitlines()
    header = dict((name, int(value)) for name, value in (line.split() for line in lines))
    ours = vars(KvmRequests("aarch64"))
    assert "KVM_ARM_PREFERRED_TARGET" in header and "KVM_GET_SUPPORTED_CPUID" not in header
    assert dict((name, ours[name]) for name in header) == header


def test_host_facts_are_what_the_guest_kernel_says(facts, arm64):
    release, machine = arm64.output("uname").split()
    assert facts["host"]["arch"] == machine and facts["host"]["kernel"] == release
    modules = set(arm64.output("modules").split())
    assert facts["host"]["backends"] == [name for name in KVM_BACKENDS if name in modules]
    assert "cpuid" not in facts or "skipped" in facts["cpuid"] or facts["cpuid"].get("status") == "skipped"


@pytest.mark.parametrize("profile", AARCH64_PROFILES)
def test_aarch64_profile_verdict_follows_the_kernels_answers(facts, c_answers, profile):
    sections = BUILTIN_PROFILES[profile]["extensions"]
    required = [canonical_cap(cap) for section in ("all", "aarch64")
                for cap in sections.get(section, {}).get("require", [])]
    assert required or profile == "qemu_7_2", "profile %s has no aarch64 requirements to judge" % profile
    requirements = check_requirements({"profiles": [profile]}, BUILTIN_PROFILES)
    verdict = evaluate(facts, requirements, BUILTIN_PROFILES, host="arm64-guest")
    judged = dict((c["requirement"], c["ok"]) for c in verdict["checks"])
    for cap in required:
        assert judged["profile %s: %s" % (profile, cap)] == (c_answers["caps"][CAP_NUMBER[cap]] > 0), cap
    assert judged["profile %s: api_version" % profile] is True
    kernel_meets_it = all(c_answers["caps"][CAP_NUMBER[cap]] > 0 for cap in required)
    gating_devices = BUILTIN_PROFILES[profile].get("devices", {}).get("require", [])
    devices_usable = all((facts.get("devices") or {}).get(name, {}).get("usable") is True  # opened and answered
                         for name in gating_devices)
    assert (profile in verdict["summary"]["profiles_met"]) == (kernel_meets_it and devices_usable)
    if not kernel_meets_it:
        assert any(cap in message for message in verdict["failures"] for cap in required)


def test_a_profile_needing_what_this_kernel_lacks_fails_and_names_it(facts, c_answers):
    absent = sorted(name for number, name in KVM_CAPS.items()
                    if name.startswith("KVM_CAP_ARM_") and c_answers["caps"].get(number) == 0)
    assert absent, "the arm64 kernel answered every KVM_CAP_ARM_* capability"
    profiles = dict(BUILTIN_PROFILES, needs_absent={
        "title": "A VMM needing %s" % absent[0], "min_api_version": 12,
        "extensions": {"aarch64": {"source": "this test", "require": [absent[0]]}}})
    verdict = evaluate(facts, check_requirements({"profiles": ["needs_absent"]}, profiles), profiles)
    assert verdict["status"] == "fail"
    assert verdict["failures"] and all(absent[0] in message for message in verdict["failures"])
    assert "needs_absent" not in verdict["summary"]["profiles_met"]
