from __future__ import annotations

import pickle
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from autolab.nas import NasError  # noqa: E402
from autolab.nas.data import cifar10_datasets, digits_datasets  # noqa: E402


def _write_batch(path: Path, n: int, label: int) -> None:
    data = {b"data": np.full((n, 3072), 128, dtype=np.uint8), b"labels": [label] * n}
    with open(path, "wb") as fh:
        pickle.dump(data, fh)


def test_cifar10_folder_is_read_without_torchvision(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        _write_batch(folder / f"data_batch_{i}", 4, i)
    _write_batch(folder / "test_batch", 3, 9)
    train, test = cifar10_datasets(str(tmp_path))
    assert len(train) == 20 and len(test) == 3
    x, y = train[0]
    assert x.shape == (3, 32, 32) and int(y) == 1
    assert cifar10_datasets(str(folder), limit=2)[0].tensors[0].shape[0] == 2


def test_missing_cifar10_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(NasError, match="no CIFAR-10 python batches"):
        cifar10_datasets(str(tmp_path))


def test_digits_splits_are_disjoint_and_scaled() -> None:
    train, val, test = digits_datasets()
    assert len(train) + len(val) + len(test) == 1797
    assert train.tensors[0].shape[1:] == (1, 8, 8) and float(train.tensors[0].max()) <= 1.0
