"""Who may write what: the role × district table, written out by hand."""

from __future__ import annotations

import pytest

from geo_service.authorization import Principal, can_write, require_role, require_write
from geo_service.errors import Forbidden, Unauthenticated

OWN, OTHER = "371602", "371681"
VIEWER = Principal("user:v", "viewer", frozenset({OWN}))
EDITOR = Principal("user:e", "editor", frozenset({OWN, "371603"}))
ADMIN = Principal("user:a", "admin")

# (principal, district, expected outcome of require_write: None = allowed, else the error type)
WRITE_TABLE = [
    (None, OWN, Unauthenticated),
    (VIEWER, OWN, Forbidden),
    (VIEWER, OTHER, Forbidden),
    (EDITOR, OWN, None),
    (EDITOR, "371603", None),
    (EDITOR, OTHER, Forbidden),
    (ADMIN, OWN, None),
    (ADMIN, OTHER, None),
]


@pytest.mark.parametrize(("principal", "district", "expected"), WRITE_TABLE)
def test_require_write(principal: Principal | None, district: str, expected: type[Exception] | None) -> None:
    assert can_write(principal, district) is (expected is None)
    if expected is None:
        assert require_write(principal, district) is principal
    else:
        with pytest.raises(expected):
            require_write(principal, district)


ROLE_TABLE = [
    (None, "viewer", Unauthenticated),
    (VIEWER, "viewer", None),
    (VIEWER, "editor", Forbidden),
    (VIEWER, "admin", Forbidden),
    (EDITOR, "viewer", None),
    (EDITOR, "editor", None),
    (EDITOR, "admin", Forbidden),
    (ADMIN, "viewer", None),
    (ADMIN, "editor", None),
    (ADMIN, "admin", None),
]


@pytest.mark.parametrize(("principal", "minimum", "expected"), ROLE_TABLE)
def test_require_role(principal: Principal | None, minimum, expected: type[Exception] | None) -> None:
    if expected is None:
        assert require_role(principal, minimum) is principal
    else:
        with pytest.raises(expected):
            require_role(principal, minimum)


def test_an_editor_without_districts_writes_nothing() -> None:
    assert not can_write(Principal("key:1", "editor"), OWN)


def test_principal_is_immutable() -> None:
    with pytest.raises(AttributeError):
        EDITOR.role = "admin"  # type: ignore[misc]
