# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm_facts on the controller: the module runs on the host as any module does (ansible.builtin.normal); with
vars_prefix, the options the task does not give are read from the variables <prefix><name>.

Why: ansible-core compiles each templated task argument again in every worker, once per host (about 0.5 ms each
on 2.19, measured), and the role's probe task passed its seven options as templates of its variables. Read here,
a variable that holds a plain value costs nothing to template, and one that holds a template is rendered as it
would have been.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleError
from ansible.plugins.action.normal import ActionModule as NormalAction

# Each option of kvm_facts and the variables (after the prefix) it is read from: the role's names. cpu_models is
# the union of the models asked for and the models the requirements name, as the checks read them.
FROM_VARIABLES = (
    ("device", ("device",)),
    ("gather_subset", ("gather_subset",)),
    ("timeout", ("timeout",)),
    ("cpu_models", ("cpu_models", "required_cpu_models")),
    ("qemu_version", ("qemu_version",)),
    ("qemu_check", ("qemu_check",)),
    ("accounts", ("device_users",)),
)


def union(values: list[t.Any]) -> list[t.Any]:
    """The lists' items in order, each once (Jinja's union); a value that is not a list counts as one item, for the
    module to check as it checks its option."""
    found: list[t.Any] = []
    for value in values:
        found.extend(item for item in (value if isinstance(value, list) else [value]) if item not in found)
    return found


class ActionModule(NormalAction):
    """The module, with its options read from the role's variables where vars_prefix is given."""

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        args = dict(self._task.args)
        prefix = args.pop("vars_prefix", None)
        if prefix is not None:
            if not isinstance(prefix, str) or not prefix:
                return {"failed": True, "msg": "vars_prefix must be a non-empty string such as kvm_validate_, got %r"
                        % (prefix,)}
            try:
                args = from_variables(prefix, args, task_vars or {}, self._templar.template)
            except AnsibleError as error:
                return {"failed": True, "msg": "cannot template a variable of vars_prefix %s: %s" % (prefix, error)}
            self._task.args = args
        result: dict[str, t.Any] = super().run(tmp, task_vars)
        return result


def from_variables(prefix: str, args: dict[str, t.Any], variables: dict[str, t.Any],
                   template: t.Callable[[t.Any], t.Any]) -> dict[str, t.Any]:
    """args with each option they do not give read from the variables prefix + name (templated; absent ones left to
    the module's default)."""
    found = dict(args)
    for option, names in FROM_VARIABLES:
        if option in found:
            continue
        given = [template(variables[prefix + name]) for name in names if prefix + name in variables]
        if given:
            found[option] = union(given) if len(names) > 1 else given[0]
    return found
