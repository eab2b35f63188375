"""Benchmark the HTTP server: requests/s and p50/p99 latency of predict and complete under 1, 10
and 50 concurrent clients on loopback, and the server's memory.

    python bench/bench_server.py                      # books o5 model, trained here in ~1 s
    python bench/bench_server.py --setups 2x1,2x2     # THREADSxWORKERS setups to compare
    python bench/bench_server.py --model books.ntp --markdown bench/SERVER_RESULTS.md

What runs where: the model is trained from /work/shared/kenlm/books_head90.txt (order 5) and saved
to a temporary file; a child process loads it (memory-mapped, as `ntp serve -m` does) and serves
it with uvicorn on 127.0.0.1; this process is the load generator. The clients are asyncio tasks
speaking raw HTTP/1.1 with keep-alive (one connection each), so the client costs little CPU; it
still shares the machine's cores with the server, which is what loopback measurements mean.

Baselines measured in the same run, for the ratios printed:
- the same model call made directly in this process (no HTTP): what the server adds on top;
- GET /health under the same load: what the HTTP stack alone can do (no model work).
Prompts are prefixes of held-out sentences (books_tail10.txt), the same sequence for every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import shown_command

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TRAIN = SHARED / "kenlm" / "books_head90.txt"
HELD_OUT = SHARED / "kenlm" / "books_tail10.txt"
HOST = "127.0.0.1"


# ---- the server child -----------------------------------------------------------------------


def serve_child(model_path: str, port: int, threads: int, workers: int) -> None:
    from next_token.language_model import LanguageModel
    from next_token.server import serve

    serve(LanguageModel.load(model_path), host=HOST, port=port, log_level="warning", model_threads=threads,
          workers=workers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB of a server process and all its descendants (uvicorn's workers).

    RSS counts the memory-mapped model's pages once per process that touched them; PSS divides
    shared pages among the processes sharing them, so its sum is the memory really used.
    """
    rss = pss = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        todo.extend(_children(p))
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Rss":
                    rss += int(value.split()[0]) / 1024
                elif key == "Pss":
                    pss += int(value.split()[0]) / 1024
        except OSError:
            pass
    return rss, pss


class Server:
    def __init__(self, model_path: str, threads: int, workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", model_path, "--port", str(self.port), "--setups",
             f"{threads}x{workers}"])
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---- the load generator -----------------------------------------------------------------------


async def _request(reader, writer, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    writer.write(head + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _load(port: int, requests: list[tuple[str, str, bytes]], concurrency: int, probe: bool = False):
    """Send `requests` with `concurrency` clients; return (latencies, wall time, errors, probe latencies).

    With `probe`, one more client asks GET /health every 10 ms while the load runs: how long a
    cheap request waits behind the model's work (the event loop's responsiveness).
    """
    queue = iter(requests)
    latencies: list[float] = []
    probes: list[float] = []
    errors = 0
    finished = asyncio.Event()

    async def client():
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for method, path, body in queue:
                t0 = time.perf_counter()
                status, _ = await _request(reader, writer, method, path, body)
                latencies.append(time.perf_counter() - t0)
                errors += status != 200
        finally:
            writer.close()

    async def prober():
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while not finished.is_set():
                t0 = time.perf_counter()
                await _request(reader, writer, "GET", "/health", b"")
                probes.append(time.perf_counter() - t0)
                await asyncio.sleep(0.01)
        finally:
            writer.close()

    t0 = time.perf_counter()
    probe_task = asyncio.create_task(prober()) if probe else None
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    finished.set()
    if probe_task:
        await probe_task
    return latencies, wall, errors, probes


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def run_load(port, requests, concurrency, probe=False) -> tuple[list[float], float, int, list[float]]:
    """One measured run after a short warm-up: (latencies in s, requests/s, errors, probe latencies)."""
    asyncio.run(_load(port, requests[: min(len(requests), 50)], concurrency))  # warm up connections and caches
    latencies, wall, errors, probes = asyncio.run(_load(port, requests, concurrency, probe))
    return latencies, len(latencies) / wall, errors, probes


# ---- the benchmark --------------------------------------------------------------------------


def prompts(n: int, seed: int = 0) -> list[str]:
    """Prefixes (1 to 8 tokens) of held-out sentences, detokenized as a person would type them."""
    from next_token.text.tokenizer import get_tokenizer

    detokenize = get_tokenizer("word").detokenize

    rng = random.Random(seed)
    lines = [ln.split() for ln in HELD_OUT.read_text(encoding="utf-8").splitlines() if len(ln.split()) >= 3]
    out = []
    for _ in range(n):
        toks = rng.choice(lines)
        out.append(detokenize(toks[: rng.randint(1, min(8, len(toks) - 1))]))
    return out


def direct_ms(fn, args_list) -> tuple[float, float]:
    """(p50, mean) of calling the model in this process, in ms."""
    times = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), 1e3 * statistics.fmean(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="a saved model file (default: train books_head90.txt, order 5)")
    ap.add_argument("--concurrency", default="1,10,50")
    ap.add_argument("--setups", default="0x1,1x1,2x1,4x1,2x2",
                    help="server setups to compare, THREADSxWORKERS: model threads per lane of each process (0 = inline "
                         "on the event loop) and worker processes")
    ap.add_argument("--predict-requests", type=int, default=1000, help="per run")
    ap.add_argument("--complete-requests", type=int, default=300, help="per run")
    ap.add_argument("--repeats", type=int, default=3, help="runs per cell, settings taking turns")
    ap.add_argument("--complete-tokens", type=int, default=20)
    ap.add_argument("--markdown", help="also write the results as a Markdown section to this file")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    setups = [tuple(int(v) for v in spec.split("x")) for spec in args.setups.split(",")]
    if args.serve:
        serve_child(args.serve, args.port, *setups[0])
        return

    if not (TRAIN.exists() and HELD_OUT.exists()):
        sys.exit(f"needs {TRAIN} and {HELD_OUT}")
    from next_token.language_model import LanguageModel

    tmp = tempfile.TemporaryDirectory(prefix="ntp-bench-server-")
    if args.model:
        model_path = args.model
        lm = LanguageModel.load(model_path)
    else:
        t0 = time.perf_counter()
        lm = LanguageModel.train([str(TRAIN)], order=5)
        model_path = os.path.join(tmp.name, "books_o5.ntp")
        lm.save(model_path)
        print(f"trained books_head90 o5 in {time.perf_counter() - t0:.2f} s")
    info = lm.info()
    size_mb = os.path.getsize(model_path) / 2**20
    print(f"model: order {info['order']}, vocabulary {info['vocab_size']:,}, n-grams {sum(info['ngrams']):,}, "
          f"file {size_mb:.1f} MB")

    texts = prompts(max(args.predict_requests, args.complete_requests))
    k = 10
    predict_reqs = [("POST", "/api/predict", json.dumps({"context": t, "k": k}).encode())
                    for t in texts[: args.predict_requests]]
    complete_reqs = [("POST", "/api/complete", json.dumps({"prompt": t, "max_tokens": args.complete_tokens}).encode())
                     for t in texts[: args.complete_requests]]
    health_reqs = [("GET", "/health", b"")] * args.predict_requests

    base_predict = direct_ms(lm.predict, [(t, k) for t in texts[:500]])
    base_complete = direct_ms(lm.complete, [(t, args.complete_tokens) for t in texts[:200]])
    print(f"direct call in-process (no HTTP): predict k={k} p50 {base_predict[0]:.3f} ms, "
          f"complete max_tokens={args.complete_tokens} p50 {base_complete[0]:.3f} ms")
    import importlib.util

    stack = (f"uvicorn with {'httptools' if importlib.util.find_spec('httptools') else 'h11'} and "
             f"{'uvloop' if importlib.util.find_spec('uvloop') else 'the asyncio loop'}")
    print(f"server stack: {stack} (uvicorn picks httptools/uvloop when they are installed)")
    load_before = os.getloadavg()[0]
    print(f"machine load average (1 min) before: {load_before:.2f} on {os.cpu_count()} cores")
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    memory = {}
    settings = [f"{t}x{w}" for t, w in setups]
    # All servers run side by side and take turns, run after run, so that a change in the
    # machine's load (other jobs) falls on every setting alike; each cell pools its repeats.
    servers = {}
    try:
        for (t, w), setup in zip(setups, settings):
            servers[setup] = Server(model_path, t, w)
        time.sleep(1)  # let the workers of multi-process setups finish loading
        for setup in settings:
            memory[setup] = {"idle": memory_mb(servers[setup].proc.pid)}
        for name, reqs, base in [("health", health_reqs, None), ("predict", predict_reqs, base_predict),
                                 ("complete", complete_reqs, base_complete)]:
            for c in levels:
                pooled = {t: ([], [], 0, []) for t in settings}
                for rep in range(args.repeats):
                    for setup in settings[rep % len(settings):] + settings[: rep % len(settings)]:
                        lat, rps, errors, probes = run_load(servers[setup].port, reqs, c, probe=name != "health")
                        all_lat, all_rps, all_err, all_probes = pooled[setup]
                        pooled[setup] = (all_lat + lat, all_rps + [rps], all_err + errors, all_probes + probes)
                for setup in settings:
                    lat, rps_runs, errors, probes = pooled[setup]
                    r = {"requests": len(lat), "rps": statistics.median(rps_runs),
                         "p50_ms": 1e3 * percentile(lat, 50), "p99_ms": 1e3 * percentile(lat, 99),
                         "health_p99_ms": 1e3 * percentile(probes, 99) if probes else None,
                         "errors": errors, "endpoint": name, "concurrency": c, "setup": setup}
                    r["p50_vs_direct"] = (r["p50_ms"] / base[0]) if base else None
                    rows.append(r)
                    print(f"{setup:5s} {name:8s} x{c:<3d} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                          f"p99 {r['p99_ms']:7.2f} ms  errors {r['errors']}"
                          + (f"  p50/direct {r['p50_vs_direct']:.1f}x" if base else "")
                          + (f"  /health p99 meanwhile {r['health_p99_ms']:.1f} ms" if probes else ""), flush=True)
        for setup in settings:
            memory[setup]["after"] = memory_mb(servers[setup].proc.pid)
            print(f"{setup:5s} server memory: idle RSS {memory[setup]['idle'][0]:.0f} MB / PSS "
                  f"{memory[setup]['idle'][1]:.0f} MB; after the runs RSS {memory[setup]['after'][0]:.0f} MB / "
                  f"PSS {memory[setup]['after'][1]:.0f} MB")
    finally:
        for server in servers.values():
            server.stop()

    load_after = os.getloadavg()[0]
    print(f"machine load average (1 min) after: {load_after:.2f}")
    health = {(r["setup"], r["concurrency"]): r["rps"] for r in rows if r["endpoint"] == "health"}
    print("\nrequests/s relative to GET /health of the same setup and concurrency (the HTTP stack's ceiling):")
    for r in rows:
        if r["endpoint"] != "health":
            print(f"  {r['setup']:5s} {r['endpoint']:8s} x{r['concurrency']:<3d} "
                  f"{r['rps'] / health[(r['setup'], r['concurrency'])]:.2f}")

    if args.markdown:
        write_markdown(args.markdown, info, size_mb, base_predict, base_complete, rows, memory, args,
                       (load_before, load_after), stack)
        print(f"wrote {args.markdown}")


def write_markdown(path, info, size_mb, base_predict, base_complete, rows, memory, args, loads, stack) -> None:
    health = {(r["setup"], r["concurrency"]): r["rps"] for r in rows if r["endpoint"] == "health"}
    lines = [
        "## HTTP server (bench/bench_server.py)",
        "",
        f"Model: books_head90.txt, order {info['order']}, vocabulary {info['vocab_size']:,}, "
        f"{sum(info['ngrams']):,} n-grams, model file {size_mb:.1f} MB, memory-mapped by the server.",
        f"Loopback (127.0.0.1), {stack}; keep-alive clients in one asyncio process on the same 2 "
        f"cores. predict: k=10; complete: max_tokens={args.complete_tokens}. Prompts: prefixes of "
        f"held-out sentences. Command: `{shown_command('bench/bench_server.py')}`. "
        f"Machine load average (1 min) {loads[0]:.1f} before, {loads[1]:.1f} after (other jobs share "
        "the 2 cores).",
        "",
        "Setup TxW: T model threads per lane of each process (runner.py; 0 = model calls inline on the event loop), W worker "
        "processes. Each cell: "
        f"{args.repeats} runs, the setups' servers running side by side and taking turns; req/s is "
        "the median run, p50/p99 are over all the cell's requests; \"/health p99 meanwhile\" is the "
        "latency of a GET /health sent every 10 ms during the load.",
        "",
        f"Direct in-process call (no HTTP), p50: predict {base_predict[0]:.3f} ms, "
        f"complete {base_complete[0]:.3f} ms.",
        "",
        "| setup | endpoint | clients | requests | req/s | p50 ms | p99 ms | p50 / direct call "
        "| req/s / health | /health p99 ms meanwhile |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['p50_vs_direct']:.1f}x" if r["p50_vs_direct"] else "-"
        rel = f"{r['rps'] / health[(r['setup'], r['concurrency'])]:.2f}" if r["endpoint"] != "health" else "1"
        meanwhile = f"{r['health_p99_ms']:.1f}" if r.get("health_p99_ms") is not None else "-"
        lines.append(f"| {r['setup']} | {r['endpoint']} | {r['concurrency']} | {r['requests']} | {r['rps']:.0f} | "
                     f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {ratio} | {rel} | {meanwhile} |")
    lines += ["", "| setup | RSS idle MB | PSS idle MB | RSS after MB | PSS after MB |", "|---|---|---|---|---|"]
    for setup, m in memory.items():
        lines.append(f"| {setup} | {m['idle'][0]:.0f} | {m['idle'][1]:.0f} | {m['after'][0]:.0f} | {m['after'][1]:.0f} |")
    lines += ["", "RSS and PSS summed over the server's processes (PSS shares the memory-mapped model's "
              "pages among the processes that map them)."]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
