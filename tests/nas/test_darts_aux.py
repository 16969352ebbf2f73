"""DARTS- (auxiliary_skip=True): the auxiliary skip connection and its decay."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402

from .test_darts import Chain, _chain_trainer  # noqa: E402


def test_auxiliary_skip_adds_beta_times_the_input_decayed_from_one_to_zero(
    data: TensorDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autolab.nas.darts_aux import AuxiliarySkip

    block = Chain().blocks[0]
    x = torch.randn(2, 4, 5, 5)
    aux = AuxiliarySkip([block])
    aux.set_progress(1, 5)  # beta 0.75
    with_skip = block(x)
    aux.remove()
    assert torch.allclose(with_skip, block(x) + 0.75 * x)

    betas: list[float] = []
    set_progress = AuxiliarySkip.set_progress

    def recorded(self: AuxiliarySkip, step: int, total: int) -> None:
        set_progress(self, step, total)
        betas.append(self.beta)

    monkeypatch.setattr(AuxiliarySkip, "set_progress", recorded)
    trainer = _chain_trainer(data, 2, auxiliary_skip=True)
    trainer.fit()
    total = 2 * len(trainer.train_loader)
    assert betas == pytest.approx([1.0 - t / (total - 1) for t in range(total)])
    assert all(not block._forward_hooks for block in trainer.model.blocks)  # gone after the search


class ShapeChanging(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.op = nas.LayerChoice([nn.Linear(36, 3), nn.Linear(36, 3)], label="op")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x.flatten(1))


@pytest.mark.parametrize(("net", "value"), [(ShapeChanging, True), (Chain, 1)])
def test_auxiliary_skip_without_a_place_or_not_a_bool_is_refused(
    data: TensorDataset, net: type[nn.Module], value: object
) -> None:
    model = net()
    with pytest.raises(nas.NasError, match="auxiliary_skip"):
        nas.DartsTrainer(
            model,
            F.cross_entropy,
            torch.optim.SGD(model.parameters(), lr=0.1),
            data,
            num_epochs=1,
            auxiliary_skip=value,
            device="cpu",
        ).fit()
    if net is ShapeChanging:
        assert not model.op._forward_hooks
