"""A trial written for NNI, shaped as NNI's examples/trials/mnist-pytorch/mnist.py, but on
scikit-learn's digits (no torch needed). It must run under autolab exactly as it is: do not edit
it to suit autolab."""

import argparse
import logging

import nni
import numpy as np
from nni.utils import merge_parameter
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

logger = logging.getLogger("mnist_AutoML")


def train(args, model, x_train, y_train, classes, rng, epoch):
    logger.info("Train epoch %d", epoch)
    order = rng.permutation(len(x_train))
    for start in range(0, len(order), args["batch_size"]):
        batch = order[start : start + args["batch_size"]]
        model.partial_fit(x_train[batch], y_train[batch], classes=classes)


def test(model, x_test, y_test):
    accuracy = model.score(x_test, y_test)
    logger.info("Test set: Accuracy: %.4f", accuracy)
    return accuracy


def main(args):
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x / 16.0, y, test_size=0.25, random_state=args["seed"]
    )
    model = SGDClassifier(
        alpha=args["alpha"], learning_rate="constant", eta0=args["lr"], random_state=args["seed"]
    )
    rng = np.random.default_rng(args["seed"])
    classes = np.unique(y)
    for epoch in range(1, args["epochs"] + 1):
        train(args, model, x_train, y_train, classes, rng, epoch)
        test_acc = test(model, x_test, y_test)
        # report intermediate result
        nni.report_intermediate_result(test_acc)
        logger.debug("test accuracy %g", test_acc)
        logger.debug("Pipe send intermediate result done.")
    # report final result
    nni.report_final_result(test_acc)
    logger.debug("Final result is %g", test_acc)
    logger.debug("Send final result done.")


def get_params():
    # Training settings
    parser = argparse.ArgumentParser(description="scikit-learn digits Example")
    parser.add_argument(
        "--batch_size", type=int, default=64, metavar="N", help="input batch size for training"
    )
    parser.add_argument("--alpha", type=float, default=1e-4, metavar="A", help="L2 penalty")
    parser.add_argument("--lr", type=float, default=0.01, metavar="LR", help="learning rate")
    parser.add_argument("--epochs", type=int, default=3, metavar="N", help="number of epochs to train")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed")
    args, _ = parser.parse_known_args()
    return args


if __name__ == "__main__":
    try:
        # get parameters form tuner
        tuner_params = nni.get_next_parameter()
        logger.debug(tuner_params)
        params = vars(merge_parameter(get_params(), tuner_params))
        print(params)
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
