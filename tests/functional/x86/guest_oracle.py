# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside the emulated x86 machine (its python3, stdlib only): QEMU's own answers there, as JSON.

usage: python3 guest_oracle.py FACTS.json
Asks the guest's QEMU (under -accel kvm on the guest's kvm_amd) query-cpu-definitions and the static expansion
of `host`, then starts `-cpu <model>,enforce` for `host` and the models the facts call runnable (every fourth when
there are many), and says which started. qmp.py is tools/qmp.py, shipped beside this file.
"""
import json
import subprocess
import sys

QEMU = "qemu-system-x86_64"
START = [QEMU, "-accel", "kvm", "-M", "pc", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio"]


def started(model):
    """(rc, stderr) of QEMU started with the model enforced, then told to quit over QMP."""
    process = subprocess.run(START + ["-cpu", model + ",enforce"], input='{"execute": "qmp_capabilities"}\n'
                             '{"execute": "quit"}\n', stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120, check=False)
    return process.returncode, process.stderr.strip()[-500:]


def sample(runnable):
    """`host` and the runnable models: all of them up to 12, else every fourth (each start takes seconds here)."""
    named = [m for m in runnable if m not in ("host", "max")]
    return ["host"] + (named if len(named) <= 12 else named[::4])


def main():
    from qmp import Qmp  # beside this file in the guest; the tests import sample() without it
    with open(sys.argv[1]) as handle:
        facts = json.load(handle)["ansible_facts"]["kvm"]
    qmp = Qmp(QEMU)
    try:
        answers = {"version": qmp.greeting["version"]["qemu"],
                   "definitions": qmp.command("query-cpu-definitions"),
                   "host": qmp.command("query-cpu-model-expansion", type="static", model={"name": "host"})["model"]}
    finally:
        qmp.close()
    answers["enforced"] = dict((model, started(model)) for model in sample(facts["guest_cpu"]["runnable_models"]))
    lacking = [d["name"] for d in answers["definitions"] if d["unavailable-features"]]
    answers["refused"] = dict((model, started(model)) for model in lacking[:1])
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
