"""A trained BigNAS supernet's subnets: scored as they are, or extracted, finetuned and exported.

`evaluate_subnet` makes one subnet active, re-estimates its BatchNorm statistics on a few training
batches (the supernet's running statistics were gathered over every width it trained and fit none of
them), then measures validation accuracy. FLOPs and parameters are counted on the extracted static
model (`supernet.extract`: the subnet's own weights, what would be deployed), and latency is the
median wall time of that static model on one input, after warm-up runs.

`finetune_subnet` extracts the static model and trains it further; `export_subnet` writes its state
dict with its settings, which `load_subnet` turns back into the model given the supernet file.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..cost import count_flops, count_params
from ..mutables import NasError
from ..training import Metric, accuracy, evaluate, forever, resolve_device, train_model
from .supernet import BigNASSupernet
from .train import calibrate_bn

Settings = dict[str, Any]
Supernet = BigNASSupernet
Record = dict[str, Any]  # {"settings", "flops", "params", and "accuracy", "latency_ms" when measured}


def settings_key(settings: Settings) -> str:
    """One string per subnet: settings are plain JSON data."""
    return json.dumps(settings, sort_keys=True)


def example_input_of(data: DataLoader[Any] | Dataset[Any]) -> torch.Tensor:
    """One input with its batch dimension (what FLOPs and latency are measured on)."""
    if isinstance(data, DataLoader):
        data = data.dataset
    x = data[0][0]
    return x.unsqueeze(0)


def subnet_cost(supernet: Supernet, settings: Settings, example_input: torch.Tensor) -> Record:
    """{"settings", "flops", "params"} of one subnet, counted on its extracted static model."""
    settings = supernet.space.normalize(settings)
    model = supernet.extract(settings)
    device = next(supernet.parameters()).device
    return {
        "settings": settings,
        "flops": count_flops(model, example_input.to(device)),
        "params": count_params(model),
    }


def measure_latency(model: nn.Module, example_input: torch.Tensor, runs: int = 20, warmup: int = 3) -> float:
    """Median milliseconds of one forward pass (eval mode, no grad), after `warmup` passes."""
    device = next(model.parameters()).device
    x = example_input.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + runs):
            sync()
            start = time.perf_counter()
            model(x)
            sync()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def calibration_batches(data: DataLoader[Any], num_batches: int, device: torch.device) -> Iterator[Any]:
    for x, y in itertools.islice(forever(data), num_batches):
        yield x.to(device), y.to(device)


def evaluate_subnet(
    supernet: Supernet,
    settings: Settings,
    calib_loader: DataLoader[Any],
    val_loader: DataLoader[Any],
    *,
    calib_batches: int = 20,
    example_input: torch.Tensor | None = None,
    metric: Metric = accuracy,
    latency_runs: int = 20,
    amp: bool = True,
) -> Record:
    """BN calibration on `calib_batches` training batches, then the subnet's validation metric,
    FLOPs, parameters and (unless latency_runs is 0) measured latency in milliseconds."""
    if calib_batches < 1:
        raise NasError(f"evaluate_subnet: calib_batches must be >= 1, got {calib_batches}")
    device = next(supernet.parameters()).device
    example = example_input if example_input is not None else example_input_of(val_loader)
    settings = supernet.set_active(settings)
    calibrate_bn(supernet, calibration_batches(calib_loader, calib_batches, device), calib_batches, device)
    record = subnet_cost(supernet, settings, example)
    record["accuracy"] = evaluate(supernet, val_loader, metric, device, amp)
    if latency_runs > 0:
        record["latency_ms"] = measure_latency(supernet.extract(settings), example, latency_runs)
    return record


def finetune_subnet(
    supernet: Supernet,
    settings: Settings,
    train_data: Dataset[Any],
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 0.01,
    weight_decay: float = 3e-4,
    device: str | torch.device | None = None,
    amp: bool = True,
    seed: int = 0,
) -> nn.Module:
    """The subnet as a static model (its own weights copied out of the supernet), trained for
    `epochs` more epochs (SGD, cosine learning rate from `lr`). epochs=0 returns it as extracted."""
    if epochs < 0:
        raise NasError(f"finetune_subnet: epochs must be >= 0, got {epochs}")
    model = supernet.extract(settings)
    if epochs:
        train_model(
            model,
            train_data,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            device=resolve_device(device),
            amp=amp,
            seed=seed,
        )
    return model.eval()


def export_subnet(model: nn.Module, settings: Settings, path: str) -> None:
    """Write the static model's state dict and its settings (torch.save; `load_subnet` reads it)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": "autolab.bignas.subnet/1", "settings": settings, "state_dict": state}, path)


def load_subnet(path: str, supernet: Supernet) -> tuple[nn.Module, Settings]:
    """The exported static model (built by extracting its settings from the supernet it came
    from, then given the exported weights) and its settings."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise NasError(f"{path}: no such file") from None
    except Exception as exc:  # torch raises many kinds for a file that is not its own
        raise NasError(f"{path}: not an exported subnet ({type(exc).__name__})") from None
    if not isinstance(saved, dict) or saved.get("format") != "autolab.bignas.subnet/1":
        raise NasError(f"{path}: not an exported subnet (written by export_subnet)")
    model = supernet.extract(saved["settings"])
    try:
        model.load_state_dict(saved["state_dict"])
    except RuntimeError as exc:
        raise NasError(f"{path}: its weights do not fit this supernet's subnet ({exc})") from None
    return model.eval(), saved["settings"]
