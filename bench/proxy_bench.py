#!/usr/bin/env python3
"""What the companion's streaming proxy adds, measured from a client on
127.0.0.1. Standard library only.

Usage: proxy_bench.py [--quick] [--llama-url http://127.0.0.1:PORT/v1] > result.json

Three upstreams, each reached both directly and through `chimera serve`'s
POST /api/generate, with direct and proxied requests interleaved so that
both see the same machine load:

  latency    the Ollama stand-in's `standin/endless` model (a token every
             20 ms). Time to first token as the client sees it, from sending
             the request to receiving the first token line, and the gaps
             between tokens.
  relay      a stamping upstream (this script, run as a second process)
             that speaks Ollama's /api/chat and puts the CLOCK_MONOTONIC
             time at which it writes each token into the token's text. The
             client subtracts it from the time it receives the line, which
             gives each token's one-way latency: directly, the loopback and
             the client; through the companion, that plus the relay. The
             stand-in's tokens carry no time, so it cannot show this. These
             generations run to their final record (the stand-in's endless
             ones are cut by the client), as most real ones do.
  streams    200 concurrent `standin/endless` streams through the companion
             (and, for reference, directly), held open, twice, while the
             companion's RSS is sampled from /proc every 250 ms.
  real       with --llama-url, a few requests to the real llama.cpp server,
             directly (/v1/chat/completions) and through the companion's
             OpenAI backend.

Binaries come from $CARGO_TARGET_DIR/release (default target/release);
$CHIMERA_BIN and $STANDIN_BIN override them.
"""

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
CHIMERA = os.environ.get("CHIMERA_BIN", os.path.join(TARGET, "release", "chimera"))
STANDIN = os.environ.get("STANDIN_BIN", os.path.join(TARGET, "release", "ollama-standin"))


def now_ns():
    return time.monotonic_ns()


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# A small blocking HTTP/1.1 client that timestamps every line of a streamed
# body the moment the bytes ending it are received.


class LineStream:
    def __init__(self, url, path, body):
        match = re.match(r"http://([\d.]+):(\d+)", url)
        self.host, self.port = match.group(1), int(match.group(2))
        payload = json.dumps(body).encode()
        self.sock = socket.create_connection((self.host, self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                   f"Connection: close\r\n\r\n").encode() + payload
        self.sent_ns = now_ns()
        self.sock.sendall(request)
        self.raw = b""
        self.body = b""
        self.chunked = None
        self.done = False

    def _recv(self):
        data = self.sock.recv(65536)
        t = now_ns()
        if not data:
            self.done = True
        self.raw += data
        return t

    def _decode(self):
        """Moves decoded body bytes from self.raw into self.body."""
        if self.chunked is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.raw[:end].decode("latin-1")
            self.raw = self.raw[end + 4:]
            status = int(head.split(" ", 2)[1])
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {head.splitlines()[0]}")
            self.chunked = "transfer-encoding: chunked" in head.lower()
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
            return
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if size == 0:
                self.done = True
                return
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.body += self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 2 + size + 2:]

    def lines(self):
        """Yields (receive time in ns, line) until the stream ends."""
        while not self.done:
            t = self._recv()
            self._decode()
            while b"\n" in self.body:
                line, self.body = self.body.split(b"\n", 1)
                if line.strip():
                    yield t, line

    def close(self):
        self.sock.close()


def ollama_chat_body(model):
    return {"model": model, "messages": [{"role": "user", "content": "x"}], "stream": True}


def companion_body(backend, model, options=None):
    return {"backend": backend, "model": model, "prompt": "x", "options": options or {}}


def read_tokens(url, path, body, tokens, token_text, to_end=False):
    """Opens one stream, reads `tokens` token lines, closes it (or, with
    `to_end`, reads until the server ends the stream). Returns the send time
    and, per token, (receive time, its text)."""
    stream = LineStream(url, path, body)
    got = []
    try:
        for t, line in stream.lines():
            text = token_text(line)
            if text:
                got.append((t, text))
                if len(got) >= tokens and not to_end:
                    break
    finally:
        stream.close()
    if len(got) < tokens:
        raise RuntimeError(f"stream from {url}{path} ended after {len(got)} tokens")
    return stream.sent_ns, got


def ollama_text(line):
    value = json.loads(line)
    if "error" in value:
        raise RuntimeError(value["error"])
    return value.get("message", {}).get("content") or value.get("response") or None


def companion_text(line):
    value = json.loads(line)
    if value.get("type") == "error":
        raise RuntimeError(value["message"])
    return value.get("text") if value.get("type") == "delta" else None


def openai_text(line):
    if not line.startswith(b"data:"):
        return None
    data = line[5:].strip()
    if data == b"[DONE]":
        return None
    value = json.loads(data)
    choices = value.get("choices") or [{}]
    return choices[0].get("delta", {}).get("content") or None


# ---------------------------------------------------------------------------
# Processes.


def start(args, pattern, env=None):
    """Starts a process and waits for the stdout line that carries its URL."""
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**os.environ, **(env or {})}, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        match = re.search(pattern, line)
        if match:
            return child, match.group(1)
    child.kill()
    raise RuntimeError(f"{args[0]} did not start")


def stop(child):
    if child.poll() is None:
        child.send_signal(2)
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def start_companion(backends, max_concurrent=256):
    config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    for name, kind, url in backends:
        config.write(f'[[backend]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\n'
                     f"max_concurrent = {max_concurrent}\n\n")
    config.close()
    child, url = start([CHIMERA, "serve", "--listen", "127.0.0.1:0", "--web-dir",
                        os.path.join(ROOT, "dist"), "--config", config.name],
                       r"serving on (http://\S+)")
    os.unlink(config.name)
    return child, url


# ---------------------------------------------------------------------------
# The stamping upstream: Ollama's /api/chat, each token's text being the
# CLOCK_MONOTONIC nanoseconds at which it is written.


def serve_stamped(interval_ms):
    """Streams `options.num_predict` tokens (forever without it), then the
    final record; keeps connections alive like Ollama does. GET /stats
    answers how many connections and requests it has had, which shows
    whether the companion reuses its upstream connections."""
    stats = {"connections": 0, "requests": 0}

    async def handle(reader, writer):
        stats["connections"] += 1
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /stats"):
                    body = json.dumps(stats).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    await writer.drain()
                    continue
                stats["requests"] += 1
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                request = json.loads(await reader.readexactly(length))
                count = (request.get("options") or {}).get("num_predict")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                sent = 0
                while count is None or sent < count:
                    if sent:
                        await asyncio.sleep(interval_ms / 1000)
                    line = ('{"model":"stamped","created_at":"2025-10-08T12:27:00Z","message":'
                            '{"role":"assistant","content":"%d"},"done":false}\n' % now_ns()).encode()
                    writer.write(b"%x\r\n%s\r\n" % (len(line), line))
                    await writer.drain()
                    sent += 1
                line = ('{"model":"stamped","created_at":"2025-10-08T12:27:00Z","message":'
                        '{"role":"assistant","content":""},"done":true,"done_reason":"stop",'
                        '"eval_count":%d,"eval_duration":%d}\n' % (count, count * interval_ms * 1e6)).encode()
                writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(line), line))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(f"stamped upstream listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}",
              flush=True)
        await server.serve_forever()

    asyncio.run(main())


def stamped_stats(url):
    host, port = re.match(r"http://([\d.]+):(\d+)", url).groups()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"GET /stats HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        data = b""
        while not data.endswith(b"}"):
            data += sock.recv(4096)
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


# ---------------------------------------------------------------------------
# Statistics.


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def describe(values_ms):
    return {"n": len(values_ms), "p50": pct(values_ms, 50), "p90": pct(values_ms, 90),
            "p99": pct(values_ms, 99), "min": min(values_ms), "max": max(values_ms),
            "mean": statistics.fmean(values_ms)}


def added(direct, proxied):
    return {f"{k}_added_ms": proxied[k] - direct[k] for k in ("p50", "p99")}


# ---------------------------------------------------------------------------
# The benchmarks.


def latency_vs_standin(standin_url, companion_url, requests, tokens):
    """TTFT and token gaps, direct vs through the companion, interleaved."""
    # The companion's own TTFT figure (its first_token event): from just
    # before it sends the upstream request to the first token line. Set
    # beside the client's figures it splits the added time into the upstream
    # leg and the rest (accepting the request, relaying the token).
    reported = []

    def proxied_text(line):
        if b'"type":"first_token"' in line:
            reported.append(json.loads(line)["ttft_ms"])
        return companion_text(line)

    paths = {
        "direct": (standin_url, "/api/chat", ollama_chat_body("standin/endless"), ollama_text),
        "proxied": (companion_url, "/api/generate", companion_body("standin", "standin/endless"),
                    proxied_text),
    }
    ttft = {"direct": [], "proxied": []}
    gaps = {"direct": [], "proxied": []}
    # One of each first, to open the companion's connection pool and warm caches.
    for url, path, body, text in paths.values():
        read_tokens(url, path, body, 2, text)
    for i in range(requests):
        for name in (("direct", "proxied") if i % 2 == 0 else ("proxied", "direct")):
            url, path, body, text = paths[name]
            sent, got = read_tokens(url, path, body, tokens, text)
            ttft[name].append((got[0][0] - sent) / 1e6)
            gaps[name].extend((b[0] - a[0]) / 1e6 for a, b in zip(got, got[1:]))
    result = {name: {"ttft_ms": describe(ttft[name]), "token_gap_ms": describe(gaps[name])}
              for name in paths}
    result["ttft_added"] = added(result["direct"]["ttft_ms"], result["proxied"]["ttft_ms"])
    result["companion_reported_ttft_ms"] = describe(reported[-requests:])
    # The companion's own floor: a request naming no configured backend is
    # answered at once with one error line, without going upstream.
    floor = []
    for _ in range(requests):
        stream = LineStream(companion_url, "/api/generate", companion_body("nonexistent", "m"))
        try:
            t, _ = next(stream.lines())
        finally:
            stream.close()
        floor.append((t - stream.sent_ns) / 1e6)
    result["companion_floor_first_line_ms"] = describe(floor)
    result["token_gap_added"] = added(result["direct"]["token_gap_ms"], result["proxied"]["token_gap_ms"])
    result["requests_per_path"] = requests
    result["tokens_per_request"] = tokens
    return result


def relay_latency(stamped_url, companion_url, requests, tokens):
    """One-way latency of every token, from the upstream's write to the
    client's receive, direct vs through the companion. Each generation runs
    to its end (the upstream sends `tokens` tokens and its final record), as
    most do, so the companion may reuse its upstream connection."""
    options = {"num_predict": tokens}
    paths = {
        "direct": (stamped_url, "/api/chat", {**ollama_chat_body("stamped"), "options": options},
                   ollama_text),
        "proxied": (companion_url, "/api/generate", companion_body("stamped", "stamped", options),
                    companion_text),
    }
    first = {"direct": [], "proxied": []}
    later = {"direct": [], "proxied": []}
    ttft = {"direct": [], "proxied": []}
    for url, path, body, text in paths.values():
        read_tokens(url, path, body, tokens, text, to_end=True)
    before = stamped_stats(stamped_url)
    for i in range(requests):
        for name in (("direct", "proxied") if i % 2 == 0 else ("proxied", "direct")):
            url, path, body, text = paths[name]
            sent, got = read_tokens(url, path, body, tokens, text, to_end=True)
            one_way = [(t - int(stamp)) / 1e6 for t, stamp in got]
            first[name].append(one_way[0])
            later[name].extend(one_way[1:])
            ttft[name].append((got[0][0] - sent) / 1e6)
    after = stamped_stats(stamped_url)
    result = {name: {"first_token_one_way_ms": describe(first[name]),
                     "token_one_way_ms": describe(later[name]),
                     "ttft_ms": describe(ttft[name])} for name in paths}
    result["token_added"] = added(result["direct"]["token_one_way_ms"], result["proxied"]["token_one_way_ms"])
    result["ttft_added"] = added(result["direct"]["ttft_ms"], result["proxied"]["ttft_ms"])
    result["requests_per_path"] = requests
    result["tokens_per_request"] = tokens
    # The direct client opens one connection per request, and reading the
    # stats one more; the rest are the companion's. Fewer than `requests` means it reused connections.
    result["upstream_connections_opened_by_companion"] = (
        after["connections"] - before["connections"] - requests - 1)
    return result


async def hold_streams(url, path, body, count, hold_s, is_token, sample):
    """Opens `count` streams at once, holds them `hold_s` seconds, closes them.
    Returns per-stream token counts and gaps, and whether any was queued."""
    host, port = re.match(r"http://([\d.]+):(\d+)", url).groups()
    payload = json.dumps(body).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
    stats = {"tokens": [0] * count, "gaps": [], "queued": 0, "errors": [], "first": [None] * count}
    stop_at = [None]

    async def one(i):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(request)
        await writer.drain()
        last = None
        try:
            while stop_at[0] is None or time.monotonic() < stop_at[0]:
                line = await reader.readline()
                if not line:
                    stats["errors"].append(f"stream {i} ended")
                    return
                t = now_ns()
                if b'"type":"queued"' in line:
                    stats["queued"] += 1
                if is_token(line):
                    stats["tokens"][i] += 1
                    if last is not None and stop_at[0] is not None:
                        stats["gaps"].append((t - last) / 1e6)
                    elif stats["first"][i] is None:
                        stats["first"][i] = t
                    last = t
        finally:
            writer.close()

    started = time.monotonic()
    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    # Wait until every stream has its first token, then hold.
    while any(f is None for f in stats["first"]) and time.monotonic() - started < 30:
        await asyncio.sleep(0.05)
    ramp_s = time.monotonic() - started
    sample("ramped")
    stop_at[0] = time.monotonic() + hold_s
    await asyncio.gather(*tasks, return_exceptions=True)
    sample("closed")
    return {
        "streams": count,
        "all_started": all(f is not None for f in stats["first"]),
        "ramp_s": ramp_s,
        "hold_s": hold_s,
        "queued_events": stats["queued"],
        "errors": stats["errors"][:5],
        "tokens_per_stream": {"min": min(stats["tokens"]), "max": max(stats["tokens"]),
                              "median": statistics.median(stats["tokens"])},
        "token_gap_ms_during_hold": describe(stats["gaps"]) if stats["gaps"] else None,
    }


def concurrent_streams(standin_url, companion, count, hold_s, rounds):
    companion_child, companion_url = companion
    samples = []
    phase = ["idle"]

    def sample():
        samples.append({"t": time.monotonic(), "phase": phase[0],
                        "rss_kib": rss_kib(companion_child.pid)})

    async def sampler(stop):
        while not stop.is_set():
            sample()
            await asyncio.sleep(0.25)

    is_delta = lambda line: b'"type":"delta"' in line  # noqa: E731
    is_chat = lambda line: b'"content"' in line  # noqa: E731

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(sampler(stop))
        await asyncio.sleep(3)
        results = []
        for r in range(1, rounds + 1):
            phase[0] = f"ramp {r}"

            def mark(event, r=r):
                phase[0] = f"hold {r}" if event == "ramped" else f"after {r}"
                sample()

            results.append(await hold_streams(
                companion_url, "/api/generate", companion_body("standin", "standin/endless"),
                count, hold_s, is_delta, mark))
            await asyncio.sleep(5)
        stop.set()
        await task
        # For reference: the same streams straight from the stand-in, to see
        # what this machine and this client do without the companion.
        direct = await hold_streams(standin_url, "/api/chat", ollama_chat_body("standin/endless"),
                                    count, hold_s, is_chat, lambda _: None)
        return results, direct

    results, direct = asyncio.run(main())
    t0 = samples[0]["t"]
    for s in samples:
        s["t"] = round(s["t"] - t0, 3)
    rss = lambda name: [s["rss_kib"] for s in samples if s["phase"] == name]  # noqa: E731
    summary = {"idle_rss_kib": statistics.median(rss("idle"))}
    for r in range(1, rounds + 1):
        hold = [s for s in samples if s["phase"] == f"hold {r}"]
        xs = [s["t"] for s in hold]
        ys = [s["rss_kib"] for s in hold]
        summary[f"round_{r}"] = {
            "rss_kib_at_hold_start": ys[0],
            "rss_kib_at_hold_end": ys[-1],
            "rss_kib_max": max(rss(f"ramp {r}") + ys),
            "rss_slope_kib_per_s_during_hold":
                statistics.linear_regression(xs, ys).slope if len(hold) > 2 else None,
            "rss_kib_after_close": rss(f"after {r}")[-1],
        }
    return {"through_companion": results, "direct_reference": direct,
            "memory": summary, "samples": samples}


def real_model(llama_url, companion_url, requests, tokens):
    """TTFT from the real llama.cpp server, direct and through the companion."""
    body = {"model": "x", "messages": [{"role": "user", "content": "Say hello."}], "stream": True,
            "max_tokens": tokens, "temperature": 0}
    base = re.match(r"(http://[\d.]+:\d+)(.*)", llama_url)
    paths = {
        "direct": (base.group(1), base.group(2) + "/chat/completions", body, openai_text),
        "proxied": (companion_url, "/api/generate",
                    {"backend": "cpu", "model": "x", "prompt": "Say hello.",
                     "options": {"num_predict": tokens, "temperature": 0}}, companion_text),
    }
    ttft = {"direct": [], "proxied": []}
    for url, path, b, text in paths.values():
        read_tokens(url, path, b, 1, text)
    for i in range(requests):
        for name in (("direct", "proxied") if i % 2 == 0 else ("proxied", "direct")):
            url, path, b, text = paths[name]
            sent, got = read_tokens(url, path, b, 3, text)
            ttft[name].append((got[0][0] - sent) / 1e6)
    result = {name: {"ttft_ms": describe(ttft[name])} for name in paths}
    result["ttft_added"] = added(result["direct"]["ttft_ms"], result["proxied"]["ttft_ms"])
    result["requests_per_path"] = requests
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter holds")
    parser.add_argument("--llama-url", help="a llama.cpp server's /v1 root, for the real-model check")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent streams")
    parser.add_argument("--hold", type=float, help="seconds each round holds its streams (default 20)")
    parser.add_argument("--only", choices=["latency", "relay", "streams", "real"], action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--serve-stamped", type=float, metavar="INTERVAL_MS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_stamped:
        serve_stamped(args.serve_stamped)
        return

    quick = args.quick
    children = []
    try:
        standin, standin_url = start([STANDIN], r"listening on (http://\S+)")
        children.append(standin)
        stamped, stamped_url = start([sys.executable, os.path.abspath(__file__), "--serve-stamped", "10"],
                                     r"listening on (http://\S+)")
        children.append(stamped)
        backends = [("standin", "ollama", standin_url), ("stamped", "ollama", stamped_url)]
        if args.llama_url:
            backends.append(("cpu", "openai", args.llama_url))
        companion = start_companion(backends)
        children.append(companion[0])
        companion_url = companion[1]
        result = {"loadavg_start": os.getloadavg()}

        wanted = lambda part: not args.only or part in args.only  # noqa: E731
        if wanted("latency"):
            n = 20 if quick else 200
            log(f"latency: {n} requests per path, 20 tokens each, stand-in upstream")
            result["latency"] = latency_vs_standin(standin_url, companion_url, n, 20)
        if wanted("relay"):
            n = 20 if quick else 100
            log(f"relay: {n} requests per path, 30 tokens each to the end, stamping upstream")
            result["relay"] = relay_latency(stamped_url, companion_url, n, 30)
        if wanted("streams"):
            hold = args.hold or (5 if quick else 20)
            log(f"streams: {args.streams} concurrent streams, held {hold} s, {args.rounds} rounds")
            result["streams"] = concurrent_streams(standin_url, companion, args.streams, hold, args.rounds)
        if args.llama_url and wanted("real"):
            log("real: 5 requests per path to llama.cpp")
            result["real"] = real_model(args.llama_url, companion_url, 5, 20)
        result["loadavg_end"] = os.getloadavg()
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    finally:
        for child in reversed(children):
            stop(child)


if __name__ == "__main__":
    main()
