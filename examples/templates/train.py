"""A training script that knows nothing of autolab: flags in, "Test Acc: ..." out.

A linear classifier (SGD, log loss) on scikit-learn's bundled digits, trained in mini-batches of
--batch-size for --epochs epochs; the step size starts at --lr and is multiplied by --gamma after
every epoch. Run it alone: python train.py --lr 0.5 --batch-size 512 --epochs 3 --gamma 0.7
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    classes = np.unique(y)
    rng = np.random.default_rng(args.seed)
    model = SGDClassifier(
        loss="log_loss", learning_rate="constant", eta0=args.lr, alpha=1e-4, random_state=args.seed
    )
    for epoch in range(args.epochs):
        model.set_params(eta0=args.lr * args.gamma**epoch)
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), args.batch_size):
            batch = order[start : start + args.batch_size]
            model.partial_fit(X_train[batch], y_train[batch], classes=classes)
        print(f"Epoch {epoch + 1}/{args.epochs}  Test Acc: {model.score(X_test, y_test):.4f}", flush=True)


if __name__ == "__main__":
    main()
