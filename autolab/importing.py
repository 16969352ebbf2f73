"""Results to import (NNI's export shape), checked the same way by the CLI and the REST API."""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import AutolabError
from .protocol import MAX_METRIC_DEPTH, MetricError, default_value
from .searchspace import SearchSpace, SearchSpaceError

SHAPE = '{"parameter": {...}, "value": ...}'


class BadImport(AutolabError, ValueError):
    """The records are not NNI's export shape; the message names the item."""


def importable(records: Any, space: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The records to add: finished ones ({"parameter", "value"}) whose parameters the search space
    knows; a record that gives every parameter must fit the space (each value one of its options or
    within its range). A record lacking some (results from before a parameter was added) is kept as
    a record; tuners skip trials that do not fit the space. Records with no value (trials that
    failed or were running when exported) are skipped, as NNI's import does, so an export imports back as it is.
    A value given as JSON text (NNI's own export: "0.97", "{\"default\": 0.9}") is read as that JSON."""
    if not isinstance(records, list):
        raise BadImport(f"expected a JSON list of {SHAPE}")
    known = set(space or {})
    checker = SearchSpace(space, source="space") if space else None
    out = []
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not isinstance(r.get("parameter"), dict) or "value" not in r:
            raise BadImport(f"item {i}: expected {SHAPE}")
        value = r["value"]
        if isinstance(value, str):  # NNI's export-data writes each value as JSON text ("0.97")
            try:
                value = json.loads(value)
            except ValueError:
                raise BadImport(f"item {i}: value: {value[:50]!r} is neither a number nor JSON") from None
        if value is None:
            continue
        try:
            default_value(value)
        except MetricError as exc:
            raise BadImport(f"item {i}: value: {exc}") from None
        if (problem := _not_plain(value)) is not None:
            raise BadImport(f"item {i}: value: {problem}")
        for name, given in r["parameter"].items():
            if (problem := _not_plain(given, 1)) is not None:
                raise BadImport(f"item {i}: parameter {name!r}: {problem}")
        unknown = sorted(set(r["parameter"]) - known) if known else []
        if unknown:
            raise BadImport(f"item {i}: parameter {unknown[0]!r} is not in the search space")
        if checker is not None and known <= set(r["parameter"]):
            try:
                checker.to_flat(r["parameter"])
            except SearchSpaceError as exc:
                raise BadImport(f"item {i}: {str(exc).removeprefix('space: ')}") from None
        out.append({"parameter": r["parameter"], "value": value})
    return out


def _not_plain(value: Any, depth: int = 0) -> str | None:
    """Why value is not plain JSON a trial could have been given (None when it is): every record is
    stored, listed and served, so none may nest past MAX_METRIC_DEPTH or hold NaN / inf, whether
    or not the search space checks its values (a record lacking some parameters is not checked)."""
    if isinstance(value, (dict, list)) and depth >= MAX_METRIC_DEPTH:
        return f"lists and dicts nested deeper than {MAX_METRIC_DEPTH} levels"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"key {key!r} is not a string"
            if (why := _not_plain(item, depth + 1)) is not None:
                return f"{key}: {why}" if depth == 0 else why  # a metric dict's key: named
        return None
    if isinstance(value, list):
        return next((why for item in value if (why := _not_plain(item, depth + 1)) is not None), None)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number"
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    return f"{value!r} is not a JSON value"
