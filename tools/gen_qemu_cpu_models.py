"""Generate plugins/module_utils/_cpu/qemu_models.py: the x86 CPU models of several QEMU releases, from each QEMU.

Input: what tools/qemu/ask_qemu.py printed for each release, asked over QMP of that QEMU under -accel kvm:
query-cpu-definitions (names, aliases, deprecation, migration safety) and, for every migration-safe model,
query-cpu-model-expansion type "static" (the features the model asks for, by QEMU's names). KVM is needed,
because QEMU adds its KVM defaults (kvmclock, x2apic, ...) to every named model only under KVM
(target/i386/cpu.c kvm_default_props), and those are what a guest asks for.

One table serves every release, because a model never changes once released (a fix is a new version,
Foo-v2): each model's features are written once, and a release's table is the oldest release's models plus
those each later release added (SINCE). The generator refuses answers that break this (a model that changed
or disappeared, an alias that moved), rather than write a wrong table.
An alias (Nehalem of Nehalem-v1) expands as the model it names, so only the latter's features are stored.
A feature the bit table (cpuid_bits.py, generated from the newest QEMU source at hand) lacks is placed where
the QEMU that names it says (ask_qemu.py placements): PLACED_FEATURES; one it cannot place (a feature-MSR
bit) is listed in UNPLACED_FEATURES, and a model asking for it counts as lacking it.
`host` and `max` (not migration-safe) are built from the host's own features: marked, not stored.

Usage: python3 tools/gen_qemu_cpu_models.py [--check] ANSWERS.json...
  bash tools/qemu/ask_all.sh DIR asks this host's QEMU and the QEMU of each suite's image (tools/lib.sh
  fc_qemu_images) into DIR/<release>.json.
  --check  exit 1 if the committed table differs from what these answers make.
"""
import argparse
import json
import os
import sys

from generated import write_or_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "plugins", "module_utils", "_cpu", "qemu_models.py")
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils", "_cpu"))
import cpuid_bits as bits  # noqa: E402  (the generated bit table: names that are CPU features)

FEATURE_NAMES = set(name for word in bits.FEATURE_WORDS for name in word[5].values())


def release_of(version):
    """'10.0.13' -> '10.0': QEMU adds CPU models only in feature releases, never in stable (micro) ones."""
    return ".".join(version.split(".")[:2])


def read_release(answers):
    """One QEMU's answers as {"release", "version", "package", "models": {name: entry}, "unknown": names}."""
    models, unknown = {}, set()
    placed = dict((name, tuple(where)) for name, where in answers.get("placements", {}).items() if where)
    for definition in answers["definitions"]:
        name = definition["name"]
        entry = {"deprecated": bool(definition.get("deprecated", False)), "alias_of": definition.get("alias-of"),
                 "host_dependent": not definition.get("migration-safe", False)}
        if not entry["host_dependent"] and not entry["alias_of"]:
            # every property the static expansion turns on is a feature; those the bit table (generated from the
            # newest QEMU source at hand) cannot place are kept, and listed, so that they count as missing
            entry["features"] = sorted(answers["expansions"][name])
            unknown.update(set(entry["features"]) - FEATURE_NAMES - set(placed))
        models[name] = entry
    return {"release": release_of(answers["version"]), "version": answers["version"], "package": answers["package"],
            "models": models, "unknown": unknown, "placed": placed}


def merge(releases):
    """The releases, oldest first, as one table; SystemExit when a release contradicts an older one."""
    releases = sorted(releases, key=lambda r: tuple(int(part) for part in r["release"].split(".")))
    features, aliases, since, seen = {}, {}, {}, {}
    for release in releases:
        added = []
        for name, entry in sorted(release["models"].items()):
            if entry["alias_of"]:
                if aliases.setdefault(name, entry["alias_of"]) != entry["alias_of"]:
                    raise SystemExit("QEMU %s moved alias %s from %s to %s; the table keeps one target per alias"
                                     % (release["version"], name, aliases[name], entry["alias_of"]))
            elif "features" in entry:
                if features.setdefault(name, entry["features"]) != entry["features"]:
                    raise SystemExit("QEMU %s changed model %s; the table keeps one feature list per model"
                                     % (release["version"], name))
            if name not in seen:
                seen[name] = release["release"]
                added.append(name)
        gone = sorted(name for name, first in seen.items() if name not in release["models"])
        if gone:
            raise SystemExit("QEMU %s dropped models %s; the table assumes none is ever dropped"
                             % (release["version"], ", ".join(gone)))
        if release is not releases[0]:
            since[release["release"]] = added
    return features, aliases, since, releases


def wrapped(text, width=110, indent="        "):
    """A long string as implicitly concatenated literals of at most `width` characters."""
    words, chunks, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            chunks.append(line + " ")
            line = word
        else:
            line = word if not line else line + " " + word
    chunks.append(line)
    return ("\n" + indent).join(repr(chunk) for chunk in chunks)


def previous_version(name, features):
    """Foo-v1 for Foo-v2 when the table has it: the model a version is written against."""
    stem, _sep, number = name.rpartition("-v")
    if stem and number.isdigit() and int(number) > 1 and "%s-v%d" % (stem, int(number) - 1) in features:
        return "%s-v%d" % (stem, int(number) - 1)
    return None


def encoded(name, features):
    """A model's features as written: in full, or, when shorter, against the version before it:
    '=Foo-v1 +added -removed' (a new version of a model mostly adds a feature or two)."""
    full = " ".join(features[name])
    base = previous_version(name, features)
    if base is None:
        return full
    added = sorted(set(features[name]) - set(features[base]))
    removed = sorted(set(features[base]) - set(features[name]))
    delta = " ".join(["=" + base] + ["+" + f for f in added] + ["-" + f for f in removed])
    return delta if len(delta) < len(full) else full


def render(releases):
    features, aliases, since, releases = merge(releases)
    lines = [
        "# SPDX-License-Identifier: GPL-3.0-or-later",
        "# GENERATED by tools/gen_qemu_cpu_models.py from each QEMU's own QMP answers. Do not edit by hand:",
        "# ask the QEMU releases again (tools/qemu/ask_all.sh) and run the script.",
        '"""The named x86 CPU models of several QEMU releases and the features each asks for, as data.',
        "",
        "Source: query-cpu-definitions and query-cpu-model-expansion (type static) of each model, under",
        "-accel kvm, of each QEMU in RELEASES. A model never changes once released, so its features are",
        "written once; a release has the oldest release's models and those SINCE adds up to it. Features",
        "are space-separated strings: Ansible ships module_utils as source, and strings compile fast.",
        "A version written '=Foo-v1 +a -b' has Foo-v1's features, with a and without b.",
        '"""',
        "",
        "# feature release -> (the QEMU asked, its package), oldest first.",
        "RELEASES = (",
    ]
    lines.extend("    (%r, %r, %r)," % (r["release"], r["version"], r["package"]) for r in releases)
    lines += [")", "# Built from the host's own features (not migration-safe): nothing they ask for can be missing.",
              "HOST_DEPENDENT = {"]
    lines.extend("    %r: %r," % (r["release"], tuple(sorted(n for n, e in r["models"].items() if e["host_dependent"])))
                 for r in releases)
    lines += ["}", "# Deprecated by that release.", "DEPRECATED = {"]
    lines.extend("    %r: %r," % (r["release"], tuple(sorted(n for n, e in r["models"].items() if e["deprecated"])))
                 for r in releases)
    lines += ["}", "# Models and aliases a release added to the one before it.", "SINCE = {"]
    lines.extend("    %r: (\n        %s)," % (release, wrapped(" ".join(names))) for release, names in sorted(since.items()))
    placed = {}
    for release in releases:
        for name, where in sorted(release["placed"].items()):
            if placed.setdefault(name, where) != where:
                raise SystemExit("QEMU %s moved feature %s" % (release["version"], name))
    unknown = sorted(set().union(*(r["unknown"] for r in releases)) - set(placed))
    lines += ["}", "# Features cpuid_bits.py lacks, where the QEMU that names them puts them: name -> (kind, leaf or MSR,",
              "# subleaf, register, bit), from a machine started with -cpu base,NAME=on or the binary's own",
              "# feature_word_info (tools/qemu/ask_qemu.py).",
              "PLACED_FEATURES = {"]
    lines.extend("    %r: (%r, 0x%x, %r, %r, %d)," % ((name,) + tuple(placed[name])) for name in sorted(placed))
    lines += ["}", "# Features a model asks for that nothing places (feature-MSR bits of a QEMU whose source was not at",
              "# hand and that QEMU does not show): a model asking for one counts as lacking it.",
              "UNPLACED_FEATURES = %r" % " ".join(unknown),
              "# alias -> the versioned model it names (same features).", "ALIASES = {"]
    lines.extend("    %r: %r," % (name, aliases[name]) for name in sorted(aliases))
    lines += ["}", "# model -> the features it asks for, sorted, or against the version before it.", "MODEL_FEATURES = {"]
    for name in sorted(features):
        lines.append("    %r: (\n        %s)," % (name, wrapped(encoded(name, features))))
    lines += ["}", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", nargs="+", help="JSON of tools/qemu/ask_qemu.py, one per QEMU release")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    releases = []
    for path in args.answers:
        with open(path) as handle:
            releases.append(read_release(json.load(handle)))
    text = render(releases)
    return write_or_check(OUTPUT, text, args.check, "differs from what %s answer" % ", ".join(args.answers))


if __name__ == "__main__":
    sys.exit(main())
