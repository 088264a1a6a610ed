# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action for fleetcheck.kvm.kvm_report: writes the fleet reports on the controller."""

from __future__ import annotations

import datetime
import os
import typing as t

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.changes import (
    PreviousError, compare, previous_fleet, regression_hosts)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.merge import SliceError, merge_slices, read_without_checks
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import merge_views
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.side_outputs import textfile_check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import with_warning
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.lifeline import tie_to_parent
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.summary import render_summary
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.writer import (
    FILENAMES, FORMATS, AuditGone, Interrupted, ReportDirectoryError, check_directory, write_reports)
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._action import ControllerAction, host_variables

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    hosts=dict(type="list", elements="raw"),
    sources=dict(type="list", elements="str"),
    verdicts=dict(type="dict"),
    formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
    title=dict(type="str", default="KVM fleet audit"),
    guest_cpu_pools=dict(type="dict"),
    guest_cpu_slices=dict(type="list", elements="dict"),
    cap_sets=dict(type="dict"),
    requirement_sets=dict(type="dict"),
    previous=dict(type="path"),
    models_in_use=dict(type="list", elements="str"),
    allow_unreachable=dict(type="bool", default=False),
    textfile_hosts=dict(type="list", elements="str", default=[]),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result, args, task_vars = self.start(tmp, task_vars)
        alive = tie_to_parent()  # this worker dies with the playbook, and publishes only while it lives
        try:  # refused before anything is read or written (check mode too): what reports cannot be published over
            check_directory(args["dest"])
        except ReportDirectoryError as error:
            result.update(failed=True, msg="dest: %s" % error.strerror)
            return result
        guest_cpu, cap_sets, previous = args["guest_cpu_pools"], args["cap_sets"], None
        if args["previous"] is not None:  # read before the new reports replace it: it may be dest's own
            try:
                previous = previous_fleet(read_without_checks(args["previous"], "the previous audit's report"),
                                          args["previous"])
            except (SliceError, PreviousError) as error:
                result.update(failed=True, msg="previous: %s" % error)
                return result
        if args["sources"] is not None:  # fleetcheck.kvm.merge_reports: the slices' reports, read as untrusted
            try:
                # relative paths are taken from the working directory, not from the playbook's
                hosts, merged, views, title, sets, requirements = merge_slices(args["sources"], os.getcwd(), args["hosts"] or ())
            except SliceError as error:
                result.update(failed=True, msg=str(error))
                return result
            args.update(hosts=hosts, verdicts=merged, title=title or args["title"])
            cap_sets = dict(sets, **(cap_sets or {}))
            args["requirement_sets"] = dict(requirements, **(args["requirement_sets"] or {}))
            guest_cpu = merge_views(views) if views else None
        elif args["hosts"] is None:
            result.update(failed=True, msg="hosts is required (or sources, the slices to merge)")
            return result
        verdicts: dict[str, t.Any] | None = args["verdicts"]
        if verdicts is None:  # read each host's kvm_validate_result from hostvars
            verdicts = dict((h, host_variables(task_vars, h).get("kvm_validate_result")) for h in args["hosts"])
        if args["textfile_hosts"]:  # each host's record of metrics it could not write: a warning of that host
            verdicts = with_textfile_warnings(verdicts, args["textfile_hosts"], task_vars)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if args["guest_cpu_slices"]:  # fleetcheck.kvm.merge_reports: the slices' pools merge exactly
            guest_cpu = merge_views(args["guest_cpu_slices"])
        fleet = build_fleet(args["hosts"], verdicts, now, args["title"], guest_cpu, cap_sets, args["requirement_sets"])
        result.update(counts=fleet["counts"], failed_hosts=[
            r["host"] for r in fleet["hosts"] if r["status"] != "pass"],
            unreachable_hosts=[r["host"] for r in fleet["hosts"] if r["status"] == "unreachable"],
            warned_hosts=[r["host"] for r in fleet["hosts"] if r["warnings"]])
        if previous is not None:
            fleet["changes"] = compare(previous, fleet, args["models_in_use"], args["allow_unreachable"])
            result.update(changes=fleet["changes"]["counts"], regressions=fleet["changes"]["regressions"],
                          regression_hosts=regression_hosts(fleet["changes"]))
        result["paths"] = dict((f, "%s/%s" % (args["dest"], FILENAMES[f])) for f in args["formats"])
        if self._task.check_mode:
            result.update(changed=False, summary=render_summary(fleet, result["paths"], written=False),
                          msg="check mode: no report was written; it would write %s"
                          % ", ".join(sorted(result["paths"].values())))
            return result
        try:
            result["paths"] = write_reports(args["dest"], fleet, args["formats"], alive=alive)
        except AuditGone:  # nobody is left to answer: a result sent to the dead playbook would block for ever
            os._exit(1)  # pylint: disable=protected-access
        except (Interrupted, KeyboardInterrupt):
            if not alive():  # the same, when the signal came from the playbook's death
                os._exit(1)  # pylint: disable=protected-access
            raise
        except ReportDirectoryError as error:
            result.update(failed=True, msg="dest: %s" % error.strerror)
            return result
        except OSError as error:
            result.update(failed=True, msg="cannot write the reports to %s: %s" % (args["dest"], error))
            return result
        result.update(changed=True, summary=render_summary(fleet, result["paths"]),
                      msg="%(total)d hosts: %(pass)d pass, %(fail)d fail, %(unreachable)d unreachable, "
                          "%(no_facts)d without facts" % fleet["counts"])
        if fleet["warned"]:  # warnings never gate: counted apart from the statuses
            result["msg"] += "; %d with warnings" % fleet["warned"]
        return result


TEXTFILE_RECORD = "__kvm_validate_textfile_problem"  # set by the validate role's metrics tasks (metrics.yml)


def with_textfile_warnings(verdicts: t.Any, hosts: list[str], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
    """The verdicts, the record of each host of `hosts` (those the validate role put in the group
    fleetcheck_kvm_metrics_not_written) added as its warning metrics.not_written: only those hosts are read."""
    found = dict(verdicts) if isinstance(verdicts, dict) else {}
    for host in hosts:
        item = textfile_check(host_variables(task_vars, host).get(TEXTFILE_RECORD)) if isinstance(host, str) else None
        if item is not None and isinstance(found.get(host), dict):
            found[host] = with_warning(found[host], item)
    return found
