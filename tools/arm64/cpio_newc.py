# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a directory tree as a gzip'd "newc" cpio archive, the format of a Linux initramfs.

usage: cpio_newc.py DIR OUT.cpio.gz [--exclude RELPATH]...
Standard library only, no root and no cpio binary needed. Owners become root, times 0, so the
same tree gives the same bytes; archives concatenate, which is how a run adds its payload to the
cached base image.
"""

import gzip
import os
import stat
import sys


def _header(name, mode, size, ino, nlink=1, rdev=(0, 0)):
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
    return head + b"\0" * (-len(head) % 4)


def write_tree(root, out, exclude=()):
    skip = set(os.path.normpath(e.strip("/")) for e in exclude)
    ino = 1
    with gzip.GzipFile(out, "wb", compresslevel=6, mtime=0) as gz:
        for base, dirs, files in os.walk(root):
            rel_base = os.path.normpath(os.path.relpath(base, root))
            dirs[:] = sorted(d for d in dirs if os.path.normpath(os.path.join(rel_base, d)) not in skip)
            # the directory itself, then its files and symlinks (os.walk lists a symlink to a
            # directory among dirs but does not enter it)
            entries = [base] + [os.path.join(base, n) for n in sorted(files + dirs)
                                if n in files or os.path.islink(os.path.join(base, n))]
            for path in entries:
                rel = os.path.normpath(os.path.relpath(path, root))
                if rel in skip:
                    continue
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    data = os.readlink(path).encode()
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        data = f.read()
                else:
                    data = b""
                gz.write(_header(rel.encode(), st.st_mode, len(data), ino))
                gz.write(data + b"\0" * (-len(data) % 4))
                ino += 1
        gz.write(_header(b"TRAILER!!!", 0, 0, 0))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    exclude = [argv[i + 1] for i, a in enumerate(argv) if a == "--exclude"]
    write_tree(argv[1], argv[2], exclude)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
