"""evaluate_subnet (BN calibration, accuracy, FLOPs, params, latency), finetune and export."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from autolab.nas import NasError, count_flops, count_params  # noqa: E402
from autolab.nas.bignas.evaluate import (  # noqa: E402
    evaluate_subnet,
    export_subnet,
    finetune_subnet,
    load_subnet,
)

from .subnets import loaders, small_supernet, train_briefly  # noqa: E402


def test_evaluate_subnet_calibrates_bn_and_measures_the_subnet() -> None:
    supernet = small_supernet()
    train, val = loaders()
    train_briefly(supernet, train)
    bn_before = {k: v.clone() for k, v in supernet.state_dict().items() if "running_mean" in k}
    settings = supernet.space.min()
    record = evaluate_subnet(supernet, settings, train, val, calib_batches=3, latency_runs=3)
    static = supernet.extract(settings)
    x = torch.zeros(1, 1, 8, 8)
    assert record["settings"] == settings
    assert record["flops"] == count_flops(static, x) > 0
    assert record["params"] == count_params(static) < count_params(supernet)
    assert record["latency_ms"] > 0
    assert record["accuracy"] >= 0.6  # three classes: chance is 1/3
    bn_after = {k: v for k, v in supernet.state_dict().items() if "running_mean" in k}
    assert any(not torch.equal(bn_before[k], bn_after[k]) for k in bn_before)  # statistics re-estimated
    assert supernet.active_settings == settings


def test_evaluate_subnet_accuracy_matches_the_extracted_model() -> None:
    supernet = small_supernet()
    train, val = loaders()
    train_briefly(supernet, train)
    settings = supernet.space.max()
    record = evaluate_subnet(supernet, settings, train, val, calib_batches=2, latency_runs=0)
    static = supernet.extract(settings).eval()
    with torch.no_grad():
        correct = sum(int((static(x).argmax(1) == y).sum()) for x, y in val)
    assert record["accuracy"] == pytest.approx(correct / len(val.dataset))
    assert "latency_ms" not in record


def test_evaluate_subnet_refuses_no_calibration() -> None:
    train, val = loaders()
    with pytest.raises(NasError, match="calib_batches"):
        evaluate_subnet(small_supernet(), small_supernet().space.max(), train, val, calib_batches=0)


def test_finetune_trains_a_static_copy_and_export_round_trips(tmp_path) -> None:
    supernet = small_supernet()
    train, _ = loaders()
    settings = supernet.space.min()
    weights_before = [p.detach().clone() for p in supernet.parameters()]
    extracted = supernet.extract(settings)
    model = finetune_subnet(supernet, settings, train.dataset, epochs=1, batch_size=16, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(weights_before, supernet.parameters(), strict=True))
    changed = [not torch.equal(a, b) for a, b in zip(extracted.parameters(), model.parameters(), strict=True)]
    assert any(changed)
    path = tmp_path / "out" / "subnet.pt"
    export_subnet(model, settings, str(path))
    loaded, loaded_settings = load_subnet(str(path), small_supernet(seed=5))
    assert loaded_settings == settings
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x))


def test_load_subnet_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(NasError, match="no such file"):
        load_subnet(str(tmp_path / "missing.pt"), small_supernet())
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(NasError, match="junk.pt: not an exported subnet"):
        load_subnet(str(junk), small_supernet())
