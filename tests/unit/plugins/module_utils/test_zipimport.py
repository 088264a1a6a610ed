# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""From a zip, as AnsiballZ runs a module, each of the collection's module_utils is compiled once (zipimport
compiles twice), imports the same, and keeps its source for tracebacks; anywhere else nothing changes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "..", "..", "plugins", "module_utils", "_zipimport.py")
BASE = "ansible_collections/fleetcheck/kvm/plugins/module_utils/"

# Run in a fresh interpreter that has only the zip: counts compile() per file, imports a package and a module.
SCRIPT = r"""
import builtins, json, sys, traceback, zipimport
archive = sys.argv[1]
sys.path.insert(0, archive)
compiled = []
original = builtins.compile
def counting(source, name, *args, **kwargs):
    compiled.append(name)
    return original(source, name, *args, **kwargs)
builtins.compile = counting
importer = zipimport.zipimporter(archive)
from ansible_collections.fleetcheck.kvm.plugins.module_utils import _zipimport
installed = _zipimport.compile_once(importer) if sys.argv[2] == "on" else False
from ansible_collections.fleetcheck.kvm.plugins.module_utils._pkg.mod import VALUE, boom
from ansible_collections.fleetcheck.kvm.plugins.module_utils._pkg import PACKAGE
import ansible_collections.fleetcheck.kvm.plugins.module_utils._pkg.mod as mod
try:
    boom()
except ValueError:
    line = traceback.format_exc().strip().splitlines()[-2].strip()
ours = [n for n in compiled if "/_pkg/" in n]
print(json.dumps({"installed": installed, "compiled": ours, "value": VALUE, "package": PACKAGE,
                  "file": mod.__file__, "line": line}))
"""


def run(tmp_path, mode):
    archive = str(tmp_path / "payload.zip")
    with zipfile.ZipFile(archive, "w") as handle:
        for name in ("ansible_collections/", "ansible_collections/fleetcheck/", "ansible_collections/fleetcheck/kvm/",
                     "ansible_collections/fleetcheck/kvm/plugins/"):
            handle.writestr(name + "__init__.py", "")
        handle.writestr(BASE + "__init__.py", "")
        with open(SOURCE) as source:
            handle.writestr(BASE + "_zipimport.py", source.read())
        handle.writestr(BASE + "_pkg/__init__.py", "PACKAGE = 'pkg'\n")
        handle.writestr(BASE + "_pkg/mod.py", "VALUE = 42\n\n\ndef boom():\n    raise ValueError('from the zip')\n")
    output = subprocess.check_output([sys.executable, "-c", SCRIPT, archive, mode], universal_newlines=True,
                                     cwd=str(tmp_path))
    return archive, json.loads(output)


def test_from_a_zip_each_module_is_compiled_once_and_imports_the_same(tmp_path):
    archive, result = run(tmp_path, "on")
    assert result["installed"] is True
    assert sorted(result["compiled"]) == [archive + "/" + BASE + "_pkg/__init__.py", archive + "/" + BASE + "_pkg/mod.py"]
    assert (result["value"], result["package"]) == (42, "pkg")
    assert result["file"] == archive + "/" + BASE + "_pkg/mod.py"
    assert result["line"] == "raise ValueError('from the zip')", "the traceback quotes the source"


def test_zipimport_alone_compiles_each_module_twice_which_is_why(tmp_path):
    _archive, result = run(tmp_path, "off")
    assert result["installed"] is False and result["value"] == 42
    if sys.version_info >= (3, 8):  # the Python zipimport (3.8+); 3.6 and 3.7's is in C
        assert len(result["compiled"]) == 4, result["compiled"]


def test_outside_a_zip_nothing_is_installed():
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._zipimport import compile_once
    before = list(sys.meta_path)
    assert compile_once(None) is False and compile_once(object()) is False
    assert sys.meta_path == before
