"""Results to import (NNI's export shape), checked the same way by the CLI and the REST API."""

from __future__ import annotations

from typing import Any

from .protocol import MetricError, default_value

SHAPE = '{"parameter": {...}, "value": ...}'


class BadImport(ValueError):
    """The records are not NNI's export shape; the message names the item."""


def importable(records: Any, space: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The records to add: finished ones ({"parameter", "value"}) whose parameters the search space
    knows. Records with no value (trials that failed or were running when exported) are skipped, as
    NNI's import does, so an export imports back as it is."""
    if not isinstance(records, list):
        raise BadImport(f"expected a JSON list of {SHAPE}")
    known = set(space or {})
    out = []
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not isinstance(r.get("parameter"), dict) or "value" not in r:
            raise BadImport(f"item {i}: expected {SHAPE}")
        if r["value"] is None:
            continue
        try:
            default_value(r["value"])
        except MetricError as exc:
            raise BadImport(f"item {i}: value: {exc}") from None
        unknown = sorted(set(r["parameter"]) - known) if known else []
        if unknown:
            raise BadImport(f"item {i}: parameter {unknown[0]!r} is not in the search space")
        out.append({"parameter": r["parameter"], "value": r["value"]})
    return out
