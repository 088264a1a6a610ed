#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcheck.kvm.plugins.module_utils._zipimport import compile_once

# Before the probe's imports: each of its modules is then compiled once, not twice (see _zipimport)
compile_once(globals().get("__loader__"))

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import (  # noqa: E402
    DEFAULT_DEVICE, DEFAULT_TIMEOUT, gather)

TIMEOUT_RANGE = (0.01, 300.0)
MINIMUM_PYTHON = (3, 6)


def python_too_old():
    """Why this interpreter cannot probe, or None. ansible-core 2.16 still runs modules on Python 2.7,
    where the ioctl buffers the probe passes are refused; say so before probing anything."""
    import sys  # here, not at the top: this check must not depend on any other import
    if tuple(sys.version_info[:2]) >= MINIMUM_PYTHON:
        return None
    return ("kvm_facts needs Python %d.%d or newer on the managed host, but ansible ran it with %s (Python %s). "
            "Point ansible_python_interpreter at a Python 3 on this host, e.g. ansible_python_interpreter=/usr/bin/python3 "
            "in the inventory or in host_vars, or -e ansible_python_interpreter=/usr/bin/python3"
            % (MINIMUM_PYTHON + (sys.executable or "an unknown interpreter", sys.version.split()[0])))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            device=dict(type="path", default=DEFAULT_DEVICE),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            accounts=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=DEFAULT_TIMEOUT),
            cpu_models=dict(type="list", elements="str", default=[]),
            qemu_version=dict(type="list", elements="str", default=["auto"]),
            qemu_check=dict(type="bool", default=False),
            vars_prefix=dict(type="str"),  # read on the controller (plugins/action/kvm_facts.py); never sent here
        ),
        supports_check_mode=True,
    )
    too_old = python_too_old()
    if too_old:
        module.fail_json(msg=too_old)
    for name in ("device", "accounts"):  # an option's own name in every error, never a bare OS message
        values = module.params[name] if name == "accounts" else [module.params[name]]
        if any("\0" in value for value in values):
            module.fail_json(msg="%s must not contain a NUL byte" % name)
    device = module.params["device"]
    if not device.startswith("/"):
        module.fail_json(msg="device must be the absolute path of the KVM device node, such as /dev/kvm, got %r"
                         % device)
    timeout = module.params["timeout"]
    if not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
        module.fail_json(msg="timeout must be between %g and %g seconds, got %r" % (TIMEOUT_RANGE + (timeout,)))
    try:
        facts = gather(module.params["gather_subset"], device, timeout,
                       accounts=module.params["accounts"], cpu_models=module.params["cpu_models"],
                       qemu_version=module.params["qemu_version"], qemu_check=module.params["qemu_check"])
    except ValueError as error:  # an invalid gather_subset, cpu_models or qemu_version, refused before probing
        module.fail_json(msg=str(error))
    except Exception as error:  # a bug in the probe must still answer in one clear sentence
        module.fail_json(msg="kvm_facts: internal error while probing %s: %s" % (module.params["device"], error),
                         exception=traceback.format_exc())
    module.exit_json(changed=False, ansible_facts={"kvm": facts})


if __name__ == "__main__":
    main()
