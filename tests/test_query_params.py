"""The hand-rolled query-string parser of the hot endpoints agrees with the standard library."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_service.api import query_params as qp
from geo_service.errors import InvalidParameter

NAMES = st.sampled_from(["lon", "lat", "kind", "amenity", "q", "名称"])
VALUES = st.text(min_size=1, max_size=12)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_parse_query_matches_parse_qs(pairs: list[tuple[str, str]]) -> None:
    raw = urlencode(pairs).encode()
    assert qp.parse_query(raw) == parse_qs(raw.decode(), keep_blank_values=True)


@pytest.mark.parametrize(
    ("raw", "call", "fragment"),
    [
        (b"lon=abc", lambda p: qp.required_float(p, "lon"), "number"),
        (b"lon=nan", lambda p: qp.required_float(p, "lon"), "finite"),
        (b"lon=1&lon=2", lambda p: qp.required_float(p, "lon"), "more than once"),
        (b"", lambda p: qp.required_float(p, "lon"), "required"),
        (b"limit=2.5", lambda p: qp.optional_int(p, "limit"), "whole number"),
        (b"open_now=maybe", lambda p: qp.flag(p, "open_now"), "true or false"),
        (b"at=noon", lambda p: qp.optional_datetime(p, "at"), "ISO 8601"),
        (b"crs=utm", lambda p: qp.choice(p, "crs", ("wgs84",), "wgs84"), "one of"),
    ],
)
def test_errors_name_the_parameter(raw: bytes, call, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        call(qp.parse_query(raw))
    assert fragment in caught.value.message


def test_repeated_accepts_repeats_and_commas() -> None:
    assert qp.repeated(qp.parse_query(b"kind=station,rest_base&kind=mediation_centre"), "kind") == [
        "station",
        "rest_base",
        "mediation_centre",
    ]
