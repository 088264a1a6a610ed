# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Why a probe failed before it could answer, and what to do, read from the registered result.

ansible-core reports a module that never ran with a generic message ("Module result
deserialization failed: No start of json char found", "MODULE FAILURE"); the cause is in
module_stderr, module_stdout and rc. Controller side: pure standard library, no host-side code.
"""

from __future__ import annotations

import re
from typing import Any

# Oldest Python that ansible-core runs modules on, per ansible-core release. Source: the
# ansible-core support matrix (docs.ansible.com, "Releases and maintenance"), checked against
# real runs of 2.16.19, 2.19.14 and 2.21.5 (tests/unit/plugins/plugin_utils/fixtures/probe_failures.json).
TARGET_PYTHON_MINIMUM = (
    ((2, 16), (2, 7)),
    ((2, 17), (3, 7)),
    ((2, 18), (3, 8)),
    ((2, 19), (3, 8)),
    ((2, 20), (3, 9)),
)
# kvm_facts itself needs Python 3.6 (plugins/modules/kvm_facts.py checks it first).
MODULE_PYTHON_MINIMUM = (3, 6)

# ansible-core's own words for "the module printed no JSON"; they say nothing about the cause.
GENERIC_MESSAGES = ("Module result deserialization failed", "MODULE FAILURE",
                    "The module failed to execute correctly", "The module interpreter")
# Lines that SSH adds to module_stderr without telling anything about the module.
NOISE = re.compile(r"^(Shared connection to \S+ closed\.|Connection to \S+ closed\.|Warning: Permanently added .*)$")

FIX_INTERPRETER = ("set ansible_python_interpreter for this host to an existing Python 3.x "
                   "(%s or newer), e.g. /usr/bin/python3, or install one there")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _lines(text: object) -> list[str]:
    return [line.strip() for line in _text(text).splitlines() if line.strip() and not NOISE.match(line.strip())]


def _version(text: object) -> tuple[int, ...] | None:
    numbers = re.findall(r"\d+", _text(text))
    return tuple(int(n) for n in numbers[:2]) if len(numbers) >= 2 else None


def needed_python(core_version: object = None) -> str:
    """The oldest target Python for kvm_facts under this ansible-core, as text ('3.8')."""
    wanted = MODULE_PYTHON_MINIMUM
    core = _version(core_version)
    if core:
        minimum = None
        for release, python in TARGET_PYTHON_MINIMUM:
            if core >= release:
                minimum = python
        wanted = max(wanted, minimum or wanted)
    return "%d.%d" % wanted


def _interpreter_not_found(result: dict[str, Any], evidence: str) -> tuple[str, str] | None:
    """The interpreter path does not exist (or a pyenv shim has no such version)."""
    stderr = _text(result.get("module_stderr"))
    shim = re.search(r"pyenv: (\S+): command not found", stderr)
    if shim:
        return ("no Python interpreter at the interpreter path: the pyenv shim has no %s for the remote user (%s)"
                % (shim.group(1), evidence), "interpreter")
    path = (re.search(r"The module interpreter '([^']+)' was not found", _text(result.get("msg")))
            or re.search(r"(?:^|\n)(?:/bin/sh|sh|bash|/bin/bash)?:?\s*(?:\d+:\s*)?(\S+): (?:not found|No such file or directory)",
                         stderr)
            or re.search(r"/usr/bin/env: '?([^':]+)'?: No such file or directory", stderr))
    if path or result.get("rc") == 127:
        where = path.group(1) if path else "the interpreter path"
        return ("no Python interpreter at %s on the host (%s)" % (where, evidence), "interpreter")
    return None


def _too_old(result: dict[str, Any], evidence: str) -> tuple[str, str] | None:
    """ansible-core's module wrapper does not parse under the target's Python."""
    stderr = _text(result.get("module_stderr"))
    if "SyntaxError" in stderr and ("AnsiballZ_" in stderr or "ansible/module_utils" in stderr):
        return ("the host's Python is too old for this ansible-core: its module wrapper does not even parse (%s)"
                % evidence, "too_old")
    return None


def _permission(result: dict[str, Any], evidence: str) -> tuple[str, str] | None:
    stderr = _text(result.get("module_stderr"))
    msg = _text(result.get("msg"))
    if re.search(r"(?i)(missing sudo password|a password is required|incorrect sudo password|"
                 r"is not in the sudoers file|not allowed to execute)", stderr + "\n" + msg):
        return ("privilege escalation failed (%s)" % evidence, "become")
    if "Permission denied" in stderr or result.get("rc") == 126:
        return ("the remote user may not run the interpreter or write the module file: permission denied (%s)"
                % evidence, "permission")
    return None


def _timeout(result: dict[str, Any], evidence: str) -> tuple[str, str] | None:
    msg = _text(result.get("msg"))
    seconds = re.search(r"Timed out after (\d+) second|expected time frame \((\d+)\)|timeout of (\d+) second", msg)
    if seconds or re.search(r"(?i)\btimed out\b", msg):
        limit = next((group for group in seconds.groups() if group), None) if seconds else None
        return ("the probe did not finish within %s (%s)" % ("%s s" % limit if limit else "the task timeout", evidence),
                "timeout")
    return None


def _died(result: dict[str, Any], evidence: str) -> tuple[str, str] | None:
    """The audit's probe strategy (plugins/strategy/probe.py) gave the host this result: its worker died."""
    if "worker process running this task for the host died" in _text(result.get("msg")):
        return ("the controller's process that ran the probe for this host died before the host answered (%s)"
                % evidence, "died")
    return None


CAUSES = (_died, _timeout, _interpreter_not_found, _too_old, _permission)
FIXES = {
    "interpreter": FIX_INTERPRETER,
    "too_old": FIX_INTERPRETER,
    "permission": ("make the interpreter executable for the remote user (ls -l it) and the remote temporary "
                   "directory writable (ansible_remote_tmp), or set ansible_python_interpreter to a Python 3.x "
                   "(%s or newer) that the user may run"),
    "become": "give the audit user passwordless sudo for Python, or set ansible_become_password (or run without become)",
    "died": ("the audit reported the host and went on; find what ended the process on the controller (the kernel's "
             "OOM killer: dmesg; a signal from a person or a supervisor), then audit this host again"),
    "timeout": ("the audit reports the host and goes on; look on the host for a process stuck in an ioctl on "
                "/dev/kvm (state D in ps) and for an overloaded host, or raise the task timeout "
                "(kvm_audit_probe_timeout in the audit) for a host that is only slow"),
}


def probe_failure_code(result: object) -> str:
    """The problem code of a probe result that carries no facts: probe.worker_died, probe.timeout or probe.failed."""
    result = result if isinstance(result, dict) else {}
    return "probe.worker_died" if _died(result, "") else "probe.timeout" if _timeout(result, "") else "probe.failed"


def describe_probe_failure(result: object, core_version: object = None) -> str:
    """A reason for a probe result that carries no facts: cause, evidence, fix.

    `result` is the registered result of fleetcheck.kvm.kvm_facts; `core_version` the
    controller's ansible-core version, to name the Python it needs on targets.
    """
    result = result if isinstance(result, dict) else {}
    msg = _text(result.get("msg")).strip()
    stderr = _lines(result.get("module_stderr"))
    stdout = _lines(result.get("module_stdout"))
    errors = [line for line in stderr if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line)]
    detail = errors[-1:] or [line for line in stderr if not line.startswith(("File ", "^", "Traceback"))]
    evidence = "; ".join(part for part in (
        "rc %s" % result["rc"] if result.get("rc") is not None else "",
        "stderr: %s" % " ".join(detail[:2])[:300] if detail else "",
        "stdout: %s" % " ".join(stdout[:1])[:200] if stdout and not detail else "",
        "msg: %s" % msg.splitlines()[0][:200] if msg and not detail and not stdout else "") if part)
    for cause in CAUSES:
        found = cause(result, evidence or "no output")
        if found:
            reason, kind = found
            fix = FIXES[kind]
            return "fleetcheck.kvm.kvm_facts could not run: %s; %s" % (
                reason, fix % needed_python(core_version) if "%s" in fix else fix)
    if msg and not msg.startswith(GENERIC_MESSAGES):
        return "fleetcheck.kvm.kvm_facts returned no facts: %s" % msg  # the module's own fail_json says it
    return ("fleetcheck.kvm.kvm_facts returned no facts (%s); rerun it on this host with -vvv "
            "(ansible HOST -m fleetcheck.kvm.kvm_facts -vvv) to see its output" % (evidence or "no output"))
