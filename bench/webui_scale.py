"""Web UI and REST API at scale: 10,000 trials x 20 intermediate results in the store.

Measures, against a real server process (the same app `autolab view` serves):
  - the trial list endpoint (one page of 50, sorted by metric / filtered by status),
  - the full-summary endpoint (every trial: what the page loads first),
  - one trial with its intermediate results, and an incremental metrics poll,
  - page-usable time in headless Chromium (navigation to the first rendered overview, then the
    trials table and the charts tab).
  - issue 22's views: importance (cold, uncached, cached), the analysis tab (slices, contour),
    the charts with top 10% + log scale, compare of 10 trials from a link, the Pareto tab (the store
    has two objectives: `default` maximized, `latency` minimized).
Reports medians. Targets (issue 5): page < 100 ms, summary < 500 ms, page usable < 2 s; issue 22:
every chart < 2 s, importance < 1 s.

    python bench/webui_scale.py [--trials 10000] [--steps 20] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autolab.store import Store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "layers": {"_type": "randint", "_value": [1, 8]},
    "dropout": {"_type": "uniform", "_value": [0, 0.5]},
    "optimizer": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
}


def fill(directory: Path, n_trials: int, steps: int, seed: int = 0) -> None:
    """A store shaped like a long experiment's, written in bulk."""
    rng = random.Random(seed)
    (directory / "trials").mkdir(parents=True)
    store = Store(directory, create=True)
    config = {
        "searchSpace": SPACE,
        "trialCommand": "python3 train.py",
        "trialCodeDirectory": ".",
        "trialConcurrency": 8,
        "maxTrialNumber": n_trials,
        "maxExperimentDuration": 86400.0,
        "tuner": {
            "name": "TPE",
            "classArgs": {
                "optimize_mode": "maximize",
                "objectives": {"default": "maximize", "latency": "minimize"},
            },
        },
        "trainingService": {"platform": "local"},
    }
    start = time.time() - n_trials * 10
    store.set_meta(
        id="scale10k",
        name="webui-scale",
        config=config,
        status="RUNNING",
        created=start,
        elapsed=n_trials * 10.0,
    )
    trials, metrics = [], []
    for seq in range(n_trials):
        params = {
            "lr": 10 ** rng.uniform(-5, -1),
            "batch_size": rng.choice([16, 32, 64, 128]),
            "layers": rng.randint(1, 7),
            "dropout": rng.uniform(0, 0.5),
            "optimizer": rng.choice(["sgd", "adam", "rmsprop"]),
        }
        t0 = start + seq * 10
        running = seq >= n_trials - 8
        status = (
            "RUNNING" if running else rng.choices(["SUCCEEDED", "FAILED", "EARLY_STOPPED"], [90, 3, 7])[0]
        )
        quality = rng.random()
        curve = [quality * (1 - 0.8 ** (s + 1)) for s in range(steps)]
        final = None if status != "SUCCEEDED" else curve[-1]
        tid = f"t{seq:06d}"
        latency = params["layers"] * 3 + params["batch_size"] / 16 + 20 * quality + rng.random()
        raw = None if final is None else json.dumps({"default": final, "loss": 1 - final, "latency": latency})
        trials.append(
            (
                tid,
                seq,
                json.dumps(params),
                status,
                final,
                raw,
                t0,
                None if running else t0 + 9.5,
                None if running else 0,
                steps,
                curve[-1],
                t0 + 9.5,
            )
        )
        for s, v in enumerate(curve):
            metrics.append((tid, "PERIODICAL", s, v, json.dumps(v), t0 + s * 0.4, t0 + s * 0.4))
        if final is not None:
            metrics.append((tid, "FINAL", 0, final, raw, t0 + 9.5, t0 + 9.5))
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO trials(id, seq, parameters, status, value, raw_value, start_time, end_time, "
            "exit_code, n_intermediate, last_intermediate, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            trials,
        )
        c.executemany(
            "INSERT INTO metrics(trial_id, type, seq, value, raw, time, recorded) VALUES (?,?,?,?,?,?,?)",
            metrics,
        )
    store.close()


def serve(directory: Path, port: int) -> None:
    import tornado.ioloop

    from autolab.server import make_app

    store = Store(directory, readonly=True)
    make_app(manager=None, store=store, directory=directory).listen(port, address="127.0.0.1")
    print("serving", flush=True)
    tornado.ioloop.IOLoop.current().start()


def timed_get(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
    return (time.perf_counter() - t0) * 1000, len(body)


def median_ms(url: str, repeat: int) -> tuple[float, int]:
    timed_get(url)  # warm
    runs = [timed_get(url) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), runs[0][1]


def screenshots(url: str, folder: Path) -> None:
    """The 10,000-trial experiment's pages, for the README."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/#overview")
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        page.screenshot(path=str(folder / "scale-overview.png"))
        page.click("#tabs button[data-tab=trials]")
        page.click("#trials-table th[data-sort=value]")
        page.screenshot(path=str(folder / "scale-trials.png"))
        page.click("#tabs button[data-tab=charts]")
        page.wait_for_selector("#chart-parallel canvas")
        time.sleep(2)
        page.screenshot(path=str(folder / "scale-charts.png"), full_page=True)
        page.click("#tabs button[data-tab=analysis]")
        page.wait_for_function("document.getElementById('importance-note').textContent.includes('fitted')")
        time.sleep(1)
        page.screenshot(path=str(folder / "scale-analysis.png"), full_page=True)
        b.close()


def browser(url: str, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    ready, table, charts = [], [], []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/#overview", wait_until="commit")
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            ready.append(page.evaluate("performance.now()"))
            t0 = time.perf_counter()
            page.click("#tabs button[data-tab=trials]")
            page.wait_for_selector("#trials-table tbody tr[data-id]")
            page.click("#trials-table th[data-sort=value]")
            page.wait_for_selector("#trials-table th[data-sort=value]:has-text('▼')")
            table.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            page.click("#tabs button[data-tab=charts]")
            page.wait_for_selector("#chart-parallel canvas")
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            charts.append((time.perf_counter() - t0) * 1000)
            page.close()
        b.close()
    return {
        "ready": statistics.median(ready),
        "table": statistics.median(table),
        "charts": statistics.median(charts),
    }


def frames(page: object) -> None:
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # type: ignore[attr-defined]


def series_length(chart: str, index: int, n: int) -> str:
    return (
        f"(() => {{ const c = echarts.getInstanceByDom(document.getElementById('{chart}'));"
        f" return c && c.getOption().series[{index}].data.length === {n}; }})()"
    )


def analysis_browser(url: str, repeat: int, n_trials: int) -> dict[str, float]:
    """Issue 22's views in headless Chromium, each timed from the click (or the link) to drawn."""
    from playwright.sync_api import sync_playwright

    done = json.loads(urllib.request.urlopen(url + "/api/v1/importance", timeout=120).read())["trials"]
    top = -(-done * 10 // 100)
    ids = [f"t{i:06d}" for i in range(0, n_trials // 2, n_trials // 20)][:10]
    times: dict[str, list[float]] = {
        k: [] for k in ("analysis", "importance", "topk", "log", "compare", "pareto")
    }
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/#overview")
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            t0 = time.perf_counter()
            page.click("#tabs button[data-tab=analysis]")
            page.wait_for_selector("#chart-contour canvas")
            page.wait_for_selector("#slices .chart:nth-child(5) canvas")
            frames(page)
            times["analysis"].append((time.perf_counter() - t0) * 1000)
            page.wait_for_function(
                "document.getElementById('importance-note').textContent.includes('fitted')"
            )
            frames(page)
            times["importance"].append((time.perf_counter() - t0) * 1000)
            page.click("#tabs button[data-tab=charts]")
            page.wait_for_selector("#chart-parallel canvas")
            t0 = time.perf_counter()
            page.select_option("#tab-charts .topk", "10")
            page.wait_for_function(series_length("chart-metric", 0, top))
            frames(page)
            times["topk"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            page.check("#tab-charts .logy")
            page.wait_for_function(
                "echarts.getInstanceByDom(document.getElementById('chart-metric')).getOption().yAxis[0].type === 'log'"
            )
            frames(page)
            times["log"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            page.click("#tabs button[data-tab=pareto]")
            page.wait_for_selector("#chart-pareto canvas")
            page.wait_for_function(
                "document.getElementById('pareto-note').textContent.includes('on the front')"
            )
            frames(page)
            times["pareto"].append((time.perf_counter() - t0) * 1000)
            page.close()
            page = b.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(url + "/#compare=" + ",".join(ids))
            page.wait_for_function(
                "(() => { const c = echarts.getInstanceByDom(document.getElementById('compare-chart'));"
                f" return c && c.getOption().series.length === {len(ids)}; }})()",
                timeout=60000,
            )
            frames(page)
            times["compare"].append((time.perf_counter() - t0) * 1000)
            page.close()
        b.close()
    return {k: statistics.median(v) for k, v in times.items()}


def start_server(directory: Path) -> tuple[subprocess.Popen[str], str]:
    """This script's `--serve` in a child process on a free loopback port, once it is serving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(directory), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
    return proc, f"http://127.0.0.1:{port}"


def importance_after_page(directory: Path) -> float:
    """A fresh server as a user meets it: the page is opened (which starts loading scikit-learn in
    the background), and 1.5 s later (the page's own delay, webui/js/importance.js) the importance
    is asked for; the time of that request."""
    proc, base = start_server(directory)
    try:
        timed_get(base + "/")
        time.sleep(1.5)
        return timed_get(base + "/api/v1/importance")[0]
    finally:
        proc.kill()
        proc.wait()


def importance_timings(base: str, repeat: int) -> list[tuple[str, float]]:
    """The first request (imports scikit-learn, fits), another objective (fits), then cached."""
    cold, _ = timed_get(base + "/api/v1/importance")
    fit, _ = timed_get(base + "/api/v1/importance?objective=latency")
    cached, _ = median_ms(base + "/api/v1/importance", repeat)
    return [
        ("importance, first request (imports scikit-learn, then fits)", cold),
        ("importance, another objective (fits: 2,000-trial subsample)", fit),
        ("importance, cached (same result count)", cached),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--screenshots", type=Path, help="also save the pages as PNG files in this folder")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "exp"
        t0 = time.perf_counter()
        fill(directory, args.trials, args.steps)
        with Store(directory, readonly=True) as store:
            version = store.version()  # trials were written first (versions 1..trials), then metrics
        print(
            f"filled {args.trials} trials x {args.steps} intermediate results in {time.perf_counter() - t0:.1f} s"
        )
        proc, base = start_server(directory)
        try:
            results: list[tuple[str, str, float, int, str]] = []
            mid = args.trials // 2
            for label, path, target in [
                ("trial page (50, by sequence)", f"/api/v1/trials?limit=50&offset={mid}", "< 100 ms"),
                (
                    "trial page (50, by metric desc)",
                    f"/api/v1/trials?limit=50&offset={mid}&sort=value&order=desc",
                    "< 100 ms",
                ),
                (
                    "trial page (50, by duration)",
                    "/api/v1/trials?limit=50&sort=duration&order=desc",
                    "< 100 ms",
                ),
                (
                    "trial page (status=FAILED, by metric)",
                    "/api/v1/trials?limit=50&status=FAILED&sort=lastIntermediate",
                    "< 100 ms",
                ),
                ("trial page (search 'adam')", "/api/v1/trials?limit=50&q=adam", "< 100 ms"),
                ("full summary (all trials)", "/api/v1/summary", "< 500 ms"),
                ("summary after the last 6 trial changes", f"/api/v1/summary?after={args.trials - 6}", ""),
                ("one trial + 20 intermediate", f"/api/v1/trials/t{mid:06d}", ""),
                ("metrics after the last 126 rows", f"/api/v1/metrics?after={version - 126}", ""),
                ("profile", "/api/v1/profile", ""),
            ]:
                ms, size = median_ms(base + path, args.repeat)
                results.append((label, path, ms, size, target))
            imp = importance_timings(base, args.repeat)
            imp.insert(
                1,
                (
                    "importance, first request 1.5 s after the page opened (fresh server)",
                    importance_after_page(directory),
                ),
            )
            print("\n| endpoint | median ms | response KiB | target |\n|---|---:|---:|---|")
            for label, _path, ms, size, target in results:
                print(f"| {label} | {ms:.1f} | {size / 1024:.0f} | {target} |")
            for label, ms in imp:
                print(f"| {label} | {ms:.0f} | | < 1000 |")
            if Path(CHROMIUM).exists():
                b = browser(base, max(3, args.repeat // 4))
                print("\n| headless Chromium | median ms | target |\n|---|---:|---|")
                print(
                    f"| page usable (navigation -> overview drawn with all trials) | {b['ready']:.0f} | < 2000 |"
                )
                print(f"| trials tab drawn + sorted by metric | {b['table']:.0f} | |")
                print(
                    f"| charts tab drawn (4 charts, parallel coordinates of all trials) | {b['charts']:.0f} | |"
                )
                v2 = analysis_browser(base, max(3, args.repeat // 4), args.trials)
                print("\n| headless Chromium, issue 22 | median ms | target |\n|---|---:|---|")
                for key, label in [
                    ("analysis", "analysis tab: 5 slice plots + contour drawn"),
                    ("importance", "analysis tab: importance drawn (server answer cached after the first)"),
                    ("topk", "charts tab: top 10% chosen -> 4 charts redrawn"),
                    ("log", "charts tab: log scale ticked -> 4 charts redrawn"),
                    ("pareto", "Pareto tab drawn (front + dominated trials)"),
                    ("compare", "compare link of 10 trials opened (page load + 10 curves)"),
                ]:
                    print(f"| {label} | {v2[key]:.0f} | < 2000 |")
                if args.screenshots:
                    screenshots(base, args.screenshots)
            else:
                print(f"\n(no {CHROMIUM}: browser timings skipped)")
        finally:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
