"""NNI's Python API, as public NNI scripts write it: one process per trial (model.py), under
autolab's manager. With autolab's `nni` module installed (`autolab nni install`) the first line can
stay `from nni.experiment import Experiment`.

    python examples/python_api/nni_style.py
"""

from pathlib import Path

from autolab.experiment import Experiment

search_space = {
    "C": {"_type": "loguniform", "_value": [0.01, 100]},
    "gamma": {"_type": "loguniform", "_value": [0.0001, 1]},
    "kernel": {"_type": "choice", "_value": ["rbf", "poly", "sigmoid"]},
}

experiment = Experiment("local")
experiment.config.experiment_name = "digits (NNI style)"
experiment.config.trial_command = "python3 model.py"
experiment.config.trial_code_directory = Path(__file__).parent
experiment.config.search_space = search_space
experiment.config.tuner.name = "TPE"
experiment.config.tuner.class_args["optimize_mode"] = "maximize"
experiment.config.assessor.name = "Medianstop"
experiment.config.max_trial_number = 20
experiment.config.trial_concurrency = 2

if experiment.run(port=8080):  # blocks until DONE (True), ERROR (False) or Ctrl-C (None)
    best = max(experiment.export_data(), key=lambda r: r.value)
    print(f"best accuracy {best.value:.4f} with {best.parameter}")
print(experiment.get_job_statistics())
