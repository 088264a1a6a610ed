# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu_check on the fake kernel: a recorded machine whose QEMU agrees, an injected difference (QEMU's answer is
used and the judge warns), and every way QEMU is not asked or does not answer."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import errno
import stat

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import qemu_check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.evaluate import check_requirements, evaluate
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.fake_kernel import FakeNode, oserror
from ansible_collections.fleetcheck.kvm.tests.unit.plugins.module_utils.machines import RecordedKernel, qemu_answers

MACHINE = "x86-intel-mdsno-kvm_pvm"
BINARY = "/usr/bin/qemu-system-x86_64"
DPKG = b"Package: qemu-system-x86\nStatus: install ok installed\nVersion: 1:7.2+dfsg-7+deb12u18+b3\n\n"


def kernel_with_qemu(answer=None, release="7.2"):
    """The recorded machine with QEMU `release` installed, answering as it answered there (or `answer`)."""
    kernel = RecordedKernel(MACHINE)
    kernel.sysfs.setdefault("/var/lib/dpkg", {})["status"] = DPKG.replace(b"7.2+dfsg", release.encode() + b"+ds")
    kernel.nodes[BINARY] = FakeNode(stat.S_IFREG | 0o755)
    answer = answer or qemu_answers(MACHINE)[release]
    kernel.qmp_answers[BINARY] = [{"qemu": {}, "package": answer["package"]}, answer["definitions"],
                                  {"model": answer["host"]}]
    return kernel


def probed(kernel, **kwargs):
    facts = gather.gather(["guest_cpu"], kernel=kernel, qemu_check=True, **kwargs)
    assert kernel.leaks() == []
    return facts


def test_qemu_is_started_stopped_bounded_and_agrees_on_the_machine_it_was_recorded_on():
    for release in ("7.2", "10.0", "11.1"):
        kernel = kernel_with_qemu(release=release)
        guest = probed(kernel)["guest_cpu"]
        assert guest["qemu_check"]["agree"] is True and guest["qemu_check"]["differences"] == [], release
        assert guest["qemu_check"]["binary"] == BINARY and guest["qemu"]["table"] == release
        (argv, _commands, timeout, address_space), = kernel.qmp_calls
        assert "-S" in argv and "kvm" in argv and "-nodefaults" in argv and timeout <= 10 and address_space <= 1 << 30


def test_a_difference_is_reported_and_qemus_answer_is_used():
    answer = copy.deepcopy(qemu_answers(MACHINE)["11.1"])
    nehalem = [d for d in answer["definitions"] if d["name"] == "Nehalem-v1"][0]
    assert nehalem["unavailable-features"]
    nehalem["unavailable-features"] = []  # QEMU says it runs: a rule the probe lacks
    answer["host"]["props"]["invtsc"] = True
    kernel = kernel_with_qemu(answer, "11.1")
    facts = probed(kernel, cpu_models=["Nehalem-v1", "Haswell"])
    guest = facts["guest_cpu"]
    check = guest["qemu_check"]
    assert check["agree"] is False
    assert [d["model"] for d in check["differences"]] == ["Nehalem-v1", "host"]
    assert check["differences"][0]["qemu"] == [] and check["differences"][0]["ours"]
    assert check["differences"][1] == {"model": "host", "ours": [], "qemu": ["invtsc"]}
    assert guest["models"]["Nehalem-v1"] == {"runnable": True, "missing": []}  # QEMU's answer
    assert "Nehalem-v1" in guest["runnable_models"] and "invtsc" in guest["features"]
    assert sorted(guest["models"]) == ["Haswell", "Nehalem-v1"] and guest["models_complete"] is False
    verdict = evaluate(facts, check_requirements({}, {}), {})
    warned = [c for c in verdict["checks"] if c.get("code") == "guest_cpu.qemu_disagrees"]
    assert [c["subject"] for c in warned] == ["Nehalem-v1", "host"]
    assert all(c["severity"] == "warn" and "record.sh" in c["remedy"] for c in warned)
    assert "Nehalem-v1" in warned[0]["message"] and "pni" in warned[0]["message"]
    assert [c["message"] for c in warned] == verdict["warnings"][-2:]  # warnings, never failures
    assert not [m for m in verdict["failures"] if "QEMU 11.1" in m]


def test_no_qemu_installed_is_skipped_and_nothing_is_started():
    kernel = RecordedKernel(MACHINE)
    guest = probed(kernel)["guest_cpu"]
    assert "no QEMU is installed" in guest["qemu_check"]["skipped"] and kernel.qmp_calls == []


def test_another_release_judged_is_skipped():
    kernel = kernel_with_qemu()
    guest = probed(kernel, qemu_version=["11.1"])["guest_cpu"]
    assert "QEMU 7.2 is installed" in guest["qemu_check"]["skipped"] and kernel.qmp_calls == []


def test_a_package_without_its_binary_is_skipped():
    kernel = kernel_with_qemu()
    del kernel.nodes[BINARY]
    assert "none of /usr/bin/qemu-system-x86_64" in probed(kernel)["guest_cpu"]["qemu_check"]["skipped"]


def test_qemu_that_does_not_start_or_answer_is_an_error_entry_not_a_failure():
    for error in (oserror(errno.ETIMEDOUT), OSError(errno.EIO, "qemu exited with status 1 before answering: x")):
        kernel = kernel_with_qemu()
        kernel.qmp_answers[BINARY] = error
        facts = probed(kernel)
        assert facts["guest_cpu"]["qemu_check"]["error"].startswith("QEMU did not answer: ")
        assert facts["errors"] == [] and "Nehalem" in facts["guest_cpu"]["models"]


def test_a_refused_command_is_an_error_entry():
    kernel = kernel_with_qemu()
    kernel.qmp_answers[BINARY][1] = {"error": {"class": "CommandNotFound"}}
    assert probed(kernel)["guest_cpu"]["qemu_check"]["error"] == "QEMU refused query-cpu-definitions"


def test_without_the_option_qemu_is_never_started():
    kernel = kernel_with_qemu()
    guest = gather.gather(["guest_cpu"], kernel=kernel)["guest_cpu"]
    assert "qemu_check" not in guest and kernel.qmp_calls == []
    assert qemu_check.ARGS[-2:] == ("-qmp", "stdio")
