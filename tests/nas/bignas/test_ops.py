"""Each dynamic layer at an active size against the plain torch layer with the same weights."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from autolab.nas.bignas.ops import DynamicBatchNorm2d, DynamicConv2d, DynamicLinear  # noqa: E402
from autolab.nas.bignas.space import BigNASError  # noqa: E402


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize(
    "make, cin, cout, k",
    [
        (lambda: DynamicConv2d(8, 12, 7, stride=2, bias=True), 5, 7, 3),
        (lambda: DynamicConv2d(8, 12, 7), 8, 12, 7),
        (lambda: DynamicConv2d(8, 12, 5, dilation=2), 6, 4, 3),
        (lambda: DynamicConv2d(8, 12, 3, groups=2), 6, 4, 3),
        (lambda: DynamicConv2d(10, 10, 5, depthwise=True), 6, 6, 3),
    ],
)
def test_conv_slices_channels_and_crops_the_kernel_centre(make, cin: int, cout: int, k: int) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    conv = make()
    conv.set_active(cin, cout, k)
    x = torch.randn(2, cin, 9, 9)
    # the reference: a conv with the weight written out by hand, not by the code under test
    big = conv.kernel_size[0]
    s = (big - k) // 2
    groups = cin if conv.depthwise else conv.fixed_groups
    weight = conv.weight.detach()[:cout, : cin // groups, s : s + k, s : s + k]
    bias = None if conv.bias is None else conv.bias.detach()[:cout]
    pad = conv.dilation[0] * (k // 2)
    expected = F.conv2d(x, weight, bias, conv.stride, pad, conv.dilation, groups)
    assert _close(conv(x), expected)
    static = conv.extract()
    assert type(static) is nn.Conv2d
    assert (static.in_channels, static.out_channels, static.kernel_size, static.groups) == (
        cin,
        cout,
        (k, k),
        groups,
    )
    assert _close(static(x), expected)
    static.weight.data.zero_()  # its own copy of the weights
    assert conv.weight.abs().sum() > 0


def test_conv_refuses_sizes_it_cannot_run() -> None:
    conv = DynamicConv2d(8, 12, 5, groups=2)
    for args in ((9, 12, 5), (8, 12, 7), (8, 12, 4), (7, 12, 3)):
        with pytest.raises(BigNASError, match="cannot run"):
            conv.set_active(*args)
    conv.set_active(4, 6, 3)
    with pytest.raises(BigNASError, match="input has 8 channels, the active setting expects 4"):
        conv(torch.zeros(1, 8, 5, 5))


@pytest.mark.parametrize("widths", [None, [4, 6, 10]])
def test_batch_norm_at_a_width_trains_and_evaluates_like_a_plain_one(widths: list[int] | None) -> None:
    torch.manual_seed(0)
    dyn = DynamicBatchNorm2d(10, widths, momentum=0.3)
    with torch.no_grad():
        dyn.weight.uniform_(0.5, 1.5)
        dyn.bias.uniform_(-1, 1)
    dyn.set_active(6)
    ref = nn.BatchNorm2d(6, momentum=0.3)
    with torch.no_grad():
        ref.weight.copy_(dyn.weight[:6])
        ref.bias.copy_(dyn.bias[:6])
    for _ in range(3):
        x = torch.randn(4, 6, 5, 5) * 3 + 1
        assert _close(dyn(x), ref(x))
    dyn.eval(), ref.eval()
    x = torch.randn(4, 6, 5, 5)
    assert _close(dyn(x), ref(x))
    static = dyn.extract().eval()
    assert _close(static(x), ref(x))
    assert _close(static.running_mean, ref.running_mean) and int(static.num_batches_tracked) == 3
    if widths:
        # per-width statistics: width 6's batches left the full width's statistics alone
        assert torch.equal(dyn.running_mean, torch.zeros(10))
        with pytest.raises(BigNASError, match="width 5 not in \\[4, 6, 10\\]"):
            dyn.set_active(5)
    else:
        assert _close(dyn.running_mean[:6], ref.running_mean) and torch.equal(
            dyn.running_mean[6:], torch.zeros(4)
        )


def test_linear_takes_the_first_features() -> None:
    torch.manual_seed(0)
    lin = DynamicLinear(16, 10)
    lin.set_active(9, 4)
    x = torch.randn(3, 9)
    expected = x @ lin.weight.detach()[:4, :9].T + lin.bias.detach()[:4]
    assert _close(lin(x), expected)
    static = lin.extract()
    assert (static.in_features, static.out_features) == (9, 4) and _close(static(x), expected)
    with pytest.raises(BigNASError, match="cannot run in=17"):
        lin.set_active(17)
