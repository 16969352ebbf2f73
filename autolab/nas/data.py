"""Datasets for the examples and benchmark: sklearn's digits (bundled) and a local CIFAR-10 folder.

CIFAR-10 is read from the python-pickle format that torchvision downloads
(`cifar-10-batches-py/data_batch_1..5`, `test_batch`); nothing here downloads anything.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import TensorDataset

from .mutables import NasError

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


def digits_datasets(
    seed: int = 0, test_fraction: float = 0.25, val_fraction: float = 0.2
) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """sklearn digits as (train, val, test) of 1x8x8 float images scaled to [0, 1] and int labels.

    test is held out from search and retraining; val is carved from the rest."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_fraction, random_state=seed, stratify=y_rest
    )

    def make(a: np.ndarray, b: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(a), torch.from_numpy(b.astype(np.int64)))

    return make(x_train, y_train), make(x_val, y_val), make(x_test, y_test)


def _cifar_dir(root: str) -> str:
    for candidate in (os.path.join(root, "cifar-10-batches-py"), root):
        if os.path.isfile(os.path.join(candidate, "data_batch_1")):
            return candidate
    raise NasError(f"--data {root}: no CIFAR-10 python batches (cifar-10-batches-py/data_batch_1) there")


def _read_batches(directory: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as fh:
                entry = pickle.load(fh, encoding="bytes")
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise NasError(f"{path}: cannot read a CIFAR-10 batch ({exc})") from None
        xs.append(np.asarray(entry[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(entry[b"labels"], dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _normalise(x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x).float().div_(255.0)
    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    return (t - mean) / std


def cifar10_datasets(root: str, limit: int | None = None) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) from a local torchvision-format CIFAR-10 folder, normalised; `limit` keeps the
    first N images of each (quick runs)."""
    directory = _cifar_dir(root)
    x_train, y_train = _read_batches(directory, [f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = _read_batches(directory, ["test_batch"])
    if limit is not None:
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
    return (
        TensorDataset(_normalise(x_train), torch.from_numpy(y_train)),
        TensorDataset(_normalise(x_test), torch.from_numpy(y_test)),
    )
