"""`Distiller`: a teacher and a student in one module that returns the total loss, for any loop.

distiller = Distiller(teacher, student, temperature=4, kd_weight=0.9, task_weight=0.1,
                      features=[Feature("layers.2", "layer3", "mse")], example_input=x[:2])
optimizer = torch.optim.SGD(distiller.trainable_parameters(), lr=0.01)
for x, y in data:
    out = distiller(x, y)          # out.loss, out.logits (the student's), out.parts
    optimizer.zero_grad(); out.loss.backward(); optimizer.step()

Feature outputs are captured by forward hooks that exist only while the distiller runs (its own
forward, pretrain and set-up): between steps the student and teacher carry no hooks, so they save
with torch.save and run alone as before. `close()` (or `with Distiller(...) as d:`) also drops the
captured tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .distill_losses import Paraphraser, Translator, connector, factor_loss, kd_loss, mimic_loss
from .trace import CompressError


@dataclass
class Feature:
    """Mimic the teacher's `teacher` module output with the student's `student` module output.
    loss: "mse", "cosine" or "factor" (factor transfer: a paraphraser on the teacher, pre-trained
    by Distiller.pretrain, and a translator on the student)."""

    student: str
    teacher: str
    loss: str = "mse"
    weight: float = 1.0
    rate: float = 0.5  # factor transfer: the factor's channels per teacher channel


@dataclass
class DistillOutput:
    loss: torch.Tensor
    logits: torch.Tensor
    parts: dict[str, float] = field(default_factory=dict)


class Distiller(nn.Module):
    def __init__(
        self,
        teacher: nn.Module,
        student: nn.Module,
        *,
        temperature: float = 4.0,
        kd_weight: float = 1.0,
        task_weight: float = 1.0,
        task_loss: Callable[[torch.Tensor, Any], torch.Tensor] = F.cross_entropy,
        features: Sequence[Feature] = (),
        example_input: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.teacher, self.student = teacher, student
        self.temperature, self.kd_weight, self.task_weight = temperature, kd_weight, task_weight
        self.task_loss = task_loss
        self.features = list(features)
        self.connectors = nn.ModuleList()
        self.paraphrasers = nn.ModuleList()
        self._captured: dict[str, torch.Tensor] = {}
        self._taps: list[tuple[nn.Module, str]] = []  # (module, key): hooked only inside _capture()
        for i, f in enumerate(self.features):
            if f.loss not in ("mse", "cosine", "factor"):
                raise CompressError(
                    f"feature {f.student!r}: loss must be mse, cosine or factor, got {f.loss!r}"
                )
            self._taps.append((self._module(student, f.student), f"s{i}"))
            self._taps.append((self._module(teacher, f.teacher), f"t{i}"))
        if self.features:
            if example_input is None:
                raise CompressError("feature distillation needs example_input (to size the connectors)")
            self._build_connectors(example_input)
        self.train(student.training)

    @staticmethod
    def _module(model: nn.Module, name: str) -> nn.Module:
        try:
            return model.get_submodule(name)
        except AttributeError:
            raise CompressError(f"no module named '{name}' in {type(model).__name__}") from None

    @contextmanager
    def _capture(self) -> Iterator[None]:
        """Forward hooks on the feature modules for the duration of one of the distiller's passes."""

        def keeper(key: str) -> Callable[[nn.Module, Any, torch.Tensor], None]:
            def keep(_m: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
                self._captured[key] = output

            return keep

        handles = [module.register_forward_hook(keeper(key)) for module, key in self._taps]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    def close(self) -> None:
        """Drop captured tensors. The hooks are already gone outside the distiller's own passes, so
        the student and teacher are plain models again; kept for `with Distiller(...) as d:`."""
        self._captured.clear()

    def __enter__(self) -> Distiller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build_connectors(self, x: torch.Tensor) -> None:
        was = self.student.training
        self.student.eval()
        with torch.no_grad(), self._capture():
            self.student(x), self.teacher.eval()(x)
        self.student.train(was)
        for i, f in enumerate(self.features):
            s, t = self._captured[f"s{i}"].shape, self._captured[f"t{i}"].shape
            if f.loss == "factor":
                if len(s) != 4 or len(t) != 4:
                    raise CompressError(f"factor transfer needs feature maps; '{f.student}' gives {tuple(s)}")
                para = Paraphraser(t[1], f.rate)
                trans: nn.Module = Translator(s[1], para.factor_channels)
                if tuple(s[2:]) != tuple(t[2:]):
                    trans = nn.Sequential(trans, nn.AdaptiveAvgPool2d(tuple(t[2:])))
                self.paraphrasers.append(para)
                self.connectors.append(trans)
            else:
                self.paraphrasers.append(nn.Identity())
                self.connectors.append(connector(s, t))
        self._captured.clear()

    def train(self, mode: bool = True) -> Distiller:
        super().train(mode)
        self.teacher.eval()  # the teacher (and a pre-trained paraphraser) never updates its norms
        self.paraphrasers.eval()
        return self

    def trainable_parameters(self) -> Iterator[nn.Parameter]:
        """The student's and the connectors' parameters (not the teacher's nor the paraphrasers')."""
        yield from self.student.parameters()
        yield from self.connectors.parameters()

    def forward(self, x: torch.Tensor, target: Any = None) -> DistillOutput:
        with self._capture():
            with torch.no_grad():
                teacher_logits = self.teacher(x)
            logits = self.student(x)
        if self.kd_weight and logits.shape != teacher_logits.shape:
            raise CompressError(
                f"the student's output {tuple(logits.shape)} and the teacher's {tuple(teacher_logits.shape)} "
                "differ: kd needs outputs of one shape (or kd_weight=0)"
            )
        parts: dict[str, torch.Tensor] = {}
        if self.kd_weight:
            parts["kd"] = self.kd_weight * kd_loss(logits, teacher_logits, self.temperature)
        if target is not None and self.task_weight:
            parts["task"] = self.task_weight * self.task_loss(logits, target)
        for i, f in enumerate(self.features):
            s, t = self.connectors[i](self._captured[f"s{i}"]), self._captured[f"t{i}"].detach()
            if f.loss == "factor":
                para: Any = self.paraphrasers[i]
                with torch.no_grad():
                    t = para.encode(t)
                parts[f"feature:{f.student}"] = f.weight * factor_loss(s, t)
            else:
                parts[f"feature:{f.student}"] = f.weight * mimic_loss(s, t, f.loss)
        self._captured.clear()
        if not parts:
            raise CompressError("nothing to learn from: kd_weight is 0, no target and no features")
        total = torch.stack(list(parts.values())).sum()
        return DistillOutput(total, logits, {k: float(v.detach()) for k, v in parts.items()})

    def pretrain(self, inputs: Iterable[torch.Tensor], epochs: int = 1, lr: float = 1e-3) -> list[float]:
        """The connector pre-training stage of factor transfer: each paraphraser learns to rebuild
        its teacher feature (mean squared error); returns the mean loss of each epoch."""
        paras = [(i, p) for i, p in enumerate(self.paraphrasers) if isinstance(p, Paraphraser)]
        if not paras:
            return []
        params = [q for _, p in paras for q in p.parameters()]
        optimizer = torch.optim.Adam(params, lr=lr)
        history = []
        batches = list(inputs)
        for _ in range(epochs):
            total = 0.0
            for p in (p for _, p in paras):
                p.train()
            for x in batches:
                with torch.no_grad(), self._capture():
                    self.teacher(x)
                loss = torch.stack(
                    [
                        F.mse_loss(p(self._captured[f"t{i}"].detach()), self._captured[f"t{i}"].detach())
                        for i, p in paras
                    ]
                ).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
            self._captured.clear()
            history.append(total / max(1, len(batches)))
        self.paraphrasers.eval()
        return history
