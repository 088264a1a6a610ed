# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the tests against the real /dev/kvm and real ansible-core.

With FLEETCHECK_REQUIRE_KVM=1 (set by .ci/run) a missing device, compiler or
ansible fails the run instead of skipping it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVICE = "/dev/kvm"
REQUIRED = os.environ.get("FLEETCHECK_REQUIRE_KVM") == "1"


def missing(what):
    """Skip, or fail when the environment promised everything is there."""
    if REQUIRED:
        pytest.fail("FLEETCHECK_REQUIRE_KVM=1 but %s" % what)
    pytest.skip(what)


@pytest.fixture(scope="session")
def kvm_device():
    if not os.path.exists(DEVICE):
        missing("%s does not exist on this machine" % DEVICE)
    return DEVICE


def compile_c_probe(tmp_path_factory, name):
    """tests/functional/c_probe/NAME.c compiled now, in a directory any user may enter: the binary's path."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if not compiler:
        missing("no C compiler to build the independent probe %s" % name)
    directory = tmp_path_factory.mktemp(name)
    binary = str(directory / name)
    subprocess.check_call([compiler, "-O2", "-Wall", "-Werror", "-o", binary,
                           os.path.join(ROOT, "tests", "functional", "c_probe", name + ".c")])
    os.chmod(str(directory), 0o755)
    os.chmod(binary, 0o755)
    return binary


@pytest.fixture(scope="session")
def c_probe(tmp_path_factory, kvm_device):
    """The independent C probe, compiled now from tests/functional/c_probe."""
    binary = compile_c_probe(tmp_path_factory, "kvm_c_probe")

    def run(*args):
        output = subprocess.check_output([binary] + [str(a) for a in args], universal_newlines=True)
        return [line.split() for line in output.splitlines()]
    return run


@pytest.fixture(scope="session")
def ansible_bin():
    binary = shutil.which("ansible")
    if not binary:
        missing("ansible is not on PATH (run through tools/test-all.sh)")
    return os.path.dirname(binary)


def constructed_groups(ansible_bin, inventory, cache):
    """{group: sorted hosts} of the shipped constructed inventory over `inventory`, as ansible-inventory builds it
    from the jsonfile fact cache in `cache`."""
    import json
    env = dict(os.environ, ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache))
    output = subprocess.check_output([os.path.join(ansible_bin, "ansible-inventory"), "-i", str(inventory), "-i",
                                      os.path.join(ROOT, "docs", "examples", "kvm_groups.constructed.yml"), "--list"],
                                     env=env, universal_newlines=True)
    return dict((name, sorted(group.get("hosts", []))) for name, group in json.loads(output).items()
                if isinstance(group, dict))


def chromium_dom(page, profile, *extra):
    """The page's DOM after its script ran, as headless Chromium renders it."""
    chromium = shutil.which("chromium")
    if not chromium:
        missing("chromium is not installed (tools/test-all.sh installs it)")
    return subprocess.check_output([
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=%s" % profile,
        "--virtual-time-budget=3000"] + list(extra) + ["--dump-dom", "file://%s" % page], universal_newlines=True,
        stderr=subprocess.DEVNULL, timeout=120)
