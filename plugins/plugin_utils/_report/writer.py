# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet reports from verdicts: fleet.json, junit.xml, fleet.md and fleet.html, written atomically.

The reports only present what the evaluator decided; they judge nothing anew. The fleet
document is built in kvm_report_fleet (causes and drift in kvm_report_triage); each format
has its own renderer module. Renderers may return text or an iterable of text chunks, which
are written as they come, so that 100,000 hosts never exist as one string per format.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import PausedGC
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.html import render_html
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.json_report import iter_json
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.junit import iter_junit
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report.markdown import render_markdown

FORMATS = ("json", "junit", "markdown", "html")
FILENAMES = {"json": "fleet.json", "junit": "junit.xml", "markdown": "fleet.md", "html": "fleet.html"}
RENDERERS = {"json": iter_json, "junit": iter_junit, "markdown": render_markdown, "html": render_html}


def write_reports(directory, fleet, formats=FORMATS):
    """Write each report atomically (temporary file, fsync, rename). Returns {format: path}."""
    if not os.path.isdir(directory):
        os.makedirs(directory)
    paths = {}
    for fmt in formats:
        path = os.path.join(directory, FILENAMES[fmt])
        handle, temporary = tempfile.mkstemp(prefix="." + FILENAMES[fmt] + ".", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out, PausedGC():
                rendered = RENDERERS[fmt](fleet)
                for chunk in [rendered] if isinstance(rendered, str) else rendered:
                    out.write(chunk.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)
            os.rename(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        paths[fmt] = path
    return paths
