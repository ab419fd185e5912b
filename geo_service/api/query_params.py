"""Hand-rolled query-string parsing for hot endpoints.

FastAPI's declarative parameters cost ~70 µs per request for ten parameters (measured with
scripts/bench/nearest_http.py), about as much as the whole nearest search, and Starlette's Params
another ~10 µs. Hot routes parse the raw query string with `parse_query` and read it with these helpers
instead, raise the same 422 shape naming the parameter, and describe their parameters to OpenAPI with
`openapi_parameters`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from geo_service.errors import InvalidParameter
from geo_service.moments import checked_moment

Params = Mapping[str, list[str]]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_query(raw: bytes) -> dict[str, list[str]]:
    """name → values of an application/x-www-form-urlencoded query string (blank pairs dropped)."""
    params: dict[str, list[str]] = {}
    for pair in raw.decode("utf-8", "replace").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        params.setdefault(name, []).append(value)
    return params


def _single(params: Params, name: str) -> str | None:
    values = params.get(name, ())
    if len(values) > 1:
        raise InvalidParameter(name, "given more than once")
    return values[0] if values else None


def required_float(params: Params, name: str) -> float:
    value = optional_float(params, name)
    if value is None:
        raise InvalidParameter(name, "field required")
    return value


def optional_float(params: Params, name: str) -> float | None:
    raw = _single(params, name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InvalidParameter(name, f"must be a finite number, got {raw!r}")
    return value


def optional_int(params: Params, name: str) -> int | None:
    raw = _single(params, name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be a whole number, got {raw!r}") from None


def flag(params: Params, name: str) -> bool:
    raw = _single(params, name)
    if raw is None or raw == "":
        return False
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise InvalidParameter(name, f"must be true or false, got {raw!r}")


def optional_datetime(params: Params, name: str) -> datetime | None:
    raw = _single(params, name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be an ISO 8601 datetime (2026-11-24T08:30), got {raw!r}") from None
    try:
        return checked_moment(moment)
    except ValueError as exc:
        raise InvalidParameter(name, str(exc)) from None


def choice(params: Params, name: str, allowed: Sequence[str], default: str) -> str:
    raw = _single(params, name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise InvalidParameter(name, f"must be one of {list(allowed)}, got {raw!r}")
    return raw


def repeated(params: Params, name: str) -> list[str]:
    """A repeatable parameter; comma-separated values are accepted too (kind=a,b ≡ kind=a&kind=b), and a
    value given twice counts once (kind=station&kind=station must not find each station twice)."""
    return list(dict.fromkeys(part for value in params.get(name, ()) for part in value.split(",") if part))


def openapi_parameters(spec: Sequence[tuple[str, dict[str, Any], bool, str]]) -> dict[str, Any]:
    """`openapi_extra` documenting query parameters given as (name, schema, required, description)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": required, "schema": schema, "description": description}
            for name, schema, required, description in spec
        ]
    }
