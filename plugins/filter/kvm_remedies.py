# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter fleetcheck.kvm.kvm_remedies: the fixes for a host's verdict (documented in kvm_remedies.yml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._remedy.remedies import RemedyError, plan, prove


def kvm_remedies(verdict: object, facts: object = None, codes: object = None, accounts: object = None, group: str = "kvm",
                 mode: str = "0660", backend: object = None, hugepages_minimums: object = None,
                 errors: str = "strict") -> dict[str, Any]:
    """The plan; with errors='return', an unusable option is the plan's `error` (a task fails with it, naming the
    variable) instead of a templating error."""
    try:
        if not isinstance(verdict, dict):
            given = "undefined or null" if verdict is None else type(verdict).__name__
            raise RemedyError("kvm_remedies: the input is %s; give it kvm_validate_result, the verdict "
                              "fleetcheck.kvm.validate sets" % given)
        made: dict[str, Any] = plan(verdict, facts, codes if codes is not None else [],
                                    accounts if accounts is not None else [], group, mode, backend, hugepages_minimums)
        return made
    except RemedyError as error:
        if errors == "return":
            return {"fixes": [], "left": [], "causes": [], "error": str(error)}
        raise AnsibleFilterError(str(error))


def kvm_remedy_proof(planned: object, verdict: object) -> dict[str, Any]:
    """Each cause the plan answered, judged again from the host's verdict after the fixes."""
    proof: dict[str, Any] = prove(planned, verdict)
    return proof


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"kvm_remedies": kvm_remedies, "kvm_remedy_proof": kvm_remedy_proof}
