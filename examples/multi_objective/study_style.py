"""The same search in Optuna's style: the objective returns one value per direction, every trial
runs in this process. The study is named (an experiment: `autolab top` shows its front), and
running this script again continues it.

    python examples/multi_objective/study_style.py [n_trials]
"""

import os
import sys
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import autolab

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)


def objective(trial: autolab.study.StudyTrial) -> list[float]:
    width = trial.suggest_int("width", 4, 256, log=True)
    depth = trial.suggest_categorical("depth", [1, 2, 3])
    model = MLPClassifier(
        hidden_layer_sizes=(width,) * depth,
        learning_rate_init=trial.suggest_float("lr", 1e-4, 0.05, log=True),
        alpha=trial.suggest_float("alpha", 1e-5, 1e-2, log=True),
        max_iter=int(os.environ.get("MO_EPOCHS", "40")),
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    n_params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    return [model.score(X_test, y_test), n_params]


study = autolab.create_study(
    directions={"accuracy": "maximize", "params": "minimize"}, name="digits-mlp-pareto", seed=0
)
study.optimize(objective, n_trials=int(sys.argv[1]) if len(sys.argv) > 1 else 40)
print(f"{len(study.trials)} trials; Pareto front:")
for t in sorted(study.best_trials, key=lambda t: -t.values[0]):
    print(f"  accuracy {t.values[0]:.4f}  params {t.values[1]:>6.0f}  {t.params}")
