# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CPU configuration each pool should use, on synthetic fleets."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet import cpu_config as c
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools


def host(*models, extra=()):
    """guest_cpu facts of a host that offers exactly what `models` ask for (and `extra`), and runs them."""
    features = set(extra)
    for model in models:
        features.update(c.model_features(model))
    return {"features": sorted(features), "runnable_models": sorted(set(models) | {"host", "max", "base"})}


def test_the_best_model_asks_for_the_most_features_and_has_a_name_libvirt_knows():
    ranked = c.ranked_candidates(["Nehalem", "Nehalem-v1", "Haswell-noTSX", "Westmere", "host", "max", "qemu64"])
    assert ranked[0] == "Haswell-noTSX" and "Nehalem-v1" not in ranked  # versioned names are QEMU's only
    assert "host" not in ranked and "max" not in ranked
    assert [len(c.model_features(m)) for m in ranked] == sorted((len(c.model_features(m)) for m in ranked), reverse=True)


def test_a_pools_config_for_qemu_libvirt_nova_and_kubevirt():
    view = fleet_pools({"a": host("Haswell-noTSX", "Westmere", "Nehalem", "SandyBridge", extra=["vmx"]),
                        "b": host("Haswell-noTSX", "Westmere", "Nehalem", "SandyBridge", extra=["vmx"])})
    config = view["pools"][0]["config"]
    assert config["model"] == "Haswell-noTSX"
    assert config["runners_up"] == ["SandyBridge", "Westmere", "Nehalem"]
    assert config["qemu"] == "-cpu Haswell-noTSX,enforce"
    assert config["libvirt"] == ("<cpu mode='custom' match='exact' check='full'><model fallback='forbid'>"
                                 "Haswell-noTSX</model></cpu>")
    # Nova's option help: "the more common and less advanced CPU models are listed earlier"
    assert config["nova"] == {"cpu_mode": "custom", "cpu_models": ["Nehalem", "Westmere", "SandyBridge", "Haswell-noTSX"]}
    assert c.nova_conf(config) == "[libvirt]\ncpu_mode = custom\ncpu_models = Nehalem,Westmere,SandyBridge,Haswell-noTSX\n"
    assert config["kubevirt"] == {"path": "spec.domain.cpu.model", "model": "Haswell-noTSX",
                                  "node_label": "cpu-model.node.kubevirt.io/Haswell-noTSX"}
    assert "vmx" in config["lost"] and not set(config["lost"]) & set(c.model_features("Haswell-noTSX"))
    assert view["common"]["config"]["model"] == "Haswell-noTSX"


def test_host_dependent_and_deprecated_models_are_never_offered_for_migration(monkeypatch):
    view = fleet_pools({"a": host("Nehalem", "Westmere"), "b": host("Nehalem")})
    for pool in view["pools"]:
        assert not {"host", "max"} & set(pool["runnable_models"])
        assert pool["config"]["model"] not in ("host", "max")
    assert not {"host", "max"} & set(view["common"]["runnable_models"])
    assert view["common"]["host_dependent_models"] == ["host", "max"]
    monkeypatch.setattr(c, "DEPRECATED", frozenset(["Westmere"]))
    assert c.cpu_config(["Westmere", "Nehalem"], [])["model"] == "Nehalem"


def test_a_pool_without_a_candidate_has_no_config():
    assert c.cpu_config(["host", "max", "Nehalem-v1"], ["fpu"]) is None
    view = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["host", "max"]}})
    assert view["pools"][0]["config"] is None and view["common"]["config"] is None


def test_a_64_bit_model_comes_first_and_a_32_bit_choice_says_what_a_64_bit_guest_needs():
    # pentium3 asks for more features than qemu64 would here, but a pool that offers lm wants a 64-bit model
    features = set(c.model_features("pentium3")) | set(c.model_features("qemu64"))
    assert c.cpu_config(["pentium3", "qemu64", "486"], sorted(features))["model"] == "qemu64"
    assert "note" not in c.cpu_config(["pentium3", "qemu64"], sorted(features))
    # without SSE3 (pni) no 64-bit model runs: the 32-bit choice says so, with the nearest 64-bit model and its fix
    no_pni = sorted(set(features) - {"pni"})
    config = c.cpu_config(["pentium3", "486"], no_pni)
    assert config["model"] == "pentium3"
    near = config["nearest_64_bit"]
    assert near["lacks"] == ["pni"] and "lm" in c.model_features(near["model"])
    assert near["qemu"] == "-cpu %s,-pni,enforce" % near["model"]
    assert config["note"].startswith("no 64-bit model runs on every host: the nearest, %s, lacks pni. pentium3 boots "
                                     "32-bit guests only" % near["model"])
    # a pool without lm (a 32-bit host) is not told about 64-bit models
    assert "note" not in c.cpu_config(["pentium3"], sorted(set(no_pni) - {"lm"}))
