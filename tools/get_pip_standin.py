"""An offline stand-in for get-pip.py, which ansible-test downloads from a host that is not reachable here.

tools/lib.sh copies this file to ~/.ansible/test/cache/get_pip_<version>.py, where ansible-test looks
first. Like get-pip.py it installs pip (and any other packages named) into the running interpreter,
but it runs pip from a wheel fetched beforehand with plain `pip download` into FLEETCHECK_PIP_WHEELS.
"""
import glob
import os
import sys

WHEELS = os.environ.get("FLEETCHECK_PIP_WHEELS") or os.path.expanduser("~/.ansible/test/cache/pip-wheels")
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    wheels = sorted(glob.glob(os.path.join(WHEELS, "pip-*.whl")))
    if not wheels:
        sys.exit("no pip wheel in %s: run tools/test-all.sh, which fetches it" % WHEELS)
    wanted = [arg.split("==", 1)[1] for arg in args if arg.startswith("pip==")]
    chosen = [w for w in wheels if wanted and os.path.basename(w).startswith("pip-%s-" % wanted[0])]
    sys.path.insert(0, (chosen or wheels)[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel
    sys.exit(pip_main(["install", "--find-links", WHEELS] + args))


if __name__ == "__main__":
    main()
