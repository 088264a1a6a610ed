# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Memory whose address the kernel is given: the address must be where the bytes really are.

ctypes reads the bytes back at the address (the probe itself avoids ctypes, the test may use it),
on the memfd path and on the array path that Python 3.6/3.7 and memfd-less kernels take.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import errno
import os

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import syscalls
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls, addressable_memory

PAGE = os.sysconf("SC_PAGE_SIZE")


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


def refuse_memfd(*_args):
    raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))


@pytest.fixture(params=["memfd", "memfd refused", "no /proc", "no memfd_create"])
def path(request, monkeypatch):
    """Each way addressable_memory can find an address."""
    if request.param == "memfd" and not hasattr(os, "memfd_create"):
        pytest.skip("this Python has no os.memfd_create (3.8+)")
    if request.param == "memfd refused":
        monkeypatch.setattr(os, "memfd_create", refuse_memfd, raising=False)
    elif request.param == "no /proc":
        monkeypatch.setattr(syscalls, "_mapped_address", lambda suffix: None)
    elif request.param == "no memfd_create":
        monkeypatch.delattr(os, "memfd_create", raising=False)
    return request.param


def test_guest_memory_is_zeroed_page_aligned_and_at_its_address(path):
    before = open_fds()
    memory, address = Syscalls().guest_memory(2 * PAGE)
    code = b"\xb0\x4b\xe6\x10\xf4"
    memory[0:len(code)] = code
    assert address % PAGE == 0
    assert ctypes.string_at(address, len(code)) == code
    assert ctypes.string_at(address + len(code), 2 * PAGE - len(code)) == bytes(2 * PAGE - len(code))
    memory.close()
    assert open_fds() == before  # the memfd is closed once mapped


def test_a_user_buffer_holds_a_copy_of_the_data_at_its_address(path):
    data = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    buf, address = Syscalls().user_buffer(bytearray(data))
    assert ctypes.string_at(address, len(data)) == data
    ctypes.memmove(address, b"\xff" * 4, 4)  # what the kernel writes back is what the caller reads
    assert bytes(buf[0:len(data)]) == b"\xff" * 4 + data[4:]


def test_each_memfd_is_found_by_its_own_name():
    if not hasattr(os, "memfd_create"):
        pytest.skip("this Python has no os.memfd_create (3.8+)")
    mappings = [addressable_memory(PAGE) for _number in range(12)]  # -1 and -11 must not be confused
    addresses = [address for _buf, address in mappings]
    assert len(set(addresses)) == 12
    for index, (buf, address) in enumerate(mappings):
        buf[0:1] = bytes([index])
        assert ctypes.string_at(address, 1) == bytes([index])


def test_the_maps_line_is_found_by_its_whole_name(monkeypatch):
    maps = (b"55d0a0000000-55d0a0001000 r--p 00000000 08:01 12 /usr/bin/python3\n"
            b"7f0000001000-7f0000002000 rw-s 00000000 00:01 7 /memfd:fleetcheck-9-11 (deleted)\n"
            b"7f0000003000-7f0000004000 rw-s 00000000 00:01 8 /memfd:fleetcheck-9-1 (deleted)\n")
    monkeypatch.setattr(syscalls, "read_file", lambda path: maps)
    assert syscalls._mapped_address("/memfd:fleetcheck-9-1 (deleted)") == 0x7f0000003000
    assert syscalls._mapped_address("/memfd:fleetcheck-9-11 (deleted)") == 0x7f0000001000
    assert syscalls._mapped_address("/memfd:fleetcheck-9-2 (deleted)") is None


def test_maps_without_an_address_or_without_proc_give_none(monkeypatch):
    monkeypatch.setattr(syscalls, "read_file", lambda path: b"garbage /memfd:x (deleted)\n")
    assert syscalls._mapped_address("/memfd:x (deleted)") is None

    def no_proc(path):
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))

    monkeypatch.setattr(syscalls, "read_file", no_proc)
    assert syscalls._mapped_address("/memfd:x (deleted)") is None


def test_read_file_reads_past_one_chunk_and_closes_its_fd(tmp_path):
    path = tmp_path / "big"
    content = b"0123456789abcdef" * 10000  # 160,000 bytes: more than one 64 KiB read
    path.write_bytes(content)
    before = open_fds()
    assert syscalls.read_file(str(path)) == content
    assert Syscalls().read_text(str(path)) == content.decode("ascii")
    assert open_fds() == before


def test_read_text_refuses_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(UnicodeDecodeError):  # the callers skip such a file, as an unreadable one
        Syscalls().read_text(str(path))


def test_account_names_are_looked_up_once_per_id(monkeypatch):
    import pwd
    lookups = []
    real = pwd.getpwuid

    def counting(uid):
        lookups.append(uid)
        return real(uid)

    monkeypatch.setattr(pwd, "getpwuid", counting)
    kernel = Syscalls()
    uid = os.geteuid()
    assert kernel.user_name(uid) == kernel.user_name(uid) == real(uid).pw_name
    assert lookups == [uid]
    unused = max(entry.pw_uid for entry in pwd.getpwall()) + 12345
    assert kernel.user_name(unused) == str(unused)  # no such account: the number stands in
