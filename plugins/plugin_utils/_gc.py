# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cyclic garbage collector paused while the fleet's documents are built, read and written."""

from __future__ import annotations

import gc


class PausedGC:
    """The cyclic garbage collector paused. The reports make no reference cycles, and with millions of
    live objects (100,000 verdicts) every collection would walk them all: a third of the time."""

    def __init__(self) -> None:
        self.was_enabled = False

    def __enter__(self) -> PausedGC:
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.was_enabled:
            gc.enable()
