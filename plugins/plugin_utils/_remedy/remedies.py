# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opt-in remediation, decided on the controller: a host's verdict in, the exact fixes to apply out.

plan() reads only the verdict's root causes by code and subject (never a message), the host's own facts for
what a fix needs (the node's group, the probing user), and the user's lists. It grants nothing the user did
not list by name: a cause whose code is not in `codes` is left alone, an account not in `accounts` gets
nothing, and a node mode that lets other users write is refused. The role fleetcheck.kvm.remediate applies
the plan with ansible.builtin modules, in check and diff mode too.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_MINOR, KVM_MISC_MAJOR
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import page_size_key
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Verdict, mapping

# code -> the fix that answers it; the one list of what the role can do (docs and argument spec read it).
# tools/gen_docs.py writes the role README's table of fixes from it.
FIXES = (
    ("device.user_denied", "group", "the account (the subject) joins the node's group, if it is listed; where the "
                                    "node's mode grants its group nothing, the node also gets the udev fix"),
    ("device.eacces", "group", "the probing user joins the node's group, if it is listed; where the node's mode "
                               "grants its group nothing, the node also gets the udev fix"),
    ("device.world_writable", "udev", "`/etc/udev/rules.d/65-fleetcheck-kvm.rules` with the group and mode, and the "
                                      "node given them now"),
    ("device.missing.module_loaded", "node", "the node created (`c 10 232`) with the group and mode"),
    ("device.missing.not_loaded", "module", "the module the probe found available (the subject) loaded and listed "
                                            "in `/etc/modules-load.d/fleetcheck-kvm.conf`"),
    ("device.missing.no_module", "module", "the backend loaded (`modprobe`) and listed in "
                                           "`/etc/modules-load.d/fleetcheck-kvm.conf`"),
    ("nested.not_offered", "nested", "`options <backend> nested=1` in `/etc/modprobe.d/fleetcheck-kvm-nested.conf`, "
                                     "for `kvm_intel` and `kvm_amd`; in effect when the module is next loaded (the role "
                                     "never unloads it: running guests would stop)"),
    ("hugepages.short", "hugepages", "the host-wide count of `kvm_validate_hugepages_minimums` reserved now (sysfs, "
                                     "only ever raised) and at boot (`/etc/tmpfiles.d`)"),
)
FIX_OF = dict((code, fix) for code, fix, _doc in FIXES)
NESTED_BACKENDS = ("kvm_intel", "kvm_amd")  # the modules with a `nested` parameter
UDEV_RULE = "/etc/udev/rules.d/65-fleetcheck-kvm.rules"
MODULES_LOAD = "/etc/modules-load.d/fleetcheck-kvm.conf"
MODPROBE_NESTED = "/etc/modprobe.d/fleetcheck-kvm-nested.conf"
_ACCOUNT = re.compile(r"^[a-z_][a-z0-9_.-]*\$?$", re.I)
_MODE = re.compile(r"^[0-7]{3,4}$")
_BACKEND = re.compile(r"^kvm(_[a-z0-9]+)?$")  # kvm_intel, kvm_amd, kvm_pvm, ...: a module name, no shell word


class RemedyError(ValueError):
    """An option that cannot be used; the message names it."""


def _mode(value: object) -> str:
    text = str(value)
    if not _MODE.match(text):
        raise RemedyError("kvm_remediate_device_mode is %r: give an octal mode of three or four digits, such as "
                          "'0660'" % (value,))
    mode = int(text, 8)
    if mode & 0o7000:
        raise RemedyError("kvm_remediate_device_mode %s sets %s: a device node takes read and write bits only; "
                          "use '0660'" % (text, " and ".join(name for bit, name in (
                              (0o4000, "setuid (4000)"), (0o2000, "setgid (2000)"), (0o1000, "the sticky bit (1000)"))
                              if mode & bit)))
    if mode & 0o002:
        raise RemedyError("kvm_remediate_device_mode %s lets every local user write the node (create VMs): this role "
                          "never makes it world-writable; use '0660' and list the accounts" % text)
    return "0%03o" % mode


def check_options(codes: Any, accounts: Any, group: Any, mode: object) -> tuple[list[str], list[str], str, str]:
    """The options, checked: (codes, accounts, group, mode). Raises RemedyError naming the variable."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise RemedyError("kvm_remediate_codes must be a list of problem codes")
    unknown = [c for c in codes if c not in FIX_OF]
    if unknown:
        raise RemedyError("kvm_remediate_codes: %s %s not fixed by this role; it fixes %s" % (
            ", ".join(unknown), "is" if len(unknown) == 1 else "are", ", ".join(code for code, _f, _d in FIXES)))
    if not isinstance(accounts, list) or not all(isinstance(a, str) and _ACCOUNT.match(a) for a in accounts):
        raise RemedyError("kvm_remediate_accounts must be a list of account names")
    if not isinstance(group, str) or not _ACCOUNT.match(group):
        raise RemedyError("kvm_remediate_device_group must be a group name, not %r" % (group,))
    return codes, accounts, group, _mode(mode)


def _group_grants(device: Any) -> str | None:
    """The node's group, when its mode lets that group read and write (and it is not root's); else None."""
    group, mode = device.get("group"), device.get("mode")
    if isinstance(group, str) and group not in ("root", "") and isinstance(mode, str) and _MODE.match(mode) \
            and int(mode, 8) & 0o060 == 0o060:
        return group
    return None


def _groups_of(device: Any, account: str) -> set[str] | None:
    """The groups the probe saw `account` in: the probing user's, or a judged account's; None when not seen."""
    if account == device.get("user"):
        groups = device.get("user_groups")
    else:
        entry = (device.get("accounts") or {}).get(account) if isinstance(device.get("accounts"), dict) else None
        groups = entry.get("groups") if isinstance(entry, dict) else None
    return set(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else None


# fix -> why it cannot work inside a container, which shares the kernel of the host that runs it
# (module and huge pages may be set from a privileged container; the new probe says whether they were)
IN_CONTAINER = {
    "nested": "a container shares the kernel of the host that runs it, and the host's modprobe never reads the "
              "container's /etc/modprobe.d: set the module's option on that host",
}


def plan(verdict: Verdict, facts: Any, codes: Any, accounts: Any, group: Any = "kvm", mode: object = "0660",
         backend: Any = None, hugepages_minimums: Any = None) -> dict[str, Any]:
    """{"fixes": [...], "left": [...]}: each fix to apply for a listed code, and each listed cause left alone
    with why. Raises RemedyError for an option that cannot be used."""
    codes, accounts, group, mode = check_options(codes, accounts, group, mode)
    facts = facts if isinstance(facts, dict) else {}
    device = mapping(facts.get("device"))
    causes = [c for c in (verdict or {}).get("root_causes") or () if isinstance(c, dict) and c.get("code") in codes]
    fixes, left, answered = [], [], []
    for cause in causes:
        code, subject = cause["code"], cause.get("subject")
        found, why = _fixes(FIX_OF[code], code, subject, device, accounts, group, mode, backend,
                            hugepages_minimums or {})
        if not found:
            left.append({"code": code, "subject": subject, "why": why})
            continue
        answered.append({"code": code, "subject": subject, "fixes": sorted(set(f["fix"] for f in found)),
                         "node": device.get("path") or "/dev/kvm"})
        for fix in found:
            if fix not in fixes:  # one fix may answer two causes (device.eacces and device.user_denied)
                fixes.append(fix)
    return {"fixes": fixes, "left": left, "causes": answered}


def prove(planned: Any, verdict: Any) -> dict[str, Any]:
    """{"proven": [...], "not_fixed": [...], "pending": [...]}: each cause the plan answered, judged again from the
    host's new verdict (probed after the fixes). A cause is proven gone when neither it nor another root cause on
    its subject (or, for the node's causes, on the node) is left; a nested option is in effect only when the module
    is next loaded, and the probing user's new group only in its next login session."""
    causes = (planned or {}).get("causes") if isinstance(planned, dict) else None
    now = [c for c in (verdict or {}).get("root_causes") or () if isinstance(c, dict)] \
        if isinstance(verdict, dict) else []
    proven, not_fixed, pending = [], [], []
    for cause in causes if isinstance(causes, list) else ():
        code, subject = cause.get("code"), cause.get("subject")
        same = [c for c in now if c.get("code") == code and c.get("subject") == subject]
        related = same or [c for c in now if c.get("subject") in (subject, cause.get("node"))
                           and str(c.get("code", "")).startswith("device.") == code.startswith("device.")]
        entry = {"code": code, "subject": subject}
        if code == "nested.not_offered":
            pending.append(dict(entry, why="in effect when %s is next loaded (with no guest running: modprobe -r "
                                           "%s; modprobe %s), or at the next boot" % (subject, subject, subject)))
        elif not related:
            proven.append(entry)
        elif code == "device.eacces" and "group" in cause.get("fixes", ()) and same:
            pending.append(dict(entry, why="the probing user's new group counts from its next login: audit again "
                                           "over a new connection (meta: reset_connection)"))
        else:
            first = (same or related)[0]
            not_fixed.append(dict(entry, now=first.get("code"), why=first.get("message")))
    return {"proven": proven, "not_fixed": not_fixed, "pending": pending}


def _fixes(kind: str, code: str, subject: Any, device: Any, accounts: list[str], group: str, mode: str, backend: Any,
           minimums: Any) -> tuple[list[dict[str, Any]], str | None]:
    """([fix, ...], None), or ([], why the cause is left alone)."""
    container = device.get("container") if isinstance(device.get("container"), dict) else None
    if container and kind in IN_CONTAINER:
        where = "this host is a %s container (%s)" % (container.get("runtime"), container.get("evidence"))
        return [], "%s: %s" % (where, IN_CONTAINER[kind])
    if container and kind == "node" and container.get("mknod_allowed") is not True:
        # made only where the cgroup v1 list the kernel enforces allows it (a privileged container)
        refuses = "refuses a node made inside" if container.get("mknod_allowed") is False else \
            "cannot be read (cgroup v2 keeps it in a BPF program), so a node made inside may be refused"
        return [], ("this host is a %s container (%s) whose device cgroup %s: recreate the container with "
                    "--device %s" % (container.get("runtime"), container.get("evidence"), refuses, _node(subject)))
    if kind == "group":
        return _access(code, subject, device, accounts, group, mode)
    fix, why = _fix(kind, code, subject, device, group, mode, backend, minimums)
    return ([fix], None) if fix else ([], why)


def _access(code: str, subject: Any, device: Any, accounts: list[str], group: str,
            mode: str) -> tuple[list[dict[str, Any]], str | None]:
    """The fixes that let an account open the node, from what the probe saw: joining the node's group where the
    mode grants that group read and write; where it does not, the node's group and mode too (a udev rule)."""
    account = subject if code == "device.user_denied" else device.get("user")
    if account not in accounts:
        return [], "%s is not in kvm_remediate_accounts: nothing is granted to an account not listed by name" % (
            account,)
    granted, member_of = _group_grants(device), _groups_of(device, account)
    if granted and member_of is not None and granted in member_of:
        return [], ("%s is already in %s, which the node's mode %s lets read and write: the refusal is not the "
                    "group's (an ACL mask, the device cgroup or a security module); see the cause's remedy"
                    % (account, granted, device.get("mode")))
    fixes: list[dict[str, Any]] = []
    if not granted:  # the node's mode (or its root group) is the cause: joining its group would change nothing
        udev, _why = _fix("udev", code, subject if code == "device.eacces" else device.get("path"), device, group,
                          mode, None, {})
        if udev is not None:  # a udev fix is always made
            fixes.append(udev)
    target = granted or group
    if member_of is None or target not in member_of:
        fixes.append({"fix": "group", "code": code, "account": account, "group": target})
    return fixes, None


def _node(subject: object) -> str:
    """The node a cause names (its subject, under /dev/), else /dev/kvm."""
    return subject if isinstance(subject, str) and subject.startswith("/dev/") else "/dev/kvm"


def _fix(kind: str, code: str, subject: Any, device: Any, group: str, mode: str, backend: Any,
         minimums: Any) -> tuple[dict[str, Any] | None, str | None]:
    base: dict[str, Any] = {"fix": kind, "code": code}
    if kind in ("udev", "node"):
        node = _node(subject)
        fix: dict[str, Any] = dict(base, node=node, group=group, mode=mode)
        if kind == "udev":
            fix.update(file=UDEV_RULE, line='KERNEL=="%s", GROUP="%s", MODE="%s"\n' % (node[len("/dev/"):], group, mode))
        else:
            fix.update(major=KVM_MISC_MAJOR, minor=KVM_MINOR)
        return fix, None
    if kind == "module":
        backend = subject if code == "device.missing.not_loaded" else backend
        if not isinstance(backend, str) or not _BACKEND.match(backend):
            return None, ("the CPU shows neither vmx nor svm, so no backend module is known to load: set "
                          "kvm_remediate_backend, or enable virtualization in the firmware (or nested "
                          "virtualization on the outer hypervisor) first")
        return dict(base, module=backend, file=MODULES_LOAD, line="%s\n" % backend), None
    if kind == "nested":
        if subject not in NESTED_BACKENDS:
            return None, ("%s has no nested parameter: nested virtualization is for kvm_intel and kvm_amd (on a "
                          "paravirtual or other backend, enable it on the outer hypervisor)" % (subject,))
        return dict(base, module=subject, file=MODPROBE_NESTED, line="options %s nested=1\n" % subject), None
    size = page_size_key(subject)
    wanted = [count for key, count in minimums.items() if page_size_key(key) == size]
    if size is None or len(wanted) != 1 or not isinstance(wanted[0], int) or isinstance(wanted[0], bool):
        return None, ("kvm_validate_hugepages_minimums has no host-wide count for %s (a count per NUMA node is "
                      "reserved through the node's own sysfs file, which this role leaves to you)" % (subject,))
    return dict(base, size=size, count=wanted[0],
                path="/sys/kernel/mm/hugepages/hugepages-%s/nr_hugepages" % size,
                file="/etc/tmpfiles.d/fleetcheck-kvm-hugepages-%s.conf" % size,
                line="w /sys/kernel/mm/hugepages/hugepages-%s/nr_hugepages - - - - %d\n" % (size, wanted[0])), None
