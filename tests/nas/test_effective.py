"""Choices that do not matter (nested in an unchosen candidate, on an unchosen DARTS edge) are not
counted, searched twice, or offered to a tuner."""

from __future__ import annotations

import itertools
import json
import random

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.searchspace import parse  # noqa: E402

from .test_examples import load  # noqa: E402


class Nested(nn.Module):
    """A width; an op whose candidate "k" holds a kernel choice and candidate "inner" a LayerChoice."""

    def __init__(self) -> None:
        super().__init__()
        width = nas.ValueChoice([2, 4], label="width")
        self.stem = nas.MutableConv2d(1, width, 1)
        inner = nas.LayerChoice([nn.Identity(), nn.ReLU(), nn.Tanh()], label="inner")
        self.op = nas.LayerChoice(
            {
                "k": nas.MutableConv2d(width, width, nas.ValueChoice([1, 3], label="kernel")),
                "inner": inner,
                "skip": nn.Identity(),
            },
            label="op",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(self.stem(x))


class Cell(nn.Module):
    """One DARTS node over 3 inputs, 2 chosen; one LayerChoice per edge, named by the InputChoice."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs = nas.InputChoice(3, 2, label="in", edges=["e0", "e1", "e2"])
        self.edges = nn.ModuleList(
            nas.LayerChoice({"none": Zero(), "a": nn.Identity(), "b": Double()}, label=f"e{i}")
            for i in range(3)
        )

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return self.inputs([edge(x) for edge, x in zip(self.edges, xs, strict=True)])


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 0.0


class Double(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


def distinct_networks(model: nn.Module) -> int:
    """Brute force: every raw architecture, reduced to its canonical form."""
    groups = nas.choice_groups(model)
    seen = set()
    for values in itertools.product(*(g.choices for g in groups.values())):
        arch = dict(zip(groups, values, strict=True))
        seen.add(json.dumps(nas.canonical(groups, arch), sort_keys=True))
    return len(seen)


def test_nested_choices_count_only_under_their_candidate() -> None:
    model = Nested()
    # raw product 2*3*2*3 = 36; networks: width x (k: 2 kernels, inner: 3, skip: 1) = 2 * 6
    assert nas.space_size(model) == distinct_networks(model) == 12
    arch = {"width": 4, "op": "skip", "kernel": 3, "inner": 2}
    assert nas.canonical(model, arch) == {"width": 4, "op": "skip", "kernel": 1, "inner": 0}


def test_an_unchosen_edge_operation_is_not_a_decision() -> None:
    cell = Cell()
    # 3 input pairs x 3 x 3 operations on the two chosen edges (raw: 3 * 27 = 81)
    assert nas.space_size(cell) == distinct_networks(cell) == 27
    canon = nas.canonical(cell, {"in": [0, 2], "e0": "a", "e1": "b", "e2": "b"})
    assert canon == {"in": [0, 2], "e0": "a", "e1": "none", "e2": "b"}


def test_example_spaces_count_distinct_networks() -> None:
    # spos_digits: width 3 x (4 ops + conv_k with 2 kernels)^4 blocks; the raw product was 30,000
    assert nas.space_size(load("spos_digits/model.py").DigitsSupernet()) == 3 * 6**4
    # darts_digits: node1 1 edge (7 ops), node2 2 of 2 (7^2), node3 2 of 3 (3 * 7^2)
    assert nas.space_size(load("darts_digits/model.py").DigitsNet()) == 7 * 7**2 * 3 * 7**2


def test_search_space_json_nests_choices_under_their_candidate() -> None:
    model = Nested()
    space = nas.to_search_space(model)
    assert set(space) == {"width", "op"}
    assert space["op"]["_value"] == [
        {"_name": "k", "kernel": {"_type": "choice", "_value": [1, 3]}},
        {"_name": "inner", "inner": {"_type": "choice", "_value": [0, 1, 2]}},
        {"_name": "skip"},
    ]
    parsed = parse(space)
    assert parsed.grid_size() == 12
    rng = random.Random(0)
    for _ in range(10):
        arch = nas.arch_from_parameters(model, parsed.sample(rng))
        assert nas.canonical(model, arch) == arch


def test_evolution_scores_each_network_once() -> None:
    model = load("spos_digits/model.py").DigitsSupernet()
    groups = nas.choice_groups(model)
    space = {label: g.choices for label, g in groups.items()}
    result = nas.evolution_search(
        space,
        lambda arch: float(random.Random(json.dumps(arch, sort_keys=True)).random()),
        population_size=20,
        generations=5,
        parents=5,
        mutation_prob=0.3,
        canonical=lambda arch: nas.canonical(groups, arch),
        seed=0,
    )
    keys = [json.dumps(nas.canonical(groups, a), sort_keys=True) for a, _ in result.history]
    assert len(keys) == len(set(keys)) == 100
