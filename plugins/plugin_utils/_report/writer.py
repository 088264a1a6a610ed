# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet reports from verdicts: fleet.json, junit.xml, fleet.md, fleet.html and fleet.prom, written atomically.

The reports only present what the evaluator decided; they judge nothing anew. The fleet
document is built in kvm_report_fleet (causes and drift in kvm_report_triage); each format
has its own renderer module. Renderers may return text or an iterable of text chunks, which
are written as they come, so that 100,000 hosts never exist as one string per format.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import signal
import threading
import time

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.json_report import iter_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import iter_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.prometheus import iter_prometheus

# (format, file name, renderer): the one list of the reports; the tables below are its views.
REPORTS = (
    ("json", "fleet.json", iter_json),
    ("junit", "junit.xml", iter_junit),
    ("markdown", "fleet.md", render_markdown),
    ("html", "fleet.html", render_html),
    ("prometheus", "fleet.prom", iter_prometheus),
)
FORMATS = tuple(fmt for fmt, _name, _render in REPORTS)
FILENAMES = dict((fmt, name) for fmt, name, _render in REPORTS)
RENDERERS = dict((fmt, render) for fmt, _name, render in REPORTS)


SETS = ".sets"  # in the report directory: one directory per set written
LATEST = "latest"  # in the report directory: the link to the set the reports are
KEEP = 2  # sets kept: the latest and the one before (a later audit compares with it)


def _rendered(fleet, fmt, path):
    with open(path, "wb") as out, PausedGC():
        rendered = RENDERERS[fmt](fleet)
        for chunk in [rendered] if isinstance(rendered, str) else rendered:
            out.write(chunk.encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, 0o644)


def _replace_link(directory, name, target):
    """directory/name becomes a symbolic link to target, by one rename (a reader sees the old or the new)."""
    temporary = os.path.join(directory, ".%s.%d.link" % (name, os.getpid()))
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.rename(temporary, os.path.join(directory, name))


class _Interrupted(Exception):
    """SIGTERM while a set is written: unwound like SIGINT, so that nothing half-written stays."""


def _on_term(signum, frame):
    raise _Interrupted("interrupted by signal %d" % signum)


def write_reports(directory, fleet, formats=FORMATS):
    """Publish the reports as one consistent set. Returns {format: path}.

    The set is written, each file fsynced, into a fresh directory under directory/.sets, then switched in
    with one rename of the link directory/latest; directory/fleet.json and the others are links through
    latest. A reader sees the old set or the new one, never a mix. An interrupt (SIGINT, SIGTERM, an error)
    removes the unfinished set; one killed outright is removed by the next run. The set before the latest
    is kept."""
    sets = os.path.join(directory, SETS)
    if not os.path.isdir(sets):
        os.makedirs(sets)
    for name in os.listdir(sets):  # an unfinished set of a run that was killed outright
        if name.startswith(".tmp-"):
            shutil.rmtree(os.path.join(sets, name), ignore_errors=True)
    stamp = "%s-%d" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime()), os.getpid())
    taken = [n[len(stamp) + 1:] for n in os.listdir(sets) if n == stamp or n.startswith(stamp + ".")]
    if taken:  # another set within the same second of the same process: numbered on, so names sort as written
        stamp = "%s.%03d" % (stamp, 1 + max([int(n) for n in taken if n.isdigit()] or [0]))
    unfinished = os.path.join(sets, ".tmp-" + stamp)
    os.mkdir(unfinished)
    previous = _signals(_on_term)
    try:
        for fmt in formats:
            _rendered(fleet, fmt, os.path.join(unfinished, FILENAMES[fmt]))
        os.rename(unfinished, os.path.join(sets, stamp))
    except BaseException:
        shutil.rmtree(unfinished, ignore_errors=True)
        raise
    finally:
        _signals(previous)
    _replace_link(directory, LATEST, os.path.join(SETS, stamp))
    paths = {}
    for fmt in formats:
        path = os.path.join(directory, FILENAMES[fmt])
        if not os.path.islink(path) or os.readlink(path) != os.path.join(LATEST, FILENAMES[fmt]):
            _replace_link(directory, FILENAMES[fmt], os.path.join(LATEST, FILENAMES[fmt]))
        paths[fmt] = path
    for fmt in set(FORMATS) - set(formats):  # a format left out is not shown from an older set
        if os.path.islink(os.path.join(directory, FILENAMES[fmt])):
            os.unlink(os.path.join(directory, FILENAMES[fmt]))
    for name in sorted(n for n in os.listdir(sets) if not n.startswith("."))[:-KEEP]:
        shutil.rmtree(os.path.join(sets, name), ignore_errors=True)
    return paths


def _signals(handler):
    """Install handler for SIGTERM (in the main thread only: elsewhere Python cannot); returns the previous one."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)
