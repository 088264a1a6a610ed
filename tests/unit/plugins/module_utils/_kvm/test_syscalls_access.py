# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Syscalls.open_as and getxattr on the real OS: the child always reaped, every answer a value."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import shutil
import tempfile

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.node import ACL_XATTR, read_acl

NOBODY = 65534


def no_children():
    try:
        return os.waitpid(-1, os.WNOHANG) is None
    except ChildProcessError:
        return True


@pytest.fixture
def owner_only():
    """A 0600 file in a directory every account may traverse (pytest's tmp_path is private to root)."""
    directory = tempfile.mkdtemp(prefix="fc10-")
    os.chmod(directory, 0o755)
    path = os.path.join(directory, "node")
    with open(path, "w"):
        pass
    os.chmod(path, 0o600)
    yield path
    shutil.rmtree(directory)


def test_as_root_the_kernel_answers_for_each_account(owner_only):
    if os.geteuid() != 0:
        assert Syscalls().open_as(owner_only, os.O_RDWR, NOBODY, NOBODY, [NOBODY]) == ("setgroups", errno.EPERM)
    else:
        assert Syscalls().open_as(owner_only, os.O_RDWR, NOBODY, NOBODY, [NOBODY]) == ("open", errno.EACCES)
        assert Syscalls().open_as(owner_only, os.O_RDWR, 0, 0, [0]) == (None, 0)
        os.chmod(owner_only, 0o606)
        assert Syscalls().open_as(owner_only, os.O_RDWR, NOBODY, NOBODY, [NOBODY]) == (None, 0)
    assert no_children(), "the child process was not reaped"


def test_a_missing_path_is_enoent_from_the_child(tmp_path):
    uid, gid = os.geteuid(), os.getegid()
    step, number = Syscalls().open_as(str(tmp_path / "absent"), os.O_RDWR, uid, gid, sorted(set(os.getgroups())))
    assert (step, number) in (("open", errno.ENOENT), ("setgroups", errno.EPERM))
    assert no_children()


def test_a_file_without_acl_has_none(owner_only):
    assert read_acl(Syscalls(), owner_only) == ([], None)


def test_an_acl_written_by_the_kernel_is_decoded(owner_only):
    raw = bytes(bytearray([2, 0, 0, 0, 1, 0, 6, 0, 255, 255, 255, 255, 2, 0, 6, 0, 0xFE, 0xFF, 0, 0,
                           4, 0, 0, 0, 255, 255, 255, 255, 0x10, 0, 6, 0, 255, 255, 255, 255,
                           0x20, 0, 0, 0, 255, 255, 255, 255]))
    try:
        os.setxattr(owner_only, ACL_XATTR, raw)
    except OSError as error:
        pytest.skip("this file system keeps no POSIX ACLs here: %s" % error)
    entries, error = read_acl(Syscalls(), owner_only)
    assert error is None and ("user", NOBODY, 6) in entries and ("mask", None, 6) in entries
    assert oct(os.stat(owner_only).st_mode & 0o777) == oct(0o660)  # the kernel shows the mask as group bits
