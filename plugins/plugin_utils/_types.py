# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names of the controller's plain documents, for its type hints.

Each is a JSON-like mapping whose shape a document describes: facts (docs/fleet-json-schema.md, "The facts at the
door", checked by _fleet/schema.py), checks and verdicts (_judge/verdicts.py), the fleet (docs/fleet-json-schema.md).
They stay dicts: hosts send them, Ansible carries them, and the reports write them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Facts = dict[str, Any]  # a host's ansible_facts.kvm
Check = dict[str, Any]  # one judged requirement (verdicts.check)
Verdict = dict[str, Any]  # one host's verdict (verdicts.host_verdict)
Fleet = dict[str, Any]  # the fleet document (fleet.json)
Requirements = dict[str, Any]  # requirement name -> value, checked (evaluate.check_requirements)
Profiles = dict[str, Any]  # profile name -> profile (profiles.BUILTIN_PROFILES and custom ones)
# A requirement's validator (_judge/registry.py): (the value given, the profiles) -> (the value made canonical,
# [problems, each naming the fix]).
Validator = Callable[[Any, Profiles], tuple[Any, list[str]]]


def mapping(value: object) -> dict[str, Any]:
    """The value when it is a mapping, else an empty one: how the judge reads a part of the facts (untrusted, maybe
    missing or of another type) without a branch for each shape."""
    return value if isinstance(value, dict) else {}
