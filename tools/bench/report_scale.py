"""Report generation for synthetic fleets: build, render all four formats, write atomically.

Usage: python report_scale.py COLLECTIONS_TREE 10,1000,100000 [LARGEST_HTML_COPY] [--browser]

Each fleet size runs in a child process, so that its peak RSS (ru_maxrss) is its own; the peak
includes the synthetic verdicts themselves (`input_rss_mb` is the RSS before the reports start).
With --browser, headless Chromium loads the largest fleet.html and the page reports when its
first screen was rendered (performance.now() at the end of the first render, in data-rendered-ms).
Then the next audit of the same fleet (1% of the hosts on a new kernel, 0.5% newly failing, one pool losing a
model) is compared with the fleet.json just written: `previous_read_seconds` reads and checks that file,
`compare_seconds` computes the changes.
Prints JSON: {count: {seconds (wall), cpu_seconds, build_seconds and <format>_seconds, peak_rss_mb,
input_rss_mb, <format>_bytes, previous_read_seconds, compare_seconds, regressions},
"browser": {wall_seconds, first_screen_ms, rows_in_dom}}. A measurement, not a test: nothing fails on a number.
"""
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REQUIREMENTS = ["usable", "min_api_version", "require_vcpu_run", "forbid_world_writable_device",
                "device_users: nova"] + [
    "profile firecracker: KVM_CAP_%s" % c for c in ("IRQCHIP", "IOEVENTFD", "IRQFD", "XCRS", "XSAVE", "PIT2")]
KERNELS = [("6.1.0-28-amd64", 0.85), ("6.1.0-27-amd64", 0.10), ("5.10.0-33-amd64", 0.05)]
BACKENDS = [("kvm_intel", 0.70), ("kvm_amd", 0.29), ("kvm_pvm", 0.01)]
LEVELS = [("x86-64-v3", 0.80), ("x86-64-v2", 0.15), ("x86-64-v4", 0.05)]
DENIED = ("/dev/kvm: EACCES (Permission denied) opening read-write for user nova (groups: nova); node is "
          "crw-rw---- root:kvm on %s; add nova to group kvm")


def pick(rng, table):
    roll, total = rng.random(), 0.0
    for value, share in table:
        total += share
        if roll < total:
            return value
    return table[-1][0]


def synthetic(index, host, rng, verdicts_module):
    """A verdict as the evaluator makes it: separate objects per host, realistic shares of causes and drift."""
    if rng.random() < 0.02:
        return verdicts_module.unreachable_verdict(host, "Failed to connect to the host via ssh: ssh: connect to host "
                                                   "10.%d.%d.%d port 22: No route to host"
                                                   % (index >> 16 & 255, index >> 8 & 255, index & 255))
    backend, level = pick(rng, BACKENDS), pick(rng, LEVELS)
    denied = rng.random() < 0.03
    checks = []
    for requirement in REQUIREMENTS:
        if requirement == "device_users: nova":
            checks.append(verdicts_module.check(requirement, True, not denied, not denied, DENIED % host))
            continue
        ok = rng.random() > 0.01
        checks.append(verdicts_module.check(requirement, ">= 1", 1 if ok else 0, ok,
                                            "%s missing (Firecracker needs it): this KVM does not offer it"
                                            % requirement.rsplit(" ", 1)[-1]))
    pool = rng.randrange(3)
    summary = {"usable": True, "api_version": 12, "backend": backend, "arch": "x86_64", "kernel": pick(rng, KERNELS),
               "nr_vcpus": 64, "max_vcpus": 1024, "vcpu_run": "ok",
               "parameters": {backend: {"nested": "N" if rng.random() < 0.02 else "Y", "enable_apicv": "Y"}},
               "caps": "9f2c61d0a8b1" if rng.random() > 0.03 else "41aa07c3e2d9", "caps_count": 118,
               "guest_cpu_level": level, "guest_cpu_pool": POOLS[(level, pool)][0],
               "profiles_met": ["firecracker", "qemu"]}
    return verdicts_module.host_verdict(host, checks, summary)


def _pools():
    """(id, features, runnable models) of the 9 synthetic pools: 3 per level."""
    try:  # the tree measured may be an older build, where the pools named it pool_id
        from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.naming import fingerprint
    except ImportError:
        from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import pool_id as fingerprint
    table = {}
    for rank, (level, _share) in enumerate(LEVELS):
        for pool in range(3):
            features = ["feature%02d" % n for n in range(40 + 10 * rank)] + ["extra%d" % pool]
            table[(level, pool)] = (fingerprint(features), features, ["Model%02d" % n for n in range(20 + 5 * rank + pool)])
    return table


POOLS = {}


def guest_cpu(verdicts):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_view
    by_id = dict((entry[0], {"hosts": [], "features": entry[1], "runnable_models": entry[2]})
                 for entry in POOLS.values())
    for host, verdict in verdicts.items():
        if verdict["summary"].get("guest_cpu_pool") in by_id:
            by_id[verdict["summary"]["guest_cpu_pool"]]["hosts"].append(host)
    return fleet_view([p for p in by_id.values() if p["hosts"]])


def next_audit(verdicts, rng, verdicts_module):
    """The same fleet a day later: 1% on a new kernel, 0.5% newly failing, the Model00 of one pool lost."""
    later = {}
    for host, verdict in verdicts.items():
        roll = rng.random()
        if roll < 0.005 and verdict["status"] == "pass":
            verdict = verdicts_module.host_verdict(host, [verdicts_module.check("usable", True, False, False,
                                                                                "KVM is not usable")], {})
        elif roll < 0.015:
            verdict = dict(verdict, summary=dict(verdict["summary"], kernel="6.1.0-29-amd64"))
        later[host] = verdict
    view = guest_cpu(later)
    view["pools"][-1]["runnable_models"] = view["pools"][-1]["runnable_models"][1:]
    return later, view


def rss_mb():
    with open("/proc/self/status") as handle:
        return round(int(re.search(r"VmRSS:\s+(\d+)", handle.read()).group(1)) / 1024.0, 1)


def one(count, copy_to):
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._report import writer
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.fleet import build_fleet
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge import verdicts as verdicts_module
    from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.changes import compare, previous_fleet
    try:  # as kvm_report reads the previous audit's file
        from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.merge import read_without_checks as read_previous
    except ImportError:  # an earlier build, timed beside this one: it read the whole file
        from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.merge import read_slice as read_previous
    POOLS.update(_pools())
    rng = random.Random(count)
    hosts = ["kvm%06d.example.net" % i for i in range(count)]
    verdicts = dict((h, synthetic(i, h, rng, verdicts_module)) for i, h in enumerate(hosts))
    result = {"input_rss_mb": rss_mb()}
    out = tempfile.mkdtemp(prefix="fleetcheck-bench-")
    try:
        start, cpu = time.perf_counter(), time.process_time()
        fleet = build_fleet(hosts, verdicts, "2026-01-01T00:00:00Z", guest_cpu=guest_cpu(verdicts))
        result["build_seconds"] = round(time.perf_counter() - start, 3)
        for fmt in writer.FORMATS:
            began = time.perf_counter()
            path = writer.write_reports(out, fleet, [fmt])[fmt]
            result["%s_seconds" % fmt] = round(time.perf_counter() - began, 3)
            result["%s_bytes" % fmt] = os.path.getsize(path)
            if fmt == "html" and copy_to:  # now: each call publishes a set of its own, the next replaces it
                shutil.copy(path, copy_to)
        result["seconds"] = round(time.perf_counter() - start, 3)
        result["cpu_seconds"] = round(time.process_time() - cpu, 3)  # less sensitive to a busy machine
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
        writer.write_reports(out, fleet, ["json"])  # the last loop wrote fleet.prom alone
        later, view = next_audit(verdicts, rng, verdicts_module)
        current = build_fleet(hosts, later, "2026-01-02T00:00:00Z", guest_cpu=view)
        del fleet, verdicts
        began = time.perf_counter()
        previous = previous_fleet(read_previous(os.path.join(out, "fleet.json")), "fleet.json")
        result["previous_read_seconds"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        result["regressions"] = compare(previous, current)["counts"]["regressions"]
        result["compare_seconds"] = round(time.perf_counter() - began, 3)
    finally:
        shutil.rmtree(out)
    return result


def browser(page):
    """Headless Chromium on the page: wall time of the whole browser run, and the page's own render time."""
    chromium = shutil.which("chromium")
    if not chromium:
        return {"error": "chromium is not installed"}
    profile = tempfile.mkdtemp(prefix="fleetcheck-bench-chrome-")
    try:
        start = time.perf_counter()
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                              "--disable-component-update", "--disable-sync", "--no-first-run",
                              "--user-data-dir=%s" % profile, "--dump-dom", "file://%s" % os.path.abspath(page)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                             check=False).stdout
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    rendered = re.search(r'data-rendered-ms="(\d+)"', dom)
    return {"wall_seconds": round(wall, 2), "first_screen_ms": int(rendered.group(1)) if rendered else None,
            "rows_in_dom": dom.count("<tr data-host=")}


def main(argv):
    sys.path.insert(0, argv[1])
    if argv[2] == "--one":
        print(json.dumps(one(int(argv[3]), argv[4] if len(argv) > 4 else None)))
        return
    counts = [int(n) for n in argv[2].split(",")]
    copy_to = argv[3] if len(argv) > 3 and not argv[3].startswith("--") else None
    results = {}
    for count in counts:
        command = [sys.executable, os.path.abspath(__file__), argv[1], "--one", str(count)]
        if copy_to and count == max(counts):
            command.append(copy_to)  # the largest page, for the browser timing
        results[count] = json.loads(subprocess.check_output(command, universal_newlines=True))
    if "--browser" in argv and copy_to:
        results["browser"] = browser(copy_to)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv)
