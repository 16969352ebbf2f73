"""Small models with the patterns of the torchvision classifiers, for machines without torchvision:
residual adds with downsampling (ResNet), inverted residuals with depthwise convs and SE gates
(MobileNetV2/V3, EfficientNet), dense concatenation (DenseNet), chunk + channel shuffle (ShuffleNetV2),
flatten into linears (VGG), grouped convs (RegNet, ResNeXt) and inception branches (GoogLeNet)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv_bn(
    cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, 1, act=False)
        self.down = conv_bn(cin, cout, 1, stride, act=False) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.down(x) if self.down is not None else x
        return F.relu(self.conv2(self.conv1(x)) + identity)


class ResNetLike(nn.Module):
    def __init__(self, num_classes: int = 10, cin: int = 3) -> None:
        super().__init__()
        self.stem = conv_bn(cin, 16)
        self.layers = nn.Sequential(Basic(16, 16), Basic(16, 32, 2), Basic(32, 32), Basic(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


class SE(nn.Module):
    def __init__(self, c: int, squeeze: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(self.pool(x)))))


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth, a leaf of the trace as torchvision's is; in eval it hands its input back."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.shape[0], 1, 1, 1) >= p
    return x * keep / (1 - p)


torch.fx.wrap("drop_path")


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, expand: int, stride: int, se: bool) -> None:
        super().__init__()
        hidden = cin * expand
        self.expand = conv_bn(cin, hidden, 1)
        self.dw = conv_bn(hidden, hidden, 3, stride, groups=hidden)
        self.se = SE(hidden, max(4, hidden // 4)) if se else nn.Identity()
        self.project = conv_bn(hidden, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.se(self.dw(self.expand(x))))
        return x + drop_path(y, 0.2, self.training) if self.residual else y


class MobileNetLike(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = conv_bn(3, 16, stride=2)
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 2, 1, False),
            InvertedResidual(16, 24, 3, 2, True),
            InvertedResidual(24, 24, 3, 1, True),
        )
        self.head = nn.Sequential(nn.Conv2d(24, 64, 1), nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(
            nn.Linear(64, 32), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(32, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(self.blocks(self.stem(x))))


class DenseLike(nn.Module):
    def __init__(self, num_classes: int = 10, growth: int = 8) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.layers = nn.ModuleList()
        c = 16
        for _ in range(3):
            self.layers.append(
                nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, growth, 3, padding=1))
            )
            c += growth
        self.norm = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [self.stem(x)]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        out = F.adaptive_avg_pool2d(F.relu(self.norm(torch.cat(features, 1))), (1, 1))
        return self.fc(torch.flatten(out, 1))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    return torch.transpose(x, 1, 2).contiguous().view(n, -1, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        half = c // 2
        self.branch = nn.Sequential(conv_bn(half, half, 1), conv_bn(half, half, 3, groups=half, act=False),
                                    conv_bn(half, half, 1))  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat((x1, self.branch(x2)), dim=1), 2)


class ShuffleLike(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = conv_bn(3, 24, stride=2)
        self.units = nn.Sequential(ShuffleUnit(24), ShuffleUnit(24))
        self.conv5 = conv_bn(24, 64, 1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv5(self.units(self.stem(x))).mean([2, 3]))


class VGGLike(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 16), nn.MaxPool2d(2), conv_bn(16, 32), nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(
            nn.Linear(32 * 4, 64), nn.ReLU(True), nn.Dropout(), nn.Linear(64, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.view(x.size(0), -1))


class GroupedLike(nn.Module):
    """RegNet / ResNeXt: a grouped 3x3 conv between two 1x1 convs, with an SE gate and a residual."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = conv_bn(3, 16)
        self.a = conv_bn(16, 32, 1)
        self.b = conv_bn(32, 32, 3, groups=4)
        self.se = SE(32, 8)
        self.c = conv_bn(32, 16, 1, act=False)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = F.relu(x + self.c(self.se(self.b(self.a(x)))))
        return self.fc(x.mean([2, 3]))


class InceptionLike(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = conv_bn(3, 16)
        self.b1 = conv_bn(16, 8, 1)
        self.b2 = nn.Sequential(conv_bn(16, 8, 1), conv_bn(8, 12, 3))
        self.b3 = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn(16, 4, 1))
        self.fc = nn.Linear(24, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.cat([self.b1(x), self.b2(x), self.b3(x)], 1)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Untraceable(nn.Module):
    """Python control flow on a tensor's value: torch.fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.body = Gate()
        self.fc = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))


class Gate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Linear(4, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if y.sum() > 0:
            return y
        return -y


ALL = {
    "resnet": ResNetLike, "mobilenet": MobileNetLike, "dense": DenseLike, "shuffle": ShuffleLike,
    "vgg": VGGLike, "grouped": GroupedLike, "inception": InceptionLike,
}  # fmt: skip
