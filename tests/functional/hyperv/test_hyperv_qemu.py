# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Hyper-V enlightenments against QEMU itself: 7.2 on this host, 10.0 and 11.1 each in a container of its Debian
suite, all on this machine's real /dev/kvm. The probe runs there with qemu_version auto; then QEMU is started with
each enlightenment and what it needs (hyperv_oracle.py), and with hv-passthrough. `starts` must be QEMU's answer,
enlightenment by enlightenment; an abort counts as a refusal. The kvm_amd machine under TCG, a real KVM Hyper-V, is
the other oracle (tests/functional/x86/test_x86_kvm_amd.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.hyperv import NAMES, RELEASES
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._fleet.cpu_config import hyperv_config
from ansible_collections.fleetcheck.kvm.plugins.plugin_utils._judge.profiles import WINDOWS_PROFILES
from ansible_collections.fleetcheck.kvm.tests.functional.conftest import missing
from ansible_collections.fleetcheck.kvm.tests.functional.qemu.test_qemu_releases import SUITES, run_script

ORACLE = "tests/functional/hyperv/hyperv_oracle.py"


@pytest.fixture(scope="module", params=sorted(SUITES, key=lambda s: SUITES[s]))
def release(request, kvm_device):
    found = run_script(request.param, kvm_device, ORACLE)
    found["release"] = SUITES[request.param]
    return found


def test_the_table_covers_each_release_tested_here():
    assert sorted(SUITES.values()) == sorted(RELEASES)


def test_the_probe_is_judged_for_the_qemu_installed_there(release):
    qemu = release["facts"]["qemu"]
    assert (qemu["why"], qemu["table"]) == ("installed", release["release"]), qemu


def test_each_enlightenment_starts_qemu_exactly_as_the_facts_say(release):
    entries = release["facts"]["enlightenments"]
    assert sorted(entries) == sorted(NAMES) and sorted(release["starts"]) == sorted(NAMES)
    differences = [(name, words, entries[name]) for name, (started, words) in release["starts"].items()
                   if started != entries[name]["starts"]]
    assert differences == [], "\n".join("%s: QEMU %s; facts %s" % d for d in differences)


def test_a_refusal_is_named_as_qemu_names_it(release):
    """Where QEMU refuses, its words name what the facts name: the MSR it failed to set, or VP_INDEX."""
    entries = release["facts"]["enlightenments"]
    for name, (started, words) in release["starts"].items():
        missing = entries[name]["missing"] or ""
        if not started and "KVM_SET_MSRS refused" in missing:
            assert "failed to set MSR 0x%s" % missing.split("(0x")[1].split(")")[0].lstrip("0") in words, (name, words)
        if not started and "VP_INDEX is 0" in missing:
            assert "kernel doesn't allow setting HyperV VP_INDEX" in words, (name, words)


def test_what_starts_but_is_not_offered_is_dropped_because_kvm_has_no_hyper_v(release):
    facts = release["facts"]
    dropped = [n for n, e in facts["enlightenments"].items() if e["starts"] and not e["offered"]]
    assert (dropped != []) == (facts["kvm"]["KVM_CAP_HYPERV"] == 0)
    if dropped:  # QEMU's hyperv_enabled() needs KVM_CAP_HYPERV: without it QEMU starts, and sets no Hyper-V leaf
        assert "CONFIG_KVM_HYPERV" in facts["reason"]


def test_passthrough_starts_as_the_facts_say(release):
    assert release["passthrough"][0] == release["facts"]["passthrough"]["starts"], release["passthrough"]


def test_the_libvirt_hyperv_element_of_every_enlightenment_is_valid_domain_xml(tmp_path):
    validate = shutil.which("virt-xml-validate")
    if not validate:
        missing("virt-xml-validate is not installed (Debian package libvirt-clients, installed by tools/test-all.sh)")
    block = hyperv_config(NAMES, NAMES)
    assert block["not_in_libvirt"] == ["hv-crash", "hv-syndbg", "hv-emsr-bitmap", "hv-xmm-input", "hv-tlbflush-ext",
                                       "hv-tlbflush-direct"]
    domain = tmp_path / "domain.xml"
    domain.write_text(u"<domain type='kvm'><name>windows</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
                      u"<os><type arch='x86_64' machine='q35'>hvm</type></os><features>%s</features>%s<devices/>"
                      u"</domain>" % (block["libvirt"], block["libvirt_clock"]))
    done = subprocess.run([validate, str(domain), "domain"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout
    broken = tmp_path / "broken.xml"  # the validator can fail: an element libvirt 9.0 does not have
    broken.write_text(domain.read_text().replace("<ipi state='on'/>", "<xmm_input state='on'/>"))
    assert subprocess.call([validate, str(broken), "domain"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0


NOVA_SOURCE = ("import json, os, importlib.metadata, importlib.util; spec = importlib.util.find_spec('nova'); "
               "print(json.dumps([importlib.metadata.version('nova'), "
               "open(os.path.join(os.path.dirname(spec.origin), 'virt', 'libvirt', 'driver.py')).read()]))")


def _function(source, name):
    """The text of a method of Nova's driver, up to the next one."""
    start = source.index("    def %s(" % name)
    end = source.find("\n    def ", start + 1)
    return source[start:end if end > 0 else len(source)]


def test_the_nova_profile_is_what_novas_own_source_turns_on():
    """The oracle the profile was read from: Nova's libvirt driver at the pinned release (tools/lib.sh fc_nova)."""
    python = os.environ.get("FLEETCHECK_NOVA_PYTHON")
    if not python or not os.path.exists(python):
        missing("FLEETCHECK_NOVA_PYTHON is not set: tools/lib.sh fc_nova installs PyPI nova")
    done = subprocess.run([python, "-c", NOVA_SOURCE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    version, source = json.loads(done.stdout)
    profile = WINDOWS_PROFILES["windows_nova"]
    assert profile["cite"].startswith("Nova %s," % version)
    features = _function(source, "_set_features")
    windows = features[features.index("os_type == 'windows'"):]
    # not enlightenments: spinlocks is a value that asks KVM for nothing more; vendorid_spoof only with hide_hypervisor_id
    settings = {"spinlocks", "vendorid_spoof"}
    turned_on = set(re.findall(r"hv\.(\w+) = True", windows)) - settings
    assert "vendorid_spoof" in re.findall(r"if hide_hypervisor_id:\s+hv\.(\w+) = True", windows)
    assert turned_on and not (set(re.findall(r"hv\.(\w+) = True", features)) - turned_on - settings)
    timers = _function(source, "_set_kvm_timers")  # libvirt's hypervclock timer is QEMU's hv-time
    assert "hypervclock" in timers[timers.index("os_type == 'windows'"):]
    assert sorted(profile["hyperv"]) == sorted(["hv-" + name for name in turned_on] + ["hv-time"])
