"""The BigNAS space in the users' terms: parsing, one-line errors, the settings' shape, sampling."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from autolab.errors import AutolabError
from autolab.nas.bignas.space import BigNASError, BigNASSpace

from .helpers import NARROW, TINY

ISSUE_YAML = """
out_channel: {space: {min: [32, 48, 96], max: [64, 80, 160], stride: [16, 16, 32]}, sample_strategy: stage_wise}
kernel_size: {space: {min: [3, 3, 3], max: [7, 3, 3], stride: 2}, sample_strategy: stage_wise}
depth:       {space: {min: [1, 2, 2], max: [1, 4, 4], stride: [1, 1, 1]}, sample_strategy: stage_wise_depth}
"""


def test_the_issue_example_parses_per_stage(tmp_path: Path) -> None:
    path = tmp_path / "space.yml"
    path.write_text(ISSUE_YAML)
    space = BigNASSpace.from_yaml(path)
    assert space.stages == 3
    assert space.dims["out_channel"].options == ((32, 48, 64), (48, 64, 80), (96, 128, 160))
    assert space.dims["kernel_size"].options == ((3, 5, 7), (3,), (3,))
    assert space.dims["depth"].options == ((1,), (2, 3, 4), (2, 3, 4))
    assert space.dims["expand_ratio"].options == ((1,), (1,), (1,))  # the default, fixed
    assert space.max() == {
        "depth": [1, 4, 4],
        "out_channel": [64, 80, 160],
        "kernel_size": [[7], [3] * 4, [3] * 4],
        "expand_ratio": [[1], [1] * 4, [1] * 4],
    }
    assert space.min() == {
        "depth": [1, 2, 2],
        "out_channel": [32, 48, 96],
        "kernel_size": [[3], [3, 3], [3, 3]],
        "expand_ratio": [[1], [1, 1], [1, 1]],
    }
    assert space.traverse_size() == 3 * 3 * 3 * 3 * 3 * 3


@pytest.mark.parametrize(
    "raw, message",
    [
        ([1, 2], "space.yml: expected a mapping of out_channel"),
        ({**TINY, "width": 3}, "space.yml: unknown key 'width'"),
        ({"depth": TINY["depth"]}, "space.yml: missing 'out_channel'"),
        ({"out_channel": 16, "depth": 1}, "no per-stage list anywhere"),
        (
            {**TINY, "out_channel": {"space": {"min": [8, 8], "max": [16, 24, 32], "stride": 8}}},
            "out_channel.space.max: 3 values, but out_channel.space.min has 2 (one per stage)",
        ),
        (
            {**TINY, "out_channel": {"space": {"min": 8, "max": [16, 20, 32], "stride": 8}}},
            "out_channel.space stage 1: max 20 is not min 8 plus a multiple of stride 8",
        ),
        (
            {**TINY, "out_channel": {"space": {"min": 8, "max": [16, 4, 32], "stride": 8}}},
            "out_channel.space stage 1: max 4 is below min 8",
        ),
        (
            {**TINY, "kernel_size": {"space": {"min": 3, "max": 5, "stride": 1}}},
            "kernel_size: stage 0 has an even kernel size in [3, 4, 5]",
        ),
        (
            {**TINY, "depth": {"space": {"min": 1, "max": [1, "3", 2]}}},
            "depth.space.max[1]: expected a positive",
        ),
        (
            {**TINY, "depth": {"space": {"min": 0, "max": [1, 3, 2]}}},
            "depth.space.min[0]: expected a positive",
        ),
        ({**TINY, "depth": {"space": {"max": [1, 3, 2]}}}, "depth.space: missing 'min'"),
        ({**TINY, "depth": {"space": {"min": 1, "max": 2, "step": 1}}}, "depth.space: unknown key 'step'"),
        ({**TINY, "depth": {"space": [1, 2]}}, "depth.space: expected a mapping with min, max, stride"),
        (
            {**TINY, "depth": {"space": {"min": 1, "max": 2}, "sample_strategy": "net_wise"}},
            "depth.sample_strategy: 'net_wise' is not one of stage_wise, ordered_stage_wise",
        ),
        (
            {
                **TINY,
                "out_channel": {"space": {"min": 8, "max": 16, "stride": 8}, "sample_strategy": "block_wise"},
            },
            "out_channel.sample_strategy: block_wise is not possible for out_channel",
        ),
        (
            {**TINY, "expand_ratio": {"space": {"min": 0, "max": [0, 6, 6], "stride": 0}}},
            "expand_ratio.space.stride[0]: must be > 0, got 0",
        ),
        ({**TINY, "expand_ratio": [0, 6, -1]}, "expand_ratio[2]: expected a number >= 0, got -1"),
    ],
)
def test_mistakes_are_one_line_errors_naming_the_key(raw: Any, message: str) -> None:
    with pytest.raises(BigNASError) as info:
        BigNASSpace.from_dict(raw, "space.yml")
    text = str(info.value)
    assert message in text and "\n" not in text
    assert isinstance(info.value, AutolabError)  # the CLI prints it as one line


def test_a_yaml_file_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("out_channel: [1, 2\n")
    with pytest.raises(AutolabError, match="bad.yml"):
        BigNASSpace.from_yaml(path)


def test_scalars_fixed_values_and_dynamic_range() -> None:
    space = BigNASSpace.from_dict(
        {
            "out_channel": [16, 32, 64],
            "depth": {"space": {"min": 1, "max": [1, 2, 2]}},
            "expand_ratio": {"space": {"dynamic_range": [[0], [3, 4, 6], [6, 3]]}},
            "kernel_size": 5,
        }
    )
    assert space.dims["out_channel"].options == ((16,), (32,), (64,))
    assert space.dims["depth"].options == ((1,), (1, 2), (1, 2))  # stride defaults to 1
    assert space.dims["expand_ratio"].options == ((0,), (3, 4, 6), (3, 6))
    assert space.dims["kernel_size"].options == ((5,), (5,), (5,))
    assert BigNASSpace.from_dict(NARROW).dims["expand_ratio"].options[1] == (0.25, 0.5)


def test_random_settings_follow_each_sample_strategy() -> None:
    space = BigNASSpace.from_dict(TINY)
    rng = random.Random(0)
    draws = [space.random(rng) for _ in range(300)]
    for s in draws:
        assert space.normalize(s) == s  # already in the exact shape, and valid
        assert [len(k) for k in s["kernel_size"]] == s["depth"]
        assert [len(r) for r in s["expand_ratio"]] == s["depth"]
        assert json.loads(json.dumps(s)) == s
    # block_wise: blocks of one stage differ sometimes; stage_wise (NARROW): never
    assert any(len(set(s["kernel_size"][1])) > 1 for s in draws)
    narrow = BigNASSpace.from_dict(NARROW)
    for s in (narrow.random(rng) for _ in range(100)):
        assert all(len(set(r)) == 1 for r in s["expand_ratio"])
    # every option of every stage is drawn
    assert Counter(s["depth"][1] for s in draws).keys() == {1, 2, 3}
    assert {s["out_channel"][2] for s in draws} == {16, 32}


def test_ordered_stage_wise_never_narrows() -> None:
    raw = {
        **TINY,
        "out_channel": {"space": {"min": 8, "max": 32, "stride": 8}, "sample_strategy": "ordered_stage_wise"},
    }
    space = BigNASSpace.from_dict(raw)
    rng = random.Random(1)
    draws = [space.random(rng)["out_channel"] for _ in range(200)]
    assert all(a <= b <= c for a, b, c in draws)
    assert len({tuple(d) for d in draws}) > 10
    walk = [s["out_channel"] for s in space.traverse()]
    # 4 options per stage: 20 non-decreasing triples (of 64); kernel_size 2 x 2 x 2, depth 1 x 3 x 2,
    # expand_ratio 1 x 2 x 2
    assert space.traverse_size() == len(walk) == 20 * 8 * 6 * 4
    assert all(a <= b <= c for a, b, c in walk) and len({tuple(w) for w in walk}) == 20


def test_traverse_walks_the_grid_from_min_to_max() -> None:
    space = BigNASSpace.from_dict(NARROW)
    walk = list(space.traverse())
    # out_channel 2 x 2 x 3, kernel_size 1 x 2 x 1, depth 1 x 2 x 2, expand_ratio 1 x 2 x 2
    assert len(walk) == space.traverse_size() == 12 * 2 * 4 * 4
    assert walk[0] == space.min() and walk[-1] == space.max()
    assert len({json.dumps(s) for s in walk}) == len(walk)


def test_normalize_expands_scalars_and_names_bad_values() -> None:
    space = BigNASSpace.from_dict(TINY)
    s = space.normalize(
        {"depth": [1, 2, 1], "out_channel": [8, 16, 32], "kernel_size": 5, "expand_ratio": [0, [3, 6], 6]}
    )
    assert s == {
        "depth": [1, 2, 1],
        "out_channel": [8, 16, 32],
        "kernel_size": [[5], [5, 5], [5]],
        "expand_ratio": [[0], [3, 6], [6]],
    }
    bad = [
        (
            {**s, "out_channel": [8, 12, 32]},
            "settings.out_channel[1]: 12 is not one of stage 1's options [8, 16, 24]",
        ),
        ({**s, "kernel_size": [[5], [5], [5]]}, "settings.kernel_size[1]: 1 values for depth 2"),
        ({**s, "depth": [1, 2]}, "settings.depth: 2 values, but the space has 3 (one per stage)"),
        ({**s, "width": 1}, "settings: unknown key 'width'"),
        ({k: v for k, v in s.items() if k != "depth"}, "settings: missing 'depth'"),
        ("max", "settings: expected a mapping"),
    ]
    for settings, message in bad:
        with pytest.raises(BigNASError, match=None) as info:
            space.normalize(settings)
        assert message in str(info.value)


def test_flat_architectures_round_trip_and_are_canonical() -> None:
    space = BigNASSpace.from_dict(TINY)
    choices = space.arch_choices()
    assert "kernel_size.1.2" in choices and "depth.0" not in choices and "out_channel.1" in choices
    rng = random.Random(3)
    for _ in range(50):
        s = space.random(rng)
        arch = space.to_arch(s)
        assert set(arch) == set(choices)
        assert space.from_arch(arch) == s
    # a block past the depth does not change the network, nor the canonical architecture
    s = space.min()
    arch = space.to_arch(s)
    assert space.to_arch(space.from_arch({**arch, "kernel_size.1.2": 5})) == arch
    for bad, message in [
        ({**arch, "depth.1": "3"}, "architecture: depth.1: '3' is not one of [1, 2, 3]"),
        ({**arch, "kernel_size.1.0": 4}, "settings.kernel_size[1]: 4 is not one of stage 1's options [3, 5]"),
        ({k: v for k, v in arch.items() if k != "out_channel.2"}, "architecture: missing 'out_channel.2'"),
    ]:
        with pytest.raises(BigNASError) as info:
            space.from_arch(bad)
        assert message in str(info.value)
