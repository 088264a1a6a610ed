"""hyperfine in interleaved rounds: each round times every command once; the rounds are merged.

Usage: interleave.py ROUNDS WARMUP OUT.json NAME COMMAND [NAME COMMAND ...]

hyperfine runs one command's rounds back to back, so on a shared machine a slow minute lands on one
command. Here each round is one `hyperfine -N --runs 1` over all the commands, so drift falls on all of
them alike. OUT.json has hyperfine's shape: per command the median wall time of the rounds and the mean
user and system time (hyperfine's, of the command and the children it waited for).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def one_round(pairs):
    handle, path = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    command = ["hyperfine", "-N", "--runs", "1", "--ignore-failure", "--style", "none", "--export-json", path]
    for name, line in pairs:
        command += ["-n", name, line]
    try:
        with open(os.devnull, "wb") as devnull:
            subprocess.check_call(command, stdout=devnull, stderr=devnull)
        with open(path) as result:
            return dict((r["command"], r) for r in json.load(result)["results"])
    finally:
        os.unlink(path)


def main():
    rounds, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    pairs = list(zip(sys.argv[4::2], sys.argv[5::2]))
    samples = dict((name, []) for name, _line in pairs)
    for number in range(warmup + rounds):
        found = one_round(pairs)
        if number >= warmup:
            for name, _line in pairs:
                samples[name].append(found[name])
    results = []
    for name, _line in pairs:
        runs = samples[name]
        wall = [r["times"][0] for r in runs]
        results.append({"command": name, "median": statistics.median(wall), "mean": statistics.mean(wall),
                        "user": statistics.mean(r["user"] for r in runs),
                        "system": statistics.mean(r["system"] for r in runs), "times": wall,
                        "exit_codes": [r.get("exit_codes", [0])[0] for r in runs]})
    with open(out, "w") as handle:
        json.dump({"results": results, "rounds": rounds, "interleaved": True}, handle, indent=1)


if __name__ == "__main__":
    main()
