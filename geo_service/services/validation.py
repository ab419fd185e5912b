"""Input checks shared by the use cases; each failure names the offending parameter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from geo_service.errors import InvalidParameter


def check_codes(parameter: str, values: Sequence[str], allowed: Mapping[str, str]) -> tuple[str, ...]:
    """`values` unchanged when every one is a code of the vocabulary `allowed`, else a 422 naming `parameter`."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidParameter(parameter, f"unknown value(s) {unknown}; expected any of {list(allowed)}")
    return tuple(values)
