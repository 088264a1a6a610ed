# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a VMM needs beyond /dev/kvm: devices, huge pages, IOMMU, secure guests, module parameters, profiles."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    RequirementError, check_requirements, evaluate)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import page_size_key, parameter_matches
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRACT = os.path.join(HERE, "fixtures", "qemu_7_2_required_caps.txt")
VMM_EXTRACT = os.path.join(HERE, "fixtures", "vmm_required_caps.txt")
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._judge.judging import assert_not_gathered


def facts(kernel=None, subsets=("all",)):
    return gather(list(subsets), kernel=kernel or FakeKernel())


def judge(host_facts, **requirements):
    return evaluate(host_facts, check_requirements(requirements, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm1")


def only(verdict, requirement):
    matches = [c for c in verdict["checks"] if c["requirement"] == requirement]
    assert len(matches) == 1, [c["requirement"] for c in verdict["checks"]]
    return matches[0]


def rejected(**requirements):
    with pytest.raises(RequirementError) as error:
        check_requirements(requirements, BUILTIN_PROFILES)
    return str(error.value)


def without_vhost_net():
    """A kernel with every capability of QEMU 7.2 but no vhost-net (no node, not in /proc/misc)."""
    kernel = FakeKernel()
    for section in BUILTIN_PROFILES["qemu_7_2"]["extensions"].values():
        kernel.caps.update((CAP_NUMBER["KVM_CAP_" + name], 1) for name in section["require"])
    del kernel.nodes["/dev/vhost-net"]
    kernel.sysfs["/proc"]["misc"] = "200 tun\n241 vhost-vsock\n232 kvm"
    return kernel


# ---------------------------------------------------------------- devices ----

def test_devices_that_opened_and_answered_pass():
    verdict = judge(facts(), required_devices=["tun", "vhost-net", "/dev/vhost-vsock"])
    assert [c["requirement"] for c in verdict["checks"] if c["requirement"].startswith("required_devices")] == [
        "required_devices: tun", "required_devices: vhost_net", "required_devices: vhost_vsock"]
    assert only(verdict, "required_devices: tun")["actual"] == "usable"
    assert verdict["status"] == "pass"


def test_a_missing_device_fails_with_the_facts_reason_and_remedy():
    host = facts(without_vhost_net())
    verdict = judge(host, required_devices=["vhost_net"])
    check = only(verdict, "required_devices: vhost_net")
    assert (check["ok"], check["actual"], check["severity"]) == (False, "absent", "fail")
    reason = host["devices"]["vhost_net"]["reason"]
    assert "modprobe vhost_net" in reason and "--device /dev/vhost-net" in reason
    assert check["message"] == "/dev/vhost-net (vhost_net) is absent, the fleet needs it: " + reason
    assert verdict["failures"] == [check["message"]]


def test_a_device_that_exists_but_does_not_open_names_the_errno():
    host = facts()
    host["devices"]["tun"].update(usable=False, can_open_rw=False, open_error="EACCES",
                                  reason="/dev/net/tun: permission denied ...; add nova to group kvm")
    check = only(judge(host, required_devices=["tun"]), "required_devices: tun")
    assert check["actual"] == "not opened (EACCES)"
    assert check["message"].endswith("add nova to group kvm")


def test_devices_not_gathered_say_which_subset_to_add():
    verdict = judge(facts(subsets=["min"]), required_devices=["tun"])
    assert only(verdict, "required_devices: tun")["message"] == "not judged: the devices facts were not gathered"
    assert_not_gathered(verdict, "required_devices", "devices")


def test_unknown_devices_are_rejected_with_suggestions():
    assert "unknown required_devices entry 'vhost_nett' (known: tun, vhost_net, vhost_vsock, vfio, iommufd, sev); " \
           "did you mean vhost_net" in rejected(required_devices=["vhost_nett"])
    assert "required_devices must be a list, got str" in rejected(required_devices="tun")


# -------------------------------------------------------------- hugepages ----

def with_hugepages(host, total=512, free=500, nodes=None):
    host = copy.deepcopy(host)
    host["hugepages"]["sizes"] = {"2048kB": {"size_kb": 2048, "total": total, "free": free},
                                  "1048576kB": {"size_kb": 1048576, "total": 0, "free": 0}}
    host["hugepages"]["nodes"] = nodes or {"node0": {"2048kB": {"size_kb": 2048, "total": total, "free": free}}}
    return host


@pytest.mark.parametrize("spelling, key", [("2M", "2048kB"), ("2MB", "2048kB"), ("2MiB", "2048kB"),
                                           ("2048kB", "2048kB"), ("2048", "2048kB"), (2048, "2048kB"),
                                           ("1G", "1048576kB"), ("1gb", "1048576kB"), ("64K", "64kB")])
def test_page_sizes_are_read_in_every_usual_spelling(spelling, key):
    assert page_size_key(spelling) == key


def test_enough_huge_pages_pass_host_wide_and_per_node():
    verdict = judge(with_hugepages(facts()), hugepages_minimums={"2M": 512, "2048kB": {"node0": 256, "total": 100}})
    checks = [c for c in verdict["checks"] if c["requirement"].startswith("hugepages_minimums")]
    assert [(c["requirement"], c["ok"]) for c in checks] == [
        ("hugepages_minimums: 2048kB", True), ("hugepages_minimums: 2048kB node0", True)]


def test_too_few_huge_pages_say_how_many_and_how_to_reserve_more():
    verdict = judge(with_hugepages(facts(), total=128, free=100), hugepages_minimums={"2M": 1024, "1G": {"0": 4}})
    check = only(verdict, "hugepages_minimums: 2048kB")
    assert (check["expected"], check["actual"]) == (">= 1024", 128)
    assert check["message"] == (
        "2048kB huge pages host-wide: 128 configured (free 100), the fleet requires 1024: write 1024 to "
        "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages (sysctl vm.nr_hugepages=1024 where 2M is the "
        "default size; persist it in /etc/sysctl.d), or boot with hugepagesz=2M hugepages=1024")
    gigantic = only(verdict, "hugepages_minimums: 1048576kB node0")
    assert gigantic["message"].startswith("1048576kB huge pages on node0: this kernel offers no 1048576kB page "
                                          "size (sizes: 2048kB)")


def test_1g_pages_are_reserved_at_boot():
    host = with_hugepages(facts())
    host["hugepages"]["nodes"]["node0"]["1048576kB"] = {"size_kb": 1048576, "total": 1, "free": 1}
    check = only(judge(host, hugepages_minimums={"1G": {"node0": 4}}), "hugepages_minimums: 1048576kB node0")
    assert "reserve them at boot with hugepagesz=1G hugepages=4 on the kernel command line" in check["message"]
    assert "/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages" in check["message"]


def test_an_absent_numa_node_is_named():
    check = only(judge(with_hugepages(facts()), hugepages_minimums={"2M": {"node1": 1}}),
                 "hugepages_minimums: 2048kB node1")
    assert check["message"] == "2048kB huge pages on node1: this host has no NUMA node node1 (nodes: node0)"


def test_hugepages_not_gathered_say_which_subset_to_add():
    assert_not_gathered(judge(facts(subsets=["min"]), hugepages_minimums={"2M": 1}), "hugepages_minimums", "hugepages")


@pytest.mark.parametrize("value, message", [
    ({"2Q": 1}, "hugepages_minimums: unknown page size '2Q': write it as 2M, 1G or 2048kB"),
    ({"2M": -1}, "hugepages_minimums.2M must be a whole number of 0 or more, got -1"),
    ({"2M": {"socket0": 1}}, "hugepages_minimums.2M: unknown NUMA node 'socket0': write node0 or 0 (or total)"),
    ([2], "hugepages_minimums must be a mapping of page size to a count or to {node: count}, got list"),
])
def test_malformed_hugepages_minimums_are_rejected(value, message):
    assert message in rejected(hugepages_minimums=value)


# ------------------------------------------------------------------ iommu ----

def test_no_iommu_fails_with_the_facts_reason():
    host = facts()
    check = only(judge(host, require_iommu=True), "require_iommu")
    assert check["actual"] == "enabled: False, groups: 0, translation: default"
    assert check["message"] == "no active IOMMU (%s): %s" % (check["actual"], host["iommu"]["reason"])
    assert "enable VT-d / AMD-Vi" in check["message"]


def test_an_active_iommu_passes_and_not_gathered_says_so():
    host = facts()
    host["iommu"].update(enabled=True, groups=17, units=["dmar0"], reason=None)
    assert only(judge(host, require_iommu=True), "require_iommu")["ok"] is True
    assert_not_gathered(judge(facts(subsets=["min"]), require_iommu=True), "require_iommu", "iommu")
    assert "require_iommu must be true or false, got 'yes'" in rejected(require_iommu="yes")


# ----------------------------------------------------------- secure guests ----

def test_secure_guests_carry_the_facts_reason():
    host = facts()
    host["secure_guest"]["sev"].update(ready=True, reason=None)
    verdict = judge(host, secure_guest=["sev", "SEV-SNP"])
    assert only(verdict, "secure_guest: sev")["ok"] is True
    snp = only(verdict, "secure_guest: sev_snp")
    assert snp["message"] == "SEV-SNP guests cannot start here: " + host["secure_guest"]["sev_snp"]["reason"]
    assert_not_gathered(judge(facts(subsets=["min"]), secure_guest=["tdx"]), "secure_guest", "secure_guest")
    assert "unknown secure_guest entry 'sev-ns' (known: sev, sev_es, sev_snp, tdx); did you mean sev_es" in \
        rejected(secure_guest=["sev-ns"])


# ------------------------------------------------------- module parameters ----

@pytest.mark.parametrize("key, actual, expected, same", [
    ("kvm_intel.nested", "Y", "Y", True), ("kvm_intel.nested", "Y", "1", True), ("kvm_intel.nested", "Y", "on", True),
    ("kvm_intel.nested", "N", "0", True), ("kvm_intel.nested", "Y", "N", False),
    ("kvm.nx_huge_pages", "never", "never", True), ("kvm.nx_huge_pages", "N", "off", True),
    ("kvm.nx_huge_pages", "never", "N", False), ("kvm.halt_poll_ns", "200000", "200000", True),
    ("kvm.halt_poll_ns", "1", "Y", False),  # an integer, not a switch
    ("kvm_amd.nested", "1", "Y", True), ("kvm_amd.nested", "0", "Y", False),  # documented as a switch
])
def test_parameters_compare_as_the_kernel_prints_and_reads_them(key, actual, expected, same):
    assert parameter_matches(key, actual, expected) is same


def test_module_parameters_pass_fail_and_name_the_remedy():
    host = facts()
    host["parameters"]["kvm"]["nx_huge_pages"] = "auto"
    verdict = judge(host, module_parameters={"kvm_intel.nested": True, "kvm-intel.ept": "1",
                                             "kvm.nx_huge_pages": "never"})
    assert only(verdict, "module_parameters: kvm_intel.nested")["expected"] == "Y"  # YAML's unquoted Y
    assert only(verdict, "module_parameters: kvm_intel.ept")["ok"] is True
    check = only(verdict, "module_parameters: kvm.nx_huge_pages")
    assert (check["ok"], check["actual"]) == (False, "auto")
    assert check["message"] == ("kvm.nx_huge_pages is 'auto', the fleet requires 'never': set 'options kvm "
                                "nx_huge_pages=never' in /etc/modprobe.d/kvm.conf and reload kvm (or boot with "
                                "kvm.nx_huge_pages=never)")


def test_a_module_not_loaded_or_a_parameter_not_readable_is_named():
    verdict = judge(facts(), module_parameters={"kvm_amd.npt": "Y", "kvm_intel.nestd": "Y"})
    assert only(verdict, "module_parameters: kvm_amd.npt")["message"].startswith(
        "kvm_amd is not loaded on this host (loaded: kvm, kvm_intel): modprobe kvm_amd")
    assert only(verdict, "module_parameters: kvm_intel.nestd")["message"].startswith(
        "kvm_intel has no readable parameter nestd; did you mean nested? (it has 2 others;")
    assert_not_gathered(judge(facts(subsets=["min"]), module_parameters={"kvm.halt_poll_ns": "0"}),
                        "module_parameters", "parameters")


@pytest.mark.parametrize("value, message", [
    ({"nested": "Y"}, "module_parameters: 'nested' is not module.parameter, e.g. kvm_intel.nested"),
    ({"kvm_intl.nested": "Y"}, "unknown module 'kvm_intl' in 'kvm_intl.nested'"),
    ({"kvm.halt_poll_ns": None}, "module_parameters.kvm.halt_poll_ns must be a value as the kernel prints it"),
])
def test_malformed_module_parameters_are_rejected(value, message):
    text = rejected(module_parameters=value)
    assert message in text
    if "kvm_intl" in message:
        assert "did you mean kvm_intel" in text


# --------------------------------------------------------------- profiles ----

def test_every_builtin_profile_records_release_verification_and_sources():
    for name, profile in BUILTIN_PROFILES.items():
        assert profile["release"] and profile["verified"].split(":", 1)[0] in ("yes", "partly"), name
        for section in profile["extensions"].values():
            assert section["source"], name
    assert BUILTIN_PROFILES["qemu_7_2"]["verified"].startswith("yes")
    # where no version file was stored at the commit read, the profile says the release is inferred
    for name in ("qemu", "firecracker", "cloud_hypervisor", "kata"):
        assert "no version file is stored at that commit" in BUILTIN_PROFILES[name]["release"], name


def test_every_builtin_profile_is_exactly_the_extract_of_its_vmms_source():
    with open(VMM_EXTRACT) as handle:
        extract = parse_extract(handle.read())
    for key, names in sorted(extract.items()):
        name, section = key.split(".")
        profile = BUILTIN_PROFILES[name]
        if section == "devices":
            assert profile["devices"]["require"] == names, key
        elif section == "devices_warn":
            assert profile["devices"]["warn"] == names, key
        else:
            assert profile["extensions"][section]["require"] == names, key
    for name in ("qemu", "firecracker", "cloud_hypervisor", "kata"):  # no list of a profile is left unread
        sections = set("%s.%s" % (name, s) for s, entry in BUILTIN_PROFILES[name]["extensions"].items() if entry["require"])
        assert sections <= set(extract), name
    assert "min_api_version" not in BUILTIN_PROFILES["kata"]  # genericKvmIsUsable checks no API version
    assert BUILTIN_PROFILES["kata"]["require_vm_creation"] is True


def test_the_profiles_name_the_devices_each_vmm_opens():
    assert BUILTIN_PROFILES["firecracker"]["devices"]["require"] == ["tun"]
    # kata-check_*.go archRequiredKernelModules: vhost_net required: true, vhost_vsock required: false
    assert (BUILTIN_PROFILES["kata"]["devices"]["require"], BUILTIN_PROFILES["kata"]["devices"]["warn"]) == (["vhost_net"], ["vhost_vsock"])
    for name in ("qemu", "qemu_7_2"):
        assert (BUILTIN_PROFILES[name]["devices"]["require"], BUILTIN_PROFILES[name]["devices"]["warn"]) == (["tun"], ["vhost_net"])
    assert "ARM_VM_IPA_SIZE" not in str(BUILTIN_PROFILES["kata"]["extensions"])  # Kata only prints it


def parse_extract(text):
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            section, _sep, names = line.partition(":")
            found[section] = names.split()
    return found


def test_the_qemu_7_2_profile_is_exactly_the_committed_extract_of_its_source():
    with open(EXTRACT) as handle:
        text = handle.read()
    assert "# version: 7.2.22" in text and "deb12u18" in text
    extract = parse_extract(text)
    assert sorted(extract) == ["aarch64", "all", "x86_64"]
    profile = BUILTIN_PROFILES["qemu_7_2"]["extensions"]
    assert dict((s, profile[s]["require"]) for s in extract) == extract
    assert extract["aarch64"] == []  # QEMU 7.2's arm list is empty, not DEVICE_CTRL


def test_profile_devices_are_checked_with_the_profiles_severity():
    verdict = judge(facts(without_vhost_net()), profiles=["qemu_7_2"])
    vhost = only(verdict, "profile qemu_7_2: vhost_net")
    assert (vhost["ok"], vhost["severity"]) == (False, "warn")
    assert vhost["message"].startswith("/dev/vhost-net (vhost_net) is absent, QEMU 7.2 (Debian 12) needs it: ")
    assert only(verdict, "profile qemu_7_2: tun")["severity"] == "fail"
    assert verdict["status"] == "pass" and verdict["warnings"] == [vhost["message"]]
    assert "qemu_7_2" in verdict["summary"]["profiles_met"]
    kata = judge(facts(without_vhost_net()), profiles=["kata"])
    assert kata["status"] == "fail" and kata["failures"][0].startswith(
        "/dev/vhost-net (vhost_net) is absent, Kata Containers needs it: ")


def test_a_custom_profile_with_an_unknown_device_is_rejected():
    profiles = dict(BUILTIN_PROFILES, mine={"title": "mine", "devices": {"require": ["tap"]}})
    with pytest.raises(RequirementError) as error:
        check_requirements({"profiles": ["mine"]}, profiles)
    assert "profile 'mine': unknown device 'tap' in devices.require" in str(error.value)


@pytest.mark.parametrize("module, name, value, code", [
    ("kvm_amd", "npt", "N", "parameter.shadow_paging"), ("kvm_intel", "ept", "0", "parameter.shadow_paging"),
    ("kvm_intel", "vpid", "N", "parameter.vpid_off"),
    ("kvm_intel", "unrestricted_guest", "N", "parameter.unrestricted_guest_off"),
    ("kvm_intel", "enable_apicv", "N", "parameter.apicv_off")])
def test_a_parameter_that_makes_guests_slow_is_a_warning_with_its_code_and_source(module, name, value, code):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import slow_parameter_checks
    facts = {"parameters": {module: {name: value, "nested": "1"}}}
    found = slow_parameter_checks(facts)
    assert [(c["code"], c["subject"], c["severity"], c["ok"]) for c in found] == [
        (code, "%s.%s" % (module, name), "warn", False)]
    assert "arch/x86/kvm/" in found[0]["message"] and "remove %s=%s" % (name, value) in found[0]["remedy"]
    facts["parameters"][module][name] = "Y"
    assert slow_parameter_checks(facts) == []
    assert slow_parameter_checks({"parameters": "garbage"}) == [] and slow_parameter_checks({}) == []
