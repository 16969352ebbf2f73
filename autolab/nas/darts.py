"""DARTS (Liu et al., 2019): differentiable search by a continuous relaxation of the choices.

Every label gets a vector of architecture weights alpha; each choice becomes a softmax(alpha)
mixture of its options (LayerChoice: of the candidates' outputs; InputChoice: of the inputs;
ValueChoice in the mutable layers: of channel / kernel masks). Training alternates an alpha step on
a validation batch (Adam) with a weight step on a training batch (the user's optimizer).

First order: the alpha step takes the gradient of the validation loss at the current weights.
Second order (unrolled=True): the gradient of L_val(w', alpha) with w' = w - xi * (the optimizer's
step on L_train), xi the weight learning rate; the Hessian-vector product in it is the paper's
central finite difference. Export: argmax of each alpha (optionally never an excluded option such
as "none"). An InputChoice that declares its `edges` (the LayerChoice on each input, as in a DARTS
cell) has no alpha of its own under the default edge_rule="strongest_op": the node sums all its
edges and export keeps the n_chosen inputs whose strongest non-excluded operation weighs most, the
paper's rule (and NNI 3's). edge_rule="input_alpha" gives such InputChoices their own alpha, as
every other InputChoice has (export keeps its top n_chosen).
`warmup_epochs`: the first epochs train the weights only, alphas untouched (PC-DARTS's 15 of 50,
ProxylessNAS's warm-up), so that the alphas are not set by operations that have not learned yet.

Early stopping against collapse (DARTS+, Liang et al. 2019; off by default; darts_stop.py), checked at
the end of each epoch after the warm-up: `early_stop_ops` (e.g. ("skip",), or every parameter-free
option) stops the search once the derived architecture (what `export()` returns; in a cell only the kept
edges; over every LayerChoice of the model, where the paper counts the normal cell only) chooses one of
them in at least `early_stop_count` places (the paper: 2 skip connections in the normal cell);
`early_stop_stable_epochs=k` stops it once the ranking of every alpha's options (the `early_stop_ops`
left out, the paper's "learnable operations") has not changed for k epochs (the paper: 10). The
architecture exported is the one at the stop; `stopped` says which criterion fired, at which epoch
(None: it ran all num_epochs).
`auxiliary_skip=True` (DARTS-, Chu et al. 2021; darts_aux.py): during the search every LayerChoice whose
output keeps its input's shape gets out = mixture + beta * input, beta decayed linearly from 1 (first
step) to 0 (last step of num_epochs), so that a skip option no longer wins by standing in for a residual;
the export is the plain argmax.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.utils.data import Dataset, random_split

from .darts_aux import AuxiliarySkip
from .darts_stop import EarlyStop
from .fixed import export as export_model
from .mutables import InputChoice, NasError
from .space import choice_groups
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


class DartsTrainer:
    """Search a model's choices with DARTS. `fit()`, then `export()`."""

    def __init__(
        self,
        model: nn.Module,
        loss: Loss,
        optimizer: torch.optim.Optimizer,
        dataset: Dataset[Any],
        *,
        num_epochs: int,
        batch_size: int = 64,
        metric: Metric = accuracy,
        val_dataset: Dataset[Any] | None = None,
        val_fraction: float = 0.5,
        arch_lr: float = 3e-4,
        arch_weight_decay: float = 1e-3,
        arch_betas: tuple[float, float] = (0.5, 0.999),
        unrolled: bool = False,
        export_exclude: Sequence[Any] = (),
        edge_rule: str = "strongest_op",
        grad_clip: float | None = 5.0,
        warmup_epochs: int = 0,
        early_stop_ops: Sequence[Any] = (),
        early_stop_count: int = 2,
        early_stop_stable_epochs: int | None = None,
        auxiliary_skip: bool = False,
        lr_scheduler: Any = None,
        device: str | torch.device | None = None,
        amp: bool = True,
        seed: int = 0,
        workers: int = 0,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if num_epochs < 1:
            raise NasError(f"DartsTrainer num_epochs must be >= 1, got {num_epochs}")
        if not 0 <= warmup_epochs < num_epochs:  # at num_epochs the alphas would never train
            raise NasError(
                f"DartsTrainer warmup_epochs must be >= 0 and below num_epochs ({num_epochs}), got {warmup_epochs}"
            )
        seed_everything(seed)
        self.model, self.loss, self.metric, self.optimizer = model, loss, metric, optimizer
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.num_epochs, self.unrolled, self.grad_clip = num_epochs, unrolled, grad_clip
        self.export_exclude = list(export_exclude)
        self.warmup_epochs, self.lr_scheduler, self.amp, self.log = warmup_epochs, lr_scheduler, amp, log
        self.groups = choice_groups(model)
        if not self.groups:
            raise NasError("DartsTrainer: the model has no LayerChoice, InputChoice or ValueChoice")
        _check_relaxable(model, self.groups)
        if edge_rule not in EDGE_RULES:
            raise NasError(f"DartsTrainer edge_rule must be one of {EDGE_RULES}, got {edge_rule!r}")
        self.edge_inputs = _edge_inputs(self.groups) if edge_rule == "strongest_op" else {}
        self.early_stop = EarlyStop(self.groups, early_stop_ops, early_stop_count, early_stop_stable_epochs)
        self.stopped: dict[str, Any] | None = None
        if not isinstance(auxiliary_skip, bool):
            raise NasError(f"DartsTrainer auxiliary_skip must be True or False, got {auxiliary_skip!r}")
        self.auxiliary_skip = auxiliary_skip
        gen = torch.Generator().manual_seed(seed)
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        self.alphas: dict[str, nn.Parameter] = {}
        for label, group in self.groups.items():
            for member in group.members:
                if isinstance(member, InputChoice) and member.reduction in ("concat", "none"):
                    raise NasError(
                        f"DartsTrainer: InputChoice {label!r} uses reduction {member.reduction!r}, which has "
                        "no continuous relaxation (use 'sum' or 'mean')"
                    )
            for member in group.members:
                if isinstance(member, InputChoice):
                    member.mix_all = label in self.edge_inputs
            if label in self.edge_inputs:
                continue
            alpha = nn.Parameter(1e-3 * torch.randn(group.arch_size, generator=gen).to(self.device, dtype))
            self.alphas[label] = alpha
            for member in group.members:
                member.set_arch_weights(alpha)
        self.arch_optimizer = torch.optim.Adam(
            self.alphas.values(), lr=arch_lr, betas=arch_betas, weight_decay=arch_weight_decay
        )
        if val_dataset is None:
            if not 0.0 < val_fraction < 1.0:
                raise NasError(f"DartsTrainer val_fraction must be in (0, 1), got {val_fraction}")
            n_val = int(round(len(dataset) * val_fraction))  # type: ignore[arg-type]
            train_part, val_part = random_split(
                dataset,
                [len(dataset) - n_val, n_val],  # type: ignore[arg-type]
                generator=torch.Generator().manual_seed(seed),
            )
            dataset, val_dataset = train_part, val_part
        self.train_loader = loader(dataset, batch_size, shuffle=True, seed=seed, workers=workers)
        self.val_loader = loader(val_dataset, batch_size, shuffle=True, seed=seed + 1, workers=workers)
        self.history: list[dict[str, Any]] = []

    # -- the two steps -------------------------------------------------------------------------
    def _forward_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with autocast(self.device, self.amp):
            logits = self.model(x)
        return self.loss(logits.float(), y), logits

    def _set_alpha_grad(self, on: bool) -> None:
        for alpha in self.alphas.values():
            alpha.requires_grad_(on)

    def arch_step(self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor) -> float:
        """One update of the architecture weights; returns the validation loss."""
        self.arch_optimizer.zero_grad(set_to_none=True)
        self.relax()
        if self.unrolled:
            loss_v, grads = self.unrolled_gradient(xt, yt, xv, yv)
            for alpha, g in zip(self.alphas.values(), grads, strict=True):
                alpha.grad = g
        else:
            loss_t, _ = self._forward_loss(xv, yv)
            loss_t = loss_t + self.arch_penalty()
            first = torch.autograd.grad(loss_t, list(self.alphas.values()), allow_unused=True)
            self._no_gradient_path(first)
            for alpha, g in zip(self.alphas.values(), first, strict=True):
                alpha.grad = g
            loss_v = float(loss_t.detach())
        self.arch_optimizer.step()
        return loss_v

    def weight_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        self._set_alpha_grad(False)
        self.relax()
        try:
            self.optimizer.zero_grad(set_to_none=True)
            loss, logits = self._forward_loss(x, y)
            loss.backward()
            if self.grad_clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
        finally:
            self._set_alpha_grad(True)
        return float(loss.detach()), self.metric(logits.detach().float(), y)

    def relax(self) -> None:
        """Before each forward: give the choices their relaxed weights (DARTS: alpha itself;
        subclasses such as GumbelDARTS draw noise here)."""

    def on_epoch_start(self, epoch: int) -> None:
        """Before each epoch (subclasses anneal a temperature here)."""

    def arch_penalty(self) -> torch.Tensor | float:
        """Added to the validation loss of the (first-order) architecture step: a cost term."""
        return 0.0

    def _no_gradient_path(self, grads: Sequence[torch.Tensor | None]) -> None:
        # A choice the loss does not depend on would otherwise be moved by weight decay alone.
        missing = [label for label, g in zip(self.alphas, grads, strict=True) if g is None]
        if missing:
            raise NasError(
                f"DartsTrainer: choice(s) {missing} do not reach the loss (no gradient path); "
                "is every choice used in forward?"
            )

    # -- second order --------------------------------------------------------------------------
    def _loss_at(self, weights: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # buffers are cloned so that the virtual steps leave the real BatchNorm statistics alone
        buffers = {n: b.clone() for n, b in self.model.named_buffers()}
        return self.loss(functional_call(self.model, {**weights, **buffers}, (x,)), y)

    def virtual_weights(self, xt: torch.Tensor, yt: torch.Tensor) -> dict[str, torch.Tensor]:
        """w' = w - xi * (the weight optimizer's SGD step direction on L_train at w)."""
        params: dict[str, torch.Tensor] = dict(self.model.named_parameters())
        loss = self._loss_at(params, xt, yt)
        grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
        group = self.optimizer.param_groups[0]
        lr, momentum, decay = group["lr"], group.get("momentum", 0.0), group.get("weight_decay", 0.0)
        result = {}
        for (name, w), g in zip(params.items(), grads, strict=True):
            step = (torch.zeros_like(w) if g is None else g) + decay * w.detach()
            buf = self.optimizer.state.get(w, {}).get("momentum_buffer") if momentum else None
            if buf is not None:
                step = step + momentum * buf
            result[name] = (w.detach() - lr * step).requires_grad_(True)
        return result

    def unrolled_gradient(
        self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor
    ) -> tuple[float, list[torch.Tensor]]:
        """(L_val(w', alpha), d L_val(w'(alpha), alpha) / d alpha) for every alpha, in label order."""
        alphas = list(self.alphas.values())
        lr = self.optimizer.param_groups[0]["lr"]
        w_virtual = self.virtual_weights(xt, yt)
        loss_v = self._loss_at(w_virtual, xv, yv)
        names = list(w_virtual)
        grads = torch.autograd.grad(loss_v, alphas + [w_virtual[n] for n in names], allow_unused=True)
        self._no_gradient_path(grads[: len(alphas)])
        d_alpha = list(grads[: len(alphas)])
        d_w = {
            n: (torch.zeros_like(w_virtual[n]) if g is None else g)
            for n, g in zip(names, grads[len(alphas) :], strict=True)
        }
        norm = torch.sqrt(sum((g * g).sum() for g in d_w.values()))  # type: ignore[arg-type]
        eps = 0.01 / float(norm.clamp_min(1e-12))
        params = {n: p.detach() for n, p in self.model.named_parameters()}
        hessian: list[list[torch.Tensor]] = []
        for sign in (1.0, -1.0):
            shifted = {n: params[n] + sign * eps * d_w[n] for n in names}
            g = torch.autograd.grad(self._loss_at(shifted, xt, yt), alphas, allow_unused=True)
            self._no_gradient_path(g)
            hessian.append(list(g))
        result = [
            da - lr * (hp - hm) / (2 * eps)
            for da, hp, hm in zip(d_alpha, hessian[0], hessian[1], strict=True)
        ]
        return float(loss_v.detach()), result

    # -- the loop ------------------------------------------------------------------------------
    def fit(self) -> DartsTrainer:
        aux = None
        if self.auxiliary_skip:
            aux = AuxiliarySkip([m for g in self.groups.values() if g.kind == "layer" for m in g.members])
        try:
            return self._fit(aux)
        finally:
            if aux is not None:  # the exported / retrained model has no auxiliary skip
                aux.remove()

    def _fit(self, aux: AuxiliarySkip | None) -> DartsTrainer:
        val_batches = forever(self.val_loader)
        total = self.num_epochs * len(self.train_loader)
        for epoch in range(self.num_epochs):
            self.on_epoch_start(epoch)
            start = time.perf_counter()
            self.model.train()
            sums = {"train_loss": 0.0, "train_metric": 0.0, "val_loss": 0.0}
            steps = 0
            for batch in self.train_loader:
                xt, yt = to_device(batch, self.device)
                if aux is not None:
                    aux.set_progress(epoch * len(self.train_loader) + steps, total)
                if epoch >= self.warmup_epochs:
                    xv, yv = to_device(next(val_batches), self.device)
                    sums["val_loss"] += self.arch_step(xt, yt, xv, yv)
                loss, metric = self.weight_step(xt, yt)
                if aux is not None and steps == 0 and epoch == 0:
                    aux.check_applied()
                sums["train_loss"] += loss
                sums["train_metric"] += metric
                steps += 1
            if self.lr_scheduler is not None:
                self.lr_scheduler.step()
            entry = {
                "epoch": epoch + 1,
                **{k: v / max(steps, 1) for k, v in sums.items()},
                "seconds": time.perf_counter() - start,
            }
            if epoch >= self.warmup_epochs:
                self.stopped = self.early_stop.check(self, epoch, entry)
            self.history.append(entry)
            if self.log is not None:
                self.log(entry)
            if self.stopped is not None:
                break
        return self

    def early_stop_hits(self) -> int:
        """How many choices of the derived architecture are an `early_stop_ops` option."""
        return self.early_stop.hits(self.export(), self.edge_inputs)

    def arch_probs(self) -> dict[str, list[float]]:
        """softmax(alpha) for every label: how strongly DARTS prefers each option."""
        return {label: torch.softmax(a.detach(), -1).cpu().tolist() for label, a in self.alphas.items()}

    def _strength(self, label: str) -> float:
        """An edge's strength: its strongest operation's softmax weight, "none" (export_exclude) aside."""
        group = self.groups[label]
        probs = torch.softmax(self.alphas[label].detach(), -1)
        allowed = [i for i, c in enumerate(group.choices) if c not in self.export_exclude] or list(
            range(len(group.choices))
        )
        return max(float(probs[i]) for i in allowed)

    def export(self) -> dict[str, Any]:
        """argmax of every alpha (LayerChoice options in export_exclude, e.g. "none", never win).
        InputChoice: the n_chosen inputs whose edges have the strongest operations (the paper's
        rule, for an InputChoice declaring its `edges`), else those with the largest own weights."""
        arch = export_model(self.model)
        for label, group in self.groups.items():
            allowed = [i for i, c in enumerate(group.choices) if c not in self.export_exclude]
            if group.kind == "layer" and self.export_exclude and allowed:
                weights = self.alphas[label].detach()
                arch[label] = group.choices[max(allowed, key=lambda i: float(weights[i]))]
        for label, edges in self.edge_inputs.items():
            strengths = [self._strength(edge) for edge in edges]
            ranked = sorted(range(len(edges)), key=lambda i: -strengths[i])
            arch[label] = sorted(ranked[: self.groups[label].n_chosen or 1])
        return arch


EDGE_RULES = ("strongest_op", "input_alpha")


def _edge_inputs(groups: dict[str, Any]) -> dict[str, list[str]]:
    """InputChoice label -> the LayerChoice label on each input, for InputChoices that declare
    their edges (checked: every edge a LayerChoice of the model)."""
    found: dict[str, list[str]] = {}
    for label, group in groups.items():
        edges = getattr(group.members[0], "edges", None) if group.kind == "input" else None
        if edges is None:
            continue
        for edge in edges:
            if edge is None or edge not in groups or groups[edge].kind != "layer":
                raise NasError(
                    f"DartsTrainer: InputChoice {label!r} names edge {edge!r}, which is not a LayerChoice "
                    "label of the model (the paper's edge rule needs an operation on every input)"
                )
        found[label] = list(edges)
    return found


def _check_relaxable(model: nn.Module, groups: dict[str, Any]) -> None:
    """Refuse a ValueChoice that no layer mixes under DARTS (one only read through `.current`, or
    only sizing a layer's input): its alpha would never get a gradient, and its export would be the
    argmax of the initial noise."""
    relaxed: set[int] = set()
    for module in model.modules():
        relaxed_choices = getattr(module, "relaxed_choices", None)
        if callable(relaxed_choices):
            relaxed.update(id(c) for c in relaxed_choices())
    for label, group in groups.items():
        if group.kind == "value" and not any(id(m) in relaxed for m in group.members):
            raise NasError(
                f"DartsTrainer: ValueChoice {label!r} has no continuous relaxation (it is read through "
                "`.current` or only sizes a layer's input); DARTS cannot learn it. Pass it as an output "
                "size or kernel size of a mutable layer, or search it with SposTrainer"
            )
