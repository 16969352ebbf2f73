"""examples/compress: the committed search space is the model's groups; a trial prunes to the FLOPs
target and reports; prune_kd's ratio reader. (An untrained teacher: no minutes of training here.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "compress"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.syspath_prepend(str(EXAMPLE))
    for name in ("digits", "trial", "make_space", "prune_kd"):
        sys.modules.pop(name, None)
    import digits

    torch.manual_seed(0)
    untrained = digits.DigitsResNet().eval()
    monkeypatch.setattr(digits, "teacher", lambda: untrained)
    yield digits
    for name in ("digits", "trial", "make_space", "prune_kd"):
        sys.modules.pop(name, None)


def test_committed_search_space_matches_the_model(example) -> None:  # noqa: ANN001
    import make_space

    assert make_space.search_space() == json.loads((EXAMPLE / "search_space.json").read_text())


def test_trial_prunes_to_the_flops_target_and_reports(example) -> None:  # noqa: ANN001
    import trial

    ratios = {name: 0.1 * i for i, name in enumerate(json.loads((EXAMPLE / "search_space.json").read_text()))}
    result = trial.run(ratios, flops=0.5, epochs=1, kd=True)
    assert 0.4 < result["flops_kept"] <= 0.5
    assert 0.0 <= result["default"] <= 1.0
    assert result["ratios"]["stem.0"] == 0.0  # ratio 0 stays 0 whatever the scale
    assert result["ratios"]["layer2.1.conv1"] > result["ratios"]["layer1.0.conv1"]


def test_prune_kd_reads_ratios_inline_or_from_a_file(example, tmp_path: Path) -> None:  # noqa: ANN001
    import prune_kd

    assert prune_kd.read_ratios('{"stem.0": 0.5}') == {"stem.0": 0.5}
    (tmp_path / "best.json").write_text('{"layer1.0.conv1": 0.25}')
    assert prune_kd.read_ratios(str(tmp_path / "best.json")) == {"layer1.0.conv1": 0.25}
    with pytest.raises(SystemExit, match="--ratios \\[1\\]: want an object"):
        prune_kd.read_ratios("[1]")
    export = [
        {"parameter": {"stem.0": 0.1}, "value": {"default": 0.9}, "trialJobId": "a"},
        {"parameter": {"stem.0": 0.2}, "value": {"default": 0.95}, "trialJobId": "b"},
        {"parameter": {"stem.0": 0.3}, "value": None, "trialJobId": "c"},
    ]
    (tmp_path / "export.json").write_text(json.dumps(export))
    assert prune_kd.read_ratios(str(tmp_path / "export.json")) == {"stem.0": 0.2}
