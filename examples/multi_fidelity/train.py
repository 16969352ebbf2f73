"""An MLP on scikit-learn's digits, one epoch at a time: an NNI trial script for multi-fidelity methods.

It runs unchanged under NNI and under autolab (which gives trials an `nni` module). What it trains:
- Hyperband, BOHB, ASHA promotion: `TRIAL_BUDGET` epochs in all (NNI's key in the parameters);
- ASHA promotion and PBT also give `load_checkpoint_dir` / `save_checkpoint_dir`: the model goes on
  from the checkpoint it finds (a promotion trains only the epochs it adds) and saves itself;
- PBT gives no budget: each generation trains PBT_STEP more epochs, up to FULL_EPOCHS;
- anything else (TPE with the ASHA assessor): FULL_EPOCHS, which the assessor may cut short.
After every epoch it reports the validation accuracy; at the end, the last one as the final result.
"""

import os
import pickle

import nni
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

FULL_EPOCHS = 27
PBT_STEP = 3


def data():
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return x_train, x_val, y_train, y_val


def main():
    params = nni.get_next_parameter()
    load, save = params.get("load_checkpoint_dir"), params.get("save_checkpoint_dir")
    model, done = None, 0
    if load and os.path.exists(os.path.join(load, "model.pkl")):
        with open(os.path.join(load, "model.pkl"), "rb") as fh:
            model, done = pickle.load(fh)
    if "TRIAL_BUDGET" in params:
        target = int(params["TRIAL_BUDGET"])
    elif save:
        target = min(done + PBT_STEP, FULL_EPOCHS)
    else:
        target = FULL_EPOCHS
    if model is None:
        model = MLPClassifier(hidden_layer_sizes=(int(params.get("hidden_size", 64)),), random_state=0)
    # PBT hands a copied checkpoint perturbed hyperparameters: set them on the model it goes on with
    model.set_params(
        alpha=params["alpha"],
        batch_size=int(params["batch_size"]),
        learning_rate_init=params["learning_rate_init"],
    )
    if hasattr(model, "_optimizer"):  # adam keeps its own copy of the learning rate
        model._optimizer.learning_rate_init = params["learning_rate_init"]
    x_train, x_val, y_train, y_val = data()
    accuracy = float(model.score(x_val, y_val)) if done else 0.0
    for _ in range(done, target):
        model.partial_fit(x_train, y_train, classes=list(range(10)))
        accuracy = float(model.score(x_val, y_val))
        nni.report_intermediate_result(accuracy)
    if save:
        os.makedirs(save, exist_ok=True)
        with open(os.path.join(save, "model.pkl"), "wb") as fh:
            pickle.dump((model, target), fh)
    nni.report_final_result(accuracy)


if __name__ == "__main__":
    main()
