# SPDX-License-Identifier: GPL-3.0-or-later
"""Why there is no /dev/kvm and no backend module, in the kernel's own words (imported only then).

The kernel's build configuration, its CPU flags (/proc/cpuinfo), its log (/dev/kmsg, as root), DMI, the
modprobe configuration and the running kernel's modules explain why KVM is missing; they never decide
`usable`, which stays the device's answer.
"""

import re
import zlib

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.host import first_cpu

X86 = (("vmx", "kvm_intel", "Intel VT-x (VMX)"), ("svm", "kvm_amd", "AMD-V (SVM)"))
# The kernel's words: feat_ctl.c "VMX (outside TXT) disabled by BIOS", amd.c "SVM disabled (by BIOS) in MSR_VM_CR"
# (both also clear the CPU flag), vmx.c "VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL" and "VMX not fully
# enabled", 6.1's x86.c "support for '%s' disabled by bios" and "no hardware support for '%s'", svm.c "SVM not
# supported by CPU %d" and has_svm's "svm not available".
FIRMWARE = re.compile(r"disabled by bios|disabled \(by bios\)|not enabled \(by bios\)|not fully enabled", re.I)
REFUSED = re.compile(r"no hardware support for '(\w+)'|(vmx|svm) not (?:supported by cpu|available)|"
                     r"doesn't support (vmx|svm)", re.I)
# DMI sys_vendor and product_name -> the outer platform, and how it offers nested virtualization
PLATFORMS = (
    ("qemu|kvm|red hat|openstack|proxmox|nutanix", "QEMU/KVM", "on the outer host load kvm_intel or kvm_amd with "
     "nested=1 and give this VM the host CPU (-cpu host; libvirt <cpu mode='host-passthrough'/>)"),
    ("vmware", "VMware", "expose hardware assisted virtualization to this VM (vhv.enable = \"TRUE\")"),
    ("microsoft", "Hyper-V or Azure", "Hyper-V: Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions "
     "$true with the VM off; Azure: a VM size with nested virtualization"),
    ("amazon", "Amazon EC2", "use a .metal instance type, or one with nested virtualization"),
    ("google", "Google Compute Engine", "create the VM with --enable-nested-virtualization"),
    ("innotek|virtualbox", "VirtualBox", "VBoxManage modifyvm <vm> --nested-hw-virt on"),
    ("xen", "Xen", "set nestedhvm=1 in this guest's configuration"),
)


def _read(kernel, path, raw=False):
    try:
        return kernel.read_bytes(path) if raw else kernel.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None


def _name(path):
    """kvm_amd of kernel/arch/x86/kvm/kvm-amd.ko.xz (modprobe treats - and _ alike)."""
    return path.rsplit("/", 1)[-1].split(".", 1)[0].replace("-", "_")


def _config(kernel, release):
    """(CONFIG_KVM's value, "n" when not set, or None when unknown; the file read)."""
    for path in ("/boot/config-" + release, "/proc/config.gz"):
        data = _read(kernel, path, True)
        if data is not None:
            try:
                data = zlib.decompress(data, 47) if path.endswith(".gz") else data  # 47: gzip, any window
            except zlib.error:
                continue
            found = re.search(br"^CONFIG_KVM=(\w+)|^# CONFIG_KVM is not set", data, re.M)
            return (found.group(1) or b"n").decode() if found else "n", path
    return None, None


def _rule(kernel, module):
    """(file, line number, line) of a blacklist or install line for the module in the modprobe directories."""
    for directory in ("/etc/modprobe.d", "/run/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d"):
        try:
            names = sorted(n for n in kernel.listdir(directory) if n.endswith(".conf"))
        except OSError:
            continue
        for name in names:
            path = directory + "/" + name
            for number, line in enumerate((_read(kernel, path) or "").splitlines(), 1):
                words = line.split("#", 1)[0].split()
                if words[:1] in (["blacklist"], ["install"]) and len(words) > 1 and _name(words[1]) == module:
                    return path, number, line.strip()
    return None


def _available(kernel, release, module):
    """The module's file, "built in", or None when the running kernel has neither."""
    base = "/lib/modules/" + release
    for name in ("modules.dep", "modules.builtin"):
        for line in (_read(kernel, base + "/" + name) or "").splitlines():
            if _name(line.split(":", 1)[0]) == module:
                return "built in" if name == "modules.builtin" else base + "/" + line.split(":", 1)[0]
    return None


# Where each x86 backend's module file lies in a kernel's tree, and the endings modules are compressed with.
MODULE_DIRECTORY = "kernel/arch/x86/kvm"
MODULE_ENDINGS = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")


def _module_file(kernel, release, module):
    """The module's own file under /lib/modules/<release>, whatever modules.dep says, or None."""
    directory = "/lib/modules/%s/%s" % (release, MODULE_DIRECTORY)
    try:
        names = kernel.listdir(directory)
    except OSError:
        return None
    for name in sorted(names):
        if name.endswith(MODULE_ENDINGS) and _name(name) == module:
            return directory + "/" + name
    return None


def stale_why(kernel, release):
    """What is wrong with modules.dep: missing, or without the module."""
    return "does not list it" if _read(kernel, "/lib/modules/%s/modules.dep" % release) is not None else "is missing"


def diagnose(ctx, path):
    """The problem of a missing node with no backend loaded: the first cause the kernel's statements show."""
    kernel, release = ctx.kernel, ctx.kernel.kernel_release
    missing = "%s does not exist and no KVM backend module is loaded" % path
    config, source = _config(kernel, release)
    if config == "n":
        return problem("device.missing.kernel_without_kvm", path, "%s: kernel %s was built without KVM (CONFIG_KVM "
                       "is not set in %s)" % (missing, release, source), "boot a kernel built with CONFIG_KVM")
    flags, vendor = first_cpu(kernel)
    flags = set(flags) if flags is not None else None
    try:
        log, unread = [line for line in kernel.kernel_log() if re.search("kvm|vmx|svm|bios", line, re.I)], ""
    except OSError as error:
        log, unread = [], "; the kernel log (/dev/kmsg) is not readable here (%s; as root it is quoted)" % (
            error.strerror or error)
    fits = [(module, what) for flag, module, what in X86 if flags and flag in flags]
    said = [line for line in log if FIRMWARE.search(line)]
    if said:
        what = fits[0][1] if fits else "VT-x or AMD-V"
        return problem("device.missing.firmware_disabled", path, "%s: the firmware disabled %s; the kernel says %r"
                       % (missing, what, said[-1]), "enable %s in the firmware (BIOS/UEFI) setup and power-cycle "
                       "the host" % what)
    if flags is not None and kernel.machine in ("x86_64", "i686") and not fits:
        if "hypervisor" not in flags:
            return problem("device.missing.no_cpu_support", path, "%s: the CPU (%s) offers neither vmx nor svm as "
                           "the kernel sees it (/proc/cpuinfo)%s" % (missing, vendor, unread),
                           "enable VT-x or AMD-V in the firmware setup; a CPU without them cannot run KVM")
        dmi = " ".join(filter(None, (_read(kernel, "/sys/class/dmi/id/" + key) for key in ("sys_vendor", "product_name"))))
        platform, remedy = next(((name, remedy) for pattern, name, remedy in PLATFORMS if re.search(pattern, dmi, re.I)),
                                ("an unknown platform", "enable nested virtualization for this VM on its hypervisor"))
        return problem("device.missing.nested_disabled", path, "%s: this host is a virtual machine on %s (DMI: %s), "
                       "and its CPU (%s) offers neither vmx nor svm (/proc/cpuinfo)%s"
                       % (missing, platform, dmi or "none", vendor, unread), remedy)
    if not fits:  # another architecture, or no cpuinfo: the CPU does not say which module fits
        return problem("device.missing.no_module", path, "%s (none of kvm_intel, kvm_amd, ... under /sys/module)%s"
                       % (missing, unread), "enable virtualization in the firmware and load the module for this "
                       "CPU; in a container pass --device %s" % path, ": ")
    module, what = fits[0]
    for line in reversed(log):
        refused = REFUSED.search(line)
        if refused:
            other = (refused.group(1) or {"vmx": "kvm_intel", "svm": "kvm_amd"}[
                (refused.group(2) or refused.group(3)).lower()]).replace("-", "_")
            if other != module:
                return problem("device.missing.wrong_module", other, "%s: %s was loaded on this %s CPU, whose "
                               "virtualization is %s; the kernel says %r" % (missing, other, vendor, what, line),
                               "load %s instead (modprobe %s), and remove %s from /etc/modules-load.d and "
                               "/etc/modules" % (module, module, other))
            return problem("device.missing.load_failed", module, "%s: loading %s failed; the kernel says %r"
                           % (missing, module, line), "fix what the kernel names, then modprobe %s" % module)
    rule = _rule(kernel, module)
    if rule:
        return problem("device.missing.blacklisted", module, "%s: %s is kept from loading by %s line %d: %r"
                       % ((missing, module) + rule), "remove that line, then modprobe %s" % module)
    available = _available(kernel, release, module)
    stale = _module_file(kernel, release, module) if available is None else None
    if stale:  # the file is there, but depmod never listed it: modprobe cannot find what it does not index
        why = stale_why(kernel, release)
        return problem("device.missing.depmod_stale", module, "%s: %s is there (%s) but modules.dep of kernel %s %s, "
                       "so modprobe cannot load it%s" % (missing, module, stale, release, why, unread),
                       "depmod -a %s, then modprobe %s" % (release, module))
    if available is None:
        return problem("device.missing.module_absent", module, "%s: %s is not among the modules of kernel %s "
                       "(/lib/modules/%s/modules.dep, modules.builtin)%s" % (missing, module, release, release, unread),
                       "install this kernel's modules package (Debian: linux-image-%s)" % release)
    return problem("device.missing.not_loaded", module, "%s: %s (%s) is available but not loaded%s"
                   % (missing, module, available, unread),
                   "modprobe %s, and list it in /etc/modules-load.d to load it at boot" % module)
