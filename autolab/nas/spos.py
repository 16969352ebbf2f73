"""SPOS (Guo et al., 2020): train a supernet one uniformly sampled path at a time, then search.

`fit()` trains: with `sampling="uniform"` (the paper's), each batch samples every decision uniformly
and updates only that path's weights; with `sampling="fair"` (FairNAS's strict fairness, Chu et al.,
2021), each batch runs as many paths as the largest decision has options, every decision taking
each of its options once (a fresh random permutation per decision and batch), their gradients
summed into one optimizer step, so every option of every decision is trained on every batch (the
cost of a step grows by that factor).
`search()` runs evolution over architectures; each candidate is scored on the validation data with
the supernet's weights after its BatchNorm statistics are recalibrated on the same
`recalibrate_batches` training batches, in an order fixed once (shared running statistics belong to
no single path; the same batches make a candidate's score the same on every call). The search
leaves the supernet set to the best architecture, with that architecture's statistics. An optional
parameter or FLOPs limit filters candidates; the random ones are drawn inside a parameter or FLOPs range directly.
With `few_shot_epochs > 0` (few-shot NAS, Zhao et al., 2021; `few_shot.py`), `fit()` then splits the
trained supernet on one choice (`few_shot_split`, default the choice with the most options) into one
sub-supernet per option, each a copy trained `few_shot_epochs` more epochs with that choice fixed,
and every candidate is scored on the sub-supernet of its option.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from .budget import RangeSampler, SpaceCost
from .evolution import EvolutionResult, evolution_search
from .few_shot import SubSupernet, clone_supernet, scoring_model, split_choice
from .mutables import NasError
from .space import canonical, choice_groups, random_arch, set_arch, validate_arch
from .training import (
    Loss,
    Metric,
    accuracy,
    autocast,
    evaluate,
    forever,
    loader,
    resolve_device,
    seed_everything,
    to_device,
)


def recalibrate_bn(
    model: nn.Module, batches: Iterable[Any], num_batches: int, device: torch.device | None = None
) -> int:
    """Reset every BatchNorm's running statistics and re-estimate them (a plain average) over
    `num_batches` batches in train mode, without touching weights. Returns the batches used."""
    device = device or next(model.parameters()).device
    norms = [
        m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    if not norms or num_batches <= 0:
        return 0
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the recalibration batches
    model.train()
    used = 0
    try:
        with torch.no_grad():
            for batch in batches:
                if used >= num_batches:
                    break
                x, _ = to_device(batch, device)
                model(x)
                used += 1
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        model.eval()
    return used


class SposTrainer:
    """Single-path one-shot: `fit()` the supernet, then `search()` (or `evaluate(arch)`); `export()`."""

    def __init__(
        self,
        model: nn.Module,
        loss: Loss,
        optimizer: torch.optim.Optimizer,
        train_dataset: Dataset[Any],
        val_dataset: Dataset[Any],
        *,
        num_epochs: int,
        batch_size: int = 64,
        metric: Metric = accuracy,
        grad_clip: float | None = 5.0,
        lr_scheduler: Any = None,
        device: str | torch.device | None = None,
        amp: bool = True,
        seed: int = 0,
        workers: int = 0,
        recalibrate_batches: int = 20,
        eval_batches: int | None = None,
        sampling: str = "uniform",
        few_shot_epochs: int = 0,
        few_shot_split: str | None = None,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if sampling not in ("uniform", "fair"):
            raise NasError(f"SposTrainer sampling must be 'uniform' or 'fair', got {sampling!r}")
        if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 1:
            raise NasError(f"SposTrainer num_epochs must be >= 1, got {num_epochs!r}")
        seed_everything(seed)
        self.sampling = sampling
        self.model, self.loss, self.metric, self.optimizer = model, loss, metric, optimizer
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.num_epochs, self.grad_clip, self.lr_scheduler = num_epochs, grad_clip, lr_scheduler
        self.amp, self.log, self.seed = amp, log, seed
        self.recalibrate_batches, self.eval_batches = recalibrate_batches, eval_batches
        self.groups = choice_groups(model)
        if not self.groups:
            raise NasError("SposTrainer: the model has no LayerChoice, InputChoice or ValueChoice")
        self.few_shot_epochs = few_shot_epochs
        self.split = split_choice(self.groups, few_shot_epochs, few_shot_split, "SposTrainer")
        self.subs: list[SubSupernet] = []  # filled by fit() when few_shot_epochs > 0
        self.rng = random.Random(seed)
        self.train_loader = loader(train_dataset, batch_size, shuffle=True, seed=seed, workers=workers)
        # BN recalibration: the same training batches, in an order fixed once, for every candidate
        order = torch.randperm(len(train_dataset), generator=torch.Generator().manual_seed(seed + 7))  # type: ignore[arg-type]
        calib = Subset(train_dataset, order.tolist())
        self.calib_loader = loader(calib, batch_size, shuffle=False, workers=workers)
        self.val_loader = loader(val_dataset, batch_size, shuffle=False, workers=workers)
        self.history: list[dict[str, Any]] = []
        self.result: EvolutionResult | None = None

    def fit(self) -> SposTrainer:
        """Train the supernet num_epochs epochs; with few_shot_epochs, then split it (`split_supernet`)."""
        for _ in range(self.num_epochs):
            self._epoch(self.model, self.optimizer, self.groups, {})
            if self.lr_scheduler is not None:
                self.lr_scheduler.step()
        if self.few_shot_epochs:
            self.split_supernet()
        return self

    def split_supernet(self) -> list[SubSupernet]:
        """Few-shot NAS: one copy of the trained supernet (weights and optimizer state) per option of
        the split choice, each trained few_shot_epochs epochs with the choice fixed to its option at
        the optimizer's current lr (the scheduler is not stepped); self.model stays the one-shot one."""
        if self.split is None:
            raise NasError("SposTrainer.split_supernet: set few_shot_epochs > 0 (the sub-supernets' epochs)")
        self.subs = []
        for value in self.groups[self.split].choices:
            sub = SubSupernet(self.split, value, *clone_supernet(self.model, self.optimizer, "SposTrainer"))
            for _ in range(self.few_shot_epochs):
                self._epoch(sub.model, sub.optimizer, sub.groups, sub.fixed())
            self.subs.append(sub)
        return self.subs

    def _epoch(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        groups: dict[str, Any],
        fixed: dict[str, Any],
    ) -> None:
        start = time.perf_counter()
        model.train()
        total_loss, total_metric, steps = 0.0, 0.0, 0
        for batch in self.train_loader:
            x, y = to_device(batch, self.device)
            optimizer.zero_grad(set_to_none=True)
            for arch in self.paths():
                set_arch(model, {**arch, **fixed}, groups)
                with autocast(self.device, self.amp):
                    logits = model(x)
                loss = self.loss(logits.float(), y)
                loss.backward()  # fair: the paths' gradients add up (FairNAS)
                total_loss += float(loss.detach())
                total_metric += self.metric(logits.detach().float(), y)
                steps += 1
            if self.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
            optimizer.step()
        entry = {
            "epoch": len(self.history) + 1,
            "train_loss": total_loss / max(steps, 1),
            "train_metric": total_metric / max(steps, 1),
            "seconds": time.perf_counter() - start,
            **({"fixed": fixed} if fixed else {}),
        }
        self.history.append(entry)
        if self.log is not None:
            self.log(entry)

    def paths(self) -> list[dict[str, Any]]:
        """The architectures one training step runs: one uniform draw, or (fair) for every decision a
        random permutation of its options, repeated when it has fewer options than the largest."""
        if self.sampling == "uniform":
            return [random_arch(self.groups, self.rng)]
        m = max(len(g.choices) for g in self.groups.values())
        orders: dict[str, list[Any]] = {}
        for label, group in self.groups.items():
            order: list[Any] = []
            while len(order) < m:
                order += self.rng.sample(group.choices, len(group.choices))
            orders[label] = order[:m]
        return [{label: order[i] for label, order in orders.items()} for i in range(m)]

    def evaluate(self, arch: dict[str, Any], recalibrate_batches: int | None = None) -> float:
        """The architecture's validation metric on the supernet weights (after a few-shot split, its
        sub-supernet's), after BN recalibration."""
        arch = validate_arch(self.groups, arch)
        model, groups = self.supernet_for(arch)
        set_arch(model, arch, groups)
        self.recalibrate(model, recalibrate_batches)
        return evaluate(model, self.val_loader, self.metric, self.device, self.amp, self.eval_batches)

    def recalibrate(self, model: nn.Module | None = None, num_batches: int | None = None) -> int:
        """Re-estimate the BatchNorm statistics of the model's current path (default the supernet) on
        the first num_batches (default recalibrate_batches) calibration batches: the same for every call."""
        n = self.recalibrate_batches if num_batches is None else num_batches
        return recalibrate_bn(
            self.model if model is None else model, forever(self.calib_loader), n, self.device
        )

    def supernet_for(self, arch: dict[str, Any]) -> tuple[nn.Module, dict[str, Any]]:
        """The model (and its choice groups) that scores the architecture: the supernet, or after a
        few-shot split the sub-supernet of the architecture's option at the split choice."""
        return scoring_model(self.model, self.groups, self.subs, arch)

    def search(
        self,
        *,
        population_size: int = 20,
        generations: int = 10,
        parents: int = 10,
        mutation_prob: float = 0.1,
        min_params: int | None = None,
        max_params: int | None = None,
        min_flops: int | None = None,
        max_flops: int | None = None,
        example_input: torch.Tensor | None = None,
        log: Callable[[int, float], None] | None = None,
    ) -> dict[str, Any]:
        """Evolution search on the trained supernet; returns (and keeps) the best architecture.
        `self.model` is left set to it, its BatchNorm statistics recalibrated for it (so
        `apply_fixed_architecture(copy.deepcopy(trainer.model), best)` scores as the search did).

        min/max_params and min/max_flops bound the architecture's size (FLOPs need an example input,
        e.g. one image with its batch dimension). Random architectures are then drawn inside the
        range directly (budget.RangeSampler), and every candidate is checked against it."""
        params_range, flops_range = (min_params, max_params), (min_flops, max_flops)
        if flops_range != (None, None) and example_input is None:
            raise NasError("SposTrainer.search: min_flops / max_flops need example_input (one input batch)")
        constraint = sample = None
        if params_range != (None, None) or flops_range != (None, None):
            probe = (
                None
                if flops_range == (None, None) or example_input is None
                else example_input.to(self.device)
            )
            cost = SpaceCost(self.model, probe)
            if flops_range != (None, None):
                sample = RangeSampler(self.groups, cost.flops_estimate, *flops_range, what="FLOPs")
            else:
                sample = RangeSampler(self.groups, cost.params, *params_range, what="parameters")

            def constraint(arch: dict[str, Any]) -> bool:
                return cost.within(arch, params_range, flops_range)

        space = {label: g.choices for label, g in self.groups.items()}
        self.result = evolution_search(
            space,
            self.evaluate,
            population_size=population_size,
            generations=generations,
            parents=parents,
            mutation_prob=mutation_prob,
            constraint=constraint,
            canonical=lambda arch: canonical(self.groups, arch),
            sample=sample,
            seed=self.seed,
            log=log,
        )
        set_arch(self.model, self.result.best_arch, self.groups)
        self.recalibrate()  # the supernet left with the best path's statistics, not the last candidate's
        return dict(self.result.best_arch)

    def export(self) -> dict[str, Any]:
        if self.result is None:
            raise NasError(
                "SposTrainer.export: run search() first (the supernet alone has no best architecture)"
            )
        return dict(self.result.best_arch)
