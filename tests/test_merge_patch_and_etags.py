"""JSON merge patch against the examples of RFC 7396 (Appendix A), and If-Match parsing (RFC 9110)."""

from __future__ import annotations

import pytest

from geo_service.api.etags import etag, if_match_versions
from geo_service.errors import PreconditionRequired
from geo_service.services.facility_input import merge_patch

# RFC 7396 Appendix A, the cases whose original and patch are both objects
RFC_7396 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7396)
def test_merge_patch_matches_rfc_7396(original: dict, patch: dict, result: dict) -> None:
    assert merge_patch(original, patch) == result


def test_merge_patch_leaves_its_inputs_alone() -> None:
    original, patch = {"a": {"b": 1}}, {"a": {"b": None, "c": [None]}}
    assert merge_patch(original, patch) == {"a": {"c": [None]}}  # nulls inside arrays are values
    assert original == {"a": {"b": 1}} and patch == {"a": {"b": None, "c": [None]}}


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        (None, None),
        ('"12-3"', {3}),
        ('"12-3", "12-4" ,"7-9"', {3, 4}),
        ('W/"12-3"', set()),
        ('"12-3', set()),
        ("12-3", set()),
        ('"012-3"', {3}),
        ('"121-3"', set()),
        ("", set()),
    ],
)
def test_if_match_names_versions_of_this_facility_only(header: str | None, versions: set[int] | None) -> None:
    found = if_match_versions(header, 12)
    assert found == (None if versions is None else frozenset(versions))


def test_if_match_star_is_refused_and_etags_are_strong() -> None:
    with pytest.raises(PreconditionRequired):
        if_match_versions(" * ", 12)
    assert etag(12, 3) == '"12-3"' and if_match_versions(etag(12, 3), 12) == frozenset({3})
