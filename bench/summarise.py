#!/usr/bin/env python3
"""Prints the benchmark figures beside their targets, from the JSON that
inventory_bench.py and proxy_bench.py wrote, and writes the same text to
bench/results/summary.md.

Usage: summarise.py RESULTS_DIR
"""

import json
import os
import sys


def load(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def verdict(ok):
    return "met" if ok else "MISSED"


def inventory_lines(inv):
    zip_mb = inv["zip"]["bytes"] / 1e6
    native = inv["native"]["wall_ms"]["median"]
    python = inv["python"]["wall_ms"]["median"]
    big = inv["browser"]["big_zip"]["summary"]
    page = big["page_ms"]["median"]
    shown = big["shown_ms"]["median"]
    painted = big["painted_ms"]["median"]
    native_rss = inv["native"]["peak_rss_kib"]["max"] * 1024 / 1e6
    python_rss = inv["python"]["peak_rss_kib"]["max"] * 1024 / 1e6
    renderer_peak = big["renderer_peak_kib"]["max"] * 1024 / 1e6
    renderer_growth = big["renderer_peak_growth_kib"]["max"] * 1024 / 1e6
    wasm = big["wasm_memory_bytes"]["max"] / 1e6
    reader_memory = big.get("reader_memory_bytes", {}).get("max", 0) / 1e6
    reader_bundle = inv.get("reader_bundle")
    example = inv["browser"]["example_zip"]["summary"]
    counts = inv["browser"]["big_zip"].get("counts_only_summary")
    native_counts = inv.get("native_counts_only", {}).get("wall_ms", {}).get("median")
    bundle = inv["bundle"]
    runs = inv["native"]["runs"]
    lines = [
        "## Inventory",
        "",
        f"Input: {inv['zip']['files']} files, {zip_mb:.1f} MB zip "
        f"(CLI and Python agree on the counts: {inv['zip']['cli_matches_python']}). "
        f"Medians of {runs} runs; load average {inv['loadavg_start'][0]:.2f} at the start.",
        "",
        "| measure | value | target | |",
        "| --- | ---: | --- | --- |",
        f"| native CLI, wall | {native:.0f} ms | | |",
        f"| Python baseline, wall | {python:.0f} ms | | |",
        f"| browser, page's own time | {page:.0f} ms | | |",
        f"| browser, pick to inventory in DOM | {shown:.0f} ms | | |",
        f"| browser, pick to painted | {painted:.0f} ms | | |",
        f"| browser vs Python (page time) | {python / page:.2f}x faster | >= 2x | {verdict(python / page >= 2)} |",
        f"| browser vs native (page time) | {page / native:.2f}x the native time | <= 1.5x | {verdict(page / native <= 1.5)} |",
        f"| native peak RSS | {native_rss:.1f} MB = {native_rss / zip_mb:.2f}x zip | <= 3x | {verdict(native_rss <= 3 * zip_mb)} |",
        f"| Python peak RSS | {python_rss:.1f} MB = {python_rss / zip_mb:.2f}x zip | | |",
        f"| renderer peak RSS growth during the load | {renderer_growth:.1f} MB = {renderer_growth / zip_mb:.2f}x zip | <= 3x | {verdict(renderer_growth <= 3 * zip_mb)} |",
        f"| renderer peak RSS, absolute | {renderer_peak:.1f} MB = {renderer_peak / zip_mb:.2f}x zip | | |",
        f"| WebAssembly memory after the load: page / reader worker | {wasm:.1f} MB / {reader_memory:.1f} MB | | |",
        f"| example zip, pick to inventory in DOM (median of {len(inv['browser']['example_zip']['runs'])}) | "
        f"{example['shown_ms']['median']:.0f} ms | <= 100 ms | {verdict(example['shown_ms']['median'] <= 100)} |",
        f"| example zip, pick to painted | {example['painted_ms']['median']:.0f} ms | | |",
        f"| example zip, page's own time | {example['page_ms']['median']:.0f} ms | | |",
        f"| page bundle, brotli | {bundle['total_brotli']:,} bytes | <= 350 KB | {verdict(bundle['total_brotli'] <= 350_000)} |",
        *([f"| reader worker, brotli (fetched after the page) | {reader_bundle['total_brotli']:,} bytes | | |"]
          if reader_bundle else []),
        f"| longest main-thread task, big zip | {big['longest_task_ms']['median']:.0f} ms "
        f"({big['longest_task_ms']['min']:.0f}-{big['longest_task_ms']['max']:.0f}) | <= 100 ms | "
        f"{verdict(big['longest_task_ms']['max'] <= 100)} |",
    ]
    if counts and native_counts:
        counts_page = counts["page_ms"]["median"]
        lines += [
            f"| counts only (numbers not read): native CLI | {native_counts:.0f} ms | | |",
            f"| counts only: page's own time | {counts_page:.0f} ms | | |",
            f"| counts only: browser vs Python | {python / counts_page:.2f}x faster | >= 2x | "
            f"{verdict(python / counts_page >= 2)} |",
            f"| counts only: browser vs native | {counts_page / native_counts:.2f}x | <= 1.5x | "
            f"{verdict(counts_page / native_counts <= 1.5)} |",
            f"| extraction's cost, page: with / counts only | {page / counts_page:.2f}x | <= 1.5x | "
            f"{verdict(page / counts_page <= 1.5)} |",
            f"| extraction's cost, native: with / counts only | {native / native_counts:.2f}x | <= 1.5x | "
            f"{verdict(native / native_counts <= 1.5)} |",
            f"| counts only: longest main-thread task | {counts['longest_task_ms']['median']:.0f} ms | <= 100 ms | "
            f"{verdict(counts['longest_task_ms']['max'] <= 100)} |",
        ]
    lines.append("")
    return lines


def proxy_lines(proxy):
    lat = proxy["latency"]
    relay = proxy["relay"]
    streams = proxy["streams"]
    mem = streams["memory"]
    rounds = [k for k in mem if k.startswith("round_")]
    lines = [
        "## Companion proxy",
        "",
        f"Load average {proxy['loadavg_start'][0]:.2f} at the start.",
        "",
        "| measure | direct | through companion | added | target | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    d, p, a = lat["direct"]["ttft_ms"], lat["proxied"]["ttft_ms"], lat["ttft_added"]
    lines += [
        f"| TTFT p50, stand-in, {lat['requests_per_path']} req | {d['p50']:.3f} ms | {p['p50']:.3f} ms | "
        f"{a['p50_added_ms']:.3f} ms | <= 0.5 ms | {verdict(a['p50_added_ms'] <= 0.5)} |",
        f"| TTFT p99, stand-in | {d['p99']:.3f} ms | {p['p99']:.3f} ms | {a['p99_added_ms']:.3f} ms | <= 2 ms | "
        f"{verdict(a['p99_added_ms'] <= 2)} |",
    ]
    d, p, a = relay["direct"]["ttft_ms"], relay["proxied"]["ttft_ms"], relay["ttft_added"]
    lines += [
        f"| TTFT p50, generations run to the end, {relay['requests_per_path']} req | {d['p50']:.3f} ms | "
        f"{p['p50']:.3f} ms | {a['p50_added_ms']:.3f} ms | <= 0.5 ms | {verdict(a['p50_added_ms'] <= 0.5)} |",
        f"| TTFT p99, generations run to the end | {d['p99']:.3f} ms | {p['p99']:.3f} ms | "
        f"{a['p99_added_ms']:.3f} ms | <= 2 ms | {verdict(a['p99_added_ms'] <= 2)} |",
    ]
    d, p, a = relay["direct"]["token_one_way_ms"], relay["proxied"]["token_one_way_ms"], relay["token_added"]
    lines += [
        f"| per-token one-way latency p50 ({d['n']} tokens) | {d['p50']:.3f} ms | {p['p50']:.3f} ms | "
        f"{a['p50_added_ms']:.3f} ms | <= 0.2 ms | {verdict(a['p50_added_ms'] <= 0.2)} |",
        f"| per-token one-way latency p99 | {d['p99']:.3f} ms | {p['p99']:.3f} ms | {a['p99_added_ms']:.3f} ms | | |",
    ]
    if "companion_floor_first_line_ms" in lat:
        floor = lat["companion_floor_first_line_ms"]
        lines.append(f"| companion floor (no upstream), first line p50 / p99 | | "
                     f"{floor['p50']:.3f} / {floor['p99']:.3f} ms | | | |")
    if "companion_reported_ttft_ms" in lat:
        own = lat["companion_reported_ttft_ms"]
        lines.append(f"| companion's own TTFT (upstream leg) p50 / p99 | | "
                     f"{own['p50']:.3f} / {own['p99']:.3f} ms | | | |")
    d, p = lat["direct"]["token_gap_ms"], lat["proxied"]["token_gap_ms"]
    lines += [
        f"| gap between tokens p50 / p99 (stand-in: 20 ms) | {d['p50']:.2f} / {d['p99']:.2f} ms | "
        f"{p['p50']:.2f} / {p['p99']:.2f} ms | | | |",
        "",
        f"Upstream connections the companion opened for {relay['requests_per_path']} finished generations: "
        f"{relay['upstream_connections_opened_by_companion']}.",
        "",
    ]
    if "real" in proxy:
        real = proxy["real"]
        d, p, a = real["direct"]["ttft_ms"], real["proxied"]["ttft_ms"], real["ttft_added"]
        lines += [
            f"Real model (llama.cpp, SmolLM2-135M, 1 thread), {real['requests_per_path']} requests per path: "
            f"TTFT p50 {d['p50']:.1f} ms direct, {p['p50']:.1f} ms through the companion "
            f"({a['p50_added_ms']:+.1f} ms).",
            "",
        ]
    first = streams["through_companion"][0]
    lines += [
        f"### {first['streams']} concurrent streams (stand-in, a token every 20 ms), held {first['hold_s']} s, "
        f"{len(rounds)} rounds",
        "",
        "| round | all started | queued | errors | tokens/stream (min-max) | gap p50 / p99 | "
        "RSS hold start -> end | slope during hold | RSS after close |",
        "| --- | --- | ---: | ---: | --- | --- | --- | ---: | ---: |",
    ]
    for i, (run, key) in enumerate(zip(streams["through_companion"], rounds), 1):
        m = mem[key]
        gap = run["token_gap_ms_during_hold"]
        lines.append(
            f"| {i} | {run['all_started']} | {run['queued_events']} | {len(run['errors'])} | "
            f"{run['tokens_per_stream']['min']}-{run['tokens_per_stream']['max']} | "
            f"{gap['p50']:.1f} / {gap['p99']:.1f} ms | {m['rss_kib_at_hold_start'] / 1024:.1f} -> "
            f"{m['rss_kib_at_hold_end'] / 1024:.1f} MiB | {m['rss_slope_kib_per_s_during_hold']:.1f} KiB/s | "
            f"{m['rss_kib_after_close'] / 1024:.1f} MiB |")
    ref = streams["direct_reference"]
    gap = ref["token_gap_ms_during_hold"]
    lines += [
        f"| direct (reference) | {ref['all_started']} | | {len(ref['errors'])} | "
        f"{ref['tokens_per_stream']['min']}-{ref['tokens_per_stream']['max']} | "
        f"{gap['p50']:.1f} / {gap['p99']:.1f} ms | | | |",
        "",
        f"Companion RSS idle before: {mem['idle_rss_kib'] / 1024:.1f} MiB.",
        "",
    ]
    return lines


def main():
    directory = sys.argv[1]
    lines = ["# Benchmark results", ""]
    inv = load(directory, "inventory.json")
    if inv:
        lines += inventory_lines(inv)
    proxy = load(directory, "proxy.json")
    if proxy:
        lines += proxy_lines(proxy)
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(directory, "summary.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
