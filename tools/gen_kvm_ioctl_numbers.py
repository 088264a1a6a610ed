"""Read the KVM ioctl request numbers of other architectures from their own kernel headers.

The numbers pin _kvm.abi.KvmRequests in tests/unit/plugins/module_utils/_kvm/test_abi_arches.py,
through the data file this writes (tests/unit/plugins/module_utils/_kvm/fixtures/kvm_ioctls_by_arch.json).

Sources: Debian's cross header packages, linux-libc-dev-{arm64,ppc64el,riscv64,s390x}-cross
(installed by fc_arm64_vm in tools/lib.sh), under /usr/<triplet>/include. Each header's own
_IO*/_IOC macros (asm/ioctl.h of that architecture) and struct sizes are evaluated by a C
compiler: the host gcc with -nostdinc and only that architecture's include directory. That is
exact for these LP64 architectures, whose UAPI structs have the same sizes and alignments as
on x86_64; a request whose struct the architecture does not define (KVM_GET_SUPPORTED_CPUID
off x86) does not compile and is left out, as the architecture has no such request.

Usage: python3 tools/gen_kvm_ioctl_numbers.py [--check]
  --check  exit 1 if the committed data differs from what the headers give now.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from generated import write_or_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "_kvm", "fixtures", "kvm_ioctls_by_arch.json")
# uname -m -> (Debian architecture, GNU triplet)
ARCHES = {
    "aarch64": ("arm64", "aarch64-linux-gnu"),
    "ppc64le": ("ppc64el", "powerpc64le-linux-gnu"),
    "riscv64": ("riscv64", "riscv64-linux-gnu"),
    "s390x": ("s390x", "s390x-linux-gnu"),
}
# Constants besides the requests, per architecture: name -> C expression.
EXTRA = {
    "aarch64": {
        "KVM_REG_ARM64_CORE_PC": "KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pc)",
        "KVM_ARM_VCPU_PSCI_0_2": "KVM_ARM_VCPU_PSCI_0_2",
    },
}


def request_names():
    sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils", "_kvm"))
    import abi  # pylint: disable=import-error,import-outside-toplevel
    return sorted(vars(abi.KvmRequests("x86_64")))


def package_version(debian_arch):
    name = "linux-libc-dev-%s-cross" % debian_arch
    try:
        version = subprocess.check_output(["dpkg-query", "-W", "-f=${Version}", name], universal_newlines=True)
    except (OSError, subprocess.CalledProcessError):
        version = ""
    return name, version


HEAD = ["#include <stddef.h>", "#include <linux/kvm.h>", "int printf(const char *, ...);", "int main(void)", "{"]


def program(values):
    """A C program printing "NAME value" for each (name, expression); line len(HEAD) + 1 + i prints values[i]."""
    lines = HEAD + ['    printf("%s %%llu\\n", (unsigned long long)(%s));' % (name, expr) for name, expr in values]
    return "\n".join(lines + ["    return 0;", "}"]) + "\n"


def evaluate(include, values, tmp):
    """Compile and run; drop the lines that do not compile for this architecture."""
    values = list(values)
    source, binary = os.path.join(tmp, "numbers.c"), os.path.join(tmp, "numbers")
    while True:
        with open(source, "w") as handle:
            handle.write(program(values))
        compiler = subprocess.run(["gcc", "-nostdinc", "-isystem", include, "-isystem", gcc_include(),
                                   "-o", binary, source], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True, check=False)
        if compiler.returncode == 0:
            break
        bad = set(int(n) for n in re.findall(r"numbers\.c:(\d+):\d+: error", compiler.stdout))
        if not bad:
            raise SystemExit("gcc failed for %s:\n%s" % (include, compiler.stdout))
        values = [v for i, v in enumerate(values) if len(HEAD) + 1 + i not in bad]
    output = subprocess.check_output([binary], universal_newlines=True)
    return dict((name, int(value)) for name, value in (line.split() for line in output.splitlines()))


def gcc_include():
    """gcc's own include directory (stddef.h), the only one taken from the host."""
    return subprocess.check_output(["gcc", "-print-file-name=include"], universal_newlines=True).strip()


def generate():
    data = {"_source": "tools/gen_kvm_ioctl_numbers.py, from Debian's linux-libc-dev-*-cross headers"}
    names = request_names()
    with tempfile.TemporaryDirectory() as tmp:
        for machine, (debian_arch, triplet) in sorted(ARCHES.items()):
            include = "/usr/%s/include" % triplet
            package, version = package_version(debian_arch)
            if not os.path.exists(os.path.join(include, "linux", "kvm.h")):
                raise SystemExit("%s/linux/kvm.h is missing: install %s (fc_arm64_vm does)" % (include, package))
            values = [(n, n) for n in names] + sorted(EXTRA.get(machine, {}).items())
            data[machine] = {"header": "%s %s" % (package, version), "values": evaluate(include, values, tmp)}
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = json.dumps(generate(), indent=1, sort_keys=True) + "\n"
    return write_or_check(OUTPUT, text, args.check, "out of date: run python3 tools/gen_kvm_ioctl_numbers.py")


if __name__ == "__main__":
    sys.exit(main())
