"""ENAS (Pham et al., 2018): an RL controller samples architectures; all of them share weights.

The controller is an LSTM that takes one decision per label, in label order: each step's input is
the embedding of the previous decision, its logits `tanh_constant * tanh(head(h) / temperature)`
(the paper's sharpening). Every epoch alternates two phases:
1. the shared weights train on the training data, one controller-sampled architecture a batch;
2. the controller trains by REINFORCE for `controller_steps` optimizer steps (50 by default), each the
   average over `controller_aggregate` sampled architectures (20 as in the reference code's
   `controller_num_aggregate` and NNI's `ctrl_steps_aggregate`). The reference pairs its 50 steps
   with a CIFAR-10 epoch of ~390 weight batches; on a small data set a fixed 50 over-weights the
   controller, so `controller_steps_per_batch` (instead of `controller_steps`) sets an epoch's steps
   to round(controller_steps_per_batch x that epoch's weight batches), at least 1: the reference's
   ratio is 50 / 390. A sample's reward is its metric on
   one validation batch plus `entropy_weight` x the policy's entropy; the baseline is an
   exponential moving average of rewards, updated after every sample, and a sample's loss
   -log p(arch) x (reward - baseline).
The shared network scores a path in training mode without gradients: BatchNorm uses the batch's
statistics, since its running statistics belong to no single path. `uniform_prob` > 0 trains some weight
batches on uniformly random paths instead (`enas_options.py`). Export (the paper's derivation):
`derive_samples` architectures sampled from the trained controller, each scored with the shared
weights on the same `derive_batches` validation batches (1, the paper's and the default: one batch;
`None`: the whole validation split, one pass in an order fixed once), the best kept; `derive_samples=0`
exports the controller's most likely decision at every step (greedy decoding) instead. A score on
one batch of 64 has a sampling std of ~0.04 at 0.8-0.9 accuracy, more than the gaps it ranks; the
whole split cuts that by sqrt(its batches). With `derive_bn="train"` (the default) the derivation,
like the rewards, scores with each batch's own BatchNorm statistics in training mode, as the shared
weights were trained. `derive_bn="recalibrate"` scores the derivation's samples (and `evaluate`) as
SPOS scores its candidates instead: each path's BatchNorm running statistics are re-estimated (a plain
average) on the same `recalibrate_batches` training batches (a fixed order), then the path is scored
in eval mode (no dropout). The rewards are the same either way, and so are the samples drawn.
Then (`derive_retrain_epochs` > 0, default 3; `enas_options.py`) the distinct architectures among the
derivation's `derive_retrain_top` best are each trained standalone for that many epochs on the training
split and scored on the validation split; the best of those is exported (0: the shared-weight best).

With `few_shot_epochs > 0` (few-shot NAS, Zhao et al., 2021; `few_shot.py`), `fit()` then splits the
shared weights on one choice (`few_shot_split`, default the choice with the most options) into one
sub-supernet per option: a copy of the weights and their optimizer state, trained `few_shot_epochs`
more epochs on architectures the (now fixed) controller samples with that choice forced to the
option, i.e. on the paths the derivation will draw. The derivation then scores each sampled
architecture on the sub-supernet of its option (it needs `derive_samples >= 1`).
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from .effective import arch_key
from .enas_options import check_options, check_settings, pick, short_retrain_score, uniform_arch
from .few_shot import SubSupernet, clone_supernet, scoring_model, split_choice
from .mutables import NasError
from .space import ChoiceGroup, choice_groups, set_arch
from .spos import recalibrate_bn
from .training import (
    Loss,
    Metric,
    accuracy,
    autocast,
    forever,
    loader,
    resolve_device,
    seed_everything,
    to_device,
)

Arch = dict[str, Any]


class Controller(nn.Module):
    """The LSTM policy over a space's labels (see module doc)."""

    def __init__(
        self, sizes: list[int], hidden: int = 64, temperature: float = 5.0, tanh_constant: float = 2.5
    ) -> None:
        super().__init__()
        self.sizes, self.temperature, self.tanh_constant = sizes, temperature, tanh_constant
        self.start = nn.Parameter(torch.zeros(1, hidden))
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for n in sizes)
        self.embeddings = nn.ModuleList(nn.Embedding(n, hidden) for n in sizes)

    def logits(self, h: torch.Tensor, step: int) -> torch.Tensor:
        return self.tanh_constant * torch.tanh(self.heads[step](h) / self.temperature)

    def sample(
        self,
        generator: torch.Generator | None = None,
        greedy: bool = False,
        forced: dict[int, int] | None = None,
    ) -> tuple[list[int], torch.Tensor, torch.Tensor]:
        """(decision indices, log-probability of them, entropy of the policy along the way); a step in
        `forced` takes the given index, and the later steps are sampled given it."""
        x = self.start
        state: tuple[torch.Tensor, torch.Tensor] | None = None
        indices: list[int] = []
        log_prob = torch.zeros((), device=x.device)
        entropy = torch.zeros((), device=x.device)
        for step in range(len(self.sizes)):
            state = self.lstm(x, state)
            log_p = torch.log_softmax(self.logits(state[0], step), -1)[0]
            if forced is not None and step in forced:
                index = forced[step]
            elif greedy:
                index = int(torch.argmax(log_p))
            else:
                index = int(torch.multinomial(log_p.detach().exp().cpu(), 1, generator=generator))
            indices.append(index)
            log_prob = log_prob + log_p[index]
            entropy = entropy - (log_p.exp() * log_p).sum()
            x = self.embeddings[step](torch.tensor([index], device=x.device))
        return indices, log_prob, entropy


class EnasTrainer:
    """Search a model's choices with ENAS. `fit()`, then `export()`."""

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
        controller_steps: int | None = None,
        controller_steps_per_batch: float | None = None,
        controller_aggregate: int = 20,
        controller_lr: float = 3.5e-4,
        entropy_weight: float = 1e-4,
        baseline_decay: float = 0.999,
        controller_hidden: int = 64,
        derive_samples: int = 10,
        derive_batches: int | None = 1,
        derive_bn: str = "train",
        recalibrate_batches: int = 20,
        grad_clip: float | None = 5.0,
        few_shot_epochs: int = 0,
        few_shot_split: str | None = None,
        uniform_prob: float = 0.0,
        derive_retrain_epochs: int = 3,
        derive_retrain_top: int = 5,
        derive_retrain_lr: float = 0.05,
        derive_retrain_seed: int | None = None,
        model_fn: Callable[[], nn.Module] | None = None,
        device: str | torch.device | None = None,
        amp: bool = True,
        seed: int = 0,
        workers: int = 0,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        check_settings(
            num_epochs=num_epochs,
            controller_aggregate=controller_aggregate,
            derive_samples=derive_samples,
            derive_batches=derive_batches,
            derive_bn=derive_bn,
            recalibrate_batches=recalibrate_batches,
            controller_steps=controller_steps,
            controller_steps_per_batch=controller_steps_per_batch,
        )
        check_options(uniform_prob, derive_retrain_epochs, derive_retrain_top, derive_retrain_lr)
        seed_everything(seed)
        self.model, self.loss, self.metric, self.optimizer = model, loss, metric, optimizer
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.groups: dict[str, ChoiceGroup] = choice_groups(model)
        if not self.groups:
            raise NasError("EnasTrainer: the model has no LayerChoice, InputChoice or ValueChoice")
        self.labels = list(self.groups)
        self.few_shot_epochs = few_shot_epochs
        self.split = split_choice(self.groups, few_shot_epochs, few_shot_split, "EnasTrainer")
        if self.split is not None and derive_samples == 0:
            raise NasError(
                f"EnasTrainer few_shot_epochs={few_shot_epochs} needs derive_samples >= 1 (the greedy "
                "decode scores no architecture on the sub-supernets)"
            )
        self.subs: list[SubSupernet] = []  # filled by fit() when few_shot_epochs > 0
        self.controller = Controller([len(g.choices) for g in self.groups.values()], controller_hidden).to(
            self.device
        )
        self.controller_optimizer = torch.optim.Adam(self.controller.parameters(), lr=controller_lr)
        self.num_epochs, self.grad_clip = num_epochs, grad_clip
        if controller_steps is None and controller_steps_per_batch is None:
            controller_steps = 50  # the reference's, per epoch
        self.controller_steps, self.controller_steps_per_batch = controller_steps, controller_steps_per_batch
        self.entropy_weight, self.baseline_decay, self.baseline = entropy_weight, baseline_decay, 0.0
        self.amp, self.log = amp, log
        self.controller_aggregate = controller_aggregate
        self.derive_samples, self.derive_batches = derive_samples, derive_batches
        self.derive_bn, self.recalibrate_batches = derive_bn, recalibrate_batches
        self.derived: Arch | None = None
        self.last_entropy = 0.0  # the mean policy entropy of the last controller step's samples
        self.generator = torch.Generator().manual_seed(seed + 17)
        self.uniform_prob, self.uniform_batches = float(uniform_prob), 0
        self.mix_generator = torch.Generator().manual_seed(seed + 23)
        self.derive_retrain_epochs, self.derive_retrain_top = derive_retrain_epochs, derive_retrain_top
        self.derive_retrain_lr, self.model_fn = derive_retrain_lr, model_fn
        self.derive_retrain_seed = seed + 3 if derive_retrain_seed is None else derive_retrain_seed
        self.batch_size, self.train_dataset, self.val_dataset = batch_size, train_dataset, val_dataset
        self.retrained: list[dict[str, Any]] = []  # the export's candidates, best first (see export)
        self.train_loader = loader(train_dataset, batch_size, shuffle=True, seed=seed, workers=workers)
        self.val_batches = forever(
            loader(val_dataset, batch_size, shuffle=True, seed=seed + 1, workers=workers)
        )
        self.derive_loader = loader(val_dataset, batch_size, shuffle=True, seed=seed + 2, workers=workers)
        # derive_batches=None: every candidate sees the same batches (BatchNorm uses their statistics)
        size = len(val_dataset)  # type: ignore[arg-type]
        order = torch.randperm(size, generator=torch.Generator().manual_seed(seed + 2))
        self.derive_split = loader(
            Subset(val_dataset, order.tolist()), batch_size, shuffle=False, workers=workers
        )
        # derive_bn="recalibrate": the same training batches re-estimate every scored path's statistics
        order = torch.randperm(len(train_dataset), generator=torch.Generator().manual_seed(seed + 7))  # type: ignore[arg-type]
        calib = Subset(train_dataset, order[: recalibrate_batches * batch_size].tolist())
        self.calib_loader = loader(calib, batch_size, shuffle=False, workers=workers)
        self.history: list[dict[str, Any]] = []

    def to_arch(self, indices: list[int]) -> Arch:
        return {label: self.groups[label].choices[i] for label, i in zip(self.labels, indices, strict=True)}

    def sample_arch(self, forced: dict[int, int] | None = None) -> Arch:
        with torch.no_grad():
            indices, _, _ = self.controller.sample(self.generator, forced=forced)
        return self.to_arch(indices)

    def controller_step(self, reward_of: Callable[[Arch], float]) -> tuple[float, float]:
        """One REINFORCE update over `controller_aggregate` samples; returns (mean reward, loss)."""
        self.controller.train()
        self.controller_optimizer.zero_grad(set_to_none=True)
        rewards, total, entropies = [], 0.0, []
        for _ in range(self.controller_aggregate):
            indices, log_prob, entropy = self.controller.sample(self.generator)
            entropies.append(float(entropy.detach()))
            reward = float(reward_of(self.to_arch(indices))) + self.entropy_weight * float(entropy.detach())
            self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * reward
            loss = -log_prob * (reward - self.baseline) / self.controller_aggregate
            loss.backward()  # the gradients of the samples add up to their average
            rewards.append(reward)
            total += float(loss.detach())
        self.controller_optimizer.step()
        self.last_entropy = sum(entropies) / len(entropies)  # the policy's, summed over the steps
        return sum(rewards) / len(rewards), total

    def _reward(self, arch: Arch) -> float:
        return self._score(arch, [next(self.val_batches)])

    def _score(self, arch: Arch, batches: Iterable[Any], bn: str = "train") -> float:
        """The metric of `arch` on the shared weights (after a few-shot split: its sub-supernet's) over
        `batches`, weighted by batch size; `bn`: "train" (batch statistics) or "recalibrate"."""
        model, groups = self.supernet_for(arch)
        set_arch(model, arch, groups)
        if bn == "recalibrate":  # running statistics of this path, then eval mode (see module doc)
            recalibrate_bn(model, self.calib_loader, self.recalibrate_batches, self.device)
            model.eval()  # also without BatchNorm (recalibrate_bn then returns at once)
        else:
            model.train()  # batch statistics (see module doc)
        total, count = 0.0, 0
        with torch.no_grad(), autocast(self.device, self.amp):
            for batch in batches:
                x, y = to_device(batch, self.device)
                total += self.metric(model(x).float(), y) * len(y)
                count += len(y)
        return total / max(count, 1)

    def supernet_for(self, arch: Arch) -> tuple[nn.Module, dict[str, ChoiceGroup]]:
        """The shared weights that score `arch`: the supernet, or after a few-shot split the
        sub-supernet of the architecture's option at the split choice."""
        return scoring_model(self.model, self.groups, self.subs, arch)

    def _train_weights(self, sub: SubSupernet | None = None) -> tuple[float, float, int]:
        """One epoch of the shared weights (of `sub`, with its option forced in every sample)."""
        forced: dict[int, int] | None = None
        model, optimizer, groups = self.model, self.optimizer, self.groups
        if sub is not None:
            model, optimizer, groups = sub.model, sub.optimizer, sub.groups
            forced = {self.labels.index(sub.label): self.groups[sub.label].choices.index(sub.value)}
        model.train()
        total_loss, total_metric, steps = 0.0, 0.0, 0
        for batch in self.train_loader:
            x, y = to_device(batch, self.device)
            uniform = uniform_arch(self) if sub is None else None  # uniform_prob's coin (enas_options.py)
            set_arch(model, uniform if uniform is not None else self.sample_arch(forced), groups)
            optimizer.zero_grad(set_to_none=True)
            with autocast(self.device, self.amp):
                logits = model(x)
            loss = self.loss(logits.float(), y)
            loss.backward()
            if self.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
            optimizer.step()
            total_loss += float(loss.detach())
            total_metric += self.metric(logits.detach().float(), y)
            steps += 1
        return total_loss, total_metric, steps

    def steps_for(self, weight_batches: int) -> int:
        """The controller's optimizer steps after an epoch of `weight_batches` weight batches."""
        if self.controller_steps is not None:
            return self.controller_steps
        assert self.controller_steps_per_batch is not None
        return max(1, round(self.controller_steps_per_batch * weight_batches))

    def fit(self) -> EnasTrainer:
        """num_epochs of shared weights + controller; with few_shot_epochs, then `split_supernet`."""
        self.derived, self.subs = None, []
        for epoch in range(self.num_epochs):
            start = time.perf_counter()
            total_loss, total_metric, steps = self._train_weights()
            controller_steps = self.steps_for(steps)
            rewards, entropies = [], []
            for _ in range(controller_steps):
                rewards.append(self.controller_step(self._reward)[0])
                entropies.append(self.last_entropy)
            entry = {
                "epoch": epoch + 1,
                "train_loss": total_loss / max(steps, 1),
                "train_metric": total_metric / max(steps, 1),
                "reward": sum(rewards) / max(len(rewards), 1),
                "controller_steps": controller_steps,
                "entropy": sum(entropies) / max(len(entropies), 1),
                "seconds": time.perf_counter() - start,
            }
            self._record(entry)
        if self.few_shot_epochs:
            self.split_supernet()
        return self

    def _record(self, entry: dict[str, Any]) -> None:
        self.history.append(entry)
        if self.log is not None:
            self.log(entry)

    def split_supernet(self) -> list[SubSupernet]:
        """Few-shot NAS: one copy of the shared weights (and optimizer state) per option of the split
        choice, each trained few_shot_epochs epochs on controller samples with the choice forced to
        its option; the controller is not trained further, self.model stays the one-shot one."""
        if self.split is None:
            raise NasError("EnasTrainer.split_supernet: set few_shot_epochs > 0 (the sub-supernets' epochs)")
        self.derived, self.subs = None, []
        for value in self.groups[self.split].choices:
            sub = SubSupernet(self.split, value, *clone_supernet(self.model, self.optimizer, "EnasTrainer"))
            for _ in range(self.few_shot_epochs):
                start = time.perf_counter()
                total_loss, total_metric, steps = self._train_weights(sub)
                entry = {
                    "epoch": len(self.history) + 1,
                    "train_loss": total_loss / max(steps, 1),
                    "train_metric": total_metric / max(steps, 1),
                    "fixed": sub.fixed(),
                    "seconds": time.perf_counter() - start,
                }
                self._record(entry)
            self.subs.append(sub)
        return self.subs

    def derive(self) -> list[tuple[Arch, float]]:
        """The paper's derivation: `derive_samples` controller samples, each with its shared-weight
        metric (after a few-shot split: on its option's sub-supernet) on the same `derive_batches`
        validation batches (None: all of them), best first (ties: sampled first)."""
        self.controller.eval()
        batches: Iterable[Any] = self.derive_split
        if self.derive_batches is not None:
            batches = list(itertools.islice(forever(self.derive_loader), self.derive_batches))
        scored: list[tuple[Arch, float]] = []
        for _ in range(self.derive_samples):
            arch = self.sample_arch()
            scored.append((arch, self._score(arch, batches, self.derive_bn)))
        return sorted(scored, key=lambda pair: -pair[1])

    def evaluate(self, arch: Arch) -> float:
        """`arch`'s shared-weight metric on the whole validation split, as `derive_batches=None`
        scores the derivation's samples (with `derive_bn`; after a few-shot split: on its option's
        sub-supernet)."""
        return self._score(arch, self.derive_split, self.derive_bn)

    def retrain_score(self, arch: Arch) -> float:
        """`arch` trained standalone for `derive_retrain_epochs` on the training split, its metric on
        the validation split (enas_options.py)."""
        return short_retrain_score(self, arch)

    def export(self) -> Arch:
        """The best of `derive_samples` sampled architectures (see derive; with derive_retrain_epochs,
        the best of its top candidates after short standalone retrains, kept in `retrained`), computed
        once; with `derive_samples=0`, the controller's most likely architecture (greedy decoding)."""
        if self.derived is None:
            if self.derive_samples and self.derive_retrain_epochs:
                key = functools.partial(arch_key, self.groups)
                self.retrained = pick(self.derive(), self.derive_retrain_top, self.retrain_score, key)
                self.derived = self.retrained[0]["arch"]
            elif self.derive_samples:
                self.derived = self.derive()[0][0]
            else:
                self.controller.eval()
                with torch.no_grad():
                    indices, _, _ = self.controller.sample(greedy=True)
                self.derived = self.to_arch(indices)
        return dict(self.derived)
