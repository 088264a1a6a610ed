# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side actions never load host-side code: no collection file they reach imports the ioctl layer."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
COLLECTION = "ansible_collections.fleetcheck.kvm"
# What only the host side may use: ioctls, memory maps, timers, native calls, the account databases.
HOST_ONLY = {"fcntl", "mmap", "signal", "ctypes", "pwd", "grp"}
ACTIONS = sorted(glob.glob(os.path.join(ROOT, "plugins", "action", "*.py")))


def collection_file(module):
    """The file of a collection module name (a .py file or a package's __init__.py), or None if it has none."""
    parts = module[len(COLLECTION) + 1:].split(".")
    base = os.path.join(ROOT, *parts)
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def module_name(path):
    relative = os.path.splitext(os.path.relpath(path, ROOT))[0].split(os.sep)
    return ".".join([COLLECTION] + [p for p in relative if p != "__init__"])


def imports_of(path):
    """Every module name that a file imports, at any depth (a function-level import counts too)."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    package = module_name(path).rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = anchor + ("." + base if base else "")
            names.add(base)
            names.update(base + "." + alias.name for alias in node.names)  # "from package import module"
    return names


def reachable(start):
    """{collection file: the top-level names of everything it imports}, for start and every collection file it
    reaches through its imports."""
    seen, todo = {}, [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        names = imports_of(path)
        seen[path] = set(name.split(".")[0] for name in names)
        todo.extend(f for f in (collection_file(n) for n in names if n.startswith(COLLECTION + ".")) if f)
    return seen


def host_only_imports(start):
    return dict((os.path.relpath(path, ROOT), sorted(tops & HOST_ONLY))
                for path, tops in reachable(start).items() if tops & HOST_ONLY)


def test_there_are_actions_to_check():
    assert [os.path.basename(p) for p in ACTIONS] == ["kvm_report.py", "kvm_validate.py"]


@pytest.mark.parametrize("action", ACTIONS, ids=os.path.basename)
def test_no_collection_file_an_action_reaches_imports_host_side_modules(action):
    assert host_only_imports(action) == {}


def test_the_walk_follows_the_collection_imports():
    reached = set(os.path.relpath(p, ROOT) for p in reachable(os.path.join(ROOT, "plugins", "action", "kvm_validate.py")))
    assert {"plugins/plugin_utils/action.py", "plugins/module_utils/kvm_requirements.py",
            "plugins/module_utils/kvm_requirement_spec.py", "plugins/module_utils/kvm_profiles.py",
            "plugins/module_utils/kvm_verdicts.py", "plugins/module_utils/kvm_caps.py",
            "plugins/module_utils/kvm_abi.py"} <= reached


def test_the_walk_finds_host_side_imports_where_they_are():
    # The module does reach the ioctl layer: the check above can fail.
    found = host_only_imports(os.path.join(ROOT, "plugins", "modules", "kvm_facts.py"))
    assert set(name for names in found.values() for name in names) >= {"fcntl", "mmap"}


def test_relative_and_package_imports_are_resolved(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(u"import os\nfrom . import sibling\nfrom .. import parent\nimport fcntl as f\n"
                      u"from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_abi as abi\n")
    names = imports_of(str(source))
    assert {"os", "fcntl", "ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_abi"} <= names
    assert collection_file("ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_abi") == os.path.join(
        ROOT, "plugins", "module_utils", "kvm_abi.py")
