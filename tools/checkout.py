"""Make this checkout importable as ansible_collections.fleetcheck.kvm, for tools and plain pytest.

ansible-test does this itself; elsewhere the repository root is linked into a temporary
ansible_collections tree, unless the collection can already be imported.
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def importable():
    """Import ansible_collections.fleetcheck.kvm from this checkout if nothing provides it yet."""
    try:
        import ansible_collections.fleetcheck.kvm.plugins  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    except ImportError:
        tree = tempfile.mkdtemp(prefix="fleetcheck-collections-")
        os.makedirs(os.path.join(tree, "ansible_collections", "fleetcheck"))
        os.symlink(ROOT, os.path.join(tree, "ansible_collections", "fleetcheck", "kvm"))
        sys.path.insert(0, tree)
        for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
            del sys.modules[name]
