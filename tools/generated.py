"""What every table generator under tools/ does last: write the generated file, or with --check
compare it with what is committed and say why it is stale."""
import sys


def write_or_check(path, text, check, stale):
    """Write text to path; with check, exit status 1 (and `stale` on stderr) when path differs."""
    if check:
        with open(path) as handle:
            if handle.read() != text:
                sys.stderr.write("%s: %s\n" % (path, stale))
                return 1
        return 0
    with open(path, "w") as handle:
        handle.write(text)
    print("wrote %s" % path)
    return 0
