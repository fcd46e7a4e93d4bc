#!/usr/bin/env python3
"""An article edit at city scale, two union-bot binaries in turns (issue 13).

    bench/article_edit.py BASE_BIN THIS_BIN KNOWLEDGE [ROUNDS]

KNOWLEDGE is a corpus such as `union-bot --knowledge knowledge bench synth /tmp/k16 --passages
16000 --stations 11000` makes (it is copied, never edited). For each binary: a copy of it and a
data directory with the index built; then, in turns, ROUNDS times (default 5): one sentence
appended to the first article by name (as bench/run.py's edit_article), and a new process timed
from its start to the answer (`ask`): the start after an article edit. Then, ROUNDS times per
binary, `bench reload` on a fresh copy (its two article edits: write -> first answer showing it
with the watcher, and the same by `/reload`). Prints JSON lines with medians, every figure and
the load average. SKIP_START=1 skips the first part.
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time

base, this, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
Q = "工会服务热线是多少？"
work = tempfile.mkdtemp(prefix="article-edit-")
sides = {"base": base, "this": this}


def edit_article(k, n):
    path = os.path.join(k, "articles", sorted(f for f in os.listdir(os.path.join(k, "articles")) if f.endswith(".md"))[0])
    text = open(path, encoding="utf-8").read().rstrip("\n")
    text = re.sub(r"本条已于编辑测试\d+更新。$", "", text)
    open(path, "w", encoding="utf-8").write(text + f"本条已于编辑测试{n}更新。\n")


def copy_with_index(side, binary, name):
    k, d = os.path.join(work, f"{name}-{side}"), os.path.join(work, f"{name}-{side}-data")
    shutil.rmtree(k, ignore_errors=True)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(corpus, k)
    subprocess.run([binary, "--knowledge", k, "--data", d, "ask", Q], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return k, d


def load():
    return open("/proc/loadavg").read().split()[:3]


if not os.environ.get("SKIP_START"):
    dirs = {s: copy_with_index(s, b, "start") for s, b in sides.items()}
    got = {s: [] for s in sides}
    n = 0
    before = load()
    for _ in range(rounds):
        for s, b in sides.items():
            n += 1
            k, d = dirs[s]
            edit_article(k, n)
            t = time.perf_counter()
            subprocess.run([b, "--knowledge", k, "--data", d, "ask", Q], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            got[s].append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"start_after_article_edit_ms": {s: {"median": round(statistics.median(v)), "all": [round(x) for x in v]} for s, v in got.items()}, "load": [before, load()]}))

rel = {s: [] for s in sides}
before = load()
for _ in range(rounds):
    for s, b in sides.items():
        k, d = copy_with_index(s, b, "reload")
        p = subprocess.run([b, "--knowledge", k, "--data", d, "bench", "reload"], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for e in json.loads(p.stdout.strip().splitlines()[-1])["edits"]:
            if e["edit"] == "one article":
                rel[s].append((e["ms"], e["reload_ms"], e["redone"]))
out = {}
for s, v in rel.items():
    out[s] = {"watched_ms_median": round(statistics.median(x[0] for x in v)), "reload_ms_median": round(statistics.median(x[1] for x in v)),
              "watched_ms": [round(x[0]) for x in v], "reload_ms": [round(x[1]) for x in v], "redone": sorted(set(x[2] for x in v))}
print(json.dumps({"article_edit_in_process": out, "load": [before, load()]}, ensure_ascii=False))
shutil.rmtree(work, ignore_errors=True)
