# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The attributes of the collection's controller-side actions (kvm_validate, kvm_report).
    DOCUMENTATION = r"""
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  async:
    description: Whether the action can run asynchronously.
    support: none
  bypass_host_loop:
    description: Whether the action runs once for all hosts.
    support: none
  diff_mode:
    description: Whether the action reports differences.
    support: none
  platform:
    description: Target platforms.
    support: full
    platforms: all
notes:
  - Runs on the controller; it does not connect to the host.
"""
