#!/usr/bin/env bash
# The kvm_facts payload of this checkout against that of an earlier revision, built and run as a host runs
# it, interleaved in one run (a benchmark, not a test: nothing here passes or fails on a number).
# Usage: bash tools/bench/payload_compare.sh REV [ROUNDS]     e.g. REV=HEAD~3, ROUNDS (default 30)
# Writes tools/bench/results/compare/ (payloads, sizes.json, runs.json) and prints sizes and medians.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

REV="${1:?usage: payload_compare.sh REV [ROUNDS]}"
ROUNDS="${2:-30}"
fc_apt hyperfine
fc_venv tools/requirements-audit.txt
fc_collection
OUT="$FC_ROOT/tools/bench/results/compare"
BEFORE="$OUT/before"
PYTHON=/usr/bin/python3  # the managed host's interpreter
rm -rf "$OUT" && mkdir -p "$BEFORE/src" "$BEFORE/collections"
git -C "$FC_ROOT" archive "$REV" | tar -x -C "$BEFORE/src"
(cd "$BEFORE/src" && "$FC_VENV/bin/ansible-galaxy" collection build --force --output-path "$BEFORE" >/dev/null)
"$FC_VENV/bin/ansible-galaxy" collection install --force -p "$BEFORE/collections" "$BEFORE"/fleetcheck-kvm-*.tar.gz >/dev/null
"$PYTHON" "$FC_ROOT/tools/bench/probe_cli.py" "$FC_COLLECTIONS" > "$OUT/facts.json"
for side in before after; do
  tree="$FC_COLLECTIONS"
  [ "$side" = before ] && tree="$BEFORE/collections"
  ANSIBLE_COLLECTIONS_PATH="$tree:$FC_ROOT/tools/bench/control" \
    "$FC_VENV/bin/python" "$FC_ROOT/tools/bench/payloads.py" "$OUT/$side" "$OUT/facts.json" > "$OUT/$side.json"
done
"$FC_VENV/bin/python" - "$OUT" <<'PY' | tee "$OUT/sizes.json"
import json, sys
out = sys.argv[1]
sides = dict((side, json.load(open("%s/%s.json" % (out, side)))) for side in ("before", "after"))
print(json.dumps(dict((name, {"before_bytes": sides["before"][name]["bytes"], "after_bytes": sides["after"][name]["bytes"],
                              "before_compile_ms": sides["before"][name]["compile_ms"],
                              "after_compile_ms": sides["after"][name]["compile_ms"]})
                      for name in ("kvm_facts_audit", "kvm_facts")), indent=1))
PY
"$PYTHON" "$FC_ROOT/tools/bench/interleave.py" "$ROUNDS" 3 "$OUT/runs.json" \
  "ping" "$PYTHON $OUT/before/payloads/ping.py" \
  "kvm_facts_audit before ($REV)" "$PYTHON $OUT/before/payloads/kvm_facts_audit.py" \
  "kvm_facts_audit after" "$PYTHON $OUT/after/payloads/kvm_facts_audit.py" \
  "kvm_facts before ($REV)" "$PYTHON $OUT/before/payloads/kvm_facts.py" \
  "kvm_facts after" "$PYTHON $OUT/after/payloads/kvm_facts.py"
"$FC_VENV/bin/python" -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%-40s median %6.1f ms  user+sys %6.1f ms" % (r["command"], r["median"] * 1000, (r["user"] + r["system"]) * 1000))
' "$OUT/runs.json"
