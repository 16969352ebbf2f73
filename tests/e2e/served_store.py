"""For the browser tests of the analysis views: a finished experiment's store written by hand (seeded;
log-scaled, choice and nested parameters; one or two objectives) and the read-only server of
`autolab view` over it, in a child process that is always ended."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autolab.protocol import FINAL, PERIODICAL, Metric
from autolab.statuses import TrialStatus
from autolab.store import Store

REPO = Path(__file__).resolve().parents[2]
SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "units": {"_type": "randint", "_value": [8, 64]},
    "kind": {"_type": "choice", "_value": ["mlp", "cnn", "rnn"]},
    "opt": {
        "_type": "choice",
        "_value": ["sgd", {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.5, 0.99]}}],
    },
}
OBJECTIVES = {"accuracy": "maximize", "latency": "minimize", "memory": "minimize"}


def config(objectives: bool) -> dict[str, Any]:
    args: dict[str, Any] = {"optimize_mode": "maximize"}
    if objectives:
        # a bound on the first objective too: it is the reported default number, not a key of the dict
        args.update(objectives=OBJECTIVES, constraints={"latency": {"max": 25}, "accuracy": {"min": 0.2}})
    return {
        "searchSpace": SPACE,
        "trialCommand": "python3 train.py",
        "trialCodeDirectory": ".",
        "trialConcurrency": 4,
        "maxTrialNumber": 80,
        "tuner": {"name": "TPE", "classArgs": args},
        "trainingService": {"platform": "local"},
    }


def accuracy(p: dict[str, Any]) -> float:
    """Mostly the learning rate (best near 1e-3), a little the kind."""
    return 0.9 - 0.05 * (math.log10(p["lr"]) + 3) ** 2 + {"mlp": 0.0, "cnn": 0.03, "rnn": -0.02}[p["kind"]]


def fill(directory: Path, n: int = 60, objectives: bool = False, seed: int = 0) -> None:
    rng = random.Random(seed)
    (directory / "trials").mkdir(parents=True)
    with Store(directory, create=True) as store:
        now = time.time()
        store.set_meta(
            id="analysis" + ("mo" if objectives else ""),
            name="analysis-e2e",
            config=config(objectives),
            status="DONE",
            created=now - 10 * n,
            elapsed=10.0 * n,
        )
        for i in range(n):
            opt: Any = {"_name": "adam", "beta": rng.uniform(0.5, 0.99)} if rng.random() < 0.5 else "sgd"
            p = {
                "lr": 10 ** rng.uniform(-5, -1),
                "units": rng.randrange(8, 64),
                "kind": rng.choice(["mlp", "cnn", "rnn"]),
                "opt": opt,
            }
            acc = accuracy(p)
            final: Any = acc
            if objectives:
                final = {
                    "default": acc,
                    "latency": 10 + p["units"] * 0.6 - 20 * acc,
                    "memory": p["units"] * 2.0,
                }
            tid = f"tr{i:03d}"
            store.add_trial(tid, p)
            curve = [acc * (1 - 0.6 ** (s + 1)) for s in range(8)]
            store.record_metrics(
                tid, [*(Metric.of(PERIODICAL, v) for v in curve), Metric.of(FINAL, final)], 0
            )
            start = now - 10 * (n - i)
            store.update_trial(tid, status=TrialStatus.SUCCEEDED, start_time=start, end_time=start + 8)


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """The base URL of a read-only server over the store in directory."""
    code = (
        "import sys, tornado.httpserver, tornado.ioloop, tornado.netutil\n"
        "from pathlib import Path\n"
        "from autolab.server import make_app\n"
        "from autolab.store import Store\n"
        "d = Path(sys.argv[1])\n"
        "socks = tornado.netutil.bind_sockets(0, '127.0.0.1')\n"
        "server = tornado.httpserver.HTTPServer(make_app(None, Store(d, readonly=True), d))\n"
        "server.add_sockets(socks)\n"
        "print(socks[0].getsockname()[1], flush=True)\n"
        "tornado.ioloop.IOLoop.current().start()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(directory)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api(url: str, path: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(url + path.lstrip("/"), timeout=30) as response:
        return json.loads(response.read())
