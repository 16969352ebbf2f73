"""autolab.compress against Torch-Pruning on the torchvision classifiers (weights=None): which models
each prunes, the params and FLOPs left, and the time to prune, at the same channel ratios, with the
same metric (L1 of the weights) and uniform ratios, the final classifier left whole.

Needs torch, torchvision and torch-pruning in the running Python (a venv, not the system one):
    python bench/compress_vs_tp.py --size 64 --ratios 0.3 0.5 --json /tmp/compress_vs_tp.json
--torchvision-shim: the local torchvision 0.28.0 wheel is a CUDA build whose C++ ops cannot load
against the CPU torch; its pure-Python models still work once its fake-kernel registrations are
skipped, which this flag does (the models used here never call those ops).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODELS = [
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "densenet121", "shufflenet_v2_x1_0",
    "vgg16_bn", "efficientnet_b0", "regnet_y_400mf", "googlenet",
]  # fmt: skip


def import_torchvision(shim: bool):  # noqa: ANN201
    import torch.library

    original = torch.library.register_fake
    if shim:
        torch.library.register_fake = lambda *a, **k: lambda f: f
    try:
        import torchvision
    finally:
        torch.library.register_fake = original
    return torchvision


def build(torchvision, name: str):  # noqa: ANN001, ANN201
    import torch

    torch.manual_seed(0)
    extra = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(weights=None, **extra).eval()


def last_linear(model):  # noqa: ANN001, ANN201
    import torch

    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def run_autolab(model, x, ratio: float):  # noqa: ANN001, ANN201
    from autolab import compress

    return compress.prune(model, x, ratio=ratio, metric="l1")


def run_tp(model, x, ratio: float):  # noqa: ANN001, ANN201
    import torch_pruning as tp

    model = copy.deepcopy(model)
    pruner = tp.pruner.MetaPruner(
        model, x, importance=tp.importance.MagnitudeImportance(p=1), pruning_ratio=ratio,
        ignored_layers=[last_linear(model)],
    )  # fmt: skip
    pruner.step()
    return model


def measure(fn, model, x, ratio: float) -> dict:  # noqa: ANN001
    import torch

    from autolab.compress import count_macs as count_flops
    from autolab.nas.cost import count_params

    start = time.perf_counter()
    try:
        pruned = fn(model, x, ratio)
        took = time.perf_counter() - start
        with torch.no_grad():
            out = pruned.eval()(x)
        assert tuple(out.shape) == (1, 1000), f"output shape {tuple(out.shape)}"
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
    return {
        "ok": True,
        "seconds": round(took, 2),
        "params_left": count_params(pruned) / count_params(model),
        "flops_left": count_flops(pruned, x) / count_flops(model, x),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=224, help="input image size")
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.3, 0.5])
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--torchvision-shim", action="store_true")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    torchvision = import_torchvision(args.torchvision_shim)
    rows = []
    for name in args.models:
        model = build(torchvision, name)
        x = torch.randn(1, 3, args.size, args.size)
        for ratio in args.ratios:
            row = {"model": name, "ratio": ratio}
            for tool, fn in (("autolab", run_autolab), ("torch_pruning", run_tp)):
                row[tool] = measure(fn, model, x, ratio)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        "\n| model | ratio | autolab params / FLOPs left | Torch-Pruning params / FLOPs left | time autolab / TP (s) |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        a, t = r["autolab"], r["torch_pruning"]

        def cell(m: dict) -> str:
            return (
                f"{m['params_left']:.3f} / {m['flops_left']:.3f}" if m["ok"] else "fails: " + m["error"][:60]
            )

        times = " / ".join(f"{m['seconds']:.1f}" if m["ok"] else "-" for m in (a, t))
        print(f"| {r['model']} | {r['ratio']} | {cell(a)} | {cell(t)} | {times} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
