"""One-shot neural architecture search on PyTorch (install the `nas` extra).

Write a supernet with choices, search it, export the architecture, retrain the plain model:

    from autolab import nas
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            width = nas.ValueChoice([16, 32], label="width")
            self.conv = nas.MutableConv2d(1, width, nas.ValueChoice([3, 5], label="kernel"))
            self.bn = nas.MutableBatchNorm2d(width)
            self.op = nas.LayerChoice({"relu": nn.ReLU(), "gelu": nn.GELU()}, label="act")
            ...
    trainer = nas.DartsTrainer(Net(), loss, optimizer, data, num_epochs=10).fit()
    # or GumbelDartsTrainer, ProxylessTrainer, EnasTrainer, SposTrainer (+ search())
    arch = nas.export(trainer)               # {"width": 32, "kernel": 3, "act": "relu"}
    with nas.fixed_arch(arch):
        model = Net()                        # plain nn.Conv2d / nn.BatchNorm2d / nn.ReLU inside
"""

from .cost import arch_cost, count_flops, count_params
from .darts import DartsTrainer
from .enas import EnasTrainer
from .evolution import EvolutionResult, evolution_search
from .fixed import apply_fixed_architecture, export, fixed_arch, has_choices, load_arch, save_arch
from .gumbel import GumbelDartsTrainer
from .layers import MutableBatchNorm2d, MutableConv2d, MutableLayerNorm, MutableLinear
from .mutables import ChosenInputs, InputChoice, LayerChoice, Mutable, NasError
from .proxyless import ProxylessTrainer
from .repeat import Repeat
from .space import (
    canonical,
    choice_groups,
    random_arch,
    set_arch,
    space_size,
    to_search_space,
    validate_arch,
    write_search_space,
)
from .spos import SposTrainer, recalibrate_bn
from .supernet_trial import arch_from_parameters, evaluate_on_supernet
from .values import DerivedValueChoice, ValueChoice

__all__ = [
    "ChosenInputs",
    "DartsTrainer",
    "DerivedValueChoice",
    "EnasTrainer",
    "EvolutionResult",
    "GumbelDartsTrainer",
    "InputChoice",
    "LayerChoice",
    "Mutable",
    "MutableBatchNorm2d",
    "MutableConv2d",
    "MutableLayerNorm",
    "MutableLinear",
    "NasError",
    "ProxylessTrainer",
    "Repeat",
    "SposTrainer",
    "ValueChoice",
    "apply_fixed_architecture",
    "arch_cost",
    "arch_from_parameters",
    "canonical",
    "choice_groups",
    "count_flops",
    "count_params",
    "evaluate_on_supernet",
    "evolution_search",
    "export",
    "fixed_arch",
    "has_choices",
    "load_arch",
    "random_arch",
    "recalibrate_bn",
    "save_arch",
    "set_arch",
    "space_size",
    "to_search_space",
    "validate_arch",
    "write_search_space",
]
