"""STAND-IN for bignas-core's space (deleted when core's branch is merged).

Settings: {"out_channel": [per stage], "kernel_size": [per stage], "depth": [per stage]}."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

Settings = dict[str, list[int]]
KEYS = ("out_channel", "kernel_size", "depth")


class BigNASSpace:
    def __init__(self, options: dict[str, list[list[int]]]) -> None:
        self.options = options  # key -> per stage -> options
        self.stages = len(options["out_channel"])

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BigNASSpace:
        options: dict[str, list[list[int]]] = {}
        for key in KEYS:
            sp = d[key]["space"]
            n = len(sp["min"])
            stride = sp["stride"] if isinstance(sp["stride"], list) else [sp["stride"]] * n
            options[key] = [list(range(sp["min"][i], sp["max"][i] + 1, stride[i])) for i in range(n)]
        return cls(options)

    def to_dict(self) -> dict[str, Any]:
        return {
            k: {"space": {"min": [o[0] for o in v], "max": [o[-1] for o in v], "stride": [1] * len(v)}}
            for k, v in self.options.items()
        }

    def max(self) -> Settings:
        return {k: [o[-1] for o in v] for k, v in self.options.items()}

    def min(self) -> Settings:
        return {k: [o[0] for o in v] for k, v in self.options.items()}

    def random(self, rng: random.Random) -> Settings:
        return {k: [rng.choice(o) for o in v] for k, v in self.options.items()}

    def traverse(self) -> Iterator[Settings]:
        names = self.decisions()
        for values in itertools.product(*names.values()):
            yield self.settings_of(dict(zip(names, values, strict=True)))

    def decisions(self) -> dict[str, list[int]]:
        return {f"stage{i + 1}.{k}": list(v[i]) for k, v in self.options.items() for i in range(self.stages)}

    def settings_of(self, decisions: dict[str, Any]) -> Settings:
        return {k: [int(decisions[f"stage{i + 1}.{k}"]) for i in range(self.stages)] for k in self.options}

    def decisions_of(self, settings: Settings) -> dict[str, int]:
        return {f"stage{i + 1}.{k}": settings[k][i] for k in self.options for i in range(self.stages)}
