#!/usr/bin/env python3
"""The inventory benchmark: one large generated reports zip inventoried by
the native CLI, by the Python standard-library baseline, and by the page in
headless Chromium, each with the numbers inside the files read (as a
user reads a folder) and without (counts and content checks only, the work
the baseline does); the bundled example zip in the page; the page bundle's
size. Prints one JSON object on stdout.

Usage: inventory_bench.py BIG.zip [--runs N] [--example-runs N]

Native and Python runs are separate processes, timed from spawn to exit
(wall clock) with their peak RSS from wait4(2), each started from a small
helper process (see MEASURE). Output goes to /dev/null.
The browser part is bench/inventory_browser.mjs. $CHIMERA_BIN overrides
the CLI (default $CARGO_TARGET_DIR/release/chimera).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
CHIMERA = os.environ.get("CHIMERA_BIN", os.path.join(TARGET, "release", "chimera"))
# What the page loads: index.html and everything it pulls in.
BUNDLE = ["index.html", "boot.js", "chimera_web.js", "chimera_web_bg.wasm", "style.css", "favicon.svg"]
# The reader worker the page starts once it is up: fetched after the page,
# in the background; it reads every zip and folder, and renders reports.
READER = ["reader.js", "chimera_reader.js", "chimera_reader_bg.wasm"]


# Runs a command and prints its wall time and peak RSS. It runs in a small
# process of its own: Linux carries the parent's peak RSS over into a child's
# ru_maxrss through fork and exec, and this script holds big parsed JSON.
MEASURE = """
import os, subprocess, sys, time
with open(os.devnull, "wb") as null:
    started = time.perf_counter()
    child = subprocess.Popen(sys.argv[1:], stdout=null, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    print((time.perf_counter() - started) * 1000, usage.ru_maxrss, status)
"""


def timed(argv):
    """Runs argv with stdout to /dev/null; returns (wall ms, peak RSS KiB)."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *argv], check=True, capture_output=True,
                         text=True).stdout.split()
    wall, rss, status = float(out[0]), int(out[1]), int(out[2])
    if status != 0:
        raise RuntimeError(f"{argv} exited with status {status}")
    return wall, rss


def repeat(argv, runs):
    timed(argv)  # warm the page cache
    samples = [timed(argv) for _ in range(runs)]
    walls = [w for w, _ in samples]
    rss = [r for _, r in samples]
    return {"wall_ms": {"median": statistics.median(walls), "min": min(walls), "max": max(walls)},
            "peak_rss_kib": {"median": statistics.median(rss), "max": max(rss)},
            "runs": runs}


def bundle_sizes(names=BUNDLE):
    dist = os.path.join(ROOT, "dist")
    files = {}
    for name in names:
        raw = os.path.getsize(os.path.join(dist, name))
        br = os.path.join(dist, name + ".br")
        files[name] = {"raw": raw, "brotli": os.path.getsize(br) if os.path.exists(br) else None}
    return {"files": files,
            "total_raw": sum(f["raw"] for f in files.values()),
            "total_brotli": sum(f["brotli"] or f["raw"] for f in files.values())}


def same_counts(zip_path):
    """The CLI and the baseline must agree, or the comparison is unfair."""
    cli = json.loads(subprocess.run([CHIMERA, "inventory", "--json", zip_path], check=True,
                                    capture_output=True).stdout)
    py = json.loads(subprocess.run([sys.executable, os.path.join(BENCH, "python_baseline.py"), zip_path],
                                   check=True, capture_output=True).stdout)
    keys = lambda inv: {t: (s["count"], s["bytes"], s["latest_modified"]) for t, s in inv["by_type"].items()}  # noqa: E731
    return {"files": cli["files"], "problems": len(cli["problems"]), "junk": len(cli["junk"]),
            "cli_matches_python": cli["files"] == py["files"] and keys(cli) == keys(py)
            and len(cli["problems"]) == len(py["problems"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example-runs", type=int, default=15)
    args = parser.parse_args()

    result = {"zip": {"path": args.zip, "bytes": os.path.getsize(args.zip)},
              "loadavg_start": os.getloadavg()}
    print("native CLI ...", file=sys.stderr, flush=True)
    result["native"] = repeat([CHIMERA, "inventory", "--json", args.zip], args.runs)
    print("native CLI, counts only ...", file=sys.stderr, flush=True)
    result["native_counts_only"] = repeat([CHIMERA, "inventory", "--json", "--no-metrics", args.zip],
                                          args.runs)
    print("python baseline ...", file=sys.stderr, flush=True)
    result["python"] = repeat([sys.executable, os.path.join(BENCH, "python_baseline.py"), args.zip],
                              args.runs)
    print("browser ...", file=sys.stderr, flush=True)
    browser = subprocess.run(["node", os.path.join(BENCH, "inventory_browser.mjs"), "--zip", args.zip,
                              "--runs", str(args.runs), "--example-runs", str(args.example_runs)],
                             check=True, stdout=subprocess.PIPE, env={**os.environ, "CHIMERA_BIN": CHIMERA})
    result["browser"] = json.loads(browser.stdout)
    result["bundle"] = bundle_sizes()
    result["reader_bundle"] = bundle_sizes(READER)
    result["zip"].update(same_counts(args.zip))
    result["loadavg_end"] = os.getloadavg()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
