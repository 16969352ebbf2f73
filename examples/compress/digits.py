"""The digits task shared by the examples and the benchmark: data, a ResNet-style model, training
(plain or distilled), accuracy, and the trained teacher (cached in teacher.pt next to this file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from autolab import compress

HERE = Path(__file__).resolve().parent
torch.set_num_threads(1)  # a small model: one thread is as fast, and kinder to a shared machine
EXAMPLE = torch.zeros(1, 1, 8, 8)


def datasets(seed: int = 0) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """sklearn's digits as (train, val, test) 1x8x8 images in [0, 1]; test is never searched on."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    x_tr, x_val, y_tr, y_val = train_test_split(
        x_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest
    )

    def make(a: np.ndarray, b: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(a), torch.from_numpy(b.astype(np.int64)))

    return make(x_tr, y_tr), make(x_val, y_val), make(x_test, y_test)


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + identity)


class DigitsResNet(nn.Module):
    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.layer1 = nn.Sequential(Block(width, width), Block(width, width))
        self.layer2 = nn.Sequential(Block(width, 2 * width, 2), Block(2 * width, 2 * width))
        self.fc = nn.Linear(2 * width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def accuracy(model: nn.Module, data: TensorDataset) -> float:
    model.eval()
    x, y = data.tensors
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train(
    model: nn.Module,
    data: TensorDataset,
    epochs: int,
    lr: float = 0.05,
    teacher: nn.Module | None = None,
    seed: int = 0,
) -> nn.Module:
    """SGD with cosine decay; with a teacher, the loss is 0.9 x KD (T=4) + 0.1 x cross-entropy."""
    torch.manual_seed(seed)
    distiller = None
    if teacher is not None:
        distiller = compress.Distiller(teacher, model, temperature=4.0, kd_weight=0.9, task_weight=0.1)
    params = list(distiller.trainable_parameters() if distiller else model.parameters())
    optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, epochs))
    loader = DataLoader(data, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(seed))
    for _ in range(epochs):
        (distiller or model).train()
        for x, y in loader:
            loss = distiller(x, y).loss if distiller else F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    return model.eval()


def teacher(epochs: int = 20, path: Path = HERE / "teacher.pt") -> nn.Module:
    """The unpruned model trained on train; trained once, then read from path."""
    model = DigitsResNet()
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model.eval()
    train_set, _, _ = datasets()
    train(model, train_set, epochs)
    partial = path.with_suffix(f".{os.getpid()}.tmp")  # trials that train it at once never read half a file
    torch.save(model.state_dict(), partial)
    os.replace(partial, path)
    return model.eval()
