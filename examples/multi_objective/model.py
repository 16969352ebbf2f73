"""The trial of config.yml: an MLP on scikit-learn's digits (ships with scikit-learn, no download).
It reports NNI's dict metric: `default` is the accuracy (the first objective), `params` the model's
parameter count (the second). Written for NNI (`import nni`): autolab's `nni` module serves it.

MO_EPOCHS (default 40) caps training, so a test can run it small."""

import os
import warnings

import nni
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

params = {"width": 64, "depth": 2, "lr": 1e-3, "alpha": 1e-4}
params.update(nni.get_next_parameter())

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
model = MLPClassifier(
    hidden_layer_sizes=(int(params["width"]),) * int(params["depth"]),
    learning_rate_init=params["lr"],
    alpha=params["alpha"],
    max_iter=int(os.environ.get("MO_EPOCHS", "40")),
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a short budget on purpose
    model.fit(X_train, y_train)
accuracy = model.score(X_test, y_test)
n_params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
nni.report_final_result({"default": accuracy, "params": n_params})
