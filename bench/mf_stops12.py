"""Issue 16, twelfth round: RA's stops on the digits table, decision by decision.

For every trial RA (docs/multi-fidelity.md's recommended configuration, through the shipped
assessor) stops on the digits table: the seed, the trials so far, the rung level, the reading
("last" / "best"), the configuration's rank by final accuracy (bench/mf_digits12.py), how many
validation images it was below the cut, how many trials were at the rung, and the gate's measure.
Written as JSON to the third argument; the summary in bench/README.md (twelfth round) was read
from it.

    cd bench; nice -n 10 python3 mf_stops12.py 60 100 /tmp/stops60.json     # seeds 60-99, 73 s
"""

import json
import math
import sys

sys.path.insert(0, ".")
sys.path.insert(0, "..")
import mf_bench
import mf_digits12 as D
from mf_problems import problems

from autolab.assessors import create_assessor

P = problems()[D.DIGITS]
rank = D.ranks()
grid = P.GRID
log = []
orig = mf_bench.make_assessor


def make(mode, asha):
    real = create_assessor("ASHA", {"optimize_mode": mode, **asha})
    g = real._goes_on

    def goes_on(trial, history, level):
        ok = g(trial, history, level)
        if not ok:
            how = real.reading(history, level)
            mine = real.results(trial, how)[level - 1]
            others = sorted(
                [
                    real.results(t, how)[level - 1]
                    for t in history.trials
                    if t.trial_id != trial.trial_id and len(t.intermediate) >= level
                ],
                reverse=True,
            )
            keep = max(math.floor((len(others) + 1) / 3), 1)
            key = json.dumps({k: trial.parameters[k] for k in grid}, sort_keys=True)
            log.append(
                (
                    seed,
                    len(history.trials),
                    level,
                    how,
                    rank[key],
                    round((others[keep - 1] - mine) * 540),
                    len(others) + 1,
                    real.measure(history, level, how),
                )
            )
        return ok

    real._goes_on = goes_on
    return real


mf_bench.make_assessor = make
args = D.RA_ARGS
mf_bench.EXTRA_ASHA[:] = [args]
m = mf_bench.extra_name(args)
for seed in range(int(sys.argv[1]), int(sys.argv[2])):
    mf_bench.simulate(P, m, seed, 100)
json.dump(log, open(sys.argv[3], "w"))
