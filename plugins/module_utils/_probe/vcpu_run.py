# SPDX-License-Identifier: GPL-3.0-or-later
"""The vcpu_run subset: run a few bytes of real guest code on one vCPU, bounded in time.

The guest comes from a per-architecture description (guests/x86_64.py, ...). The run
uses the probe's one VM; its own memory and vCPU are released on every path.
"""

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem

GUEST_MACHINES = ("aarch64", "x86_64")
MAX_EXITS = 16


def machine_guest(machine):
    """The guest program of this machine, or None. Only it is imported: each module the probe imports is
    compiled from source on every run (AnsiballZ ships source), and a host runs one architecture."""
    if machine == "x86_64":
        from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import x86_64 as guest
        return guest
    if machine == "aarch64":
        from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guests import aarch64 as guest
        return guest
    return None


class _Expiry(object):
    def __init__(self):
        self.expired = False

    def __call__(self):
        self.expired = True


def _result(status, exits=(), reason=None):
    return {"status": status, "ok": status == "ok", "exits": list(exits), "elapsed_ms": None, "reason": reason}


REMEDIES = {"failed": "see the kernel log (dmesg) for KVM's account of the failed entry",
            "timeout": "the backend did not run the guest within the timeout: check that nothing else holds the CPU's "
                       "virtualization extensions, or raise the timeout option"}


def not_probed(why):
    return {"vcpu_run": _result("skipped", reason=why)}


def probe(ctx):
    """ok means the guest's expected exits came, then its final one, within ctx.timeout seconds."""
    facts = run(ctx)
    if facts["status"] in ("failed", "timeout"):
        return {"vcpu_run": facts}, [problem("vcpu_run." + facts["status"], "vCPU 0", "vCPU run %s: %s"
                                             % (facts["status"], facts["reason"]), REMEDIES[facts["status"]])]
    return {"vcpu_run": facts}, []


def run(ctx, guest=None):
    """The run's facts; `guest` replaces the architecture's guest description (the tests' endless loop)."""
    kernel = ctx.kernel
    guest = guest or machine_guest(ctx.machine)
    if guest is None:
        return _result("skipped", reason="the vCPU run carries guest code for %s only; this host is %s"
                       % (", ".join(GUEST_MACHINES), ctx.machine))
    if ctx.vm_error() is not None:
        ctx.blocked["vcpu_run"] = {"by": "vm", "why": "no VM could be created"}
        return _result("skipped", reason="no VM could be created")
    try:
        mmap_size = ctx.vcpu_mmap_size()
    except OSError:
        mmap_size = None
    if not mmap_size:
        return _result("skipped", reason="KVM_GET_VCPU_MMAP_SIZE gave no size for the kvm_run area")
    started = kernel.monotonic()
    held = []  # closed in reverse on every path
    try:
        facts = _run_guest(ctx, guest, mmap_size, held)
    except OSError as error:
        step = getattr(error, "step", "vCPU setup")
        facts = _result("failed", reason="%s failed with %s" % (step, errno_text(error)))
    except ImportError as error:
        facts = _result("skipped", reason="this Python cannot map guest memory: %s" % error)
    except ValueError as error:  # signal handlers only work in the main thread
        facts = _result("skipped", reason="KVM_RUN cannot be bounded in time here: %s" % error)
    finally:
        for item in reversed(held):
            try:
                item.close()
            except (OSError, ValueError, BufferError):
                pass
    facts["elapsed_ms"] = round((kernel.monotonic() - started) * 1000.0, 3)
    return facts


def _run_guest(ctx, guest, mmap_size, held):
    vm = ctx.vm()
    memory, address = ctx.kernel.guest_memory(guest.MEMORY_SIZE)
    held.append(memory)
    memory[0:len(guest.CODE)] = guest.CODE
    vm.set_user_memory_region(0, guest.ADDRESS, guest.MEMORY_SIZE, address)
    vcpu = vm.create_vcpu(0, mmap_size)
    held.append(vcpu)
    guest.set_up(ctx, vcpu)
    return _bounded_run(vcpu, guest, ctx.kernel, ctx.timeout)


def _bounded_run(vcpu, guest, kernel, timeout):
    exits = []
    expiry = _Expiry()
    timer = kernel.arm_timer(timeout, expiry)
    try:
        for _count in range(MAX_EXITS):
            try:
                exit_fact = vcpu.run()
            except OSError as error:
                if error.errno != errno.EINTR:
                    raise
                if expiry.expired:
                    return _result("timeout", exits, (
                        "KVM_RUN did not return within %g s: the guest ran without exiting; the host may be "
                        "overloaded or the KVM backend stuck" % timeout))
                continue  # a stray signal: run on
            exits.append(exit_fact)
            if exit_fact["reason"] == guest.FINAL_EXIT:
                reason = guest.judge(exits)
                return _result("failed" if reason else "ok", exits, reason)
            if exit_fact["reason"] not in guest.EXPECTED_EXITS:
                return _result("failed", exits, "the guest stopped with exit %s%s" % (
                    exit_fact["reason"], _exit_detail(exit_fact)))
        return _result("failed", exits, "the guest did not %s within %d exits" % (
            "halt" if guest.FINAL_EXIT == "HLT" else "end with %s" % guest.FINAL_EXIT, MAX_EXITS))
    finally:
        kernel.disarm_timer(timer)


def _exit_detail(fact):
    details = ["%s %s" % (key, value) for key, value in sorted(fact.items()) if key != "reason"]
    return " (%s)" % ", ".join(details) if details else ""
