"""Serves the real SmolLM2-135M model with llama.cpp's own HTTP server.

Usage: llama_server.py MODEL.gguf PORT [--threads N] [--ctx N]
Prints "listening on http://127.0.0.1:PORT" once ready, then serves until
killed. Used by the tests and benchmarks as the OpenAI-compatible backend.
"""
import argparse
import signal
import sys
import time
import urllib.request

import xllamacpp

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("port", type=int)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--ctx", type=int, default=4096)
args = parser.parse_args()

params = xllamacpp.CommonParams()
params.model.path = args.model
params.hostnames = ["127.0.0.1"]
params.port = args.port
params.n_ctx = args.ctx
params.n_parallel = 1
params.cpuparams.n_threads = args.threads
params.cpuparams_batch.n_threads = args.threads
params.warmup = False
params.endpoint_metrics = True

server = xllamacpp.Server(params)
base = f"http://127.0.0.1:{args.port}"
deadline = time.monotonic() + 120
while True:
    try:
        with urllib.request.urlopen(base + "/health", timeout=2) as response:
            if response.status == 200:
                break
    except Exception:
        pass
    if time.monotonic() > deadline:
        sys.exit("llama.cpp server did not become healthy in 120 s")
    time.sleep(0.2)

print(f"listening on {base}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
