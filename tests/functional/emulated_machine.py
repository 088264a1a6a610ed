# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot an emulated machine once with a payload, and read what it printed.

ARM64 (tools/arm64/build-image.sh, cached by fc_arm64_vm) is QEMU's `virt` board under TCG with EL2
(virtualization=on), so Debian's arm64 kernel brings up KVM and /dev/kvm inside it. X86 (tools/x86, cached
by fc_x86_vm) is QEMU's q35 under TCG with a CPU that has AMD SVM, so Debian's amd64 kernel loads kvm_amd.
The payload travels as a second initramfs archive appended to the cached one; the results
come back over the serial console as base64 between markers, so no network, disk image or
9p module is needed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import glob
import importlib.util
import os
import re
import subprocess
import time

from ansible_collections.fleetcheck.kvm.tests.functional.ansible_runner import run_ansible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU = "qemu-system-aarch64"
# EL2 for the guest kernel (KVM), GICv3 (the vGIC KVM needs), 2 vCPUs at most on this 2-core CI.
QEMU_MACHINE = ["-M", "virt,virtualization=on,gic-version=3", "-cpu", "max,pauth-impdef=on",
                "-smp", "2", "-m", "512", "-accel", "tcg,thread=multi"]
KERNEL_ARGS = "console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=1"
# (QEMU binary, its options but -cpu, the kernel's file in the image and its console arguments)
ARM64 = {"qemu": QEMU, "machine": QEMU_MACHINE, "kernel": "Image", "args": KERNEL_ARGS}
X86 = {"qemu": "qemu-system-x86_64", "machine": ["-M", "q35", "-smp", "2", "-m", "2048", "-accel", "tcg,thread=multi"],
       "kernel": "bzImage", "args": "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=1"}
SECTION = re.compile(r"^FLEETCHECK-BEGIN (\S+)\r?$(.*?)^FLEETCHECK-END \1 (-?\d+) ([0-9.]+)\r?$", re.M | re.S)

# The guest's /payload/run: each command's stdout and stderr as base64 between markers, with
# its exit status and the guest's uptime (busybox's sh and base64).
RUN_HEAD = r"""#!/bin/sh
cd /payload
section() {
    name=$1; shift
    "$@" >/tmp/out 2>/tmp/err; rc=$?
    for part in out err; do
        echo "FLEETCHECK-BEGIN $name.$part"; base64 /tmp/$part
        echo "FLEETCHECK-END $name.$part $rc $(cut -d' ' -f1 /proc/uptime)"
    done
}
"""


def _cpio_module():
    path = os.path.join(ROOT, "tools", "arm64", "cpio_newc.py")
    spec = importlib.util.spec_from_file_location("fc_cpio_newc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ansiballz(ansible_bin, tmp):
    """kvm_facts as ansible-core sends it to a host: AnsiballZ_kvm_facts.py with its arguments.

    ansible-core builds it for localhost and keeps it (ANSIBLE_KEEP_REMOTE_FILES); running it
    there as well is harmless, and the guest runs the same bytes with its own Python.
    """
    remote_tmp = os.path.join(tmp, "remote_tmp")
    os.makedirs(remote_tmp)
    run_ansible(ansible_bin, ["ansible", "localhost", "-m", "fleetcheck.kvm.kvm_facts", "-a", "timeout=60 cpu_models=all"],
                env={"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": remote_tmp})
    found = glob.glob(os.path.join(remote_tmp, "*", "AnsiballZ_kvm_facts.py"))
    assert len(found) == 1, found
    with open(found[0], "rb") as handle:
        return handle.read()


def write_payload(directory, commands, files):
    """Lay out payload/: the files ({name: bytes}) and a run script of (section, shell command)."""
    payload = os.path.join(directory, "payload")
    os.makedirs(payload)
    for name, data in files.items():  # a name with slashes lays out its directories
        path = os.path.join(payload, name)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o755)
    script = RUN_HEAD + "".join("section %s %s\n" % (name, command) for name, command in commands)
    with open(os.path.join(payload, "run"), "w") as handle:
        handle.write(script)
    os.chmod(os.path.join(payload, "run"), 0o755)


class Boot(object):
    """One boot: the console text, the sections it carried, and how long it took."""

    def __init__(self, console, returncode, seconds):
        self.console = console
        self.returncode = returncode
        self.seconds = seconds
        self.sections = {}
        for match in SECTION.finditer(console):
            data = base64.b64decode("".join(match.group(2).split()))
            self.sections[match.group(1)] = (data.decode("utf-8", "replace"), int(match.group(3)),
                                             float(match.group(4)))

    def output(self, name):
        """stdout of a payload section; raises with the console's tail when it is missing or failed."""
        if name + ".out" not in self.sections:
            raise AssertionError("the guest printed no section %r; console tail:\n%s"
                                 % (name, self.console[-3000:]))
        out, rc, _uptime = self.sections[name + ".out"]
        if rc != 0:
            raise AssertionError("%s exited %d in the guest:\n%s\n%s"
                                 % (name, rc, out, self.sections[name + ".err"][0]))
        return out

    def uptime(self, marker):
        """The guest's uptime at FLEETCHECK-BOOTED / FLEETCHECK-DONE, from /init."""
        match = re.search(r"^FLEETCHECK-%s ([0-9.]+)" % marker, self.console, re.M)
        return float(match.group(1)) if match else None


def boot(image_dir, work_dir, commands, files, timeout, kernel_args="", machine=None, cpu=None, extra_parts=()):
    """Boot the machine (ARM64 by default; X86 with its `cpu`) with this payload, and any `extra_parts` (initramfs
    archives laid between the image and the payload); returns a Boot (the console is also in work_dir)."""
    machine = machine or ARM64
    write_payload(work_dir, commands, files)
    payload = os.path.join(work_dir, "payload.cpio.gz")
    _cpio_module().write_tree(work_dir, payload, exclude=["payload.cpio.gz", "initrd", "console.log"])
    initrd = os.path.join(work_dir, "initrd")
    with open(initrd, "wb") as out:
        for part in [os.path.join(image_dir, "base.cpio.gz")] + list(extra_parts) + [payload]:
            with open(part, "rb") as handle:
                out.write(handle.read())
    console = os.path.join(work_dir, "console.log")
    command = [machine["qemu"]] + machine["machine"] + (["-cpu", cpu] if cpu else []) + [
        "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "file:%s" % console, "-no-reboot",
        "-kernel", os.path.join(image_dir, machine["kernel"]), "-initrd", initrd, "-append",
        (machine["args"] + " " + kernel_args).strip()]
    started = time.monotonic()
    try:
        process = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=timeout, check=False)
        returncode, qemu_output = process.returncode, process.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:  # subprocess.run kills QEMU before raising
        returncode, qemu_output = None, "QEMU did not power off within %d s" % timeout
    seconds = time.monotonic() - started
    text = ""
    if os.path.exists(console):
        with open(console, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    result = Boot(text, returncode, seconds)
    result.qemu_output = qemu_output
    return result
