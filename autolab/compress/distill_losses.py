"""Distillation losses: logits KD, feature mimic through a connector, factor transfer."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def kd_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 4.0
) -> torch.Tensor:
    """Hinton et al.: T^2 * KL(softmax(teacher / T) || softmax(student / T)), averaged over the batch
    (T^2 keeps the gradients' scale as T changes)."""
    t = temperature
    log_p_student = F.log_softmax(student_logits / t, dim=1)
    p_teacher = F.softmax(teacher_logits / t, dim=1)
    return F.kl_div(log_p_student, p_teacher, reduction="batchmean") * t * t


def mimic_loss(student: torch.Tensor, teacher: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """ "mse": mean squared difference; "cosine": 1 - cosine similarity of each sample's whole
    feature (flattened), averaged over the batch."""
    if kind == "mse":
        return F.mse_loss(student, teacher)
    if kind == "cosine":
        return (1 - F.cosine_similarity(student.flatten(1), teacher.flatten(1), dim=1)).mean()
    raise ValueError(f"mimic loss kind must be 'mse' or 'cosine', got {kind!r}")


def factor_loss(student_factor: torch.Tensor, teacher_factor: torch.Tensor, p: int = 1) -> torch.Tensor:
    """Factor transfer (Kim et al. 2018): each sample's factor divided by its L2 norm, then the
    mean over elements of |difference|^p (p=1 as in the paper's code)."""
    s = F.normalize(student_factor.flatten(1), dim=1)
    t = F.normalize(teacher_factor.flatten(1), dim=1)
    return (s - t).abs().pow(p).mean()


def connector(student_shape: torch.Size, teacher_shape: torch.Size) -> nn.Module:
    """A learned map from the student's feature shape to the teacher's: 1x1 conv + BN for maps
    (pooled to the teacher's size if that differs), a linear for vectors; identity when equal."""
    if tuple(student_shape[1:]) == tuple(teacher_shape[1:]):
        return nn.Identity()
    if len(student_shape) == 4 and len(teacher_shape) == 4:
        layers: list[nn.Module] = [
            nn.Conv2d(student_shape[1], teacher_shape[1], 1, bias=False),
            nn.BatchNorm2d(teacher_shape[1]),
        ]
        if tuple(student_shape[2:]) != tuple(teacher_shape[2:]):
            layers.append(nn.AdaptiveAvgPool2d(tuple(teacher_shape[2:])))
        return nn.Sequential(*layers)
    if len(student_shape) == 2 and len(teacher_shape) == 2:
        return nn.Linear(student_shape[1], teacher_shape[1])
    raise ValueError(f"no connector from a {tuple(student_shape)} feature to a {tuple(teacher_shape)} one")


def _conv_stack(channels: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for cin, cout in zip(channels, channels[1:], strict=False):
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1)]
    return nn.Sequential(*layers)


class Paraphraser(nn.Module):
    """Autoencoder of a teacher feature map: `encode` gives the factor (channels x rate), `forward`
    the reconstruction. Pre-trained on the teacher's features alone, then frozen."""

    def __init__(self, channels: int, rate: float = 0.5) -> None:
        super().__init__()
        factor = max(1, int(round(channels * rate)))
        self.factor_channels = factor
        self.encoder = _conv_stack([channels, channels, factor, factor])
        self.decoder = _conv_stack([factor, factor, channels, channels])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class Translator(nn.Module):
    """Student feature map -> the paraphraser's factor shape."""

    def __init__(self, channels: int, factor_channels: int) -> None:
        super().__init__()
        self.body = _conv_stack([channels, channels, factor_channels, factor_channels])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
