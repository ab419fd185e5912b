"""Who is calling and what they may do: pure rules, no web framework, no database.

A `Principal` is what authentication produces (from an API key or a signed-in user); services take one
and call `require_write` / `require_role` before they change anything. Roles are ordered
viewer < editor < admin: an admin writes everything, an editor only the facilities of its districts, a
viewer reads non-public fields but writes nothing. The public is `None`: it reads public data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from geo_service import vocab
from geo_service.errors import Forbidden, Unauthenticated

Role = Literal["viewer", "editor", "admin"]
ROLE_ORDER: tuple[Role, ...] = get_args(Role)
assert tuple(vocab.ROLES) == ROLE_ORDER, "vocab.ROLES and Role must list the same roles in the same order"

#: The actor of an anonymous (public) write such as a problem report.
PUBLIC_ACTOR = "public"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `actor` is how the audit log names it: `user:alice`, `key:3`, `cli:root`."""

    actor: str
    role: Role
    districts: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def as_role(value: str) -> Role:
    """A stored role string as a Role (the database CHECK guarantees it; this guards programming errors)."""
    for role in ROLE_ORDER:
        if role == value:
            return role
    raise ValueError(f"unknown role {value!r}; expected one of {ROLE_ORDER}")


def role_at_least(role: Role, minimum: Role) -> bool:
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(minimum)


def can_write(principal: Principal | None, district_adcode: str) -> bool:
    """Whether `principal` may create, change or delete a facility of `district_adcode`."""
    if principal is None:
        return False
    if principal.role == "admin":
        return True
    return principal.role == "editor" and district_adcode in principal.districts


def require_principal(principal: Principal | None) -> Principal:
    """The principal, or Unauthenticated (401) for the public."""
    if principal is None:
        raise Unauthenticated()
    return principal


def require_write(principal: Principal | None, district_adcode: str) -> Principal:
    """The principal when it may write facilities of `district_adcode`; else 401 (public) or 403."""
    known = require_principal(principal)
    if not can_write(known, district_adcode):
        if known.role == "viewer":
            raise Forbidden("查看者不能修改数据 (a viewer cannot write)")
        raise Forbidden(f"无权修改该区县的数据 (not allowed to write facilities of district {district_adcode})")
    return known


def require_role(principal: Principal | None, minimum_role: Role) -> Principal:
    """The principal when its role is `minimum_role` or higher; else 401 (public) or 403."""
    known = require_principal(principal)
    if not role_at_least(known.role, minimum_role):
        label = vocab.ROLES[minimum_role]
        raise Forbidden(f"需要{label}或更高权限 (requires role {minimum_role} or higher, you are {known.role})")
    return known


@dataclass(frozen=True)
class AuditContext:
    """Who makes a change and from where, as the audit log records it (see queries.audit.record_audit).

    `address` is the client address for signed-in callers; public writes pass its keyed hash instead, so
    no member of the public has an address stored in clear.
    """

    actor: str
    role: Role | None
    request_id: str | None = None
    address: str | None = None

    @classmethod
    def of(cls, principal: Principal, request_id: str | None = None, address: str | None = None) -> AuditContext:
        return cls(principal.actor, principal.role, request_id, address)
