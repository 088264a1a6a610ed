# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped constructed inventory read by ansible-inventory from a jsonfile fact cache: kvm_usable is the
probing user's answer, kvm_usable_by_<account> each service account's, as the kernel gave it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

from ansible_collections.fleetcheck.kvm.tests.functional.conftest import constructed_groups


def facts(usable, accounts):
    return {"kvm": {"usable": usable, "device": {"accounts": dict(
        (name, {"exists": True, "may_open": may, "groups": [], "judged": "observed"}) for name, may in accounts.items())}}}


def test_each_account_has_its_own_group_and_kvm_usable_is_the_probing_users(tmp_path, ansible_bin):
    cache = tmp_path / "facts"
    hosts = {"h-both": facts(True, {"nova": True, "qemu": True}), "h-root-only": facts(True, {"nova": False}),
             "h-broken": facts(False, {"nova": True})}
    seeds = tmp_path / "seeds.yml"  # each host's facts, cached by Ansible itself (the cache format is its own)
    seeds.write_text(json.dumps({"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter":
                                                  "/usr/bin/python3"},
                                         "hosts": dict((name, {"seed": value["kvm"]}) for name, value in hosts.items())}}))
    playbook = tmp_path / "seed.yml"
    playbook.write_text(u"- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.set_fact:\n"
                        u"        kvm: '{{ seed }}'\n        cacheable: true\n")
    env = dict(os.environ, ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache))
    subprocess.check_call([os.path.join(ansible_bin, "ansible-playbook"), "-i", str(seeds), str(playbook)], env=env,
                          stdout=subprocess.DEVNULL)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(u"\n".join(sorted(hosts)) + u"\n")
    groups = constructed_groups(ansible_bin, inventory, cache)

    def members(group):
        return groups.get(group, [])
    assert members("kvm_usable") == ["h-both", "h-root-only"]
    assert members("kvm_usable_by_nova") == ["h-both"]  # not h-broken: nova may open a node KVM does not answer
    assert members("kvm_usable_by_qemu") == ["h-both"]
    assert members("kvm_unusable") == ["h-broken"]
