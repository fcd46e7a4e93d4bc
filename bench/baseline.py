"""The peer baseline: what one would otherwise build with Python jieba and rank_bm25.

Same knowledge files as union-bot (knowledge/*.yaml, knowledge/articles/*.md),
same jieba user words, synonyms and stop words (synonyms.yaml), one BM25
document per FAQ entry (its wordings, topic and answer) and one per article
passage (title and paragraph); a question gets the top-1 document's text, or an
honest fallback with the 12351 hotline when no document shares a word with it.
A shared location gets the nearest station (haversine with NumPy).

    baseline.py serve --knowledge DIR --questions FILE [--yardstick FILE] [--rounds N]
        builds the index, times every question, prints one JSON object
    baseline.py build --knowledge DIR --cache FILE
        builds the index and saves it (pickle), for `ask`
    baseline.py ask --knowledge DIR --cache FILE QUESTION
        loads the saved index, answers one question (cold start)

The yardstick is judged with the rules of union-bot's `eval` (src/eval.rs).
"""

import argparse
import glob
import json
import math
import os
import pickle
import random
import sys
import time

import jieba
import numpy as np
import yaml
from rank_bm25 import BM25Okapi

jieba.setLogLevel(60)

HOTLINE = "北京工会12351职工服务热线"
FALLBACK = f"抱歉，这个问题我还答不上来。可以拨打{HOTLINE}咨询。"
MAX_QUESTION_CHARS = 300


def is_han(c):
    o = ord(c)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2A6DF


def normalize(text):
    """Full-width to half-width, lower case, everything but letters, digits and ideographs to one space."""
    out = []
    space = True
    for c in text:
        o = ord(c)
        if o == 0x3000:
            c = " "
        elif 0xFF01 <= o <= 0xFF5E:
            c = chr(o - 0xFEE0)
        if c.isalnum() or is_han(c):
            out.append(c.lower())
            space = False
        elif not space:
            out.append(" ")
            space = True
    return "".join(out).strip()


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or []


def load_articles(directory):
    """knowledge/articles/*.md: front matter between '---' lines, paragraphs separated by blank lines."""
    articles = []
    for path in sorted(glob.glob(os.path.join(directory, "*.md"))):
        with open(path, encoding="utf-8") as f:
            text = f.read().lstrip("\ufeff")
        rest = text[4:]
        end = rest.find("\n---")
        front = yaml.safe_load(rest[: end + 1])
        body = rest[end + 4 :]
        paragraphs = ["".join(line.strip() for line in p.splitlines()) for p in body.split("\n\n")]
        paragraphs = [p for p in paragraphs if p.strip() and p.strip() != "---"]
        articles.append({"id": front["id"], "title": front["title"], "subtitle": front.get("subtitle"), "paragraphs": paragraphs})
    return articles


class Baseline:
    def __init__(self, knowledge):
        t0 = time.perf_counter()
        self.faq = load_yaml(os.path.join(knowledge, "faq.yaml"))
        self.stations = load_yaml(os.path.join(knowledge, "stations.yaml"))
        places = load_yaml(os.path.join(knowledge, "places.yaml"))
        lexicon = load_yaml(os.path.join(knowledge, "synonyms.yaml"))
        self.articles = load_articles(os.path.join(knowledge, "articles"))
        self.load_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        jieba.initialize()
        words = list(lexicon.get("user_words", []))
        self.canon = {}
        for canon, variants in (lexicon.get("synonyms") or {}).items():
            words.append(canon)
            words.extend(variants)
            self.canon[normalize(canon)] = normalize(canon)
            for v in variants:
                self.canon[normalize(v)] = normalize(canon)
        for s in self.stations:
            words.append(s["name"])
            words.extend(s.get("aliases", []))
        for p in places:
            words.append(p["name"])
            words.extend(p.get("aliases", []))
        for w in words:
            n = normalize(str(w))
            if len(n) >= 2 and " " not in n:
                jieba.add_word(n)
        self.stop = {normalize(str(w)) for w in lexicon.get("stopwords", [])}
        self.dict_s = time.perf_counter() - t0

        self.titles = {a["id"]: a["title"] for a in self.articles}
        self.station_lat = np.radians(np.array([float(s["lat"]) for s in self.stations]))
        self.station_lon = np.radians(np.array([float(s["lon"]) for s in self.stations]))
        self.bm25 = None

    def tokens(self, text):
        out = []
        for w in jieba.cut_for_search(normalize(text)):
            if not any(c.isalnum() for c in w):
                continue
            c = self.canon.get(w, w)
            if c in self.stop or w in self.stop:
                continue
            out.append(c)
        return out

    def build(self):
        t0 = time.perf_counter()
        self.docs = []
        corpus = []
        for e in self.faq:
            self.docs.append(("faq", e))
            corpus.append(self.tokens(" ".join(e["questions"] + [e["topic"], e["answer"]])))
        for a in self.articles:
            title = a["title"] + (" " + a["subtitle"] if a.get("subtitle") else "")
            for p in a["paragraphs"]:
                self.docs.append(("passage", (a["id"], p)))
                corpus.append(self.tokens(title + " " + p))
        self.bm25 = BM25Okapi(corpus)
        self.build_s = time.perf_counter() - t0

    def answer(self, question):
        """(reply text, cited source titles, is_fallback)"""
        q = self.tokens(question[:MAX_QUESTION_CHARS])
        if not q:
            return FALLBACK, [], True
        scores = self.bm25.get_scores(q)
        best = int(np.argmax(scores))
        if scores[best] <= 0:
            return FALLBACK, [], True
        kind, doc = self.docs[best]
        if kind == "faq":
            sources = [self.titles[s] for s in doc.get("sources", []) if s in self.titles]
            body = doc["answer"].strip()
        else:
            sources = [self.titles[doc[0]]]
            body = doc[1]
        text = body + "\n\n来源：" + "；".join(f"《{t}》" for t in sources)
        return text, sources, False

    def nearest(self, lat, lon, k=5):
        p1, l1 = math.radians(lat), math.radians(lon)
        a = np.sin((self.station_lat - p1) / 2) ** 2 + math.cos(p1) * np.cos(self.station_lat) * np.sin((self.station_lon - l1) / 2) ** 2
        d = 2 * 6_371_008.8 * np.arctan2(np.sqrt(a), np.sqrt(1 - a))
        k = min(k, len(d))
        idx = np.argpartition(d, k - 1)[:k]
        return idx[np.argsort(d[idx], kind="stable")]

    def judge(self, case):
        """Passes or fails one yardstick case, with the rules of src/eval.rs."""
        if case.get("q") is None and case.get("near"):
            lat, lon = case["near"]
            name = self.stations[int(self.nearest(lat, lon)[0])]["name"]
            anys = case.get("any", [])
            return not anys or any(w in name for w in anys)
        text, sources, fallback = self.answer(case.get("q") or "")
        if case.get("fallback"):
            return fallback and "12351" in text
        anys, alls = case.get("any", []), case.get("all", [])
        ok = (not anys or any(w in text for w in anys)) and all(w in text for w in alls)
        if case.get("source"):
            ok = ok and any(case["source"] in s for s in sources)
        return ok and not fallback


def vm_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def latency(samples):
    s = sorted(samples)
    n = len(s)
    rank = lambda p: s[max(1, min(n, math.ceil(p * n))) - 1] * 1e6
    total = sum(s)
    return {
        "samples": n,
        "p50_us": rank(0.5),
        "p90_us": rank(0.9),
        "p99_us": rank(0.99),
        "max_us": s[-1] * 1e6,
        "mean_us": total / n * 1e6,
        "per_second": n / total if total else 0.0,
    }


def serve(args):
    t0 = time.perf_counter()
    b = Baseline(args.knowledge)
    b.build()
    ready_s = time.perf_counter() - t0
    questions = [q for q in open(args.questions, encoding="utf-8").read().splitlines() if q.strip()]
    t = time.perf_counter()
    b.answer(questions[0])
    first = time.perf_counter() - t
    for q in questions:  # warm-up pass, as union-bot's
        b.answer(q)
    samples = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            b.answer(q)
            samples.append(time.perf_counter() - t)
    rng = random.Random(11)
    points = [(39.40 + rng.random() * 1.70, 115.40 + rng.random() * 2.15) for _ in range(args.nearest_points)]
    near = []
    for lat, lon in points:
        t = time.perf_counter()
        b.nearest(lat, lon)
        near.append(time.perf_counter() - t)
    passed = total = None
    if args.yardstick:
        cases = load_yaml(args.yardstick)
        total = len(cases)
        passed = sum(1 for c in cases if b.judge(c))
    report = {
        "faq": len(b.faq),
        "articles": len(b.articles),
        "passages": len(b.docs) - len(b.faq),
        "stations": len(b.stations),
        "load_ms": b.load_s * 1e3,
        "analyzer_ms": b.dict_s * 1e3,
        "index_ms": b.build_s * 1e3,
        "ready_ms": ready_s * 1e3,
        "first_answer_us": first * 1e6,
        "questions": len(questions),
        "answer": latency(samples),
        "nearest5": latency(near),
        "accuracy_passed": passed,
        "accuracy_total": total,
        "vm_hwm_kb": vm_kb("VmHWM"),
        "vm_rss_kb": vm_kb("VmRSS"),
    }
    print(json.dumps(report, ensure_ascii=False))


def build(args):
    b = Baseline(args.knowledge)
    b.build()
    with open(args.cache, "wb") as f:
        pickle.dump({"docs": b.docs, "bm25": b.bm25}, f, protocol=pickle.HIGHEST_PROTOCOL)


def ask(args):
    b = Baseline(args.knowledge)
    with open(args.cache, "rb") as f:
        saved = pickle.load(f)
    b.docs, b.bm25 = saved["docs"], saved["bm25"]
    text, _, _ = b.answer(args.question)
    print(text.replace("\n", " "), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--knowledge", required=True)
    s.add_argument("--questions", required=True)
    s.add_argument("--yardstick")
    s.add_argument("--rounds", type=int, default=5)
    s.add_argument("--nearest-points", type=int, default=2000)
    s.set_defaults(run=serve)
    s = sub.add_parser("build")
    s.add_argument("--knowledge", required=True)
    s.add_argument("--cache", required=True)
    s.set_defaults(run=build)
    s = sub.add_parser("ask")
    s.add_argument("--knowledge", required=True)
    s.add_argument("--cache", required=True)
    s.add_argument("question")
    s.set_defaults(run=ask)
    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
