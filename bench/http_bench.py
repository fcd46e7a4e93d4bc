"""The benchmark's HTTP part: union-bot's web channel and the Python baseline
over HTTP (bench/baseline_http.py: FastAPI on uvicorn, jieba + rank_bm25),
side by side, loaded by the same generator (`union-bot bench http`).

Run it with `bench/run --http` (which makes the virtual environment and builds
union-bot first), or as part of `bench/run`. It writes bench/results/http.md
and http.json.

Each run: the server starts on a free port on 127.0.0.1, is waited for, then
the generator keeps N keep-alive connections busy (one question at a time
each, the benchmark's questions in turn) for a warm-up and then --duration
seconds recorded. union-bot: 64 connections, 512 connections (its RSS read
from /proc at the end), then 64 connections while 1,000 idle ones are held
open, taken in turns with 64 connections alone (twice), so that the idle
connections' cost is the difference between neighbouring runs. The baseline:
64 and 512 connections. Server and generator share the machine's cores; the
rate limit of union-bot is switched off (WEB_RATE_PER_MINUTE=0).

    bench/run --http [--duration 20] [--idle 1000] [--baseline-workers 2]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.path.join(TARGET if os.path.isabs(TARGET) else os.path.join(ROOT, TARGET), "release", "union-bot")
BASELINE_HTTP = os.path.join(ROOT, "bench", "baseline_http.py")
PY = sys.executable
OUT = os.path.join(ROOT, "bench", "results")


def log(msg):
    print(f"[bench http {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, proc, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def tree_pids(pid):
    """pid and all its descendants (uvicorn's workers)."""
    pids, frontier = [pid], [pid]
    while frontier:
        p = frontier.pop()
        try:
            children = open(f"/proc/{p}/task/{p}/children").read().split()
        except OSError:
            children = []
        for c in map(int, children):
            pids.append(c)
            frontier.append(c)
    return pids


def status_kb(pid, key):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pid):
    """RSS now and peak RSS, in MB, summed over the process tree."""
    pids = tree_pids(pid)
    return {
        "rss_mb": sum(status_kb(p, "VmRSS") for p in pids) / 1024,
        "hwm_mb": sum(status_kb(p, "VmHWM") for p in pids) / 1024,
        "processes": len(pids),
    }


def load(url, questions, connections, args, idle=0):
    cmd = [BIN, "bench", "http", "--url", url, "--questions", questions, "--connections", str(connections),
           "--duration", str(args.duration), "--warmup", str(args.warmup), "--idle", str(idle), "--threads", str(args.threads)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    r["load_end"] = loadavg()
    log(f"  {connections} connections{f' + {idle} idle' if idle else ''}: {r['per_second']:,.0f} answers/s, "
        f"p50 {r['latency']['p50_us'] / 1000:.2f} ms, p99 {r['latency']['p99_us'] / 1000:.2f} ms, errors {r['errors']}, non-2xx {r['non_2xx']}")
    return r


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def union_bot(questions, args, work):
    port = free_port()
    data = os.path.join(work, "data")
    env = dict(os.environ, WEB_ADDR=f"127.0.0.1:{port}", WEB_RATE_PER_MINUTE="0", RUST_LOG="warn",
               KNOWLEDGE_DIR=os.path.join(ROOT, "knowledge"), DATA_DIR=data)
    env.pop("TELOXIDE_TOKEN", None)
    log(f"union-bot web on 127.0.0.1:{port}")
    proc = subprocess.Popen([BIN, "web"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", proc)
        url = f"http://127.0.0.1:{port}/api/v1/ask"
        res = {"idle_runs": []}
        res["c64"] = load(url, questions, 64, args)
        res["c512"] = load(url, questions, 512, args)
        res["memory_512"] = memory(proc.pid)
        log(f"  RSS after 512 connections: {res['memory_512']['rss_mb']:.1f} MB (peak {res['memory_512']['hwm_mb']:.1f} MB)")
        for i in range(args.idle_repeats):
            alone = load(url, questions, 64, args)
            held = load(url, questions, 64, args, idle=args.idle)
            res["idle_runs"].append({"alone": alone, "with_idle": held})
        alone = load(url, questions, 64, args)
        res["idle_runs"].append({"alone": alone})
        res["memory_end"] = memory(proc.pid)
        return res
    finally:
        stop(proc)


def baseline(questions, args):
    port = free_port()
    log(f"baseline (FastAPI, uvicorn, {args.baseline_workers} workers) on 127.0.0.1:{port}")
    proc = subprocess.Popen([PY, BASELINE_HTTP, "--knowledge", os.path.join(ROOT, "knowledge"), "--port", str(port), "--workers", str(args.baseline_workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", proc)
        # Every worker builds its own index before it serves: wait for all of them.
        deadline = time.time() + 120
        while len(tree_pids(proc.pid)) < args.baseline_workers + (1 if args.baseline_workers > 1 else 0) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(5)
        url = f"http://127.0.0.1:{port}/api/v1/ask"
        res = {"c64": load(url, questions, 64, args), "c512": load(url, questions, 512, args)}
        res["memory_512"] = memory(proc.pid)
        return res
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ms(us):
    return f"{us / 1000:.2f} ms"


def idle_delay(u):
    """p99 with the idle connections minus the mean p99 of the runs alone on either side of it."""
    runs = u["idle_runs"]
    deltas = []
    for i, r in enumerate(runs):
        if "with_idle" not in r:
            continue
        neighbours = [runs[i]["alone"]["latency"]["p99_us"], runs[i + 1]["alone"]["latency"]["p99_us"]]
        deltas.append(r["with_idle"]["latency"]["p99_us"] - sum(neighbours) / 2)
    return deltas


def markdown(meta, u, b):
    out = [
        "# union-bot benchmark, HTTP part: the web channel and a Python baseline over HTTP",
        "",
        f"Run on {meta['date']} by `{meta['command']}`: {meta['cores']} cores ({meta['cpu']}), {meta['os']}, commit {meta['commit']}. "
        f"Load average (1, 5, 15 min) {meta['load_start']} at the start, {meta['load_end']} at the end (`uptime`): "
        f"{meta['load_note']}",
        "",
        f"Both servers answer POST `/api/v1/ask` with `{{\"q\": …}}` on 127.0.0.1, loaded by `union-bot bench http` (hyper's HTTP/1.1 "
        f"client, {meta['threads']} threads, keep-alive connections each sending one question at a time, the {meta['questions']} "
        f"benchmark questions in turn), {meta['warmup']:g} s of warm-up then {meta['duration']:g} s recorded per run. Server and load "
        "generator share the same cores. union-bot: `union-bot web` (every answer journaled as in production, the rate "
        "limit off). Baseline: `bench/baseline_http.py`, bench/baseline.py's jieba + rank_bm25 behind FastAPI on uvicorn with "
        f"{meta['baseline_workers']} worker processes (one per core).",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---:|---|",
    ]

    def row(target, value, ok):
        out.append(f"| {target} | {value} | {'met' if ok else '**not met**'} |")

    r64 = u["c64"]["per_second"] / b["c64"]["per_second"] if b else None
    r512 = u["c512"]["per_second"] / b["c512"]["per_second"] if b else None
    if b:
        row("≥ 20× the baseline's throughput (64 connections)", f"{r64:,.1f}× ({u['c64']['per_second']:,.0f} ÷ {b['c64']['per_second']:,.0f} answers/s)", r64 >= 20)
        row("≥ 20× the baseline's throughput (512 connections)", f"{r512:,.1f}× ({u['c512']['per_second']:,.0f} ÷ {b['c512']['per_second']:,.0f} answers/s)", r512 >= 20)
    row("p99 ≤ 10 ms at 64 connections", ms(u["c64"]["latency"]["p99_us"]), u["c64"]["latency"]["p99_us"] <= 10_000)
    row("RSS ≤ 100 MB at 512 connections", f"{u['memory_512']['rss_mb']:.1f} MB", u["memory_512"]["rss_mb"] <= 100)
    deltas = idle_delay(u)
    worst = max(deltas) if deltas else None
    if worst is not None:
        row(f"{meta['idle']:,} idle connections add ≤ 10 ms at p99 (64 active)",
            f"{'+' if worst >= 0 else '−'}{abs(worst) / 1000:.2f} ms (worst of {len(deltas)})", worst <= 10_000)
    out += ["", "## Side by side", "", "| | union-bot | baseline | ratio |", "|---|---:|---:|---:|"]
    for c in ("c64", "c512"):
        n = c[1:]
        uc, bc = u[c], b and b[c]
        out.append(f"| {n} connections: answers/s | {uc['per_second']:,.0f} | {bc['per_second']:,.0f} | {uc['per_second'] / bc['per_second']:,.1f}× more |" if bc else f"| {n}: answers/s | {uc['per_second']:,.0f} | – | – |")
        for p in ("p50", "p99"):
            ux, bx = uc["latency"][f"{p}_us"], bc and bc["latency"][f"{p}_us"]
            out.append(f"| {n} connections: {p} | {ms(ux)} | {ms(bx) if bc else '–'} | {bx / ux:,.1f}× less |" if bc else f"| {n}: {p} | {ms(ux)} | – | – |")
        out.append(f"| {n} connections: errors, non-2xx | {uc['errors']}, {uc['non_2xx']} | {bc['errors']}, {bc['non_2xx']} | |" if bc else "")
    if b:
        out.append(f"| RSS after 512 connections | {u['memory_512']['rss_mb']:.1f} MB | {b['memory_512']['rss_mb']:.1f} MB ({b['memory_512']['processes']} processes) | |")
    out += ["", "## Idle connections", "",
            f"64 active connections alone and with {meta['idle']:,} idle ones held open (each made one request and then stayed silent; "
            "one the server closed was opened again), in turns:", "",
            "| run | answers/s | p50 | p99 | idle open at the end | idle re-opened |", "|---|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(u["idle_runs"]):
        a = r["alone"]
        out.append(f"| 64 alone | {a['per_second']:,.0f} | {ms(a['latency']['p50_us'])} | {ms(a['latency']['p99_us'])} | | |")
        if "with_idle" in r:
            w = r["with_idle"]
            out.append(f"| 64 + {meta['idle']:,} idle | {w['per_second']:,.0f} | {ms(w['latency']['p50_us'])} | {ms(w['latency']['p99_us'])} | {w['idle_open_at_end']:,} | {w['idle_reopened']:,} |")
    out += ["", f"union-bot's RSS at the end: {u['memory_end']['rss_mb']:.1f} MB (peak {u['memory_end']['hwm_mb']:.1f} MB, index build included).", "",
            "Reproduce: `bench/run --http` (about four minutes).", ""]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=20.0, help="seconds recorded per run")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    p.add_argument("--idle", type=int, default=1000, help="idle connections held open in the idle runs")
    p.add_argument("--idle-repeats", type=int, default=2, help="runs with idle connections (each between two runs without)")
    p.add_argument("--threads", type=int, default=2, help="the load generator's threads")
    p.add_argument("--baseline-workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--yardstick", default=None)
    p.add_argument("--extra", type=int, default=300)
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="union-bot-bench-http-")
    os.makedirs(OUT, exist_ok=True)
    yardstick = args.yardstick or next((y for y in (os.path.join(ROOT, "..", "shared", "eval", "questions.yaml"), os.path.join(ROOT, "tests", "data", "questions.yaml")) if os.path.exists(y)), None)
    questions = os.path.join(work, "questions.txt")
    with open(questions, "w") as f:
        subprocess.run([BIN, "--knowledge", os.path.join(ROOT, "knowledge"), "bench", "questions", yardstick, "--extra", str(args.extra)], check=True, stdout=f)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip() or "unknown"
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run --http " + " ".join(sys.argv[1:]),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit,
        "load_start": loadavg(),
        "questions": sum(1 for line in open(questions) if line.strip()),
        "duration": args.duration,
        "warmup": args.warmup,
        "idle": args.idle,
        "threads": args.threads,
        "baseline_workers": args.baseline_workers,
    }
    try:
        u = union_bot(questions, args, work)
        b = None if args.no_baseline else baseline(questions, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta["load_end"] = loadavg()
    busy = max((meta["load_start"] or [0])[0], (meta["load_end"] or [0])[0])
    meta["load_note"] = ("the machine was otherwise idle." if busy < 1.5 else
                         f"other work was running on the machine (a load of {busy:.1f} on {meta['cores']} cores), so every latency here is "
                         "higher, and every throughput lower, than on an idle machine; the ratios compare runs made under the same load.")
    with open(os.path.join(OUT, "http.json"), "w") as f:
        json.dump({"meta": meta, "union": u, "baseline": b}, f, ensure_ascii=False, indent=1)
    with open(os.path.join(OUT, "http.md"), "w") as f:
        f.write(markdown(meta, u, b))
    log(f"wrote {os.path.relpath(OUT, ROOT)}/http.md and http.json")


if __name__ == "__main__":
    main()
