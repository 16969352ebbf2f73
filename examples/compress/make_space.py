"""Write search_space.json: one ratio per prunable group of the digits ResNet, named by its leader."""

from __future__ import annotations

import json
from pathlib import Path

import digits

from autolab import compress


def search_space(high: float = 0.8) -> dict[str, dict]:
    graph = compress.build_graph(digits.DigitsResNet(), digits.EXAMPLE)
    return {leader: {"_type": "uniform", "_value": [0.0, high]} for leader in graph.leaders()}


if __name__ == "__main__":
    path = Path(__file__).resolve().parent / "search_space.json"
    path.write_text(json.dumps(search_space(), indent=2) + "\n")
    print(f"wrote {path}")
