"""Turn the benchmark JSON files into the Markdown table the README shows."""
import json
import os
import platform
import sys

OUT, HOSTS = sys.argv[1], int(sys.argv[2])


def load(name):
    with open(os.path.join(OUT, name)) as handle:
        return json.load(handle)


def medians(name):
    return dict((r["command"], r["median"]) for r in load(name)["results"])


def cpu(name):
    """{command: mean CPU seconds (user + system) of a run}: on a shared machine it swings less than wall."""
    return dict((r["command"], r["user"] + r["system"]) for r in load(name)["results"])


def leaves(value):
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaves(v) for v in value) or 1
    return 1


def lines(name):
    with open(os.path.join(OUT, name)) as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


probe = load("probe.json")
whole = medians("whole.json")
ours = [k for k in whole if k.startswith("fleetcheck")][0]
vhv = lines("vhv.txt")
kvmok = lines("kvmok.txt")
print("Machine: %s, Linux %s, backend %s, %d cores." % (
    platform.machine(), platform.release(), probe["host"]["backend"], os.cpu_count()))
print()
print("**Whole process** (hyperfine, 40 interleaved rounds, median):")
print()
print("| tool | median | vs the probe | facts | verdict |")
print("|---|---:|---:|---:|---|")
print("| %s | %.1f ms | 1.0x | %d | usable: %s |" % (ours, whole[ours] * 1000, leaves(probe), probe["usable"]))
alone = [k for k in whole if k.startswith("the interpreter alone")][0]
print("| %s | %.1f ms | %.1fx | 0 | (start-up cost included in the row above) |" % (
    alone, whole[alone] * 1000, whole[alone] / whole[ours]))
for name in [k for k in whole if k.startswith("the probe's imports")]:
    print("| %s | %.1f ms | %.1fx | 0 | (part of the probe's row) |" % (name, whole[name] * 1000, whole[name] / whole[ours]))
checks = [x for x in vhv if x.strip().startswith("QEMU:")]
outcomes = dict((word, sum(1 for x in checks if x.rsplit(":", 1)[-1].strip().startswith(word)))
                for word in ("PASS", "WARN", "FAIL"))
first_fail = [x.split(":", 1)[1].strip() for x in checks if x.rsplit(":", 1)[-1].strip().startswith("FAIL")][:1]
print("| virt-host-validate qemu | %.1f ms | %.1fx | %d | %d PASS, %d WARN, %d FAIL%s |" % (
    whole["virt-host-validate qemu"] * 1000, whole["virt-host-validate qemu"] / whole[ours], len(checks),
    outcomes["PASS"], outcomes["WARN"], outcomes["FAIL"],
    ("; " + " ".join(first_fail[0].split())) if first_fail else ""))
print("| kvm-ok | %.1f ms | %.1fx | %d | %s |" % (
    whole["kvm-ok"] * 1000, whole["kvm-ok"] / whole[ours], len(kvmok), " / ".join(kvmok[:2])))
print()
print("**In-process cost of the probe's steps** (median of 300):")
print()
print("| step | median |")
print("|---|---:|")
for name, micro in load("split.json").items():
    print("| %s | %.3f ms |" % (name, micro / 1000.0))
print()
ansible, ansible_cpu = medians("ansible.json"), cpu("ansible.json")
audit, audit_cpu = medians("audit.json"), cpu("audit.json")
ping, ping_cpu = ansible["ansible.builtin.ping"], ansible_cpu["ansible.builtin.ping"]
print("**Under Ansible**, %d hosts with the local connection, 10 forks (hyperfine, 7 interleaved rounds, median wall; "
      "CPU: mean user + system of the run, controller and hosts together):" % HOSTS)
print()
print("| command | total | per host | vs ping | CPU | CPU per host | CPU vs ping |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, seconds in ansible.items():
    print("| ansible -m %s | %.2f s | %.0f ms | %.2fx | %.2f s | %.0f ms | %.2fx |" % (
        name, seconds, seconds / HOSTS * 1000, seconds / ping, ansible_cpu[name], ansible_cpu[name] / HOSTS * 1000,
        ansible_cpu[name] / ping_cpu))
ping_book, ping_book_cpu = audit["a ping playbook"], audit_cpu["a ping playbook"]
for name, seconds in audit.items():
    print("| %s | %.2f s | %.0f ms | %.2fx the ping playbook | %.2f s | %.0f ms | %.2fx the ping playbook |" % (
        name, seconds, seconds / HOSTS * 1000, seconds / ping_book, audit_cpu[name], audit_cpu[name] / HOSTS * 1000,
        audit_cpu[name] / ping_book_cpu))
print()
print("With the local connection the hosts' side runs in the controller's children: the CPU above is both. "
      "tools/bench/ssh_fleet.sh measures the controller's own CPU per host apart from the hosts'.")
print()
if os.path.exists(os.path.join(OUT, "payloads.json")):
    built, ran = load("payloads.json"), medians("host_payloads.json")
    what = {"ping": "ansible.builtin.ping", "canned_facts": "control: the audit's facts, returned without probing",
            "kvm_facts_audit": "fleetcheck.kvm.kvm_facts, cpu_models: [] (as the audit)",
            "kvm_facts": "fleetcheck.kvm.kvm_facts, every model"}
    print("**Where a host's cost goes**: the AnsiballZ payloads, built as the controller builds them (once per "
          "playbook run and module) and run as a managed host runs them with pipelining (`/usr/bin/python3`, "
          "hyperfine, 30 interleaved rounds, median). Compile: the payload's Python sources, compiled once (best of 5); "
          "CPython's zipimport compiles each imported module twice (python/cpython#141276).")
    print()
    print("| payload | controller build | bytes | host run | vs ping | compile: ansible | compile: collection |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, entry in built.items():
        print("| %s | %.0f ms | %s | %.1f ms | %.2fx | %.1f ms | %.1f ms |" % (
            what.get(name, name), entry["build_ms"], "{:,}".format(entry["bytes"]), ran[name] * 1000,
            ran[name] / ran["ping"], entry["compile_ms"].get("ansible", 0), entry["compile_ms"].get("ansible_collections", 0)))
    print()
print("**Reports** (build, render all four formats, write atomically; synthetic fleets):")
print()
print("| hosts | time | CPU | peak RSS (input alone) | fleet.json | junit.xml | fleet.md | fleet.html |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
reports = load("reports.json")
for count, result in sorted(((k, v) for k, v in reports.items() if k.isdigit()), key=lambda kv: int(kv[0])):
    print("| {:,} | {:.2f} s | {:.2f} s | {:.0f} MB ({:.0f} MB) | {:.1f} MB | {:.1f} MB | {:.1f} kB | {:.2f} MB |".format(
        int(count), result["seconds"], result.get("cpu_seconds", result["seconds"]), result.get("peak_rss_mb", 0),
        result.get("input_rss_mb", 0), result.get("json_bytes", 0) / 1e6, result.get("junit_bytes", 0) / 1e6,
        result.get("markdown_bytes", 0) / 1e3, result["html_bytes"] / 1e6))
print()
largest = max(int(k) for k in reports if k.isdigit())
if isinstance(reports.get("browser"), dict) and reports["browser"].get("first_screen_ms") is not None:
    print("Headless Chromium renders the first screen of the {:,}-host fleet.html in {} ms after navigation "
          "({} rows in the DOM; the whole browser run, start included, {:.2f} s).".format(
              largest, reports["browser"]["first_screen_ms"], reports["browser"]["rows_in_dom"],
              reports["browser"]["wall_seconds"]))
if os.path.exists(os.path.join(OUT, "browser.json")):
    for name, seconds in medians("browser.json").items():
        print("%s: %.2f s (hyperfine, median of 5, browser start included)." % (name, seconds))
