# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container started with --device /dev/kvm and --uidmap: the node's owner is unmapped there (it shows as the
overflow id), so root in the container may not open it. `usable` equals what the kernel answers an open in the
same container, and the reason names the unmapped owner, not a missing --device.

The probe runs in the container from a copy of the collection (as its module does): Ansible's podman connection
cannot chmod the files it copies into such a container, whose owner, host root, is unmapped there too."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

IMAGE = "localhost/fleetcheck-debian:bookworm"
NAME = "fc-userns"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PROBE = ("import json, sys; sys.path.insert(0, '/tmp/c'); "
         "from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather; "
         "print(json.dumps(gather(['min'])))")
OPEN = "import os\ntry:\n    os.close(os.open('/dev/kvm', os.O_RDWR))\n    print('opened')\nexcept OSError as e:\n    print(e.errno)"


@pytest.fixture(scope="module")
def container(kvm_device):
    if not shutil.which("podman"):
        missing("podman is not installed (tools/test-all.sh installs it)")
    subprocess.call(["podman", "rm", "-f", "-t", "0", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.check_call(["podman", "run", "-d", "--name", NAME, "--device", kvm_device, "--uidmap", "0:200000:65536",
                           "--gidmap", "0:200000:65536", IMAGE, "/bin/sleep", "infinity"], stdout=subprocess.DEVNULL)
    subprocess.check_call(["podman", "exec", NAME, "mkdir", "-p", "/tmp/c/ansible_collections/fleetcheck/kvm"])
    subprocess.check_call(["podman", "cp", os.path.join(ROOT, "plugins"),
                           "%s:/tmp/c/ansible_collections/fleetcheck/kvm/plugins" % NAME])
    yield NAME
    subprocess.call(["podman", "rm", "-f", "-t", "0", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_usable_is_the_kernels_answer_and_the_reason_names_the_unmapped_owner(container):
    kernel_says = subprocess.check_output(["podman", "exec", NAME, "python3", "-c", OPEN],
                                          universal_newlines=True).strip()
    facts = json.loads(subprocess.check_output(["podman", "exec", NAME, "python3", "-c", PROBE], universal_newlines=True))
    assert facts["usable"] is (kernel_says == "opened")
    assert kernel_says == "13", "the kernel refuses root here with EACCES: the owner is not mapped"
    [problem] = facts["problems"]
    assert problem["code"] == "device.unmapped_owner"
    assert "not mapped into this user namespace" in problem["remedy"] and "(shown as 65534)" in problem["remedy"]
    assert "in a container pass --device" not in facts["reasons"][0]
    assert facts["device"]["owner"] in ("nobody", "65534")
