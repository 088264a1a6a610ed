# SPDX-License-Identifier: GPL-3.0-or-later
"""What one probe run shares between its subset probes: the kernel is asked once.

The context holds the open /dev/kvm fd, the one VM of the run, and the answers
that more than one subset reads (capabilities, the supported CPUID, the loaded
modules), each asked on first use and then remembered, errors included.
"""

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.qemu_release import choose

SYSFS_MODULE = "/sys/module"
CMDLINE = "/proc/cmdline"


def kernel_words(text):
    """The words of a kernel command line that the kernel reads itself: it stops at '--' (the rest is init's)."""
    for word in text.split():
        if word == "--":
            return
        yield word


def read_parameters(kernel, directory):
    """{name: value} of the readable files of a module's parameters directory."""
    parameters = {}
    try:
        names = sorted(kernel.listdir(directory))
    except OSError:
        return parameters  # a built-in module without parameters has no such directory
    for name in names:
        try:
            parameters[name] = kernel.read_text(directory + "/" + name)
        except (OSError, UnicodeDecodeError):
            continue  # write-only or root-only parameters: not readable by this user
    return parameters


def grow(call, start, limit):
    """Call call(n) with n doubling from start while the kernel answers E2BIG."""
    size = start
    while True:
        try:
            return call(size)
        except OSError as error:
            if error.errno != errno.E2BIG or size >= limit:
                raise
            size *= 2


class ProbeContext(object):
    """One probe run: its options, the facts gathered so far, and the kernel's remembered answers."""

    # The kernel's own KVM_MAX_CPUID_ENTRIES (256): one call on every current kernel, where each call
    # costs the kernel a full CPUID walk (about 0.3 ms), and a wasted E2BIG round costs as much.
    CPUID_START_ENTRIES = 256
    MSR_START_ENTRIES = 256
    MSR_MAX_ENTRIES = 1 << 16
    CPUID_MAX_ENTRIES = 1 << 12

    def __init__(self, kernel, device, timeout, accounts, subsets, cpu_models=None, qemu_version=None, qemu_check=False):
        self.kernel = kernel
        self.machine = kernel.machine
        self.device = device
        self.timeout = timeout
        self.accounts = tuple(accounts or ())
        self.subsets = subsets
        self.cpu_models = cpu_models  # the QEMU models guest_cpu.models details: None for all
        self.qemu_version = qemu_version or ["auto"]  # qemu_release.parse_spec of the qemu_version option
        self.qemu_check = bool(qemu_check)  # start the installed QEMU and compare its answer (_probe/qemu_check.py)
        self.facts = {}
        # Set by the device subset, which runs before every subset that reads them: the node's facts
        # (device.*) and, once the node opened, the system fd (ioctls.Kvm).
        self.node = None
        self.kvm = None
        self.blocked = {}  # subset -> {by: the subset whose failure stopped it, why}
        self._answers = {}

    def _once(self, key, ask):
        """ask() on first use; later calls give the same answer or raise the same error."""
        if key not in self._answers:
            try:
                self._answers[key] = (True, ask())
            except OSError as error:
                self._answers[key] = (False, error)
        ok, answer = self._answers[key]
        if not ok:
            raise answer
        return answer

    def loaded_modules(self):
        """The names under /sys/module (loaded or built-in modules with parameters)."""
        return self._once("modules", lambda: set(self.kernel.listdir(SYSFS_MODULE)))

    def module_parameters(self, module):
        """{name: value} of the readable files of /sys/module/<module>/parameters (host and parameters
        subsets both show them)."""
        return self._once(("parameters", module), lambda: read_parameters(
            self.kernel, "%s/%s/parameters" % (SYSFS_MODULE, module)))

    def api_version(self):
        """KVM_GET_API_VERSION on the system fd (the api subset judges it; the ioctls subset lists it)."""
        return self._once("api_version", self.kvm.get_api_version)

    def vcpu_mmap_size(self):
        """KVM_GET_VCPU_MMAP_SIZE: the size of a vCPU's kvm_run area (api reports it, vcpu_run maps it)."""
        return self._once("vcpu_mmap_size", self.kvm.get_vcpu_mmap_size)

    def check_extension(self, number):
        """KVM_CHECK_EXTENSION on the system fd."""
        return self._once(("cap", number), lambda: self.kvm.check_extension(number))

    def vm(self):
        """The run's one VM of the default type, shared by every subset that needs a VM."""
        return self._once("vm", lambda: self.kvm.create_vm(0))

    def vm_error(self):
        """The KvmError of KVM_CREATE_VM, or None once the VM exists."""
        try:
            self.vm()
        except OSError as error:
            return error
        return None

    def arm_preferred_target(self):
        """KVM_ARM_PREFERRED_TARGET on the run's VM (arm64): (target, [feature words])."""
        return self._once("arm_preferred_target", lambda: self.vm().arm_preferred_target())

    def supported_cpuid(self):
        """KVM_GET_SUPPORTED_CPUID entries as kvm_cpuid_entry2 tuples (x86)."""
        return self._once("cpuid", lambda: grow(
            self.kvm.get_supported_cpuid, self.CPUID_START_ENTRIES, self.CPUID_MAX_ENTRIES))

    def msr_index_list(self):
        """KVM_GET_MSR_INDEX_LIST (x86): the MSRs KVM saves and restores."""
        return self._once("msr_index_list", lambda: grow(
            self.kvm.get_msr_index_list, self.MSR_START_ENTRIES, self.MSR_MAX_ENTRIES))

    def msr_feature_index_list(self):
        """KVM_GET_MSR_FEATURE_INDEX_LIST (x86): the feature MSRs the system fd answers."""
        return self._once("msr_feature_index_list", lambda: grow(
            self.kvm.get_msr_feature_index_list, self.MSR_START_ENTRIES, self.MSR_MAX_ENTRIES))

    def qemu_releases(self):
        """[(table release, the facts' qemu entry)] of the qemu_version option, the main one first (qemu_release.choose):
        the guest CPU and the Hyper-V enlightenments are judged for the same QEMU."""
        return self._once("qemu_releases", lambda: choose(self.qemu_version, self.kernel))

    def close(self):
        """Release the VM, then the system fd."""
        vm = self._answers.pop("vm", (False, None))
        if vm[0]:
            vm[1].close()
        if self.kvm is not None:
            kvm, self.kvm = self.kvm, None
            kvm.close()
