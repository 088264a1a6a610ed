# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet of podman containers for the fleet tests: started, prepared by shell commands, removed."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shutil
import subprocess

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

IMAGE = "localhost/fleetcheck-debian:bookworm"
# An address where nothing answers (the discard port): a host Ansible cannot reach, quickly.
GHOST_VARS = ("ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=9 "
              "ansible_ssh_common_args='-o ConnectTimeout=5 -o StrictHostKeyChecking=no -o BatchMode=yes'")


def podman(*args):
    return subprocess.check_output(["podman"] + list(args), universal_newlines=True, stderr=subprocess.STDOUT)


def remove(names):
    for name in names:
        subprocess.call(["podman", "rm", "-f", "-t", "0", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start(hosts, kvm_device):
    """Start each host {name: (podman run options, commands)}; "/dev/kvm" in the options is the real device."""
    if not shutil.which("podman"):
        missing("podman is not installed (tools/test-all.sh installs it)")
    if subprocess.call(["podman", "image", "exists", IMAGE]) != 0:
        missing("the image %s is not built (tools/test-all.sh builds it)" % IMAGE)
    remove(hosts)
    for name, (options, commands) in hosts.items():
        podman(*(["run", "-d", "--name", name] + [kvm_device if o == "/dev/kvm" else o for o in options] +
                 [IMAGE, "/bin/sleep", "infinity"]))
        for command in commands:
            podman("exec", name, "sh", "-c", command)


def inventory_lines(hosts, users=None, group="kvm"):
    """The inventory of these containers as lines: a group, each host reached through podman with the host's
    /usr/bin/python3, as `users` (host: account) says or as root."""
    users = users or {}
    return ["[%s]" % group] + ["%s ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3%s"
                               % (name, " ansible_user=%s" % users[name] if name in users else "") for name in hosts]


def start_kvm_fleet(hosts, kvm_device, work, users=None, extra=()):
    """Start each host {name: commands} privileged with the real device, and write work/hosts.ini for them (and
    the `extra` inventory lines); returns its path."""
    start(dict((name, (["--privileged", "--device", "/dev/kvm"], commands)) for name, commands in hosts.items()),
          kvm_device)
    inventory = work / "hosts.ini"
    inventory.write_text(u"\n".join(inventory_lines(hosts, users) + list(extra) + [""]))
    return inventory
