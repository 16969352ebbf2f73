"""NNI's `nni.assessor`, served by autolab.assessor."""

from autolab.assessor import Assessor, AssessResult

__all__ = ["AssessResult", "Assessor"]
