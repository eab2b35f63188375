"""Benchmark the server under an abusive load: can normal predictions still get through?

    python bench/bench_abuse.py                                   # books o5 model, 20 s per phase
    python bench/bench_abuse.py --seconds 10 --markdown bench/ABUSE_RESULTS.md
    python bench/bench_abuse.py --sigbus                          # what a truncated mapping does
    python bench/bench_abuse.py --snapshot-cost /work/large/ntp/train.o5.ntp   # copy + verify a big model

What runs where: the model is trained from /work/shared/kenlm/books_head90.txt (order 5, about 1 s)
and saved to a temporary file; a child process serves it (`serve(path)`, the defaults of `ntp
serve`: one process, two model threads per lane, Limits() with its 10 s request budget); this
process measures; a second child process is the attacker. Everything is on loopback and shares
the machine's 2 cores (the attacker's CPU use is part of the abuse).

1. Each heavy request alone: the requests of issue 15 that tied the server up, each sent once
   with nothing else running: time, status, size of the answer.
2. Baseline: predict alone. `--predict-clients` clients, each sending /api/predict (k=10, a
   held-out prefix) one at a time with a 10 ms pause, as the autocomplete page does; meanwhile a
   probe sends GET /health every 100 ms.
3. Abuse: the same predictions and probe, while the attacker runs
   - `--abusers` clients sending the heavy requests of 1, one after the other, without pause;
   - `--droppers` clients sending the heaviest one and hanging up after 0.2 s (abandoned work);
   - `--half-open` connections that send half a request head and wait (slowloris); when the server
     closes one, it is opened again at once.
   Reported: predict p50/p99/max against the baseline of the same run, /health latencies and
   failures, a normal chat request's latency (at most 30 tokens, every 200 ms), and for every
   heavy request the time from sending it to the end of its answer, which the request budget
   must keep near `request_timeout`.
4. The model file: what truncating a mapped file does to its reader (`--sigbus`), and what the
   server's private copy costs (`--snapshot-cost MODEL`; the run's own model is always timed).

Experiments (environment of the server child): NTP_BENCH_THREADS=N model threads per lane,
NTP_BENCH_SWITCH=seconds the GIL's switch interval, NTP_BENCH_DIAG=1 prints garbage-collector
pauses and how late a sleeping thread gets the GIL back, every 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import KENLM, machine, shown_command, stats, table

HOST = "127.0.0.1"
TRAIN = KENLM / "books_head90.txt"
HELD_OUT = KENLM / "books_tail10.txt"

# The heavy requests of issue 15 (before this change: 25.7 s, 391 s and 80 s), and the largest
# ones today's limits allow. Each: (name, path, body).
def heavy_requests(prompt10k: str, emoji10k: str) -> list[tuple[str, str, dict]]:
    return [
        ("echo+logprobs=5, 10k chars", "/v1/completions",
         {"model": "m", "prompt": prompt10k, "echo": True, "logprobs": 5, "max_tokens": 0}),
        ("echo+logprobs=5, 10k emoji", "/v1/completions",
         {"model": "m", "prompt": emoji10k, "echo": True, "logprobs": 5, "max_tokens": 0}),
        ("n=16 x 1000 tokens", "/v1/completions", {"model": "m", "prompt": "The", "n": 16, "max_tokens": 1000}),
        ("n=16 x 256, logprobs=5, echo 10k", "/v1/completions",
         {"model": "m", "prompt": prompt10k, "echo": True, "n": 16, "max_tokens": 256, "logprobs": 5}),
        ("stream n=16 x 256, logprobs=5", "/v1/completions",
         {"model": "m", "prompt": prompt10k, "n": 16, "max_tokens": 256, "logprobs": 5, "stream": True}),
        ("chat n=16, top_logprobs=5, 10k", "/v1/chat/completions",
         {"model": "m", "messages": [{"role": "user", "content": prompt10k[:9000]}], "n": 16, "max_tokens": 256,
          "logprobs": True, "top_logprobs": 5}),
        ("score 200k chars", "/api/score", {"text": ((prompt10k + " ") * 20)[:200_000]}),
    ]


# ---- the server ------------------------------------------------------------------------------


def serve_child(model_path: str, port: int, timeout: float) -> None:
    if os.environ.get("NTP_BENCH_SWITCH"):  # experiment: the GIL's switch interval
        sys.setswitchinterval(float(os.environ["NTP_BENCH_SWITCH"]))
    from next_token.server import serve
    from next_token.server.schemas import Limits

    if os.environ.get("NTP_BENCH_DIAG"):
        _diagnose()
    extra = {"model_threads": int(os.environ["NTP_BENCH_THREADS"])} if os.environ.get("NTP_BENCH_THREADS") else {}
    serve(model_path, host=HOST, port=port, log_level="critical", limits=Limits(request_timeout=timeout), **extra)


def _diagnose() -> None:
    """Experiment: log GC pauses and how late a sleeping thread gets the GIL back."""
    import atexit
    import gc
    import threading

    gc_pauses, lateness = [], []
    started = {}

    def on_gc(phase, info):
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - started["t"], info["generation"], info["collected"]))

    gc.callbacks.append(on_gc)

    def watch():
        last = time.monotonic()
        while True:
            t0 = time.perf_counter()
            time.sleep(0.005)
            lateness.append(time.perf_counter() - t0 - 0.005)
            if time.monotonic() - last > 5:
                last = time.monotonic()
                report()
                gc_pauses.clear()
                lateness.clear()

    threading.Thread(target=watch, daemon=True).start()

    def report():
        big = sorted(gc_pauses, reverse=True)[:8]
        late = sorted(lateness)
        print(f"[diag] gc: {len(gc_pauses)} collections, longest {[(round(1e3 * d, 1), g) for d, g, _ in big]} ms; "
              f"GIL lateness of a sleeping thread: p50 {1e3 * late[len(late) // 2]:.1f} ms, "
              f"p99 {1e3 * late[int(len(late) * 0.99)]:.1f} ms, max {1e3 * late[-1]:.1f} ms", flush=True)

    atexit.register(report)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(model_path: str, timeout: float) -> tuple[subprocess.Popen, int, float]:
    """The server child, its port, and how long it took to answer /health (its start, snapshot included)."""
    import urllib.request

    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", model_path, "--port", str(port),
                             "--request-timeout", str(timeout)])
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return proc, port, time.perf_counter() - t0
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)


# ---- HTTP on raw asyncio streams (cheap for the client) ----------------------------------------


async def request(reader, writer, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        data = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            data += chunk[:-2]
        return status, data
    return status, await reader.readexactly(length or 0)


async def one_request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        return await request(reader, writer, method, path, body)
    finally:
        writer.close()


# ---- the measuring side --------------------------------------------------------------------------


async def measure(port: int, seconds: float, clients: int, contexts: list[str]) -> dict:
    """Predict clients, a chat client and the /health probe for `seconds`: latencies and failures."""
    predict: list[float] = []
    health: list[float] = []
    chat: list[float] = []
    failures = {"predict": 0, "health": 0, "chat": 0}
    end = time.monotonic() + seconds

    async def client(path: str, make_body, times: list, kind: str, pause: float):
        """One keep-alive connection sending `make_body()` to `path` every `pause` seconds."""
        reader, writer = await asyncio.open_connection(HOST, port)
        while time.monotonic() < end:
            body = json.dumps(make_body()).encode()
            t0 = time.perf_counter()
            try:
                status, _ = await request(reader, writer, "POST", path, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                failures[kind] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            times.append(time.perf_counter() - t0)
            failures[kind] += status != 200
            await asyncio.sleep(pause)
        writer.close()

    def predictor(n: int):
        rng = random.Random(n)
        return client("/api/predict", lambda: {"context": rng.choice(contexts), "k": 10}, predict, "predict", 0.01)

    async def prober():
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:  # a new connection each time: what a load balancer's check does
                status, _ = await asyncio.wait_for(one_request(port, "GET", "/health"), 2)
                health.append(time.perf_counter() - t0)
                failures["health"] += status != 200
            except (asyncio.TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
                failures["health"] += 1
            await asyncio.sleep(0.1)

    def chatter():
        """A normal chat request (a one-sentence reply of at most 30 tokens) every 200 ms."""
        rng = random.Random(99)
        return client("/v1/chat/completions",
                      lambda: {"model": "m", "max_tokens": 30, "seed": rng.randrange(1000),
                               "messages": [{"role": "user", "content": rng.choice(contexts)}]},
                      chat, "chat", 0.2)

    await asyncio.gather(prober(), chatter(), *(predictor(i) for i in range(clients)))
    return {"predict": predict, "health": health, "chat": chat, "failures": failures}


# ---- the attacker (a process of its own) ---------------------------------------------------------


def attack(port: int, seconds: float, abusers: int, droppers: int, half_open: int, heavy, out) -> None:
    out.put(asyncio.run(_attack(port, seconds, abusers, droppers, half_open, heavy)))


async def _attack(port, seconds, abusers, droppers, half_open, heavy) -> dict:
    end = time.monotonic() + seconds
    durations: dict[str, list[tuple[int, float]]] = {name: [] for name, _, _ in heavy}
    held: list[float] = []  # how long the server kept each half-open connection
    counts = {"dropped": 0, "half_open_opened": 0, "connect_failures": 0}

    async def abuser(n: int):
        i = n
        while time.monotonic() < end:
            name, path, body = heavy[i % len(heavy)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, data = await one_request(port, "POST", path, json.dumps(body).encode())
                if status == 200 and body.get("stream") and b'"deadline_exceeded"' in data[-2000:]:
                    status = "200, then the deadline's error event"
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                status = 0
            durations[name].append((status, time.perf_counter() - t0))

    async def dropper():
        name, path, body = heavy[min(3, len(heavy) - 1)]
        data = json.dumps(body).encode()
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write((f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              f"Content-Length: {len(data)}\r\n\r\n").encode() + data)
                await writer.drain()
                await asyncio.sleep(0.2)
                writer.close()
                counts["dropped"] += 1
            except OSError:
                counts["connect_failures"] += 1
            await asyncio.sleep(0.3)

    async def slowloris():
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
            except OSError:
                counts["connect_failures"] += 1
                await asyncio.sleep(0.1)
                continue
            counts["half_open_opened"] += 1
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Waiting: ")
            t0 = time.perf_counter()
            try:
                await asyncio.wait_for(reader.read(), max(0.01, end - time.monotonic()))
                held.append(time.perf_counter() - t0)
            except (asyncio.TimeoutError, OSError):
                pass
            writer.close()

    await asyncio.gather(*(abuser(i) for i in range(abusers)), *(dropper() for _ in range(droppers)),
                         *(slowloris() for _ in range(half_open)))
    return {"durations": durations, "held": held, "counts": counts}


# ---- reports ---------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:.1f}"


def latency_row(phase: str, values: list[float], failures: int) -> list:
    if not values:
        return [phase, 0, "-", "-", "-", failures]
    p50, p99 = stats(values)
    return [phase, len(values), ms(p50), ms(p99), ms(max(values)), failures]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="a saved model file (default: train books_head90.txt, order 5)")
    ap.add_argument("--seconds", type=float, default=20, help="length of each phase")
    ap.add_argument("--predict-clients", type=int, default=2)
    ap.add_argument("--abusers", type=int, default=8)
    ap.add_argument("--droppers", type=int, default=2)
    ap.add_argument("--half-open", type=int, default=500)
    ap.add_argument("--request-timeout", type=float, default=10.0)
    ap.add_argument("--only", help="the attacker sends only these heavy requests (numbers, from 1, comma-separated)")
    ap.add_argument("--skip-alone", action="store_true", help="skip timing each heavy request alone")
    ap.add_argument("--markdown", help="also write the results as a Markdown section to this file")
    ap.add_argument("--sigbus", action="store_true", help="only show what truncating a mapped file does")
    ap.add_argument("--snapshot-cost", metavar="MODEL", help="only time the snapshot (copy + verified load) of MODEL")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_child(args.serve, args.port, args.request_timeout)
        return
    if args.sigbus:
        print(sigbus_report())
        return
    if args.snapshot_cost:
        print(snapshot_cost(args.snapshot_cost))
        return

    from next_token.language_model import LanguageModel

    tmp = tempfile.TemporaryDirectory(prefix="ntp-bench-abuse-")
    if args.model:
        model_path = args.model
    else:
        lm = LanguageModel.train([str(TRAIN)], order=5)
        model_path = os.path.join(tmp.name, "books_o5.ntp")
        lm.save(model_path)
    size_mb = os.path.getsize(model_path) / 2**20
    held_out = HELD_OUT.read_text(encoding="utf-8")
    prompt10k = held_out[:10_000]
    emoji10k = "".join(random.Random(0).choice("😀😃😄😁😆🙂🙃😉😊😇") for _ in range(10_000))
    heavy = heavy_requests(prompt10k, emoji10k)
    attack_with = [heavy[int(i) - 1] for i in args.only.split(",")] if args.only else heavy
    rng = random.Random(0)
    lines = [ln.split() for ln in held_out.splitlines() if len(ln.split()) >= 3]
    contexts = [" ".join(t[: rng.randint(1, min(8, len(t) - 1))]) for t in (rng.choice(lines) for _ in range(500))]

    report = [f"Machine: {machine()}; model {Path(model_path).name} ({size_mb:.1f} MB); "
              f"request_timeout {args.request_timeout:g} s; load average (1 min) before {os.getloadavg()[0]:.1f} "
              "(other jobs share the 2 cores)."]
    proc, port, started = start_server(model_path, args.request_timeout)
    report.append(f"Server start to the first /health answer: {started:.2f} s (imports, private copy of the "
                  "model file, verified load).")
    try:
        if not args.skip_alone:
            rows = []
            for name, path, body in heavy:
                t0 = time.perf_counter()
                status, data = asyncio.run(one_request(port, "POST", path, json.dumps(body).encode()))
                rows.append([name, status, f"{time.perf_counter() - t0:.2f}", f"{len(data) / 1e6:.2f}"])
                print(f"alone: {name}: {status} in {rows[-1][2]} s, {rows[-1][3]} MB", flush=True)
            report += ["", "Each heavy request alone (nothing else running):", "",
                       table(["request", "status", "seconds", "answer MB"], rows)]

        print(f"baseline: predict alone for {args.seconds:g} s", flush=True)
        base = asyncio.run(measure(port, args.seconds, args.predict_clients, contexts))
        print(f"abuse: {args.abusers} abusers, {args.droppers} droppers, {args.half_open} half-open connections "
              f"for {args.seconds:g} s", flush=True)
        out = mp.get_context("spawn").Queue()
        attacker = mp.get_context("spawn").Process(
            target=attack, args=(port, args.seconds + 1, args.abusers, args.droppers, args.half_open, attack_with, out))
        attacker.start()
        time.sleep(1)  # let the attack build up
        loaded = asyncio.run(measure(port, args.seconds, args.predict_clients, contexts))
        attack_result = out.get(timeout=args.seconds + args.request_timeout + 60)
        attacker.join(30)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(30)

    rows = [latency_row("predict alone (baseline)", base["predict"], base["failures"]["predict"]),
            latency_row("predict under abuse", loaded["predict"], loaded["failures"]["predict"]),
            latency_row("/health alone", base["health"], base["failures"]["health"]),
            latency_row("/health under abuse", loaded["health"], loaded["failures"]["health"]),
            latency_row("chat (30 tokens) alone", base["chat"], base["failures"]["chat"]),
            latency_row("chat (30 tokens) under abuse", loaded["chat"], loaded["failures"]["chat"])]
    p99_ratio = stats(loaded["predict"])[1] / stats(base["predict"])[1] if base["predict"] and loaded["predict"] else 0
    report += ["", f"Latency ({args.predict_clients} predict clients, 10 ms pause; /health every 100 ms on a new "
               "connection; a chat request of at most 30 tokens every 200 ms):", "", table(["phase", "requests", "p50 ms", "p99 ms", "max ms", "failures"], rows), "",
               f"predict p99 under abuse / alone: {p99_ratio:.1f}x. The server was "
               f"{'alive' if alive else 'DEAD'} at the end."]
    heavy_rows = []
    for name, results in attack_result["durations"].items():
        if not results:
            continue
        statuses: dict[str, int] = {}
        for status, _ in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        times = [t for _, t in results]
        heavy_rows.append([name, len(results), ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
                           f"{stats(times)[0]:.2f}", f"{max(times):.2f}"])
    held = attack_result["held"]
    counts = attack_result["counts"]
    report += ["", f"The attacker's heavy requests ({args.abusers} clients without pause; deadline "
               f"{args.request_timeout:g} s):", "",
               table(["request", "sent", "statuses", "median s", "max s"], heavy_rows), "",
               f"Half-open connections: {counts['half_open_opened']} opened by {args.half_open} slowloris "
               "clients; " + (f"the server closed them after {stats(held)[0]:.1f} s (median) / {max(held):.1f} s "
                              "(max) (header_timeout 10 s)" if held else "none was closed during the phase")
               + f". Dropped requests: {counts['dropped']}. Connections refused: {counts['connect_failures']}. "
               f"Load average after: {os.getloadavg()[0]:.1f}."]
    report += ["", "The model file: truncating a memory-mapped file under its reader (`--sigbus`), and the "
               "private copy the server maps instead:", "", "```text", sigbus_report(), "```", "",
               "Snapshot cost (`--snapshot-cost`): " + snapshot_cost(model_path)]
    text = "\n".join(report)
    print("\n" + text)
    if args.markdown:
        Path(args.markdown).write_text("## The server under abuse (bench/bench_abuse.py)\n\nCommand: `"
                                       + shown_command("bench/bench_abuse.py") + "`\n\n" + text + "\n", encoding="utf-8")


# ---- the premise: a truncated mapping kills its reader -------------------------------------------


def sigbus_report() -> str:
    """Truncate a mapped file under a reader, with MAP_SHARED, MAP_PRIVATE, and MAP_PRIVATE after
    copying every page on write; then read it through a private snapshot (served_model.Snapshots)."""
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("shared", "private", "private-written", "snapshot"):
            p = subprocess.run([sys.executable, "-c", SIGBUS_CHILD, case, tmp], capture_output=True, text=True)
            fate = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
            lines.append(f"{case:16s} {fate:20s} {p.stdout.strip()}")
    return "\n".join(lines)


SIGBUS_CHILD = r"""
import mmap, os, sys
case, tmp = sys.argv[1], sys.argv[2]
path = os.path.join(tmp, "f.bin")
with open(path, "wb") as f:
    f.write(b"x" * (64 << 12))
if case == "snapshot":
    from next_token.server.served_model import Snapshots
    snaps = Snapshots(path, tmp)
    copy, _ = snaps.take()
    f = open(copy, "rb"); os.unlink(copy)
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
else:
    f = open(path, "r+b")
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ if case == "shared" else mmap.ACCESS_COPY)
if case == "private-written":
    for i in range(0, len(m), 4096):
        m[i] = ord("y")  # every page copied on write: private to this process
sum(m[i] for i in range(0, len(m), 4096))
with open(path, "wb"):
    pass  # what cp does first: O_TRUNC
print("read after truncation:", sum(m[i] for i in range(0, len(m), 4096)))
"""


def snapshot_cost(model_path: str) -> str:
    """Time a private copy of a model file and its verified load, as the server does at start and reload."""
    from next_token.language_model import LanguageModel
    from next_token.server.served_model import Snapshots, load_snapshot

    size = os.path.getsize(model_path)
    with open(model_path, "rb") as f:  # warm the page cache: measure the copy, not the disk
        while f.read(1 << 24):
            pass
    snaps = Snapshots(model_path)
    try:
        t0 = time.perf_counter()
        copy, _ = snaps.take()
        t_copy = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_snapshot(copy, Path(model_path))  # as the server does: checksums, tables if small or untrusted
        t_verify = time.perf_counter() - t0
        t0 = time.perf_counter()
        LanguageModel.load(copy, verify=True)
        t_full = time.perf_counter() - t0
        t0 = time.perf_counter()
        LanguageModel.load(copy, verify=False)
        t_map = time.perf_counter() - t0
    finally:
        snaps.close()
    return (f"{Path(model_path).name}: {size / 2**20:.0f} MB; copy {t_copy:.2f} s "
            f"({size / 2**30 / t_copy:.2f} GB/s), the server's verified load {t_verify:.2f} s (checksums and tables "
            f"{t_full:.2f} s), a plain mapped load {t_map:.3f} s")


if __name__ == "__main__":
    main()
