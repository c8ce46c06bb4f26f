#!/usr/bin/env python3
"""Writes a large, realistic, reproducible reports zip for the inventory
benchmark.

Usage: make_reports_zip.py OUT.zip [--seed N] [--scale F]

The layout follows a real local-LLM benchmark folder (see the example in
assets/examples/): per-run folders under reports/ with a runs CSV and a
summary JSON, long Markdown technical reports, parameter sweeps and
baselines under csv_data/, and per-run metrics, logs and binary profiler
captures under artifacts/. A few files are broken the way real ones are
(truncated JSON, a CSV saved as UTF-16, a ragged CSV) and a few are OS junk,
so the benchmark also exercises the problem paths.

With the default scale it holds about 22,000 files and 130 MB uncompressed.
The same seed gives a byte-identical zip: every time stamp is fixed, entries
carry an Info-ZIP extended timestamp like zips made on Linux and macOS, and
only Python's standard library (zlib deflate, level 6) is used.
"""

import argparse
import hashlib
import io
import json
import random
import struct
import sys
import zipfile

MODELS = [
    "llama3.1-8b-q4_k_m", "llama3.1-8b-q5_k_m", "llama3.2-3b-q4_0", "gemma3-1b-it-qat",
    "gemma3-270m", "gemma3-4b-q4_k_m", "qwen2.5-7b-q4_k_m", "qwen2.5-0.5b-q8_0",
    "mistral-7b-q4_k_m", "phi3.5-mini-q4_k_m", "smollm2-135m-q4_1", "deepseek-r1-1.5b-q4_k_m",
]
AREAS = ["ollama", "llama3", "gemma3", "qwen", "profiling", "quantization", "compilation",
         "integration", "diagnostics", "kernel_optimization"]
PROMPTS = ["summarise", "code-review", "long-context", "chat", "json-extract", "translate",
           "reasoning", "rag-answer"]
WORDS = ("the model throughput latency tokens per second prompt evaluation decode "
         "quantization cache batch context window kernel memory bandwidth GPU CPU "
         "layer offload warm cold start variance median percentile baseline regression "
         "improvement run sweep parameter temperature sampling eval duration load "
         "observed expected result table figure section appendix method setup").split()

# 2025-01-01T00:00:00Z; every time stamp falls in the following year.
EPOCH_START = 1735689600
YEAR_S = 365 * 24 * 3600


class Writer:
    """Adds entries with fixed times and an extended-timestamp extra field."""

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                                   compresslevel=6)
        self.dirs = set()
        self.files = 0
        self.bytes = 0

    def _info(self, name, mtime):
        import time
        info = zipfile.ZipInfo(name, date_time=time.gmtime(mtime)[:6])
        # Info-ZIP's "UT" field: flags=1 (mtime present), mtime as u32.
        info.extra = struct.pack("<HHBI", 0x5455, 5, 1, mtime)
        info.create_system = 3  # Unix
        info.external_attr = (0o40755 << 16) | 0x10 if name.endswith("/") else 0o100644 << 16
        return info

    def add(self, name, data, mtime):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i]) + "/"
            if folder not in self.dirs:
                self.dirs.add(folder)
                info = self._info(folder, mtime)
                info.compress_type = zipfile.ZIP_STORED
                self.zip.writestr(info, b"")
        if isinstance(data, str):
            data = data.encode("utf-8")
        info = self._info(name, mtime)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data, compresslevel=6)
        self.files += 1
        self.bytes += len(data)

    def close(self):
        self.zip.close()


def stamp(rng):
    return EPOCH_START + rng.randrange(YEAR_S)


def run_id(t):
    import time
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(t))


def runs_csv(rng, model, rows):
    out = io.StringIO()
    out.write("run,prompt,model,num_gpu,num_ctx,temperature,prompt_tokens,eval_tokens,"
              "ttft_ms,prompt_eval_ms,eval_ms,tokens_per_s,total_ms,vram_mb,status\n")
    for i in range(rows):
        prompt_tokens = rng.randrange(20, 4000)
        eval_tokens = rng.randrange(16, 1024)
        tps = rng.uniform(8, 180)
        eval_ms = eval_tokens / tps * 1000
        pe_ms = prompt_tokens / rng.uniform(200, 4000) * 1000
        ttft = pe_ms + rng.uniform(5, 80)
        out.write(f"{i},{rng.choice(PROMPTS)},{model},{rng.choice([0, 20, 33, 99])},"
                  f"{rng.choice([2048, 4096, 8192])},{rng.choice([0, 0.2, 0.7, 1.0])},"
                  f"{prompt_tokens},{eval_tokens},{ttft:.2f},{pe_ms:.2f},{eval_ms:.2f},"
                  f"{tps:.3f},{ttft + eval_ms:.2f},{rng.randrange(300, 24000)},"
                  f"{'ok' if rng.random() > 0.03 else 'timeout'}\n")
    return out.getvalue()


def sweep_csv(rng, rows):
    out = io.StringIO()
    out.write("model,quant,num_gpu,num_ctx,batch,threads,temperature,top_p,repeat,"
              "tokens_per_s_mean,tokens_per_s_p50,tokens_per_s_p95,ttft_ms_mean,"
              "ttft_ms_p95,mem_peak_mb,notes\n")
    for _ in range(rows):
        mean = rng.uniform(5, 200)
        out.write(f"{rng.choice(MODELS)},{rng.choice(['q4_0', 'q4_k_m', 'q5_k_m', 'q8_0', 'f16'])},"
                  f"{rng.randrange(0, 100)},{rng.choice([1024, 2048, 4096, 8192, 16384])},"
                  f"{rng.choice([128, 256, 512])},{rng.randrange(1, 17)},"
                  f"{rng.uniform(0, 1.2):.2f},{rng.uniform(0.8, 1):.2f},{rng.randrange(1, 6)},"
                  f"{mean:.3f},{mean * rng.uniform(0.95, 1.05):.3f},{mean * rng.uniform(1, 1.2):.3f},"
                  f"{rng.uniform(20, 900):.2f},{rng.uniform(40, 2000):.2f},"
                  f"{rng.randrange(400, 30000)},\"{' '.join(rng.choices(WORDS, k=rng.randrange(0, 6)))}\"\n")
    return out.getvalue()


def summary_json(rng, model, t):
    runs = rng.randrange(10, 60)
    return json.dumps({
        "model": model, "started_at": t, "runs": runs,
        "prompts": {p: {"runs": rng.randrange(1, 10), "tokens_per_s_mean": round(rng.uniform(8, 180), 3),
                        "ttft_ms_p50": round(rng.uniform(20, 800), 2)}
                    for p in rng.sample(PROMPTS, 4)},
        "environment": {"ollama": "0.12.3", "gpu": rng.choice(["RTX 4090", "RTX 3060", "none"]),
                        "driver": "560.35", "cpu_threads": rng.choice([8, 16, 32])},
    }, indent=2)


def metrics_json(rng, model):
    samples = rng.randrange(20, 120)
    return json.dumps({
        "model": model,
        "samples": [{"t_ms": i * 250, "gpu_util": round(rng.uniform(0, 100), 1),
                     "vram_mb": rng.randrange(300, 24000), "tokens": rng.randrange(0, 64)}
                    for i in range(samples)],
        "totals": {"eval_count": rng.randrange(100, 50000), "eval_duration_ns": rng.randrange(10**9, 10**12)},
    })


def baseline_json(rng):
    return json.dumps({
        "baseline": rng.choice(["demo", "inference", "comprehensive", "test"]),
        "system": {"os": "Linux 6.8", "python": "3.11.9", "ram_gb": rng.choice([16, 32, 64])},
        "results": [{"model": rng.choice(MODELS), "tokens_per_s": round(rng.uniform(5, 200), 2),
                     "latency_ms": round(rng.uniform(50, 3000), 1)} for _ in range(rng.randrange(5, 30))],
    }, indent=2)


def markdown(rng, title, paragraphs):
    out = [f"# {title}\n\n"]
    for p in range(paragraphs):
        if p % 6 == 0:
            out.append(f"## Section {p // 6 + 1}\n\n")
        out.append(" ".join(rng.choices(WORDS, k=rng.randrange(40, 140))).capitalize() + ".\n\n")
        if p % 9 == 4:
            out.append("| model | tokens/s | TTFT ms |\n| --- | ---: | ---: |\n")
            for _ in range(rng.randrange(3, 10)):
                out.append(f"| {rng.choice(MODELS)} | {rng.uniform(5, 200):.1f} | {rng.uniform(20, 900):.0f} |\n")
            out.append("\n")
    return "".join(out)


def log_text(rng, lines):
    return "".join(f"[{i:06d}] level={rng.choice(['INFO', 'INFO', 'DEBUG', 'WARN'])} "
                   f"{' '.join(rng.choices(WORDS, k=rng.randrange(4, 14)))}\n" for i in range(lines))


def build(path, seed, scale):
    rng = random.Random(seed)
    w = Writer(path)
    n = lambda count: max(1, int(count * scale))  # noqa: E731

    # reports/<area>/<model>/<run>/: the per-run CSV and summary.
    for _ in range(n(4000)):
        model, t = rng.choice(MODELS), stamp(rng)
        folder = f"reports/{rng.choice(AREAS)}/{model}/{run_id(t)}-{rng.randrange(1000):03d}"
        w.add(f"{folder}/prompt_suite_runs.csv", runs_csv(rng, model, rng.randrange(10, 60)), t)
        w.add(f"{folder}/prompt_suite_summary.json", summary_json(rng, model, t), t)
    # reports/: long technical reports and short summaries.
    for i in range(n(1000)):
        area, t = rng.choice(AREAS), stamp(rng)
        paragraphs = rng.randrange(40, 160) if i % 10 == 0 else rng.randrange(3, 25)
        w.add(f"reports/{area}/Technical_Report_{i:04d}.md",
              markdown(rng, f"Technical report {i}", paragraphs), t)
    # csv_data/: sweeps, a few very large ones, and baselines.
    for i in range(n(3000)):
        w.add(f"csv_data/sweeps/param_sweep_{i:05d}.csv", sweep_csv(rng, rng.randrange(20, 80)), stamp(rng))
    for i in range(n(10)):
        w.add(f"csv_data/full_sweep_{i:02d}.csv", sweep_csv(rng, 14000), stamp(rng))
    for i in range(n(3000)):
        t = stamp(rng)
        w.add(f"csv_data/baselines/baseline_{t}_{i:05d}.json", baseline_json(rng), t)
    # artifacts/<run>/: metrics, logs, profiler captures (incompressible).
    for i in range(n(4000)):
        model, t = rng.choice(MODELS), stamp(rng)
        folder = f"artifacts/{run_id(t)}-{i:05d}"
        w.add(f"{folder}/metrics.json", metrics_json(rng, model), t)
        if i % 4 == 0:
            w.add(f"{folder}/run.log", log_text(rng, rng.randrange(20, 120)), t)
        if i % 7 == 0:
            w.add(f"{folder}/profile.ncu-rep", rng.randbytes(rng.randrange(8_000, 40_000)), t)

    # Broken files, as real folders have them.
    t = stamp(rng)
    for i in range(n(20)):
        w.add(f"artifacts/broken/metrics_{i:03d}.json", metrics_json(rng, "x")[:-rng.randrange(2, 40)], t)
    for i in range(n(5)):
        w.add(f"reports/profiling/ncu_summary_{i}.csv",
              "\ufeff==ERROR== profiling failed\r\n".encode("utf-16-le"), t)
    w.add("csv_data/ragged.csv", "a,b,c\n1,2,3\n4,5\n", t)
    # OS junk.
    w.add("__MACOSX/reports/._README.md", rng.randbytes(4096), t)
    w.add("reports/.DS_Store", rng.randbytes(6148), t)
    w.add("reports/README.md", markdown(rng, "Reports", 6), t)
    w.close()
    return w.files, w.bytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies every file count (1.0: about 22,000 files)")
    args = parser.parse_args()
    files, raw = build(args.out, args.seed, args.scale)
    with open(args.out, "rb") as f:
        data = f.read()
    print(json.dumps({"path": args.out, "files": files, "uncompressed_bytes": raw,
                      "zip_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "seed": args.seed, "scale": args.scale}))


if __name__ == "__main__":
    sys.exit(main())
