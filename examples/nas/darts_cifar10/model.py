"""The DARTS CIFAR-10 search network: 8 cells (reduction cells at 1/3 and 2/3), 16 initial
channels, 4 nodes a cell, 8 operations an edge; all normal cells share one set of decisions and
all reduction cells another (labels `normal_*` / `reduce_*`). Each node's InputChoice names the
LayerChoice on each of its edges, so DARTS uses the paper's rule: during search a node sums all its
edges; export keeps the 2 edges whose strongest operation other than "none" weighs most (search.py
excludes "none"), each with that operation. In `nas.fixed_arch(arch)` each node builds only its 2
chosen edges.

EvalNetwork is the paper's retraining network for the found cell (20 cells, 36 channels, affine
BatchNorm, auxiliary head, drop-path); retrain.py has the paper's recipe.
"""

from __future__ import annotations

import torch
from torch import nn

from autolab import nas

NODES = 4
OPS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]


class Zero(nn.Module):
    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride] * 0.0


class FactorizedReduce(nn.Module):
    def __init__(self, c_in: int, c_out: int, affine: bool = False) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1))


def relu_conv_bn(c_in: int, c_out: int, k: int, stride: int, pad: int, affine: bool = False) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(c_in, c_out, k, stride, pad, bias=False), nn.BatchNorm2d(c_out, affine=affine)
    )


def dil_conv(c: int, k: int, stride: int, pad: int, dilation: int, affine: bool = False) -> nn.Module:
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c, c, k, stride, pad, dilation=dilation, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c, affine=affine),
    )


def sep_conv(c: int, k: int, stride: int, pad: int, affine: bool = False) -> nn.Module:
    return nn.Sequential(dil_conv(c, k, stride, pad, 1, affine), dil_conv(c, k, 1, pad, 1, affine))


def make_op(name: str, c: int, stride: int, search: bool = True) -> nn.Module:
    """One operation. The search network's (search=True) has BatchNorm without affine parameters
    and a BatchNorm after pooling; the evaluation network's has affine BatchNorm and bare pooling,
    as in the paper's code."""
    affine = not search

    def pool(kind: type[nn.Module], **kwargs: bool) -> nn.Module:
        op = kind(3, stride, 1, **kwargs)
        return nn.Sequential(op, nn.BatchNorm2d(c, affine=False)) if search else op

    return {
        "none": lambda: Zero(stride),
        "max_pool_3x3": lambda: pool(nn.MaxPool2d),
        "avg_pool_3x3": lambda: pool(nn.AvgPool2d, count_include_pad=False),
        "skip_connect": lambda: nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine),
        "sep_conv_3x3": lambda: sep_conv(c, 3, stride, 1, affine),
        "sep_conv_5x5": lambda: sep_conv(c, 5, stride, 2, affine),
        "dil_conv_3x3": lambda: dil_conv(c, 3, stride, 2, 2, affine),
        "dil_conv_5x5": lambda: dil_conv(c, 5, stride, 4, 2, affine),
    }[name]()


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero the whole path for a random `prob` of the samples, scaling the rest by 1 / (1 - prob)."""
    keep = 1.0 - prob
    mask = torch.bernoulli(torch.full((x.shape[0], 1, 1, 1), keep, device=x.device, dtype=x.dtype))
    return x / keep * mask


class Node(nn.Module):
    def __init__(self, kind: str, index: int, c: int, reduction: bool, search: bool = True) -> None:
        super().__init__()
        n_in = index + 2
        self.inputs = nas.InputChoice(
            n_in, 2, label=f"{kind}_n{index}_inputs", edges=[f"{kind}_n{index}_e{i}" for i in range(n_in)]
        )
        chosen = self.inputs.chosen if isinstance(self.inputs, nas.ChosenInputs) else range(n_in)
        self.edges = nn.ModuleDict(
            {
                str(i): nas.LayerChoice(
                    {op: make_op(op, c, 2 if reduction and i < 2 else 1, search) for op in OPS},
                    label=f"{kind}_n{index}_e{i}",
                )
                for i in chosen
            }
        )
        self.drop_prob = 0.0  # drop-path during retraining (set by EvalNetwork.set_drop_path)

    def _edge(self, i: int, state: torch.Tensor) -> torch.Tensor:
        if str(i) not in self.edges:
            return state
        op = self.edges[str(i)]
        out = op(state)
        if self.training and self.drop_prob > 0 and not isinstance(op, nn.Identity):
            out = drop_path(out, self.drop_prob)
        return out

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        return self.inputs([self._edge(i, s) for i, s in enumerate(states)])


class Cell(nn.Module):
    def __init__(
        self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool, search: bool = True
    ) -> None:
        super().__init__()
        affine = not search
        self.pre0 = (
            FactorizedReduce(c_pp, c, affine) if reduction_prev else relu_conv_bn(c_pp, c, 1, 1, 0, affine)
        )
        self.pre1 = relu_conv_bn(c_p, c, 1, 1, 0, affine)
        kind = "reduce" if reduction else "normal"
        self.nodes = nn.ModuleList(Node(kind, j, c, reduction, search) for j in range(NODES))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in self.nodes:
            states.append(node(states))
        return torch.cat(states[2:], dim=1)


class SearchNetwork(nn.Module):
    """The paper's search network (8 cells, 16 channels; BatchNorm without affine parameters)."""

    def __init__(self, channels: int = 16, layers: int = 8, n_classes: int = 10) -> None:
        super().__init__()
        c_cur = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_cur, 3, padding=1, bias=False), nn.BatchNorm2d(c_cur))
        c_pp, c_p, c = c_cur, c_cur, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            self.cells.append(Cell(c_pp, c_p, c, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, NODES * c
        self.head = nn.Linear(c_p, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1.mean(dim=(2, 3)))


class AuxiliaryHead(nn.Module):
    """The paper's auxiliary classifier on the 8x8 feature map after the second reduction cell."""

    def __init__(self, c: int, n_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class EvalNetwork(nn.Module):
    """The paper's evaluation network for a found cell: 20 cells, 36 channels, affine BatchNorm,
    bare pooling, drop-path on every edge but identities, and an auxiliary head after the second
    reduction cell. Build it inside `nas.fixed_arch(arch)`. In training mode with the auxiliary head
    it returns (logits, auxiliary logits)."""

    def __init__(
        self, channels: int = 36, layers: int = 20, n_classes: int = 10, auxiliary: bool = True
    ) -> None:
        super().__init__()
        c_cur = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(3, c_cur, 3, padding=1, bias=False), nn.BatchNorm2d(c_cur))
        c_pp, c_p, c = c_cur, c_cur, channels
        self.cells = nn.ModuleList()
        self.aux_after = 2 * layers // 3
        reduction_prev = False
        aux_channels = c_p
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            self.cells.append(Cell(c_pp, c_p, c, reduction, reduction_prev, search=False))
            reduction_prev = reduction
            c_pp, c_p = c_p, NODES * c
            if i == self.aux_after:
                aux_channels = c_p
        self.auxiliary = AuxiliaryHead(aux_channels, n_classes) if auxiliary else None
        self.head = nn.Linear(c_p, n_classes)

    def set_drop_path(self, prob: float) -> None:
        for module in self.modules():
            if isinstance(module, Node):
                module.drop_prob = prob

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == self.aux_after and self.auxiliary is not None and self.training:
                aux = self.auxiliary(s1)
        logits = self.head(s1.mean(dim=(2, 3)))
        return logits if aux is None else (logits, aux)


DARTS_V2 = {
    # the paper's second-order cell (genotype DARTS_V2 of the reference code), in this space's labels
    "normal_n0_inputs": [0, 1], "normal_n0_e0": "sep_conv_3x3", "normal_n0_e1": "sep_conv_3x3",
    "normal_n1_inputs": [0, 1], "normal_n1_e0": "sep_conv_3x3", "normal_n1_e1": "sep_conv_3x3",
    "normal_n2_inputs": [0, 1], "normal_n2_e0": "skip_connect", "normal_n2_e1": "sep_conv_3x3",
    "normal_n3_inputs": [0, 2], "normal_n3_e0": "skip_connect", "normal_n3_e2": "dil_conv_3x3",
    "reduce_n0_inputs": [0, 1], "reduce_n0_e0": "max_pool_3x3", "reduce_n0_e1": "max_pool_3x3",
    "reduce_n1_inputs": [1, 2], "reduce_n1_e1": "max_pool_3x3", "reduce_n1_e2": "skip_connect",
    "reduce_n2_inputs": [0, 2], "reduce_n2_e0": "max_pool_3x3", "reduce_n2_e2": "skip_connect",
    "reduce_n3_inputs": [1, 2], "reduce_n3_e1": "max_pool_3x3", "reduce_n3_e2": "skip_connect",
}  # fmt: skip
