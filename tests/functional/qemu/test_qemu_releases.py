# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each QEMU release is its own oracle: QEMU 7.2 on this host, 10.0 and 11.1 each in a container of its Debian
suite (tools/qemu/build-image.sh), all on this machine's real /dev/kvm.

In each, the probe runs with qemu_version auto, so it must find that QEMU installed and be judged for it; then its
answer must equal that QEMU's own query-cpu-definitions, model by model; the table's part for that release must be
what that QEMU answers; and the CPU configuration the pools give must start that QEMU with -cpu MODEL,enforce.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu import qemu_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import builtin_models, model_names
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.cpu_config import kubevirt_yaml, model_features, nova_conf
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.pools import fleet_pools

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ORACLE = "tests/functional/qemu/release_oracle.py"
IN_CONTAINER = "/src"  # where a container gets this checkout, read-only
sys.path.insert(0, os.path.join(ROOT, "tools"))
import gen_qemu_cpu_models as generator  # noqa: E402  pylint: disable=wrong-import-position

IMAGES = dict(item.split("=", 1) for item in os.environ.get("FLEETCHECK_QEMU_IMAGES", "").split() if "=" in item)
SUITES = {"bookworm": "7.2", "trixie": "10.0", "forky": "11.1"}
PLAIN_IMAGE = "localhost/fleetcheck-debian:bookworm"  # tools/lib.sh fc_image: Debian without QEMU


def run_script(suite, kvm_device, script, *args):
    """The JSON a script of this checkout prints, run on this host (bookworm, with /usr/bin/qemu-system-x86_64) or
    in the suite's image (a Debian suite of SUITES, or an image by name), with the real device."""
    if suite == "bookworm":
        if not shutil.which("qemu-system-x86_64"):
            missing("qemu-system-x86_64 is not installed (tools/test-all.sh installs it)")
        command = [sys.executable, os.path.join(ROOT, script)] + list(args)
    else:
        image = IMAGES.get(suite) if suite in SUITES else suite
        if not image:
            missing("no QEMU image of Debian %s: FLEETCHECK_QEMU_IMAGES is %r (tools/lib.sh fc_qemu_images sets it)"
                    % (suite, os.environ.get("FLEETCHECK_QEMU_IMAGES")))
        if not shutil.which("podman") or subprocess.call(["podman", "image", "exists", image]) != 0:
            missing("the image %s is not there (tools/test-all.sh builds it)" % image)
        command = ["podman", "run", "--rm", "--device", kvm_device, "-v", "%s:%s:ro" % (os.path.realpath(ROOT), IN_CONTAINER),
                   image, "python3", IN_CONTAINER + "/" + script] + list(args)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def run_oracle(suite, kvm_device, *args):
    """release_oracle.py's JSON (that QEMU's answers, the probe's facts), run where that release is installed."""
    return run_script(suite, kvm_device, ORACLE, *args)


@pytest.fixture(scope="module", params=sorted(SUITES, key=lambda s: SUITES[s]))
def release(request, kvm_device):
    suite = request.param
    found = run_oracle(suite, kvm_device)
    view = fleet_pools({"here": found["facts"]})
    config = view["common"]["config"]
    assert config, "no model to configure: %s" % view["common"]
    models = [config["model"]] + config["runners_up"]
    if "nearest_64_bit" in config:  # the 64-bit remedy the config gives, as -cpu MODEL,-feature... (without enforce)
        models.append(config["nearest_64_bit"]["qemu"][len("-cpu "):-len(",enforce")])
    found["starts"] = run_oracle(suite, kvm_device, "--no-qemu", "--start", *models)["starts"]
    found.update(suite=suite, release=SUITES[suite], config=config)
    return found


def test_auto_judges_the_qemu_installed_there(release):
    qemu = release["facts"]["qemu"]
    assert qemu["why"] == "installed" and qemu["table"] == release["release"], qemu
    assert qemu["source"].startswith("dpkg: qemu-system-x86 ")
    assert release["answers"]["version"].startswith(qemu["version"])  # dpkg says 7.2 for 7.2.22, 10.0.13 for 10.0.13
    assert release["facts"]["qemu_version"] == builtin_models(release["release"])["qemu_version"]


def test_every_model_agrees_with_that_qemus_query_cpu_definitions(release):
    facts, definitions = release["facts"], release["answers"]["definitions"]
    assert sorted(d["name"] for d in definitions) == sorted(facts["models"])
    differences = []
    for definition in definitions:
        expected = sorted(set(definition["unavailable-features"]))  # listed once per word it is missing from
        ours = facts["models"][definition["name"]]
        if ours != {"runnable": not expected, "missing": expected}:
            differences.append((definition["name"], expected, ours))
    assert differences == [], "\n".join("%s: QEMU %s, probe %s" % d for d in differences)
    assert facts["runnable_models"] == sorted(d["name"] for d in definitions if not d["unavailable-features"])
    assert any(d["unavailable-features"] for d in definitions), "this host lacks something, so the test can fail"


def test_features_are_what_that_qemus_host_model_sets_and_off_by_default_what_it_leaves(release):
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import known_features
    props, facts = release["host_full"]["props"], release["facts"]
    known = known_features(release["release"])
    assert facts["features"] == sorted(name for name in known if props.get(name) is True)
    assert all(props.get(name) is False for name in facts["off_by_default"]), facts["off_by_default"]
    assert "kvm-hint-dedicated" in facts["off_by_default"]  # KVM always offers it; QEMU never turns it on itself


def test_qemu_check_starts_that_qemu_and_agrees(release):
    checked = release["checked"]
    assert checked["agree"] is True and checked["differences"] == [], checked
    assert checked["version"] == release["facts"]["qemu"]["version"] and 0 < checked["elapsed_ms"] < 10000


def test_the_tables_part_for_this_release_is_what_that_qemu_answers(release):
    theirs = generator.read_release(release["answers"])
    table = builtin_models(release["release"])
    assert theirs["release"] == release["release"] and table["qemu_version"] == theirs["version"]
    assert table["qemu_package"] == theirs["package"]
    assert sorted(theirs["models"]) == sorted(model_names(table))
    for name, where in theirs["placed"].items():  # where that QEMU puts the features the bit table lacks
        assert qemu_models.PLACED_FEATURES[name] == where, name
    assert theirs["unknown"] <= set(qemu_models.UNPLACED_FEATURES.split())
    for name, entry in theirs["models"].items():
        assert (name in table["host_dependent"]) == entry["host_dependent"], name  # QEMU's migration-safe
        assert (name in table["deprecated"]) == entry["deprecated"], name
        if entry["alias_of"]:
            assert table["aliases"][name] == entry["alias_of"], name
        elif "features" in entry:
            assert table["features"][name] == entry["features"], name


def test_each_binarys_own_feature_table_agrees_with_the_bit_table(release, kvm_device):
    """tools/qemu/elf_feature_names.py, which places the feature-MSR bits QMP does not show (its-no of 11.1), reads
    each QEMU binary's feature_word_info: every name it finds there sits where cpuid_bits.py (QEMU 10.0's source)
    says."""
    found = run_script(release["suite"], kvm_device, "tools/qemu/elf_feature_names.py", "/usr/bin/qemu-system-x86_64")
    assert found["differ"] == []
    assert found["placed"] > 300, found  # 7.2's binary names 309 of the table's bits, 10.0's and 11.1's 371


def test_pools_never_offer_what_that_qemu_marks_not_migration_safe(release):
    unsafe = sorted(d["name"] for d in release["answers"]["definitions"] if not d.get("migration-safe"))
    assert unsafe == ["host", "max"]
    assert set(unsafe) <= set(release["facts"]["runnable_models"]), "this host runs -cpu host, so the test can fail"
    view = fleet_pools({"here": release["facts"]})
    assert not set(unsafe) & set(view["common"]["runnable_models"])
    assert release["config"]["model"] not in unsafe and not set(unsafe) & set(release["config"]["runners_up"])


def test_the_chosen_model_and_its_runners_up_start_that_qemu_with_enforce(release):
    config = release["config"]
    started = [config["model"]] + config["runners_up"]
    if "nearest_64_bit" in config:
        # no 64-bit model runs (this machine's KVM offers lm but not pni, which every 64-bit model asks for): the
        # chosen model is a 32-bit one, and the config's 64-bit remedy must start as well
        assert "lm" in release["facts"]["features"] and "lm" not in model_features(config["model"]), config
        started.append(config["nearest_64_bit"]["qemu"][len("-cpu "):-len(",enforce")])
    else:
        assert "lm" in model_features(config["model"]) or "lm" not in release["facts"]["features"], config
    assert sorted(release["starts"]) == sorted(started)
    for model, (started, words) in release["starts"].items():
        assert started, "QEMU %s did not start -cpu %s,enforce: %s" % (release["release"], model, words)
    assert config["qemu"] == "-cpu %s,enforce" % config["model"]


def test_a_requested_release_without_a_table_gets_the_nearest_older_ones_answer_anywhere(kvm_device):
    """On this host (QEMU 7.2 installed), qemu_version 10.2 is judged with 10.0's table and rules: the answer equals
    what QEMU 10.0 itself says in its container, on the same /dev/kvm."""
    requested = run_oracle("bookworm", kvm_device, "--no-qemu", "--qemu-version", "10.2")["facts"]
    assert requested["qemu"] == {"version": "10.2", "why": "requested", "table": "10.0",
                                 "note": "no table for QEMU 10.2: the nearest older release's, 10.0, is used"}
    definitions = run_oracle("trixie", kvm_device)["answers"]["definitions"]
    assert dict((d["name"], sorted(set(d["unavailable-features"]))) for d in definitions) == \
        dict((name, verdict["missing"]) for name, verdict in requested["models"].items())


def test_a_model_the_host_cannot_give_does_not_start_so_the_start_test_can_fail(kvm_device):
    blocked = ["Haswell", "Skylake-Server", "EPYC-Rome"]
    started = run_oracle("bookworm", kvm_device, "--no-qemu", "--start", *blocked)["starts"]
    assert not any(ok for ok, _words in started.values()), started


def test_auto_on_a_host_without_qemu_uses_the_newest_table(kvm_device):
    if subprocess.call(["podman", "image", "exists", PLAIN_IMAGE]) != 0:
        missing("the image %s is not there (tools/test-all.sh builds it)" % PLAIN_IMAGE)
    facts = run_oracle(PLAIN_IMAGE, kvm_device, "--no-qemu")["facts"]
    newest = builtin_models()
    assert facts["qemu"]["why"] == "newest" and facts["qemu"]["table"] == newest["release"], facts["qemu"]
    assert "no qemu-system-x86 package" in facts["qemu"]["source"]
    assert set(facts["models"]) == set(model_names(newest))


def test_the_libvirt_cpu_element_is_valid_domain_xml(tmp_path):
    validate = shutil.which("virt-xml-validate")
    if not validate:
        missing("virt-xml-validate is not installed (Debian package libvirt-clients, installed by tools/test-all.sh)")
    config = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["Haswell-noTSX", "Nehalem"]}})["common"]["config"]
    domain = tmp_path / "domain.xml"
    domain.write_text(u"<domain type='kvm'><name>fleetcheck</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
                      u"<os><type arch='x86_64' machine='q35'>hvm</type></os>%s<devices/></domain>" % config["libvirt"])
    done = subprocess.run([validate, str(domain), "domain"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout
    broken = tmp_path / "broken.xml"  # the validator can fail: a mode libvirt does not have
    broken.write_text(domain.read_text().replace("mode='custom'", "mode='exactly'"))
    assert subprocess.call([validate, str(broken), "domain"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0


NOVA_CHECK = r"""
import importlib.util, json, os, sys, types
import nova
root = os.path.dirname(nova.__file__)
def load(name, path):  # only the option modules: nova/conf/__init__ imports every service's options
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec); sys.modules[name] = module; spec.loader.exec_module(module)
    return module
package = types.ModuleType("nova.conf"); package.__path__ = []; sys.modules["nova.conf"] = package
package.paths = load("nova.conf.paths", os.path.join(root, "conf", "paths.py"))
libvirt = load("nova.conf.libvirt", os.path.join(root, "conf", "libvirt.py"))
from oslo_config import cfg
conf = cfg.ConfigOpts()
for group, options in libvirt.list_opts().items():
    conf.register_opts(options, group=group)
conf(args=[], default_config_files=[sys.argv[1]])
help = dict((o.name, o.help) for options in libvirt.list_opts().values() for o in options)
print(json.dumps({"cpu_mode": conf.libvirt.cpu_mode, "cpu_models": conf.libvirt.cpu_models,
                  "help": help["cpu_models"]}))
"""


def test_nova_reads_the_nova_conf_with_its_own_option_definitions(tmp_path):
    python = os.environ.get("FLEETCHECK_NOVA_PYTHON")
    if not python or not os.path.exists(python):
        missing("FLEETCHECK_NOVA_PYTHON is not set: tools/lib.sh fc_nova installs Nova's options (PyPI nova, "
                "oslo.config)")
    models = ["Haswell-noTSX", "SandyBridge", "Westmere", "Nehalem", "qemu64"]
    config = fleet_pools({"a": {"features": ["fpu"], "runnable_models": models}})["common"]["config"]
    path = tmp_path / "nova.conf"
    path.write_text(nova_conf(config))
    done = subprocess.run([python, "-c", NOVA_CHECK, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    nova = json.loads(done.stdout)
    assert nova["cpu_mode"] == "custom" and nova["cpu_models"] == config["nova"]["cpu_models"]
    # Nova's own words on the order, which the configuration follows: the best model last
    assert "less advanced CPU models are listed earlier" in " ".join(nova["help"].split())
    assert nova["cpu_models"][-1] == config["model"] == "Haswell-noTSX"
    path.write_text(u"[libvirt]\ncpu_mode = exact\n")  # Nova refuses a mode it does not define: the check can fail
    refused = subprocess.run([python, "-c", NOVA_CHECK, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, check=False)
    assert refused.returncode != 0 and "cpu_mode" in refused.stderr


def test_kubevirt_gets_the_model_at_spec_domain_cpu_model():
    config = fleet_pools({"a": {"features": ["fpu"], "runnable_models": ["Nehalem"]}})["common"]["config"]
    assert config["kubevirt"]["path"] == "spec.domain.cpu.model"
    assert kubevirt_yaml(config) == "spec:\n  domain:\n    cpu:\n      model: Nehalem\n"
