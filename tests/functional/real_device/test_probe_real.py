# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe library against the real /dev/kvm: every CPython, leaks, time bound, permissions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import x86_64 as guest_x86
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import (
    gather, vcpu_run as probe_vcpu_run)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Kvm
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.extensions import CAP_SWEEP_BEYOND_TABLE
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MAX_CAP = max(KVM_CAPS) + CAP_SWEEP_BEYOND_TABLE
GATHER_SCRIPT = ("import json, sys; sys.path.insert(0, sys.argv[1]);"
                 "from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather;"
                 "print(json.dumps(gather.gather(device=sys.argv[2])))")


def interpreters():
    """Real CPython 3.6 to 3.13 binaries on this machine (never pyenv shims), one per version."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3"))) + \
        sorted(glob.glob("/usr/bin/python3.[0-9]*")) + sorted(glob.glob("/usr/local/bin/python3.[0-9]*"))
    found = {}
    for path in candidates:
        if not os.access(path, os.X_OK) or path.endswith("-config"):
            continue
        try:
            version = subprocess.check_output([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                              universal_newlines=True).strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        major, minor = (int(x) for x in version.split("."))
        if major == 3 and 6 <= minor <= 13:
            found.setdefault(version, path)
    return sorted(found.items(), key=lambda item: int(item[0].split(".")[1]))


@pytest.fixture(scope="module")
def collection_tree():
    """A world-readable copy of the collection's module_utils, importable by any user and interpreter."""
    tree = tempfile.mkdtemp(prefix="fleetcheck-tree-")
    os.chmod(tree, 0o755)
    target = os.path.join(tree, "ansible_collections", "fleetcheck", "kvm", "plugins", "module_utils")
    shutil.copytree(os.path.join(ROOT, "plugins", "module_utils"), target)
    for directory, subdirs, files in os.walk(tree):
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
    yield tree
    shutil.rmtree(tree)


@pytest.fixture(scope="module")
def c_caps(c_probe, kvm_device):
    return dict((cap_name(int(f[1])), int(f[2])) for f in c_probe(kvm_device, MAX_CAP)
                if f[0] == "cap" and int(f[2]))


INTERPRETERS = interpreters()


def test_interpreters_were_found():
    assert INTERPRETERS, "no CPython 3.6 to 3.13 found"


@pytest.mark.parametrize("version, python", INTERPRETERS, ids=[v for v, p in INTERPRETERS])
def test_probe_runs_under_every_cpython(version, python, collection_tree, kvm_device, c_caps):
    output = subprocess.check_output([python, "-c", GATHER_SCRIPT, collection_tree, kvm_device],
                                     universal_newlines=True)
    facts = json.loads(output)
    assert facts["usable"] is True, facts["reasons"]
    assert facts["extensions"] == c_caps
    assert facts["vcpu_run"]["status"] in ("ok", "skipped")


def test_request_numbers_match_the_c_header(c_probe):
    requests = abi.KvmRequests(os.uname()[4])
    header = dict((name, int(value)) for name, value in c_probe("requests"))
    assert header, "the C probe printed no request numbers"
    assert dict((name, getattr(requests, name)) for name in header) == header


def test_strace_sees_the_runs_one_vm_and_the_hyperv_subsets_own(collection_tree, kvm_device):
    """One VM for every subset; the hyperv subset's own VM (its vCPU needs an in-kernel LAPIC, which the vCPU run's
    HLT cannot have) comes last, with the split irqchip, and every VM is closed before the probe returns."""
    strace = shutil.which("strace")
    if not strace:
        missing("strace is not installed")
    output = subprocess.run([strace, "-f", "-e", "trace=ioctl,close", "-o", "/dev/stdout", "-qq", "/usr/bin/python3",
                             "-c", GATHER_SCRIPT, collection_tree, kvm_device],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                            check=True).stdout
    calls = [line for line in output.splitlines() if "ioctl(" in line]
    assert any("KVM_RUN" in line for line in calls), "strace did not decode the KVM ioctls:\n" + output[-2000:]
    created = [index for index, line in enumerate(calls) if "KVM_CREATE_VM" in line]
    assert len(created) == 2, [calls[i] for i in created]
    assert created[1] > max(index for index, line in enumerate(calls) if "KVM_RUN" in line)
    assert any("KVM_ENABLE_CAP" in line for line in calls[created[1]:]), calls[created[1]:created[1] + 5]
    for line in (calls[i] for i in created):  # each VM's fd is closed
        fd = line.rsplit("=", 1)[1].strip()
        assert re.search(r"close\(%s\)\s+= 0" % fd, output), line


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def _rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_thousand_probes_leave_fds_and_rss_flat(kvm_device):
    for _warm_up in range(50):  # warm caches and allocator pools first
        gather.gather(device=kvm_device)
    fds, rss = _open_fds(), _rss_bytes()
    for _probe in range(1000):
        facts = gather.gather(device=kvm_device)
    assert facts["usable"] is True
    assert _open_fds() == fds
    assert _rss_bytes() - rss < 4 * 1024 * 1024, "RSS grew by %d bytes" % (_rss_bytes() - rss)


def test_a_guest_that_never_exits_is_cut_off_by_the_timeout(kvm_device):
    if os.uname()[4] != "x86_64":
        pytest.skip("the guest code is x86")

    class Spinner(object):  # jmp $: spins forever without an exit
        ADDRESS, MEMORY_SIZE, CODE = guest_x86.ADDRESS, guest_x86.MEMORY_SIZE, b"\xeb\xfe"
        EXPECTED_EXITS, FINAL_EXIT, set_up, judge = guest_x86.EXPECTED_EXITS, "HLT", guest_x86.set_up, None

    kernel = Syscalls()
    fds = _open_fds()
    ctx = ProbeContext(kernel, kvm_device, 0.2, (), ["vcpu_run"])
    try:
        ctx.kvm = Kvm.open(kernel, kvm_device)
        ctx.facts["vcpu_mmap_size"] = ctx.kvm.get_vcpu_mmap_size()
        run = probe_vcpu_run.run(ctx, Spinner)
    finally:
        ctx.close()
    assert run["status"] == "timeout" and "did not return within 0.2 s" in run["reason"]
    assert run["elapsed_ms"] >= 200
    assert run["elapsed_ms"] < 200 + 5000, "the bound did not hold"
    assert _open_fds() == fds


def _node(directory, mode, group):
    path = os.path.join(directory, "kvm")
    if os.path.exists(path):
        os.unlink(path)
    try:
        os.mknod(path, 0o600 | 0o020000, os.makedev(10, 232))
    except OSError as error:
        pytest.skip("cannot create device nodes here: %s" % error)
    os.chown(path, 0, group)
    os.chmod(path, mode)
    return path


def test_a_user_denied_then_allowed_through_the_group(collection_tree):
    if os.geteuid() != 0 or not shutil.which("runuser") or not os.path.exists("/usr/bin/python3"):
        pytest.skip("needs root, runuser and /usr/bin/python3")
    import grp
    import pwd
    user = pwd.getpwnam("nobody")
    group = grp.getgrgid(user.pw_gid).gr_name
    directory = tempfile.mkdtemp(prefix="fleetcheck-node-")
    os.chmod(directory, 0o755)

    def gather_as_nobody(path):
        output = subprocess.check_output(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c",
                                          GATHER_SCRIPT, collection_tree, path], universal_newlines=True)
        return json.loads(output)
    try:
        denied = gather_as_nobody(_node(directory, 0o600, 0))
        assert denied["usable"] is False and denied["device"]["open_error"] == "EACCES"
        assert denied["reasons"][0].startswith(
            "%s/kvm: EACCES (Permission denied) opening read-write for user nobody (groups: %s); "
            "node is crw------- root:root; the node is open to its owner root only" % (directory, group))
        allowed = gather_as_nobody(_node(directory, 0o660, user.pw_gid))
        assert allowed["usable"] is True, allowed["reasons"]
        assert allowed["device"]["group"] == group and allowed["device"]["user"] == "nobody"
    finally:
        shutil.rmtree(directory)


def test_the_kernel_log_is_read_to_its_newest_message_without_blocking():
    """Root writes a line into /dev/kmsg; the reader the diagnosis of a missing /dev/kvm uses returns it last."""
    if os.geteuid() != 0:
        missing("writing to /dev/kmsg needs root")
    marker = "fleetcheck-kmsg-%d-%d" % (os.getpid(), len(glob.glob("/proc/[0-9]*")))
    with open("/dev/kmsg", "w") as kmsg:
        kmsg.write(marker + "\n")
    messages = Syscalls().kernel_log()
    assert messages and messages[-1] == marker
    assert len(Syscalls().kernel_log(limit=3)) == 3


def test_every_fact_of_this_host_fits_the_door_and_is_described(kvm_device):
    """The fake kernel's facts are described (tests/unit/plugins/plugin_utils/_fleet/test_schema.py); a real host
    writes facts the fake kernel does not (its cgroup layout, the VMM devices' answers): every one is described
    and fits, or the door check would pass an undescribed value unchecked or refuse a healthy host."""
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.schema import FACTS, check_facts
    from ansible_collections.fleetcheck.kvm.tests.unit.plugins.plugin_utils._fleet.test_schema import undescribed
    facts = gather.gather(device=kvm_device, accounts=["root", "nobody"], cpu_models=["all"], qemu_check=True)
    assert check_facts(facts) == ([], None)
    assert undescribed(facts, FACTS) == []
