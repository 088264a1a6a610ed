# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe on a real kvm_amd: Debian's amd64 kernel in QEMU's q35 under TCG, whose CPU has AMD SVM.

Two boots (a session fixture each). With -cpu max the payload walks through the ways of having no /dev/kvm
that a real kernel gives, then loads kvm_amd: no module loaded, the module blacklisted in /etc/modprobe.d,
kvm_intel loaded on this AMD CPU, kvm_amd with nested=0 and sev=0 set in /etc/modprobe.d, then kvm_amd as
it loads by default, with the C probe as the oracle of every capability. With -cpu EPYC,-svm (a VM whose CPU
has no SVM) the module refuses to load. kvm_facts runs exactly as ansible-core ships it (its AnsiballZ
payload) after each step, and the controller judges the facts here, as it would in a play.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import warnings

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import ALL_NAMES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import builtin_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES, level_requirements
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.extensions import CAP_SWEEP_BEYOND_TABLE
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.tests.functional import emulated_machine as machine
from ansible_collections.fleetcheck.kvm.tests.functional.x86 import guest_oracle
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import ROOT, missing

MAX_CAP = max(KVM_CAPS) + CAP_SWEEP_BEYOND_TABLE
BOOT_TIMEOUT = 400  # seconds; a boot with its payload takes 10-90 s here
FACTS = "python3 AnsiballZ_kvm_facts.py"
BLACKLIST = "/etc/modprobe.d/fc-no-kvm.conf"
OPTIONS = "/etc/modprobe.d/fc-kvm-amd.conf"


def _image_dir():
    directory = os.environ.get("FLEETCHECK_X86_IMAGE")
    if not directory:
        directory = subprocess.check_output(
            ["bash", "-c", 'source "$1/tools/lib.sh" && fc_x86_vm_dir', "bash", ROOT], universal_newlines=True).strip()
    if not os.path.isfile(os.path.join(directory, "ready")):
        missing("the emulated x86 machine is not built in %s: run fc_x86_vm from tools/lib.sh" % directory)
    return directory


@pytest.fixture(scope="session")
def payload_files(tmp_path_factory, ansible_bin):
    tmp = str(tmp_path_factory.mktemp("x86_payload"))
    compiler = shutil.which("gcc")
    if not compiler:
        missing("gcc is not installed (fc_x86_vm installs it)")
    binary = os.path.join(tmp, "kvm_c_probe")
    subprocess.check_call([compiler, "-O2", "-Wall", "-Werror", "-static", "-o", binary,
                           os.path.join(ROOT, "tests", "functional", "c_probe", "kvm_c_probe.c")])
    with open(binary, "rb") as handle:
        probe = handle.read()
    files = {"kvm_c_probe": probe, "AnsiballZ_kvm_facts.py": machine.ansiballz(ansible_bin, tmp)}
    for name, path in (("qmp.py", ("tools", "qmp.py")), ("guest_oracle.py", ("tests", "functional", "x86", "guest_oracle.py")),
                       ("hyperv_oracle.py", ("tests", "functional", "hyperv", "hyperv_oracle.py"))):
        with open(os.path.join(ROOT, *path), "rb") as handle:
            files[name] = handle.read()
    return files


def _boot(tmp_path_factory, payload_files, name, cpu, commands):
    if not shutil.which(machine.X86["qemu"]):
        missing("%s is not installed (fc_x86_vm installs qemu-system-x86)" % machine.X86["qemu"])
    image = _image_dir()
    work = str(tmp_path_factory.mktemp("x86_" + name))
    result, first = None, None
    for attempt in (1, 2):  # one retry: under heavy load a TCG boot has been seen to hang (1 in 33)
        result = machine.boot(image, work + "/%d" % attempt, commands, payload_files, BOOT_TIMEOUT,
                              machine=machine.X86, cpu=cpu)
        result.attempts = attempt
        if result.returncode == 0:
            break
        first = "QEMU exit %s after %.0f s" % (result.returncode, result.seconds)
    assert result.returncode == 0, "QEMU: %s\nconsole tail:\n%s" % (result.qemu_output, result.console[-3000:])
    if result.attempts > 1:  # reported, in pytest's warnings summary: a retry that hides a trend is no retry
        warnings.warn("the x86 boot %r passed on its second attempt; the first: %s" % (name, first))
    return result


@pytest.fixture(scope="session")
def amd(tmp_path_factory, payload_files):
    commands = [
        ("unloaded", FACTS),
        ("blacklisted", "sh -c 'echo blacklist kvm_amd > %s && %s; rm %s'" % (BLACKLIST, FACTS, BLACKLIST)),
        ("load_intel", "modprobe kvm_intel"),
        ("intel", FACTS),
        # the remedies the probe gave, as an operator types them: modprobe, with options from /etc/modprobe.d
        ("load_off", "sh -c 'echo options kvm_amd nested=0 sev=0 > %s && modprobe kvm_amd'" % OPTIONS),
        ("off", FACTS),
        ("reload", "sh -c 'rmmod kvm_amd && rm %s && modprobe kvm_amd'" % OPTIONS),
        ("facts", "sh -c '%s | tee /tmp/facts.json'" % FACTS),
        ("c_probe", "./kvm_c_probe /dev/kvm %d" % MAX_CAP),
        ("oracle", "python3 guest_oracle.py /tmp/facts.json"),
        ("hyperv", "python3 hyperv_oracle.py /tmp/facts.json --grouped"),
        ("params", "sh -c 'cd /sys/module/kvm_amd/parameters && grep -r . .'"),
        ("modules", "ls /sys/module"),
        ("uname", "uname -rm"),
    ]
    return _boot(tmp_path_factory, payload_files, "amd", "max", commands)


@pytest.fixture(scope="session")
def no_svm(tmp_path_factory, payload_files):
    commands = [("load", "modprobe kvm_amd"),  # irqbypass, kvm, ccp, then kvm-amd, as modules.dep orders them
                ("facts", FACTS), ("kernel_log", "dmesg")]
    # EPYC without svm, not max,-svm: that leaves xlevel at 0x80000001 and breaks /proc/self/exe in the guest
    return _boot(tmp_path_factory, payload_files, "no_svm", "EPYC,-svm", commands)


def facts_of(boot, section):
    result = json.loads(boot.output(section))
    assert not result.get("failed"), result
    return result["ansible_facts"]["kvm"]


def only_problem(facts):
    assert facts["usable"] is False and len(facts["problems"]) == 1, facts["problems"]
    return facts["problems"][0]


def test_without_the_module_the_probe_says_load_kvm_amd(amd):
    found = only_problem(facts_of(amd, "unloaded"))
    assert (found["code"], found["subject"]) == ("device.missing.not_loaded", "kvm_amd")
    assert "/kernel/arch/x86/kvm/kvm-amd.ko) is available but not loaded" in found["message"]
    assert found["remedy"].startswith("modprobe kvm_amd")


def test_a_blacklist_line_is_named(amd):
    found = only_problem(facts_of(amd, "blacklisted"))
    assert found["code"] == "device.missing.blacklisted"
    assert "kvm_amd is kept from loading by %s line 1: 'blacklist kvm_amd'" % BLACKLIST in found["message"]


def test_kvm_intel_on_this_amd_cpu_is_refused_and_named(amd):
    load_rc = amd.sections["load_intel.out"][1]
    assert load_rc != 0  # the kernel refused kvm_intel
    found = only_problem(facts_of(amd, "intel"))
    assert (found["code"], found["subject"]) == ("device.missing.wrong_module", "kvm_intel")
    assert "kvm_intel was loaded on this AuthenticAMD CPU, whose virtualization is AMD-V (SVM)" in found["message"]
    assert "no hardware support for 'kvm_intel'" in found["message"]  # the kernel's own words, quoted
    assert found["remedy"].startswith("load kvm_amd instead")


def test_the_remedy_given_loads_kvm_amd(amd):
    """`modprobe kvm_amd`, the remedy of the module that was not loaded and of kvm_intel on AMD, gives /dev/kvm."""
    assert amd.sections["load_off.out"][1] == 0, amd.sections["load_off.err"]
    assert amd.sections["reload.out"][1] == 0, amd.sections["reload.err"]
    assert facts_of(amd, "off")["device"]["kvm_node"] is True


def test_nested_and_sev_off_are_read_and_judged_as_set_by_the_operator(amd):
    facts = facts_of(amd, "off")
    assert facts["usable"] is True, facts["reasons"]
    assert facts["host"]["backend"] == "kvm_amd" and facts["host"]["parameters"]["kvm_amd"]["nested"] == "0"
    required = check_requirements({"require_nested": True, "secure_guest": ["sev"]}, BUILTIN_PROFILES)
    verdict = evaluate(facts, required, BUILTIN_PROFILES, host="x86-guest")
    codes = dict((c["code"], c) for c in verdict["root_causes"])
    assert codes["nested.not_offered"]["subject"] == "kvm_amd"
    assert "nested parameter: 0" in codes["nested.not_offered"]["message"]
    sev = codes["secure_guest.not_ready"]
    assert OPTIONS in sev["message"], sev  # sev=0 named as the operator's own setting, with its file


def test_kvm_amd_is_usable_and_every_capability_is_the_c_probes(amd):
    facts = facts_of(amd, "facts")
    assert facts["usable"] is True and facts["reasons"] == []
    assert facts["api_version"] == 12 and facts["host"]["backend"] == "kvm_amd"
    assert facts["vcpu_run"]["status"] == "ok", facts["vcpu_run"]
    answers = dict((int(f[1]), int(f[2])) for f in (line.split() for line in amd.output("c_probe").splitlines())
                   if f[0] == "cap")
    expected = dict((cap_name(n), v) for n, v in answers.items() if v)
    assert facts["extensions"] == expected and "KVM_CAP_NESTED_STATE" in expected
    release, arch = amd.output("uname").split()
    assert (facts["host"]["kernel"], facts["host"]["arch"]) == (release, arch)


def test_cpuid_entries_and_the_msr_list_are_the_c_probes(amd):
    facts = facts_of(amd, "facts")
    answers = dict(line.split() for line in amd.output("c_probe").splitlines() if not line.startswith("cap "))
    assert facts["cpuid"]["entries"] == int(answers["cpuid_entries"])
    assert facts["msrs"]["index_count"] == int(answers["msr_index_count"]) > 0  # kvm_amd's own MSR list


def test_every_kvm_amd_parameter_is_the_kernels(amd):
    facts = facts_of(amd, "facts")
    kernel = dict(line[2:].split(":", 1) for line in amd.output("params").splitlines())
    assert facts["host"]["parameters"]["kvm_amd"] == kernel
    assert kernel["nested"] == "1" and facts["host"]["nested"] is True


def test_guests_are_offered_svm_and_the_profiles_are_judged_from_the_capabilities(amd):
    facts = facts_of(amd, "facts")
    assert facts["cpuid"]["features"].get("svm") is True
    for profile in ("qemu", "firecracker", "cloud_hypervisor"):
        verdict = evaluate(facts, check_requirements({"profiles": [profile]}, BUILTIN_PROFILES), BUILTIN_PROFILES)
        needed = [c for c in verdict["checks"] if c["requirement"].startswith("profile %s: KVM_CAP_" % profile)]
        assert needed, profile
        for check in needed:
            assert check["ok"] == (check["requirement"].split(": ")[1] in facts["extensions"]), check


@pytest.fixture(scope="session")
def oracle(amd):
    return json.loads(amd.output("oracle"))


def test_the_guests_qemu_is_the_release_of_the_model_table(amd, oracle):
    qemu = facts_of(amd, "facts")["guest_cpu"]["qemu"]  # auto: the QEMU installed in the guest
    assert qemu["why"] == "installed" and qemu["table"] == "7.2", qemu
    assert "%(major)d.%(minor)d.%(micro)d" % oracle["version"] == builtin_models("7.2")["qemu_version"]


def test_every_model_is_runnable_and_missing_exactly_as_the_guests_qemu_says(amd, oracle):
    guest_cpu = facts_of(amd, "facts")["guest_cpu"]
    definitions = oracle["definitions"]
    assert sorted(d["name"] for d in definitions) == sorted(guest_cpu["models"])
    differences = [(d["name"], sorted(set(d["unavailable-features"])), guest_cpu["models"][d["name"]])
                   for d in definitions if guest_cpu["models"][d["name"]] != {
                       "runnable": not d["unavailable-features"], "missing": sorted(set(d["unavailable-features"]))}]
    assert differences == [], "\n".join("%s: QEMU %s, probe %s" % d for d in differences)
    assert guest_cpu["runnable_models"] == sorted(d["name"] for d in definitions if not d["unavailable-features"])
    # a second CPU, unlike this machine's: the missing features differ from model to model
    assert len(set(tuple(m["missing"]) for m in guest_cpu["models"].values())) > 20


def test_the_level_and_features_are_what_qemu_gives_the_host_model(amd, oracle):
    guest_cpu = facts_of(amd, "facts")["guest_cpu"]
    offered = set(name for name, value in oracle["host"]["props"].items() if value is True)
    assert sorted((offered & ALL_NAMES) - set(guest_cpu["features"])) == []
    met = [level for level in LEVEL_NAMES if set(level_requirements(level)) <= set(guest_cpu["features"])]
    assert guest_cpu["level"] == met[-1] and guest_cpu["level"] in ("x86-64-v2", "x86-64-v3", "x86-64-v4")


def test_each_sampled_runnable_model_starts_enforced_in_the_guest(amd, oracle):
    runnable = facts_of(amd, "facts")["guest_cpu"]["runnable_models"]
    enforced = oracle["enforced"]
    assert sorted(enforced) == sorted(guest_oracle.sample(runnable)) and "host" in enforced
    failed = dict((model, answer) for model, answer in enforced.items() if answer[0] != 0)
    assert failed == {}


def test_a_model_the_probe_calls_not_runnable_does_not_start_enforced(amd, oracle):
    models = facts_of(amd, "facts")["guest_cpu"]["models"]
    [(model, (rc, stderr))] = oracle["refused"].items()
    assert not models[model]["runnable"] and rc != 0
    assert any(feature in stderr for feature in models[model]["missing"]), stderr


def test_a_vm_without_svm_names_its_platform_and_how_to_nest(no_svm):
    assert no_svm.sections["load.out"][1] != 0  # insmod kvm-amd refused
    assert "no hardware support for 'kvm_amd'" in no_svm.output("kernel_log")
    found = only_problem(facts_of(no_svm, "facts"))
    assert found["code"] == "device.missing.nested_disabled"
    assert "this host is a virtual machine on QEMU/KVM (DMI: QEMU" in found["message"]
    assert "nested=1" in found["remedy"]


@pytest.fixture(scope="session")
def hyperv(amd):
    return json.loads(amd.output("hyperv"))


def test_the_pool_of_this_kvm_amd_host_configures_every_enlightenment_it_offers(amd):
    facts = facts_of(amd, "facts")
    view = fleet_pools({"amd": facts["guest_cpu"]}, {}, {"amd": facts["hyperv"]})
    block = view["common"]["config"]["hyperv"]
    assert "hv-vapic" in block["enlightenments"] and "hv-evmcs" not in block["enlightenments"]  # eVMCS is Intel's
    assert block["qemu"] == ",".join(block["enlightenments"])


def test_each_hyperv_enlightenment_starts_the_guests_qemu_exactly_as_the_facts_say(hyperv):
    """A real KVM Hyper-V (Debian 12's kernel) under -accel kvm: every enlightenment the facts offer started together, once
    (each start costs seconds under nested TCG), and each other one alone with what it needs."""
    facts = hyperv["facts"]
    print("\n".join("%-20s starts=%-5s qemu=%-5s %s" % (n, e["starts"], hyperv["starts"][n][0], e["missing"] or "")
                    for n, e in facts["enlightenments"].items()))  # the table, with pytest -s
    assert facts["kvm"]["KVM_CAP_HYPERV"] > 0 and facts["hv_cpuid"].startswith("KVM_GET_SUPPORTED_HV_CPUID")
    entries = facts["enlightenments"]
    differences = [(name, words, entries[name]) for name, (started, words) in hyperv["starts"].items()
                   if started != entries[name]["starts"]]
    assert differences == [], "\n".join("%s: QEMU %s; facts %s" % d for d in differences)
    assert [n for n, e in entries.items() if e["offered"] != e["starts"]] == []  # KVM_CAP_HYPERV: nothing dropped
    assert hyperv["passthrough"][0] == facts["passthrough"]["starts"], hyperv["passthrough"]
    assert hyperv["all_offered"][0] is True, hyperv["all_offered"]  # the pool's Hyper-V block starts as a whole


def test_the_intel_only_enlightened_vmcs_is_refused_on_kvm_amd_with_the_kernels_answer(hyperv):
    entry = hyperv["facts"]["enlightenments"]["hv-evmcs"]
    assert entry["starts"] is False and "0x40000004 EAX bit 14 clear" in entry["missing"], entry
    assert hyperv["starts"]["hv-evmcs"][0] is False
