# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every judge test asserts of a requirement whose facts were not gathered."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def assert_not_gathered(verdict, requirement, subset):
    """The requirement's checks are blocked by the missing subset, never failed with a remedy of their own; the
    one root cause names the subset and the fix; the host does not pass."""
    checks = [c for c in verdict["checks"] if c["requirement"] == requirement or c.get("family") == requirement]
    assert checks, requirement
    for item in checks:
        assert item["blocked_by"] == "!" + subset and item["message"].startswith("not judged: "), item
        assert "remedy" not in item, item
    causes = [c for c in verdict["root_causes"] if c["code"] == "facts.not_gathered" and c["subject"] == subset]
    assert len(causes) == 1, verdict["root_causes"]
    assert causes[0]["remedy"] == "add %r to gather_subset" % subset
    assert set(item["requirement"] for item in checks) <= set(causes[0]["blocks"])
    assert verdict["status"] == "fail" and causes[0]["message"] in verdict["failures"]
    return causes[0]
