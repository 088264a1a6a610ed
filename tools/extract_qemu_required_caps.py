"""Read the KVM capabilities QEMU requires at start-up from an unpacked QEMU source tree.

QEMU's kvm_init() fails when a capability of kvm_required_capabilites[] (accel/kvm/kvm-all.c, QEMU's
spelling) or of the target's kvm_arch_required_capabilities[] (target/i386/kvm/kvm.c,
target/arm/kvm.c) answers 0. This tool writes those three lists, with the source's version (its
VERSION file and, for a Debian source package, the first line of debian/changelog), to
tests/unit/plugins/plugin_utils/_judge/fixtures/qemu_<version>_required_caps.txt, which pins the profile
qemu_7_2 of plugins/plugin_utils/_judge/profiles.py in a unit test (CI has no QEMU source).

Source used: Debian 12's qemu 1:7.2+dfsg-7+deb12u18 (apt-get source qemu), unpacked at
/tmp/h9/src/qemu-7.2.0.

Usage: python3 tools/extract_qemu_required_caps.py [SOURCE_DIR] [--check]
  --check  exit 1 if the committed extract differs from what the source gives now.
"""
import argparse
import os
import re
import sys

from generated import write_or_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "unit", "plugins", "plugin_utils", "_judge", "fixtures")
DEFAULT_SOURCE = "/tmp/h9/src/qemu-7.2.0"
# profile section -> (file, array)
LISTS = (
    ("all", "accel/kvm/kvm-all.c", "kvm_required_capabilites"),
    ("x86_64", "target/i386/kvm/kvm.c", "kvm_arch_required_capabilities"),
    ("aarch64", "target/arm/kvm.c", "kvm_arch_required_capabilities"),
)


def required_caps(text, array):
    """The KVM_CAP_INFO(NAME) entries of `array[] = { ... };` in C source text."""
    match = re.search(r"\b%s\[\]\s*=\s*\{(.*?)\};" % re.escape(array), text, re.S)
    if match is None:
        raise ValueError("no array %s[] in this file" % array)
    return re.findall(r"KVM_CAP_INFO\(\s*(\w+)\s*\)", match.group(1))


def version_of(source):
    with open(os.path.join(source, "VERSION")) as handle:
        version = handle.read().strip()
    changelog = os.path.join(os.path.dirname(source), "debian", "changelog")
    for candidate in (os.path.join(source, "debian", "changelog"), changelog):
        if os.path.isfile(candidate):
            with open(candidate) as handle:
                return version, handle.readline().strip()
    return version, None


def extract(source):
    """The extract's text: a header naming the source, then `section: NAME ...` lines."""
    version, package = version_of(source)
    lines = ["# KVM capabilities QEMU %s requires at start-up (kvm_init), written by "
             "tools/extract_qemu_required_caps.py" % version,
             "# version: %s" % version]
    if package:
        lines.append("# package: %s" % package)
    for section, path, array in LISTS:
        with open(os.path.join(source, path)) as handle:
            caps = required_caps(handle.read(), array)
        lines.append("# %s: %s (%s[])" % (section, path, array))
        lines.append(("%s: %s" % (section, " ".join(caps))).rstrip())
    return version, "\n".join(lines) + "\n"


def parse(text):
    """{section: [capability names]} of an extract."""
    found = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            section, _sep, names = line.partition(":")
            found[section.strip()] = names.split()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=DEFAULT_SOURCE)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    version, text = extract(args.source)
    major_minor = "_".join(version.split(".")[:2])
    output = os.path.join(FIXTURES, "qemu_%s_required_caps.txt" % major_minor)
    return write_or_check(output, text, args.check, "differs from %s" % args.source)


if __name__ == "__main__":
    sys.exit(main())
