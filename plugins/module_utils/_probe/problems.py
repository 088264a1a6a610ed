# SPDX-License-Identifier: GPL-3.0-or-later
"""A reason the host cannot run VMs, as data: a stable code, its subject, what is wrong, what to do.

Automation branches on the code; people read `reasons`, each problem's message and remedy in one
sentence (docs/user-guide.md lists every code).
"""


def problem(code, subject, message, remedy=None, joiner="; "):
    """`joiner` joins message and remedy in `reasons`, which keep the sentences they always had."""
    found = {"code": code, "subject": subject, "message": message, "remedy": remedy}
    if joiner != "; ":
        found["joiner"] = joiner
    return found


def reason(found):
    """The problem as the one sentence of `reasons` (and the problem without its joiner)."""
    joiner = found.pop("joiner", "; ")
    return found["message"] + (joiner + found["remedy"] if found["remedy"] else "")
