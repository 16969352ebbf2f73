"""Each distillation loss against a value computed by hand, and the Distiller's total."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from autolab import compress  # noqa: E402

from .models import ResNetLike, VGGLike  # noqa: E402


def test_kd_loss_by_hand() -> None:
    # T = 2: the student's softmax is (1/2, 1/2), the teacher's (3/4, 1/4)
    student = torch.tensor([[0.0, 0.0]])
    teacher = torch.tensor([[2 * math.log(3), 0.0]])
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert float(compress.kd_loss(student, teacher, temperature=2.0)) == pytest.approx(4 * kl, rel=1e-6)
    assert float(compress.kd_loss(teacher, teacher)) == pytest.approx(0.0, abs=1e-6)


def test_mimic_losses_by_hand() -> None:
    s = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert float(compress.mimic_loss(s, torch.zeros(2, 2), "mse")) == pytest.approx(7.5)
    cos = compress.mimic_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]), "cosine")
    assert float(cos) == pytest.approx(1 - 1 / math.sqrt(2))
    with pytest.raises(ValueError, match="'l1'"):
        compress.mimic_loss(s, s, "l1")


def test_factor_loss_by_hand() -> None:
    # (3, 4) / 5 = (0.6, 0.8) against (1, 0): |differences| (0.4, 0.8), mean 0.6
    got = compress.factor_loss(torch.tensor([[3.0, 4.0]]), torch.tensor([[2.0, 0.0]]))
    assert float(got) == pytest.approx(0.6)


def test_connector_maps_student_shape_to_teacher_shape() -> None:
    maps = compress.connector(torch.Size([2, 8, 8, 8]), torch.Size([2, 16, 4, 4]))
    assert maps(torch.randn(2, 8, 8, 8)).shape == (2, 16, 4, 4)
    assert compress.connector(torch.Size([2, 5]), torch.Size([2, 7]))(torch.randn(2, 5)).shape == (2, 7)
    assert isinstance(compress.connector(torch.Size([1, 3]), torch.Size([4, 3])), nn.Identity)


def test_distiller_total_is_the_weighted_sum() -> None:
    torch.manual_seed(0)
    teacher, student = ResNetLike().eval(), ResNetLike()
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([1, 2, 3, 4])
    d = compress.Distiller(
        teacher, student, temperature=3.0, kd_weight=0.7, task_weight=0.3,
        features=[compress.Feature("layers.2", "layers.3", "mse", weight=2.0)], example_input=x[:2],
    )  # fmt: skip
    d.eval()  # the connector's norm on running stats, so the reference below sees the same numbers
    out = d(x, y)
    with torch.no_grad():
        t_logits, s_logits = teacher(x), student(x)
        feat_s = student.layers[2](student.layers[1](student.layers[0](student.stem(x))))
        feat_t = teacher.layers[3](teacher.layers[2](teacher.layers[1](teacher.layers[0](teacher.stem(x)))))
        mimic = F.mse_loss(d.connectors[0](feat_s), feat_t)
        want = (
            0.7 * compress.kd_loss(s_logits, t_logits, 3.0) + 0.3 * F.cross_entropy(s_logits, y) + 2.0 * mimic
        )
    assert float(out.loss.detach()) == pytest.approx(float(want), rel=1e-5)
    assert set(out.parts) == {"kd", "task", "feature:layers.2"}
    d.train()
    d(x, y).loss.backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert d.connectors[0][0].weight.grad is not None and student.fc.weight.grad is not None
    assert not teacher.training  # train() leaves the teacher in eval mode


def test_factor_transfer_pretrains_the_paraphraser() -> None:
    torch.manual_seed(0)
    teacher, student = ResNetLike().eval(), VGGLike()
    x = torch.randn(8, 3, 32, 32)
    d = compress.Distiller(
        teacher, student, kd_weight=1.0,
        features=[compress.Feature("features.3", "layers.3", "factor")], example_input=x[:2],
    )  # fmt: skip
    losses = d.pretrain([x[:4], x[4:]], epochs=5, lr=1e-2)
    assert len(losses) == 5 and losses[-1] < losses[0]
    out = d(x)
    assert set(out.parts) == {"kd", "feature:features.3"} and out.parts["feature:features.3"] > 0
    trainable = {id(p) for p in d.trainable_parameters()}
    assert not any(id(p) in trainable for p in d.paraphrasers.parameters())


def test_distiller_bad_names_say_which() -> None:
    with pytest.raises(compress.CompressError, match="no module named 'nope' in ResNetLike"):
        compress.Distiller(ResNetLike(), ResNetLike(), features=[compress.Feature("nope", "fc")])
