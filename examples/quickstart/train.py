"""Quickstart trial: an SVM on scikit-learn's digits data set (ships with scikit-learn, no download).

Works unchanged under NNI too: replace `import autolab` with `import nni`.
"""

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

import autolab

params = {"C": 1.0, "gamma": 0.001, "kernel": "rbf"}
params.update(autolab.get_next_parameter())

X, y = load_digits(return_X_y=True)
X = X / 16.0
model = SVC(C=params["C"], gamma=params["gamma"], kernel=params["kernel"])
scores = []
for score in cross_val_score(model, X, y, cv=3):
    scores.append(score)
    autolab.report_intermediate_result(sum(scores) / len(scores))
autolab.report_final_result(sum(scores) / len(scores))
