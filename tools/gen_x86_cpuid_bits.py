"""Generate plugins/module_utils/_cpu/cpuid_bits.py from QEMU's target/i386 sources.

The primary source is QEMU's `feature_word_info` table (target/i386/cpu.c): every
CPUID and feature-MSR bit with the name QEMU gives it (`-cpu help`,
query-cpu-model-expansion). Also read: the FeatureWord enum order, the CPUID_* /
XSTATE_* / MSR_* defines (target/i386/cpu.h), and x86_ext_save_areas (which
feature enables each XSAVE component), all from the same tree.

Usage:
  python3 tools/gen_x86_cpuid_bits.py --source DIR [--check]
      DIR is an unpacked QEMU source tree (with the distribution's patches applied).
  python3 tools/gen_x86_cpuid_bits.py --debian SUITE [--check]
      fetch the qemu source package of a Debian suite (e.g. bookworm) with
      `apt-get source` through a private sources list, unpack it with
      dpkg-source (patches applied) in a temporary directory, and read that.
  --check  exit 1 if the committed table differs from what would be generated.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from generated import write_or_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "plugins", "module_utils", "_cpu", "cpuid_bits.py")
REGISTERS = {"R_EAX": "eax", "R_EBX": "ebx", "R_ECX": "ecx", "R_EDX": "edx"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def block_after(text, start):
    """The text between the brace at or after `start` and its matching brace."""
    open_at = text.index("{", start)
    depth = 0
    for position in range(open_at, len(text)):
        if text[position] == "{":
            depth += 1
        elif text[position] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:position]
    raise SystemExit("unbalanced braces after offset %d" % start)


def read_defines(header_text):
    """Evaluate the simple integer #defines of cpu.h (numbers, shifts, ors of others)."""
    raw = {}
    joined = strip_comments(header_text).replace("\\\n", " ")
    for match in re.finditer(r"^#define\s+(\w+)\s+(.+?)\s*$", joined, re.M):
        raw[match.group(1)] = match.group(2)
    values = {}

    def value(name, depth=0):
        if name in values:
            return values[name]
        if name not in raw or depth > 20:
            raise KeyError(name)
        expression = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[UL]*\b", lambda m: str(int(m.group(1), 0)), raw[name])
        expression = re.sub(r"\b([A-Za-z_]\w*)\b", lambda m: str(value(m.group(1), depth + 1)), expression)
        if not re.match(r"^[\d\s()|<>&~+-]+$", expression):
            raise KeyError(name)
        values[name] = eval(expression)  # only digits and operators remain; checked above
        return values[name]

    for name in raw:
        try:
            value(name)
        except (KeyError, SyntaxError):
            pass
    return values


def read_tree(source):
    with open(os.path.join(source, "target", "i386", "cpu.c")) as handle:
        cpu_c = strip_comments(handle.read())
    with open(os.path.join(source, "target", "i386", "cpu.h")) as handle:
        cpu_h = handle.read()
    with open(os.path.join(source, "include", "standard-headers", "asm-x86", "kvm_para.h")) as handle:
        kvm_para = handle.read()
    with open(os.path.join(source, "VERSION")) as handle:
        version = handle.read().strip()
    defines = read_defines(cpu_h + "\n" + kvm_para)
    cpu_h_code = strip_comments(cpu_h)
    order = re.findall(r"\b(FEAT_\w+)\s*,", block_after(cpu_h_code, cpu_h_code.index("typedef enum FeatureWord")))
    order = [name for name in order if name != "FEATURE_WORDS"]

    table_at = cpu_c.index("FeatureWordInfo feature_word_info[FEATURE_WORDS] =")
    table = block_after(cpu_c, table_at)
    words = {}
    for match in re.finditer(r"\[(FEAT_\w+)\]\s*=\s*\{", table):
        body = block_after(table, match.start())
        kind = re.search(r"\.type\s*=\s*(\w+)", body).group(1)
        names = {}
        names_match = re.search(r"\.feat_names\s*=\s*\{", body)
        if names_match:
            entries = block_after(body, names_match.start())
            bit = 0
            for item in [e.strip() for e in entries.split(",")]:
                if not item:
                    continue
                designated = re.match(r"^\[(\d+)\]\s*=\s*(.+)$", item)
                if designated:
                    bit, item = int(designated.group(1)), designated.group(2).strip()
                if item != "NULL":
                    names[bit] = re.match(r'^"([^"]+)"$', item).group(1)
                bit += 1
        word = {"kind": kind, "names": names}
        if kind == "CPUID_FEATURE_WORD":
            cpuid = block_after(body, re.search(r"\.cpuid\s*=\s*\{", body).start())
            fields = dict(re.findall(r"\.(\w+)\s*=\s*([\w]+)", cpuid))
            word["leaf"] = int(fields["eax"], 0) if fields["eax"][0].isdigit() else defines[fields["eax"]]
            word["subleaf"] = int(fields.get("ecx", "0"), 0)
            word["register"] = REGISTERS[fields["reg"]]
        else:
            msr = block_after(body, re.search(r"\.msr\s*=\s*\{", body).start())
            word["msr"] = defines[re.search(r"\.index\s*=\s*(\w+)", msr).group(1)]
        words[match.group(1)] = word

    areas_body = block_after(cpu_c, cpu_c.index("ExtSaveArea x86_ext_save_areas"))
    save_areas = {}
    for match in re.finditer(r"\[(XSTATE_\w+_BIT)\]\s*=\s*\{", areas_body):
        body = block_after(areas_body, match.start())
        feature = re.search(r"\.feature\s*=\s*(FEAT_\w+)", body).group(1)
        bits = defines[re.search(r"\.bits\s*=\s*(\w+)", body).group(1)]
        save_areas[defines[match.group(1)]] = (feature, (bits & -bits).bit_length() - 1)
    # x86_cpu_initfn: the older spellings QEMU still accepts (-cpu Nehalem,+sse3), alias -> name.
    aliases = dict(re.findall(r'object_property_add_alias\(obj,\s*"([^"]+)",\s*obj,\s*"([^"]+)"\)', cpu_c))
    known = set(name for word in words.values() for name in word["names"].values())
    aliases = dict((alias, name) for alias, name in aliases.items() if name in known)  # CPU features only
    missing = [name for name in order if name not in words]
    if missing:
        raise SystemExit("feature words without an entry in feature_word_info: %s" % missing)
    return {"version": version, "order": order, "words": words, "save_areas": save_areas,
            "xcr0_mask": defines["CPUID_XSTATE_XCR0_MASK"], "aliases": aliases}


def render(data, origin):
    lines = [
        "# SPDX-License-Identifier: GPL-3.0-or-later",
        "# GENERATED by tools/gen_x86_cpuid_bits.py from the source named in SOURCE. Do not edit by hand:",
        "# run the script again on a newer QEMU source tree.",
        '"""QEMU\'s x86 feature words: every CPUID and feature-MSR bit, by QEMU\'s name.',
        "",
        "Source: target/i386/cpu.c feature_word_info and x86_ext_save_areas, target/i386/cpu.h",
        "(FeatureWord order, CPUID_XSTATE_XCR0_MASK), of the QEMU version below.",
        '"""',
        "",
        "QEMU_VERSION = %r" % data["version"],
        "SOURCE = %r" % origin,
        "",
        "# In QEMU's FeatureWord order (the order of query-cpu-definitions' unavailable-features).",
        "# CPUID words: (name, 'cpuid', leaf, subleaf, register, {bit: feature name}).",
        "# MSR words: (name, 'msr', msr index, None, None, {bit: feature name}).",
        "FEATURE_WORDS = (",
    ]
    for name in data["order"]:
        word = data["words"][name]
        items = ["%d: %r" % (bit, word["names"][bit]) for bit in sorted(word["names"])]
        names = "{" + "".join("\n        " + ", ".join(items[i:i + 4]) + "," for i in range(0, len(items), 4)) + "\n    }"
        if not items:
            names = "{}"
        if word["kind"] == "CPUID_FEATURE_WORD":
            lines.append("    (%r, 'cpuid', 0x%x, %d, %r, %s)," % (name, word["leaf"], word["subleaf"], word["register"], names))
        else:
            lines.append("    (%r, 'msr', 0x%x, None, None, %s)," % (name, word["msr"], names))
    lines += [
        ")",
        "",
        "# XSAVE state component -> (feature word, bit) of the feature that enables it.",
        "XSAVE_COMPONENTS = {\n    %s,\n}" % ",\n    ".join(
            "%d: (%r, %d)" % (bit, feature, fbit) for bit, (feature, fbit) in sorted(data["save_areas"].items())),
        "XCR0_MASK = 0x%x" % data["xcr0_mask"],
        "",
        "# Older spellings QEMU accepts (x86_cpu_initfn object_property_add_alias); QEMU also reads '_' as '-'.",
        "FEATURE_ALIASES = {\n    %s,\n}" % ",\n    ".join("%r: %r" % item for item in sorted(data["aliases"].items())),
        "",
    ]
    return "\n".join(lines)


def fetch_debian(suite, workdir):
    """apt-get source qemu from SUITE into workdir, unpacked with patches; returns the tree."""
    apt = os.path.join(workdir, "apt")
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(apt, sub))
    with open(os.path.join(apt, "sources.list"), "w") as handle:
        handle.write("deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                     "http://deb.debian.org/debian %s main\n" % suite)
        handle.write("deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                     "http://deb.debian.org/debian-security %s-security main\n" % suite)
    options = ["-o", "Dir::Etc::sourcelist=" + os.path.join(apt, "sources.list"), "-o", "Dir::Etc::sourceparts=-",
               "-o", "Dir::State::lists=" + os.path.join(apt, "lists"), "-o", "Dir::Cache=" + os.path.join(apt, "cache")]
    subprocess.check_call(["apt-get", "-qq"] + options + ["update"])
    subprocess.check_call(["apt-get", "-qq"] + options + ["source", "--download-only", "qemu"], cwd=workdir)
    dsc = [name for name in os.listdir(workdir) if name.endswith(".dsc")][0]
    subprocess.check_call(["dpkg-source", "-q", "-x", dsc, "tree"], cwd=workdir, stdout=subprocess.DEVNULL)
    return os.path.join(workdir, "tree"), "Debian %s source package %s" % (suite, dsc[:-len(".dsc")])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--source", help="an unpacked QEMU source tree")
    where.add_argument("--debian", metavar="SUITE", help="fetch Debian SUITE's qemu source package")
    parser.add_argument("--origin", help="how to name the source in the header (default: derived)")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    workdir = None
    try:
        if args.debian:
            workdir = tempfile.mkdtemp(prefix="gen-cpuid-bits-")
            source, origin = fetch_debian(args.debian, workdir)
        else:
            source, origin = args.source, "QEMU source tree"
        data = read_tree(source)
        origin = args.origin or "%s, QEMU %s, target/i386/cpu.c" % (origin, data["version"])
        text = render(data, origin)
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return write_or_check(OUTPUT, text, args.check, "not what the generator makes from %s (%d feature words, QEMU %s)"
                          % (origin, len(data["order"]), data["version"]))


if __name__ == "__main__":
    sys.exit(main())
