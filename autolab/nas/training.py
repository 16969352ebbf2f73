"""Plain training helpers shared by the trainers, examples and benchmark: device, AMP, loops."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

Metric = Callable[[torch.Tensor, torch.Tensor], float]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    return float((logits.argmax(dim=-1) == target).float().mean())


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast on CUDA when enabled (no loss scaling needed); nothing on CPU."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def loader(
    data: Dataset[Any],
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    workers: int = 0,
    drop_last: bool = False,
) -> DataLoader[Any]:
    gen = torch.Generator()
    gen.manual_seed(seed)
    return DataLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=gen,
        num_workers=workers,
        drop_last=drop_last,
        pin_memory=torch.cuda.is_available(),
    )


def forever(data: DataLoader[Any]) -> Iterator[Any]:
    while True:
        yield from data


def to_device(batch: Any, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = batch
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def evaluate(
    model: nn.Module,
    data: DataLoader[Any],
    metric: Metric = accuracy,
    device: torch.device | None = None,
    amp: bool = True,
    max_batches: int | None = None,
) -> float:
    """The metric averaged over the data, weighted by batch size, with the model in eval mode."""
    device = device or next(model.parameters()).device
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), autocast(device, amp):
        for i, batch in enumerate(data):
            if max_batches is not None and i >= max_batches:
                break
            x, y = to_device(batch, device)
            total += metric(model(x).float(), y) * len(y)
            count += len(y)
    return total / max(count, 1)


def train_model(
    model: nn.Module,
    train_data: Dataset[Any],
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 0.05,
    momentum: float = 0.9,
    weight_decay: float = 3e-4,
    loss: Loss = nn.functional.cross_entropy,
    device: str | torch.device | None = None,
    amp: bool = True,
    seed: int = 0,
    grad_clip: float | None = 5.0,
) -> nn.Module:
    """SGD with cosine learning rate: how the examples retrain an exported architecture."""
    dev = resolve_device(device)
    seed_everything(seed)
    model.to(dev)
    data = loader(train_data, batch_size, shuffle=True, seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * len(data)))
    for _ in range(epochs):
        model.train()
        for batch in data:
            x, y = to_device(batch, dev)
            opt.zero_grad(set_to_none=True)
            with autocast(dev, amp):
                out = loss(model(x).float(), y)
            out.backward()
            if grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            sched.step()
    return model
