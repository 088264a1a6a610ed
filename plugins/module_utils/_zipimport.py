# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One compile for each of this collection's module_utils, where a module runs from Ansible's zip (AnsiballZ).

A managed host compiles every module it imports on every run: there is no bytecode in the zip. CPython's
zipimport compiles a module's source twice - once when it is found (find_spec asks get_code whether it is a
package) and again when it is executed (measured on 3.8 to 3.13: compile is called twice per module; see
python/cpython#141276). The probe's own sources are half of what a host compiles, so that second compile
is about a tenth of the probe's run. The finder below reads each source once from the same zip, through
the zipimporter that loaded the module, and compiles it once. Where the module does not run from a zip
(unit tests, an exploded AnsiballZ module, Python 2), it does nothing and the normal import runs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

PREFIX = "ansible_collections.fleetcheck.kvm.plugins.module_utils."


class _Loader(object):
    """Executes one module's source, compiled once; gives the source to tracebacks (linecache)."""

    def __init__(self, source, origin):
        self.source, self.origin = source, origin

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None  # the default module object

    def exec_module(self, module):
        code = compile(self.source, self.origin, "exec", dont_inherit=True)
        exec(code, module.__dict__)  # pylint: disable=exec-used  # the module's own source, from its own zip

    def get_source(self, fullname):  # pylint: disable=unused-argument
        return self.source.decode("utf-8")


class _Finder(object):
    """Finds this collection's module_utils in the zip: a package's __init__.py, else the module's .py."""

    def __init__(self, importer, archive):
        self.importer, self.archive = importer, archive

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if not fullname.startswith(PREFIX):
            return None
        import importlib.util
        base = fullname.replace(".", "/")
        for name, package in ((base + "/__init__.py", True), (base + ".py", False)):
            try:
                source = self.importer.get_data(name)
            except (IOError, OSError):
                continue
            origin = self.archive + "/" + name
            spec = importlib.util.spec_from_loader(fullname, _Loader(source, origin), origin=origin,
                                                   is_package=package)
            spec.has_location = True  # __file__, as zipimport sets it
            if package:
                spec.submodule_search_locations = [self.archive + "/" + base]
            return spec
        return None  # not in the zip: the other finders say so


def compile_once(loader):
    """Put the finder first on sys.meta_path when `loader`, the running module's __loader__, reads a zip."""
    archive = getattr(loader, "archive", None)
    if sys.version_info[0] < 3 or not archive or not hasattr(loader, "get_data"):
        return False
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder(loader, archive))
    return True
