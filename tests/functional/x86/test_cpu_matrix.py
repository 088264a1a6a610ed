# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest CPU on a matrix of emulated AMD CPUs, each with QEMU 7.2, 10.0 and 11.1 as the oracle inside.

Each CPU boots the emulated x86 machine (tests/functional/x86/test_x86_kvm_amd.py) under TCG with that -cpu,
loads kvm_amd, records the machine (tools/record/record_machine.py: KVM's answers, then each QEMU release's
query-cpu-definitions and `host` expansion: its own 7.2, and 10.0 and 11.1 from tools/x86/build-qemu-roots.sh
under chroot) and runs the probe for each release. Model by model and feature by feature, the probe in the guest
must say what that QEMU said there; the recording replayed here must give the same facts; and it must be the one
committed in tests/fixtures/machines/, which the unit tests replay on any machine without booting.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional import emulated_machine as machine
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import ROOT, missing
from ansible_collections.fleetcheck.kvm.tests.functional.x86.test_x86_kvm_amd import _image_dir
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils import machines

BOOT_TIMEOUT = 600  # seconds; a boot with its three QEMU releases takes about 60-120 s here
# (recording name, -cpu of the outer QEMU): AMD generations, Hygon's Dhyana (kvm_amd loads there, and QEMU's AMD-only
# rules do not apply: IS_AMD_CPU is AuthenticAMD only), and one with features taken away. Opteron_G5 is not here:
# Debian 12's kernel hangs early in its boot on it under TCG (after "Speculative Store Bypass").
CPUS = (
    ("emulated-dhyana-kvm_amd", "Dhyana"),
    ("emulated-epyc-kvm_amd", "EPYC"),
    ("emulated-epyc_rome-kvm_amd", "EPYC-Rome"),
    ("emulated-epyc_milan-kvm_amd", "EPYC-Milan"),
    ("emulated-epyc_rome_noavx2-kvm_amd", "EPYC-Rome,-avx2,-fma"),
)
RELEASES = (("7.2", ""), ("10.0", " --chroot /suites/trixie"), ("11.1", " --chroot /suites/forky"))
RECORD = "python3 record/record_machine.py"


def _module_utils():
    """{payload name: bytes} of the collection's module_utils, importable in the guest from /payload."""
    files = {}
    base = os.path.join(ROOT, "plugins", "module_utils")
    for directory, _dirs, names in os.walk(base):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                rel = os.path.relpath(path, base)
                with open(path, "rb") as handle:
                    files["ansible_collections/fleetcheck/kvm/plugins/module_utils/" + rel] = handle.read()
    for package in ("ansible_collections", "ansible_collections/fleetcheck", "ansible_collections/fleetcheck/kvm",
                    "ansible_collections/fleetcheck/kvm/plugins"):
        files[package + "/__init__.py"] = b""
    return files


def payload():
    files = _module_utils()
    for name, path in (("qmp.py", ("tools", "qmp.py")), ("record/record_machine.py", ("tools", "record", "record_machine.py"))):
        with open(os.path.join(ROOT, *path), "rb") as handle:
            files[name] = handle.read()
    commands = [("load", "modprobe kvm_amd"),
                ("mounts", "sh -c 'for s in trixie forky; do mount -o bind /dev /suites/$s/dev && "
                           "mount -t proc proc /suites/$s/proc || exit 1; done'"),
                ("kvm", "env PYTHONPATH=/payload %s kvm" % RECORD)]
    for release, where in RELEASES:
        commands.append(("qemu-" + release, "env PYTHONPATH=/payload %s qemu%s" % (RECORD, where)))
        commands.append(("probe-" + release, "env PYTHONPATH=/payload %s probe %s" % (RECORD, release)))
    return commands, files


def roots():
    path = os.environ.get("FLEETCHECK_X86_QEMU_ROOTS")
    if not path:
        path = subprocess.check_output(["bash", "-c", 'source "$1/tools/lib.sh" && fc_x86_qemu_roots >&2 && '
                                        'echo "$FLEETCHECK_X86_QEMU_ROOTS"', "bash", ROOT],
                                       universal_newlines=True).strip()
    if not os.path.isfile(path):
        missing("the other QEMU releases for the emulated machine are not built: run fc_x86_qemu_roots (tools/lib.sh)")
    return path


@pytest.fixture(scope="module", params=CPUS, ids=[cpu for _name, cpu in CPUS])
def booted(request, tmp_path_factory):
    name, cpu = request.param
    if not shutil.which(machine.X86["qemu"]):
        missing("%s is not installed (fc_x86_vm installs qemu-system-x86)" % machine.X86["qemu"])
    image, extra = _image_dir(), roots()
    commands, files = payload()
    work = str(tmp_path_factory.mktemp("matrix"))
    result = None
    for attempt in (1, 2):  # one retry, as the other emulated boots: a TCG boot has been seen to hang under load
        result = machine.boot(image, "%s/%d" % (work, attempt), commands, files, BOOT_TIMEOUT, machine=machine.X86,
                              cpu=cpu, extra_parts=[extra])
        if result.returncode == 0 and "probe-11.1.out" in result.sections:
            break
    assert result.returncode == 0, "QEMU: %s\nconsole tail:\n%s" % (result.qemu_output, result.console[-3000:])
    recording = {"kvm": json.loads(result.output("kvm"))}
    for release, _where in RELEASES:
        recording["qemu-" + release] = json.loads(result.output("qemu-" + release))
        recording["probe-" + release] = json.loads(result.output("probe-" + release))
    recording.update(name=name, cpu=cpu, seconds=result.seconds)
    if os.environ.get("FLEETCHECK_RECORD_TO"):  # how the committed recordings were made
        write_recording(os.environ["FLEETCHECK_RECORD_TO"], recording)
    return recording


@pytest.mark.parametrize("release", [release for release, _where in RELEASES])
def test_the_probe_says_what_each_qemu_says_on_this_cpu(booted, release):
    answer, guest = booted["qemu-" + release], booted["probe-" + release]
    assert answer["version"].startswith(release + ".")
    assert guest["qemu"]["table"] == release and "error" not in guest
    assert machines.differences_from_qemu(guest, answer, release) == []
    assert any(d["unavailable-features"] for d in answer["definitions"]), "the CPU lacks something: the test can fail"


def test_the_recording_replayed_gives_the_facts_the_guest_gave(booted, tmp_path, monkeypatch):
    directory = tmp_path / booted["name"]
    directory.mkdir()
    for key in ("kvm", "qemu-7.2", "qemu-10.0", "qemu-11.1"):
        (directory / (key + ".json")).write_text(json.dumps(booted[key]))
    monkeypatch.setattr(machines, "MACHINES", str(tmp_path))
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
    for release, _where in RELEASES:
        replayed = gather(["guest_cpu"], kernel=machines.RecordedKernel(booted["name"]), qemu_version=[release])
        guest = dict(booted["probe-" + release])
        assert replayed["guest_cpu"] == guest, release


# (leaf, register, mask) of the APIC ID of the CPU the recorder happened to run on: not the machine's capability
PER_CPU = (("0x1", 4, 0x00ffffff), ("0xb", 6, 0), ("0x1f", 6, 0), ("0x8000001e", 3, 0))


def _per_machine(entries):
    """CPUID entries without the APIC IDs of the CPU that asked (CPUID 1 EBX[31:24], 0xB/0x1F EDX, 0x8000001E EAX)."""
    found = []
    for entry in entries:
        entry = list(entry)
        for leaf, position, mask in PER_CPU:
            if entry[0] == leaf:
                entry[position] = "0x%08x" % (int(entry[position], 16) & mask)
        found.append(entry)
    return found


def _comparable(recording):
    """What a recording says that does not change from boot to boot (not the clock speed or bogomips, nor the APIC
    ID of the CPU the recorder ran on)."""
    kvm = dict(recording["kvm"])
    kvm["supported_cpuid"] = _per_machine(kvm["supported_cpuid"])
    flags = [line for line in kvm.pop("proc_cpuinfo_first_cpu").splitlines() if line.startswith(("flags", "vendor_id"))]
    kvm.pop("uname", None)
    qemu = dict((release, {"definitions": recording["qemu-" + release]["definitions"],
                           "host": recording["qemu-" + release]["host"]}) for release, _where in RELEASES)
    return kvm, flags, qemu


def test_the_committed_recording_is_what_this_boot_recorded(booted):
    name = booted["name"]
    if name not in machines.machine_names():
        pytest.fail("no recording of %s is committed: write tests/fixtures/machines/%s/ from this boot "
                    "(FLEETCHECK_RECORD_TO=tests/fixtures/machines)" % (booted["cpu"], name))
    committed = {"kvm": machines.kvm_answers(name)}
    for release, answer in machines.qemu_answers(name).items():
        committed["qemu-" + release] = answer
    assert _comparable(committed) == _comparable(booted)


def write_recording(target, recording):
    """DIR/<name>/: kvm.json, qemu-<release>.json and a NOTE saying what machine this was."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "record"))
    from record_machine import dumps  # noqa: E402  (tools/record/record_machine.py) pylint: disable=import-outside-toplevel
    directory = os.path.join(target, recording["name"])
    if not os.path.isdir(directory):
        os.makedirs(directory)
    with open(os.path.join(directory, "kvm.json"), "w") as handle:
        handle.write(dumps(recording["kvm"]))
    for release, _where in RELEASES:
        with open(os.path.join(directory, "qemu-%s.json" % release), "w") as handle:
            handle.write(dumps(recording["qemu-" + release]))
    with open(os.path.join(directory, "NOTE"), "w") as handle:
        handle.write("Emulated: qemu-system-x86_64 -accel tcg -M q35 -cpu %s (QEMU 7.2, Debian 12), kvm_amd inside; "
                     "recorded by tests/functional/x86/test_cpu_matrix.py in %.0f s.\n"
                     % (recording["cpu"], recording["seconds"]))
