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

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.fleetcheck.kvm.plugins.module_utils.names import KVM_MINOR, KVM_MISC_MAJOR
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.checks_vmm import page_size_key

# code -> the fix that answers it; the one list of what the role can do (docs and argument spec read it).
# tools/gen_docs.py writes the role README's table of fixes from it.
FIXES = (
    ("device.user_denied", "group", "the account (the subject) joins the node's group, if it is listed"),
    ("device.eacces", "group", "the probing user joins the node's group, if it is listed"),
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
_MODE = re.compile(r"^0?[0-7]{3}$")
_BACKEND = re.compile(r"^kvm(_[a-z0-9]+)?$")  # kvm_intel, kvm_amd, kvm_pvm, ...: a module name, no shell word


class RemedyError(ValueError):
    """An option that cannot be used; the message names it."""


def _mode(value):
    text = str(value)
    if not _MODE.match(text):
        raise RemedyError("kvm_remediate_device_mode is %r: give an octal mode such as '0660'" % (value,))
    mode = int(text, 8)
    if mode & 0o002:
        raise RemedyError("kvm_remediate_device_mode %s lets every local user write the node (create VMs): this role "
                          "never makes it world-writable; use '0660' and list the accounts" % text)
    return "0%03o" % mode


def check_options(codes, accounts, group, mode):
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


def _node_group(device, fallback):
    """The group a user joins to open the node: the node's own, when its mode lets the group read and write."""
    group, mode = device.get("group"), device.get("mode")
    if isinstance(group, str) and group not in ("root", "") and isinstance(mode, str) and _MODE.match(mode) \
            and int(mode, 8) & 0o060 == 0o060:
        return group
    return fallback


def plan(verdict, facts, codes, accounts, group="kvm", mode="0660", backend=None, hugepages_minimums=None):
    """{"fixes": [...], "left": [...]}: each fix to apply for a listed code, and each listed cause left alone
    with why. Raises RemedyError for an option that cannot be used."""
    codes, accounts, group, mode = check_options(codes, accounts, group, mode)
    facts = facts if isinstance(facts, dict) else {}
    device = facts.get("device") if isinstance(facts.get("device"), dict) else {}
    causes = [c for c in (verdict or {}).get("root_causes") or () if isinstance(c, dict) and c.get("code") in codes]
    fixes, left = [], []
    for cause in causes:
        code, subject = cause["code"], cause.get("subject")
        fix, why = _fix(FIX_OF[code], code, subject, device, accounts, group, mode, backend, hugepages_minimums or {})
        if fix is None:
            left.append({"code": code, "subject": subject, "why": why})
        elif fix not in fixes:  # one fix may answer two causes (device.eacces and device.user_denied)
            fixes.append(fix)
    return {"fixes": fixes, "left": left}


def _fix(kind, code, subject, device, accounts, group, mode, backend, minimums):
    base = {"fix": kind, "code": code}
    if kind == "group":
        account = subject if code == "device.user_denied" else device.get("user")
        if account not in accounts:
            return None, "%s is not in kvm_remediate_accounts: nothing is granted to an account not listed by name" % (
                account,)
        return dict(base, account=account, group=_node_group(device, group)), None
    if kind in ("udev", "node"):
        node = subject if isinstance(subject, str) and subject.startswith("/dev/") else "/dev/kvm"
        fix = dict(base, node=node, group=group, mode=mode)
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
