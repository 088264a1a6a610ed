# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every recorded machine, judged for every QEMU release recorded on it, must be what that QEMU answered there.

The recordings (tests/fixtures/machines/) hold each machine's KVM answers and each release's
query-cpu-definitions and `host` expansion: this runs on any CPU, and a rule of QEMU's that is missing here
fails on the machine where it fires. Each host-dependent rule (qemu_rules.py) is also shown to matter: turned
off, the machines where it fires disagree with QEMU.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import guest_cpu as g
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_rules
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import (
    builtin_models, known_features, nearest_table)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.machines import (
    RecordedKernel, differences_from_qemu, expected_features, expected_models, machine_names, qemu_answers,
    recorded_pairs)

PAIRS = recorded_pairs()


def judged(name, release):
    kernel = RecordedKernel(name)
    facts = gather.gather(["guest_cpu"], kernel=kernel, qemu_version=[release])
    assert kernel.leaks() == []
    return facts["guest_cpu"]


def differences(name, release, guest=None):
    """What the probe says that QEMU did not, on a recorded machine: [(what, ours, qemu)]."""
    return differences_from_qemu(guest or judged(name, release), qemu_answers(name)[release], release)


def test_there_are_machines_of_both_vendors_and_every_release():
    vendors = set(RecordedKernel(name).cpuid[0][4:7] for name in machine_names())
    assert len(vendors) >= 2, vendors  # GenuineIntel and AuthenticAMD at least
    for name in machine_names():
        assert sorted(qemu_answers(name)) == ["10.0", "11.1", "7.2"], name


@pytest.mark.parametrize("name,release", PAIRS)
def test_the_probe_says_what_that_qemu_said_on_that_machine(name, release):
    answer = qemu_answers(name)[release]
    assert nearest_table(answer["version"]) == release
    guest = judged(name, release)
    assert guest["qemu_version"] == builtin_models(release)["qemu_version"] == answer["version"]
    assert sorted(guest["models"]) == sorted(expected_models(answer))  # every model, no more
    assert differences(name, release, guest) == []
    assert set(guest["features"]) <= known_features(release)  # only names that release knows


@pytest.mark.parametrize("name,release", PAIRS)
def test_what_the_host_model_leaves_off_is_what_a_user_can_turn_on(name, release):
    guest = judged(name, release)
    _on, off = expected_features(qemu_answers(name)[release], known_features(release))
    for feature, why in guest["off_by_default"].items():
        assert feature in off and why, feature
    assert "invtsc" not in guest["features"] and "kvm-hint-dedicated" in guest["off_by_default"]


# Each rule the recordings prove: turned off, some recorded (machine, release) disagrees with QEMU. "all": it fires
# on every recording (whatever the host, QEMU's answer needs it), so no recording can show it idle.
PROVEN_BY_RECORDINGS = {
    "host-cpuid-bits": "some", "arch-cap-amd": "some", "fb-clear": "some", "cpuid-mca-recovery": "some",
    "mca-recovery-amd-only": "some", "host-no-autoenable-ht": "some", "feature-dependencies": "some",
    "cpuid-topoext": "all", "host-no-autoenable": "all", "host-migratable": "all",
}
# The rules no recorded machine exercises, each with the fake-kernel test (test_guest_cpu.py) that holds it. The
# first six add bits that current kernels report themselves; the others need what no recording has (no in-kernel
# irqchip, a Haswell with broken TSX, Linux 4.17-4.20, VMX, intel-pt, AMX's arch_prctl components, more than one
# thread per package).
PROVEN_BY_FAKE_KERNEL = {
    "cpuid-legacy-edx": "test_qemu_adds_what_it_can_always_offer",
    "cpuid-hypervisor": "test_qemu_adds_what_it_can_always_offer",
    "cpuid-arat": "test_qemu_adds_what_it_can_always_offer",
    "kvm-hint-realtime": "test_qemu_adds_what_it_can_always_offer",
    "cpuid-ht": "test_qemu_adds_what_it_can_always_offer",
    "cpuid-amd-aliases": "test_amd_aliases_are_copied_from_leaf_1",
    "pv-unhalt-irqchip": "test_tsc_deadline_and_x2apic_need_the_in_kernel_irqchip",
    "tsx-broken": "test_tsx_is_dropped_on_haswell_parts_with_broken_tsx",
    "arch-cap-msr-listed": "test_arch_capabilities_needs_its_msr_in_the_index_list",
    "vmx-ctls2-backfill": "test_procbased_ctls2_is_backfilled_when_kvm_does_not_list_it",
    "vmx-may-be-one": "test_vmx_controls_offer_the_bits_that_may_be_one_but_need_not_be",
    "intel-pt-leaf": "test_intel_pt_needs_leaf_0x14_to_offer_enough",
    "xcomp-guest-supp": "test_xcomp_guest_supp_replaces_the_xcr0_of_leaf_0xd",
    "xsave-components": "test_a_model_lacks_a_feature_whose_xsave_state_kvm_cannot_enable",
}


def test_every_rule_is_proven_somewhere():
    from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils._cpu import test_guest_cpu
    assert sorted(set(PROVEN_BY_RECORDINGS) | set(PROVEN_BY_FAKE_KERNEL)) == sorted(qemu_rules.RULE)
    assert not set(PROVEN_BY_RECORDINGS) & set(PROVEN_BY_FAKE_KERNEL)
    for rule, test in PROVEN_BY_FAKE_KERNEL.items():
        assert callable(getattr(test_guest_cpu, test, None)), (rule, test)


@pytest.mark.parametrize("rule", sorted(PROVEN_BY_RECORDINGS))
def test_each_rule_is_needed_where_it_fires_and_idle_where_it_does_not(rule, monkeypatch):
    real = qemu_rules.applies
    monkeypatch.setattr(g, "applies", lambda rule_id, release: rule_id != rule and real(rule_id, release))
    fires = [pair for pair in PAIRS if differences(*pair)]
    assert fires, "%s changes nothing on any recorded machine" % rule
    if PROVEN_BY_RECORDINGS[rule] == "some":
        assert len(fires) < len(PAIRS), "%s fires on every recorded machine: %s" % (rule, fires)


def test_the_vendor_rules_touch_no_named_model():
    """vendor_words applies QEMU's vendor rules to the host model only: no AMD model asks for arch-capabilities,
    and only AMD models ask for overflow-recov or succor. A release that breaks this needs the model's vendor."""
    amd_prefixes = ("EPYC", "Opteron", "phenom", "athlon")
    for release in ("7.2", "10.0", "11.1"):
        for model, features in builtin_models(release)["features"].items():
            if model.startswith(amd_prefixes):
                assert "arch-capabilities" not in features, model
            elif "overflow-recov" in features or "succor" in features:
                raise AssertionError("%s is not AMD and asks for MCA recovery" % model)
