"""Sixteenth round, second screen (bench/gp_r18_declared.md): a bowl with ripples vs off-centre valleys.

    python bench/gp_r18_check.py diag FUNC S0 S1 OUT                 # DIAG with the new statistics
    python bench/gp_r18_check.py run VARIANT FUNC S0 S1 OUT [DIAG [V]]  # 100 evaluations (changed seeds only)
    python bench/gp_r18_check.py table DIAG RUNS FUNC...             # per-seed statistics and force vs gp
    python bench/gp_r18_check.py same DIAG OUT VARIANT SCREEN         # the variant itself, 1 changed / 1 not
    python bench/gp_r18_check.py select DIAG OUT VARIANT...          # step 2 tables

Reuses gp_r17_check.py (the patched choice, DIAG, `force`); adds the statistics `tb5`, `dmin`, `vin`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import gp_r17_check as r17
import numpy as np

gaussian = r17.gaussian
_STATS17 = r17.stats
_ROUTE17 = r17.route_value


def shape(x: np.ndarray, loss: np.ndarray, k: int = 5) -> dict[str, Any]:
    """Where the best k trials sit against the quadratic trend fitted on all of them."""
    trend = gaussian.Trended(x, loss)
    t = trend.trend(x)
    best = np.argsort(loss, kind="stable")[:k]
    adv = float(np.mean(loss[best]) - np.mean(loss))
    tb = float(np.mean(t[best]) - np.mean(t)) / adv if adv < 0 else 0.0
    d = x.shape[1]
    b, a = trend.coef[1 : 1 + d], trend.coef[1 + d :]
    up = a > 0
    vert = np.where(up, -b / (2 * np.where(up, a, 1.0)), 0.0)
    inside = up & (np.abs(vert) <= 0.5)
    # the trend's minimiser over the cube, column by column (v = u - 0.5 in [-0.5, 0.5])
    lo_end = np.where(a * 0.25 - b * 0.5 < a * 0.25 + b * 0.5, -0.5, 0.5)
    vmin = np.where(up, np.clip(vert, -0.5, 0.5), lo_end)
    dmin = float(np.sqrt(np.mean((np.mean(x[best], axis=0) - 0.5 - vmin) ** 2)))
    return {"tb5": round(tb, 4), "dmin": round(dmin, 4), "vin": round(float(np.mean(inside)), 4)}


def stats(self: Any, x: np.ndarray, loss: np.ndarray) -> dict[str, Any]:
    return {**_STATS17(self, x, loss), **shape(x, loss)}


def route_value(st: dict[str, Any], stat: str) -> float:
    """`a&b`: both statistics against their own cuts, as one number (declared in gp_r18_routes.json)."""
    if stat.startswith(
        "sht&"
    ):  # share_t >= 0.9 and the named statistic >= its cut (cut folded in: value/cut)
        name, cut = stat[4:].split("@")
        return min(st["share_t"] / 0.9, _ROUTE17(st, name) / float(cut))
    if stat.startswith("neg:"):  # a statistic that must be small: -value
        return -_ROUTE17(st, stat[4:])
    return _ROUTE17(st, stat)


r17.stats = stats
r17.route_value = route_value


def table(dgname: str, out: str, funcs: list[str]) -> None:
    dg = r17.diag_rows(dgname)
    got = {(r["t"], r["f"], r["s"]): r["r"] for r in r17.load(out)}
    keys = ("share_t", "r2_trend", "dlml", "bowl", "tb5", "dmin", "vin")
    for f in funcs:
        print(f"## {f}")
        print("| s | shipped | tail | " + " | ".join(keys) + " | gp | force | force-gp |")
        for (ff, s), r in sorted(dg.items()):
            if ff != f:
                continue
            vals = " | ".join(str(r.get(k, "")) for k in keys)
            a, b = got.get(("force", f, s)), got.get(("gp", f, s))
            dd = "" if a is None or b is None else ("W" if a < b else "L" if a > b else "T")
            print(f"| {s} | {r['shipped']} | {r['tail']} | {vals} | {b} | {a} | {dd} |")


def same(dgname: str, out: str, variant: str, screen: str) -> None:
    import tuner_problems as tp

    dg, f = r17.diag_rows(dgname), "rastrigin6-noisy"
    seeds = [s for s in range(250, 290) if (f, s) in dg]
    ch = r17.changed(dg, variant, f, seeds)
    r17.use(variant)
    got = {(r["t"], r["s"]): r["r"] for r in r17.load(screen) if r["f"] == f}
    pick = [(s, "gp") for s in seeds if s not in ch and ("gp", s) in got][:1]
    pick += [(s, "force") for s in ch if ("force", s) in got][:1]
    for seed, arm in pick:
        r = float(tp.run_autolab("gp", f, 100, seed, 1)[0] - tp.FUNCS[f][1])
        r17.write(out, {"t": variant + "-same", "f": f, "s": seed, "p": 1, "r": r, "against": arm})
        want = got.get((arm, seed))
        print(variant, f, seed, arm, r, want, "equal" if r == want else "DIFFERENT")


GUARDS = "michalewicz5 michalewicz5-noisy ackley5 schwefel4 levy6 griewank8 hartmann6 rosenbrock4".split()


def select(dgname: str, out: str, variants: list[str]) -> None:
    dg, got = r17.diag_rows(dgname), r17.load(out)
    print(
        "| variant | function | seeds | changed (run) | gp / variant, every seed gp ran (n) |"
        " gp / variant, changed seeds | wins / losses, p | passes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v in variants:
        for f in ["rastrigin6-noisy", "rastrigin6", *GUARDS]:
            s0, s1 = (250, 290) if f.startswith("rastrigin6") else (250, 270)
            d = r17.duel(dg, got, v, "gp", f, list(range(s0, s1)))
            lost = d["lo"] > d["w"] and d["p"] < 0.1
            full = len(d["b"]) == s1 - s0
            mv, mb = (d["v"], d["b"]) if full else (d["cv"], d["cb"])
            if f == "rastrigin6-noisy":
                ok = full and d["w"] > d["lo"] and float(np.median(mv)) < float(np.median(mb))
            elif f == "rastrigin6":
                ok = not lost
            else:
                ok = not lost and (not len(mv) or float(np.median(mv)) <= 1.05 * float(np.median(mb)))
            if d["miss"]:
                ok = False
            print(
                f"| {v} | {f} | {s0}-{s1 - 1} | {d['changed']} ({d['changed'] - len(d['miss'])}) |"
                f" {r17.med(d['b'])} / {r17.med(d['v'])} ({len(d['b'])}) | {r17.med(d['cb'])} / {r17.med(d['cv'])} |"
                f" {d['w']} / {d['lo']}, p {d['p']:.2g} | {'yes' if ok else '**no**'} |"
            )


def load_routes() -> None:
    with open(os.path.join(r17.HERE, "gp_r18_routes.json")) as fh:
        r17.ROUTES.update({k: (v[0], float(v[1])) for k, v in json.load(fh).items()})


def diag_or_run(argv: list[str]) -> bool:
    """The `diag` and `run` commands (gp_r19_check.py's too): False when argv names another."""
    if argv[1] == "diag":
        r17.diag(argv[2], list(range(int(argv[3]), int(argv[4]))), argv[5])
    elif argv[1] == "run":
        v, f, s0, s1, o = argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6]
        seeds = list(range(s0, s1))
        if len(argv) > 7:
            seeds = r17.changed(r17.diag_rows(argv[7]), argv[8] if len(argv) > 8 else v, f, seeds)
        r17.run(v, f, seeds, o)
    else:
        return False
    return True


if __name__ == "__main__":
    load_routes()
    cmd = sys.argv[1]
    if diag_or_run(sys.argv):
        pass
    elif cmd == "table":
        table(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "same":
        same(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        select(sys.argv[2], sys.argv[3], sys.argv[4:])
