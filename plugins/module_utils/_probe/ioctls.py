# SPDX-License-Identifier: GPL-3.0-or-later
"""The ioctls subset: the outcome of each command of the classic kvm_dev_ioctl, in its order.

Commands the run has already issued (the API version, the VM, a capability, the
mmap size) are reported from that one answer; only the KVM_TRACE_* commands are new.
"""

import errno
import os

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_name

UNSUPPORTED_ERRNOS = (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP)


def probe(ctx):
    kvm = ctx.kvm
    calls = {
        "KVM_GET_API_VERSION": ctx.api_version,
        "KVM_CREATE_VM": lambda: ctx.vm() and 0,
        "KVM_CHECK_EXTENSION": lambda: ctx.check_extension(CAP_NUMBER["KVM_CAP_USER_MEMORY"]),
        "KVM_GET_VCPU_MMAP_SIZE": ctx.vcpu_mmap_size,
        "KVM_TRACE_ENABLE": kvm.trace_enable,
        "KVM_TRACE_PAUSE": kvm.trace_pause,
        "KVM_TRACE_DISABLE": kvm.trace_disable,
    }
    outcomes = {}
    for name in abi.CLASSIC_SYSTEM_IOCTLS:
        try:
            outcomes[name] = {"supported": True, "result": calls[name]()}
        except OSError as error:
            outcomes[name] = {"supported": error.errno not in UNSUPPORTED_ERRNOS,
                              "errno": errno_name(error), "error": os.strerror(error.errno)}
    if outcomes["KVM_TRACE_ENABLE"]["supported"] and "result" in outcomes["KVM_TRACE_ENABLE"]:
        try:
            kvm.trace_disable()  # never leave a trace running on an ancient kernel
        except OSError:
            pass
    return {"system_ioctls": outcomes}, []


def not_probed(why):
    return {"system_ioctls": {"skipped": why}}
