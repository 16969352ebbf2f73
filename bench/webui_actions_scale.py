"""Web UI v2's actions, experiments page and trial detail at scale (issue 22): 10,000 trials x 20
intermediate results (bench/webui_scale.py's store), each trial given a Hyperband fidelity
(brackets of eta=3, rungs promoting a third), one trial with a 20 MB stdout and a 50 MB directory.

Measures against a real server process (the app `autolab view` serves) and against the
experiments page's server (`autolab view --all`, AUTOLAB_HOME with this experiment and 30 small ones):
  - GET /api/v1/rungs (first after a change, then cached), the log tail (first 64 KiB, then an
    incremental poll with nothing new), the 50 MB trial directory as a zip,
  - GET /api/v1/experiments,
  - in headless Chromium: a trial's detail with its log drawn, the Rungs tab drawn, the
    experiments page drawn. Reports medians.

    python bench/webui_actions_scale.py [--trials 10000] [--steps 20] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from webui_scale import CHROMIUM, CHROMIUM_ARGS, fill, median_ms, timed_get  # noqa: E402

from autolab import experiments  # noqa: E402
from autolab.store import Store  # noqa: E402


def add_fidelity(directory: Path, n_trials: int) -> None:
    """Hyperband-shaped fidelity: brackets of 9 + 3 + 1 trials (budgets 1, 3, 9), the best third of
    a rung's configurations run again at the next."""
    rows = []
    seq = 0
    bracket = 0
    while seq < n_trials:
        configs = [f"t{seq + i:06d}" for i in range(9)]
        for rung, budget in enumerate((1.0, 3.0, 9.0)):
            for config in configs:
                if seq >= n_trials:
                    break
                fid = {"budget": budget, "bracket": bracket % 4, "rung": rung, "config": config}
                rows.append((json.dumps(fid), f"t{seq:06d}"))
                seq += 1
            configs = configs[: len(configs) // 3]
        bracket += 1
    with Store(directory) as store, store.transaction() as c:
        c.executemany("UPDATE trials SET fidelity = ? WHERE id = ?", rows)


def trial_files(directory: Path, trial_id: str) -> None:
    trial = directory / "trials" / trial_id
    (trial / "checkpoints").mkdir(parents=True)
    with open(trial / "stdout", "w") as fh:
        for i in range(400_000):
            fh.write(f"epoch {i // 1000} step {i} loss {1 / (i + 1):.6f} accuracy 0.{i % 1000:03d}\n")
    (trial / "stderr").write_text("warning: something\n" * 1000)
    for i in range(5):
        (trial / "checkpoints" / f"model-{i}.pt").write_bytes(os.urandom(10 * 1024 * 1024))


def home_with(home: Path, big: Path, small: int) -> None:
    os.environ["AUTOLAB_HOME"] = str(home)
    for i in range(small):
        d = home / f"small{i:02d}"
        fill(d, 50, 5, seed=i)
        with Store(d) as store:
            store.set_meta(id=f"small{i:02d}", status="DONE")
        experiments.register(f"small{i:02d}", f"small {i}", d)
    experiments.register("scale10k", "webui-scale", big)


def serve_one(directory: Path, port: int) -> None:
    import tornado.ioloop

    from autolab.server import make_app

    store = Store(directory, readonly=True)
    make_app(manager=None, store=store, directory=directory).listen(port, address="127.0.0.1")
    print("serving", flush=True)
    tornado.ioloop.IOLoop.current().start()


def serve_home(home: Path, port: int) -> None:
    import tornado.ioloop

    from autolab.homeserver import make_home_app

    os.environ["AUTOLAB_HOME"] = str(home)
    make_home_app("127.0.0.1", None, True).listen(port, address="127.0.0.1")
    print("serving", flush=True)
    tornado.ioloop.IOLoop.current().start()


def start(kind: str, path: Path) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, f"--{kind}", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
    return proc, f"http://127.0.0.1:{port}"


def touch_version(directory: Path) -> None:
    """A write, so the rung view's cache (per store version) is stale."""
    with Store(directory) as store:
        store.update_trial("t000000", message=str(time.time()))


def browser(base: str, home_url: str, repeat: int, trial_id: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    detail, rungs, home = [], [], []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/#trials")
            page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=60000)
            page.fill("#search", trial_id)
            page.wait_for_selector(f"#trials-table tbody tr[data-id='{trial_id}']")
            t0 = time.perf_counter()
            page.click(f"#trials-table tbody tr[data-id='{trial_id}'] td.mono")
            page.wait_for_function("document.getElementById('d-log').textContent.includes('step 399999')")
            detail.append((time.perf_counter() - t0) * 1000)
            page.click("#d-close")
            t0 = time.perf_counter()
            page.click("#rungs-tab")
            page.wait_for_selector("#rungs .bracket .chip")
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            rungs.append((time.perf_counter() - t0) * 1000)
            page.close()
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(home_url + "/", wait_until="commit")
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            home.append(page.evaluate("performance.now()"))
            page.close()
        b.close()
    return {
        "detail": statistics.median(detail),
        "rungs": statistics.median(rungs),
        "home": statistics.median(home),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        serve_one(args.one, args.port)
        return 0
    if args.home:
        serve_home(args.home, args.port)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        directory = home / "scale10k"
        fill(directory, args.trials, args.steps)
        add_fidelity(directory, args.trials)
        trial_id = f"t{args.trials // 2:06d}"
        trial_files(directory, trial_id)
        home_with(home, directory, 30)
        one, base = start("one", directory)
        homeproc, home_url = start("home", home)
        try:
            rows = []
            cold = []
            for _ in range(args.repeat):
                touch_version(directory)
                cold.append(timed_get(base + "/api/v1/rungs")[0])
            size = timed_get(base + "/api/v1/rungs")[1]
            rows.append(("rung view, first after a change (10,000 trials)", statistics.median(cold), size))
            rows.append(
                ("rung view, cached (no change since)", *median_ms(base + "/api/v1/rungs", args.repeat))
            )
            log = f"/api/v1/trials/{trial_id}/log/stdout"
            rows.append(("log tail: first 64 KiB of a 20 MB stdout", *median_ms(base + log, args.repeat)))
            end = json.loads(urllib_get(base + log))["next"]
            rows.append(
                (
                    "log tail: poll from the end (nothing new)",
                    *median_ms(f"{base}{log}?offset={end}", args.repeat),
                )
            )
            rows.append(
                (
                    "trial directory as zip (50 MB checkpoints + 20 MB log)",
                    *median_ms(f"{base}/api/v1/trials/{trial_id}/zip", 3),
                )
            )
            rows.append(
                (
                    "experiments list (31 experiments, one of 10,000 trials)",
                    *median_ms(home_url + "/api/v1/experiments", args.repeat),
                )
            )
            print("\n| endpoint | median ms | response KiB |\n|---|---:|---:|")
            for label, ms, size in rows:
                print(f"| {label} | {ms:.1f} | {size / 1024:.0f} |")
            if Path(CHROMIUM).exists():
                b = browser(base, home_url, max(3, args.repeat // 3), trial_id)
                print("\n| headless Chromium | median ms | target |\n|---|---:|---|")
                print(
                    f"| trial detail opened, last 64 KiB of its 20 MB log drawn | {b['detail']:.0f} | < 2000 |"
                )
                print(f"| Rungs tab drawn (10,000 trials in brackets) | {b['rungs']:.0f} | < 2000 |")
                print(f"| experiments page usable (navigation -> list drawn) | {b['home']:.0f} | < 2000 |")
        finally:
            for proc in (one, homeproc):
                proc.terminate()
                proc.wait()
    return 0


def urllib_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:
        return bytes(response.read())


if __name__ == "__main__":
    sys.exit(main())
