"""The peer baseline over HTTP: bench/baseline.py's engine (jieba + rank_bm25,
top 1) behind FastAPI on uvicorn, as one would otherwise serve it.

    POST /api/v1/ask  {"q": "怎么入会"}  ->  {"answer": …, "sources": […], "fallback": false}
    GET  /healthz                        ->  {"status": "ok"}

    baseline_http.py --knowledge DIR --port N [--workers 2]

Every worker process loads the knowledge and builds its own BM25 index before
it serves; bench/http_bench.py waits for /healthz on every worker's behalf.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from baseline import Baseline  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from pydantic import BaseModel  # noqa: E402

engine = None
if os.environ.get("BASELINE_KNOWLEDGE"):
    engine = Baseline(os.environ["BASELINE_KNOWLEDGE"])
    engine.build()

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


class Ask(BaseModel):
    q: str


@app.post("/api/v1/ask")
async def ask(body: Ask):
    text, sources, fallback = engine.answer(body.q)
    return {"answer": text, "sources": sources, "fallback": fallback}


@app.get("/healthz")
async def healthz():
    return {"status": "ok", "pid": os.getpid()}


def main():
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--knowledge", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    os.environ["BASELINE_KNOWLEDGE"] = os.path.abspath(args.knowledge)
    uvicorn.run(
        "baseline_http:app",
        app_dir=os.path.dirname(os.path.abspath(__file__)),
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        backlog=4096,
    )


if __name__ == "__main__":
    sys.exit(main())
