"""Input checks shared by the use cases; each failure names the offending parameter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from geo_service.errors import InvalidParameter
from geo_service.queries import districts as district_queries


def check_codes(parameter: str, values: Sequence[str], allowed: Mapping[str, str]) -> tuple[str, ...]:
    """`values` unchanged when every one is a code of the vocabulary `allowed`, else a 422 naming `parameter`."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidParameter(parameter, f"unknown value(s) {unknown}; expected any of {list(allowed)}")
    return tuple(values)


def resolve_districts(conn: Connection, keys: Sequence[str]) -> tuple[str, ...]:
    """Adcodes for districts given by adcode (371602) or name (滨城区); a 422 naming `district` if unknown."""
    adcodes = []
    for key in keys:
        adcode = district_queries.resolve_district(conn, key)
        if adcode is None:
            raise InvalidParameter("district", f"unknown district {key!r}; give an adcode (371602) or a name (滨城区)")
        adcodes.append(adcode)
    return tuple(adcodes)
