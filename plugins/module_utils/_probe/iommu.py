# SPDX-License-Identifier: GPL-3.0-or-later
"""The iommu subset: does the firmware describe an IOMMU, did the kernel enable it, how many groups,
and what the kernel command line asks of it, judged by the documented meaning of each parameter."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import CMDLINE, kernel_words

ACPI_TABLES_DIR = "/sys/firmware/acpi/tables"
IOMMU_CLASS_DIR = "/sys/class/iommu"
IOMMU_GROUPS_DIR = "/sys/kernel/iommu_groups"

# ACPI tables that describe an IOMMU: ACPI spec and the vendors' specifications.
IOMMU_ACPI_TABLES = {"DMAR": "Intel VT-d", "IVRS": "AMD-Vi", "IORT": "Arm SMMU", "VIOT": "virtio-iommu"}

# Source: Documentation/admin-guide/kernel-parameters.txt, Linux 6.1 (intel_iommu=, amd_iommu=, iommu=,
# iommu.passthrough=, iommu.strict=). (parameter, value) -> (effect, meaning). Effects: enable, disable,
# passthrough (host DMA identity-mapped; devices can still be assigned to VFIO), translate, other.
KERNEL_PARAMETERS_SOURCE = "Documentation/admin-guide/kernel-parameters.txt (Linux 6.1)"
KERNEL_PARAMETERS = {
    ("intel_iommu", "on"): ("enable", "enable the Intel IOMMU (VT-d DMA remapping)"),
    ("intel_iommu", "off"): ("disable", "disable the Intel IOMMU"),
    ("intel_iommu", "igfx_off"): ("other", "no DMA remapping for the integrated graphics"),
    ("intel_iommu", "forcedac"): ("other", "allow 64-bit DMA addresses without trying 32-bit first"),
    ("intel_iommu", "strict"): ("other", "deprecated: iommu.strict=1"),
    ("intel_iommu", "sp_off"): ("other", "no super pages in the IOMMU page tables"),
    ("intel_iommu", "sm_on"): ("other", "enable scalable mode if the hardware has it"),
    ("intel_iommu", "sm_off"): ("other", "disable scalable mode"),
    ("intel_iommu", "tboot_noforce"): ("other", "do not force the IOMMU on with tboot"),
    ("amd_iommu", "off"): ("disable", "do not initialize any AMD IOMMU"),
    ("amd_iommu", "force_isolation"): ("translate", "a separate translation domain for every device"),
    ("amd_iommu", "fullflush"): ("other", "deprecated: iommu.strict=1"),
    ("amd_iommu", "force_enable"): ("enable", "force the IOMMU on even where it is known to be broken"),
    ("amd_iommu", "pgtbl_v1"): ("other", "v1 page tables for DMA-API translation"),
    ("amd_iommu", "pgtbl_v2"): ("other", "v2 page tables for DMA-API translation"),
    ("iommu", "off"): ("disable", "x86: use no IOMMU at all (no_iommu)"),
    ("iommu", "force"): ("enable", "x86: force the IOMMU on"),
    ("iommu", "noforce"): ("other", "x86: do not force the IOMMU"),
    ("iommu", "pt"): ("passthrough", "x86: identity-map host DMA (iommu.passthrough=1)"),
    ("iommu", "nopt"): ("translate", "x86: translate host DMA (iommu.passthrough=0)"),
    ("iommu", "soft"): ("other", "x86: software bounce buffers (swiotlb)"),
    ("iommu", "nobypass"): ("translate", "powerpc: disable IOMMU bypass"),
    ("iommu.passthrough", "1"): ("passthrough", "bypass the IOMMU for host DMA"),
    ("iommu.passthrough", "0"): ("translate", "translate host DMA through the IOMMU"),
    ("iommu.strict", "1"): ("other", "invalidate IOTLB entries synchronously"),
    ("iommu.strict", "0"): ("other", "invalidate IOTLB entries lazily"),
}
# kstrtobool() spellings, for the boolean parameters.
BOOLEANS = {"1": "1", "y": "1", "yes": "1", "on": "1", "0": "0", "n": "0", "no": "0", "off": "0"}
PARAMETER_NAMES = ("intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict")


def parse_cmdline(text):
    """[(parameter, value)] of the IOMMU parameters, comma lists split, booleans normalized."""
    found = []
    for word in kernel_words(text):
        name, _sep, value = word.partition("=")
        if name not in PARAMETER_NAMES:
            continue
        if name in ("iommu.passthrough", "iommu.strict"):
            found.append((name, BOOLEANS.get(value.lower(), value)))
        else:
            found.extend((name, item) for item in value.split(",") if item)
    return found


def judge_cmdline(pairs):
    """({param=value: {effect, meaning}}, translation): the last effective word wins, as in the kernel."""
    judged, translation = [], "default"
    for name, value in pairs:
        effect, meaning = KERNEL_PARAMETERS.get((name, value), ("unknown", "not a documented value"))
        judged.append({"parameter": "%s=%s" % (name, value), "effect": effect, "meaning": meaning})
        if effect in ("enable", "disable", "passthrough", "translate"):
            translation = {"enable": "on", "disable": "off"}.get(effect, effect)
    return judged, translation


def probe(ctx):
    kernel = ctx.kernel
    facts = {"acpi_tables": [], "units": [], "groups": 0, "enabled": False, "cmdline": [],
             "translation": "default", "source": KERNEL_PARAMETERS_SOURCE, "reason": None}
    errors = []
    try:
        facts["acpi_tables"] = sorted(t for t in kernel.listdir(ACPI_TABLES_DIR) if t in IOMMU_ACPI_TABLES)
    except OSError:
        pass  # no ACPI (device-tree machines): the IOMMU class below still answers
    for key, directory in (("units", IOMMU_CLASS_DIR), ("groups", IOMMU_GROUPS_DIR)):
        try:
            names = sorted(kernel.listdir(directory))
        except OSError:
            names = []
        facts[key] = names if key == "units" else len(names)
    try:
        facts["cmdline"], facts["translation"] = judge_cmdline(parse_cmdline(kernel.read_text(CMDLINE)))
    except OSError as error:
        errors.append("%s: %s" % (CMDLINE, errno_text(error)))
    facts["enabled"] = bool(facts["units"]) or facts["groups"] > 0
    if not facts["enabled"]:
        facts["reason"] = _reason(facts)
    return {"iommu": facts}, errors


def _reason(facts):
    disabled = [c["parameter"] for c in facts["cmdline"] if c["effect"] == "disable"]
    if disabled:
        return ("no IOMMU is active: the kernel command line disables it (%s); remove %s and reboot"
                % (", ".join(disabled), " and ".join(disabled)))
    if not facts["acpi_tables"]:
        return ("no IOMMU is active and the firmware describes none (no DMAR, IVRS or IORT table under %s): "
                "enable VT-d / AMD-Vi (IOMMU) in the firmware setup" % ACPI_TABLES_DIR)
    table = facts["acpi_tables"][0]
    hint = {"DMAR": "add intel_iommu=on to the kernel command line", "IVRS": "remove amd_iommu=off or iommu=off"}
    return ("the firmware describes an IOMMU (%s, %s) but the kernel did not enable it (%s and %s are empty): %s, "
            "and reboot" % (table, IOMMU_ACPI_TABLES[table], IOMMU_CLASS_DIR, IOMMU_GROUPS_DIR,
                            hint.get(table, "check that the kernel has the IOMMU driver for it")))
