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

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._gc import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.json_report import iter_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import iter_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.prometheus import iter_prometheus
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._types import Fleet

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
# Files with no name until they are published (Linux's O_TMPFILE): a writer killed even by SIGKILL leaves nothing.
O_TMPFILE = getattr(os, "O_TMPFILE", 0)
PUBLISH_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # held back while a set is switched in


class ReportDirectoryError(OSError):
    """The report directory holds something the reports cannot be published over; nothing was written."""


class AuditGone(RuntimeError):
    """The audit that asked for the reports is gone (its process died): nothing is published."""


def check_directory(directory: str) -> None:
    """Refuse, before anything is written, a report directory whose names are not what the writer made: the report
    names and `latest` must be links or absent, `.sets` a directory or absent. Raises ReportDirectoryError."""
    if not directory:
        raise ReportDirectoryError(errno.EINVAL, "the report directory is empty: give a directory")
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise ReportDirectoryError(errno.ENOTDIR, "%s is %s, not a directory" % (directory, _kind(directory)))
    for name in tuple(FILENAMES.values()) + (LATEST,):
        path = os.path.join(directory, name)
        if os.path.lexists(path) and not os.path.islink(path):
            raise ReportDirectoryError(errno.EEXIST, "%s is %s, not the link the reports are published through; "
                                                     "move it away (nothing was written)" % (path, _kind(path)))
    sets = os.path.join(directory, SETS)
    if os.path.lexists(sets) and (os.path.islink(sets) or not os.path.isdir(sets)):
        raise ReportDirectoryError(errno.EEXIST, "%s is %s, not the directory of report sets; move it away "
                                                 "(nothing was written)" % (sets, _kind(sets)))


def _kind(path: str) -> str:
    mode = os.lstat(path).st_mode
    return "a directory" if stat.S_ISDIR(mode) else "a symbolic link" if stat.S_ISLNK(mode) else \
        "a regular file" if stat.S_ISREG(mode) else "a special file"


def _render_into(handle: IO[bytes], fleet: Fleet, fmt: str) -> None:
    with PausedGC():
        rendered = RENDERERS[fmt](fleet)
        for chunk in [rendered] if isinstance(rendered, str) else rendered:
            handle.write(chunk.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def _unnamed(sets: str) -> IO[bytes] | None:
    """A file without a name in `sets`, or None where the system or file system has no O_TMPFILE."""
    if not O_TMPFILE:
        return None
    try:
        return os.fdopen(os.open(sets, O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o644), "wb")
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None
        raise


def _replace_link(directory: str, name: str, target: str) -> None:
    """directory/name becomes a symbolic link to target, by one rename (a reader sees the old or the new)."""
    temporary = os.path.join(directory, ".%s.%d.link" % (name, os.getpid()))
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    try:
        os.rename(temporary, os.path.join(directory, name))
    except OSError:
        os.unlink(temporary)
        raise


class Interrupted(Exception):
    """SIGTERM or SIGHUP while a set is written: unwound like SIGINT, so that nothing half-written stays."""


def _on_term(signum: int, frame: object) -> None:
    raise Interrupted("interrupted by signal %d" % signum)


def _stamp(sets: str) -> str:
    stamp = "%s-%d" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime()), os.getpid())
    taken = [n[len(stamp) + 1:] for n in os.listdir(sets) if n == stamp or n.startswith(stamp + ".")]
    if taken:  # another set within the same second of the same process: numbered on, so names sort as written
        stamp = "%s.%03d" % (stamp, 1 + max([int(n) for n in taken if n.isdigit()] or [0]))
    return stamp


def write_reports(directory: str, fleet: Fleet, formats: Iterable[str] = FORMATS,
                  alive: Callable[[], bool] | None = None) -> dict[str, str]:
    """Publish the reports as one consistent set. Returns {format: path}.

    The directory is checked first (check_directory): nothing is written over what the writer did not make. Each
    report is rendered and fsynced into a file that has no name yet (O_TMPFILE; elsewhere a .tmp- directory that an
    interrupt removes), so a writer interrupted or killed, even by SIGKILL, leaves nothing. Then, with SIGINT,
    SIGTERM and SIGHUP held back, and only if `alive()` says the audit that asked is still there, the set is named
    under directory/.sets and switched in by one rename of the link directory/latest; directory/fleet.json and the
    others are links through latest. A reader sees the old set or the new one, never a mix. The set before the
    latest is kept."""
    check_directory(directory)
    sets = os.path.join(directory, SETS)
    if not os.path.isdir(sets):
        os.makedirs(sets)
    for name in os.listdir(sets):  # an unfinished set of a writer killed outright where O_TMPFILE is missing
        if name.startswith(".tmp-"):
            shutil.rmtree(os.path.join(sets, name), ignore_errors=True)
    stamp = _stamp(sets)
    unfinished = os.path.join(sets, ".tmp-" + stamp)
    previous = _signals(_on_term)
    files = []
    try:
        for fmt in formats:
            handle = _unnamed(sets)
            if handle is None:  # named files in a directory an interrupt removes
                if not os.path.isdir(unfinished):
                    os.mkdir(unfinished)
                handle = open(os.path.join(unfinished, FILENAMES[fmt]), "wb")
            files.append((fmt, handle))
            _render_into(handle, fleet, fmt)
        held = _hold(PUBLISH_SIGNALS)
        try:
            if alive is not None and not alive():
                raise AuditGone("the audit that asked for these reports is gone: nothing was published")
            _publish(directory, sets, unfinished, stamp, files, formats)
        finally:
            _release(held)
    except BaseException:
        shutil.rmtree(unfinished, ignore_errors=True)
        raise
    finally:
        for _fmt, handle in files:
            handle.close()
        _signals(previous)
    for name in sorted(n for n in os.listdir(sets) if not n.startswith("."))[:-KEEP]:
        shutil.rmtree(os.path.join(sets, name), ignore_errors=True)
    return dict((fmt, os.path.join(directory, FILENAMES[fmt])) for fmt in formats)


def _publish(directory: str, sets: str, unfinished: str, stamp: str, files: list[tuple[str, IO[bytes]]],
             formats: Iterable[str]) -> None:
    """Name the rendered files as one set and switch it in (signals held back by the caller)."""
    if not os.path.isdir(unfinished):
        os.mkdir(unfinished)
    where = os.open(unfinished, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for fmt, handle in files:
            name = FILENAMES[fmt]
            if not os.path.exists(os.path.join(unfinished, name)):
                # an unnamed file gets its name through /proc (no capability needed); a dir fd makes os.link call
                # linkat with AT_SYMLINK_FOLLOW, where plain link() would link the /proc symlink itself
                os.link("/proc/self/fd/%d" % handle.fileno(), name, dst_dir_fd=where, follow_symlinks=True)
            os.chmod(os.path.join(unfinished, name), 0o644)
    finally:
        os.close(where)
    os.rename(unfinished, os.path.join(sets, stamp))
    _replace_link(directory, LATEST, os.path.join(SETS, stamp))
    for fmt in formats:
        path = os.path.join(directory, FILENAMES[fmt])
        if not os.path.islink(path) or os.readlink(path) != os.path.join(LATEST, FILENAMES[fmt]):
            _replace_link(directory, FILENAMES[fmt], os.path.join(LATEST, FILENAMES[fmt]))
    for fmt in set(FORMATS) - set(formats):  # a format left out is not shown from an older set
        if os.path.islink(os.path.join(directory, FILENAMES[fmt])):
            os.unlink(os.path.join(directory, FILENAMES[fmt]))


def _hold(numbers: Iterable[int]) -> set[int] | None:
    """Block the signals in this thread; returns what to restore. A signal that comes meanwhile is delivered when
    they are released: after the set is switched in, whole."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, numbers)


def _release(held: set[int] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _signals(handler: Any) -> tuple[Any, ...] | None:
    """Install handler for SIGTERM and SIGHUP (in the main thread only: elsewhere Python cannot); returns the
    previous ones."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    if isinstance(handler, tuple):
        for number, old in zip((signal.SIGTERM, signal.SIGHUP), handler):
            signal.signal(number, old)
        return None
    return tuple(signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGHUP))
