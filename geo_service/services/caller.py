"""Who calls a use case and from where: the principal (None for the public), the request id, the address."""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.authorization import PUBLIC_ACTOR, AuditContext, Principal


@dataclass(frozen=True)
class Caller:
    """What a write needs to be authorised and audited. `address` is the client address in clear: the
    use case decides what to keep of it (signed-in callers: the address; the public: its keyed hash)."""

    principal: Principal | None
    request_id: str | None = None
    address: str | None = None

    def audit_context(self, public_address: str | None = None) -> AuditContext:
        """The audit context; the public is recorded as `public` with `public_address` (a keyed hash)."""
        if self.principal is None:
            return AuditContext(PUBLIC_ACTOR, None, self.request_id, public_address)
        return AuditContext.of(self.principal, self.request_id, self.address)
