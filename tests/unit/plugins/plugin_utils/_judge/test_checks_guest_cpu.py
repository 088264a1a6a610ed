# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest CPU requirements through the evaluator: facts from the fake kernel, verdicts that name what is missing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import guest_cpu as g
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import GUEST_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import BUILTIN_PROFILES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import (
    RequirementError, check_requirements, evaluate)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import LEVEL_NAMES, level_requirements
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeKernel
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils._cpu.test_guest_cpu import entries_for

GUEST_REQUIREMENTS = ("min_guest_cpu_level", "required_cpu_models", "required_cpu_features")
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._judge.judging import assert_not_gathered


def nehalem_kernel():
    """A fake kernel offering exactly QEMU's Nehalem-v1 (an x86-64-v2 model)."""
    kernel = FakeKernel()
    kernel.cpuid = entries_for(g.builtin_models()["features"]["Nehalem-v1"])
    return kernel


def facts_of(kernel, subsets=("all",)):
    return gather(list(subsets), kernel=kernel)


def judge(facts, **requirements):
    return evaluate(facts, check_requirements(requirements, BUILTIN_PROFILES), BUILTIN_PROFILES, host="kvm1")


def guest_checks(verdict):
    return [c for c in verdict["checks"] if c["requirement"] in GUEST_REQUIREMENTS]


@pytest.fixture(scope="module")
def nehalem():
    facts = facts_of(nehalem_kernel())
    assert facts["guest_cpu"]["level"] == "x86-64-v2", facts["guest_cpu"]
    return facts


def test_no_guest_cpu_requirement_adds_no_check_but_the_summary_shows_level_and_pool(nehalem):
    verdict = judge(nehalem)
    assert guest_checks(verdict) == []
    assert verdict["summary"]["guest_cpu_level"] == "x86-64-v2"
    assert verdict["summary"]["guest_cpu_pool"] == fingerprint(nehalem["guest_cpu"]["features"])


# -- min_guest_cpu_level ------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVEL_NAMES)
def test_each_level_passes_up_to_the_hosts_and_fails_above_naming_exactly_what_is_missing(nehalem, level):
    [result] = guest_checks(judge(nehalem, min_guest_cpu_level=level))
    lacking = sorted(set(level_requirements(level)) - set(nehalem["guest_cpu"]["features"]))
    assert result["requirement"] == "min_guest_cpu_level" and result["expected"] == level
    assert result["actual"] == "x86-64-v2"
    assert result["ok"] is (not lacking)
    if lacking:
        assert "below %s" % level in result["message"] and ", ".join(lacking) in result["message"]
    else:
        assert result["message"] is None


def test_a_v1_host_misses_v2_by_the_features_the_facts_name(nehalem):
    kernel = FakeKernel()
    kernel.cpuid = entries_for(level_requirements("x86-64-v1"))
    facts = facts_of(kernel)
    verdict = judge(facts, min_guest_cpu_level="x86-64-v2")
    assert verdict["status"] == "fail"
    assert ("KVM does not offer guests %s" % ", ".join(facts["guest_cpu"]["missing_for_next_level"])
            in verdict["failures"][-1])


@pytest.mark.parametrize("profile", sorted(GUEST_PROFILES))
def test_a_guest_profile_is_its_level_with_a_short_citation_of_its_source(nehalem, profile):
    data = GUEST_PROFILES[profile]
    [result] = guest_checks(judge(nehalem, min_guest_cpu_level=profile))
    assert result["expected"] == data["min_guest_cpu_level"]
    assert result["ok"] is (LEVEL_NAMES.index(data["min_guest_cpu_level"]) <= 1)
    assert len(data["cite"]) < 60 and data["cite"].split(",")[0].split(" ")[0] in data["source"]
    if not result["ok"]:  # every failing host repeats it: the full source is in the docs, not in each message
        assert data["title"] in result["message"] and data["cite"] in result["message"]
        assert data["source"] not in result["message"] and len(result["message"]) < 400


# -- required_cpu_models ------------------------------------------------------------------------

def test_required_models_pass_when_runnable_and_name_the_missing_features_otherwise(nehalem):
    verdict = judge(nehalem, required_cpu_models=["Nehalem", "Haswell-v1"])
    nehalem_check, haswell = guest_checks(verdict)
    assert nehalem_check["ok"] is True and nehalem_check["actual"] == "runnable"
    missing = nehalem["guest_cpu"]["models"]["Haswell-v1"]["missing"]
    assert "avx2" in missing
    assert haswell["ok"] is False and haswell["actual"] == "not runnable"
    assert haswell["message"] == "QEMU CPU model Haswell-v1 cannot run here: KVM does not offer %s" % ", ".join(missing)


def test_probing_only_the_required_models_gives_the_same_verdict_as_probing_them_all():
    full = facts_of(nehalem_kernel())
    asked = gather(["all"], kernel=nehalem_kernel(), cpu_models=["Nehalem", "Haswell-v1"])
    assert sorted(asked["guest_cpu"]["models"]) == ["Haswell-v1", "Nehalem"]
    assert asked["guest_cpu"]["models_complete"] is False and full["guest_cpu"]["models_complete"] is True
    assert asked["guest_cpu"]["runnable_models"] == full["guest_cpu"]["runnable_models"]  # always complete
    for model in ("Nehalem", "Haswell-v1"):
        assert asked["guest_cpu"]["models"][model] == full["guest_cpu"]["models"][model]
    requirements = {"required_cpu_models": ["Nehalem", "Haswell-v1"]}
    assert guest_checks(judge(asked, **requirements)) == guest_checks(judge(full, **requirements))


def test_a_required_model_the_probe_did_not_detail_is_judged_by_runnable_models_and_says_how_to_detail_it():
    facts = gather(["all"], kernel=nehalem_kernel(), cpu_models=[])
    assert facts["guest_cpu"]["models"] == {}
    runnable, not_runnable = guest_checks(judge(facts, required_cpu_models=["Nehalem", "Haswell-v1"]))
    assert runnable["ok"] is True and runnable["actual"] == "runnable"
    assert not_runnable["ok"] is False and not_runnable["actual"] == "not runnable"
    assert "cpu_models including Haswell-v1" in not_runnable["message"]
    assert "kvm_validate_cpu_models" in not_runnable["message"]
    assert "unknown" not in not_runnable["message"]  # it is a known model, only not detailed


def test_a_required_model_of_a_later_qemu_than_the_one_judged_names_the_release_that_brought_it():
    facts = gather(["all"], kernel=nehalem_kernel(), qemu_version=["7.2"], cpu_models=["EPYC-Genoa", "Nehalem"])
    genoa, nehalem_check = guest_checks(judge(facts, required_cpu_models=["EPYC-Genoa", "Nehalem"]))
    assert nehalem_check["ok"] is True
    assert genoa["ok"] is False and genoa["code"] == "guest_cpu.model_not_in_release" and genoa["subject"] == "EPYC-Genoa"
    assert genoa["actual"] == "not in QEMU 7.2.22"
    assert genoa["message"] == ("QEMU CPU model EPYC-Genoa is not in QEMU 7.2.22, the release this host is judged for "
                                "(as requested by qemu_version); it came with QEMU 10.0")
    assert genoa["remedy"].startswith("run QEMU 10.0 or newer on this host")
    newer = gather(["all"], kernel=nehalem_kernel(), qemu_version=["10.0"], cpu_models=["EPYC-Genoa"])
    (judged,) = guest_checks(judge(newer, required_cpu_models=["EPYC-Genoa"]))
    assert judged["code"] == "guest_cpu.model" and judged["actual"] == "not runnable"  # known there: what it lacks


def test_unknown_cpu_models_are_refused_with_suggestions_before_anything_is_probed():
    kernel = nehalem_kernel()
    first_fd = kernel.next_fd
    with pytest.raises(ValueError) as raised:
        gather(["all"], kernel=kernel, cpu_models=["Nehalm", "Haswell-v1", "no-such-cpu"])
    message = str(raised.value)
    assert "'Nehalm' (did you mean Nehalem" in message and "'no-such-cpu'" in message
    assert "Haswell-v1" not in message  # known names are not listed
    assert kernel.next_fd == first_fd  # refused before any device was opened


# -- required_cpu_features ----------------------------------------------------------------------

def test_required_features_are_judged_against_the_full_set_in_any_accepted_spelling(nehalem):
    # sse4_2 and sse3 are the old map's (Linux's) names; popcnt is QEMU's; none is in the curated map's x86-64-v2 view
    [result] = guest_checks(judge(nehalem, required_cpu_features=["sse4_2", "sse3", "popcnt", "lahf_lm"]))
    assert result["ok"] is True and result["expected"] == ["lahf-lm", "pni", "popcnt", "sse4.2"]
    [result] = guest_checks(judge(nehalem, required_cpu_features=["avx2", "sse4.2", "avx512_vnni"]))
    assert result["ok"] is False and result["actual"] == ["sse4.2"]
    assert result["message"] == "KVM does not offer guests the CPU features avx2, avx512vnni"


def test_the_requirements_in_effect_use_qemus_names_once():
    merged = check_requirements({"required_cpu_features": ["sse4_2", "sse3", "sse4.2", "pni"]}, BUILTIN_PROFILES)
    assert merged["required_cpu_features"] == ["sse4.2", "pni"]
    assert merged["min_guest_cpu_level"] is None and merged["required_cpu_models"] == []


# -- no facts, other architectures, unknown names ------------------------------------------------

ALL_THREE = {"min_guest_cpu_level": "x86-64-v2", "required_cpu_models": ["Nehalem"], "required_cpu_features": ["avx2"]}


def test_without_guest_cpu_facts_each_requirement_is_blocked_by_the_one_missing_subset():
    facts = facts_of(nehalem_kernel(), ["min", "cpuid"])
    assert "guest_cpu" not in facts
    verdict = judge(facts, **ALL_THREE)
    checks = guest_checks(verdict)
    assert [c["requirement"] for c in checks] == list(GUEST_REQUIREMENTS)
    for requirement in GUEST_REQUIREMENTS:
        assert_not_gathered(verdict, requirement, "guest_cpu")


def test_on_another_architecture_each_requirement_fails_saying_so_never_passes():
    facts = facts_of(FakeKernel("aarch64"))
    assert "skipped" in facts["guest_cpu"]
    checks = guest_checks(judge(facts, **ALL_THREE))
    assert len(checks) == 3
    for result in checks:
        assert result["ok"] is False
        assert "x86 only; this host is aarch64" in result["message"] and "x86 hosts only" in result["message"]


@pytest.mark.parametrize("requirements, messages", [
    ({"min_guest_cpu_level": "x86-64-v5"}, ["unknown min_guest_cpu_level 'x86-64-v5'", "did you mean x86-64-v"]),
    ({"min_guest_cpu_level": "rhel"}, ["unknown min_guest_cpu_level 'rhel'", "did you mean rhel"]),
    ({"min_guest_cpu_level": ["x86-64-v2"]}, ["min_guest_cpu_level must be a level or a guest profile name"]),
    ({"required_cpu_models": ["Haswel"]}, ["unknown QEMU CPU model 'Haswel'", "did you mean Haswell"]),
    ({"required_cpu_features": ["sse4.3"]}, ["unknown CPU feature 'sse4.3' in required_cpu_features", "sse4.2"]),
    ({"required_cpu_features": ["avx-512f"]}, ["unknown CPU feature 'avx-512f'", "did you mean avx512f"]),
])
def test_unknown_names_are_rejected_before_any_host_with_suggestions(requirements, messages):
    with pytest.raises(RequirementError) as raised:
        check_requirements(requirements, BUILTIN_PROFILES)
    for message in messages:
        assert message in str(raised.value)


def test_every_unknown_name_is_listed_at_once():
    with pytest.raises(RequirementError) as raised:
        check_requirements({"min_guest_cpu_level": "v9", "required_cpu_models": ["Nehalen"],
                            "required_cpu_features": ["avx3"]}, BUILTIN_PROFILES)
    assert "'v9'" in str(raised.value) and "'Nehalen'" in str(raised.value) and "'avx3'" in str(raised.value)


def disagreeing(nehalem):
    facts = dict(nehalem)
    facts["guest_cpu"] = dict(facts["guest_cpu"], qemu_check={
        "version": "10.0.13", "binary": "/usr/bin/qemu-system-x86_64", "agree": False, "elapsed_ms": 120.5,
        "differences": [{"model": "Icelake-Server-v8", "ours": ["fb-clear"], "qemu": []},
                        {"model": "host", "ours": [], "qemu": ["fb-clear"]}]})
    return facts


def test_qemus_own_answer_differing_is_a_warning_naming_the_model_and_the_feature_in_every_report(nehalem):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
    from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._report.fleets import rendered
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.summary import render_summary
    verdict = judge(disagreeing(nehalem))
    warned = [c for c in verdict["checks"] if c.get("code") == "guest_cpu.qemu_disagrees"]
    assert [(c["subject"], c["severity"]) for c in warned] == [("Icelake-Server-v8", "warn"), ("host", "warn")]
    assert "Icelake-Server-v8 lacks nothing (it runs); the probe said fb-clear" in warned[0]["message"]
    assert "has fb-clear" in warned[1]["message"] and "record.sh" in warned[0]["remedy"]
    assert verdict["passed"] == judge(nehalem)["passed"]  # a warning never gates
    fleet = build_fleet(["h1"], {"h1": verdict}, "2026-12-07T00:00:00Z")
    for text in (render_markdown(fleet), rendered("junit", fleet), "\n".join(render_summary(fleet, {}))):
        assert "guest_cpu.qemu_disagrees" in text and "Icelake-Server-v8" in text and "fb-clear" in text, text[:3000]


def test_agreement_or_no_check_adds_nothing(nehalem):
    facts = disagreeing(nehalem)
    facts["guest_cpu"]["qemu_check"] = {"version": "10.0.13", "agree": True, "differences": []}
    assert not [c for c in judge(facts)["checks"] if c.get("code") == "guest_cpu.qemu_disagrees"]
    assert not [c for c in judge(nehalem)["checks"] if c.get("code") == "guest_cpu.qemu_disagrees"]
