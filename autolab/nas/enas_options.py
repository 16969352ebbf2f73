"""ENAS's options beyond the paper, measured on the NAS bench (bench/README.md, twelfth to fourteenth
rounds), and EnasTrainer's argument checks (kept here so that enas.py stays one readable file).

Uniform paths (`uniform_prob` = p, default 0): each weight batch of `EnasTrainer.fit()` trains a uniformly
random path (every decision uniform) with probability p, the controller's sample otherwise, so that the
paths the controller rarely samples are trained too. The coin and the uniform draws come from their own
generator (seed + 23), so p = 0 draws nothing from it and is ENAS as before. Few-shot sub-supernets keep
the controller's samples; the controller's steps, rewards and the derivation are unchanged.

The pick by short retrains (`derive_retrain_epochs` = e > 0, the default 3): the derivation ranks its
samples by shared-weight score; the distinct architectures (by their effective choices,
`effective.arch_key`) among its first `derive_retrain_top` entries (5) are each trained standalone from
scratch for e epochs on the TRAINING split (`train_model`: SGD
`derive_retrain_lr` 0.05, momentum 0.9, weight decay 3e-4, cosine, the trainer's batch size and loss,
seed `derive_retrain_seed`, default the trainer's seed + 3), and scored with the trainer's metric in eval
mode on the VALIDATION split; the export is the best (ties: the higher shared-weight score, then the
earlier entry). The shared weights do not order the near-tied top of a space; a short standalone
retrain does better (bench, fourteenth round). A candidate is built by `model_fn()` inside
`fixed_arch(arch)` after seeding (as a user retrains an export), or without `model_fn` from a deep copy of
the supernet converted to the architecture (`apply_fixed_architecture`) with every module's
`reset_parameters()` called (parameters of modules without one keep their shared values).
`derive_retrain_epochs=0`, or `derive_samples=0`, exports the shared-weight (or greedy) pick as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .fixed import apply_fixed_architecture, fixed_arch
from .mutables import NasError
from .training import evaluate, loader, seed_everything, train_model

Arch = dict[str, Any]


def check_settings(
    *,
    num_epochs: int,
    controller_aggregate: int,
    derive_samples: int,
    derive_batches: int | None,
    derive_bn: str,
    recalibrate_batches: int,
    controller_steps: int | None,
    controller_steps_per_batch: float | None,
) -> None:
    """EnasTrainer's checks of its other settings."""
    if num_epochs < 1:
        raise NasError(f"EnasTrainer num_epochs must be >= 1, got {num_epochs}")
    for name, value, least in (
        ("controller_aggregate", controller_aggregate, 1),
        ("derive_samples", derive_samples, 0),
    ):
        if value < least:
            raise NasError(f"EnasTrainer {name} must be >= {least}, got {value}")
    if derive_batches is not None and (isinstance(derive_batches, bool) or derive_batches < 1):
        raise NasError(
            "EnasTrainer derive_batches must be >= 1 or None (the whole validation split), "
            f"got {derive_batches!r}"
        )
    if derive_bn not in ("train", "recalibrate"):
        raise NasError(f"EnasTrainer derive_bn must be 'train' or 'recalibrate', got {derive_bn!r}")
    if isinstance(recalibrate_batches, bool) or recalibrate_batches < 1:
        raise NasError(f"EnasTrainer recalibrate_batches must be >= 1, got {recalibrate_batches!r}")
    if controller_steps is not None and controller_steps_per_batch is not None:
        raise NasError("EnasTrainer: give controller_steps or controller_steps_per_batch, not both")
    if controller_steps is not None and controller_steps < 0:
        raise NasError(f"EnasTrainer controller_steps must be >= 0, got {controller_steps}")
    if controller_steps_per_batch is not None and not controller_steps_per_batch > 0:
        raise NasError(
            f"EnasTrainer controller_steps_per_batch must be > 0, got {controller_steps_per_batch}"
        )


def check_options(uniform_prob: float, epochs: int, top: int, lr: float) -> None:
    if isinstance(uniform_prob, bool) or not 0.0 <= float(uniform_prob) <= 1.0:
        raise NasError(f"EnasTrainer uniform_prob must be in [0, 1], got {uniform_prob!r}")
    for name, value, least in (("derive_retrain_epochs", epochs, 0), ("derive_retrain_top", top, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise NasError(f"EnasTrainer {name} must be an integer >= {least}, got {value!r}")
    if not lr > 0:
        raise NasError(f"EnasTrainer derive_retrain_lr must be > 0, got {lr!r}")


def uniform_path(sizes: list[int], generator: torch.Generator) -> list[int]:
    """One uniformly random decision index per label, from `generator`."""
    return [int(torch.randint(n, (1,), generator=generator)) for n in sizes]


def uniform_arch(trainer: Any) -> Arch | None:
    """A weight batch's uniform path with probability `trainer.uniform_prob` (a coin, then one index
    per label, from `trainer.mix_generator`), else None (the controller samples); p = 0 draws nothing."""
    if (
        trainer.uniform_prob <= 0
        or float(torch.rand((), generator=trainer.mix_generator)) >= trainer.uniform_prob
    ):
        return None
    trainer.uniform_batches += 1
    arch: Arch = trainer.to_arch(uniform_path(trainer.controller.sizes, trainer.mix_generator))
    return arch


def candidates(
    scored: list[tuple[Arch, float]], top: int, key: Callable[[Arch], str]
) -> list[tuple[Arch, float]]:
    """The distinct architectures among the first `top` entries, in order, each with its first score;
    distinct by `key` (the trainer passes `effective.arch_key`: choices that do not matter, nested in an
    unchosen candidate, do not make a second network)."""
    out: dict[str, tuple[Arch, float]] = {}
    for arch, score in scored[:top]:
        out.setdefault(key(arch), (arch, score))
    return list(out.values())


def fresh_model(
    arch: Arch, supernet: nn.Module, model_fn: Callable[[], nn.Module] | None, seed: int
) -> nn.Module:
    """`arch` as a standalone network, freshly initialised under `seed` (see module doc)."""
    seed_everything(seed)
    if model_fn is not None:
        with fixed_arch(arch):
            return model_fn()
    model = apply_fixed_architecture(copy.deepcopy(supernet), arch)
    for module in model.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset):
            reset()
    return model


def short_retrain_score(trainer: Any, arch: Arch) -> float:
    """`arch` trained from scratch for the trainer's `derive_retrain_epochs` on its training data, the
    trainer's metric on its validation data (see module doc)."""
    model = fresh_model(arch, trainer.model, trainer.model_fn, trainer.derive_retrain_seed)
    train_model(
        model,
        trainer.train_dataset,
        epochs=trainer.derive_retrain_epochs,
        batch_size=trainer.batch_size,
        lr=trainer.derive_retrain_lr,
        loss=trainer.loss,
        device=trainer.device,
        amp=trainer.amp,
        seed=trainer.derive_retrain_seed,
    )
    val = loader(trainer.val_dataset, 512, shuffle=False)
    return evaluate(model, val, trainer.metric, device=trainer.device, amp=trainer.amp)


def pick(
    scored: list[tuple[Arch, float]],
    top: int,
    score_of: Callable[[Arch], float],
    key: Callable[[Arch], str],
) -> list[dict[str, Any]]:
    """The candidates of `scored` (best-first shared-weight list, distinct by `key`) rescored by
    `score_of`, best first (ties: the higher shared-weight score, then the earlier entry); rows
    {"arch", "shared", "retrain"}."""
    found = candidates(scored, top, key)
    rows = [(score_of(arch), shared, i, arch) for i, (arch, shared) in enumerate(found)]
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [{"arch": arch, "shared": shared, "retrain": score} for score, shared, _, arch in rows]
