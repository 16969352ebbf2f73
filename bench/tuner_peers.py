# ruff: noqa  (the peer anchor script, kept as written so its figures stay comparable)
"""Peer tuner anchors: quality (best value after N evals) and suggestion latency.

(The lead's anchor script /work/shared/bench/peer_tuners.py, copied unchanged in substance so the
repository's bench is self-contained; bench/tuners.py runs it in each peer's venv.)

Runs hyperopt TPE, Optuna TPE and NNI 3.0 TPE/Evolution/Random on Branin, Hartmann-6 and a mixed
space, sequentially (one suggestion, one result). Each peer in its own venv (pip install optuna
hyperopt / pip install nni).
Usage: python peer_tuners.py PEER FUNC N SEEDS [PARALLEL]
  PEER in hyperopt|optuna|optuna-gp|optuna-cmaes|nni-tpe|nni-evo|nni-random; FUNC also any of the
  rugged suite (tuner_rugged.py); PARALLEL (Optuna only): that many trials always running (ask
  ahead, tell the oldest; TPE with constant_liar), as bench/tuner_problems.run_autolab does.
"""

import math, sys, time, json
import numpy as np


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


BR_SPACE = {"x1": {"_type": "uniform", "_value": [-5, 10]}, "x2": {"_type": "uniform", "_value": [0, 15]}}
BR_MIN = 0.397887

A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(ALPHA * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))


H6_SPACE = {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(6)}
H6_MIN = -3.32237


# mixed space: categorical + log + int, a toy 'train a model' response surface
def mixed(p):
    lr = math.log10(p["lr"])
    opt = p["optimizer"]
    layers = p["layers"]
    drop = p["dropout"]
    base = {"sgd": 0.0, "adam": -0.05, "rmsprop": 0.03}[opt]
    return (lr + 2.5) ** 2 * 0.1 + (layers - 3) ** 2 * 0.02 + (drop - 0.2) ** 2 + base + 0.1


MX_SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
    "optimizer": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
    "layers": {"_type": "randint", "_value": [1, 8]},
    "dropout": {"_type": "uniform", "_value": [0, 0.9]},
}
MX_MIN = 0.05


# nested choice (bench/tuner_problems.py's): a model with its own parameters per branch; the peers
# that take it (Optuna, define-by-run) suggest a branch's parameters only when it is chosen
def nested(p):
    m = p["model"]
    if m["_name"] == "svm":
        return 0.3 + 0.05 * (math.log10(m["C"]) - 1) ** 2 + 0.2 * (math.log10(m["gamma"]) + 3) ** 2 / 9
    if m["_name"] == "forest":
        return 0.1 + 0.002 * (m["depth"] - 12) ** 2 + 0.5 * (m["max_features"] - 0.35) ** 2
    return 0.2 + 0.1 * (math.log10(p["lr"]) + 3) ** 2


NS_SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
    "model": {
        "_type": "choice",
        "_value": [
            {
                "_name": "svm",
                "C": {"_type": "loguniform", "_value": [1e-2, 1e3]},
                "gamma": {"_type": "loguniform", "_value": [1e-6, 1]},
            },
            {
                "_name": "forest",
                "depth": {"_type": "randint", "_value": [2, 30]},
                "max_features": {"_type": "uniform", "_value": [0.05, 1.0]},
            },
            {"_name": "linear"},
        ],
    },
}
NS_MIN = 0.1

FUNCS = {
    "branin": (branin, BR_SPACE, BR_MIN),
    "hartmann6": (hartmann6, H6_SPACE, H6_MIN),
    "mixed": (mixed, MX_SPACE, MX_MIN),
    "nested": (nested, NS_SPACE, NS_MIN),
}
# the rugged suite (bench/tuner_rugged.py, beside this file): noisy ones are seen with noise and
# scored noise-free at the trial seen as best
from tuner_rugged import RUGGED, noisy

FUNCS.update({k: (f, space, fmin_) for k, (f, space, fmin_, _) in RUGGED.items()})


def run_nni(name, f, space, n, seed):
    import random

    random.seed(seed)
    np.random.seed(seed)
    if name == "nni-tpe":
        from nni.algorithms.hpo.tpe_tuner import TpeTuner

        t = TpeTuner(optimize_mode="minimize", seed=seed)
    elif name == "nni-evo":
        from nni.algorithms.hpo.evolution_tuner import EvolutionTuner

        t = EvolutionTuner(optimize_mode="minimize", population_size=32)
    else:
        from nni.algorithms.hpo.random_tuner import RandomTuner

        t = RandomTuner(seed=seed)
    t.update_search_space(space)
    best, lat = float("inf"), []
    for i in range(n):
        s = time.perf_counter()
        p = t.generate_parameters(i)
        lat.append(time.perf_counter() - s)
        v = f(p)
        best = min(best, v)
        t.receive_trial_result(i, p, v)
    return best, lat


def run_hyperopt(f, space, n, seed):
    from hyperopt import hp, tpe, Trials, fmin, STATUS_OK

    def convert(spec, prefix=""):  # a nested choice: hp.choice over branch dicts, named as Optuna's
        hs = {}
        for k, d in spec.items():
            t, v, name = d["_type"], d["_value"], prefix + k
            if t == "uniform":
                hs[k] = hp.uniform(name, v[0], v[1])
            elif t == "loguniform":
                hs[k] = hp.loguniform(name, math.log(v[0]), math.log(v[1]))
            elif t == "choice" and isinstance(v[0], dict):
                branches = [(b["_name"], {bk: bd for bk, bd in b.items() if bk != "_name"}) for b in v]
                hs[k] = hp.choice(name, [{"_name": b, **convert(sub, f"{name}.{b}.")} for b, sub in branches])
            elif t == "choice":
                hs[k] = hp.choice(name, v)
            elif t == "randint":
                hs[k] = hp.randint(name, v[0], v[1])
        return hs

    def ints(p, spec):  # hyperopt's randint gives numpy ints
        out = {}
        for k, x in p.items():
            d = spec[k]
            if d["_type"] == "choice" and isinstance(d["_value"][0], dict):
                sub = next(b for b in d["_value"] if b["_name"] == x["_name"])
                out[k] = {"_name": x["_name"], **ints({a: y for a, y in x.items() if a != "_name"}, sub)}
            else:
                out[k] = int(x) if d["_type"] == "randint" else x
        return out

    hs = convert(space)
    trials = Trials()
    lat = []
    last = [time.perf_counter()]

    def obj(p):
        lat.append(time.perf_counter() - last[0])
        v = f(ints(p, space))
        last[0] = time.perf_counter()
        return {"loss": v, "status": STATUS_OK}

    fmin(
        obj,
        hs,
        algo=tpe.suggest,
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return min(trials.losses()), lat


def optuna_params(tr, space, prefix=""):
    """Define-by-run: a nested choice (a list of dicts with _name) suggests its branch by name,
    then that branch's own parameters, named 'key.branch.param' in the study."""
    p = {}
    for k, d in space.items():
        t, v, name = d["_type"], d["_value"], prefix + k
        if t == "choice" and isinstance(v[0], dict):
            chosen = tr.suggest_categorical(name, [b["_name"] for b in v])
            branch = next(b for b in v if b["_name"] == chosen)
            sub = {bk: bd for bk, bd in branch.items() if bk != "_name"}
            p[k] = {"_name": chosen, **optuna_params(tr, sub, f"{name}.{chosen}.")}
        elif t == "uniform":
            p[k] = tr.suggest_float(name, v[0], v[1])
        elif t == "loguniform":
            p[k] = tr.suggest_float(name, v[0], v[1], log=True)
        elif t == "choice":
            p[k] = tr.suggest_categorical(name, v)
        elif t == "randint":
            p[k] = tr.suggest_int(name, v[0], v[1] - 1)
    return p


def run_optuna_any(sampler, f, seen, space, n, seed, parallel):
    """Optuna's TPE / GPSampler / CMA-ES with `parallel` trials always running; best = the
    noise-free value of the trial seen as best."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    make = {
        "optuna": lambda: optuna.samplers.TPESampler(seed=seed, constant_liar=parallel > 1),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna-cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
    }[sampler]
    st = optuna.create_study(sampler=make())
    lat, pending, asked, best_seen, best = [], [], 0, float("inf"), float("inf")
    while asked < n or pending:
        while len(pending) < parallel and asked < n:
            s = time.perf_counter()
            tr = st.ask()
            pending.append((tr, optuna_params(tr, space)))
            lat.append(time.perf_counter() - s)
            asked += 1
        tr, p = pending.pop(0)
        v = seen(p)
        st.tell(tr, v)
        if v < best_seen:
            best_seen, best = v, f(p)
    return best, lat


def run_optuna(f, space, n, seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    lat = []
    for i in range(n):
        s = time.perf_counter()
        tr = st.ask()
        p = optuna_params(tr, space)
        lat.append(time.perf_counter() - s)
        st.tell(tr, f(p))
    return st.best_value, lat


def run_seen(peer, f, seen, space, n, seed):
    """hyperopt / NNI on a noisy function: they see `seen`; the best is f at the trial seen as best."""
    log = []

    def observed(p):
        v = seen(p)
        log.append((v, f(p)))
        return v

    if peer.startswith("nni"):
        _, lat = run_nni(peer, observed, space, n, seed)
    else:
        _, lat = run_hyperopt(observed, space, n, seed)
    return min(log)[1], lat


if __name__ == "__main__":
    peer, fname, n, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    parallel = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    f, space, fmin_ = FUNCS[fname]
    regrets, lats = [], []
    for seed in range(seeds):
        if fname in RUGGED or parallel > 1 or peer in ("optuna-gp", "optuna-cmaes"):
            if fname in RUGGED and not peer.startswith("optuna"):  # hyperopt / NNI see the noise too
                seen = noisy(fname, seed)
                b, lat = run_seen(peer, f, seen, space, n, seed)
            else:
                seen = noisy(fname, seed) if fname in RUGGED else f
                b, lat = run_optuna_any(peer, f, seen, space, n, seed, parallel)
        elif peer.startswith("nni"):
            b, lat = run_nni(peer, f, space, n, seed)
        elif peer == "hyperopt":
            b, lat = run_hyperopt(f, space, n, seed)
        else:
            b, lat = run_optuna(f, space, n, seed)
        regrets.append(b - fmin_)
        lats.append(lat)
    lat_last = [l[-1] for l in lats]
    print(
        json.dumps(
            {
                "peer": peer,
                "func": fname,
                "n": n,
                "seeds": seeds,
                "parallel": parallel,
                "median_regret": float(np.median(regrets)),
                "mean_regret": float(np.mean(regrets)),
                "regrets": regrets,
                "lat_last_ms": 1000 * float(np.median(lat_last)),
                "lat_mean_ms": 1000 * float(np.mean([np.mean(l) for l in lats])),
            }
        )
    )
