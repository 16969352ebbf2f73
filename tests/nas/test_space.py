from __future__ import annotations

import random
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.searchspace import parse  # noqa: E402

from .supernets import TinyNet, make_data  # noqa: E402


def test_search_space_is_an_nni_space_whose_samples_are_architectures(tiny_net: TinyNet) -> None:
    space = nas.to_search_space(tiny_net)
    assert space == {
        "width": {"_type": "choice", "_value": [4, 8]},
        "kernel": {"_type": "choice", "_value": [1, 3]},
        "op": {"_type": "choice", "_value": ["conv", "pool"]},
        "skip": {"_type": "choice", "_value": [[0], [1]]},
    }
    parsed = parse(space)
    rng = random.Random(0)
    for _ in range(5):
        params = parsed.sample(rng)
        assert nas.arch_from_parameters(tiny_net, {**params, "lr": 0.1}) == params


def test_shared_labels_share_one_decision() -> None:
    net = nn.ModuleList([nas.LayerChoice([nn.Identity(), nn.ReLU()], label="act") for _ in range(3)])
    groups = nas.choice_groups(net)
    assert list(groups) == ["act"] and len(groups["act"].members) == 3
    nas.set_arch(net, {"act": 1})
    assert all(m.sampled == 1 for m in net)  # type: ignore[union-attr]


def test_shared_label_with_different_options_is_an_error() -> None:
    net = nn.ModuleList(
        [
            nas.LayerChoice([nn.Identity(), nn.ReLU()], label="act"),
            nas.LayerChoice([nn.Identity()], label="act"),
        ]
    )
    with pytest.raises(nas.NasError, match="labelled 'act' differ"):
        nas.choice_groups(net)


def test_space_size_and_write(tiny_net: TinyNet, tmp_path: object) -> None:
    assert nas.space_size(tiny_net) == 16
    path = f"{tmp_path}/search_space.json"
    nas.write_search_space(tiny_net, path)
    assert parse(__import__("json").load(open(path))).grid_size() == 16


def test_supernet_trial_helper_scores_the_tuner_architecture(tiny_net: TinyNet) -> None:
    score = nas.evaluate_on_supernet(
        tiny_net,
        {"width": 4, "kernel": 1, "op": "pool", "skip": [0]},
        make_data(32),
        make_data(32, seed=1),
        recalibrate_batches=2,
        batch_size=8,
    )
    assert 0.0 <= score <= 1.0
    assert tiny_net.stem.out_channels.sampled == 4
    assert nas.arch_from_parameters(tiny_net, {}, seed=1) in [nas.random_arch(tiny_net, random.Random(1))]


def test_importing_autolab_does_not_import_torch() -> None:
    code = "import sys, autolab; assert 'torch' not in sys.modules and 'autolab.nas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
