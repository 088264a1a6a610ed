# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report writer's tie to the audit that started it.

ansible-playbook forks a worker process for the kvm_report task. If the playbook is killed, that worker lives on
as an orphan (its parent becomes PID 1) and, once it got its results, would publish a report set nobody asked
for. tie_to_parent() asks Linux to send the worker SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), so that
no orphan can outlive the audit, and returns alive(), which the writer asks before it publishes anything.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def tie_to_parent(death_signal: int = signal.SIGTERM) -> Callable[[], bool]:
    """alive(): whether the process that started this one is still its parent. On Linux, this process also gets
    `death_signal` when that parent dies; elsewhere only alive() holds."""
    parent = os.getppid()
    try:
        import ctypes  # here: only the writer's process pays for it
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(death_signal), 0, 0, 0)
    except (OSError, AttributeError, TypeError):
        pass  # not Linux: the check before publishing is the tie
    if os.getppid() != parent:  # the parent died before the tie was made
        os.kill(os.getpid(), death_signal)

    def alive() -> bool:
        return os.getppid() == parent
    return alive
