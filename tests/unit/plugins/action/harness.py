# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run an action plugin as the task executor would, without a play: mocked task, connection and play context,
a real loader and templar over the task's variables."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from unittest.mock import MagicMock

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates every string it is given
    def trust_as_template(value):
        return value


def trusted(value):
    """value with every string in it trusted as a template, as strings from playbooks and inventories are."""
    if isinstance(value, dict):
        return dict((k, trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return trust_as_template(value) if isinstance(value, str) else value


def run_action(action_class, args, task_vars=None, check_mode=False, name="fleetcheck.kvm.action"):
    """The result of action_class's run() for a task with these args and variables."""
    task_vars = {} if task_vars is None else task_vars
    task = MagicMock()
    task.args = dict(args)
    task.action = name
    task.async_val = 0
    task.check_mode = check_mode
    connection = MagicMock()
    connection._shell.tmpdir = "/remote-tmp-never-used"
    loader = DataLoader()
    templar = Templar(loader=loader, variables=task_vars)
    action = action_class(task=task, connection=connection, play_context=MagicMock(), loader=loader,
                          templar=templar, shared_loader_obj=MagicMock())
    return action.run(task_vars=task_vars)
