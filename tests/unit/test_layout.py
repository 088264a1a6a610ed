# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The folder says the side: the rules of the layout, checked over every file of plugins/.

- plugins/module_utils is the host side (what AnsiballZ ships): nothing there imports plugin_utils or action.
- plugins/plugin_utils, plugins/action and plugins/filter are the controller side: from module_utils they import only the
  shared names (_names.py) and the tables (_kvm.caps, _cpu.cpuid_bits, _cpu.qemu_models, _cpu.releases, _cpu.levels).
- Transitively, no file an action reaches imports an OS-touching module, and kvm_facts reaches no
  controller code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = "ansible_collections.fleetcheck.kvm"
# What only the host side may use: ioctls, memory maps, native calls, the account databases. (signal is not
# among them: the controller's report writer handles SIGTERM so that an interrupt leaves no partial set.)
HOST_ONLY = {"fcntl", "mmap", "ctypes", "pwd", "grp"}
# The one native call of the controller: the report writer's worker asks Linux to end it with the playbook
# (prctl PR_SET_PDEATHSIG), so that no orphaned writer publishes reports after the audit is gone.
CONTROLLER_NATIVE = {os.path.join("plugins", "plugin_utils", "_report", "lifeline.py"): {"ctypes"}}
# The controller's entry points: actions and filters.
ACTIONS = sorted(glob.glob(os.path.join(ROOT, "plugins", "action", "*.py")) + glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py")))
HOST = COLLECTION + ".plugins.module_utils"
CONTROLLER = (COLLECTION + ".plugins.plugin_utils", COLLECTION + ".plugins.action", COLLECTION + ".plugins.filter")
# What the controller may import from the host side: the shared names and the tables, pure data.
SHARED = tuple(HOST + "." + name for name in ("_names", "_kvm.caps", "_cpu.cpuid_bits", "_cpu.qemu_models", "_cpu.releases", "_cpu.levels",
                                                        "_cpu.hyperv"))


def files_under(*parts):
    return sorted(glob.glob(os.path.join(ROOT, "plugins", *parts), recursive=True))


def collection_imports(path):
    """The collection modules a file imports, by the module each name resolves to (a package import of
    modules counts as those modules, not as the package)."""
    found = set()
    for name in imports_of(path):
        if name.startswith(COLLECTION + "."):
            target = collection_file(name)
            if target is not None and os.path.basename(target) != "__init__.py":
                found.add(module_name(target))
    return found


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
    found = {}
    for path, tops in reachable(start).items():
        rel = os.path.relpath(path, ROOT)
        wrong = tops & HOST_ONLY - CONTROLLER_NATIVE.get(rel, set())
        if wrong:
            found[rel] = sorted(wrong)
    return found


def test_there_are_actions_to_check():
    assert [os.path.basename(p) for p in ACTIONS] == ["kvm_facts.py", "kvm_report.py", "kvm_validate.py", "kvm_metrics.py", "kvm_remedies.py"]


@pytest.mark.parametrize("path", files_under("module_utils", "**", "*.py"), ids=lambda p: os.path.relpath(p, ROOT))
def test_the_host_side_imports_no_controller_code(path):
    assert sorted(name for name in collection_imports(path) if not name.startswith(HOST + ".")) == []


@pytest.mark.parametrize("path", files_under("plugin_utils", "**", "*.py") + ACTIONS,
                         ids=lambda p: os.path.relpath(p, ROOT))
def test_the_controller_imports_only_shared_names_and_tables_from_the_host_side(path):
    assert sorted(name for name in collection_imports(path)
                  if name.startswith(HOST + ".") and name not in SHARED) == []


@pytest.mark.parametrize("action", ACTIONS, ids=os.path.basename)
def test_no_collection_file_an_action_reaches_imports_host_side_modules(action):
    assert host_only_imports(action) == {}


def test_kvm_facts_reaches_no_controller_code():
    reached = [module_name(p) for p in reachable(os.path.join(ROOT, "plugins", "modules", "kvm_facts.py"))]
    assert [name for name in reached if name.startswith(CONTROLLER)] == []
    assert COLLECTION + ".plugins.module_utils._probe.gather" in reached  # the walk did follow its imports


def test_the_rules_can_fail(tmp_path):
    # A host-side file that imported the judge, and a controller file that imported the ioctls, are caught.
    host_file = tmp_path / "host.py"
    host_file.write_text(u"from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import evaluate\n")
    controller_file = tmp_path / "controller.py"
    controller_file.write_text(u"from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import ioctls\n")
    assert collection_imports(str(host_file)) == {CONTROLLER[0] + "._judge.evaluate"}
    assert collection_imports(str(controller_file)) == {HOST + "._kvm.ioctls"}
    assert HOST + "._kvm.ioctls" not in SHARED


def test_the_walk_follows_the_collection_imports():
    reached = set(os.path.relpath(p, ROOT) for p in reachable(os.path.join(ROOT, "plugins", "action", "kvm_validate.py")))
    assert {"plugins/plugin_utils/_action.py", "plugins/plugin_utils/_judge/evaluate.py",
            "plugins/plugin_utils/_judge/registry.py", "plugins/plugin_utils/_judge/profiles.py",
            "plugins/plugin_utils/_judge/verdicts.py", "plugins/module_utils/_kvm/caps.py",
            "plugins/module_utils/_names.py"} <= reached


def test_the_walk_finds_host_side_imports_where_they_are():
    # The module does reach the ioctl layer: the check above can fail.
    found = host_only_imports(os.path.join(ROOT, "plugins", "modules", "kvm_facts.py"))
    assert set(name for names in found.values() for name in names) >= {"fcntl", "mmap"}


def test_relative_and_package_imports_are_resolved(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(u"import os\nfrom . import sibling\nfrom .. import parent\nimport fcntl as f\n"
                      u"from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi\n")
    names = imports_of(str(source))
    assert {"os", "fcntl", "ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.abi"} <= names
    assert collection_file("ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.abi") == os.path.join(
        ROOT, "plugins", "module_utils", "_kvm", "abi.py")
