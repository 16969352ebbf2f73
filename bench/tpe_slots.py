"""Seventh-round parallel-TPE attempts (issue 24), patched into autolab's TPE for bench/tuner_par100.py.

A per-slot portfolio: with trials running, the suggestion for trial i (i = len(history)) is made
one of two ways by i's place in a cycle of K (with 8 always running and K = 8, the trials of one
worker of the eight always get the "exploit" rule, the others the committed one):

    install("slotK:m:RULE")   the suggestions with i % K < m use RULE, the rest the committed code

RULE (what a suggestion does with the running trials):
    seq     ignores them: no believer, no liar, TPE on the finished trials as sequential TPE is
    nolie   the believer ranks them into l or g as committed, but no liar kernels in g
    x1      believer as committed, liar kernels of l's own width (x 1 instead of x 1.5 in 6-d)
    nob     (gates only) the believer's ranking undone, liar kernels x 1

A switch from the data, the believer's track record: every running trial's latest belief is kept
(keyed by its point); when the trial finishes, (belief, loss) joins the record; the record is the
Spearman correlation over the last 24 pairs (none before 8):

    install("trackTHR:RULE:N")  RULE on every suggestion once N trials have finished, while the
                                record is below THR; the committed code otherwise
    install("holdTHR:RULE:N")   the same on a stand-in the history alone rebuilds (the record keeps
                                state a fresh tuner lacks, against the tuner contract): a process
                                fitted as the believer's to the finished trials before the newest 16
                                predicts those 16, Spearman of prediction and loss
    install("diag") / ("hdiag") the committed code, logging the record / the stand-in to LOG
"""

# ruff: noqa  (a measuring script)
from __future__ import annotations

import numpy as np

from scipy.stats import spearmanr

import autolab.tuners.tpe as tpe
from autolab.tuners.believer import MAX_FIT, MAX_HYPER, Believer, compression
from autolab.tuners.observations import RUNNING, Observations, best_and_newest

COMMITTED_SUGGEST = tpe.TpeTuner.suggest
COMMITTED_CANDIDATES = tpe.TpeTuner._candidates
COMMITTED_LIAR = tpe.LIAR_WIDTH_PER_DIM
COMMITTED_BELIEVE = Believer.__call__
STATE: dict[str, object] = {"k": 8, "m": 1, "rule": "seq", "thr": 0.5, "window": 24, "min": 8}
LOG: list[tuple[int, int, float]] = []  # diag: (finished trials, pairs, track-record Spearman)


def _believe(self, obs):
    """The committed belief, plus its track record: each running trial's last belief is kept
    (keyed by its point), and once it finishes the pair (belief, loss) joins the record;
    self._track = Spearman over the last STATE["window"] pairs (None while fewer than STATE["min"])."""
    out = COMMITTED_BELIEVE(self, obs)
    book = self.__dict__.setdefault("_book", {})
    pairs = self.__dict__.setdefault("_pairs", [])
    done = np.flatnonzero(obs.kind != RUNNING)
    for i in done:
        key = obs.x[i].tobytes()
        if key in book:
            pairs.append((book.pop(key), float(obs.loss[i])))
    if out is not None:
        for i, b in zip(np.flatnonzero(obs.kind == RUNNING), out):
            book[obs.x[i].tobytes()] = float(b)
    recent = pairs[-int(STATE["window"]) :]
    self._track = None
    if len(recent) >= int(STATE["min"]):
        a = np.array(recent)
        self._track = float(spearmanr(a[:, 0], a[:, 1])[0])
        LOG.append((len(done), len(pairs), self._track))
    return out


def _holdout(self, obs):
    """Stateless stand-in for the track record (rebuildable from the history alone): a process
    fitted, as the believer fits, to the finished trials before the newest STATE["window"] finished
    ones predicts those; self._track = Spearman of prediction and loss (None with fewer than
    STATE["min"] trials to fit on). One extra fit per new result (cached by its data)."""
    out = COMMITTED_BELIEVE(self, obs)
    done = np.flatnonzero(obs.kind != RUNNING)
    w = int(STATE["window"])
    self._track = None
    if len(done) - w < int(STATE["min"]):
        return out
    train, test = done[:-w], done[-w:]
    fit = best_and_newest(train, obs.loss, MAX_FIT)
    lo, shift = compression(obs.loss[train])
    y = obs.loss[fit] if shift is None else np.log(obs.loss[fit] - lo + shift)
    x = self.cube.encode(obs.x[fit])
    key = x.tobytes() + y.tobytes() + self.cube.encode(obs.x[test]).tobytes()
    cache = self.__dict__.get("_hold")
    if cache is None or cache[0] != key:
        try:
            gp = self._fit(x, y, np.searchsorted(fit, best_and_newest(fit, obs.loss, MAX_HYPER)))
            pred = gp.predict(self.cube.encode(obs.x[test]))
            rho = float(spearmanr(pred, obs.loss[test])[0])
        except (np.linalg.LinAlgError, ValueError):
            rho = float("nan")
        cache = (key, rho)
        self._hold = cache
    self._track = None if not np.isfinite(cache[1]) else cache[1]
    if self._track is not None:
        LOG.append((len(done), len(test), self._track))
    return out


def _suggest(self, history):
    exploit = len(history) % int(STATE["k"]) < int(STATE["m"])
    self._slot_rule = STATE["rule"] if exploit else None
    saved = self.args["kriging_believer"]
    if self._slot_rule == "seq":
        self.args["kriging_believer"] = False
    try:
        return COMMITTED_SUGGEST(self, history)
    finally:
        self.args["kriging_believer"] = saved
        self._slot_rule = None


def _candidates(self, group, obs, running, rng):
    rule = getattr(self, "_slot_rule", None)
    if STATE.get("gate"):
        track = getattr(self.believe, "_track", None)
        finished = len(obs.kind) - len(running)
        poor = track is not None and track < float(STATE["thr"]) and finished >= int(STATE["after"])
        rule = STATE["rule"] if poor else None
        if rule in ("seq", "nob") and len(running):  # undo the believer's ranking of the running trials
            kind = obs.kind.copy()
            kind[running] = RUNNING
            obs = Observations(obs.x, obs.loss, kind, obs.steps)
            rule = "nolie" if rule == "seq" else "x1"
    if rule in ("seq", "nolie"):
        running = running[:0]
    if rule == "x1":
        tpe.LIAR_WIDTH_PER_DIM = 0.0
        try:
            return COMMITTED_CANDIDATES(self, group, obs, running, rng)
        finally:
            tpe.LIAR_WIDTH_PER_DIM = COMMITTED_LIAR
    return COMMITTED_CANDIDATES(self, group, obs, running, rng)


def install(name: str) -> None:
    """Patch the attempt `name` into TPE; "base" puts the committed code back."""
    tpe.TpeTuner.suggest = COMMITTED_SUGGEST
    tpe.TpeTuner._candidates = COMMITTED_CANDIDATES
    tpe.LIAR_WIDTH_PER_DIM = COMMITTED_LIAR
    Believer.__call__ = COMMITTED_BELIEVE
    STATE["gate"] = False
    if name == "base":
        return
    if name in ("diag", "hdiag"):  # the committed code, logging the track record / its stand-in
        Believer.__call__ = _believe if name == "diag" else _holdout
        return
    if name.startswith("track"):  # trackTHR:RULE:N: RULE from N finished trials on while the record < THR
        thr, rule, after = name.removeprefix("track").split(":")
        if rule not in ("nolie", "x1", "seq", "nob"):
            raise SystemExit(f"unknown track rule {rule!r}")
        STATE.update(thr=float(thr), rule=rule, gate=True, after=int(after), window=24)
        Believer.__call__ = _believe
        tpe.TpeTuner._candidates = _candidates
        return
    if name.startswith("hold"):  # holdTHR:RULE:N: the same gated on the stateless stand-in
        thr, rule, after = name.removeprefix("hold").split(":")
        STATE.update(thr=float(thr), rule=rule, gate=True, after=int(after), window=16)
        Believer.__call__ = _holdout
        tpe.TpeTuner._candidates = _candidates
        return
    if name.startswith("slot"):
        k, m, rule = name.removeprefix("slot").split(":")
        if rule not in ("seq", "nolie", "x1"):
            raise SystemExit(f"unknown slot rule {rule!r}")
        STATE.update(k=int(k), m=int(m), rule=rule)
        tpe.TpeTuner.suggest = _suggest
        tpe.TpeTuner._candidates = _candidates
        return
    raise SystemExit(f"unknown variant {name!r}")
