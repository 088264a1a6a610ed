# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host facilities on this real host, each compared with an oracle that does not share the
probe's code: a C program built from the kernel's uapi headers, setpriv as another account,
/proc/meminfo, and the file system type of /sys/fs/cgroup."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import pwd
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import compile_c_probe, missing

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import devices_abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import VMM_DEVICES as DEVICES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PATHS = [path for _key, path, _misc, _minor, _module, _who in DEVICES]
OTHER = "nobody"


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """run(*paths, user=None) -> {"numbers": {name: int}, "open": {path: errno}, "answer": {path: [ints]}}."""
    binary = compile_c_probe(tmp_path_factory, "devices_c_probe")

    def run(*paths, **kwargs):
        prefix = []
        if kwargs.get("user"):
            entry = pwd.getpwnam(kwargs["user"])
            prefix = ["setpriv", "--reuid", str(entry.pw_uid), "--regid", str(entry.pw_gid), "--init-groups"]
        found = {"numbers": {}, "open": {}, "answer": {}}
        for line in subprocess.check_output(prefix + [binary] + list(paths), universal_newlines=True).splitlines():
            words = line.split()
            if words[0] == "open":
                found["open"][words[1]] = int(words[2])
            elif words[0] in ("answer", "error"):
                found["answer"][words[1]] = [words[0]] + [int(w) for w in words[2:]]
            else:
                found["numbers"][words[0]] = int(words[1])
        return found
    return run


@pytest.fixture(scope="module")
def facts():
    return gather.gather(["min", "devices", "hugepages", "cgroup", "parameters", "iommu"],
                         accounts=[OTHER] if os.geteuid() == 0 else [])


def test_request_numbers_are_the_headers(oracle):
    numbers = oracle()["numbers"]
    requests = devices_abi.DeviceRequests(os.uname()[4])
    assert numbers and all(getattr(requests, name) == value for name, value in numbers.items()), numbers


def test_every_device_opens_and_answers_as_the_oracle_says(oracle, facts):
    seen = oracle(*PATHS)
    present = [key for key, path, _m, _n, _mod, _w in DEVICES if os.path.exists(path)]
    if not present:
        missing("none of %s exists on this machine" % ", ".join(PATHS))
    for key, path, _misc, _minor, _module, _who in DEVICES:
        entry = facts["devices"][key]
        number = seen["open"][path]
        assert entry["can_open_rw"] is (number == 0), (key, entry, number)
        if number:
            assert entry["open_error"] == errno.errorcode[number] or not entry["node_matches"], entry
            assert entry["reason"] and entry["usable"] is False
        if key in ("tun", "vhost_net", "vhost_vsock") and number == 0:
            assert seen["answer"][path] == ["answer", entry["answer"]["features"]], (key, entry)


def test_the_expected_number_is_the_nodes_when_the_kernel_registered_it(facts):
    for key, path, misc, _minor, _module, _who in DEVICES:
        sysfs = "/sys/class/misc/%s/dev" % misc
        if os.path.exists(path) and os.path.exists(sysfs):
            with open(sysfs) as handle:
                assert facts["devices"][key]["expected"] == handle.read().strip()
            st = os.stat(path)
            assert facts["devices"][key]["node_matches"] is (
                "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) == facts["devices"][key]["expected"])


def test_accounts_are_what_the_kernel_answers_that_account(oracle, facts):
    if os.geteuid() != 0:
        missing("judging another account by the kernel needs root")
    if not shutil.which("setpriv"):
        missing("setpriv (util-linux) is not installed")
    seen = oracle("/dev/kvm", *PATHS, user=OTHER)
    assert facts["device"]["accounts"][OTHER]["may_open"] is (seen["open"]["/dev/kvm"] == 0)
    assert facts["device"]["accounts"][OTHER]["judged"] == "observed"
    for key, path, _misc, _minor, _module, _who in DEVICES:
        if os.path.exists(path):
            account = facts["devices"][key]["accounts"][OTHER]
            assert account["may_open"] is (seen["open"][path] == 0), (key, account, seen["open"][path])


def test_hugepages_agree_with_meminfo(facts):
    with open("/proc/meminfo") as handle:
        meminfo = dict(line.split(":", 1) for line in handle if ":" in line)
    if "Hugepagesize" not in meminfo:
        missing("this kernel has no hugetlbfs")
    size = "%skB" % meminfo["Hugepagesize"].split()[0]
    default = facts["hugepages"]["sizes"][size]
    assert (default["total"], default["free"], default["reserved"], default["surplus"]) == tuple(
        int(meminfo[name].split()[0]) for name in ("HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
                                                   "HugePages_Surp"))


def test_cgroup_version_agrees_with_the_file_system_type(facts):
    def fstype(path):
        return subprocess.check_output(["stat", "-f", "-c", "%T", path], universal_newlines=True).strip()
    top = fstype("/sys/fs/cgroup")
    if top == "cgroup2fs":
        assert facts["cgroup"]["version"] == "v2"
    else:
        unified = os.path.isdir("/sys/fs/cgroup/unified") and fstype("/sys/fs/cgroup/unified") == "cgroup2fs"
        assert facts["cgroup"]["version"] == ("hybrid" if unified else "v1")


def test_parameters_are_the_files_of_kvm_and_its_backends(facts):
    if not os.path.isdir("/sys/module/kvm/parameters"):
        missing("kvm has no parameters directory here")
    readable = [n for n in os.listdir("/sys/module/kvm/parameters")
                if os.access(os.path.join("/sys/module/kvm/parameters", n), os.R_OK)]
    assert sorted(facts["parameters"]["kvm"]) == sorted(readable)
    assert set(facts["parameters"]) - set(["kvm"]), "no backend's parameters were read"
