"""Few-shot NAS (Zhao et al., 2021): split a trained one-shot supernet on one choice.

One shared supernet makes every option of a choice train the same downstream weights, which then
rank some paths above what they are worth alone. Few-shot NAS splits the trained supernet on one
choice into one sub-supernet per option of that choice: each starts from the supernet's weights
(and its optimizer's state), trains further with that choice fixed to its option, and scores the
architectures that take that option. `SposTrainer(few_shot_epochs=..., few_shot_split=...)` and
`EnasTrainer(few_shot_epochs=..., few_shot_split=...)` use these helpers; the split choice's options
must be comparable with `==` (any LayerChoice, ValueChoice or InputChoice option is).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from .mutables import NasError
from .space import ChoiceGroup, choice_groups


def split_choice(groups: dict[str, ChoiceGroup], epochs: int, split: str | None, owner: str) -> str | None:
    """The trainer's few-shot settings checked: None when `epochs` is 0 (no split), else the label to
    split on (`split_label`). `owner` names the trainer in errors."""
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise NasError(f"{owner} few_shot_epochs must be an integer >= 0, got {epochs!r}")
    if epochs == 0:
        if split is not None:
            raise NasError(f"{owner} few_shot_split={split!r} needs few_shot_epochs > 0 (0: no split)")
        return None
    return split_label(groups, split, owner)


def split_label(groups: dict[str, ChoiceGroup], split: str | None, owner: str) -> str:
    """The choice to split on: `split` when given (it must be a label of the space), else the choice
    with the most options (the first of them, in the model's order, on a tie). `owner` names the
    trainer in errors."""
    if split is None:
        return max(groups, key=lambda label: len(groups[label].choices))
    if split not in groups:
        raise NasError(
            f"{owner} few_shot_split {split!r} is not a choice of the model (its choices: "
            f"{', '.join(groups)})"
        )
    return split


def clone_supernet(
    model: nn.Module, optimizer: torch.optim.Optimizer, owner: str
) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A deep copy of the model and an optimizer of the same class over the copy's parameters, with
    the original's hyperparameters and state (momentum buffers, Adam moments, step counts)."""
    clone = copy.deepcopy(model)
    names = {id(p): name for name, p in model.named_parameters()}
    params = dict(clone.named_parameters())
    groups = []
    for group in optimizer.param_groups:
        missing = [p for p in group["params"] if id(p) not in names]
        if missing:
            raise NasError(
                f"{owner} few-shot: the optimizer holds parameters that are not the model's; "
                "build it over model.parameters()"
            )
        settings = {k: v for k, v in group.items() if k != "params"}
        groups.append({**settings, "params": [params[names[id(p)]] for p in group["params"]]})
    # every group carries all of its hyperparameters; subclasses take (params, ...) unlike the base
    clone_opt = type(optimizer)(groups)  # type: ignore[call-arg]
    clone_opt.load_state_dict(copy.deepcopy(optimizer.state_dict()))  # own buffers, not shared ones
    return clone, clone_opt


class SubSupernet:
    """One split: the option it fixes, its model (a trained copy), its optimizer and choice groups."""

    def __init__(self, label: str, value: Any, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.label, self.value, self.model, self.optimizer = label, value, model, optimizer
        self.groups = choice_groups(model)

    def fixed(self) -> dict[str, Any]:
        return {self.label: self.value}


def route(subs: list[SubSupernet], arch: dict[str, Any]) -> SubSupernet:
    """The sub-supernet whose option the architecture takes at the split choice."""
    label = subs[0].label
    for sub in subs:
        if sub.value == arch[label]:
            return sub
    raise NasError(f"few-shot: no sub-supernet for {label}={arch[label]!r}")


def scoring_model(
    model: nn.Module, groups: dict[str, ChoiceGroup], subs: list[SubSupernet], arch: dict[str, Any]
) -> tuple[nn.Module, dict[str, ChoiceGroup]]:
    """The model (and its choice groups) that scores `arch`: the one-shot supernet, or after a split
    the sub-supernet of the architecture's option at the split choice."""
    if not subs:
        return model, groups
    sub = route(subs, arch)
    return sub.model, sub.groups
