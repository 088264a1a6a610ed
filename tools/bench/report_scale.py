"""Report generation time for synthetic fleets: build, render all four formats, write atomically."""
import json
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, sys.argv[1])
from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_reports  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_requirements import (  # noqa: E402
    VERDICT_SCHEMA_VERSION, unreachable_verdict)

REQUIREMENTS = ["usable", "min_api_version", "require_vcpu_run", "forbid_world_writable_device"] + [
    "profile firecracker: KVM_CAP_%s" % c for c in ("IRQCHIP", "IOEVENTFD", "IRQFD", "XCRS", "XSAVE", "PIT2")]


def synthetic(host, rng):
    if rng.random() < 0.02:
        return unreachable_verdict(host, "ssh: connect to host %s port 22: No route to host" % host)
    checks = [{"requirement": r, "expected": ">= 1", "actual": 1, "ok": rng.random() > 0.03, "message": None}
              for r in REQUIREMENTS]
    for check in checks:
        if not check["ok"]:
            check["actual"], check["message"] = 0, "%s missing (Firecracker needs it)" % check["requirement"]
    failures = [c["message"] for c in checks if not c["ok"]]
    return {"schema_version": VERDICT_SCHEMA_VERSION, "host": host, "status": "fail" if failures else "pass",
            "passed": not failures, "checks": checks, "failures": failures,
            "summary": {"usable": True, "backend": "kvm_intel", "profiles_met": ["qemu"]}}


results = {}
for count in [int(n) for n in sys.argv[2].split(",")]:
    rng = random.Random(count)
    hosts = ["kvm%05d.example.net" % i for i in range(count)]
    verdicts = dict((h, synthetic(h, rng)) for h in hosts)
    out = tempfile.mkdtemp()
    start = time.perf_counter()
    fleet = kvm_reports.build_fleet(hosts, verdicts, "2026-01-01T00:00:00Z")
    paths = kvm_reports.write_reports(out, fleet)
    results[count] = {"seconds": round(time.perf_counter() - start, 3),
                      "html_bytes": len(open(paths["html"], "rb").read())}
    if len(sys.argv) > 3 and count == max(int(n) for n in sys.argv[2].split(",")):
        shutil.copy(paths["html"], sys.argv[3])  # the largest page, for the browser timing
    shutil.rmtree(out)
print(json.dumps(results))
