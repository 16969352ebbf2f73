"""uniform_prob as shipped (autolab EnasTrainer, this tree) against the bench patch of rounds 12-13
(`nas_enas_mix.MixEnasTrainer` on autolab as of commit 46df687, extracted with
`git archive 46df687 autolab bench/nas_enas_mix.py tests/nas | tar -x -C OLD`): a 3-epoch search on
tests/nas/supernets.TinyNet with p in {0.5, 1}; prints whether the weights, the uniform-batch count and
the controller's last reward are identical. Run once per tree:

    cd OLD/bench && PYTHONPATH=OLD:OLD/bench python3 nas_r14_mix_check.py old /tmp/old.pt  # a copy of this file
    PYTHONPATH=..:. python3 nas_r14_mix_check.py new /tmp/new.pt
    python3 nas_r14_mix_check.py compare /tmp/old.pt /tmp/new.pt
"""

from __future__ import annotations

import sys

import torch
from torch.nn import functional as F


def run(which: str) -> dict:
    from autolab import nas
    from tests.nas.supernets import TinyNet, make_data

    out = {}
    for p in (0.5, 1.0):
        torch.manual_seed(0)
        net = TinyNet()
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        kw = dict(num_epochs=3, batch_size=16, device="cpu", controller_steps=2, seed=5)
        if which == "old":
            from nas_enas_mix import MixEnasTrainer

            t = MixEnasTrainer(
                net, F.cross_entropy, opt, make_data(), make_data(), uniform_prob=p, **kw
            ).fit()
        else:
            t = nas.EnasTrainer(
                net,
                F.cross_entropy,
                opt,
                make_data(),
                make_data(),
                uniform_prob=p,
                derive_retrain_epochs=0,
                **kw,
            ).fit()
        out[p] = {
            "params": [x.detach().clone() for x in net.parameters()],
            "uniform_batches": t.uniform_batches,
            "reward": t.history[-1]["reward"],
            "export": t.export(),
        }
    return out


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        a, b = torch.load(sys.argv[2]), torch.load(sys.argv[3])
        for p in a:
            same = all(torch.equal(x, y) for x, y in zip(a[p]["params"], b[p]["params"], strict=True))
            keys = ("uniform_batches", "reward", "export")
            print(
                f"p={p}: weights identical {same}; " + ", ".join(f"{k} {a[p][k]} / {b[p][k]}" for k in keys)
            )
    else:
        torch.set_num_threads(1)
        torch.save(run(sys.argv[1]), sys.argv[2])
