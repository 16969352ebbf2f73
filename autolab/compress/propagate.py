"""Channel ids through an fx graph: each channel a producer makes gets an id; ops that tie channels
(residual adds, depthwise/grouped convs, SE gates) union ids; shape ops (cat, chunk, view, transpose,
flatten) are replayed on tensors of ids, so concatenations, channel shuffles and flatten-into-linear
come out exact. Anything not understood freezes the channels it touches (never pruned): a model
is pruned less, never wrongly."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import fx, nn
from torch.nn import functional as F

FROZEN = 0  # the id every unprunable channel is joined to

_PASS_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.SiLU, nn.GELU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh,
    nn.ELU, nn.Mish, nn.Identity, nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.MaxPool1d, nn.MaxPool2d,
    nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d,
    nn.Upsample,
)  # fmt: skip
_PASS_FUNCS = {
    F.relu, F.relu6, F.silu, F.gelu, F.hardswish, F.hardsigmoid, F.leaky_relu, F.elu, F.mish, F.dropout,
    F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.avg_pool2d, F.max_pool2d, F.interpolate, torch.relu,
    torch.sigmoid, torch.tanh, F.sigmoid, F.tanh, torch.nn.functional.dropout2d,
}  # fmt: skip
_PASS_METHODS = {"relu", "relu_", "sigmoid", "sigmoid_", "tanh", "contiguous", "clone", "float", "detach"}
_BINARY_FUNCS = {operator.add, operator.sub, operator.mul, operator.truediv, operator.iadd, operator.imul,
                 torch.add, torch.sub, torch.mul, torch.div}  # fmt: skip
_BINARY_METHODS = {"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_"}
_SHAPE_FUNCS = {torch.flatten, torch.reshape, torch.transpose, torch.permute, torch.cat, torch.concat,
                torch.chunk, torch.split, torch.squeeze, torch.unsqueeze, operator.getitem}  # fmt: skip
_SHAPE_METHODS = {"view", "reshape", "flatten", "transpose", "permute", "chunk", "split", "squeeze",
                  "unsqueeze", "expand", "unflatten"}  # fmt: skip
_SHAPE_MODULES = (nn.Flatten, nn.Unflatten, nn.ChannelShuffle)
_REDUCE_METHODS = {"mean", "sum", "amax", "amin"}
_REDUCE_FUNCS = {torch.mean, torch.sum, torch.amax, torch.amin}


class UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = [FROZEN]

    def new(self, n: int) -> np.ndarray:
        start = len(self.parent)
        self.parent.extend(range(start, start + n))
        return np.arange(start, start + n, dtype=np.int64)

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # FROZEN (0) always wins the root, so a frozen channel is found in one look
            self.parent[max(ra, rb)] = min(ra, rb)

    def roots(self, ids: np.ndarray) -> np.ndarray:
        return np.fromiter((self.find(int(i)) for i in ids), dtype=np.int64, count=len(ids))


@dataclass
class Ids:
    """The channel ids of one tensor: `compact` (one id per index of dim 1) when that describes it,
    else `full` (one id per element)."""

    shape: tuple[int, ...]
    compact: np.ndarray | None = None
    full: torch.Tensor | None = None

    def as_full(self) -> torch.Tensor:
        if self.full is None:
            assert self.compact is not None
            view = [1] * len(self.shape)
            view[1] = len(self.compact)
            return torch.from_numpy(self.compact).view(view).expand(self.shape).clone()
        return self.full


def _ids_of_full(full: torch.Tensor) -> Ids:
    shape = tuple(full.shape)
    if full.dim() >= 2 and full.numel() > 0:
        rows = full.transpose(0, 1).reshape(full.shape[1], -1)
        if bool((rows.min(1).values == rows.max(1).values).all()):
            compact = rows[:, 0].numpy().copy()
            nonfrozen = compact[compact != FROZEN]
            # ids repeated along dim 1 of a >2-d tensor: spatial positions were moved into dim 1
            if full.dim() == 2 or len(np.unique(nonfrozen)) == len(nonfrozen):
                return Ids(shape, compact=compact)
    return Ids(shape, full=full.contiguous())  # contiguous: a later replayed view must not fail on it


@dataclass
class LayerInfo:
    """One conv / linear / batch norm of the model, with the ids of its channels."""

    name: str
    kind: str  # "conv", "linear" or "bn"
    out_ids: np.ndarray | None = None
    in_ids: np.ndarray | None = None
    groups: int = 1
    macs_per_channel: int = 0  # multiply-adds per (output channel x input channel per group)
    frozen: bool = False
    out_roots: np.ndarray | None = None  # the ids' union-find roots, once the graph is complete
    in_roots: np.ndarray | None = None


@dataclass
class Propagation:
    uf: UnionFind = field(default_factory=UnionFind)
    layers: dict[str, LayerInfo] = field(default_factory=dict)

    def freeze(self, value: Any) -> None:
        for ids in _flat_ids(value):
            for i in np.unique(ids.as_full().numpy() if ids.compact is None else ids.compact):
                self.uf.union(int(i), FROZEN)

    def frozen_like(self, real: Any) -> Any:
        if isinstance(real, torch.Tensor):
            return _ids_of_full(torch.zeros(real.shape, dtype=torch.int64))
        if isinstance(real, tuple | list):
            return type(real)(self.frozen_like(r) for r in real) if not hasattr(real, "_fields") else None
        return None

    def union_arrays(self, a: np.ndarray, b: np.ndarray) -> None:
        pairs = np.unique(np.stack([a.reshape(-1), b.reshape(-1)], 1), axis=0)
        for x, y in pairs:
            self.uf.union(int(x), int(y))


def _flat_ids(value: Any) -> list[Ids]:
    if isinstance(value, Ids):
        return [value]
    if isinstance(value, tuple | list):
        return [i for v in value for i in _flat_ids(v)]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _flat_ids(v)]
    return []


def _map(value: Any, env: dict[fx.Node, Any]) -> Any:
    return fx.node.map_arg(value, lambda n: env[n])


def propagate(model: nn.Module, graph: fx.Graph, example_inputs: tuple[Any, ...]) -> Propagation:
    """Run the graph on the example inputs, tracking channel ids alongside the real values."""
    prop = Propagation()
    modules = dict(model.named_modules())
    real: dict[fx.Node, Any] = {}
    ids: dict[fx.Node, Any] = {}
    inputs = iter(example_inputs)
    with torch.no_grad():
        for node in graph.nodes:
            if node.op == "placeholder":
                real[node] = next(inputs, None) if node.target != "*args" else tuple(inputs)
                ids[node] = prop.frozen_like(real[node])
            elif node.op == "get_attr":
                obj: Any = model
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
                real[node] = obj
                ids[node] = prop.frozen_like(obj)
            elif node.op == "output":
                prop.freeze(_map(node.args, ids))
            else:
                args, kwargs = _map(node.args, real), _map(node.kwargs, real)
                if node.op == "call_module":
                    module = modules[str(node.target)]
                    real[node] = module(*args, **kwargs)
                    ids[node] = _module_rule(prop, str(node.target), module, node, real, ids)
                elif node.op == "call_function":
                    real[node] = node.target(*args, **kwargs)
                    ids[node] = _function_rule(prop, node, node.target, args, kwargs, real, ids)
                else:  # call_method
                    real[node] = getattr(args[0], str(node.target))(*args[1:], **kwargs)
                    ids[node] = _function_rule(prop, node, str(node.target), args, kwargs, real, ids)
    return prop


def _input_ids(prop: Propagation, node: fx.Node, ids: dict[fx.Node, Any]) -> Ids | None:
    """Ids of the node's first argument as a compact channel list, or None (then frozen)."""
    first = ids.get(node.args[0]) if node.args and isinstance(node.args[0], fx.Node) else None
    if isinstance(first, Ids) and first.compact is not None:
        return first
    prop.freeze(first)
    return None


def _module_rule(
    prop: Propagation, name: str, module: nn.Module, node: fx.Node, real: dict, ids: dict
) -> Any:
    out = real[node]
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear):
        return _layer_rule(prop, name, module, node, out, ids)
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d):
        inp = _input_ids(prop, node, ids)
        layer = prop.layers.setdefault(name, LayerInfo(name, "bn"))
        if inp is None or inp.compact is None:
            layer.frozen = True
            return prop.frozen_like(out)
        if layer.out_ids is not None:  # called twice: both inputs share this norm's channels
            prop.union_arrays(layer.out_ids, inp.compact)
        layer.out_ids = inp.compact
        return Ids(tuple(out.shape), compact=inp.compact)
    if isinstance(module, _PASS_MODULES) or isinstance(module, nn.PReLU) and module.num_parameters == 1:
        return _pass(prop, node, out, ids)
    if isinstance(module, _SHAPE_MODULES):
        return _replay(prop, lambda *a: module(*(x.double() for x in a)).long(), node, real, ids)
    prop.freeze(_map(node.args, ids))
    return prop.frozen_like(out)


def _layer_rule(prop: Propagation, name: str, module: Any, node: fx.Node, out: Any, ids: dict) -> Any:
    linear = isinstance(module, nn.Linear)
    inp = _input_ids(prop, node, ids)
    n_out = module.out_features if linear else module.out_channels
    layer = prop.layers.get(name)
    if layer is None:
        layer = prop.layers[name] = LayerInfo(
            name, "linear" if linear else "conv", out_ids=prop.uf.new(n_out)
        )
        if not linear:
            layer.groups = int(module.groups)
        per_out = out.numel() // n_out if out.dim() >= 2 else 0
        weight = module.weight
        layer.macs_per_channel = per_out * (int(np.prod(weight.shape[2:])) if not linear else 1)
    assert layer.out_ids is not None
    if inp is None or (linear and out.dim() != 2):
        layer.frozen = True
        prop.freeze(Ids((n_out,), compact=layer.out_ids))
        return prop.frozen_like(out) if out.dim() != 2 else Ids(tuple(out.shape), compact=layer.out_ids)
    assert inp.compact is not None
    if layer.in_ids is not None:  # a module called twice: its input channels are one
        prop.union_arrays(layer.in_ids, inp.compact)
    layer.in_ids = inp.compact
    if layer.groups > 1:
        if len(inp.compact) != n_out:  # depth multiplier: leave it whole
            layer.frozen = True
            prop.freeze(Ids((n_out,), compact=layer.out_ids))
            prop.freeze(inp)
        else:  # depthwise / grouped: output channel i is computed from input channel i's group
            prop.union_arrays(layer.out_ids, inp.compact)
    return Ids(tuple(out.shape), compact=layer.out_ids)


def _pass(prop: Propagation, node: fx.Node, out: Any, ids: dict) -> Any:
    first = ids.get(node.args[0]) if node.args and isinstance(node.args[0], fx.Node) else None
    if isinstance(out, torch.Tensor) and isinstance(first, Ids):
        if first.compact is not None and out.dim() >= 2 and out.shape[1] == len(first.compact):
            return Ids(tuple(out.shape), compact=first.compact)
        if first.full is not None and tuple(out.shape) == first.shape:
            return Ids(first.shape, full=first.full)
    prop.freeze(_map(node.args, ids))
    return prop.frozen_like(out)


def _replay(prop: Propagation, fn: Any, node: fx.Node, real: dict, ids: dict) -> Any:
    """Run a shape op on tensors of ids in place of the real tensors (sizes and the like stay real).
    Only ops whose channel mapping survives pruning are followed (cat; views that keep dim 1;
    flatten into features); the channels of any other (chunk, split, channel shuffle, slicing of
    dim 1: each depends on the channel count) are frozen."""

    def swap(n: fx.Node) -> Any:
        v = ids.get(n)
        if isinstance(v, Ids):
            return v.as_full()
        if isinstance(v, tuple | list):
            return type(v)(x.as_full() if isinstance(x, Ids) else x for x in v)
        return real[n]

    result = _wrap(fn(*fx.node.map_arg(node.args, swap), **fx.node.map_arg(node.kwargs, swap)))
    if node.target not in (torch.cat, torch.concat):
        source = ids.get(node.args[0]) if isinstance(node.args[0], fx.Node) else None
        if not isinstance(source, Ids) or not all(_keeps_channels(source, out) for out in _flat_ids(result)):
            prop.freeze(source)
            prop.freeze(result)
    return result


def _keeps_channels(source: Ids, out: Ids) -> bool:
    if source.compact is None or out.compact is None:
        return bool(np.all(source.as_full().numpy() == FROZEN))
    if np.array_equal(source.compact, out.compact):
        return True
    spatial = int(np.prod(source.shape[2:])) if len(source.shape) > 2 else 1
    return len(out.shape) == 2 and np.array_equal(np.repeat(source.compact, spatial), out.compact)


def _wrap(result: Any) -> Any:
    if isinstance(result, torch.Tensor):
        return _ids_of_full(result)
    if isinstance(result, tuple | list):
        return type(result)(_wrap(r) for r in result)
    return None


def _function_rule(
    prop: Propagation, node: fx.Node, target: Any, args: Any, kwargs: Any, real: dict, ids: dict
) -> Any:
    out = real[node]
    is_method = isinstance(target, str)
    if not _has_tensor(out):  # sizes, shapes, flags: nothing to track
        return None
    if not _flat_ids(_map((node.args, node.kwargs), ids)):  # made from no tracked tensor
        return prop.frozen_like(out)
    for arg_node, arg in zip(node.args, args, strict=False):
        if arg is out and isinstance(arg_node, fx.Node):  # handed its input back (stochastic depth in eval)
            return ids[arg_node]
    if target in (_PASS_METHODS if is_method else _PASS_FUNCS):
        return _pass(prop, node, out, ids)
    if target in (_BINARY_METHODS if is_method else _BINARY_FUNCS):
        return _binary(prop, node, out, ids)
    if target in (_SHAPE_METHODS if is_method else _SHAPE_FUNCS):
        if target is operator.getitem and not isinstance(ids.get(node.args[0]), Ids):
            container = ids.get(node.args[0])  # a tuple from chunk/split: pick the element
            return container[args[1]] if isinstance(container, tuple | list) else None
        fn = (lambda obj, *a, **k: getattr(obj, target)(*a, **k)) if is_method else target
        return _replay(prop, fn, node, real, ids)
    if target in (_REDUCE_METHODS if is_method else _REDUCE_FUNCS) and _spatial_only(args, kwargs):
        return _pass(prop, node, out, ids)
    prop.freeze(_map((node.args, node.kwargs), ids))
    return prop.frozen_like(out)


def _has_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, tuple | list) and any(_has_tensor(v) for v in value)


def _spatial_only(args: Any, kwargs: Any) -> bool:
    """A reduction over spatial dims only (dims given, none of them batch or channel)."""
    x = args[0]
    dims = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if not isinstance(x, torch.Tensor) or dims is None:
        return False
    dims = [dims] if isinstance(dims, int) else list(dims)
    return all(d % x.dim() >= 2 for d in dims)


def _binary(prop: Propagation, node: fx.Node, out: torch.Tensor, ids: dict) -> Any:
    operands = [ids[n] for n in node.args if isinstance(n, fx.Node) and isinstance(ids.get(n), Ids)]
    if len(operands) == 1:
        return _pass_same(operands[0], out, prop, node, ids)
    a, b = operands[0], operands[1]
    if a.compact is not None and b.compact is not None and len(a.shape) == len(b.shape) == out.dim():
        if len(a.compact) == len(b.compact) == out.shape[1]:
            prop.union_arrays(a.compact, b.compact)
            return Ids(tuple(out.shape), compact=a.compact)
        for gate, main in ((a, b), (b, a)):  # a (N, 1, ...) gate broadcast over all channels
            if len(gate.compact) == 1 and len(main.compact) == out.shape[1]:
                prop.freeze(gate)
                return Ids(tuple(out.shape), compact=main.compact)
    fa, fb = torch.broadcast_tensors(a.as_full(), b.as_full())
    prop.union_arrays(fa.numpy(), fb.numpy())
    return _ids_of_full(fa.contiguous())


def _pass_same(operand: Ids, out: torch.Tensor, prop: Propagation, node: fx.Node, ids: dict) -> Any:
    if tuple(out.shape) == operand.shape:
        return operand
    if operand.compact is not None and out.dim() >= 2 and out.shape[1] == len(operand.compact):
        return Ids(tuple(out.shape), compact=operand.compact)
    prop.freeze(operand)
    return prop.frozen_like(out)
