# SPDX-License-Identifier: GPL-3.0-or-later
"""The parameters subset: every readable parameter of the kvm module and of each loaded backend,
as /sys/module/<module>/parameters/<name> shows it, so that policies such as kvm.nx_huge_pages or
kvm_intel.ept can be asserted."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import SYSFS_MODULE

MODULES = ("kvm",) + KVM_BACKENDS


def probe(ctx):
    """{"parameters": {module: {name: value}}} for kvm and every loaded backend."""
    try:
        loaded = ctx.loaded_modules()
    except OSError as error:
        return {"parameters": {}}, ["%s: %s" % (SYSFS_MODULE, errno_text(error))]
    return {"parameters": dict((name, ctx.module_parameters(name)) for name in MODULES if name in loaded)}, []


def not_probed(why):
    return {"parameters": {}}
