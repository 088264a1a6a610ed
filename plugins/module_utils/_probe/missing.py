# SPDX-License-Identifier: GPL-3.0-or-later
"""Why there is no /dev/kvm and no backend module, told the way the kernel tells it.

Read only when the node is missing and no backend is loaded: the kernel's build configuration, the CPU
flags and vendor as the kernel sees them (/proc/cpuinfo), the kernel log (/dev/kmsg: as root), DMI, the
modprobe configuration and the modules of the running kernel. These explain why KVM is missing; they
never decide `usable`, which stays the device's own answer.
"""

import re
import zlib

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem

# the CPU flag, its backend module, and what the firmware calls it
X86 = (("vmx", "kvm_intel", "Intel VT-x (VMX)"), ("svm", "kvm_amd", "AMD-V (SVM)"))
MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d")
# The kernel's own words: x86/kernel/cpu/feat_ctl.c "VMX (outside TXT) disabled by BIOS", kvm/vmx "VMX not enabled
# (by BIOS) in MSR_IA32_FEAT_CTL", kvm/svm "SVM disabled (by BIOS) in MSR_VM_CR", 6.1's x86.c "support for '%s'
# disabled by bios" and "no hardware support for '%s'", svm's has_svm "svm not available"; later kernels' "VMX not
# fully enabled on CPU %d" and "SVM not supported by CPU %d". The firmware's refusal also clears the CPU flag.
_FIRMWARE = re.compile(r"disabled by bios|disabled \(by bios\)|not enabled \(by bios\)|not fully enabled", re.I)
_REFUSED = re.compile(r"no hardware support for '(\w+)'|(vmx|svm) not supported by cpu|(svm) not available|"
                      r"doesn't support (vmx|svm)", re.I)
# DMI sys_vendor/product_name -> the outer platform and how it offers nested virtualization
PLATFORMS = (
    (r"qemu|kvm|red hat|openstack|proxmox|nutanix", "QEMU/KVM",
     "on the outer host load kvm_intel or kvm_amd with nested=1 and give this VM the host's CPU (-cpu host; "
     "libvirt <cpu mode='host-passthrough'/>)"),
    (r"vmware", "VMware", "turn on 'Expose hardware assisted virtualization to the guest OS' for this VM "
     "(vhv.enable = \"TRUE\")"),
    (r"microsoft", "Hyper-V or Azure", "on Hyper-V, with the VM off: Set-VMProcessor -VMName <vm> "
     "-ExposeVirtualizationExtensions $true; on Azure, a VM size that supports nested virtualization"),
    (r"amazon", "Amazon EC2", "use a bare-metal (.metal) instance type, or one with nested virtualization"),
    (r"google", "Google Compute Engine", "create the VM with --enable-nested-virtualization"),
    (r"innotek|virtualbox", "VirtualBox", "VBoxManage modifyvm <vm> --nested-hw-virt on"),
    (r"xen", "Xen", "set nestedhvm=1 in this guest's configuration"),
)


def _text(kernel, path):
    try:
        return kernel.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None


def _cpu(kernel):
    """(flags, vendor_id) of the first CPU in /proc/cpuinfo, or (None, None)."""
    info = _text(kernel, "/proc/cpuinfo") or ""
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", info, re.M)
    return (set(flags.group(1).split()) if flags else None), (vendor.group(1) if vendor else None)


def _config(kernel, release):
    """(CONFIG_KVM's value or "n", the file) from /boot/config-<release> or /proc/config.gz; (None, None) unknown."""
    for path in ("/boot/config-%s" % release, "/proc/config.gz"):
        try:
            data = kernel.read_bytes(path)
            if path.endswith(".gz"):
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        except (OSError, zlib.error):
            continue
        found = re.search(br"^CONFIG_KVM=(\w+)|^# CONFIG_KVM is not set", data, re.M)
        return (found.group(1).decode() if found and found.group(1) else "n"), path
    return None, None


def _log(kernel):
    """(the kernel log's lines about KVM and virtualization, a note when the log cannot be read)."""
    try:
        lines = kernel.kernel_log()
    except OSError as error:
        return [], "the kernel log (/dev/kmsg) is not readable here (%s; as root it would be quoted)" % (
            error.strerror or error)
    return [line for line in lines if re.search(r"kvm|vmx|svm|by bios", line, re.I)], None


def _same(name):
    return name.replace("-", "_")


def _blacklisted(kernel, module):
    """(file, line number, line) of a modprobe rule that keeps the module from loading, or None."""
    for directory in MODPROBE_DIRS:
        try:
            names = sorted(n for n in kernel.listdir(directory) if n.endswith(".conf"))
        except OSError:
            continue
        for name in names:
            for number, line in enumerate((_text(kernel, "%s/%s" % (directory, name)) or "").splitlines(), 1):
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and words[0] in ("blacklist", "install") and _same(words[1]) == module:
                    return "%s/%s" % (directory, name), number, line.strip()
    return None


def _available(kernel, release, module):
    """The module's file under /lib/modules/<release>, "built in", or None when this kernel has neither."""
    base = "/lib/modules/%s" % release
    for name, builtin in (("modules.dep", False), ("modules.builtin", True)):
        for line in (_text(kernel, "%s/%s" % (base, name)) or "").splitlines():
            path = line.split(":", 1)[0]
            if _same(path.rsplit("/", 1)[-1].split(".", 1)[0]) == module:
                return "built in" if builtin else "%s/%s" % (base, path)
    return None


def _platform(kernel):
    dmi = " ".join(filter(None, (_text(kernel, "/sys/class/dmi/id/%s" % key) for key in ("sys_vendor", "product_name"))))
    for pattern, name, remedy in PLATFORMS:
        if re.search(pattern, dmi, re.I):
            return "%s (DMI: %s)" % (name, dmi), remedy
    return ("an unknown platform (DMI: %s)" % dmi if dmi else "a platform DMI does not name"), \
        "enable nested virtualization for this VM on its hypervisor"


def diagnose(ctx, path):
    """The problem of a missing node with no backend loaded: the first cause the kernel's own statements show."""
    kernel, release = ctx.kernel, ctx.kernel.kernel_release
    missing = "%s does not exist and no KVM backend module is loaded" % path
    config, source = _config(kernel, release)
    if config == "n":
        return problem("device.missing.kernel_without_kvm", path, "%s: kernel %s was built without KVM "
                       "(CONFIG_KVM is not set in %s)" % (missing, release, source),
                       "boot a kernel built with CONFIG_KVM (e.g. Debian's linux-image-amd64)")
    flags, vendor = _cpu(kernel)
    log, unread = _log(kernel)
    fits = [(module, name) for flag, module, name in X86 if flags and flag in flags]
    firmware = [line for line in log if _FIRMWARE.search(line)]
    if firmware:
        what = fits[0][1] if fits else "VT-x or AMD-V"
        return problem("device.missing.firmware_disabled", path, "%s: the firmware disabled %s; the kernel says %r"
                       % (missing, what, firmware[-1]), "enable %s in the firmware (BIOS/UEFI) setup and power-cycle "
                       "the host" % what)
    note = "; %s" % unread if unread else ""
    if flags is not None and ctx.kernel.machine in ("x86_64", "i686") and not fits:
        if "hypervisor" in flags:
            platform, remedy = _platform(kernel)
            return problem("device.missing.nested_disabled", path, "%s: this host is a virtual machine on %s, and "
                           "its CPU (%s) offers neither vmx nor svm (/proc/cpuinfo)%s" % (missing, platform, vendor,
                                                                                          note), remedy)
        return problem("device.missing.no_cpu_support", path, "%s: the CPU (%s) offers neither vmx nor svm as the "
                       "kernel sees it (/proc/cpuinfo)%s" % (missing, vendor, note),
                       "enable VT-x or AMD-V in the firmware setup; a CPU without them cannot run KVM")
    if not fits:  # another architecture, or an unreadable cpuinfo: only the generic answer
        return problem("device.missing.no_module", path, "%s (none of kvm_intel, kvm_amd, ... under /sys/module)%s"
                       % (missing, note), "enable virtualization in the firmware and load the module for this CPU; "
                       "in a container pass --device %s" % path, ": ")
    module, name = fits[0]
    for line in reversed(log):
        refused = _REFUSED.search(line)
        if refused:
            said = _same((refused.group(1) or {"vmx": "kvm_intel", "svm": "kvm_amd"}.get(
                (refused.group(2) or refused.group(3) or refused.group(4) or "").lower(), module)).lower())
            if said != module:
                return problem("device.missing.wrong_module", said, "%s: %s was loaded on this %s CPU, whose "
                               "virtualization is %s; the kernel says %r" % (missing, said, vendor, name, line),
                               "load %s instead (modprobe %s), and remove %s from /etc/modules-load.d and "
                               "/etc/modules" % (module, module, said))
            return problem("device.missing.load_failed", module, "%s: loading %s failed; the kernel says %r"
                           % (missing, module, line), "fix what the kernel names, then modprobe %s" % module)
    rule = _blacklisted(kernel, module)
    if rule:
        return problem("device.missing.blacklisted", module, "%s: %s is kept from loading by %s line %d: %r"
                       % (missing, module, rule[0], rule[1], rule[2]),
                       "remove that line, then modprobe %s" % module)
    available = _available(kernel, release, module)
    if available is None:
        return problem("device.missing.module_absent", module, "%s: %s is not among the modules of kernel %s "
                       "(/lib/modules/%s/modules.dep, modules.builtin)%s" % (missing, module, release, release, note),
                       "install this kernel's modules package (Debian: linux-image-%s)" % release)
    return problem("device.missing.not_loaded", module, "%s: %s (%s) is available but not loaded%s"
                   % (missing, module, available, note),
                   "modprobe %s, and list it in /etc/modules-load.d to load it at boot" % module)
