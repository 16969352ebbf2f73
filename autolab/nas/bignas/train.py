"""Sandwich training of a BigNAS supernet (Yu et al., 2020), and BN calibration of a subnet.

Each step runs the `sandwich` subnets ("max", "random", "random", "min" by default, or explicit
settings) on the same batch, one after the other: each forward's loss is backpropagated at once
(the gradients accumulate, and only one subnet's activations are alive at a time), then the
optimizer takes ONE step. With in-place distillation (`distill=True`, the default) the first
subnet must be "max": it learns from the labels, and its detached soft predictions (at
`temperature`) are the targets of every other subnet. `mimic` names modules (e.g. "stages.2")
whose outputs the other subnets also match, by mean squared error, on the first channels of the max
subnet's (detached) output (a named block past a subnet's depth is skipped for it). Validation
(the `val_settings` subnets, BN calibrated on training batches first: the shared running
statistics belong to no single subnet) runs after every epoch, and before the first with
`valid_before_train=True`.

Regularisation acts on the largest subnet only, as in BigNAS (the smaller ones, taught by its soft
labels, are underfitting rather than overfitting): dropout (every `nn.Dropout` of the supernet)
is on while a "max" entry of the sandwich runs and off for the others; weight decay is the
optimizer's, applied once per step to the summed gradient, i.e. once to the max subnet's weights
(which are all the weights), never once per subnet.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..spos import recalibrate_bn
from ..training import (
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
from .space import BigNASError, Settings
from .supernet import BigNASSupernet

NAMED = ("max", "min", "random")


def calibrate_bn(
    model: nn.Module,
    batches: Iterable[Any],
    num_batches: int | None = None,
    device: torch.device | None = None,
) -> int:
    """Reset every BatchNorm's running statistics (a supernet's: at its active widths) and set them
    to the plain average over the batches ((x, y) pairs; all of them unless num_batches), weights
    untouched. The model is left in eval mode; returns the number of batches used."""
    if num_batches is None:
        batches = list(batches)
        num_batches = len(batches)
    return recalibrate_bn(model, batches, num_batches, device)


def soft_cross_entropy(
    logits: torch.Tensor, target_logits: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Cross-entropy against the teacher's softened predictions (x T^2, so gradients keep their
    scale whatever the temperature, as in Hinton et al.)."""
    target = F.softmax(target_logits / temperature, dim=-1)
    log_probs = F.log_softmax(logits / temperature, dim=-1)
    return -(target * log_probs).sum(dim=-1).mean() * temperature**2


class SandwichTrainer:
    """`fit()` the supernet with the sandwich rule; `validate(settings)` any subnet."""

    def __init__(
        self,
        supernet: BigNASSupernet,
        loss: Loss,
        optimizer: torch.optim.Optimizer,
        train_dataset: Dataset[Any],
        val_dataset: Dataset[Any] | None = None,
        *,
        num_epochs: int,
        batch_size: int = 64,
        sandwich: Sequence[str | Settings] = ("max", "random", "random", "min"),
        distill: bool = True,
        temperature: float = 1.0,
        mimic: Sequence[str] = (),
        mimic_weight: float = 1.0,
        valid_before_train: bool = False,
        val_settings: Sequence[str | Settings] = ("max", "min"),
        calib_batches: int = 10,
        metric: Metric = accuracy,
        grad_clip: float | None = None,
        lr_scheduler: Any = None,
        device: str | torch.device | None = None,
        amp: bool = True,
        seed: int = 0,
        workers: int = 0,
        eval_batches: int | None = None,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if num_epochs < 0:
            raise BigNASError(f"SandwichTrainer num_epochs must be >= 0, got {num_epochs}")
        if not sandwich:
            raise BigNASError("SandwichTrainer sandwich: give at least one subnet (e.g. ['max', 'min'])")
        for kind in [*sandwich, *val_settings]:
            if isinstance(kind, str) and kind not in NAMED:
                raise BigNASError(
                    f"SandwichTrainer: subnet {kind!r} is not one of {', '.join(NAMED)} or settings"
                )
        if (distill or mimic) and sandwich[0] != "max":
            raise BigNASError(
                "SandwichTrainer: in-place distillation and mimic learn from the max subnet, so the sandwich "
                f"must start with 'max', got {sandwich[0]!r} (or set distill=False)"
            )
        if temperature <= 0:
            raise BigNASError(f"SandwichTrainer temperature must be > 0, got {temperature}")
        seed_everything(seed)
        self.model, self.loss, self.metric, self.optimizer = supernet, loss, metric, optimizer
        self.space = supernet.space
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.num_epochs, self.grad_clip, self.lr_scheduler = num_epochs, grad_clip, lr_scheduler
        self.distill, self.temperature, self.mimic_weight = distill, temperature, mimic_weight
        self.valid_before_train, self.calib_batches, self.eval_batches = (
            valid_before_train,
            calib_batches,
            eval_batches,
        )
        self.amp, self.log, self.seed = amp, log, seed
        self.rng = random.Random(seed)
        # explicit settings are checked now, not at the first step
        self.sandwich = [k if isinstance(k, str) else self.space.normalize(k) for k in sandwich]
        self.val_settings = [k if isinstance(k, str) else self.space.normalize(k) for k in val_settings]
        modules = dict(supernet.named_modules())
        for name in mimic:
            if name not in modules or not name:
                raise BigNASError(
                    f"SandwichTrainer mimic: the supernet has no module {name!r} (e.g. 'stages.1')"
                )
        self.dropouts = [m for m in supernet.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
        self.features: dict[str, torch.Tensor] = {}
        self.mimic = list(mimic)
        for name in self.mimic:
            modules[name].register_forward_hook(self._keep(name))
        self.train_loader = loader(train_dataset, batch_size, shuffle=True, seed=seed, workers=workers)
        self.calib_loader = loader(train_dataset, batch_size, shuffle=True, seed=seed + 7, workers=workers)
        self.val_loader = (
            None if val_dataset is None else loader(val_dataset, batch_size, shuffle=False, workers=workers)
        )
        self.history: list[dict[str, Any]] = []

    def _keep(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            self.features[name] = output

        return hook

    def draw(self, kind: str | Settings) -> Settings:
        if kind == "max":
            return self.space.max()
        if kind == "min":
            return self.space.min()
        if kind == "random":
            return self.space.random(self.rng)
        assert isinstance(kind, dict)
        return kind

    def _mimic_loss(self, teacher: dict[str, torch.Tensor]) -> torch.Tensor | float:
        total: torch.Tensor | float = 0.0
        for name in self.mimic:
            if name not in self.features:
                continue  # a block past this subnet's depth: nothing to match
            student = self.features[name].float()
            total = total + F.mse_loss(student, teacher[name][:, : student.shape[1]])
        return self.mimic_weight * total

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, Any]:
        """One sandwich step on one batch: every subnet's gradient accumulated, one optimizer step.
        Returns the settings run, their losses, and the first (max) subnet's metric."""
        settings = [self.draw(kind) for kind in self.sandwich]
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        losses: list[float] = []
        teacher_logits: torch.Tensor | None = None
        teacher_features: dict[str, torch.Tensor] = {}
        metric = 0.0
        for i, (kind, s) in enumerate(zip(self.sandwich, settings, strict=True)):
            self.model.set_active(s)
            for m in self.dropouts:
                m.train(kind == "max")  # regularise the largest subnet only
            self.features.clear()
            with autocast(self.device, self.amp):
                logits = self.model(x)
            logits = logits.float()
            if teacher_logits is None or not self.distill:
                loss = self.loss(logits, y)
            else:
                loss = soft_cross_entropy(logits, teacher_logits, self.temperature)
            if i > 0 and self.mimic:
                loss = loss + self._mimic_loss(teacher_features)
            loss.backward()
            if i == 0:
                # the targets of the others: no gradient flows back into the max subnet through them
                teacher_logits = logits.detach()
                teacher_features = {n: f.detach().float() for n, f in self.features.items()}
                metric = self.metric(teacher_logits, y)
            losses.append(float(loss.detach()))
        self.features.clear()
        if self.grad_clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        return {"settings": settings, "losses": losses, "metric": metric}

    def validate(self, settings: str | Settings, calib_batches: int | None = None) -> float:
        """The subnet's validation metric on the supernet's weights, BN calibrated first."""
        if self.val_loader is None:
            raise BigNASError("SandwichTrainer.validate: no val_dataset was given")
        self.model.set_active(self.draw(settings))
        n = self.calib_batches if calib_batches is None else calib_batches
        calibrate_bn(self.model, forever(self.calib_loader), n, self.device)
        return evaluate(self.model, self.val_loader, self.metric, self.device, self.amp, self.eval_batches)

    def _validation(self) -> dict[str, float]:
        if self.val_loader is None:
            return {}
        return {
            f"val_{k if isinstance(k, str) else i}": self.validate(k) for i, k in enumerate(self.val_settings)
        }

    def _record(self, entry: dict[str, Any]) -> None:
        self.history.append(entry)
        if self.log is not None:
            self.log(entry)

    def fit(self) -> SandwichTrainer:
        if self.valid_before_train and self.val_loader is not None:
            self._record({"epoch": 0, **self._validation()})
        for epoch in range(self.num_epochs):
            start = time.perf_counter()
            totals = [0.0] * len(self.sandwich)
            metric, steps = 0.0, 0
            for batch in self.train_loader:
                x, y = to_device(batch, self.device)
                out = self.train_step(x, y)
                totals = [t + v for t, v in zip(totals, out["losses"], strict=True)]
                metric += out["metric"]
                steps += 1
            if self.lr_scheduler is not None:
                self.lr_scheduler.step()
            entry: dict[str, Any] = {
                "epoch": epoch + 1,
                "train_loss": totals[0] / max(steps, 1),  # the first (max) subnet's, on the labels
                "train_losses": [t / max(steps, 1) for t in totals],
                "train_metric": metric / max(steps, 1),
                "seconds": time.perf_counter() - start,
            }
            self._record({**entry, **self._validation()})
        self.model.set_active(self.space.max())
        return self
