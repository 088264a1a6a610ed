# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ansible commands with the json callback and read their results."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys


def run_ansible(bin_dir, args, env=None, check=True):
    """Run an ansible command with the json callback; return (rc, parsed output)."""
    environment = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                       ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                       ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    environment.update(env or {})
    process = subprocess.run([os.path.join(bin_dir, args[0])] + list(args[1:]), env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if check and process.returncode != 0:
        raise AssertionError("%s exited %d:\n%s\n%s" % (args, process.returncode, process.stdout, process.stderr))
    return process.returncode, json.loads(process.stdout)


def module_result(output, host="localhost"):
    """The result of the first task on host in json-callback output."""
    return output["plays"][0]["tasks"][0]["hosts"][host]
