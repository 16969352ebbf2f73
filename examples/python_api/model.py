"""The trial of nni_style.py: an SVM on scikit-learn's digits (ships with scikit-learn, no download).
Written for NNI (`import nni`): autolab's `nni` module serves it unchanged."""

import nni
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

params = {"C": 1.0, "gamma": 0.001, "kernel": "rbf"}
params.update(nni.get_next_parameter())

X, y = load_digits(return_X_y=True)
scores = []
for score in cross_val_score(SVC(**params), X / 16.0, y, cv=3):
    scores.append(score)
    nni.report_intermediate_result(sum(scores) / len(scores))
nni.report_final_result(sum(scores) / len(scores))
