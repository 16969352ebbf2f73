"""NNI's `nni.trial`, served by autolab's trial SDK."""

from autolab.trial import (
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    overwrite_intermediate_seq,
    report_final_result,
    report_intermediate_result,
)

__all__ = [
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "overwrite_intermediate_seq",
    "report_final_result",
    "report_intermediate_result",
]
