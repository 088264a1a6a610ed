# SPDX-License-Identifier: GPL-3.0-or-later
"""The operating system as the probe sees it: the only code that touches it.

`Syscalls` opens, stats, issues ioctls, maps memory, reads kernel files, looks up accounts, opens as
another account and arms the vCPU run's timer. Tests inject a fake kernel with the same methods
(tests/unit/plugins/module_utils/fake_kernel.py), so every error path runs without a device.
"""

import errno
import fcntl
import os
import time

# mmap, signal (which pulls in enum), pwd and grp are imported where they are used: the probe
# process of a host that is not asked for a vCPU run or accounts never pays for them.


class Syscalls(object):
    """The real operating system, as the probe sees it."""

    def __init__(self):
        uname = os.uname()
        self.machine = uname[4]
        self.kernel_release = uname[2]
        self._names = {}

    def stat(self, path):
        return os.stat(path)

    def open(self, path, flags):
        return os.open(path, flags | getattr(os, "O_CLOEXEC", 0))

    def close(self, fd):
        os.close(fd)

    def ioctl(self, fd, request, arg=0):
        """Issue an ioctl; a bytearray argument is passed by reference and updated."""
        if isinstance(arg, bytearray):
            return fcntl.ioctl(fd, request, arg, True)
        return fcntl.ioctl(fd, request, arg)

    def mmap_shared(self, fd, length):
        import mmap
        return mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    def guest_memory(self, length):
        """Page-aligned, zeroed memory for a guest, and its address in this process."""
        return addressable_memory(length)

    def user_buffer(self, data):
        """(buffer, address) of a copy of data, for ioctl structs that point at user memory."""
        buf, address = addressable_memory(len(data), aligned=False)
        memoryview(buf)[0:len(data)] = bytes(data)  # an mmap or, on the fallback, an array
        return buf, address

    def identity(self):
        """(user name, [group names]) of the effective user."""
        gids = sorted(set(os.getgroups()) | set([os.getegid()]))
        return self.user_name(os.geteuid()), [self.group_name(gid) for gid in gids]

    def user_name(self, uid):
        return self._name("user", uid)

    def group_name(self, gid):
        return self._name("group", gid)

    def _name(self, kind, number):
        """An account's name, remembered: several nodes share owner and group, and each lookup may
        ask NSS (files, nscd, LDAP) again."""
        key = (kind, number)
        if key not in self._names:
            try:
                if kind == "user":
                    import pwd
                    name = pwd.getpwuid(number).pw_name
                else:
                    import grp
                    name = grp.getgrgid(number).gr_name
            except KeyError:
                name = str(number)
            self._names[key] = name
        return self._names[key]

    def account(self, name):
        """(uid, gid, [group names], [gids]) of a local account, or None if there is none."""
        import grp
        import pwd
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        gids = set([entry.pw_gid]) | set(g.gr_gid for g in grp.getgrall() if name in g.gr_mem)
        return entry.pw_uid, entry.pw_gid, [self.group_name(gid) for gid in sorted(gids)], sorted(gids)

    def effective_uid(self):
        return os.geteuid()

    def process_gids(self):
        """The effective and supplementary group ids of this process."""
        return sorted(set(os.getgroups()) | set([os.getegid()]))

    def getxattr(self, path, name):
        """The raw value of an extended attribute; OSError ENODATA when the file has none."""
        return os.getxattr(path, name)

    def open_as(self, path, flags, uid, gid, gids):
        """Open path as another account in a short-lived child, so that the kernel itself judges
        (mode, ACL, security modules, device cgroup). Returns (step, errno): (None, 0) when it opened,
        else the step that failed ("setgroups", "setgid", "setuid", "open" or "fork") and its errno."""
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            os.close(read_end)
            os.close(write_end)
            return "fork", error.errno
        if pid == 0:  # the child: drop to the account, try, report, never return into the caller
            step, number = "setgroups", 0
            try:
                os.close(read_end)
                os.setgroups(list(gids))
                step = "setgid"
                os.setgid(gid)
                step = "setuid"
                os.setuid(uid)
                step = "open"
                os.close(os.open(path, flags))
                step = ""
            except OSError as error:
                number = error.errno or 255
            except BaseException:
                number = 255
            finally:
                try:
                    os.write(write_end, ("%s %d" % (step or "-", number)).encode("ascii"))
                finally:
                    os._exit(0)
        os.close(write_end)
        try:
            answer = b""
            while True:
                chunk = os.read(read_end, 64)
                if not chunk:
                    break
                answer += chunk
        finally:
            os.close(read_end)
            os.waitpid(pid, 0)
        parts = answer.decode("ascii", "replace").split()
        if len(parts) != 2:
            return "fork", errno.ECHILD
        step, number = parts[0], int(parts[1])
        return (None, 0) if number == 0 else (step, number)

    def listdir(self, path):
        return os.listdir(path)

    def read_text(self, path):
        return read_file(path).decode("utf-8").strip()

    def read_bytes(self, path):
        return read_file(path)

    def read_head(self, path, size):
        """At most the first `size` bytes of a file, in one read: the kernel generates /proc/cpuinfo only as far
        as it is read, CPU by CPU, which on a host of hundreds of CPUs costs milliseconds per CPU."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            return os.read(fd, size)
        finally:
            os.close(fd)

    def run(self, argv, timeout):
        """A program's standard output (text), within `timeout` seconds; OSError when it cannot run, fails or
        hangs. Only for `qemu --version` (qemu_release.py): it prints one line and starts no VM."""
        import subprocess
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  timeout=timeout, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}, check=False)
        except subprocess.TimeoutExpired:
            raise OSError(errno.ETIMEDOUT, "%s did not answer within %g s" % (argv[0], timeout))
        if done.returncode:
            raise OSError(errno.EIO, "%s exited with status %d" % (argv[0], done.returncode))
        return done.stdout.decode("utf-8", "replace")

    def qmp(self, argv, commands, timeout, address_space):
        """Start QEMU as `argv` (ending in -qmp stdio, with -S: no guest code runs), send it `commands` over QMP and
        `quit`: [the answer to each command, or {"error": ...}]. Bounded: `timeout` seconds for all of it, then it
        is killed, and `address_space` bytes of virtual memory (RLIMIT_AS). OSError when QEMU cannot start, exits
        before answering, or does not answer in time. Only for the qemu_check option (_probe/qemu_check.py)."""
        import json
        import resource
        import subprocess

        def limit():  # in the child, before exec: QEMU cannot grow past the bound
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        requests = [{"execute": "qmp_capabilities"}]
        for name in commands:  # a name, or (name, arguments)
            requests.append({"execute": name} if isinstance(name, str) else {"execute": name[0], "arguments": name[1]})
        requests.append({"execute": "quit"})
        data = "".join(json.dumps(request) + "\n" for request in requests).encode("ascii")
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}, preexec_fn=limit, close_fds=True)
        try:
            out, err = process.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise OSError(errno.ETIMEDOUT, "%s did not answer within %g s" % (argv[0], timeout))
        answers = []
        for line in out.decode("utf-8", "replace").splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and ("return" in message or "error" in message):
                answers.append(message.get("return", {"error": message.get("error")}))
        answers = answers[1:len(requests) - 1]  # not qmp_capabilities' answer nor quit's
        if len(answers) < len(commands):
            words = err.decode("utf-8", "replace").strip().splitlines()
            raise OSError(errno.EIO, "%s exited with status %s before answering: %s" % (
                argv[0], process.returncode, words[-1] if words else "no message"))
        return answers

    def kernel_log(self, limit=4096):
        """The last `limit` messages of /dev/kmsg, oldest first; OSError when not readable. Non-blocking: EAGAIN
        ends it, and a log that never stops growing is read for 65536 records at most."""
        import collections
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        messages = collections.deque(maxlen=limit)
        try:
            for _record in range(65536):
                try:
                    record = os.read(fd, 8192)
                except OSError as error:
                    if error.errno == errno.EPIPE:  # overwritten while read: the next read goes on
                        continue
                    if error.errno == errno.EAGAIN:
                        break
                    raise
                if not record:
                    break
                # "prio,seq,usec,flags;message\n continuation": the message is after the first ;
                messages.append(record.decode("utf-8", "replace").partition(";")[2].split("\n", 1)[0])
        finally:
            os.close(fd)
        return list(messages)

    def monotonic(self):
        return time.monotonic()

    def arm_timer(self, seconds, on_expiry):
        """Deliver SIGALRM after `seconds`, then every 10 ms, until disarmed.

        The repeat closes the race of a signal that lands just before KVM_RUN
        is entered. Returns the state to give back to disarm_timer. Raises
        ValueError outside the main thread, where Python cannot take signals.
        """
        signal = _signals()
        previous_handler = signal.signal(signal.SIGALRM, lambda signum, frame: on_expiry())
        previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.01)
        return previous_handler, previous_timer

    def disarm_timer(self, state):
        signal = _signals()
        signal.setitimer(signal.ITIMER_REAL, 0)
        previous_handler, previous_timer = state
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def _signals():
    """The signal functions: CPython's _signal has them all, without the enum wrapping of the signal
    module, whose import (enum, functools) costs the probe process about 2 ms."""
    try:
        import _signal as signal
        signal.setitimer, signal.ITIMER_REAL, signal.SIGALRM  # pylint: disable=pointless-statement
    except (ImportError, AttributeError):
        import signal
    return signal


_MEMFD_COUNT = [0]  # tells this process's memfds apart in /proc/self/maps


def addressable_memory(length, aligned=True):
    """(buffer, address) of `length` zeroed bytes of this process, at a page boundary when `aligned`.

    ctypes would give an address, but its import costs more than the whole probe; an array's
    buffer_info() gives one too, but importing array pulls in collections (about 1.5 ms). So the
    memory is a named memfd, mapped, and its address is read where the kernel states it: that
    name's line in /proc/self/maps. Python 3.6 and 3.7 have no memfd_create and use the array.
    """
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        import mmap
        page = mmap.PAGESIZE
        size = max(page, -(-length // page) * page)  # whole pages: nothing past the file's end faults
        _MEMFD_COUNT[0] += 1
        name = "fleetcheck-%d-%d" % (os.getpid(), _MEMFD_COUNT[0])
        try:
            fd = memfd_create(name, getattr(os, "MFD_CLOEXEC", 1))
        except OSError:  # a kernel older than 3.17, or a seccomp filter
            fd = None
        if fd is not None:
            try:
                os.ftruncate(fd, size)
                buf = mmap.mmap(fd, size)
            finally:
                os.close(fd)  # the mapping keeps the memory
            address = _mapped_address("/memfd:%s (deleted)" % name)
            if address is not None:
                return buf, address
            buf.close()
    return _array_memory(length, aligned)


def _mapped_address(suffix):
    """The start address of the line of /proc/self/maps that ends with `suffix`, or None."""
    try:
        maps = read_file("/proc/self/maps")
    except OSError:
        return None  # no /proc: the array's address serves
    end = maps.find(suffix.encode("utf-8") + b"\n")
    if end < 0:
        return None
    start = maps.rfind(b"\n", 0, end) + 1
    try:
        return int(maps[start:maps.index(b"-", start)], 16)
    except ValueError:
        return None


def read_file(path):
    """The whole content of a (kernel) file, as bytes.

    os.read rather than open(): the probe reads some 70 small sysfs and procfs files, and a Python
    file object costs each of them an fstat, an isatty ioctl, an lseek and a codec lookup."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = [os.read(fd, 65536)]
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
    finally:
        os.close(fd)
    return b"".join(chunks)


def _array_memory(length, aligned):
    import array
    if not aligned:
        backing = array.array("B", bytes(length))
        return backing, backing.buffer_info()[0]
    page = os.sysconf("SC_PAGE_SIZE")
    backing = array.array("B", bytes(length + page))
    start = backing.buffer_info()[0]
    offset = -start % page
    return ArrayWindow(backing, offset, length), start + offset


class ArrayWindow(object):
    """`length` bytes at `offset` in an array: page-aligned memory where no memfd can be had."""

    def __init__(self, backing, offset, length):
        self.backing, self.offset, self.length = backing, offset, length

    def __setitem__(self, window, data):
        self.backing[self.offset + window.start:self.offset + window.stop] = type(self.backing)("B", data)

    def close(self):
        self.backing = None
