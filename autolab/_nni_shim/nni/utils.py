"""NNI's `nni.utils`, served by autolab.utils (merge_parameter converts where nothing is lost)."""

from autolab.utils import (
    ClassArgsValidator,
    MetricType,
    NodeType,
    OptimizeMode,
    convert_dict2tuple,
    extract_scalar_history,
    extract_scalar_reward,
    json2space,
    merge_parameter,
    split_index,
)

__all__ = [
    "ClassArgsValidator",
    "MetricType",
    "NodeType",
    "OptimizeMode",
    "convert_dict2tuple",
    "extract_scalar_history",
    "extract_scalar_reward",
    "json2space",
    "merge_parameter",
    "split_index",
]
