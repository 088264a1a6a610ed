# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter fleetcheck.kvm.kvm_metrics: one host's verdict as a node_exporter textfile (documented in kvm_metrics.yml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import normalize_verdict
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.side_outputs import textfile_record
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.prometheus import host_textfile


def kvm_metrics(verdict: object) -> str:
    """The verdict (kvm_validate_result) is read as untrusted, as the reports read it: a malformed one gives the
    metrics of a host without facts, which says so in its root cause's code."""
    if verdict is None:
        raise AnsibleFilterError("kvm_metrics: the input is undefined or null; give it kvm_validate_result, the "
                                 "verdict fleetcheck.kvm.validate sets")
    host = verdict.get("host") if isinstance(verdict, dict) else None
    text: str = host_textfile(normalize_verdict(host if isinstance(host, str) else "host", verdict))
    return text


def kvm_textfile_problem(looked: object, directory: str, made: object = None, written: object = None) -> dict[str, str]:
    """{subject, message, remedy} when the metrics were not written where asked, else {} (kvm_textfile_problem.yml)."""
    return textfile_record(directory, looked, made, written)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"kvm_metrics": kvm_metrics, "kvm_textfile_problem": kvm_textfile_problem}
