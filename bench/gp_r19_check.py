"""Seventeenth round (bench/gp_r19_declared.md): 6-D off-centre guards for `sv83`, then the report.

    python bench/gp_r19_check.py diag FUNC S0 S1 OUT                    # DIAG (gp_r18_check's statistics)
    python bench/gp_r19_check.py run VARIANT FUNC S0 S1 OUT [DIAG [V]]  # 100 evaluations (changed seeds only)
    python bench/gp_r19_check.py guard DIAG OUT                         # step 1's table and verdict
    python bench/gp_r19_check.py report DIAG OUT                        # step 2's tables (gp_r17_check.report)

Adds the guard functions below to the bench's registries in this process only (tuners.py's defaults are
unchanged); everything else is gp_r18_check.py's and gp_r17_check.py's.
"""

from __future__ import annotations

import sys

import gp_r16_offcenter as r16o
import gp_r18_check as r18
import numpy as np
import tuner_problems as tp
import tuner_rugged as tr

r17 = r18.r17

# name -> (function, space, minimum, noise sd); Michalewicz is separable, so its 6-D minimum is the sum of
# the per-column minima (-0.801303, -1, -0.959091, -0.938462, -0.988801, -1)
NEW = {
    "michalewicz6": (tr._on(tr.michalewicz, 6), tr._box(6, 0, np.pi), -5.687658, 0.0),
    "michalewicz6-noisy": (tr._on(tr.michalewicz, 6), tr._box(6, 0, np.pi), -5.687658, 0.1),
    "schwefel6": (tr._on(tr.schwefel, 6), tr._box(6, -500, 500), 0.0, 0.0),
}
for _name, (_f, _space, _minimum, _sd) in NEW.items():
    tr.RUGGED.setdefault(_name, (_f, _space, _minimum, _sd))
    tp.FUNCS.setdefault(_name, (_f, _minimum))
    tp.SPACES.setdefault(_name, _space)
GUARDS = [*NEW, *r16o.EXTRA]
SEEDS = list(range(300, 340))


def guard(dgname: str, out: str) -> None:
    dg, got = r17.diag_rows(dgname), r17.load(out)
    print(
        "| function | seeds | changed (run) | gp / sv83, 40 seeds | gp / sv83, changed seeds |"
        " wins / losses, p | passes |"
    )
    print("|---|---|---|---|---|---|---|")
    pooled_v: list[float] = []
    pooled_b: list[float] = []
    every = True
    for f in GUARDS:
        have = len([s for s in SEEDS if (f, s) in dg])
        d = r17.duel(dg, got, "sv83", "gp", f, SEEDS)
        pooled_v += list(d["cv"])
        pooled_b += list(d["cb"])
        lost = d["lo"] > d["w"] and d["p"] < 0.1
        full = len(d["b"]) == len(SEEDS)
        worse = full and float(np.median(d["v"])) > 1.05 * float(np.median(d["b"]))
        ok = have == len(SEEDS) and not d["miss"] and not lost and (full or not d["changed"]) and not worse
        every &= ok
        print(
            f"| {f} | {have} | {d['changed']} ({d['changed'] - len(d['miss'])}) |"
            f" {r17.med(d['b'])} / {r17.med(d['v'])} | {r17.med(d['cb'])} / {r17.med(d['cv'])} |"
            f" {d['w']} / {d['lo']}, p {d['p']:.2g} | {'yes' if ok else '**no**'} |"
        )
    w, lo, p = r17.sign(np.array(pooled_v), np.array(pooled_b)) if pooled_v else (0, 0, 1.0)
    pooled_ok = not (lo > w and p < 0.1)
    print(f"| pooled | | {len(pooled_v)} | | | {w} / {lo}, p {p:.2g} | {'yes' if pooled_ok else '**no**'} |")
    print(f"\nstep 1: {'passes' if every and pooled_ok else 'fails'}")


if __name__ == "__main__":
    r18.load_routes()
    cmd = sys.argv[1]
    if r18.diag_or_run(sys.argv):
        pass
    elif cmd == "guard":
        guard(sys.argv[2], sys.argv[3])
    elif cmd == "report":
        r17.report(sys.argv[2], sys.argv[3], "sv83")
    else:
        raise SystemExit(f"gp_r19_check.py: unknown command {cmd!r}")
