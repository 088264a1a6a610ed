# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The device verdicts in podman containers, each scenario's exact reason asserted, and the verdict
on /dev/kvm checked against QEMU started with -accel kvm as the same user in the same container.

QEMU is the host's qemu-system-x86_64, bound read-only into the container with the host's loader
and libraries (both are Debian 12), so nothing is installed per container and a scenario costs
about a second. The devices oracle is the C program of tests/functional/c_probe.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
IMAGE = "localhost/fleetcheck-debian:bookworm"
QEMU = "qemu-system-x86_64"
QMP_QUIT = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'
GATHER = ("import json, sys; sys.path.insert(0, '/fc');"
          "from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather;"
          "print(json.dumps(gather.gather(['min', 'devices', 'cgroup'], accounts=sys.argv[1:])))")


def kernel_number(name):
    """The kernel's own major:minor of a misc device (the oracle for the expected node)."""
    with open("/sys/class/misc/%s/dev" % name) as handle:
        return tuple(int(n) for n in handle.read().strip().split(":"))


def unused_misc_minor(major, near):
    """A minor of the misc major that no driver registered, next to `near`."""
    registered = set(int(line.split()[0]) for line in open("/proc/misc"))
    return next(m for m in range(near + 1, 256) if m not in registered)


def podman(*args, **kwargs):
    return subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=kwargs.get("check", True), input=kwargs.get("input"))


@pytest.fixture(scope="module")
def bind(tmp_path_factory):
    """podman -v arguments: the collection, QEMU with the host's loader and libraries, the oracle."""
    if not shutil.which("podman"):
        missing("podman is not installed (tools/test-all.sh installs it)")
    if subprocess.call(["podman", "image", "exists", IMAGE]) != 0:
        missing("the image %s is not built (tools/test-all.sh builds it)" % IMAGE)
    qemu = shutil.which(QEMU)
    if not qemu:
        missing("%s is not installed (Debian package qemu-system-x86, installed by tools/test-all.sh)" % QEMU)
    if not os.path.exists("/dev/kvm") or not os.path.exists("/dev/net/tun"):
        missing("/dev/kvm and /dev/net/tun must exist on the host for the container scenarios")
    libraries = subprocess.check_output(["ldd", qemu], universal_newlines=True)
    loader = [w for w in libraries.split() if "ld-linux" in w and w.startswith("/")][0]
    libdirs = sorted(set(os.path.dirname(os.path.realpath(w)) for w in libraries.split()
                         if w.startswith("/") and "ld-linux" not in w))
    compiler = shutil.which("gcc") or shutil.which("cc")
    if not compiler:
        missing("no C compiler to build the devices oracle")
    work = tmp_path_factory.mktemp("fc10")
    os.chmod(str(work), 0o755)
    oracle = str(work / "devices_c_probe")
    subprocess.check_call([compiler, "-O2", "-Wall", "-Werror", "-o", oracle,
                           os.path.join(ROOT, "tests", "functional", "c_probe", "devices_c_probe.c")])
    args = ["-v", "%s:/fc/ansible_collections/fleetcheck/kvm:ro" % ROOT, "-v", "%s:/opt/fc/qemu:ro" % qemu,
            "-v", "%s:/opt/fc/ld.so:ro" % os.path.realpath(loader), "-v", "%s:/opt/fc/oracle:ro" % oracle,
            "-v", "/usr/share/qemu:/usr/share/qemu:ro"]
    for index, directory in enumerate(libdirs):
        args += ["-v", "%s:/opt/fc/lib%d:ro" % (directory, index)]
    return args, ":".join("/opt/fc/lib%d" % i for i in range(len(libdirs)))


class Scenario(object):
    """One running container and the questions asked inside it."""

    def __init__(self, name, bind, run_args, setup):
        self.name = "fc10-" + name
        self.bind_args, self.library_path = bind
        podman("rm", "-f", self.name, check=False)
        podman(*(["run", "-d", "--name", self.name] + run_args + self.bind_args + [IMAGE, "/bin/sleep", "infinity"]))
        for command in setup:
            podman("exec", self.name, "sh", "-c", command)

    def probe(self, user="root", accounts=()):
        result = podman("exec", "-u", user, self.name, "python3", "-c", GATHER, *accounts)
        return json.loads(result.stdout)

    def qemu(self, user="root"):
        """(ok, output) of QEMU with -accel kvm as user in this container: the ground truth."""
        result = podman("exec", "-i", "-u", user, self.name, "/opt/fc/ld.so", "--library-path", self.library_path,
                        "/opt/fc/qemu", "-machine", "none", "-accel", "kvm", "-nodefaults", "-S", "-display", "none",
                        "-qmp", "stdio", input=QMP_QUIT, check=False)
        return result.returncode == 0, result.stdout

    def oracle(self, user, *paths):
        lines = [line.split() for line in podman("exec", "-u", user, self.name, "/opt/fc/oracle", *paths)
                 .stdout.splitlines()]
        return (dict((w[1], int(w[2])) for w in lines if w[0] == "open"),
                dict((w[1], [int(x) for x in w[2:]]) for w in lines if w[0] == "answer"))

    def remove(self):
        podman("rm", "-f", "-t", "0", self.name, check=False)


@pytest.fixture
def scenario(bind):
    started = []

    def start(name, run_args, setup=()):
        started.append(Scenario(name, bind, run_args, setup))
        return started[-1]
    yield start
    for one in started:
        one.remove()


def agrees_with_qemu(facts, box, user="root"):
    ok, output = box.qemu(user)
    assert facts["usable"] is ok, (facts["reasons"], output)
    return output


def test_with_device_net_tun_it_is_opened_and_asked(scenario):
    box = scenario("tun", ["--device", "/dev/kvm", "--device", "/dev/net/tun"])
    facts = box.probe()
    tun = facts["devices"]["tun"]
    opened, answers = box.oracle("root", "/dev/net/tun")
    assert tun["usable"] is True and tun["reason"] is None and opened["/dev/net/tun"] == 0
    assert [tun["answer"]["features"]] == answers["/dev/net/tun"]
    agrees_with_qemu(facts, box)


def test_without_device_net_tun_the_reason_says_pass_it(scenario):
    box = scenario("notun", ["--device", "/dev/kvm"])
    facts = box.probe()
    major, minor = kernel_number("tun")
    assert facts["devices"]["tun"]["reason"] == (
        "/dev/net/tun does not exist although the kernel registered tun as %d:%d (/sys/class/misc/tun/dev): "
        "create it (mknod /dev/net/tun c %d %d) or let devtmpfs or udev do it; in a container pass "
        "--device /dev/net/tun" % (major, minor, major, minor))
    assert facts["usable"] is True
    agrees_with_qemu(facts, box)


def test_a_node_outside_the_device_cgroup_is_eperm_for_root(scenario):
    major, minor = kernel_number("kvm")
    box = scenario("eperm", ["--cap-add", "MKNOD"],
                   ["mknod /dev/kvm c %d %d && chmod 0666 /dev/kvm" % (major, minor)])
    facts = box.probe()
    assert facts["reasons"] and facts["reasons"][0].startswith(
        "/dev/kvm: EPERM (Operation not permitted) opening read-write for user root (groups: root); node is "
        "crw-rw-rw- root:root; the mode and ACL allow root (root), so the device cgroup")
    reason = facts["reasons"][0]
    assert "does not allow c %d:%d" % (major, minor) in reason
    # the probe sees podman's /run/.containerenv: the remedy is the container's, never a mknod inside
    container = facts["device"]["container"]
    assert (container["runtime"], container["evidence"]) == ("podman", "/run/.containerenv")
    # v1: the list the kernel enforces says a node made inside is refused; v2: a BPF program nobody can read
    assert container["mknod_allowed"] is (False if facts["cgroup"]["devices_list"] is not None else None)
    inside = "a node made inside with mknod stays refused" if container["mknod_allowed"] is False else \
        "mknod inside works only where its device cgroup allows c %d:%d (a privileged container)" % (major, minor)
    assert reason.endswith(": this host is a podman container (/run/.containerenv): give it the host's node - "
                           "recreate it with --device /dev/kvm (podman, docker; Kubernetes: a KVM device plugin) - "
                           "or let its device cgroup allow c %d:%d rw (--device-cgroup-rule='c %d:%d rwm'); %s"
                           % (major, minor, major, minor, inside))
    if facts["cgroup"]["devices_list"] is not None:  # cgroup v1: the list the kernel enforces is quoted
        assert "(its devices.list: %s)" % "; ".join(facts["cgroup"]["devices_list"]) in reason
    assert "add root" not in facts["reasons"][0]
    output = agrees_with_qemu(facts, box)
    assert "Operation not permitted" in output


def test_with_an_unmapped_owner_root_may_not_open_it_and_the_reason_names_the_owner(scenario):
    """--uidmap/--gidmap: the node's owner and group are host ids that are not mapped in the container (they
    show as the overflow id), so even root there may not open it. QEMU -accel kvm is the judge."""
    box = scenario("userns", ["--device", "/dev/kvm", "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536"])
    facts = box.probe()
    output = agrees_with_qemu(facts, box)
    assert facts["usable"] is False and "Permission denied" in output
    [problem] = [p for p in facts["problems"] if p["subject"] == "/dev/kvm"]
    assert problem["code"] == "device.unmapped_owner" and problem["subject"] == "/dev/kvm"
    assert "not mapped into this user namespace" in problem["remedy"] and "(shown as 65534)" in problem["remedy"]
    assert "in a container pass --device" not in facts["reasons"][0]
    assert facts["device"]["owner"] in ("nobody", "65534")


def test_a_node_with_the_wrong_minor_says_recreate_it(scenario):
    major, minor = kernel_number("kvm")
    wrong = unused_misc_minor(major, minor)
    box = scenario("minor", ["--privileged"],
                   ["rm -f /dev/kvm && mknod /dev/kvm c %d %d && chmod 0666 /dev/kvm" % (major, wrong)])
    facts = box.probe()
    assert len(facts["reasons"]) == 1 and facts["reasons"][0].endswith(
        "; the node has the wrong number %d:%d, KVM is %d:%d (/sys/class/misc/kvm/dev): recreate it (rm /dev/kvm; "
        "mknod /dev/kvm c %d %d; then chown and chmod it as before) or let devtmpfs or udev create it"
        % (major, wrong, major, minor, major, minor))
    agrees_with_qemu(facts, box)


def test_an_acl_grant_is_seen_as_root_through_the_child_and_as_the_user(scenario):
    major, minor = kernel_number("kvm")
    tun_major, tun_minor = kernel_number("tun")
    box = scenario("acl", ["--privileged"], [
        "rm -f /dev/kvm && mknod -m 0600 /dev/kvm c %d %d" % (major, minor),
        "rm -f /dev/net/tun && mknod -m 0600 /dev/net/tun c %d %d" % (tun_major, tun_minor),
        "useradd -M nova && useradd -M other",
        "setfacl -m u:nova:rw /dev/kvm && setfacl -m u:nova:rw /dev/net/tun"])
    facts = box.probe(accounts=["nova", "other"])
    kvm = facts["device"]
    assert kvm["mode"] == "0660" and kvm["group_bits_are_acl_mask"] is True and kvm["group_perms"] == "---"
    named = [dict((k, e[k]) for k in ("tag", "name", "perms")) for e in kvm["acl"] if "name" in e]
    assert {"tag": "user", "name": "nova", "perms": "rw-"} in named
    nova, other = kvm["accounts"]["nova"], kvm["accounts"]["other"]
    assert (nova["judged"], nova["may_open"], nova["via"]) == ("observed", True, "acl user nova")
    assert (other["judged"], other["may_open"], other["open_error"]) == ("observed", False, "EACCES")
    assert other["reason"] == (
        "/dev/kvm: EACCES (Permission denied) opening read-write as other (groups: other); node is "
        "crw-rw---- root:root + acl user:nova:rw-, mask::rw-; the node is open to its owner root only; give it a "
        'group, e.g. a udev rule KERNEL=="kvm", GROUP="kvm", MODE="0660", and add other to that group '
        "(or setfacl -m u:other:rw /dev/kvm)")
    assert facts["devices"]["tun"]["accounts"]["nova"]["may_open"] is True
    # Ground truth: QEMU as each account, and the oracle on tun.
    for user in ("nova", "other"):
        ok, output = box.qemu(user)
        assert kvm["accounts"][user]["may_open"] is ok, (user, output)
        opened, _answers = box.oracle(user, "/dev/net/tun")
        assert facts["devices"]["tun"]["accounts"][user]["may_open"] is (opened["/dev/net/tun"] == 0)
    # Not root: the probe as nova opens /dev/kvm itself, and judges `other` from the ACL, saying so.
    as_nova = box.probe(user="nova", accounts=["other"])
    assert as_nova["device"]["can_open_rw"] is True and as_nova["device"]["accounts"]["other"]["judged"] == "derived"
    assert as_nova["device"]["accounts"]["other"]["may_open"] is False
    agrees_with_qemu(as_nova, box, user="nova")
