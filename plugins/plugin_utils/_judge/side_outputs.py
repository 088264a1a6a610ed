# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Side outputs: what the role writes on a host besides the verdict (node_exporter's textfile), judged from the
registered results of its tasks. A side output that cannot be written is a warning of that host, never a failure:
it must not cost the fleet its reports.

Pure standard library; the registered results are read as untrusted (any shape).
"""

from __future__ import annotations

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.verdicts import check
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Check, mapping

TEXTFILE = "fleetcheck_kvm.prom"
CREATE = "kvm_validate_textfile_create"


def _said(result: object) -> str:
    """What a failed task said, on one line."""
    return " ".join(str(mapping(result).get("msg") or "no message").split())[:300]


def textfile_problem(directory: str, looked: object, made: object = None,
                     written: object = None) -> tuple[str, str, str] | None:
    """(subject, message, remedy) when the metrics were not written where asked, else None.

    `looked` is the registered stat of the directory, `made` the file task's (created only when
    kvm_validate_textfile_create is true), `written` the copy's. None or a skipped result is a task that did not
    run; a result that never ran because the host was unreachable is not here (the role skips those hosts)."""
    looked, made, written = mapping(looked), mapping(made), mapping(written)
    if not looked or looked.get("skipped"):
        return None  # not asked for, or the host has no verdict to write (unreachable, probe timed out)
    path = "%s/%s" % (str(directory).rstrip("/"), TEXTFILE)
    if looked.get("failed"):
        return (directory, "the metrics were not written: cannot look at %s: %s" % (directory, _said(looked)),
                "make %s reachable for the connecting user" % directory)
    found = mapping(looked.get("stat"))
    if made.get("failed"):
        return (directory, "the metrics were not written: cannot create %s: %s" % (directory, _said(made)),
                "create %s on this host, node_exporter's --collector.textfile.directory" % directory)
    if not found.get("exists") and not made.get("changed"):
        return (directory, "the metrics were not written: %s does not exist on this host" % directory,
                "create it (node_exporter's --collector.textfile.directory), point kvm_validate_textfile_directory at "
                "the one node_exporter reads, or set %s: true" % CREATE)
    if found.get("exists") and not found.get("isdir"):
        return (directory, "the metrics were not written: %s is not a directory" % directory,
                "point kvm_validate_textfile_directory at node_exporter's textfile directory")
    if written.get("failed"):
        return (path, "the metrics were not written: %s: %s" % (path, _said(written)),
                "make %s writable for the connecting user (become), or point kvm_validate_textfile_directory "
                "elsewhere" % directory)
    return None


def textfile_record(directory: str, looked: object, made: object = None, written: object = None) -> dict[str, str]:
    """{subject, message, remedy} when the metrics were not written where asked, else {}: the host's own record
    (the role keeps it as __kvm_validate_textfile_problem)."""
    found = textfile_problem(directory, looked, made, written)
    return {} if found is None else dict(zip(("subject", "message", "remedy"), found))


def textfile_check(record: object) -> Check | None:
    """The warning check (code metrics.not_written) of a host's record, or None when it has none. The record came
    back from the host's variables: only its texts are read, and the check cleans them."""
    if not isinstance(record, dict) or not isinstance(record.get("message"), str) or not record["message"]:
        return None
    subject, remedy = (str(record.get(key) or "") for key in ("subject", "remedy"))
    item = check("textfile_directory", "written", "not written", False, "%s; %s" % (record["message"], remedy),
                 severity="warn", code="metrics.not_written", subject=subject, remedy=remedy)
    item["family"] = "textfile_directory"
    return item
