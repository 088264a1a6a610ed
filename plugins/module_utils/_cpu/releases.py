# SPDX-License-Identifier: GPL-3.0-or-later
"""The model table of each QEMU release, from the generated qemu_models.py (pure; shared by both sides).

A release's table is the oldest release's models plus those SINCE adds up to it: QEMU never changes or
drops a named model (a fix is a new version, Foo-v2), and tools/gen_qemu_cpu_models.py refuses answers
that would break this.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import cpuid_bits
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_features
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_models


def _feature_words():
    """cpuid_bits.FEATURE_WORDS (from a QEMU source tree) with the bits a newer QEMU placed itself
    (qemu_models.PLACED_FEATURES) added: to the word they belong to, or as a new CPUID word."""
    words = [(name, kind, where, subleaf, register, dict(names))
             for name, kind, where, subleaf, register, names in cpuid_bits.FEATURE_WORDS]
    for feature, (kind, where, subleaf, register, bit) in sorted(qemu_models.PLACED_FEATURES.items()):
        for word in words:
            if word[1:5] == (kind, where, subleaf, register):
                word[5][bit] = feature
                break
        else:  # a new CPUID word (a feature-MSR word is placed only by the names it already has)
            words.append(("FEAT_%X_%d_%s" % (where, subleaf, register.upper()), kind, where, subleaf, register,
                          {bit: feature}))
    return tuple(words)


# Every CPUID and feature-MSR bit QEMU names, in the shape of cpuid_bits.FEATURE_WORDS.
FEATURE_WORDS = _feature_words()


_KNOWN = {}  # release -> the feature names it knows, built on first use


def known_features(release=None):
    """The feature names QEMU `release` (None: the newest) knows: the bit table's less those a later release added
    (qemu_features.FEATURES_SINCE, from what each QEMU answered on the recorded machines)."""
    release = release or releases()[-1]
    if release not in _KNOWN:
        later = set()
        for name, added in qemu_features.FEATURES_SINCE.items():
            if release_rank(name) > release_rank(release):
                later.update(added.split())
        _KNOWN[release] = frozenset(name for word in FEATURE_WORDS for name in word[5].values() if name not in later)
    return _KNOWN[release]


def release_rank(release):
    """(major, minor) of a release such as '10.0' or '10.0.13', for comparing releases."""
    return tuple(int(part) for part in str(release).split(".")[:2])


def releases():
    """The feature releases with a model table, oldest first ('7.2', '10.0', ...)."""
    return tuple(entry[0] for entry in qemu_models.RELEASES)


def model_table(release=None, module=qemu_models):
    """The model table of a feature release (default: the newest) as {"features": {model: sorted names},
    "aliases": {...}, "host_dependent": (...), "deprecated": (...), "release", "qemu_version", "qemu_package"}."""
    order = [entry[0] for entry in module.RELEASES]
    release = release or order[-1]
    later = set()
    for name in order[order.index(release) + 1:]:  # ValueError for a release without a table
        later.update(module.SINCE[name].split())
    _release, version, package = module.RELEASES[order.index(release)]
    return {"features": dict((name, features) for name, features in _decoded(module).items() if name not in later),
            "aliases": dict((name, target) for name, target in module.ALIASES.items() if name not in later),
            "host_dependent": tuple(module.HOST_DEPENDENT[release]), "deprecated": tuple(module.DEPRECATED[release]),
            "release": release, "qemu_version": version, "qemu_package": package}


_DECODED = {}  # module name -> every model's features, decoded once for all its releases


def _decoded(module):
    if module.__name__ not in _DECODED:
        decoded = {}
        for name in module.MODEL_FEATURES:
            _decode(module.MODEL_FEATURES, name, decoded)
        _DECODED[module.__name__] = decoded
    return _DECODED[module.__name__]


def _decode(written, name, decoded):
    """The sorted features of `name`: written in full, or '=Foo-v1 +a -b' against the version before it."""
    if name not in decoded:
        tokens = written[name].split()
        if tokens and tokens[0].startswith("="):
            features = set(_decode(written, tokens[0][1:], decoded))
            features.update(token[1:] for token in tokens[1:] if token[0] == "+")
            features.difference_update(token[1:] for token in tokens[1:] if token[0] == "-")
            decoded[name] = sorted(features)
        else:
            decoded[name] = tokens
    return decoded[name]


def first_release(model, module=qemu_models):
    """The oldest release with a table that has `model`, or None for a name no table has."""
    for release, names in sorted(module.SINCE.items(), key=lambda item: release_rank(item[0])):
        if model in names.split():
            return release
    known = model in module.MODEL_FEATURES or model in module.ALIASES or model in module.HOST_DEPENDENT[module.RELEASES[0][0]]
    return module.RELEASES[0][0] if known else None


_TABLES = {}  # release -> its table, built on first use


def builtin_models(release=None):
    release = release or releases()[-1]
    if release not in _TABLES:
        _TABLES[release] = model_table(release)
    return _TABLES[release]


def model_names(table=None):
    """Every model name the table answers for: versioned models, aliases and the host-dependent ones."""
    table = table or builtin_models()
    return frozenset(table["features"]) | frozenset(table["aliases"]) | frozenset(table["host_dependent"])


def nearest_table(version):
    """The release whose table serves QEMU `version`: its own, else the nearest older, else the oldest."""
    known = releases()
    older = [release for release in known if release_rank(release) <= release_rank(version)]
    return older[-1] if older else known[0]
