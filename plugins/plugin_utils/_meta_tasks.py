# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The implicit meta tasks that read no variable, run by the audit's strategies without resolving any.

ansible-core ends each imported role with an implicit `meta: role_complete` for every host, and each section of a
play with an implicit `meta: flush_handlers`. Its strategies resolve the host's variables before they look at what
a task is (VariableManager.get_vars, which copies the host's facts twice and walks them): measured on 2.19, 1.3 ms of
controller CPU a host once it has its KVM facts (0.3 ms before), for each of the audit's role imports. These two read
no variable when they carry no condition, and StrategyBase._execute_meta runs them without any (the play context it
takes is for reset_connection alone).
"""

from __future__ import annotations

import typing as t

from ansible import constants as C

NO_VARIABLES = frozenset(("role_complete", "flush_handlers"))


def needs_no_variables(task: object) -> bool:
    """Whether task is an implicit meta task without a condition that reads no variable."""
    args = getattr(task, "args", None)
    when = getattr(task, "when", None) or []
    # ansible-core 2.19 gives role_complete the condition [True]
    return (getattr(task, "implicit", False) is True and isinstance(when, list) and all(c is True for c in when)
            and getattr(task, "action", None) in C._ACTION_META
            and isinstance(args, dict) and args.get("_raw_params") in NO_VARIABLES)


def result_host(result: object) -> t.Any:
    """The host of a processed task result, in this ansible-core's form (host, or _host before 2.19)."""
    return getattr(result, "host", None) or getattr(result, "_host", None)


def run_plain_meta(strategy: t.Any, iterator: t.Any, host: t.Any) -> int:
    """Run, as the free strategy would, the implicit meta tasks that read no variable and come next for a host that
    waits on nothing; return how many ran. The strategy's own walk then finds the host's next real task."""
    ran = 0
    while (not strategy._blocked_hosts.get(host.name, False)
           and not strategy._tqm._unreachable_hosts.get(host.name, False)):
        state, task = iterator.get_next_task_for_host(host, peek=True)
        if task is None or not needs_no_variables(task):
            break
        iterator.set_state_for_host(host.name, state)
        strategy._execute_meta(task, None, iterator, host)
        ran += 1
    return ran
