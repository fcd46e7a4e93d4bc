"""The benchmark, union-bot and the Python baseline side by side in one run.

Run it with `bench/run` (which makes the virtual environment and builds
union-bot first). It writes bench/results/results.md, results.json and
latency.png. Both sides answer the same questions on the same machine, in
turns (a union-bot run, a baseline run, …), each pinned to the same core when
`taskset` exists; figures from repeated runs are medians, and the spread is
reported.

    bench/run [--quick] [--scales 16000,100000] [--repeats 3] [--work DIR] [--keep]
              [--base BIN [--base-knowledge DIR]]

With `--base BIN` a second union-bot binary (built from another commit) is
measured beside this one on the same corpora and questions, in the same run and
in turns, and reported side by side with ratios ("this ÷ base"): answering,
cold start, memory, and the first answer after an edit of faq.yaml, of one
article and of stations.yaml (see `base_side`, `measure_edits`).
`--base-knowledge DIR` gives the base its own commit's knowledge (a binary from
before a change to the knowledge's format refuses today's files): it answers
the same questions on DIR, and on corpora it synthesises from DIR itself.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "union-bot")
BASELINE = os.path.join(ROOT, "bench", "baseline.py")
PY = sys.executable
OUT = os.path.join(ROOT, "bench", "results")
COLD_QUESTION = "工会服务热线是多少？"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pinned(cmd, cpu):
    if cpu is not None and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)] + cmd
    return cmd


def run_json(cmd, cpu=None):
    out = subprocess.run(pinned(cmd, cpu), check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cold_start(cmd, times, cpu=None):
    """Process start to the first line of the answer, and the process's peak RSS (wait4)."""
    secs, rss = [], []
    for _ in range(times):
        t0 = time.perf_counter()
        p = subprocess.Popen(pinned(cmd, cpu), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        dt = time.perf_counter() - t0
        p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0 or not line.strip():
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode})")
        secs.append(dt)
        rss.append(usage.ru_maxrss)
    return {"ms": statistics.median(secs) * 1e3, "ms_min": min(secs) * 1e3, "ms_max": max(secs) * 1e3, "rss_kb": max(rss), "runs": times}


def median_report(reports):
    """The median of every figure over repeated runs, with the spread of the latencies."""
    out = json.loads(json.dumps(reports[0]))
    for key in ("load_ms", "analyzer_ms", "index_ms", "assemble_ms", "ready_ms", "first_answer_us", "vm_hwm_kb", "vm_rss_kb"):
        vals = [r[key] for r in reports if r.get(key) is not None]
        if vals:
            out[key] = statistics.median(vals)
    for part in ("answer", "nearest5"):
        for key in reports[0][part]:
            out[part][key] = statistics.median(r[part][key] for r in reports)
        out[part]["p50_spread_us"] = [min(r[part]["p50_us"] for r in reports), max(r[part]["p50_us"] for r in reports)]
        out[part]["p99_spread_us"] = [min(r[part]["p99_us"] for r in reports), max(r[part]["p99_us"] for r in reports)]
    out["repeats"] = len(reports)
    return out


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


def version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip().splitlines()[0]
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- --base: another union-bot, side by side


class BaseSide:
    """The `--base` binary on one corpus: its own data directory (the index
    format may differ between commits), the index built once untimed, then
    serving runs taken in turns with this binary's (`serve` is called after
    each of ours) and cold starts alternating with ours (`finish`)."""

    def __init__(self, name, knowledge, questions, yardstick, args, cpu, work):
        self.name, self.knowledge, self.args, self.cpu = name, knowledge, args, cpu
        self.data = os.path.join(work, f"base-data-{name}")
        self.runs = []
        log(f"{name}: base binary, building its index")
        run_json([args.base, "--knowledge", knowledge, "--data", self.data, "bench", "engine", "--questions", questions, "--rounds", "1", "--fresh", "--nearest-points", "100"])
        self.cmd = [args.base, "--knowledge", knowledge, "--data", self.data, "bench", "engine", "--questions", questions, "--rounds", str(args.rounds), "--nearest-points", "5000"] + (["--yardstick", yardstick] if yardstick else [])

    def serve(self):
        log(f"{self.name}: base binary answering, run {len(self.runs) + 1}/{self.args.repeats}")
        self.runs.append(run_json(self.cmd, self.cpu))

    def finish(self, union_cold):
        """Cold starts of both binaries in turns; returns (ours, the base's report)."""
        base_cold = [self.args.base, "--knowledge", self.knowledge, "--data", self.data, "ask", COLD_QUESTION]
        ours, theirs = cold_pair(union_cold, base_cold, self.args.cold, self.cpu)
        shutil.rmtree(self.data, ignore_errors=True)
        return ours, {"serve": median_report(self.runs), "cold": theirs}


def cold_pair(cmd_a, cmd_b, times, cpu):
    """Cold starts of two commands taken in turns (a, b, a, b, …), one warm-up each."""
    cold_start(cmd_a, 1, cpu)
    cold_start(cmd_b, 1, cpu)
    a, b = [], []
    for _ in range(times):
        a.append(cold_start(cmd_a, 1, cpu))
        b.append(cold_start(cmd_b, 1, cpu))
    return merge_cold(a), merge_cold(b)


def merge_cold(runs):
    ms = [r["ms"] for r in runs]
    return {"ms": statistics.median(ms), "ms_min": min(ms), "ms_max": max(ms), "rss_kb": max(r["rss_kb"] for r in runs), "runs": len(runs)}


# What each edit changes (in a copy of the knowledge), and a question whose answer shows it
# (None: the first answer after the edit is timed, whatever it says).
EDIT_MARK = "本条已于编辑测试{n}更新"


def edit_faq(k, n):
    """One line of faq.yaml: the hotline entry's answer gets a sentence."""
    path = os.path.join(k, "faq.yaml")
    lines = open(path, encoding="utf-8").read().split("\n")
    at = lines.index("- id: hotline")
    a = next(i for i in range(at, len(lines)) if lines[i].strip() == "answer: |") + 1
    lines[a] = re.sub(r"本条已于编辑测试\d+更新。$", "", lines[a]) + EDIT_MARK.format(n=n) + "。"
    open(path, "w", encoding="utf-8").write("\n".join(lines))
    return EDIT_MARK.format(n=n)


def edit_article(k, n):
    """One article (the first by name): its last paragraph gets a sentence."""
    path = os.path.join(k, "articles", sorted(f for f in os.listdir(os.path.join(k, "articles")) if f.endswith(".md"))[0])
    text = open(path, encoding="utf-8").read().rstrip("\n")
    text = re.sub(r"本条已于编辑测试\d+更新。$", "", text)
    open(path, "w", encoding="utf-8").write(text + EDIT_MARK.format(n=n) + "。\n")
    return None


def edit_stations(k, n):
    """One line of stations.yaml: the first station's address."""
    path = os.path.join(k, "stations.yaml")
    lines = open(path, encoding="utf-8").read().split("\n")
    a = next(i for i, l in enumerate(lines) if l.startswith("  address: "))
    lines[a] = re.sub(r"（编辑测试\d+）$", "", lines[a]) + f"（编辑测试{n}）"
    open(path, "w", encoding="utf-8").write("\n".join(lines))
    return None


EDITS = [("faq.yaml, one line", edit_faq), ("one article", edit_article), ("stations.yaml, one line", edit_stations)]


def timed_first_answer(cmd, cpu, shows):
    """Process start to the first line of the answer; checks that the answer shows the edit."""
    t0 = time.perf_counter()
    p = subprocess.run(pinned(cmd, cpu), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode})")
    if shows and shows not in p.stdout:
        raise RuntimeError(f"{' '.join(cmd)}: the answer does not show the edit ({shows})")
    return dt * 1e3


def measure_edits(name, knowledge, work, args, cpu, times=3, base_knowledge=None):
    """The first answer after an edit, for both binaries in turns: a process
    started after the edit (`ask`), on an index built before it. What that
    costs is whatever the binary rebuilds for the edit. This binary's
    in-process reload (`bench reload`, when it has the command) is timed
    from the write to the first answer that shows it."""
    sides = {"union": BIN, "base": args.base}
    own = {"union": knowledge, "base": base_knowledge or knowledge}
    dirs = {}
    for side, binary in sides.items():
        k = os.path.join(work, f"edit-{side}-{name}")
        shutil.rmtree(k, ignore_errors=True)
        shutil.copytree(own[side], k)
        d = os.path.join(work, f"edit-{side}-{name}-data")
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([binary, "--knowledge", k, "--data", d, "ask", COLD_QUESTION], check=True, stdout=subprocess.DEVNULL)
        dirs[side] = (k, d)
    out = {}
    n = 0
    for label, edit in EDITS:
        log(f"{name}: first answer after an edit of {label} ({times}x per binary, in turns)")
        got = {side: [] for side in sides}
        for _ in range(times):
            for side, binary in sides.items():
                n += 1
                k, d = dirs[side]
                shows = edit(k, n)
                got[side].append(timed_first_answer([binary, "--knowledge", k, "--data", d, "ask", COLD_QUESTION], cpu, shows))
        out[label] = {side: {"ms": statistics.median(v), "ms_all": v} for side, v in got.items()}
    reload = reload_in_process(dirs["union"], cpu)
    if reload:
        out["reload"] = reload
    for k, d in dirs.values():
        shutil.rmtree(k, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
    return out


def reload_in_process(dirs, cpu):
    """`union-bot bench reload` (this binary only, when it has it): each kind of edit
    made to a running engine, timed from the write to the first answer that shows it."""
    k, d = dirs
    p = subprocess.run(pinned([BIN, "--knowledge", k, "--data", d, "bench", "reload"], cpu), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def base_section(r, base_label):
    """This binary and the base side by side on one corpus."""
    if not r.get("base"):
        return []
    u, b = r["union"], r["base"]["serve"]
    uc, bc = r["union_cold"], r["base"]["cold"]
    rows = [
        ("cold start: process start to first answer", uc["ms"], bc["ms"], " ms"),
        ("peak RSS, answering", u["vm_hwm_kb"] / 1024, b["vm_hwm_kb"] / 1024, " MB"),
        ("RSS after answering", (u.get("vm_rss_kb") or 0) / 1024, (b.get("vm_rss_kb") or 0) / 1024, " MB"),
        ("peak RSS, cold start", uc["rss_kb"] / 1024, bc["rss_kb"] / 1024, " MB"),
        ("ready (load, jieba, open index, matcher)", u["ready_ms"], b["ready_ms"], " ms"),
        ("answer p50", u["answer"]["p50_us"], b["answer"]["p50_us"], " µs"),
        ("answer p99", u["answer"]["p99_us"], b["answer"]["p99_us"], " µs"),
        ("nearest 5 stations p50", u["nearest5"]["p50_us"], b["nearest5"]["p50_us"], " µs"),
    ]
    for label, e in (r.get("edits") or {}).items():
        if label == "reload":
            continue
        rows.append((f"first answer after an edit of {label} (new process)", e["union"]["ms"], e["base"]["ms"], " ms"))
    same = "the same questions" if "own knowledge" in base_label else "same corpus and questions"
    lines = ["", f"This commit beside the base binary (`{base_label}`), {same}, in turns:", "",
             "| | this commit | base | this ÷ base |", "|---|---:|---:|---:|"]
    for label, x, y, unit in rows:
        rr = ratio(x, y)
        lines.append(f"| {label} | {fmt(x, unit)} | {fmt(y, unit)} | {fmt(rr, digits=3) if rr else '–'} |")
    rel = (r.get("edits") or {}).get("reload")
    if rel:
        lines += ["", "This commit's running engine (`bench reload`): from the write to the first answer that shows the edit:", "",
                  "| edit | live after | what was redone |", "|---|---:|---|"]
        for e in rel["edits"]:
            lines.append(f"| {e['edit']} | {fmt(e['ms'], ' ms')} | {e['redone']} |")
    return lines


def measure_scale(name, knowledge, data, questions, yardstick, args, cpu, work, base_knowledge=None):
    """One corpus: union-bot's fresh builds, then serving runs of both sides
    pinned to one core and taken in turns (union-bot, baseline, union-bot, …)
    so that a change in the machine's speed during the run weighs on both
    alike, then both cold starts."""
    res = {"name": name}
    log(f"{name}: union-bot, building the index ({args.builds}x, all cores)")
    builds = [run_json([BIN, "--knowledge", knowledge, "--data", data, "bench", "engine", "--questions", questions, "--rounds", "1", "--fresh", "--nearest-points", "100"]) for _ in range(args.builds)]
    res["union_build"] = {k: statistics.median(b[k] for b in builds) for k in ("load_ms", "analyzer_ms", "index_ms", "assemble_ms", "ready_ms", "vm_hwm_kb")}
    res["union_build"]["index_ms_all"] = [b["index_ms"] for b in builds]
    with_baseline = name == "seed" or int(name.rstrip("k")) * 1000 <= args.baseline_max
    rounds = args.rounds if name == "seed" else 1
    repeats = args.repeats if name == "seed" else 1
    union_cmd = [BIN, "--knowledge", knowledge, "--data", data, "bench", "engine", "--questions", questions, "--rounds", str(args.rounds), "--nearest-points", "5000"] + (["--yardstick", yardstick] if yardstick else [])
    base_cmd = [PY, BASELINE, "serve", "--knowledge", knowledge, "--questions", questions, "--rounds", str(rounds)] + (["--yardstick", yardstick] if yardstick else [])
    serve, base = [], []
    other = BaseSide(name, base_knowledge or knowledge, questions, yardstick, args, cpu, work) if args.base else None
    for i in range(args.repeats):
        log(f"{name}: union-bot answering, run {i + 1}/{args.repeats} ({args.rounds} rounds, core {cpu})")
        serve.append(run_json(union_cmd, cpu))
        if other:
            other.serve()
        if with_baseline and i < repeats:
            log(f"{name}: baseline building and answering, run {i + 1}/{repeats} ({rounds} rounds, core {cpu})")
            base.append(run_json(base_cmd, cpu))
    res["union"] = median_report(serve)
    union_cold = [BIN, "--knowledge", knowledge, "--data", data, "ask", COLD_QUESTION]
    if other:
        res["union_cold"], res["base"] = other.finish(union_cold)
        res["edits"] = measure_edits(name, knowledge, work, args, cpu, base_knowledge=base_knowledge)
    else:
        res["union_cold"] = cold_start(union_cold, args.cold, cpu)
    if not with_baseline:
        log(f"{name}: baseline skipped (--baseline-max {args.baseline_max})")
        return res
    res["baseline"] = median_report(base)
    cache = os.path.join(work, f"baseline-{name}.pickle")
    subprocess.run([PY, BASELINE, "build", "--knowledge", knowledge, "--cache", cache], check=True)
    res["baseline_cold"] = cold_start([PY, BASELINE, "ask", "--knowledge", knowledge, "--cache", cache, COLD_QUESTION], args.cold if name == "seed" else 2, cpu)
    return res


def ratio(a, b):
    return a / b if a and b else None


def fmt(x, unit="", digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2
    return f"{x:,.{digits}f}{unit}"


def side_by_side(res):
    u, b = res["union"], res.get("baseline")
    uc, bc = res["union_cold"], res.get("baseline_cold")
    # (label, union-bot, baseline, unit, lower is better, word for the advantage)
    rows = [
        ("answer p50", u["answer"]["p50_us"], b and b["answer"]["p50_us"], " µs", True, "faster"),
        ("answer p99", u["answer"]["p99_us"], b and b["answer"]["p99_us"], " µs", True, "faster"),
        ("answer mean", u["answer"]["mean_us"], b and b["answer"]["mean_us"], " µs", True, "faster"),
        ("throughput, one core", u["answer"]["per_second"], b and b["answer"]["per_second"], " q/s", False, "more"),
        ("cold start: process start to first answer", uc["ms"], bc and bc["ms"], " ms", True, "faster"),
        ("peak RSS, answering", u["vm_hwm_kb"] / 1024, b and b["vm_hwm_kb"] / 1024, " MB", True, "less"),
        ("peak RSS, cold start", uc["rss_kb"] / 1024, bc and bc["rss_kb"] / 1024, " MB", True, "less"),
        ("index build", res["union_build"]["index_ms"], b and b["index_ms"], " ms", True, "faster"),
        ("nearest 5 stations p50", u["nearest5"]["p50_us"], b and b["nearest5"]["p50_us"], " µs", True, "faster"),
    ]
    lines = ["| | union-bot | baseline | union-bot ÷ baseline | advantage |", "|---|---:|---:|---:|---:|"]
    for label, x, y, unit, lower_better, word in rows:
        r = ratio(x, y)
        if r is None:
            lines.append(f"| {label} | {fmt(x, unit)} | {fmt(y, unit)} | – | – |")
            continue
        adv = 1 / r if lower_better else r
        lines.append(f"| {label} | {fmt(x, unit)} | {fmt(y, unit)} | {fmt(r, digits=4 if r < 0.01 else 3)} | {fmt(adv, '×')} {word} |")
    return "\n".join(lines)


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for side, label, color in (("union", "union-bot", "#c0392b"), ("baseline", "Python jieba + rank_bm25", "#2c3e50")):
        pts = [(r[side]["passages"], r[side]["answer"]) for r in results if r.get(side)]
        if not pts:
            continue
        xs = [p for p, _ in pts]
        ax.plot(xs, [a["p50_us"] for _, a in pts], "o-", color=color, label=f"{label} p50")
        ax.plot(xs, [a["p99_us"] for _, a in pts], "s--", color=color, label=f"{label} p99")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("article passages (indexed documents)")
    ax.set_ylabel("answer latency per question (µs)")
    ax.set_title("Answer latency vs corpus size (one core)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def targets(results):
    seed = results[0]
    by = {r["name"]: r for r in results}
    u = seed["union"]
    rows = []

    def row(target, value, ok):
        rows.append(f"| {target} | {value} | {'met' if ok else '**not met**'} |")

    row("answer p50 ≤ 30 µs (seed)", fmt(u["answer"]["p50_us"], " µs"), u["answer"]["p50_us"] <= 30)
    row("answer p99 ≤ 100 µs (seed)", fmt(u["answer"]["p99_us"], " µs"), u["answer"]["p99_us"] <= 100)
    if seed.get("baseline"):
        s = seed["baseline"]["answer"]["p50_us"] / u["answer"]["p50_us"]
        row("≥ 10× faster than the baseline (seed, p50)", fmt(s, "×"), s >= 10)
    if "16k" in by and by["16k"].get("baseline"):
        r = by["16k"]
        s = r["baseline"]["answer"]["p50_us"] / r["union"]["answer"]["p50_us"]
        row("≥ 100× faster than the baseline (16k, p50)", fmt(s, "×"), s >= 100)
    if "100k" in by:
        r = by["100k"]
        row("index build ≤ 5 s (100k)", fmt(r["union_build"]["index_ms"] / 1000, " s"), r["union_build"]["index_ms"] <= 5000)
        row("answer p99 ≤ 2 ms (100k)", fmt(r["union"]["answer"]["p99_us"] / 1000, " ms", 2), r["union"]["answer"]["p99_us"] <= 2000)
    big = by.get("100k") or by.get("16k")
    if big:
        n = big["union"]["nearest5"]
        row(f"nearest 5 of {big['union']['stations']:,} stations ≤ 100 µs (p99)", fmt(n["p99_us"], " µs"), n["p99_us"] <= 100)
    row("`ask` cold with a built index ≤ 300 ms (seed)", fmt(seed["union_cold"]["ms"], " ms"), seed["union_cold"]["ms"] <= 300)
    row("RSS ≤ 80 MB (seed, answering)", fmt(u["vm_hwm_kb"] / 1024, " MB"), u["vm_hwm_kb"] / 1024 <= 80)
    return "| target | measured | |\n|---|---:|---|\n" + "\n".join(rows)


def markdown(meta, results):
    seed = results[0]
    out = [
        "# union-bot benchmark: the engine and a Python baseline, side by side",
        "",
        f"Run on {meta['date']} by `{meta['command']}` on one machine: {meta['cores']} cores ({meta['cpu']}), "
        f"{meta['memory_gb']} GB RAM, {meta['os']}; {meta['rustc']}; Python {meta['python']}. Load average "
        f"(1, 5, 15 min) {meta['load_start']} at the start, {meta['load_end']} at the end: other work was running, so "
        "latencies are medians of repeated runs and their spread is given below.",
        "",
        "Both sides answer the same questions: the yardstick's text questions and "
        f"{meta['questions'] - meta['yardstick_questions']} more generated by mixing wordings from the yardstick and "
        "faq.yaml (`union-bot bench questions`, seed 5). union-bot answers in process (engine, then the plain-text "
        "reply); the baseline is `bench/baseline.py`: jieba (same user words, synonyms and stop words) and rank_bm25 "
        "`BM25Okapi` over the same FAQ entries and article passages, top 1. Answering is pinned to one core for both; "
        "union-bot's index build uses every core, the baseline's is single-threaded.",
        "",
        "## Accuracy on the yardstick",
        "",
        f"| | union-bot | baseline |\n|---|---:|---:|\n| `{meta['yardstick']}` passed | "
        f"{seed['union']['accuracy_passed']}/{seed['union']['accuracy_total']} | "
        f"{seed['baseline']['accuracy_passed'] if seed.get('baseline') else '–'}/{seed['baseline']['accuracy_total'] if seed.get('baseline') else '–'} |",
        "",
        "Judged with the rules of `union-bot eval` (src/eval.rs) on each side's reply text.",
        "",
        "## Targets",
        "",
        targets(results),
        "",
    ]
    for r in results:
        u = r["union"]
        title = {"seed": "Seed knowledge"}.get(r["name"], f"{r['name']} scale")
        out += [
            f"## {title}: {u['passages']:,} passages in {u['articles']:,} articles, {u['stations']:,} stations, {u['faq']} FAQ entries",
            "",
            side_by_side(r),
            "",
            f"union-bot: {u['repeats']} runs of {u['answer']['samples']:,} timed answers each; p50 spread "
            f"{fmt(u['answer']['p50_spread_us'][0])}–{fmt(u['answer']['p50_spread_us'][1])} µs, p99 spread "
            f"{fmt(u['answer']['p99_spread_us'][0])}–{fmt(u['answer']['p99_spread_us'][1])} µs. Index build (median of "
            f"{len(r['union_build']['index_ms_all'])}): {', '.join(fmt(x, ' ms') for x in r['union_build']['index_ms_all'])}; "
            f"from nothing to ready (load knowledge, jieba dictionary, build, matcher): {fmt(r['union_build']['ready_ms'], ' ms')}. "
            f"Nearest 5 stations p99: {fmt(u['nearest5']['p99_us'], ' µs')}.",
        ]
        if r.get("baseline"):
            b = r["baseline"]
            out.append(
                f"Baseline: {b['repeats']} run(s) of {b['answer']['samples']:,} timed answers; building its index (segment "
                f"everything, BM25Okapi) took {fmt(b['index_ms'], ' ms')}, ready (with loading and jieba) {fmt(b['ready_ms'], ' ms')}."
            )
        out += base_section(r, meta.get("base"))
        slow = u.get("slowest") or []
        if slow:
            out.append("Slowest questions for union-bot (median µs): " + "; ".join(f"{q} ({fmt(t)})" for t, q in slow[:3]) + ".")
        out.append("")
    out += [
        "## Chart",
        "",
        "![answer latency vs corpus size](latency.png)",
        "",
        "Reproduce: `bench/run` (about ten minutes; `bench/run --quick` skips 100,000 passages).",
        "",
    ]
    return "\n".join(out)


def base_label(args):
    """The base binary as the report names it: `--base-name` (say which commit it
    was built from), else its path."""
    label = args.base and (args.base_name or os.path.abspath(args.base))
    if label and args.base_knowledge:
        label += f"` on its own knowledge, `{args.base_knowledge}"
    return label


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="seed and 16k only")
    p.add_argument("--scales", default="16000,100000", help="synthetic corpus sizes, in passages")
    p.add_argument("--stations", type=int, default=11000)
    p.add_argument("--repeats", type=int, default=3, help="union-bot serving runs per corpus (medians)")
    p.add_argument("--builds", type=int, default=2, help="union-bot fresh index builds per corpus (median)")
    p.add_argument("--rounds", type=int, default=5, help="timed passes over the questions per run")
    p.add_argument("--cold", type=int, default=7, help="cold starts per side (median)")
    p.add_argument("--extra", type=int, default=300, help="generated questions besides the yardstick's")
    p.add_argument("--baseline-max", type=int, default=100000, help="largest corpus the baseline runs on")
    p.add_argument("--cpu", type=int, default=None, help="core to pin answering to (default: the last)")
    p.add_argument("--yardstick", default=None)
    p.add_argument("--work", default=None, help="where synthetic corpora go (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--base", default=None, help="another union-bot binary (another commit) measured beside this one")
    p.add_argument("--out", default=OUT, help="where results go (default bench/results)")
    p.add_argument("--base-name", default=None, help="what to call the base in the report, e.g. 'main 399deaa'")
    p.add_argument("--base-knowledge", default=None, help="the base's own knowledge directory (its commit's), when it cannot read today's")
    args = p.parse_args()

    cores = os.cpu_count() or 1
    cpu = args.cpu if args.cpu is not None else cores - 1
    yardstick = args.yardstick or next((y for y in (os.path.join(ROOT, "..", "shared", "eval", "questions.yaml"), os.path.join(ROOT, "tests", "data", "questions.yaml")) if os.path.exists(y)), None)
    scales = [int(s) for s in args.scales.split(",") if s]
    if args.quick:
        scales = [s for s in scales if s <= 16000]
    work = args.work or tempfile.mkdtemp(prefix="union-bot-bench-")
    os.makedirs(work, exist_ok=True)
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    knowledge = os.path.join(ROOT, "knowledge")
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run " + " ".join(sys.argv[1:]),
        "cores": cores,
        "cpu": cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "rustc": version(["rustc", "--version"]),
        "python": platform.python_version(),
        "load_start": loadavg(),
        "yardstick": os.path.relpath(yardstick, ROOT) if yardstick else None,
        "base": base_label(args),
    }
    questions = os.path.join(work, "questions.txt")
    with open(questions, "w") as f:
        subprocess.run([BIN, "--knowledge", knowledge, "bench", "questions", yardstick, "--extra", str(args.extra)], check=True, stdout=f)
    meta["questions"] = sum(1 for line in open(questions) if line.strip())
    meta["yardstick_questions"] = meta["questions"] - args.extra
    log(f"{meta['questions']} questions; work directory {work}; answering pinned to core {cpu}")

    base_k = os.path.abspath(args.base_knowledge) if args.base and args.base_knowledge else None
    results = [measure_scale("seed", knowledge, os.path.join(work, "seed-data"), questions, yardstick, args, cpu, work, base_k)]
    for n in scales:
        name = f"{n // 1000}k"
        k = os.path.join(work, f"knowledge-{name}")
        log(f"{name}: writing {n:,} passages and {args.stations:,} stations")
        subprocess.run([BIN, "--knowledge", knowledge, "bench", "synth", k, "--passages", str(n), "--stations", str(args.stations)], check=True, stdout=subprocess.DEVNULL)
        kb = None
        if base_k:
            kb = os.path.join(work, f"knowledge-base-{name}")
            log(f"{name}: the base writes its own {n:,} passages and {args.stations:,} stations from {base_k}")
            subprocess.run([args.base, "--knowledge", base_k, "bench", "synth", kb, "--passages", str(n), "--stations", str(args.stations)], check=True, stdout=subprocess.DEVNULL)
        results.append(measure_scale(name, k, os.path.join(work, f"data-{name}"), questions, None, args, cpu, work, kb))
        shutil.rmtree(os.path.join(work, f"data-{name}"), ignore_errors=True)
    meta["load_end"] = loadavg()

    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, ensure_ascii=False, indent=1)
    chart(results, os.path.join(out_dir, "latency.png"))
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(meta, results))
    log(f"wrote {os.path.relpath(out_dir, ROOT)}/results.md, results.json, latency.png")
    if not args.keep and not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
