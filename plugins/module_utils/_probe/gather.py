# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe orchestrator: gather_subset in, ansible_facts.kvm out.

It runs the subsets of the registry (subsets.SUBSET_TABLE) in order over one context, which asks
the kernel once. Errors are values: the subsets return what they saw plus sentences a person can
act on; a gate's problem stops the subsets after it, which get their empty shape and its BLOCKS
sentence. Pure standard library, Python 3.6 to 3.13.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import resolve_models
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.qemu_release import parse_spec
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import reason
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.subsets import CORE_SUBSETS, SUBSETS, SUBSET_TABLE
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import SCHEMA_VERSION

DEFAULT_DEVICE = "/dev/kvm"
DEFAULT_TIMEOUT = 2.0


def resolve_subsets(spec):
    """Turn a gather_subset list into the ordered subsets to probe.

    Like setup: 'all', 'min' (the core), names, and '!name' to exclude.
    Raises ValueError naming the problem.
    """
    include, exclude = set(), set()
    for item in spec or ["all"]:
        item = str(item).strip()
        negate = item.startswith("!")
        name = item[1:] if negate else item
        if name == "all":
            names = SUBSETS
        elif name == "min":
            names = CORE_SUBSETS
        elif name in SUBSETS:
            names = (name,)
        else:
            raise ValueError("unknown gather_subset %r: choose from all, min, %s (prefix ! to exclude)"
                             % (item, ", ".join(SUBSETS)))
        if negate and name != "all" and set(names) & set(CORE_SUBSETS):
            raise ValueError("gather_subset %r cannot be excluded: %s always run, as `usable` depends on them"
                             % (item, ", ".join(CORE_SUBSETS)))
        (exclude if negate else include).update(names)
    if not include:
        include = set(SUBSETS)
    chosen = (include - exclude) | set(CORE_SUBSETS)
    return [name for name in SUBSETS if name in chosen]


def gather(spec=None, device=DEFAULT_DEVICE, timeout=DEFAULT_TIMEOUT, kernel=None, accounts=(), cpu_models=None,
           qemu_version=None, qemu_check=False):
    """Probe the host for a gather_subset `spec`. Returns the ansible_facts.kvm dict; never raises
    for a broken host. Raises ValueError, before touching anything, for an invalid spec, cpu_models
    (the QEMU models guest_cpu.models details: None or ['all'] for every one) or qemu_version
    (['auto'], the default, or QEMU releases). qemu_check starts the installed QEMU to compare its answer."""
    subsets = resolve_subsets(spec)
    releases = parse_spec(qemu_version)
    detail = resolve_models(cpu_models)
    if kernel is None:
        from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls
        kernel = Syscalls()
    ctx = ProbeContext(kernel, device, timeout, accounts, subsets, detail, releases, qemu_check)
    facts = ctx.facts
    facts.update(schema_version=SCHEMA_VERSION, gather_subset=list(subsets), usable=False, problems=[], errors=[])
    try:
        _run(ctx, facts, [entry for entry in SUBSET_TABLE if entry[0] in subsets])
    finally:
        ctx.close()
    facts["usable"] = not facts["problems"]
    facts["reasons"] = [reason(found) for found in facts["problems"]]
    facts["blocked"] = ctx.blocked
    return facts


def _run(ctx, facts, table):
    for index, (name, module, kind, _core) in enumerate(table):
        found, problems = module.probe(ctx)
        facts.update(found)
        if kind == "informational":
            facts["errors"].extend(problems)
            continue
        for found in problems:  # the judge finds a blocked subset's root cause by the subset that gave it
            found["subset"] = name
        facts["problems"].extend(problems)
        if kind == "gate" and problems:
            why = module.BLOCKS % {"device": ctx.device}
            for entry in table[index + 1:]:
                ctx.blocked[entry[0]] = {"by": name, "why": why}
                not_probed = getattr(entry[1], "not_probed", None)
                if not_probed is not None:
                    facts.update(not_probed(why))
            return
