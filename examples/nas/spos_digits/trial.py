"""An autolab trial that scores one architecture on the trained supernet (no training).

The tuner proposes an architecture from search_space.json (written by search.py); the trial loads
supernet.pt, sets that path, recalibrates BatchNorm on training batches and reports the validation
accuracy. Run search.py once first, then: autolab create --config config.yml
"""

from __future__ import annotations

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model import DigitsSupernet  # noqa: E402

import autolab  # noqa: E402
from autolab import nas  # noqa: E402
from autolab.nas.data import digits_datasets  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    checkpoint = os.path.join(HERE, "supernet.pt")
    if not os.path.exists(checkpoint):
        sys.exit(f"{checkpoint} is missing: run search.py first (it trains and saves the supernet)")
    model = DigitsSupernet()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    params = autolab.get_next_parameter()  # {label: choice}; {} when run standalone (a random path)
    train, val, _ = digits_datasets(seed=0)
    accuracy = nas.evaluate_on_supernet(model, params, train, val, recalibrate_batches=5, device="cpu")
    autolab.report_final_result(accuracy)


if __name__ == "__main__":
    main()
