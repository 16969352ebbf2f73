"""NNI search spaces: parse and validate (`space`), flatten into parameters (`dim`), sample, enumerate."""

from .dim import NUMERIC_TYPES, TYPES, Dim, SearchSpaceError
from .space import SearchSpace, load, parse, read_file

__all__ = ["NUMERIC_TYPES", "TYPES", "Dim", "SearchSpace", "SearchSpaceError", "load", "parse", "read_file"]
