# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A failed probe's reason names the cause and the fix, read from results that real
ansible-core 2.16, 2.19 and 2.21 runs registered (fixtures/probe_failures.json)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._probe_failures import describe_probe_failure, needed_python

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "probe_failures.json")) as _handle:
    CAPTURED = json.load(_handle)["results"]

# case -> phrases the reason must hold, whatever the ansible-core version
EXPECTED = {
    "missing": ["could not run", "no Python interpreter at /usr/bin/python9", "/usr/bin/python9: not found",
                "set ansible_python_interpreter", "Python 3.x"],
    "pyenv": ["the pyenv shim has no python3.13", "pyenv: python3.13: command not found", "set ansible_python_interpreter"],
    "noexec": ["permission denied", "rc 126", "noexec-python: Permission denied", "ansible_python_interpreter"],
    "slow": ["did not finish within 3 s", "raise the task timeout"],
    "py27": ["too old for this ansible-core", "SyntaxError", "set ansible_python_interpreter"],
    "py36": ["too old for this ansible-core", "future feature annotations", "set ansible_python_interpreter"],
    "py37": ["too old for this ansible-core", "SyntaxError: invalid syntax", "set ansible_python_interpreter"],
}
CASES = sorted((version, case) for version in CAPTURED for case in CAPTURED[version])


@pytest.mark.parametrize("version,case", CASES)
def test_every_captured_failure_says_the_cause_and_the_fix(version, case):
    reason = describe_probe_failure(CAPTURED[version][case], version)
    if (version, case) == ("2.16.19", "py27"):  # the module ran: its own message is the reason
        assert reason.startswith("fleetcheck.kvm.kvm_facts returned no facts: kvm_facts")
        return
    for phrase in EXPECTED[case]:
        assert phrase in reason, reason
    for generic in ("deserialization", "MODULE FAILURE", "No start of json"):
        assert generic not in reason


@pytest.mark.parametrize("version,python", [("2.16.19", "3.6"), ("2.17.0", "3.7"), ("2.19.14", "3.8"),
                                            ("2.21.5", "3.9"), (None, "3.6"), ("devel", "3.6")])
def test_the_python_named_is_the_newer_of_the_module_and_the_core_minimum(version, python):
    assert needed_python(version) == python
    if version:
        assert "(%s or newer)" % python in describe_probe_failure(CAPTURED["2.19.14"]["missing"], version)


def test_the_python_version_named_follows_the_controller_core():
    assert "(3.8 or newer)" in describe_probe_failure(CAPTURED["2.19.14"]["py27"], "2.19.14")
    assert "(3.9 or newer)" in describe_probe_failure(CAPTURED["2.21.5"]["py27"], "2.21.5")


def test_ssh_noise_is_dropped_and_env_interpreters_are_named():
    result = {"failed": True, "rc": 127, "module_stdout": "",
              "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error",
              "module_stderr": "Warning: Permanently added '10.88.0.5' (ED25519) to the list of known hosts.\r\n"
                               "/usr/bin/env: 'python3': No such file or directory\nShared connection to 10.88.0.5 closed.\r\n"}
    reason = describe_probe_failure(result)
    assert "no Python interpreter at python3" in reason and "Shared connection" not in reason
    assert "Permanently added" not in reason


def test_a_become_failure_names_sudo():
    reason = describe_probe_failure({"failed": True, "msg": "Missing sudo password"})
    assert "privilege escalation failed" in reason and "passwordless sudo" in reason


def test_the_modules_own_message_is_kept():
    reason = describe_probe_failure({"failed": True, "msg": "timeout must be between 0.01 and 300 seconds, got 0"})
    assert reason == "fleetcheck.kvm.kvm_facts returned no facts: timeout must be between 0.01 and 300 seconds, got 0"


GARBAGE = {"failed": True, "msg": "MODULE FAILURE", "rc": 1, "module_stdout": "garbage", "module_stderr": ""}


@pytest.mark.parametrize("result", [None, {}, GARBAGE])
def test_an_unknown_failure_still_says_how_to_see_more(result):
    reason = describe_probe_failure(result)
    assert "-vvv" in reason and reason.startswith("fleetcheck.kvm.kvm_facts returned no facts")
