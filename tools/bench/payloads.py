"""Build the AnsiballZ payloads the controller sends, time the build, and attribute their compile cost.

Usage: payloads.py OUT FACTS_JSON   (run with the controller's venv Python, ANSIBLE_COLLECTIONS_PATH
holding fleetcheck.kvm and the bench's control collection). Writes OUT/payloads/<name>.py, each a
standalone AnsiballZ file that `/usr/bin/python3 <file>` runs as a managed host runs it with pipelining,
and prints JSON: the controller's first build of each payload in a fresh process (median of 5: once per
playbook run and module, modify_module parses every module_utils file it ships), and the compile time of
the payload's Python sources by package (best of 5; the host compiles them on every run, and CPython's
zipimport compiles each imported module twice, gh-141276).
"""
import base64
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile

from ansible import context
from ansible.executor import module_common
from ansible.module_utils.common.collections import ImmutableDict
from ansible.plugins.loader import init_plugin_loader, module_loader
from ansible.template import Templar

OUT, FACTS = sys.argv[1], sys.argv[2]
PAYLOADS = (  # name, module, arguments
    ("ping", "ansible.builtin.ping", {}),
    ("canned_facts", "fleetbench.control.canned_facts", {"path": FACTS}),
    ("kvm_facts_audit", "fleetcheck.kvm.kvm_facts", {"cpu_models": []}),
    ("kvm_facts", "fleetcheck.kvm.kvm_facts", {}),
)


def build(module, arguments):
    found = module_loader.find_plugin_with_context(module)
    return module_common.modify_module(
        module_name=found.resolved_fqcn, module_path=found.plugin_resolved_path, module_args=dict(arguments),
        templar=Templar(loader=None), task_vars={"ansible_python_interpreter": "/usr/bin/python3"},
        module_compression="ZIP_DEFLATED")


def compile_ms(payload):
    data = re.search(rb"zip_data='([^']*)'", payload).group(1)
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(data)))
    spent = {}
    for name in archive.namelist():
        if name.endswith(".py"):
            source = archive.read(name)
            best = None
            for _round in range(5):
                start = time.perf_counter()
                compile(source, name, "exec", dont_inherit=True)
                took = time.perf_counter() - start
                best = took if best is None else min(best, took)
            package = "ansible_collections" if name.startswith("ansible_collections/") else name.split("/")[0]
            spent[package] = spent.get(package, 0.0) + best * 1000
    return dict((package, round(ms, 2)) for package, ms in spent.items())


def cold_build_ms(name):
    """The build in a fresh process, as a playbook run does it once per module."""
    answer = subprocess.run([sys.executable, __file__, OUT, FACTS, "--build", name],
                            check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return float(answer)


def main():
    context.CLIARGS = ImmutableDict()
    init_plugin_loader()
    if sys.argv[3:4] == ["--build"]:
        module, arguments = dict((name, (module, arguments)) for name, module, arguments in PAYLOADS)[sys.argv[4]]
        start = time.perf_counter()
        build(module, arguments)
        sys.stdout.write("%.3f\n" % ((time.perf_counter() - start) * 1000))
        return
    os.makedirs(os.path.join(OUT, "payloads"), exist_ok=True)
    report = {}
    for name, module, arguments in PAYLOADS:
        payload = build(module, arguments).b_module_data
        with open(os.path.join(OUT, "payloads", name + ".py"), "wb") as handle:
            handle.write(payload)
        report[name] = {"build_ms": round(statistics.median(cold_build_ms(name) for _round in range(5)), 1),
                        "bytes": len(payload), "compile_ms": compile_ms(payload)}
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
