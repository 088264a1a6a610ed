# SPDX-License-Identifier: GPL-3.0-or-later
"""The secure_guest subset: can this host start SEV, SEV-ES, SEV-SNP and TDX guests?

Each is judged from the kernel's own answers: the KVM_CAP_VM_TYPES bit of its VM type, the backend
module's parameter, /dev/sev (the AMD secure processor) and the ASIDs of the misc cgroup.
"""

import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import (
    CMDLINE, SYSFS_MODULE, kernel_words)

SEV_DEVICE = "/dev/sev"
# Misc cgroup capacity files (Documentation/admin-guide/cgroup-v2.rst "Misc"; v1 mounts it as "misc").
MISC_CAPACITY = ("/sys/fs/cgroup/misc.capacity", "/sys/fs/cgroup/misc/misc.capacity")
# kind -> (VM type number of KVM_CAP_VM_TYPES (arch/x86/include/uapi/asm/kvm.h, Linux 6.10+),
#          module, parameter, needs /dev/sev, misc cgroup resource of its ASIDs)
KINDS = (
    ("sev", 2, "kvm_amd", "sev", True, "sev"),
    ("sev_es", 3, "kvm_amd", "sev_es", True, "sev_es"),
    ("sev_snp", 4, "kvm_amd", "sev_snp", True, "sev_es"),  # SNP guests use SEV-ES ASIDs
    ("tdx", 5, "kvm_intel", "tdx", False, None),
)
# Where an operator sets a module's parameter: modprobe's configuration (modprobe.d(5), highest priority first; a
# file name in an earlier directory hides the same name in a later one) and the kernel command line.
MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                 "/lib/modprobe.d")


def _capacity(kernel):
    for path in MISC_CAPACITY:
        try:
            text = kernel.read_text(path)
        except OSError:
            continue
        return dict((f[0], int(f[1])) for f in (line.split() for line in text.splitlines())
                    if len(f) == 2 and f[1].isdigit()), path
    return None, None


def _parameter(kernel, module, name):
    try:
        return kernel.read_text(os.path.join(SYSFS_MODULE, module, "parameters", name))
    except OSError:
        return None


def _read(kernel, path):
    try:
        return kernel.read_text(path)
    except (OSError, UnicodeDecodeError):
        return ""


def set_in(kernel, module, parameter):
    """Each place that sets module.parameter, as "path: the setting" (modprobe reads '-' in a name as '_')."""
    found, seen = [], set()
    for directory in MODPROBE_DIRS:
        try:
            names = sorted(n for n in kernel.listdir(directory) if n.endswith(".conf") and n not in seen)
        except OSError:
            continue
        seen.update(names)
        for name in names:
            path = directory + "/" + name
            for line in _read(kernel, path).splitlines():
                words = line.split("#", 1)[0].split()
                if len(words) > 2 and words[0] == "options" and words[1].replace("-", "_") == module:
                    found.extend("%s: options %s %s" % (path, words[1], word) for word in words[2:]
                                 if word.split("=", 1)[0] == parameter)
    for word in kernel_words(_read(kernel, CMDLINE)):
        key = word.split("=", 1)[0].replace("-", "_")
        if key == "%s.%s" % (module, parameter):
            found.append("%s: %s" % (CMDLINE, word))
    return found


def _not_enabled(kernel, module, parameter, value, name):
    """Why module.parameter is off: a setting the operator made is named as set, with how to undo it."""
    # a setting that asks for it on (sev=1) explains nothing: the firmware or the kernel refused it then
    settings = [found for found in set_in(kernel, module, parameter)
                if found.rsplit("=", 1)[-1].lower() not in ("1", "y", "yes", "on", "true")]
    if not settings:
        return settings, ("%s.%s is %s: the firmware or kernel did not enable %s (set %s %s=1 in /etc/modprobe.d "
                          "and check the BIOS's %s settings)" % (module, parameter, value, name, module, parameter,
                                                                 name))
    undo = ("remove it from the kernel command line and reboot" if settings[-1].startswith(CMDLINE) else
            "set %s=1 there and reload %s with no VM running (modprobe -r %s; modprobe %s)"
            % (parameter, module, module, module))
    return settings, "%s.%s is %s, set so in %s: %s" % (module, parameter, value, "; ".join(settings), undo)


def not_probed(why):
    return {"secure_guest": dict((kind[0], {"ready": False, "reason": "not probed: %s" % why}) for kind in KINDS)}


def probe(ctx):
    kernel = ctx.kernel
    if ctx.machine not in abi.X86_ARCHES:
        return {"secure_guest": dict((k[0], {"ready": False, "reason": "SEV and TDX are x86 only; this is %s"
                                             % ctx.machine}) for k in KINDS)}, []
    try:
        mask = ctx.check_extension(CAP_NUMBER["KVM_CAP_VM_TYPES"])
    except OSError:
        mask = 0
    try:
        kernel.stat(SEV_DEVICE)
        sev_node = True
    except OSError:
        sev_node = False
    capacity, capacity_path = _capacity(kernel)
    facts = {"vm_types_mask": mask, "sev_device": sev_node, "misc_capacity": capacity}
    for kind, vm_type, module, parameter, needs_sev, resource in KINDS:
        value = _parameter(kernel, module, parameter)
        entry = {"ready": False, "vm_type": bool(mask & (1 << vm_type)), "parameter": value,
                 "asids": capacity.get(resource) if capacity and resource else None, "reason": None}
        enabled = value is not None and value.upper() in ("Y", "1")
        name = kind.upper().replace("_", "-")
        if value is None:
            entry["reason"] = ("%s.%s does not exist: %s is not loaded or too old for %s" % (
                module, parameter, module, name))
        elif not enabled:
            entry["set_in"], entry["reason"] = _not_enabled(kernel, module, parameter, value, name)
        elif needs_sev and not sev_node:
            entry["reason"] = "%s does not exist: load ccp (modprobe ccp) for %s" % (SEV_DEVICE, name)
        elif mask and not entry["vm_type"]:
            entry["reason"] = ("KVM_CAP_VM_TYPES (0x%x) lacks the %s VM type (%d)" % (
                mask, name, vm_type))
        elif entry["asids"] == 0:
            entry["reason"] = "%s has no %s ASIDs (%s capacity 0): raise them in the firmware" % (
                capacity_path, resource, resource)
        else:
            entry["ready"] = True
        facts[kind] = entry
    return {"secure_guest": facts}, []
