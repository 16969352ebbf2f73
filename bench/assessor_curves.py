"""Real learning curves for the assessor benchmark: sklearn's MLPClassifier trained epoch by epoch
(partial_fit) on the digits data set, validation accuracy after each epoch.

Curves are cached by (seed, parameters) so that every assessor replays the same curve for the same
trial, with the measured training time of each epoch.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SEARCH_SPACE: dict[str, Any] = {
    "learning_rate_init": {"_type": "loguniform", "_value": [1e-5, 0.1]},
    "hidden_size": {"_type": "choice", "_value": [8, 16, 32, 64, 128, 256]},
    "alpha": {"_type": "loguniform", "_value": [1e-6, 1.0]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128, 256]},
}


class CurveCache:
    """Train-once store of (accuracies per epoch, seconds per epoch)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        digits = load_digits()
        x = digits.data / 16.0
        self.x_train, self.x_val, self.y_train, self.y_val = train_test_split(
            x, digits.target, test_size=0.3, random_state=0, stratify=digits.target
        )
        self.classes = np.unique(digits.target)
        self.cache: dict[str, tuple[list[float], list[float]]] = {}
        self.trained = 0

    def curve(self, params: dict[str, Any], seed: int) -> tuple[list[float], list[float]]:
        key = json.dumps([seed, params], sort_keys=True)
        if key not in self.cache:
            self.cache[key] = self._train(params, seed)
            self.trained += 1
        return self.cache[key]

    def _train(self, params: dict[str, Any], seed: int) -> tuple[list[float], list[float]]:
        model = MLPClassifier(
            hidden_layer_sizes=(int(params["hidden_size"]),),
            alpha=float(params["alpha"]),
            batch_size=int(params["batch_size"]),
            learning_rate_init=float(params["learning_rate_init"]),
            solver="adam",
            random_state=seed,
        )
        accs, times = [], []
        for _ in range(self.epochs):
            start = time.perf_counter()
            model.partial_fit(self.x_train, self.y_train, classes=self.classes)
            accs.append(float(model.score(self.x_val, self.y_val)))
            times.append(time.perf_counter() - start)
        return accs, times
