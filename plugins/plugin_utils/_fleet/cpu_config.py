# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest CPU configuration a migration pool (or the whole fleet) should use (controller side, pure).

The rule, the same for every pool:
  candidates: the models every host of the pool runs that QEMU marks migration-safe and no release
    marks deprecated, under an unversioned name (Haswell-noTSX-IBRS, EPYC-Rome): libvirt's CPU map,
    and so Nova and KubeVirt, know models by those names only; a versioned name (EPYC-Rome-v4) is QEMU's;
  best: a 64-bit model (one asking for lm) first when the pool offers lm, then the candidate whose model
    asks for the most CPU features (ties: the name); the runners-up are the next three. When no 64-bit
    model runs on every host of a pool that offers lm, the model chosen boots 32-bit guests only: the
    config says so in `note` and gives `nearest_64_bit`, the 64-bit model that lacks the fewest features,
    with the QEMU option that starts it without them.
Given for QEMU (-cpu NAME,enforce), libvirt (<cpu mode='custom' match='exact'>), Nova ([libvirt]
cpu_mode = custom and cpu_models, ordered as Nova's option help asks: "the more common and less advanced
CPU models are listed earlier", so the best comes last) and KubeVirt (spec.domain.cpu.model, and the node
label KubeVirt puts on the nodes that run it). `lost` is what a guest gives up against host-passthrough:
the features every host of the pool offers that the best model does not ask for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.hyperv import NAMES as HYPERV_NAMES
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import builtin_models

RUNNERS_UP = 3
NEWEST = builtin_models()  # models are only ever added: the newest table has every model's features
NOT_MIGRATION_SAFE: frozenset[str] = frozenset(name for names in qemu_models.HOST_DEPENDENT.values() for name in names)
DEPRECATED: frozenset[str] = frozenset().union(*qemu_models.DEPRECATED.values())
KUBEVIRT_LABEL = "cpu-model.node.kubevirt.io/%s"


def model_features(name: str) -> Any:
    """The features a named model asks for (an alias: its model's), or None for a name no table has."""
    return NEWEST["features"].get(NEWEST["aliases"].get(name, name))


def _candidate(name: str) -> bool:
    return name in NEWEST["aliases"] and name not in NOT_MIGRATION_SAFE and name not in DEPRECATED \
        and NEWEST["aliases"][name] not in DEPRECATED


def ranked_candidates(models: Iterable[str], features: Collection[str] = ()) -> list[str]:
    """The pool's candidate models, best first (the rule in the module docstring)."""
    long_mode = "lm" in features
    return sorted((name for name in models if _candidate(name)),
                  key=lambda name: (not (long_mode and "lm" in model_features(name)), -len(model_features(name)), name))


def nearest_64_bit(features: Iterable[str]) -> dict[str, Any]:
    """{"model", "lacks", "qemu"} of the 64-bit candidate that lacks the fewest of the pool's `features` (ties: the
    one asking for the most), and the QEMU option that starts it without them on every host of the pool."""
    features = set(features)
    lacking = [(sorted(set(model_features(name)) - features), name) for name in NEWEST["aliases"]
               if _candidate(name) and "lm" in model_features(name)]
    missing, nearest = min(lacking, key=lambda item: (len(item[0]), -len(model_features(item[1])), item[1]))
    return {"model": nearest, "lacks": missing, "qemu": "-cpu %s,%s,enforce" % (nearest, ",".join("-" + f for f in missing))}


def libvirt_cpu(model: str) -> str:
    """The domain XML's <cpu> element, on one line (fleet.json keeps every text on one line)."""
    return "<cpu mode='custom' match='exact' check='full'><model fallback='forbid'>%s</model></cpu>" % model


def nova_conf(config: dict[str, Any]) -> str:
    """The nova.conf lines of a config."""
    return "[libvirt]\ncpu_mode = %s\ncpu_models = %s\n" % (config["nova"]["cpu_mode"], ",".join(config["nova"]["cpu_models"]))


def kubevirt_yaml(config: dict[str, Any]) -> str:
    """The VirtualMachineInstance spec fragment of a config (spec.domain.cpu.model)."""
    return "spec:\n  domain:\n    cpu:\n      model: %s\n" % config["kubevirt"]["model"]


# libvirt's names of QEMU's Hyper-V enlightenments in the domain XML's <hyperv> element (libvirt 9.0's domaincommon.rng,
# which virt-xml-validate checks); hv-time is its hypervclock timer. The others have no element there (hv-crash is the
# device <panic model='hyperv'/>): they are said, not written.
LIBVIRT_HYPERV = {"hv-relaxed": "relaxed", "hv-vapic": "vapic", "hv-vpindex": "vpindex", "hv-runtime": "runtime",
                  "hv-synic": "synic", "hv-stimer": "stimer", "hv-reset": "reset", "hv-frequencies": "frequencies",
                  "hv-reenlightenment": "reenlightenment", "hv-tlbflush": "tlbflush", "hv-ipi": "ipi",
                  "hv-evmcs": "evmcs", "hv-avic": "avic"}
LIBVIRT_ELSEWHERE = ("hv-time", "hv-stimer-direct")  # the hypervclock timer; <stimer>'s <direct>


def libvirt_hyperv(enlightenments: Collection[str]) -> str:
    """The domain XML's <hyperv> element (in <features>), on one line."""
    parts = []
    for name in HYPERV_NAMES:
        if name in enlightenments and name in LIBVIRT_HYPERV:
            element = LIBVIRT_HYPERV[name]
            if name == "hv-stimer" and "hv-stimer-direct" in enlightenments:
                parts.append("<stimer state='on'><direct state='on'/></stimer>")
            else:
                parts.append("<%s state='on'/>" % element)
    return "<hyperv mode='custom'>%s</hyperv>" % "".join(parts)


HYPERVCLOCK = "<clock offset='utc'><timer name='hypervclock' present='yes'/></clock>"  # hv-time, as libvirt says it


def hyperv_config(enlightenments: Collection[str], passthrough: Collection[str]) -> dict[str, Any]:
    """The Hyper-V block of a pool's configuration: every enlightenment each of its hosts starts and offers, as
    QEMU's -cpu flags and libvirt's XML, and what the pool loses against hv-passthrough on its hosts."""
    chosen = [name for name in HYPERV_NAMES if name in enlightenments]
    return {"enlightenments": chosen, "qemu": ",".join(chosen), "libvirt": libvirt_hyperv(chosen),
            "libvirt_clock": HYPERVCLOCK if "hv-time" in chosen else None,
            "not_in_libvirt": [n for n in chosen if n not in LIBVIRT_HYPERV and n not in LIBVIRT_ELSEWHERE],
            "lost_against_passthrough": [name for name in HYPERV_NAMES if name in passthrough and name not in chosen]}


def cpu_config(models: Iterable[str], features: Collection[str], hyperv: Collection[str] | None = None,
               passthrough: Collection[str] = ()) -> dict[str, Any] | None:
    """The configuration for a pool whose hosts all run `models` and all offer `features` (and the Hyper-V
    enlightenments `hyperv`, where every host's are known); None without a candidate."""
    ranked = ranked_candidates(models, features)
    if not ranked:
        return None
    best, runners_up = ranked[0], ranked[1:1 + RUNNERS_UP]
    nova_order = list(reversed(runners_up)) + [best]
    config = {
        "model": best,
        "runners_up": runners_up,
        "lost": sorted(set(features) - set(model_features(best))),
        "qemu": "-cpu %s,enforce" % best,
        "libvirt": libvirt_cpu(best),
        "nova": {"cpu_mode": "custom", "cpu_models": nova_order},
        "kubevirt": {"path": "spec.domain.cpu.model", "model": best, "node_label": KUBEVIRT_LABEL % best},
    }
    if hyperv is not None:
        config["hyperv"] = hyperv_config(hyperv, passthrough)
    if "lm" in features and "lm" not in model_features(best):
        near = config["nearest_64_bit"] = nearest_64_bit(features)
        config["note"] = ("no 64-bit model runs on every host: the nearest, %s, lacks %s. %s boots 32-bit guests only; "
                          "a 64-bit guest needs %s, or -cpu host, which cannot migrate between different CPUs"
                          % (near["model"], ", ".join(near["lacks"]), best, near["qemu"]))
    return config
