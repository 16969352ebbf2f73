"""Model compression on PyTorch (install the `nas` extra): structured channel pruning that makes the
model physically smaller, conv + BN fusion, and knowledge distillation (docs/compress.md).

    from autolab import compress
    small = compress.prune(model, torch.randn(1, 3, 224, 224), ratio=0.5, metric="l1")
    # or step by step: graph -> scores -> plan -> smaller model
    graph = compress.build_graph(model, example)
    scores = compress.group_importance(graph, "fpgm")
    plan = compress.flops_plan(graph, scores, 0.5)          # or uniform_plan / global_plan / layer_plan
    small = compress.apply_plan(plan)
    compress.save_pruned(small, "small.pt"); compress.load_pruned(build_model(), "small.pt")
"""

from .api import prune
from .arch import apply_architecture, architecture, load_pruned, save_pruned
from .distill import Distiller, DistillOutput, Feature
from .distill_losses import Paraphraser, Translator, connector, factor_loss, kd_loss, mimic_loss
from .fuse import fusable_pairs, fuse_conv_bn
from .graph import ChannelGraph, Group, build_graph
from .macs import count_macs
from .metrics import METRICS, group_importance
from .plan import Plan
from .ratios import flops_plan, global_plan, layer_plan, uniform_plan
from .surgery import apply_plan, mask_plan
from .trace import CompressError

__all__ = [
    "DistillOutput",
    "Distiller",
    "Feature",
    "Paraphraser",
    "Translator",
    "connector",
    "count_macs",
    "factor_loss",
    "fusable_pairs",
    "fuse_conv_bn",
    "kd_loss",
    "mimic_loss",
    "METRICS",
    "ChannelGraph",
    "CompressError",
    "Group",
    "Plan",
    "apply_architecture",
    "apply_plan",
    "architecture",
    "build_graph",
    "flops_plan",
    "global_plan",
    "group_importance",
    "layer_plan",
    "load_pruned",
    "mask_plan",
    "prune",
    "save_pruned",
    "uniform_plan",
]
