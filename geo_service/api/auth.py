"""Who is calling: `Authorization: Bearer <key>` → a Principal, or None for the public.

Only the header is read. A credential in the URL ends up in access logs, proxy logs and browser history,
so a request that carries one in the query string is refused (400 naming the parameter) rather than
silently ignored: the client learns to fix it before the key has leaked anywhere else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from geo_service.api.deps import EngineDep
from geo_service.api.request_id import request_id_of
from geo_service.authorization import AuditContext, Principal, require_principal
from geo_service.errors import CredentialsInQuery, Unauthenticated
from geo_service.services import authentication

#: Query parameters that look like a credential (compared case-insensitively).
CREDENTIAL_QUERY_PARAMETERS = frozenset({"token", "api_key", "apikey", "access_token", "key"})
_MALFORMED = "Authorization 请求头格式应为 `Bearer <密钥>` (the Authorization header must be `Bearer <key>`)"


def refuse_credentials_in_query(request: Request) -> None:
    for name in request.query_params:
        if name.lower() in CREDENTIAL_QUERY_PARAMETERS:
            raise CredentialsInQuery(name)


def bearer_secret(header: str) -> str:
    """The token of `Bearer <token>` (scheme case-insensitive); Unauthenticated for anything else."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthenticated(_MALFORMED, invalid_token=True)
    return token


def optional_principal(request: Request, engine: EngineDep) -> Principal | None:
    """The caller's principal; None without an Authorization header; 401 for a bad or revoked key."""
    refuse_credentials_in_query(request)
    header = request.headers.get("authorization")
    if header is None:
        return None
    secret = bearer_secret(header)
    with engine.begin() as conn:  # its own short transaction: the key's last use is recorded
        return authentication.authenticate_key(conn, secret)


def required_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    """The caller's principal; 401 (with `WWW-Authenticate: Bearer`) for the public."""
    return require_principal(principal)


def audit_context(request: Request, principal: Principal) -> AuditContext:
    """Who and from where, for the audit rows of a request's writes: the principal, the request id
    (geo_service.api.request_id, accepted or generated for every request) and the client address."""
    address = request.client.host if request.client else None
    return AuditContext.of(principal, request_id_of(request.scope), address)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
RequiredPrincipal = Annotated[Principal, Depends(required_principal)]
