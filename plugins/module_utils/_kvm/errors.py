# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel's refusals as values: KvmError names the step, errno_text the errno.

Every probe imports these to put an errno into words; they import nothing of the OS port.
"""

import errno
import os


def errno_text(error):
    """'EACCES (Permission denied)' for an OSError or an errno number."""
    number = getattr(error, "errno", error)
    if number is None:
        return str(error)
    return "%s (%s)" % (errno.errorcode.get(number, "errno %d" % number), os.strerror(number))


class KvmError(OSError):
    """The kernel's refusal of one step (an ioctl by name, or the kvm_run mmap), with its errno."""

    def __init__(self, step, error):
        OSError.__init__(self, error.errno, error.strerror)
        self.step = step

    def __str__(self):
        return "%s failed with %s" % (self.step, errno_text(self))


def errno_name(error):
    number = getattr(error, "errno", error)
    return errno.errorcode.get(number, "errno %s" % number)
