"""The commands a user runs on a saved BigNAS supernet: `python -m autolab.nas.bignas COMMAND ...`.

    evaluate SUPERNET --data D [--settings S]            BN-calibrated accuracy, FLOPs, params, latency
    sample-flops SUPERNET -n N [--flops-range R] [--plot P]   FLOPs / params of N subnets, histogram
    sample-accuracy SUPERNET --data D -n N [--flops-range R]  ... and their accuracy
    search SUPERNET --data D --flops-range R [--output F --plot P]   evolution; Pareto front
    finetune SUPERNET --data D --settings S --epochs E --output F   extract, train, export
    export SUPERNET --settings S --output F [--data D]   extract (BN calibrated when data is given)

--data is `digits` (scikit-learn's), `cifar10:DIR` (torchvision's python batches in DIR, no
download) or `FILE.py:FUNCTION` (a function returning (train, val) datasets). --settings is `max`,
`min`, JSON text, or a JSON file holding settings, a record with "settings", or a search result
(its best). --flops-range is LOW:HIGH with K/M/G suffixes, either end open (`2M:6M`, `:6M`).
Every mistake in the input ends with one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, Subset

from ..mutables import NasError
from ..training import evaluate, loader, resolve_device
from .evaluate import Record, Settings, evaluate_subnet, example_input_of, export_subnet, finetune_subnet
from .sampling import MODES, Range, check_range, sample_accuracy, sample_flops
from .search import save_result, search
from .supernet import load_supernet

SUFFIXES = {"k": 1e3, "m": 1e6, "g": 1e9}


def parse_flops(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    scale = SUFFIXES.get(text[-1].lower(), 1.0)
    number = text[:-1] if scale != 1.0 else text
    try:
        return float(number) * scale
    except ValueError:
        raise NasError(f"--flops-range: {text!r} is not a number (e.g. 2.5M, 300K, 1e9)") from None


def parse_range(text: str | None) -> Range:
    if text is None:
        return (None, None)
    if ":" not in text:
        raise NasError(f"--flops-range {text!r}: write LOW:HIGH, either end may be empty (e.g. 2M:6M, :6M)")
    low, high = (parse_flops(part) for part in text.split(":", 1))
    try:
        return check_range((low, high))
    except NasError as exc:
        raise NasError(f"--flops-range {text!r}: {str(exc).split(': ', 1)[1]}") from None


def _split_val(
    train: Dataset[Any], fraction: float = 0.1, seed: int = 0
) -> tuple[Dataset[Any], Dataset[Any]]:
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()  # type: ignore[arg-type]
    n_val = max(1, int(len(order) * fraction))
    return Subset(train, order[n_val:]), Subset(train, order[:n_val])


def load_data(spec: str) -> tuple[Dataset[Any], Dataset[Any]]:
    """(train, val) datasets named by --data (see the module doc)."""
    if spec == "digits":
        from ..data import digits_datasets  # scikit-learn and numpy only when data is read

        train, val, _ = digits_datasets(seed=0)
        return train, val
    if spec.startswith("cifar10:"):
        from ..data import cifar10_datasets  # scikit-learn and numpy only when data is read

        train, _ = cifar10_datasets(spec.split(":", 1)[1])
        return _split_val(train)  # the test batch stays out of the search
    path, _, name = spec.rpartition(":")
    if not path.endswith(".py") or not name:
        raise NasError(f"--data {spec!r}: use digits, cifar10:DIR or FILE.py:FUNCTION")
    if not os.path.isfile(path):
        raise NasError(f"--data {spec!r}: {path}: no such file")
    module_spec = importlib.util.spec_from_file_location("bignas_user_data", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    function = getattr(module, name, None)
    if not callable(function):
        raise NasError(f"--data {spec!r}: {path} has no function {name}")
    data = function()
    if not (isinstance(data, tuple) and len(data) == 2):
        raise NasError(f"--data {spec!r}: {name}() must return (train, val) datasets")
    return data


def load_settings(text: str, supernet: Any) -> Settings:
    """--settings as max / min / JSON text / JSON file, checked on the supernet."""
    if text in ("max", "min"):
        return getattr(supernet.space, text)()
    if os.path.isfile(text):
        try:
            with open(text) as fh:
                value = json.load(fh)
        except (OSError, ValueError) as exc:
            raise NasError(f"--settings {text}: not a JSON file ({exc})") from None
    else:
        try:
            value = json.loads(text)
        except ValueError:
            raise NasError(f"--settings {text!r}: not max, min, a JSON file or JSON text") from None
    if isinstance(value, dict) and isinstance(value.get("best"), dict):
        value = value["best"]  # a search result
    if isinstance(value, dict) and isinstance(value.get("settings"), dict):
        value = value["settings"]  # a record
    try:
        return supernet.space.normalize(value)
    except NasError as exc:
        raise NasError(f"--settings: not a subnet of this supernet ({exc})") from None


def open_supernet(path: str, device: torch.device) -> Any:
    return load_supernet(path).to(device).eval()


def _example(args: argparse.Namespace, val: Dataset[Any] | None, supernet: Any) -> torch.Tensor:
    if val is not None:
        return example_input_of(val)
    if args.input_shape is None:
        raise NasError("sample-flops: give --data or --input-shape C,H,W (the input FLOPs are counted on)")
    try:
        shape = [int(v) for v in args.input_shape.split(",")]
    except ValueError:
        shape = []
    if len(shape) != 3 or min(shape) < 1:
        raise NasError(f"--input-shape {args.input_shape!r}: write C,H,W (3 positive numbers), e.g. 3,32,32")
    channels = supernet.build_args["in_channels"]
    if shape[0] != channels:
        raise NasError(
            f"--input-shape {args.input_shape!r}: the supernet takes {channels} input channel(s), got {shape[0]}"
        )
    return torch.zeros(1, *shape)


def _baselines(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        flops = parse_flops(value) if sep else None
        if not name or flops is None:
            raise NasError(f"--baseline {item!r}: write NAME=FLOPS, e.g. resnet18=1.8G")
        out[name] = flops
    return out


def _write(records: Any, path: str | None) -> None:
    text = json.dumps(records, indent=1)
    if path is None:
        print(text)
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text + "\n")
    print(f"wrote {path}")


def _summary(record: Record) -> str:
    parts = [f"{record['flops'] / 1e6:.3f} MFLOPs", f"{record['params']:,} params"]
    if "accuracy" in record:
        parts.insert(0, f"accuracy {record['accuracy']:.4f}")
    if "latency_ms" in record:
        parts.append(f"{record['latency_ms']:.3f} ms")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    torch.manual_seed(args.seed)
    supernet = open_supernet(args.supernet, device)
    flops_range = parse_range(getattr(args, "flops_range", None))
    train = val = None
    if getattr(args, "data", None):
        train, val = load_data(args.data)
    calib = loader(train, args.batch_size, shuffle=True, seed=args.seed) if train is not None else None
    valid = loader(val, args.batch_size, shuffle=False) if val is not None else None
    if args.command == "sample-flops":
        records = sample_flops(
            supernet,
            args.n,
            flops_range,
            example_input=_example(args, val, supernet).to(device),
            mode=args.mode,
            seed=args.seed,
            plot=args.plot,
            baselines=_baselines(args.baseline),
        )
        _write(records, args.output)
        flops = sorted(r["flops"] for r in records)
        print(
            f"{len(records)} subnets: {flops[0]:,} to {flops[-1]:,} FLOPs, median {flops[len(flops) // 2]:,}"
        )
        return
    if args.command == "export" and calib is None:
        settings = load_settings(args.settings, supernet)
        export_subnet(supernet.extract(settings), settings, args.output)
        print(
            f"wrote {args.output} (BatchNorm statistics as stored in the supernet; give --data to calibrate)"
        )
        return
    if train is None or val is None or calib is None or valid is None:
        raise NasError(f"{args.command}: --data is required")
    example = example_input_of(val).to(device)
    if args.command == "evaluate":
        record = evaluate_subnet(
            supernet, load_settings(args.settings, supernet), calib, valid, calib_batches=args.calib_batches
        )
        _write(record, args.output)
        print(_summary(record))
    elif args.command == "sample-accuracy":
        records = sample_accuracy(
            supernet,
            args.n,
            flops_range,
            calib,
            valid,
            example_input=example,
            mode=args.mode,
            seed=args.seed,
            calib_batches=args.calib_batches,
            plot=args.plot,
            log=lambda r: print(_summary(r), flush=True),
        )
        _write(records, args.output)
    elif args.command == "search":
        result = search(
            supernet,
            flops_range,
            calib,
            valid,
            example_input=example,
            population_size=args.population,
            generations=args.generations,
            parents=args.parents,
            mutation_prob=args.mutation_prob,
            calib_batches=args.calib_batches,
            seed=args.seed,
            log=lambda g, best: print(f"generation {g}: best accuracy {best:.4f}", flush=True),
        )
        save_result(result, args.output, args.plot)
        print(f"best: {_summary(result.best)}\n{json.dumps(result.best['settings'])}")
        print(f"Pareto front ({len(result.front)}):")
        for record in result.front:
            print(f"  {_summary(record)}")
        print(f"wrote {args.output}" + (f" and {args.plot}" if args.plot else ""))
    elif args.command in ("finetune", "export"):
        settings = load_settings(args.settings, supernet)
        evaluate_subnet(supernet, settings, calib, valid, calib_batches=args.calib_batches, latency_runs=0)
        epochs = args.epochs if args.command == "finetune" else 0
        model = finetune_subnet(
            supernet,
            settings,
            train,
            epochs=epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            device=device,
        )
        export_subnet(model, settings, args.output)
        print(f"validation accuracy {evaluate(model, valid, device=device):.4f}; wrote {args.output}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m autolab.nas.bignas",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, data: bool = True) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help)
        p.add_argument("supernet", help="a file written by save_supernet")
        p.add_argument("--data", required=data, help="digits | cifar10:DIR | FILE.py:FUNCTION")
        p.add_argument("--batch-size", type=int, default=128)
        p.add_argument("--calib-batches", type=int, default=20, help="batches for BatchNorm calibration")
        p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda when there is one)")
        p.add_argument("--seed", type=int, default=0)
        return p

    def sampled(p: argparse.ArgumentParser) -> None:
        p.add_argument("-n", type=int, default=100, help="how many subnets")
        p.add_argument("--flops-range", help="LOW:HIGH, e.g. 2M:6M")
        p.add_argument(
            "--mode",
            "--subnet-sample-mode",
            dest="mode",
            choices=MODES,
            default="random",
            help="subnet_sample_mode",
        )
        p.add_argument("--plot", help="PNG to draw")
        p.add_argument("--output", help="JSON to write (default: stdout)")

    p = command("evaluate", "accuracy, FLOPs, params and latency of one subnet (BN calibrated)")
    p.add_argument("--settings", default="max")
    p.add_argument("--output")
    p = command("sample-flops", "FLOPs and params of n subnets, histogram", data=False)
    sampled(p)
    p.add_argument("--input-shape", help="C,H,W of one input when --data is not given")
    p.add_argument("--baseline", action="append", default=[], help="NAME=FLOPS marked on the plot")
    sampled(command("sample-accuracy", "accuracy, FLOPs and params of n subnets"))
    p = command("search", "evolution inside a FLOPs range; Pareto front of accuracy vs FLOPs")
    p.add_argument("--flops-range", help="LOW:HIGH, e.g. 2M:6M")
    p.add_argument("--population", type=int, default=20)
    p.add_argument("--generations", type=int, default=10)
    p.add_argument("--parents", type=int, default=10)
    p.add_argument("--mutation-prob", type=float, default=0.1)
    p.add_argument("--output", default="bignas_search.json")
    p.add_argument("--plot", default="bignas_search.png")
    for name, help in (
        ("finetune", "extract one subnet, train it, export it"),
        ("export", "extract one subnet"),
    ):
        p = command(name, help, data=name == "finetune")
        p.add_argument("--settings", required=True)
        p.add_argument("--output", required=True, help="the subnet file to write (torch.save)")
        if name == "finetune":
            p.add_argument("--epochs", type=int, required=True)
            p.add_argument("--lr", type=float, default=0.01)
    return top


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        run(args)
    except NasError as exc:
        sys.exit(f"bignas {args.command}: {exc}")
