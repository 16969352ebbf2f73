"""Optuna's style: the objective is a Python function, every trial runs in this process (no process
per trial). The study is named, so it is an experiment like any other (`autolab experiment list`,
`autolab top`, `autolab view`), and running this script again continues it.

    python examples/python_api/study_style.py
"""

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

import autolab

X, y = load_digits(return_X_y=True)
X = X / 16.0


def objective(trial: autolab.study.StudyTrial) -> float:
    # define-by-run, as in Optuna: each suggest_* adds its parameter to the study's search space
    params = {
        "C": trial.suggest_float("C", 0.01, 100, log=True),
        "gamma": trial.suggest_float("gamma", 1e-4, 1, log=True),
        "kernel": trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"]),
    }
    scores = []
    for score in cross_val_score(SVC(**params), X, y, cv=3):
        scores.append(score)
        trial.report(sum(scores) / len(scores))
        if trial.should_prune():  # the Medianstop assessor's answer
            raise autolab.TrialPruned()
    return sum(scores) / len(scores)


study = autolab.create_study(
    tuner="TPE", direction="maximize", assessor="Medianstop", name="digits-svm", seed=0
)
study.optimize(objective, n_trials=30)
print(f"{len(study.trials)} trials; best accuracy {study.best_value:.4f} with {study.best_params}")

# the one-call form, in memory: the best trial
best = autolab.optimize(
    lambda t: cross_val_score(SVC(C=t.params["C"]), X, y, cv=3).mean(),
    {"C": {"_type": "loguniform", "_value": [0.01, 100]}},
    n_trials=10,
    direction="maximize",
)
print(f"autolab.optimize: best C {best.params['C']:.3g} ({best.value:.4f})")
