"""Results to import (NNI's export shape), checked the same way by the CLI and the REST API."""

from __future__ import annotations

import json
from typing import Any

from .errors import AutolabError
from .protocol import MetricError, default_value
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
